#pragma once

#include <QStringList>

namespace hs {

/// `hybridscope simulate SCENARIO [--cores N] [--duration D] [--reps N] [--set ...] [--route ...]
/// [--json F] [--report F]` (DESIGN §8, §12): the scenario in virtual time. `args` is everything
/// after `simulate`. Returns the exit code (0, or 2 for bad input).
int runSimulate(const QStringList &args);

} // namespace hs
