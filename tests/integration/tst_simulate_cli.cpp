// End to end: `hybridscope simulate` (DESIGN §8, §12) as a user runs it.
#include "testutil.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

namespace {
using Run = hs::test::AppRun;
using hs::test::readJson;
using hs::test::runApp;
} // namespace

class TestSimulateCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(hs::test::appPath()), qPrintable(hs::test::appPath()));
        QVERIFY(m_dir.isValid());
    }

    // The default scenario on 64 simulated cores, three seeds: marked simulated everywhere, the
    // run JSON's keys, intervals across the reps, conservation, and a report that says so.
    void simulatedRun()
    {
        const QString json = m_dir.filePath(QStringLiteral("sim.json"));
        const QString html = m_dir.filePath(QStringLiteral("sim.html"));
        const QString csv = m_dir.filePath(QStringLiteral("sim.csv"));
        const Run r = runApp(
            { QStringLiteral("simulate"), QStringLiteral("default"), QStringLiteral("--cores"), QStringLiteral("64"),
                QStringLiteral("--duration"), QStringLiteral("20s"), QStringLiteral("--reps"), QStringLiteral("3"),
                QStringLiteral("--json"), json, QStringLiteral("--report"), html, QStringLiteral("--csv"), csv },
            60000);
        QVERIFY2(r.finished && r.exitCode == 0, qPrintable(r.describe()));
        QVERIFY2(r.out.startsWith(QStringLiteral("SIMULATED in virtual time (not measured): 64 cores, 3 rep(s)")),
            qPrintable(r.out));
        QVERIFY(r.out.contains(QStringLiteral("simulated 20.")));
        QVERIFY(r.out.contains(QStringLiteral("across 3 reps (95 % intervals)")));
        const QJsonObject o = readJson(json);
        QCOMPARE(o.value(QStringLiteral("schema")).toString(), QStringLiteral("hybridscope.run/1"));
        QCOMPARE(o.value(QStringLiteral("mode")).toString(), QStringLiteral("simulated"));
        const QJsonObject sim = o.value(QStringLiteral("simulation")).toObject();
        for (const char *k : { "cores", "reps", "events", "events_per_s", "wall_s", "calibration" })
            QVERIFY2(sim.contains(QLatin1String(k)), k);
        QCOMPARE(sim.value(QStringLiteral("cores")).toInt(), 64);
        QCOMPARE(sim.value(QStringLiteral("reps")).toInt(), 3);
        QVERIFY(sim.value(QStringLiteral("events")).toDouble() > 10000);
        QVERIFY(o.value(QStringLiteral("totals")).toObject().value(QStringLiteral("conserved")).toBool());
        const QJsonObject fetch
            = o.value(QStringLiteral("classes")).toObject().value(QStringLiteral("fetch")).toObject();
        const QJsonArray p99
            = fetch.value(QStringLiteral("sim_ci")).toObject().value(QStringLiteral("p99_ms")).toArray();
        QCOMPARE(p99.size(), 2);
        QVERIFY(p99[0].toDouble() <= p99[1].toDouble());
        QVERIFY(p99[0].toDouble() > 0);
        QVERIFY(!o.value(QStringLiteral("frames")).toArray().isEmpty());
        // The CSV: a row per frame and domain, then after a blank line a row per frame and class,
        // every one saying it was simulated.
        QFile cf(csv);
        QVERIFY(cf.open(QIODevice::ReadOnly));
        const QList<QByteArray> tables = cf.readAll().trimmed().split('\n').join('\n').split('\n');
        const qsizetype blank = tables.indexOf(QByteArray());
        QVERIFY(blank > 0);
        const QList<QByteArray> rows = tables.mid(0, blank), classRows = tables.mid(blank + 1);
        QVERIFY(rows.first().endsWith(",loop_lag_ms,mode"));
        const qsizetype frames = o.value(QStringLiteral("frames")).toArray().size();
        QCOMPARE(rows.size() - 1, frames * o.value(QStringLiteral("domains")).toObject().size());
        QCOMPARE(classRows.first(),
            QByteArray("t,class,submitted,completed,failed,rejected,cancelled,throughput,p50_ms,"
                       "p99_ms,naive_p99_ms,mode"));
        QCOMPARE(classRows.size() - 1, frames * o.value(QStringLiteral("classes")).toObject().size());
        for (const QList<QByteArray> &table : { rows, classRows })
            for (qsizetype i = 1; i < table.size(); ++i)
                QVERIFY2(table[i].endsWith(",simulated"), table[i].constData());
        QFile f(html);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray page = f.readAll();
        QVERIFY(page.contains("(simulated)"));
        QVERIFY(page.contains("Simulated in virtual time, not measured on the engine: 64 cores, 3 rep(s)"));
        // The report command reads a simulated run back and keeps the mark.
        const QString again = m_dir.filePath(QStringLiteral("again.html"));
        const Run rr = runApp({ QStringLiteral("report"), json, QStringLiteral("--report"), again }, 60000);
        QVERIFY2(rr.finished && rr.exitCode == 0, qPrintable(rr.describe()));
        QFile g(again);
        QVERIFY(g.open(QIODevice::ReadOnly));
        QVERIFY(g.readAll().contains("Simulated in virtual time"));

        // Compared with a run measured on the engine, the report says which side is which, in the
        // title, the banner and the runs table (and every PDF page's footer).
        const QString measured = m_dir.filePath(QStringLiteral("measured.json"));
        const QString measuredCsv = m_dir.filePath(QStringLiteral("measured.csv"));
        const Run m = runApp(
            { QStringLiteral("run"), QStringLiteral("default"), QStringLiteral("--duration"), QStringLiteral("1s"),
                QStringLiteral("--json"), measured, QStringLiteral("--csv"), measuredCsv },
            60000);
        QVERIFY2(m.finished && m.exitCode == 0, qPrintable(m.describe()));
        QFile mc(measuredCsv);
        QVERIFY(mc.open(QIODevice::ReadOnly));
        const QList<QByteArray> measuredRows = mc.readAll().trimmed().split('\n');
        QVERIFY(measuredRows.size() > 1);
        QVERIFY2(measuredRows.last().endsWith(",engine"), measuredRows.last().constData());
        const QString cmp = m_dir.filePath(QStringLiteral("cmp.html"));
        const Run rc = runApp({ QStringLiteral("report"), json, measured, QStringLiteral("--report"), cmp }, 60000);
        QVERIFY2(rc.finished && rc.exitCode == 0, qPrintable(rc.describe()));
        QFile c(cmp);
        QVERIFY(c.open(QIODevice::ReadOnly));
        const QByteArray both = c.readAll();
        QVERIFY(both.contains("run A (simulated) vs run B (measured)"));
        QVERIFY(both.contains("A is simulated in virtual time; B was measured on the engine."));
        QVERIFY(both.contains("measured on the engine</td>"));
        QVERIFY(both.contains("Simulated in virtual time, not measured on the engine: 64 cores"));
    }

    // sweep --sim: points in virtual time, marked simulated; the tuning scenario's pool sizes on
    // two simulated cores miss with 4 threads and meet with 5 (Erlang C's answer).
    void sweepSim()
    {
        const QString json = m_dir.filePath(QStringLiteral("sweep.json"));
        const Run r = runApp(
            { QStringLiteral("sweep"), QStringLiteral("tuning"), QStringLiteral("--sim"), QStringLiteral("--cores"),
                QStringLiteral("2"), QStringLiteral("--vary"), QStringLiteral("domains.threads.workers=4..6"),
                QStringLiteral("--duration"), QStringLiteral("20s"), QStringLiteral("--reps"), QStringLiteral("3"),
                QStringLiteral("--json"), json, QStringLiteral("--quiet") },
            60000);
        QVERIFY2(r.finished && r.exitCode == 0, qPrintable(r.describe()));
        QVERIFY(r.out.startsWith(QStringLiteral("SIMULATED in virtual time (not measured): 2 cores")));
        const QJsonObject o = readJson(json);
        QCOMPARE(o.value(QStringLiteral("mode")).toString(), QStringLiteral("simulated"));
        QCOMPARE(o.value(QStringLiteral("simulation")).toObject().value(QStringLiteral("cores")).toInt(), 2);
        const QJsonArray points = o.value(QStringLiteral("points")).toArray();
        QCOMPARE(points.size(), 3);
        const auto api = [&](int i) {
            return points[i]
                .toObject()
                .value(QStringLiteral("classes"))
                .toObject()
                .value(QStringLiteral("api"))
                .toObject();
        };
        QVERIFY(!api(0).value(QStringLiteral("sla_met")).toBool());
        QVERIFY(api(1).value(QStringLiteral("sla_met")).toBool());
        for (const QJsonValue &p : points)
            QVERIFY(p.toObject().value(QStringLiteral("conserved")).toBool());
        QCOMPARE(o.value(QStringLiteral("recommendation"))
                     .toObject()
                     .value(QStringLiteral("values"))
                     .toObject()
                     .value(QStringLiteral("domains.threads.workers"))
                     .toInt(),
            5);
    }

    // tune --sim --confirm 1: the search in virtual time, the answer confirmed on the engine.
    void tuneSimConfirm()
    {
        const QString json = m_dir.filePath(QStringLiteral("tune.json"));
        const Run r = runApp({ QStringLiteral("tune"), QStringLiteral("tuning"), QStringLiteral("--sim"),
                                 QStringLiteral("--domains"), QStringLiteral("threads"), QStringLiteral("--duration"),
                                 QStringLiteral("4s"), QStringLiteral("--warmup"), QStringLiteral("1s"),
                                 QStringLiteral("--reps"), QStringLiteral("3"), QStringLiteral("--confirm"),
                                 QStringLiteral("1"), QStringLiteral("--json"), json, QStringLiteral("--quiet") },
            120000);
        QVERIFY2(r.finished, qPrintable(r.describe()));
        QVERIFY(r.out.startsWith(QStringLiteral("SIMULATED in virtual time")));
        const QJsonObject o = readJson(json);
        QCOMPARE(o.value(QStringLiteral("mode")).toString(), QStringLiteral("simulated"));
        const QJsonArray evaluated = o.value(QStringLiteral("evaluated")).toArray();
        QVERIFY(evaluated.size() >= 2);
        QCOMPARE(evaluated.first().toObject().value(QStringLiteral("source")).toString(), QStringLiteral("sim"));
        const QJsonObject last = evaluated.last().toObject();
        QCOMPARE(last.value(QStringLiteral("source")).toString(), QStringLiteral("engine"));
        QCOMPARE(
            last.value(QStringLiteral("values")).toObject().value(QStringLiteral("domains.threads.workers")).toInt(),
            5);
        // The engine's own verdict decides: exit 0 with an answer only if the engine met the SLAs.
        QCOMPARE(r.exitCode == 0, last.value(QStringLiteral("all_sla_met")).toBool());
    }

    void badInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        const auto sim = [](QStringList more) {
            return QStringList { QStringLiteral("simulate"), QStringLiteral("mm2") } + more;
        };
        QTest::newRow("cores 0") << sim({ QStringLiteral("--cores"), QStringLiteral("0") })
                                 << QStringLiteral("--cores 0");
        QTest::newRow("cores word") << sim({ QStringLiteral("--cores"), QStringLiteral("many") })
                                    << QStringLiteral("--cores many");
        QTest::newRow("duration 0") << sim({ QStringLiteral("--duration"), QStringLiteral("0s") })
                                    << QStringLiteral("--duration 0s");
        QTest::newRow("reps 0") << sim({ QStringLiteral("--reps"), QStringLiteral("0") }) << QStringLiteral("--reps 0");
        QTest::newRow("warmup") << sim({ QStringLiteral("--warmup"), QStringLiteral("1s") })
                                << QStringLiteral("--warmup is for sweeps");
        QTest::newRow("unknown set path")
            << sim({ QStringLiteral("--set"), QStringLiteral("domains.threads.wrokers=2") })
            << QStringLiteral("wrokers");
        QTest::newRow("unknown option") << sim({ QStringLiteral("--bogus") })
                                        << QStringLiteral("unknown option --bogus");
        QTest::newRow("no scenario") << QStringList { QStringLiteral("simulate") } << QStringLiteral("which scenario?");
        QTest::newRow("report not html") << sim({ QStringLiteral("--report"), QStringLiteral("x.txt") })
                                         << QStringLiteral("--report");
        QTest::newRow("sim on simulate") << sim({ QStringLiteral("--sim") })
                                         << QStringLiteral("--sim is for sweep and tune");
        QTest::newRow("sweep cores without sim") << QStringList { QStringLiteral("sweep"), QStringLiteral("mm2"),
            QStringLiteral("--vary"), QStringLiteral("load=1,2"), QStringLiteral("--cores"), QStringLiteral("4") }
                                                 << QStringLiteral("--cores goes with --sim");
        QTest::newRow("sweep confirm") << QStringList { QStringLiteral("sweep"), QStringLiteral("mm2"),
            QStringLiteral("--vary"), QStringLiteral("load=1,2"), QStringLiteral("--sim"), QStringLiteral("--confirm"),
            QStringLiteral("1") } << QStringLiteral("--confirm is tune's");
        QTest::newRow("tune confirm without sim") << QStringList { QStringLiteral("tune"), QStringLiteral("tuning"),
            QStringLiteral("--confirm"), QStringLiteral("2") }
                                                  << QStringLiteral("--confirm goes with --sim");
    }
    void badInput()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const Run r = runApp(args, 20000);
        QVERIFY2(r.finished && r.exitCode == 2, qPrintable(r.describe()));
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY(!r.out.contains(QStringLiteral("SIMULATED")));
    }

private:
    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(TestSimulateCli)
#include "tst_simulate_cli.moc"
