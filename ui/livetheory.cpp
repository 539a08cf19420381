#include "livetheory.h"

#include "results/phases.h"

#include <QCoreApplication>

#include <algorithm>

namespace hs {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("hs::LiveTheory", text);
}

RunCumulative cumulative(double t, const std::array<DomainResult, kDomainCount> &domains)
{
    RunCumulative c;
    c.t = t;
    c.domains = domains;
    return c;
}
} // namespace

LiveTheory::LiveTheory(int cores)
    : m_cores(std::max(1, cores))
{
    reset();
}

void LiveTheory::reset()
{
    m_phaseFrom = -1;
    m_history.clear();
    m_frames = 0;
    m_lastGilWaitT = -1;
    clearFigures(tr("no figures yet: the run has not started"));
}

void LiveTheory::clearFigures(const QString &why)
{
    for (auto &d : m_domains)
        d.reset();
    m_from = m_to = 0;
    m_waiting = why;
}

void LiveTheory::addFrame(const Frame &frame)
{
    ++m_frames;
    if (frame.gilWaiting > 0)
        m_lastGilWaitT = frame.t;
}

bool LiveTheory::addPhases(const std::vector<PhaseResult> &phases)
{
    const bool had = hasWindow();
    if (phases.empty() || !phases.back().config) {
        clearFigures(tr("no figures yet: the run has not started"));
        return had;
    }
    const PhaseResult &p = phases.back();
    if (p.fromS != m_phaseFrom) { // a new configuration: its figures only
        m_history.clear();
        m_phaseFrom = p.fromS;
    }
    if (!p.settled) {
        clearFigures(p.fromS > 0 ? tr("settling after the change at %1 s: the figures start once its backlog drained")
                                       .arg(p.fromS, 0, 'f', 1)
                                 : tr("settling: the figures start after the warm-up"));
        return had;
    }
    // A phase closed at the end of arrivals may end before the last open snapshot.
    while (!m_history.empty() && m_history.back().t >= p.toS)
        m_history.pop_back();
    m_history.push_back({ p.toS, p.domains });

    // The window: from the newest snapshot at least kWindowS old, else from the phase's start.
    while (m_history.size() > 1 && m_history[1].t <= p.toS - kWindowS)
        m_history.pop_front();
    const bool sliding = m_history.size() > 1 && m_history.front().t <= p.toS - kWindowS;
    const double from = sliding ? m_history.front().t : p.fromS + p.settleS;
    if (p.toS - from < kMinWindowS) {
        clearFigures(tr("collecting: less than %1 s measured since the phase settled").arg(kMinWindowS));
        return had;
    }
    const std::array<DomainResult, kDomainCount> window = sliding
        ? phaseFigures(cumulative(from, m_history.front().domains), cumulative(p.toS, p.domains), {}).domains
        : p.domains;
    // No frame seen: nobody counted the GIL's waiters, so the check assumes contention.
    const bool gilContended = m_frames == 0 || m_lastGilWaitT >= from;
    for (DomainKind d : kAllDomains) {
        auto &out = m_domains[std::size_t(d)];
        if (window[std::size_t(d)].used)
            out = domainTheory(window, *p.config, gilContended, d, m_cores);
        else
            out.reset();
    }
    m_from = from;
    m_to = p.toS;
    m_waiting.clear();
    return true;
}

} // namespace hs
