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

// What is compared: two runs, or two phases of one run (then each side is a run-shaped object
// made by ComparisonReport::phaseAsRun).
struct Sides {
    QString a = tr("Run A"), b = tr("Run B");
    bool phases = false;
};

qint64 acqOf(const QJsonObject &l)
{
    return l.value(QStringLiteral("acquisitions")).toInteger();
}

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

void runsSection(H &h, const QJsonObject &a, const QJsonObject &b, const Sides &sides)
{
    h.heading(2, QStringLiteral("runs"), sides.phases ? tr("The two phases") : tr("The two runs"));
    h.tableBegin({ tr(""), sides.a, sides.b }, 3);
    const QJsonObject runs[2] = { a, b };
    auto row = [&](const QString &label, const std::function<QString(const QJsonObject &)> &value) {
        h.row({ QStringLiteral("<b>") + H::esc(label) + QStringLiteral("</b>"), value(runs[0]), value(runs[1]) });
    };
    row(tr("Scenario"), [](const QJsonObject &r) -> QString { return H::esc(str(obj(r, "scenario"), "name")); });
    row(tr("Figures"), [](const QJsonObject &r) -> QString {
        const QString simulated = HtmlReport::simulatedText(r);
        return simulated.isEmpty() ? H::esc(tr("measured on the engine"))
                                   : QStringLiteral("<strong>%1</strong>").arg(H::esc(simulated));
    });
    if (!sides.phases)
        row(tr("Description"),
            [](const QJsonObject &r) -> QString { return H::esc(str(obj(r, "scenario"), "description")); });
    row(tr("Source"),
        [](const QJsonObject &r) -> QString { return HtmlReport::sourceHtml(str(obj(r, "scenario"), "source")); });
    if (sides.phases) {
        row(tr("Span"), [](const QJsonObject &r) -> QString {
            const QJsonObject p = obj(r, "phase");
            return H::esc(tr("%1–%2 s into the run")
                              .arg(p.value(QStringLiteral("from_s")).toDouble(), 0, 'f', 1)
                              .arg(p.value(QStringLiteral("to_s")).toDouble(), 0, 'f', 1));
        });
        row(tr("Started by"), [](const QJsonObject &r) -> QString {
            const QString change = str(obj(r, "phase"), "change");
            return H::esc(change == QLatin1String("start") ? tr("the start of the run") : change);
        });
        row(tr("Measured"), [](const QJsonObject &r) -> QString {
            const QJsonObject p = obj(r, "phase");
            return H::esc(tr("%1 s, after %2 s of settling")
                              .arg(p.value(QStringLiteral("measured_s")).toDouble(), 0, 'f', 1)
                              .arg(p.value(QStringLiteral("settle_s")).toDouble(), 0, 'f', 1));
        });
    } else {
        row(tr("Ran for"), [](const QJsonObject &r) -> QString {
            const QString s
                = QString::number(r.value(QStringLiteral("duration_s")).toDouble(), 'g', 6) + QStringLiteral(" s");
            return H::esc(HtmlReport::simulatedText(r).isEmpty() ? s : tr("%1 of virtual time").arg(s));
        });
    }
    row(tr("Machine"), [](const QJsonObject &r) -> QString {
        const QJsonObject e = obj(r, "environment");
        return H::esc(
            tr("%1, %2 cores, %3").arg(str(e, "cpu")).arg(e.value(QStringLiteral("cores")).toInt()).arg(str(e, "os")));
    });
    if (!sides.phases)
        row(tr("Live changes"), [](const QJsonObject &r) -> QString {
            QStringList lines;
            for (const QJsonValue &v : r.value(QStringLiteral("events")).toArray())
                lines << H::esc(tr("%1 s: %2")
                                    .arg(v.toObject().value(QStringLiteral("t")).toDouble(), 0, 'f', 2)
                                    .arg(v.toObject().value(QStringLiteral("label")).toString()));
            return lines.isEmpty() ? H::esc(tr("none")) : lines.join(QStringLiteral("<br/>"));
        });
    row(sides.phases ? tr("Conservation (whole run)") : tr("Conservation"), [](const QJsonObject &r) -> QString {
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

// A run whose live changes moved its configuration: the settings that changed, one column per
// phase, so the reader sees what was in effect when (the starting configuration alone misleads).
void phaseConfigTable(H &h, const QJsonObject &run, const QString &who)
{
    const QJsonArray phases = run.value(QStringLiteral("phases")).toArray();
    if (phases.size() < 2)
        return;
    std::vector<QList<QPair<QString, QString>>> flat;
    for (const QJsonValue &v : phases) {
        const QJsonValue config = v.toObject().value(QStringLiteral("config"));
        if (!config.isObject())
            return; // a report written before phases recorded their configuration
        flat.emplace_back();
        flatten(config, QString(), &flat.back());
    }
    QStringList keys; // the settings that differ between any two phases, in the first phase's order
    QList<QHash<QString, QString>> values;
    for (const auto &f : flat) {
        QHash<QString, QString> m;
        for (const auto &p : f)
            m.insert(p.first, p.second);
        values << m;
    }
    for (const auto &p : flat.front())
        for (const auto &m : values)
            if (m.value(p.first) != p.second) {
                keys << p.first;
                break;
            }
    if (keys.isEmpty())
        return;
    h.heading(3, {}, tr("%1: the configuration in effect per phase").arg(who));
    h.paragraph(H::esc((keys.size() == 1 ? tr("Live changes moved 1 setting during the run")
                                         : tr("Live changes moved %1 settings during the run").arg(keys.size()))
                    + tr("; the others stayed as it started.")),
        QStringLiteral("muted"));
    QStringList header { tr("Setting") };
    for (int i = 0; i < phases.size(); ++i) {
        const QJsonObject p = phases[i].toObject();
        header << tr("Phase %1 (from %2 s)").arg(i + 1).arg(p.value(QStringLiteral("from_s")).toDouble(), 0, 'f', 1);
    }
    h.tableBegin(header, 1, QStringLiteral("wide"));
    for (const QString &k : keys) {
        QStringList cells { QStringLiteral("<code>") + H::esc(k) + QStringLiteral("</code>") };
        QString previous;
        for (int i = 0; i < values.size(); ++i) {
            const QString v = values[i].value(k, QStringLiteral("—"));
            cells << (i > 0 && v != previous ? QStringLiteral("<b>") + H::esc(v) + QStringLiteral("</b>") : H::esc(v));
            previous = v;
        }
        h.row(cells);
    }
    h.tableEnd();
}

void configSection(H &h, const QJsonObject &a, const QJsonObject &b, const Sides &sides)
{
    h.heading(2, QStringLiteral("config-diff"), sides.phases ? tr("Configuration in effect") : tr("Configuration"));
    const QList<ComparisonReport::Setting> settings = ComparisonReport::settings(a, b);
    QList<ComparisonReport::Setting> changed, equal;
    for (const auto &s : settings)
        (s.changed() ? changed : equal).append(s);
    const QString both = sides.phases ? tr("both phases") : tr("both runs");
    // Only the differences by default: in a list of fifty settings they are what the reader wants.
    const QString equalLine = equal.size() == 1 ? tr("1 setting is the same in %1").arg(both)
                                                : tr("%1 settings are the same in %2").arg(equal.size()).arg(both);
    if (changed.isEmpty()) {
        h.paragraph(H::esc(sides.phases
                ? tr("Both phases ran with the same configuration (%1 settings).").arg(equal.size())
                : tr("Both runs started with the same configuration (%1 settings).").arg(equal.size())));
    } else {
        h.paragraph(QStringLiteral("<span class=\"marker\">≠</span> ")
            + H::esc((changed.size() == 1 ? tr("1 setting differs") : tr("%1 settings differ").arg(changed.size()))
                + QStringLiteral("; ") + equalLine + QLatin1Char('.')));
        h.tableBegin({ tr("Setting"), sides.a, sides.b, tr("") }, 4);
        settingRows(h, changed);
        h.tableEnd();
    }
    if (!equal.isEmpty()) {
        if (h.medium() == ReportMedium::Browser) {
            // Collapsed; a click shows them.
            h.raw(QStringLiteral("<details class=\"equal-settings\"><summary>")
                + H::esc(tr("Show the %1 settings that are the same").arg(equal.size()))
                + QStringLiteral("</summary>\n"));
            h.tableBegin({ tr("Setting"), sides.a, sides.b }, 3);
            settingRows(h, equal);
            h.tableEnd();
            h.raw(QStringLiteral("</details>\n"));
        } else if (!changed.isEmpty()) {
            h.paragraph(H::esc(tr("The %1 settings that are the same are not listed; the HTML report shows them.")
                                   .arg(equal.size())),
                QStringLiteral("muted"));
        }
    }
    if (!sides.phases) {
        if (a.value(QStringLiteral("phases")).toArray().size() > 1
            || b.value(QStringLiteral("phases")).toArray().size() > 1)
            h.paragraph(H::esc(tr("The table above compares the configurations the runs started with; live changes "
                                  "moved them as listed below.")),
                QStringLiteral("muted"));
        phaseConfigTable(h, a, sides.a);
        phaseConfigTable(h, b, sides.b);
    }
}

// P99 with its 95 % interval when the figures carry one (phases do): "12.3 ms (95 %: 11.0–14.2)".
QString p99Cell(const QJsonObject &c)
{
    const QJsonValue p99 = obj(c, "latency_ms").value(QStringLiteral("p99"));
    if (!p99.isDouble())
        return QStringLiteral("—");
    QString cell = H::ms(p99.toDouble());
    const QJsonArray ci = c.value(QStringLiteral("p99_ci_ms")).toArray();
    if (ci.size() == 2 && ci[0].isDouble())
        cell += QStringLiteral("<br/><small>")
            + H::esc(tr("95 %: %1–%2")
                         .arg(ci[0].toDouble(), 0, 'g', 4)
                         .arg(ci[1].isDouble() ? QString::number(ci[1].toDouble(), 'g', 4) : tr("unknown")))
            + QStringLiteral("</small>");
    return cell;
}

QString slaCell(const QJsonObject &c)
{
    if (c.isEmpty() || !c.value(QStringLiteral("sla_p99_ms")).isDouble())
        return QStringLiteral("—");
    const QString verdict = str(c, "sla_verdict");
    if (verdict == QLatin1String("uncertain"))
        return QStringLiteral("<span class=\"muted\">%1</span>").arg(H::esc(tr("uncertain")));
    const bool met = verdict.isEmpty() ? c.value(QStringLiteral("sla_met")).toBool() : verdict == QLatin1String("met");
    return met ? QStringLiteral("<span class=\"ok\">met</span>") : QStringLiteral("<span class=\"bad\">missed</span>");
}

void classesSection(H &h, const QJsonObject &a, const QJsonObject &b, const Sides &sides)
{
    h.heading(2, QStringLiteral("classes-delta"), tr("Classes: P99 latency and throughput"));
    h.paragraph(H::esc((sides.phases ? tr("Each phase measured after it settled. ") : QString())
                    + tr("Δ is B − A; % relative to A. P99 is end to end, in ms; throughput in completions per "
                         "second.")
                    + (sides.phases ? tr(" The P99's 95 % interval is distribution-free (order statistics); "
                                         "\"unknown\" when too few tasks finished to bound it; an SLA is met or "
                                         "missed only when the whole interval is on one side of it.")
                                    : QString())),
        QStringLiteral("muted"));
    const QJsonObject ca = obj(a, "classes"), cb = obj(b, "classes");
    QStringList names = ca.keys();
    for (const QString &n : cb.keys())
        if (!names.contains(n))
            names << n;
    h.tableBegin({ tr("Class"), tr("P99 A"), tr("P99 B"), tr("Δ ms"), tr("Δ %"), tr("Thru A"), tr("Thru B"), tr("Δ /s"),
                     tr("Δ %"), tr("SLA A"), tr("SLA B") },
        1, QStringLiteral("wide"));
    for (const QString &n : names) {
        const QJsonObject x = ca.value(n).toObject(), y = cb.value(n).toObject();
        const QJsonValue pa = obj(x, "latency_ms").value(QStringLiteral("p99"));
        const QJsonValue pb = obj(y, "latency_ms").value(QStringLiteral("p99"));
        const bool bothP99 = pa.isDouble() && pb.isDouble();
        const bool both = !x.isEmpty() && !y.isEmpty();
        const double ta = x.value(QStringLiteral("throughput")).toDouble();
        const double tb = y.value(QStringLiteral("throughput")).toDouble();
        const QString dash = QStringLiteral("—");
        h.row({ H::esc(n), x.isEmpty() ? dash : p99Cell(x), y.isEmpty() ? dash : p99Cell(y),
            bothP99 ? signedNumber(pb.toDouble() - pa.toDouble(), 2) : dash,
            bothP99 ? deltaPercent(pa.toDouble(), pb.toDouble()) : dash, x.isEmpty() ? dash : H::number(ta),
            y.isEmpty() ? dash : H::number(tb), both ? signedNumber(tb - ta, 1) : dash,
            both ? deltaPercent(ta, tb) : dash, slaCell(x), slaCell(y) });
    }
    h.tableEnd();
}

// DESIGN §15: the naive P99 (from dispatch, what a closed-loop load tester reports) beside the
// corrected one, per class, when either side carries it (runs before issue 18 do not). The
// "hidden" factor corrected / naive is how much a tester that waits for each reply would miss.
void naiveSection(H &h, const QJsonObject &a, const QJsonObject &b)
{
    const QJsonObject ca = obj(a, "classes"), cb = obj(b, "classes");
    const auto naiveOf = [](const QJsonObject &c) { return obj(c, "latency_naive_ms").value(QStringLiteral("p99")); };
    QStringList names;
    for (const QJsonObject *side : { &ca, &cb })
        for (auto it = side->begin(); it != side->end(); ++it)
            if (naiveOf(it.value().toObject()).isDouble() && !names.contains(it.key()))
                names << it.key();
    if (names.isEmpty())
        return;
    h.heading(2, QStringLiteral("naive-delta"), tr("Coordinated omission: naive and corrected P99"));
    h.paragraph(H::esc(tr("Naive P99 counts from when each task was dispatched, as a load tester that waits for "
                          "each reply reports it; the corrected P99 counts from when it was meant to arrive. "
                          "Hidden is corrected ÷ naive: how much the naive figure leaves out.")),
        QStringLiteral("muted"));
    h.tableBegin({ tr("Class"), tr("Naive A"), tr("Naive B"), tr("Δ %"), tr("Corrected A"), tr("Corrected B"),
                     tr("Hidden A"), tr("Hidden B") },
        1, QStringLiteral("wide"));
    const QString dash = QStringLiteral("—");
    for (const QString &n : names) {
        const QJsonObject x = ca.value(n).toObject(), y = cb.value(n).toObject();
        const QJsonValue na = naiveOf(x), nb = naiveOf(y);
        const QJsonValue pa = obj(x, "latency_ms").value(QStringLiteral("p99"));
        const QJsonValue pb = obj(y, "latency_ms").value(QStringLiteral("p99"));
        const auto hidden = [&](const QJsonValue &corrected, const QJsonValue &naive) {
            if (!corrected.isDouble() || !naive.isDouble() || !(naive.toDouble() > 0))
                return dash;
            return QStringLiteral("×%1").arg(corrected.toDouble() / naive.toDouble(), 0, 'f', 1);
        };
        h.row({ H::esc(n), na.isDouble() ? H::ms(na.toDouble()) : dash, nb.isDouble() ? H::ms(nb.toDouble()) : dash,
            na.isDouble() && nb.isDouble() ? deltaPercent(na.toDouble(), nb.toDouble()) : dash,
            pa.isDouble() ? H::ms(pa.toDouble()) : dash, pb.isDouble() ? H::ms(pb.toDouble()) : dash, hidden(pa, na),
            hidden(pb, nb) });
    }
    h.tableEnd();
}

void domainsSection(H &h, const QJsonObject &a, const QJsonObject &b, const Sides &sides)
{
    h.heading(2, QStringLiteral("domains-delta"), tr("Domains"));
    const QJsonObject da = obj(a, "domains"), db = obj(b, "domains");
    QStringList header { tr("Domain"), tr("Workers A"), tr("Workers B"), tr("Util A"), tr("Util B"), tr("Queue max A"),
        tr("Queue max B"), tr("Wait mean A"), tr("Wait mean B") };
    if (!sides.phases) // phases do not count starvation
        header << tr("Starved A") << tr("Starved B");
    h.tableBegin(header, 1, QStringLiteral("wide"));
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
            return H::ms(obj(d, "wait_ms").value(QStringLiteral("mean")).toDouble());
        };
        auto starved = [](const QJsonObject &d) -> QString {
            const QJsonValue v = d.value(QStringLiteral("starved"));
            return v.isDouble() ? H::count(v.toInteger()) : QStringLiteral("—");
        };
        QStringList cells { H::esc(QString::fromLatin1(name)), get(x, workers), get(y, workers), get(x, util),
            get(y, util), get(x, qmax), get(y, qmax), get(x, wait), get(y, wait) };
        if (!sides.phases)
            cells << get(x, starved) << get(y, starved);
        h.row(cells);
    }
    h.tableEnd();
}

// DESIGN §15: one row per lock or counter of either run; phases have no lock figures of their own.
void locksSection(H &h, const QJsonObject &a, const QJsonObject &b, const Sides &sides)
{
    const QJsonObject la = obj(a, "locks"), lb = obj(b, "locks");
    if (sides.phases || (la.isEmpty() && lb.isEmpty()))
        return;
    h.heading(2, QStringLiteral("locks-delta"), tr("Locks and shared counters"));
    QStringList names = la.keys();
    for (const QString &n : lb.keys())
        if (!names.contains(n))
            names << n;
    h.tableBegin({ tr("Name"), tr("Scope A"), tr("Scope B"), tr("Contended A"), tr("Contended B"), tr("Wait P99 A"),
                     tr("Wait P99 B"), tr("Timeouts A"), tr("Timeouts B"), tr("Lost A"), tr("Lost B") },
        3, QStringLiteral("wide"));
    const QString dash = QStringLiteral("—");
    const auto scope = [&dash](const QJsonObject &l) {
        const QString s = l.value(QStringLiteral("scope")).toString();
        return l.isEmpty() ? dash : s.isEmpty() || s == QLatin1String("none") ? tr("counter only") : H::esc(s);
    };
    const auto contended = [&dash](const QJsonObject &l) {
        const qint64 acq = l.value(QStringLiteral("acquisitions")).toInteger();
        const qint64 c = l.value(QStringLiteral("contended")).toInteger();
        return l.isEmpty() || acq == 0
            ? dash
            : H::esc(QStringLiteral("%1 (%2)").arg(H::count(c), H::percent(double(c) / double(acq))));
    };
    const auto wait = [&dash](const QJsonObject &l) {
        return l.isEmpty() || acqOf(l) == 0 ? dash : H::ms(obj(l, "wait_ms").value(QStringLiteral("p99")).toDouble());
    };
    const auto timeouts = [&dash](const QJsonObject &l) {
        return l.isEmpty() ? dash : H::count(l.value(QStringLiteral("timeouts")).toInteger());
    };
    const auto lost = [&dash](const QJsonObject &l) {
        if (l.isEmpty() || !l.value(QStringLiteral("counter")).toBool())
            return dash;
        const qint64 n = l.value(QStringLiteral("lost_updates")).toInteger();
        return n > 0 ? QStringLiteral("<span class=\"bad\">%1 LOST</span>").arg(H::count(n))
                     : QStringLiteral("<span class=\"ok\">0</span>");
    };
    for (const QString &n : names) {
        const QJsonObject x = la.value(n).toObject(), y = lb.value(n).toObject();
        h.row({ H::esc(n), scope(x), scope(y), contended(x), contended(y), wait(x), wait(y), timeouts(x), timeouts(y),
            lost(x), lost(y) });
    }
    h.tableEnd();
}

void findingsSection(H &h, const QJsonObject &a, const QJsonObject &b, const Sides &sides)
{
    h.heading(2, QStringLiteral("findings"), tr("Findings"));
    if (sides.phases)
        h.paragraph(
            H::esc(
                tr("The run's findings that held while each phase was measured (after it settled); times are seconds "
                   "into the run.")),
            QStringLiteral("muted"));
    const QJsonObject runs[2] = { a, b };
    for (int r = 0; r < 2; ++r) {
        const QJsonArray findings = runs[r].value(QStringLiteral("findings")).toArray();
        h.heading(3, {}, r == 0 ? sides.a : sides.b);
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

namespace {
ReportHtml buildReport(const QJsonObject &a, const QJsonObject &b, const std::vector<ReportPlot> &plots,
    ReportMedium medium, const QString &title, const Sides &sides)
{
    H h(medium);
    h.begin(title);
    h.heading(1, {}, title);
    // Which side was simulated, before any figure (DESIGN §12: never a simulated figure without its mark).
    const bool simA = !HtmlReport::simulatedText(a).isEmpty(), simB = !HtmlReport::simulatedText(b).isEmpty();
    if (simA || simB)
        h.paragraph(QStringLiteral("<strong>%1</strong>")
                        .arg(H::esc(simA && simB ? tr("Both sides are simulated in virtual time, not measured.")
                                : simA           ? tr("A is simulated in virtual time; B was measured on the engine.")
                                       : tr("A was measured on the engine; B is simulated in virtual time."))),
            QStringLiteral("bad"));
    runsSection(h, a, b, sides);
    configSection(h, a, b, sides);
    classesSection(h, a, b, sides);
    naiveSection(h, a, b);
    domainsSection(h, a, b, sides);
    locksSection(h, a, b, sides);
    findingsSection(h, a, b, sides);
    if (medium == ReportMedium::Print)
        h.raw(QStringLiteral("<div style=\"page-break-before: always\"></div>\n"));
    h.heading(2, QStringLiteral("plots"), tr("Plots: A solid, B dashed"));
    h.paragraph(
        H::esc(sides.phases
                ? tr("Time in seconds since each phase started (its change at 0, the settle time included); the same "
                     "colour per domain or class in both phases.")
                : tr("Time in seconds since each run started; the same colour per domain or class in both runs. "
                     "Vertical dashed lines mark live changes, labelled A or B.")),
        QStringLiteral("muted"));
    for (const ReportPlot &p : plots)
        h.figure(p);
    return h.finish();
}
} // namespace

ReportHtml ComparisonReport::build(
    const QJsonObject &a, const QJsonObject &b, const std::vector<ReportPlot> &plots, ReportMedium medium)
{
    const QString na = str(obj(a, "scenario"), "name"), nb = str(obj(b, "scenario"), "name");
    Sides sides;
    const auto kind = [](const QJsonObject &r) {
        return HtmlReport::simulatedText(r).isEmpty() ? tr("measured") : tr("simulated");
    };
    const bool mixed = kind(a) != kind(b) || kind(a) == tr("simulated");
    if (mixed) {
        sides.a = tr("Run A (%1)").arg(kind(a));
        sides.b = tr("Run B (%1)").arg(kind(b));
    }
    const QString title = na == nb
        ? (mixed ? tr("Hybridscope comparison: %1, run A (%2) vs run B (%3)").arg(na, kind(a), kind(b))
                 : tr("Hybridscope comparison: %1, run A vs run B").arg(na))
        : (mixed ? tr("Hybridscope comparison: %1 (A, %2) vs %3 (B, %4)").arg(na, kind(a), nb, kind(b))
                 : tr("Hybridscope comparison: %1 (A) vs %2 (B)").arg(na, nb));
    return buildReport(a, b, plots, medium, title, sides);
}

ReportHtml ComparisonReport::buildPhases(
    const QJsonObject &a, const QJsonObject &b, const std::vector<ReportPlot> &plots, ReportMedium medium)
{
    const int ia = obj(a, "phase").value(QStringLiteral("index")).toInt() + 1;
    const int ib = obj(b, "phase").value(QStringLiteral("index")).toInt() + 1;
    Sides sides;
    sides.phases = true;
    sides.a = tr("Phase %1 (A)").arg(ia);
    sides.b = tr("Phase %1 (B)").arg(ib);
    const QString title
        = tr("Hybridscope comparison: %1, phase %2 vs phase %3").arg(str(obj(a, "scenario"), "name")).arg(ia).arg(ib);
    return buildReport(a, b, plots, medium, title, sides);
}

std::optional<QJsonObject> ComparisonReport::phaseAsRun(const QJsonObject &run, int index, QString *error)
{
    const QJsonArray phases = run.value(QStringLiteral("phases")).toArray();
    if (index < 0 || index >= phases.size()) {
        *error = phases.isEmpty()
            ? tr("the run has no phases (a report written before phases were recorded)")
            : tr("no phase %1: the run has %2 phase(s), numbered from 1").arg(index + 1).arg(phases.size());
        return std::nullopt;
    }
    const QJsonObject p = phases[index].toObject();
    const double from = p.value(QStringLiteral("from_s")).toDouble(), to = p.value(QStringLiteral("to_s")).toDouble();
    if (!p.value(QStringLiteral("settled")).toBool()) {
        *error = tr("phase %1 (%2–%3 s) ended before it settled, so it has no figures of its own")
                     .arg(index + 1)
                     .arg(from, 0, 'f', 1)
                     .arg(to, 0, 'f', 1);
        return std::nullopt;
    }
    QJsonObject out;
    for (const char *k : { "schema", "mode", "scenario", "environment", "totals", "loop", "gil" })
        if (run.contains(QLatin1String(k)))
            out[QLatin1String(k)] = run.value(QLatin1String(k));
    out[QStringLiteral("config")] = p.value(QStringLiteral("config")).isObject() ? p.value(QStringLiteral("config"))
                                                                                 : run.value(QStringLiteral("config"));
    out[QStringLiteral("duration_s")] = to - from;
    QJsonObject phase = p;
    phase.remove(QStringLiteral("config"));
    phase.remove(QStringLiteral("classes"));
    phase.remove(QStringLiteral("domains"));
    phase[QStringLiteral("index")] = index;
    out[QStringLiteral("phase")] = phase;

    // The phase's figures in the run's shape, so the report's sections read them as they read a run's.
    QJsonObject classes;
    const QJsonObject pc = obj(p, "classes");
    for (auto it = pc.begin(); it != pc.end(); ++it) {
        const QJsonObject c = it.value().toObject();
        QJsonObject latency;
        if (c.value(QStringLiteral("p50_ms")).isDouble())
            latency[QStringLiteral("p50")] = c.value(QStringLiteral("p50_ms"));
        if (c.value(QStringLiteral("p99_ms")).isDouble())
            latency[QStringLiteral("p99")] = c.value(QStringLiteral("p99_ms"));
        QJsonObject naive;
        if (c.value(QStringLiteral("naive_p99_ms")).isDouble())
            naive[QStringLiteral("p99")] = c.value(QStringLiteral("naive_p99_ms"));
        QJsonObject k;
        for (const char *key : { "throughput", "completed", "failed", "rejected", "samples", "p99_ci_ms", "sla_p99_ms",
                 "sla_met", "sla_verdict" })
            if (c.contains(QLatin1String(key)))
                k[QLatin1String(key)] = c.value(QLatin1String(key));
        k[QStringLiteral("latency_ms")] = latency;
        if (!naive.isEmpty())
            k[QStringLiteral("latency_naive_ms")] = naive;
        classes[it.key()] = k;
    }
    out[QStringLiteral("classes")] = classes;
    QJsonObject domains;
    const QJsonObject pd = obj(p, "domains");
    for (auto it = pd.begin(); it != pd.end(); ++it) {
        const QJsonObject d = it.value().toObject();
        domains[it.key()] = QJsonObject { { QStringLiteral("workers"), d.value(QStringLiteral("workers")) },
            { QStringLiteral("utilization"), d.value(QStringLiteral("utilization")) },
            { QStringLiteral("queue_depth"),
                QJsonObject { { QStringLiteral("mean"), d.value(QStringLiteral("queue_mean")) },
                    { QStringLiteral("max"), d.value(QStringLiteral("queue_max")) } } },
            { QStringLiteral("wait_ms"),
                QJsonObject { { QStringLiteral("mean"), d.value(QStringLiteral("wait_mean_ms")) } } },
            { QStringLiteral("p_wait"), d.value(QStringLiteral("p_wait")) } };
    }
    out[QStringLiteral("domains")] = domains;

    // The findings that held while the phase was measured (not those that ended while the backlog
    // of the previous configuration drained).
    const double measuredFrom = from + p.value(QStringLiteral("settle_s")).toDouble();
    QJsonArray findings;
    for (const QJsonValue &v : run.value(QStringLiteral("findings")).toArray()) {
        const QJsonObject f = v.toObject();
        if (f.value(QStringLiteral("from_s")).toDouble() < to
            && f.value(QStringLiteral("to_s")).toDouble() > measuredFrom)
            findings.append(f);
    }
    out[QStringLiteral("findings")] = findings;
    // Frames and events of the span, on the phase's own clock (its change at 0), so the plots of
    // two phases overlay.
    QJsonArray frames;
    for (const QJsonValue &v : run.value(QStringLiteral("frames")).toArray()) {
        QJsonObject f = v.toObject();
        const double t = f.value(QStringLiteral("t")).toDouble();
        if (t < from || t > to)
            continue;
        f[QStringLiteral("t")] = t - from;
        frames.append(f);
    }
    out[QStringLiteral("frames")] = frames;
    QJsonArray events;
    for (const QJsonValue &v : run.value(QStringLiteral("events")).toArray()) {
        QJsonObject e = v.toObject();
        const double t = e.value(QStringLiteral("t")).toDouble();
        if (t <= from || t >= to)
            continue; // the change that started the phase is its t = 0
        e[QStringLiteral("t")] = t - from;
        events.append(e);
    }
    out[QStringLiteral("events")] = events;
    return out;
}

} // namespace hs
