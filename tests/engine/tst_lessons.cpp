// The built-in lessons (issue 6): every lesson's claim, checked by running its scenario before
// and after each step on this engine, and the lesson block's parsing and live application.

#include "core/parallelprobe.h"
#include "enginetest.h"
#include "results/report.h"
#include "run/lessonstep.h"
#include "scenario/builtins.h"
#include "scenario/lesson.h"
#include "scenario/scenarioparser.h"
#include "testutil.h"

#include <QJsonObject>
#include <QTest>

#include <algorithm>

using namespace hs;
using hs::test::EngineRun;

class TestLessons : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void conditions_data();
    void conditions();
    void reportValues();
    void parseErrors_data();
    void parseErrors();
    void libraryCoversTheTopics();
    void builtinLesson_data();
    void builtinLesson();
    void liveStepOnRunningEngine();
};

void TestLessons::conditions_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<double>("x");
    QTest::addColumn<bool>("holds");
    QTest::newRow("less") << QStringLiteral("< 10") << true << 9.5 << true;
    QTest::newRow("less false") << QStringLiteral("<10") << true << 10.0 << false;
    QTest::newRow("less equal") << QStringLiteral("<= 10") << true << 10.0 << true;
    QTest::newRow("greater") << QStringLiteral(" > 1.4 ") << true << 1.41 << true;
    QTest::newRow("greater false") << QStringLiteral("> 1.4") << true << 1.4 << false;
    QTest::newRow("greater equal exp") << QStringLiteral(">= 1e2") << true << 100.0 << true;
    QTest::newRow("negative") << QStringLiteral("> -0.5") << true << 0.0 << true;
    QTest::newRow("no op") << QStringLiteral("10") << false << 0.0 << false;
    QTest::newRow("double op") << QStringLiteral("<< 3") << false << 0.0 << false;
    QTest::newRow("no number") << QStringLiteral("< ten") << false << 0.0 << false;
    QTest::newRow("trailing") << QStringLiteral("< 10 ms") << false << 0.0 << false;
}

void TestLessons::conditions()
{
    QFETCH(QString, text);
    QFETCH(bool, valid);
    QFETCH(double, x);
    QFETCH(bool, holds);
    const auto c = parseCondition(text);
    QCOMPARE(c.has_value(), valid);
    if (c)
        QCOMPARE(c->holds(x), holds);
}

void TestLessons::reportValues()
{
    const QJsonObject r { { QStringLiteral("loop"),
                              QJsonObject {
                                  { QStringLiteral("lag_ms"), QJsonObject { { QStringLiteral("p99"), 12.5 } } } } },
        { QStringLiteral("classes"),
            QJsonObject { { QStringLiteral("a"), QJsonObject { { QStringLiteral("sla_met"), true } } } } } };
    QCOMPARE(reportValue(r, QStringLiteral("loop.lag_ms.p99")).value_or(-1), 12.5);
    QCOMPARE(reportValue(r, QStringLiteral("classes.a.sla_met")).value_or(-1), 1.0);
    QVERIFY(!reportValue(r, QStringLiteral("loop.lag_ms")).has_value()); // an object, not a number
    QVERIFY(!reportValue(r, QStringLiteral("loop.lag_ms.p50")).has_value());
    QVERIFY(!reportValue(r, QStringLiteral("classes.b.sla_met")).has_value());

    LessonCheck check;
    check.metric = QStringLiteral("loop.lag_ms.p99");
    check.before = parseCondition(QStringLiteral("> 10"));
    check.ratio = parseCondition(QStringLiteral("< 0.5"));
    QJsonObject after = r;
    after[QStringLiteral("loop")]
        = QJsonObject { { QStringLiteral("lag_ms"), QJsonObject { { QStringLiteral("p99"), 5.0 } } } };
    QVERIFY2(evaluateCheck(check, r, after).ok, qPrintable(evaluateCheck(check, r, after).text));
    after[QStringLiteral("loop")]
        = QJsonObject { { QStringLiteral("lag_ms"), QJsonObject { { QStringLiteral("p99"), 7.0 } } } };
    const CheckOutcome failed = evaluateCheck(check, r, after);
    QVERIFY(!failed.ok);
    QVERIFY2(failed.text.contains(QLatin1String("FAILED")), qPrintable(failed.text));
    QVERIFY(!evaluateCheck(check, QJsonObject {}, after).ok); // a missing metric never passes
}

void TestLessons::parseErrors_data()
{
    QTest::addColumn<QByteArray>("lesson");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("message");
    // The lesson block starts at line 7 of the scenario below.
    QTest::newRow("not a mapping") << QByteArray("lesson: yes\n") << 7 << QStringLiteral("lesson: expected a mapping");
    QTest::newRow("unknown key") << QByteArray(
        "lesson:\n  title: t\n  goal: g\n  watch: w\n  expected: e\n  why: y\n  stpes: []\n")
                                 << 13 << QStringLiteral("did you mean \"steps\"");
    QTest::newRow("missing goal") << QByteArray("lesson:\n  title: t\n  watch: w\n  expected: e\n  why: y\n"
                                                "  steps: [ { title: s, route: a.s=tbb } ]\n")
                                  << 8 << QStringLiteral("missing \"goal\"");
    QTest::newRow("no steps") << QByteArray(
        "lesson:\n  title: t\n  goal: g\n  watch: w\n  expected: e\n  why: y\n  steps: []\n")
                              << 13 << QStringLiteral("at least one step");
    const QByteArray head("lesson:\n  title: t\n  goal: g\n  watch: w\n  expected: e\n  why: y\n  steps:\n");
    QTest::newRow("step without change") << head + "    - { title: nothing }\n"
                                         << 14 << QStringLiteral("a step needs a change");
    QTest::newRow("route syntax") << head + "    - { title: r, route: a.s }\n"
                                  << 14 << QStringLiteral("lesson.steps[0].route");
    QTest::newRow("route unknown stage") << head + "    - { title: r, route: a.nope=tbb }\n"
                                         << 14
                                         << QStringLiteral(
                                                "lesson.steps[0] (r): route a.nope=tbb: no stage \"a.nope\"");
    QTest::newRow("set out of range") << head + "    - { title: w, set: { domains.threads.workers: 0 } }\n"
                                      << 14
                                      << QStringLiteral("set domains.threads.workers=0: workers: 0 is out of range");
    QTest::newRow("set unknown path") << head + "    - { title: w, set: { domains.threads.wrokers: 4 } }\n"
                                      << 14 << QStringLiteral("lesson.steps[0] (w)");
    QTest::newRow("second step builds on the first")
        << head + "    - { title: one, route: a.s=tbb }\n    - { title: two, set: { domains.tbb.workers: 99999 } }\n"
        << 15 << QStringLiteral("lesson.steps[1] (two)");
    QTest::newRow("bad condition") << head
            + "    - { title: c, route: a.s=tbb, check: [ { metric: loop.lag_ms.p99, after: \"<< 3\" } ] }\n"
                                   << 14 << QStringLiteral("expected a comparison");
    QTest::newRow("unknown class in metric")
        << head + "    - { title: c, route: a.s=tbb, check: [ { metric: classes.b.throughput, after: \"> 1\" } ] }\n"
        << 14 << QStringLiteral("no class named \"b\"");
    QTest::newRow("metric root") << head
            + "    - { title: c, route: a.s=tbb, check: [ { metric: frames.x, after: \"> 1\" } ] }\n"
                                 << 14 << QStringLiteral("starting with classes, domains, locks, loop or totals");
    QTest::newRow("empty check") << head
            + "    - { title: c, route: a.s=tbb, check: [ { metric: loop.lag_ms.p99 } ] }\n"
                                 << 14 << QStringLiteral("a check needs before, after or ratio");
}

void TestLessons::parseErrors()
{
    QFETCH(QByteArray, lesson);
    QFETCH(int, line);
    QFETCH(QString, message);
    const QByteArray yaml = QByteArray("name: x\nclasses:\n  - name: a\n    arrival: { process: poisson, rate: 10/s }\n"
                                       "    stages:\n      - { name: s, work: cpu, time: 1ms, domain: threads }\n")
        + lesson;
    const ParseResult r = ScenarioParser::parseText(yaml, QStringLiteral("lesson.yaml"));
    QVERIFY(!r.ok());
    QStringList all;
    bool found = false;
    for (const ScenarioError &e : r.errors) {
        all << e.toString();
        found = found || (e.line == line && e.message.contains(message));
    }
    QVERIFY2(found,
        qPrintable(QStringLiteral("expected line %1 with \"%2\"; got:\n").arg(line).arg(message)
            + all.join(QLatin1Char('\n'))));
}

namespace {
struct BuiltinLesson {
    QString name;
    Scenario scenario;
};

std::vector<BuiltinLesson> builtinLessons()
{
    std::vector<BuiltinLesson> out;
    for (const QString &name : builtinScenarioNames()) {
        const ParseResult r = ScenarioParser::parseFile(builtinScenarioPath(name));
        if (r.ok() && r.scenario->lesson)
            out.push_back({ name, *r.scenario });
    }
    return out;
}

// One short run of a built-in with the first `steps` steps of its lesson applied; the JSON report.
QJsonObject runWithSteps(const QString &name, const Lesson &lesson, int steps, QString *error)
{
    const std::optional<Scenario> scenario = hs::test::lessonScenario(name, lesson, steps, error);
    if (!scenario)
        return {};
    EngineRun run(*scenario, EngineOptions(2.0));
    if (!run.start()) {
        *error = run.error();
        return {};
    }
    if (!run.waitFinished(int(lesson.checkDuration * 1000) + 30000)) {
        *error = QStringLiteral("the run did not finish");
        return {};
    }
    const RunResult result = run.engine().result();
    if (!result.conserved() || result.doubleEnds != 0) {
        *error = QStringLiteral("conservation broken: ") + hs::test::countsText(result);
        return {};
    }
    return runToJson(result);
}
} // namespace

void TestLessons::libraryCoversTheTopics()
{
    // The nine lessons issue 6 asks for, by built-in name.
    const QStringList required { QStringLiteral("blocking-loop"), QStringLiteral("littles-law"),
        QStringLiteral("oversubscription"), QStringLiteral("serialization"), QStringLiteral("backpressure"),
        QStringLiteral("pipeline"), QStringLiteral("gil"), QStringLiteral("crash-isolation"), QStringLiteral("bursts"),
        QStringLiteral("tuning") };
    // DESIGN §15 (issue 18): the fifth pitfall and coordinated omission.
    const QStringList requiredSince18 { QStringLiteral("mixed-primitives"), QStringLiteral("coordinated-omission") };
    QStringList have;
    for (const BuiltinLesson &l : builtinLessons()) {
        have << l.name;
        const Lesson &lesson = *l.scenario.lesson;
        QVERIFY2(
            !lesson.goal.isEmpty() && !lesson.watch.isEmpty() && !lesson.expected.isEmpty() && !lesson.why.isEmpty(),
            qPrintable(l.name));
        for (const LessonStep &s : lesson.steps)
            QVERIFY2(!s.checks.empty() && !s.expect.isEmpty(),
                qPrintable(
                    l.name + QStringLiteral(": step \"") + s.title + QStringLiteral("\" has no check or expect")));
    }
    for (const QString &r : required + requiredSince18)
        QVERIFY2(have.contains(r), qPrintable(QStringLiteral("no lesson in built-in ") + r));
}

void TestLessons::builtinLesson_data()
{
    QTest::addColumn<QString>("name");
    for (const BuiltinLesson &l : builtinLessons())
        QTest::newRow(qPrintable(l.name)) << l.name;
}

void TestLessons::builtinLesson()
{
    QFETCH(QString, name);
    const ParseResult pr = ScenarioParser::parseFile(builtinScenarioPath(name));
    QVERIFY(pr.ok());
    const Lesson lesson = *pr.scenario->lesson;

    QString error;
    // Each run with the share of the machine's CPU the host stole meanwhile (/proc/stat).
    std::vector<double> stolen;
    const auto measured = [&](int steps) {
        const hs::test::CpuTimes cpu0 = hs::test::cpuTimes();
        QJsonObject report = runWithSteps(name, lesson, steps, &error);
        stolen.resize(std::max(stolen.size(), std::size_t(steps) + 1));
        stolen[std::size_t(steps)] = hs::test::stealShare(cpu0, hs::test::cpuTimes());
        return report;
    };
    std::vector<QJsonObject> reports { measured(0) };
    QVERIFY2(error.isEmpty(), qPrintable(error));
    for (int i = 0; i < int(lesson.steps.size()); ++i) {
        const LessonStep &step = lesson.steps[std::size_t(i)];
        reports.push_back(measured(i + 1));
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const auto evaluate = [&](QStringList *texts) {
            bool ok = true;
            for (const LessonCheck &c : step.checks) {
                const CheckOutcome o = evaluateCheck(c, reports[std::size_t(i)], reports[std::size_t(i) + 1]);
                ok = ok && o.ok;
                *texts << o.text;
            }
            return ok;
        };
        // The host stole more than this share of the CPU during one of the step's two runs: they
        // ran on less machine than the lesson assumes (tst_simtwin reads it the same way).
        constexpr double kStealLimit = 0.03;
        const auto stolenInStep = [&] { return std::max(stolen[std::size_t(i)], stolen[std::size_t(i) + 1]); };
        const auto disturbed = [&] { return stolenInStep() > kStealLimit; };
        QStringList texts;
        bool ok = evaluate(&texts);
        // A shared CI machine can stall a whole run; measure this step once more, both sides, before
        // failing, and once more again when the host was stealing the CPU during that second try.
        for (int retry = 0; !ok && (retry == 0 || (retry == 1 && disturbed())); ++retry) {
            qWarning().noquote() << name << "step" << i + 1 << "failed"
                                 << (disturbed() ? QStringLiteral("while the host stole %1 % of the CPU;")
                                                       .arg(100 * stolenInStep(), 0, 'f', 1)
                                                 : QStringLiteral("once;"))
                                 << "measuring again:\n  " << texts.join(QStringLiteral("\n  "));
            reports[std::size_t(i)] = measured(i);
            QVERIFY2(error.isEmpty(), qPrintable(error));
            reports[std::size_t(i) + 1] = measured(i + 1);
            QVERIFY2(error.isEmpty(), qPrintable(error));
            texts.clear();
            ok = evaluate(&texts);
        }
        if (!ok && disturbed())
            QSKIP(qPrintable(QStringLiteral("%1 step %2: the host stole %3 % of the CPU during its last measurement, "
                                            "which cannot judge it: %4")
                                 .arg(name)
                                 .arg(i + 1)
                                 .arg(100 * stolenInStep(), 0, 'f', 1)
                                 .arg(texts.join(QStringLiteral("; ")))));
        if (!ok && lesson.needsParallelCpu) {
            // Its claim needs two cores computing at once; a machine that gives less right now
            // cannot show it (the GUI warns the same way). Say so, with the figure, instead of failing.
            const ParallelProbeResult cpu = measureParallelCores();
            if (cpu.effectiveCores < kParallelCoresForLessons)
                QSKIP(qPrintable(QStringLiteral("%1 step %2 needs parallel CPU; %3 threads give %4 effective cores "
                                                "here now (below %5): %6")
                                     .arg(name)
                                     .arg(i + 1)
                                     .arg(cpu.threads)
                                     .arg(cpu.effectiveCores, 0, 'f', 2)
                                     .arg(kParallelCoresForLessons)
                                     .arg(texts.join(QStringLiteral("; ")))));
        }
        qInfo().noquote() << QStringLiteral("%1 step %2 (%3):\n  %4")
                                 .arg(name)
                                 .arg(i + 1)
                                 .arg(step.title, texts.join(QStringLiteral("\n  ")));
        QVERIFY2(ok,
            qPrintable(name + QStringLiteral(" step ") + QString::number(i + 1) + QStringLiteral(": ")
                + texts.join(QStringLiteral("; "))));
    }
}

void TestLessons::liveStepOnRunningEngine()
{
    // The GUI applies a live step to the running engine: blocking-loop's route, mid-run.
    ParseResult pr = ScenarioParser::parseFile(
        builtinScenarioPath(QStringLiteral("blocking-loop")), { { QStringLiteral("duration"), QStringLiteral("4s") } });
    QVERIFY(pr.ok());
    const Lesson lesson = *pr.scenario->lesson;
    QVERIFY(isLiveStep(lesson.steps[0]));
    std::vector<Override> sets { { QStringLiteral("duration"), QStringLiteral("4s") } };
    std::vector<RouteOverride> routes;
    lessonOverrides(lesson, 1, &sets, &routes);
    const ParseResult target
        = ScenarioParser::parseFile(builtinScenarioPath(QStringLiteral("blocking-loop")), sets, routes);
    QVERIFY(target.ok());

    EngineRun run(*pr.scenario, EngineOptions(1.0));
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(run.waitUntil(1.0, 10000));
    QString error;
    QVERIFY2(applyLiveStep(run.engine(), lesson.steps[0], *target.scenario, &error), qPrintable(error));
    const double appliedAt = run.engine().elapsed();
    QCOMPARE(run.engine().routeOf(QStringLiteral("hog.burn")), DomainKind::Tbb);
    QVERIFY(run.waitFinished(30000));
    const RunResult r = run.engine().result();
    QVERIFY(r.conserved());
    const bool marked = std::any_of(r.events.begin(), r.events.end(), [&](const RunEvent &e) {
        return e.label.contains(QLatin1String("hog.burn")) && std::abs(e.t - appliedAt) < 0.5;
    });
    QVERIFY2(marked, "the route change is a run event (the plots' marker)");
    // Loop lag before the change against after it. Burns already queued on the loop still run
    // there, so "after" starts once the loop's queue has drained.
    double before = 0, after = 0, drainedAt = -1;
    for (const Frame &f : r.frames) {
        const int loopQueue = f.domains[std::size_t(DomainKind::Loop)].queue;
        if (f.t < appliedAt)
            before = std::max(before, f.loopLagMs);
        else if (drainedAt < 0 && loopQueue == 0)
            drainedAt = f.t;
        else if (drainedAt >= 0 && f.t > drainedAt + 0.2)
            after = std::max(after, f.loopLagMs);
    }
    QVERIFY2(drainedAt >= 0 && drainedAt < r.frames.back().t - 0.5,
        qPrintable(QStringLiteral("the loop's queue never drained after the route change (run ended at %1 s)")
                       .arg(r.frames.back().t)));
    QVERIFY2(before > 30 && after < before / 2,
        qPrintable(QStringLiteral("worst loop lag before %1 ms, after %2 ms (drained at %3 s)")
                       .arg(before)
                       .arg(after)
                       .arg(drainedAt)));

    // A setting the engine cannot change while running is refused with a reason, not half applied.
    LessonStep restart;
    restart.title = QStringLiteral("transfer");
    restart.sets.push_back({ QStringLiteral("domains.procs.transfer"), QStringLiteral("shm") });
    QVERIFY(!isLiveStep(restart));
}

QTEST_GUILESS_MAIN(TestLessons)
#include "tst_lessons.moc"
