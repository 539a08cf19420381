#include "livefindings.h"

namespace hs {

void LiveFindings::reset(const Scenario &scenario)
{
    m_thresholdMs = scenario.starvationThreshold * 1e3;
    m_loop = {};
    m_queue.fill({});
    m_findings.clear();
}

Finding *LiveFindings::open(Track &t)
{
    return t.index >= 0 && t.index < int(m_findings.size()) ? &m_findings[std::size_t(t.index)] : nullptr;
}

void LiveFindings::push(Finding f, Track &t)
{
    if (m_findings.size() >= kMaxFindings) {
        m_findings.erase(m_findings.begin());
        for (Track *o : {&m_loop, &m_queue[0], &m_queue[1], &m_queue[2], &m_queue[3]})
            o->index = o->index > 0 ? o->index - 1 : -1;
    }
    m_findings.push_back(std::move(f));
    t.index = int(m_findings.size()) - 1;
}

bool LiveFindings::addFrame(const Frame &f)
{
    bool changed = false;

    // Loop lag: every frame over the threshold is a blocking call on the loop.
    if (f.loopLagMs > m_thresholdMs) {
        Finding *open = (m_loop.lastTrue >= 0 && f.t - m_loop.lastTrue <= kMergeGapS) ? this->open(m_loop) : nullptr;
        if (!open) {
            m_loop.peak = 0;
            Finding n;
            n.rule = QStringLiteral("loop_lag");
            n.severity = Severity::Warning;
            n.domain = DomainKind::Loop;
            n.fromS = f.t;
            n.advice = QStringLiteral("a cpu, block or disk stage runs on the loop and stalls everything queued behind it: "
                                      "route it to threads (blocking I/O) or tbb/procs (CPU); keep async and net on the loop");
            push(std::move(n), m_loop);
            open = this->open(m_loop);
        }
        m_loop.peak = std::max(m_loop.peak, f.loopLagMs);
        open->toS = f.t;
        open->message = QStringLiteral("loop lag up to %1 ms, above the %2 ms threshold")
                            .arg(m_loop.peak, 0, 'f', 1)
                            .arg(m_thresholdMs, 0, 'g', 4);
        m_loop.lastTrue = f.t;
        changed = true;
    }

    // Queue depth: above 2 × workers for a sustained second means a misrouted class or a small pool.
    for (DomainKind d : kAllDomains) {
        const DomainFrame &df = f.domains[std::size_t(d)];
        Track &t = m_queue[std::size_t(d)];
        const bool deep = df.workers > 0 && df.queue > 2 * std::max(1, df.workers);
        if (!deep) {
            t.candidateSince = -1;
            if (t.index >= 0 && f.t - t.lastTrue > kMergeGapS)
                t.index = -1;
            continue;
        }
        if (t.candidateSince < 0)
            t.candidateSince = f.t;
        t.lastTrue = f.t;
        Finding *open = this->open(t);
        if (!open && f.t - t.candidateSince < kSustainedS)
            continue;
        if (!open) {
            t.peak = 0;
            Finding n;
            n.rule = QStringLiteral("queue_depth");
            n.severity = Severity::Warning;
            n.domain = d;
            n.fromS = t.candidateSince;
            n.advice = QStringLiteral("a class routed to %1 may belong elsewhere (blocking work on a CPU pool, CPU work on "
                                      "the loop), or the pool is too small: move it or add workers")
                           .arg(domainName(d));
            push(std::move(n), t);
            open = this->open(t);
        }
        t.peak = std::max(t.peak, double(df.queue));
        open->toS = f.t;
        open->message = QStringLiteral("%1: queue depth above 2 × workers (up to %2 waiting for %3 workers)")
                            .arg(domainName(d))
                            .arg(t.peak, 0, 'f', 0)
                            .arg(df.workers);
        changed = true;
    }
    return changed;
}

} // namespace hs
