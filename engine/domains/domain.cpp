#include "domains/domain.h"

#include "core/clock.h"
#include "domains/trace.h"

#include <algorithm>
#include <vector>

namespace hs {

namespace {
thread_local Domain *t_currentDomain = nullptr;

// The queue's composition is read from its head only: bounded work under the lock at 20 Hz.
constexpr int kQueueSample = 256;

// Adds one occurrence of (cls, stage) to a short list of counts.
void countKey(std::vector<KeyCount> &keys, int cls, int stage, int n = 1)
{
    for (KeyCount &k : keys)
        if (k.cls == cls && k.stage == stage) {
            k.count += n;
            return;
        }
    keys.push_back(KeyCount { cls, stage, n });
}

std::array<KeyCount, kTopKeys> topKeys(std::vector<KeyCount> &keys)
{
    const auto n = std::min(keys.size(), kTopKeys);
    std::partial_sort(keys.begin(), keys.begin() + std::ptrdiff_t(n), keys.end(),
        [](const KeyCount &a, const KeyCount &b) { return a.count > b.count; });
    std::array<KeyCount, kTopKeys> top {};
    std::copy_n(keys.begin(), n, top.begin());
    return top;
}
} // namespace

Domain *currentDomain()
{
    return t_currentDomain;
}

void setCurrentDomain(Domain *d)
{
    t_currentDomain = d;
}

Domain::Domain(DomainKind kind, StageHost &host, const DomainConfig &cfg, std::int64_t starvationThresholdNs)
    : m_kind(kind)
    , m_host(host)
    , m_thresholdNs(starvationThresholdNs)
    , m_workers(kind == DomainKind::Loop ? 1 : std::max(1, cfg.workers))
    , m_bp { cfg.queue, cfg.maxInflight, cfg.onFull }
{
    m_startNs = m_lastChangeNs = nowNs();
}

Domain::~Domain() = default;

int Domain::workers() const
{
    std::lock_guard lk(m_mu);
    return m_workers;
}

Backpressure Domain::backpressure() const
{
    std::lock_guard lk(m_mu);
    return m_bp;
}

void Domain::integrateLocked(std::int64_t nowNs)
{
    const double dt = double(nowNs - m_lastChangeNs);
    if (dt <= 0)
        return;
    m_busyIntegral += busyLocked() * dt;
    m_capacityIntegral += m_workers * dt;
    m_queueIntegral += double(m_queue.size()) * dt;
    m_lastChangeNs = nowNs;
}

bool Domain::fullLocked() const
{
    const int queued = int(m_queue.size());
    // A stage that finds a free worker never enters the waiting queue.
    const bool freeWorker = m_pooled && m_running < m_workers && m_queue.empty();
    const bool queueFull = m_bp.queue > 0 && queued >= m_bp.queue && !freeWorker;
    const bool inflightFull = m_bp.maxInflight > 0 && queued + m_running >= m_bp.maxInflight;
    return queueFull || inflightFull;
}

void Domain::noteRejectedLocked(const StageJob &job)
{
    ++m_rejected;
    if (job.task)
        countKey(m_rejectedKeys, job.task->cls, job.stage);
}

void Domain::uncountQueued(std::size_t n)
{
    if (m_queueCap && n > 0)
        m_queueCap->queued.fetch_sub(std::int64_t(n), std::memory_order_relaxed);
}

Admission Domain::submit(StageJob job)
{
    std::vector<StageJob> dropped;
    Admission result = Admission::Accepted;
    bool launchNow = false;
    {
        std::unique_lock lk(m_mu);
        for (;;) {
            if (m_cancel.load(std::memory_order_relaxed)) {
                result = Admission::Cancelled;
                break;
            }
            if (!fullLocked())
                break;
            if (m_bp.onFull == OnFull::Reject) {
                result = Admission::Rejected;
                noteRejectedLocked(job);
                break;
            }
            if (m_bp.onFull == OnFull::DropOldest) {
                if (m_queue.empty()) { // full of running stages: nothing can be dropped
                    result = Admission::Rejected;
                    noteRejectedLocked(job);
                    break;
                }
                integrateLocked(nowNs());
                noteRejectedLocked(m_queue.front());
                dropped.push_back(std::move(m_queue.front()));
                m_queue.pop_front();
                uncountQueued(1);
                continue;
            }
            // on_full: block. A worker of this very domain waiting for room in it would wait
            // for itself; it is admitted over the limit instead.
            if (currentDomain() == this)
                break;
            m_space.wait(lk);
        }
        const bool freeNow = m_pooled ? (m_running < m_workers && m_queue.empty()) : (m_busy == 0 && m_queue.empty());
        if (result == Admission::Accepted && m_queueCap && m_queueCap->cap > 0 && !(m_pooled && freeNow)
            && m_queueCap->queued.load(std::memory_order_relaxed) >= m_queueCap->cap) {
            // The engine-wide memory bound: a stage that would wait is refused, whatever the policy.
            result = Admission::CapReached;
            noteRejectedLocked(job);
        }
        if (result == Admission::Accepted) {
            const std::int64_t now = nowNs();
            integrateLocked(now);
            job.enqueuedNs = now;
            if (job.stage == 0 && job.task) // naive latency (DESIGN §15): from the actual dispatch
                job.task->dispatchedNs = now;
            job.deadlineNs = job.timeoutNs ? now + job.timeoutNs : 0;
            ++m_admitted;
            const bool free = freeNow;
            job.waited = !free;
            if (!free)
                ++m_waited;
            if (m_pooled && free) {
                ++m_running;
                launchNow = true;
            } else {
                m_queue.push_back(std::move(job));
                m_queueMax = std::max(m_queueMax, int(m_queue.size()));
                if (m_queueCap)
                    m_queueCap->queued.fetch_add(1, std::memory_order_relaxed);
            }
        }
    }
    for (auto &d : dropped) {
        if (m_trace && d.task)
            m_trace->recordRefused(m_kind, *d.task, d.stage, Outcome::Rejected, nowNs(), d.enqueuedNs);
        m_host.stageAborted(std::move(d), Outcome::Rejected, QStringLiteral("dropped (on_full: drop_oldest)"));
    }
    if (result != Admission::Accepted)
        return result;
    if (launchNow)
        launch(std::move(job));
    else if (!m_pooled)
        queuedForLater();
    return result;
}

void Domain::resize(int workers)
{
    if (m_kind == DomainKind::Loop)
        return; // always one thread
    workers = std::max(1, workers);
    applyWorkers(workers);
    std::vector<StageJob> toLaunch;
    {
        std::lock_guard lk(m_mu);
        integrateLocked(nowNs());
        m_workers = workers;
        while (m_pooled && m_running < m_workers && !m_queue.empty()) {
            toLaunch.push_back(std::move(m_queue.front()));
            m_queue.pop_front();
            uncountQueued(1);
            ++m_running;
        }
    }
    m_space.notify_all();
    for (auto &j : toLaunch)
        launch(std::move(j));
}

void Domain::setBackpressure(const Backpressure &bp)
{
    {
        std::lock_guard lk(m_mu);
        m_bp = bp;
    }
    m_space.notify_all();
}

void Domain::cancelAll()
{
    m_cancel.store(true, std::memory_order_release);
    std::deque<StageJob> queued;
    {
        std::lock_guard lk(m_mu);
        integrateLocked(nowNs());
        queued.swap(m_queue);
        uncountQueued(queued.size());
    }
    m_space.notify_all();
    m_idle.notify_all();
    for (auto &j : queued) {
        if (m_trace && j.task)
            m_trace->recordRefused(m_kind, *j.task, j.stage, Outcome::Cancelled, nowNs(), j.enqueuedNs);
        m_host.stageAborted(std::move(j), Outcome::Cancelled, QStringLiteral("cancelled"));
    }
    cancelRunning();
}

bool Domain::waitIdle(std::int64_t timeoutNs)
{
    std::unique_lock lk(m_mu);
    return m_idle.wait_for(
        lk, std::chrono::nanoseconds(timeoutNs), [this] { return m_running == 0 && m_queue.empty(); });
}

std::optional<StageJob> Domain::takeQueued()
{
    std::lock_guard lk(m_mu);
    if (m_queue.empty())
        return std::nullopt;
    integrateLocked(nowNs());
    StageJob j = std::move(m_queue.front());
    m_queue.pop_front();
    uncountQueued(1);
    ++m_running;
    m_space.notify_one();
    return j;
}

bool Domain::startStage(StageJob &job, std::int64_t startNs, WorkResult *early)
{
    const std::int64_t wait = startNs - job.enqueuedNs;
    m_waitHist.record(wait);
    if (wait > m_thresholdNs) {
        m_starved.fetch_add(1, std::memory_order_relaxed);
        m_starvedNs.fetch_add(wait - m_thresholdNs, std::memory_order_relaxed);
    }
    if (job.deadlineNs && startNs > job.deadlineNs) {
        *early = WorkResult { WorkStatus::TimedOut, QStringLiteral("timeout (while queued)") };
        return false;
    }
    if (m_cancel.load(std::memory_order_acquire)) {
        *early = WorkResult { WorkStatus::Cancelled, QStringLiteral("cancelled") };
        return false;
    }
    job.startedNs = startNs;
    if (job.work == WorkKind::Cpu)
        m_cpuRunning.fetch_add(1, std::memory_order_relaxed);
    return true; // pool domains count a running stage as busy: no lock on this path
}

void Domain::endStage(StageJob &&job, const WorkResult &result, std::int64_t startNs, std::int64_t endNs, bool ran,
    std::optional<StageJob> *next)
{
    if (ran) {
        m_serviceHist.record(endNs - startNs);
        m_sojournHist.record(endNs - job.enqueuedNs);
        if (job.work == WorkKind::Cpu)
            m_cpuRunning.fetch_sub(1, std::memory_order_relaxed);
    }
    m_done.fetch_add(1, std::memory_order_relaxed);
    bool idle = false;
    {
        std::lock_guard lk(m_mu);
        integrateLocked(endNs);
        --m_running;
        if (next && m_pooled && m_running < m_workers && !m_queue.empty()) {
            *next = std::move(m_queue.front());
            m_queue.pop_front();
            uncountQueued(1);
            ++m_running;
        }
        idle = m_running == 0 && m_queue.empty();
    }
    m_space.notify_one();
    if (idle)
        m_idle.notify_all();
    if (job.task) // hosts that run bare stages (benchmarks) carry no task
        job.task->lastEndNs = endNs;
    if (m_trace && job.task)
        m_trace->recordStage(m_kind, job, result.status, startNs, endNs, ran);
    m_host.stageEnded(std::move(job), result);
}

std::optional<StageJob> Domain::runAndNext(StageJob job)
{
    const std::int64_t start = nowNs();
    WorkResult result;
    const bool ran = startStage(job, start, &result);
    if (ran)
        result = m_host.runStage(job, controlFor(job));
    std::optional<StageJob> next;
    endStage(std::move(job), result, start, ran ? nowNs() : start, ran, &next);
    return next;
}

void Domain::setBusy(bool busy, std::int64_t nowNs)
{
    std::lock_guard lk(m_mu);
    integrateLocked(nowNs);
    m_busy = busy ? 1 : 0;
}

DomainFrame Domain::sample(std::int64_t now)
{
    DomainFrame f;
    std::vector<KeyCount> queued;
    double busyDelta = 0;
    double capacityDelta = 0;
    {
        std::lock_guard lk(m_mu);
        integrateLocked(now);
        f.queue = int(m_queue.size());
        f.inflight = f.queue + m_running;
        f.busy = busyLocked();
        f.workers = m_workers;
        // FIFO: the starved stages are the oldest, at the front.
        for (const auto &j : m_queue) {
            if (now - j.enqueuedNs <= m_thresholdNs)
                break;
            ++f.starved;
        }
        int seen = 0;
        for (const auto &j : m_queue) {
            if (++seen > kQueueSample)
                break;
            if (j.task)
                countKey(queued, j.task->cls, j.stage);
        }
        f.rejected = m_rejected;
        f.rejectedTop = topKeys(m_rejectedKeys);
        m_rejectedKeys.clear();
        f.bounded = m_bp.queue > 0 || m_bp.maxInflight > 0;
        busyDelta = m_busyIntegral - m_lastBusyIntegral;
        capacityDelta = m_capacityIntegral - m_lastCapacityIntegral;
        m_lastBusyIntegral = m_busyIntegral;
        m_lastCapacityIntegral = m_capacityIntegral;
    }
    f.queuedTop = topKeys(queued);
    f.cpuRunning = m_cpuRunning.load(std::memory_order_relaxed);
    f.crashes = m_crashes.load(std::memory_order_relaxed);
    f.utilization = capacityDelta > 0 ? std::min(1.0, busyDelta / capacityDelta) : 0.0;
    f.done = m_done.load(std::memory_order_relaxed);
    m_sojournWindow.tick(now, m_sojournHist.snapshot());
    f.p99Ms = nsToMs(m_sojournWindow.window().percentile(0.99));
    m_doneHistory.emplace_back(now, f.done);
    while (m_doneHistory.size() > 2 && now - m_doneHistory[1].first >= kNsPerSec)
        m_doneHistory.pop_front();
    const auto &[t0, d0] = m_doneHistory.front();
    f.throughput = now > t0 ? double(f.done - d0) * 1e9 / double(now - t0) : 0.0;
    return f;
}

DomainTotals Domain::totals(std::int64_t now) const
{
    DomainTotals t;
    {
        std::lock_guard lk(m_mu);
        const double dt = double(now - m_lastChangeNs);
        const double busy = m_busyIntegral + busyLocked() * std::max(0.0, dt);
        const double cap = m_capacityIntegral + m_workers * std::max(0.0, dt);
        const double queue = m_queueIntegral + double(m_queue.size()) * std::max(0.0, dt);
        t.workers = m_workers;
        t.utilization = cap > 0 ? std::min(1.0, busy / cap) : 0.0;
        t.queueMean = now > m_startNs ? queue / double(now - m_startNs) : 0.0;
        t.queueMax = m_queueMax;
        t.pWait = m_admitted ? double(m_waited) / double(m_admitted) : 0.0;
        t.busyNs = busy;
        t.capacityNs = cap;
        t.queueNs = queue;
        t.spanNs = double(std::max<std::int64_t>(0, now - m_startNs));
        t.admitted = m_admitted;
        t.waited = m_waited;
    }
    t.completed = m_done.load(std::memory_order_relaxed);
    t.wait = m_waitHist.snapshot();
    t.service = m_serviceHist.snapshot();
    t.starved = m_starved.load(std::memory_order_relaxed);
    t.starvedMs = nsToMs(double(m_starvedNs.load(std::memory_order_relaxed)));
    t.crashes = m_crashes.load(std::memory_order_relaxed);
    t.restarts = m_restarts.load(std::memory_order_relaxed);
    return t;
}

} // namespace hs
