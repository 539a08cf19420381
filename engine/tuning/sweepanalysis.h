#pragma once

#include "results/theory.h"
#include "sim/simulator.h"
#include "tuning/sweepplan.h"
#include "tuning/sweeprunner.h"

#include <QString>

#include <optional>
#include <vector>

namespace hs {

/// The knee of one class's P99 curve against the varied value (theory::findKnee).
struct SweepKnee {
    QString path;
    QString className;
    double value = 0; ///< in the varied path's own terms (workers, load factor, ...)
    QString method;
};

struct SweepUsl {
    QString path;
    theory::UslFit fit;
};

/// The cheapest point whose classes all meet their SLA (DESIGN §10 `recommendation`).
struct SweepRecommendation {
    SweepValues values;
    std::optional<double> cost; ///< workers over the varied pools; the load factor for a load sweep
    bool allSlaMet = false;
    QString reason;
};

/**
 * The cheapest fixed size of an autoscaled pool that meets every class's P99 SLA with its policy
 * off (DESIGN §13): what a policy bake-off (`--vary domains.D.autoscale.policy=...`) compares each
 * policy's cost with. Found by the tune's search (tuning/bakeoff.h) within a budget.
 */
struct SweepBaseline {
    DomainKind domain = DomainKind::Threads;
    int workers = 0;
    double workerSeconds = 0; ///< of `domain` over the measured span, mean over the reps
    double workersMean = 0; ///< workerSeconds per measured second
    double measuredS = 0;
    std::vector<SweepClassFigures> classes; ///< at that size
    QString source = QStringLiteral("engine"); ///< or "sim"
    double budgetS = 0; ///< the search's wall-time budget
    QString search; ///< how the search ended (the tune's stop reason)
};

/**
 * A whole sweep: its plan, the points measured (in plan order; fewer than planned when stopped)
 * and what analyzeSweep() found in them.
 *
 *     SweepResult r = ...;   // axes, points, run settings
 *     analyzeSweep(r);       // knee, usl, recommendation
 *     QJsonObject json = sweepToJson(r);   // tuning/sweepreport.h
 */
struct SweepResult {
    QString scenarioName, scenarioSource;
    QString mode = QStringLiteral("engine");
    std::vector<VaryAxis> axes;
    int plannedPoints = 0;
    bool interrupted = false; ///< stopped (Ctrl+C) before the last point
    double durationS = 0, warmupS = 0;
    int reps = 1;
    int cores = 0; ///< the machine's (0: QThread::idealThreadCount()); a CPU pool up to it never oversubscribes
    /// Simulated sweeps: the cores simulated (simCores, fractional with a calibration's effective
    /// cores), the calibration's source and what the points extrapolate beyond it (DESIGN §12).
    double simCores = 0;
    QString calibration;
    std::vector<Extrapolation> extrapolation;
    double wallS = 0;
    std::vector<SweepPointResult> points;

    std::vector<SweepKnee> knees; ///< per class, where one was found (1-D sweeps)
    std::optional<SweepKnee> knee; ///< the first on the way to overload: the most workers, the least load
    QString kneeWhy; ///< when none
    std::optional<SweepUsl> usl;
    QString uslWhy; ///< when none
    /// CPU pools: the most workers that still help: the cores, or more while throughput still
    /// rises and the USL's N* allows; above it is oversubscription and never recommended. Per pool
    /// path, with its reason.
    std::vector<std::pair<QString, QString>> cpuLimits;
    std::optional<SweepRecommendation> recommendation;
    QString recommendationWhy; ///< when none

    /// A policy bake-off (one axis `domains.D.autoscale.policy`): the cheapest fixed size of D
    /// (none when nothing within the bounds and budget meets every SLA: baselineWhy says why).
    std::optional<SweepBaseline> baseline;
    QString baselineWhy;
    /// The domain of a `domains.D.autoscale.policy` axis, if one is varied.
    std::optional<DomainKind> bakeoffDomain() const;
};

/// A bake-off point's cost relative to the fixed baseline: D's mean pool size over the baseline's
/// (its worker-seconds over the baseline's, per measured second, so spans that differ by a timer
/// tick do not count); nullopt when either is 0 or D is not at the point.
std::optional<double> costRatio(const SweepPointResult &point, const SweepBaseline &baseline);
/// The domain's figures at a point; nullptr when the point has none.
const SweepDomainFigures *domainAt(const SweepPointResult &point, DomainKind domain);

/// Share of the highest throughput from which more workers of a CPU pool count as "not rising".
inline constexpr double kThroughputPlateau = 0.90;
/// Share of a class's tasks rejected or failed above which the recommendation's reason says so.
inline constexpr double kLostNotice = 0.01;
/// Points a USL fit needs (DESIGN §11).
inline constexpr int kUslMinPoints = 5;

/// Fills knees/knee, usl and recommendation from the points.
void analyzeSweep(SweepResult &r);

} // namespace hs
