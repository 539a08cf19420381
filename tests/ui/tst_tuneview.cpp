// The Tune panel (View ▸ Tune…): a real sweep of a small scenario from the panel shows its
// progress, keeps the window's Run off while it runs and the live plots on the point being
// measured, fills the table and the P99 plot, recommends, and Apply puts the recommendation into
// the open scenario; Export writes the report, JSON and CSV; a click on a point afterwards shows
// its run on the live plots. Cancel stops after the point in progress. A bad range says why and
// keeps Run sweep off. A short tune fills its table. The P99 plot's labels (SLAs, the knees, the
// recommendation) never overlap, at any size.
// HS_SCREENSHOT_DIR=DIR also writes the panel after a finished sweep at 1600×1000 and 1280×720.

#include "domaincard.h"
#include "liveplot.h"
#include "liveplots.h"
#include "mainwindow.h"
#include "qcustomplot.h"
#include "testutil.h"
#include "tuneview.h"
#include "tuning/sweepreport.h"

#include <QAction>
#include <QComboBox>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QTimer>

using namespace hs;

namespace {

// 500 tasks/s of a fixed 2 ms on threads: one worker is overloaded (its P99 grows for as long as
// it runs), four are a quarter busy. 500 samples a second bound the P99 from above (367 needed).
const char *kSmallYaml = R"(name: Tune me
duration: 20s
seed: 3
sla: { p99: 15ms }
domains:
  threads: { workers: 2 }
classes:
  - name: request
    arrival: { process: poisson, rate: 500/s }
    stages:
      - { name: serve, work: block, time: 2ms, domain: threads }
)";

// Where the plot drew its text labels (the visible ones), in widget pixels.
std::vector<QRectF> labelRects(QCustomPlot *p)
{
    std::vector<QRectF> out;
    for (int i = 0; i < p->itemCount(); ++i)
        if (auto *t = qobject_cast<QCPItemText *>(p->item(i)); t && t->visible())
            out.emplace_back(QRectF(t->topLeft->pixelPosition(), t->bottomRight->pixelPosition()).normalized());
    return out;
}

// Every label inside the axes, and no two overlapping.
bool labelsApart(QCustomPlot *p, QString *why)
{
    const std::vector<QRectF> rects = labelRects(p);
    const QRectF area = QRectF(p->axisRect()->rect()).adjusted(-1, -1, 1, 1);
    for (std::size_t i = 0; i < rects.size(); ++i) {
        const auto text = [&](std::size_t k) {
            return QStringLiteral("(%1,%2 %3×%4)")
                .arg(rects[k].x())
                .arg(rects[k].y())
                .arg(rects[k].width())
                .arg(rects[k].height());
        };
        if (!area.contains(rects[i])) {
            *why = QStringLiteral("label %1 %2 is outside the axes").arg(i).arg(text(i));
            return false;
        }
        for (std::size_t j = i + 1; j < rects.size(); ++j)
            if (rects[i].intersects(rects[j])) {
                *why = QStringLiteral("labels %1 %2 and %3 %4 overlap").arg(i).arg(text(i)).arg(j).arg(text(j));
                return false;
            }
    }
    return true;
}

// A sweep of threads workers 1..8 with api (SLA 20 ms) and render (SLA 200 ms) whose knees and
// recommendation sit at the left, where the SLA labels used to start: every label wants the same corner.
SweepResult crowdedSweep()
{
    SweepResult r;
    r.scenarioName = QStringLiteral("crowded");
    r.axes.push_back({ QStringLiteral("domains.threads.workers"), {} });
    for (int n = 1; n <= 8; ++n) {
        r.axes[0].values << QString::number(n);
        SweepPointResult p;
        p.values = { { QStringLiteral("domains.threads.workers"), QString::number(n) } };
        p.durationS = 5;
        p.warmupS = 1;
        p.measuredS = 4;
        p.reps = 1;
        for (const auto &[name, sla, p99] : { std::tuple { QStringLiteral("api"), 20.0, 180.0 / (n * n) },
                 std::tuple { QStringLiteral("render"), 200.0, 160.0 / n } }) {
            SweepClassFigures c;
            c.name = name;
            c.throughput = 100;
            c.samples = 400;
            c.submitted = 400;
            c.p50Ms = p99 / 3;
            c.p99Ms = p99;
            c.ciLoMs = p99 * 0.8;
            c.ciHiMs = p99 * 1.25;
            c.ciMethod = QStringLiteral("order statistics");
            c.slaP99Ms = sla;
            c.slaMet = *c.ciHiMs < sla;
            p.classes.push_back(c);
        }
        r.points.push_back(p);
    }
    r.plannedPoints = 8;
    r.durationS = 5;
    r.warmupS = 1;
    r.reps = 1;
    r.knees = { { QStringLiteral("domains.threads.workers"), QStringLiteral("api"), 3, QStringLiteral("kneedle") },
        { QStringLiteral("domains.threads.workers"), QStringLiteral("render"), 2, QStringLiteral("kneedle") } };
    r.knee = r.knees.front();
    SweepRecommendation rec;
    rec.values = r.points[3].values;
    rec.allSlaMet = true;
    rec.reason = QStringLiteral("the fewest workers that meet every SLA");
    r.recommendation = rec;
    return r;
}

int workersOf(const SweepValues &values)
{
    for (const auto &[path, value] : values)
        if (path == QLatin1String("domains.threads.workers"))
            return value.toInt();
    return -1;
}

} // namespace

class TestTuneView : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_scenario;

    // The panel set up for a short sweep of the threads pool over `range`.
    static void setUp(TuneView *v, const QString &range)
    {
        QCOMPARE(v->varyCombo(0)->currentData().toString(), QStringLiteral("domains.threads.workers"));
        v->rangeEdit(0)->setText(range);
        v->durationBox()->setValue(1.5);
        v->warmupBox()->setValue(0.5);
        v->repsBox()->setValue(1);
        QVERIFY2(v->setupError().isEmpty(), qPrintable(v->setupError()));
        QVERIFY(v->runButton()->isEnabled());
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("HybridscopeTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_tuneview"));
        QSettings().clear();
        QVERIFY(m_dir.isValid());
        m_scenario = test::writeFile(m_dir, QStringLiteral("small.yaml"), kSmallYaml);
        QVERIFY(!m_scenario.isEmpty());
    }

    void badSetupSaysWhyAndDisablesRun_data()
    {
        QTest::addColumn<QString>("range");
        QTest::addColumn<double>("duration");
        QTest::addColumn<double>("warmup");
        QTest::addColumn<QString>("expected"); // part of the message
        QTest::newRow("reversed") << QStringLiteral("8..2") << 5.0 << 1.0 << QStringLiteral("8..2");
        QTest::newRow("words") << QStringLiteral("lots") << 5.0 << 1.0 << QStringLiteral("lots");
        QTest::newRow("factor 1") << QStringLiteral("1..64x1") << 5.0 << 1.0 << QStringLiteral("1..64x1");
        QTest::newRow("zero workers") << QStringLiteral("0,2") << 5.0 << 1.0 << QStringLiteral("threads workers");
        QTest::newRow("too many points") << QStringLiteral("1..500") << 5.0 << 1.0 << QStringLiteral("200");
        QTest::newRow("empty") << QString() << 5.0 << 1.0 << QStringLiteral("type the values");
        QTest::newRow("warm-up too long") << QStringLiteral("1..4") << 2.0 << 2.0 << QStringLiteral("warm-up");
    }
    void badSetupSaysWhyAndDisablesRun()
    {
        QFETCH(QString, range);
        QFETCH(double, duration);
        QFETCH(double, warmup);
        QFETCH(QString, expected);
        MainWindow w;
        QVERIFY(w.openScenario(m_scenario));
        TuneView *v = w.tuneView();
        QVERIFY(v->setupError().isEmpty()); // the default range around the pool's size runs
        QVERIFY(v->runButton()->isEnabled());
        v->rangeEdit(0)->setText(range);
        v->durationBox()->setValue(duration);
        v->warmupBox()->setValue(warmup);
        QVERIFY2(v->setupError().contains(expected, Qt::CaseInsensitive), qPrintable(v->setupError()));
        QCOMPARE(v->errorLabel()->text(), v->setupError());
        QVERIFY(!v->runButton()->isEnabled());
        // Fixed again: the message goes, Run sweep comes back.
        v->rangeEdit(0)->setText(QStringLiteral("1..4"));
        v->durationBox()->setValue(5);
        v->warmupBox()->setValue(1);
        QVERIFY2(v->setupError().isEmpty(), qPrintable(v->setupError()));
        QVERIFY(v->runButton()->isEnabled());
        QVERIFY(v->errorLabel()->text().contains(QStringLiteral("4 points")));
    }

    void theSameVariableTwiceIsRefused()
    {
        MainWindow w;
        QVERIFY(w.openScenario(m_scenario));
        TuneView *v = w.tuneView();
        // threads workers, then load; "—" first in the second list.
        QCOMPARE(v->varyCombo(0)->count(), 2);
        QCOMPARE(v->varyCombo(1)->count(), 3);
        v->varyCombo(1)->setCurrentIndex(1);
        v->rangeEdit(1)->setText(QStringLiteral("2,4"));
        QVERIFY(v->setupError().contains(QStringLiteral("same")));
        QVERIFY(!v->runButton()->isEnabled());
        v->varyCombo(1)->setCurrentIndex(2); // load: a grid
        v->rangeEdit(1)->setText(QStringLiteral("0.5,1"));
        QVERIFY2(v->setupError().isEmpty(), qPrintable(v->setupError()));
        v->rangeEdit(1)->setText(QStringLiteral("0..2:0.5")); // a load of 0
        QVERIFY(!v->setupError().isEmpty());
    }

    void sweepFromThePanel()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.openScenario(m_scenario));
        QVERIFY(!w.tuneDock()->isVisible()); // opened from View ▸ Tune… or the toolbar
        QAction *tune = w.findChild<QDockWidget *>(QStringLiteral("tuneDock"))->toggleViewAction();
        tune->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(w.tuneDock()->isVisible(), 2000);
        TuneView *v = w.tuneView();
        setUp(v, QStringLiteral("1,4"));

        QStringList progress;
        bool runWasOff = true, plotsShowedAPoint = false, clickedWhileRunning = false, plotsKeptFollowing = false;
        connect(v, &TuneView::progressed, this, [&](const QString &text) {
            progress << text;
            if (v->isBusy() && !clickedWhileRunning && v->pointsTable()->model()->rowCount() == 1) {
                // A point chosen while the next runs: the live plots stay on the running point.
                clickedWhileRunning = true;
                v->pointsTable()->selectRow(0);
                plotsKeptFollowing = v->shownRun() == -1
                    && v->pointRunLabel()->text().contains(QStringLiteral("follow the point being measured"));
            }
            if (v->isBusy())
                runWasOff = runWasOff && !w.runAction()->isEnabled() && !v->runButton()->isEnabled();
            plotsShowedAPoint = plotsShowedAPoint || w.plots()->framesSeen() > 0;
        });
        QSignalSpy finished(v, &TuneView::finished);
        QSignalSpy added(v, &TuneView::pointAdded);
        QVERIFY(w.runAction()->isEnabled());
        v->runButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(finished.size() == 1, 30000);

        // Progress with the point and an ETA; the window's Run was off and the plots live.
        QVERIFY(!progress.isEmpty());
        QVERIFY2(progress.front().contains(QStringLiteral("Point 1/2")), qPrintable(progress.front()));
        QVERIFY(progress.front().contains(QStringLiteral("ETA")));
        QVERIFY(std::any_of(progress.begin(), progress.end(),
            [](const QString &t) { return t.contains(QStringLiteral("Point 2/2")); }));
        QVERIFY(runWasOff);
        QVERIFY(plotsShowedAPoint);
        QVERIFY(clickedWhileRunning);
        QVERIFY(plotsKeptFollowing);
        QVERIFY(w.runAction()->isEnabled());
        QVERIFY(v->runButton()->isEnabled());
        QCOMPARE(added.size(), 2);

        // The result: the table, the P99 plot's points, the recommendation.
        QVERIFY(v->sweepResult());
        const SweepResult &r = *v->sweepResult();
        qInfo("sweep: %s", qPrintable(sweepSummary(r)));
        QCOMPARE(int(r.points.size()), 2);
        QVERIFY(!r.interrupted);
        QCOMPARE(v->pointsTable()->model()->rowCount(), 2);
        QCOMPARE(v->pointsTable()->model()->index(1, 0).data().toString(), QStringLiteral("4"));
        QCustomPlot *p99 = v->p99Plot();
        QVERIFY(p99->graphCount() >= 1);
        QCOMPARE(p99->graph(0)->dataCount(), 2);
        QVERIFY(p99->graph(0)->data()->at(0)->value > 0);
        QVERIFY(p99->itemCount() >= 2); // the SLA line and its label, the recommendation
        QVERIFY(r.recommendation);
        QVERIFY(v->recommendationLabel()->isVisible() || !w.tuneDock()->isVisible());
        QVERIFY(!v->recommendationLabel()->text().isEmpty());
        // The overloaded single worker misses its SLA: the one at 4 is the one recommended (or,
        // on a machine too busy to meet it at all, the closest).
        QCOMPARE(workersOf(r.recommendation->values), 4);
        QVERIFY(!r.points[0].allSlasMet());

        // A click on a point shows its figures.
        v->pointsTable()->selectRow(0);
        QTRY_VERIFY_WITH_TIMEOUT(v->pointDetails()->toPlainText().contains(QStringLiteral("request: P99")), 2000);
        QVERIFY(v->pointDetails()->toPlainText().contains(QStringLiteral("threads (1 workers)")));

        // The labels on the P99 plot (the SLA, the recommendation) are apart and inside the axes.
        QString why;
        v->p99Plot()->replot();
        QVERIFY(!labelRects(v->p99Plot()).empty());
        QVERIFY2(labelsApart(v->p99Plot(), &why), qPrintable(why));

        // A click on a point shows its run on the live plots: the frames of its first rep, from its
        // start to its end (1.5 s, then the drain), the warm-up shaded; the label names the point.
        QVERIFY(v->pointFrames(0) && v->pointFrames(1));
        const auto clickRow = [&](int row) {
            QTableView *t = v->pointsTable();
            QTest::mouseClick(t->viewport(), Qt::LeftButton, {}, t->visualRect(t->model()->index(row, 0)).center());
        };
        const auto runShown = [&](int row) {
            const std::vector<Frame> &frames = *v->pointFrames(row);
            LivePlot *queue = w.plots()->queuePlot();
            const int s = w.plots()->queueSeries(DomainKind::Threads);
            QVERIFY(s >= 0);
            QVERIFY2(frames.front().t < 0.3 && frames.back().t >= 1.4 && frames.back().t < 3.5,
                qPrintable(QStringLiteral("%1 .. %2 s").arg(frames.front().t).arg(frames.back().t)));
            QVERIFY(queue->pointCount(s) >= int(frames.size()) - 3);
            QVERIFY(queue->pointCount(s, 0, 0.3) > 0);
            QVERIFY(queue->pointCount(s, 1.4, frames.back().t) > 0);
            const auto [from, to] = queue->timeRange();
            QVERIFY2(from <= 0.05 && std::abs(to - frames.back().t) < 0.1,
                qPrintable(QStringLiteral("%1 .. %2").arg(from).arg(to)));
            QCOMPARE(queue->shadedPhaseCount(), 1); // the warm-up
            QCOMPARE(v->shownRun(), row);
            QVERIFY2(v->pointRunLabel()->text().contains(QStringLiteral("threads workers = %1").arg(row == 0 ? 1 : 4)),
                qPrintable(v->pointRunLabel()->text()));
        };
        clickRow(0);
        runShown(0);
        if (QTest::currentTestFailed())
            return;
        const int latency = w.plots()->latencySeries(0);
        const double overloadedP99 = w.plots()->latencyPlot()->maxValue(latency);
        clickRow(1);
        runShown(1);
        if (QTest::currentTestFailed())
            return;
        // The other point's run, not the same again: one worker queued far longer than four.
        QVERIFY2(w.plots()->latencyPlot()->maxValue(latency) < overloadedP99,
            qPrintable(QStringLiteral("%1 ms at 4 workers, %2 ms at 1")
                           .arg(w.plots()->latencyPlot()->maxValue(latency))
                           .arg(overloadedP99)));

        // Apply: the recommended pool size in the open scenario and on the card.
        QCOMPARE(w.scenario().domain(DomainKind::Threads).workers, 2);
        QVERIFY(v->applyButton()->isEnabled());
        v->applyButton()->click();
        QCOMPARE(w.scenario().domain(DomainKind::Threads).workers, 4);
        QCOMPARE(w.domainCard(DomainKind::Threads)->config().workers, 4);

        // Export: the report, the JSON and the CSV; a name it cannot tell is refused.
        QString error;
        const QString html = m_dir.filePath(QStringLiteral("sweep.html"));
        QVERIFY2(v->exportTo(html, &error), qPrintable(error));
        QVERIFY(QFileInfo(html).size() > 10000); // with its plots inlined
        const QString json = m_dir.filePath(QStringLiteral("sweep.json"));
        QVERIFY2(v->exportTo(json, &error), qPrintable(error));
        const QJsonObject doc = test::readJson(json);
        QCOMPARE(doc.value(QStringLiteral("schema")).toString(), QStringLiteral("hybridscope.sweep/1"));
        QCOMPARE(doc.value(QStringLiteral("points")).toArray().size(), 2);
        const QString csv = m_dir.filePath(QStringLiteral("sweep.csv"));
        QVERIFY2(v->exportTo(csv, &error), qPrintable(error));
        QVERIFY(QFileInfo(csv).size() > 0);
        QVERIFY(!v->exportTo(m_dir.filePath(QStringLiteral("sweep.txt")), &error));
        QVERIFY(error.contains(QStringLiteral(".json")));
    }

    void p99LabelsNeverOverlap_data()
    {
        QTest::addColumn<QSize>("size");
        QTest::addColumn<int>("fewest"); // labels that must find room (of the 2 SLAs, 2 knees, 1 recommendation)
        QTest::newRow("wide") << QSize(900, 1000) << 5;
        QTest::newRow("dock at 1600×1000") << QSize(640, 760) << 5;
        QTest::newRow("dock at 1280×720") << QSize(480, 520) << 5;
        QTest::newRow("narrow") << QSize(300, 520) << 0;
    }
    void p99LabelsNeverOverlap()
    {
        QFETCH(QSize, size);
        QFETCH(int, fewest);
        TuneView v;
        v.resize(size);
        v.show();
        QVERIFY(QTest::qWaitForWindowExposed(&v));
        v.setSweepResult(crowdedSweep());
        QCustomPlot *p = v.p99Plot();
        p->replot();
        const std::vector<QRectF> rects = labelRects(p);
        qInfo(
            "%d of 5 labels drawn in a %d×%d plot", int(rects.size()), p->axisRect()->width(), p->axisRect()->height());
        QVERIFY(int(rects.size()) >= fewest);
        QString why;
        QVERIFY2(labelsApart(p, &why), qPrintable(why));
        // Again after the plot changed size (labels are placed at each layout).
        const QSize before = p->size();
        v.resize(size.width() + 120, size.height());
        QTRY_VERIFY_WITH_TIMEOUT(p->width() > before.width(), 2000);
        p->replot();
        QVERIFY2(labelsApart(p, &why), qPrintable(why));
    }

    // Opened at 1600×1000 with a result: the plots and at least four points of the table in view
    // without scrolling; at 1280×720 the window still fits the screen (the panel scrolls).
    void tableShowsFourPointsBesideThePlots_data()
    {
        QTest::addColumn<QSize>("size");
        QTest::addColumn<bool>("fourRows");
        QTest::newRow("1600x1000") << QSize(1600, 1000) << true;
        QTest::newRow("1280x720") << QSize(1280, 720) << false;
    }
    void tableShowsFourPointsBesideThePlots()
    {
        QFETCH(QSize, size);
        QFETCH(bool, fourRows);
        MainWindow w;
        QVERIFY(w.openScenario(QStringLiteral("tuning")));
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCoreApplication::processEvents(); // the first layout, sized for the offscreen platform's screen
        w.resize(size);
        QTRY_COMPARE_WITH_TIMEOUT(w.size(), size, 2000);
        if (auto *lesson = w.findChild<QDockWidget *>(QStringLiteral("lessonDock")))
            lesson->hide();
        w.tuneDock()->toggleViewAction()->trigger();
        TuneView *v = w.tuneView();
        v->setSweepResult(crowdedSweep());
        QTableView *t = v->pointsTable();
        t->selectRow(3); // the details pane under the table fills up
        QVERIFY(v->pointDetails()->toPlainText().contains(QStringLiteral("domains.threads.workers=4")));
        auto *scroll = w.findChild<QScrollArea *>(QStringLiteral("tuneScroll"));
        QVERIFY(scroll);
        const int row = t->verticalHeader()->defaultSectionSize();
        // The part of the table's rows the dock shows, without scrolling the panel.
        const auto rowsInView = [&] {
            const QRect inScroll(t->viewport()->mapTo(scroll->viewport(), QPoint(0, 0)), t->viewport()->size());
            return inScroll.intersected(scroll->viewport()->rect()).height() / double(row);
        };
        QTRY_VERIFY_WITH_TIMEOUT(w.tuneDock()->width() >= 460, 2000); // widened once the layout settled
        v->p99Plot()->replot();
        if (const QString shots = qEnvironmentVariable("HS_SCREENSHOT_DIR"); !shots.isEmpty())
            w.grab().save(QStringLiteral("%1/tune-layout-%2x%3.png").arg(shots).arg(size.width()).arg(size.height()));
        if (fourRows) {
            QTRY_VERIFY2_WITH_TIMEOUT(rowsInView() >= 4, qPrintable(QStringLiteral("%1 rows").arg(rowsInView())), 2000);
            QVERIFY2(v->p99Plot()->visibleRegion().boundingRect().height() >= 200,
                qPrintable(QStringLiteral("%1 px of plot").arg(v->p99Plot()->visibleRegion().boundingRect().height())));
        }
        QVERIFY(t->height() >= t->horizontalHeader()->height() + 4 * row);
        QVERIFY2(w.minimumSizeHint().height() <= size.height() - 48,
            qPrintable(QStringLiteral("needs %1 px").arg(w.minimumSizeHint().height())));
        QVERIFY(w.height() <= size.height());
        qInfo("%.1f rows of the table in view; the dock %d px high", rowsInView(), w.tuneDock()->height());
    }

    void cancelStopsAfterTheCurrentPoint()
    {
        MainWindow w;
        QVERIFY(w.openScenario(m_scenario));
        TuneView *v = w.tuneView();
        setUp(v, QStringLiteral("2,3,4"));
        bool cancelled = false;
        connect(v, &TuneView::progressed, this, [&] {
            if (!cancelled && v->cancelButton()->isEnabled()) {
                cancelled = true;
                v->cancelButton()->click();
                QCOMPARE(v->cancelButton()->text(), QStringLiteral("Stop now")); // a second click stops now
            }
        });
        QSignalSpy finished(v, &TuneView::finished);
        v->runButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(finished.size() == 1, 30000);
        QVERIFY(cancelled);
        QVERIFY(v->sweepResult());
        QCOMPARE(int(v->sweepResult()->points.size()), 1); // the point in progress finished, no more
        QVERIFY(v->sweepResult()->interrupted);
        QCOMPARE(v->pointsTable()->model()->rowCount(), 1);
        QVERIFY2(v->progressLabel()->text().contains(QStringLiteral("stopped after 1 of 3")),
            qPrintable(v->progressLabel()->text()));
        QVERIFY(!v->cancelButton()->isEnabled());
        QVERIFY(w.runAction()->isEnabled());
    }

    void tuneFromThePanel()
    {
        MainWindow w;
        QVERIFY(w.openScenario(m_scenario));
        TuneView *v = w.tuneView();
        v->durationBox()->setValue(1.5);
        v->warmupBox()->setValue(0.5);
        v->budgetBox()->setValue(10); // the measuring run and a point or two
        QVERIFY(v->tuneButton()->isEnabled());
        QSignalSpy finished(v, &TuneView::finished);
        QSignalSpy added(v, &TuneView::pointAdded);
        v->tuneButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(finished.size() == 1, 40000);
        QVERIFY(v->tuneResult());
        const TuneResult &r = *v->tuneResult();
        qInfo("tune: %d points in %.1f s: %s", int(r.evaluated.size()), r.wallS, qPrintable(r.stopReason));
        QVERIFY(!r.evaluated.empty());
        QCOMPARE(added.size(), int(r.evaluated.size()));
        QCOMPARE(v->pointsTable()->model()->rowCount(), int(r.evaluated.size()));
        QCOMPARE(v->p99Plot()->graph(0)->dataCount(), int(r.evaluated.size()));
        QVERIFY(!v->recommendationLabel()->text().isEmpty());
        QString error;
        const QString json = m_dir.filePath(QStringLiteral("tune.json"));
        QVERIFY2(v->exportTo(json, &error), qPrintable(error));
        QCOMPARE(test::readJson(json).value(QStringLiteral("schema")).toString(), QStringLiteral("hybridscope.tune/1"));
        QVERIFY(!v->exportTo(m_dir.filePath(QStringLiteral("tune.html")), &error));
        if (r.best) {
            v->applyButton()->click();
            QCOMPARE(w.scenario().domain(DomainKind::Threads).workers,
                r.evaluated[*r.best].workers[std::size_t(DomainKind::Threads)]);
        }
    }

    // HS_SCREENSHOT_DIR=DIR: the built-in tuning scenario swept over its thread pool, the panel
    // beside the plots (README), and a grid's SLA map; for looking at, skipped otherwise.
    void screenshots()
    {
        const QString shots = qEnvironmentVariable("HS_SCREENSHOT_DIR");
        if (shots.isEmpty())
            QSKIP("set HS_SCREENSHOT_DIR to write screenshots");
        MainWindow w;
        QVERIFY(w.openScenario(QStringLiteral("tuning")));
        w.resize(1600, 1000);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        if (auto *lesson = w.findChild<QDockWidget *>(QStringLiteral("lessonDock")))
            lesson->hide();
        w.tuneDock()->toggleViewAction()->trigger();
        TuneView *v = w.tuneView();
        setUp(v, QStringLiteral("4..9"));
        v->durationBox()->setValue(8); // 7 s measured: enough of render's 60 tasks/s to bound its P99
        v->warmupBox()->setValue(1);
        QSignalSpy finished(v, &TuneView::finished);
        bool midway = false;
        connect(v, &TuneView::pointAdded, this, [&](int i) {
            if (i == 2 && !midway) { // the live plots on the fourth point, the first three in the panel
                midway = true;
                QTimer::singleShot(3000, &w, [&] { w.grab().save(shots + QStringLiteral("/tune-view-running.png")); });
            }
        });
        v->runButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(finished.size() == 1, 180000);
        const SweepResult &r = *v->sweepResult();
        for (std::size_t i = 0; i < r.points.size(); ++i)
            if (r.recommendation && r.points[i].values == r.recommendation->values)
                v->pointsTable()->selectRow(int(i));
        for (const QSize size : { QSize(1600, 1000), QSize(1280, 720) }) {
            w.resize(size);
            QTest::qWait(500); // the layout and a replot at the new size
            QVERIFY(w.grab().save(
                QStringLiteral("%1/tune-view-%2x%3.png").arg(shots).arg(size.width()).arg(size.height())));
        }
        for (int t = 1; t < 3; ++t) {
            v->plotTabs()->setCurrentIndex(t);
            QTest::qWait(300);
            QVERIFY(v->grab().save(QStringLiteral("%1/tune-view-tab%2.png").arg(shots).arg(t)));
        }

        // A grid: threads × load, and its map.
        v->rangeEdit(0)->setText(QStringLiteral("5,6"));
        v->varyCombo(1)->setCurrentIndex(v->varyCombo(1)->findData(QStringLiteral("load")));
        v->rangeEdit(1)->setText(QStringLiteral("0.8,1.1"));
        QVERIFY2(v->setupError().isEmpty(), qPrintable(v->setupError()));
        v->runButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(finished.size() == 2, 120000);
        QVERIFY(v->plotTabs()->isTabEnabled(3));
        v->plotTabs()->setCurrentIndex(3);
        QTest::qWait(300);
        QVERIFY(v->grab().save(shots + QStringLiteral("/tune-view-grid.png")));
        v->plotTabs()->setCurrentIndex(0);
        QTest::qWait(300);
        QVERIFY(v->grab().save(shots + QStringLiteral("/tune-view-grid-p99.png")));
    }
};

QTEST_MAIN(TestTuneView)
#include "tst_tuneview.moc"
