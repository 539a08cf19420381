// The calibration profile (DESIGN §12): written and read back, refused with the file and key named
// when corrupt, the built-in default when missing; extrapolation flags; fractional cores; the
// thread-or-process break-even against the simulator itself.
#include "scenario/builtins.h"
#include "scenario/scenarioparser.h"
#include "sim/calibration.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

namespace {

using namespace hs;

CalibrationProfile sampleProfile()
{
    CalibrationProfile p;
    p.hostname = QStringLiteral("testhost");
    p.cpuModel = QStringLiteral("Test CPU @ 1 GHz");
    p.vcpus = 4;
    p.effectiveCores = 3.5;
    p.date = QStringLiteral("2026-01-02T03:04:05Z");
    p.quick = true;
    p.wallS = 6.5;
    SimCosts &c = p.costs;
    c.hopS = 11e-6;
    c.wakeS = { 21e-6, 31e-6, 41e-6, 51e-6 };
    c.procsCallS = 61e-6;
    c.copyPerByteS = 1e-9;
    c.shmPerByteS = 2e-10;
    c.netS = 71e-6;
    c.netPerByteS = 3e-10;
    c.diskS = 81e-6;
    c.diskPerByteS = 4e-10;
    c.fsyncS = 1.5e-3;
    c.workerStartS = 0.02;
    c.timerLatenessS = 55e-6;
    c.effectiveCores = p.effectiveCores;
    c.ranges = SimRanges { 4, 2097152, 800, 1048576, 1048576 };
    for (std::size_t d = 0; d < p.wake.size(); ++d)
        p.wake[d] = Measured { c.wakeS[d], c.wakeS[d] * 0.9, c.wakeS[d] * 1.1, 50 };
    p.hop = Measured { 11e-6, 10e-6, 12e-6, 50 };
    p.copy = { { 0, Measured { 60e-6, 55e-6, 65e-6, 12 } }, { 2097152, Measured { 2.2e-3, 2.1e-3, 2.3e-3, 12 } } };
    p.shm = { { 0, Measured { 62e-6, 57e-6, 67e-6, 12 } }, { 2097152, Measured { 0.5e-3, 0.45e-3, 0.55e-3, 12 } } };
    p.net = { { 0, Measured { 70e-6, 65e-6, 75e-6, 12 } }, { 1048576, Measured { 0.4e-3, 0.35e-3, 0.45e-3, 12 } } };
    p.disk = { { 4096, Measured { 80e-6, 75e-6, 85e-6, 12 } }, { 1048576, Measured { 0.5e-3, 0.45e-3, 0.55e-3, 12 } } };
    return p;
}

QString writeText(const QTemporaryDir &dir, const QString &name, const QByteArray &text)
{
    const QString path = dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(text) != text.size())
        return {};
    return path;
}

Scenario parse(const QByteArray &yaml)
{
    const ParseResult r = ScenarioParser::parseText(yaml, QStringLiteral("test"));
    if (!r.ok()) {
        qWarning("%s", qPrintable(r.errors.front().toString()));
        return {};
    }
    return *r.scenario;
}

// Every cost zero: the textbook model, so closed forms hold exactly.
SimCosts zeroCosts()
{
    SimCosts c;
    c.hopS = c.procsCallS = c.copyPerByteS = c.shmPerByteS = c.netS = c.netPerByteS = c.diskPerByteS = 0;
    c.fsyncS = c.workerStartS = c.timerLatenessS = 0;
    c.wakeS = {};
    return c;
}

} // namespace

class TestCalibration : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void roundTrip()
    {
        const CalibrationProfile p = sampleProfile();
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("sub/calibration.json"));
        QString error;
        QVERIFY2(writeCalibration(p, path, &error), qPrintable(error));
        QByteArray bytes;
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::ReadOnly));
            bytes = f.readAll();
        }
        const QJsonObject o = QJsonDocument::fromJson(bytes).object();
        QCOMPARE(o.value(QStringLiteral("schema")).toString(), QStringLiteral("hybridscope.calibration/1"));
        QCOMPARE(o.value(QStringLiteral("break_even")).toArray().size(), int(breakEvenStages().size()));
        const std::optional<CalibrationProfile> back = calibrationFromJson(o, path, &error);
        QVERIFY2(back, qPrintable(error));
        QCOMPARE(back->hostname, p.hostname);
        QCOMPARE(back->cpuModel, p.cpuModel);
        QCOMPARE(back->vcpus, p.vcpus);
        QCOMPARE(back->effectiveCores, p.effectiveCores);
        QCOMPARE(back->date, p.date);
        const SimCosts &a = p.costs, &b = back->costs;
        QCOMPARE(b.hopS, a.hopS);
        QVERIFY(b.wakeS == a.wakeS);
        QCOMPARE(b.procsCallS, a.procsCallS);
        QCOMPARE(b.copyPerByteS, a.copyPerByteS);
        QCOMPARE(b.shmPerByteS, a.shmPerByteS);
        QCOMPARE(b.netS, a.netS);
        QCOMPARE(b.netPerByteS, a.netPerByteS);
        QCOMPARE(b.diskS, a.diskS);
        QCOMPARE(b.diskPerByteS, a.diskPerByteS);
        QCOMPARE(b.fsyncS, a.fsyncS);
        QCOMPARE(b.workerStartS, a.workerStartS);
        QCOMPARE(b.timerLatenessS, a.timerLatenessS);
        QCOMPARE(b.effectiveCores, 3.5);
        QCOMPARE(b.ranges.cores, 4.0);
        QCOMPARE(b.ranges.maxPayloadBytes, 2097152.0);
        QCOMPARE(b.ranges.maxRatePerS, 800.0);
        QCOMPARE(b.ranges.maxNetBytes, 1048576.0);
        QCOMPARE(b.ranges.maxDiskBytes, 1048576.0);
        QVERIFY(!b.builtin);
        QCOMPARE(b.source, QStringLiteral("calibration of testhost, 2026-01-02T03:04:05Z"));
        QCOMPARE(back->copy.size(), p.copy.size());
        QCOMPARE(back->copy[1].bytes, p.copy[1].bytes);
        QCOMPARE(back->copy[1].s.hi, p.copy[1].s.hi);
        QCOMPARE(back->wake[3].n, 50);
        // What simulate loads from the file.
        const std::optional<SimCosts> loaded = loadSimCosts(&error, path);
        QVERIFY2(loaded, qPrintable(error));
        QCOMPARE(loaded->source, b.source);
        QCOMPARE(loaded->copyPerByteS, a.copyPerByteS);
    }

    void missingIsBuiltin()
    {
        QTemporaryDir dir;
        QString error;
        const std::optional<SimCosts> c = loadSimCosts(&error, dir.filePath(QStringLiteral("none.json")));
        QVERIFY(c);
        QVERIFY(c->builtin);
        QCOMPARE(c->source, QStringLiteral("built-in default"));
        QVERIFY(error.isEmpty());
    }

    void refused_data()
    {
        QTest::addColumn<QString>("key"); // the dotted key to break, or "" for the file's bytes
        QTest::addColumn<QJsonValue>("value");
        QTest::addColumn<QString>("named"); // what the error must name
        QTest::newRow("schema") << QStringLiteral("schema") << QJsonValue(QStringLiteral("hybridscope.calibration/9"))
                                << QStringLiteral("key schema: expected \"hybridscope.calibration/1\"");
        QTest::newRow("hop missing") << QStringLiteral("costs.hop_s") << QJsonValue(QJsonValue::Undefined)
                                     << QStringLiteral("key costs.hop_s: missing");
        QTest::newRow("wake negative") << QStringLiteral("costs.wake_s.threads") << QJsonValue(-1e-6)
                                       << QStringLiteral("key costs.wake_s.threads: expected a number ≥ 0");
        QTest::newRow("wake text") << QStringLiteral("costs.wake_s.procs") << QJsonValue(QStringLiteral("fast"))
                                   << QStringLiteral("key costs.wake_s.procs: expected a number");
        QTest::newRow("cores zero") << QStringLiteral("ranges.cores") << QJsonValue(0)
                                    << QStringLiteral("key ranges.cores: expected a number > 0");
        QTest::newRow("no machine") << QStringLiteral("machine") << QJsonValue(QJsonValue::Undefined)
                                    << QStringLiteral("key machine: missing");
        QTest::newRow("effective cores") << QStringLiteral("machine.effective_cores") << QJsonValue(0)
                                         << QStringLiteral("key machine.effective_cores: expected a number > 0");
        QTest::newRow("point") << QStringLiteral("measured.copy") << QJsonValue(QJsonArray { QJsonObject {} })
                               << QStringLiteral("key measured.copy[0].bytes: missing");
    }

    void refused()
    {
        QFETCH(QString, key);
        QFETCH(QJsonValue, value);
        QFETCH(QString, named);
        QJsonObject o = calibrationToJson(sampleProfile());
        // Set (or remove) a dotted key.
        const QStringList parts = key.split(QLatin1Char('.'));
        std::function<void(QJsonObject &, int)> set = [&](QJsonObject &obj, int i) {
            if (i == parts.size() - 1) {
                if (value.isUndefined())
                    obj.remove(parts[i]);
                else
                    obj[parts[i]] = value;
                return;
            }
            QJsonObject child = obj.value(parts[i]).toObject();
            set(child, i + 1);
            obj[parts[i]] = child;
        };
        set(o, 0);
        QTemporaryDir dir;
        const QString path = writeText(dir, QStringLiteral("calibration.json"), QJsonDocument(o).toJson());
        QVERIFY(!path.isEmpty());
        QString error;
        QVERIFY(!loadSimCosts(&error, path));
        QVERIFY2(error.startsWith(path + QStringLiteral(": ")), qPrintable(error));
        QVERIFY2(error.contains(named), qPrintable(error));
    }

    void corruptFile()
    {
        QTemporaryDir dir;
        const QString path = writeText(dir, QStringLiteral("calibration.json"), "{\"schema\": \"hybridscope.cal");
        QString error;
        QVERIFY(!loadSimCosts(&error, path));
        QVERIFY2(error.startsWith(path + QStringLiteral(": not a JSON object")), qPrintable(error));
    }

    // Beyond twice the calibration's ranges: cores, a class's rate, a procs payload, net and disk.
    void extrapolation()
    {
        const Scenario s = parse(R"(name: x
duration: 5s
domains:
  procs: { workers: 2 }
classes:
  - name: a
    arrival: { process: poisson, rate: 900/s }
    stages:
      - { name: p, work: cpu, time: 1ms, payload_in: 3MiB, payload_out: 2MiB, domain: procs }
      - { name: n, work: net, time: 1ms, bytes: 3MiB, domain: threads }
      - { name: d, work: disk, bytes: 1MiB, domain: threads }
  - name: b
    arrival: { process: closed, clients: 100, think: 0ms }
    stages: [ { name: c, work: cpu, time: 1ms, domain: threads } ]
)");
        QVERIFY(!s.classes.empty());
        SimOptions o;
        o.costs = sampleProfile().costs; // 4 cores, 2 MiB payloads, 800/s, 1 MiB net and disk
        o.cores = 64;
        std::vector<Extrapolation> e = simulationExtrapolations(s, o);
        QStringList what;
        for (const Extrapolation &x : e)
            what << x.what;
        QCOMPARE(what,
            QStringList({ QStringLiteral("cores"), QStringLiteral("payload of a.p (bytes)"),
                QStringLiteral("net answer of a.n (bytes)") }));
        QCOMPARE(e[0].value, 64.0);
        QCOMPARE(e[0].measuredMax, 4.0);
        // At 8 cores (twice 4): not beyond; a faster class and a bigger payload are.
        o.cores = 8;
        o.costs.ranges.maxRatePerS = 400;
        o.costs.ranges.maxPayloadBytes = 2.6e6;
        e = simulationExtrapolations(s, o);
        what.clear();
        for (const Extrapolation &x : e)
            what << x.what;
        QCOMPARE(what,
            QStringList({ QStringLiteral("arrival rate of a (/s)"), QStringLiteral("payload of a.p (bytes)"),
                QStringLiteral("net answer of a.n (bytes)") }));
        QVERIFY(extrapolationText(e).startsWith(QStringLiteral("EXTRAPOLATION: ")));
        QVERIFY(extrapolationText({}).isEmpty());
        const QJsonArray j = extrapolationJson(e);
        QCOMPARE(j.size(), 3);
        QCOMPARE(j[1].toObject().value(QStringLiteral("value")).toDouble(), 5.0 * 1024 * 1024);
        QCOMPARE(j[1].toObject().value(QStringLiteral("measured_max")).toDouble(), 2.6e6);
        // The built-in default's ranges: 2 cores.
        SimOptions d;
        d.cores = 4;
        const std::vector<Extrapolation> four = simulationExtrapolations(s, d);
        QVERIFY(std::none_of(
            four.begin(), four.end(), [](const Extrapolation &x) { return x.what == QLatin1String("cores"); }));
        d.cores = 5;
        QCOMPARE(simulationExtrapolations(s, d).front().what, QStringLiteral("cores"));
    }

    // A calibration's effective cores are the default cores, fractional: 4 CPU-bound clients with
    // no think time on 1.5 cores complete 1.5 / 10 ms = 150 tasks a second.
    void fractionalCores()
    {
        const Scenario s = parse(R"(name: x
duration: 20s
domains:
  threads: { workers: 4 }
classes:
  - name: c
    arrival: { process: closed, clients: 4, think: 0ms }
    stages: [ { name: s, work: cpu, time: 10ms, domain: threads } ]
)");
        QVERIFY(!s.classes.empty());
        SimOptions o;
        o.costs = zeroCosts();
        o.costs.effectiveCores = 1.5;
        QCOMPARE(simCores(o), 1.5);
        const RunResult r = simulate(s, o);
        QVERIFY2(std::abs(r.classes.front().throughput - 150.0) < 1.5,
            qPrintable(QString::number(r.classes.front().throughput)));
        const SimStats none;
        QCOMPARE(simulationJson(s, o, none, 1).value(QStringLiteral("cores")).toDouble(), 1.5);
    }

    // The break-even's closed form against the simulator it describes: half the break-even payload
    // and procs has the higher throughput; twice it and threads have.
    void breakEvenMatchesSimulator_data()
    {
        QTest::addColumn<double>("stageMs");
        QTest::addColumn<int>("transfer");
        QTest::newRow("10 ms copy") << 10.0 << int(Transfer::Copy);
        QTest::newRow("2 ms shm") << 2.0 << int(Transfer::Shm);
    }
    void breakEvenMatchesSimulator()
    {
        QFETCH(double, stageMs);
        QFETCH(int, transfer);
        const Transfer t = Transfer(transfer);
        SimCosts c = sampleProfile().costs;
        c.effectiveCores = 3.5;
        const BreakEven b = breakEven(c, 3.5, 4, stageMs / 1e3, t);
        QCOMPARE(int(b.verdict), int(BreakEven::Verdict::Below));
        const auto throughput = [&](const QString &domain, double bytes) {
            const Scenario s = parse(QStringLiteral("name: x\nduration: 20s\ngil: { enabled: true }\n"
                                                    "domains:\n  threads: { workers: 4 }\n"
                                                    "  procs: { workers: 4, transfer: %1 }\n"
                                                    "classes:\n  - name: c\n"
                                                    "    arrival: { process: closed, clients: 4, think: 0ms }\n"
                                                    "    stages: [ { name: s, work: cpu, time: %2ms, payload_in: %3, "
                                                    "domain: %4 } ]\n")
                                         .arg(t == Transfer::Shm ? QStringLiteral("shm") : QStringLiteral("copy"))
                                         .arg(stageMs)
                                         .arg(qint64(bytes))
                                         .arg(domain)
                                         .toUtf8());
            SimOptions o;
            o.costs = c;
            return simulate(s, o).classes.front().throughput;
        };
        const double threads = throughput(QStringLiteral("threads"), 0);
        QVERIFY2(threads > 0, "the threads run completed nothing");
        // The closed form's own figure for threads matches the simulation's.
        QVERIFY(std::abs(closedLoopThroughput(c, 3.5, 4, stageMs / 1e3, DomainKind::Threads, t, 0) - threads)
            < 0.02 * threads);
        const double below = throughput(QStringLiteral("procs"), b.bytes / 2);
        const double above = throughput(QStringLiteral("procs"), b.bytes * 2);
        QVERIFY2(below > threads, qPrintable(QStringLiteral("%1 vs %2").arg(below).arg(threads)));
        QVERIFY2(above < threads, qPrintable(QStringLiteral("%1 vs %2").arg(above).arg(threads)));
        // Short stages: the call alone outweighs what a second core gives.
        SimCosts slow = c;
        slow.procsCallS = 5e-3;
        QCOMPARE(int(breakEven(slow, 3.5, 4, 1e-3, t).verdict), int(BreakEven::Verdict::Never));
        // One core: never.
        QCOMPARE(int(breakEven(c, 1.0, 4, 0.1, t).verdict), int(BreakEven::Verdict::Never));
    }
};

QTEST_GUILESS_MAIN(TestCalibration)
#include "tst_calibration.moc"
