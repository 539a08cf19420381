#include "domains/tbbdomain.h"

#include "core/clock.h"
#include "core/tsanhandoff.h"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <QThread>

#include <condition_variable>
#include <list>
#include <memory>
#include <mutex>

namespace hs {

namespace {
// oneTBB lets the smallest active max_allowed_parallelism win, so the engine keeps exactly one
// limit for the whole process, sized for every tbb domain's slots (plus the external threads).
std::mutex g_limitMutex;
int g_slotsInUse = 0;
std::unique_ptr<tbb::global_control> g_limit;

void adjustParallelism(int delta)
{
    std::lock_guard lk(g_limitMutex);
    g_slotsInUse += delta;
    const int wanted = std::max(QThread::idealThreadCount(), g_slotsInUse + 1);
    g_limit.reset();
    if (g_slotsInUse > 0)
        g_limit
            = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, std::size_t(wanted));
}
} // namespace

static void warmUpArena(tbb::task_arena &arena, int n);

struct TbbDomain::Impl {
    struct Arena {
        explicit Arena(int n)
            : arena(n, 0)
        { } // no slot reserved for external threads
        tbb::task_arena arena;
        tbb::task_group group;
    };
    std::mutex mu;
    std::list<Arena> arenas; // back() takes new stages; older ones drain
    int slotCount = 0;
    bool stopped = false;
};

TbbDomain::TbbDomain(StageHost &host, const DomainConfig &cfg, std::int64_t starvationThresholdNs)
    : Domain(DomainKind::Tbb, host, cfg, starvationThresholdNs)
    , d(std::make_unique<Impl>())
{ }

TbbDomain::~TbbDomain()
{
    stop();
}

bool TbbDomain::start(QString *)
{
    const int n = workers();
    std::lock_guard lk(d->mu);
    adjustParallelism(n); // before the arena exists, so it gets all its workers
    d->slotCount = n;
    d->arenas.emplace_back(n);
    d->arenas.back().arena.initialize();
    warmUpArena(d->arenas.back().arena, n);
    return true;
}

static void warmUpArena(tbb::task_arena &arena, int n)
{
    // oneTBB creates its worker threads lazily and terminates the process when one cannot be
    // created (from a noexcept worker routine). The engine checks first (probeThreads) and then
    // makes oneTBB create them all now, while nothing else is running: n tasks that wait for each
    // other (bounded) occupy every slot at once.
    struct Rendezvous {
        std::mutex mu;
        std::condition_variable cv;
        int arrived = 0;
    };
    auto r = std::make_shared<Rendezvous>();
    // One deadline for all: tasks that only get a thread after it (more slots than oneTBB will
    // give threads) return at once instead of each waiting again.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    for (int i = 0; i < n; ++i)
        arena.enqueue([r, n, deadline] {
            std::unique_lock lk(r->mu);
            ++r->arrived;
            r->cv.notify_all();
            r->cv.wait_until(lk, deadline, [&] { return r->arrived >= n; });
        });
    std::unique_lock lk(r->mu);
    r->cv.wait_until(lk, deadline, [&] { return r->arrived >= n; });
}

void TbbDomain::stop()
{
    {
        std::lock_guard lk(d->mu);
        if (d->stopped || d->arenas.empty())
            return;
        d->stopped = true;
    }
    cancelAll();
    waitIdle(10 * kNsPerSec);
    // task_group::wait must run inside the arena that owns the group's tasks.
    for (auto &a : d->arenas)
        a.arena.execute([&a] { a.group.wait(); });
    d->arenas.clear();
    adjustParallelism(-d->slotCount);
}

void TbbDomain::applyWorkers(int n)
{
    std::lock_guard lk(d->mu);
    if (d->stopped || n == d->slotCount)
        return;
    adjustParallelism(n - d->slotCount);
    d->slotCount = n;
    d->arenas.emplace_back(n);
    d->arenas.back().arena.initialize();
}

void TbbDomain::launch(StageJob job)
{
    tsanHandOff(job.task.get());
    std::lock_guard lk(d->mu);
    Impl::Arena &a = d->arenas.back();
    a.arena.enqueue(a.group.defer([this, j = std::move(job)] {
        tsanTakeOver(j.task.get());
        work(j);
    }));
}

void TbbDomain::work(StageJob job)
{
    static thread_local bool prepared = false;
    if (!prepared) {
        prepareEngineThread("hs-tbb");
        prepared = true;
    }
    setCurrentDomain(this);
    std::optional<StageJob> next = std::move(job);
    while (next)
        next = runAndNext(std::move(*next));
    setCurrentDomain(nullptr);
}

} // namespace hs
