#include "domains/gil.h"

#include <algorithm>
#include <chrono>

namespace hs {

namespace {
// Longest uninterrupted wait for the lock: a cancel (an atomic, no wake-up) is noticed within this.
constexpr std::int64_t kWaitSliceNs = 2'000'000;

bool mustStop(const WorkControl &ctl, std::int64_t now)
{
    return (ctl.cancel && ctl.cancel->load(std::memory_order_relaxed))
        || (ctl.deadlineNs != 0 && now >= ctl.deadlineNs);
}
} // namespace

Gil::Gil(std::int64_t switchIntervalNs)
    : m_intervalNs(std::max<std::int64_t>(1, switchIntervalNs))
{ }

void Gil::setSwitchInterval(std::int64_t ns)
{
    std::lock_guard lk(m_mu);
    m_intervalNs = std::max<std::int64_t>(1, ns);
    updateDropAtLocked();
}

std::int64_t Gil::switchInterval() const
{
    std::lock_guard lk(m_mu);
    return m_intervalNs;
}

bool Gil::acquire(const WorkControl &ctl, std::int64_t *waitedNs)
{
    std::unique_lock lk(m_mu);
    if (!m_held && m_queue.empty()) {
        m_held = true;
        m_lastSwitchNs = nowNs();
        ++m_stats.acquisitions;
        return true; // uncontended: no wait at all
    }
    return waitLocked(lk, ctl, waitedNs);
}

void Gil::release()
{
    std::lock_guard lk(m_mu);
    if (m_queue.empty()) {
        m_held = false;
        return;
    }
    grantFrontLocked(nowNs());
}

bool Gil::switchOver(const WorkControl &ctl, std::int64_t *waitedNs)
{
    std::unique_lock lk(m_mu);
    const std::int64_t now = nowNs();
    // The relaxed read may have been stale, or the waiter gave up meanwhile.
    if (m_queue.empty() || now < m_dropAtNs.load(std::memory_order_relaxed))
        return true;
    ++m_stats.forcedSwitches;
    grantFrontLocked(now);
    // The dropper queues behind everyone who waits (CPython's FORCE_SWITCHING: no taking it straight back).
    return waitLocked(lk, ctl, waitedNs);
}

bool Gil::waitLocked(std::unique_lock<std::mutex> &lk, const WorkControl &ctl, std::int64_t *waitedNs)
{
    Waiter w;
    w.sinceNs = nowNs();
    m_queue.push_back(&w);
    updateDropAtLocked();
    std::int64_t now = w.sinceNs;
    while (!w.granted) {
        if (mustStop(ctl, now)) {
            m_queue.erase(std::find(m_queue.begin(), m_queue.end(), &w));
            updateDropAtLocked();
            const std::int64_t waited = now - w.sinceNs;
            m_stats.waitNs += waited;
            if (waitedNs)
                *waitedNs += waited;
            return false;
        }
        if (!ctl.cancel && ctl.deadlineNs == 0) {
            w.cv.wait(lk); // nothing to watch: sleep until granted
        } else {
            std::int64_t until = now + kWaitSliceNs;
            if (ctl.deadlineNs != 0)
                until = std::min(until, ctl.deadlineNs);
            w.cv.wait_until(lk, std::chrono::steady_clock::time_point(std::chrono::nanoseconds(until)));
        }
        now = nowNs();
    }
    // grantFrontLocked() took us off the queue and left m_held set: the lock is ours.
    const std::int64_t waited = now - w.sinceNs;
    ++m_stats.acquisitions;
    ++m_stats.contended;
    m_stats.waitNs += waited;
    if (waitedNs)
        *waitedNs += waited;
    return true;
}

void Gil::grantFrontLocked(std::int64_t now)
{
    Waiter *w = m_queue.front();
    m_queue.pop_front();
    w->granted = true;
    m_held = true;
    m_lastSwitchNs = now;
    updateDropAtLocked();
    // Under the lock: once it sees `granted` the waiter may return and its condition variable is gone.
    w->cv.notify_one();
}

void Gil::updateDropAtLocked()
{
    if (m_queue.empty()) {
        m_dropAtNs.store(kNever, std::memory_order_relaxed);
        return;
    }
    m_dropAtNs.store(std::max(m_queue.front()->sinceNs, m_lastSwitchNs) + m_intervalNs, std::memory_order_relaxed);
}

bool Gil::dropRequested() const
{
    const std::int64_t at = m_dropAtNs.load(std::memory_order_relaxed);
    return at != kNever && nowNs() >= at;
}

int Gil::waiting() const
{
    std::lock_guard lk(m_mu);
    return int(m_queue.size());
}

bool Gil::held() const
{
    std::lock_guard lk(m_mu);
    return m_held;
}

GilStats Gil::stats() const
{
    std::lock_guard lk(m_mu);
    return m_stats;
}

} // namespace hs
