#pragma once

#include "core/kinds.h"
#include "results/runresult.h"
#include "results/theory.h"
#include "scenario/scenario.h"
#include "tuning/sweepplan.h"

#include <QString>
#include <QStringList>

#include <functional>
#include <mutex>
#include <optional>
#include <vector>

namespace hs {

class Engine;

/// One class at one sweep point (DESIGN §10 `points[].classes`).
struct SweepClassFigures {
    QString name;
    double throughput = 0; ///< completions per second over the measured span (mean over the reps)
    std::uint64_t samples = 0; ///< completed tasks measured, all reps together
    std::uint64_t submitted = 0; ///< tasks that arrived while measured, all reps together
    std::uint64_t lost = 0; ///< of those, rejected or failed (the P99 covers completed tasks only)
    std::uint64_t rejected = 0; ///< of the lost, turned away by backpressure (reject, drop_oldest)
    std::optional<double> p50Ms; ///< of all reps' latencies together; none without samples
    std::optional<double> p99Ms; ///< reps >= 2: the mean of the reps' P99s (the interval's centre)
    /// The 95 % interval of the P99 (docs/tuning.md "Sweeps"): replications (Student t over the
    /// reps' P99s) with 2+ reps that measured, else the order-statistic interval of one run.
    std::optional<double> ciLoMs, ciHiMs; ///< ciHiMs absent: too few samples to bound it from above
    QString ciMethod; ///< "replications" or "order statistics"
    std::vector<double> repP99Ms; ///< each rep's P99 (reps that completed a task)
    std::optional<double> slaP99Ms;
    bool slaMet = false; ///< an SLA, and the interval's upper end under it
    /// DESIGN §15: the P99 from dispatch (what a closed-loop load tester reports), of all reps'
    /// naive latencies together; none without samples.
    std::optional<double> naiveP99Ms;
};

/// One domain at one sweep point (DESIGN §10 `points[].domains`), with the theory's prediction.
struct SweepDomainFigures {
    DomainKind kind = DomainKind::Threads;
    int workers = 0;
    double utilization = 0;
    double queueMean = 0;
    double waitMeanMs = 0;
    double pWait = 0;
    double arrivalRate = 0; ///< stages admitted per second
    double serviceMeanMs = 0;
    double serviceScv = 0;
    bool cpuBound = false; ///< runs cpu stages
    /// The cost: workers × seconds they existed over the measured span (mean over the reps); with
    /// autoscale it follows the resizes (DESIGN §13 `worker_seconds`).
    double workerSeconds = 0;
    double workersMean = 0; ///< workerSeconds per measured second: the mean pool size
    /// A policy other than off ran here: its figures over the reps' whole runs (mergeAutoscale).
    std::optional<AutoscaleResult> autoscale;
    theory::Prediction predicted; ///< predicted.applies false: `why` says which assumption fails
};

/// What one point measured: every rep's figures over [warmup, end of arrivals], combined.
struct SweepPointResult {
    SweepValues values;
    double durationS = 0, warmupS = 0;
    double measuredS = 0; ///< per rep, mean
    int reps = 0; ///< reps that ran
    bool complete = true; ///< false: stopped before the end (Ctrl+C twice); not reported
    bool conserved = true; ///< every rep: submitted = completed + failed + rejected + cancelled
    std::vector<SweepClassFigures> classes;
    std::vector<SweepDomainFigures> domains; ///< the domains the scenario uses
    QStringList findings; ///< rule names that fired during a measured span
    double wallS = 0;
    bool allSlasMet() const; ///< every class with an SLA met it (and at least one has an SLA)
};

/// Each domain's autoscale figures of one run (RunResult::domains[].autoscale).
using DomainAutoscale = std::array<std::optional<AutoscaleResult>, kDomainCount>;
DomainAutoscale domainAutoscale(const RunResult &run);

/// One domain's autoscale figures over several reps: the last rep's policy, the resizes of all
/// reps summed, the smallest and largest size any rep had; nullopt when no rep autoscaled it.
std::optional<AutoscaleResult> mergeAutoscale(const std::vector<DomainAutoscale> &reps, DomainKind domain);

/// A point's class and domain figures (and `measuredS`, `findings`) from each rep's measured
/// phase: the part of runPoint that does not run anything, shared with simulated points. `cores`:
/// the machine's (or the simulated) cores the theory's prediction assumes. `autoscale`: per rep,
/// its run's autoscale figures (empty: none).
SweepPointResult pointFigures(const Scenario &scenario, const std::vector<PhaseResult> &measured,
    const QStringList &findings, int cores, const std::vector<DomainAutoscale> &autoscale = {});

/// The 97.5 % quantile of Student's t with `df` degrees of freedom (a two-sided 95 % interval).
double studentT975(int df);

/// The mean of independent replications `v` with its 95 % interval (Student t); no interval from
/// fewer than two values.
struct MeanInterval {
    double mean = 0;
    std::optional<double> lo, hi;
};
MeanInterval replicationInterval(const std::vector<double> &v);

/**
 * Runs sweep points on the real engine, one after another on the calling thread (which needs a
 * QCoreApplication: each run's end arrives through its event loop). A point is `reps` full runs
 * of `duration` seconds with seeds seed, seed+1, ...; each run's figures start after `warmup`
 * (EngineOptions::warmupSeconds) and end with its arrivals.
 *
 *     SweepRunner runner;
 *     runner.onProgress = [](int rep, double t) { ... };       // about twice a second
 *     auto p = runner.runPoint(scenario, values, 5.0, 1.0, 3, &error);
 *     // from another thread (a signal watcher): runner.stopNow();
 */
class SweepRunner {
public:
    /// Called on the runner's thread while a rep runs: the rep (from 0) and seconds into it.
    std::function<void(int rep, double t)> onProgress;
    /// Called on the runner's thread right after each rep's engine started, e.g. to connect a
    /// window's live plots to its frames (queued: the engine is destroyed when the rep ends).
    std::function<void(Engine &engine)> onEngineStarted;
    /// Called on the runner's thread when each rep's engine has finished, before it is destroyed:
    /// the rep (from 0) and its engine, e.g. to keep the rep's frames (Engine::frames()).
    std::function<void(int rep, Engine &engine)> onEngineFinished;

    /// `scenario` has the point's values applied already (parse with pointOverrides, scaleLoad).
    /// nullopt when a run cannot start (*error says why).
    std::optional<SweepPointResult> runPoint(
        const Scenario &scenario, const SweepValues &values, double duration, double warmup, int reps, QString *error);

    /// Stops the run in progress now (gracefully: arrivals stop, tasks drain) and every later
    /// rep; the point is then not complete. Thread-safe.
    void stopNow();
    bool stopped() const;

private:
    mutable std::mutex m_mutex;
    Engine *m_current = nullptr;
    bool m_stop = false;
};

} // namespace hs
