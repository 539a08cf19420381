// The rules on one domain's queue and workers: queue_depth, unbounded_queue, rejected, worker_crash.
#include "results/diagnostics.h"
#include "results/diagnostics_p.h"
#include "results/domaintheory.h"
#include "results/runresult.h"

#include <algorithm>
#include <cmath>

namespace hs {

using namespace diagnostics_detail;

// queue_depth: more than 2 × workers waiting for a sustained second: a misrouted class or a small pool.
void Diagnoser::queueDepth(const Frame &f, DomainKind d, bool &changed)
{
    const DomainFrame &df = f.domains[std::size_t(d)];
    const bool cond = df.workers > 0 && df.queue > kQueueFactor * std::max(1, df.workers);
    Finding *out = step(m_queue[std::size_t(d)], cond, f.t, f.t, kSustainedS, kMergeGapS,
        proto("queue_depth", Severity::Warning, d), [&](Track &t) {
            t.peak = std::max(t.peak, double(df.queue));
            addKeys(t, df.queuedTop);
        });
    if (!out)
        return;
    changed = true;
    const Track &t = m_queue[std::size_t(d)];
    const auto [cls, stage] = blame(*out, t);
    const QString who = culprits(t, 3);
    out->message = QStringLiteral("%1: queue depth above %2 × workers (up to %3 waiting for %4 %5)%6")
                       .arg(domainName(d))
                       .arg(kQueueFactor)
                       .arg(num(t.peak))
                       .arg(df.workers)
                       .arg(df.workers == 1 ? QStringLiteral("worker") : QStringLiteral("workers"))
                       .arg(who.isEmpty() ? QString() : QStringLiteral("; queued: ") + who);
    if (d == DomainKind::Loop) {
        // The loop cannot grow: what waits there is usually async work stuck behind a blocking stage.
        out->advice = QStringLiteral("the event loop has one thread and cannot grow: move the cpu, block and disk "
                                     "stages off it (threads for blocking I/O, tbb or procs for CPU) and keep only "
                                     "async and net stages on it");
        return;
    }
    const QString move = moveAdvice(d, cls, stage);
    out->advice = !move.isEmpty()
        ? move + QStringLiteral(", or add workers to %1 (now %2)").arg(domainName(d)).arg(df.workers)
        : cls >= 0
        ? QStringLiteral("add workers to %1 (now %2) or route %3 to a domain with room: arrivals exceed what %1 serves")
              .arg(domainName(d))
              .arg(df.workers)
              .arg(keyName(cls, stage))
        : QStringLiteral("add workers to %1 (now %2) or route a class away from it").arg(domainName(d)).arg(df.workers);
}

// unbounded_queue: a queue with no limit whose depth rises steadily over the trend window.
void Diagnoser::unboundedQueue(const Frame &f, DomainKind d, bool &changed)
{
    const DomainFrame &df = f.domains[std::size_t(d)];
    auto &ring = m_queueTrend[std::size_t(d)];
    if (df.workers <= 0)
        return;
    Sample s;
    s.t = f.t;
    s.a = df.queue;
    keep(ring, s, kTrendWindowS);
    bool cond = false;
    double slope = 0;
    if (!df.bounded && ring.size() >= 5 && f.t - ring.front().t >= 0.9 * kTrendWindowS) {
        double mt = 0, mq = 0;
        for (const Sample &x : ring) {
            mt += x.t;
            mq += x.a;
        }
        mt /= double(ring.size());
        mq /= double(ring.size());
        double sxx = 0, sxy = 0, syy = 0;
        for (const Sample &x : ring) {
            sxx += (x.t - mt) * (x.t - mt);
            sxy += (x.t - mt) * (x.a - mq);
            syy += (x.a - mq) * (x.a - mq);
        }
        slope = sxx > 0 ? sxy / sxx : 0;
        const double r = sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0;
        cond = slope >= kMinGrowthPerS && r >= kMinTrendCorrelation
            && df.queue >= std::max(kMinUnboundedDepth, kQueueFactor * df.workers);
    }
    Finding *out = step(m_unbounded[std::size_t(d)], cond, f.t, ring.front().t, 0, kMergeGapS,
        proto("unbounded_queue", Severity::Error, d), [&](Track &t) {
            t.peak = std::max(t.peak, slope);
            t.count = std::max(t.count, double(df.queue));
            addKeys(t, df.queuedTop);
        });
    if (!out)
        return;
    changed = true;
    const Track &t = m_unbounded[std::size_t(d)];
    const auto [cls, stage] = blame(*out, t);
    out->message = QStringLiteral("%1: the queue grew by up to %2 stages/s, to %3 waiting, with no queue or "
                                  "max_inflight limit (no backpressure)")
                       .arg(domainName(d), num(t.peak), num(t.count));
    out->advice
        = QStringLiteral("set domains.%1.queue or max_inflight with on_full: reject (shed load) or block (slow "
                         "the producers); arrivals exceed what %1 serves, so also add workers or route %2 elsewhere")
              .arg(domainName(d), cls >= 0 ? keyName(cls, stage) : QStringLiteral("a class"));
}

// rejected: stages refused (on_full: reject) or dropped (drop_oldest) by a full domain.
void Diagnoser::rejected(const Frame &f, DomainKind d, bool &changed)
{
    const DomainFrame &df = f.domains[std::size_t(d)];
    const std::size_t i = std::size_t(d);
    const double delta = df.rejected > m_lastRejected[i] ? double(df.rejected - m_lastRejected[i]) : 0.0;
    const double served = df.done > m_lastDone[i] ? double(df.done - m_lastDone[i]) : 0.0;
    m_lastRejected[i] = df.rejected;
    m_lastDone[i] = df.done;
    Track &track = m_rejected[i];
    if (delta <= 0 && track.index >= 0)
        track.taken += served;
    Finding *out
        = step(track, delta > 0, f.t, f.t, 0, kRejectGapS, proto("rejected", Severity::Info, d), [&](Track &t) {
              t.count += delta;
              t.taken += served;
              addKeys(t, df.rejectedTop);
          });
    if (!out)
        return;
    changed = true;
    const auto [cls, stage] = blame(*out, track);
    const double share = track.count / std::max(1.0, track.count + track.taken);
    out->severity = share >= kRejectWarnShare ? Severity::Warning : Severity::Info;
    const QString who = culprits(track, 3);
    out->message = QStringLiteral("%1: %2 stages rejected by backpressure (%3 % of what reached it)%4")
                       .arg(domainName(d), num(track.count), num(100.0 * share, 1),
                           who.isEmpty() ? QString() : QStringLiteral(": ") + who);
    out->advice = QStringLiteral("if every request matters, add workers to %1 (now %2) or route %3 to a domain with "
                                 "room; if this is deliberate load shedding, it works as designed")
                      .arg(domainName(d))
                      .arg(df.workers)
                      .arg(cls >= 0 ? keyName(cls, stage) : QStringLiteral("the rejected class"));
}

// worker_crash: worker processes that died mid-stage; one finding per domain for the whole run.
void Diagnoser::workerCrash(const Frame &f, DomainKind d, bool &changed)
{
    const DomainFrame &df = f.domains[std::size_t(d)];
    const std::size_t i = std::size_t(d);
    const double delta = df.crashes > m_lastCrashes[i] ? double(df.crashes - m_lastCrashes[i]) : 0.0;
    m_lastCrashes[i] = df.crashes;
    Finding *out = step(m_crash[i], delta > 0, f.t, f.t, 0, kNever, proto("worker_crash", Severity::Error, d),
        [&](Track &t) { t.count += delta; });
    if (!out)
        return;
    changed = true;
    out->message = QStringLiteral("%1: %2 worker crashes; each failed the stage it was running")
                       .arg(domainName(d), num(m_crash[i].count));
    out->advice = QStringLiteral("a worker process died mid-stage and was replaced: fix the fault (see the failure "
                                 "reasons) or lower the injected crash: probability");
}

// little: Little's law, L = λW, on the domain's own measured figures over the whole run. The time-
// averaged queue length and the admitted rate times the mean wait are two measurements of one
// quantity; when they disagree the engine's bookkeeping (queue integral, timestamps) is broken.
void Diagnoser::little(const RunResult &r, double end, Track &detached)
{
    for (const DomainResult &d : r.domains) {
        if (!d.used)
            continue;
        const DomainTheory t = domainTheory(r, d.kind, m_cores);
        const bool enough = t.started >= kLittleMinStages && std::max(t.littleL, t.littleLambdaW) >= kLittleMinQueue
            && double(t.admitted - std::min(t.admitted, t.started)) <= kLittleMaxUnstarted * double(t.admitted);
        if (!enough || t.littleMismatch <= kLittleMismatch)
            continue;
        push(proto("little", Severity::Error, d.kind), detached);
        Finding *f = at(detached);
        f->toS = end;
        f->message = QStringLiteral("%1: Little's law does not hold on the measured figures: mean queue L = %2 but "
                                    "arrival rate × mean wait λW = %3/s × %4 ms = %5 (%6 % apart); the measurement "
                                    "is broken")
                         .arg(domainName(d.kind), num(t.littleL, 2), num(t.input.arrivalRate, 1),
                             num(t.measuredWaitMeanS * 1e3, 2), num(t.littleLambdaW, 2), num(100 * t.littleMismatch));
        f->advice = QStringLiteral("the queue figures of %1 are not to be trusted: check that every admitted stage is "
                                   "timed from its admission and counted in the queue until it starts (the queue "
                                   "integral and the wait histogram), and report it as a bug")
                        .arg(domainName(d.kind));
    }
}

} // namespace hs
