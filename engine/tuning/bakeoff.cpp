#include "tuning/bakeoff.h"

#include <algorithm>

namespace hs {

double baselineBudgetS(double durationS, int reps)
{
    return kBaselineBudgetPoints * durationS * std::max(1, reps);
}

Scenario fixedPoolScenario(const Scenario &scenario, DomainKind domain)
{
    Scenario s = scenario;
    s.domain(domain).autoscale.policy = AutoscalePolicy::Off;
    return s;
}

std::optional<SweepBaseline> baselineFromTune(const TuneResult &tune, DomainKind domain, QString *why)
{
    if (!tune.best) {
        if (tune.infeasible)
            *why = QStringLiteral("no fixed size of %1 meets every SLA within the search's bounds: %2")
                       .arg(domainName(domain),
                           tune.infeasibleWhy.isEmpty() ? tune.stopReason
                                                        : tune.infeasibleWhy.join(QStringLiteral("; ")));
        else
            *why = QStringLiteral("no fixed size of %1 met every SLA before the search stopped (%2)")
                       .arg(domainName(domain), tune.stopReason);
        return std::nullopt;
    }
    const TunePoint &best = tune.evaluated[*tune.best];
    const SweepDomainFigures *d = domainAt(best.point, domain);
    if (!d) {
        *why = QStringLiteral("the search's best point has no figures of %1").arg(domainName(domain));
        return std::nullopt;
    }
    SweepBaseline b;
    b.domain = domain;
    b.workers = best.workers[std::size_t(domain)];
    b.workerSeconds = d->workerSeconds;
    b.workersMean = d->workersMean;
    b.measuredS = best.point.measuredS;
    b.classes = best.point.classes;
    b.source = best.source;
    b.budgetS = tune.budgetS;
    b.search = tune.stopReason;
    return b;
}

bool findFixedBaseline(Tuner &tuner, const Scenario &scenario, TuneOptions options, SweepResult &r, QString *error)
{
    r.baseline.reset();
    r.baselineWhy.clear();
    const std::optional<DomainKind> domain = r.bakeoffDomain();
    if (!domain) {
        r.baselineWhy = QStringLiteral("no domains.D.autoscale.policy is varied");
        return true;
    }
    if (r.axes.size() != 1) {
        r.baselineWhy = QStringLiteral("the fixed baseline is searched for a sweep of the policy alone, not a grid");
        return true;
    }
    const Scenario fixed = fixedPoolScenario(scenario, *domain);
    const std::vector<DomainKind> used = Tuner::usedPools(fixed);
    if (std::find(used.begin(), used.end(), *domain) == used.end()) {
        r.baselineWhy = QStringLiteral("no stage runs on %1: no size of it matters").arg(domainName(*domain));
        return true;
    }
    bool anySla = false;
    for (int i = 0; i < int(fixed.classes.size()); ++i)
        anySla = anySla || fixed.slaFor(i).has_value();
    if (!anySla) {
        r.baselineWhy = QStringLiteral("no class has a P99 SLA to meet");
        return true;
    }
    options.domains = { *domain };
    const std::optional<TuneResult> tune = tuner.run(fixed, 1.0, options, error);
    if (!tune)
        return false;
    QString why;
    r.baseline = baselineFromTune(*tune, *domain, &why);
    if (!r.baseline)
        r.baselineWhy = why;
    return true;
}

} // namespace hs
