#include "domains/trace.h"

#include <algorithm>
#include <tuple>

namespace hs {

namespace {
// Spans a thread appends before it adds them to the shared count: keeps the shared atomic off
// the per-stage path. The bound may be overshot by this much per thread until collect().
constexpr std::size_t kFlushEvery = 256;

std::atomic<std::uint64_t> g_nextRecorderId { 1 };

struct ThreadCache {
    std::uint64_t recorder = 0;
    void *shard = nullptr;
};
thread_local ThreadCache t_cache;

SpanOutcome outcomeOf(WorkStatus s)
{
    switch (s) {
    case WorkStatus::Ok: return SpanOutcome::Ok;
    case WorkStatus::Failed: return SpanOutcome::Failed;
    case WorkStatus::TimedOut: return SpanOutcome::TimedOut;
    case WorkStatus::Cancelled: return SpanOutcome::Cancelled;
    }
    return SpanOutcome::Failed;
}

SpanOutcome outcomeOf(Outcome o)
{
    switch (o) {
    case Outcome::Completed: return SpanOutcome::Ok;
    case Outcome::Failed: return SpanOutcome::Failed;
    case Outcome::Rejected: return SpanOutcome::Rejected;
    case Outcome::Cancelled: return SpanOutcome::Cancelled;
    }
    return SpanOutcome::Failed;
}

bool keptBy(const StageSpan &s, std::uint64_t stride)
{
    return s.task % stride == 0;
}

// Fixed-size chunks instead of one growing vector: appending never moves what is held (on this
// VM, reallocating and faulting in a fresh copy of a 14 MB vector cost more than the spans).
constexpr std::size_t kChunk = 2048;

struct SpanChunks {
    std::vector<std::vector<StageSpan>> chunks; // each reserved to kChunk; all full but the last
    std::vector<std::vector<StageSpan>> spare; // emptied by keepOnly, reused: their pages are faulted in
    std::size_t size = 0;

    void push(const StageSpan &s)
    {
        if (chunks.empty() || chunks.back().size() == kChunk) {
            if (!spare.empty()) {
                chunks.push_back(std::move(spare.back()));
                spare.pop_back();
            } else {
                chunks.emplace_back();
                chunks.back().reserve(kChunk);
            }
        }
        chunks.back().push_back(s);
        ++size;
    }
    template<class F> void forEach(F &&f) const
    {
        for (const auto &c : chunks)
            for (const StageSpan &s : c)
                f(s);
    }
    /// Keeps the spans of tasks kept by `stride`, packed to the front; frees the chunks emptied.
    void keepOnly(std::uint64_t stride)
    {
        std::size_t w = 0;
        for (std::size_t r = 0; r < size; ++r) {
            const StageSpan &s = chunks[r / kChunk][r % kChunk];
            if (keptBy(s, stride)) {
                if (w != r)
                    chunks[w / kChunk][w % kChunk] = s;
                ++w;
            }
        }
        size = w;
        while (chunks.size() > (w + kChunk - 1) / kChunk) {
            chunks.back().clear();
            spare.push_back(std::move(chunks.back()));
            chunks.pop_back();
        }
        if (!chunks.empty())
            chunks.back().resize(w - (chunks.size() - 1) * kChunk);
    }
};
} // namespace

QString spanOutcomeName(SpanOutcome o)
{
    switch (o) {
    case SpanOutcome::Ok: return QStringLiteral("ok");
    case SpanOutcome::Failed: return QStringLiteral("failed");
    case SpanOutcome::TimedOut: return QStringLiteral("timeout");
    case SpanOutcome::Cancelled: return QStringLiteral("cancelled");
    case SpanOutcome::Rejected: return QStringLiteral("rejected");
    }
    return {};
}

struct TraceRecorder::Shard {
    std::mutex mu; // uncontended but for compaction and collect
    SpanChunks spans; // under mu
    std::size_t unflushed = 0; // under mu: appended, not yet in m_held
    std::atomic<std::uint64_t> seen { 0 }; // written by the owner thread only
    std::array<int, kDomainCount> track; // owner thread only: its track per domain
    Shard() { track.fill(-1); }
};

TraceRecorder::TraceRecorder(std::size_t bound)
    : m_id(g_nextRecorderId.fetch_add(1, std::memory_order_relaxed))
    , m_bound(std::max<std::size_t>(1, bound))
{
    for (auto &t : m_nextTrack)
        t.store(0, std::memory_order_relaxed);
}

TraceRecorder::~TraceRecorder() = default;

TraceRecorder::Shard &TraceRecorder::shardForThisThread()
{
    if (t_cache.recorder == m_id)
        return *static_cast<Shard *>(t_cache.shard);
    // First stage of this thread here, or it last recorded for another recorder (oneTBB's
    // threads serve every arena in the process): find or make its shard.
    std::lock_guard lk(m_registryMutex);
    Shard *&s = m_byThread[std::this_thread::get_id()];
    if (!s) {
        m_shards.push_back(std::make_unique<Shard>());
        s = m_shards.back().get();
    }
    t_cache = ThreadCache { m_id, s };
    return *s;
}

void TraceRecorder::recordStage(
    DomainKind domain, const StageJob &job, WorkStatus status, std::int64_t startNs, std::int64_t endNs, bool ran)
{
    const Task &t = *job.task;
    if (t.id % m_stride.load(std::memory_order_relaxed) != 0) {
        // Not kept: only counted. The stride only grows, so a stale read never drops a kept task.
        Shard &sh = shardForThisThread();
        sh.seen.store(sh.seen.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        return;
    }
    StageSpan s;
    s.task = t.id;
    s.enqueuedNs = job.enqueuedNs;
    s.startNs = startNs;
    s.endNs = endNs;
    if (std::size_t(job.stage) < t.plan.size()) {
        const StagePlan &p = t.plan[std::size_t(job.stage)];
        s.bytesIn = p.payloadIn;
        s.bytesOut = p.payloadOut;
    }
    s.cls = t.cls;
    s.stage = std::int16_t(job.stage);
    s.worker = std::int16_t(job.workerSlot >= 0 ? job.workerSlot : StageSpan::kThisThread);
    s.pid = job.workerPid;
    s.domain = domain;
    s.outcome = outcomeOf(status);
    s.ran = ran;
    record(s);
}

void TraceRecorder::recordRefused(
    DomainKind domain, const Task &task, int stage, Outcome outcome, std::int64_t atNs, std::int64_t enqueuedNs)
{
    StageSpan s;
    s.task = task.id;
    s.enqueuedNs = enqueuedNs ? enqueuedNs : atNs;
    s.startNs = s.endNs = atNs;
    s.cls = task.cls;
    s.stage = std::int16_t(stage);
    s.worker = StageSpan::kNoWorker;
    s.domain = domain;
    s.outcome = outcomeOf(outcome);
    s.refused = true;
    record(s);
}

void TraceRecorder::record(StageSpan span)
{
    Shard &sh = shardForThisThread();
    sh.seen.store(sh.seen.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (!keptBy(span, m_stride.load(std::memory_order_relaxed)))
        return;
    if (span.domain == DomainKind::Loop && span.worker != StageSpan::kNoWorker)
        span.worker = 0; // one thread
    else if (span.worker == StageSpan::kThisThread) {
        int &track = sh.track[std::size_t(span.domain)];
        if (track < 0)
            track = m_nextTrack[std::size_t(span.domain)].fetch_add(1, std::memory_order_relaxed);
        span.worker = std::int16_t(track);
    }
    std::size_t flush = 0;
    {
        std::lock_guard lk(sh.mu);
        // Re-checked under the shard's lock: a compaction stores the new stride before it
        // filters this shard, so a span appended after its filter sees the new stride.
        if (!keptBy(span, m_stride.load(std::memory_order_relaxed)))
            return;
        sh.spans.push(span);
        if (++sh.unflushed >= kFlushEvery) {
            flush = sh.unflushed;
            sh.unflushed = 0;
        }
    }
    if (flush && m_held.fetch_add(flush, std::memory_order_relaxed) + flush > m_bound)
        compact();
}

void TraceRecorder::compact()
{
    std::lock_guard reg(m_registryMutex);
    std::uint64_t stride = m_stride.load(std::memory_order_relaxed);
    // Count what each candidate stride would keep, then take the smallest that fits.
    for (;;) {
        std::size_t held = 0;
        for (auto &sh : m_shards) {
            std::lock_guard lk(sh->mu);
            sh->spans.forEach([&held, stride](const StageSpan &s) { held += keptBy(s, stride) ? 1 : 0; });
        }
        if (held <= m_bound)
            break;
        stride *= 2;
    }
    m_stride.store(stride, std::memory_order_relaxed);
    std::size_t held = 0;
    for (auto &sh : m_shards) {
        std::lock_guard lk(sh->mu);
        sh->spans.keepOnly(stride);
        sh->unflushed = 0;
        held += sh->spans.size;
    }
    m_held.store(held, std::memory_order_relaxed);
}

std::shared_ptr<const TraceLog> TraceRecorder::collect(std::int64_t originNs) const
{
    auto log = std::make_shared<TraceLog>();
    log->originNs = originNs;
    log->bound = m_bound;
    {
        std::lock_guard reg(m_registryMutex);
        std::size_t held = 0;
        for (const auto &sh : m_shards) {
            std::lock_guard lk(sh->mu);
            held += sh->spans.size;
        }
        log->spans.reserve(held);
        for (const auto &sh : m_shards) {
            std::lock_guard lk(sh->mu);
            sh->spans.forEach([&log](const StageSpan &s) { log->spans.push_back(s); });
            log->totalStages += sh->seen.load(std::memory_order_relaxed);
        }
    }
    // Spans not yet counted against the bound (at most kFlushEvery per thread) may exceed it.
    std::uint64_t stride = m_stride.load(std::memory_order_relaxed);
    auto keep
        = [&log](std::uint64_t st) { std::erase_if(log->spans, [st](const StageSpan &s) { return !keptBy(s, st); }); };
    keep(stride);
    while (log->spans.size() > m_bound) {
        stride *= 2;
        keep(stride);
    }
    log->stride = stride;
    // A total order, so the unstable sort (no temporary buffer) is deterministic.
    std::sort(log->spans.begin(), log->spans.end(), [](const StageSpan &a, const StageSpan &b) {
        return std::tie(a.startNs, a.task, a.stage, a.endNs) < std::tie(b.startNs, b.task, b.stage, b.endNs);
    });
    return log;
}

} // namespace hs
