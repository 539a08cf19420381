#include "domains/threadsdomain.h"

#include "core/clock.h"
#include "core/tsanhandoff.h"

#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <condition_variable>
#include <mutex>

namespace hs {

ThreadsDomain::ThreadsDomain(StageHost &host, const DomainConfig &cfg, std::int64_t starvationThresholdNs)
    : Domain(DomainKind::Threads, host, cfg, starvationThresholdNs)
    , m_pool(std::make_unique<QThreadPool>())
{
    m_pool->setObjectName(QStringLiteral("hs-threads"));
    m_pool->setMaxThreadCount(workers());
    m_pool->setExpiryTimeout(-1); // workers stay until stop(): no thread churn mid-run
}

ThreadsDomain::~ThreadsDomain()
{
    stop();
}

bool ThreadsDomain::start(QString *error)
{
    // Every worker thread is started now, all at once: QThreadPool loses a task whose thread
    // cannot be created (and then waits for it forever), so a failure must happen here, where
    // it can be reported, not mid-run. The workers stay (no expiry) and are reused.
    const int n = workers();
    struct Rendezvous {
        std::mutex mu;
        std::condition_variable cv;
        int arrived = 0;
        int left = 0;
    };
    auto r = std::make_shared<Rendezvous>();
    r->left = n;
    for (int i = 0; i < n; ++i)
        m_pool->start([r, n] {
            std::unique_lock lk(r->mu);
            ++r->arrived;
            r->cv.notify_all();
            // Hold this thread until all are up, so each start creates a new one (bounded).
            r->cv.wait_for(lk, std::chrono::seconds(10), [&] { return r->arrived >= n; });
            --r->left;
            r->cv.notify_all();
        });
    std::unique_lock lk(r->mu);
    const bool all = r->cv.wait_for(lk, std::chrono::seconds(10), [&] { return r->arrived >= n; });
    if (all) {
        r->cv.wait(lk, [&] { return r->left == 0; }); // they leave at once
        return true;
    }
    const int arrived = r->arrived;
    lk.unlock();
    if (error)
        *error = QStringLiteral("threads: could start only %1 of %2 worker threads (thread creation failed; "
                                "lower the workers or raise the limit on processes, ulimit -u)")
                     .arg(arrived)
                     .arg(n);
    m_stopped = true; // stop() has nothing to wait for
    abandonPool();
    return false;
}

void ThreadsDomain::abandonPool()
{
    // A pool that lost a task to a failed thread start counts it as active forever: its
    // waitForDone() (and its destructor) would never return. Its threads finish and exit on
    // their own; the pool object is deliberately leaked.
    m_abandoned = true;
    m_pool->setMaxThreadCount(1);
    (void)m_pool.release();
}

void ThreadsDomain::stop()
{
    if (m_stopped.exchange(true))
        return;
    cancelAll();
    waitIdle(10 * kNsPerSec);
    if (!m_pool->waitForDone(10'000)) {
        qWarning("hybridscope: threads: workers did not finish within 10 s; leaving them behind");
        abandonPool();
    }
    // The pool itself lives until the destructor: a resize racing with shutdown (from the GUI)
    // may still call setMaxThreadCount on it.
}

void ThreadsDomain::applyWorkers(int n)
{
    // The dispatcher admits at most `n` running stages; when shrinking, threads above n finish
    // their stage and leave.
    if (!m_abandoned)
        m_pool->setMaxThreadCount(n);
}

void ThreadsDomain::launch(StageJob job)
{
    if (m_abandoned) { // only after a failed start or stop: nothing runs here any more
        const std::int64_t now = nowNs();
        endStage(std::move(job), WorkResult { WorkStatus::Cancelled, QStringLiteral("cancelled") }, now, now, false);
        return;
    }
    QThreadPool *pool = m_pool.get();
    tsanHandOff(job.task.get());
    (void)QtConcurrent::run(pool, [this, j = std::move(job)]() mutable {
        tsanTakeOver(j.task.get());
        work(std::move(j));
    });
}

void ThreadsDomain::work(StageJob job)
{
    static thread_local bool prepared = false;
    if (!prepared) {
        prepareEngineThread("hs-threads");
        prepared = true;
    }
    setCurrentDomain(this);
    std::optional<StageJob> next = std::move(job);
    while (next)
        next = runAndNext(std::move(*next));
    setCurrentDomain(nullptr);
}

} // namespace hs
