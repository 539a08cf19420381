#pragma once

#include "results/runresult.h"

#include <QJsonObject>
#include <QString>

namespace hs {

/**
 * How a run's locks and shared counters (DESIGN §15, RunResult::locks) read in the summary, the
 * CSV and the reports. Everything here is empty for a run without locks or counters, so such a
 * run's outputs do not change.
 *
 *     s << lockSummary(result);                     // the "locks" block of `hybridscope run`
 *     csv += locksCsv(result);                      // a second table: one row per frame and lock
 *     QString top = lockEdgeText(result, lock.edges.front());
 */

/// "api.post on threads waited 1.2 s in total (34 waits) for ledger held by batch.post on procs".
QString lockEdgeText(const RunResult &r, const QString &lock, const LockWaitEdge &e);
/// The same from a JSON `locks.NAME.waits_on[i]` entry ({waiter, waiter_domain, holder, holder_domain,
/// waits, wait_ms}; holder null when not known).
QString lockEdgeText(const QString &lock, const QJsonObject &edge);
/// "CLASS.STAGE" of a key of the run's scenario ("?" when out of range).
QString lockKeyName(const Scenario &s, int cls, int stage);
/// One line that says why updates were lost under a lock of `scope` ("thread", "process", or empty
/// for a counter updated without a lock of its name).
QString lostUpdatesExplanation(const QString &scope);
/// The summary's block (empty without locks): per name scope, acquisitions, contended (share),
/// wait P50/P99, timeouts, recovered; counters with expected/seen/LOST; the top waits-on edge.
QString lockSummary(const RunResult &r);
/// A second CSV table after a blank line (empty without locks): header
/// `t,lock,scope,acquisitions,contended,timeouts,recovered,waiting,wait_p99_ms,updates_expected,
/// updates_seen,lost_updates,mode`, one row per frame and name (docs/metrics.md).
QString locksCsv(const RunResult &r);

} // namespace hs
