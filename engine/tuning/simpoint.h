#pragma once

#include "sim/simulator.h"
#include "tuning/sweeprunner.h"

namespace hs {

/**
 * A sweep point in virtual time (`sweep --sim`, `tune --sim`, DESIGN §10, §12): `reps`
 * simulations of `duration` with seeds seed, seed+1, …, each measured over [warmup, end of
 * arrivals] like a point on the engine, combined by pointFigures with `options.cores` as the
 * machine's cores. The point's wall time is the simulations'.
 *
 *     SweepPointResult p = simulatePoint(scenario, values, 5.0, 1.0, 3, SimOptions { 64 });
 */
SweepPointResult simulatePoint(const Scenario &scenario, const SweepValues &values, double duration, double warmup,
    int reps, const SimOptions &options);

} // namespace hs
