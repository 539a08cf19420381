#pragma once

#include <QString>
#include <QStringList>

#include <sys/types.h>
#include <vector>

namespace hs::test {

/// Root of the source tree (scenarios/, tests/data/), from the environment ctest sets.
QString sourceDir();
/// Path of the hybridscope executable under test.
QString appPath();

/// Processes whose parent is `parent`, zombies included (an unreaped child is still left over).
std::vector<pid_t> childPids(pid_t parent);
/// Shared-memory segments in /dev/shm named for the engine process `owner` (hybridscope-<pid>-*).
QStringList shmSegmentsOf(qint64 owner);

} // namespace hs::test
