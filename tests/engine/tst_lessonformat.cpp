// The lesson format's guidance keys (issue 13): a step's `when:` and the lesson's
// `needs_parallel_cpu:`, with errors at their line and column; and the parallel-CPU probe that
// the GUI runs before such a lesson.

#include "core/parallelprobe.h"
#include "scenario/builtins.h"
#include "scenario/lesson.h"
#include "scenario/scenarioparser.h"

#include <QElapsedTimer>
#include <QTest>
#include <QThread>
#include <algorithm>

using namespace hs;

namespace {
const QString kSource = QStringLiteral("lesson.yaml");

// Lines 1-14: a scenario and its lesson; then lessonKeys, "steps:", one step (title, set) and stepKeys.
QByteArray lesson(const char *lessonKeys, const char *stepKeys)
{
    return QByteArray("name: t\n"
                      "domains:\n"
                      "  threads: { workers: 2 }\n"
                      "classes:\n"
                      "  - name: c\n"
                      "    arrival: { process: poisson, rate: 10/s }\n"
                      "    stages:\n"
                      "      - { name: s, work: cpu, time: 1ms, domain: threads }\n"
                      "lesson:\n"
                      "  title: t\n"
                      "  goal: g\n"
                      "  watch: w\n")
        + "  expected: e\n  why: y\n" + lessonKeys
        + "  steps:\n"
          "    - title: Grow\n"
          "      set: { domains.threads.workers: 4 }\n"
        + stepKeys;
}

ParseResult parse(const QByteArray &yaml)
{
    return ScenarioParser::parseText(yaml, kSource);
}

QString allErrors(const ParseResult &r)
{
    QStringList out;
    for (const ScenarioError &e : r.errors)
        out << e.toString();
    return out.join(QLatin1Char('\n'));
}
} // namespace

class TestLessonFormat : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void whenAndParallelAreRead()
    {
        const ParseResult r = parse(lesson("  needs_parallel_cpu: true\n", "      when: once the queue passes 200\n"));
        QVERIFY2(r.ok(), qPrintable(allErrors(r)));
        QVERIFY(r.scenario->lesson->needsParallelCpu);
        QCOMPARE(r.scenario->lesson->steps[0].when, QStringLiteral("once the queue passes 200"));
        QVERIFY(lessonText(*r.scenario->lesson).contains(QStringLiteral("when: once the queue passes 200")));

        // Both optional: absent means no guidance and no probe.
        const ParseResult plain = parse(lesson("", ""));
        QVERIFY2(plain.ok(), qPrintable(allErrors(plain)));
        QVERIFY(!plain.scenario->lesson->needsParallelCpu);
        QVERIFY(plain.scenario->lesson->steps[0].when.isEmpty());
    }

    void errorsArePositioned_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<int>("line");
        QTest::addColumn<QString>("fragment");
        QTest::newRow("when empty") << lesson("", "      when: \"\"\n") << 18 << QStringLiteral("when");
        QTest::newRow("when a list") << lesson("", "      when: [a, b]\n") << 18 << QStringLiteral("when");
        QTest::newRow("parallel not a bool")
            << lesson("  needs_parallel_cpu: maybe\n", "") << 15 << QStringLiteral("needs_parallel_cpu");
        QTest::newRow("misspelt key") << lesson("", "      wehn: later\n") << 18 << QStringLiteral("wehn");
    }

    void errorsArePositioned()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(int, line);
        QFETCH(QString, fragment);
        const ParseResult r = parse(yaml);
        QVERIFY(!r.ok());
        const ScenarioError &e = r.errors.front();
        QVERIFY2(e.line == line && e.column > 0, qPrintable(allErrors(r)));
        QVERIFY2(e.message.contains(fragment), qPrintable(allErrors(r)));
        QVERIFY2(e.toString().startsWith(kSource + QStringLiteral(":%1:").arg(line)), qPrintable(e.toString()));
    }

    void builtinsSayWhenAndWhichNeedParallelCpu()
    {
        QStringList needing;
        for (const QString &name : builtinLessonNames()) {
            const ParseResult r = ScenarioParser::parseFile(builtinScenarioPath(name));
            QVERIFY2(r.ok(), qPrintable(allErrors(r)));
            for (const LessonStep &s : r.scenario->lesson->steps)
                QVERIFY2(!s.when.isEmpty(), qPrintable(name + QStringLiteral(": ") + s.title));
            if (r.scenario->lesson->needsParallelCpu)
                needing << name;
        }
        // The claims that compare CPU throughput needing two cores at once (docs/lessons.md).
        QCOMPARE(needing, (QStringList { QStringLiteral("oversubscription"), QStringLiteral("gil") }));
    }

    void probeMeasuresWithinItsBounds()
    {
        const int cores = std::clamp(QThread::idealThreadCount(), 1, 64);
        QElapsedTimer t;
        t.start();
        const ParallelProbeResult p = measureParallelCores(0, 240);
        QVERIFY2(t.elapsed() < 2000, qPrintable(QString::number(t.elapsed()))); // 240 ms plus thread start-up
        QCOMPARE(p.threads, cores);
        QVERIFY2(p.effectiveCores >= 1 && p.effectiveCores <= cores, qPrintable(QString::number(p.effectiveCores)));
        qInfo("%d threads: %.2f effective cores in %.0f ms", p.threads, p.effectiveCores, p.wallMs);

        // One thread against one thread: 1 (never more than the threads it ran).
        const ParallelProbeResult one = measureParallelCores(1, 60);
        QCOMPARE(one.threads, 1);
        QCOMPARE(one.effectiveCores, 1.0);
        // Budgets beyond 300 ms are cut to it.
        QVERIFY(measureParallelCores(1, 100000).wallMs < 1500);
    }

    void probeIsMeasuredOncePerSession()
    {
        const ParallelProbeResult *first = &sessionParallelCores();
        QElapsedTimer t;
        t.start();
        const ParallelProbeResult *again = &sessionParallelCores();
        QVERIFY(t.elapsed() < 20); // cached: no second measurement
        QCOMPARE(first, again);
        QVERIFY(first->effectiveCores > 0 && first->effectiveCores <= first->threads);
    }
};

QTEST_GUILESS_MAIN(TestLessonFormat)
#include "tst_lessonformat.moc"
