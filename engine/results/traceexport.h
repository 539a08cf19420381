#pragma once

#include "domains/trace.h"
#include "results/runresult.h"

#include <QByteArray>
#include <QString>

namespace hs {

/// "complete: all K stages" or "sampled: 1 in N tasks kept, M of K stages": what the file says.
QString traceSamplingStatement(const TraceLog &log);

/**
 * The run's stage spans as Chrome trace event JSON, which ui.perfetto.dev and chrome://tracing
 * open: a process per domain, a thread per worker (the loop's overlapping awaits on extra lanes),
 * a complete event per stage named "class.stage", instants for stages refused before a worker
 * took them, flow arrows that follow each task (its trace id) from stage to stage across
 * domains, the run's live changes as global instants, and the sampling statement both as an
 * instant and in "otherData"/"metadata". A run without a trace gives a file with no spans.
 *
 *     QString error;
 *     if (!writeChromeTrace(engine.result(), QStringLiteral("run.trace.json"), &error))
 *         qWarning() << error;
 */
QByteArray chromeTraceJson(const RunResult &r);

/// Writes chromeTraceJson(r) atomically; fails, naming the file, when the run recorded no trace.
bool writeChromeTrace(const RunResult &r, const QString &path, QString *error);

} // namespace hs
