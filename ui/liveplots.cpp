#include "liveplots.h"

#include "domainstyle.h"
#include "liveplot.h"

#include <QEvent>
#include <QGridLayout>
#include <QMap>
#include <QRegularExpression>
#include <QThread>

#include <algorithm>
#include <limits>

namespace hs {

namespace {
// While live, a run of known length up to this is shown whole; longer ones scroll.
constexpr double kMaxWholeRunS = 120.0;
constexpr double kScrollWindowS = 60.0;

QString limitText(int v)
{
    return v <= 0 ? QStringLiteral("∞") : QString::number(v);
}

QString change(const QString &what, const QString &before, const QString &after)
{
    return before == after ? QStringLiteral("%1 %2").arg(what, after)
                           : QStringLiteral("%1 %2 → %3").arg(what, before, after);
}
} // namespace

LivePlots::LivePlots(QWidget *parent)
    : QWidget(parent)
    , m_theory(QThread::idealThreadCount())
{
    m_queue = new LivePlot(tr("Queue depth (dashed: predicted mean)"), tr("stages waiting"), this);
    m_queue->setMinimumUpper(LivePlot::Axis::Left, 4);
    m_starvation = new LivePlot(tr("Starvation: loop lag and starved stages"), tr("loop lag (ms, log)"), this);
    // Starved stages are a count, not a lag: shaded steps on a linear right axis of whole numbers,
    // kept in the lower part of the plot, so they never read as more lag.
    m_starvation->setRightAxisLabel(tr("starved (shaded)"));
    m_starvation->setIntegerTicks(LivePlot::Axis::Right);
    // Lag and latency span decades (an idle loop lags 0.05 ms, a blocked one 100 ms): log axes.
    m_starvation->setLogScale(LivePlot::Axis::Left, 0.01);
    m_starvation->setMinimumUpper(LivePlot::Axis::Left, 1);
    m_starvation->setMinimumUpper(LivePlot::Axis::Right, 4);
    m_starvation->setHeadroom(LivePlot::Axis::Right, 2.5);
    m_latency = new LivePlot(tr("P99 latency per class (sliding 1 s)"), tr("P99 (ms, log)"), this);
    m_latency->setLogScale(LivePlot::Axis::Left, 0.1);
    m_latency->setMinimumUpper(LivePlot::Axis::Left, 10);
    m_throughput = new LivePlot(tr("Throughput, utilization and workers"), tr("stages/s"), this);
    m_throughput->setRightAxisLabel(tr("util % (dashed)"));
    m_throughput->setFixedRange(LivePlot::Axis::Right, 0, 105);
    m_throughput->setMinimumUpper(LivePlot::Axis::Left, 10);
    // A pool's size, as dashed steps on an axis of its own (whole workers, from 0).
    m_throughput->setRightAxisLabel(tr("workers (dashed steps)"), LivePlot::Axis::Right2);
    m_throughput->setIntegerTicks(LivePlot::Axis::Right2);
    m_throughput->setMinimumUpper(LivePlot::Axis::Right2, 4);
    m_throughput->setHeadroom(LivePlot::Axis::Right2, 1.25);

    // A frame touches all four plots at once; replotting them in one go would hold the event
    // loop for four replots in a row. Staggered delays (about 40 ms on average, each below the
    // 50 ms between frames) let input and timers in between them.
    const std::vector<LivePlot *> all = plots();
    for (std::size_t i = 0; i < all.size(); ++i)
        all[i]->setReplotDelay(LivePlot::kReplotMs - 15 + int(i) * 8);

    auto *grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setSpacing(6);
    grid->addWidget(m_queue, 0, 0);
    grid->addWidget(m_starvation, 0, 1);
    grid->addWidget(m_latency, 1, 0);
    grid->addWidget(m_throughput, 1, 1);
    m_queueSeries.fill(-1);
    m_throughputSeries.fill(-1);
    m_utilizationSeries.fill(-1);
    m_starvedSeries.fill(-1);
    m_workersSeries.fill(-1);
    m_predictedSeries.fill(-1);
}

void LivePlots::setMark(const QString &text, const QString &tip)
{
    m_mark = text;
    for (LivePlot *p : plots())
        p->setBadge(text, tip);
}

void LivePlots::setScenario(const Scenario &scenario)
{
    m_scenario = scenario;
    m_frames = 0;
    m_settings = scenario.domains;
    m_routes.clear();
    for (const TaskClass &c : scenario.classes)
        for (const Stage &st : c.stages)
            m_routes.emplace_back(c.name + QLatin1Char('.') + st.name, st.domain);
    m_queueSeries.fill(-1);
    m_throughputSeries.fill(-1);
    m_utilizationSeries.fill(-1);
    m_starvedSeries.fill(-1);
    m_workersSeries.fill(-1);
    m_predictedSeries.fill(-1);
    m_theory.reset();
    m_latencySeries.clear();
    m_gilSeries.clear();
    for (auto &r : m_recentUtilization)
        r.clear();
    for (LivePlot *p : plots()) {
        p->clear();
        p->setTimeWindow(
            scenario.duration > 0 && scenario.duration <= kMaxWholeRunS ? scenario.duration : kScrollWindowS);
    }
    const QPalette pal = palette();
    m_loopLagSeries = m_starvation->addSeries(tr("loop lag"), domainColor(DomainKind::Loop, pal));
    const QString thresholdMs = QString::number(scenario.starvationThreshold * 1e3, 'g', 4);
    m_starvation->addReferenceLine(
        scenario.starvationThreshold * 1e3, palette().color(QPalette::Text), tr("threshold %1 ms").arg(thresholdMs));

    // Classes sharing an SLA share one line, labelled with all their names.
    QMap<double, QList<int>> bySla;
    for (int i = 0; i < int(scenario.classes.size()); ++i) {
        m_latencySeries.push_back(m_latency->addSeries(scenario.classes[std::size_t(i)].name, classColor(i, pal)));
        if (const auto sla = scenario.slaFor(i))
            bySla[*sla * 1e3].append(i);
    }
    for (auto it = bySla.cbegin(); it != bySla.cend(); ++it) {
        QStringList names;
        for (int i : it.value())
            names << scenario.classes[std::size_t(i)].name;
        const QColor color = it.value().size() == 1 ? classColor(it.value().front(), pal) : pal.color(QPalette::Text);
        m_latency->addReferenceLine(it.key(), color,
            tr("SLA %1 ms: %2").arg(QString::number(it.key(), 'g', 4), names.join(QStringLiteral(", "))));
    }
}

int LivePlots::latencySeries(int classIndex) const
{
    return classIndex >= 0 && classIndex < int(m_latencySeries.size()) ? m_latencySeries[std::size_t(classIndex)] : -1;
}

int LivePlots::gilWaitSeries(int classIndex) const
{
    return classIndex >= 0 && classIndex < int(m_gilSeries.size()) ? m_gilSeries[std::size_t(classIndex)] : -1;
}

void LivePlots::addDomainSeries(DomainKind d)
{
    const auto i = std::size_t(d);
    const QColor c = domainColor(d, palette());
    const QString name = domainName(d);
    m_queueSeries[i] = m_queue->addSeries(name, c);
    m_throughputSeries[i] = m_throughput->addSeries(name, c);
    m_utilizationSeries[i] = m_throughput->addSeries(name + tr(" util"), c, LivePlot::Axis::Right, Qt::DashLine, false);
    m_starvedSeries[i] = m_starvation->addSeries(tr("%1 starved").arg(name), c, LivePlot::Axis::Right);
    m_starvation->setSeriesSteps(m_starvedSeries[i]);
}

void LivePlots::addFrame(const Frame &frame)
{
    ++m_frames;
    m_theory.addFrame(frame);
    for (DomainKind d : kAllDomains) {
        const DomainFrame &df = frame.domains[std::size_t(d)];
        const auto i = std::size_t(d);
        if (df.workers <= 0 && m_queueSeries[i] < 0)
            continue; // not running (yet): no series, so the legend lists only real domains
        if (m_queueSeries[i] < 0)
            addDomainSeries(d);
        m_queue->addPoint(m_queueSeries[i], frame.t, df.queue);
        m_throughput->addPoint(m_throughputSeries[i], frame.t, df.throughput);
        // Utilization per 50 ms frame jumps between 0 and 100 %; its mean over the last second reads.
        auto &recent = m_recentUtilization[i];
        recent.push_back(df.utilization * 100.0);
        if (recent.size() > kUtilizationFrames)
            recent.pop_front();
        double sum = 0;
        for (double u : recent)
            sum += u;
        m_throughput->addPoint(m_utilizationSeries[i], frame.t, sum / double(recent.size()));
        m_starvation->addPoint(m_starvedSeries[i], frame.t, df.starved);
        // A pool's size from the first frame a stage is routed to it: the engine runs every pool,
        // and the idle ones' flat lines would only hide the one at work.
        if (m_workersSeries[i] < 0 && d != DomainKind::Loop
            && std::any_of(m_routes.begin(), m_routes.end(), [d](const auto &r) { return r.second == d; })) {
            m_workersSeries[i] = m_throughput->addSeries(tr("%1 workers").arg(domainName(d)), domainColor(d, palette()),
                LivePlot::Axis::Right2, Qt::DashLine, false);
            m_throughput->setSeriesSteps(m_workersSeries[i], false);
        }
        m_throughput->addPoint(m_workersSeries[i], frame.t, df.workers); // -1: no line (yet)
    }
    m_starvation->addPoint(m_loopLagSeries, frame.t, frame.loopLagMs);
    // No completion in the window gives a P99 of 0: that is no data, not no latency (a gap).
    for (std::size_t c = 0; c < frame.classes.size() && c < m_latencySeries.size(); ++c)
        m_latency->addPoint(m_latencySeries[c], frame.t,
            frame.classes[c].p99Ms > 0 ? frame.classes[c].p99Ms : std::numeric_limits<double>::quiet_NaN());
    // GIL emulation: how long each class's cpu stages wait for the GIL, dashed in the class's colour.
    if (frame.gil && m_gilSeries.empty())
        for (int i = 0; i < int(m_scenario.classes.size()); ++i) {
            const QString name = tr("%1 GIL wait").arg(m_scenario.classes[std::size_t(i)].name);
            m_gilSeries.push_back(
                m_latency->addSeries(name, classColor(i, palette()), LivePlot::Axis::Left, Qt::DashLine));
        }
    for (std::size_t c = 0; c < frame.classes.size() && c < m_gilSeries.size(); ++c)
        m_latency->addPoint(m_gilSeries[c], frame.t, frame.classes[c].gilWaitP99Ms);
    for (LivePlot *p : plots())
        p->setNow(frame.t);
}

void LivePlots::addEvent(const RunEvent &event)
{
    const EventText text = describeEvent(event);
    if (event.kind == QLatin1String("scale")) {
        // A controller's resizes change no configuration and come up to once a second: a light tick
        // in the domain's colour, the text on hover, the size itself on the workers line.
        const auto d = domainFromName(event.label.section(QLatin1Char(' '), 0, 0));
        const QColor c = d ? domainColor(*d, palette()) : palette().color(QPalette::Text);
        for (LivePlot *p : plots())
            p->addLightMark(event.t, c, text.detail);
        return;
    }
    for (LivePlot *p : plots())
        p->addMarker(event.t, text.label, text.detail);
}

void LivePlots::setPhaseStarts(const std::vector<double> &starts)
{
    for (LivePlot *p : plots())
        p->setPhaseStarts(starts);
}

void LivePlots::addPhases(const std::vector<PhaseResult> &phases)
{
    if (!m_theory.addPhases(phases))
        return;
    const double t = m_theory.hasWindow() ? m_theory.windowTo() : phases.empty() ? 0.0 : phases.back().toS;
    for (DomainKind d : kAllDomains) {
        const auto i = std::size_t(d);
        const auto &theory = m_theory.domain(d);
        const bool applies = theory && theory->predicted.applies;
        if (m_predictedSeries[i] < 0) {
            if (!applies || m_queueSeries[i] < 0)
                continue; // no line for a domain no model fits (yet): a wrong line is worse than none
            m_predictedSeries[i] = m_queue->addSeries(tr("%1 predicted").arg(domainName(d)), domainColor(d, palette()),
                LivePlot::Axis::Left, Qt::DashLine, false);
        }
        // Where the model stops applying, the line stops too (a gap), and the card says why.
        m_queue->addPoint(
            m_predictedSeries[i], t, applies ? theory->predicted.queueMean : std::numeric_limits<double>::quiet_NaN());
    }
}

EventText LivePlots::describeEvent(const RunEvent &event)
{
    // The engine's labels (engine/run/engine.cpp) use the file's keys; people read these.
    static const QRegularExpression workersRe(QStringLiteral("^(\\w+) workers → (\\d+)$"));
    static const QRegularExpression backpressureRe(
        QStringLiteral("^(\\w+) queue (\\d+), max_inflight (\\d+), on_full (\\S+)$"));
    static const QRegularExpression routeRe(QStringLiteral("^(\\S+\\.\\S+) → (\\w+)$"));
    // "threads autoscale (queue): 2 → 4 workers, …" and "threads autoscale gradient, 1–32 workers".
    static const QRegularExpression scaleRe(QStringLiteral("^(\\w+) autoscale \\((\\w+)\\): (\\d+) → (\\d+) workers"));
    static const QRegularExpression policyRe(QStringLiteral("^(\\w+) autoscale (\\w+)(?:, (\\d+)–(\\d+) workers)?$"));
    EventText out;
    if (const auto m = workersRe.match(event.label); m.hasMatch()) {
        if (const auto d = domainFromName(m.captured(1))) {
            DomainConfig &c = m_settings[std::size_t(*d)];
            const int workers = m.captured(2).toInt();
            out.label
                = tr("%1: %2 workers")
                      .arg(m.captured(1), change({}, QString::number(c.workers), QString::number(workers)).trimmed());
            out.detail = tr("%1 pool resized from %2 to %3 workers").arg(m.captured(1)).arg(c.workers).arg(workers);
            c.workers = workers;
        }
    } else if (const auto b = backpressureRe.match(event.label); b.hasMatch()) {
        if (const auto d = domainFromName(b.captured(1))) {
            DomainConfig &c = m_settings[std::size_t(*d)];
            const int queue = b.captured(2).toInt();
            const int inflight = b.captured(3).toInt();
            const QString onFull = b.captured(4);
            QStringList changed;
            if (queue != c.queue)
                changed << change(tr("queue"), limitText(c.queue), limitText(queue));
            if (inflight != c.maxInflight)
                changed << change(tr("max in flight"), limitText(c.maxInflight), limitText(inflight));
            if (onFull != onFullName(c.onFull))
                changed << change(tr("when full"), onFullName(c.onFull), onFull);
            const QString all
                = tr("queue %1, max in flight %2, when full %3").arg(limitText(queue), limitText(inflight), onFull);
            out.label
                = b.captured(1) + QStringLiteral(": ") + (changed.isEmpty() ? all : changed.join(QStringLiteral(", ")));
            out.detail = tr("%1 backpressure: %2").arg(b.captured(1), all);
            c.queue = queue;
            c.maxInflight = inflight;
            if (const auto p = onFullFromName(onFull))
                c.onFull = *p;
        }
    } else if (const auto sc = scaleRe.match(event.label); sc.hasMatch()) {
        // The size after the controller's resizes: the next resize by hand reads "from" it.
        if (const auto d = domainFromName(sc.captured(1)))
            m_settings[std::size_t(*d)].workers = sc.captured(4).toInt();
        out.label = tr("%1: %2 → %3 workers (auto)").arg(sc.captured(1), sc.captured(3), sc.captured(4));
        out.detail = event.label;
    } else if (const auto ap = policyRe.match(event.label); ap.hasMatch() && domainFromName(ap.captured(1))) {
        const bool on = ap.captured(2) != QLatin1String("off");
        out.label = on ? tr("%1: auto %2 %3–%4").arg(ap.captured(1), ap.captured(2), ap.captured(3), ap.captured(4))
                       : tr("%1: auto off").arg(ap.captured(1));
        out.detail = on ? tr("%1 autoscale on: policy %2, between %3 and %4 workers")
                              .arg(ap.captured(1), ap.captured(2), ap.captured(3), ap.captured(4))
                        : tr("%1 autoscale off: the pool keeps its size").arg(ap.captured(1));
    } else if (const auto r = routeRe.match(event.label); r.hasMatch()) {
        if (const auto d = domainFromName(r.captured(2))) {
            const QString key = r.captured(1);
            auto it = std::find_if(m_routes.begin(), m_routes.end(), [&](const auto &kv) { return kv.first == key; });
            if (it != m_routes.end()) {
                out.label = event.label; // "web.fetch → tbb" reads well as it is
                out.detail = tr("stage %1 moved from %2 to %3").arg(key, domainName(it->second), domainName(*d));
                it->second = *d;
            }
        }
    }
    if (out.label.isEmpty()) {
        out.label = event.label;
        out.detail = event.label;
    }
    if (out.label.size() > kMaxLabelChars)
        out.label = out.label.left(kMaxLabelChars - 1) + QStringLiteral("…");
    return out;
}

void LivePlots::recolor()
{
    const QPalette pal = palette();
    for (DomainKind d : kAllDomains) {
        const auto i = std::size_t(d);
        if (m_queueSeries[i] < 0)
            continue;
        const QColor c = domainColor(d, pal);
        m_queue->setSeriesColor(m_queueSeries[i], c);
        m_throughput->setSeriesColor(m_throughputSeries[i], c);
        m_throughput->setSeriesColor(m_utilizationSeries[i], c);
        m_starvation->setSeriesColor(m_starvedSeries[i], c);
        if (m_workersSeries[i] >= 0)
            m_throughput->setSeriesColor(m_workersSeries[i], c);
        if (m_predictedSeries[i] >= 0)
            m_queue->setSeriesColor(m_predictedSeries[i], c);
    }
    m_starvation->setSeriesColor(m_loopLagSeries, domainColor(DomainKind::Loop, pal));
    for (std::size_t c = 0; c < m_latencySeries.size(); ++c)
        m_latency->setSeriesColor(m_latencySeries[c], classColor(int(c), pal));
    for (std::size_t c = 0; c < m_gilSeries.size(); ++c)
        m_latency->setSeriesColor(m_gilSeries[c], classColor(int(c), pal));
}

void LivePlots::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange)
        recolor();
    QWidget::changeEvent(event);
}

} // namespace hs
