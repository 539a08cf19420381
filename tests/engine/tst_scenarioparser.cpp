#include "scenario/scenarioparser.h"
#include "testutil.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <random>

using hs::Distribution;
using hs::DomainKind;
using hs::Override;
using hs::ParseResult;
using hs::RouteOverride;
using hs::ScenarioError;
using hs::ScenarioParser;

namespace {

const QString kSource = QStringLiteral("test.yaml");

// The example of DESIGN §4, verbatim.
const char kDesignExample[] = R"yaml(name: Seed blueprint mix
description: Fetch → transform → store, plus pure I/O and pure CPU classes.
duration: 20s              # absent or 0: until stopped (GUI)
seed: 42                   # same seed, same arrivals and work sizes
sla: { p99: 250ms }        # default per-class SLA on end-to-end latency
starvation: { threshold: 100ms, heartbeat: 10ms }
gil: { enabled: false, switch_interval: 5ms }
domains:
  loop:    {}                                   # always one thread
  threads: { workers: 8, queue: 1000, on_full: reject }
  tbb:     { workers: 2 }
  procs:   { workers: 2, transfer: copy, max_inflight: 64, on_full: block }
classes:
  - name: fetch
    arrival: { process: poisson, rate: 300/s }
    stages:
      - { name: get, work: block, time: exp(5ms), domain: threads }
  - name: pipeline
    arrival: { process: constant, rate: 100/s }
    sla: { p99: 50ms }
    stages:
      - { name: fetch,     work: net,  time: 2ms, bytes: 4KiB, domain: loop }
      - { name: transform, work: cpu,  time: 1ms, payload_in: 256KiB, domain: procs }
      - { name: store,     work: disk, bytes: 64KiB, domain: threads }
)yaml";

// A small valid scenario; the bad cases below change one line of it. Line numbers are fixed:
// line 4 is the arrival, line 6 the one stage, extra top-level lines start at line 7.
const char kLine1to3[] = "name: t\nclasses:\n  - name: c\n";
const char kLine4[] = "    arrival: { process: poisson, rate: 10/s }\n";
const char kLine5[] = "    stages:\n";
const char kLine6[] = "      - { name: s, work: cpu, time: 1ms, domain: threads }\n";

QByteArray withTop(const char *lines)
{
    return QByteArray(kLine1to3) + kLine4 + kLine5 + kLine6 + lines;
}

QByteArray withArrival(const char *flow)
{
    return QByteArray(kLine1to3) + "    arrival: " + flow + "\n" + kLine5 + kLine6;
}

QByteArray withStage(const char *flow)
{
    return QByteArray(kLine1to3) + kLine4 + kLine5 + "      - " + flow + "\n";
}

const char kOverrideBase[] = R"yaml(name: Override base
duration: 5s
domains:
  threads: { workers: 8 }
classes:
  - name: pipeline
    arrival: { process: constant, rate: 100/s }
    stages:
      - { name: fetch, work: net, time: 2ms, bytes: 4KiB, domain: loop }
      - { name: transform, work: cpu, time: 1ms, domain: procs }
      - { name: store, work: disk, bytes: 64KiB, domain: threads }
)yaml";

ParseResult parse(
    const QByteArray &yaml, const std::vector<Override> &sets = {}, const std::vector<RouteOverride> &routes = {})
{
    return ScenarioParser::parseText(yaml, kSource, sets, routes);
}

QString allErrors(const ParseResult &r)
{
    QStringList lines;
    for (const ScenarioError &e : r.errors)
        lines << e.toString();
    return lines.join(QLatin1Char('\n'));
}

/// One field of a parsed scenario as text, so data-driven rows can name what they expect.
QString probe(const hs::Scenario &s, const QString &what)
{
    const auto stage = [&](const QString &name) -> const hs::Stage * {
        for (const auto &c : s.classes)
            for (const auto &st : c.stages)
                if (st.name == name)
                    return &st;
        return nullptr;
    };
    if (what == QLatin1String("threads.workers"))
        return QString::number(s.domain(DomainKind::Threads).workers);
    if (what == QLatin1String("tbb.workers"))
        return QString::number(s.domain(DomainKind::Tbb).workers);
    if (what == QLatin1String("tbb.declared"))
        return s.domain(DomainKind::Tbb).declared ? QStringLiteral("true") : QStringLiteral("false");
    if (what == QLatin1String("loop.queue"))
        return QString::number(s.domain(DomainKind::Loop).queue);
    if (what == QLatin1String("duration"))
        return QString::number(s.duration);
    if (what == QLatin1String("seed"))
        return QString::number(s.seed);
    if (what == QLatin1String("description"))
        return s.description;
    if (what == QLatin1String("rate"))
        return QString::number(s.classes.at(0).arrival.rate);
    if (what == QLatin1String("arrival"))
        return hs::arrivalName(s.classes.at(0).arrival.process) + QLatin1Char(' ')
            + QString::number(s.classes.at(0).arrival.clients);
    if (what == QLatin1String("sla"))
        return QString::number(s.slaFor(0).value_or(-1));
    if (what.startsWith(QLatin1String("time:")))
        return stage(what.mid(5))->time.toString(QStringLiteral("s"));
    if (what.startsWith(QLatin1String("kernel:")))
        return hs::kernelName(stage(what.mid(7))->kernel);
    if (what.startsWith(QLatin1String("domain:")))
        return hs::domainName(stage(what.mid(7))->domain);
    return QStringLiteral("<unknown probe>");
}

} // namespace

class TestScenarioParser : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void designExample();
    void defaults();
    void arrivals_data();
    void arrivals();
    void stageFields();
    void anchorsWithinBudget();
    void goodCases_data();
    void goodCases();
    void builtinScenarios_data();
    void builtinScenarios();
    void parseFileFromDisk();
    void missingFile();

    void badCases_data();
    void badCases();
    void severalErrorsInOrder();
    void emptyInput_data();
    void emptyInput();
    void binaryGarbage_data();
    void binaryGarbage();
    void aliasBomb();
    void deepNesting();
    void recursiveAlias();
    void oversizedInput();
    void mutatedInputNeverCrashes();

    void lockScopeOverride();
    void overridesGood_data();
    void overridesGood();
    void overridesBad_data();
    void overridesBad();
    void setArgument_data();
    void setArgument();
    void routesGood();
    void routesBad_data();
    void routesBad();
    void routeArgument_data();
    void routeArgument();
    void checkField_data();
    void checkField();
    void errorToString();

    // Issue 11
    void droppedAnchoredValueStaysValid_data();
    void droppedAnchoredValueStaysValid();
    void aliasTextBudget();
    void heartbeatMinimumIsAccepted_data();
    void heartbeatMinimumIsAccepted();
    void multiLineValuesKeepTheirLocation_data();
    void multiLineValuesKeepTheirLocation();
    void overrideConsequencesNameTheSet_data();
    void overrideConsequencesNameTheSet();
    void valuesBeyondTheEngineAreRefused_data();
    void valuesBeyondTheEngineAreRefused();
    void edgeValuesAreAccepted();
    void samplesStayWithinTheField();
    void manyLessonStepsAreLinear();
    void lessonStepLimits();
    void lessonStopsAtTheFirstFailingStep();
};

void TestScenarioParser::designExample()
{
    const ParseResult r = parse(kDesignExample);
    QVERIFY2(r.ok(), qPrintable(allErrors(r)));
    QVERIFY(r.errors.empty());
    const hs::Scenario &s = *r.scenario;
    QCOMPARE(s.name, QStringLiteral("Seed blueprint mix"));
    QCOMPARE(s.description, QStringLiteral("Fetch → transform → store, plus pure I/O and pure CPU classes."));
    QCOMPARE(s.source, kSource);
    QCOMPARE(s.duration, 20.0);
    QCOMPARE(s.seed, std::uint64_t(42));
    QCOMPARE(s.slaP99.value_or(-1), 0.25);
    QCOMPARE(s.starvationThreshold, 0.1);
    QCOMPARE(s.heartbeat, 0.01);
    QCOMPARE(s.gilEnabled, false);
    QCOMPARE(s.gilSwitchInterval, 0.005);

    const auto &loop = s.domain(DomainKind::Loop);
    QVERIFY(loop.declared);
    QCOMPARE(loop.workers, 1);
    const auto &threads = s.domain(DomainKind::Threads);
    QVERIFY(threads.declared);
    QCOMPARE(threads.workers, 8);
    QCOMPARE(threads.queue, 1000);
    QCOMPARE(threads.onFull, hs::OnFull::Reject);
    QCOMPARE(s.domain(DomainKind::Tbb).workers, 2);
    const auto &procs = s.domain(DomainKind::Procs);
    QCOMPARE(procs.workers, 2);
    QCOMPARE(procs.transfer, hs::Transfer::Copy);
    QCOMPARE(procs.maxInflight, 64);
    QCOMPARE(procs.onFull, hs::OnFull::Block);

    QCOMPARE(s.classes.size(), std::size_t(2));
    const hs::TaskClass &fetch = s.classes[0];
    QCOMPARE(fetch.name, QStringLiteral("fetch"));
    QCOMPARE(fetch.loc.line, 14);
    QCOMPARE(fetch.loc.column, 5);
    QCOMPARE(fetch.arrival.process, hs::ArrivalProcess::Poisson);
    QCOMPARE(fetch.arrival.rate, 300.0);
    QVERIFY(!fetch.slaP99.has_value());
    QCOMPARE(s.slaFor(0).value_or(-1), 0.25);
    QCOMPARE(fetch.stages.size(), std::size_t(1));
    const hs::Stage &get = fetch.stages[0];
    QCOMPARE(get.name, QStringLiteral("get"));
    QCOMPARE(get.work, hs::WorkKind::Block);
    QCOMPARE(get.time, Distribution::exp(0.005));
    QCOMPARE(get.domain, DomainKind::Threads);
    QCOMPARE(get.loc.line, 17);
    QCOMPARE(get.loc.column, 9);

    const hs::TaskClass &pipeline = s.classes[1];
    QCOMPARE(pipeline.arrival.process, hs::ArrivalProcess::Constant);
    QCOMPARE(pipeline.arrival.rate, 100.0);
    QCOMPARE(pipeline.slaP99.value_or(-1), 0.05);
    QCOMPARE(pipeline.stages.size(), std::size_t(3));
    const hs::Stage &net = pipeline.stages[0];
    QCOMPARE(net.work, hs::WorkKind::Net);
    QCOMPARE(net.time, Distribution::fixed(0.002));
    QCOMPARE(net.bytes, Distribution::fixed(4096));
    QCOMPARE(net.domain, DomainKind::Loop);
    QCOMPARE(net.loc.line, 22);
    const hs::Stage &transform = pipeline.stages[1];
    QCOMPARE(transform.work, hs::WorkKind::Cpu);
    QCOMPARE(transform.kernel, hs::CpuKernel::Spin);
    QCOMPARE(transform.payloadIn, Distribution::fixed(256 * 1024));
    QCOMPARE(transform.domain, DomainKind::Procs);
    const hs::Stage &store = pipeline.stages[2];
    QCOMPARE(store.work, hs::WorkKind::Disk);
    QCOMPARE(store.bytes, Distribution::fixed(64 * 1024));
    QVERIFY(store.time.isZero());
    QVERIFY(!store.fsync);
    QCOMPARE(s.routingKeys(),
        QStringList({ QStringLiteral("fetch.get"), QStringLiteral("pipeline.fetch"),
            QStringLiteral("pipeline.transform"), QStringLiteral("pipeline.store") }));
}

void TestScenarioParser::defaults()
{
    const ParseResult r = parse(withTop(""));
    QVERIFY2(r.ok(), qPrintable(allErrors(r)));
    const hs::Scenario &s = *r.scenario;
    QCOMPARE(s.duration, 0.0);
    QCOMPARE(s.seed, std::uint64_t(1));
    QVERIFY(!s.slaP99.has_value());
    QCOMPARE(s.starvationThreshold, 0.1);
    QCOMPARE(s.heartbeat, 0.01);
    QVERIFY(!s.gilEnabled);
    QCOMPARE(s.gilSwitchInterval, 0.005);
    QCOMPARE(s.domain(DomainKind::Loop).workers, 1);
    QCOMPARE(s.domain(DomainKind::Threads).workers, 8);
    QCOMPARE(s.domain(DomainKind::Tbb).workers, QThread::idealThreadCount());
    QCOMPARE(s.domain(DomainKind::Procs).workers, 2);
    for (DomainKind d : hs::kAllDomains) {
        const auto &cfg = s.domain(d);
        QVERIFY(!cfg.declared);
        QCOMPARE(cfg.queue, 0);
        QCOMPARE(cfg.maxInflight, 0);
        QCOMPARE(cfg.onFull, hs::OnFull::Reject);
        QCOMPARE(cfg.transfer, hs::Transfer::Copy);
    }
    const hs::Stage &st = s.classes.at(0).stages.at(0);
    QCOMPARE(st.kernel, hs::CpuKernel::Spin);
    QVERIFY(st.bytes.isZero());
    QVERIFY(st.payloadIn.isZero());
    QVERIFY(st.payloadOut.isZero());
    QCOMPARE(st.timeout, 0.0);
    QCOMPARE(st.fail, 0.0);
    QCOMPARE(st.crash, 0.0);
    QCOMPARE(st.loc.line, 6);
    QCOMPARE(st.loc.column, 9);
}

Q_DECLARE_METATYPE(hs::ArrivalProcess)

void TestScenarioParser::arrivals_data()
{
    QTest::addColumn<QByteArray>("flow");
    QTest::addColumn<hs::ArrivalProcess>("process");
    QTest::addColumn<double>("rate");
    QTest::addColumn<double>("on");
    QTest::addColumn<double>("off");
    QTest::addColumn<double>("from");
    QTest::addColumn<double>("to");
    QTest::addColumn<double>("over");
    QTest::addColumn<int>("clients");
    QTest::addColumn<double>("thinkMean");
    using A = hs::ArrivalProcess;
    QTest::newRow("poisson") << QByteArray("{ process: poisson, rate: 300/s }") << A::Poisson << 300.0 << 0.0 << 0.0
                             << 0.0 << 0.0 << 0.0 << 0 << 0.0;
    QTest::newRow("process defaults to poisson")
        << QByteArray("{ rate: 5/ms }") << A::Poisson << 5000.0 << 0.0 << 0.0 << 0.0 << 0.0 << 0.0 << 0 << 0.0;
    QTest::newRow("constant") << QByteArray("{ process: constant, rate: 60/m }") << A::Constant << 1.0 << 0.0 << 0.0
                              << 0.0 << 0.0 << 0.0 << 0 << 0.0;
    QTest::newRow("burst") << QByteArray("{ process: burst, rate: 1000/s, on: 1s, off: 4s }") << A::Burst << 1000.0
                           << 1.0 << 4.0 << 0.0 << 0.0 << 0.0 << 0 << 0.0;
    QTest::newRow("ramp") << QByteArray("{ process: ramp, from: 0/s, to: 500/s, over: 30s }") << A::Ramp << 0.0 << 0.0
                          << 0.0 << 0.0 << 500.0 << 30.0 << 0 << 0.0;
    QTest::newRow("ramp without over") << QByteArray("{ process: ramp, from: 10/s, to: 0 }") << A::Ramp << 0.0 << 0.0
                                       << 0.0 << 10.0 << 0.0 << 0.0 << 0 << 0.0;
    QTest::newRow("closed") << QByteArray("{ process: closed, clients: 50, think: exp(100ms) }") << A::Closed << 0.0
                            << 0.0 << 0.0 << 0.0 << 0.0 << 0.0 << 50 << 0.1;
    QTest::newRow("closed without think") << QByteArray("{ process: closed, clients: 1 }") << A::Closed << 0.0 << 0.0
                                          << 0.0 << 0.0 << 0.0 << 0.0 << 1 << 0.0;
    // DESIGN §15: a closed class with a target rate (wrk2's model).
    QTest::newRow("closed with rate") << QByteArray("{ process: closed, clients: 2, rate: 200/s }") << A::Closed
                                      << 200.0 << 0.0 << 0.0 << 0.0 << 0.0 << 0.0 << 2 << 0.0;
    QTest::newRow("rate at the limit") << QByteArray("{ process: poisson, rate: 1/us }") << A::Poisson << 1e6 << 0.0
                                       << 0.0 << 0.0 << 0.0 << 0.0 << 0 << 0.0;
}

void TestScenarioParser::arrivals()
{
    QFETCH(QByteArray, flow);
    QFETCH(hs::ArrivalProcess, process);
    QFETCH(double, rate);
    QFETCH(double, on);
    QFETCH(double, off);
    QFETCH(double, from);
    QFETCH(double, to);
    QFETCH(double, over);
    QFETCH(int, clients);
    QFETCH(double, thinkMean);
    const ParseResult r = parse(withArrival(flow.constData()));
    QVERIFY2(r.ok(), qPrintable(allErrors(r)));
    const hs::Arrival &a = r.scenario->classes.at(0).arrival;
    QCOMPARE(a.process, process);
    QCOMPARE(a.rate, rate);
    QCOMPARE(a.on, on);
    QCOMPARE(a.off, off);
    QCOMPARE(a.from, from);
    QCOMPARE(a.to, to);
    QCOMPARE(a.over, over);
    QCOMPARE(a.clients, clients);
    QCOMPARE(a.think.mean(), thinkMean);
}

void TestScenarioParser::stageFields()
{
    const QByteArray yaml = R"yaml(name: fields
gil: { enabled: true, switch_interval: 1ms }
classes:
  - name: c
    arrival: { process: poisson, rate: 10/s }
    stages:
      - name: hash
        work: cpu
        time: uniform(1ms, 3ms)
        kernel: sha256
        payload_in: exp(64KiB)
        payload_out: 1MiB
        timeout: 250ms
        fail: 1%
        crash: 0.001
        domain: procs
      - name: save
        work: disk
        bytes: "lognormal(64KiB, 0.5)"
        fsync: true
        domain: threads
      - { name: call, work: net, time: "normal(5ms, 1ms)", domain: loop }
)yaml";
    const ParseResult r = parse(yaml);
    QVERIFY2(r.ok(), qPrintable(allErrors(r)));
    QVERIFY(r.scenario->gilEnabled);
    QCOMPARE(r.scenario->gilSwitchInterval, 0.001);
    const auto &stages = r.scenario->classes.at(0).stages;
    QCOMPARE(stages.size(), std::size_t(3));
    const hs::Stage &hash = stages[0];
    QCOMPARE(hash.time.kind, Distribution::Kind::Uniform);
    QCOMPARE(hash.time.a, 0.001);
    QCOMPARE(hash.time.b, 0.003);
    QCOMPARE(hash.kernel, hs::CpuKernel::Sha256);
    QCOMPARE(hash.payloadIn, Distribution::exp(65536));
    QCOMPARE(hash.payloadOut, Distribution::fixed(1048576));
    QCOMPARE(hash.timeout, 0.25);
    QCOMPARE(hash.fail, 0.01);
    QCOMPARE(hash.crash, 0.001);
    QCOMPARE(hash.domain, DomainKind::Procs);
    QCOMPARE(hash.loc.line, 7);
    QCOMPARE(hash.loc.column, 9);
    const hs::Stage &save = stages[1];
    QCOMPARE(save.bytes.kind, Distribution::Kind::LogNormal);
    QCOMPARE(save.bytes.a, 65536.0);
    QCOMPARE(save.bytes.b, 0.5);
    QVERIFY(save.fsync);
    QCOMPARE(stages[2].time.kind, Distribution::Kind::Normal);
    QCOMPARE(stages[2].bytes, Distribution::fixed(0));
}

void TestScenarioParser::anchorsWithinBudget()
{
    // Anchors are fine for sharing a few definitions; only their expansion is bounded.
    const QByteArray yaml = R"yaml(name: anchors
classes:
  - name: a
    arrival: &arr { process: poisson, rate: 10/s }
    stages:
      - &st { name: s, work: cpu, time: 1ms, domain: threads }
  - name: b
    arrival: *arr
    stages: [ *st ]
)yaml";
    const ParseResult r = parse(yaml);
    QVERIFY2(r.ok(), qPrintable(allErrors(r)));
    QCOMPARE(r.scenario->classes.size(), std::size_t(2));
    QCOMPARE(r.scenario->classes[1].arrival.rate, 10.0);
    QCOMPARE(r.scenario->classes[1].stages.at(0).name, QStringLiteral("s"));
}

void TestScenarioParser::goodCases_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::newRow("minimal") << withTop("");
    QTest::newRow("empty loop domain as null") << withTop("domains:\n  loop:\n");
    QTest::newRow("loop workers 1") << withTop("domains:\n  loop: { workers: 1 }\n");
    QTest::newRow("loop backpressure") << withTop(
        "domains:\n  loop: { queue: 10, max_inflight: 20, on_full: drop_oldest }\n");
    QTest::newRow("procs shm") << withTop("domains:\n  procs: { workers: 4096, transfer: shm }\n");
    QTest::newRow("queue at the limit") << withTop("domains:\n  threads: { queue: 10000000 }\n");
    QTest::newRow("duration zero") << withTop("duration: 0\n");
    QTest::newRow("seed zero") << withTop("seed: 0\n");
    QTest::newRow("seed max") << withTop("seed: 18446744073709551615\n");
    QTest::newRow("description block") << withTop("description: >\n  Several lines\n  of text.\n");
    QTest::newRow("empty description") << withTop("description:\n");
    QTest::newRow("quoted numbers") << withTop("seed: \"7\"\ndomains:\n  threads: { workers: '4' }\n");
    QTest::newRow("async stage") << withStage("{ name: s, work: async, time: 10ms, domain: loop }");
    QTest::newRow("block stage 1h") << withStage("{ name: s, work: block, time: 1h, domain: threads }");
    QTest::newRow("net without bytes") << withStage("{ name: s, work: net, time: 2ms, domain: loop }");
    QTest::newRow("disk with fsync false")
        << withStage("{ name: s, work: disk, bytes: 1GiB, fsync: false, domain: tbb }");
    QTest::newRow("payloads at 1GiB") << withStage(
        "{ name: s, work: cpu, time: 1ms, payload_out: 1GiB, domain: procs }");
    QTest::newRow("zero fail") << withStage("{ name: s, work: cpu, time: 1ms, fail: 0, crash: 100%, domain: procs }");
    QTest::newRow("names with dash and underscore")
        << QByteArray("name: t\nclasses:\n  - name: my-class_1\n    arrival: { rate: 1/s }\n"
                      "    stages:\n      - { name: step-2_b, work: cpu, time: 1ms, domain: threads }\n");
    QTest::newRow("same stage name in two classes")
        << QByteArray("name: t\nclasses:\n  - name: a\n    arrival: { rate: 1/s }\n    stages: [ { name: s, work: cpu, "
                      "time: 1ms, domain: threads } ]\n  - name: b\n    arrival: { rate: 1/s }\n    stages: [ { name: "
                      "s, work: cpu, time: 1ms, domain: threads } ]\n");
    QTest::newRow("document markers") << QByteArray("---\n") + withTop("...\n");
    QTest::newRow("crlf line ends") << withTop("seed: 3\n").replace("\n", "\r\n");
    QTest::newRow("utf-8 bom") << QByteArray("\xef\xbb\xbf") + withTop("");
    QTest::newRow("lock and update") << withStage(
        "{ name: s, work: block, time: 1ms, domain: procs, update: ledger, lock: { name: ledger, scope: process } }");
    QTest::newRow("two locks in order") << withStage("{ name: s, work: cpu, time: 1ms, domain: threads, "
                                                     "lock: [ { name: a, scope: thread, timeout: 50ms }, "
                                                     "{ name: b, scope: thread } ] }");
    QTest::newRow("update without a lock") << withStage("{ name: s, work: cpu, time: 1ms, domain: loop, update: n }");
}

void TestScenarioParser::goodCases()
{
    QFETCH(QByteArray, yaml);
    const ParseResult r = parse(yaml);
    QVERIFY2(r.ok(), qPrintable(allErrors(r)));
    QVERIFY(r.errors.empty());
    QVERIFY(!r.scenario->classes.empty());
}

void TestScenarioParser::builtinScenarios_data()
{
    QTest::addColumn<QString>("path");
    const QDir dir(hs::test::sourceDir() + QStringLiteral("/scenarios"));
    const QStringList files = dir.entryList({ QStringLiteral("*.yaml") }, QDir::Files, QDir::Name);
    if (files.isEmpty())
        QSKIP("no built-in scenarios in scenarios/ yet");
    for (const QString &f : files)
        QTest::newRow(qPrintable(f)) << dir.filePath(f);
}

void TestScenarioParser::builtinScenarios()
{
    QFETCH(QString, path);
    const ParseResult r = ScenarioParser::parseFile(path);
    QVERIFY2(r.ok(), qPrintable(allErrors(r)));
    QCOMPARE(r.scenario->source, path);
    QVERIFY(!r.scenario->name.isEmpty());
}

void TestScenarioParser::parseFileFromDisk()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("design.yaml"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(kDesignExample);
    f.close();
    const ParseResult r = ScenarioParser::parseFile(path, { { QStringLiteral("seed"), QStringLiteral("9") } });
    QVERIFY2(r.ok(), qPrintable(allErrors(r)));
    QCOMPARE(r.scenario->source, path);
    QCOMPARE(r.scenario->seed, std::uint64_t(9));

    // Errors in a file name that file.
    const QString bad = dir.filePath(QStringLiteral("bad.yaml"));
    QFile g(bad);
    QVERIFY(g.open(QIODevice::WriteOnly));
    g.write(withTop("seed: -3\n"));
    g.close();
    const ParseResult rb = ScenarioParser::parseFile(bad);
    QVERIFY(!rb.ok());
    QCOMPARE(rb.errors.at(0).file, bad);
    QCOMPARE(rb.errors.at(0).line, 7);
}

void TestScenarioParser::missingFile()
{
    const QString path = QStringLiteral("/nonexistent/dir/none.yaml");
    const ParseResult r = ScenarioParser::parseFile(path);
    QVERIFY(!r.ok());
    QCOMPARE(r.errors.size(), std::size_t(1));
    QCOMPARE(r.errors[0].file, path);
    QVERIFY2(r.errors[0].message.contains(QStringLiteral("cannot open")), qPrintable(r.errors[0].message));
}

void TestScenarioParser::badCases_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<int>("line");
    QTest::addColumn<QByteArray>("at"); ///< the error's column is where this text starts on `line`
    QTest::addColumn<QString>("fragment");

    const auto row = [](const char *name, const QByteArray &yaml, int line, const char *at, const char *fragment) {
        QTest::newRow(name) << yaml << line << QByteArray(at) << QString::fromUtf8(fragment);
    };
    // Top level.
    row("unknown top key", withTop("durration: 5s\n"), 7, "durration",
        "unknown key \"durration\" in the scenario; did you mean \"duration\"?");
    row("unknown top key without guess", withTop("colour: blue\n"), 7, "colour", "expected one of: name, description");
    row("missing name", QByteArray(withTop("")).mid(8), 1, "classes", "missing \"name\"");
    row("empty name", withTop("").replace("name: t\n", "name: ''\n"), 1, "''", "name: must not be empty");
    row("name is a list", withTop("").replace("name: t\n", "name: [a]\n"), 1, "[", "name: expected a text; got a list");
    row("duration parsecs", withTop("duration: 5 parsecs\n"), 7, "5 parsecs",
        "duration: expected a duration like 5ms, 200us, 1.5s; got \"5 parsecs\"");
    row("duration without unit", withTop("duration: 20\n"), 7, "20", "a duration needs a unit");
    row("duration negative", withTop("duration: -5s\n"), 7, "-5s", "cannot be negative");
    row("duration absurd", withTop("duration: 48h\n"), 7, "48h", "is too large; at most 24h");
    row("seed negative", withTop("seed: -1\n"), 7, "-1", "seed: expected a whole number from 0");
    row("seed text", withTop("seed: lucky\n"), 7, "lucky", "seed: expected a whole number");
    row("sla not a mapping", withTop("sla: 250ms\n"), 7, "250ms", "sla: expected a mapping");
    row("sla zero", withTop("sla: { p99: 0 }\n"), 7, "0 }", "p99: must be above 0s");
    row("sla unknown key", withTop("sla: { p95: 1ms }\n"), 7, "p95", "did you mean \"p99\"?");
    row("starvation typo", withTop("starvation: { treshold: 100ms }\n"), 7, "treshold", "did you mean \"threshold\"?");
    row("heartbeat too fine", withTop("starvation: { heartbeat: 1us }\n"), 7, "1us", "must be at least 100us");
    row("gil not bool", withTop("gil: { enabled: maybe }\n"), 7, "maybe",
        "enabled: expected true or false; got \"maybe\"");
    row("duplicate key", withTop("seed: 1\nseed: 2\n"), 8, "seed", "duplicate key \"seed\" (first at line 7)");
    row("top level is a list", QByteArray("- a\n- b\n"), 1, "-", "expected a scenario: a mapping");
    row("merge key", withTop("base: &b { seed: 1 }\n<<: *b\n"), 8, "<<", "merge keys (<<) are not supported");
    // Domains.
    row("domains is a list", withTop("domains: [loop]\n"), 7, "[", "domains: expected a mapping");
    row("unknown domain", withTop("domains:\n  gpu: { workers: 2 }\n"), 8, "gpu",
        "unknown domain \"gpu\"; expected loop, threads, tbb or procs");
    row("domain typo", withTop("domains:\n  thread: { workers: 2 }\n"), 8, "thread", "did you mean \"threads\"?");
    row("too many workers", withTop("domains:\n  threads: { workers: 5000 }\n"), 8, "5000",
        "workers: 5000 is out of range; expected 1 to 4096");
    row("a million workers", withTop("domains:\n  procs: { workers: 1000000 }\n"), 8, "1000000", "expected 1 to 4096");
    row("zero workers", withTop("domains:\n  tbb: { workers: 0 }\n"), 8, "0 }", "out of range; expected 1 to 4096");
    row("workers not a number", withTop("domains:\n  threads: { workers: many }\n"), 8, "many",
        "expected a whole number from 1 to 4096; got \"many\"");
    row("fractional workers", withTop("domains:\n  threads: { workers: 2.5 }\n"), 8, "2.5", "expected a whole number");
    row("loop workers", withTop("domains:\n  loop: { workers: 2 }\n"), 8, "2 }", "the loop always runs on one thread");
    row("domain workers typo", withTop("domains:\n  threads: { wrokers: 2 }\n"), 8, "wrokers",
        "did you mean \"workers\"?");
    row("on_full typo", withTop("domains:\n  threads: { on_full: rejct }\n"), 8, "rejct",
        "expected reject, block or drop_oldest; got \"rejct\" (did you mean \"reject\"?)");
    row("transfer outside procs", withTop("domains:\n  threads: { transfer: shm }\n"), 8, "transfer",
        "transfer applies only to the procs domain");
    row("bad transfer", withTop("domains:\n  procs: { transfer: pickle }\n"), 8, "pickle", "expected copy or shm");
    row("negative queue", withTop("domains:\n  threads: { queue: -1 }\n"), 8, "-1", "queue: -1 is out of range");
    row("absurd queue", withTop("domains:\n  threads: { queue: 100000000 }\n"), 8, "100000000",
        "expected 0 to 10000000");
    row("absurd max_inflight", withTop("domains:\n  threads: { max_inflight: 99999999999 }\n"), 8, "99999999999",
        "out of range");
    row("domain is a scalar", withTop("domains:\n  tbb: 4\n"), 8, "4", "domains.tbb: expected a mapping");
    // Classes.
    row("missing classes", QByteArray("name: t\nseed: 3\n"), 1, "name", "missing \"classes\"");
    row("empty classes", QByteArray("name: t\nclasses: []\n"), 2, "[]",
        "expected a list of at least one task class; got an empty list");
    row("classes is a mapping", QByteArray("name: t\nclasses: { a: 1 }\n"), 2, "{",
        "expected a list of at least one task class; got a mapping");
    row("class is a scalar", QByteArray("name: t\nclasses:\n  - web\n"), 3, "web", "expected a task class mapping");
    row("class without stages", QByteArray(kLine1to3) + kLine4, 3, "name", "class \"c\" has no stages");
    row("class with empty stages", QByteArray(kLine1to3) + kLine4 + "    stages: []\n", 5, "[]", "has no stages");
    row("class without name",
        QByteArray("name: t\nclasses:\n  - arrival: { rate: 1/s }\n    stages: [ { name: s, work: cpu, time: 1ms, "
                   "domain: tbb } ]\n"),
        3, "arrival", "missing \"name\"");
    row("class name with space", withTop("").replace("name: c", "name: my class"), 3, "my class",
        "\"my class\" is not a valid name; use only letters, digits, '_' and '-'");
    row("class typo key", withTop("").replace("    arrival:", "    arival:"), 4, "arival", "did you mean \"arrival\"?");
    row("duplicate class",
        withTop("  - name: c\n    arrival: { rate: 1/s }\n    stages: [ { name: s, work: cpu, time: 1ms, domain: tbb } "
                "]\n"),
        7, "c", "duplicate class name \"c\" (first at line 3)");
    row("class sla negative", withTop("").replace(kLine5, QByteArray(QByteArray("    sla: { p99: -5ms }\n") + kLine5)),
        5, "-5ms", "cannot be negative");
    // Arrivals.
    row("arrival missing", QByteArray(kLine1to3) + kLine5 + kLine6, 3, "name", "missing \"arrival\"");
    row("arrival is a scalar", withArrival("poisson"), 4, "poisson", "arrival: expected a mapping");
    row("unknown process", withArrival("{ process: posson, rate: 1/s }"), 4, "posson", "did you mean \"poisson\"?");
    row("rate missing", withArrival("{ process: poisson }"), 4, "{", "a poisson arrival needs \"rate\"");
    row("rate too high", withArrival("{ process: poisson, rate: 2000000/s }"), 4, "2000000/s",
        "is too large; at most 1000000/s");
    row("rate way too high", withArrival("{ process: constant, rate: 5/us }"), 4, "5/us", "at most 1000000/s");
    row("rate zero", withArrival("{ process: constant, rate: 0/s }"), 4, "0/s", "rate: must be above 0/s");
    row("rate without unit", withArrival("{ rate: 300 }"), 4, "300", "a rate needs a time unit, like 300/s");
    row("rate negative", withArrival("{ rate: -3/s }"), 4, "-3/s", "cannot be negative");
    row("burst missing off", withArrival("{ process: burst, rate: 10/s, on: 1s }"), 4, "{",
        "a burst arrival needs \"off\"");
    row("burst zero on", withArrival("{ process: burst, rate: 10/s, on: 0, off: 1s }"), 4, "0,",
        "on: must be above 0s");
    row("ramp both zero", withArrival("{ process: ramp, from: 0/s, to: 0 }"), 4, "{",
        "a ramp needs from or to above 0/s");
    row("ramp negative over", withArrival("{ process: ramp, from: 1/s, to: 2/s, over: -1s }"), 4, "-1s",
        "cannot be negative");
    row("closed too many clients", withArrival("{ process: closed, clients: 1000000 }"), 4, "1000000",
        "expected 1 to 100000");
    row("closed zero clients", withArrival("{ process: closed, clients: 0 }"), 4, "0 }", "out of range");
    row("closed bad think", withArrival("{ process: closed, clients: 4, think: often }"), 4, "often",
        "think: expected a duration");
    row("closed zero rate", withArrival("{ process: closed, clients: 4, rate: 0/s }"), 4, "0/s", "rate:");
    row("closed key of another process", withArrival("{ process: closed, clients: 4, on: 1s }"), 4, "on",
        "\"on\" does not apply to closed arrivals; closed takes clients, think, rate");
    row("key of another process", withArrival("{ process: poisson, rate: 1/s, clients: 4 }"), 4, "clients",
        "\"clients\" does not apply to poisson arrivals; poisson takes rate");
    // Locks and counters (DESIGN §15).
    row("lock scope unknown",
        withStage("{ name: s, work: cpu, time: 1ms, domain: threads, lock: { name: l, scope: galaxy } }"), 6, "galaxy",
        "scope: expected thread or process; got \"galaxy\"");
    row("lock timeout zero",
        withStage("{ name: s, work: cpu, time: 1ms, domain: threads, lock: { name: l, scope: thread, timeout: 0 } }"),
        6, "0 }", "timeout: must be above 0s");
    row("lock timeout without unit",
        withStage("{ name: s, work: cpu, time: 1ms, domain: threads, lock: { name: l, scope: thread, timeout: 5 } }"),
        6, "5 }", "a duration needs a unit");
    row("lock name empty",
        withStage("{ name: s, work: cpu, time: 1ms, domain: threads, lock: { name: '', scope: thread } }"), 6, "''",
        "name: \"\" is not a valid name");
    row("lock without scope", withStage("{ name: s, work: cpu, time: 1ms, domain: threads, lock: { name: l } }"), 6,
        "{ name: l", "missing \"scope\"");
    row("lock listed twice",
        withStage("{ name: s, work: cpu, time: 1ms, domain: threads, lock: [ { name: l, scope: thread }, { name: l, "
                  "scope: thread } ] }"),
        6, "l, scope: thread } ]", "lock \"l\" is listed twice");
    row("lock with two scopes",
        withStage("{ name: s, work: cpu, time: 1ms, domain: threads, lock: { name: l, scope: thread } }\n"
                  "      - { name: t, work: cpu, time: 1ms, domain: procs, lock: { name: l, scope: process } }"),
        7, "{ name: l", "has scope process here but thread in c.s");
    row("lock is a scalar", withStage("{ name: s, work: cpu, time: 1ms, domain: threads, lock: ledger }"), 6, "ledger",
        "lock: expected a mapping like { name: ledger");
    row("lock unknown key",
        withStage("{ name: s, work: cpu, time: 1ms, domain: threads, lock: { name: l, scope: thread, wait: 1s } }"), 6,
        "wait", "unknown key \"wait\" in a lock");
    row("update bad name", withStage("{ name: s, work: cpu, time: 1ms, domain: threads, update: 'a b' }"), 6, "'a b'",
        "is not a valid name");
    // Stages.
    row("stage is a scalar", withStage("fetch"), 6, "fetch", "expected a stage mapping");
    row("stage unknown key", withStage("{ name: s, work: cpu, time: 1ms, domain: threads, colour: red }"), 6, "colour",
        "unknown key \"colour\" in a stage");
    row("stage key typo", withStage("{ name: s, work: cpu, time: 1ms, domian: threads }"), 6, "domian",
        "did you mean \"domain\"?");
    row("stage missing domain", withStage("{ name: s, work: cpu, time: 1ms }"), 6, "{",
        "stage \"s\": missing \"domain\"");
    row("stage unknown domain", withStage("{ name: s, work: cpu, time: 1ms, domain: gpu }"), 6, "gpu",
        "domain: expected loop, threads, tbb or procs; got \"gpu\"");
    row("stage missing work", withStage("{ name: s, time: 1ms, domain: threads }"), 6, "{", "missing \"work\"");
    row("stage bad work", withStage("{ name: s, work: compute, time: 1ms, domain: threads }"), 6, "compute",
        "expected cpu, block, async, net or disk");
    row("stage missing name", withStage("{ work: cpu, time: 1ms, domain: threads }"), 6, "{", "missing \"name\"");
    row("stage name with dot", withStage("{ name: a.b, work: cpu, time: 1ms, domain: threads }"), 6, "a.b",
        "is not a valid name");
    row("cpu without time", withStage("{ name: s, work: cpu, domain: threads }"), 6, "{", "a cpu stage needs \"time\"");
    row("time on disk", withStage("{ name: s, work: disk, bytes: 1KiB, time: 1ms, domain: threads }"), 6, "time",
        "\"time\" does not apply to a disk stage");
    row("disk without bytes", withStage("{ name: s, work: disk, domain: threads }"), 6, "{",
        "a disk stage needs \"bytes\"");
    row("disk with zero bytes", withStage("{ name: s, work: disk, bytes: 0, domain: threads }"), 6, "0,",
        "more than 0 bytes");
    row("bytes on cpu", withStage("{ name: s, work: cpu, time: 1ms, bytes: 1KiB, domain: threads }"), 6, "bytes",
        "\"bytes\" does not apply to a cpu stage");
    row("kernel on block", withStage("{ name: s, work: block, time: 1ms, kernel: sha256, domain: threads }"), 6,
        "kernel", "\"kernel\" does not apply to a block stage");
    row("unknown kernel", withStage("{ name: s, work: cpu, time: 1ms, kernel: fft, domain: threads }"), 6, "fft",
        "expected spin, sha256, matmul or sort");
    row("fsync not bool", withStage("{ name: s, work: disk, bytes: 1KiB, fsync: yes, domain: threads }"), 6, "yes",
        "fsync: expected true or false");
    row("time too long", withStage("{ name: s, work: block, time: 2h, domain: threads }"), 6, "2h",
        "values must be at most 1h");
    row("time zero", withStage("{ name: s, work: cpu, time: 0, domain: threads }"), 6, "0,", "time: must be above 0");
    row("time bad unit", withStage("{ name: s, work: cpu, time: 5 parsecs, domain: threads }"), 6, "5 parsecs",
        "expected a duration like 5ms, 200us, 1.5s; got \"5 parsecs\"");
    row("time unknown distribution", withStage("{ name: s, work: cpu, time: poisson(5ms), domain: threads }"), 6,
        "poisson", "unknown distribution \"poisson\"");
    row("unquoted comma in flow", withStage("{ name: s, work: cpu, time: uniform(1ms, 2ms), domain: threads }"), 6,
        "uniform", "put a distribution with a comma in quotes");
    row("stray tail of unquoted comma", withStage("{ name: s, work: cpu, time: uniform(1ms, 2ms), domain: threads }"),
        6, "2ms)", "stray \"2ms)\" in a stage: a comma inside { ... } ended the previous value early");
    row("sigma with unit", withStage("{ name: s, work: cpu, time: \"lognormal(5ms, 2ms)\", domain: threads }"), 6,
        "\"lognormal", "sigma is a plain number");
    row("exp mean too long", withStage("{ name: s, work: cpu, time: exp(2h), domain: threads }"), 6, "exp(2h)",
        "at most 1h");
    row("payload too large", withStage("{ name: s, work: cpu, time: 1ms, payload_in: 2GiB, domain: procs }"), 6, "2GiB",
        "values must be at most 1GiB");
    row("payload bad unit", withStage("{ name: s, work: cpu, time: 1ms, payload_out: 5 bananas, domain: procs }"), 6,
        "5 bananas", "expected a size like 512B, 64KiB, 1MiB");
    row("timeout zero", withStage("{ name: s, work: cpu, time: 1ms, timeout: 0, domain: threads }"), 6, "0,",
        "timeout: must be above 0s");
    row("timeout negative", withStage("{ name: s, work: cpu, time: 1ms, timeout: -1s, domain: threads }"), 6, "-1s",
        "cannot be negative");
    row("fail above one", withStage("{ name: s, work: cpu, time: 1ms, fail: 2, domain: threads }"), 6, "2,",
        "fail: expected a probability from 0 to 1");
    row("crash negative", withStage("{ name: s, work: cpu, time: 1ms, crash: -0.5, domain: procs }"), 6, "-0.5",
        "crash: expected a probability");
    row("duplicate stage", withTop("      - { name: s, work: block, time: 1ms, domain: tbb }\n"), 7, "s,",
        "duplicate stage name \"s\" in class \"c\" (first at line 6)");
    // YAML itself.
    row("unclosed flow sequence", QByteArray("name: t\nclasses: [\n"), 3, "", "YAML syntax error");
    row("bad indentation", QByteArray("name: t\n  seed: 2\n"), 2, ":", "YAML syntax error");
    row("second document", withTop("---\nname: other\n"), 7, "---", "a second YAML document");
    row("complex key", withTop("? [a, b]\n: 1\n"), 7, "[", "a key must be a plain word");
}

void TestScenarioParser::badCases()
{
    QFETCH(QByteArray, yaml);
    QFETCH(int, line);
    QFETCH(QByteArray, at);
    QFETCH(QString, fragment);

    const QList<QByteArray> lines = yaml.split('\n');
    QVERIFY2(line >= 1 && line <= lines.size(), "the row names a line of its YAML");
    const int column = int(lines[line - 1].indexOf(at)) + 1;
    QVERIFY2(column >= 1, "the row's marker is on its line");

    const ParseResult r = parse(yaml);
    QVERIFY(!r.ok());
    QVERIFY(!r.errors.empty());
    const QString all = allErrors(r);
    bool found = false;
    for (const ScenarioError &e : r.errors) {
        QCOMPARE(e.file, kSource);
        QVERIFY2(e.line >= 1, qPrintable(all)); // every error in a file has a position
        if (e.line == line && e.column == column && e.message.contains(fragment))
            found = true;
    }
    QVERIFY2(
        found, qPrintable(QStringLiteral("expected %1:%2 \"%3\"; got:\n%4").arg(line).arg(column).arg(fragment, all)));
}

void TestScenarioParser::severalErrorsInOrder()
{
    const QByteArray yaml = R"yaml(name: t
duration: 5 parsecs
domains:
  threads: { workers: 0 }
classes:
  - name: c
    arrival: { process: poisson, rate: -1/s }
    stages:
      - { name: s, work: cpu, time: 1ms, domain: gpu }
)yaml";
    const ParseResult r = parse(yaml);
    QVERIFY(!r.ok());
    QCOMPARE(r.errors.size(), std::size_t(4));
    const int lines[] = { 2, 4, 7, 9 };
    for (std::size_t i = 0; i < 4; ++i)
        QCOMPARE(r.errors[i].line, lines[i]);
}

void TestScenarioParser::emptyInput_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::newRow("nothing") << QByteArray();
    QTest::newRow("blank lines") << QByteArray("  \n\n\t\n");
    QTest::newRow("only comments") << QByteArray("# a comment\n# another\n");
    QTest::newRow("empty document") << QByteArray("---\n");
    QTest::newRow("null document") << QByteArray("~\n");
}

void TestScenarioParser::emptyInput()
{
    QFETCH(QByteArray, yaml);
    const ParseResult r = parse(yaml);
    QVERIFY(!r.ok());
    QCOMPARE(r.errors.size(), std::size_t(1));
    QCOMPARE(r.errors[0].file, kSource);
    QVERIFY2(r.errors[0].message.contains(QStringLiteral("the scenario is empty")), qPrintable(r.errors[0].message));
}

void TestScenarioParser::binaryGarbage_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("fragment");
    QTest::newRow("NUL byte") << QByteArray("name: t\nseed: 1\0\n", 17) << 2 << 8 << QStringLiteral("NUL byte 0x00");
    QTest::newRow("UTF-16 BOM") << QByteArray("\xff\xfen\0a\0", 6) << 1 << 1
                                << QStringLiteral("invalid UTF-8 byte 0xff");
    QTest::newRow("latin-1 text") << QByteArray("name: caf\xe9 au lait\n") << 1 << 10
                                  << QStringLiteral("invalid UTF-8");
    QTest::newRow("truncated UTF-8") << QByteArray("name: caf\xc3") << 1 << 10 << QStringLiteral("truncated UTF-8");
    QTest::newRow("overlong UTF-8") << QByteArray("name: \xc0\xaf\n") << 1 << 7 << QStringLiteral("invalid UTF-8");
    QTest::newRow("surrogate") << QByteArray("name: \xed\xa0\x80\n") << 1 << 7 << QStringLiteral("invalid UTF-8");
    QTest::newRow("control byte") << QByteArray("name: t\x01\n") << 1 << 8 << QStringLiteral("control byte 0x01");
    QTest::newRow("column counts characters")
        << QByteArray("name: \xc3\xa9\xc3\xa9\x02\n") << 1 << 9 << QStringLiteral("control byte 0x02");

    std::mt19937 rng(7);
    QByteArray random(4096, Qt::Uninitialized);
    for (char &c : random)
        c = char(rng() & 0xff);
    random[0] = '\x80'; // a stray continuation byte: invalid wherever it stands
    QTest::newRow("random bytes") << random << 1 << 1 << QStringLiteral("not a text file");
}

void TestScenarioParser::binaryGarbage()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, line);
    QFETCH(int, column);
    QFETCH(QString, fragment);
    const ParseResult r = parse(bytes);
    QVERIFY(!r.ok());
    QCOMPARE(r.errors.size(), std::size_t(1));
    const ScenarioError &e = r.errors[0];
    QVERIFY2(e.message.contains(fragment), qPrintable(e.toString()));
    QVERIFY2(e.message.contains(QStringLiteral("expected a YAML scenario in UTF-8")), qPrintable(e.toString()));
    QCOMPARE(e.line, line);
    QCOMPARE(e.column, column);
}

void TestScenarioParser::aliasBomb()
{
    // "Billion laughs": nine levels of nine aliases each would expand to 9^9 nodes.
    QByteArray yaml = "name: bomb\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
    for (int level = 1; level <= 9; ++level) {
        const QByteArray prev = "*l" + QByteArray::number(level - 1);
        QByteArray items;
        for (int i = 0; i < 9; ++i)
            items += (i ? ", " : "") + prev;
        yaml += "l" + QByteArray::number(level) + ": &l" + QByteArray::number(level) + " [" + items + "]\n";
    }
    yaml += "classes: *l9\n";
    QElapsedTimer timer;
    timer.start();
    const ParseResult r = parse(yaml);
    const qint64 ms = timer.elapsed();
    QVERIFY(!r.ok());
    QCOMPARE(r.errors.size(), std::size_t(1));
    QVERIFY2(r.errors[0].message.contains(QStringLiteral("expands to more than 100000 YAML nodes")),
        qPrintable(r.errors[0].toString()));
    QVERIFY(r.errors[0].line >= 2);
    // Well under a second even on a loaded 2-core machine (it takes a few ms unloaded).
    QVERIFY2(ms < 1000, qPrintable(QStringLiteral("took %1 ms").arg(ms)));
}

void TestScenarioParser::deepNesting()
{
    const QByteArray yaml = "name: deep\nclasses: " + QByteArray(100000, '[') + QByteArray(100000, ']') + "\n";
    QElapsedTimer timer;
    timer.start();
    const ParseResult r = parse(yaml);
    QVERIFY(!r.ok());
    QVERIFY(!r.errors.empty());
    QCOMPARE(r.errors[0].line, 2);
    QVERIFY2(timer.elapsed() < 5000, "refused quickly");
}

void TestScenarioParser::recursiveAlias()
{
    const ParseResult r = parse(withTop("loopy: &x [ 1, *x ]\n"));
    QVERIFY(!r.ok());
    QCOMPARE(r.errors.size(), std::size_t(1));
    QCOMPARE(r.errors[0].line, 7);
}

void TestScenarioParser::oversizedInput()
{
    QByteArray yaml = withTop("");
    yaml += QByteArray("# padding\n").repeated(120000); // 1.2 MB
    const ParseResult r = parse(yaml);
    QVERIFY(!r.ok());
    QCOMPARE(r.errors.size(), std::size_t(1));
    QVERIFY2(r.errors[0].message.contains(QStringLiteral("larger than 1 MiB")), qPrintable(r.errors[0].message));

    // Many nodes in a small file are refused as well.
    const QByteArray wide = withTop("junk: [") + QByteArray("0,").repeated(150000) + "0]\n";
    QVERIFY(wide.size() < ScenarioParser::kMaxFileBytes);
    const ParseResult rw = parse(wide);
    QVERIFY(!rw.ok());
    QVERIFY2(
        rw.errors[0].message.contains(QStringLiteral("more than 100000 YAML nodes")), qPrintable(rw.errors[0].message));
}

void TestScenarioParser::mutatedInputNeverCrashes()
{
    // Every prefix and many random corruptions of a valid file: each answer must be consistent
    // (a scenario exactly when there is no error) and every error must carry a message.
    const QByteArray base(kDesignExample);
    const auto check = [](const QByteArray &yaml) {
        const ParseResult r = ScenarioParser::parseText(yaml, kSource);
        if (r.ok() != r.errors.empty())
            return false;
        for (const ScenarioError &e : r.errors)
            if (e.message.isEmpty() || e.line < 0 || e.column < 0)
                return false;
        return true;
    };
    for (qsizetype n = 0; n < base.size(); n += 7)
        QVERIFY2(check(base.left(n)), qPrintable(QStringLiteral("prefix of %1 bytes").arg(n)));

    std::mt19937 rng(1234);
    const QByteArray alphabet("{}[]:,-&*!|>'\"#%@? \n\tabz019./()");
    for (int round = 0; round < 400; ++round) {
        QByteArray y = base;
        const int edits = 1 + int(rng() % 4);
        for (int i = 0; i < edits; ++i)
            y[qsizetype(rng() % std::uint32_t(y.size()))] = alphabet[qsizetype(rng() % std::uint32_t(alphabet.size()))];
        QVERIFY2(check(y), y.constData());
    }
}

void TestScenarioParser::overridesGood_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("probe");
    QTest::addColumn<QString>("expected");
    const auto row = [](const char *path, const char *value, const char *probeName, const char *expected) {
        QTest::newRow(path) << QString::fromUtf8(path) << QString::fromUtf8(value) << QString::fromUtf8(probeName)
                            << QString::fromUtf8(expected);
    };
    row("domains.threads.workers", "16", "threads.workers", "16");
    row("domains.tbb.workers", "3", "tbb.workers", "3");
    row("domains.loop.queue", "7", "loop.queue", "7");
    row("duration", "10s", "duration", "10");
    row("seed", "7", "seed", "7");
    row("description", "a: text with colons", "description", "a: text with colons");
    row("classes.pipeline.arrival.rate", "50/s", "rate", "50");
    row("classes.pipeline.arrival", "{ process: closed, clients: 4 }", "arrival", "closed 4");
    row("classes.pipeline.sla.p99", "20ms", "sla", "0.02");
    row("classes.pipeline.stages.transform.time", "exp(3ms)", "time:transform", "exp(3ms)");
    row("classes.pipeline.stages.transform.kernel", "matmul", "kernel:transform", "matmul");
    row("classes.pipeline.stages.store.domain", "tbb", "domain:store", "tbb");
}

void TestScenarioParser::overridesGood()
{
    QFETCH(QString, path);
    QFETCH(QString, value);
    QFETCH(QString, probe);
    QFETCH(QString, expected);
    const ParseResult r = parse(kOverrideBase, { { path, value } });
    QVERIFY2(r.ok(), qPrintable(allErrors(r)));
    QCOMPARE(::probe(*r.scenario, probe), expected);
}

void TestScenarioParser::overridesBad_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("fragment");
    const auto row = [](const char *name, const char *path, const char *value, const char *fragment) {
        QTest::newRow(name) << QString::fromUtf8(path) << QString::fromUtf8(value) << QString::fromUtf8(fragment);
    };
    row("zero workers", "domains.threads.workers", "0", "workers: 0 is out of range; expected 1 to 4096");
    row("workers typo", "domains.threads.wrokers", "4", "did you mean \"workers\"?");
    row("new domain section", "domains.gpu.workers", "2", "unknown domain \"gpu\"");
    row("unknown top key", "colour", "blue", "unknown key \"colour\"");
    row("bad duration", "duration", "5 parsecs", "expected a duration like 5ms, 200us, 1.5s; got \"5 parsecs\"");
    row("empty duration", "duration", "", "duration: expected a duration");
    row("negative seed", "seed", "-1", "seed: expected a whole number");
    row("no such class", "classes.nosuch.arrival.rate", "5/s",
        "no class named \"nosuch\" in classes (there are: pipeline)");
    row("no such stage", "classes.pipeline.stages.nosuch.time", "1ms",
        "no stage named \"nosuch\" in classes.pipeline.stages (there are: fetch, transform, store)");
    row("into a value", "duration.x", "1", "\"duration\" is a single value, not a section");
    row("time on a disk stage", "classes.pipeline.stages.store.time", "1ms", "\"time\" does not apply to a disk stage");
    row("bad flow value", "classes.pipeline.arrival", "{ process: closed", "YAML syntax error");
    row("rate too high", "classes.pipeline.arrival.rate", "5/us", "at most 1000000/s");
}

void TestScenarioParser::overridesBad()
{
    QFETCH(QString, path);
    QFETCH(QString, value);
    QFETCH(QString, fragment);
    const ParseResult r = parse(kOverrideBase, { { QStringLiteral("seed"), QStringLiteral("5") }, { path, value } });
    QVERIFY(!r.ok());
    const QString all = allErrors(r);
    QCOMPARE(r.errors.size(), std::size_t(1));
    const ScenarioError &e = r.errors[0];
    QCOMPARE(e.file, QStringLiteral("--set"));
    QCOMPARE(e.line, 0);
    QCOMPARE(e.column, 0);
    QVERIFY2(e.message.startsWith(QStringLiteral("--set ") + path + QLatin1Char('=') + value + QStringLiteral(": ")),
        qPrintable(all));
    QVERIFY2(e.message.contains(fragment), qPrintable(all));
}

void TestScenarioParser::setArgument_data()
{
    QTest::addColumn<QString>("arg");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("value");
    QTest::newRow("simple") << QStringLiteral("domains.threads.workers=16") << true
                            << QStringLiteral("domains.threads.workers") << QStringLiteral("16");
    QTest::newRow("value with =") << QStringLiteral("description=a=b") << true << QStringLiteral("description")
                                  << QStringLiteral("a=b");
    QTest::newRow("empty value") << QStringLiteral("description=") << true << QStringLiteral("description")
                                 << QString();
    QTest::newRow("no =") << QStringLiteral("seed") << false << QString() << QString();
    QTest::newRow("empty path") << QStringLiteral("=5") << false << QString() << QString();
    QTest::newRow("empty segment") << QStringLiteral("domains..workers=5") << false << QString() << QString();
    QTest::newRow("trailing dot") << QStringLiteral("domains.threads.=5") << false << QString() << QString();
}

void TestScenarioParser::setArgument()
{
    QFETCH(QString, arg);
    QFETCH(bool, valid);
    QFETCH(QString, path);
    QFETCH(QString, value);
    QString error;
    const auto o = ScenarioParser::parseSetArgument(arg, &error);
    QCOMPARE(o.has_value(), valid);
    if (valid) {
        QCOMPARE(o->path, path);
        QCOMPARE(o->value, value);
    } else {
        QVERIFY2(error.contains(QStringLiteral("expected PATH=VALUE")), qPrintable(error));
    }
}

void TestScenarioParser::routesGood()
{
    const ParseResult r = parse(kOverrideBase, {},
        { { QStringLiteral("pipeline.transform"), QStringLiteral("tbb") },
            { QStringLiteral("pipeline.fetch"), QStringLiteral("threads") } });
    QVERIFY2(r.ok(), qPrintable(allErrors(r)));
    QCOMPARE(probe(*r.scenario, QStringLiteral("domain:transform")), QStringLiteral("tbb"));
    QCOMPARE(probe(*r.scenario, QStringLiteral("domain:fetch")), QStringLiteral("threads"));
    QCOMPARE(probe(*r.scenario, QStringLiteral("domain:store")), QStringLiteral("threads"));
}

void TestScenarioParser::routesBad_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("domain");
    QTest::addColumn<QString>("fragment");
    QTest::newRow("unknown stage") << QStringLiteral("pipeline.nosuch") << QStringLiteral("tbb")
                                   << QStringLiteral("no stage \"pipeline.nosuch\"; routing keys are: pipeline.fetch");
    QTest::newRow("unknown class") << QStringLiteral("nosuch.fetch") << QStringLiteral("tbb")
                                   << QStringLiteral("no stage \"nosuch.fetch\"");
    QTest::newRow("no stage part") << QStringLiteral("pipeline") << QStringLiteral("tbb")
                                   << QStringLiteral("no stage \"pipeline\"");
    QTest::newRow("unknown domain") << QStringLiteral("pipeline.transform") << QStringLiteral("gpu")
                                    << QStringLiteral("unknown domain \"gpu\"; expected loop, threads, tbb or procs");
}

void TestScenarioParser::routesBad()
{
    QFETCH(QString, key);
    QFETCH(QString, domain);
    QFETCH(QString, fragment);
    const ParseResult r = parse(kOverrideBase, {}, { { key, domain } });
    QVERIFY(!r.ok());
    QCOMPARE(r.errors.size(), std::size_t(1));
    const ScenarioError &e = r.errors[0];
    QCOMPARE(e.file, QStringLiteral("--route"));
    QCOMPARE(e.line, 0);
    QVERIFY2(e.message.startsWith(QStringLiteral("--route ") + key + QLatin1Char('=') + domain), qPrintable(e.message));
    QVERIFY2(e.message.contains(fragment), qPrintable(e.message));
}

void TestScenarioParser::routeArgument_data()
{
    QTest::addColumn<QString>("arg");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("fragment");
    QTest::newRow("good") << QStringLiteral("pipeline.transform=tbb") << true << QString();
    QTest::newRow("spaces") << QStringLiteral(" pipeline.transform = procs ") << true << QString();
    QTest::newRow("no =") << QStringLiteral("pipeline.transform") << false
                          << QStringLiteral("expected CLASS.STAGE=DOMAIN");
    QTest::newRow("no stage") << QStringLiteral("pipeline=tbb") << false
                              << QStringLiteral("expected CLASS.STAGE=DOMAIN");
    QTest::newRow("three parts") << QStringLiteral("a.b.c=tbb") << false
                                 << QStringLiteral("expected CLASS.STAGE=DOMAIN");
    QTest::newRow("no domain") << QStringLiteral("a.b=") << false << QStringLiteral("expected CLASS.STAGE=DOMAIN");
    QTest::newRow("unknown domain") << QStringLiteral("a.b=gpu") << false << QStringLiteral("unknown domain \"gpu\"");
}

void TestScenarioParser::routeArgument()
{
    QFETCH(QString, arg);
    QFETCH(bool, valid);
    QFETCH(QString, fragment);
    QString error;
    const auto route = ScenarioParser::parseRouteArgument(arg, &error);
    QCOMPARE(route.has_value(), valid);
    if (valid) {
        QCOMPARE(route->key, QStringLiteral("pipeline.transform"));
        QVERIFY(hs::domainFromName(route->domain).has_value());
    } else {
        QVERIFY2(error.contains(fragment), qPrintable(error));
    }
}

void TestScenarioParser::checkField_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("fragment"); ///< empty: the value is acceptable
    const auto row = [](const char *name, const char *path, const char *value, const char *fragment) {
        QTest::newRow(name) << QString::fromUtf8(path) << QString::fromUtf8(value) << QString::fromUtf8(fragment);
    };
    row("workers ok", "domains.threads.workers", "16", "");
    row("workers too many", "domains.threads.workers", "5000", "workers: 5000 is out of range; expected 1 to 4096");
    row("loop workers", "domains.loop.workers", "2", "one thread");
    row("tbb workers ok", "domains.tbb.workers", "4096", "");
    row("transfer ok", "domains.procs.transfer", "shm", "");
    row("transfer elsewhere", "domains.threads.transfer", "shm", "unknown field");
    row("on_full", "domains.procs.on_full", "drop_oldest", "");
    row("duration ok", "duration", "1.5s", "");
    row("duration bad", "duration", "5 parsecs", "expected a duration like 5ms, 200us, 1.5s; got \"5 parsecs\"");
    row("rate ok", "classes.web.arrival.rate", "300/s", "");
    row("rate too high", "classes.web.arrival.rate", "2000000/s", "at most 1000000/s");
    row("stage time ok", "classes.pipeline.stages.transform.time", "lognormal(2ms, 0.5)", "");
    row("stage time zero", "classes.pipeline.stages.transform.time", "0", "must be above 0");
    row("stage domain", "classes.pipeline.stages.transform.domain", "gpu", "expected loop, threads, tbb or procs");
    row("payload", "classes.a.stages.b.payload_in", "2GiB", "at most 1GiB");
    row("probability", "classes.a.stages.b.fail", "5%", "");
    row("name", "classes.a.name", "two words", "is not a valid name");
    row("empty scenario name", "name", "", "must not be empty");
    row("unknown field", "domains.threads.wrokers", "4", "unknown field \"domains.threads.wrokers\"; did you mean");
}

void TestScenarioParser::checkField()
{
    QFETCH(QString, path);
    QFETCH(QString, value);
    QFETCH(QString, fragment);
    const QString message = ScenarioParser::checkField(path, value);
    if (fragment.isEmpty())
        QVERIFY2(message.isEmpty(), qPrintable(message));
    else
        QVERIFY2(message.contains(fragment), qPrintable(message));
}

void TestScenarioParser::errorToString()
{
    QCOMPARE((ScenarioError { QStringLiteral("a.yaml"), 3, 5, QStringLiteral("bad") }).toString(),
        QStringLiteral("a.yaml:3:5: bad"));
    QCOMPARE((ScenarioError { QStringLiteral("a.yaml"), 0, 0, QStringLiteral("empty") }).toString(),
        QStringLiteral("a.yaml: empty"));
    QCOMPARE((ScenarioError { QStringLiteral("--set"), 0, 0, QStringLiteral("--set seed=-1: no") }).toString(),
        QStringLiteral("--set: --set seed=-1: no"));
}

// Issue 11, defect 1: a duplicate key dropped an anchored value (or an anchored key was dropped
// after use), and a later alias read freed memory (exit 139, or an ASan report).
void TestScenarioParser::droppedAnchoredValueStaysValid_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("fragment");
    QTest::newRow("duplicate key's value")
        << QByteArray("name: x\nname: &c {k0: [v0, {x: y0}], k1: [v1, {x: y1}]}\n\ndescription: *c\nclasses: []\n") << 2
        << QStringLiteral("duplicate key \"name\"");
    QTest::newRow("anchored key") << QByteArray("&k name: x\ndescription: *k\nclasses: []\n") << 3
                                  << QStringLiteral("classes: expected a list of at least one task class");
    QTest::newRow("anchor inside a dropped complex key")
        << QByteArray("name: x\n? [a, &m {b: c}]\n: 1\ndescription: *m\nclasses: []\n") << 2
        << QStringLiteral("a key must be a plain word");
    QTest::newRow("duplicate key's nested anchor")
        << withTop("seed: 1\nseed: [ &n { deep: [1, 2, 3] } ]\ndescription: *n\n") << 8
        << QStringLiteral("duplicate key \"seed\"");
}

void TestScenarioParser::droppedAnchoredValueStaysValid()
{
    QFETCH(QByteArray, yaml);
    QFETCH(int, line);
    QFETCH(QString, fragment);
    for (int round = 0; round < 20; ++round) { // freed memory is reused sooner or later
        const ParseResult r = parse(yaml);
        QVERIFY(!r.ok());
        bool found = false;
        for (const ScenarioError &e : r.errors)
            found = found || (e.line == line && e.message.contains(fragment));
        QVERIFY2(found, qPrintable(allErrors(r)));
    }
}

void TestScenarioParser::aliasTextBudget()
{
    // A long text used as a key by many aliases: every use would be hashed and compared.
    QByteArray yaml = "name: t\nlong: &l " + QByteArray(200000, 'x') + "\nmany: {";
    for (int i = 0; i < 2000; ++i)
        yaml += (i ? ", " : "") + QByteArray("*l : ") + QByteArray::number(i);
    yaml += "}\n";
    QElapsedTimer timer;
    timer.start();
    const ParseResult r = parse(yaml);
    QVERIFY(!r.ok());
    QCOMPARE(r.errors.size(), std::size_t(1));
    QVERIFY2(r.errors[0].message.contains(QStringLiteral("aliases repeat more than")), qPrintable(allErrors(r)));
    QCOMPARE(r.errors[0].line, 3);
    QVERIFY2(timer.elapsed() < 1000, qPrintable(QStringLiteral("took %1 ms").arg(timer.elapsed())));
}

// Issue 11, defect 13: 100 * 1e-6 is just below 100e-6, so the documented minimum was refused.
void TestScenarioParser::heartbeatMinimumIsAccepted_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("100us") << QStringLiteral("100us") << true;
    QTest::newRow("100µs") << QStringLiteral("100µs") << true;
    QTest::newRow("0.1ms") << QStringLiteral("0.1ms") << true;
    QTest::newRow("100000ns") << QStringLiteral("100000ns") << true;
    QTest::newRow("99us") << QStringLiteral("99us") << false;
    QTest::newRow("99999ns") << QStringLiteral("99999ns") << false;
}

void TestScenarioParser::heartbeatMinimumIsAccepted()
{
    QFETCH(QString, value);
    QFETCH(bool, accepted);
    const QByteArray yaml = withTop(QByteArray("starvation: { heartbeat: " + value.toUtf8() + " }\n").constData());
    const ParseResult r = parse(yaml);
    QCOMPARE(r.ok(), accepted);
    if (accepted)
        QCOMPARE(r.scenario->heartbeat, 100e-6);
    else
        QVERIFY2(r.errors[0].message.contains(QStringLiteral("must be at least 100us")), qPrintable(allErrors(r)));
    QCOMPARE(ScenarioParser::checkField(QStringLiteral("starvation.heartbeat"), value).isEmpty(), accepted);
}

// Issue 11, defect 13: a value spanning lines put its line breaks into the message, so the
// printed error continued on lines without a file:line:column.
void TestScenarioParser::multiLineValuesKeepTheirLocation_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<int>("line");
    QTest::newRow("block scalar") << withTop("duration: |\n  5\n  parsecs\n") << 7;
    QTest::newRow("folded key") << withTop("? |\n  not\n  a key\n: 1\n") << 7;
    QTest::newRow("flow map over lines") << withTop("gil: { enabled: maybe\n  ,\n  switch_interval: \"5\n\n ms\" }\n")
                                         << 7;
    QTest::newRow("quoted key with a break") << withTop("\"sla\\nx\": 1\n") << 7;
    QTest::newRow("multi-line class name")
        << QByteArray("name: t\nclasses:\n  - name: \"a\n\n    b\"\n"
                      "    arrival: { process: poisson, rate: 10/s }\n"
                      "    stages: [ { name: s, work: cpu, time: 1ms, domain: threads } ]\n")
        << 3;
    QTest::newRow("lesson step title") << withTop(
        "lesson:\n  title: t\n  goal: g\n  watch: w\n  expected: e\n  why: y\n"
        "  steps:\n    - title: |\n        two\n        lines\n"
        "      set: { domains.threads.workers: 0 }\n")
                                       << 14;
}

void TestScenarioParser::multiLineValuesKeepTheirLocation()
{
    QFETCH(QByteArray, yaml);
    QFETCH(int, line);
    const ParseResult r = parse(yaml);
    QVERIFY(!r.ok());
    bool atLine = false;
    for (const ScenarioError &e : r.errors) {
        const QString text = e.toString();
        QVERIFY2(!text.contains(QLatin1Char('\n')), qPrintable(text));
        QVERIFY2(e.line > 0 && e.column > 0, qPrintable(text));
        QVERIFY2(
            text.startsWith(kSource + QLatin1Char(':') + QString::number(e.line) + QLatin1Char(':')), qPrintable(text));
        atLine = atLine || e.line >= line;
    }
    QVERIFY2(atLine, qPrintable(allErrors(r)));
}

// Issue 11, defect 13: an error that a --set causes in a key of the file (a stage's work or an
// arrival's process changed under it) blamed the file; a duplicate made by a --set said "first at
// line 0".
void TestScenarioParser::overrideConsequencesNameTheSet_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("fragment");
    QTest::newRow("work changed to disk")
        << QStringLiteral("classes.pipeline.stages.fetch.work") << QStringLiteral("disk")
        << QStringLiteral("\"time\" does not apply to a disk stage; a disk stage is sized by bytes (line 9)");
    QTest::newRow("work changed to block")
        << QStringLiteral("classes.pipeline.stages.store.work") << QStringLiteral("block")
        << QStringLiteral("\"bytes\" does not apply to a block stage");
    QTest::newRow("process changed to closed")
        << QStringLiteral("classes.pipeline.arrival.process") << QStringLiteral("closed")
        << QStringLiteral("a closed arrival needs \"clients\"");
}

void TestScenarioParser::overrideConsequencesNameTheSet()
{
    QFETCH(QString, path);
    QFETCH(QString, value);
    QFETCH(QString, fragment);
    const ParseResult r = parse(kOverrideBase, { { path, value } });
    QVERIFY(!r.ok());
    bool found = false;
    for (const ScenarioError &e : r.errors) {
        if (!e.message.contains(fragment))
            continue;
        found = true;
        QCOMPARE(e.file, QStringLiteral("--set"));
        QVERIFY2(
            e.message.startsWith(QStringLiteral("--set ") + path + QLatin1Char('=') + value), qPrintable(e.message));
    }
    QVERIFY2(found, qPrintable(allErrors(r)));

    // A class renamed onto a name that the file uses further down: it said "(first at line 0)" at
    // the file's class, which is not at fault.
    const QByteArray two = withTop("") + "  - name: d\n" + kLine4 + kLine5 + kLine6;
    const ParseResult rd = parse(two, { { QStringLiteral("classes.c.name"), QStringLiteral("d") } });
    QVERIFY(!rd.ok());
    QVERIFY2(rd.errors.size() == 1, qPrintable(allErrors(rd)));
    QVERIFY2(rd.errors[0].file == QStringLiteral("--set"), qPrintable(allErrors(rd)));
    QCOMPARE(rd.errors[0].message,
        QStringLiteral("--set classes.c.name=d: duplicate class name \"d\" (the file uses it at line 7); class names "
                       "must be unique"));
}

// Issue 11, defect 6: values the engine cannot represent were accepted (a rate of 1e-10/s gave
// 1.3 million arrivals in 2 s: its gaps overflowed the nanosecond clock).
void TestScenarioParser::valuesBeyondTheEngineAreRefused_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("fragment");
    QTest::newRow("tiny rate") << withArrival("{ process: poisson, rate: 1e-10/s }") << 4
                               << QStringLiteral("rate: must be at least 1.157407e-05/s (one a day); got \"1e-10/s\"");
    QTest::newRow("tiny constant rate") << withArrival("{ process: constant, rate: 0.01/h }") << 4
                                        << QStringLiteral("rate: must be at least");
    QTest::newRow("tiny burst rate") << withArrival("{ process: burst, rate: 1e-300/s, on: 1s, off: 1s }") << 4
                                     << QStringLiteral("rate: must be at least");
    QTest::newRow("tiny ramp end") << withArrival("{ process: ramp, from: 0, to: 1e-9/s }") << 4
                                   << QStringLiteral("to: must be at least 1.157407e-05/s (one a day, or 0)");
    QTest::newRow("huge duration") << withTop("duration: 1e10s\n") << 7 << QStringLiteral("is too large; at most 24h");
    QTest::newRow("duration below a ns") << withTop("sla: { p99: 1e-12s }\n") << 7
                                         << QStringLiteral("below 1ns, the resolution of the clock");
    QTest::newRow("timeout below a ns") << withStage(
        "{ name: s, work: cpu, time: 1ms, timeout: 0.5ns, domain: threads }")
                                        << 6 << QStringLiteral("timeout: \"0.5ns\" is below 1ns");
    QTest::newRow("time distribution below a ns")
        << withStage("{ name: s, work: cpu, time: exp(1e-3ns), domain: threads }") << 6
        << QStringLiteral("has a value below 1ns");
    QTest::newRow("huge stage time") << withStage("{ name: s, work: cpu, time: exp(2h), domain: threads }") << 6
                                     << QStringLiteral("values must be at most 1h");
    QTest::newRow("huge payload") << withStage("{ name: s, work: cpu, time: 1ms, payload_in: 2GiB, domain: threads }")
                                  << 6 << QStringLiteral("values must be at most 1GiB");
    QTest::newRow("huge normal sd") << withStage(
        "{ name: s, work: cpu, time: \"normal(1ms, 1e300s)\", domain: threads }")
                                    << 6 << QStringLiteral("values must be at most 1h");
}

void TestScenarioParser::valuesBeyondTheEngineAreRefused()
{
    QFETCH(QByteArray, yaml);
    QFETCH(int, line);
    QFETCH(QString, fragment);
    const ParseResult r = parse(yaml);
    QVERIFY(!r.ok());
    QCOMPARE(r.errors.size(), std::size_t(1));
    QVERIFY2(r.errors[0].message.contains(fragment), qPrintable(allErrors(r)));
    QCOMPARE(r.errors[0].line, line);
    QVERIFY(r.errors[0].column > 0);
}

void TestScenarioParser::edgeValuesAreAccepted()
{
    const ParseResult perHour = parse(withArrival("{ process: poisson, rate: 1/h }"));
    QVERIFY2(perHour.ok(), qPrintable(allErrors(perHour)));
    const ParseResult perDay = parse(withArrival("{ process: constant, rate: 1/24h }"));
    QVERIFY2(!perDay.ok(), "24h is not a rate unit"); // the unit is one of us, ms, s, m, h
    const ParseResult ramp = parse(withArrival("{ process: ramp, from: 0, to: 1/h }"));
    QVERIFY2(ramp.ok(), qPrintable(allErrors(ramp)));
    const ParseResult nanos = parse(withStage("{ name: s, work: cpu, time: 1ns, timeout: 1ns, domain: threads }"));
    QVERIFY2(nanos.ok(), qPrintable(allErrors(nanos)));
    const ParseResult longest = parse(withTop("duration: 24h\n"));
    QVERIFY2(longest.ok(), qPrintable(allErrors(longest)));
    const ParseResult fastest = parse(withArrival("{ process: constant, rate: 1000/ms }"));
    QVERIFY2(fastest.ok(), qPrintable(allErrors(fastest)));
}

void TestScenarioParser::samplesStayWithinTheField()
{
    // exp, normal and lognormal have tails beyond any bound: a sample past 1 h of stage time or
    // 1 GiB of payload is what the engine cannot carry (the worker protocol refuses it, the clock
    // overflows), so samples are cut at the field's maximum.
    const ParseResult r
        = parse(withStage("{ name: s, work: cpu, time: \"lognormal(1h, 3)\", "
                          "payload_in: exp(1GiB), payload_out: \"normal(1GiB, 1GiB)\", domain: procs }"));
    QVERIFY2(r.ok(), qPrintable(allErrors(r)));
    const hs::Stage &st = r.scenario->classes.at(0).stages.at(0);
    std::mt19937_64 rng(7);
    double maxTime = 0, maxIn = 0, maxOut = 0;
    for (int i = 0; i < 20000; ++i) {
        maxTime = std::max(maxTime, st.time.sample(rng));
        maxIn = std::max(maxIn, st.payloadIn.sample(rng));
        maxOut = std::max(maxOut, st.payloadOut.sample(rng));
    }
    QCOMPARE(maxTime, 3600.0); // half of all samples are above the median, 1 h
    QCOMPARE(maxIn, 1024.0 * 1024 * 1024); // exp(1GiB) passes 1 GiB in 37 % of samples
    QCOMPARE(maxOut, 1024.0 * 1024 * 1024);
}

namespace {
// A valid scenario whose lesson has `steps` steps, each changing a setting and a route.
QByteArray lessonWithSteps(int steps)
{
    QByteArray yaml = "name: many\nclasses:\n  - name: a\n    arrival: { process: poisson, rate: 10/s }\n"
                      "    stages:\n      - { name: s, work: cpu, time: 1ms, domain: threads }\n"
                      "      - { name: t, work: block, time: 1ms, domain: threads }\n"
                      "lesson:\n  title: t\n  goal: g\n  watch: w\n  expected: e\n  why: y\n  steps:\n";
    const char *const domains[] = { "tbb", "threads", "procs", "loop" };
    for (int i = 0; i < steps; ++i)
        yaml += "    - { title: step " + QByteArray::number(i) + ", route: a.s=" + domains[i % 4]
            + ", set: { domains.threads.workers: " + QByteArray::number(1 + i % 64) + " } }\n";
    return yaml;
}
} // namespace

// Issue 11, defect 5: each step re-parsed the whole file with all the steps before it (800 steps
// took 5.8 s, 3200 steps 67 s).
void TestScenarioParser::manyLessonStepsAreLinear()
{
    const int most = ScenarioParser::kMaxLessonSteps;
    const QByteArray small = lessonWithSteps(most / 10);
    const QByteArray large = lessonWithSteps(most);
    QElapsedTimer timer;
    timer.start();
    const ParseResult rs = parse(small);
    const qint64 smallMs = std::max<qint64>(timer.restart(), 1);
    const ParseResult rl = parse(large);
    const qint64 largeMs = timer.elapsed();
    QVERIFY2(rs.ok(), qPrintable(allErrors(rs)));
    QVERIFY2(rl.ok(), qPrintable(allErrors(rl)));
    QCOMPARE(rl.scenario->lesson->steps.size(), std::size_t(most));
    // The unfixed parser took about 13 s for 1000 steps; linear, it is tens of milliseconds.
    QVERIFY2(largeMs < 3000, qPrintable(QStringLiteral("%1 steps took %2 ms").arg(most).arg(largeMs)));
    // Ten times the steps: about ten times the time (quadratic work would be a hundred times);
    // the slack absorbs a loaded machine and timer granularity.
    QVERIFY2(largeMs < 40 * smallMs + 200,
        qPrintable(
            QStringLiteral("%1 steps: %2 ms; %3 steps: %4 ms").arg(most).arg(largeMs).arg(most / 10).arg(smallMs)));
}

void TestScenarioParser::lessonStepLimits()
{
    const int most = ScenarioParser::kMaxLessonSteps;
    const ParseResult tooMany = parse(lessonWithSteps(most + 1));
    QVERIFY(!tooMany.ok());
    QCOMPARE(tooMany.errors.size(), std::size_t(1));
    QCOMPARE(tooMany.errors[0].message,
        QStringLiteral("lesson.steps: %1 steps; a lesson has at most %2").arg(most + 1).arg(most));
    QCOMPARE(tooMany.errors[0].line, 15);

    // Few steps on a huge scenario are fine; many steps on it are refused; both quickly.
    QByteArray big = "name: big\nclasses:\n";
    for (int c = 0; c < 1500; ++c)
        big += "  - { name: c" + QByteArray::number(c)
            + ", arrival: { process: poisson, rate: 1/s }, stages: [ { name: s, work: cpu, time: 1ms, domain: tbb } ] "
              "}\n";
    big += "lesson:\n  title: t\n  goal: g\n  watch: w\n  expected: e\n  why: y\n  steps:\n";
    QByteArray few = big, many = big;
    for (int i = 0; i < 9; ++i) // 9 × 30005 nodes: close to the budget of 300000
        few += "    - { title: s" + QByteArray::number(i) + ", route: c7.s=threads }\n";
    for (int i = 0; i < 500; ++i)
        many += "    - { title: s" + QByteArray::number(i) + ", route: c7.s=threads }\n";
    QElapsedTimer timer;
    timer.start();
    const ParseResult rf = parse(few);
    QVERIFY2(rf.ok(), qPrintable(allErrors(rf)));
    const ParseResult rm = parse(many);
    QVERIFY(!rm.ok());
    QVERIFY2(rm.errors[0].message.contains(QStringLiteral("too many to check")), qPrintable(allErrors(rm)));
    QVERIFY2(timer.elapsed() < 3000, qPrintable(QStringLiteral("took %1 ms").arg(timer.elapsed())));
}

void TestScenarioParser::lessonStopsAtTheFirstFailingStep()
{
    QByteArray yaml = lessonWithSteps(3);
    yaml += "    - { title: bad, set: { domains.threads.workers: 0 } }\n"
            "    - { title: later, set: { domains.tbb.workers: 99999 } }\n";
    const ParseResult r = parse(yaml);
    QVERIFY(!r.ok());
    QCOMPARE(r.errors.size(), std::size_t(1));
    QCOMPARE(r.errors[0].message,
        QStringLiteral("lesson.steps[3] (bad): set domains.threads.workers=0: workers: 0 is out of range; expected 1 "
                       "to 4096"));
    QCOMPARE(r.errors[0].line, 18);

    // Steps cannot edit the lesson itself.
    const ParseResult own = parse(lessonWithSteps(1) + "    - { title: meta, set: { lesson.title: x } }\n");
    QVERIFY(!own.ok());
    QVERIFY2(own.errors[0].message.contains(QStringLiteral("lesson.steps[1] (meta): set lesson.title=x: a step "
                                                           "changes the scenario, not the lesson")),
        qPrintable(allErrors(own)));
}

// DESIGN §15: --set and lesson steps address a lock's scope by its stage (a list of locks by name).
void TestScenarioParser::lockScopeOverride()
{
    const QByteArray yaml = withStage("{ name: s, work: cpu, time: 1ms, domain: threads, "
                                      "lock: [ { name: a, scope: thread }, { name: b, scope: thread } ] }")
        + "  - name: d\n    arrival: { rate: 1/s }\n    stages:\n      - { name: s, work: cpu, time: 1ms, domain: "
          "procs, lock: { name: a, scope: thread } }\n";
    const ParseResult r = ScenarioParser::parseText(yaml, kSource,
        { { QStringLiteral("classes.c.stages.s.lock.a.scope"), QStringLiteral("process") },
            { QStringLiteral("classes.d.stages.s.lock.scope"), QStringLiteral("process") } });
    QVERIFY2(r.ok(), qPrintable(allErrors(r)));
    QCOMPARE(r.scenario->classes[0].stages[0].locks[0].scope, hs::LockScope::Process);
    QCOMPARE(r.scenario->classes[0].stages[0].locks[1].scope, hs::LockScope::Thread);
    QCOMPARE(r.scenario->classes[1].stages[0].locks[0].scope, hs::LockScope::Process);
    QCOMPARE(r.scenario->classes[1].stages[0].locks[0].timeout, 2.0); // the default timeout
    // Only one of two uses changed: one name, two scopes, an error naming the --set.
    const ParseResult half = ScenarioParser::parseText(
        yaml, kSource, { { QStringLiteral("classes.d.stages.s.lock.scope"), QStringLiteral("process") } });
    QVERIFY(!half.ok());
    QVERIFY2(allErrors(half).contains(QLatin1String("has scope")), qPrintable(allErrors(half)));
    QCOMPARE(ScenarioParser::checkField(QStringLiteral("classes.c.stages.s.lock.a.scope"), QStringLiteral("galaxy")),
        QStringLiteral("scope: expected thread or process; got \"galaxy\""));
    QVERIFY(
        ScenarioParser::checkField(QStringLiteral("classes.c.stages.s.lock.timeout"), QStringLiteral("1s")).isEmpty());
}

QTEST_GUILESS_MAIN(TestScenarioParser)
#include "tst_scenarioparser.moc"
