#include "tuning/sweepreport.h"

#include "sim/simulator.h"

#include <QJsonArray>
#include <QTextStream>

#include <cmath>

namespace hs {

namespace {

double round3(double v)
{
    return std::round(v * 1000.0) / 1000.0;
}

QJsonValue optMs(const std::optional<double> &v)
{
    return v ? QJsonValue(round3(*v)) : QJsonValue();
}

QJsonValue valueJson(const QString &text)
{
    bool ok = false;
    const double v = text.toDouble(&ok);
    return ok && std::isfinite(v) ? QJsonValue(v) : QJsonValue(text);
}

QString fixed(double v, int prec = 1)
{
    return QString::number(v, 'f', prec);
}

// A CSV field: quoted when it holds a comma, a quote or a line break.
QString csv(const QString &s)
{
    if (!s.contains(QLatin1Char(',')) && !s.contains(QLatin1Char('"')) && !s.contains(QLatin1Char('\n')))
        return s;
    QString q = s;
    q.replace(QLatin1Char('"'), QLatin1String("\"\""));
    return QLatin1Char('"') + q + QLatin1Char('"');
}

QString csvNum(const std::optional<double> &v)
{
    return v ? QString::number(round3(*v), 'g', 10) : QString();
}

QString pad(const QString &s, int w)
{
    if (w < 0)
        return s.leftJustified(-w);
    return s.size() >= w ? QLatin1Char(' ') + s : s.rightJustified(w);
}

QString p99Cell(const SweepClassFigures &c)
{
    if (!c.p99Ms)
        return QStringLiteral("-");
    const QString hi = c.ciHiMs ? fixed(*c.ciHiMs) : QStringLiteral("?");
    const QString mark = !c.slaP99Ms ? QString() : c.slaMet ? QStringLiteral(" ok") : QStringLiteral(" MISS");
    return QStringLiteral("%1 [%2, %3]%4").arg(fixed(*c.p99Ms), fixed(c.ciLoMs.value_or(0)), hi, mark);
}

// The policies of a bake-off against the cheapest fixed size: cost, range and ratio.
QString bakeoffSummary(const SweepResult &r, DomainKind domain)
{
    QString out;
    QTextStream s(&out);
    const QString name = domainName(domain);
    if (r.baseline) {
        const SweepBaseline &b = *r.baseline;
        s << "fixed baseline: " << name << " " << b.workers << " workers (autoscale off), " << fixed(b.workerSeconds)
          << " worker-s: the cheapest fixed size that meets every SLA (tune search on the "
          << (b.source == QLatin1String("sim") ? "simulator" : "engine") << ", budget " << fixed(b.budgetS, 0)
          << " s)\n";
    } else {
        s << "fixed baseline: none (" << r.baselineWhy << ")\n";
    }
    for (const SweepPointResult &p : r.points) {
        const SweepDomainFigures *d = domainAt(p, domain);
        if (!d)
            continue;
        s << "  " << sweepValuesText(p.values) << ": " << name << " " << fixed(d->workerSeconds) << " worker-s, mean "
          << fixed(d->workersMean) << " workers";
        if (d->autoscale)
            s << " (" << d->autoscale->workersMin << "–" << d->autoscale->workersMax << ", " << d->autoscale->resizes
              << " resizes)";
        if (r.baseline)
            if (const auto ratio = costRatio(p, *r.baseline))
                s << ", × " << fixed(*ratio, 2) << " the fixed baseline";
        s << (p.allSlasMet() ? ", every SLA met" : ", some SLA missed") << '\n';
    }
    return out;
}

} // namespace

QJsonObject baselineJson(const SweepBaseline &b)
{
    QJsonObject classes;
    for (const SweepClassFigures &c : b.classes)
        classes[c.name] = QJsonObject {
            { QStringLiteral("p99_ms"), optMs(c.p99Ms) },
            { QStringLiteral("p99_ci_ms"), QJsonArray { optMs(c.ciLoMs), optMs(c.ciHiMs) } },
            { QStringLiteral("sla_p99_ms"), optMs(c.slaP99Ms) },
            { QStringLiteral("met"), c.slaMet },
        };
    return QJsonObject {
        { QStringLiteral("domain"), domainName(b.domain) },
        { QStringLiteral("workers"), b.workers },
        { QStringLiteral("worker_seconds"), round3(b.workerSeconds) },
        { QStringLiteral("workers_mean"), round3(b.workersMean) },
        { QStringLiteral("measured_s"), round3(b.measuredS) },
        { QStringLiteral("classes"), classes },
        { QStringLiteral("source"), b.source },
        { QStringLiteral("budget_s"), round3(b.budgetS) },
        { QStringLiteral("search"), b.search },
    };
}

QJsonObject sweepValuesJson(const SweepValues &values)
{
    QJsonObject o;
    for (const auto &[path, v] : values)
        o[path] = valueJson(v);
    return o;
}

QJsonObject sweepPointToJson(const SweepPointResult &p)
{
    QJsonObject o;
    o[QStringLiteral("values")] = sweepValuesJson(p.values);
    o[QStringLiteral("duration_s")] = p.durationS;
    o[QStringLiteral("warmup_s")] = p.warmupS;
    o[QStringLiteral("measured_s")] = round3(p.measuredS);
    o[QStringLiteral("reps")] = p.reps;
    o[QStringLiteral("conserved")] = p.conserved;
    o[QStringLiteral("wall_s")] = round3(p.wallS);
    QJsonObject classes;
    for (const SweepClassFigures &c : p.classes) {
        QJsonObject j;
        j[QStringLiteral("throughput")] = round3(c.throughput);
        j[QStringLiteral("samples")] = qint64(c.samples);
        j[QStringLiteral("submitted")] = qint64(c.submitted);
        j[QStringLiteral("lost")] = qint64(c.lost);
        j[QStringLiteral("rejected")] = qint64(c.rejected);
        j[QStringLiteral("p50_ms")] = optMs(c.p50Ms);
        j[QStringLiteral("p99_ms")] = optMs(c.p99Ms);
        j[QStringLiteral("p99_ci_ms")] = QJsonArray { optMs(c.ciLoMs), optMs(c.ciHiMs) };
        j[QStringLiteral("p99_ci_method")] = c.ciMethod.isEmpty() ? QJsonValue() : QJsonValue(c.ciMethod);
        if (c.repP99Ms.size() >= 2) {
            QJsonArray reps;
            for (double v : c.repP99Ms)
                reps.append(round3(v));
            j[QStringLiteral("rep_p99_ms")] = reps;
        }
        j[QStringLiteral("sla_p99_ms")] = optMs(c.slaP99Ms);
        j[QStringLiteral("sla_met")] = c.slaMet;
        j[QStringLiteral("naive_p99_ms")] = optMs(c.naiveP99Ms); // DESIGN §15
        classes[c.name] = j;
    }
    o[QStringLiteral("classes")] = classes;
    QJsonObject domains;
    for (const SweepDomainFigures &d : p.domains) {
        QJsonObject j;
        j[QStringLiteral("workers")] = d.workers;
        j[QStringLiteral("utilization")] = round3(d.utilization);
        j[QStringLiteral("queue_mean")] = round3(d.queueMean);
        j[QStringLiteral("wait_mean_ms")] = round3(d.waitMeanMs);
        j[QStringLiteral("p_wait")] = round3(d.pWait);
        j[QStringLiteral("arrival_rate")] = round3(d.arrivalRate);
        j[QStringLiteral("service_mean_ms")] = round3(d.serviceMeanMs);
        j[QStringLiteral("service_scv")] = round3(d.serviceScv);
        j[QStringLiteral("worker_seconds")] = round3(d.workerSeconds);
        j[QStringLiteral("workers_mean")] = round3(d.workersMean);
        if (d.autoscale)
            j[QStringLiteral("autoscale")] = QJsonObject {
                { QStringLiteral("policy"), autoscalePolicyName(d.autoscale->policy) },
                { QStringLiteral("resizes"), d.autoscale->resizes },
                { QStringLiteral("workers_min"), d.autoscale->workersMin },
                { QStringLiteral("workers_max"), d.autoscale->workersMax },
            };
        if (d.predicted.applies) {
            j[QStringLiteral("predicted")] = QJsonObject {
                { QStringLiteral("model"), d.predicted.model },
                { QStringLiteral("utilization"), round3(d.predicted.utilization) },
                { QStringLiteral("p_wait"), round3(d.predicted.pWait) },
                { QStringLiteral("wait_mean_ms"), round3(d.predicted.waitMeanS * 1e3) },
            };
        } else {
            j[QStringLiteral("predicted")] = QJsonValue();
            j[QStringLiteral("predicted_why")] = d.predicted.why;
        }
        domains[domainName(d.kind)] = j;
    }
    o[QStringLiteral("domains")] = domains;
    QJsonArray findings;
    for (const QString &f : p.findings)
        findings.append(f);
    o[QStringLiteral("findings")] = findings;
    return o;
}

QJsonObject sweepToJson(const SweepResult &r)
{
    QJsonObject o;
    o[QStringLiteral("schema")] = QStringLiteral("hybridscope.sweep/1");
    o[QStringLiteral("scenario")] = QJsonObject {
        { QStringLiteral("name"), r.scenarioName },
        { QStringLiteral("source"), r.scenarioSource },
    };
    o[QStringLiteral("mode")] = r.mode;
    if (r.mode == QLatin1String("simulated"))
        o[QStringLiteral("simulation")]
            = QJsonObject { { QStringLiteral("cores"), r.simCores > 0 ? r.simCores : r.cores },
                  { QStringLiteral("calibration"), r.calibration.isEmpty() ? SimCosts {}.source : r.calibration },
                  { QStringLiteral("extrapolation"), extrapolationJson(r.extrapolation) } };
    QJsonArray vary;
    for (const VaryAxis &a : r.axes) {
        QJsonArray values;
        for (const QString &v : a.values)
            values.append(valueJson(v));
        vary.append(QJsonObject { { QStringLiteral("path"), a.path }, { QStringLiteral("values"), values } });
    }
    o[QStringLiteral("vary")] = vary;
    o[QStringLiteral("wall_s")] = round3(r.wallS);
    o[QStringLiteral("duration_s")] = r.durationS;
    o[QStringLiteral("warmup_s")] = r.warmupS;
    o[QStringLiteral("reps")] = r.reps;
    o[QStringLiteral("planned_points")] = r.plannedPoints;
    o[QStringLiteral("interrupted")] = r.interrupted;
    const std::optional<DomainKind> bakeoff = r.bakeoffDomain();
    QJsonArray points;
    for (const SweepPointResult &p : r.points) {
        QJsonObject j = sweepPointToJson(p);
        if (bakeoff) {
            const auto ratio = r.baseline ? costRatio(p, *r.baseline) : std::nullopt;
            j[QStringLiteral("cost_ratio")] = ratio ? QJsonValue(round3(*ratio)) : QJsonValue();
        }
        points.append(j);
    }
    o[QStringLiteral("points")] = points;
    if (bakeoff) {
        o[QStringLiteral("fixed_baseline")] = r.baseline ? QJsonValue(baselineJson(*r.baseline)) : QJsonValue();
        if (!r.baseline)
            o[QStringLiteral("fixed_baseline_reason")]
                = r.baselineWhy.isEmpty() ? QStringLiteral("no fixed baseline was searched for") : r.baselineWhy;
    }

    if (r.knee) {
        o[QStringLiteral("knee")] = QJsonObject {
            { QStringLiteral("path"), r.knee->path },
            { QStringLiteral("value"), r.knee->value },
            { QStringLiteral("method"), r.knee->method },
            { QStringLiteral("class"), r.knee->className },
        };
    } else {
        o[QStringLiteral("knee")] = QJsonValue();
        o[QStringLiteral("knee_why")] = r.kneeWhy;
    }
    QJsonObject knees;
    for (const SweepKnee &k : r.knees)
        knees[k.className]
            = QJsonObject { { QStringLiteral("value"), k.value }, { QStringLiteral("method"), k.method } };
    o[QStringLiteral("knees")] = knees;
    if (r.usl) {
        const theory::UslFit &f = r.usl->fit;
        o[QStringLiteral("usl")] = QJsonObject {
            { QStringLiteral("path"), r.usl->path },
            { QStringLiteral("sigma"), f.sigma },
            { QStringLiteral("kappa"), f.kappa },
            { QStringLiteral("lambda"), f.lambda },
            { QStringLiteral("n_star"), std::isfinite(f.nStar) ? QJsonValue(f.nStar) : QJsonValue() },
            { QStringLiteral("r2"), f.r2 },
        };
    } else {
        o[QStringLiteral("usl")] = QJsonValue();
        o[QStringLiteral("usl_why")] = r.uslWhy;
    }
    QJsonObject limits;
    for (const auto &[path, why] : r.cpuLimits)
        limits[path] = why;
    o[QStringLiteral("cpu_limits")] = limits;
    if (r.recommendation) {
        const SweepRecommendation &rec = *r.recommendation;
        o[QStringLiteral("recommendation")] = QJsonObject {
            { QStringLiteral("values"), sweepValuesJson(rec.values) },
            { QStringLiteral("cost"), rec.cost ? QJsonValue(*rec.cost) : QJsonValue() },
            { QStringLiteral("all_sla_met"), rec.allSlaMet },
            { QStringLiteral("reason"), rec.reason },
        };
    } else {
        o[QStringLiteral("recommendation")] = QJsonValue();
        o[QStringLiteral("recommendation_why")] = r.recommendationWhy;
    }
    return o;
}

QString sweepToCsv(const SweepResult &r)
{
    QString out;
    QTextStream s(&out);
    for (const VaryAxis &a : r.axes)
        s << csv(a.path) << ',';
    s << "class,throughput,samples,p50_ms,p99_ms,p99_ci_lo_ms,p99_ci_hi_ms,sla_p99_ms,sla_met,conserved,reps,"
         "findings,naive_p99_ms";
    // A policy bake-off: the varied pool's cost, and relative to the fixed baseline.
    const std::optional<DomainKind> bakeoff = r.bakeoffDomain();
    if (bakeoff)
        s << ",worker_seconds,workers_mean,cost_ratio";
    s << '\n';
    for (const SweepPointResult &p : r.points)
        for (const SweepClassFigures &c : p.classes) {
            for (const auto &[path, v] : p.values)
                s << csv(v) << ',';
            s << csv(c.name) << ',' << round3(c.throughput) << ',' << c.samples << ',' << csvNum(c.p50Ms) << ','
              << csvNum(c.p99Ms) << ',' << csvNum(c.ciLoMs) << ',' << csvNum(c.ciHiMs) << ',' << csvNum(c.slaP99Ms)
              << ',' << (c.slaMet ? "true" : "false") << ',' << (p.conserved ? "true" : "false") << ',' << p.reps << ','
              << csv(p.findings.join(QLatin1Char(' '))) << ',' << csvNum(c.naiveP99Ms);
            if (bakeoff) {
                const SweepDomainFigures *d = domainAt(p, *bakeoff);
                s << ',' << csvNum(d ? std::optional<double>(d->workerSeconds) : std::nullopt) << ','
                  << csvNum(d ? std::optional<double>(d->workersMean) : std::nullopt) << ','
                  << csvNum(r.baseline ? costRatio(p, *r.baseline) : std::nullopt);
            }
            s << '\n';
        }
    return out;
}

QString sweepSummary(const SweepResult &r)
{
    QString out;
    QTextStream s(&out);
    if (r.mode == QLatin1String("simulated")) {
        s << "SIMULATED in virtual time (not measured): " << (r.simCores > 0 ? r.simCores : r.cores)
          << " cores, calibration: " << (r.calibration.isEmpty() ? SimCosts {}.source : r.calibration) << "\n";
        if (!r.extrapolation.empty())
            s << extrapolationText(r.extrapolation) << "\n";
    }
    s << "sweep of " << r.scenarioName << ": " << r.points.size() << " of " << r.plannedPoints << " points, " << r.reps
      << (r.reps == 1 ? " run" : " runs") << " of " << fixed(r.durationS) << " s each (first " << fixed(r.warmupS)
      << " s discarded), " << fixed(r.wallS) << " s in all" << (r.interrupted ? " (stopped early)" : "") << "\n";
    if (r.points.empty())
        return out;
    s << "P99 in ms [95 % interval; " << (r.reps >= 2 ? "replications" : "order statistics")
      << "], ok = the whole interval under the SLA\n\n";
    // Columns: each varied path, then per class "P99 [lo, hi] mark" and throughput.
    QStringList header;
    std::vector<int> widths;
    for (const VaryAxis &a : r.axes) {
        header << a.path;
        widths.push_back(-std::max<int>(int(a.path.size()), 6));
    }
    for (const SweepClassFigures &c : r.points.front().classes) {
        const QString p99 = c.name
            + (c.slaP99Ms ? QStringLiteral(" P99 (SLA %1)").arg(fixed(*c.slaP99Ms, 0)) : QStringLiteral(" P99"));
        header << p99 << c.name + QStringLiteral("/s");
        widths.push_back(std::max<int>(int(p99.size()), 28));
        widths.push_back(std::max<int>(int(c.name.size()) + 2, 8));
    }
    header << QStringLiteral("findings");
    widths.push_back(-8);
    for (int i = 0; i < header.size(); ++i)
        s << pad(header[i], widths[std::size_t(i)]) << (i + 1 < header.size() ? "  " : "");
    s << '\n';
    for (const SweepPointResult &p : r.points) {
        QStringList cells;
        for (const auto &[path, v] : p.values)
            cells << v;
        for (const SweepClassFigures &c : p.classes)
            cells << p99Cell(c) << fixed(c.throughput);
        cells << (p.findings.isEmpty() ? QStringLiteral("-") : p.findings.join(QLatin1Char(' ')))
                + (p.conserved ? QString() : QStringLiteral(" NOT CONSERVED"));
        for (int i = 0; i < cells.size() && i < int(widths.size()); ++i)
            s << pad(cells[i], widths[std::size_t(i)]) << (i + 1 < cells.size() ? "  " : "");
        s << '\n';
    }
    s << '\n';
    if (r.knee) {
        s << "knee: " << r.knee->path << " = " << QString::number(r.knee->value, 'g', 4) << " (" << r.knee->className
          << "; " << r.knee->method << ")";
        for (const SweepKnee &k : r.knees)
            if (k.className != r.knee->className)
                s << "; " << k.className << " at " << QString::number(k.value, 'g', 4);
        s << '\n';
    } else {
        s << "knee: none (" << r.kneeWhy << ")\n";
    }
    if (r.usl)
        s << "USL: sigma " << QString::number(r.usl->fit.sigma, 'g', 3) << ", kappa "
          << QString::number(r.usl->fit.kappa, 'g', 3) << ", N* "
          << (std::isfinite(r.usl->fit.nStar) ? QString::number(r.usl->fit.nStar, 'g', 3) : QStringLiteral("unbounded"))
          << ", R² " << QString::number(r.usl->fit.r2, 'f', 3) << '\n';
    if (const auto d = r.bakeoffDomain())
        s << bakeoffSummary(r, *d);
    if (r.recommendation)
        s << "recommendation" << (r.recommendation->allSlaMet ? "" : " (no point meets every SLA)") << ": "
          << r.recommendation->reason << '\n';
    else
        s << "recommendation: none (" << r.recommendationWhy << ")\n";
    return out;
}

} // namespace hs
