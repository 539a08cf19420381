#include "tuning/sweepanalysis.h"

#include <QThread>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace hs {

namespace {

QString num(double v)
{
    return QString::number(v, 'g', 4);
}

std::optional<double> numeric(const QString &text)
{
    bool ok = false;
    const double v = text.toDouble(&ok);
    return ok && std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}

QString valueOf(const SweepValues &values, const QString &path)
{
    for (const auto &[p, v] : values)
        if (p == path)
            return v;
    return {};
}

QString describe(const SweepValues &values)
{
    QStringList parts;
    for (const auto &[p, v] : values)
        parts << p + QStringLiteral(" = ") + v;
    return parts.join(QStringLiteral(", "));
}

double totalThroughput(const SweepPointResult &p)
{
    double x = 0;
    for (const SweepClassFigures &c : p.classes)
        x += c.throughput;
    return x;
}

const SweepDomainFigures *domainOf(const SweepPointResult &p, DomainKind d)
{
    for (const SweepDomainFigures &f : p.domains)
        if (f.kind == d)
            return &f;
    return nullptr;
}

bool isCpuPool(const SweepResult &r, const VaryAxis &a)
{
    const auto d = a.poolDomain();
    if (!d || r.points.empty())
        return false;
    const SweepDomainFigures *f = domainOf(r.points.front(), *d);
    return f && f->cpuBound;
}

// The worst class against its SLA: the interval's upper end (or the P99 when unbounded) over the SLA.
double worstSlaRatio(const SweepPointResult &p)
{
    double worst = 0;
    for (const SweepClassFigures &c : p.classes) {
        if (!c.slaP99Ms)
            continue;
        const double at = c.ciHiMs ? *c.ciHiMs : c.p99Ms ? *c.p99Ms * 1.5 : 1e12;
        worst = std::max(worst, at / *c.slaP99Ms);
    }
    return worst;
}

QString slaText(const SweepPointResult &p)
{
    QStringList parts;
    for (const SweepClassFigures &c : p.classes) {
        if (!c.slaP99Ms)
            continue;
        const QString ci = c.ciHiMs ? QStringLiteral("[%1, %2]").arg(num(c.ciLoMs.value_or(0)), num(*c.ciHiMs))
                                    : QStringLiteral("[%1, unbounded]").arg(num(c.ciLoMs.value_or(0)));
        parts << QStringLiteral("%1 P99 %2 ms %3 %4 %5 ms")
                     .arg(c.name, c.p99Ms ? num(*c.p99Ms) : QStringLiteral("-"), ci,
                         c.slaMet ? QStringLiteral("<") : QStringLiteral("not under"), num(*c.slaP99Ms));
    }
    return parts.join(QStringLiteral("; "));
}

void findKnees(SweepResult &r)
{
    if (r.axes.size() != 1) {
        r.kneeWhy = QStringLiteral("knees are found on one-dimensional sweeps");
        return;
    }
    const VaryAxis &axis = r.axes.front();
    QStringList missing;
    for (std::size_t ci = 0; r.points.size() && ci < r.points.front().classes.size(); ++ci) {
        std::vector<std::pair<double, double>> curve;
        for (const SweepPointResult &p : r.points) {
            const auto x = numeric(valueOf(p.values, axis.path)); // findKnee takes falling curves too
            if (x && p.classes[ci].p99Ms)
                curve.emplace_back(*x, *p.classes[ci].p99Ms);
        }
        std::sort(curve.begin(), curve.end());
        const QString name = r.points.front().classes[ci].name;
        const auto knee = theory::findKnee(curve);
        if (!knee) {
            missing << name;
            continue;
        }
        SweepKnee k;
        k.path = axis.path;
        k.className = name;
        k.value = knee->x;
        k.method = knee->method;
        r.knees.push_back(k);
        // The first knee on the way to overload: the smallest x.
        if (!r.knee || (axis.poolDomain() ? k.value > r.knee->value : k.value < r.knee->value))
            r.knee = k;
    }
    if (!r.knee)
        r.kneeWhy = r.points.size() < 4
            ? QStringLiteral("too few points for a knee (%1; at least 4)").arg(r.points.size())
            : QStringLiteral("no knee in any class's P99 curve (%1)").arg(missing.join(QStringLiteral(", ")));
}

void fitScalability(SweepResult &r)
{
    if (r.axes.size() != 1 || !isCpuPool(r, r.axes.front())) {
        r.uslWhy = QStringLiteral("the USL is fitted when one CPU pool's workers are varied");
        return;
    }
    const VaryAxis &axis = r.axes.front();
    std::vector<std::pair<double, double>> points;
    for (const SweepPointResult &p : r.points)
        if (const auto n = numeric(valueOf(p.values, axis.path)))
            points.emplace_back(*n, totalThroughput(p));
    if (int(points.size()) < kUslMinPoints) {
        r.uslWhy = QStringLiteral("%1 points; the USL needs at least %2").arg(points.size()).arg(kUslMinPoints);
        return;
    }
    const auto fit = theory::fitUsl(points);
    if (!fit) {
        r.uslWhy = QStringLiteral("the USL fit did not converge on these points");
        return;
    }
    r.usl = SweepUsl { axis.path, *fit };
}

// Points a CPU pool's workers oversubscribe: above the point where throughput stops rising (within
// each group of the other axis's values) or above the USL's N*.
std::vector<bool> oversubscribed(SweepResult &r)
{
    std::vector<bool> out(r.points.size(), false);
    for (const VaryAxis &axis : r.axes) {
        if (!isCpuPool(r, axis))
            continue;
        std::map<QString, std::vector<std::size_t>> groups; // the other axes' values → points
        for (std::size_t i = 0; i < r.points.size(); ++i) {
            QString key;
            for (const auto &[p, v] : r.points[i].values)
                if (p != axis.path)
                    key += p + QLatin1Char('=') + v + QLatin1Char(';');
            groups[key].push_back(i);
        }
        QStringList why;
        for (const auto &[key, members] : groups) {
            double best = 0;
            for (std::size_t i : members)
                best = std::max(best, totalThroughput(r.points[i]));
            double cap = std::numeric_limits<double>::infinity();
            for (std::size_t i : members)
                if (totalThroughput(r.points[i]) >= kThroughputPlateau * best)
                    cap = std::min(cap, numeric(valueOf(r.points[i].values, axis.path)).value_or(cap));
            QString text = QStringLiteral("throughput stops rising at %1 workers (%2 % of the highest, %3/s)")
                               .arg(num(cap))
                               .arg(kThroughputPlateau * 100)
                               .arg(num(best));
            if (r.usl && r.usl->path == axis.path && std::isfinite(r.usl->fit.nStar)) {
                double minN = std::numeric_limits<double>::infinity();
                for (std::size_t i : members)
                    minN = std::min(minN, numeric(valueOf(r.points[i].values, axis.path)).value_or(minN));
                const double uslCap = std::max(minN, std::floor(r.usl->fit.nStar + 0.5));
                if (uslCap < cap)
                    cap = uslCap;
                text += QStringLiteral("; the USL peaks at N* = %1").arg(num(r.usl->fit.nStar));
            }
            // Up to the cores a pool cannot oversubscribe them; an open-loop class the pool keeps up
            // with has flat throughput for a reason that is no limit of the CPU.
            const int cores = r.cores > 0 ? r.cores : std::max(1, QThread::idealThreadCount());
            if (cap < cores) {
                cap = cores;
                text += QStringLiteral("; %1 cores").arg(cores);
            }
            for (std::size_t i : members)
                if (numeric(valueOf(r.points[i].values, axis.path)).value_or(0) > cap)
                    out[i] = true;
            why << (key.isEmpty() ? QString() : QStringLiteral("at %1: ").arg(key.chopped(1))) + text
                    + QStringLiteral(": at most %1").arg(num(cap));
        }
        r.cpuLimits.emplace_back(axis.path, why.join(QStringLiteral("; ")));
    }
    return out;
}

void recommend(SweepResult &r)
{
    if (r.points.empty()) {
        r.recommendationWhy = QStringLiteral("no point was measured");
        return;
    }
    bool anySla = false;
    for (const SweepClassFigures &c : r.points.front().classes)
        anySla = anySla || c.slaP99Ms.has_value();
    if (!anySla) {
        r.recommendationWhy = QStringLiteral("no class has a P99 SLA to meet");
        return;
    }
    std::vector<const VaryAxis *> pools;
    const VaryAxis *load = nullptr;
    for (const VaryAxis &a : r.axes) {
        if (a.poolDomain())
            pools.push_back(&a);
        if (a.isLoad())
            load = &a;
    }
    // A policy bake-off costs what the pool's workers cost: its worker-seconds.
    const std::optional<DomainKind> scaled = pools.empty() ? r.bakeoffDomain() : std::nullopt;
    const auto cost = [&](const SweepPointResult &p) -> std::optional<double> {
        if (scaled) {
            const SweepDomainFigures *d = domainAt(p, *scaled);
            return d ? std::optional<double>(std::round(d->workerSeconds * 1e3) / 1e3) : std::nullopt;
        }
        if (pools.empty())
            return load ? numeric(valueOf(p.values, load->path)) : std::nullopt;
        double c = 0;
        for (const VaryAxis *a : pools)
            c += numeric(valueOf(p.values, a->path)).value_or(0);
        return c;
    };
    // Better: fewer workers; then more load; then more room under the SLAs.
    const auto better = [&](const SweepPointResult &a, const SweepPointResult &b) {
        const auto ca = cost(a), cb = cost(b);
        if ((!pools.empty() || scaled) && ca != cb)
            return ca < cb;
        if (load) {
            const double la = pointLoad(a.values), lb = pointLoad(b.values);
            if (la != lb)
                return la > lb;
        }
        return worstSlaRatio(a) < worstSlaRatio(b);
    };
    const std::vector<bool> over = oversubscribed(r);
    const SweepPointResult *best = nullptr;
    const SweepPointResult *closest = nullptr;
    int excluded = 0;
    for (std::size_t i = 0; i < r.points.size(); ++i) {
        const SweepPointResult &p = r.points[i];
        if (over[i]) {
            excluded += p.allSlasMet() ? 1 : 0;
            continue;
        }
        if (p.allSlasMet() && (!best || better(p, *best)))
            best = &p;
        if (!closest || worstSlaRatio(p) < worstSlaRatio(*closest))
            closest = &p;
    }
    QString limits;
    for (const auto &[path, why] : r.cpuLimits)
        limits += QStringLiteral(" %1: %2.").arg(path, why);
    SweepRecommendation rec;
    if (best) {
        rec.values = best->values;
        rec.cost = cost(*best);
        rec.allSlaMet = true;
        const QString what = !pools.empty() ? QStringLiteral("the fewest workers")
            : scaled
            ? QStringLiteral("the fewest worker-seconds of %1: %2").arg(domainName(*scaled), num(rec.cost.value_or(0)))
            : load ? QStringLiteral("the highest load")
                   : QStringLiteral("the most room under the SLAs");
        rec.reason = QStringLiteral("%1 (%2) at which every class meets its P99 SLA with 95 % confidence: %3.")
                         .arg(what, describe(best->values), slaText(*best));
    } else if (closest) {
        rec.values = closest->values;
        rec.cost = cost(*closest);
        rec.allSlaMet = false;
        rec.reason = QStringLiteral("no point meets every P99 SLA with 95 % confidence; the closest is %1: %2.")
                         .arg(describe(closest->values), slaText(*closest));
    } else {
        r.recommendationWhy = QStringLiteral("every point oversubscribes a CPU pool.") + limits;
        return;
    }
    if (!limits.isEmpty())
        rec.reason += QStringLiteral(" No oversubscription:") + limits;
    // The SLA is on the P99 of completed tasks: say so when the point keeps it by turning work away.
    const SweepPointResult &chosen = best ? *best : *closest;
    for (const SweepClassFigures &c : chosen.classes)
        if (c.submitted > 0 && double(c.lost) > kLostNotice * double(c.submitted))
            rec.reason += QStringLiteral(" Note: %1 % of %2's tasks were rejected or failed there.")
                              .arg(num(100.0 * double(c.lost) / double(c.submitted)), c.name);
    bool unbounded = false;
    for (const SweepClassFigures &c : (best ? *best : *closest).classes)
        unbounded = unbounded || (c.slaP99Ms && !c.ciHiMs);
    if (!best && unbounded)
        rec.reason += QStringLiteral(" Some P99s have no upper end: too few samples to bound them (at least 367 "
                                     "per class with one run a point); use a longer --duration or --reps 3.");
    if (excluded > 0)
        rec.reason += QStringLiteral(" (%1 point(s) that met the SLAs above that limit were left out.)").arg(excluded);
    r.recommendation = rec;
}

} // namespace

std::optional<DomainKind> SweepResult::bakeoffDomain() const
{
    for (const VaryAxis &a : axes)
        if (const auto d = a.autoscaleDomain())
            return d;
    return std::nullopt;
}

const SweepDomainFigures *domainAt(const SweepPointResult &point, DomainKind domain)
{
    return domainOf(point, domain);
}

std::optional<double> costRatio(const SweepPointResult &point, const SweepBaseline &baseline)
{
    const SweepDomainFigures *d = domainOf(point, baseline.domain);
    if (!d || d->workersMean <= 0 || baseline.workersMean <= 0)
        return std::nullopt;
    return d->workersMean / baseline.workersMean;
}

void analyzeSweep(SweepResult &r)
{
    r.knees.clear();
    r.knee.reset();
    r.usl.reset();
    r.cpuLimits.clear();
    r.recommendation.reset();
    r.kneeWhy.clear();
    r.uslWhy.clear();
    r.recommendationWhy.clear();
    findKnees(r);
    fitScalability(r);
    recommend(r);
}

} // namespace hs
