#pragma once

#include "results/runresult.h"

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace hs {

/**
 * Phases (DESIGN §9 `phases`, docs/metrics.md): a run's figures per configuration. The engine
 * takes a RunCumulative (every counter and histogram since the start) when a phase's figures start
 * and another when it ends; phaseFigures() subtracts them.
 *
 * Settle time: a phase's figures start once both
 *   - kSettleMinS has passed since the change: the live P99 window is 1 s long, so from then on
 *     the live figures and the phase's figures describe the same configuration; and
 *   - the backlog of the previous configuration has drained, measured in drain rounds. A round
 *     ends when every task that had arrived when it began has ended (queues are FIFO per domain,
 *     so this is when they are out, to within the few that overtake each other across classes).
 *     While a backlog drains, each round is shorter than the one before; once the queue is at the
 *     new configuration's own level a round lasts about one sojourn time and stops shrinking
 *     (or grows, when the new configuration cannot keep up: that queue is its own doing). Rounds
 *     go on while each is below kSettleRoundShrink times the previous one.
 * Changes closer together than kJoinS (the parts of one lesson step) start one phase.
 *
 *     RunCumulative a = ..., b = ...;           // the engine's counters at two moments
 *     PhaseResult p = phaseFigures(a, b, queueMaxima);
 *     auto ci = quantileInterval(p.classes[0].latency, 0.99);
 */
inline constexpr double kSettleMinS = 1.0;
inline constexpr double kJoinS = 0.25;
inline constexpr double kSettleRoundShrink = 0.8;

/// The counters and histograms of a running engine at one moment, all since the start.
struct RunCumulative {
    double t = 0; ///< seconds since the run started
    std::vector<ClassResult> classes; ///< counts and histograms (throughput unused)
    std::array<DomainResult, kDomainCount> domains;
    HistogramSnapshot loopLag;
    /// Tasks that ended so far (any outcome) and tasks created so far.
    std::uint64_t ended() const;
    std::uint64_t submitted() const;
};

/// What happened between `start` and `end` (two RunCumulative of one run, start first): counts
/// and histograms subtracted, utilization and mean queue from the time integrals, throughput over
/// the span. `queueMax` is each domain's largest queue seen in the frames of the span.
PhaseResult phaseFigures(
    const RunCumulative &start, const RunCumulative &end, const std::array<int, kDomainCount> &queueMax);

/// A distribution-free confidence interval for the q-quantile of the population a histogram
/// sampled: the order statistics X(l), X(u) with P(l <= B < u) >= confidence for B ~ Bin(n, q)
/// (exact binomial tails). `hi` is absent when the sample is too small to bound the quantile from
/// above (a P99 from 100 samples, say). Values in ns, at the histogram's resolution (0.4 %).
struct QuantileInterval {
    double lo = 0;
    std::optional<double> hi;
};
std::optional<QuantileInterval> quantileInterval(const HistogramSnapshot &h, double q, double confidence = 0.95);

/// "met" when the P99 interval lies under the SLA, "missed" when above it, "uncertain" when the SLA
/// lies inside it (too few samples to tell), "none" without an SLA or samples.
QString slaVerdict(const ClassResult &c);

} // namespace hs
