#pragma once

#include "scenario/scenario.h"
#include "tuning/sweepanalysis.h"
#include "tuning/tuner.h"

#include <QString>

#include <optional>

namespace hs {

/// A bake-off's baseline search may take this many times one point's runs (duration × reps).
inline constexpr double kBaselineBudgetPoints = 10;

/// The wall-time budget of the baseline search for points of `durationS` × `reps`.
double baselineBudgetS(double durationS, int reps);

/// `scenario` with `domain`'s autoscale policy off: a fixed pool of its configured workers.
Scenario fixedPoolScenario(const Scenario &scenario, DomainKind domain);

/// The baseline a finished tune of `domain` found: its cheapest configuration that met every SLA,
/// with that point's cost. nullopt when it found none, and *why says why (nothing within the
/// bounds meets every SLA, the budget ran out first, it was cancelled).
std::optional<SweepBaseline> baselineFromTune(const TuneResult &tune, DomainKind domain, QString *why);

/**
 * The cheapest fixed size of `domain` that meets every class's P99 SLA (DESIGN §13): the tune's
 * search (Tuner) over `domain` alone with its autoscale policy off, in the sweep's mode (the engine,
 * or virtual time with `options.simulate`) and within `options.budgetS`. Sets r.baseline, or
 * r.baselineWhy when there is none. Returns false when the engine cannot start (*error).
 *
 *     TuneOptions o; o.durationS = r.durationS; ...; o.budgetS = baselineBudgetS(r.durationS, r.reps);
 *     Tuner tuner;
 *     findFixedBaseline(tuner, scenario, o, r, &error);   // r.bakeoffDomain() set
 */
bool findFixedBaseline(Tuner &tuner, const Scenario &scenario, TuneOptions options, SweepResult &r, QString *error);

} // namespace hs
