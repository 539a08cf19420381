#pragma once

#include <QStringList>

namespace hs {

/// `hybridscope tune SCENARIO [--domains ...] [--load X] [--budget 120s] ...` (DESIGN §8, §10):
/// the cheapest configuration of the scenario's pools that meets every class's P99 SLA, found on
/// the real engine from the theory's start. `args` is everything after `tune`. Needs a
/// QCoreApplication. Returns 0 (found), 1 (nothing within the bounds meets every SLA) or 2.
int runTune(const QStringList &args);

} // namespace hs
