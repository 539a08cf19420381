#pragma once

// DESIGN §15: the locks and shared counters of a run. One shared-memory segment per run holds, per
// shared resource name (sharedResourceNames order), a robust process-shared mutex (the `process`
// lock), the counter `update:` increments, the process lock's current holder and how many stages
// wait for the resource now. Each process that opens the segment also has its own `thread` lock
// of every name: the engine's guards loop, threads and tbb; a worker process's copy guards only
// that worker (the mixed-primitives pitfall, for real).

#include "domains/work.h"
#include "scenario/scenario.h"

#include <QByteArray>
#include <QString>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace hs {

class ShmSegment;

/// Who holds or waits for a lock: class, stage and domain, packed in 64 bits (0: nobody/unknown).
struct LockKey {
    int cls = -1;
    int stage = -1;
    int domain = -1; ///< DomainKind as int
    std::uint64_t pack() const;
    static LockKey unpack(std::uint64_t v);
    bool valid() const { return cls >= 0 && stage >= 0; }
};

/// One lock a stage takes (resolved to its resource index).
struct LockRequest {
    int index = 0; ///< in sharedResourceNames()
    LockScope scope = LockScope::Thread;
    std::int64_t timeoutNs = 0;
};

/// How taking one lock went.
struct LockWait {
    int index = 0;
    std::int64_t waitNs = 0; ///< 0 when the lock was free
    bool contended = false; ///< it was held when the stage first tried
    bool acquired = false;
    bool timedOut = false; ///< waited past the lock's timeout: the stage failed
    bool recovered = false; ///< its previous holder died holding it (EOWNERDEAD), made consistent
    std::uint64_t holder = 0; ///< LockKey::pack() of the holder seen while waiting (0: unknown)
};

/// What running a stage under its locks did.
struct LockedRun {
    std::vector<LockWait> waits; ///< one per lock tried, in order
    bool updated = false; ///< the counter's read–modify–write was completed
};

class SharedLocks {
public:
    ~SharedLocks();
    SharedLocks(const SharedLocks &) = delete;
    SharedLocks &operator=(const SharedLocks &) = delete;

    /// The engine's side: a new segment with `count` resources, mutexes initialised.
    static std::unique_ptr<SharedLocks> create(int count, QString *error);
    /// A worker's side: the segment the engine made.
    static std::unique_ptr<SharedLocks> open(const QByteArray &name, QString *error);

    const QByteArray &name() const;
    int count() const { return m_count; }
    /// Removes the segment's name (the engine, at shutdown). Idempotent.
    void unlinkName();

    std::uint64_t counter(int index) const;
    /// Stages of every process that wait for the resource now.
    int waiting(int index) const;
    /// A process that mapped the segment has ended (a worker killed mid-wait never took its
    /// waits back): its waits no longer count. The engine calls it for each worker it reaps.
    void forgetProcess(std::int32_t pid);

    /**
     * Runs a stage's work under `locks`, taken in order: with n locks the work is split in n
     * parts and lock k is taken before part k (`work(part, parts)`); all are held until the work
     * ends. With `update` >= 0 the counter is read once every lock is held and written back + 1
     * when the work succeeded. Waits are taken in slices of at most 2 ms so `ctl`'s cancel and
     * deadline are honoured; a wait past a lock's timeout fails the stage with a reason that
     * starts "lock timeout: possible deadlock".
     */
    WorkResult run(const std::vector<LockRequest> &locks, int update, LockKey self, const WorkControl &ctl,
        const std::function<WorkResult(int part, int parts)> &work, LockedRun *out);

private:
    SharedLocks() = default;
    struct Slot;
    struct Local;
    Slot *slot(int index) const;
    /// This process's count of waiters of `sl` (a shared overflow count when every entry is taken).
    std::atomic<std::int32_t> *waitCounter(Slot *sl) const;
    std::unique_ptr<ShmSegment> m_seg;
    std::int32_t m_pid = 0;
    std::vector<std::unique_ptr<Local>> m_local;
    int m_count = 0;
};

/// "lock timeout: possible deadlock: waited 2000 ms for lock 'ledger' (held by move.debit on
/// threads)": the reason of a stage whose lock wait timed out. `holder` empty: not known.
QString lockTimeoutReason(const QString &lockName, double waitedMs, const QString &holder);

} // namespace hs
