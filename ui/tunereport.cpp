#include "tunereport.h"

#include "htmlreport.h"
#include "sweepreport.h"

#include <QCoreApplication>
#include <QJsonArray>

#include <algorithm>
#include <map>

namespace hs {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("hs::TuneReport", text);
}

using H = HtmlBuilder;

QJsonObject obj(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toObject();
}

QString valuesText(const QJsonObject &values)
{
    QStringList parts;
    for (auto it = values.begin(); it != values.end(); ++it)
        parts << QStringLiteral("%1 = %2").arg(it.key(), SweepReport::valueText(it.value()));
    return parts.join(QStringLiteral(", "));
}

// The tuned pools' paths, in the order the points name them.
QStringList poolPaths(const QJsonObject &tune)
{
    QStringList paths;
    for (const QJsonValue &p : tune.value(QStringLiteral("evaluated")).toArray())
        for (const QString &k : obj(p.toObject(), "values").keys())
            if (!paths.contains(k))
                paths << k;
    return paths;
}

} // namespace

QStringList TuneReport::sectionIds()
{
    return { QStringLiteral("tune"), QStringLiteral("start"), QStringLiteral("plots"), QStringLiteral("points") };
}

QJsonObject TuneReport::alongPool(const QJsonObject &tune, const QString &path)
{
    const QJsonArray evaluated = tune.value(QStringLiteral("evaluated")).toArray();
    QJsonObject anchor = obj(obj(tune, "recommendation"), "values");
    if (anchor.isEmpty() && !evaluated.isEmpty())
        anchor = obj(evaluated.last().toObject(), "values");
    std::map<int, QJsonObject> byWorkers; // the last point measured at each size
    for (const QJsonValue &v : evaluated) {
        const QJsonObject p = v.toObject();
        const QJsonObject values = obj(p, "values");
        bool onLine = values.contains(path);
        for (auto it = anchor.begin(); it != anchor.end() && onLine; ++it)
            onLine = it.key() == path || values.value(it.key()) == it.value();
        if (onLine) {
            QJsonObject q = p;
            q[QStringLiteral("values")] = QJsonObject { { path, values.value(path) } };
            byWorkers[values.value(path).toInt()] = q;
        }
    }
    QJsonArray points, sizes;
    for (const auto &[w, p] : byWorkers) {
        points.append(p);
        sizes.append(w);
    }
    QJsonObject rec;
    if (anchor.contains(path) && tune.value(QStringLiteral("recommendation")).isObject())
        rec = QJsonObject { { QStringLiteral("values"), QJsonObject { { path, anchor.value(path) } } },
            { QStringLiteral("all_sla_met"), true } };
    return QJsonObject {
        { QStringLiteral("schema"), QStringLiteral("hybridscope.sweep/1") },
        { QStringLiteral("scenario"), tune.value(QStringLiteral("scenario")) },
        { QStringLiteral("mode"), tune.value(QStringLiteral("mode")) },
        { QStringLiteral("vary"),
            QJsonArray { QJsonObject { { QStringLiteral("path"), path }, { QStringLiteral("values"), sizes } } } },
        { QStringLiteral("points"), points },
        { QStringLiteral("knee"), QJsonValue() },
        { QStringLiteral("usl"), QJsonValue() },
        { QStringLiteral("recommendation"), rec.isEmpty() ? QJsonValue() : QJsonValue(rec) },
    };
}

std::vector<ReportPlot> TuneReport::plots(const QJsonObject &tune)
{
    std::vector<ReportPlot> out;
    for (const QString &path : poolPaths(tune)) {
        const QJsonObject along = alongPool(tune, path);
        if (along.value(QStringLiteral("points")).toArray().size() < 2)
            continue;
        std::vector<ReportPlot> p = SweepReport::plots(along);
        // P99 per class, and utilization measured against predicted (the third of a 1-D sweep's).
        if (!p.empty())
            out.push_back(std::move(p.front()));
        if (p.size() >= 3)
            out.push_back(std::move(p[2]));
    }
    return out;
}

ReportHtml TuneReport::build(const QJsonObject &tune, const std::vector<ReportPlot> &plots, ReportMedium medium)
{
    H h(medium);
    const QString scenario = tune.value(QStringLiteral("scenario")).toString();
    const double load = tune.value(QStringLiteral("load")).toDouble(1.0);
    const QString title = load == 1.0 ? tr("Hybridscope tune: %1").arg(scenario)
                                      : tr("Hybridscope tune: %1 at %2 × its load").arg(scenario).arg(load);
    h.begin(title);
    h.heading(1, {}, title);
    if (const QString beyond = HtmlReport::extrapolationText(obj(tune, "simulation")); !beyond.isEmpty())
        h.paragraph(QStringLiteral("<strong>%1</strong>").arg(H::esc(beyond)), QStringLiteral("bad"));
    const QJsonArray evaluated = tune.value(QStringLiteral("evaluated")).toArray();

    h.heading(2, QStringLiteral("tune"), tr("Answer"));
    const QJsonObject rec = obj(tune, "recommendation");
    if (!rec.isEmpty()) {
        h.paragraph(H::esc(tr("The fewest workers that met every class's P99 SLA on the engine: %1 (%2 in all).")
                               .arg(valuesText(obj(rec, "values")))
                               .arg(rec.value(QStringLiteral("cost")).toInt())));
        h.tableBegin({ H::esc(tr("Class")), H::esc(tr("P99 ms [95 % interval]")), H::esc(tr("SLA ms")) });
        const QJsonObject classes = obj(rec, "classes");
        for (auto it = classes.begin(); it != classes.end(); ++it) {
            QJsonObject k = it.value().toObject();
            k[QStringLiteral("sla_met")] = k.value(QStringLiteral("met"));
            const QJsonValue sla = k.value(QStringLiteral("sla_p99_ms"));
            h.row({ H::esc(it.key()), SweepReport::p99Cell(k),
                sla.isDouble() ? H::ms(sla.toDouble()) : QStringLiteral("—") });
        }
        h.tableEnd();
    } else {
        h.paragraph(H::esc(tr("No configuration that was measured met every SLA.")), QStringLiteral("bad"));
    }
    for (const QJsonValue &w : tune.value(QStringLiteral("infeasible_why")).toArray())
        h.paragraph(H::esc(tr("Cannot meet %1").arg(w.toString())), QStringLiteral("bad"));
    h.keyValues({
        { tr("Stopped"), H::esc(tune.value(QStringLiteral("stop_reason")).toString()) },
        { tr("Points"), H::count(evaluated.size()) },
        { tr("Wall time"),
            H::esc(tr("%1 s of a budget of %2 s")
                       .arg(H::number(tune.value(QStringLiteral("wall_s")).toDouble()))
                       .arg(H::number(tune.value(QStringLiteral("budget_s")).toDouble(), 0))) },
        { tr("Each point"),
            H::esc(tr("%1 run(s) of %2 s, the first %3 s discarded, on the real engine")
                       .arg(tune.value(QStringLiteral("reps")).toInt())
                       .arg(tune.value(QStringLiteral("duration_s")).toDouble())
                       .arg(tune.value(QStringLiteral("warmup_s")).toDouble())) },
    });

    h.heading(2, QStringLiteral("start"), tr("The theory's start"));
    const QJsonArray starts = obj(tune, "start").value(QStringLiteral("domains")).toArray();
    if (starts.isEmpty()) {
        h.paragraph(H::esc(tr("The tune stopped before it could start from theory.")), QStringLiteral("muted"));
    } else {
        h.tableBegin({ H::esc(tr("Pool")), H::esc(tr("Start")), H::esc(tr("Range")), H::esc(tr("How")) }, 4,
            QStringLiteral("wide"));
        for (const QJsonValue &v : starts) {
            const QJsonObject s = v.toObject();
            h.row({ H::esc(s.value(QStringLiteral("domain")).toString()),
                H::count(s.value(QStringLiteral("start")).toInt()),
                H::esc(QStringLiteral("%1 … %2")
                           .arg(s.value(QStringLiteral("lo")).toInt())
                           .arg(s.value(QStringLiteral("hi")).toInt())),
                H::esc(s.value(QStringLiteral("why")).toString()) });
        }
        h.tableEnd();
    }

    h.heading(2, QStringLiteral("plots"), tr("Along each pool"));
    if (plots.empty())
        h.paragraph(
            H::esc(tr("No pool was measured at two sizes with the others at the answer's.")), QStringLiteral("muted"));
    for (const ReportPlot &p : plots)
        h.figure(p);

    h.heading(2, QStringLiteral("points"), tr("Every point, in the order it ran"));
    QStringList classNames;
    for (const QJsonValue &v : evaluated)
        for (const QString &c : obj(v.toObject(), "classes").keys())
            if (!classNames.contains(c))
                classNames << c;
    QStringList header { H::esc(tr("#")), H::esc(tr("Workers")), H::esc(tr("Why")) };
    for (const QString &c : classNames)
        header << H::esc(tr("%1 P99").arg(c));
    h.tableBegin(header, 3, QStringLiteral("wide"));
    for (int i = 0; i < evaluated.size(); ++i) {
        const QJsonObject p = evaluated[i].toObject();
        QStringList cells { H::count(i + 1), H::esc(valuesText(obj(p, "values"))),
            H::esc(p.value(QStringLiteral("why")).toString()) };
        for (const QString &c : classNames) {
            const QJsonObject k = obj(obj(p, "classes"), c.toUtf8().constData());
            cells << (k.isEmpty() ? QStringLiteral("—") : SweepReport::p99Cell(k));
        }
        h.row(cells, p.value(QStringLiteral("all_sla_met")).toBool() ? QString() : QStringLiteral("missed"));
    }
    h.tableEnd();
    return h.finish();
}

} // namespace hs
