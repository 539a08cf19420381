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

struct Run {
    int exitCode = -1;
    QString out, err;
};

Run runApp(const QStringList &args, int timeoutMs = 60000)
{
    QProcess p;
    p.start(hs::test::appPath(), args);
    Run r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(5000);
        r.err = QStringLiteral("timed out");
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

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
private Q_SLOTS:
    void changesMakePhases();
    void badChanges_data();
    void badChanges();
};

void TestChangeCli::changesMakePhases()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString scenario = dir.filePath(QStringLiteral("change.yaml"));
    {
        QFile f(scenario);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(kScenario);
    }
    const QString json = dir.filePath(QStringLiteral("run.json"));
    const Run r = runApp({ QStringLiteral("run"), scenario, QStringLiteral("--quiet"), QStringLiteral("--change"),
        QStringLiteral("1.5s:domains.threads.workers=8"), QStringLiteral("--change"),
        QStringLiteral("3s:route:io.call=tbb"), QStringLiteral("--json"), json });
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
    QVERIFY2(r.out.contains(QStringLiteral("phases (")), qPrintable(r.out));
    QFile f(json);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject run = QJsonDocument::fromJson(f.readAll()).object();
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
    const QString scenario = dir.filePath(QStringLiteral("change.yaml"));
    {
        QFile f(scenario);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(kScenario);
    }
    const Run r
        = runApp({ QStringLiteral("run"), scenario, QStringLiteral("--quiet"), QStringLiteral("--change"), change });
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(QStringLiteral("--change")) && r.err.contains(message), qPrintable(r.err));
    QVERIFY2(!r.out.contains(QStringLiteral("conservation")), "no run started");
}

QTEST_GUILESS_MAIN(TestChangeCli)
#include "tst_change_cli.moc"
