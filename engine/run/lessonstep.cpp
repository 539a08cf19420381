#include "run/lessonstep.h"

#include "run/engine.h"
#include "scenario/lesson.h"

#include <array>

namespace hs {

bool applyLiveStep(Engine &engine, const LessonStep &step, const Scenario &target, QString *error)
{
    for (const RouteOverride &r : step.routes) {
        const auto d = domainFromName(r.domain);
        QString why;
        if (!d || !engine.reassign(r.key, *d, &why)) {
            if (error)
                *error = QStringLiteral("route %1=%2: %3")
                             .arg(r.key, r.domain, d ? why : QStringLiteral("unknown domain"));
            return false;
        }
    }
    std::array<bool, kDomainCount> sized {}, bounded {}, scaled {};
    for (const Override &o : step.sets) {
        if (!isLiveSetting(o.path)) {
            if (error)
                *error = QStringLiteral("%1 cannot change while running; restart the run with it").arg(o.path);
            return false;
        }
        if (o.path == QLatin1String("gil.enabled")) {
            engine.setGil(target.gilEnabled);
            continue;
        }
        const QStringList parts = o.path.split(QLatin1Char('.'));
        const auto d = domainFromName(parts[1]);
        if (!d)
            continue;
        (parts[2] == QLatin1String("workers")            ? sized
                : parts[2] == QLatin1String("autoscale") ? scaled
                                                         : bounded)[std::size_t(*d)]
            = true;
    }
    for (DomainKind d : kAllDomains) {
        const DomainConfig &cfg = target.domain(d);
        QString why;
        if (sized[std::size_t(d)] && !engine.resize(d, cfg.workers, &why)) {
            if (error)
                *error = QStringLiteral("domains.%1.workers=%2: %3").arg(domainName(d)).arg(cfg.workers).arg(why);
            return false;
        }
        if (scaled[std::size_t(d)] && !engine.setAutoscale(d, cfg.autoscale, &why)) {
            if (error)
                *error = QStringLiteral("domains.%1.autoscale: %2").arg(domainName(d), why);
            return false;
        }
        if (bounded[std::size_t(d)]
            && !engine.setBackpressure(d, Backpressure { cfg.queue, cfg.maxInflight, cfg.onFull }, &why)) {
            if (error)
                *error = QStringLiteral("domains.%1 backpressure: %2").arg(domainName(d), why);
            return false;
        }
    }
    return true;
}

} // namespace hs
