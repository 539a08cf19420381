// End to end: `hybridscope run --change` applies live changes at their times, and the run JSON
// holds one phase per configuration (issue 13).
#include "testutil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

namespace {

using Run = hs::test::AppRun;
using hs::test::runApp;

// Two threads at 20 ms a stage: 80/s keeps them 80 % busy; after the change to 8, 20 %.
const char *kScenario = "name: change\n"
                        "seed: 3\n"
                        "duration: 5s\n"
                        "domains:\n"
                        "  threads: { workers: 2 }\n"
                        "classes:\n"
                        "  - name: io\n"
                        "    arrival: { process: poisson, rate: 80/s }\n"
                        "    sla: { p99: 1s }\n"
                        "    stages:\n"
                        "      - { name: call, work: block, time: 20ms, domain: threads }\n";

} // namespace

class TestChangeCli : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir; ///< changesMakePhases leaves its run.json here for the report tests
private Q_SLOTS:
    void changesMakePhases();
    void reportComparesTwoPhases();
    void badChanges_data();
    void badChanges();
};

void TestChangeCli::changesMakePhases()
{
    QTemporaryDir &dir = m_dir;
    QVERIFY(dir.isValid());
    const QString scenario = hs::test::writeFile(dir, QStringLiteral("change.yaml"), kScenario);
    QVERIFY(!scenario.isEmpty());
    const QString json = dir.filePath(QStringLiteral("run.json"));
    const Run r = runApp({ QStringLiteral("run"), scenario, QStringLiteral("--quiet"), QStringLiteral("--change"),
        QStringLiteral("1.5s:domains.threads.workers=8"), QStringLiteral("--change"),
        QStringLiteral("3s:route:io.call=tbb"), QStringLiteral("--json"), json });
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
    QVERIFY2(r.out.contains(QStringLiteral("phases (")), qPrintable(r.out));
    const QJsonObject run = hs::test::readJson(json);
    QVERIFY(!run.isEmpty());
    const QJsonArray events = run.value(QStringLiteral("events")).toArray();
    QCOMPARE(events.size(), 2);
    QCOMPARE(events[0].toObject().value(QStringLiteral("kind")).toString(), QStringLiteral("resize"));
    QCOMPARE(events[1].toObject().value(QStringLiteral("kind")).toString(), QStringLiteral("route"));
    // Each change at its time, within the event loop's timer precision and a loaded machine's delay.
    QVERIFY(std::abs(events[0].toObject().value(QStringLiteral("t")).toDouble() - 1.5) < 0.3);
    QVERIFY(std::abs(events[1].toObject().value(QStringLiteral("t")).toDouble() - 3.0) < 0.3);
    const QJsonArray phases = run.value(QStringLiteral("phases")).toArray();
    QCOMPARE(phases.size(), 3);
    const QJsonObject p0 = phases[0].toObject();
    const QJsonObject p1 = phases[1].toObject();
    const QJsonObject p2 = phases[2].toObject();
    QCOMPARE(p0.value(QStringLiteral("change")).toString(), QStringLiteral("start"));
    QVERIFY(p1.value(QStringLiteral("change")).toString().contains(QStringLiteral("threads")));
    QVERIFY(p2.value(QStringLiteral("change")).toString().contains(QStringLiteral("io.call")));
    QCOMPARE(p0.value(QStringLiteral("to_s")).toDouble(), p1.value(QStringLiteral("from_s")).toDouble());
    QVERIFY(p2.value(QStringLiteral("to_s")).toDouble() <= 5.1);
    const auto workers = [](const QJsonObject &p, const char *d) {
        return p.value(QStringLiteral("domains"))
            .toObject()
            .value(QLatin1String(d))
            .toObject()
            .value(QStringLiteral("workers"))
            .toInt();
    };
    QCOMPARE(workers(p0, "threads"), 2);
    QVERIFY(p1.value(QStringLiteral("settled")).toBool());
    QCOMPARE(workers(p1, "threads"), 8);
    // Each phase records the configuration in effect: the changes accumulate.
    const auto config = [](const QJsonObject &p) { return p.value(QStringLiteral("config")).toObject(); };
    const auto configWorkers = [&](const QJsonObject &p) {
        return config(p)
            .value(QStringLiteral("domains"))
            .toObject()
            .value(QStringLiteral("threads"))
            .toObject()
            .value(QStringLiteral("workers"))
            .toInt();
    };
    const auto stageDomain = [&](const QJsonObject &p) {
        return config(p)
            .value(QStringLiteral("classes"))
            .toArray()[0]
            .toObject()
            .value(QStringLiteral("stages"))
            .toArray()[0]
            .toObject()
            .value(QStringLiteral("domain"))
            .toString();
    };
    QCOMPARE(configWorkers(p0), 2);
    QCOMPARE(stageDomain(p0), QStringLiteral("threads"));
    QCOMPARE(configWorkers(p1), 8);
    QCOMPARE(stageDomain(p1), QStringLiteral("threads"));
    QCOMPARE(configWorkers(p2), 8);
    QCOMPARE(stageDomain(p2), QStringLiteral("tbb"));
    QCOMPARE(config(p0), run.value(QStringLiteral("config")).toObject()); // the first phase runs the start's
    for (const QJsonValue &v : phases) {
        const QJsonObject p = v.toObject();
        QVERIFY(p.contains(QStringLiteral("settle_s")));
        if (!p.value(QStringLiteral("settled")).toBool())
            continue;
        const QJsonObject io = p.value(QStringLiteral("classes")).toObject().value(QStringLiteral("io")).toObject();
        for (const char *key : { "throughput", "p50_ms", "p99_ms", "p99_ci_ms", "sla_met", "sla_verdict" })
            QVERIFY2(io.contains(QLatin1String(key)), key);
    }
}

// `report RUN.json --phases 1,2`: the two configurations side by side, the changed setting marked;
// a phase that does not exist, the same phase twice, or two files are refused and write nothing.
void TestChangeCli::reportComparesTwoPhases()
{
    const QString json = m_dir.filePath(QStringLiteral("run.json"));
    if (!QFile::exists(json))
        QSKIP("needs changesMakePhases' run");
    const QString html = m_dir.filePath(QStringLiteral("phases.html"));
    const Run r = runApp({ QStringLiteral("report"), json, QStringLiteral("--phases"), QStringLiteral("1,2"),
        QStringLiteral("--report"), html });
    QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
    QFile f(html);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(f.readAll());
    QVERIFY(text.contains(QStringLiteral("phase 1 vs phase 2")));
    QVERIFY(text.contains(QStringLiteral("Configuration in effect")));
    // The one setting that differs is the resize, in a row marked changed.
    const qsizetype row = text.indexOf(QStringLiteral("<code>domains.threads.workers</code></td>"));
    QVERIFY2(row >= 0
            && text.lastIndexOf(QStringLiteral("<tr"), row)
                == text.lastIndexOf(QStringLiteral("<tr class=\"changed\">"), row),
        "the resize is a changed row");
    QCOMPARE(text.count(QStringLiteral("<tr class=\"changed\">")), 1);
    QVERIFY(text.contains(QStringLiteral("95 %:"))); // the P99 carries its interval

    // Two runs compared: the run with live changes shows its configuration per phase.
    const QString both = m_dir.filePath(QStringLiteral("both.html"));
    const Run c = runApp({ QStringLiteral("report"), json, json, QStringLiteral("--report"), both });
    QVERIFY2(c.exitCode == 0, qPrintable(c.describe()));
    QFile g(both);
    QVERIFY(g.open(QIODevice::ReadOnly));
    const QString cmp = QString::fromUtf8(g.readAll());
    QVERIFY(cmp.contains(QStringLiteral("the configuration in effect per phase")));
    QVERIFY(cmp.contains(QStringLiteral("classes.io.stages.call.domain")));

    const struct {
        QStringList args;
        const char *message;
    } bad[] = {
        { { QStringLiteral("--phases"), QStringLiteral("1,9") }, "no phase 9: the run has 3 phase(s)" },
        { { QStringLiteral("--phases"), QStringLiteral("2,2") }, "two different phases" },
        { { QStringLiteral("--phases"), QStringLiteral("one,two") }, "expected two phase numbers" },
        { { QStringLiteral("--phases"), QStringLiteral("0,1") }, "expected two phase numbers" },
    };
    const QString none = m_dir.filePath(QStringLiteral("none.html"));
    for (const auto &b : bad) {
        const Run e = runApp(
            QStringList { QStringLiteral("report"), json } + b.args + QStringList { QStringLiteral("--report"), none });
        QCOMPARE(e.exitCode, 2);
        QVERIFY2(e.err.contains(QLatin1String(b.message)), qPrintable(e.err));
        QVERIFY(!QFile::exists(none));
    }
    const Run two = runApp({ QStringLiteral("report"), json, json, QStringLiteral("--phases"), QStringLiteral("1,2"),
        QStringLiteral("--report"), none });
    QCOMPARE(two.exitCode, 2);
    QVERIFY2(two.err.contains(QStringLiteral("one RUN.json")), qPrintable(two.err));
    QVERIFY(!QFile::exists(none));
}

void TestChangeCli::badChanges_data()
{
    QTest::addColumn<QString>("change");
    QTest::addColumn<QString>("message");
    QTest::newRow("no time") << QStringLiteral("domains.threads.workers=4") << QStringLiteral("expected T:PATH=VALUE");
    QTest::newRow("bad time") << QStringLiteral("soon:domains.threads.workers=4") << QStringLiteral("the time");
    QTest::newRow("zero time") << QStringLiteral("0s:domains.threads.workers=4") << QStringLiteral("after the start");
    QTest::newRow("not live") << QStringLiteral("1s:domains.procs.transfer=shm")
                              << QStringLiteral("cannot change while running");
    QTest::newRow("bad value") << QStringLiteral("1s:domains.threads.workers=lots") << QStringLiteral("workers");
    QTest::newRow("after the end") << QStringLiteral("9s:domains.threads.workers=4")
                                   << QStringLiteral("not before the run ends");
    QTest::newRow("unknown stage") << QStringLiteral("1s:route:io.nothing=tbb") << QStringLiteral("io.nothing");
}

void TestChangeCli::badChanges()
{
    QFETCH(QString, change);
    QFETCH(QString, message);
    QTemporaryDir dir;
    const QString scenario = hs::test::writeFile(dir, QStringLiteral("change.yaml"), kScenario);
    QVERIFY(!scenario.isEmpty());
    const Run r
        = runApp({ QStringLiteral("run"), scenario, QStringLiteral("--quiet"), QStringLiteral("--change"), change });
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(QStringLiteral("--change")) && r.err.contains(message), qPrintable(r.err));
    QVERIFY2(!r.out.contains(QStringLiteral("conservation")), "no run started");
}

QTEST_GUILESS_MAIN(TestChangeCli)
#include "tst_change_cli.moc"
