// The GUI's parts one at a time: live plots (downsampling, coalesced replots, pause, markers,
// hover text), the routing and findings models, the live findings rules, the domain card's
// coalescing, the lag monitor and the scenario panel.

#include "domaincard.h"
#include "domains/resources.h"
#include "domainstyle.h"
#include "enginetest.h"
#include "findingsmodel.h"
#include "lagmonitor.h"
#include "livefindings.h"
#include "liveplot.h"
#include "liveplots.h"
#include "routingmodel.h"
#include "scenariopanel.h"

#include "core/clock.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QLabel>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTest>
#include <QWheelEvent>

using namespace hs;

namespace {
Scenario twoClassScenario()
{
    QString error;
    const auto s = test::scenarioFromYaml(R"(
name: Two classes
duration: 1s
sla: { p99: 40ms }
domains:
  threads: { workers: 3, queue: 50, on_full: block }
  tbb: { workers: 2 }
classes:
  - name: web
    arrival: { process: constant, rate: 10/s }
    stages:
      - { name: fetch, work: block, time: 1ms, domain: threads }
      - { name: render, work: cpu, time: 1ms, domain: tbb }
  - name: tick
    arrival: { process: constant, rate: 10/s }
    sla: { p99: 5ms }
    stages:
      - { name: wait, work: async, time: 1ms, domain: loop }
)",
        &error);
    if (!s)
        qFatal("test scenario does not parse: %s", qPrintable(error));
    return *s;
}

Frame frameAt(double t, double loopLagMs = 0)
{
    Frame f;
    f.t = t;
    f.loopLagMs = loopLagMs;
    for (DomainKind d : kAllDomains)
        f.domains[std::size_t(d)].workers = d == DomainKind::Loop ? 1 : 2;
    return f;
}
} // namespace

class TestUiParts : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    // --- LivePlot -------------------------------------------------------------------
    void plotDownsamplesOldHistoryKeepingPeaks()
    {
        LivePlot plot(QStringLiteral("p"), QStringLiteral("v"));
        const int s = plot.addSeries(QStringLiteral("threads"), domainColor(DomainKind::Threads));
        // 1000 s at 20 Hz: five times the cap, with one spike long before the recent window.
        for (int i = 0; i < 20000; ++i) {
            const double t = i * 0.05;
            plot.addPoint(s, t, i == 2001 ? 1000.0 : 1.0);
        }
        QVERIFY2(plot.pointCount(s) <= LivePlot::kMaxPointsPerSeries, qPrintable(QString::number(plot.pointCount(s))));
        QVERIFY(plot.pointCount(s) >= LivePlot::kMaxPointsPerSeries / 2);
        QCOMPARE(plot.maxValue(s), 1000.0);
        // The most recent seconds keep every point (20 per second).
        const double last = 19999 * 0.05;
        QCOMPARE(plot.pointCount(s, last - 60.0 + 0.025, last), 1200);
        QCOMPARE(plot.lastValue(s), 1.0);
    }

    void plotCoalescesReplots()
    {
        LivePlot plot(QStringLiteral("p"), QStringLiteral("v"));
        const int s = plot.addSeries(QStringLiteral("a"), Qt::red);
        QCOMPARE(plot.replotCount(), 0);
        for (int i = 0; i < 200; ++i) {
            plot.addPoint(s, i * 0.05, i);
            plot.setNow(i * 0.05);
        }
        QTRY_VERIFY_WITH_TIMEOUT(plot.replotCount() >= 1, 5000);
        QCOMPARE(plot.replotCount(), 1); // 400 requests, one replot
    }

    void plotFollowsTheRunAndCanBePaused()
    {
        LivePlot plot(QStringLiteral("p"), QStringLiteral("v"));
        plot.resize(600, 300);
        plot.setTimeWindow(30);
        const int s = plot.addSeries(QStringLiteral("a"), Qt::red);
        for (int i = 0; i <= 800; ++i)
            plot.addPoint(s, i * 0.05, 1);
        plot.setNow(40.0);
        QTRY_VERIFY_WITH_TIMEOUT(plot.replotCount() >= 1, 5000);
        QCOMPARE(plot.timeRange().first, 10.0);
        QCOMPARE(plot.timeRange().second, 40.0);

        // Zooming in on the history pauses the view while data keeps arriving.
        QSignalSpy live(&plot, &LivePlot::liveChanged);
        plot.showTimeRange(5, 15);
        QVERIFY(!plot.isLive());
        QCOMPARE(live.count(), 1);
        for (int i = 801; i <= 1200; ++i)
            plot.addPoint(s, i * 0.05, 2);
        plot.setNow(60.0);
        QCOMPARE(plot.pointCount(s), 1201);
        const int replots = plot.replotCount();
        plot.requestReplot();
        QTRY_VERIFY_WITH_TIMEOUT(plot.replotCount() > replots, 5000);
        QCOMPARE(plot.timeRange().first, 5.0);
        QCOMPARE(plot.timeRange().second, 15.0);

        // Live again: the axis jumps to the run's clock.
        plot.setLive(true);
        QTRY_COMPARE_WITH_TIMEOUT(plot.timeRange().second, 60.0, 5000);
        QCOMPARE(plot.timeRange().first, 30.0);
    }

    void plotWheelZoomPauses()
    {
        LivePlot plot(QStringLiteral("p"), QStringLiteral("v"));
        plot.resize(600, 300);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        const int s = plot.addSeries(QStringLiteral("a"), Qt::red);
        for (int i = 0; i < 100; ++i)
            plot.addPoint(s, i * 0.05, i);
        QTRY_VERIFY_WITH_TIMEOUT(plot.replotCount() >= 1, 5000); // laid out: the axis rect has its place
        QVERIFY(plot.isLive());
        QWidget *area = plot.plotWidget();
        const QPointF center(area->width() / 2.0, area->height() / 2.0);
        QWheelEvent wheel(center, area->mapToGlobal(center), QPoint(), QPoint(0, 120), Qt::NoButton, Qt::NoModifier,
            Qt::NoScrollPhase, false);
        QApplication::sendEvent(area, &wheel);
        QVERIFY(!plot.isLive());
    }

    void plotMarkersAndReferenceLines()
    {
        LivePlot plot(QStringLiteral("p"), QStringLiteral("ms"));
        plot.addReferenceLine(250, Qt::black, QStringLiteral("SLA 250 ms"));
        QCOMPARE(plot.referenceLineCount(), 1);
        QCOMPARE(plot.referenceValue(0), 250.0);
        plot.addMarker(1.5, QStringLiteral("threads workers → 4"));
        plot.addMarker(2.5, QStringLiteral("web.fetch → tbb"));
        QCOMPARE(plot.markerLabels(),
            QStringList({ QStringLiteral("threads workers → 4"), QStringLiteral("web.fetch → tbb") }));
        for (int i = 0; i < LivePlot::kMaxMarkers; ++i)
            plot.addMarker(3 + i, QStringLiteral("m%1").arg(i));
        QCOMPARE(plot.markerLabels().size(), LivePlot::kMaxMarkers);
        // The two oldest went first.
        QCOMPARE(plot.markerLabels().first(), QStringLiteral("m0"));
        QVERIFY(!plot.markerLabels().contains(QStringLiteral("web.fetch → tbb")));
        QCOMPARE(plot.markerTimes().front(), 3.0);
        plot.clear();
        QCOMPARE(plot.markerLabels().size(), 0);
        QCOMPARE(plot.referenceLineCount(), 0);
        QCOMPARE(plot.seriesCount(), 0);
    }

    void plotHoverText()
    {
        LivePlot plot(QStringLiteral("p"), QStringLiteral("v"));
        const int a = plot.addSeries(QStringLiteral("loop"), Qt::red);
        const int b = plot.addSeries(QStringLiteral("threads"), Qt::blue);
        plot.addPoint(a, 1.0, 3);
        plot.addPoint(a, 2.0, 7);
        plot.addPoint(b, 1.5, 12.5);
        QCOMPARE(plot.valuesAt(1.7), QStringLiteral("t 1.70 s\nloop: 3\nthreads: 12.5"));
        QCOMPARE(plot.valuesAt(0.5), QStringLiteral("t 0.50 s")); // nothing yet at that time
    }

    void plotFollowsThePalette()
    {
        LivePlot plot(QStringLiteral("p"), QStringLiteral("v"));
        plot.resize(400, 250);
        const auto background = [&plot] {
            const int before = plot.replotCount();
            plot.requestReplot();
            if (!QTest::qWaitFor([&] { return plot.replotCount() > before; }, 5000))
                return QColor();
            const QImage img = plot.plotWidget()->grab().toImage();
            return img.pixelColor(2, 2); // a corner outside the axes: the plot's background
        };
        QPalette dark;
        dark.setColor(QPalette::Window, QColor(35, 35, 38));
        dark.setColor(QPalette::Base, QColor(20, 20, 24));
        dark.setColor(QPalette::Text, QColor(230, 230, 230));
        plot.setPalette(dark);
        QCOMPARE(background(), QColor(20, 20, 24));
        QPalette light;
        light.setColor(QPalette::Window, QColor(240, 240, 240));
        light.setColor(QPalette::Base, Qt::white);
        light.setColor(QPalette::Text, Qt::black);
        plot.setPalette(light);
        QCOMPARE(background(), QColor(Qt::white));
        // Domain colours stay the same hues, lighter on a dark theme so that they read.
        QVERIFY(isDarkPalette(dark));
        QVERIFY(!isDarkPalette(light));
        for (DomainKind d : kAllDomains) {
            QVERIFY(domainColor(d, dark).lightness() > domainColor(d, light).lightness());
            QCOMPARE(domainColor(d, dark).hslHue(), domainColor(d, light).hslHue());
            for (DomainKind o : kAllDomains)
                if (o != d)
                    QVERIFY(domainColor(d) != domainColor(o));
        }
    }

    // --- RoutingModel ---------------------------------------------------------------
    void routingModelListsEveryStage()
    {
        RoutingModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const Scenario s = twoClassScenario();
        model.setScenario(s);
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.keyAt(0), QStringLiteral("web.fetch"));
        QCOMPARE(model.keyAt(1), QStringLiteral("web.render"));
        QCOMPARE(model.keyAt(2), QStringLiteral("tick.wait"));
        QCOMPARE(model.routeOf(QStringLiteral("web.render")), DomainKind::Tbb);
        QCOMPARE(model.data(model.index(0, RoutingModel::WorkColumn)).toString(), QStringLiteral("block 1ms"));
        QCOMPARE(model.data(model.index(2, RoutingModel::DomainColumn)).toString(), QStringLiteral("loop"));
        QVERIFY(model.flags(model.index(0, RoutingModel::DomainColumn)) & Qt::ItemIsEditable);
        QVERIFY(!(model.flags(model.index(0, RoutingModel::StageColumn)) & Qt::ItemIsEditable));
    }

    void routingModelAnnouncesEdits()
    {
        RoutingModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setScenario(twoClassScenario());
        QSignalSpy changed(&model, &RoutingModel::routeChanged);
        const QModelIndex i = model.index(0, RoutingModel::DomainColumn);
        QVERIFY(model.setData(i, int(DomainKind::Procs)));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.at(0).at(0).toString(), QStringLiteral("web.fetch"));
        QCOMPARE(changed.at(0).at(1).value<DomainKind>(), DomainKind::Procs);
        QCOMPARE(changed.at(0).at(2).value<DomainKind>(), DomainKind::Threads);
        QVERIFY(!model.setData(i, 9)); // not a domain
        QVERIFY(!model.setData(model.index(0, 0), 1)); // not the domain column
        QVERIFY(model.setData(i, int(DomainKind::Procs))); // unchanged: nothing announced
        QCOMPARE(changed.count(), 1);
        // Putting a route back (a refused reassignment) is silent.
        QVERIFY(model.setRoute(QStringLiteral("web.fetch"), DomainKind::Threads));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(model.routeOf(QStringLiteral("web.fetch")), DomainKind::Threads);
        QVERIFY(!model.setRoute(QStringLiteral("nope.stage"), DomainKind::Tbb));
        model.setAvailableDomains({ true, true, true, false });
        QVERIFY(!model.isDomainAvailable(DomainKind::Procs));
    }

    // --- FindingsModel --------------------------------------------------------------
    void findingsModelGrowsWithoutReset()
    {
        FindingsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        std::vector<Finding> f(1);
        f[0].rule = QStringLiteral("loop_lag");
        f[0].domain = DomainKind::Loop;
        f[0].fromS = 1;
        f[0].toS = 1;
        f[0].message = QStringLiteral("loop lag up to 30 ms");
        model.setFindings(f);
        f[0].toS = 2.5; // the alert goes on
        Finding q;
        q.rule = QStringLiteral("queue_depth");
        q.domain = DomainKind::Threads;
        q.fromS = 2;
        f.push_back(q);
        model.setFindings(f);
        QCOMPARE(reset.count(), 0);
        QCOMPARE(inserted.count(), 2);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.data(model.index(0, FindingsModel::WhenColumn)).toString(), QStringLiteral("1.0–2.5 s"));
        QCOMPARE(model.data(model.index(1, FindingsModel::WhereColumn)).toString(), QStringLiteral("threads"));
        // A different list (the whole-run diagnosis) replaces it.
        model.setFindings({ q });
        QCOMPARE(reset.count(), 1);
        QCOMPARE(model.rowCount(), 1);
    }

    // --- LiveFindings ---------------------------------------------------------------
    void liveFindings_data()
    {
        QTest::addColumn<QList<double>>("lagMs"); // one frame per value, 20 per second
        QTest::addColumn<QList<int>>("threadsQueue"); // same frames; threads has 2 workers
        QTest::addColumn<QStringList>("expected"); // "rule from-to" per finding

        const QList<int> noQueue;
        QList<double> quiet(40, 0.5);
        QTest::newRow("quiet") << quiet << noQueue << QStringList();
        QList<double> lag = quiet;
        for (int i = 10; i <= 14; ++i)
            lag[i] = 150;
        QTest::newRow("lag once") << lag << noQueue << QStringList({ QStringLiteral("loop_lag 0.50-0.70") });
        QList<double> atThreshold = quiet;
        atThreshold[5] = 100; // the threshold itself is not above it
        QTest::newRow("lag at threshold") << atThreshold << noQueue << QStringList();
        QList<double> twoClose = lag;
        twoClose[25] = 300; // 0.5 s after the first burst: the same finding
        QTest::newRow("bursts merge") << twoClose << noQueue << QStringList({ QStringLiteral("loop_lag 0.50-1.25") });
        QList<double> twoApart(120, 0.5);
        twoApart[2] = 200;
        twoApart[100] = 200; // 4.9 s later: a second finding
        QTest::newRow("bursts apart") << twoApart << noQueue
                                      << QStringList({ QStringLiteral("loop_lag 0.10-0.10"),
                                             QStringLiteral("loop_lag 5.00-5.00") });

        QList<double> flat(60, 0.5);
        QList<int> shortDeep(60, 0);
        for (int i = 10; i < 26; ++i)
            shortDeep[i] = 9; // 0.75 s above 2 x workers: not sustained
        QTest::newRow("queue spike") << flat << shortDeep << QStringList();
        QList<int> sustained(60, 0);
        for (int i = 10; i < 40; ++i)
            sustained[i] = 9;
        QTest::newRow("queue sustained") << flat << sustained
                                         << QStringList({ QStringLiteral("queue_depth 0.50-1.95") });
        QList<int> atLimit(60, 4); // exactly 2 x workers
        QTest::newRow("queue at limit") << flat << atLimit << QStringList();
    }

    void liveFindings()
    {
        QFETCH(QList<double>, lagMs);
        QFETCH(QList<int>, threadsQueue);
        QFETCH(QStringList, expected);
        Scenario s = twoClassScenario();
        s.starvationThreshold = 0.100;
        LiveFindings live;
        live.reset(s);
        for (int i = 0; i < lagMs.size(); ++i) {
            Frame f = frameAt(i * 0.05, lagMs[i]);
            if (i < threadsQueue.size())
                f.domains[std::size_t(DomainKind::Threads)].queue = threadsQueue[i];
            live.addFrame(f);
        }
        QStringList got;
        for (const Finding &f : live.findings())
            got << QStringLiteral("%1 %2-%3").arg(f.rule).arg(f.fromS, 0, 'f', 2).arg(f.toS, 0, 'f', 2);
        QCOMPARE(got, expected);
        for (const Finding &f : live.findings()) {
            QVERIFY(!f.message.isEmpty());
            QVERIFY(!f.advice.isEmpty());
            QVERIFY(f.domain.has_value());
        }
    }

    // --- DomainCard -----------------------------------------------------------------
    void domainCardShowsConfig()
    {
        DomainCard card(DomainKind::Threads);
        QSignalSpy workers(&card, &DomainCard::workersRequested);
        QSignalSpy bp(&card, &DomainCard::backpressureRequested);
        const Scenario s = twoClassScenario();
        card.setConfig(s.domain(DomainKind::Threads));
        QCOMPARE(card.workersSpinBox()->value(), 3);
        QCOMPARE(card.workersSlider()->value(), 3);
        QCOMPARE(card.queueSpinBox()->value(), 50);
        QCOMPARE(card.maxInflightSpinBox()->value(), 0);
        QCOMPARE(card.onFullComboBox()->currentText(), QStringLiteral("block"));
        QCOMPARE(card.config().workers, 3);
        QCOMPARE(card.backpressure().onFull, OnFull::Block);
        QCOMPARE(workers.count() + bp.count(), 0); // showing a scenario is not a change
        QVERIFY(!workers.wait(DomainCard::kCoalesceMs * 2));
    }

    void domainCardCoalescesASliderDrag()
    {
        DomainCard card(DomainKind::Tbb);
        card.setConfig(twoClassScenario().domain(DomainKind::Tbb));
        QSignalSpy workers(&card, &DomainCard::workersRequested);
        card.workersSlider()->setSliderDown(true);
        for (int v = 3; v <= 40; ++v)
            card.workersSlider()->setValue(v); // one valueChanged per step, as a drag gives
        QCOMPARE(card.workersSpinBox()->value(), 40); // the spin box follows the slider
        QCOMPARE(workers.count(), 0);
        card.workersSlider()->setSliderDown(false); // release: announce at once
        QCOMPARE(workers.count(), 1);
        QCOMPARE(workers.at(0).at(0).value<DomainKind>(), DomainKind::Tbb);
        QCOMPARE(workers.at(0).at(1).toInt(), 40);
        QVERIFY(!workers.wait(DomainCard::kCoalesceMs * 2)); // and nothing more after the delay
    }

    void domainCardCoalescesSpinSteps()
    {
        DomainCard card(DomainKind::Threads);
        card.setConfig(twoClassScenario().domain(DomainKind::Threads));
        QSignalSpy workers(&card, &DomainCard::workersRequested);
        QSignalSpy bp(&card, &DomainCard::backpressureRequested);
        card.workersSpinBox()->setValue(4);
        card.workersSpinBox()->setValue(5);
        card.workersSpinBox()->setValue(6);
        QCOMPARE(card.workersSlider()->value(), 6);
        QVERIFY(workers.wait(5000));
        QCOMPARE(workers.count(), 1);
        QCOMPARE(workers.at(0).at(1).toInt(), 6);
        card.queueSpinBox()->setValue(10);
        card.onFullComboBox()->setCurrentIndex(card.onFullComboBox()->findText(QStringLiteral("drop_oldest")));
        QVERIFY(bp.wait(5000));
        QCOMPARE(bp.count(), 1);
        const auto sent = bp.at(0).at(1).value<Backpressure>();
        QCOMPARE(sent.queue, 10);
        QCOMPARE(sent.onFull, OnFull::DropOldest);
        // Back to the announced value before the delay ran out: nothing to announce.
        card.workersSpinBox()->setValue(7);
        card.workersSpinBox()->setValue(6);
        QVERIFY(!workers.wait(DomainCard::kCoalesceMs * 2));
        QCOMPARE(workers.count(), 1);
    }

    void domainCardLoopAndAvailability()
    {
        DomainCard loop(DomainKind::Loop);
        QVERIFY(!loop.workersSpinBox()->isEnabled());
        QCOMPARE(loop.workersSpinBox()->value(), 1);
        DomainCard procs(DomainKind::Procs);
        procs.setAvailable(false, QStringLiteral("domain procs is not running"));
        QVERIFY(!procs.isAvailable());
        QVERIFY(!procs.workersSpinBox()->isEnabled());
        QVERIFY(!procs.queueSpinBox()->isEnabled());
        QVERIFY(procs.toolTip().contains(QStringLiteral("not running")));
        procs.setAvailable(true);
        QVERIFY(procs.workersSpinBox()->isEnabled());
        DomainFrame f;
        f.queue = 3;
        f.inflight = 5;
        f.busy = 2;
        f.workers = 2;
        f.utilization = 0.5;
        f.throughput = 120;
        f.p99Ms = 12.34;
        f.done = 99;
        procs.setFigures(f, 0);
        QCOMPARE(procs.figuresText(),
            QStringLiteral("queue 3, in flight 5, busy 2/2, util 50 %, stages/s 120, "
                           "P99 ms 12.3, starved 0, done 99"));
    }

    // --- LagMonitor -----------------------------------------------------------------
    void lagMonitorSeesAStall()
    {
        LagMonitor lag(5);
        lag.start();
        bool stalled = false;
        QTimer::singleShot(20, this, [&stalled] {
            const std::int64_t until = nowNs() + 80'000'000;
            while (nowNs() < until) { } // the GUI thread does not return to its loop for 80 ms
            stalled = true;
        });
        QTRY_VERIFY_WITH_TIMEOUT(stalled, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(lag.total().count() >= 20, 5000);
        const HistogramSnapshot h = lag.total();
        QVERIFY2(h.max() >= 70'000'000, qPrintable(QString::number(h.max() / 1e6)));
        // Every beat missed during the stall is counted, late by what it waited: ~16 beats of 5 ms.
        QVERIFY2(h.percentile(1.0 - 10.0 / double(h.count())) >= 20e6, qPrintable(QString::number(h.count())));
        lag.stop();
        QVERIFY(!lag.isActive());
    }

    // --- ScenarioPanel --------------------------------------------------------------
    void scenarioPanelShowsErrorsWithPositions()
    {
        ScenarioPanel panel;
        panel.showScenario(twoClassScenario(), QStringLiteral("built-in"));
        QCOMPARE(panel.scenarioName(), QStringLiteral("Two classes"));
        QVERIFY(!panel.hasErrors());
        panel.showErrors(QStringLiteral("/tmp/bad.yaml"),
            { { QStringLiteral("/tmp/bad.yaml"), 7, 14, QStringLiteral("expected a duration") },
                { QStringLiteral("/tmp/bad.yaml"), 0, 0, QStringLiteral("cannot read") } });
        QVERIFY(panel.hasErrors());
        QCOMPARE(panel.errorLines(),
            QStringList({ QStringLiteral("line 7, column 14: expected a duration"), QStringLiteral("cannot read") }));
        QVERIFY(panel.errorHeading().contains(QStringLiteral("bad.yaml")));
        QVERIFY(panel.errorHeading().contains(QStringLiteral("Two classes"))); // still showing
        panel.clearErrors();
        QVERIFY(!panel.hasErrors());
    }

    // Defect 12 of issue 11: a configuration far beyond the machine is named in the scenario area.
    void scenarioPanelShowsResourceWarnings()
    {
        ScenarioPanel panel;
        Scenario s = twoClassScenario();
        panel.showScenario(s, QStringLiteral("built-in"));
        panel.showWarnings(estimateResources(s, 1 << 20, 2).warnings);
        auto *label = panel.findChild<QLabel *>(QStringLiteral("scenarioWarnings"));
        QVERIFY(label);
        QVERIFY(panel.warningLines().isEmpty());
        QVERIFY(label->isHidden());
        s.domain(DomainKind::Tbb).workers = 4096;
        panel.showWarnings(estimateResources(s, 1 << 20, 2).warnings);
        QVERIFY(!label->isHidden());
        QVERIFY2(label->text().contains(QStringLiteral("4096 tbb")), qPrintable(label->text()));
        QVERIFY(panel.warningLines().join(QLatin1Char('\n')).contains(QStringLiteral("far larger than the machine")));
        panel.showWarnings({});
        QVERIFY(label->isHidden());
    }

    // --- GIL emulation on the latency plot ---------------------------------------------------
    void livePlotsShowGilWaitOnceTheGilIsOn()
    {
        LivePlots plots;
        plots.setScenario(twoClassScenario());
        Frame f;
        f.classes.resize(2);
        f.t = 0.05;
        plots.addFrame(f);
        QCOMPARE(plots.gilWaitSeries(0), -1); // GIL off: no clutter in the legend
        f.gil = true;
        f.classes[1].gilWaitP99Ms = 12.5;
        for (int i = 2; i <= 4; ++i) {
            f.t = 0.05 * i;
            plots.addFrame(f);
        }
        for (int c = 0; c < 2; ++c) {
            const int s = plots.gilWaitSeries(c);
            QVERIFY(s >= 0 && s != plots.latencySeries(c));
            QVERIFY(plots.latencyPlot()->seriesName(s).endsWith(QStringLiteral(" GIL wait")));
            QCOMPARE(plots.latencyPlot()->pointCount(s), 3);
        }
        QCOMPARE(plots.latencyPlot()->maxValue(plots.gilWaitSeries(1)), 12.5);
    }
};

QTEST_MAIN(TestUiParts)
#include "tst_uiparts.moc"
