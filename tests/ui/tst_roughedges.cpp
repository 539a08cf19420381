// The GUI's rough edges of issue 13, each checked where a user saw it: plots readable before the
// first run, marker labels that never overlap and stay inside the plot, starved stages distinct
// from loop lag, unused domains, "unlimited" as an explicit choice, "changed from the file" marks,
// warnings for absurd pools, cards that never clip, Reset Layout, routing combos never elided and
// a class palette that stays distinct for colour-blind readers.

#include "domaincard.h"
#include "domainstyle.h"
#include "enginetest.h"
#include "liveplot.h"
#include "liveplots.h"
#include "mainwindow.h"
#include "routingmodel.h"
#include "routingtable.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDockWidget>
#include <QLabel>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <array>
#include <cmath>

using namespace hs;

namespace {
// threads and tbb are used; loop and procs are not.
const char *kTwoDomainsYaml = R"(name: Two domains
duration: 30s
sla: { p99: 40ms }
domains:
  threads: { workers: 8, max_inflight: 100 }
  tbb: { workers: 2 }
classes:
  - name: web
    arrival: { process: constant, rate: 10/s }
    stages:
      - { name: fetch, work: block, time: 1ms, domain: threads }
      - { name: render, work: cpu, time: 1ms, domain: tbb }
  - name: batch
    arrival: { process: constant, rate: 5/s }
    sla: { p99: 35ms }
    stages:
      - { name: crunch, work: cpu, time: 1ms, domain: tbb }
)";

const char *kProcsYaml = R"(name: With worker processes
duration: 30s
domains:
  procs: { workers: 2 }
  threads: { workers: 2 }
classes:
  - name: crunch
    arrival: { process: constant, rate: 5/s }
    stages:
      - { name: hash, work: cpu, time: 1ms, domain: procs }
      - { name: save, work: block, time: 1ms, domain: threads }
)";

Scenario parse(const char *yaml)
{
    QString error;
    const auto s = test::scenarioFromYaml(yaml, &error);
    if (!s)
        qFatal("test scenario does not parse: %s", qPrintable(error));
    return *s;
}

QString writeScenario(const QTemporaryDir &dir, const char *yaml)
{
    const QString path = dir.filePath(QStringLiteral("s.yaml"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        qFatal("cannot write %s", qPrintable(path));
    f.write(yaml);
    return path;
}

Frame frameAt(double t, int starved = 0)
{
    Frame f;
    f.t = t;
    f.loopLagMs = 0.1;
    for (DomainKind d : kAllDomains) {
        DomainFrame &df = f.domains[std::size_t(d)];
        df.workers = d == DomainKind::Loop ? 1 : 2;
        df.queue = 3;
        df.throughput = 100;
        df.starved = starved;
    }
    return f;
}

void waitForReplot(LivePlot *p)
{
    const int before = p->replotCount();
    p->requestReplot();
    QTRY_VERIFY_WITH_TIMEOUT(p->replotCount() > before, 5000);
}

// --- CIEDE2000 on sRGB, and colour-vision deficiency simulated (Machado, Oliveira and Fernandes
// 2009, severity 1.0, on linear RGB) ---
using Vec3 = std::array<double, 3>;
using Mat3 = std::array<Vec3, 3>;
const Mat3 kProtanopia { { { 0.152286, 1.052583, -0.204868 }, { 0.114503, 0.786281, 0.099216 },
    { -0.003882, -0.048116, 1.051998 } } };
const Mat3 kDeuteranopia { { { 0.367322, 0.860646, -0.227968 }, { 0.280085, 0.672501, 0.047413 },
    { -0.011820, 0.042940, 0.968881 } } };

Vec3 linearRgb(const QColor &c)
{
    const auto lin = [](double v) { return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); };
    return { lin(c.redF()), lin(c.greenF()), lin(c.blueF()) };
}

Vec3 simulate(const Mat3 *m, const Vec3 &rgb)
{
    if (!m)
        return rgb;
    Vec3 out {};
    for (std::size_t i = 0; i < 3; ++i)
        out[i] = std::clamp((*m)[i][0] * rgb[0] + (*m)[i][1] * rgb[1] + (*m)[i][2] * rgb[2], 0.0, 1.0);
    return out;
}

Vec3 lab(const Vec3 &rgb)
{
    const double x = (0.4124 * rgb[0] + 0.3576 * rgb[1] + 0.1805 * rgb[2]) / 0.95047;
    const double y = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
    const double z = (0.0193 * rgb[0] + 0.1192 * rgb[1] + 0.9505 * rgb[2]) / 1.08883;
    const auto f = [](double t) { return t > 216.0 / 24389 ? std::cbrt(t) : (24389.0 / 27 * t + 16) / 116; };
    return { 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z)) };
}

double deltaE2000(const Vec3 &p, const Vec3 &q)
{
    constexpr double pi = 3.14159265358979323846;
    const auto rad = [](double deg) { return deg * pi / 180; };
    const double c1 = std::hypot(p[1], p[2]), c2 = std::hypot(q[1], q[2]);
    const double cb = (c1 + c2) / 2;
    const double g = 0.5 * (1 - std::sqrt(std::pow(cb, 7) / (std::pow(cb, 7) + std::pow(25.0, 7))));
    const double a1 = (1 + g) * p[1], a2 = (1 + g) * q[1];
    const double c1p = std::hypot(a1, p[2]), c2p = std::hypot(a2, q[2]);
    const auto hue = [&](double b, double a) {
        const double h = std::atan2(b, a) * 180 / pi;
        return h < 0 ? h + 360 : h;
    };
    const double h1 = hue(p[2], a1), h2 = hue(q[2], a2);
    const double dl = q[0] - p[0], dc = c2p - c1p;
    double dh = 0;
    if (c1p * c2p != 0) {
        dh = h2 - h1;
        if (dh > 180)
            dh -= 360;
        else if (dh < -180)
            dh += 360;
    }
    const double dH = 2 * std::sqrt(c1p * c2p) * std::sin(rad(dh / 2));
    const double lb = (p[0] + q[0]) / 2, cbp = (c1p + c2p) / 2;
    double hb = h1 + h2;
    if (c1p * c2p != 0)
        hb = std::abs(h1 - h2) <= 180 ? (h1 + h2) / 2 : (h1 + h2 < 360 ? (h1 + h2 + 360) / 2 : (h1 + h2 - 360) / 2);
    const double t = 1 - 0.17 * std::cos(rad(hb - 30)) + 0.24 * std::cos(rad(2 * hb)) + 0.32 * std::cos(rad(3 * hb + 6))
        - 0.20 * std::cos(rad(4 * hb - 63));
    const double dth = 30 * std::exp(-std::pow((hb - 275) / 25, 2));
    const double rc = 2 * std::sqrt(std::pow(cbp, 7) / (std::pow(cbp, 7) + std::pow(25.0, 7)));
    const double sl = 1 + 0.015 * (lb - 50) * (lb - 50) / std::sqrt(20 + (lb - 50) * (lb - 50));
    const double sc = 1 + 0.045 * cbp, sh = 1 + 0.015 * cbp * t;
    const double rt = -std::sin(rad(2 * dth)) * rc;
    return std::sqrt(std::pow(dl / sl, 2) + std::pow(dc / sc, 2) + std::pow(dH / sh, 2) + rt * (dc / sc) * (dH / sh));
}
} // namespace

class TestRoughEdges : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void init() { QSettings().clear(); }

    // --- 1. Plots before the first run, legends, starvation ---------------------------------
    void plotsAreReadableBeforeTheFirstRun_data()
    {
        QTest::addColumn<QSize>("size");
        QTest::newRow("1600x1000") << QSize(1600, 1000);
        QTest::newRow("1280x720") << QSize(1280, 720);
    }
    void plotsAreReadableBeforeTheFirstRun()
    {
        QFETCH(QSize, size);
        QTemporaryDir dir;
        MainWindow w;
        QVERIFY(w.openScenario(writeScenario(dir, kTwoDomainsYaml)));
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCoreApplication::processEvents(); // the first layout, sized for the offscreen platform's screen
        w.resize(size);
        QCoreApplication::processEvents();
        // The whole window fits the screen, with room for a panel or taskbar (48 px).
        QVERIFY2(w.minimumSizeHint().height() <= size.height() - 48,
            qPrintable(QStringLiteral("needs %1 px").arg(w.minimumSizeHint().height())));
        QVERIFY2(w.height() <= size.height(), qPrintable(QStringLiteral("%1 px high").arg(w.height())));
        for (LivePlot *p : w.plots()->plots()) {
            waitForReplot(p);
            // Room for data between the tick labels: at least 80 px of plot area, 120 px in all,
            // and nothing cut off at the bottom (the x axis' tick labels).
            QVERIFY2(p->customPlot()->height() >= 120, qPrintable(p->title()));
            QVERIFY2(p->customPlot()->visibleRegion().boundingRect().height() >= p->customPlot()->height(),
                qPrintable(p->title()));
            QVERIFY2(p->axisRectGeometry().height() >= 80,
                qPrintable(QStringLiteral("%1: %2 px").arg(p->title()).arg(p->axisRectGeometry().height())));
            // ... and across: an empty legend once squeezed the axes to a sliver.
            QVERIFY2(p->axisRectGeometry().width() >= p->customPlot()->width() / 2,
                qPrintable(QStringLiteral("%1: %2 of %3 px")
                               .arg(p->title())
                               .arg(p->axisRectGeometry().width())
                               .arg(p->customPlot()->width())));
            const QCPRange y = p->customPlot()->yAxis->range();
            QVERIFY2(y.upper > y.lower && y.upper >= 1, qPrintable(p->title()));
            const QCPRange x = p->customPlot()->xAxis->range();
            QCOMPARE(x.lower, 0.0);
            QCOMPARE(x.upper, 30.0); // the run's length, before a single frame
        }
        QVERIFY(w.plots()->queuePlot()->customPlot()->yAxis->range().upper >= 4);
        QVERIFY(w.plots()->throughputPlot()->customPlot()->yAxis->range().upper >= 10);
    }

    void legendsAreNotClippedInANarrowWindow()
    {
        // Four domains, five entries in the starvation legend, in a plot 300 px wide.
        LivePlots plots;
        plots.resize(620, 520);
        plots.setScenario(parse(kTwoDomainsYaml));
        for (int i = 0; i < 10; ++i)
            plots.addFrame(frameAt(i * 0.05, 1));
        plots.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plots));
        for (LivePlot *p : plots.plots()) {
            waitForReplot(p);
            QCustomPlot *cp = p->customPlot();
            int items = 0;
            for (int i = 0; i < cp->legend->elementCount(); ++i) {
                QCPLayoutElement *item = cp->legend->elementAt(i);
                if (!item)
                    continue;
                ++items;
                // Squeezed below its text's width is clipped too.
                QVERIFY2(item->outerRect().width() >= item->minimumOuterSizeHint().width(),
                    qPrintable(QStringLiteral("%1: legend item %2 is %3 px of %4")
                                   .arg(p->title())
                                   .arg(i)
                                   .arg(item->outerRect().width())
                                   .arg(item->minimumOuterSizeHint().width())));
                const QRect r = item->outerRect();
                QVERIFY2(cp->rect().contains(r),
                    qPrintable(QStringLiteral("%1: legend item %2 at %3,%4 %5x%6 outside %7x%8")
                                   .arg(p->title())
                                   .arg(i)
                                   .arg(r.x())
                                   .arg(r.y())
                                   .arg(r.width())
                                   .arg(r.height())
                                   .arg(cp->width())
                                   .arg(cp->height())));
            }
            QVERIFY(items > 0);
        }
    }

    void starvedStagesAreStepsOnTheirOwnLinearAxis()
    {
        LivePlots plots;
        plots.setScenario(parse(kTwoDomainsYaml));
        plots.addFrame(frameAt(0.05, 3));
        QCustomPlot *cp = plots.starvationPlot()->customPlot();
        const int lag = plots.loopLagSeries();
        QCPGraph *lagGraph = cp->graph(lag);
        QCOMPARE(lagGraph->valueAxis(), cp->yAxis);
        QCOMPARE(cp->yAxis->scaleType(), QCPAxis::stLogarithmic);
        for (DomainKind d : { DomainKind::Threads, DomainKind::Tbb }) {
            QCPGraph *g = cp->graph(plots.starvedSeries(d));
            QCOMPARE(g->valueAxis(), cp->yAxis2);
            QCOMPARE(g->lineStyle(), QCPGraph::lsStepLeft);
            QVERIFY(g->brush().style() != Qt::NoBrush);
            QCOMPARE(g->pen().style(), Qt::NoPen); // shaded areas: no line to mistake for lag
        }
        QCOMPARE(cp->yAxis2->scaleType(), QCPAxis::stLinear);
        QVERIFY(cp->yAxis2->label().contains(QStringLiteral("starved")));
        QVERIFY(qSharedPointerDynamicCast<QCPAxisTickerFixed>(cp->yAxis2->ticker())); // whole numbers
        waitForReplot(plots.starvationPlot());
        // 3 starved stages stay in the lower half of the plot, under the lag.
        QVERIFY(cp->yAxis2->range().upper >= 2 * 3);
    }

    // Two SLA lines close together on a short log-scale plot (the P99 plot at 1280×720): their
    // labels never cover each other, and a label with no room is not drawn rather than clipped.
    void referenceLabelsNeverOverlap()
    {
        LivePlot plot(QStringLiteral("p"), QStringLiteral("v"));
        plot.resize(380, 140);
        plot.setTimeWindow(10);
        plot.setLogScale(LivePlot::Axis::Left, 0.1);
        plot.setMinimumUpper(LivePlot::Axis::Left, 10);
        const int s = plot.addSeries(QStringLiteral("a"), Qt::red);
        for (int i = 0; i <= 100; ++i)
            plot.addPoint(s, i * 0.1, 20);
        plot.addReferenceLine(250, Qt::black, QStringLiteral("SLA 250 ms: fetch, ticker"));
        plot.addReferenceLine(50, Qt::black, QStringLiteral("SLA 50 ms: crunch, pipeline"));
        plot.addReferenceLine(40, Qt::black, QStringLiteral("SLA 40 ms: web"));
        plot.setNow(10.0);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        waitForReplot(&plot);
        const QRectF area = plot.axisRectGeometry();
        int shown = 0;
        for (int i = 0; i < 3; ++i) {
            const QRectF r = plot.referenceLabelRect(i);
            if (r.isEmpty())
                continue;
            ++shown;
            QVERIFY2(
                area.adjusted(-1, -1, 1, 1).contains(r), qPrintable(QStringLiteral("label %1 leaves the plot").arg(i)));
            for (int j = 0; j < i; ++j)
                QVERIFY2(!r.intersects(plot.referenceLabelRect(j)),
                    qPrintable(QStringLiteral("labels %1 and %2").arg(j).arg(i)));
        }
        QVERIFY2(shown >= 2, qPrintable(QString::number(shown)));
    }

    // --- 2. Marker labels -------------------------------------------------------------------
    void markerLabelsNeverOverlapAndStayInside()
    {
        LivePlot plot(QStringLiteral("p"), QStringLiteral("v"));
        plot.resize(520, 260);
        plot.setTimeWindow(10);
        const int s = plot.addSeries(QStringLiteral("a"), Qt::red);
        for (int i = 0; i <= 200; ++i)
            plot.addPoint(s, i * 0.05, 5);
        plot.addReferenceLine(5.2, Qt::darkGreen, QStringLiteral("SLA 40 ms: web, batch"));
        // Crowded at the right edge, where the SLA label is.
        for (int i = 0; i < 6; ++i)
            plot.addMarker(9.0 + i * 0.15, QStringLiteral("threads: 8 → %1 workers").arg(i + 2),
                QStringLiteral("threads pool resized (%1)").arg(i));
        plot.setNow(10.0);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        waitForReplot(&plot);
        const QRect area = plot.axisRectGeometry();
        const QRectF sla = plot.referenceLabelRect(0);
        QVERIFY(!sla.isEmpty());
        QVERIFY(QRectF(area).contains(sla)); // a line near the top has its label under it
        int shown = 0;
        for (int i = 0; i < 6; ++i) {
            const QRectF r = plot.markerLabelRect(i);
            QVERIFY(plot.markerToolTip(i).contains(QStringLiteral("pool resized")));
            if (r.isEmpty())
                continue;
            ++shown;
            QVERIFY2(QRectF(area).contains(r), qPrintable(QStringLiteral("label %1 leaves the plot").arg(i)));
            QVERIFY2(!r.intersects(sla), qPrintable(QStringLiteral("label %1 covers the SLA label").arg(i)));
            for (int j = 0; j < i; ++j)
                QVERIFY2(!r.intersects(plot.markerLabelRect(j)),
                    qPrintable(QStringLiteral("labels %1 and %2").arg(j).arg(i)));
        }
        QVERIFY2(shown >= 4, qPrintable(QString::number(shown)));
    }

    void markerLabelsAreHuman_data()
    {
        QTest::addColumn<QString>("event");
        QTest::addColumn<QString>("label");
        QTest::newRow("resize") << QStringLiteral("threads workers → 2") << QStringLiteral("threads: 8 → 2 workers");
        QTest::newRow("unlimited") << QStringLiteral("threads queue 0, max_inflight 0, on_full reject")
                                   << QStringLiteral("threads: max in flight 100 → ∞");
        QTest::newRow("bounded") << QStringLiteral("tbb queue 50, max_inflight 0, on_full block")
                                 << QStringLiteral("tbb: queue ∞ → 50, when full reject → block");
        QTest::newRow("route") << QStringLiteral("web.fetch → tbb") << QStringLiteral("web.fetch → tbb");
        QTest::newRow("gil") << QStringLiteral("GIL on") << QStringLiteral("GIL on");
    }
    void markerLabelsAreHuman()
    {
        QFETCH(QString, event);
        QFETCH(QString, label);
        LivePlots plots;
        plots.setScenario(parse(kTwoDomainsYaml));
        const EventText text = plots.describeEvent(RunEvent { 1.0, event, QString() });
        QCOMPARE(text.label, label);
        QVERIFY(!text.label.contains(QStringLiteral("max_inflight")));
        QVERIFY(!text.detail.isEmpty());
        if (event.contains(QStringLiteral("fetch")))
            QCOMPARE(text.detail, QStringLiteral("stage web.fetch moved from threads to tbb"));
    }

    void longMarkerLabelsAreCutWithTheFullTextOnHover()
    {
        LivePlots plots;
        plots.setScenario(parse(kTwoDomainsYaml));
        const QString raw = QStringLiteral("procs: worker 3 exited with SIGKILL after 12 stages; restarted");
        const EventText text = plots.describeEvent(RunEvent { 1.0, raw, QString() });
        QVERIFY(text.label.size() <= LivePlots::kMaxLabelChars);
        QVERIFY(text.label.endsWith(QStringLiteral("…")));
        QCOMPARE(text.detail, raw);
        // Later events read the settings as the earlier ones left them.
        QCOMPARE(plots.describeEvent(RunEvent { 2.0, QStringLiteral("threads workers → 4"), QString() }).label,
            QStringLiteral("threads: 8 → 4 workers"));
        QCOMPARE(plots.describeEvent(RunEvent { 3.0, QStringLiteral("threads workers → 6"), QString() }).label,
            QStringLiteral("threads: 4 → 6 workers"));
    }

    // --- 3. Domain cards --------------------------------------------------------------------
    void unusedDomainCardsSaySo()
    {
        QTemporaryDir dir;
        MainWindow w;
        QVERIFY(w.openScenario(writeScenario(dir, kTwoDomainsYaml)));
        for (DomainKind d : { DomainKind::Loop, DomainKind::Procs }) {
            QVERIFY(!w.domainCard(d)->isUsed());
            QCOMPARE(w.domainCard(d)->statusText(), QStringLiteral("not used by this scenario"));
        }
        for (DomainKind d : { DomainKind::Threads, DomainKind::Tbb }) {
            QVERIFY(w.domainCard(d)->isUsed());
            QVERIFY(w.domainCard(d)->statusText().isEmpty());
        }
        // Routing a stage there makes it used; its controls worked all along.
        QVERIFY(w.domainCard(DomainKind::Procs)->workersSpinBox()->isEnabled());
        RoutingModel *m = w.routingTable()->routingModel();
        QVERIFY(m->setData(
            m->index(m->rowOf(QStringLiteral("batch.crunch")), RoutingModel::DomainColumn), int(DomainKind::Procs)));
        QVERIFY(w.domainCard(DomainKind::Procs)->isUsed());
        QVERIFY(w.domainCard(DomainKind::Procs)->statusText().isEmpty());
    }

    void unlimitedIsAnExplicitChoice()
    {
        DomainCard card(DomainKind::Threads);
        DomainConfig c;
        c.workers = 4;
        c.queue = 0;
        c.maxInflight = 50;
        card.setConfig(c);
        QVERIFY(card.queueUnlimitedCheckBox()->isChecked());
        QVERIFY(!card.queueSpinBox()->isEnabled());
        QCOMPARE(card.queueSpinBox()->text(), QStringLiteral("∞"));
        QVERIFY(!card.maxInflightUnlimitedCheckBox()->isChecked());
        QCOMPARE(card.config().queue, 0);
        QCOMPARE(card.config().maxInflight, 50);

        // A bound starts at 1: typing 0 cannot mean "unlimited".
        QSignalSpy spy(&card, &DomainCard::backpressureRequested);
        card.queueUnlimitedCheckBox()->setChecked(false);
        QVERIFY(card.queueSpinBox()->isEnabled());
        QCOMPARE(card.queueSpinBox()->minimum(), 1);
        card.queueSpinBox()->setValue(0);
        QCOMPARE(card.config().queue, 1);
        // Ticking "unlimited" gives the format's 0, and back.
        card.maxInflightUnlimitedCheckBox()->setChecked(true);
        card.flushPending();
        QCOMPARE(spy.count(), 1);
        const auto bp = spy.last().at(1).value<Backpressure>();
        QCOMPARE(bp.queue, 1);
        QCOMPARE(bp.maxInflight, 0);
        card.maxInflightUnlimitedCheckBox()->setChecked(false);
        QCOMPARE(card.config().maxInflight, 50); // the last bound comes back
    }

    void workersTakeTheFormatsRange()
    {
        DomainCard card(DomainKind::Tbb);
        QCOMPARE(card.workersSpinBox()->maximum(), 4096); // fieldrules.cpp: domains.*.workers 1..4096
        card.workersSpinBox()->setValue(4096);
        QCOMPARE(card.config().workers, 4096);
        QCOMPARE(card.queueSpinBox()->maximum(), 10000000); // queue and max_inflight 0..1e7
        QCOMPARE(card.maxInflightSpinBox()->maximum(), 10000000);
    }

    // --- 4. Changed from the file, warnings -------------------------------------------------
    void controlsShowWhenTheyDifferFromTheFile()
    {
        DomainCard card(DomainKind::Threads);
        DomainConfig file;
        file.workers = 4;
        file.queue = 0;
        card.setFileConfig(file);
        card.setConfig(file);
        QVERIFY(card.changedFromFile().isEmpty());
        card.workersSpinBox()->setValue(6);
        card.queueUnlimitedCheckBox()->setChecked(false);
        QCOMPARE(card.changedFromFile(), (QStringList { QStringLiteral("workers"), QStringLiteral("queue") }));
        bool workersMarked = false, queueMarked = false;
        for (QLabel *l : card.findChildren<QLabel *>()) {
            workersMarked |= l->text() == QStringLiteral("Workers ●")
                && l->toolTip().contains(QStringLiteral("file: 4")) && l->font().bold();
            queueMarked |= l->text() == QStringLiteral("Queue ●") && l->toolTip().contains(QStringLiteral("file: ∞"));
        }
        QVERIFY(workersMarked);
        QVERIFY(queueMarked);
        card.setConfig(file);
        QVERIFY(card.changedFromFile().isEmpty());

        // Routes: the combo of a moved stage is bold and names the file's domain.
        RoutingModel model;
        const Scenario s = parse(kTwoDomainsYaml);
        model.setScenario(s);
        model.setFileScenario(s);
        RoutingTable table;
        table.setRoutingModel(&model);
        const int row = model.rowOf(QStringLiteral("web.fetch"));
        QVERIFY(!model.isChangedFromFile(row));
        QVERIFY(!table.comboBox(row)->font().bold());
        table.comboBox(row)->setCurrentIndex(table.comboBox(row)->findData(int(DomainKind::Tbb)));
        QCOMPARE(model.routeOf(QStringLiteral("web.fetch")), DomainKind::Tbb);
        QVERIFY(model.isChangedFromFile(row));
        QTRY_VERIFY_WITH_TIMEOUT(table.comboBox(row)->font().bold(), 2000);
        QVERIFY(table.comboBox(row)->toolTip().contains(QStringLiteral("file: threads")));
    }

    void absurdPoolsWarnAndSayWhy()
    {
        QTemporaryDir dir;
        MainWindow w;
        QVERIFY(w.openScenario(writeScenario(dir, kProcsYaml)));
        QVERIFY(w.domainCard(DomainKind::Threads)->warnings().isEmpty());
        QVERIFY(w.domainCard(DomainKind::Procs)->warnings().isEmpty());
        for (DomainKind d : { DomainKind::Threads, DomainKind::Procs }) {
            w.domainCard(d)->workersSpinBox()->setValue(4096);
            w.domainCard(d)->flushPending();
        }
        const QStringList threads = w.domainCard(DomainKind::Threads)->warnings();
        const QStringList procs = w.domainCard(DomainKind::Procs)->warnings();
        QVERIFY2(!threads.isEmpty() && threads.join(QLatin1Char(' ')).contains(QStringLiteral("in all")),
            qPrintable(threads.join(QLatin1Char('|'))));
        QVERIFY2(!procs.isEmpty() && procs.join(QLatin1Char(' ')).contains(QStringLiteral("cores")),
            qPrintable(procs.join(QLatin1Char('|'))));
        // Back to sane sizes: the warnings go.
        for (DomainKind d : { DomainKind::Threads, DomainKind::Procs }) {
            w.domainCard(d)->workersSpinBox()->setValue(2);
            w.domainCard(d)->flushPending();
        }
        QVERIFY(w.domainCard(DomainKind::Threads)->warnings().isEmpty());
        QVERIFY(w.domainCard(DomainKind::Procs)->warnings().isEmpty());
    }

    // --- 5. Docks ---------------------------------------------------------------------------
    void domainCardsScrollInsteadOfClipping()
    {
        QTemporaryDir dir;
        MainWindow w;
        QVERIFY(w.openScenario(writeScenario(dir, kTwoDomainsYaml)));
        w.resize(1280, 720);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        auto *dock = w.findChild<QDockWidget *>(QStringLiteral("domainsDock"));
        auto *scroll = w.findChild<QScrollArea *>(QStringLiteral("domainsScroll"));
        QVERIFY(dock && scroll);
        w.resizeDocks({ dock }, { 220 }, Qt::Horizontal);
        QTRY_VERIFY_WITH_TIMEOUT(dock->width() < 300, 2000);
        QWidget *host = scroll->widget();
        for (DomainKind d : kAllDomains) {
            DomainCard *card = w.domainCard(d);
            QVERIFY(card->width() >= card->minimumSizeHint().width());
        }
        // What does not fit the viewport can be scrolled to.
        QTRY_VERIFY_WITH_TIMEOUT(
            host->width() <= scroll->viewport()->width() || scroll->horizontalScrollBar()->isVisible(), 2000);
        QVERIFY(host->width() - scroll->viewport()->width() <= scroll->horizontalScrollBar()->maximum());
        QVERIFY(host->height() - scroll->viewport()->height() <= scroll->verticalScrollBar()->maximum());
    }

    void resetLayoutRestoresTheDefault()
    {
        QTemporaryDir dir;
        MainWindow w;
        QVERIFY(w.openScenario(writeScenario(dir, kTwoDomainsYaml)));
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        auto *domains = w.findChild<QDockWidget *>(QStringLiteral("domainsDock"));
        auto *routing = w.findChild<QDockWidget *>(QStringLiteral("routingDock"));
        auto *findings = w.findChild<QDockWidget *>(QStringLiteral("findingsDock"));
        auto *reset = w.findChild<QAction *>(QStringLiteral("resetLayoutAction"));
        QVERIFY(domains && routing && findings && reset);
        const QSize window = w.size();
        // The default fits the screen (the offscreen one is 800×600), frame included.
        QVERIFY(w.frameGeometry().width() <= w.screen()->availableGeometry().width());
        QVERIFY(window.height() <= w.screen()->availableGeometry().height());
        QTRY_VERIFY_WITH_TIMEOUT(domains->isVisible() && domains->width() > 100, 2000);
        const QRect domainsGeometry = domains->geometry();
        const QRect findingsGeometry = findings->geometry();

        // Mess it up, and have it saved.
        domains->setFloating(true);
        routing->hide();
        w.removeDockWidget(findings);
        w.addDockWidget(Qt::LeftDockWidgetArea, findings);
        findings->show();
        w.resize(1100, 700);
        QSettings().setValue(QStringLiteral("window/state"), w.saveState());
        QTRY_COMPARE_WITH_TIMEOUT(w.size(), QSize(1100, 700), 2000);

        reset->trigger();
        QVERIFY(!QSettings().contains(QStringLiteral("window/state")));
        QVERIFY(!QSettings().contains(QStringLiteral("window/geometry")));
        QTRY_COMPARE_WITH_TIMEOUT(w.size(), window, 2000);
        QVERIFY(!domains->isFloating());
        QVERIFY(routing->isVisible());
        QCOMPARE(w.dockWidgetArea(domains), Qt::RightDockWidgetArea);
        QCOMPARE(w.dockWidgetArea(routing), Qt::RightDockWidgetArea);
        QCOMPARE(w.dockWidgetArea(findings), Qt::BottomDockWidgetArea);
        const auto near = [](const QRect &a, const QRect &b) {
            return std::abs(a.x() - b.x()) <= 8 && std::abs(a.y() - b.y()) <= 8 && std::abs(a.width() - b.width()) <= 8
                && std::abs(a.height() - b.height()) <= 8;
        };
        QTRY_VERIFY_WITH_TIMEOUT(near(domains->geometry(), domainsGeometry), 2000);
        QTRY_VERIFY_WITH_TIMEOUT(near(findings->geometry(), findingsGeometry), 2000);
    }

    void routingCombosNeverElideDomainNames()
    {
        RoutingModel model;
        Scenario s = parse(kTwoDomainsYaml);
        s.classes[0].name = QStringLiteral("a_rather_long_class_name_for_the_table");
        model.setScenario(s);
        RoutingTable table;
        table.setRoutingModel(&model);
        table.resize(260, 200); // narrower than stage, work and domain together
        table.show();
        QVERIFY(QTest::qWaitForWindowExposed(&table));
        for (int row = 0; row < model.rowCount(); ++row) {
            QComboBox *combo = table.comboBox(row);
            QVERIFY(combo);
            for (DomainKind d : kAllDomains) {
                combo->setCurrentIndex(combo->findData(int(d)));
                QFont bold = combo->font();
                bold.setBold(true);
                const int textWidth = QFontMetrics(bold).horizontalAdvance(domainName(d));
                // Text, swatch and arrow: the combo's own size hint covers them all.
                QVERIFY2(combo->width() >= combo->sizeHint().width(), qPrintable(domainName(d)));
                QVERIFY(combo->width() >= textWidth + combo->iconSize().width());
            }
        }
    }

    // --- Screenshots, for looking at (HS_SCREENSHOT_DIR=dir; skipped otherwise) ---------------
    void screenshots_data()
    {
        QTest::addColumn<QSize>("size");
        QTest::newRow("1600x1000") << QSize(1600, 1000);
        QTest::newRow("1280x720") << QSize(1280, 720);
    }
    void screenshots()
    {
        const QString out = qEnvironmentVariable("HS_SCREENSHOT_DIR");
        if (out.isEmpty())
            QSKIP("set HS_SCREENSHOT_DIR to write screenshots");
        QFETCH(QSize, size);
        const QString tag = QStringLiteral("%1x%2").arg(size.width()).arg(size.height());
        MainWindow w;
        QVERIFY(w.openScenario(QStringLiteral("pipeline")));
        w.resize(size);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        for (LivePlot *p : w.plots()->plots())
            waitForReplot(p);
        QVERIFY(w.grab().save(out + QStringLiteral("/first-%1.png").arg(tag)));
        // A run with live changes close together near the end of the view.
        w.run();
        QTRY_VERIFY_WITH_TIMEOUT(w.plots()->framesSeen() >= 40, 20000);
        DomainCard *threads = w.domainCard(DomainKind::Threads);
        threads->workersSpinBox()->setValue(2);
        threads->flushPending();
        threads->maxInflightUnlimitedCheckBox()->setChecked(!threads->maxInflightUnlimitedCheckBox()->isChecked());
        threads->flushPending();
        RoutingModel *m = w.routingModel();
        if (m->rowCount() > 0)
            m->setData(m->index(0, RoutingModel::DomainColumn), int(DomainKind::Tbb));
        QTRY_VERIFY_WITH_TIMEOUT(w.plots()->framesSeen() >= 80, 20000);
        for (LivePlot *p : w.plots()->plots())
            waitForReplot(p);
        QVERIFY(w.grab().save(out + QStringLiteral("/run-%1.png").arg(tag)));
        w.stop();
        w.stop();
        QTRY_VERIFY_WITH_TIMEOUT(!w.isRunning(), 15000);
    }

    // --- 6. Class palette -------------------------------------------------------------------
    void classColoursStayDistinct_data()
    {
        QTest::addColumn<int>("vision"); // 0 normal, 1 protanopia, 2 deuteranopia
        QTest::addColumn<double>("minimum");
        // CIEDE2000: about 2 is a just noticeable difference; lines of 1 px need far more. 15 apart
        // for normal vision; 8 under simulated protanopia and deuteranopia (red-green blindness, about
        // 6 % of men), where ten colours cannot all be far apart.
        QTest::newRow("normal vision") << 0 << 15.0;
        QTest::newRow("protanopia") << 1 << 8.0;
        QTest::newRow("deuteranopia") << 2 << 8.0;
    }
    void classColoursStayDistinct()
    {
        QFETCH(int, vision);
        QFETCH(double, minimum);
        const Mat3 *m = vision == 1 ? &kProtanopia : vision == 2 ? &kDeuteranopia : nullptr;
        QPalette light;
        light.setColor(QPalette::Window, Qt::white);
        QCOMPARE(kClassColorCount, 10);
        for (int i = 0; i < kClassColorCount; ++i)
            for (int j = 0; j < i; ++j) {
                const double d = deltaE2000(lab(simulate(m, linearRgb(classColor(i, light)))),
                    lab(simulate(m, linearRgb(classColor(j, light)))));
                QVERIFY2(d >= minimum,
                    qPrintable(QStringLiteral("classes %1 (%2) and %3 (%4): ΔE2000 %5")
                                   .arg(j)
                                   .arg(classColor(j, light).name())
                                   .arg(i)
                                   .arg(classColor(i, light).name())
                                   .arg(d, 0, 'f', 1)));
            }
        // And the plots use it.
        LivePlots plots;
        plots.setPalette(light);
        plots.setScenario(parse(kTwoDomainsYaml));
        QCOMPARE(plots.latencyPlot()->seriesColor(plots.latencySeries(1)), classColor(1, light));
    }
};

QTEST_MAIN(TestRoughEdges)
#include "tst_roughedges.moc"
