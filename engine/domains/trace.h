#pragma once

#include "core/task.h"
#include "domains/work.h"
#include "scenario/scenario.h"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace hs {

/// How a stage ended, as the trace shows it.
enum class SpanOutcome : std::uint8_t { Ok, Failed, TimedOut, Cancelled, Rejected };
QString spanOutcomeName(SpanOutcome o);

/// One stage of one task on one worker: what the trace export draws as a slice.
struct StageSpan {
    static constexpr int kThisThread = -2; ///< recordStage(): the calling thread's track in the domain
    static constexpr int kNoWorker = -1; ///< refused before any worker took it (admission)

    std::uint64_t task = 0; ///< the task's trace id (Task::id)
    std::int64_t enqueuedNs = 0; ///< admitted to the domain (steady clock, like nowNs())
    std::int64_t startNs = 0;
    std::int64_t endNs = 0;
    std::int64_t bytesIn = 0; ///< payload moved into the stage's domain
    std::int64_t bytesOut = 0; ///< payload the stage produced
    std::int32_t cls = 0;
    std::int32_t pid = 0; ///< procs: the worker process that ran it; 0 elsewhere
    std::int16_t stage = 0;
    std::int16_t worker = kNoWorker; ///< track within the domain
    DomainKind domain = DomainKind::Threads;
    SpanOutcome outcome = SpanOutcome::Ok;
    bool ran = false; ///< false: ended at its start without running (timed out while queued, cancelled)
    bool refused = false; ///< never reached a worker: rejected at admission, dropped or cancelled while queued
};

/// What a run recorded for its trace: whole tasks, sampled by id when there were too many stages.
struct TraceLog {
    std::int64_t originNs = 0; ///< the run's start; trace times are relative to it
    std::vector<StageSpan> spans; ///< kept spans, ordered by start
    std::uint64_t stride = 1; ///< tasks kept: id % stride == 0
    std::uint64_t totalStages = 0; ///< every stage recorded, kept or not
    std::size_t bound = 0; ///< most spans kept
    bool sampled() const { return stride > 1; }
};

/**
 * Records a span for every stage that ended, from the worker threads, for the trace export.
 * Each thread appends to its own buffer behind its own (uncontended) mutex, so the hot path
 * takes no shared lock. Memory is bounded by keeping whole tasks: only tasks whose id is a
 * multiple of a stride are kept, and whenever more than `bound` spans are held the stride
 * doubles and the spans of tasks now excluded are dropped. collect() says how it sampled.
 *
 *     TraceRecorder rec;                         // bound 200 000 stages
 *     domain.setTraceRecorder(&rec);             // the domain records each stage it ends
 *     ...
 *     std::shared_ptr<const TraceLog> log = rec.collect(t0);
 *     if (log->sampled()) qInfo() << "1 in" << log->stride << "tasks";
 */
class TraceRecorder {
public:
    static constexpr std::size_t kDefaultBound = 200'000;

    explicit TraceRecorder(std::size_t bound = kDefaultBound);
    ~TraceRecorder();
    TraceRecorder(const TraceRecorder &) = delete;
    TraceRecorder &operator=(const TraceRecorder &) = delete;

    /// A stage ended in `domain` on the calling thread (any thread; cheap when the task is not kept).
    void recordStage(
        DomainKind domain, const StageJob &job, WorkStatus status, std::int64_t startNs, std::int64_t endNs, bool ran);
    /// A stage that never reached a worker (rejected, dropped, cancelled while queued).
    void recordRefused(DomainKind domain, const Task &task, int stage, Outcome outcome, std::int64_t atNs,
        std::int64_t enqueuedNs = 0);
    /// Any span; `span.worker == StageSpan::kThisThread` gives the calling thread's track.
    void record(StageSpan span);

    /// Everything recorded so far, trimmed to the bound (whole tasks), ordered by start.
    std::shared_ptr<const TraceLog> collect(std::int64_t originNs) const;

    std::uint64_t stride() const { return m_stride.load(std::memory_order_relaxed); }
    std::size_t bound() const { return m_bound; }

private:
    struct Shard;
    Shard &shardForThisThread();
    void compact();

    const std::uint64_t m_id; // unique per recorder, so a thread's cached shard is never a dead one's
    const std::size_t m_bound;
    std::atomic<std::uint64_t> m_stride { 1 };
    std::atomic<std::size_t> m_held { 0 }; // spans held, updated in batches (may overcount a little)
    std::array<std::atomic<int>, kDomainCount> m_nextTrack {};

    mutable std::mutex m_registryMutex; // the shard list; serializes compaction and collect
    std::vector<std::unique_ptr<Shard>> m_shards;
    std::unordered_map<std::thread::id, Shard *> m_byThread;
};

} // namespace hs
