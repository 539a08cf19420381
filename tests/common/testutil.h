#pragma once

#include <initializer_list>

#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace hs::test {

/// Built with ASan or TSan (gcc defines __SANITIZE_*, clang answers __has_feature): such a build
/// runs several times slower, which a few tests' timing bounds and run lengths allow for.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

/// Root of the source tree (scenarios/, tests/data/), from the environment ctest sets.
QString sourceDir();
/// Path of the hybridscope executable under test.
QString appPath();

/// Writes `text` to `dir`/`name`; the path, or empty when it cannot be written.
QString writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &text);
/// The JSON object in a file; empty when it cannot be read or is not an object.
QJsonObject readJson(const QString &path);
/// Every key in `keys` is in `o`; else false with the first missing one in *missing.
bool hasKeys(const QJsonObject &o, std::initializer_list<const char *> keys, QString *missing);

/// What a run of the hybridscope executable did.
struct AppRun {
    bool finished = false; ///< ended within the bound (else killed; err says "timed out")
    bool crashed = false; ///< ended by a signal (SIGTRAP, SIGABRT, SIGSEGV...)
    int exitCode = -1; ///< -1 unless it exited normally
    QString out, err;
    QString describe() const;
};
/// Runs hybridscope with `args`, killed after `timeoutMs`. `setup` runs in the child between fork
/// and exec: async-signal-safe calls only (setrlimit, setuid).
AppRun runApp(const QStringList &args, int timeoutMs = 60000, const std::function<void()> &setup = {});

/// Processes whose parent is `parent`, zombies included (an unreaped child is still left over).
std::vector<pid_t> childPids(pid_t parent);
/// Shared-memory segments in /dev/shm named for the engine process `owner` (hybridscope-<pid>-*).
QStringList shmSegmentsOf(qint64 owner);

/// The machine's CPU time so far (/proc/stat's `cpu` line, in ticks): all of it, and the part
/// the hypervisor gave to other guests (steal). Two readings give the share stolen between them.
struct CpuTimes {
    std::uint64_t total = 0, steal = 0;
    bool valid = false; ///< /proc/stat was read
};
CpuTimes cpuTimes();
/// The share of the machine's CPU time stolen between two readings (0 when unknown).
double stealShare(const CpuTimes &from, const CpuTimes &to);

} // namespace hs::test
