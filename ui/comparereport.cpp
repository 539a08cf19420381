#include "comparereport.h"

#include "htmlreport.h"

#include <QCoreApplication>
#include <QJsonArray>

namespace hs {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("hs::ComparisonReport", text);
}

using H = HtmlBuilder;

QString numberText(double v)
{
    return QString::number(v, 'g', 10);
}

// A setting as people read it: units on numbers, ∞ for an unbounded queue or unlimited in-flight
// count (the JSON's 0), "until stopped" for a duration of 0.
QString valueText(const QString &key, const QJsonValue &v)
{
    const QString leaf = key.section(QLatin1Char('.'), -1);
    switch (v.type()) {
    case QJsonValue::Bool: return v.toBool() ? QStringLiteral("yes") : QStringLiteral("no");
    case QJsonValue::Double: {
        const double x = v.toDouble();
        if (leaf == QLatin1String("queue"))
            return x == 0 ? tr("∞ (unbounded)") : numberText(x);
        if (leaf == QLatin1String("max_inflight"))
            return x == 0 ? tr("∞ (unlimited)") : numberText(x);
        if (key == QLatin1String("duration_s"))
            return x == 0 ? tr("until stopped") : numberText(x) + QStringLiteral(" s");
        if (leaf == QLatin1String("rate") || leaf == QLatin1String("from") || leaf == QLatin1String("to"))
            return numberText(x) + QStringLiteral("/s");
        if (leaf.endsWith(QLatin1String("_ms")))
            return numberText(x) + QStringLiteral(" ms");
        if (leaf.endsWith(QLatin1String("_s")))
            return numberText(x) + QStringLiteral(" s");
        return numberText(x);
    }
    case QJsonValue::String: return v.toString();
    case QJsonValue::Null: return tr("none");
    default: return QString();
    }
}

// The key without the unit suffix its value now carries ("sla_p99_ms" → "sla_p99").
QString keyText(const QString &key)
{
    QString k = key;
    for (const char *suffix : { "_ms", "_s" })
        if (k.endsWith(QLatin1String(suffix)) && k != QLatin1String("duration_s")) {
            k.chop(int(qstrlen(suffix)));
            break;
        }
    return k == QLatin1String("duration_s") ? QStringLiteral("duration") : k;
}

// Objects nest with '.', arrays of named objects (classes, stages) by their name, so that the same
// setting has the same key in both runs whatever the order.
void flatten(const QJsonValue &v, const QString &prefix, QList<QPair<QString, QString>> *out)
{
    if (v.isObject()) {
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            if (it.key() != QLatin1String("name"))
                flatten(it.value(), prefix.isEmpty() ? it.key() : prefix + QLatin1Char('.') + it.key(), out);
    } else if (v.isArray()) {
        const QJsonArray arr = v.toArray();
        for (int i = 0; i < arr.size(); ++i) {
            const QString name = arr[i].toObject().value(QStringLiteral("name")).toString();
            flatten(arr[i], prefix + QLatin1Char('.') + (name.isEmpty() ? QString::number(i) : name), out);
        }
    } else {
        out->append({ keyText(prefix), valueText(prefix, v) });
    }
}

QString signedNumber(double v, int decimals)
{
    return (v > 0 ? QStringLiteral("+") : QString()) + QString::number(v, 'f', decimals);
}

QString deltaPercent(double a, double b)
{
    if (a == 0)
        return QStringLiteral("—");
    return signedNumber((b - a) / a * 100.0, 1) + QLatin1Char('%');
}

QJsonObject obj(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toObject();
}

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

void runsSection(H &h, const QJsonObject &a, const QJsonObject &b)
{
    h.heading(2, QStringLiteral("runs"), tr("The two runs"));
    h.tableBegin({ tr(""), tr("Run A"), tr("Run B") }, 3);
    const QJsonObject runs[2] = { a, b };
    auto row = [&](const QString &label, const std::function<QString(const QJsonObject &)> &value) {
        h.row({ QStringLiteral("<b>") + H::esc(label) + QStringLiteral("</b>"), value(runs[0]), value(runs[1]) });
    };
    row(tr("Scenario"), [](const QJsonObject &r) -> QString { return H::esc(str(obj(r, "scenario"), "name")); });
    row(tr("Description"),
        [](const QJsonObject &r) -> QString { return H::esc(str(obj(r, "scenario"), "description")); });
    row(tr("Source"),
        [](const QJsonObject &r) -> QString { return HtmlReport::sourceHtml(str(obj(r, "scenario"), "source")); });
    row(tr("Ran for"), [](const QJsonObject &r) -> QString {
        return H::esc(QString::number(r.value(QStringLiteral("duration_s")).toDouble(), 'g', 6) + QStringLiteral(" s"));
    });
    row(tr("Machine"), [](const QJsonObject &r) -> QString {
        const QJsonObject e = obj(r, "environment");
        return H::esc(
            tr("%1, %2 cores, %3").arg(str(e, "cpu")).arg(e.value(QStringLiteral("cores")).toInt()).arg(str(e, "os")));
    });
    row(tr("Live changes"), [](const QJsonObject &r) -> QString {
        QStringList lines;
        for (const QJsonValue &v : r.value(QStringLiteral("events")).toArray())
            lines << H::esc(tr("%1 s: %2")
                                .arg(v.toObject().value(QStringLiteral("t")).toDouble(), 0, 'f', 2)
                                .arg(v.toObject().value(QStringLiteral("label")).toString()));
        return lines.isEmpty() ? H::esc(tr("none")) : lines.join(QStringLiteral("<br/>"));
    });
    row(tr("Conservation"), [](const QJsonObject &r) -> QString {
        return obj(r, "totals").value(QStringLiteral("conserved")).toBool()
            ? QStringLiteral("<span class=\"ok\">✓ holds</span>")
            : QStringLiteral("<span class=\"bad\">✗ violated</span>");
    });
    h.tableEnd();
}

void settingRows(H &h, const QList<ComparisonReport::Setting> &settings)
{
    for (const auto &s : settings) {
        QStringList cells { QStringLiteral("<code>") + H::esc(s.key) + QStringLiteral("</code>"), H::esc(s.a),
            H::esc(s.b) };
        if (s.changed())
            cells << QStringLiteral("<span class=\"marker\">≠ changed</span>");
        h.row(cells, s.changed() ? QStringLiteral("changed") : QString());
    }
}

void configSection(H &h, const QJsonObject &a, const QJsonObject &b)
{
    h.heading(2, QStringLiteral("config-diff"), tr("Configuration"));
    const QList<ComparisonReport::Setting> settings = ComparisonReport::settings(a, b);
    QList<ComparisonReport::Setting> changed, equal;
    for (const auto &s : settings)
        (s.changed() ? changed : equal).append(s);
    // Only the differences by default: in a list of fifty settings they are what the reader wants.
    const QString equalLine = equal.size() == 1 ? tr("1 setting is the same in both runs")
                                                : tr("%1 settings are the same in both runs").arg(equal.size());
    if (changed.isEmpty()) {
        h.paragraph(H::esc(tr("Both runs started with the same configuration (%1 settings).").arg(equal.size())));
    } else {
        h.paragraph(QStringLiteral("<span class=\"marker\">≠</span> ")
            + H::esc((changed.size() == 1 ? tr("1 setting differs") : tr("%1 settings differ").arg(changed.size()))
                + QStringLiteral("; ") + equalLine + QLatin1Char('.')));
        h.tableBegin({ tr("Setting"), tr("Run A"), tr("Run B"), tr("") }, 4);
        settingRows(h, changed);
        h.tableEnd();
    }
    if (equal.isEmpty())
        return;
    if (h.medium() == ReportMedium::Browser) {
        // Collapsed; a click shows them.
        h.raw(QStringLiteral("<details class=\"equal-settings\"><summary>")
            + H::esc(tr("Show the %1 settings that are the same").arg(equal.size())) + QStringLiteral("</summary>\n"));
        h.tableBegin({ tr("Setting"), tr("Run A"), tr("Run B") }, 3);
        settingRows(h, equal);
        h.tableEnd();
        h.raw(QStringLiteral("</details>\n"));
    } else if (!changed.isEmpty()) {
        h.paragraph(H::esc(tr("The %1 settings that are the same are not listed; the HTML report shows them.")
                              .arg(equal.size())),
            QStringLiteral("muted"));
    }
}

void classesSection(H &h, const QJsonObject &a, const QJsonObject &b)
{
    h.heading(2, QStringLiteral("classes-delta"), tr("Classes: P99 latency and throughput"));
    h.paragraph(H::esc(tr("Δ is B − A; % relative to A. P99 is end to end, in ms; throughput in completions per "
                          "second.")),
        QStringLiteral("muted"));
    const QJsonObject ca = obj(a, "classes"), cb = obj(b, "classes");
    QStringList names = ca.keys();
    for (const QString &n : cb.keys())
        if (!names.contains(n))
            names << n;
    h.tableBegin({ tr("Class"), tr("P99 A"), tr("P99 B"), tr("Δ ms"), tr("Δ %"), tr("Thru A"), tr("Thru B"), tr("Δ /s"),
                     tr("Δ %"), tr("SLA A"), tr("SLA B") },
        1, QStringLiteral("wide"));
    auto sla = [](const QJsonObject &c) -> QString {
        if (c.isEmpty() || !c.value(QStringLiteral("sla_p99_ms")).isDouble())
            return QStringLiteral("—");
        return c.value(QStringLiteral("sla_met")).toBool() ? QStringLiteral("<span class=\"ok\">met</span>")
                                                           : QStringLiteral("<span class=\"bad\">missed</span>");
    };
    for (const QString &n : names) {
        const QJsonObject x = ca.value(n).toObject(), y = cb.value(n).toObject();
        const bool both = !x.isEmpty() && !y.isEmpty();
        const double pa = obj(x, "latency_ms").value(QStringLiteral("p99")).toDouble();
        const double pb = obj(y, "latency_ms").value(QStringLiteral("p99")).toDouble();
        const double ta = x.value(QStringLiteral("throughput")).toDouble();
        const double tb = y.value(QStringLiteral("throughput")).toDouble();
        const QString dash = QStringLiteral("—");
        h.row({ H::esc(n), x.isEmpty() ? dash : H::ms(pa), y.isEmpty() ? dash : H::ms(pb),
            both ? signedNumber(pb - pa, 2) : dash, both ? deltaPercent(pa, pb) : dash,
            x.isEmpty() ? dash : H::number(ta), y.isEmpty() ? dash : H::number(tb),
            both ? signedNumber(tb - ta, 1) : dash, both ? deltaPercent(ta, tb) : dash, sla(x), sla(y) });
    }
    h.tableEnd();
}

void domainsSection(H &h, const QJsonObject &a, const QJsonObject &b)
{
    h.heading(2, QStringLiteral("domains-delta"), tr("Domains"));
    const QJsonObject da = obj(a, "domains"), db = obj(b, "domains");
    h.tableBegin({ tr("Domain"), tr("Workers A"), tr("Workers B"), tr("Util A"), tr("Util B"), tr("Queue max A"),
                     tr("Queue max B"), tr("Wait P99 A"), tr("Wait P99 B"), tr("Starved A"), tr("Starved B") },
        1, QStringLiteral("wide"));
    for (const char *name : { "loop", "threads", "tbb", "procs" }) {
        const QJsonObject x = obj(da, name), y = obj(db, name);
        if (x.isEmpty() && y.isEmpty())
            continue;
        auto get = [](const QJsonObject &d, const std::function<QString(const QJsonObject &)> &f) -> QString {
            return d.isEmpty() ? QStringLiteral("—") : f(d);
        };
        auto workers
            = [](const QJsonObject &d) -> QString { return H::count(d.value(QStringLiteral("workers")).toInteger()); };
        auto util = [](const QJsonObject &d) -> QString {
            return H::percent(d.value(QStringLiteral("utilization")).toDouble());
        };
        auto qmax = [](const QJsonObject &d) -> QString {
            return H::count(obj(d, "queue_depth").value(QStringLiteral("max")).toInteger());
        };
        auto wait = [](const QJsonObject &d) -> QString {
            return H::ms(obj(d, "wait_ms").value(QStringLiteral("p99")).toDouble());
        };
        auto starved
            = [](const QJsonObject &d) -> QString { return H::count(d.value(QStringLiteral("starved")).toInteger()); };
        h.row({ H::esc(QString::fromLatin1(name)), get(x, workers), get(y, workers), get(x, util), get(y, util),
            get(x, qmax), get(y, qmax), get(x, wait), get(y, wait), get(x, starved), get(y, starved) });
    }
    h.tableEnd();
}

void findingsSection(H &h, const QJsonObject &a, const QJsonObject &b)
{
    h.heading(2, QStringLiteral("findings"), tr("Findings"));
    const QJsonObject runs[2] = { a, b };
    for (int r = 0; r < 2; ++r) {
        const QJsonArray findings = runs[r].value(QStringLiteral("findings")).toArray();
        h.heading(3, {}, r == 0 ? tr("Run A") : tr("Run B"));
        if (findings.isEmpty()) {
            h.paragraph(H::esc(tr("No findings.")), QStringLiteral("muted"));
            continue;
        }
        for (const QJsonValue &v : findings) {
            const QJsonObject f = v.toObject();
            h.paragraph(QStringLiteral("<b>[%1]</b> ").arg(H::esc(str(f, "severity")))
                + H::esc(tr("%1–%2 s: %3")
                             .arg(f.value(QStringLiteral("from_s")).toDouble(), 0, 'f', 1)
                             .arg(f.value(QStringLiteral("to_s")).toDouble(), 0, 'f', 1)
                             .arg(str(f, "message")))
                + QStringLiteral("<br/>→ ") + H::esc(str(f, "advice")));
        }
    }
}
} // namespace

QList<ComparisonReport::Setting> ComparisonReport::settings(const QJsonObject &a, const QJsonObject &b)
{
    QList<QPair<QString, QString>> fa, fb;
    flatten(a.value(QStringLiteral("config")), QString(), &fa);
    flatten(b.value(QStringLiteral("config")), QString(), &fb);
    QList<Setting> out;
    QHash<QString, int> index;
    const QString missing = QStringLiteral("—");
    for (const auto &p : fa) {
        index.insert(p.first, int(out.size()));
        out.append(Setting { p.first, p.second, missing });
    }
    for (const auto &p : fb) {
        const auto it = index.constFind(p.first);
        if (it != index.constEnd())
            out[*it].b = p.second;
        else
            out.append(Setting { p.first, missing, p.second });
    }
    return out;
}

QStringList ComparisonReport::changedSettings(const QJsonObject &a, const QJsonObject &b)
{
    QStringList keys;
    for (const Setting &s : settings(a, b))
        if (s.changed())
            keys << s.key;
    return keys;
}

QStringList ComparisonReport::sectionIds()
{
    return { QStringLiteral("runs"), QStringLiteral("config-diff"), QStringLiteral("classes-delta"),
        QStringLiteral("domains-delta"), QStringLiteral("findings"), QStringLiteral("plots") };
}

ReportHtml ComparisonReport::build(
    const QJsonObject &a, const QJsonObject &b, const std::vector<ReportPlot> &plots, ReportMedium medium)
{
    H h(medium);
    const QString na = str(obj(a, "scenario"), "name"), nb = str(obj(b, "scenario"), "name");
    const QString title = na == nb ? tr("Hybridscope comparison: %1, run A vs run B").arg(na)
                                   : tr("Hybridscope comparison: %1 (A) vs %2 (B)").arg(na, nb);
    h.begin(title);
    h.heading(1, {}, title);
    runsSection(h, a, b);
    configSection(h, a, b);
    classesSection(h, a, b);
    domainsSection(h, a, b);
    findingsSection(h, a, b);
    if (medium == ReportMedium::Print)
        h.raw(QStringLiteral("<div style=\"page-break-before: always\"></div>\n"));
    h.heading(2, QStringLiteral("plots"), tr("Plots: A solid, B dashed"));
    h.paragraph(H::esc(tr("Time in seconds since each run started; the same colour per domain or class in both runs. "
                          "Vertical dashed lines mark live changes, labelled A or B.")),
        QStringLiteral("muted"));
    for (const ReportPlot &p : plots)
        h.figure(p);
    return h.finish();
}

} // namespace hs
