#pragma once

#include "core/frame.h"
#include "core/latencyhistogram.h"
#include "core/task.h"
#include "domains/work.h"
#include "scenario/scenario.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

namespace hs {

class TraceRecorder;

/// Backpressure settings of a domain (DESIGN §4).
struct Backpressure {
    int queue = 0; ///< 0: unbounded
    int maxInflight = 0; ///< 0: unlimited
    OnFull onFull = OnFull::Reject;
};

/// What became of a stage offered to a domain. CapReached: refused by the engine-wide QueueCap.
enum class Admission { Accepted, Rejected, Cancelled, CapReached };

/// Stages waiting in the queues of all domains of one engine, against a cap that keeps memory
/// bounded whatever the configuration (docs/metrics.md): beyond it a stage is rejected.
struct QueueCap {
    std::atomic<std::int64_t> queued { 0 };
    std::int64_t cap = 0; ///< 0: none
};

/// The engine's side of a domain: how to run a stage and what to do when it ends.
class StageHost {
public:
    virtual ~StageHost() = default;
    /// Runs the synchronous body of a stage: enterStage, the work, exitStage.
    virtual WorkResult runStage(StageJob &job, const WorkControl &ctl) = 0;
    /// The parts around the work, for domains that wait without blocking (the loop):
    /// enterStage moves the payload in; exitStage produces the payload out and injects faults.
    virtual void enterStage(StageJob &job) = 0;
    virtual WorkResult exitStage(StageJob &job, const WorkResult &workResult) = 0;
    /// DESIGN §15: a stage that takes a lock or updates a shared counter; on the loop its work then
    /// runs blocking (a lock wait cannot be awaited).
    virtual bool takesLocks(const StageJob &job) const
    {
        (void)job;
        return false;
    }
    /// Port of the built-in latency server (net stages).
    virtual std::uint16_t netPort() const = 0;
    /// Called exactly once per admitted stage that started, from the thread that ended it.
    virtual void stageEnded(StageJob &&job, const WorkResult &result) = 0;
    /// Called exactly once per admitted stage that never ran (dropped, cancelled while queued).
    virtual void stageAborted(StageJob &&job, Outcome outcome, const QString &reason) = 0;
};

/// Cumulative figures of a domain for reports.
struct DomainTotals {
    int workers = 0;
    std::uint64_t completed = 0; ///< stages that ran to an end (any result)
    double utilization = 0; ///< time-averaged busy / workers
    double queueMean = 0;
    int queueMax = 0;
    HistogramSnapshot wait, service;
    double pWait = 0; ///< share of stages that found no free worker
    std::uint64_t starved = 0; ///< stages that waited past the threshold
    double starvedMs = 0; ///< total time spent past it
    std::uint64_t crashes = 0;
    std::uint64_t restarts = 0;
    // The raw sums behind the figures above, so that two totals of one run give the figures of
    // the time between them (phases): worker-ns busy and available, queue-ns, ns since start.
    double busyNs = 0;
    double capacityNs = 0;
    double queueNs = 0;
    double spanNs = 0;
    std::uint64_t admitted = 0;
    std::uint64_t waited = 0;
};

/**
 * An execution domain: a bounded admission queue with a backpressure policy in front of a
 * resizable set of workers. The base class owns admission, the queue, the counters and the
 * histograms; a subclass only decides how a stage is started on a worker.
 *
 *     ThreadsDomain d(host, cfg, thresholdNs);
 *     d.start();
 *     if (d.submit(std::move(job)) == Admission::Rejected) ...
 *     d.resize(16);
 */
class Domain {
public:
    Domain(DomainKind kind, StageHost &host, const DomainConfig &cfg, std::int64_t starvationThresholdNs);
    virtual ~Domain();
    Domain(const Domain &) = delete;
    Domain &operator=(const Domain &) = delete;

    DomainKind kind() const { return m_kind; }

    virtual bool start(QString *error) = 0;
    /// Offers a stage. May block the caller under `on_full: block` until there is room.
    Admission submit(StageJob job);
    /// Grows at once; shrinks as running stages finish.
    void resize(int workers);
    void setBackpressure(const Backpressure &bp);
    Backpressure backpressure() const;
    /// Records a span for every stage that ends here (the trace export); set before start().
    void setTraceRecorder(TraceRecorder *trace) { m_trace = trace; }
    /// Shares the engine's cap on queued stages; set before start().
    void setQueueCap(QueueCap *cap) { m_queueCap = cap; }
    int workers() const;

    /// Stops admitting and cancels everything queued; running stages see the cancel flag.
    void cancelAll();
    /// Waits (bounded) until nothing runs, then releases the workers. Call after cancelAll().
    virtual void stop() = 0;

    /// Frame sample; also advances the sliding window. Called by one sampler thread.
    DomainFrame sample(std::int64_t nowNs);
    DomainTotals totals(std::int64_t nowNs) const;

    /// Pool domains: runs `job` now on the calling worker (start, run, end) and returns the
    /// next queued job this worker should run, if any (the worker keeps its slot).
    std::optional<StageJob> runAndNext(StageJob job);

protected:
    /// Start `job` on a free worker (a slot has been reserved for it).
    virtual void launch(StageJob job) = 0;
    /// Called after workers change (under no lock); subclasses resize their executor.
    virtual void applyWorkers(int workers) = 0;
    /// Loop-style domains run every admitted stage concurrently; pools limit it to `workers`.
    bool limitsConcurrency() const { return m_pooled; }
    /// Loop-style subclasses call this in their constructor.
    void setUnlimitedConcurrency() { m_pooled = false; }
    /// Loop-style: a stage was queued; the subclass arranges for takeQueued() to be called.
    virtual void queuedForLater() { }
    /// Called by cancelAll() after the queue was emptied: end stages that wait without a thread.
    virtual void cancelRunning() { }

    /// Loop-style: pops the oldest queued stage and counts it running, or nullopt.
    std::optional<StageJob> takeQueued();
    /// Records a stage's start (wait, starvation). Returns false, with `early` set, when the
    /// stage must not run: it timed out while queued, or the domain is cancelling.
    bool startStage(StageJob &job, std::int64_t startNs, WorkResult *early);
    /// Records a stage's end, releases its running slot and hands it to the host. With `next`,
    /// also takes the next queued stage for this worker in the same critical section.
    void endStage(StageJob &&job, const WorkResult &result, std::int64_t startNs, std::int64_t endNs, bool ran,
        std::optional<StageJob> *next = nullptr);
    /// Loop-style busy accounting: the thread entered / left stage code.
    void setBusy(bool busy, std::int64_t nowNs);

    WorkControl controlFor(const StageJob &job) const { return WorkControl { &m_cancel, job.deadlineNs }; }
    StageHost &host() { return m_host; }
    bool cancelling() const { return m_cancel.load(std::memory_order_acquire); }
    /// Waits until no stage runs or queues, bounded; true when quiet.
    bool waitIdle(std::int64_t timeoutNs);

private:
    bool fullLocked() const;
    void noteRejectedLocked(const StageJob &job);
    int busyLocked() const { return m_pooled ? m_running : m_busy; }
    void integrateLocked(std::int64_t nowNs);
    std::optional<StageJob> nextForWorkerLocked();
    void uncountQueued(std::size_t n);

    const DomainKind m_kind;
    StageHost &m_host;
    const std::int64_t m_thresholdNs;
    TraceRecorder *m_trace = nullptr;
    QueueCap *m_queueCap = nullptr;

    mutable std::mutex m_mu;
    std::condition_variable m_space; // producers blocked by on_full: block
    std::condition_variable m_idle; // waitIdle
    std::deque<StageJob> m_queue;
    int m_running = 0; // admitted stages started and not ended (pool domains: = busy workers)
    int m_busy = 0; // loop-style: the thread is in stage code
    bool m_pooled = true; // see limitsConcurrency()
    int m_workers = 1;
    Backpressure m_bp;
    std::atomic<bool> m_cancel { false };

    // Time integrals (under m_mu): busy worker-ns, capacity worker-ns, queue-ns.
    std::int64_t m_startNs = 0;
    std::int64_t m_lastChangeNs = 0;
    double m_busyIntegral = 0;
    double m_capacityIntegral = 0;
    double m_queueIntegral = 0;
    int m_queueMax = 0;
    std::uint64_t m_admitted = 0;
    std::uint64_t m_waited = 0;
    std::uint64_t m_rejected = 0; // refused or dropped by backpressure
    std::vector<KeyCount> m_rejectedKeys; // since the last sample
    // Sampler state (sampler thread only).
    double m_lastBusyIntegral = 0;
    double m_lastCapacityIntegral = 0;

    std::atomic<std::uint64_t> m_done { 0 };
    std::atomic<int> m_cpuRunning { 0 };
    std::atomic<std::uint64_t> m_starved { 0 };
    std::atomic<std::int64_t> m_starvedNs { 0 };
    LatencyHistogram m_waitHist;
    LatencyHistogram m_serviceHist;
    LatencyHistogram m_sojournHist;
    SlidingWindow m_sojournWindow;
    std::deque<std::pair<std::int64_t, std::uint64_t>> m_doneHistory; // sampler: (t, done)

protected:
    std::atomic<std::uint64_t> m_crashes { 0 };
    std::atomic<std::uint64_t> m_restarts { 0 };
};

/// The domain (if any) whose worker is the calling thread; used to avoid self-deadlock under `block`.
Domain *currentDomain();
void setCurrentDomain(Domain *d);

} // namespace hs
