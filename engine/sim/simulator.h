#pragma once

#include "results/runresult.h"
#include "scenario/scenario.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QString>

#include <array>
#include <cstdint>
#include <vector>

namespace hs {

/**
 * The largest values a calibration actually measured (DESIGN §12): a prediction beyond twice any
 * of them is an extrapolation and is flagged as one (simulationExtrapolations). The built-in
 * default's are what this project's 2-vCPU machine covered when its figures were read off: 2
 * cores, payloads and net / disk sizes up to 1 MiB, and 400 arrivals a second in one class (the
 * busiest class of the engine-against-simulator runs in docs/simulation.md, littles-law).
 */
struct SimRanges {
    double cores = 2;
    double maxPayloadBytes = 1024.0 * 1024; ///< payload_in + payload_out of one procs stage
    double maxRatePerS = 400; ///< one class's arrival rate
    double maxNetBytes = 1024.0 * 1024; ///< the answer of one `net` request
    double maxDiskBytes = 1024.0 * 1024; ///< one `disk` stage's file
};

/**
 * What this machine adds to a stage beyond its own work (DESIGN §12): the costs the simulator
 * charges, measured by `hybridscope calibrate` or, without a profile, these built-in defaults
 * (read off this project's 2-vCPU machine; DESIGN §5 and the procs benchmark).
 */
struct SimCosts {
    double hopS = 15e-6; ///< a stage handed to another domain's worker (a cross-CPU wake-up)
    /// From admission to the stage's start on a free worker, per domain (loop, threads, tbb,
    /// procs): the dispatch and wake-up every stage's wait includes (measured idle waits).
    std::array<double, kDomainCount> wakeS { 35e-6, 80e-6, 75e-6, 150e-6 };
    double procsCallS = 40e-6; ///< round trip of an empty procs stage (two wake-ups and framing)
    double copyPerByteS = 1.0 / 1.2e9; ///< transfer: copy, per byte each way (serialise + socket)
    double shmPerByteS = 1.0 / 6e9; ///< transfer: shm, per byte each way
    double netS = 80e-6; ///< a loopback request to the latency server beyond its `time`
    double netPerByteS = 1.0 / 2e9;
    double diskS = 0; ///< a disk stage's file made, opened and removed (0 in the built-in default)
    double diskPerByteS = 1.0 / 1.5e9; ///< write then read, per byte
    double fsyncS = 2e-3;
    double workerStartS = 0.03; ///< a procs worker restarting after a crash
    double timerLatenessS = 60e-6; ///< the floor of a timer's lateness (heartbeat, async)
    /// Cores that several busy threads get here (measureParallelCores); 0: not measured, then the
    /// reported count. A simulation's default cores (SimOptions::cores 0).
    double effectiveCores = 0;
    SimRanges ranges;
    QString source = QStringLiteral("built-in default"); ///< or "calibration of <machine>, <date>"
    bool builtin = true;
};

struct SimOptions {
    int cores = 0; ///< cores the cpu stages share; 0: this machine's (simCores)
    double drainS = 5.0; ///< after arrivals stop, how long in-flight tasks may finish (then cancelled)
    /// The run's one phase (RunResult::phases) measures [warmupS, end of arrivals], as a sweep
    /// point on the engine does (EngineOptions::warmupSeconds); the run's totals cover everything.
    double warmupS = 0;
    SimCosts costs;
};

/// What one simulation cost to run.
struct SimStats {
    std::uint64_t events = 0;
    double wallS = 0;
    double eventsPerS() const { return wallS > 0 ? double(events) / wallS : 0.0; }
};

/**
 * The virtual-time twin of the engine (DESIGN §12, docs/simulation.md): a discrete-event
 * simulation of exactly what the engine does with a scenario, single-threaded and in virtual time.
 * The same arrival schedule and stage plans for the same seed (ArrivalSchedule), the same static
 * routing, backpressure (reject, block, drop_oldest, max_inflight), drain and cancel, conservation
 * and intended-time latency; `loop` is one worker that `cpu`, `block` and `disk` stages hold and
 * `async` / `net` do not; pools have `workers`; every `cpu` stage in flight shares `cores` cores
 * (processor sharing); under the GIL the `cpu` stages on `loop` and `threads` share one GIL between
 * them. Frames at 20 Hz of virtual time feed the same findings as a real run. The result is a
 * RunResult whose JSON says `mode: "simulated"` (simulationJson).
 *
 *     SimStats stats;
 *     RunResult r = simulate(scenario, SimOptions { 64 }, &stats);
 */
RunResult simulate(const Scenario &scenario, const SimOptions &options, SimStats *stats = nullptr);

/// The cores a simulation with `options` shares among cpu stages: `cores` when given, else the
/// calibration's effective cores (may be fractional: processor sharing takes any capacity), else
/// the reported count.
double simCores(const SimOptions &options);

/// One figure of a prediction beyond twice what the calibration measured (DESIGN §12).
struct Extrapolation {
    QString what; ///< "cores", "arrival rate of fetch", "payload of crunch.run", ...
    double value = 0;
    double measuredMax = 0;
};

/// The extrapolations of simulating `scenario` with `options` against `options.costs.ranges`:
/// cores, each class's arrival rate (the larger end of a ramp), each procs stage's payload (in +
/// out), each net stage's answer and each disk stage's file (the distributions' means).
std::vector<Extrapolation> simulationExtrapolations(const Scenario &scenario, const SimOptions &options);
/// The same figure flagged twice (sweep points) kept once, with its largest value.
void mergeExtrapolations(std::vector<Extrapolation> *into, const std::vector<Extrapolation> &more);
/// [{what, value, measured_max}] (`simulation.extrapolation`).
QJsonArray extrapolationJson(const std::vector<Extrapolation> &e);
/// "EXTRAPOLATION: cores 64 (measured up to 2), ..."; empty when there are none.
QString extrapolationText(const std::vector<Extrapolation> &e);

/// DESIGN §15: the simulator does not model locks or shared counters; this says so, naming the
/// stages that take one (empty when none does). In `simulation.locks_ignored` and on stderr.
QString simulationLockNote(const Scenario &scenario);

/// `simulation` of the run JSON (DESIGN §12): {cores, reps, events, events_per_s, wall_s,
/// calibration, extrapolation}; `extrapolation` is simulationExtrapolations of `scenario`.
/// simulate() puts it (reps 1) in RunResult::simulation; `simulate --reps` writes its own.
QJsonObject simulationJson(const Scenario &scenario, const SimOptions &options, const SimStats &stats, int reps);

} // namespace hs
