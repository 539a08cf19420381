// The main window end to end on the offscreen platform, with a real engine: loading fills the
// routing table and the domain cards; a bad file shows its errors and loads nothing; the plots
// receive data; resizing and rerouting act on the running engine and mark every plot; closing
// mid-run (or SIGTERM to the application) leaves no worker process and no engine thread.

#include "domaincard.h"
#include "enginecontroller.h"
#include "enginetest.h"
#include "findingsmodel.h"
#include "findingspanel.h"
#include "liveplot.h"
#include "liveplots.h"
#include "mainwindow.h"
#include "routingmodel.h"
#include "routingtable.h"
#include "scenario/builtins.h"
#include "scenario/scenarioparser.h"
#include "scenariopanel.h"
#include "testutil.h"

#include <QComboBox>
#include <QDir>
#include <QDropEvent>
#include <QFile>
#include <QMimeData>
#include <QProcess>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QWindow>

#include <csignal>
#include <set>
#include <unistd.h>

using namespace hs;

namespace {
// Bounds for waiting on a real engine on a loaded 2-core machine.
constexpr int kStartBoundMs = 20000;
constexpr int kFinishBoundMs = 40000;

const char *kLiveYaml = R"(name: Live knobs
description: A pool to resize and a stage to move.
duration: 120s
seed: 3
domains:
  threads: { workers: 2 }
  tbb: { workers: 2 }
classes:
  - name: request
    arrival: { process: poisson, rate: 100/s }
    stages:
      - { name: serve, work: block, time: 2ms, domain: threads }
  - name: tick
    arrival: { process: constant, rate: 20/s }
    sla: { p99: 30ms }
    stages:
      - { name: wait, work: async, time: 1ms, domain: loop }
)";

const char *kShortYaml = R"(name: Short run
duration: 1.5s
seed: 5
sla: { p99: 200ms }
domains:
  threads: { workers: 2 }
classes:
  - name: io
    arrival: { process: constant, rate: 100/s }
    stages:
      - { name: get, work: block, time: 1ms, domain: threads }
  - name: cpu
    arrival: { process: constant, rate: 50/s }
    sla: { p99: 80ms }
    stages:
      - { name: hash, work: cpu, time: 1ms, domain: tbb }
)";

const char *kProcsYaml = R"(name: With worker processes
duration: 120s
seed: 9
domains:
  procs: { workers: 2 }
  threads: { workers: 2 }
classes:
  - name: crunch
    arrival: { process: constant, rate: 50/s }
    stages:
      - { name: hash, work: cpu, time: 1ms, domain: procs }
      - { name: save, work: block, time: 1ms, domain: threads }
)";

/// Processes whose parent is `parent` (zombies included: an unreaped child is still left over).
std::set<pid_t> childrenOf(pid_t parent)
{
    std::set<pid_t> out;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &e : entries) {
        bool ok = false;
        const pid_t pid = e.toInt(&ok);
        if (!ok)
            continue;
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray line = stat.readAll();
        // "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'.
        const QList<QByteArray> rest = line.mid(line.lastIndexOf(')') + 2).split(' ');
        if (rest.size() > 1 && rest[1].toInt() == parent)
            out.insert(pid);
    }
    return out;
}

/// Names of this process's threads that the engine (or the GUI's control thread) started.
QStringList engineThreads()
{
    QStringList out;
    const QStringList tasks = QDir(QStringLiteral("/proc/self/task")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &t : tasks) {
        QFile comm(QStringLiteral("/proc/self/task/%1/comm").arg(t));
        if (!comm.open(QIODevice::ReadOnly))
            continue;
        const QString name = QString::fromUtf8(comm.readAll()).trimmed();
        if (name.startsWith(QLatin1String("hs-")))
            out << name;
    }
    out.sort();
    return out;
}

bool aliveNotZombie(pid_t pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray line = stat.readAll();
    return line.mid(line.lastIndexOf(')') + 2, 1) != "Z";
}
} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;

    QString writeScenario(const QString &name, const QByteArray &yaml)
    {
        const QString path = m_dir.filePath(name);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(yaml) != yaml.size())
            qFatal("cannot write %s", qPrintable(path));
        return path;
    }

    /// Waits until a frame of the current run satisfies `pred`; false when the bound passed.
    template<class Pred> static bool waitForFrame(MainWindow &w, Pred pred, int boundMs)
    {
        bool seen = false;
        const auto c = QObject::connect(w.controller(), &EngineController::frameReady, &w, [&](const Frame &f) {
            if (pred(f))
                seen = true;
        });
        const bool ok = QTest::qWaitFor([&] { return seen; }, boundMs);
        QObject::disconnect(c);
        return ok;
    }

    static bool waitReleased(MainWindow &w, int boundMs)
    {
        return QTest::qWaitFor([&] { return !w.controller()->hasEngine(); }, boundMs);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("HybridscopeTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_mainwindow"));
        QSettings().clear();
        QVERIFY(m_dir.isValid());
        QVERIFY2(QFileInfo::exists(qEnvironmentVariable("HS_WORKER")) || !qEnvironmentVariableIsSet("HS_WORKER"),
            "HS_WORKER names no file: build hybridscope-worker first");
    }

    void loadFillsRoutingAndCards_data()
    {
        QTest::addColumn<QString>("name");
        for (const QString &n : builtinScenarioNames())
            QTest::newRow(qPrintable(n)) << n;
    }

    void loadFillsRoutingAndCards()
    {
        QFETCH(QString, name);
        const ParseResult parsed = ScenarioParser::parseFile(builtinScenarioPath(name));
        QVERIFY(parsed.ok());
        const Scenario &s = *parsed.scenario;
        MainWindow w;
        QVERIFY(w.openScenario(name));
        QCOMPARE(w.scenarioPanel()->scenarioName(), s.name);
        QCOMPARE(w.scenarioPanel()->description(), s.description.simplified());
        const QStringList keys = s.routingKeys();
        QCOMPARE(w.routingModel()->rowCount(), int(keys.size()));
        int row = 0;
        for (const TaskClass &c : s.classes)
            for (const Stage &st : c.stages) {
                QCOMPARE(w.routingModel()->keyAt(row), keys[row]);
                QCOMPARE(w.routingModel()->routeOf(keys[row]), st.domain);
                QComboBox *combo = w.routingTable()->comboBox(row);
                QVERIFY2(combo, "every row shows its domain combo box");
                QCOMPARE(combo->currentData().toInt(), int(st.domain));
                ++row;
            }
        for (DomainKind d : kAllDomains) {
            DomainCard *card = w.domainCard(d);
            QVERIFY(card);
            QCOMPARE(card->workersSpinBox()->value(), d == DomainKind::Loop ? 1 : s.domain(d).workers);
            QCOMPARE(card->queueSpinBox()->value(), s.domain(d).queue);
            QCOMPARE(card->maxInflightSpinBox()->value(), s.domain(d).maxInflight);
            QCOMPARE(card->backpressure().onFull, s.domain(d).onFull);
        }
    }

    void loadDefaultShowsItsKnownShape()
    {
        MainWindow w;
        QVERIFY(w.openScenario(QStringLiteral("default")));
        QCOMPARE(w.routingModel()->routeOf(QStringLiteral("pipeline.transform")), DomainKind::Tbb);
        QCOMPARE(w.routingModel()->routeOf(QStringLiteral("pipeline.fetch")), DomainKind::Loop);
        QCOMPARE(w.domainCard(DomainKind::Threads)->workersSpinBox()->value(), 8);
        QCOMPARE(w.domainCard(DomainKind::Threads)->queueSpinBox()->value(), 1000);
        QCOMPARE(w.domainCard(DomainKind::Threads)->onFullComboBox()->currentText(), QStringLiteral("reject"));
        QVERIFY(w.runAction()->isEnabled());
        QVERIFY(!w.stopAction()->isEnabled());
    }

    void badScenarioShowsErrorsAndLoadsNothing_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<int>("line");
        QTest::newRow("negative pool") << QByteArray(
            "name: Bad\nduration: 1s\ndomains:\n  threads: { workers: -3 }\n"
            "classes:\n  - name: a\n    arrival: { process: poisson, rate: 1/s }\n"
            "    stages:\n      - { name: s, work: block, time: 1ms, domain: threads }\n")
                                       << 4;
        QTest::newRow("wrong unit") << QByteArray(
            "name: Bad\nduration: 1s\nclasses:\n  - name: a\n"
            "    arrival: { process: poisson, rate: 1/s }\n    stages:\n"
            "      - { name: s, work: block, time: 5 parsecs, domain: threads }\n")
                                    << 7;
        QTest::newRow("unknown key") << QByteArray("name: Bad\nduration: 1s\nsurprise: true\nclasses:\n  - name: a\n"
                                                   "    arrival: { process: poisson, rate: 1/s }\n    stages:\n"
                                                   "      - { name: s, work: block, time: 1ms, domain: threads }\n")
                                     << 3;
        QTest::newRow("not yaml") << QByteArray("name: Bad\nclasses: [\n  - {\n") << 0;
    }

    void badScenarioShowsErrorsAndLoadsNothing()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(int, line);
        MainWindow w;
        QVERIFY(w.openScenario(QStringLiteral("default")));
        const QString path = writeScenario(QStringLiteral("bad.yaml"), yaml);
        const ParseResult expected = ScenarioParser::parseFile(path);
        QVERIFY(!expected.ok());

        QVERIFY(!w.openScenario(path));
        QVERIFY(w.scenarioPanel()->hasErrors());
        const QStringList shown = w.scenarioPanel()->errorLines();
        QCOMPARE(shown.size(), int(expected.errors.size()));
        for (std::size_t i = 0; i < expected.errors.size(); ++i) {
            const ScenarioError &e = expected.errors[i];
            QVERIFY2(shown[int(i)].endsWith(e.message), qPrintable(shown[int(i)]));
            if (e.line > 0)
                QVERIFY2(shown[int(i)].startsWith(QStringLiteral("line %1, column %2: ").arg(e.line).arg(e.column)),
                    qPrintable(shown[int(i)]));
        }
        if (line > 0)
            QVERIFY2(shown.join(QLatin1Char('\n')).contains(QStringLiteral("line %1, column ").arg(line)),
                qPrintable(shown.join(QLatin1Char('\n'))));
        QVERIFY(w.scenarioPanel()->errorHeading().contains(QStringLiteral("bad.yaml")));
        // Never half-loaded: everything still shows the default scenario.
        QCOMPARE(w.scenario().name, QStringLiteral("Blueprint mix"));
        QCOMPARE(w.scenarioPanel()->scenarioName(), QStringLiteral("Blueprint mix"));
        QCOMPARE(w.routingModel()->rowCount(), 6);
        QCOMPARE(w.domainCard(DomainKind::Threads)->workersSpinBox()->value(), 8);
        // A good file afterwards clears the errors.
        QVERIFY(w.openScenario(writeScenario(QStringLiteral("good.yaml"), kShortYaml)));
        QVERIFY(!w.scenarioPanel()->hasErrors());
        QCOMPARE(w.scenarioPanel()->scenarioName(), QStringLiteral("Short run"));
    }

    void runFillsThePlotsAndTotals()
    {
        MainWindow w;
        w.show();
        QVERIFY(w.openScenario(writeScenario(QStringLiteral("short.yaml"), kShortYaml)));
        QSignalSpy finished(w.controller(), &EngineController::finished);
        QSignalSpy released(w.controller(), &EngineController::engineReleased);
        QCOMPARE(w.runAction()->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_R));
        QCOMPARE(w.stopAction()->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_Period));
        QCOMPARE(w.openAction()->shortcut(), QKeySequence(QKeySequence::Open));
        QApplication::setActiveWindow(&w);
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QTest::keyClick(&w, Qt::Key_R, Qt::ControlModifier); // Run, from the keyboard
        QCOMPARE(w.controller()->state(), EngineController::State::Starting);
        QVERIFY(!w.runAction()->isEnabled());
        QVERIFY(w.stopAction()->isEnabled());
        QVERIFY(finished.wait(kFinishBoundMs));
        QVERIFY(released.count() > 0 || released.wait(kFinishBoundMs));

        LivePlots *p = w.plots();
        QVERIFY(p->framesSeen() >= 20); // 1.5 s at 20 Hz, plus the drain
        const int threads = p->queueSeries(DomainKind::Threads);
        QVERIFY(threads >= 0);
        QCOMPARE(p->queuePlot()->seriesName(threads), QStringLiteral("threads"));
        QVERIFY(p->queuePlot()->pointCount(threads) >= 20);
        QVERIFY(p->throughputPlot()->maxValue(p->throughputSeries(DomainKind::Threads)) > 10);
        QVERIFY(p->throughputPlot()->maxValue(p->utilizationSeries(DomainKind::Threads)) > 0);
        QVERIFY(p->starvationPlot()->pointCount(p->loopLagSeries()) >= 20);
        for (int c = 0; c < 2; ++c) {
            const int s = p->latencySeries(c);
            QVERIFY(p->latencyPlot()->pointCount(s) >= 20);
            QVERIFY2(p->latencyPlot()->maxValue(s) > 0, "a P99 over the sliding window");
        }
        // Each class's SLA as a line: 200 ms (the default) for io, 80 ms for cpu.
        QCOMPARE(p->latencyPlot()->referenceLineCount(), 2);
        QCOMPARE(p->latencyPlot()->referenceValue(0), 80.0);
        QCOMPARE(p->latencyPlot()->referenceValue(1), 200.0);
        // The plots replotted while the run went on, far less often than once per point.
        for (LivePlot *plot : p->plots()) {
            QVERIFY(plot->replotCount() > 0);
            QVERIFY(plot->replotCount() <= p->framesSeen() + 5);
        }
        // Totals of the whole run, and the conservation law.
        const RunResult &r = w.controller()->lastResult();
        QVERIFY(r.submitted() > 100);
        QVERIFY2(w.totalsText().startsWith(
                     QStringLiteral("submitted %1 ").arg(QLocale().toString(qulonglong(r.submitted())))),
            qPrintable(w.totalsText()));
        QCOMPARE(w.conservationText(), QStringLiteral("conservation ✓ holds"));
        QVERIFY2(w.clockText().startsWith(QStringLiteral("finished after 0:0")), qPrintable(w.clockText()));
        QVERIFY(w.findingsPanel()->summary().startsWith(QStringLiteral("Whole run"))
            || w.findingsPanel()->summary() == QStringLiteral("The run raised no findings."));
        QVERIFY(w.runAction()->isEnabled());
        QVERIFY(!w.stopAction()->isEnabled());
    }

    void resizeAndRerouteActOnTheRunningEngine()
    {
        MainWindow w;
        w.show();
        QVERIFY(w.openScenario(writeScenario(QStringLiteral("live.yaml"), kLiveYaml)));
        QSignalSpy events(w.controller(), &EngineController::eventAdded);
        w.run();
        QVERIFY(waitForFrame(
            w, [](const Frame &f) { return f.domains[1].workers == 2 && f.t > 0.3; }, kStartBoundMs));

        // A pool size typed in the card resizes the running domain.
        w.domainCard(DomainKind::Threads)->workersSpinBox()->setValue(5);
        QVERIFY(waitForFrame(
            w, [](const Frame &f) { return f.domains[std::size_t(DomainKind::Threads)].workers == 5; }, kStartBoundMs));
        QTRY_VERIFY_WITH_TIMEOUT(!events.isEmpty(), kStartBoundMs);
        const auto label = [&events](int i) { return events.at(i).at(0).value<RunEvent>().label; };
        QVERIFY2(label(0).contains(QStringLiteral("threads")) && label(0).contains(QStringLiteral("5")),
            qPrintable(label(0)));
        for (LivePlot *plot : w.plots()->plots())
            QCOMPARE(plot->markerLabels(), QStringList({ QStringLiteral("threads: 2 → 5 workers") })); // human form
        QCOMPARE(w.scenario().domain(DomainKind::Threads).workers, 5);

        // A slider drag resizes once, to where it was released.
        QSlider *slider = w.domainCard(DomainKind::Tbb)->workersSlider();
        slider->setSliderDown(true);
        for (int v = 3; v <= 24; ++v)
            slider->setValue(v);
        slider->setSliderDown(false);
        QVERIFY(waitForFrame(
            w, [](const Frame &f) { return f.domains[std::size_t(DomainKind::Tbb)].workers == 24; }, kStartBoundMs));
        QTRY_COMPARE_WITH_TIMEOUT(events.count(), 2, kStartBoundMs);
        QVERIFY2(
            label(1).contains(QStringLiteral("tbb")) && label(1).contains(QStringLiteral("24")), qPrintable(label(1)));

        // Nothing runs on tbb until a stage is moved there in the routing table.
        QVERIFY(waitForFrame(
            w, [](const Frame &f) { return f.t > 0.5; }, kStartBoundMs));
        QComboBox *combo = w.routingTable()->comboBox(w.routingModel()->rowOf(QStringLiteral("request.serve")));
        QVERIFY(combo);
        std::uint64_t tbbDoneBefore = ~0ull;
        QVERIFY(waitForFrame(
            w,
            [&](const Frame &f) {
                tbbDoneBefore = f.domains[std::size_t(DomainKind::Tbb)].done;
                return true;
            },
            kStartBoundMs));
        QCOMPARE(tbbDoneBefore, std::uint64_t(0));
        combo->setCurrentIndex(combo->findData(int(DomainKind::Tbb)));
        QCOMPARE(w.routingModel()->routeOf(QStringLiteral("request.serve")), DomainKind::Tbb);
        QTRY_COMPARE_WITH_TIMEOUT(events.count(), 3, kStartBoundMs);
        QVERIFY2(label(2).contains(QStringLiteral("request.serve")) && label(2).contains(QStringLiteral("tbb")),
            qPrintable(label(2)));
        QVERIFY(waitForFrame(
            w, [](const Frame &f) { return f.domains[std::size_t(DomainKind::Tbb)].done >= 20; }, kStartBoundMs));
        for (LivePlot *plot : w.plots()->plots())
            QCOMPARE(plot->markerLabels().size(), 3);
        QCOMPARE(w.scenario().classes[0].stages[0].domain, DomainKind::Tbb); // kept for the next run

        // Stop drains; a second Stop would cancel. The engine goes away within its bounds.
        QVERIFY(!w.revertAction()->isEnabled());
        w.stop();
        QVERIFY(waitReleased(w, kFinishBoundMs));
        QCOMPARE(w.conservationText(), QStringLiteral("conservation ✓ holds"));

        // Between runs the controls can go back to what the file says.
        QVERIFY(w.revertAction()->isEnabled());
        w.revertAction()->trigger();
        QCOMPARE(w.scenario().domain(DomainKind::Threads).workers, 2);
        QCOMPARE(w.domainCard(DomainKind::Threads)->workersSpinBox()->value(), 2);
        QCOMPARE(w.domainCard(DomainKind::Tbb)->workersSpinBox()->value(), 2);
        QCOMPARE(w.routingModel()->routeOf(QStringLiteral("request.serve")), DomainKind::Threads);
        QCOMPARE(w.scenario().classes[0].stages[0].domain, DomainKind::Threads);
    }

    void liveFindingsRaiseLoopLag()
    {
        MainWindow w;
        QVERIFY(w.openScenario(QStringLiteral("blocking-loop")));
        w.run();
        const auto hasLoopLag = [&w] {
            for (const Finding &f : w.findingsPanel()->model()->findings())
                if (f.rule == QLatin1String("loop_lag"))
                    return true;
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(hasLoopLag(), kStartBoundMs);
        QVERIFY2(
            w.findingsPanel()->summary().startsWith(QStringLiteral("Live:")), qPrintable(w.findingsPanel()->summary()));
        w.restart(); // cancels and starts again: the new run begins with no findings and empty plots
        QTRY_VERIFY_WITH_TIMEOUT(w.controller()->state() == EngineController::State::Running, kFinishBoundMs);
        QVERIFY(w.plots()->framesSeen() < 40);
        w.stop();
        w.stop(); // the second Stop cancels what is left
        QVERIFY(waitReleased(w, kFinishBoundMs));
    }

    void openingAnotherScenarioMidRunDropsTheOldRun()
    {
        MainWindow w;
        QVERIFY(w.openScenario(writeScenario(QStringLiteral("live.yaml"), kLiveYaml)));
        w.run();
        QVERIFY(waitForFrame(
            w, [](const Frame &f) { return f.t > 0.3; }, kStartBoundMs));
        QSignalSpy finished(w.controller(), &EngineController::finished);
        QVERIFY(w.openScenario(writeScenario(QStringLiteral("short.yaml"), kShortYaml)));
        QCOMPARE(w.plots()->framesSeen(), 0);
        QVERIFY(waitReleased(w, kFinishBoundMs));
        // The cancelled run's last frames and its result never reach the new scenario's view.
        QCOMPARE(w.plots()->framesSeen(), 0);
        QCOMPARE(finished.count(), 0);
        QCOMPARE(w.plots()->latencyPlot()->seriesName(0), QStringLiteral("io"));
        QCOMPARE(w.clockText(), QStringLiteral("not running"));
        QVERIFY(w.runAction()->isEnabled());
    }

    void closingMidRunLeavesNothingBehind()
    {
        QVERIFY2(childrenOf(::getpid()).empty(), "a previous test left a child process");
        {
            MainWindow w;
            w.show();
            QVERIFY(w.openScenario(writeScenario(QStringLiteral("procs.yaml"), kProcsYaml)));
            w.run();
            QVERIFY(waitForFrame(
                w, [](const Frame &f) { return f.domains[std::size_t(DomainKind::Procs)].done > 10; }, kStartBoundMs));
            QVERIFY2(!childrenOf(::getpid()).empty(), "the procs domain runs worker processes");
            QVERIFY(!engineThreads().isEmpty());
            QVERIFY(w.close() == false); // the close waits for the engine...
            QVERIFY(w.isVisible());
            QTRY_VERIFY_WITH_TIMEOUT(!w.isVisible(), MainWindow::kCloseBoundMs + 5000); // ...then happens
            QVERIFY(!w.controller()->hasEngine());
        }
        QTRY_VERIFY_WITH_TIMEOUT(childrenOf(::getpid()).empty(), 5000);
        // Every thread the engine named (monitor, generator, loop, pools, tbb workers, procs owners)
        // and the GUI's control thread are gone.
        QTRY_VERIFY2_WITH_TIMEOUT(engineThreads().isEmpty(), qPrintable(engineThreads().join(QLatin1Char(' '))), 5000);
    }

    void sigtermClosesTheApplicationGracefully()
    {
        const QString app = test::appPath();
        if (!QFileInfo::exists(app))
            QSKIP("the hybridscope executable is not built");
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("config")));
        p.setProcessEnvironment(env);
        p.start(app,
            { writeScenario(QStringLiteral("procs.yaml"), kProcsYaml), QStringLiteral("--run"),
                QStringLiteral("--verbose") });
        QVERIFY(p.waitForStarted(10000));
        QByteArray err;
        QTRY_VERIFY_WITH_TIMEOUT((err += p.readAllStandardError()).contains("run started"), kStartBoundMs);
        // Wait for the worker processes of the procs domain.
        std::set<pid_t> workers;
        QTRY_VERIFY_WITH_TIMEOUT((workers = childrenOf(pid_t(p.processId()))).size() >= 2, kStartBoundMs);
        ::kill(pid_t(p.processId()), SIGTERM);
        QVERIFY(p.waitForFinished(MainWindow::kCloseBoundMs + 10000));
        err += p.readAllStandardError();
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QVERIFY2(p.exitCode() == 0, err.constData());
        QVERIFY2(err.contains("stopping the run and closing"), err.constData());
        for (pid_t w : workers)
            QTRY_VERIFY2_WITH_TIMEOUT(
                !aliveNotZombie(w), qPrintable(QStringLiteral("worker %1 outlived the GUI").arg(w)), 5000);
    }

    void settingsRestoreLastScenarioAndRecentFiles()
    {
        const QString path = writeScenario(QStringLiteral("remember.yaml"), kShortYaml);
        {
            MainWindow w;
            QVERIFY(w.openScenario(path));
            w.show();
            w.resize(1234, 789);
            QVERIFY(w.close());
        }
        QCOMPARE(QSettings().value(QStringLiteral("scenario/recent")).toStringList().value(0),
            QFileInfo(path).absoluteFilePath());
        MainWindow again;
        QVERIFY(again.openLastScenario());
        QCOMPARE(again.scenario().name, QStringLiteral("Short run"));
        QCOMPARE(again.size(), QSize(1234, 789));
        // A built-in is remembered by name.
        QVERIFY(again.openScenario(QStringLiteral("mm2")));
        MainWindow third;
        QVERIFY(third.openLastScenario());
        QCOMPARE(third.scenario().name, QStringLiteral("M/M/2 on the thread pool"));
    }

    void dropOpensAFile()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.openScenario(QStringLiteral("default")));
        QMimeData mime;
        mime.setUrls({ QUrl::fromLocalFile(writeScenario(QStringLiteral("dropped.yaml"), kLiveYaml)) });
        // Through the window, as the platform delivers a drag: enter (accepted), then drop.
        const QPointF at(w.width() / 2.0, w.height() / 2.0);
        QDragEnterEvent enter(at.toPoint(), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(w.windowHandle(), &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(w.windowHandle(), &drop);
        QCOMPARE(w.scenario().name, QStringLiteral("Live knobs"));
        // Dropping something that is not a file is refused.
        QMimeData text;
        text.setText(QStringLiteral("hello"));
        QDragEnterEvent refused(at.toPoint(), Qt::CopyAction, &text, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(w.windowHandle(), &refused);
        QVERIFY(!refused.isAccepted());
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
