#pragma once

#include <QString>

namespace hs::test {

/// Root of the source tree (scenarios/, tests/data/), from the environment ctest sets.
QString sourceDir();
/// Path of the hybridscope executable under test.
QString appPath();

} // namespace hs::test
