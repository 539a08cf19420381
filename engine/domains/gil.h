#pragma once

#include "core/clock.h"
#include "domains/work.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <limits>
#include <mutex>

namespace hs {

/// Counters of one Gil since it was made.
struct GilStats {
    std::uint64_t acquisitions = 0; ///< acquire() calls that got the lock (re-takes after a switch included)
    std::uint64_t contended = 0; ///< of those, the ones that had to wait
    std::uint64_t forcedSwitches = 0; ///< hand-overs forced by a waiter past the switch interval
    std::int64_t waitNs = 0; ///< total time spent waiting for the lock
};

/**
 * An emulated global interpreter lock, after CPython's "new GIL" (3.2+): one holder at a time; the
 * holder keeps it while it runs; once a waiter has waited `switch_interval` (counted from its arrival
 * or from the last hand-over, whichever is later) the holder drops it at its next check point, the
 * longest waiter gets it and the dropper queues again at the back (a forced switch: it cannot take
 * the lock straight back). Hand-overs are direct and FIFO, so no thread barges in; waiting blocks on
 * a condition variable, never spins. Every acquisition reports how long it waited.
 *
 * The check point is one relaxed atomic load while nobody waits, so a holder may call it between
 * small units of work. cpu work takes it through WorkControl::gil (see runCpu()).
 *
 *     Gil gil(5'000'000);                      // switch_interval 5 ms
 *     std::int64_t waited = 0;
 *     if (gil.acquire(ctl, &waited)) {
 *         while (moreWork()) {
 *             doUnit();
 *             if (!gil.checkpoint(ctl, &waited))
 *                 break;                       // stopped while re-waiting: not held any more
 *         }
 *         gil.release();                       // only if still held
 *     }
 */
class Gil {
public:
    explicit Gil(std::int64_t switchIntervalNs = 5'000'000);
    Gil(const Gil &) = delete;
    Gil &operator=(const Gil &) = delete;

    void setSwitchInterval(std::int64_t ns);
    std::int64_t switchInterval() const;

    /// Blocks until the caller holds the lock (true) or `ctl` asks to stop (false, not held). The wait
    /// is added to *waitedNs.
    bool acquire(const WorkControl &ctl, std::int64_t *waitedNs);
    /// The holder gives the lock up: to the longest waiter if there is one.
    void release();
    /// The holder's check point: when a waiter has waited the switch interval, hands the lock over and
    /// waits for it again. True: the caller holds it; false: `ctl` stopped the re-wait (not held).
    bool checkpoint(const WorkControl &ctl, std::int64_t *waitedNs)
    {
        const std::int64_t at = m_dropAtNs.load(std::memory_order_relaxed);
        if (at == kNever || nowNs() < at)
            return true;
        return switchOver(ctl, waitedNs);
    }
    /// A waiter has waited long enough: the holder should drop the lock at its next check point.
    bool dropRequested() const;

    /// Threads waiting for the lock now.
    int waiting() const;
    bool held() const;
    GilStats stats() const;

private:
    static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

    struct Waiter {
        std::condition_variable cv;
        std::int64_t sinceNs = 0;
        bool granted = false;
    };

    bool switchOver(const WorkControl &ctl, std::int64_t *waitedNs);
    bool waitLocked(std::unique_lock<std::mutex> &lk, const WorkControl &ctl, std::int64_t *waitedNs);
    void grantFrontLocked(std::int64_t now);
    void updateDropAtLocked();

    mutable std::mutex m_mu;
    std::deque<Waiter *> m_queue; // FIFO: the front has waited longest
    bool m_held = false;
    std::int64_t m_intervalNs;
    std::int64_t m_lastSwitchNs = 0; // last time the lock changed hands
    GilStats m_stats;
    // When the holder must drop the lock (kNever: nobody waits). Written under m_mu, read by the holder.
    std::atomic<std::int64_t> m_dropAtNs { kNever };
};

} // namespace hs
