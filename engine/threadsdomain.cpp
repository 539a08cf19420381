#include "threadsdomain.h"

#include "clock.h"
#include "tsanhandoff.h"

#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

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

bool ThreadsDomain::start(QString *)
{
    return true;
}

void ThreadsDomain::stop()
{
    if (m_stopped.exchange(true))
        return;
    cancelAll();
    waitIdle(10 * kNsPerSec);
    m_pool->waitForDone();
    // The pool itself lives until the destructor: a resize racing with shutdown (from the GUI)
    // may still call setMaxThreadCount on it.
}

void ThreadsDomain::applyWorkers(int n)
{
    // The dispatcher admits at most `n` running stages; when shrinking, threads above n finish
    // their stage and leave.
    m_pool->setMaxThreadCount(n);
}

void ThreadsDomain::launch(StageJob job)
{
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
