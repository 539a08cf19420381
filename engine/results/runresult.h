#pragma once

#include "core/frame.h"
#include "core/latencyhistogram.h"
#include "domains/domain.h"
#include "domains/gil.h"
#include "domains/trace.h"
#include "results/diagnostics.h"
#include "scenario/scenario.h"

#include <QJsonObject>
#include <QMap>
#include <QMetaType>
#include <QString>

#include <algorithm>
#include <array>
#include <memory>
#include <vector>

namespace hs {

struct ClassResult {
    QString name;
    std::uint64_t submitted = 0, completed = 0, failed = 0, rejected = 0, cancelled = 0;
    double throughput = 0; ///< completions per second over the run
    HistogramSnapshot latency; ///< end-to-end, from the intended arrival (completed tasks)
    HistogramSnapshot hop; ///< stage-to-stage hop cost, queueing excluded
    HistogramSnapshot ipc; ///< procs stages: serialization + transfer time, both ways
    HistogramSnapshot gilWait; ///< cpu stages under the GIL (loop, threads, procs): time waiting for it
    /// DESIGN §15 `latency_naive_ms`: completion minus the time the task was actually dispatched
    /// (what a closed-loop load tester reports); `latency` is from the intended time.
    HistogramSnapshot latencyNaive;
    std::optional<double> slaP99Ms;
    QMap<QString, std::uint64_t> failureReasons; ///< reason -> count (failed, rejected, cancelled)
    bool slaMet() const;
};

/// An autoscaled domain's figures (DESIGN §13): the policy at the end of the run (the last one
/// that was on, if it was turned off), the controller's resizes and the range of sizes it had.
/// Who waited for a lock, and who held it meanwhile (DESIGN §15, the lock_contention finding).
struct LockWaitEdge {
    int waiterClass = -1, waiterStage = -1;
    DomainKind waiterDomain = DomainKind::Threads;
    int holderClass = -1, holderStage = -1; ///< -1: not known (a thread-scope copy in a worker)
    std::optional<DomainKind> holderDomain;
    std::uint64_t waits = 0; ///< contended acquisitions
    double waitMs = 0; ///< total time waited
};

/// One shared resource of a run (DESIGN §15 JSON `locks`): the lock of that name and/or the shared
/// counter of that name, in the order of their first use in the scenario.
struct LockResult {
    QString name;
    std::optional<LockScope> scope; ///< none: only a counter of that name (updated without a lock named so)
    std::uint64_t acquisitions = 0;
    std::uint64_t contended = 0;
    std::uint64_t timeouts = 0;
    std::uint64_t recovered = 0; ///< process locks recovered after their holder died (EOWNERDEAD)
    HistogramSnapshot wait; ///< every acquisition's wait (0 when uncontended) and timed-out waits
    bool counter = false; ///< some stage has `update:` with this name
    std::uint64_t updatesExpected = 0;
    std::uint64_t updatesSeen = 0;
    std::uint64_t lostUpdates() const { return updatesExpected > updatesSeen ? updatesExpected - updatesSeen : 0; }
    std::vector<LockWaitEdge> edges; ///< most waited first
};

struct AutoscaleResult {
    AutoscalePolicy policy = AutoscalePolicy::Off;
    int resizes = 0;
    int workersMin = 0;
    int workersMax = 0;
};

struct DomainResult {
    DomainKind kind = DomainKind::Threads;
    bool used = false; ///< started in this run
    DomainTotals totals;
    /// Set when a policy other than off ran on this domain at some point of the run.
    std::optional<AutoscaleResult> autoscale;
    /// The cost: workers × seconds they existed, over the run (DESIGN §13 `worker_seconds`).
    double workerSeconds() const { return totals.capacityNs / 1e9; }
};

/**
 * The figures of one phase: the stretch of a run between two live changes (resize, route,
 * backpressure, GIL, lesson step), so that each configuration is measured on its own. The figures
 * cover [fromS + settleS, toS]: the settle time lets the backlog of the previous configuration
 * drain first (results/phases.h says how long it is). A phase that ended before it settled has
 * no figures (settled false).
 */
struct PhaseResult {
    double fromS = 0; ///< the change that started it; 0 for the first phase
    double toS = 0; ///< the next change, the end of arrivals, or now while the phase is open
    double settleS = 0; ///< from fromS until the figures start
    bool settled = false;
    bool open = false; ///< still going on (live figures)
    QString change; ///< what started it: "start", or the changes' labels joined with "; "
    /// The configuration in effect during the phase: the run's scenario with every live change up
    /// to this phase applied (workers, backpressure, routes, GIL). Shared, never modified.
    std::shared_ptr<const Scenario> config;
    std::vector<ClassResult> classes; ///< counts, throughput and histograms over the measured span
    std::array<DomainResult, kDomainCount> domains;
    HistogramSnapshot loopLag;
    double measuredS() const { return settled ? std::max(0.0, toS - fromS - settleS) : 0.0; }
};

/**
 * Everything a finished run measured: the input of every report (summary table, JSON, CSV).
 *
 *     RunResult r = engine.result();
 *     bool ok = r.conserved();
 */
struct RunResult {
    Scenario scenario;
    double durationS = 0;
    std::vector<ClassResult> classes;
    std::array<DomainResult, kDomainCount> domains;
    HistogramSnapshot loopLag;
    std::vector<Frame> frames;
    std::vector<RunEvent> events;
    std::vector<Finding> findings;
    /// One entry per configuration: the first from the start, a new one at every live change.
    std::vector<PhaseResult> phases;
    std::uint64_t doubleEnds = 0; ///< tasks that tried to end twice (must stay 0)
    bool gilUsed = false; ///< GIL emulation was on at some point of the run
    bool gilEnabled = false; ///< ... and at its end
    GilStats gil; ///< the engine's GIL (loop and threads; worker processes have their own)
    std::vector<LockResult> locks; ///< DESIGN §15, empty when no stage takes a lock or updates a counter
    /// The stage spans for the trace export (writeChromeTrace); set once the run finished, null
    /// before or when EngineOptions::trace was off.
    std::shared_ptr<const TraceLog> trace;
    /// Empty for a run of the engine; for a run of the simulator, its `simulation` object (DESIGN
    /// §12: cores, reps, events, calibration, …), and every JSON of this result says `mode:
    /// "simulated"` (runToJson), so no simulated figure leaves without its mark.
    QJsonObject simulation;
    bool simulated() const { return !simulation.isEmpty(); }

    std::uint64_t submitted() const;
    std::uint64_t completed() const;
    std::uint64_t failed() const;
    std::uint64_t rejected() const;
    std::uint64_t cancelled() const;
    /// submitted = completed + failed + rejected + cancelled, per class and in total.
    bool conserved() const;
    bool allSlasMet() const;
};

} // namespace hs

Q_DECLARE_METATYPE(std::vector<hs::PhaseResult>)
