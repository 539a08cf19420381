#pragma once

#include "core/kinds.h"

#include <QString>
#include <QStringList>

#include <array>
#include <functional>
#include <optional>
#include <vector>

namespace hs {

/**
 * The search behind `hybridscope tune` (DESIGN §10): the fewest workers over the tuned domains
 * such that every class meets its P99 SLA, found by evaluating configurations on the real engine
 * (or anything else that says whether a configuration meets the SLAs) within a budget.
 *
 * It starts from the theory's prediction. When that meets every SLA it walks each domain down by
 * bisection (the domain with the most predicted workers first: the largest saving); when it does
 * not, it doubles the domains the missing classes run on until the SLAs are met or the bounds are
 * reached, then bisects between the last miss and the first hit. Every configuration is evaluated
 * once (cached); before each evaluation the remaining budget must cover its cost.
 *
 *     TuneSearch s({{DomainKind::Threads, 1, 64, 8}}, evaluate, 120.0);
 *     TuneOutcome o = s.run();
 *     if (o.best) apply(o.best->workers);
 */
struct TuneDomain {
    DomainKind kind = DomainKind::Threads;
    int lo = 1; ///< never fewer (e.g. the fewest that keep utilization under 1)
    int hi = 64; ///< never more (for a CPU domain: where more workers stop helping)
    int start = 1; ///< the theory's prediction, within [lo, hi]
};

using Workers = std::array<int, kDomainCount>; ///< per domain; 0 for a domain not tuned

/// What one configuration did: whether every class met its SLA, which did not.
struct TuneVerdict {
    bool allMet = false;
    QStringList missed; ///< classes that missed (the SLA under the interval's upper end failed)
    QStringList missedDomains; ///< the domains those classes run stages on (names)
    /// Set when no size of the tuned domains can help (e.g. the loop is saturated): why. The
    /// search stops there, infeasible.
    QString hopeless;
};

struct TuneStep {
    Workers workers {};
    TuneVerdict verdict;
    QString why; ///< "start: theory", "bisect threads down", "grow threads for io", …
};

struct TuneOutcome {
    std::vector<TuneStep> evaluated; ///< in order
    std::optional<TuneStep> best; ///< the cheapest that met every SLA
    QString stopReason; ///< "converged", "budget spent after N points", "cancelled", "no configuration …"
    bool infeasible = false; ///< every tuned domain at its upper bound and some class still misses
};

class TuneSearch {
public:
    /// Evaluates a configuration; nullopt when it was cancelled (the search stops).
    using Evaluate = std::function<std::optional<TuneVerdict>(const Workers &)>;

    /// `costS`: the wall time one evaluation takes, checked against `budgetS` before each one.
    TuneSearch(std::vector<TuneDomain> domains, Evaluate evaluate, double budgetS, double costS);
    TuneOutcome run();

    /// Called just before each new configuration is evaluated, with why it is (TuneStep::why).
    std::function<void(const QString &why)> onEvaluate;

    /// Workers summed over the tuned domains: the cost being minimised.
    static int cost(const Workers &w);

private:
    std::optional<TuneVerdict> evaluate(const Workers &w, const QString &why);
    bool budgetLeft() const;
    void bisectDown(Workers &best, std::size_t index);

    std::vector<TuneDomain> m_domains;
    Evaluate m_evaluate;
    double m_budgetS;
    double m_costS;
    TuneOutcome m_out;
    bool m_stopped = false;
};

} // namespace hs
