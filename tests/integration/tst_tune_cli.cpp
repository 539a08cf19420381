// End to end: `hybridscope tune` (DESIGN §8, §10) as a user runs it, on the real engine.
#include "testutil.h"

#include "results/theory.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

namespace {

using Run = hs::test::AppRun;
using hs::test::hasKeys;
using hs::test::readJson;
using hs::test::runApp;
using hs::test::writeFile;

// M/M/c on the thread pool: Poisson arrivals at λ = 350/s, exponential blocking calls of 10 ms (no
// CPU: the 2-core machine does not matter), a = λ·E[S] = 3.5 Erlangs. Erlang C puts the response
// time's P99 at 99.8 ms with 4 workers and 51.3 ms with 5 (initTestCase checks it): an SLA of
// 70 ms is missed by 43 % with 4 and met with 27 % to spare with 5. With 4 s measured per point
// (1400 tasks) the P99's 95 % interval is about ±10 % wide, so both verdicts are clear.
constexpr double kLambda = 350, kServiceS = 0.010, kSlaS = 0.070;
const QByteArray kMmc = R"(# A service of blocking calls.
name: mmc tune
duration: 10s
seed: 5
sla: { p99: 70ms }   # the SLA tune must meet
domains:
  threads:
    workers: 16      # generous: tune should give most of these back
classes:
  - name: call
    arrival: { process: poisson, rate: 350/s }
    stages:
      - { name: wait, work: block, time: exp(10ms), domain: threads }
)";

// The loop saturated by a CPU stage: no pool size helps the blocking class behind it.
const QByteArray kLoopBound = R"(name: loop bound
duration: 10s
sla: { p99: 50ms }
domains:
  threads: { workers: 2 }
classes:
  - name: hog
    arrival: { process: poisson, rate: 250/s }
    stages:
      - { name: burn, work: cpu, time: 5ms, domain: loop }
  - name: api
    arrival: { process: poisson, rate: 20/s }
    stages:
      - { name: parse, work: async, time: 1ms, domain: loop }
      - { name: query, work: block, time: 2ms, domain: threads }
)";

// A bounded queue that rejects: with 2 workers for 3 Erlangs the served tasks' P99 is short, but
// about a third of the tasks are turned away.
const QByteArray kShedding = R"(name: shedding
duration: 10s
sla: { p99: 200ms }
domains:
  threads: { workers: 2, queue: 2, on_full: reject }
classes:
  - name: call
    arrival: { process: poisson, rate: 300/s }
    stages:
      - { name: wait, work: block, time: exp(10ms), domain: threads }
)";

const QByteArray kNoSla = R"(name: no sla
duration: 10s
classes:
  - name: a
    arrival: { process: poisson, rate: 10/s }
    stages:
      - { name: s, work: block, time: 1ms, domain: threads }
)";

int workersOf(const QJsonObject &values)
{
    return values.value(QStringLiteral("domains.threads.workers")).toInt(-1);
}

} // namespace

class TestTuneCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(hs::test::appPath()), qPrintable(hs::test::appPath()));
        QVERIFY(m_dir.isValid());
        m_mmc = writeFile(m_dir, QStringLiteral("mmc.yaml"), kMmc);
        m_loop = writeFile(m_dir, QStringLiteral("loop.yaml"), kLoopBound);
        m_noSla = writeFile(m_dir, QStringLiteral("nosla.yaml"), kNoSla);
        m_shedding = writeFile(m_dir, QStringLiteral("shedding.yaml"), kShedding);
        QVERIFY(!m_mmc.isEmpty() && !m_loop.isEmpty() && !m_noSla.isEmpty());
        // The case is a clear one by Erlang C: c − 1 misses and c meets, both by a wide margin.
        const auto c = hs::theory::smallestServersFor(kLambda, kServiceS, 0.99, kSlaS);
        QVERIFY(c.has_value());
        QCOMPARE(*c, 5);
        QVERIFY(hs::theory::mmcResponseQuantile(kLambda, kServiceS, *c - 1, 0.99) > 1.3 * kSlaS);
        QVERIFY(hs::theory::mmcResponseQuantile(kLambda, kServiceS, *c, 0.99) < kSlaS / 1.3);
    }

    // The real tune: the smallest c that meets the SLA by Erlang C, found from 16 on the engine;
    // every key of hybridscope.tune/1; conservation at every point; --write keeps the comments.
    void mmcRecommendsErlangC()
    {
        const QString json = m_dir.filePath(QStringLiteral("tune.json"));
        const QString written = m_dir.filePath(QStringLiteral("tuned.yaml"));
        const QString html = m_dir.filePath(QStringLiteral("tune.html"));
        const Run r = runApp(
            { QStringLiteral("tune"), m_mmc, QStringLiteral("--duration"), QStringLiteral("5s"),
                QStringLiteral("--warmup"), QStringLiteral("1s"), QStringLiteral("--budget"), QStringLiteral("100s"),
                QStringLiteral("--json"), json, QStringLiteral("--write"), written, QStringLiteral("--report"), html },
            200000);
        QVERIFY2(r.finished && r.exitCode == 0, qPrintable(r.describe()));
        QVERIFY2(r.out.contains(QStringLiteral("recommendation: threads 5 (5 workers)")), qPrintable(r.out));
        const QJsonObject o = readJson(json);
        QString missing;
        QVERIFY2(hasKeys(o,
                     { "schema", "scenario", "load", "wall_s", "budget_s", "start", "evaluated", "recommendation",
                         "stop_reason", "infeasible" },
                     &missing),
            qPrintable(missing));
        QCOMPARE(o.value(QStringLiteral("schema")).toString(), QStringLiteral("hybridscope.tune/1"));
        QCOMPARE(o.value(QStringLiteral("load")).toDouble(), 1.0);
        QVERIFY(o.value(QStringLiteral("wall_s")).toDouble() <= 100.0 + 10.0);
        const QJsonObject start = o.value(QStringLiteral("start")).toObject();
        QCOMPARE(start.value(QStringLiteral("source")).toString(), QStringLiteral("theory"));
        // The theory's start from the measured λ and E[S]: 5, or a neighbour if the measured
        // service time is a little off.
        QVERIFY2(std::abs(workersOf(start.value(QStringLiteral("values")).toObject()) - 5) <= 1,
            QJsonDocument(start).toJson().constData());
        const QJsonArray evaluated = o.value(QStringLiteral("evaluated")).toArray();
        QVERIFY(evaluated.size() >= 2);
        bool sawFourMiss = false;
        for (const QJsonValue &v : evaluated) {
            const QJsonObject p = v.toObject();
            QVERIFY2(hasKeys(p, { "values", "source", "classes", "why", "all_sla_met", "conserved" }, &missing),
                qPrintable(missing));
            QCOMPARE(p.value(QStringLiteral("source")).toString(), QStringLiteral("engine"));
            QVERIFY(p.value(QStringLiteral("conserved")).toBool());
            const QJsonObject call
                = p.value(QStringLiteral("classes")).toObject().value(QStringLiteral("call")).toObject();
            QVERIFY2(hasKeys(call, { "throughput", "p99_ms", "p99_ci_ms", "sla_p99_ms", "sla_met" }, &missing),
                qPrintable(missing));
            const int w = workersOf(p.value(QStringLiteral("values")).toObject());
            QVERIFY(w >= 1);
            if (w == 4) {
                sawFourMiss = !p.value(QStringLiteral("all_sla_met")).toBool();
                QVERIFY2(sawFourMiss, QJsonDocument(p).toJson().constData());
            }
            if (w >= 5)
                QVERIFY2(p.value(QStringLiteral("all_sla_met")).toBool(), QJsonDocument(p).toJson().constData());
        }
        QVERIFY2(sawFourMiss, "4 workers must have been tried (the answer's neighbour below)");
        QCOMPARE(workersOf(evaluated.first().toObject().value(QStringLiteral("values")).toObject()), 16);
        const QJsonObject rec = o.value(QStringLiteral("recommendation")).toObject();
        QVERIFY2(hasKeys(rec, { "values", "cost", "all_sla_met", "classes" }, &missing), qPrintable(missing));
        QCOMPARE(workersOf(rec.value(QStringLiteral("values")).toObject()), 5);
        QCOMPARE(rec.value(QStringLiteral("cost")).toInt(), 5);
        QVERIFY(rec.value(QStringLiteral("all_sla_met")).toBool());
        const QJsonObject call
            = rec.value(QStringLiteral("classes")).toObject().value(QStringLiteral("call")).toObject();
        QVERIFY2(hasKeys(call, { "p99_ms", "p99_ci_ms", "sla_p99_ms", "met" }, &missing), qPrintable(missing));
        QVERIFY(call.value(QStringLiteral("met")).toBool());
        QVERIFY(call.value(QStringLiteral("p99_ci_ms")).toArray().at(1).toDouble() < 70.0);
        QVERIFY(!o.value(QStringLiteral("infeasible")).toBool());

        // --write: the original with the size edited in place, comments and order kept, and valid.
        QFile f(written);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray text = f.readAll();
        QVERIFY2(
            text.contains("    workers: 5      # generous: tune should give most of these back"), text.constData());
        QVERIFY(text.startsWith("# A service of blocking calls.\nname: mmc tune\n"));
        QCOMPARE(text.size(), kMmc.size() - 1);
        const Run v = runApp({ QStringLiteral("validate"), written }, 20000);
        QVERIFY2(v.finished && v.exitCode == 0, qPrintable(v.describe()));

        // --report: the answer, the start, a plot along the pool and every point.
        QFile h(html);
        QVERIFY(h.open(QIODevice::ReadOnly));
        const QByteArray page = h.readAll();
        for (const char *id : { "id=\"tune\"", "id=\"start\"", "id=\"plots\"", "id=\"points\"", "<img" })
            QVERIFY2(page.contains(id), id);
        QVERIFY(page.contains("domains.threads.workers = 5 (5 in all)"));
        if (!qEnvironmentVariableIsEmpty("HS_SCREENSHOT_DIR"))
            QFile::copy(html, qEnvironmentVariable("HS_SCREENSHOT_DIR") + QStringLiteral("/tune-report.html"));
    }

    // Nothing helps when the loop is saturated: exit 1 after the measuring run, naming the class
    // and the stage that saturates it, and no recommendation.
    void saturatedLoopIsInfeasible()
    {
        const QString json = m_dir.filePath(QStringLiteral("loop.json"));
        const Run r = runApp({ QStringLiteral("tune"), m_loop, QStringLiteral("--duration"), QStringLiteral("2s"),
                                 QStringLiteral("--warmup"), QStringLiteral("0.5s"), QStringLiteral("--budget"),
                                 QStringLiteral("60s"), QStringLiteral("--json"), json },
            120000);
        QVERIFY2(r.finished && r.exitCode == 1, qPrintable(r.describe()));
        QVERIFY2(r.out.contains(QStringLiteral("the loop is saturated")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("by hog.burn: no pool size helps; route it off the loop")),
            qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("cannot meet api")), qPrintable(r.out));
        const QJsonObject o = readJson(json);
        QVERIFY(o.value(QStringLiteral("infeasible")).toBool());
        QVERIFY(o.value(QStringLiteral("recommendation")).isNull());
        QCOMPARE(o.value(QStringLiteral("evaluated")).toArray().size(), 1);
        QVERIFY(!o.value(QStringLiteral("infeasible_why")).toArray().isEmpty());
    }

    // A P99 kept under the SLA by rejecting a third of the tasks is not a met SLA.
    void sheddingIsNotMeeting()
    {
        const QString json = m_dir.filePath(QStringLiteral("shedding.json"));
        const Run r = runApp({ QStringLiteral("tune"), m_shedding, QStringLiteral("--duration"), QStringLiteral("2s"),
                                 QStringLiteral("--warmup"), QStringLiteral("0.5s"), QStringLiteral("--budget"),
                                 QStringLiteral("5s"), QStringLiteral("--json"), json },
            60000);
        QVERIFY2(r.finished, qPrintable(r.describe()));
        const QJsonObject measure = readJson(json).value(QStringLiteral("evaluated")).toArray().first().toObject();
        const QJsonObject call
            = measure.value(QStringLiteral("classes")).toObject().value(QStringLiteral("call")).toObject();
        QVERIFY2(call.value(QStringLiteral("p99_ms")).toDouble() < 200.0, qPrintable(r.out));
        QVERIFY2(call.value(QStringLiteral("rejected")).toDouble()
                > 0.1 * call.value(QStringLiteral("submitted")).toDouble(),
            qPrintable(r.out));
        QVERIFY(!measure.value(QStringLiteral("all_sla_met")).toBool());
        QVERIFY2(r.out.contains(QStringLiteral("% rejected")), qPrintable(r.out));
    }

    // Bad input: exit 2 before any point runs, with a message naming the flag.
    void badInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        const auto tune = [&](QStringList more) { return QStringList { QStringLiteral("tune"), m_mmc } + more; };
        QTest::newRow("budget too small for one point") << tune({ QStringLiteral("--budget"), QStringLiteral("5s") })
                                                        << QStringLiteral("--budget 5 s is too small for one point");
        QTest::newRow("budget zero") << tune({ QStringLiteral("--budget"), QStringLiteral("0s") })
                                     << QStringLiteral("--budget 0s: must be above 0");
        QTest::newRow("the loop") << tune({ QStringLiteral("--domains"), QStringLiteral("loop") })
                                  << QStringLiteral("--domains loop: the loop always has one thread");
        QTest::newRow("unknown domain") << tune({ QStringLiteral("--domains"), QStringLiteral("threads,pool") })
                                        << QStringLiteral("--domains threads,pool: unknown domain \"pool\"");
        QTest::newRow("unused pool") << tune({ QStringLiteral("--domains"), QStringLiteral("tbb") })
                                     << QStringLiteral("--domains: tbb runs no stage");
        QTest::newRow("load zero") << tune({ QStringLiteral("--load"), QStringLiteral("0") })
                                   << QStringLiteral("--load 0: expected a factor above 0");
        QTest::newRow("write not yaml") << tune({ QStringLiteral("--write"), m_dir.filePath(QStringLiteral("x.txt")) })
                                        << QStringLiteral("a scenario file ends in .yaml");
        QTest::newRow("set of a tuned size")
            << tune({ QStringLiteral("--domains"), QStringLiteral("threads"), QStringLiteral("--set"),
                   QStringLiteral("domains.threads.workers=3") })
            << QStringLiteral("--set domains.threads.workers=3: threads is what tune sizes");
        QTest::newRow("unknown set path")
            << tune({ QStringLiteral("--set"), QStringLiteral("domains.threads.wrokers=3") })
            << QStringLiteral("wrokers");
        QTest::newRow("unknown option") << tune({ QStringLiteral("--bogus") })
                                        << QStringLiteral("unknown option --bogus");
        QTest::newRow("cores without sim")
            << tune({ QStringLiteral("--cores"), QStringLiteral("8") }) << QStringLiteral("--cores goes with --sim");
        QTest::newRow("no SLA") << QStringList { QStringLiteral("tune"), m_noSla }
                                << QStringLiteral("has no P99 SLA to meet");
        QTest::newRow("no scenario") << QStringList { QStringLiteral("tune") } << QStringLiteral("which scenario?");
        QTest::newRow("report not html or pdf")
            << tune({ QStringLiteral("--report"), m_dir.filePath(QStringLiteral("r.txt")) })
            << QStringLiteral("--report");
        QTest::newRow("json a directory")
            << tune({ QStringLiteral("--json"), m_dir.path() }) << QStringLiteral("--json");
    }

    void badInput()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const Run r = runApp(args, 20000);
        QVERIFY2(r.finished && r.exitCode == 2, qPrintable(r.describe()));
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY2(!r.err.contains(QStringLiteral("point 1")), qPrintable(r.err)); // nothing ran
    }

private:
    QTemporaryDir m_dir;
    QString m_mmc, m_loop, m_noSla, m_shedding;
};

QTEST_GUILESS_MAIN(TestTuneCli)
#include "tst_tune_cli.moc"
