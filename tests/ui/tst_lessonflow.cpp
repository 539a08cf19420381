// Lessons that guide the user (issue 13): steps apply in order and once, a step that changes
// nothing draws no marker, Reset lesson restores the start, each claim shows a tick, a cross or
// "not yet", a lesson that needs parallel CPU warns with the measured figure, every step says
// when to apply it, and the Lessons menu follows the README's teaching order under the CLI names.

#include "domaincard.h"
#include "enginecontroller.h"
#include "lessonpanel.h"
#include "liveplot.h"
#include "liveplots.h"
#include "mainwindow.h"
#include "routingmodel.h"
#include "scenario/builtins.h"
#include "scenario/scenarioparser.h"

#include <QAction>
#include <QFile>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTest>
#include <QToolBar>

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

Lesson builtinLesson(const QString &name)
{
    const ParseResult r = ScenarioParser::parseFile(builtinScenarioPath(name));
    return r.ok() && r.scenario->lesson ? *r.scenario->lesson : Lesson {};
}

// Runs `w` until its engine has sent a frame past `t` seconds.
bool runUntil(MainWindow &w, QSignalSpy &frames, double t)
{
    w.run();
    return QTest::qWaitFor(
        [&] { return !frames.isEmpty() && frames.last().at(0).value<Frame>().t > t; }, kStartBoundMs);
}

int countEvents(const QSignalSpy &events, const QString &fragment)
{
    int n = 0;
    for (const QList<QVariant> &e : events)
        n += e.at(0).value<RunEvent>().label.contains(fragment) ? 1 : 0;
    return n;
}

bool cancelAndWait(MainWindow &w)
{
    w.controller()->cancelNow();
    return QTest::qWaitFor([&] { return !w.controller()->hasEngine(); }, kFinishBoundMs);
}
} // namespace

class TestLessonFlow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("HybridscopeTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_lessonflow"));
        QSettings().clear();
    }

    void stepsEnforceTheirOrder()
    {
        MainWindow w;
        QVERIFY(w.openScenario(QStringLiteral("backpressure")));
        LessonPanel *p = w.lessonPanel();
        QCOMPARE(p->stepCount(), 2);
        QCOMPARE(p->nextStep(), 0);
        QVERIFY(p->stepButton(0)->isEnabled());
        QVERIFY(!p->stepButton(1)->isEnabled());
        QVERIFY(p->stepButton(1)->toolTip().contains(QStringLiteral("Apply step 1 first")));
        const int queueAtStart = w.scenario().domain(DomainKind::Threads).queue;
        const OnFull onFullAtStart = w.scenario().domain(DomainKind::Threads).onFull;

        // Step 2 first: neither the button nor the window's slot takes it.
        QSignalSpy requested(p, &LessonPanel::stepRequested);
        QTest::mouseClick(p->stepButton(1), Qt::LeftButton);
        QCOMPARE(requested.count(), 0);
        w.applyLessonStep(1);
        QVERIFY(!p->isApplied(1));
        QCOMPARE(w.scenario().domain(DomainKind::Threads).onFull, onFullAtStart);
        QCOMPARE(w.scenario().domain(DomainKind::Threads).queue, queueAtStart);

        // In order, each unlocks the next.
        p->stepButton(0)->click();
        QVERIFY(p->isApplied(0));
        QCOMPARE(p->nextStep(), 1);
        QVERIFY(!p->stepButton(0)->isEnabled());
        QVERIFY(p->stepButton(1)->isEnabled());
        QCOMPARE(w.scenario().domain(DomainKind::Threads).queue, 100);
        p->stepButton(1)->click();
        QVERIFY(p->isApplied(1));
        QCOMPARE(w.scenario().domain(DomainKind::Threads).onFull, OnFull::Block);
        QCOMPARE(p->nextStep(), 2);
        QVERIFY(!p->stepButton(1)->isEnabled());
    }

    void appliedStepCannotBeAppliedAgain()
    {
        MainWindow w;
        w.show();
        QVERIFY(w.openScenario(QStringLiteral("littles-law")));
        QSignalSpy frames(w.controller(), &EngineController::frameReady);
        QSignalSpy events(w.controller(), &EngineController::eventAdded);
        QVERIFY(runUntil(w, frames, 0.3));
        LessonPanel *p = w.lessonPanel();
        p->stepButton(0)->click();
        QVERIFY(p->isApplied(0));
        QVERIFY(!p->stepButton(0)->isEnabled());
        QVERIFY2(QRegularExpression(QStringLiteral("^✓ Step 1 applied at \\d+\\.\\d s$"))
                     .match(p->stepButton(0)->text())
                     .hasMatch(),
            qPrintable(p->stepButton(0)->text()));
        QTRY_COMPARE_WITH_TIMEOUT(countEvents(events, QStringLiteral("threads workers → 12")), 1, kStartBoundMs);

        // The learner moves the pool on by hand (the card); the step, asked again, must not undo it.
        QSpinBox *spin = w.domainCard(DomainKind::Threads)->workersSpinBox();
        spin->setValue(6);
        Q_EMIT spin->editingFinished();
        QCOMPARE(w.scenario().domain(DomainKind::Threads).workers, 6);
        QTRY_COMPARE_WITH_TIMEOUT(countEvents(events, QStringLiteral("threads workers → 6")), 1, kStartBoundMs);
        w.applyLessonStep(0);
        QTest::mouseClick(p->stepButton(0), Qt::LeftButton);
        // A later command as a fence: the engine handles commands in order, so once its event is
        // back, a second "→ 12" would have come before it.
        w.controller()->resize(DomainKind::Threads, 7);
        QTRY_COMPARE_WITH_TIMEOUT(countEvents(events, QStringLiteral("threads workers → 7")), 1, kStartBoundMs);
        QCOMPARE(countEvents(events, QStringLiteral("threads workers → 12")), 1);
        QCOMPARE(w.scenario().domain(DomainKind::Threads).workers, 6);
        QVERIFY(cancelAndWait(w));
    }

    void noOpChangeDrawsNoMarker()
    {
        MainWindow w;
        w.show();
        QVERIFY(w.openScenario(QStringLiteral("blocking-loop")));
        QSignalSpy frames(w.controller(), &EngineController::frameReady);
        QSignalSpy events(w.controller(), &EngineController::eventAdded);
        QVERIFY(runUntil(w, frames, 0.3));
        // The learner moves hog.burn to tbb by hand before pressing the step that does the same.
        RoutingModel *m = w.routingModel();
        QVERIFY(m->setData(
            m->index(m->rowOf(QStringLiteral("hog.burn")), RoutingModel::DomainColumn), int(DomainKind::Tbb)));
        QTRY_COMPARE_WITH_TIMEOUT(countEvents(events, QStringLiteral("hog.burn → tbb")), 1, kStartBoundMs);
        w.lessonPanel()->stepButton(0)->click();
        QVERIFY(w.lessonPanel()->isApplied(0)); // the step holds: it just had nothing left to change
        w.controller()->resize(DomainKind::Tbb, 3); // fence, as above
        QTRY_COMPARE_WITH_TIMEOUT(countEvents(events, QStringLiteral("tbb workers → 3")), 1, kStartBoundMs);
        QCOMPARE(countEvents(events, QStringLiteral("hog.burn → tbb")), 1);
        // One marker per event on every plot: none for the step that changed nothing.
        for (LivePlot *plot : w.plots()->plots())
            QCOMPARE(plot->markerLabels().size(), events.count());
        QVERIFY(cancelAndWait(w));
    }

    void resetLessonRestoresTheStart()
    {
        MainWindow w;
        QVERIFY(w.openScenario(QStringLiteral("backpressure")));
        const DomainConfig start = w.scenario().domain(DomainKind::Threads);
        LessonPanel *p = w.lessonPanel();
        p->stepButton(0)->click();
        p->stepButton(1)->click();
        QCOMPARE(w.scenario().domain(DomainKind::Threads).onFull, OnFull::Block);
        QVERIFY(p->resetButton());
        p->resetButton()->click();
        const DomainConfig now = w.scenario().domain(DomainKind::Threads);
        QCOMPARE(now.queue, start.queue);
        QCOMPARE(now.maxInflight, start.maxInflight);
        QCOMPARE(now.onFull, start.onFull);
        QCOMPARE(now.workers, start.workers);
        QVERIFY(!p->isApplied(0) && !p->isApplied(1));
        QCOMPARE(p->nextStep(), 0);
        QVERIFY(p->stepButton(0)->isEnabled());
        QVERIFY(!p->stepButton(1)->isEnabled());
        QVERIFY(!w.isRunning()); // between runs, nothing starts behind the user's back
    }

    void resetLessonRestartsARunFromTheStart()
    {
        MainWindow w;
        w.show();
        QVERIFY(w.openScenario(QStringLiteral("littles-law")));
        QSignalSpy frames(w.controller(), &EngineController::frameReady);
        QSignalSpy started(w.controller(), &EngineController::started);
        QVERIFY(runUntil(w, frames, 0.3));
        w.lessonPanel()->stepButton(0)->click();
        QTRY_VERIFY_WITH_TIMEOUT(
            frames.last().at(0).value<Frame>().domains[std::size_t(DomainKind::Threads)].workers == 12, kStartBoundMs);
        w.lessonPanel()->resetButton()->click();
        QCOMPARE(w.scenario().domain(DomainKind::Threads).workers, 4);
        QTRY_COMPARE_WITH_TIMEOUT(started.count(), 2, kStartBoundMs);
        frames.clear();
        QTRY_VERIFY_WITH_TIMEOUT(!frames.isEmpty(), kStartBoundMs);
        QCOMPARE(frames.last().at(0).value<Frame>().domains[std::size_t(DomainKind::Threads)].workers, 4);
        QVERIFY(!w.lessonPanel()->isApplied(0));
        QVERIFY(cancelAndWait(w));
    }

    void restartSaysWhichConfiguration()
    {
        MainWindow w;
        QVERIFY(w.restartAction()->toolTip().contains(QStringLiteral("current controls")));
        QVERIFY(w.restartFromFileAction());
        QVERIFY(w.restartFromFileAction()->toolTip().contains(QStringLiteral("scenario file")));
        QVERIFY(w.revertAction()->toolTip().startsWith(QStringLiteral("Revert Controls")));
        // Revert Controls is on the toolbar, not only in a menu.
        bool onToolbar = false;
        for (QToolBar *bar : w.findChildren<QToolBar *>())
            onToolbar = onToolbar || bar->actions().contains(w.revertAction());
        QVERIFY(onToolbar);

        // Restart from File: the file's configuration, the steps cleared (no engine needed to see it).
        QVERIFY(w.openScenario(QStringLiteral("serialization")));
        w.lessonPanel()->stepButton(0)->click();
        QCOMPARE(w.scenario().domain(DomainKind::Procs).transfer, Transfer::Shm);
        QSignalSpy started(w.controller(), &EngineController::started);
        w.restartFromFileAction()->trigger();
        QCOMPARE(w.scenario().domain(DomainKind::Procs).transfer, Transfer::Copy);
        QVERIFY(!w.lessonPanel()->isApplied(0));
        QVERIFY(started.wait(kStartBoundMs));
        QVERIFY(cancelAndWait(w));
    }

    void claimsShowTicksCrossesAndNotYet()
    {
        LessonPanel p;
        p.setLesson(builtinLesson(QStringLiteral("blocking-loop")));
        const QList<ClaimState> pending = p.claims(0);
        QCOMPARE(pending.size(), 3);
        for (const ClaimState &c : pending)
            QCOMPARE(c.state, ClaimState::State::Pending);
        QCOMPARE(pending[0].text, QStringLiteral("loop.lag_ms.p99: before > 30, after < 15"));

        QList<ClaimState> figures {
            { QString(), ClaimState::State::Ok, QStringLiteral("before 48.2, after 1.3"), 0 },
            { QString(), ClaimState::State::Failed, QStringLiteral("before 12.0 (needs > 30)"), 0 },
            { QString(), ClaimState::State::NotYet, QString(), 2.5 },
            { QStringLiteral("beyond the step's checks"), ClaimState::State::Ok, QString(), 0 },
        };
        p.showCheckResults(0, figures);
        p.showCheckResults(7, figures); // no such step: ignored
        const QString ok = p.claimLabel(0, 0)->text().remove(QChar(0x200b));
        const QString failed = p.claimLabel(0, 1)->text().remove(QChar(0x200b));
        const QString notYet = p.claimLabel(0, 2)->text().remove(QChar(0x200b));
        QVERIFY2(ok.contains(QStringLiteral("✓")) && ok.contains(QStringLiteral("before 48.2, after 1.3"))
                && ok.contains(QStringLiteral("loop.lag_ms.p99")),
            qPrintable(ok));
        QVERIFY2(failed.contains(QStringLiteral("✗")) && !failed.contains(QStringLiteral("✓"))
                && failed.contains(QStringLiteral("needs &gt; 30")),
            qPrintable(failed));
        QVERIFY2(notYet.contains(QStringLiteral("not yet: needs 2.5 more seconds"))
                && !notYet.contains(QStringLiteral("✓")) && !notYet.contains(QStringLiteral("✗")),
            qPrintable(notYet));
        QCOMPARE(p.claims(0).size(), 3);
        QCOMPARE(p.claims(0)[1].state, ClaimState::State::Failed);
        QCOMPARE(p.claims(0)[1].text, pending[1].text); // figures without text keep the claim's words

        // A new start clears the results.
        p.clearApplied();
        QCOMPARE(p.claims(0)[0].state, ClaimState::State::Pending);
        QVERIFY(!p.claimLabel(0, 0)->text().contains(QStringLiteral("✓")));
    }

    void claimsSlotWorksThroughQueuedSignals()
    {
        LessonPanel p;
        p.setLesson(builtinLesson(QStringLiteral("blocking-loop")));
        const QList<ClaimState> results { ClaimState { QString(), ClaimState::State::Ok, QStringLiteral("x"), 0 } };
        QMetaObject::invokeMethod(
            &p, "showCheckResults", Qt::QueuedConnection, Q_ARG(int, 0), Q_ARG(QList<hs::ClaimState>, results));
        QCOMPARE(p.claims(0)[0].state, ClaimState::State::Pending); // queued: not yet delivered
        QTRY_COMPARE_WITH_TIMEOUT(p.claims(0)[0].state, ClaimState::State::Ok, 2000);
    }

    void everyStepSaysWhenToApplyIt()
    {
        LessonPanel p;
        for (const QString &name : builtinLessonNames()) {
            const Lesson l = builtinLesson(name);
            p.setLesson(l);
            for (int i = 0; i < int(l.steps.size()); ++i) {
                QVERIFY2(!l.steps[std::size_t(i)].when.isEmpty(), qPrintable(name));
                QCOMPARE(p.whenText(i), l.steps[std::size_t(i)].when);
                auto *label = p.findChild<QLabel *>(QStringLiteral("when%1").arg(i));
                QVERIFY2(
                    label && label->text().contains(l.steps[std::size_t(i)].when.toHtmlEscaped()), qPrintable(name));
            }
        }
    }

    void parallelCpuWarning()
    {
        LessonPanel p;
        p.setLesson(builtinLesson(QStringLiteral("gil")));
        QVERIFY(p.parallelNoteText().contains(QStringLiteral("Measuring")));
        p.setParallelCores(1.2, 2);
        QVERIFY(p.parallelWarningShown());
        QVERIFY2(p.parallelNoteText().contains(QStringLiteral("may not show"))
                && p.parallelNoteText().contains(QStringLiteral("1.2")),
            qPrintable(p.parallelNoteText()));
        p.setParallelCores(1.95, 2);
        QVERIFY(!p.parallelWarningShown());
        QVERIFY(!p.parallelNoteText().contains(QStringLiteral("may not show")));

        // Only the lessons whose claims need two cores at once ask.
        p.setLesson(builtinLesson(QStringLiteral("blocking-loop")));
        p.setParallelCores(1.0, 2);
        QVERIFY(!p.parallelWarningShown());
        QVERIFY(p.parallelNoteText().isEmpty());
        QStringList needing;
        for (const QString &name : builtinLessonNames())
            if (builtinLesson(name).needsParallelCpu)
                needing << name;
        QCOMPARE(needing, (QStringList { QStringLiteral("oversubscription"), QStringLiteral("gil") }));
    }

    void windowMeasuresParallelCpuForSuchALesson()
    {
        MainWindow w;
        QVERIFY(w.openScenario(QStringLiteral("oversubscription")));
        QTRY_VERIFY_WITH_TIMEOUT(!w.lessonPanel()->parallelNoteText().contains(QStringLiteral("Measuring")), 10000);
        QVERIFY2(w.lessonPanel()->parallelNoteText().contains(QStringLiteral("threads computing at once")),
            qPrintable(w.lessonPanel()->parallelNoteText()));
    }

    // With HS_SHOT_DIR set: the blocking-loop lesson mid-run after its step, at the two window
    // sizes the docs use, for a person to look at (the claims' figures here are placeholders until
    // the engine's per-phase figures feed showCheckResults).
    void screenshots()
    {
        const QString dir = qEnvironmentVariable("HS_SHOT_DIR");
        if (dir.isEmpty())
            QSKIP("set HS_SHOT_DIR to write screenshots");
        MainWindow w;
        w.show();
        QVERIFY(w.openScenario(QStringLiteral("blocking-loop")));
        QSignalSpy frames(w.controller(), &EngineController::frameReady);
        QVERIFY(runUntil(w, frames, 3.0));
        w.lessonPanel()->stepButton(0)->click();
        QVERIFY(QTest::qWaitFor([&] { return frames.last().at(0).value<Frame>().t > 6.0; }, kStartBoundMs));
        w.lessonPanel()->showCheckResults(0,
            { { QString(), ClaimState::State::Ok, QStringLiteral("before 48.2, after 1.3"), 0 },
                { QString(), ClaimState::State::Ok, QStringLiteral("before 61.0, after/before 0.08"), 0 },
                { QString(), ClaimState::State::NotYet, QString(), 1.5 } });
        for (const QSize size : { QSize(1600, 1000), QSize(1280, 720) }) {
            w.resize(size);
            QTest::qWait(300); // let the layout and a few frames settle before the picture
            QVERIFY(w.grab().save(dir + QStringLiteral("/lesson-%1x%2.png").arg(size.width()).arg(size.height())));
        }
        QVERIFY(cancelAndWait(w));
        LessonPanel panel;
        panel.setLesson(builtinLesson(QStringLiteral("gil")));
        panel.setParallelCores(1.4, 2);
        panel.resize(360, 900);
        panel.show();
        QVERIFY(panel.grab().save(dir + QStringLiteral("/gil-panel.png")));
    }

    void menuFollowsTheReadme()
    {
        QFile readme(qEnvironmentVariable("HS_SOURCE_DIR") + QStringLiteral("/README.md"));
        QVERIFY2(readme.open(QIODevice::ReadOnly), qPrintable(readme.fileName()));
        const QString text = QString::fromUtf8(readme.readAll());
        const int table = text.indexOf(QStringLiteral("| name | lesson | what to change |"));
        QVERIFY(table >= 0);
        QStringList readmeOrder;
        static const QRegularExpression row(
            QStringLiteral("^\\| `([a-z0-9-]+)` \\|"), QRegularExpression::MultilineOption);
        auto it = row.globalMatch(text.mid(table, text.indexOf(QStringLiteral("\n\n"), table) - table));
        while (it.hasNext())
            readmeOrder << it.next().captured(1);
        QVERIFY(readmeOrder.size() >= 9);

        MainWindow w;
        QMenu *menu = lessonsMenu(w);
        QVERIFY(menu);
        QStringList menuOrder;
        for (QAction *a : menu->actions()) {
            const QString name = a->data().toString();
            QVERIFY2(a->text().startsWith(name + QStringLiteral(" — ")), qPrintable(a->text())); // the CLI's name
            menuOrder << name;
        }
        QCOMPARE(menuOrder, readmeOrder);
    }
};

QTEST_MAIN(TestLessonFlow)
#include "tst_lessonflow.moc"
