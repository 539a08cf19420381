#include "tuning/tunesearch.h"

#include <algorithm>
#include <map>
#include <numeric>

namespace hs {

namespace {
QString describe(const Workers &w)
{
    QStringList parts;
    for (DomainKind d : kAllDomains)
        if (w[std::size_t(d)] > 0)
            parts << QStringLiteral("%1 %2").arg(domainName(d)).arg(w[std::size_t(d)]);
    return parts.join(QStringLiteral(", "));
}
} // namespace

TuneSearch::TuneSearch(std::vector<TuneDomain> domains, Evaluate evaluate, double budgetS, double costS)
    : m_domains(std::move(domains))
    , m_evaluate(std::move(evaluate))
    , m_budgetS(budgetS)
    , m_costS(costS)
{
    for (TuneDomain &d : m_domains) {
        d.lo = std::max(1, d.lo);
        d.hi = std::max(d.lo, d.hi);
        d.start = std::clamp(d.start, d.lo, d.hi);
    }
}

int TuneSearch::cost(const Workers &w)
{
    return std::accumulate(w.begin(), w.end(), 0);
}

bool TuneSearch::budgetLeft() const
{
    return double(m_out.evaluated.size() + 1) * m_costS <= m_budgetS + 1e-9;
}

std::optional<TuneVerdict> TuneSearch::evaluate(const Workers &w, const QString &why)
{
    for (const TuneStep &s : m_out.evaluated)
        if (s.workers == w)
            return s.verdict; // each configuration once
    if (m_stopped)
        return std::nullopt;
    if (!budgetLeft()) {
        m_stopped = true;
        m_out.stopReason = QStringLiteral("budget spent after %1 points (%2 s each, budget %3 s)")
                               .arg(m_out.evaluated.size())
                               .arg(m_costS, 0, 'g', 3)
                               .arg(m_budgetS, 0, 'g', 4);
        return std::nullopt;
    }
    if (onEvaluate)
        onEvaluate(why);
    const std::optional<TuneVerdict> v = m_evaluate(w);
    if (!v) {
        m_stopped = true;
        m_out.stopReason = QStringLiteral("cancelled after %1 points").arg(m_out.evaluated.size());
        return std::nullopt;
    }
    m_out.evaluated.push_back(TuneStep { w, *v, why });
    if (v->allMet && (!m_out.best || cost(w) < cost(m_out.best->workers)))
        m_out.best = m_out.evaluated.back();
    return v;
}

void TuneSearch::bisectDown(Workers &best, std::size_t index)
{
    const TuneDomain &d = m_domains[index];
    const auto i = std::size_t(d.kind);
    int lo = d.lo, hi = best[i];
    while (lo < hi && !m_stopped) {
        const int mid = lo + (hi - lo) / 2;
        Workers w = best;
        w[i] = mid;
        const auto v = evaluate(w, QStringLiteral("bisect %1 down: %2 … %3").arg(domainName(d.kind)).arg(lo).arg(hi));
        if (!v)
            return;
        if (v->allMet) {
            hi = mid;
            best = w;
        } else {
            lo = mid + 1;
        }
    }
}

TuneOutcome TuneSearch::run()
{
    m_out = TuneOutcome {};
    m_stopped = false;
    Workers current {};
    for (const TuneDomain &d : m_domains)
        current[std::size_t(d.kind)] = d.start;
    auto v = evaluate(current, QStringLiteral("start: the theory's prediction"));
    if (!v) {
        if (m_out.stopReason.isEmpty())
            m_out.stopReason = QStringLiteral("stopped before the first point");
        return m_out;
    }
    // Grow what the missing classes run on, doubling, until every SLA is met.
    while (!v->allMet) {
        if (!v->hopeless.isEmpty()) {
            m_out.infeasible = true;
            m_out.stopReason = QStringLiteral("no configuration can meet every SLA: ") + v->hopeless;
            return m_out;
        }
        Workers next = current;
        QStringList grown;
        for (const TuneDomain &d : m_domains) {
            const auto i = std::size_t(d.kind);
            if (v->missedDomains.contains(domainName(d.kind)) && current[i] < d.hi) {
                next[i] = std::min(d.hi, std::max(current[i] + 1, current[i] * 2));
                grown << domainName(d.kind);
            }
        }
        if (grown.isEmpty()) {
            m_out.infeasible = true;
            QStringList untuned;
            for (const QString &name : v->missedDomains) {
                const bool tuned = std::any_of(m_domains.begin(), m_domains.end(),
                    [&](const TuneDomain &d) { return domainName(d.kind) == name; });
                if (!tuned)
                    untuned << name;
            }
            m_out.stopReason = untuned.isEmpty()
                ? QStringLiteral("no configuration within the bounds meets every SLA: %1 still miss(es) with %2 (every "
                                 "domain they use at its upper bound)")
                      .arg(v->missed.join(QStringLiteral(", ")), describe(current))
                : QStringLiteral("no configuration within the bounds meets every SLA: %1 miss(es) on %2, which is not "
                                 "tuned or cannot grow")
                      .arg(v->missed.join(QStringLiteral(", ")), untuned.join(QStringLiteral(", ")));
            return m_out;
        }
        current = next;
        v = evaluate(current,
            QStringLiteral("grow %1 for %2")
                .arg(grown.join(QStringLiteral(", ")), v->missed.join(QStringLiteral(", "))));
        if (!v)
            return m_out;
    }
    // Then give back what is not needed: the domain with the most workers first (the largest saving).
    std::vector<std::size_t> order(m_domains.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return current[std::size_t(m_domains[a].kind)] > current[std::size_t(m_domains[b].kind)];
    });
    Workers best = current;
    for (std::size_t index : order) {
        bisectDown(best, index);
        if (m_stopped)
            return m_out;
    }
    m_out.stopReason = QStringLiteral("converged: each domain bisected to its fewest workers (%1 points)")
                           .arg(m_out.evaluated.size());
    return m_out;
}

} // namespace hs
