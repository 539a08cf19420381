#pragma once

#include "domains/domain.h"

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <vector>

class QObject;
class QSocketNotifier;
class QThread;

namespace hs {

class NetCall;
class NetConnectionPool;

/**
 * The `loop` domain: one thread running a Qt event loop, like asyncio's. `async` stages are
 * timers and `net` stages are non-blocking sockets, so they wait without holding the thread;
 * `cpu`, `block` and `disk` stages run on it and stall everything else queued behind them.
 * A heartbeat timer measures the loop's lag against absolute deadlines.
 *
 *     LoopDomain loop(host, cfg, thresholdNs, heartbeatNs);
 *     loop.start(&error);
 *     double lagMs = loop.takeFrameLagMs(nowNs());
 */
class LoopDomain final : public Domain {
public:
    LoopDomain(StageHost &host, const DomainConfig &cfg, std::int64_t starvationThresholdNs, std::int64_t heartbeatNs);
    ~LoopDomain() override;

    bool start(QString *error) override;
    void stop() override;

    /// Worst heartbeat lateness since the previous call, including a beat overdue right now.
    double takeFrameLagMs(std::int64_t nowNs);
    /// The stage that held the loop thread longest since the previous call (cpu, block, disk run
    /// on it), including one running right now; cls -1 when none ran. count is in microseconds.
    KeyCount takeFrameBlock(std::int64_t nowNs);
    /// Time the loop thread spent in stage code since the previous call (a stage running right now
    /// counts with its time so far, and only once), and the keys that spent most of it (count: µs).
    struct FrameBusy {
        double busyMs = 0;
        std::array<KeyCount, kTopKeys> top {};
    };
    FrameBusy takeFrameBusy(std::int64_t nowNs);
    HistogramSnapshot lag() const { return m_lagHist.snapshot(); }

protected:
    void launch(StageJob job) override;
    void applyWorkers(int) override { }
    void queuedForLater() override;
    void cancelRunning() override;

private:
    struct Timer {
        std::int64_t deadlineNs;
        std::uint64_t seq;
        std::function<void()> fn;
        bool operator>(const Timer &o) const
        {
            return deadlineNs != o.deadlineNs ? deadlineNs > o.deadlineNs : seq > o.seq;
        }
    };
    struct PendingOp {
        StageJob job;
        std::int64_t startNs = 0;
        std::unique_ptr<NetCall> net;
        std::unique_ptr<QSocketNotifier> notifier;
    };

    // All below run on the loop thread.
    void setupOnLoop();
    void teardownOnLoop();
    void runOne();
    void addTimer(std::int64_t deadlineNs, std::function<void()> fn);
    void armTimerFd();
    void onTimerFd();
    void heartbeat(std::int64_t deadlineNs);
    void startNet(std::uint64_t id);
    void driveNet(std::uint64_t id, int step);
    void finishOp(std::uint64_t id, const WorkResult &workResult);

    const std::int64_t m_heartbeatNs;
    QThread *m_thread = nullptr;
    QObject *m_ctx = nullptr; // lives on the loop thread
    int m_timerFd = -1;
    QSocketNotifier *m_timerNotifier = nullptr;
    std::priority_queue<Timer, std::vector<Timer>, std::greater<>> m_timers;
    std::uint64_t m_timerSeq = 0;
    std::int64_t m_armedNs = 0;
    std::map<std::uint64_t, PendingOp> m_ops;
    std::uint64_t m_nextOp = 1;
    std::unique_ptr<NetConnectionPool> m_pool;

    LatencyHistogram m_lagHist;
    std::atomic<std::int64_t> m_frameLagNs { 0 };
    std::atomic<std::int64_t> m_nextBeatNs { 0 };
    // Longest hold since the last frame, packed as (microseconds << 32 | key) so one atomic max
    // keeps both; the stage holding the loop now: its key, and its start (0: none).
    std::atomic<std::uint64_t> m_frameBlock { 0 };
    std::atomic<std::uint32_t> m_holdingKey { 0 };
    std::atomic<std::int64_t> m_holdingSinceNs { 0 };
    // Stage time on the loop thread by key since the last takeFrameBusy (the loop thread adds, the
    // sampler takes); time before m_busyTakenNs was already counted in an earlier frame.
    void creditBusy(std::uint32_t key, std::int64_t fromNs, std::int64_t toNs);
    void creditBusyLocked(std::uint32_t key, std::int64_t fromNs, std::int64_t toNs);
    std::mutex m_busyMu;
    std::vector<std::pair<std::uint32_t, std::int64_t>> m_busyByKey;
    std::int64_t m_busyTakenNs = 0;
    bool m_stopped = false;
};

} // namespace hs
