#pragma once

#include "scenario/scenario.h"

#include <QString>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace hs {

class Gil;

/**
 * Cooperative control of one running stage. The work functions check it between small slices of
 * work (at most about a millisecond each), so a cancel or a passed deadline is noticed promptly.
 *
 *     std::atomic<bool> cancel{false};
 *     WorkControl ctl{&cancel, hs::nowNs() + hs::secondsToNs(0.050)};
 *     WorkResult r = runBlock(1.0, ctl);   // r.status == WorkStatus::TimedOut after ~50 ms
 */
struct WorkControl {
    const std::atomic<bool> *cancel = nullptr; ///< set -> stop soon, result Cancelled
    std::int64_t deadlineNs = 0; ///< CLOCK_MONOTONIC (hs::nowNs()); 0 = none; passing it -> TimedOut
    Gil *gil = nullptr; ///< cpu work holds this lock while it burns (GIL emulation); null: none
    std::int64_t *gilWaitNs = nullptr; ///< with `gil`: time spent waiting for it is added here
};

enum class WorkStatus { Ok, Failed, TimedOut, Cancelled };

/**
 * How one piece of work ended. `reason` is for people: "timeout", "cancelled",
 * "disk: No space left on device", "net: Connection refused"...
 *
 *     WorkResult r = runDisk(dir, 64 * 1024, false, {});
 *     if (r.status == WorkStatus::Failed)
 *         qWarning() << r.reason;
 */
struct WorkResult {
    WorkStatus status = WorkStatus::Ok;
    QString reason;
};

/// Burns `seconds` of the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID) with `kernel`, in units of
/// ~20-100 us, checking `ctl` between units. Overshoots by at most one unit. With `ctl.gil`, the CPU time
/// is burnt while holding that lock, and the GIL's check point runs between units.
WorkResult runCpu(CpuKernel kernel, double seconds, const WorkControl &ctl);

/// A real blocking wait of `seconds` (clock_nanosleep toward an absolute end, in slices of at most 2 ms so a
/// cancel is noticed). Holds the calling thread and barely uses CPU.
WorkResult runBlock(double seconds, const WorkControl &ctl);

/// Writes `bytes` to a new unique file in `dir`, optionally fsyncs it, reads it back, verifies it and removes it.
/// Errors give Failed with the errno text ("disk: No such file or directory").
WorkResult runDisk(const QString &dir, std::int64_t bytes, bool fsync, const WorkControl &ctl);

/// One request to the latency server on 127.0.0.1:`port` (answer after `seconds`, `bytes` long) over a blocking
/// socket. Each thread keeps one persistent connection and reconnects when it is broken or the port differs;
/// waits use poll() in slices so `ctl` is honoured, and a cancel or timeout drops the connection.
WorkResult runNetBlocking(std::uint16_t port, double seconds, std::int64_t bytes, const WorkControl &ctl);

/// SHA-256 (FIPS 180-4) of `len` bytes: the work of the `sha256` cpu kernel, public so it can be checked.
std::array<std::uint8_t, 32> sha256(const void *data, std::size_t len);

} // namespace hs
