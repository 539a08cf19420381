#pragma once

#include <QStringList>

namespace hs {

/// `hybridscope calibrate [--quick] [--json F] [--report F.html|F.pdf] [--quiet]` (DESIGN §8, §12):
/// measures this machine's costs for the simulator and writes the profile (default
/// calibrationPath()). `args` is everything after `calibrate`. Returns the exit code (0, or 2).
int runCalibrate(const QStringList &args);

} // namespace hs
