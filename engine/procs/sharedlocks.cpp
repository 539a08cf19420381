#include "procs/sharedlocks.h"

#include "core/clock.h"
#include "procs/shmsegment.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include <pthread.h>
#include <time.h>
#include <unistd.h>

namespace hs {

namespace {
constexpr std::uint32_t kMagic = 0x4b434c48; // "HLCK"
constexpr std::int64_t kSliceNs = 2'000'000; // a wait checks cancel and deadlines this often

struct Header {
    std::atomic<std::uint32_t> magic; // set last (release): the slots are initialised
    std::uint32_t count;
};

timespec toTimespec(std::int64_t ns)
{
    timespec ts;
    ts.tv_sec = time_t(ns / 1'000'000'000);
    ts.tv_nsec = long(ns % 1'000'000'000);
    return ts;
}
} // namespace

// How many stages of one process wait for a resource now. A process counts in its own entry so
// that the engine can take back what a worker killed mid-wait never took back (forgetProcess).
struct WaitEntry {
    std::atomic<std::int32_t> pid; // 0: free
    std::atomic<std::int32_t> count;
};
constexpr int kWaitEntries = 64;

// One resource in the segment: written by every process that maps it.
struct SharedLocks::Slot {
    pthread_mutex_t mutex; // the `process` lock: robust, process-shared
    std::atomic<std::uint64_t> holder; // LockKey of the process lock's holder
    std::atomic<std::uint64_t> counter; // the shared counter `update:` increments
    std::atomic<std::int32_t> waiting; // waiting stages of processes that found no free entry
    WaitEntry waiters[kWaitEntries];
};

// This process's own `thread` lock of one name.
struct SharedLocks::Local {
    pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
    std::atomic<std::uint64_t> holder { 0 };
    ~Local() { pthread_mutex_destroy(&mutex); }
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "counters in shared memory must be lock-free");
static_assert(std::atomic<std::int32_t>::is_always_lock_free, "counters in shared memory must be lock-free");

std::uint64_t LockKey::pack() const
{
    if (!valid())
        return 0;
    return (std::uint64_t(1) << 63) | (std::uint64_t(std::uint32_t(cls) & 0xffffff) << 32)
        | (std::uint64_t(std::uint32_t(stage) & 0xffff) << 8) | std::uint64_t(std::uint8_t(domain + 1));
}

LockKey LockKey::unpack(std::uint64_t v)
{
    if (!(v >> 63))
        return {};
    return LockKey { int((v >> 32) & 0xffffff), int((v >> 8) & 0xffff), int(v & 0xff) - 1 };
}

SharedLocks::~SharedLocks()
{
    // The process mutexes are not destroyed: another process may still have them mapped; the
    // memory goes with the segment.
    m_local.clear();
}

SharedLocks::Slot *SharedLocks::slot(int index) const
{
    auto *base = m_seg->data() + sizeof(Header);
    return reinterpret_cast<Slot *>(base) + index;
}

const QByteArray &SharedLocks::name() const
{
    return m_seg->name();
}

void SharedLocks::unlinkName()
{
    m_seg->unlinkName();
}

std::unique_ptr<SharedLocks> SharedLocks::create(int count, QString *error)
{
    std::unique_ptr<SharedLocks> s(new SharedLocks);
    s->m_pid = std::int32_t(::getpid());
    s->m_seg = ShmSegment::create(error);
    if (!s->m_seg)
        return nullptr;
    const std::size_t bytes = sizeof(Header) + sizeof(Slot) * std::size_t(std::max(count, 1));
    if (!s->m_seg->reserve(bytes, error))
        return nullptr;
    s->m_count = count;
    for (int i = 0; i < count; ++i) {
        Slot *sl = new (s->slot(i)) Slot;
        pthread_mutexattr_t a;
        pthread_mutexattr_init(&a);
        pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
        pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
        const int rc = pthread_mutex_init(&sl->mutex, &a);
        pthread_mutexattr_destroy(&a);
        if (rc != 0) {
            if (error)
                *error = QStringLiteral("locks: cannot make a process-shared mutex: %1")
                             .arg(QString::fromLocal8Bit(std::strerror(rc)));
            return nullptr;
        }
        sl->holder.store(0, std::memory_order_relaxed);
        sl->counter.store(0, std::memory_order_relaxed);
        sl->waiting.store(0, std::memory_order_relaxed);
        for (WaitEntry &e : sl->waiters) {
            e.pid.store(0, std::memory_order_relaxed);
            e.count.store(0, std::memory_order_relaxed);
        }
        s->m_local.push_back(std::make_unique<Local>());
    }
    auto *h = new (s->m_seg->data()) Header;
    h->count = std::uint32_t(count);
    h->magic.store(kMagic, std::memory_order_release);
    return s;
}

std::unique_ptr<SharedLocks> SharedLocks::open(const QByteArray &name, QString *error)
{
    std::unique_ptr<SharedLocks> s(new SharedLocks);
    s->m_pid = std::int32_t(::getpid());
    s->m_seg = ShmSegment::open(name, error);
    if (!s->m_seg || !s->m_seg->mapAtLeast(sizeof(Header), error))
        return nullptr;
    const auto *h = reinterpret_cast<const Header *>(s->m_seg->data());
    if (h->magic.load(std::memory_order_acquire) != kMagic || h->count > 100000) {
        if (error)
            *error = QStringLiteral("locks: %1 is not a lock segment").arg(QString::fromUtf8(name));
        return nullptr;
    }
    const int count = int(h->count);
    if (!s->m_seg->mapAtLeast(sizeof(Header) + sizeof(Slot) * std::size_t(std::max(count, 1)), error))
        return nullptr;
    s->m_count = count;
    for (int i = 0; i < count; ++i)
        s->m_local.push_back(std::make_unique<Local>());
    return s;
}

std::uint64_t SharedLocks::counter(int index) const
{
    return index >= 0 && index < m_count ? slot(index)->counter.load(std::memory_order_relaxed) : 0;
}

int SharedLocks::waiting(int index) const
{
    if (index < 0 || index >= m_count)
        return 0;
    const Slot *sl = slot(index);
    int n = sl->waiting.load(std::memory_order_relaxed);
    for (const WaitEntry &e : sl->waiters)
        n += e.count.load(std::memory_order_relaxed);
    return n;
}

std::atomic<std::int32_t> *SharedLocks::waitCounter(Slot *sl) const
{
    for (WaitEntry &e : sl->waiters) {
        std::int32_t pid = e.pid.load(std::memory_order_acquire);
        if (pid == 0 && e.pid.compare_exchange_strong(pid, m_pid, std::memory_order_acq_rel))
            return &e.count;
        if (pid == m_pid) // ours already, or another thread of this process just took it
            return &e.count;
    }
    return &sl->waiting;
}

void SharedLocks::forgetProcess(std::int32_t pid)
{
    if (pid <= 0 || pid == m_pid)
        return;
    for (int i = 0; i < m_count; ++i)
        for (WaitEntry &e : slot(i)->waiters)
            if (e.pid.load(std::memory_order_acquire) == pid) {
                e.count.store(0, std::memory_order_relaxed);
                e.pid.store(0, std::memory_order_release);
            }
}

WorkResult SharedLocks::run(const std::vector<LockRequest> &locks, int update, LockKey self, const WorkControl &ctl,
    const std::function<WorkResult(int part, int parts)> &work, LockedRun *out)
{
    struct Held {
        pthread_mutex_t *mutex;
        std::atomic<std::uint64_t> *holder;
    };
    std::vector<Held> held;
    held.reserve(locks.size());
    const auto releaseAll = [&] {
        for (auto it = held.rbegin(); it != held.rend(); ++it) {
            it->holder->store(0, std::memory_order_relaxed);
            pthread_mutex_unlock(it->mutex);
        }
        held.clear();
    };
    const std::uint64_t me = self.pack();
    const int parts = std::max<int>(1, int(locks.size()));
    std::uint64_t read = 0;
    WorkResult result;
    for (int part = 0; part < parts; ++part) {
        if (part < int(locks.size())) {
            const LockRequest &lr = locks[std::size_t(part)];
            if (lr.index < 0 || lr.index >= m_count) {
                releaseAll();
                return WorkResult { WorkStatus::Failed, QStringLiteral("lock: no resource %1").arg(lr.index) };
            }
            Slot *sl = slot(lr.index);
            Local &lo = *m_local[std::size_t(lr.index)];
            pthread_mutex_t *m = lr.scope == LockScope::Process ? &sl->mutex : &lo.mutex;
            std::atomic<std::uint64_t> *holder = lr.scope == LockScope::Process ? &sl->holder : &lo.holder;
            LockWait w;
            w.index = lr.index;
            int rc = pthread_mutex_trylock(m);
            if (rc == EBUSY) {
                w.contended = true;
                w.holder = holder->load(std::memory_order_relaxed);
                std::atomic<std::int32_t> *waitingNow = waitCounter(sl);
                waitingNow->fetch_add(1, std::memory_order_relaxed);
                const std::int64_t start = nowNs();
                const std::int64_t lockDeadline = lr.timeoutNs > 0 ? start + lr.timeoutNs : 0;
                for (;;) {
                    if (ctl.cancel && ctl.cancel->load(std::memory_order_relaxed)) {
                        result = WorkResult { WorkStatus::Cancelled, QStringLiteral("cancelled") };
                        break;
                    }
                    const std::int64_t now = nowNs();
                    if (ctl.deadlineNs > 0 && now >= ctl.deadlineNs) {
                        result = WorkResult { WorkStatus::TimedOut, QStringLiteral("timeout") };
                        break;
                    }
                    if (lockDeadline > 0 && now >= lockDeadline) {
                        w.timedOut = true;
                        result = WorkResult { WorkStatus::Failed, QStringLiteral("lock timeout: possible deadlock") };
                        break;
                    }
                    std::int64_t until = now + kSliceNs;
                    if (lockDeadline > 0)
                        until = std::min(until, lockDeadline);
                    if (ctl.deadlineNs > 0)
                        until = std::min(until, ctl.deadlineNs);
                    // One slice of the wait. pthread_mutex_timedlock takes a CLOCK_REALTIME instant
                    // (sanitizers intercept it, unlike clocklock); a clock step can only lengthen or
                    // shorten this one slice: the deadlines above are on CLOCK_MONOTONIC.
                    timespec real;
                    clock_gettime(CLOCK_REALTIME, &real);
                    const timespec ts = toTimespec(std::int64_t(real.tv_sec) * 1'000'000'000 + real.tv_nsec
                        + std::max<std::int64_t>(0, until - now));
                    rc = pthread_mutex_timedlock(m, &ts);
                    if (rc == 0 || rc == EOWNERDEAD)
                        break;
                    // Who held it when this stage arrived blocked it; a later holder only when
                    // that one was not known (it was between owners).
                    if (!w.holder)
                        w.holder = holder->load(std::memory_order_relaxed);
                    if (rc != ETIMEDOUT) {
                        result = WorkResult { WorkStatus::Failed,
                            QStringLiteral("lock: %1").arg(QString::fromLocal8Bit(std::strerror(rc))) };
                        break;
                    }
                }
                waitingNow->fetch_sub(1, std::memory_order_relaxed);
                w.waitNs = nowNs() - start;
            }
            if (rc == EOWNERDEAD) {
                // The holder died holding it (a crashed worker): take it over.
                pthread_mutex_consistent(m);
                w.recovered = true;
                rc = 0;
            }
            if (rc == 0 && result.status == WorkStatus::Ok) {
                w.acquired = true;
                holder->store(me, std::memory_order_relaxed);
                held.push_back({ m, holder });
            } else if (rc == 0) {
                pthread_mutex_unlock(m); // got it just as the wait gave up
            }
            if (out)
                out->waits.push_back(w);
            if (result.status != WorkStatus::Ok) {
                releaseAll();
                return result;
            }
        }
        if (part == parts - 1 && update >= 0 && update < m_count)
            read = slot(update)->counter.load(std::memory_order_relaxed);
        result = work(part, parts);
        if (result.status != WorkStatus::Ok) {
            releaseAll();
            return result;
        }
    }
    if (update >= 0 && update < m_count) {
        // A separate load and store, not a fetch_add: a wrong guard really loses updates.
        slot(update)->counter.store(read + 1, std::memory_order_relaxed);
        if (out)
            out->updated = true;
    }
    releaseAll();
    return result;
}

QString lockTimeoutReason(const QString &lockName, double waitedMs, const QString &holder)
{
    QString r = QStringLiteral("lock timeout: possible deadlock: waited %1 ms for lock '%2'")
                    .arg(QString::number(waitedMs, 'f', 0), lockName);
    if (!holder.isEmpty())
        r += QStringLiteral(" (held by ") + holder + QLatin1Char(')');
    return r;
}

} // namespace hs
