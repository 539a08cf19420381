#pragma once

#include <cstdint>
#include <ctime>

namespace hs {

/// Monotonic time in nanoseconds (CLOCK_MONOTONIC, the clock steady_clock uses on Linux).
inline std::int64_t nowNs() noexcept
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

/// CPU time consumed by the calling thread, in nanoseconds.
inline std::int64_t threadCpuNs() noexcept
{
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

/// Sleeps until the absolute CLOCK_MONOTONIC time `deadlineNs` (restarts on EINTR).
void sleepUntilNs(std::int64_t deadlineNs) noexcept;

/// Lowers the calling thread's timer slack to 1 ns and names it (both for threads that keep time).
void prepareEngineThread(const char *name) noexcept;

inline constexpr std::int64_t kNsPerSec = 1'000'000'000;
inline std::int64_t secondsToNs(double s) noexcept
{
    return std::int64_t(s * 1e9);
}
inline double nsToMs(double ns) noexcept
{
    return ns / 1e6;
}

} // namespace hs
