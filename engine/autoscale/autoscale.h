#pragma once

// Adaptive pool sizing (DESIGN §13, docs/autoscale.md): a controller per autoscaled domain sees
// one AutoscaleSample per `interval` and answers with the size the pool should have. The engine's
// monitor thread and the simulator both build the samples from two DomainTotals of the domain and
// apply the answer through their own resize path (the one a user's resize takes).

#include "core/kinds.h"
#include "domains/domain.h"
#include "scenario/scenario.h"

#include <QString>

#include <cstdint>
#include <functional>
#include <memory>

namespace hs {

/// What a controller sees of its domain over one interval (all times in seconds).
struct AutoscaleSample {
    double t = 0; ///< end of the interval, seconds since the run started
    double intervalS = 0; ///< its length
    int workers = 0; ///< the pool's size now (after any earlier decision took effect)
    double workersMean = 0; ///< time-averaged workers over the interval (a shrink waits for running stages)
    double busyMean = 0; ///< time-averaged busy workers over the interval
    double queueMean = 0; ///< time-averaged queue depth over the interval
    int queueNow = 0; ///< queue depth at the end of the interval
    std::uint64_t admitted = 0; ///< stages admitted into the domain during the interval
    std::uint64_t completed = 0; ///< stages that ended in the domain during the interval
    std::uint64_t rejected = 0; ///< stages refused or dropped by backpressure during the interval
    std::uint64_t serviced = 0; ///< stages whose service time was recorded during the interval
    double serviceMeanS = 0; ///< their mean service time; 0 when none
    double serviceLowS = 0; ///< its 10th percentile (a no-load estimate that one outlier cannot set)
    double serviceP99S = 0;
    double waitMeanS = 0; ///< mean queue wait of the stages that started during the interval
    double waitP99S = 0;
    /// Completions per second over the interval.
    double throughput() const { return intervalS > 0 ? double(completed) / intervalS : 0.0; }
    /// busy / workers over the interval.
    double utilization() const { return workersMean > 0 ? busyMean / workersMean : 0.0; }
};

/// The figures of `d` between two of its totals (`earlier` taken `intervalS` before `later`).
/// `workersNow`, `queueNow` and `rejected` come from the domain's frame at the end.
AutoscaleSample autoscaleSample(const DomainTotals &earlier, const DomainTotals &later, double t, int workersNow,
    int queueNow, std::uint64_t rejected);

/// A controller's answer: the size the pool should have from now on, and why in a few words
/// ("queue 37 > 2 × 8 workers for 2 intervals"). `workers` equal to the sample's: no change.
struct AutoscaleDecision {
    int workers = 0;
    QString reason;
};

/// Switches for comparisons (tests, the autoscale lesson's bake-off); runs use the defaults.
struct AutoscaleVariant {
    /// aimd, gradient and vegas as published, without this project's fixes (docs/autoscale.md,
    /// "What we changed"): the unfixed rules, to measure what the fixes do.
    bool publishedRules = false;
    /// The no-gain guard shared by every policy; off only to look at a policy's law alone.
    bool noGainGuard = true;
};

/**
 * One policy's control law (docs/autoscale.md says which published rules, with which
 * parameters), plus what every policy shares: sizes kept within [min, max], and the no-gain
 * guard: after a growth that did not raise the saturated throughput (CPU-bound work on a machine
 * out of cores), the pool goes back and does not grow past that size again for a while.
 *
 *     auto c = makeAutoscaleController(cfg, DomainKind::Threads, 4);
 *     AutoscaleDecision d = c->step(sample);   // once per cfg.interval
 *     if (d.workers != sample.workers) engine.resize(...);
 */
class AutoscaleController {
public:
    virtual ~AutoscaleController() = default;
    /// One interval's sample in, the size out (within [min, max]).
    AutoscaleDecision step(const AutoscaleSample &s);
    const AutoscaleConfig &config() const { return m_cfg; }
    DomainKind domain() const { return m_domain; }
    /// A user (or a lesson step) resized the pool: the controller goes on from `workers`.
    virtual void resizedByUser(int workers);
    /// The largest size the no-gain guard allows now; 0: no cap.
    int noGainCap() const { return m_cap; }

protected:
    AutoscaleController(
        const AutoscaleConfig &cfg, DomainKind d, int workers, double targetP99S, const AutoscaleVariant &variant = {});
    /// The policy's law: the size it wants (before bounds and the guard), with its reason.
    virtual AutoscaleDecision propose(const AutoscaleSample &s) = 0;
    /// A policy whose law reads an idle interval itself; the others are only halved when idle.
    virtual bool decidesWhenIdle() const { return false; }

    AutoscaleConfig m_cfg;
    DomainKind m_domain;
    int m_min, m_max;
    double m_targetP99S; ///< the config's target_p99, else the domain's tightest class SLA; 0: none
    int m_cap = 0;
    AutoscaleVariant m_variant;

private:
    AutoscaleDecision guardAndBound(const AutoscaleSample &s, AutoscaleDecision d);
    void forgetGrowth();

    // The no-gain guard's memory: the last growth and the throughput before it.
    int m_grewFrom = 0;
    int m_grewTo = 0;
    double m_rateBefore = 0;
    double m_beforeS = 0; ///< the saturated seconds m_rateBefore was measured over
    double m_capSetAtS = 0;
    double m_capHoldS = 0; ///< how long the cap holds; doubles when the same growth fails again
    int m_lastCapped = 0;
    // Completions and time since the growth took effect (the check waits for enough of them).
    std::uint64_t m_afterCompleted = 0;
    double m_afterS = 0;
    int m_afterIntervals = 0;
    // Completions and time of the saturated intervals at the present size (the rate before a growth).
    std::uint64_t m_satCompleted = 0;
    double m_satS = 0;
    int m_satWorkers = 0;
    int m_idleIntervals = 0; ///< consecutive intervals with no completion and no queue
};

/// The tightest P99 SLA of the classes with a stage in `d`, `route(class, stage)` saying where
/// each stage runs (the engine's live routes, the simulator's file routes); 0: none. The target
/// a controller holds when the config gives none.
double tightestSlaIn(const Scenario &s, DomainKind d, const std::function<DomainKind(int, int)> &route);

/// The controller for `cfg.policy` (null for Off) of a domain that now has `workers`.
/// `targetP99S`: the figure to hold when `cfg.targetP99` is 0 (the tightest SLA of the classes
/// with a stage in the domain; 0: none).
std::unique_ptr<AutoscaleController> makeAutoscaleController(
    const AutoscaleConfig &cfg, DomainKind d, int workers, double targetP99S);
/// The same with the switches of `variant` (comparisons only).
std::unique_ptr<AutoscaleController> makeAutoscaleController(
    const AutoscaleConfig &cfg, DomainKind d, int workers, double targetP99S, const AutoscaleVariant &variant);

} // namespace hs

namespace hs {

/**
 * The events of one domain's controller resizes, merged so that the plots stay readable: the
 * first resize after a quiet second is told at once, later ones within the second are gathered
 * into one event ("threads autoscale (queue): 2 → 9 workers in 3 resizes, last: ...") told when
 * the second has passed. The engine and the simulator both use it.
 */
class AutoscaleEvents {
public:
    /// A resize at `t` seconds: the label of an event to add now, or empty (merged, told later).
    QString resized(double t, DomainKind d, AutoscalePolicy p, int from, int to, const QString &reason);
    /// The merged event once its second has passed at `t` (any time when `force`); empty: none.
    QString due(double t, bool force = false);

private:
    QString label() const;
    double m_lastToldS = -1e300;
    DomainKind m_domain = DomainKind::Threads;
    AutoscalePolicy m_policy = AutoscalePolicy::Off;
    int m_from = 0, m_to = 0, m_count = 0;
    QString m_reason;
};

} // namespace hs
