// The lesson panel in the main window (issue 6): the Lessons menu lists every built-in lesson,
// opening one shows it next to the plots, a live step acts on the running engine and marks the
// plots, and a step the engine cannot take live goes into the next run's configuration.

#include "enginecontroller.h"
#include "lessonpanel.h"
#include "liveplot.h"
#include "liveplots.h"
#include "mainwindow.h"
#include "routingmodel.h"
#include "scenario/builtins.h"
#include "scenario/scenarioparser.h"

#include <QDockWidget>
#include <QMenu>
#include <QMenuBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

using namespace hs;

namespace {
constexpr int kStartBoundMs = 20000;
constexpr int kFinishBoundMs = 40000;

QMenu *lessonsMenu(MainWindow &w)
{
    for (QAction *a : w.menuBar()->actions())
        if (a->menu() && a->text().remove(QLatin1Char('&')) == QLatin1String("Lessons"))
            return a->menu();
    return nullptr;
}
} // namespace

class TestLessonPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("HybridscopeTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_lessonpanel"));
        QSettings().clear();
    }

    void lessonsMenuListsEveryLesson()
    {
        MainWindow w;
        QMenu *menu = lessonsMenu(w);
        QVERIFY(menu);
        QStringList withLesson;
        for (const QString &name : builtinScenarioNames()) {
            const ParseResult r = ScenarioParser::parseFile(builtinScenarioPath(name));
            QVERIFY(r.ok());
            if (r.scenario->lesson)
                withLesson << name;
        }
        QVERIFY2(withLesson.size() >= 9, qPrintable(withLesson.join(QLatin1Char(' '))));
        QStringList listed;
        for (QAction *a : menu->actions())
            listed << a->data().toString();
        // Every lesson, in the teaching order (tst_lessonflow checks that against the README).
        QCOMPARE(listed, builtinLessonNames());
        QStringList sortedListed = listed, sortedWithLesson = withLesson;
        sortedListed.sort();
        sortedWithLesson.sort();
        QCOMPARE(sortedListed, sortedWithLesson);

        // Choosing one opens its scenario and shows the lesson.
        menu->actions().at(listed.indexOf(QStringLiteral("littles-law")))->trigger();
        QCOMPARE(w.scenario().name, QStringLiteral("Sizing an I/O pool with Little's law"));
        QVERIFY(w.lessonPanel()->hasLesson());
        QCOMPARE(w.lessonPanel()->titleText(), QStringLiteral("Sizing an I/O pool with Little's law"));
    }

    void scenarioWithoutLessonSaysSo()
    {
        MainWindow w;
        auto *dock = w.findChild<QDockWidget *>(QStringLiteral("lessonDock"));
        QVERIFY(dock);
        QVERIFY(w.openScenario(QStringLiteral("blocking-loop")));
        QVERIFY(w.lessonPanel()->hasLesson());
        QCOMPARE(w.lessonPanel()->stepCount(), 1);
        QVERIFY(!dock->isHidden());
        QVERIFY(w.openScenario(QStringLiteral("mm2")));
        QVERIFY(!w.lessonPanel()->hasLesson());
        QCOMPARE(w.lessonPanel()->stepCount(), 0);
        QVERIFY(dock->isHidden()); // no lesson: the room goes to the plots
    }

    void liveStepActsOnTheRunningEngine()
    {
        MainWindow w;
        w.show();
        QVERIFY(w.openScenario(QStringLiteral("blocking-loop")));
        QSignalSpy frames(w.controller(), &EngineController::frameReady);
        QSignalSpy events(w.controller(), &EngineController::eventAdded);
        w.run();
        QVERIFY(QTest::qWaitFor(
            [&] { return !frames.isEmpty() && frames.last().at(0).value<Frame>().t > 0.5; }, kStartBoundMs));
        QCOMPARE(w.routingModel()->routeOf(QStringLiteral("hog.burn")), DomainKind::Loop);

        QPushButton *step = w.lessonPanel()->stepButton(0);
        QVERIFY(step);
        step->click();
        QCOMPARE(w.routingModel()->routeOf(QStringLiteral("hog.burn")), DomainKind::Tbb);
        QCOMPARE(w.scenario().classes[0].stages[0].domain, DomainKind::Tbb);
        QVERIFY(w.lessonPanel()->isApplied(0));
        QVERIFY(step->text().startsWith(QStringLiteral("✓")));
        // The engine took it: its event comes back and marks every plot.
        QTRY_VERIFY_WITH_TIMEOUT(!events.isEmpty(), kStartBoundMs);
        const QString label = events.first().at(0).value<RunEvent>().label;
        QVERIFY2(
            label.contains(QStringLiteral("hog.burn")) && label.contains(QStringLiteral("tbb")), qPrintable(label));
        for (LivePlot *plot : w.plots()->plots())
            QVERIFY(plot->markerLabels().contains(label));
        // And tbb starts doing hog's work.
        QVERIFY(QTest::qWaitFor(
            [&] { return frames.last().at(0).value<Frame>().domains[std::size_t(DomainKind::Tbb)].done >= 5; },
            kStartBoundMs));

        w.controller()->cancelNow();
        QVERIFY(QTest::qWaitFor([&] { return !w.controller()->hasEngine(); }, kFinishBoundMs));
        QVERIFY(w.controller()->lastResult().conserved());
    }

    void gilStepSwitchesTheRunningEngine()
    {
        // gil step 3 (route back to threads, GIL off) is live: no restart, a "GIL off" marker.
        MainWindow w;
        QVERIFY(w.openScenario(QStringLiteral("gil")));
        QVERIFY(w.gilAction()->isChecked());
        QVERIFY(w.lessonPanel()->stepButton(2)->text().endsWith(QStringLiteral("step 3")));
        QSignalSpy frames(w.controller(), &EngineController::frameReady);
        QSignalSpy events(w.controller(), &EngineController::eventAdded);
        QSignalSpy started(w.controller(), &EngineController::started);
        w.run();
        QVERIFY(QTest::qWaitFor(
            [&] { return !frames.isEmpty() && frames.last().at(0).value<Frame>().t > 0.3; }, kStartBoundMs));
        QVERIFY(frames.last().at(0).value<Frame>().gil);
        // Steps apply in order: 4 threads, then procs, then back to threads without the GIL.
        w.lessonPanel()->stepButton(0)->click();
        w.lessonPanel()->stepButton(1)->click();
        QVERIFY(w.lessonPanel()->isApplied(1));
        w.lessonPanel()->stepButton(2)->click();
        QVERIFY(!w.gilAction()->isChecked());
        QVERIFY(!w.scenario().gilEnabled);
        QTRY_VERIFY_WITH_TIMEOUT(!frames.last().at(0).value<Frame>().gil, kStartBoundMs);
        QCOMPARE(started.count(), 1); // the same run went on
        bool marked = false;
        for (const QList<QVariant> &e : events)
            marked = marked || e.at(0).value<RunEvent>().label.contains(QStringLiteral("GIL off"));
        QVERIFY(marked);

        // The menu's switch acts on the running engine too.
        w.gilAction()->setChecked(true);
        QTRY_VERIFY_WITH_TIMEOUT(frames.last().at(0).value<Frame>().gil, kStartBoundMs);
        w.controller()->cancelNow();
        QVERIFY(QTest::qWaitFor([&] { return !w.controller()->hasEngine(); }, kFinishBoundMs));
        QVERIFY(w.controller()->lastResult().conserved());
    }

    void settingStepGoesIntoTheNextRun()
    {
        MainWindow w;
        QVERIFY(w.openScenario(QStringLiteral("serialization")));
        QCOMPARE(w.scenario().domain(DomainKind::Procs).transfer, Transfer::Copy);
        QVERIFY(w.lessonPanel()->stepButton(0)->toolTip().contains(QStringLiteral("Restarts the run")));
        w.lessonPanel()->stepButton(0)->click();
        QCOMPARE(w.scenario().domain(DomainKind::Procs).transfer, Transfer::Shm);
        QVERIFY(w.lessonPanel()->isApplied(0));
        QVERIFY(!w.isRunning()); // not running: nothing starts behind the user's back

        // Revert puts the file's settings back and clears the ticks.
        w.revertControls();
        QCOMPARE(w.scenario().domain(DomainKind::Procs).transfer, Transfer::Copy);
        QVERIFY(!w.lessonPanel()->isApplied(0));
    }

    void stepsBuildOnEachOther()
    {
        // backpressure: step 2 (block) keeps step 1's queue bound of 100.
        MainWindow w;
        QVERIFY(w.openScenario(QStringLiteral("backpressure")));
        w.lessonPanel()->stepButton(0)->click();
        QCOMPARE(w.scenario().domain(DomainKind::Threads).queue, 100);
        QCOMPARE(w.scenario().domain(DomainKind::Threads).onFull, OnFull::Reject);
        w.lessonPanel()->stepButton(1)->click();
        QCOMPARE(w.scenario().domain(DomainKind::Threads).queue, 100);
        QCOMPARE(w.scenario().domain(DomainKind::Threads).onFull, OnFull::Block);
    }

    // Every built-in lesson fits a narrow panel: nothing in it (a long dotted setting such as
    // classes.teller.stages.post.lock.scope, a claim's metric) is wider than 260 px unbroken, so
    // the text wraps instead of running out of the dock, which has no horizontal scroll bar.
    void everyLessonFitsANarrowPanel()
    {
        for (const QString &name : builtinLessonNames()) {
            const ParseResult pr = ScenarioParser::parseFile(builtinScenarioPath(name));
            QVERIFY2(pr.ok() && pr.scenario->lesson, qPrintable(name));
            LessonPanel panel;
            panel.setLesson(pr.scenario->lesson);
            for (int step = 0; step < int(pr.scenario->lesson->steps.size()); ++step)
                panel.markApplied(step, 1.0 + step); // every step's claims shown
            const QScrollArea *scroll = panel.findChild<QScrollArea *>();
            QVERIFY(scroll && scroll->widget());
            const int widest = scroll->widget()->minimumSizeHint().width();
            QVERIFY2(widest <= 260, qPrintable(QStringLiteral("%1: %2 px").arg(name).arg(widest)));
        }
    }

    void pendingClaimsSayWhyTheyAreNotJudged()
    {
        // An applied step's claims read "measuring…" while a local run measures them; for an
        // attached run, whose phases never arrive, they say so instead. A new lesson starts over.
        LessonPanel panel;
        const ParseResult pr = ScenarioParser::parseFile(builtinScenarioPath(QStringLiteral("blocking-loop")));
        QVERIFY(pr.ok());
        panel.setLesson(pr.scenario->lesson);
        panel.markApplied(0, 3.5);
        QVERIFY2(panel.claimLabel(0, 0)->text().contains(QStringLiteral("measuring…")),
            qPrintable(panel.claimLabel(0, 0)->text()));
        panel.setPendingNote(QStringLiteral("not judged (attached)"));
        QVERIFY2(panel.claimLabel(0, 0)->text().contains(QStringLiteral("not judged (attached)")),
            qPrintable(panel.claimLabel(0, 0)->text()));
        QVERIFY(!panel.claimLabel(0, 0)->text().contains(QStringLiteral("measuring…")));
        panel.setLesson(pr.scenario->lesson);
        panel.markApplied(0, 3.5);
        QVERIFY(panel.claimLabel(0, 0)->text().contains(QStringLiteral("measuring…")));
    }
};

QTEST_MAIN(TestLessonPanel)
#include "tst_lessonpanel.moc"
