#include "reportplots.h"

#include "domainstyle.h"
#include "liveplot.h"
#include "liveplots.h"

#include <QApplication>
#include <QJsonArray>
#include <QStyle>

#include <limits>

namespace hs {

namespace {
// Reports are read on paper and in light browsers: always the light palette, whatever the desktop's.
QPalette reportPalette()
{
    QPalette pal = QApplication::style()->standardPalette();
    pal.setColor(QPalette::Base, Qt::white);
    pal.setColor(QPalette::Window, Qt::white);
    pal.setColor(QPalette::Text, Qt::black);
    pal.setColor(QPalette::WindowText, Qt::black);
    return pal;
}

bool step(const ReportProgress &progress, int done, const QString &what, bool *cancelled)
{
    if (!progress || progress(done, ReportPlots::kPlotCount, what))
        return true;
    if (cancelled)
        *cancelled = true;
    return false;
}

QString runLetter(int i)
{
    return i == 0 ? QStringLiteral("A") : QStringLiteral("B");
}

double lastT(const RunSeries &s)
{
    return s.lastT();
}
} // namespace

double RunSeries::lastT() const
{
    return frames.isEmpty() ? 0.0 : frames.last().toObject().value(QStringLiteral("t")).toDouble();
}

Frame RunSeries::frameAt(qsizetype index) const
{
    const QJsonObject fo = frames.at(index).toObject();
    Frame f;
    f.t = fo.value(QStringLiteral("t")).toDouble();
    f.loopLagMs = fo.value(QStringLiteral("loop_lag_ms")).toDouble();
    const QJsonObject doms = fo.value(QStringLiteral("domains")).toObject();
    for (auto it = doms.begin(); it != doms.end(); ++it) {
        const auto d = domainFromName(it.key());
        if (!d)
            continue;
        const QJsonObject o = it.value().toObject();
        DomainFrame &df = f.domains[std::size_t(*d)];
        df.queue = o.value(QStringLiteral("queue")).toInt();
        df.inflight = o.value(QStringLiteral("inflight")).toInt();
        df.busy = o.value(QStringLiteral("busy")).toInt();
        df.workers = o.value(QStringLiteral("workers")).toInt();
        df.done = std::uint64_t(o.value(QStringLiteral("done")).toInteger());
        df.p99Ms = o.value(QStringLiteral("p99_ms")).toDouble();
        df.starved = o.value(QStringLiteral("starved")).toInt();
        df.utilization = o.value(QStringLiteral("utilization")).toDouble();
        df.throughput = o.value(QStringLiteral("throughput")).toDouble();
    }
    const QJsonObject cls = fo.value(QStringLiteral("classes")).toObject();
    f.classes.resize(scenario.classes.size());
    for (std::size_t i = 0; i < scenario.classes.size(); ++i) {
        const QJsonObject o = cls.value(scenario.classes[i].name).toObject();
        ClassFrame &cf = f.classes[i];
        cf.completed = std::uint64_t(o.value(QStringLiteral("completed")).toInteger());
        cf.p99Ms = o.value(QStringLiteral("p99_ms")).toDouble();
        cf.throughput = o.value(QStringLiteral("throughput")).toDouble();
    }
    return f;
}

RunSeries runSeriesFromJson(const QJsonObject &run)
{
    RunSeries out;
    const QJsonObject config = run.value(QStringLiteral("config")).toObject();
    const QJsonObject classes = run.value(QStringLiteral("classes")).toObject();
    Scenario &s = out.scenario;
    s.name = run.value(QStringLiteral("scenario")).toObject().value(QStringLiteral("name")).toString();
    out.durationS = run.value(QStringLiteral("duration_s")).toDouble();
    s.duration = out.durationS;
    s.starvationThreshold
        = config.value(QStringLiteral("starvation")).toObject().value(QStringLiteral("threshold_ms")).toDouble(100)
        / 1e3;
    // The file order of classes (config.classes); reports of older runs only have the sorted map.
    QStringList names;
    for (const QJsonValue &c : config.value(QStringLiteral("classes")).toArray())
        names << c.toObject().value(QStringLiteral("name")).toString();
    if (names.isEmpty())
        names = classes.keys();
    for (const QString &n : names) {
        TaskClass tc;
        tc.name = n;
        const QJsonValue sla = classes.value(n).toObject().value(QStringLiteral("sla_p99_ms"));
        if (sla.isDouble())
            tc.slaP99 = sla.toDouble() / 1e3;
        s.classes.push_back(tc);
    }
    out.frames = run.value(QStringLiteral("frames")).toArray();
    for (const QJsonValue &v : run.value(QStringLiteral("events")).toArray())
        out.events.push_back(RunEvent { v.toObject().value(QStringLiteral("t")).toDouble(),
            v.toObject().value(QStringLiteral("label")).toString(),
            v.toObject().value(QStringLiteral("kind")).toString() });
    return out;
}

std::vector<ReportPlot> ReportPlots::forRun(const QJsonObject &run, const ReportProgress &progress, bool *cancelled)
{
    if (cancelled)
        *cancelled = false;
    const RunSeries series = runSeriesFromJson(run);
    LivePlots plots;
    plots.setPalette(reportPalette());
    plots.setScenario(series.scenario);
    for (qsizetype i = 0; i < series.frames.size(); ++i)
        plots.addFrame(series.frameAt(i));
    for (const RunEvent &e : series.events)
        plots.addEvent(e);
    const QString captions[kPlotCount] = {
        QObject::tr("Stages admitted and waiting for a worker, per domain."),
        QObject::tr("Loop lag (the worst heartbeat lateness in each 50 ms frame, log scale) against the starvation "
                    "threshold; dashed, right axis: stages queued past the threshold, per domain."),
        QObject::tr("End-to-end P99 latency per class over a sliding 1 s window (log scale; gaps: no completion in "
                    "the window); dashed lines: the SLAs."),
        QObject::tr("Stages finished per second, per domain; dashed, right axis: utilization (busy workers / "
                    "workers, 1 s mean); dashed steps, outer right axis: each pool's workers."),
    };
    const QString ids[kPlotCount] = { QStringLiteral("plot-queue"), QStringLiteral("plot-starvation"),
        QStringLiteral("plot-latency"), QStringLiteral("plot-throughput") };
    std::vector<ReportPlot> out;
    const std::vector<LivePlot *> all = plots.plots();
    for (int i = 0; i < kPlotCount; ++i) {
        LivePlot *p = all[std::size_t(i)];
        if (!step(progress, i, QObject::tr("Rendering plot: %1").arg(p->title()), cancelled))
            return {};
        p->setTimeWindow(std::max(lastT(series), 1.0));
        out.push_back(ReportPlot { ids[i], p->title(), captions[i], p->renderImage(plotSize()) });
    }
    return out;
}

std::vector<ReportPlot> ReportPlots::forComparison(
    const QJsonObject &a, const QJsonObject &b, const ReportProgress &progress, bool *cancelled)
{
    if (cancelled)
        *cancelled = false;
    const RunSeries runs[2] = { runSeriesFromJson(a), runSeriesFromJson(b) };
    const QPalette pal = reportPalette();
    const Qt::PenStyle styles[2] = { Qt::SolidLine, Qt::DashLine };
    const double window = std::max({ lastT(runs[0]), lastT(runs[1]), 1.0 });

    LivePlot queue(QObject::tr("Queue depth: A solid, B dashed"), QObject::tr("stages waiting"));
    LivePlot lag(QObject::tr("Loop lag: A solid, B dashed"), QObject::tr("loop lag (ms, log)"));
    LivePlot latency(
        QObject::tr("P99 latency per class (sliding 1 s): A solid, B dashed"), QObject::tr("P99 (ms, log)"));
    LivePlot throughput(QObject::tr("Throughput per domain: A solid, B dashed"), QObject::tr("stages/s"));
    LivePlot *all[kPlotCount] = { &queue, &lag, &latency, &throughput };
    for (LivePlot *p : all) {
        p->setPalette(pal);
        p->setTimeWindow(window);
    }
    queue.setMinimumUpper(LivePlot::Axis::Left, 4);
    lag.setLogScale(LivePlot::Axis::Left, 0.01);
    lag.setMinimumUpper(LivePlot::Axis::Left, 1);
    latency.setLogScale(LivePlot::Axis::Left, 0.1);
    latency.setMinimumUpper(LivePlot::Axis::Left, 10);
    throughput.setMinimumUpper(LivePlot::Axis::Left, 10);

    QMap<double, QStringList> slas; // one line per SLA value, naming its classes
    for (int r = 0; r < 2; ++r) {
        const RunSeries &s = runs[r];
        const QString tag = runLetter(r) + QLatin1Char(' ');
        if (r == 0)
            lag.addReferenceLine(s.scenario.starvationThreshold * 1e3, pal.color(QPalette::Text),
                QObject::tr("threshold %1 ms").arg(s.scenario.starvationThreshold * 1e3, 0, 'g', 4));
        const int lagSeries = lag.addSeries(
            tag + QObject::tr("loop lag"), domainColor(DomainKind::Loop, pal), LivePlot::Axis::Left, styles[r]);
        std::array<int, kDomainCount> q {}, th {};
        q.fill(-1);
        th.fill(-1);
        std::vector<int> lat;
        for (int c = 0; c < int(s.scenario.classes.size()); ++c) {
            const TaskClass &tc = s.scenario.classes[std::size_t(c)];
            lat.push_back(latency.addSeries(tag + tc.name, classColor(c, pal), LivePlot::Axis::Left, styles[r]));
            if (tc.slaP99 && !slas[*tc.slaP99 * 1e3].contains(tc.name))
                slas[*tc.slaP99 * 1e3] << tc.name;
        }
        for (qsizetype fi = 0; fi < s.frames.size(); ++fi) {
            const Frame f = s.frameAt(fi);
            for (DomainKind d : kAllDomains) {
                const DomainFrame &df = f.domains[std::size_t(d)];
                const auto i = std::size_t(d);
                if (df.workers <= 0 && q[i] < 0)
                    continue;
                if (q[i] < 0) {
                    q[i] = queue.addSeries(tag + domainName(d), domainColor(d, pal), LivePlot::Axis::Left, styles[r]);
                    th[i] = throughput.addSeries(
                        tag + domainName(d), domainColor(d, pal), LivePlot::Axis::Left, styles[r]);
                }
                queue.addPoint(q[i], f.t, df.queue);
                throughput.addPoint(th[i], f.t, df.throughput);
            }
            lag.addPoint(lagSeries, f.t, f.loopLagMs);
            for (std::size_t c = 0; c < f.classes.size() && c < lat.size(); ++c)
                latency.addPoint(lat[c], f.t,
                    f.classes[c].p99Ms > 0 ? f.classes[c].p99Ms : std::numeric_limits<double>::quiet_NaN());
        }
        for (const RunEvent &e : s.events)
            for (LivePlot *p : all)
                p->addMarker(e.t, tag + e.label);
    }
    for (auto it = slas.cbegin(); it != slas.cend(); ++it)
        latency.addReferenceLine(it.key(), pal.color(QPalette::Text),
            QObject::tr("SLA %1 ms: %2").arg(it.key(), 0, 'g', 4).arg(it.value().join(QStringLiteral(", "))));
    for (LivePlot *p : all)
        p->setNow(window);

    const QString captions[kPlotCount] = {
        QObject::tr("Stages waiting for a worker, per domain."),
        QObject::tr("Worst heartbeat lateness of the event loop per 50 ms frame (log scale), against run A's "
                    "starvation threshold."),
        QObject::tr("End-to-end P99 latency per class over a sliding 1 s window (log scale); dashed lines: the SLAs."),
        QObject::tr("Stages finished per second, per domain."),
    };
    const QString ids[kPlotCount] = { QStringLiteral("plot-queue"), QStringLiteral("plot-lag"),
        QStringLiteral("plot-latency"), QStringLiteral("plot-throughput") };
    std::vector<ReportPlot> out;
    for (int i = 0; i < kPlotCount; ++i) {
        if (!step(progress, i, QObject::tr("Rendering plot: %1").arg(all[i]->title()), cancelled))
            return {};
        out.push_back(ReportPlot { ids[i], all[i]->title(), captions[i], all[i]->renderImage(plotSize()) });
    }
    return out;
}

} // namespace hs
