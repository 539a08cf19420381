#pragma once

#include "core/kinds.h"
#include "scenario/scenario.h"
#include "sim/simulator.h"
#include "tuning/sweeprunner.h"
#include "tuning/tunesearch.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>
#include <optional>
#include <vector>

namespace hs {

/// What `hybridscope tune` (or the GUI's Tune button) asks for (DESIGN §10).
struct TuneOptions {
    std::vector<DomainKind> domains; ///< the pools to size; empty: every pool the scenario routes a stage to
    double budgetS = 120; ///< wall time for the whole tune, the measuring run included
    double durationS = 5; ///< each point's run, warm-up included
    double warmupS = 1;
    int reps = 1; ///< seeds per point; an uncertain verdict is measured again with more
    int cores = 0; ///< the machine's (0: QThread::idealThreadCount()): a CPU pool's upper bound
    /// Points in virtual time (`tune --sim`, DESIGN §12) on `sim.cores` cores instead of the engine.
    bool simulate = false;
    SimOptions sim;
    /// With `simulate`: the K cheapest configurations that met every SLA in simulation run again
    /// on the engine; the answer is then the cheapest that met on the engine.
    int confirm = 0;
};

/// The theory's starting point for one tuned domain, from the measuring run (DESIGN §11).
struct TuneStart {
    DomainKind kind = DomainKind::Threads;
    int lo = 1, hi = 1, start = 1;
    double arrivalRate = 0; ///< stages per second into the domain, measured
    double serviceMeanS = 0; ///< measured
    std::optional<double> targetS; ///< the P99 the domain's share must meet: the tightest SLA of
                                   ///< the classes using it, less their mean time elsewhere
    bool cpuBound = false;
    QString why; ///< how start, lo and hi were chosen
};

/// One configuration the tune ran on the engine.
struct TunePoint {
    Workers workers {};
    SweepPointResult point; ///< its measured figures (values: domains.NAME.workers)
    TuneVerdict verdict;
    QString why; ///< "measure: …", "start: the theory's prediction", "bisect threads down: 4 … 8", …
    QString source = QStringLiteral("engine"); ///< or "sim"
};

/// A whole tune: where it started, every point evaluated in order, the answer and why it stopped.
struct TuneResult {
    QString scenarioName, scenarioSource;
    double load = 1;
    double budgetS = 0, wallS = 0;
    double durationS = 0, warmupS = 0;
    int reps = 1;
    int cores = 0;
    bool simulated = false; ///< the search ran in virtual time (tune --sim)
    double simCores = 0; ///< simCores(TuneOptions::sim): fractional with a calibration's effective cores
    QString calibration; ///< SimCosts::source of the simulated points
    std::vector<Extrapolation> extrapolation; ///< over every simulated point (DESIGN §12)
    int confirm = 0;
    std::vector<TuneStart> starts;
    std::vector<TunePoint> evaluated; ///< the measuring run first
    std::optional<std::size_t> best; ///< index into evaluated: the cheapest that met every SLA
    QString stopReason;
    bool infeasible = false; ///< nothing within the bounds meets every SLA (exit 1)
    QStringList infeasibleWhy; ///< per class that cannot be met: why, and what would help
    bool cancelled = false;
};

/**
 * Finds the cheapest configuration of a scenario's pools that meets every class's P99 SLA, on the
 * real engine (DESIGN §10): one measuring run at the scenario's own sizes gives each tuned
 * domain's arrival rate and service time; Erlang C (theory::smallestServersFor) turns them into
 * a starting size per domain; TuneSearch confirms and corrects it on the engine. A verdict that
 * the interval leaves open (the P99 under the SLA, the interval's upper end not) is measured
 * again with more reps while the budget allows. Runs on the calling thread, which needs a
 * QCoreApplication (SweepRunner).
 *
 *     Tuner tuner;
 *     tuner.onPoint = [](const TunePoint &p) { show(p); };
 *     QString error;
 *     const TuneResult r = tuner.run(scenario, options, &error);   // scenario: load already applied
 *     if (r.best) apply(r.evaluated[*r.best].workers);
 */
class Tuner {
public:
    /// Before each point: its number (from 1), its workers and why it is run.
    std::function<void(int point, const Workers &workers, const QString &why)> onPointStart;
    /// While a point runs (SweepRunner::onProgress).
    std::function<void(int rep, double t)> onProgress;
    /// After each point.
    std::function<void(const TunePoint &)> onPoint;
    /// Right after each rep's engine starts, with the point's scenario (the GUI's live plots
    /// follow it; SweepRunner::onEngineStarted).
    std::function<void(Engine &engine, const Scenario &scenario)> onEngineStarted;
    /// When each rep's engine has finished, before it is destroyed (SweepRunner::onEngineFinished):
    /// e.g. to keep the point's frames.
    std::function<void(int rep, Engine &engine)> onEngineFinished;

    /// The pools `scenario` routes stages to (the default of --domains).
    static std::vector<DomainKind> usedPools(const Scenario &scenario);
    /// The wall time one point of `reps` runs of `durationS` takes, about (the drain and start included).
    static double pointCostS(double durationS, int reps);
    /// `scenario` with the tuned domains' workers set to `workers` (0 entries left alone).
    static Scenario withWorkers(const Scenario &scenario, const Workers &workers);
    /// `domains.NAME.workers` = N for every tuned domain, in domain order.
    static SweepValues workerValues(const Workers &workers);

    /// nullopt when the engine cannot start (*error says why); a cancelled tune returns what it has.
    std::optional<TuneResult> run(const Scenario &scenario, double load, const TuneOptions &options, QString *error);

    /// Stops after the point in progress (stopNow: now; that point is then not counted). Thread-safe.
    void stop();
    void stopNow();

private:
    std::optional<TunePoint> evaluate(const Scenario &scenario, const Workers &workers, const QString &why);
    /// One point of `reps` at `workers`, on the engine or in virtual time; nullopt when stopped
    /// or the engine cannot start (m_error).
    std::optional<SweepPointResult> runOne(const Scenario &s, const Workers &workers, int reps, bool onEngine);
    double costS(int reps, bool onEngine) const;
    void confirmOnEngine(const Scenario &scenario, TuneResult &r);

    SweepRunner m_runner;
    std::atomic<bool> m_stop { false };
    const TuneOptions *m_options = nullptr;
    TuneResult *m_result = nullptr;
    QString m_error;
    QString m_pendingWhy;
    std::vector<DomainKind> m_tuned;
    bool m_budgetHit = false;
    double m_simPointS = 0.5; ///< the wall time of a simulated rep, as last measured
};

/// Why the classes that missed at `point` cannot be met by sizing `tuned` (e.g. "the loop is
/// saturated by pipeline.transform: no pool size helps; route it off the loop"). `hopelessOnly`:
/// only the reasons no size of the tuned domains can change (a saturated domain that is not
/// tuned, stages longer than the SLA), not "at the upper bound".
QStringList explainMisses(const Scenario &scenario, const SweepPointResult &point, const std::vector<DomainKind> &tuned,
    const std::vector<TuneStart> &bounds, bool hopelessOnly = false);

/// `hybridscope.tune/1` (DESIGN §10), with `stop_reason`, `infeasible`, `starts` and each
/// evaluated point's figures as in a sweep point.
QJsonObject tuneToJson(const TuneResult &r);
/// What `hybridscope tune` prints: the start, each point with its verdict, the answer and why it stopped.
QString tuneSummary(const TuneResult &r);

} // namespace hs
