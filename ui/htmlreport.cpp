#include "htmlreport.h"

#include "results/lockreport.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>

#include <algorithm>

namespace hs {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("hs::HtmlReport", text);
}

using H = HtmlBuilder;

QJsonObject obj(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toObject();
}

double dbl(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toDouble();
}

qint64 cnt(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toInteger();
}

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

QString rate(double perSecond)
{
    return QString::number(perSecond, 'g', 6) + QStringLiteral("/s");
}

QString seconds(double s)
{
    return QString::number(s, 'g', 6) + QStringLiteral(" s");
}

QString msValue(const QJsonValue &v)
{
    return v.isDouble() ? QString::number(v.toDouble(), 'g', 6) + QStringLiteral(" ms") : QStringLiteral("—");
}

void scenarioSection(H &b, const QJsonObject &run)
{
    const QJsonObject sc = obj(run, "scenario");
    const QString simulated = HtmlReport::simulatedText(run);
    b.heading(1, {},
        simulated.isEmpty() ? tr("Hybridscope report: %1").arg(str(sc, "name"))
                            : tr("Hybridscope report: %1 (simulated)").arg(str(sc, "name")));
    if (!simulated.isEmpty())
        b.paragraph(QStringLiteral("<strong>%1</strong>").arg(H::esc(simulated)), QStringLiteral("bad"));
    b.heading(2, QStringLiteral("scenario"), tr("Scenario"));
    if (!str(sc, "description").isEmpty())
        b.paragraph(H::esc(str(sc, "description")), QStringLiteral("lead"));
    QList<QPair<QString, QString>> rows {
        { tr("Name"), H::esc(str(sc, "name")) },
        { tr("Source"), HtmlReport::sourceHtml(str(sc, "source")) },
        { simulated.isEmpty() ? tr("Ran for") : tr("Virtual time"), H::esc(seconds(dbl(run, "duration_s"))) },
    };
    const QString attached = str(run, "attached");
    if (!attached.isEmpty())
        rows.append({ tr("Attached"),
            H::esc(tr("the frames received from the run served at %1, which runs on that machine: counts and plots "
                      "as received; latency and wait percentiles of the whole run are in its own report there")
                       .arg(attached)) });
    else if (run.value(QStringLiteral("snapshot")).toBool())
        rows.append({ tr("Snapshot"),
            H::esc(tr("taken while the run was still going: counts and plots up to this moment; latency "
                      "and wait percentiles of the whole run are only known when it ends")) });
    rows.append({ tr("Report written"), H::esc(QDateTime::currentDateTime().toString(Qt::ISODate)) });
    b.keyValues(rows);
}

void environmentSection(H &b, const QJsonObject &run)
{
    const QJsonObject e = obj(run, "environment");
    b.heading(2, QStringLiteral("environment"), tr("Environment"));
    if (e.isEmpty()) { // an attached run: the machine it ran on did not say
        b.paragraph(H::esc(str(run, "attached").isEmpty()
                ? tr("Not recorded.")
                : tr("Not known here: the run ran on the machine that served it (%1).").arg(str(run, "attached"))));
        return;
    }
    b.keyValues({ { tr("CPU"), H::esc(str(e, "cpu")) }, { tr("Cores"), H::count(cnt(e, "cores")) },
        { tr("OS"), H::esc(str(e, "os")) }, { tr("Kernel"), H::esc(str(e, "kernel")) },
        { tr("Qt"), H::esc(str(e, "qt")) }, { tr("oneTBB"), H::esc(str(e, "tbb")) } });
}

void configurationSection(H &b, const QJsonObject &run)
{
    b.heading(2, QStringLiteral("configuration"), tr("Configuration"));
    const QJsonObject c = obj(run, "config");
    if (c.isEmpty()) {
        b.paragraph(H::esc(tr("This report's run predates the configuration record.")), QStringLiteral("muted"));
        return;
    }
    const QJsonObject starv = obj(c, "starvation");
    const QJsonObject gil = obj(c, "gil");
    b.keyValues({ { tr("Duration"),
                      dbl(c, "duration_s") > 0 ? H::esc(seconds(dbl(c, "duration_s"))) : H::esc(tr("until stopped")) },
        { tr("Seed"), H::count(cnt(c, "seed")) },
        { tr("Default SLA"),
            c.value(QStringLiteral("sla")).isObject()
                ? H::esc(tr("P99 ≤ %1").arg(msValue(obj(c, "sla").value(QStringLiteral("p99_ms")))))
                : H::esc(tr("none")) },
        { tr("Starvation"),
            H::esc(tr("threshold %1, heartbeat %2")
                       .arg(msValue(starv.value(QStringLiteral("threshold_ms"))),
                           msValue(starv.value(QStringLiteral("heartbeat_ms"))))) },
        { tr("GIL emulation"),
            gil.value(QStringLiteral("enabled")).toBool()
                ? H::esc(tr("on, switch interval %1").arg(msValue(gil.value(QStringLiteral("switch_interval_ms")))))
                : H::esc(tr("off")) } });

    b.heading(3, {}, tr("Domains"));
    const QJsonObject domains = obj(c, "domains");
    const QJsonObject used = obj(run, "domains");
    b.tableBegin({ tr("Domain"), tr("In this run"), tr("Workers"), tr("Queue"), tr("Max in flight"), tr("When full"),
                     tr("Transfer") },
        7); // mostly words ("unbounded", "reject"): all left-aligned
    for (const char *name : { "loop", "threads", "tbb", "procs" }) {
        const QJsonObject d = obj(domains, name);
        if (d.isEmpty())
            continue;
        const bool running = used.contains(QLatin1String(name));
        if (!running && !d.value(QStringLiteral("declared")).toBool())
            continue; // neither declared nor used: nothing to say
        b.row({ H::esc(QString::fromLatin1(name)), running ? tr("used") : H::esc(tr("declared, unused")),
            H::count(cnt(d, "workers")), cnt(d, "queue") > 0 ? H::count(cnt(d, "queue")) : tr("unbounded"),
            cnt(d, "max_inflight") > 0 ? H::count(cnt(d, "max_inflight")) : tr("unlimited"), H::esc(str(d, "on_full")),
            d.contains(QStringLiteral("transfer")) ? H::esc(str(d, "transfer")) : QStringLiteral("—") });
    }
    b.tableEnd();

    b.heading(3, {}, tr("Classes and their stages (the starting routes)"));
    b.tableBegin({ tr("Class"), tr("Arrival"), tr("SLA P99"), tr("Stage"), tr("Work"), tr("Domain") }, 6);
    for (const QJsonValue &cv : c.value(QStringLiteral("classes")).toArray()) {
        const QJsonObject cl = cv.toObject();
        const QJsonArray stages = cl.value(QStringLiteral("stages")).toArray();
        for (int i = 0; i < stages.size(); ++i) {
            const QJsonObject st = stages[i].toObject();
            const bool first = i == 0;
            b.row({ first ? QStringLiteral("<b>") + H::esc(str(cl, "name")) + QStringLiteral("</b>") : QString(),
                first ? H::esc(HtmlReport::arrivalText(obj(cl, "arrival"))) : QString(),
                first ? H::esc(msValue(cl.value(QStringLiteral("sla_p99_ms")))) : QString(), H::esc(str(st, "name")),
                H::esc(HtmlReport::workText(st)), H::esc(str(st, "domain")) });
        }
    }
    b.tableEnd();
}

void changesSection(H &b, const QJsonObject &run)
{
    b.heading(2, QStringLiteral("changes"), tr("Live changes"));
    const QJsonArray events = run.value(QStringLiteral("events")).toArray();
    if (events.isEmpty()) {
        b.paragraph(H::esc(tr("None: the run kept its starting configuration.")), QStringLiteral("muted"));
        return;
    }
    b.tableBegin({ tr("Time (s)"), tr("Change") }, 2);
    for (const QJsonValue &v : events)
        b.row({ H::number(dbl(v.toObject(), "t"), 2), H::esc(str(v.toObject(), "label")) });
    b.tableEnd();
}

QStringList classOrder(const QJsonObject &run);

// One row per configuration (a phase per live change, DESIGN §9 `phases`, docs/metrics.md).
void phasesSection(H &b, const QJsonObject &run, const QStringList &classes)
{
    b.heading(2, QStringLiteral("phases"), tr("Phases"));
    const QJsonArray phases = run.value(QStringLiteral("phases")).toArray();
    if (phases.size() <= 1) {
        b.paragraph(H::esc(tr("One phase: the run kept one configuration, so its figures are the whole run's below.")),
            QStringLiteral("muted"));
        return;
    }
    b.paragraph(H::esc(tr("A phase starts at every live change. Its figures are measured after it settled (1 s, "
                          "and until the backlog of the previous configuration drained), so each row describes one "
                          "configuration. P99 with its 95 % interval; ✓ the interval lies under the SLA, ✗ above "
                          "it, ? it straddles the SLA or is too wide to tell; naive: the P99 from when each task was "
                          "actually sent (see Classes).")),
        QStringLiteral("muted"));
    QStringList headers { tr("#"), tr("Time (s)"), tr("Change"), tr("Settled after") };
    for (const QString &c : classes)
        headers << tr("%1 P99 [95 % CI]").arg(c) << tr("%1 throughput").arg(c);
    headers << tr("Domains");
    b.tableBegin(headers, 3);
    for (int i = 0; i < phases.size(); ++i) {
        const QJsonObject p = phases[i].toObject();
        QStringList cells { QString::number(i + 1),
            H::esc(tr("%1–%2").arg(H::number(dbl(p, "from_s"), 1), H::number(dbl(p, "to_s"), 1))),
            H::esc(str(p, "change") == QLatin1String("start") ? tr("start of the run") : str(p, "change")) };
        const bool settled = p.value(QStringLiteral("settled")).toBool();
        cells << H::esc(settled
                ? tr("%1 s (measured %2 s)").arg(H::number(dbl(p, "settle_s"), 1), H::number(dbl(p, "measured_s"), 1))
                : tr("did not settle: no figures"));
        const QJsonObject pc = obj(p, "classes");
        for (const QString &name : classes) {
            const QJsonObject k = pc.value(name).toObject();
            if (!settled || k.isEmpty() || !k.value(QStringLiteral("p99_ms")).isDouble()) {
                cells << QStringLiteral("—") << QStringLiteral("—");
                continue;
            }
            const QJsonArray ci = k.value(QStringLiteral("p99_ci_ms")).toArray();
            QString cell = msValue(k.value(QStringLiteral("p99_ms")));
            if (ci.size() == 2)
                cell += QStringLiteral(" [%1, %2]")
                            .arg(H::number(ci[0].toDouble(), 2),
                                ci[1].isDouble() ? H::number(ci[1].toDouble(), 2) : tr("?"));
            const QString verdict = str(k, "sla_verdict");
            cell += verdict == QLatin1String("met")     ? QStringLiteral(" ✓")
                : verdict == QLatin1String("missed")    ? QStringLiteral(" ✗")
                : verdict == QLatin1String("uncertain") ? QStringLiteral(" ?")
                                                        : QString();
            // DESIGN §15: the naive P99 beside it (a report of an older run has none).
            if (k.value(QStringLiteral("naive_p99_ms")).isDouble())
                cell += tr(", naive %1").arg(msValue(k.value(QStringLiteral("naive_p99_ms"))));
            cells << H::esc(cell) << H::esc(H::number(dbl(k, "throughput"), 1) + QStringLiteral("/s"));
        }
        QStringList doms;
        const QJsonObject pd = obj(p, "domains");
        for (auto it = pd.constBegin(); it != pd.constEnd(); ++it) {
            const QJsonObject d = it.value().toObject();
            if (dbl(d, "utilization") <= 0 && dbl(d, "queue_mean") <= 0)
                continue;
            doms << tr("%1 %2 workers, %3 busy, queue %4")
                        .arg(it.key())
                        .arg(cnt(d, "workers"))
                        .arg(H::percent(dbl(d, "utilization")), H::number(dbl(d, "queue_mean"), 1));
        }
        cells << H::esc(doms.join(QStringLiteral("; ")));
        b.row(cells);
    }
    b.tableEnd();
}

void totalsSection(H &b, const QJsonObject &run)
{
    const QJsonObject t = obj(run, "totals");
    b.heading(2, QStringLiteral("totals"), tr("Totals"));
    b.tableBegin({ tr("Submitted"), tr("Completed"), tr("Failed"), tr("Rejected"), tr("Cancelled") }, 0);
    b.row({ H::count(cnt(t, "submitted")), H::count(cnt(t, "completed")), H::count(cnt(t, "failed")),
        H::count(cnt(t, "rejected")), H::count(cnt(t, "cancelled")) });
    b.tableEnd();
    const qint64 sum = cnt(t, "completed") + cnt(t, "failed") + cnt(t, "rejected") + cnt(t, "cancelled");
    // A snapshot (a run still going, or the frames an attached window received) has tasks in
    // flight: they have not ended yet, which is no broken count.
    const qint64 inFlight
        = run.value(QStringLiteral("snapshot")).toBool() && sum < cnt(t, "submitted") ? cnt(t, "submitted") - sum : 0;
    const bool conserved = inFlight > 0 || t.value(QStringLiteral("conserved")).toBool(sum == cnt(t, "submitted"));
    QString equation = tr("submitted %1 = completed %2 + failed %3 + rejected %4 + cancelled %5")
                           .arg(cnt(t, "submitted"))
                           .arg(cnt(t, "completed"))
                           .arg(cnt(t, "failed"))
                           .arg(cnt(t, "rejected"))
                           .arg(cnt(t, "cancelled"));
    if (inFlight > 0)
        equation += tr(" + in flight %1").arg(inFlight);
    b.paragraph(H::esc(tr("Conservation: ")) + H::esc(equation) + QStringLiteral(" ")
            + (conserved ? QStringLiteral("<span class=\"ok\">✓ holds</span>")
                         : QStringLiteral("<span class=\"bad\">✗ violated (a bug: please report it)</span>")),
        QStringLiteral("conservation"));
}

void classesSection(H &b, const QJsonObject &run, const QStringList &order)
{
    b.heading(2, QStringLiteral("classes"), tr("Classes"));
    b.paragraph(H::esc(tr("Throughput in completions per second over the run; latency end to end, from each task's "
                          "intended arrival time.")),
        QStringLiteral("muted"));
    const QJsonObject classes = obj(run, "classes");
    // Two tables, counts then latency: one with every column does not fit an A4 page.
    b.tableBegin({ tr("Class"), tr("Submitted"), tr("Completed"), tr("Failed"), tr("Rejected"), tr("Cancelled"),
        tr("Throughput /s") });
    for (const QString &name : order) {
        const QJsonObject c = classes.value(name).toObject();
        b.row({ H::esc(name), H::count(cnt(c, "submitted")), H::count(cnt(c, "completed")), H::count(cnt(c, "failed")),
            H::count(cnt(c, "rejected")), H::count(cnt(c, "cancelled")), H::number(dbl(c, "throughput")) });
    }
    b.tableEnd();
    b.tableBegin({ tr("Class"), tr("P50 ms"), tr("P90 ms"), tr("P99 ms"), tr("P99 naive ms"), tr("P99.9 ms"),
        tr("Max ms"), tr("SLA P99 ms"), tr("SLA") });
    for (const QString &name : order) {
        const QJsonObject c = classes.value(name).toObject();
        const QJsonObject l = obj(c, "latency_ms");
        const bool hasSla = c.value(QStringLiteral("sla_p99_ms")).isDouble();
        const QString sla = !hasSla                       ? QStringLiteral("—")
            : c.value(QStringLiteral("sla_met")).toBool() ? QStringLiteral("<span class=\"ok\">met</span>")
                                                          : QStringLiteral("<span class=\"bad\">missed</span>");
        // DESIGN §15: from the actual dispatch; a report of an older run has no such figure.
        const QString naive = c.value(QStringLiteral("latency_naive_ms")).isObject()
            ? H::ms(dbl(obj(c, "latency_naive_ms"), "p99"))
            : QStringLiteral("—");
        b.row({ H::esc(name), H::ms(dbl(l, "p50")), H::ms(dbl(l, "p90")), H::ms(dbl(l, "p99")), naive,
            H::ms(dbl(l, "p999")), H::ms(dbl(l, "max")), hasSla ? H::ms(dbl(c, "sla_p99_ms")) : QStringLiteral("—"),
            sla });
    }
    b.tableEnd();
    b.paragraph(H::esc(tr("Latency counts from each task's intended arrival time. P99 naive counts from when it "
                          "was actually sent, as a closed-loop load tester does: far below P99, it hides stalls "
                          "during which the tester held its requests back (coordinated omission).")),
        QStringLiteral("muted"));
    // Where the time goes besides waiting and working: hops between stages, the procs transfer,
    // and (with the GIL emulated) the wait for the GIL.
    const QJsonObject gil = obj(run, "gil");
    const bool gilUsed = gil.value(QStringLiteral("used")).toBool();
    QStringList costHeader { tr("Class"), tr("Hop P50 ms"), tr("Hop P99 ms"), tr("IPC P50 ms"), tr("IPC P99 ms") };
    if (gilUsed)
        costHeader << tr("GIL wait P50 ms") << tr("GIL wait P99 ms");
    b.tableBegin(costHeader);
    for (const QString &name : order) {
        const QJsonObject c = classes.value(name).toObject();
        const QJsonObject hop = obj(c, "hop_ms"), ipc = obj(c, "ipc_ms"), gw = obj(c, "gil_wait_ms");
        // An empty histogram (one stage: no hop; no procs stage: no IPC) reads "—", not 0.000.
        const auto pct = [](const QJsonObject &h, const char *key) {
            return dbl(h, "max") > 0 ? H::ms(dbl(h, key)) : QStringLiteral("—");
        };
        QStringList cells { H::esc(name), pct(hop, "p50"), pct(hop, "p99"), pct(ipc, "p50"), pct(ipc, "p99") };
        if (gilUsed)
            cells << pct(gw, "p50") << pct(gw, "p99");
        b.row(cells);
    }
    b.tableEnd();
    if (gilUsed)
        b.paragraph(H::esc(tr("GIL emulation was on (switch interval %1 ms): %2 acquisitions, %3 of them waited, "
                              "%4 forced switches, %5 ms spent waiting in total.")
                               .arg(H::ms(dbl(gil, "switch_interval_ms")))
                               .arg(cnt(gil, "acquisitions"))
                               .arg(cnt(gil, "contended"))
                               .arg(cnt(gil, "switches"))
                               .arg(H::ms(dbl(gil, "wait_ms")))));
    // Why tasks did not complete.
    QStringList reasons;
    for (const QString &name : order) {
        const QJsonObject r = obj(classes.value(name).toObject(), "reasons");
        for (auto it = r.begin(); it != r.end(); ++it)
            reasons << H::esc(tr("%1: %2 × %3").arg(name).arg(it.value().toInteger()).arg(it.key()));
    }
    if (!reasons.isEmpty())
        b.paragraph(H::esc(tr("Not completed, by reason: ")) + reasons.join(QStringLiteral("; ")));
}

// Measured against predicted per domain (DESIGN §11, docs/tuning.md); older reports have no theory.
void theorySubsection(H &b, const QJsonObject &domains, const QStringList &names)
{
    QStringList withTheory;
    for (const QString &n : names)
        if (domains.value(n).toObject().value(QLatin1String("theory")).isObject())
            withTheory << n;
    if (withTheory.isEmpty())
        return;
    b.heading(3, {}, tr("Theory: measured / predicted"));
    b.tableBegin({ tr("Domain"), tr("Model"), tr("Utilization"), tr("P(wait)"), tr("Mean wait ms"), tr("Mean queue"),
                     tr("Little: L / λW") },
        2, QStringLiteral("wide"));
    QStringList notes;
    for (const QString &n : withTheory) {
        const QJsonObject th = obj(domains.value(n).toObject(), "theory");
        const QJsonObject m = obj(th, "measured"), l = obj(th, "little");
        const bool applies
            = th.value(QLatin1String("applies")).toBool() && th.value(QLatin1String("predicted")).isObject();
        const QJsonObject p = obj(th, "predicted");
        const auto pair = [&](const QString &measured, const QString &predicted) {
            return H::esc(measured + QStringLiteral(" / ") + (applies ? predicted : QStringLiteral("—")));
        };
        b.row({ H::esc(n), H::esc(str(th, "model") + (applies ? QString() : tr(" (does not apply)"))),
            pair(H::percent(dbl(m, "utilization")), H::percent(dbl(p, "utilization"))),
            pair(H::number(dbl(m, "p_wait"), 2), H::number(dbl(p, "p_wait"), 2)),
            pair(H::ms(dbl(m, "wait_mean_ms")), H::ms(dbl(p, "wait_mean_ms"))),
            pair(H::number(dbl(m, "queue_mean"), 2), H::number(dbl(p, "queue_mean"), 2)),
            H::esc(QStringLiteral("%1 / %2 (%3 % apart)")
                       .arg(H::number(dbl(l, "l"), 2), H::number(dbl(l, "lambda_w"), 2),
                           H::number(100 * dbl(l, "mismatch"), 0))) });
        if (!applies)
            notes << tr("%1: %2 does not apply: %3.").arg(n, str(th, "model"), str(th, "why"));
        else if (dbl(p, "p_block") >= 0.001) // a share that rounds to 0.00 % says nothing
            notes << tr("%1: the model rejects %2 % of arrivals (bounded queue, on_full: reject).")
                         .arg(n, H::number(100 * dbl(p, "p_block"), 2));
    }
    b.tableEnd();
    for (const QString &note : notes)
        b.paragraph(H::esc(note), QStringLiteral("muted"));
}

void domainsSection(H &b, const QJsonObject &run)
{
    b.heading(2, QStringLiteral("domains"), tr("Domains"));
    const QJsonObject domains = obj(run, "domains");
    QStringList names;
    for (const char *n : { "loop", "threads", "tbb", "procs" })
        if (domains.contains(QLatin1String(n)))
            names << QString::fromLatin1(n);
    b.heading(3, {}, tr("Load and starvation"));
    // worker-s: workers × seconds they existed (DESIGN §13), what a pool cost; older reports lack it.
    // "Util": eleven columns leave "Utilization" too narrow on A4 (it broke mid-word).
    b.tableBegin({ tr("Domain"), tr("Workers"), tr("Worker-s"), tr("Stages"), tr("Util"), tr("Queue mean"),
                     tr("Queue max"), tr("P(wait)"), tr("Starved"), tr("Starved ms"), tr("Crashes") },
        1, QStringLiteral("wide"));
    QStringList autoscaled;
    for (const QString &n : names) {
        const QJsonObject d = domains.value(n).toObject();
        const QJsonObject q = obj(d, "queue_depth");
        const QJsonValue ws = d.value(QStringLiteral("worker_seconds"));
        b.row({ H::esc(n), H::count(cnt(d, "workers")), ws.isDouble() ? H::number(ws.toDouble()) : QStringLiteral("—"),
            H::count(cnt(d, "completed")), H::percent(dbl(d, "utilization")), H::number(dbl(q, "mean")),
            H::count(cnt(q, "max")), H::number(dbl(d, "p_wait"), 2), H::count(cnt(d, "starved")),
            H::number(dbl(d, "starved_ms")), H::count(cnt(d, "crashes")) });
        if (d.value(QStringLiteral("autoscale")).isObject())
            autoscaled << n;
    }
    b.tableEnd();
    if (!autoscaled.isEmpty()) {
        b.heading(3, {}, tr("Autoscale"));
        b.tableBegin({ tr("Domain"), tr("Controller"), tr("Worker-s") }, 2);
        for (const QString &n : autoscaled) {
            const QJsonObject d = domains.value(n).toObject();
            const QJsonObject a = obj(d, "autoscale");
            const QJsonValue ws = a.contains(QStringLiteral("worker_seconds"))
                ? a.value(QStringLiteral("worker_seconds"))
                : d.value(QStringLiteral("worker_seconds"));
            b.row({ H::esc(n), H::esc(HtmlReport::autoscaleText(a)),
                ws.isDouble() ? H::number(ws.toDouble()) : QStringLiteral("—") });
        }
        b.tableEnd();
        b.paragraph(H::esc(tr("The policy at the end of the run, the controller's resizes, and the fewest and most "
                              "workers the pool had while it ran (DESIGN §13). Worker-s: workers × the seconds they "
                              "existed, what the pool cost.")),
            QStringLiteral("muted"));
    }
    b.heading(3, {}, tr("Wait (enqueue to start) and service (start to end), ms"));
    b.tableBegin({ tr("Domain"), tr("Wait P50"), tr("P90"), tr("P99"), tr("P99.9"), tr("Service P50"), tr("P90"),
        tr("P99"), tr("P99.9") });
    QStringList idle;
    for (const QString &n : names) {
        const QJsonObject d = domains.value(n).toObject();
        if (cnt(d, "completed") == 0) {
            idle << n;
            continue;
        }
        const QJsonObject w = obj(d, "wait_ms"), s = obj(d, "service_ms");
        b.row({ H::esc(n), H::ms(dbl(w, "p50")), H::ms(dbl(w, "p90")), H::ms(dbl(w, "p99")), H::ms(dbl(w, "p999")),
            H::ms(dbl(s, "p50")), H::ms(dbl(s, "p90")), H::ms(dbl(s, "p99")), H::ms(dbl(s, "p999")) });
    }
    b.tableEnd();
    if (!idle.isEmpty())
        b.paragraph(H::esc(tr("Ran no stage (started, so that a stage could be moved there live): %1.")
                               .arg(idle.join(QStringLiteral(", ")))),
            QStringLiteral("muted"));
    const QJsonObject lag = obj(obj(run, "loop"), "lag_ms");
    b.paragraph(H::esc(tr("Event-loop lag (heartbeat lateness): P50 %1 ms, P99 %2 ms, max %3 ms.")
                           .arg(H::ms(dbl(lag, "p50")), H::ms(dbl(lag, "p99")), H::ms(dbl(lag, "max")))));
    theorySubsection(b, domains, names);
}

// The names of `locks` in the order of their first use in the configuration (as the engine
// orders them), then any the configuration does not mention.
QStringList lockOrder(const QJsonObject &run, const QJsonObject &locks)
{
    QStringList names;
    const auto add = [&](const QString &n) {
        if (locks.contains(n) && !names.contains(n))
            names << n;
    };
    for (const QJsonValue &c : obj(run, "config").value(QStringLiteral("classes")).toArray())
        for (const QJsonValue &st : c.toObject().value(QStringLiteral("stages")).toArray()) {
            for (const QJsonValue &l : st.toObject().value(QStringLiteral("lock")).toArray())
                add(l.toObject().value(QStringLiteral("name")).toString());
            add(st.toObject().value(QStringLiteral("update")).toString());
        }
    for (const QString &n : locks.keys())
        add(n);
    return names;
}

// DESIGN §15: locks and shared counters; no section at all for a run without them.
void locksSection(H &b, const QJsonObject &run)
{
    const QJsonObject locks = obj(run, "locks");
    if (locks.isEmpty())
        return;
    b.heading(2, QStringLiteral("locks"), tr("Locks and shared counters"));
    const QStringList names = lockOrder(run, locks);
    const auto scopeOf = [&locks](const QString &n) {
        const QString s = str(locks.value(n).toObject(), "scope");
        return s == QLatin1String("none") ? QString() : s; // none: a counter only
    };
    QStringList counters, lockNames;
    for (const QString &n : names) {
        if (!scopeOf(n).isEmpty())
            lockNames << n;
        if (locks.value(n).toObject().value(QStringLiteral("counter")).toBool())
            counters << n;
    }
    // Counters first: lost updates are silent corruption, the one figure nobody may miss.
    QStringList lost;
    if (!counters.isEmpty()) {
        b.heading(3, {}, tr("Shared counters"));
        b.tableBegin({ tr("Counter"), tr("Guarded by"), tr("Updates expected"), tr("Seen"), tr("Lost") }, 2);
        for (const QString &n : counters) {
            const QJsonObject l = locks.value(n).toObject();
            const qint64 expected = cnt(l, "updates_expected"), seen = cnt(l, "updates_seen");
            const qint64 lostN = l.contains(QStringLiteral("lost_updates")) ? cnt(l, "lost_updates")
                                                                            : std::max<qint64>(0, expected - seen);
            const QString scope = scopeOf(n);
            b.row({ H::esc(n), scope.isEmpty() ? H::esc(tr("no lock of this name")) : H::esc(tr("%1 lock").arg(scope)),
                      H::count(expected), H::count(seen),
                      lostN > 0 ? QStringLiteral("<span class=\"bad\">%1 LOST</span>").arg(H::count(lostN))
                                : QStringLiteral("<span class=\"ok\">0</span>") },
                lostN > 0 ? QStringLiteral("lost") : QString());
            if (lostN > 0)
                lost << tr("%1: %2 of %3 updates lost (%4) — %5.")
                            .arg(n, H::count(lostN), H::count(expected),
                                H::percent(double(lostN) / double(std::max<qint64>(expected, 1))),
                                lostUpdatesExplanation(scope));
        }
        b.tableEnd();
        for (const QString &t : lost)
            b.paragraph(QStringLiteral("<strong>%1</strong>").arg(H::esc(t)), QStringLiteral("bad"));
    }
    QStringList edges, timeouts;
    if (!lockNames.isEmpty()) {
        b.heading(3, {}, tr("Locks"));
        b.tableBegin({ tr("Lock"), tr("Scope"), tr("Acquired"), tr("Contended"), tr("Wait P50 ms"), tr("Wait P99 ms"),
                         tr("Timeouts"), tr("Recovered") },
            2);
        for (const QString &n : lockNames) {
            const QJsonObject l = locks.value(n).toObject();
            const qint64 acq = cnt(l, "acquisitions"), cont = cnt(l, "contended"), to = cnt(l, "timeouts");
            const QJsonObject w = obj(l, "wait_ms");
            b.row({ H::esc(n), H::esc(scopeOf(n)), H::count(acq),
                H::esc(acq > 0 ? QStringLiteral("%1 (%2)").arg(H::count(cont), H::percent(double(cont) / double(acq)))
                               : H::count(cont)),
                H::ms(dbl(w, "p50")), H::ms(dbl(w, "p99")),
                to > 0 ? QStringLiteral("<span class=\"bad\">%1</span>").arg(H::count(to)) : H::count(0),
                scopeOf(n) == QLatin1String("process") ? H::count(cnt(l, "recovered")) : QStringLiteral("—") });
            if (to > 0)
                timeouts << tr("%1: %2 waits passed the lock's timeout (the stage failed: possible deadlock).")
                                .arg(n, H::count(to));
            const QJsonArray e = l.value(QStringLiteral("waits_on")).toArray();
            for (int i = 0; i < e.size() && i < 3; ++i) // the three that cost most per lock
                edges << lockEdgeText(n, e.at(i).toObject());
        }
        b.tableEnd();
        for (const QString &t : timeouts)
            b.paragraph(H::esc(t), QStringLiteral("bad"));
    }
    if (!edges.isEmpty()) {
        b.heading(3, {}, tr("Who waited on whom"));
        b.raw(QStringLiteral("<ul>\n"));
        for (const QString &t : edges)
            b.raw(QStringLiteral("<li>%1</li>\n").arg(H::esc(t)));
        b.raw(QStringLiteral("</ul>\n"));
    }
    b.paragraph(H::esc(tr("Lost = expected − seen: read–modify–writes of a counter that another update overwrote, "
                          "silent corruption made visible. Contended: acquisitions that found the lock held. Wait: "
                          "from asking for the lock to holding it (0 when free). Recovered: process locks taken "
                          "over from a worker that died holding them. A thread-scope lock is a mutex of the engine "
                          "process and does not guard stages in worker processes (DESIGN §15).")),
        QStringLiteral("muted"));
}

void plotsSection(H &b, const std::vector<ReportPlot> &plots)
{
    if (b.medium() == ReportMedium::Print)
        b.raw(QStringLiteral("<div style=\"page-break-before: always\"></div>\n"));
    b.heading(2, QStringLiteral("plots"), tr("Plots"));
    b.paragraph(H::esc(tr("Time in seconds since the run started; one colour per domain (loop orange, threads "
                          "blue, tbb green, procs purple) and per class. Vertical dashed lines mark live changes; "
                          "short ticks at the foot, an autoscale controller's resizes.")),
        QStringLiteral("muted"));
    for (const ReportPlot &p : plots)
        b.figure(p);
}

void findingsSection(H &b, const QJsonObject &run)
{
    b.heading(2, QStringLiteral("findings"), tr("Findings"));
    const QJsonArray findings = run.value(QStringLiteral("findings")).toArray();
    if (findings.isEmpty()) {
        b.paragraph(H::esc(tr("No findings: no diagnostic rule fired during this run.")), QStringLiteral("muted"));
        return;
    }
    for (const QJsonValue &v : findings) {
        const QJsonObject f = v.toObject();
        const QString severity = str(f, "severity");
        QString where = str(f, "domain");
        if (!str(f, "class").isEmpty())
            where = where.isEmpty() ? tr("class %1").arg(str(f, "class"))
                                    : tr("%1, class %2").arg(where, str(f, "class"));
        const QString head = QStringLiteral("<b>[%1]</b> ").arg(H::esc(severity))
            + H::esc(tr("%1–%2 s").arg(H::number(dbl(f, "from_s")), H::number(dbl(f, "to_s"))))
            + (where.isEmpty() ? QString() : QStringLiteral(" · ") + H::esc(where))
            + QStringLiteral(" · <span class=\"muted\">") + H::esc(str(f, "rule")) + QStringLiteral("</span>");
        const QString cls = severity == QLatin1String("error") ? QStringLiteral("finding error")
            : severity == QLatin1String("warning")             ? QStringLiteral("finding warning")
                                                               : QStringLiteral("finding");
        if (b.medium() == ReportMedium::Browser) {
            b.raw(QStringLiteral("<div class=\"%1\">\n<p>").arg(cls) + head + QStringLiteral("<br/>")
                + H::esc(str(f, "message")) + QStringLiteral("</p>\n<p class=\"advice\">→ ") + H::esc(str(f, "advice"))
                + QStringLiteral("</p>\n</div>\n"));
        } else {
            b.paragraph(head + QStringLiteral("<br/>") + H::esc(str(f, "message"))
                + QStringLiteral("<br/><span class=\"advice\">→ ") + H::esc(str(f, "advice"))
                + QStringLiteral("</span>"));
        }
    }
}

QStringList classOrder(const QJsonObject &run)
{
    QStringList names;
    for (const QJsonValue &c : obj(run, "config").value(QStringLiteral("classes")).toArray())
        names << str(c.toObject(), "name");
    for (const QString &k : obj(run, "classes").keys())
        if (!names.contains(k))
            names << k;
    return names;
}
} // namespace

// Where a run's scenario came from, as a person says it: "built-in default", or the file's path.
QString HtmlReport::autoscaleText(const QJsonObject &a)
{
    const qint64 resizes = cnt(a, "resizes");
    return tr("%1 · %2 · %3–%4 workers")
        .arg(str(a, "policy"), resizes == 1 ? tr("1 resize") : tr("%1 resizes").arg(resizes))
        .arg(cnt(a, "workers_min"))
        .arg(cnt(a, "workers_max"));
}

QString HtmlReport::sourceHtml(const QString &source)
{
    static const QString resource = QStringLiteral(":/scenarios/");
    static const QString marker = QStringLiteral("<builtin:");
    QString name;
    if (source.startsWith(resource))
        name = source.mid(resource.size()).section(QLatin1Char('.'), 0, 0);
    else if (source.startsWith(marker) && source.endsWith(QLatin1Char('>')))
        name = source.mid(marker.size(), source.size() - marker.size() - 1);
    if (!name.isEmpty())
        return HtmlBuilder::esc(tr("built-in %1").arg(name));
    return QStringLiteral("<code>") + HtmlBuilder::esc(source) + QStringLiteral("</code>");
}

QString HtmlReport::arrivalText(const QJsonObject &a)
{
    const QString p = str(a, "process");
    if (p == QLatin1String("burst"))
        return tr("burst %1, on %2, off %3")
            .arg(rate(dbl(a, "rate")), seconds(dbl(a, "on_s")), seconds(dbl(a, "off_s")));
    if (p == QLatin1String("ramp"))
        return tr("ramp %1 → %2 over %3")
            .arg(rate(dbl(a, "from")), rate(dbl(a, "to")),
                dbl(a, "over_s") > 0 ? seconds(dbl(a, "over_s")) : tr("the run"));
    if (p == QLatin1String("closed")) {
        const QString text = tr("closed, %1 clients, think %2").arg(cnt(a, "clients")).arg(str(a, "think"));
        // DESIGN §15: a closed class with a rate has its requests intended at that rate.
        return dbl(a, "rate") > 0 ? tr("%1, intended at %2").arg(text, rate(dbl(a, "rate"))) : text;
    }
    return p + QLatin1Char(' ') + rate(dbl(a, "rate"));
}

QString HtmlReport::workText(const QJsonObject &st)
{
    QStringList parts { str(st, "work") };
    if (st.contains(QStringLiteral("time")))
        parts << str(st, "time");
    if (st.contains(QStringLiteral("kernel")) && str(st, "kernel") != QLatin1String("spin"))
        parts << tr("kernel %1").arg(str(st, "kernel"));
    if (st.contains(QStringLiteral("bytes")))
        parts << str(st, "bytes");
    if (st.value(QStringLiteral("fsync")).toBool())
        parts << QStringLiteral("fsync");
    if (st.contains(QStringLiteral("payload_in")))
        parts << tr("in %1").arg(str(st, "payload_in"));
    if (st.contains(QStringLiteral("payload_out")))
        parts << tr("out %1").arg(str(st, "payload_out"));
    if (st.contains(QStringLiteral("timeout_ms")))
        parts << tr("timeout %1 ms").arg(dbl(st, "timeout_ms"));
    if (st.contains(QStringLiteral("fail")))
        parts << tr("fail %1").arg(dbl(st, "fail"));
    if (st.contains(QStringLiteral("crash")))
        parts << tr("crash %1").arg(dbl(st, "crash"));
    for (const QJsonValue &v : st.value(QStringLiteral("lock")).toArray()) // DESIGN §15
        parts << tr("lock %1 (%2)").arg(str(v.toObject(), "name"), str(v.toObject(), "scope"));
    if (st.contains(QStringLiteral("update")))
        parts << tr("update %1").arg(str(st, "update"));
    return parts.join(QStringLiteral(", "));
}

QStringList HtmlReport::sectionIds()
{
    return { QStringLiteral("scenario"), QStringLiteral("environment"), QStringLiteral("configuration"),
        QStringLiteral("changes"), QStringLiteral("phases"), QStringLiteral("totals"), QStringLiteral("classes"),
        QStringLiteral("domains"), QStringLiteral("findings"), QStringLiteral("plots") };
}

QString HtmlReport::simulatedText(const QJsonObject &run)
{
    if (run.value(QStringLiteral("mode")).toString() != QLatin1String("simulated"))
        return {};
    const QJsonObject sim = obj(run, "simulation");
    QString text = tr("Simulated in virtual time, not measured on the engine: %1 cores, %2 rep(s), calibration: %3")
                       .arg(sim.value(QStringLiteral("cores")).toDouble(), 0, 'g', 3)
                       .arg(sim.value(QStringLiteral("reps")).toInt(1))
                       .arg(sim.value(QStringLiteral("calibration")).toString());
    // Beyond twice what the calibration measured (DESIGN §12): said wherever the run is shown.
    const QString beyond = extrapolationText(sim);
    return beyond.isEmpty() ? text : text + QStringLiteral(". ") + beyond;
}

QString HtmlReport::extrapolationText(const QJsonObject &simulation)
{
    QStringList beyond;
    for (const QJsonValue &v : simulation.value(QStringLiteral("extrapolation")).toArray()) {
        const QJsonObject e = v.toObject();
        beyond << tr("%1 %2 (measured up to %3)")
                      .arg(e.value(QStringLiteral("what")).toString())
                      .arg(e.value(QStringLiteral("value")).toDouble(), 0, 'g', 6)
                      .arg(e.value(QStringLiteral("measured_max")).toDouble(), 0, 'g', 6);
    }
    return beyond.isEmpty()
        ? QString()
        : tr("EXTRAPOLATION beyond twice the calibration's range: %1").arg(beyond.join(QStringLiteral("; ")));
}

ReportHtml HtmlReport::build(const QJsonObject &run, const std::vector<ReportPlot> &plots, ReportMedium medium)
{
    H b(medium);
    b.begin(tr("Hybridscope report: %1").arg(str(obj(run, "scenario"), "name")));
    scenarioSection(b, run);
    environmentSection(b, run);
    configurationSection(b, run);
    changesSection(b, run);
    phasesSection(b, run, classOrder(run));
    totalsSection(b, run);
    classesSection(b, run, classOrder(run));
    domainsSection(b, run);
    locksSection(b, run);
    findingsSection(b, run);
    plotsSection(b, plots);
    return b.finish();
}

} // namespace hs
