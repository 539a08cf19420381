#pragma once

#include <QStringList>

namespace hs {

/// `hybridscope sweep SCENARIO --vary PATH=VALUES ...` (DESIGN §8, §10): runs the scenario once per
/// point on the real engine, one point after another, and writes `hybridscope.sweep/1`. `args`
/// is everything after `sweep`. Needs a QCoreApplication. Returns the exit code.
int runSweep(const QStringList &args);

} // namespace hs
