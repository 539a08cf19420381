// Simulate mode of the main window and "Simulate first" of the Tune panel, on the offscreen
// platform: the default scenario simulated on 16 cores and played back at max speed fills the same
// plots, cards, class table and totals as a run, marked SIMULATED on the title, the status bar and
// every plot; Export writes it with `mode: "simulated"`; a real run afterwards clears the mark.
// Stop skips the rest of a replay; a bad cores field or a run "until stopped" is refused with
// why; a lesson says its claims are not judged on a simulated run. The Tune panel's simulated sweep
// and its simulate-first tune mark each point sim or engine, and the tune says whether the engine
// confirmed its answer.
// HS_SCREENSHOT_DIR=DIR also writes the window mid-replay and after it (1600×1000).

#include "classtable.h"
#include "classtablemodel.h"
#include "domaincard.h"
#include "durationfield.h"
#include "enginecontroller.h"
#include "htmlbuilder.h"
#include "htmlreport.h"
#include "lessonpanel.h"
#include "liveplot.h"
#include "liveplots.h"
#include "mainwindow.h"
#include "reportexporter.h"
#include "scenario/builtins.h"
#include "simplayer.h"
#include "testutil.h"
#include "tuneview.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace hs;

namespace {

// 400 tasks/s of a fixed 2 ms on threads: one worker is overloaded, two or more meet the SLA.
const char *kSmallYaml = R"(name: Simulate me
duration: 20s
seed: 5
sla: { p99: 15ms }
domains:
  threads: { workers: 4 }
classes:
  - name: request
    arrival: { process: poisson, rate: 400/s }
    stages:
      - { name: serve, work: block, time: 2ms, domain: threads }
)";

// The "source" column of the Tune panel's table.
QStringList sources(const TuneView *v)
{
    const QAbstractItemModel *m = v->pointsTable()->model();
    int column = -1;
    for (int c = 0; c < m->columnCount(); ++c)
        if (m->headerData(c, Qt::Horizontal).toString() == QLatin1String("source"))
            column = c;
    QStringList out;
    for (int r = 0; column >= 0 && r < m->rowCount(); ++r)
        out << m->index(r, column).data().toString();
    return out;
}

} // namespace

class TestSimulateMode : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_small;

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("HybridscopeTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_simulatemode"));
        QSettings().clear();
        QVERIFY(m_dir.isValid());
        m_small = test::writeFile(m_dir, QStringLiteral("small.yaml"), kSmallYaml);
        QVERIFY(!m_small.isEmpty());
    }

    void simulatePlaysBackMarkedThenARunClearsIt()
    {
        MainWindow w;
        w.show();
        QVERIFY(w.openScenario(QStringLiteral("default")));
        const QString shots = qEnvironmentVariable("HS_SCREENSHOT_DIR");
        if (!shots.isEmpty()) { // at the README's size, once the first layout is done
            QVERIFY(QTest::qWaitForWindowExposed(&w));
            QTest::qWait(200);
            w.resize(1600, 1000);
            QTest::qWait(300);
        }
        w.coresEdit()->setText(QStringLiteral("16"));
        w.speedCombo()->setCurrentIndex(w.speedCombo()->findData(shots.isEmpty() ? 0.0 : 5.0));
        SimPlayer *sim = w.simPlayer();
        QSignalSpy simulated(sim, &SimPlayer::simulated);
        QSignalSpy finished(sim, &SimPlayer::finished);
        QVERIFY(w.simulateAction()->isEnabled());
        w.simulateAction()->trigger();
        QVERIFY(w.isSimulating());
        QVERIFY(!w.runAction()->isEnabled());
        QVERIFY(w.pauseAction()->isEnabled());
        QVERIFY(w.stopAction()->isEnabled());
        QVERIFY(w.domainCard(DomainKind::Threads)->controlsLocked());

        // Marked everywhere from the start: title, status bar, every plot.
        QVERIFY2(w.windowTitle().contains(QStringLiteral("SIMULATED · 16 cores")), qPrintable(w.windowTitle()));
        QVERIFY(w.simulationMark().contains(QLatin1String("calibration")));
        QVERIFY(w.simulationBadge()->isVisible());
        QVERIFY(w.simulationBadge()->text().contains(QStringLiteral("SIMULATED · 16 cores")));
        for (LivePlot *p : w.plots()->plots())
            QVERIFY2(p->badgeText().startsWith(QStringLiteral("SIMULATED · 16 cores")), qPrintable(p->title()));

        if (!shots.isEmpty()) { // mid-replay, at 5×
            QTRY_VERIFY_WITH_TIMEOUT(sim->position() > 8, 20000);
            QVERIFY(w.grab().save(shots + QStringLiteral("/simulate-playing.png")));
            w.speedCombo()->setCurrentIndex(w.speedCombo()->findData(0.0));
        }
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 15000);
        QCOMPARE(simulated.size(), 1);
        QVERIFY(!w.isSimulating());
        const RunResult &r = sim->result();
        QVERIFY(r.frames.size() > 300); // 20 s and the drain at 20 Hz
        QVERIFY(r.conserved());

        // The same views as a run, every frame of it.
        QCOMPARE(w.plots()->framesSeen(), int(r.frames.size()));
        const int threads = w.plots()->queueSeries(DomainKind::Threads);
        QVERIFY(threads >= 0);
        QVERIFY(w.plots()->queuePlot()->pointCount(threads) > 300);
        QVERIFY(w.plots()->throughputPlot()->maxValue(w.plots()->throughputSeries(DomainKind::Threads)) > 100);
        for (DomainKind d : { DomainKind::Threads, DomainKind::Procs, DomainKind::Loop })
            QVERIFY2(w.domainCard(d)->figuresText().startsWith(QLatin1String("queue "))
                    && !w.domainCard(d)->figuresText().contains(QStringLiteral("–")), // "–": no figure
                qPrintable(w.domainCard(d)->figuresText()));
        QVERIFY(!w.domainCard(DomainKind::Threads)->controlsLocked());
        QCOMPARE(w.classTable()->classModel()->rowCount(), int(r.classes.size()));
        QVERIFY2(w.totalsText().contains(QLocale().toString(qulonglong(r.submitted()))), qPrintable(w.totalsText()));
        QVERIFY(w.conservationText().contains(QLatin1String("holds")));
        QVERIFY(w.clockText().contains(QLatin1String("finished")));

        // Held as a finished run is, still marked.
        QVERIFY(w.windowTitle().contains(QStringLiteral("SIMULATED · 16 cores")));
        QVERIFY(w.simulationBadge()->isVisible());
        for (LivePlot *p : w.plots()->plots())
            QVERIFY(!p->badgeText().isEmpty());
        if (!shots.isEmpty()) {
            QTest::qWait(300); // the last replot
            QVERIFY(w.grab().save(shots + QStringLiteral("/simulate-finished.png")));
            w.resize(1280, 720);
            QTest::qWait(500);
            QVERIFY(w.grab().save(shots + QStringLiteral("/simulate-finished-1280x720.png")));
        }

        // Export writes the simulated run, marked as `hybridscope simulate --json` marks it.
        QString error;
        const QString json = m_dir.filePath(QStringLiteral("sim.json"));
        QVERIFY2(w.exporter()->exportTo(json, ReportExporter::Format::Json, &error), qPrintable(error));
        const QJsonObject o = test::readJson(json);
        QCOMPARE(o.value(QStringLiteral("mode")).toString(), QStringLiteral("simulated"));
        QCOMPARE(o.value(QStringLiteral("simulation")).toObject().value(QStringLiteral("cores")).toInt(), 16);
        QVERIFY(!o.contains(QStringLiteral("snapshot")));
        QVERIFY(HtmlReport::simulatedText(o).contains(QLatin1String("16 cores")));
        const QString html = m_dir.filePath(QStringLiteral("sim.html"));
        QVERIFY2(w.exporter()->exportTo(html, ReportExporter::Format::Html, &error), qPrintable(error));
        QFile page(html);
        QVERIFY(page.open(QIODevice::ReadOnly));
        // Escaped as the report escapes it (the extrapolation says "calibration's").
        QVERIFY(QString::fromUtf8(page.readAll()).contains(HtmlBuilder::esc(HtmlReport::simulatedText(o))));
        QVERIFY(!w.exporter()->exportTo(
            m_dir.filePath(QStringLiteral("sim-trace.json")), ReportExporter::Format::Trace, &error));
        QVERIFY(error.contains(QLatin1String("simulated")));

        // A real run clears the mark.
        QVERIFY(w.durationField()->setText(QStringLiteral("1s")));
        QSignalSpy ran(w.controller(), &EngineController::finished);
        w.run();
        QVERIFY(w.isRunning());
        QVERIFY(!w.windowTitle().contains(QLatin1String("SIMULATED")));
        QVERIFY(!w.simulationBadge()->isVisible());
        QVERIFY(w.simulationMark().isEmpty());
        for (LivePlot *p : w.plots()->plots())
            QVERIFY(p->badgeText().isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(ran.size(), 1, 20000);
        QVERIFY(w.plots()->framesSeen() > 0);
        QVERIFY(w.plots()->framesSeen() < int(r.frames.size())); // the run's own frames
        QVERIFY(!w.exporter()->isSimulated());
        QVERIFY(!w.windowTitle().contains(QLatin1String("SIMULATED")));
    }

    void stopSkipsToTheEnd()
    {
        MainWindow w;
        QVERIFY(w.openScenario(m_small));
        w.coresEdit()->setText(QStringLiteral("4"));
        w.speedCombo()->setCurrentIndex(w.speedCombo()->findData(1.0));
        QSignalSpy simulated(w.simPlayer(), &SimPlayer::simulated);
        QSignalSpy finished(w.simPlayer(), &SimPlayer::finished);
        w.simulate();
        QVERIFY(simulated.wait(10000));
        w.pauseAction()->trigger();
        QCOMPARE(w.simPlayer()->state(), SimPlayer::State::Paused);
        QVERIFY(w.clockText().contains(QStringLiteral("❚❚")));
        const int shown = w.plots()->framesSeen();
        QVERIFY(shown < int(w.simPlayer()->result().frames.size()) / 2); // 1×: a second of 20 at most
        w.stop();
        QCOMPARE(finished.size(), 1);
        QCOMPARE(w.plots()->framesSeen(), int(w.simPlayer()->result().frames.size()));
        QVERIFY(w.runAction()->isEnabled());
        QVERIFY(w.windowTitle().contains(QStringLiteral("SIMULATED · 4 cores")));
    }

    void badInputIsRefusedWithWhy_data()
    {
        QTest::addColumn<QString>("cores");
        QTest::addColumn<QString>("duration");
        QTest::addColumn<QString>("why");
        QTest::newRow("zero cores") << QStringLiteral("0") << QStringLiteral("5s") << QStringLiteral("1 to 1024");
        QTest::newRow("too many") << QStringLiteral("2048") << QStringLiteral("5s") << QStringLiteral("1 to 1024");
        QTest::newRow("not a number") << QStringLiteral("many") << QStringLiteral("5s")
                                      << QStringLiteral("whole number");
        QTest::newRow("until stopped") << QStringLiteral("8") << QStringLiteral("until stopped")
                                       << QStringLiteral("needs a duration");
    }

    void badInputIsRefusedWithWhy()
    {
        QFETCH(QString, cores);
        QFETCH(QString, duration);
        QFETCH(QString, why);
        MainWindow w;
        QVERIFY(w.openScenario(m_small));
        QVERIFY(w.durationField()->setText(duration));
        w.coresEdit()->setText(cores);
        w.simulate();
        QVERIFY(!w.isSimulating());
        QVERIFY2(w.statusBar()->currentMessage().contains(why), qPrintable(w.statusBar()->currentMessage()));
        QVERIFY(w.simulationMark().isEmpty());
    }

    void lessonSaysClaimsAreNotJudged()
    {
        MainWindow w;
        const QString lesson = builtinLessonNames().value(0);
        QVERIFY(w.openScenario(lesson));
        QVERIFY(w.lessonPanel()->hasLesson());
        QVERIFY(w.lessonPanel()->simulationNoteText().isEmpty());
        w.coresEdit()->setText(QStringLiteral("8"));
        w.simulate();
        QVERIFY(w.isSimulating());
        QVERIFY(w.lessonPanel()->simulationNoteText().contains(QLatin1String("none is judged")));
        QVERIFY(!w.lessonPanel()->stepButton(0)->isEnabled()); // a replay takes no step
        QVERIFY(w.lessonPanel()->stepButton(0)->toolTip().contains(QLatin1String("replay")));
        w.applyLessonStep(0); // nor through the window
        QVERIFY(!w.lessonPanel()->isApplied(0));
        QVERIFY(w.statusBar()->currentMessage().contains(QLatin1String("replay")));
        QVERIFY(w.openScenario(lesson)); // drops the replay and its mark
        QVERIFY(!w.isSimulating());
        QVERIFY(w.lessonPanel()->stepButton(0)->isEnabled());
        QVERIFY(w.lessonPanel()->simulationNoteText().isEmpty());
        QVERIFY(!w.windowTitle().contains(QLatin1String("SIMULATED")));
    }

    void tuneViewSimulatedSweepMarksItsPoints()
    {
        MainWindow w;
        QVERIFY(w.openScenario(m_small));
        TuneView *v = w.tuneView();
        QCOMPARE(v->varyCombo(0)->currentData().toString(), QStringLiteral("domains.threads.workers"));
        v->rangeEdit(0)->setText(QStringLiteral("1..4"));
        v->durationBox()->setValue(5);
        v->warmupBox()->setValue(1);
        v->simulateBox()->setChecked(true);
        v->simCoresBox()->setValue(8);
        QSignalSpy finished(v, &TuneView::finished);
        v->runButton()->click();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
        QVERIFY(v->sweepResult());
        QCOMPARE(v->sweepResult()->mode, QStringLiteral("simulated"));
        QCOMPARE(v->sweepResult()->cores, 8);
        QCOMPARE(int(v->sweepResult()->points.size()), 4);
        QCOMPARE(sources(v), QStringList(4, QStringLiteral("sim")));
        QVERIFY2(v->recommendationLabel()->text().contains(QLatin1String("SIMULATED")),
            qPrintable(v->recommendationLabel()->text()));
    }

    void tuneViewSimulateFirstConfirmsOnTheEngine()
    {
        MainWindow w;
        QVERIFY(w.openScenario(m_small));
        const QString shots = qEnvironmentVariable("HS_SCREENSHOT_DIR");
        if (!shots.isEmpty()) {
            w.show();
            QVERIFY(QTest::qWaitForWindowExposed(&w));
            QTest::qWait(200);
            w.resize(1600, 1000);
            w.tuneDock()->toggleViewAction()->trigger();
        }
        TuneView *v = w.tuneView();
        v->durationBox()->setValue(1);
        v->warmupBox()->setValue(0.2);
        v->budgetBox()->setValue(10);
        v->simulateBox()->setChecked(true);
        QVERIFY(v->confirmBox()->isEnabled());
        QCOMPARE(v->confirmBox()->value(), 3);
        v->simCoresBox()->setValue(4);
        v->confirmBox()->setValue(1); // one point on the engine: the test stays short
        QSignalSpy finished(v, &TuneView::finished);
        v->tuneButton()->click();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 30000);
        QVERIFY(v->tuneResult());
        const TuneResult &r = *v->tuneResult();
        QVERIFY(r.simulated);
        QCOMPARE(r.confirm, 1);
        const QStringList src = sources(v);
        QCOMPARE(src.size(), int(r.evaluated.size()));
        QVERIFY2(src.contains(QStringLiteral("sim")), qPrintable(src.join(QLatin1Char(','))));
        QCOMPARE(src.count(QStringLiteral("engine")), 1);
        QCOMPARE(src.last(), QStringLiteral("engine"));
        const QString line = v->recommendationLabel()->text();
        QVERIFY2(r.best ? line.contains(QLatin1String("confirmed on the engine"))
                        : line.contains(QLatin1String("engine did not confirm")),
            qPrintable(line));
        if (r.best)
            QCOMPARE(r.evaluated[*r.best].source, QStringLiteral("engine"));
        if (!shots.isEmpty()) {
            QTest::qWait(300);
            QVERIFY(w.grab().save(shots + QStringLiteral("/simulate-first-tune.png")));
        }
    }
};

QTEST_MAIN(TestSimulateMode)
#include "tst_simulatemode.moc"
