#pragma once

#include "results/runresult.h"
#include "scenario/scenario.h"

#include <QJsonObject>
#include <QString>

#include <array>
#include <cstdint>

namespace hs {

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
    double diskPerByteS = 1.0 / 1.5e9; ///< write then read, per byte
    double fsyncS = 2e-3;
    double workerStartS = 0.03; ///< a procs worker restarting after a crash
    double timerLatenessS = 60e-6; ///< the floor of a timer's lateness (heartbeat, async)
    QString source = QStringLiteral("built-in default"); ///< or "calibration of <machine>, <date>"
    bool builtin = true;
};

struct SimOptions {
    int cores = 0; ///< cores the cpu stages share; 0: this machine's
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

/// `simulation` of the run JSON (DESIGN §12): {cores, reps, events, events_per_s, wall_s, calibration}.
QJsonObject simulationJson(const SimOptions &options, const SimStats &stats, int reps);

} // namespace hs
