#pragma once

#include "core/kinds.h"
#include "results/theory.h"

#include <QJsonObject>

#include <array>

namespace hs {

struct DomainResult;
struct RunResult;
struct Scenario;

/**
 * The theory overlay of one domain of a finished run (DESIGN §11, docs/metrics.md "Theory"): what
 * the run measured of it, the model's prediction from those figures (or why no model applies), and
 * Little's law on the measured figures. The run JSON writes it as `domains.NAME.theory`.
 *
 *     DomainTheory t = domainTheory(result, DomainKind::Threads, QThread::idealThreadCount());
 *     if (t.predicted.applies) compare(t.predicted.waitMeanS, t.measuredWaitMeanS);
 *     if (t.littleMismatch > 0.1) ...           // the measurement itself is off
 */
struct DomainTheory {
    theory::DomainMeasure input; ///< λ, E[S], SCVs, workers, queue, and the assumptions checked
    theory::Prediction predicted;
    double measuredUtilization = 0;
    double measuredPWait = 0;
    double measuredWaitMeanS = 0;
    double measuredQueueMean = 0;
    double littleL = 0; ///< the time-averaged queue length
    double littleLambdaW = 0; ///< admitted per second × mean wait
    double littleMismatch = 0; ///< theory::littleMismatch of the two
    std::uint64_t admitted = 0; ///< stages the domain took in
    std::uint64_t started = 0; ///< of them, stages whose wait was measured (they left the queue)
};

/// The overlay of domain `d` of `r` over the whole run. The arrival rate is admitted / span, the
/// service mean and SCV come from the service histogram, the configuration (routes, queue, GIL)
/// from the last phase's (the one in effect at the end), `cores` is the machine's.
DomainTheory domainTheory(const RunResult &r, DomainKind d, int cores);

/// The overlay of domain `d` over any span of a run (a phase, the last seconds of one: the live
/// overlay): `domains` holds every domain's totals over the span (counts, histograms and the raw
/// sums, as phaseFigures() makes them), `config` the configuration in effect then (routes,
/// backpressure, GIL). `gilContended`: a thread waited for the GIL during the span, or nobody
/// counted (the check then assumes it, when two threads can want the GIL at once).
DomainTheory domainTheory(const std::array<DomainResult, kDomainCount> &domains, const Scenario &config,
    bool gilContended, DomainKind d, int cores);

/// `domains.NAME.theory` of the run JSON.
QJsonObject domainTheoryJson(const DomainTheory &t);

} // namespace hs
