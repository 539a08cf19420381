#include "domains/loopdomain.h"

#include "core/clock.h"
#include "domains/netclient.h"

#include <QObject>
#include <QSocketNotifier>
#include <QThread>

#include <algorithm>
#include <limits>

#include <sys/timerfd.h>
#include <unistd.h>

namespace hs {

LoopDomain::LoopDomain(
    StageHost &host, const DomainConfig &cfg, std::int64_t starvationThresholdNs, std::int64_t heartbeatNs)
    : Domain(DomainKind::Loop, host, cfg, starvationThresholdNs)
    , m_heartbeatNs(std::max<std::int64_t>(heartbeatNs, 100'000))
{
    setUnlimitedConcurrency();
}

LoopDomain::~LoopDomain()
{
    stop();
}

bool LoopDomain::start(QString *error)
{
    m_thread = new QThread;
    m_thread->setObjectName(QStringLiteral("hs-loop"));
    m_ctx = new QObject;
    m_ctx->moveToThread(m_thread);
    m_thread->start();
    if (!m_thread->isRunning()) {
        // The thread could not be created (QThread only warns): waiting for it would hang.
        if (error)
            *error = QStringLiteral("loop: cannot start its thread (thread creation failed; raise the limit on "
                                    "processes, ulimit -u)");
        delete m_ctx;
        m_ctx = nullptr;
        delete m_thread;
        m_thread = nullptr;
        return false;
    }
    QMetaObject::invokeMethod(
        m_ctx, [this] { setupOnLoop(); }, Qt::BlockingQueuedConnection);
    if (m_timerFd < 0) {
        if (error)
            *error = QStringLiteral("loop: cannot create its timer (timerfd_create failed)");
        stop();
        return false;
    }
    return true;
}

void LoopDomain::setupOnLoop()
{
    prepareEngineThread("hs-loop");
    setCurrentDomain(this);
    m_timerFd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (m_timerFd < 0)
        return;
    m_timerNotifier = new QSocketNotifier(qintptr(m_timerFd), QSocketNotifier::Read, m_ctx);
    QObject::connect(m_timerNotifier, &QSocketNotifier::activated, m_ctx, [this] { onTimerFd(); });
    m_pool = std::make_unique<NetConnectionPool>();
    const std::int64_t first = nowNs() + m_heartbeatNs;
    m_nextBeatNs.store(first, std::memory_order_relaxed);
    addTimer(first, [this, first] { heartbeat(first); });
}

void LoopDomain::teardownOnLoop()
{
    m_ops.clear();
    m_timers = {};
    delete m_timerNotifier;
    m_timerNotifier = nullptr;
    if (m_timerFd >= 0)
        ::close(m_timerFd);
    m_timerFd = -1;
    m_pool.reset();
    setCurrentDomain(nullptr);
}

void LoopDomain::stop()
{
    if (m_stopped || !m_thread)
        return;
    m_stopped = true;
    cancelAll();
    waitIdle(10 * kNsPerSec);
    QMetaObject::invokeMethod(
        m_ctx, [this] { teardownOnLoop(); }, Qt::BlockingQueuedConnection);
    m_thread->quit();
    m_thread->wait();
    delete m_ctx;
    m_ctx = nullptr;
    delete m_thread;
    m_thread = nullptr;
}

double LoopDomain::takeFrameLagMs(std::int64_t now)
{
    std::int64_t lag = m_frameLagNs.exchange(0, std::memory_order_relaxed);
    // A beat that is overdue right now is a stall in progress: show it before it ends.
    const std::int64_t next = m_nextBeatNs.load(std::memory_order_relaxed);
    if (next > 0 && now - next > lag)
        lag = now - next;
    return nsToMs(double(std::max<std::int64_t>(0, lag)));
}

namespace {
std::uint32_t packKey(int cls, int stage)
{
    return (std::uint32_t(cls) << 16) | (std::uint32_t(stage) & 0xffffu);
}

KeyCount unpackKey(std::uint32_t key, std::int64_t us)
{
    return KeyCount { int(key >> 16), int(key & 0xffffu),
        int(std::min<std::int64_t>(us, std::numeric_limits<int>::max())) };
}
} // namespace

KeyCount LoopDomain::takeFrameBlock(std::int64_t now)
{
    const std::uint64_t packed = m_frameBlock.exchange(0, std::memory_order_relaxed);
    KeyCount worst = packed ? unpackKey(std::uint32_t(packed), std::int64_t(packed >> 32)) : KeyCount {};
    const std::int64_t since = m_holdingSinceNs.load(std::memory_order_acquire);
    if (since > 0 && (now - since) / 1000 > worst.count)
        worst = unpackKey(m_holdingKey.load(std::memory_order_relaxed), (now - since) / 1000);
    return worst;
}

void LoopDomain::creditBusy(std::uint32_t key, std::int64_t from, std::int64_t to)
{
    std::lock_guard lk(m_busyMu);
    creditBusyLocked(key, from, to);
}

void LoopDomain::creditBusyLocked(std::uint32_t key, std::int64_t from, std::int64_t to)
{
    from = std::max(from, m_busyTakenNs);
    if (to <= from)
        return;
    for (auto &[k, ns] : m_busyByKey)
        if (k == key) {
            ns += to - from;
            return;
        }
    m_busyByKey.emplace_back(key, to - from);
}

LoopDomain::FrameBusy LoopDomain::takeFrameBusy(std::int64_t now)
{
    std::vector<std::pair<std::uint32_t, std::int64_t>> byKey;
    {
        std::lock_guard lk(m_busyMu);
        const std::int64_t since = m_holdingSinceNs.load(std::memory_order_acquire);
        if (since > 0) {
            // The stage holding the loop now: its time so far, counted here and not again at its end.
            const std::uint32_t key = m_holdingKey.load(std::memory_order_relaxed);
            creditBusyLocked(key, since, now);
        }
        m_busyTakenNs = std::max(m_busyTakenNs, now);
        byKey.swap(m_busyByKey);
    }
    FrameBusy out;
    std::sort(byKey.begin(), byKey.end(), [](const auto &a, const auto &b) { return a.second > b.second; });
    std::int64_t total = 0;
    for (const auto &[k, ns] : byKey)
        total += ns;
    out.busyMs = nsToMs(double(total));
    for (std::size_t i = 0; i < byKey.size() && i < kTopKeys; ++i)
        out.top[i] = unpackKey(byKey[i].first, byKey[i].second / 1000);
    return out;
}

void LoopDomain::launch(StageJob)
{
    qFatal("loop stages are queued and posted, never launched");
}

void LoopDomain::queuedForLater()
{
    QMetaObject::invokeMethod(
        m_ctx, [this] { runOne(); }, Qt::QueuedConnection);
}

void LoopDomain::cancelRunning()
{
    if (!m_ctx)
        return;
    QMetaObject::invokeMethod(
        m_ctx,
        [this] {
            std::vector<std::uint64_t> ids;
            for (const auto &[id, op] : m_ops)
                ids.push_back(id);
            for (auto id : ids)
                finishOp(id, WorkResult { WorkStatus::Cancelled, QStringLiteral("cancelled") });
        },
        Qt::QueuedConnection);
}

void LoopDomain::runOne()
{
    std::optional<StageJob> job = takeQueued();
    if (!job)
        return; // dropped or cancelled while queued
    const std::int64_t start = nowNs();
    WorkResult early;
    if (!startStage(*job, start, &early)) {
        endStage(std::move(*job), early, start, start, false);
        return;
    }
    setBusy(true, start);
    const std::uint32_t key = job->task ? packKey(job->task->cls, job->stage) : 0;
    if ((job->work == WorkKind::Async || job->work == WorkKind::Net) && !host().takesLocks(*job)) {
        host().enterStage(*job);
        const std::uint64_t id = m_nextOp++;
        const std::int64_t deadline = job->deadlineNs;
        const double seconds = job->task->plan[std::size_t(job->stage)].time;
        const bool isNet = job->work == WorkKind::Net;
        m_ops.emplace(id, PendingOp { std::move(*job), start, nullptr, nullptr });
        if (isNet)
            startNet(id);
        else
            addTimer(start + secondsToNs(seconds), [this, id] { finishOp(id, WorkResult {}); });
        if (deadline)
            addTimer(deadline, [this, id] {
                finishOp(id, WorkResult { WorkStatus::TimedOut, QStringLiteral("timeout") });
            });
        const std::int64_t entered = nowNs();
        creditBusy(key, start, entered);
        setBusy(false, entered);
        return;
    }
    // cpu, block, disk: the loop thread itself does the work, and everything waits.
    m_holdingKey.store(key, std::memory_order_relaxed);
    m_holdingSinceNs.store(start, std::memory_order_release);
    const WorkResult result = host().runStage(*job, controlFor(*job));
    const std::int64_t end = nowNs();
    {
        // Credit the hold and end it in one step, so takeFrameBusy counts its time exactly once.
        std::lock_guard lk(m_busyMu);
        creditBusyLocked(key, start, end);
        m_holdingSinceNs.store(0, std::memory_order_release);
    }
    const std::uint64_t held = (std::uint64_t(std::max<std::int64_t>(1, (end - start) / 1000)) << 32) | key;
    std::uint64_t prev = m_frameBlock.load(std::memory_order_relaxed);
    while (held > prev && !m_frameBlock.compare_exchange_weak(prev, held, std::memory_order_relaxed)) { }
    setBusy(false, end);
    endStage(std::move(*job), result, start, end, true);
}

void LoopDomain::finishOp(std::uint64_t id, const WorkResult &workResult)
{
    auto it = m_ops.find(id);
    if (it == m_ops.end())
        return; // already ended (completion, timeout and cancel race; the first one wins)
    PendingOp op = std::move(it->second);
    m_ops.erase(it);
    if (op.notifier) {
        op.notifier->setEnabled(false);
        op.notifier.release()->deleteLater(); // we may be inside its activated() signal
    }
    op.net.reset();
    const std::int64_t t = nowNs();
    setBusy(true, t);
    const WorkResult result = host().exitStage(op.job, workResult);
    const std::int64_t end = nowNs();
    if (op.job.task)
        creditBusy(packKey(op.job.task->cls, op.job.stage), t, end);
    setBusy(false, end);
    endStage(std::move(op.job), result, op.startNs, end, true);
}

void LoopDomain::startNet(std::uint64_t id)
{
    PendingOp &op = m_ops.at(id);
    const StagePlan &plan = op.job.task->plan[std::size_t(op.job.stage)];
    op.net = std::make_unique<NetCall>(*m_pool, host().netPort(), secondsToNs(plan.time), plan.bytes);
    driveNet(id, int(op.net->start()));
}

void LoopDomain::driveNet(std::uint64_t id, int stepValue)
{
    const auto step = NetCall::Step(stepValue);
    if (step == NetCall::Step::Done) {
        finishOp(id, WorkResult {});
        return;
    }
    auto it = m_ops.find(id);
    if (it == m_ops.end())
        return;
    PendingOp &op = it->second;
    if (step == NetCall::Step::Failed) {
        finishOp(id, WorkResult { WorkStatus::Failed, op.net->error() }); // already "net: ..."
        return;
    }
    const auto type = step == NetCall::Step::WantRead ? QSocketNotifier::Read : QSocketNotifier::Write;
    if (op.notifier && op.notifier->type() == type && op.notifier->socket() == op.net->fd())
        return; // already watching for this
    if (op.notifier) {
        op.notifier->setEnabled(false);
        op.notifier.release()->deleteLater();
    }
    op.notifier = std::make_unique<QSocketNotifier>(qintptr(op.net->fd()), type);
    QObject::connect(op.notifier.get(), &QSocketNotifier::activated, m_ctx, [this, id] {
        auto found = m_ops.find(id);
        if (found == m_ops.end() || !found->second.net)
            return;
        driveNet(id, int(found->second.net->onReady()));
    });
}

void LoopDomain::addTimer(std::int64_t deadlineNs, std::function<void()> fn)
{
    m_timers.push(Timer { deadlineNs, m_timerSeq++, std::move(fn) });
    if (m_armedNs == 0 || deadlineNs < m_armedNs)
        armTimerFd();
}

void LoopDomain::armTimerFd()
{
    itimerspec spec {};
    if (!m_timers.empty()) {
        const std::int64_t d = std::max<std::int64_t>(1, m_timers.top().deadlineNs);
        spec.it_value.tv_sec = d / kNsPerSec;
        spec.it_value.tv_nsec = d % kNsPerSec;
        m_armedNs = d;
    } else {
        m_armedNs = 0;
    }
    timerfd_settime(m_timerFd, TFD_TIMER_ABSTIME, &spec, nullptr);
}

void LoopDomain::onTimerFd()
{
    std::uint64_t expirations = 0;
    [[maybe_unused]] const auto n = ::read(m_timerFd, &expirations, sizeof expirations);
    const std::int64_t now = nowNs();
    m_armedNs = 0;
    while (!m_timers.empty() && m_timers.top().deadlineNs <= now) {
        auto fn = std::move(const_cast<Timer &>(m_timers.top()).fn);
        m_timers.pop();
        fn();
    }
    armTimerFd();
}

void LoopDomain::heartbeat(std::int64_t deadlineNs)
{
    const std::int64_t now = nowNs();
    const std::int64_t lag = std::max<std::int64_t>(0, now - deadlineNs);
    m_lagHist.record(lag);
    std::int64_t prev = m_frameLagNs.load(std::memory_order_relaxed);
    while (lag > prev && !m_frameLagNs.compare_exchange_weak(prev, lag, std::memory_order_relaxed)) { }
    // The next beat keeps the grid; beats missed during a stall are skipped, not replayed.
    std::int64_t next = deadlineNs + m_heartbeatNs;
    if (next <= now)
        next = deadlineNs + m_heartbeatNs * ((now - deadlineNs) / m_heartbeatNs + 1);
    m_nextBeatNs.store(next, std::memory_order_relaxed);
    addTimer(next, [this, next] { heartbeat(next); });
}

} // namespace hs
