#include "diagnostics.h"

#include "runresult.h"

namespace hs {

QString severityName(Severity s)
{
    switch (s) {
    case Severity::Info: return QStringLiteral("info");
    case Severity::Warning: return QStringLiteral("warning");
    case Severity::Error: return QStringLiteral("error");
    }
    return {};
}

namespace {
constexpr double kSustainedS = 1.0;

// Calls `emit(from, to)` for every maximal run of frames where `pred` holds for at least `minS`.
template<class Pred, class Emit> void spans(const std::vector<Frame> &frames, double minS, Pred pred, Emit emitSpan)
{
    double from = -1;
    double last = 0;
    for (const Frame &f : frames) {
        if (pred(f)) {
            if (from < 0)
                from = f.t;
            last = f.t;
        } else if (from >= 0) {
            if (last - from >= minS)
                emitSpan(from, last);
            from = -1;
        }
    }
    if (from >= 0 && last - from >= minS)
        emitSpan(from, last);
}
} // namespace

std::vector<Finding> diagnose(const RunResult &r)
{
    std::vector<Finding> out;
    const double thresholdMs = r.scenario.starvationThreshold * 1e3;
    for (const DomainResult &d : r.domains) {
        if (!d.used)
            continue;
        const auto idx = std::size_t(d.kind);
        const QString name = domainName(d.kind);
        spans(
            r.frames, kSustainedS,
            [&](const Frame &f) { return f.domains[idx].queue > 2 * std::max(1, f.domains[idx].workers); },
            [&](double a, double b) {
                out.push_back({ QStringLiteral("queue_depth"), Severity::Warning, d.kind, {}, a, b,
                    QStringLiteral("%1: queue depth stayed above 2 × workers for %2 s").arg(name).arg(b - a, 0, 'f', 1),
                    QStringLiteral("a class routed here may belong elsewhere (blocking work on a CPU pool, "
                                   "CPU work on the loop), or the pool is too small: move it or add workers") });
            });
        // Unbounded growth: the queue ends the run far deeper than it started and never had a limit.
        if (!r.frames.empty() && r.scenario.domain(d.kind).queue == 0 && r.scenario.domain(d.kind).maxInflight == 0) {
            const Frame &last = r.frames.back();
            const std::size_t half = r.frames.size() / 2;
            const int mid = r.frames[half].domains[idx].queue;
            const int end = last.domains[idx].queue;
            if (end > 50 && end > 2 * mid + 10 && last.t > 2.0)
                out.push_back(
                    { QStringLiteral("unbounded_queue"), Severity::Error, d.kind, {}, r.frames[half].t, last.t,
                        QStringLiteral("%1: the queue kept growing (%2 → %3) with no backpressure")
                            .arg(name)
                            .arg(mid)
                            .arg(end),
                        QStringLiteral("set queue/max_inflight with on_full: reject or block, or add workers: "
                                       "arrivals exceed what %1 can serve")
                            .arg(name) });
        }
        if (d.totals.crashes > 0)
            out.push_back({ QStringLiteral("worker_crash"), Severity::Error, d.kind, {}, 0, r.durationS,
                QStringLiteral("%1: %2 worker crashes").arg(name).arg(d.totals.crashes),
                QStringLiteral("each crash failed the task it was running; see the failure reasons") });
    }
    spans(
        r.frames, 0.0, [&](const Frame &f) { return f.loopLagMs > thresholdMs; },
        [&](double a, double b) {
            out.push_back({ QStringLiteral("loop_lag"), Severity::Warning, DomainKind::Loop, {}, a, b,
                QStringLiteral("loop lag above %1 ms: a blocking call runs on the event loop").arg(thresholdMs),
                QStringLiteral("route cpu/block/disk stages away from loop (threads for blocking I/O, "
                               "tbb or procs for CPU); keep only async and net stages on it") });
        });
    for (const ClassResult &c : r.classes)
        if (!c.slaMet())
            out.push_back({ QStringLiteral("sla"), Severity::Error, std::nullopt, c.name, 0, r.durationS,
                QStringLiteral("%1: P99 %2 ms is above its SLA of %3 ms")
                    .arg(c.name)
                    .arg(c.latency.percentile(0.99) / 1e6, 0, 'f', 1)
                    .arg(*c.slaP99Ms, 0, 'f', 0),
                QStringLiteral("look at where its stages wait (domain wait P99) and move or resize that domain") });
    return out;
}

} // namespace hs
