// End to end: `hybridscope sweep` (DESIGN §8, §10) as a user runs it, on the real engine.
#include "testutil.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

namespace {

using Run = hs::test::AppRun;
using hs::test::runApp;

using hs::test::writeFile;

using hs::test::hasKeys;
using hs::test::readJson;

// A blocking class whose P99 falls steeply with the pool (U = 0.8 on one thread) and a CPU class on
// tbb with a loose SLA.
const QByteArray kScenario = R"(name: sweep smoke
duration: 10s
seed: 11
sla: { p99: 60ms }
domains:
  threads: { workers: 1 }
  tbb: { workers: 1 }
classes:
  - name: io
    arrival: { process: poisson, rate: 100/s }
    stages:
      - { name: call, work: block, time: exp(8ms), domain: threads }
  - name: calc
    arrival: { process: poisson, rate: 20/s }
    sla: { p99: 500ms }
    stages:
      - { name: crunch, work: cpu, time: 2ms, domain: tbb }
)";

} // namespace

class TestSweepCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(hs::test::appPath()), qPrintable(hs::test::appPath()));
        QVERIFY(m_dir.isValid());
        m_scenario = writeFile(m_dir, QStringLiteral("sweep.yaml"), kScenario);
        QVERIFY(!m_scenario.isEmpty());
    }

    // 3 points × 1.5 s: every key of hybridscope.sweep/1 at every point, conservation at every point,
    // the warm-up discarded, the CSV's rows, and P99 falling as the pool grows.
    void realSweep()
    {
        const QString json = m_dir.filePath(QStringLiteral("sweep.json"));
        const QString csv = m_dir.filePath(QStringLiteral("sweep.csv"));
        const QString html = m_dir.filePath(QStringLiteral("sweep.html"));
        const Run r = runApp(
            { QStringLiteral("sweep"), m_scenario, QStringLiteral("--vary"),
                QStringLiteral("domains.threads.workers=1,2,4"), QStringLiteral("--duration"), QStringLiteral("1.5s"),
                QStringLiteral("--warmup"), QStringLiteral("0.5s"), QStringLiteral("--json"), json,
                QStringLiteral("--csv"), csv, QStringLiteral("--report"), html },
            90000);
        QVERIFY2(r.finished && r.exitCode == 0, qPrintable(r.describe()));
        QVERIFY2(
            r.err.contains(QStringLiteral("point 3/3")) && r.err.contains(QStringLiteral("ETA")), qPrintable(r.err));
        QVERIFY2(r.out.contains(QStringLiteral("recommendation")), qPrintable(r.out));

        const QJsonObject o = readJson(json);
        QString missing;
        QVERIFY2(
            hasKeys(o, { "schema", "scenario", "mode", "vary", "wall_s", "points", "knee", "usl", "recommendation" },
                &missing),
            qPrintable(missing));
        QCOMPARE(o.value(QStringLiteral("schema")).toString(), QStringLiteral("hybridscope.sweep/1"));
        QCOMPARE(o.value(QStringLiteral("mode")).toString(), QStringLiteral("engine"));
        const QJsonArray vary = o.value(QStringLiteral("vary")).toArray();
        QCOMPARE(vary.size(), 1);
        QCOMPARE(
            vary[0].toObject().value(QStringLiteral("path")).toString(), QStringLiteral("domains.threads.workers"));
        QCOMPARE(vary[0].toObject().value(QStringLiteral("values")).toArray(), (QJsonArray { 1, 2, 4 }));
        QVERIFY(o.value(QStringLiteral("wall_s")).toDouble() >= 4.5);

        const QJsonArray points = o.value(QStringLiteral("points")).toArray();
        QCOMPARE(points.size(), 3);
        std::vector<double> ioP99;
        for (int i = 0; i < points.size(); ++i) {
            const QJsonObject p = points[i].toObject();
            const QString where = QStringLiteral("point %1: ").arg(i);
            QVERIFY2(
                hasKeys(p, { "values", "duration_s", "reps", "conserved", "classes", "domains", "findings" }, &missing),
                qPrintable(where + missing));
            QCOMPARE(
                p.value(QStringLiteral("values")).toObject().value(QStringLiteral("domains.threads.workers")).toInt(),
                vary[0].toObject().value(QStringLiteral("values")).toArray()[i].toInt());
            QCOMPARE(p.value(QStringLiteral("duration_s")).toDouble(), 1.5);
            QCOMPARE(p.value(QStringLiteral("reps")).toInt(), 1);
            QVERIFY2(
                p.value(QStringLiteral("conserved")).toBool(), qPrintable(where + QStringLiteral("not conserved")));
            // Figures over [warm-up, end of arrivals]: 1 s, to within a frame (50 ms).
            QVERIFY2(std::abs(p.value(QStringLiteral("measured_s")).toDouble() - 1.0) <= 0.06,
                qPrintable(where + QString::number(p.value(QStringLiteral("measured_s")).toDouble())));
            QVERIFY(p.value(QStringLiteral("findings")).isArray());

            const QJsonObject classes = p.value(QStringLiteral("classes")).toObject();
            QCOMPARE(classes.keys(), (QStringList { QStringLiteral("calc"), QStringLiteral("io") }));
            for (const QString &name : classes.keys()) {
                const QJsonObject c = classes.value(name).toObject();
                QVERIFY2(
                    hasKeys(c, { "throughput", "p50_ms", "p99_ms", "p99_ci_ms", "sla_p99_ms", "sla_met" }, &missing),
                    qPrintable(where + name + QLatin1Char(' ') + missing));
                QVERIFY(c.value(QStringLiteral("throughput")).toDouble() > 0);
                const double p99 = c.value(QStringLiteral("p99_ms")).toDouble();
                const QJsonArray ci = c.value(QStringLiteral("p99_ci_ms")).toArray();
                QCOMPARE(ci.size(), 2);
                QVERIFY2(ci[0].toDouble() <= p99 && (ci[1].isNull() || ci[1].toDouble() >= p99),
                    qPrintable(where + name + QStringLiteral(" interval does not hold the P99")));
                // Met only when the interval's upper end is under the SLA.
                const double sla = c.value(QStringLiteral("sla_p99_ms")).toDouble();
                QCOMPARE(c.value(QStringLiteral("sla_met")).toBool(), !ci[1].isNull() && ci[1].toDouble() < sla);
                // DESIGN §15: the naive P99 (from dispatch) is never above the one from the intended
                // time when both are of the same pooled sample (one rep: order statistics).
                const QJsonValue naive = c.value(QStringLiteral("naive_p99_ms"));
                QVERIFY2(naive.isDouble() && naive.toDouble() > 0, qPrintable(where + name));
                if (c.value(QStringLiteral("p99_ci_method")).toString() == QLatin1String("order statistics"))
                    QVERIFY2(naive.toDouble() <= p99, qPrintable(where + name));
                if (name == QLatin1String("io"))
                    ioP99.push_back(p99);
            }
            QCOMPARE(
                classes.value(QStringLiteral("io")).toObject().value(QStringLiteral("sla_p99_ms")).toDouble(), 60.0);
            QCOMPARE(
                classes.value(QStringLiteral("calc")).toObject().value(QStringLiteral("sla_p99_ms")).toDouble(), 500.0);

            const QJsonObject domains = p.value(QStringLiteral("domains")).toObject();
            QCOMPARE(domains.keys(), (QStringList { QStringLiteral("tbb"), QStringLiteral("threads") }));
            for (const QString &name : domains.keys()) {
                const QJsonObject d = domains.value(name).toObject();
                QVERIFY2(hasKeys(d, { "workers", "utilization", "queue_mean", "wait_mean_ms", "p_wait", "predicted" },
                             &missing),
                    qPrintable(where + name + QLatin1Char(' ') + missing));
                const QJsonValue pred = d.value(QStringLiteral("predicted"));
                if (pred.isNull()) {
                    QVERIFY2(!d.value(QStringLiteral("predicted_why")).toString().isEmpty(), qPrintable(where + name));
                } else {
                    QVERIFY2(hasKeys(pred.toObject(), { "model", "utilization", "p_wait", "wait_mean_ms" }, &missing),
                        qPrintable(where + name + QStringLiteral(" predicted ") + missing));
                }
                const double u = d.value(QStringLiteral("utilization")).toDouble();
                QVERIFY(u >= 0 && u <= 1);
            }
            QCOMPARE(domains.value(QStringLiteral("threads")).toObject().value(QStringLiteral("workers")).toInt(),
                p.value(QStringLiteral("values")).toObject().value(QStringLiteral("domains.threads.workers")).toInt());
        }
        // One thread at U = 0.8 queues; four hardly do.
        QVERIFY2(ioP99.front() > 2 * ioP99.back(),
            qPrintable(QStringLiteral("io P99 %1 ms on 1 thread, %2 ms on 4").arg(ioP99.front()).arg(ioP99.back())));

        // About 100 samples of io per point: too few to bound a P99 from above, so no SLA is met
        // (the interval is honest) and the recommendation says so.
        const QJsonValue rec = o.value(QStringLiteral("recommendation"));
        QVERIFY(rec.isObject());
        QVERIFY2(hasKeys(rec.toObject(), { "values", "cost", "all_sla_met", "reason" }, &missing), qPrintable(missing));

        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 1 + 3 * 2); // the header, then a row per point and class
        QVERIFY(lines[0].startsWith(QStringLiteral("domains.threads.workers,class,throughput,")));
        QVERIFY2(lines[0].endsWith(QStringLiteral(",findings,naive_p99_ms")), qPrintable(lines[0]));
        QVERIFY2(lines[1].startsWith(QStringLiteral("1,io,")) && lines[2].startsWith(QStringLiteral("1,calc,")),
            qPrintable(lines.join(QLatin1Char('\n'))));
        QVERIFY(lines[5].startsWith(QStringLiteral("4,io,")));

        // --report: the sweep's report, drawn from the same JSON.
        QFile h(html);
        QVERIFY(h.open(QIODevice::ReadOnly));
        const QByteArray page = h.readAll();
        QVERIFY(page.contains("id=\"plots\"") && page.contains("id=\"points\""));
        QCOMPARE(page.count("<img"), 4); // P99, throughput, utilization, wait
    }

    // Two reps a point: the interval comes from the replications, around the mean of their P99s.
    void replications()
    {
        const QString json = m_dir.filePath(QStringLiteral("reps.json"));
        const Run r
            = runApp({ QStringLiteral("sweep"), m_scenario, QStringLiteral("--vary"), QStringLiteral("load=0.5,1"),
                         QStringLiteral("--duration"), QStringLiteral("1s"), QStringLiteral("--warmup"),
                         QStringLiteral("0.3s"), QStringLiteral("--reps"), QStringLiteral("2"), QStringLiteral("--set"),
                         QStringLiteral("domains.threads.workers=2"), QStringLiteral("--json"), json,
                         QStringLiteral("--quiet") },
                90000);
        QVERIFY2(r.finished && r.exitCode == 0, qPrintable(r.describe()));
        const QJsonArray points = readJson(json).value(QStringLiteral("points")).toArray();
        QCOMPARE(points.size(), 2);
        for (const QJsonValue &v : points) {
            const QJsonObject p = v.toObject();
            QCOMPARE(p.value(QStringLiteral("reps")).toInt(), 2);
            QVERIFY(p.value(QStringLiteral("conserved")).toBool());
            const QJsonObject io = p.value(QStringLiteral("classes")).toObject().value(QStringLiteral("io")).toObject();
            QCOMPARE(io.value(QStringLiteral("p99_ci_method")).toString(), QStringLiteral("replications"));
            const QJsonArray reps = io.value(QStringLiteral("rep_p99_ms")).toArray();
            QCOMPARE(reps.size(), 2);
            const double mean = (reps[0].toDouble() + reps[1].toDouble()) / 2;
            QVERIFY(std::abs(io.value(QStringLiteral("p99_ms")).toDouble() - mean) < 0.01);
            const QJsonArray ci = io.value(QStringLiteral("p99_ci_ms")).toArray();
            QVERIFY(ci[0].toDouble() <= mean && ci[1].toDouble() >= mean);
        }
        // load scales the arrival rate: half the load, about half the throughput.
        const auto tput = [&](int i) {
            return points[i]
                .toObject()
                .value(QStringLiteral("classes"))
                .toObject()
                .value(QStringLiteral("io"))
                .toObject()
                .value(QStringLiteral("throughput"))
                .toDouble();
        };
        QVERIFY2(tput(0) > 30 && tput(0) < 75 && tput(1) > 75,
            qPrintable(QStringLiteral("%1 %2").arg(tput(0)).arg(tput(1))));
    }

    // The first Ctrl+C lets the point in progress finish, then the sweep stops and still writes it.
    void ctrlCStopsAfterThePoint()
    {
        const QString json = m_dir.filePath(QStringLiteral("stopped.json"));
        QProcess p;
        p.start(hs::test::appPath(),
            { QStringLiteral("sweep"), m_scenario, QStringLiteral("--vary"),
                QStringLiteral("domains.threads.workers=1..4"), QStringLiteral("--duration"), QStringLiteral("1.5s"),
                QStringLiteral("--warmup"), QStringLiteral("0.5s"), QStringLiteral("--json"), json });
        QVERIFY(p.waitForStarted(10000));
        QByteArray err;
        auto seen = [&](const char *what) {
            err += p.readAllStandardError();
            return err.contains(what) || p.state() != QProcess::Running;
        };
        QTRY_VERIFY_WITH_TIMEOUT(seen("point 1/4"), 20000);
        QCOMPARE(p.state(), QProcess::Running);
        ::kill(pid_t(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(30000));
        err += p.readAllStandardError();
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QVERIFY2(p.exitCode() == 0, err.constData());
        QVERIFY2(err.contains("stopping after this point"), err.constData());
        const QJsonObject o = readJson(json);
        QCOMPARE(o.value(QStringLiteral("points")).toArray().size(), 1);
        QCOMPARE(o.value(QStringLiteral("interrupted")).toBool(), true);
        QVERIFY(o.value(QStringLiteral("points")).toArray()[0].toObject().value(QStringLiteral("conserved")).toBool());
    }

    // Bad input: exit 2 before any point runs, with a message naming the flag (and the value).
    void badInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        const QString s = m_dir.filePath(QStringLiteral("sweep.yaml"));
        const auto sweep = [&](QStringList more) { return QStringList { QStringLiteral("sweep"), s } + more; };
        const QString vary = QStringLiteral("--vary");
        QTest::newRow("unknown path") << sweep({ vary, QStringLiteral("domains.threads.wrokers=1..4") })
                                      << QStringLiteral("--vary domains.threads.wrokers=1..4: unknown field");
        QTest::newRow("empty range") << sweep({ vary, QStringLiteral("domains.threads.workers=8..4") })
                                     << QStringLiteral("--vary domains.threads.workers=8..4: empty range");
        QTest::newRow("more than 200 points")
            << sweep({ vary, QStringLiteral("domains.threads.workers=1..500") })
            << QStringLiteral(
                   "--vary domains.threads.workers=1..500: \"1..500\" has 500 values; a sweep has at most 200");
        QTest::newRow("grid of more than 200 points")
            << sweep({ vary, QStringLiteral("domains.threads.workers=1..20"), vary, QStringLiteral("load=1..11") })
            << QStringLiteral("220 points in all");
        QTest::newRow("missing value") << sweep({ vary }) << QStringLiteral("--vary needs a value");
        QTest::newRow("missing values after =")
            << sweep({ vary, QStringLiteral("load=") }) << QStringLiteral("--vary load=: missing values");
        QTest::newRow("no --vary") << sweep({}) << QStringLiteral("--vary PATH=VALUES is needed");
        QTest::newRow("a value the field refuses") << sweep({ vary, QStringLiteral("domains.threads.workers=0,2") })
                                                   << QStringLiteral("--vary domains.threads.workers=0,2: value \"0\"");
        QTest::newRow("unknown class") << sweep({ vary, QStringLiteral("classes.nope.arrival.rate=1/s,2/s") })
                                       << QStringLiteral("no class named \"nope\"");
        QTest::newRow("bad factor") << sweep({ vary, QStringLiteral("domains.threads.workers=1..8x1") })
                                    << QStringLiteral("bad factor");
        QTest::newRow("bad step") << sweep({ vary, QStringLiteral("load=0.5..2:0") }) << QStringLiteral("bad step");
        QTest::newRow("--reps 0") << sweep({ vary, QStringLiteral("load=1,2"), QStringLiteral("--reps"),
            QStringLiteral("0") }) << QStringLiteral("--reps 0");
        QTest::newRow("warm-up not shorter") << sweep({ vary, QStringLiteral("load=1,2"), QStringLiteral("--warmup"),
            QStringLiteral("2s"), QStringLiteral("--duration"), QStringLiteral("2s") })
                                             << QStringLiteral("--warmup");
        QTest::newRow("--set of a varied path") << sweep({ vary, QStringLiteral("domains.threads.workers=1,2"),
            QStringLiteral("--set"), QStringLiteral("domains.threads.workers=3") })
                                                << QStringLiteral("--set domains.threads.workers=3");
        QTest::newRow("unknown option") << sweep({ vary, QStringLiteral("load=1,2"), QStringLiteral("--bogus") })
                                        << QStringLiteral("unknown option --bogus");
        QTest::newRow("--json a directory")
            << sweep({ vary, QStringLiteral("load=1,2"), QStringLiteral("--json"), m_dir.path() })
            << QStringLiteral("--json");
        QTest::newRow("--report not html or pdf") << sweep(
            { vary, QStringLiteral("load=1,2"), QStringLiteral("--report"), m_dir.filePath(QStringLiteral("r.txt")) })
                                                  << QStringLiteral("--report");
        QTest::newRow("no scenario") << QStringList { QStringLiteral("sweep"), vary, QStringLiteral("load=1,2") }
                                     << QStringLiteral("which scenario?");
    }

    void badInput()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const Run r = runApp(args, 20000);
        QVERIFY2(r.finished && r.exitCode == 2, qPrintable(r.describe()));
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY2(!r.err.contains(QStringLiteral("point 1/")), qPrintable(r.err)); // refused before any point
        QVERIFY2(r.out.isEmpty(), qPrintable(r.out));
    }

private:
    QTemporaryDir m_dir;
    QString m_scenario;
};

QTEST_GUILESS_MAIN(TestSweepCli)
#include "tst_sweep_cli.moc"
