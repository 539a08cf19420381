#pragma once

#include "sim/simulator.h"

#include <QJsonObject>
#include <QString>

#include <array>
#include <functional>
#include <optional>
#include <vector>

namespace hs {

/// A measured figure: the mean of `n` samples and its 95 % interval [lo, hi] (Student t).
struct Measured {
    double mean = 0;
    double lo = 0;
    double hi = 0;
    int n = 0;
    /// From samples (seconds); with fewer than two the interval is the mean itself.
    static Measured of(const std::vector<double> &samples);
    /// From a histogram of nanoseconds (its mean, variance and count), in seconds.
    static Measured ofHistogram(double meanNs, double varianceNs2, std::uint64_t count);
    double halfWidth() const { return (hi - lo) / 2; }
};

/// One point of a cost against size: `bytes` moved and the time it took.
struct SizePoint {
    double bytes = 0;
    Measured s;
};

/// A straight line t = intercept + slope × bytes fitted by weighted least squares (each point
/// weighted by 1 / its standard error²), with 95 % intervals of both from those errors.
struct LineFit {
    double intercept = 0, interceptLo = 0, interceptHi = 0;
    double slope = 0, slopeLo = 0, slopeHi = 0;
    static std::optional<LineFit> fit(const std::vector<SizePoint> &points);
};

/// Where `procs` starts to beat `threads` for a cpu stage of `stageS` under the GIL (DESIGN §12,
/// docs/simulation.md "Thread or process"): procs wins for a payload (in + out) below `bytes`.
struct BreakEven {
    enum class Verdict { Below, Never, Always };
    double stageS = 0;
    Verdict verdict = Verdict::Never;
    double bytes = 0; ///< with Below
};

/**
 * A calibration of this machine (`hybridscope calibrate`, DESIGN §12): the costs the simulator
 * charges, each measured on the real engine or its domains with a 95 % interval, the points the
 * per-byte costs were fitted to, and the largest values measured (SimCosts::ranges).
 *
 *     QString error;
 *     std::optional<CalibrationProfile> p = calibrate(CalibrationOptions {}, {}, &error);
 *     writeCalibration(*p, calibrationPath(), &error);
 */
struct CalibrationProfile {
    QString hostname, cpuModel;
    int vcpus = 1;
    double effectiveCores = 1;
    QString date; ///< ISO 8601, UTC
    bool quick = false;
    double wallS = 0;
    SimCosts costs; ///< the fitted costs, effective cores and ranges; source "calibration of ..."
    std::array<Measured, kDomainCount> wake {};
    Measured hop, timerLateness, workerStart, fsync;
    Measured effectiveCoresMeasured; ///< the parallel probes (effectiveCores is their mean)
    Measured highRateWait; ///< threads' wait at `highRate` arrivals a second
    double highRate = 0, highRateThroughput = 0;
    std::vector<SizePoint> copy, shm, net, disk; ///< bytes: procs payload in + out, net answer, disk file
    LineFit copyFit, shmFit, netFit, diskFit;
};

inline constexpr const char *kCalibrationSchema = "hybridscope.calibration/1";

struct CalibrationOptions {
    bool quick = false; ///< fewer sizes and samples: about 7 s instead of about 25 s
    /// Told of each step; false stops the calibration (an error "cancelled").
    std::function<bool(const QString &step)> progress;
};

/// Measures this machine: the engine's runs and the domains' work, about 25 s (quick: about 7 s).
/// Needs a QCoreApplication (the engine's event loop) and the hybridscope-worker. nullopt with
/// *error when a run cannot start or a measurement fails.
std::optional<CalibrationProfile> calibrate(const CalibrationOptions &options, QString *error);

/// $XDG_DATA_HOME/hybridscope/calibration.json (QStandardPaths' generic data location).
QString calibrationPath();

/// The profile as `hybridscope.calibration/1` (DESIGN §12), break-even table included.
QJsonObject calibrationToJson(const CalibrationProfile &p);
/// Reads a profile back; nullopt with *error naming `file` and the key that is missing or wrong.
std::optional<CalibrationProfile> calibrationFromJson(const QJsonObject &o, const QString &file, QString *error);
/// Written atomically (writeFileAtomically); the directory is made when missing.
bool writeCalibration(const CalibrationProfile &p, const QString &path, QString *error);

/// The profile for people: machine, each cost with its interval, the fits, ranges, break-even.
QString calibrationSummary(const CalibrationProfile &p);

/// The costs simulate, sweep --sim and tune --sim use: the profile at `path` (default
/// calibrationPath()), or the built-in default when there is none. nullopt with *error naming the
/// file and the key when a profile is there but unreadable, corrupt or of another schema.
std::optional<SimCosts> loadSimCosts(QString *error, const QString &path = {});

/// Break-even payload (closed form of the simulator's model, docs/simulation.md): `clients`
/// closed-loop clients (think 0) run a cpu stage of `stageS` either on `threads` under the GIL or on
/// `procs` with `clients` workers and `transfer`; `cores` cores (fractional allowed).
BreakEven breakEven(const SimCosts &c, double cores, int clients, double stageS, Transfer transfer);
/// Throughput of that closed loop, per second, for a payload of `bytes` (in + out).
double closedLoopThroughput(
    const SimCosts &c, double cores, int clients, double stageS, DomainKind domain, Transfer transfer, double bytes);
/// The stage lengths the break-even table covers: 0.1 ms to 100 ms.
std::vector<double> breakEvenStages();

} // namespace hs
