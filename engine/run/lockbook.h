#pragma once

// DESIGN §15: the engine's side of a run's locks and shared counters: the lock segment, which
// stage takes what, and the figures (per resource, per frame, at the end).

#include "core/frame.h"
#include "core/latencyhistogram.h"
#include "procs/sharedlocks.h"
#include "results/runresult.h"
#include "scenario/scenario.h"

#include <QStringList>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include <sys/types.h>

namespace hs {

class LockBook {
public:
    explicit LockBook(const Scenario &s);
    ~LockBook();

    /// Creates the run's lock segment (when any stage takes a lock or updates a counter).
    bool start(QString *error);
    /// Removes the segment's name: the run is over (its figures stay readable).
    void finish();
    bool used() const { return !m_names.isEmpty(); }
    /// The segment's name for the worker processes (empty: none).
    QByteArray segmentName() const;

    bool takesLocks(int cls, int stage) const;
    /// Runs a stage's work under its locks in this process and records how it went.
    WorkResult run(int cls, int stage, DomainKind dk, const WorkControl &ctl,
        const std::function<WorkResult(int part, int parts)> &work);
    /// What a worker needs to take the stage's locks.
    void remotePlan(
        int cls, int stage, DomainKind dk, std::vector<LockRequest> *locks, int *update, LockKey *self) const;
    /// A worker process ended: its lock waits no longer count as waiting (one killed mid-wait).
    void forgetProcess(pid_t pid);
    /// Records a worker's lock waits; returns the reason a lock timeout reports (else empty).
    QString record(int cls, int stage, DomainKind dk, const LockedRun &run);

    /// Monitor thread, 20 Hz.
    std::vector<LockFrame> sample(std::int64_t now);
    std::vector<LockResult> results() const;

private:
    struct Edge {
        std::uint64_t waits = 0;
        std::int64_t ns = 0;
    };
    struct Res {
        std::atomic<std::uint64_t> acquisitions { 0 }, contended { 0 }, timeouts { 0 }, recovered { 0 }, updates { 0 };
        LatencyHistogram wait;
        SlidingWindow window; // monitor thread only
        mutable std::mutex m;
        std::map<std::pair<std::uint64_t, std::uint64_t>, Edge> edges; // (waiter, holder) -> figures
        std::map<std::uint64_t, std::int64_t> frameWaiters, frameHolders; // since the previous frame
    };
    QString keyText(std::uint64_t packed) const;

    const Scenario &m_scenario;
    QStringList m_names;
    std::vector<std::optional<LockScope>> m_scopes;
    std::vector<bool> m_counters;
    std::vector<std::vector<std::vector<LockRequest>>> m_locks; // [class][stage]
    std::vector<std::vector<int>> m_update; // [class][stage], -1: none
    std::vector<std::unique_ptr<Res>> m_res;
    std::unique_ptr<SharedLocks> m_shared;
};

} // namespace hs
