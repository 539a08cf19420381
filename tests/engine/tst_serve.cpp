// The /live protocol's messages (engine/serve/liveprotocol.h): frames and hellos survive a trip
// through JSON text unchanged, every command parses to what it says, and malformed input is refused
// with an error naming the field.
#include "serve/httphead.h"
#include "serve/liveprotocol.h"
#include "serve/metrics.h"
#include "serve/serveoptions.h"

#include "core/latencyhistogram.h"
#include "run/engine.h"
#include "scenario/scenarioparser.h"
#include "serve/server.h"

#include "testutil.h"
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTemporaryDir>

#include <QTest>
#include <QWebSocket>

#include <cmath>
#include <random>

using namespace hs;

Q_DECLARE_METATYPE(hs::LiveCommand)

namespace {

// Through the wire: compact JSON text and back, as the server writes and a client reads.
QJsonObject viaText(const QJsonObject &o)
{
    return QJsonDocument::fromJson(QJsonDocument(o).toJson(QJsonDocument::Compact)).object();
}

bool sameKeys(const std::array<KeyCount, kTopKeys> &a, const std::array<KeyCount, kTopKeys> &b)
{
    for (std::size_t i = 0; i < kTopKeys; ++i)
        if (a[i].cls != b[i].cls || a[i].stage != b[i].stage || a[i].count != b[i].count)
            return false;
    return true;
}

// Field by field, doubles compared exactly: the encoding is lossless. Empty when equal.
QString frameDifference(const Frame &a, const Frame &b)
{
    if (a.t != b.t || a.loopLagMs != b.loopLagMs || a.gil != b.gil || a.gilWaiting != b.gilWaiting
        || a.loopBlockClass != b.loopBlockClass || a.loopBlockStage != b.loopBlockStage
        || a.loopBlockMs != b.loopBlockMs || a.loopBusyMs != b.loopBusyMs || !sameKeys(a.loopBusyTop, b.loopBusyTop))
        return QStringLiteral("top-level fields");
    if (a.locks.size() != b.locks.size())
        return QStringLiteral("lock count");
    for (std::size_t i = 0; i < a.locks.size(); ++i) {
        const LockFrame &x = a.locks[i], &y = b.locks[i];
        const auto same = [](const KeyCount &p, const KeyCount &q) {
            return p.cls == q.cls && p.stage == q.stage && p.count == q.count;
        };
        if (x.acquisitions != y.acquisitions || x.contended != y.contended || x.timeouts != y.timeouts
            || x.recovered != y.recovered || x.waiting != y.waiting || x.waitP99Ms != y.waitP99Ms
            || x.updatesExpected != y.updatesExpected || x.updatesSeen != y.updatesSeen
            || !same(x.topWaiter, y.topWaiter) || !same(x.topHolder, y.topHolder) || x.waiterDomain != y.waiterDomain
            || x.holderDomain != y.holderDomain)
            return QStringLiteral("lock %1").arg(i);
    }
    for (std::size_t i = 0; i < a.domains.size(); ++i) {
        const DomainFrame &x = a.domains[i], &y = b.domains[i];
        if (x.queue != y.queue || x.inflight != y.inflight || x.busy != y.busy || x.workers != y.workers
            || x.done != y.done || x.p99Ms != y.p99Ms || x.starved != y.starved || x.utilization != y.utilization
            || x.throughput != y.throughput || x.cpuRunning != y.cpuRunning || x.rejected != y.rejected
            || x.crashes != y.crashes || x.bounded != y.bounded || !sameKeys(x.queuedTop, y.queuedTop)
            || !sameKeys(x.rejectedTop, y.rejectedTop))
            return QStringLiteral("domain %1").arg(i);
    }
    if (a.classes.size() != b.classes.size())
        return QStringLiteral("class count");
    for (std::size_t i = 0; i < a.classes.size(); ++i) {
        const ClassFrame &x = a.classes[i], &y = b.classes[i];
        if (x.submitted != y.submitted || x.completed != y.completed || x.failed != y.failed || x.rejected != y.rejected
            || x.cancelled != y.cancelled || x.p50Ms != y.p50Ms || x.p99Ms != y.p99Ms || x.throughput != y.throughput
            || x.gilWaitP99Ms != y.gilWaitP99Ms || x.procsIpcMs != y.procsIpcMs || x.procsServiceMs != y.procsServiceMs
            || x.procsStages != y.procsStages || x.naiveP99Ms != y.naiveP99Ms)
            return QStringLiteral("class %1").arg(i);
    }
    return {};
}

// Every field set to a distinct value that is awkward for a text encoding (thirds, tiny and large
// magnitudes, counters up to 2^53).
Frame fullFrame(int salt = 0)
{
    Frame f;
    f.t = 12.35 + salt;
    f.loopLagMs = 1.0 / 3.0;
    f.gil = true;
    f.gilWaiting = 3;
    f.loopBlockClass = 1;
    f.loopBlockStage = 2;
    f.loopBlockMs = 7.123456789012345;
    f.loopBusyMs = 46.0 / 3.0;
    f.loopBusyTop = { KeyCount { 0, 0, 40000 }, KeyCount { 2, 1, 333 }, KeyCount {} };
    for (int l = 0; l < 2; ++l) {
        LockFrame lf;
        lf.acquisitions = 9007199254740991ULL - std::uint64_t(l);
        lf.contended = 77 + std::uint64_t(l);
        lf.timeouts = std::uint64_t(l);
        lf.recovered = 1;
        lf.waiting = 2 + l;
        lf.waitP99Ms = 1.0 / 7.0 + l;
        lf.updatesExpected = 1000 + std::uint64_t(l);
        lf.updatesSeen = 990;
        lf.topWaiter = l ? KeyCount {} : KeyCount { 1, 0, 1200 };
        lf.topHolder = KeyCount { 0, 1, 3400 };
        lf.waiterDomain = l ? -1 : 1;
        lf.holderDomain = 3;
        f.locks.push_back(lf);
    }
    int k = 1;
    for (DomainFrame &d : f.domains) {
        d.queue = 10 * k;
        d.inflight = 11 * k;
        d.busy = k;
        d.workers = 4 * k;
        d.done = 9007199254740992ULL - std::uint64_t(k); // near 2^53
        d.p99Ms = 0.1 * k + 1e-9;
        d.starved = 2 * k;
        d.utilization = 0.7 + 1e-15 * k;
        d.throughput = 1234.5678 * k;
        d.cpuRunning = k + 1;
        d.rejected = 1000000007ULL * std::uint64_t(k);
        d.crashes = std::uint64_t(k);
        d.bounded = k % 2 == 0;
        for (std::size_t i = 0; i < kTopKeys; ++i) {
            d.queuedTop[i] = KeyCount { int(i), k, 100 + int(i) };
            d.rejectedTop[i] = i == 2 ? KeyCount {} : KeyCount { k, int(i), 5 };
        }
        ++k;
    }
    for (int c = 0; c < 3; ++c) {
        ClassFrame cf;
        cf.submitted = 1000 + c + std::uint64_t(salt);
        cf.completed = 900 + c;
        cf.failed = 7 + c;
        cf.rejected = 50 + c;
        cf.cancelled = 3 + c;
        cf.p50Ms = 2.0 / 7.0 + c;
        cf.p99Ms = 1e-300 + c;
        cf.naiveP99Ms = 1e-7 / 3 + c;
        cf.throughput = 99.999999999 * (c + 1);
        cf.gilWaitP99Ms = 0.000123 * c;
        cf.procsIpcMs = 1e12 + c;
        cf.procsServiceMs = 5.5e-7 * (c + 1);
        cf.procsStages = 4503599627370496ULL + std::uint64_t(c);
        f.classes.push_back(cf);
    }
    return f;
}

QStringList sortedKeys(const QJsonObject &o)
{
    QStringList k = o.keys();
    k.sort();
    return k;
}

QStringList sorted(QStringList l)
{
    l.sort();
    return l;
}

} // namespace

class TestServe : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void frameRoundTrip();
    void frameKeys();
    void badFrames_data();
    void badFrames();
    void eventRoundTrip();
    void badEvents_data();
    void badEvents();
    void commands_data();
    void commands();
    void commandJsonRoundTrip_data();
    void commandJsonRoundTrip();
    void badCommands_data();
    void badCommands();
    void helloRoundTrip();
    void badHellos_data();
    void badHellos();
    void ackAndEnd();

    // The server's parts (hs_serve)
    void bucketBounds();
    void negotiation_data();
    void negotiation();
    void textExposition();
    void openMetricsExposition();
    void quantileResolution_data();
    void quantileResolution();
    void requestHeads_data();
    void requestHeads();
    void serveAddresses_data();
    void serveAddresses();
    void tokenFiles();
    void bearer();
    void servedEngineInProcess();
    void slowClientLosesFramesNotTheEngine();
};

void TestServe::frameRoundTrip()
{
    const Frame f = fullFrame();
    Frame back;
    QString why;
    QVERIFY2(liveFrameFromJson(viaText(liveFrameJson(f)), &back, &why), qPrintable(why));
    QCOMPARE(frameDifference(f, back), QString());
    // A default frame (no classes, -1 keys) survives too, and the extra keys of a frame message
    // ("type", "dropped") are not the frame's business.
    QJsonObject msg = liveFrameJson(Frame {});
    msg.insert(QStringLiteral("type"), QStringLiteral("frame"));
    msg.insert(QStringLiteral("dropped"), 4);
    QVERIFY2(liveFrameFromJson(viaText(msg), &back, &why), qPrintable(why));
    QCOMPARE(frameDifference(Frame {}, back), QString());
    // A server of an earlier build sends no loop_busy, locks or naive_p99_ms: the frame still reads,
    // with those at their defaults.
    QJsonObject old = liveFrameJson(f);
    old.remove(QStringLiteral("loop_busy"));
    old.remove(QStringLiteral("locks"));
    QJsonArray classes = old.value(QStringLiteral("classes")).toArray();
    for (qsizetype i = 0; i < classes.size(); ++i) {
        QJsonObject c = classes[i].toObject();
        c.remove(QStringLiteral("naive_p99_ms"));
        classes[i] = c;
    }
    old.insert(QStringLiteral("classes"), classes);
    QVERIFY2(liveFrameFromJson(viaText(old), &back, &why), qPrintable(why));
    Frame expected = f;
    expected.loopBusyMs = 0;
    expected.loopBusyTop = {};
    expected.locks.clear();
    for (ClassFrame &c : expected.classes)
        c.naiveP99Ms = 0;
    QCOMPARE(frameDifference(expected, back), QString());
}

void TestServe::frameKeys()
{
    const QJsonObject o = liveFrameJson(fullFrame());
    QCOMPARE(sortedKeys(o),
        sorted({ QStringLiteral("t"), QStringLiteral("loop_lag_ms"), QStringLiteral("gil"),
            QStringLiteral("gil_waiting"), QStringLiteral("loop_block"), QStringLiteral("loop_busy"),
            QStringLiteral("domains"), QStringLiteral("classes"), QStringLiteral("locks") }));
    QCOMPARE(sortedKeys(o.value(QStringLiteral("loop_busy")).toObject()),
        sorted({ QStringLiteral("ms"), QStringLiteral("top") }));
    const QJsonArray locks = o.value(QStringLiteral("locks")).toArray();
    QCOMPARE(locks.size(), 2);
    QCOMPARE(sortedKeys(locks[0].toObject()),
        sorted({ QStringLiteral("acquisitions"), QStringLiteral("contended"), QStringLiteral("timeouts"),
            QStringLiteral("recovered"), QStringLiteral("waiting"), QStringLiteral("wait_p99_ms"),
            QStringLiteral("updates_expected"), QStringLiteral("updates_seen"), QStringLiteral("top_waiter"),
            QStringLiteral("top_holder"), QStringLiteral("waiter_domain"), QStringLiteral("holder_domain") }));
    QCOMPARE(sortedKeys(o.value(QStringLiteral("loop_block")).toObject()),
        sorted({ QStringLiteral("class"), QStringLiteral("stage"), QStringLiteral("ms") }));
    const QJsonObject domains = o.value(QStringLiteral("domains")).toObject();
    QCOMPARE(sortedKeys(domains),
        sorted({ QStringLiteral("loop"), QStringLiteral("threads"), QStringLiteral("tbb"), QStringLiteral("procs") }));
    QCOMPARE(sortedKeys(domains.value(QStringLiteral("threads")).toObject()),
        sorted({ QStringLiteral("queue"), QStringLiteral("inflight"), QStringLiteral("busy"), QStringLiteral("workers"),
            QStringLiteral("done"), QStringLiteral("p99_ms"), QStringLiteral("starved"), QStringLiteral("utilization"),
            QStringLiteral("throughput"), QStringLiteral("cpu_running"), QStringLiteral("rejected"),
            QStringLiteral("crashes"), QStringLiteral("bounded"), QStringLiteral("queued_top"),
            QStringLiteral("rejected_top") }));
    const QJsonArray top
        = domains.value(QStringLiteral("tbb")).toObject().value(QStringLiteral("queued_top")).toArray();
    QCOMPARE(top.size(), 3);
    QCOMPARE(sortedKeys(top[0].toObject()),
        sorted({ QStringLiteral("class"), QStringLiteral("stage"), QStringLiteral("count") }));
    const QJsonArray classes = o.value(QStringLiteral("classes")).toArray();
    QCOMPARE(classes.size(), 3);
    QCOMPARE(sortedKeys(classes[0].toObject()),
        sorted({ QStringLiteral("submitted"), QStringLiteral("completed"), QStringLiteral("failed"),
            QStringLiteral("rejected"), QStringLiteral("cancelled"), QStringLiteral("p50_ms"), QStringLiteral("p99_ms"),
            QStringLiteral("naive_p99_ms"), QStringLiteral("throughput"), QStringLiteral("gil_wait_p99_ms"),
            QStringLiteral("procs_ipc_ms"), QStringLiteral("procs_service_ms"), QStringLiteral("procs_stages") }));
}

// Each row edits a good frame's JSON at a path and expects the error to name that path.
void TestServe::badFrames_data()
{
    QTest::addColumn<QString>("path"); // dotted; [i] for array entries
    QTest::addColumn<QJsonValue>("value"); // Undefined: remove the key
    QTest::addColumn<QString>("expected");
    const QJsonValue gone(QJsonValue::Undefined);
    QTest::newRow("t missing") << "t" << gone << "t: missing";
    QTest::newRow("t string") << "t" << QJsonValue(QStringLiteral("1")) << "t: expected a number, got a string";
    QTest::newRow("t negative") << "t" << QJsonValue(-1) << "t: expected a number >= 0";
    QTest::newRow("gil number") << "gil" << QJsonValue(1) << "gil: expected true or false";
    // Issue 18's fields: optional when absent, checked when present.
    QTest::newRow("loop_busy not an object") << "loop_busy" << QJsonValue(3) << "loop_busy: expected an object";
    QTest::newRow("loop_busy.ms negative")
        << "loop_busy.ms" << QJsonValue(-1) << "loop_busy.ms: expected a number >= 0";
    QTest::newRow("loop_busy.top short") << "loop_busy.top" << QJsonValue(QJsonArray {}) << "loop_busy.top: expected 3";
    QTest::newRow("locks not an array") << "locks" << QJsonValue(QStringLiteral("x")) << "locks: expected an array";
    QTest::newRow("lock waiting negative") << "locks[0].waiting" << QJsonValue(-2) << "locks[0].waiting: expected";
    QTest::newRow("lock domain 4") << "locks[1].holder_domain" << QJsonValue(4)
                                   << "locks[1].holder_domain: expected a whole number from -1 to 3";
    QTest::newRow("lock top_waiter missing") << "locks[0].top_waiter" << gone << "locks[0].top_waiter: missing";
    QTest::newRow("naive_p99_ms string") << "classes[1].naive_p99_ms" << QJsonValue(QStringLiteral("2"))
                                         << "classes[1].naive_p99_ms: expected a number";
    QTest::newRow("loop_block missing") << "loop_block" << gone << "loop_block: missing";
    QTest::newRow("loop_block.ms null") << "loop_block.ms" << QJsonValue(QJsonValue::Null)
                                        << "loop_block.ms: expected a number, got null";
    QTest::newRow("loop_block.class -2") << "loop_block.class" << QJsonValue(-2)
                                         << "loop_block.class: expected a whole number from -1";
    QTest::newRow("domains array") << "domains" << QJsonValue(QJsonArray {})
                                   << "domains: expected an object, got an array";
    QTest::newRow("procs missing") << "domains.procs" << gone << "domains.procs: missing";
    QTest::newRow("unknown domain") << "domains.gpu" << QJsonValue(QJsonObject {}) << "domains.gpu: unknown domain";
    QTest::newRow("queue fraction") << "domains.threads.queue" << QJsonValue(1.5)
                                    << "domains.threads.queue: expected a whole number, got the number 1.5";
    QTest::newRow("done negative") << "domains.loop.done" << QJsonValue(-1)
                                   << "domains.loop.done: expected a whole number from 0";
    QTest::newRow("done above 2^53") << "domains.loop.done" << QJsonValue(1e17)
                                     << "domains.loop.done: expected a whole number from 0 to 9007199254740992";
    QTest::newRow("bounded string") << "domains.tbb.bounded" << QJsonValue(QStringLiteral("yes"))
                                    << "domains.tbb.bounded: expected true or false";
    QTest::newRow("queued_top short") << "domains.tbb.queued_top" << QJsonValue(QJsonArray { QJsonObject {} })
                                      << "domains.tbb.queued_top: expected 3 entries, got 1";
    QTest::newRow("queued_top entry") << "domains.tbb.rejected_top[1].count" << QJsonValue(QStringLiteral("x"))
                                      << "domains.tbb.rejected_top[1].count: expected a whole number, got a string";
    QTest::newRow("classes object") << "classes" << QJsonValue(QJsonObject {}) << "classes: expected an array";
    QTest::newRow("class entry") << "classes[1]" << QJsonValue(7) << "classes[1]: expected an object, got the number 7";
    QTest::newRow("class field") << "classes[2].p99_ms" << gone << "classes[2].p99_ms: missing";
    QTest::newRow("class count") << "classes[0].completed" << QJsonValue(true)
                                 << "classes[0].completed: expected a whole number, got a boolean";
}

namespace {
// Sets (or removes) the value at a dotted path with [i] array steps.
QJsonValue edited(const QJsonValue &root, QStringList steps, const QJsonValue &value)
{
    if (steps.isEmpty())
        return value;
    QString step = steps.takeFirst();
    int index = -1;
    if (const qsizetype b = step.indexOf(QLatin1Char('[')); b >= 0) {
        index = step.mid(b + 1, step.size() - b - 2).toInt();
        step = step.left(b);
    }
    QJsonObject o = root.toObject();
    QJsonValue child = o.value(step);
    if (index >= 0) {
        QJsonArray a = child.toArray();
        const QJsonValue v = edited(a[index], steps, value);
        if (v.isUndefined())
            a.removeAt(index);
        else
            a[index] = v;
        child = a;
    } else {
        child = edited(child, steps, value);
    }
    if (child.isUndefined())
        o.remove(step);
    else
        o.insert(step, child);
    return o;
}
} // namespace

void TestServe::badFrames()
{
    QFETCH(QString, path);
    QFETCH(QJsonValue, value);
    QFETCH(QString, expected);
    const QJsonObject o = edited(liveFrameJson(fullFrame()), path.split(QLatin1Char('.')), value).toObject();
    Frame f;
    QString why;
    QVERIFY(!liveFrameFromJson(o, &f, &why));
    QVERIFY2(why.startsWith(expected), qPrintable(why));
}

void TestServe::eventRoundTrip()
{
    const RunEvent e { 3.5, QStringLiteral("threads workers 4 → 8"), QStringLiteral("resize") };
    const QJsonObject o = viaText(liveEventJson(e));
    QCOMPARE(sortedKeys(o), sorted({ QStringLiteral("t"), QStringLiteral("label"), QStringLiteral("kind") }));
    RunEvent back;
    QString why;
    QVERIFY2(liveEventFromJson(o, &back, &why), qPrintable(why));
    QCOMPARE(back.t, e.t);
    QCOMPARE(back.label, e.label);
    QCOMPARE(back.kind, e.kind);
}

void TestServe::badEvents_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("expected");
    QTest::newRow("no t") << QByteArray(R"({"label":"x","kind":"resize"})") << "t: missing";
    QTest::newRow("label number") << QByteArray(R"({"t":1,"label":2,"kind":"resize"})")
                                  << "label: expected a string, got the number 2";
    QTest::newRow("no kind") << QByteArray(R"({"t":1,"label":"x"})") << "kind: missing";
}

void TestServe::badEvents()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, expected);
    RunEvent e;
    QString why;
    QVERIFY(!liveEventFromJson(QJsonDocument::fromJson(json).object(), &e, &why));
    QVERIFY2(why.startsWith(expected), qPrintable(why));
}

void TestServe::commands_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<LiveCommand>("expected");
    using T = LiveCommand::Type;
    LiveCommand c;
    c.type = T::Resize;
    c.domain = DomainKind::Threads;
    c.workers = 8;
    QTest::newRow("resize") << QByteArray(R"({"type":"resize","domain":"threads","workers":8})") << c;
    c.id = 7;
    QTest::newRow("resize with id") << QByteArray(R"({"type":"resize","domain":"threads","workers":8,"id":7})") << c;
    c = LiveCommand {};
    c.type = T::Reassign;
    c.key = QStringLiteral("api.fetch");
    c.domain = DomainKind::Procs;
    c.id = QStringLiteral("r1");
    QTest::newRow("reassign") << QByteArray(R"({"type":"reassign","key":"api.fetch","domain":"procs","id":"r1"})") << c;
    c = LiveCommand {};
    c.type = T::Backpressure;
    c.domain = DomainKind::Threads;
    c.backpressure = Backpressure { 100, 0, OnFull::Reject };
    QTest::newRow("backpressure") << QByteArray(
        R"({"type":"backpressure","domain":"threads","queue":100,"max_inflight":0,"on_full":"reject"})")
                                  << c;
    c.domain = DomainKind::Tbb;
    c.backpressure = Backpressure { 0, 50, OnFull::DropOldest };
    QTest::newRow("backpressure drop_oldest")
        << QByteArray(R"({"type":"backpressure","domain":"tbb","max_inflight":50,"on_full":"drop_oldest"})") << c;
    c.domain = DomainKind::Loop;
    c.backpressure = Backpressure { 5, 0, OnFull::Block };
    QTest::newRow("backpressure defaults")
        << QByteArray(R"({"type":"backpressure","domain":"loop","queue":5,"on_full":"block"})") << c;
    c = LiveCommand {};
    c.type = T::Autoscale;
    c.domain = DomainKind::Threads;
    c.autoscale.policy = AutoscalePolicy::Queue;
    c.autoscale.min = 1;
    c.autoscale.max = 16;
    c.autoscale.interval = 0.25;
    c.autoscale.targetP99 = 0.25;
    QTest::newRow("autoscale texts") << QByteArray(
        R"({"type":"autoscale","domain":"threads","policy":"queue","min":1,"max":16,"interval":"250ms","target_p99":"250ms"})")
                                     << c;
    QTest::newRow("autoscale seconds") << QByteArray(
        R"({"type":"autoscale","domain":"threads","policy":"queue","min":1,"max":16,"interval":0.25,"target_p99":0.25})")
                                       << c;
    c.domain = DomainKind::Procs;
    c.autoscale = AutoscaleConfig {};
    c.autoscale.policy = AutoscalePolicy::Off;
    QTest::newRow("autoscale off") << QByteArray(R"({"type":"autoscale","domain":"procs","policy":"off"})") << c;
    c = LiveCommand {};
    c.type = T::Gil;
    c.gilEnabled = true;
    QTest::newRow("gil on") << QByteArray(R"({"type":"gil","enabled":true})") << c;
    c.gilEnabled = false;
    QTest::newRow("gil off") << QByteArray(R"({"type":"gil","enabled":false})") << c;
    c = LiveCommand {};
    c.type = T::Stop;
    QTest::newRow("stop") << QByteArray(R"({"type":"stop"})") << c;
    c.id = 1.5;
    QTest::newRow("stop, spaces, id") << QByteArray("  {\n \"id\": 1.5, \"type\" : \"stop\" }\n") << c;
}

namespace {
QString commandDifference(const LiveCommand &a, const LiveCommand &b)
{
    if (a.type != b.type)
        return QStringLiteral("type");
    if (a.id != b.id)
        return QStringLiteral("id");
    switch (a.type) {
    case LiveCommand::Type::Resize:
        return a.domain == b.domain && a.workers == b.workers ? QString() : QStringLiteral("resize fields");
    case LiveCommand::Type::Reassign:
        return a.domain == b.domain && a.key == b.key ? QString() : QStringLiteral("reassign fields");
    case LiveCommand::Type::Backpressure:
        return a.domain == b.domain && a.backpressure.queue == b.backpressure.queue
                && a.backpressure.maxInflight == b.backpressure.maxInflight
                && a.backpressure.onFull == b.backpressure.onFull
            ? QString()
            : QStringLiteral("backpressure fields");
    case LiveCommand::Type::Autoscale:
        return a.domain == b.domain && a.autoscale == b.autoscale ? QString() : QStringLiteral("autoscale fields");
    case LiveCommand::Type::Gil: return a.gilEnabled == b.gilEnabled ? QString() : QStringLiteral("enabled");
    case LiveCommand::Type::Stop: return {};
    }
    return {};
}
} // namespace

void TestServe::commands()
{
    QFETCH(QByteArray, json);
    QFETCH(LiveCommand, expected);
    LiveCommand c;
    QString why, name;
    QVERIFY2(parseLiveCommand(json, &c, &why, &name), qPrintable(why));
    QCOMPARE(commandDifference(c, expected), QString());
    QCOMPARE(name, liveCommandName(expected.type));
}

// What a client builds with liveCommandJson is what the server parses.
void TestServe::commandJsonRoundTrip_data()
{
    commands_data();
}

void TestServe::commandJsonRoundTrip()
{
    QFETCH(LiveCommand, expected);
    const QByteArray text = QJsonDocument(liveCommandJson(expected)).toJson(QJsonDocument::Compact);
    LiveCommand c;
    QString why;
    QVERIFY2(parseLiveCommand(text, &c, &why), qPrintable(why + QStringLiteral(": ") + QString::fromUtf8(text)));
    QCOMPARE(commandDifference(c, expected), QString());
}

void TestServe::badCommands_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("expected"); // the error starts with this
    QTest::addColumn<QString>("command"); // what the ack names
    QTest::addColumn<QJsonValue>("id"); // what the ack echoes
    const QJsonValue none(QJsonValue::Undefined);
    QTest::newRow("not JSON") << QByteArray("resize threads 8") << "not JSON"
                              << "" << none;
    QTest::newRow("empty") << QByteArray() << "not JSON"
                           << "" << none;
    QTest::newRow("truncated") << QByteArray(R"({"type":"resize",)") << "not JSON"
                               << "" << none;
    QTest::newRow("array") << QByteArray(R"([{"type":"stop"}])") << "not a JSON object"
                           << "" << none;
    QTest::newRow("string") << QByteArray(R"("stop")") << "not"
                            << "" << none;
    QTest::newRow("too big") << QByteArray(R"({"type":"stop","pad":")") + QByteArray(70000, 'x') + QByteArray(R"("})")
                             << "message too big: 70024 bytes, at most 65536"
                             << "" << none;
    QTest::newRow("no type") << QByteArray(R"({"domain":"threads","id":3})") << "type: missing"
                             << "" << QJsonValue(3);
    QTest::newRow("type number") << QByteArray(R"({"type":5})") << "type: expected a string, got the number 5"
                                 << "" << none;
    QTest::newRow("unknown type") << QByteArray(R"({"type":"explode","id":"x"})") << "type: unknown type \"explode\""
                                  << "" << QJsonValue(QStringLiteral("x"));
    QTest::newRow("bad id") << QByteArray(R"({"type":"stop","id":[1]})")
                            << "id: expected a number or a string, got an array"
                            << "" << none;
    QTest::newRow("resize no workers") << QByteArray(R"({"type":"resize","domain":"threads","id":1})")
                                       << "workers: missing"
                                       << "resize" << QJsonValue(1);
    QTest::newRow("resize workers string") << QByteArray(R"({"type":"resize","domain":"threads","workers":"8"})")
                                           << "workers: expected a whole number, got a string"
                                           << "resize" << none;
    QTest::newRow("resize workers fraction") << QByteArray(R"({"type":"resize","domain":"threads","workers":2.5})")
                                             << "workers: expected a whole number, got the number 2.5"
                                             << "resize" << none;
    QTest::newRow("resize workers 0") << QByteArray(R"({"type":"resize","domain":"threads","workers":0})")
                                      << "workers: "
                                      << "resize" << none;
    QTest::newRow("resize workers 5000") << QByteArray(R"({"type":"resize","domain":"tbb","workers":5000})")
                                         << "workers: "
                                         << "resize" << none;
    QTest::newRow("resize workers huge") << QByteArray(R"({"type":"resize","domain":"tbb","workers":1e300})")
                                         << "workers: expected a whole number"
                                         << "resize" << none;
    QTest::newRow("resize loop 2") << QByteArray(R"({"type":"resize","domain":"loop","workers":2})") << "workers: "
                                   << "resize" << none;
    QTest::newRow("resize unknown domain")
        << QByteArray(R"({"type":"resize","domain":"gpu","workers":2})") << "domain: unknown domain \"gpu\""
        << "resize" << none;
    QTest::newRow("resize domain case") << QByteArray(R"({"type":"resize","domain":"Threads","workers":2})")
                                        << "domain: unknown domain"
                                        << "resize" << none;
    QTest::newRow("resize domain number")
        << QByteArray(R"({"type":"resize","domain":1,"workers":2})") << "domain: expected a string"
        << "resize" << none;
    QTest::newRow("resize extra field") << QByteArray(R"({"type":"resize","domain":"threads","worker":2})")
                                        << "worker: unknown field; expected type, id, domain, workers"
                                        << "resize" << none;
    QTest::newRow("reassign no key") << QByteArray(R"({"type":"reassign","domain":"procs"})") << "key: missing"
                                     << "reassign" << none;
    QTest::newRow("reassign bad key") << QByteArray(R"({"type":"reassign","key":"nodot","domain":"procs"})") << "key: "
                                      << "reassign" << none;
    QTest::newRow("reassign no domain") << QByteArray(R"({"type":"reassign","key":"a.b"})") << "domain: missing"
                                        << "reassign" << none;
    QTest::newRow("backpressure queue negative")
        << QByteArray(R"({"type":"backpressure","domain":"threads","queue":-1})") << "queue: "
        << "backpressure" << none;
    QTest::newRow("backpressure on_full")
        << QByteArray(R"({"type":"backpressure","domain":"threads","on_full":"wait"})") << "on_full: "
        << "backpressure" << none;
    QTest::newRow("backpressure on_full spaces")
        << QByteArray(R"({"type":"backpressure","domain":"threads","on_full":" block"})") << "on_full: "
        << "backpressure" << none;
    QTest::newRow("backpressure no domain") << QByteArray(R"({"type":"backpressure","queue":3})") << "domain: missing"
                                            << "backpressure" << none;
    QTest::newRow("autoscale loop") << QByteArray(R"({"type":"autoscale","domain":"loop","policy":"queue"})")
                                    << "domain: autoscale applies to the pools"
                                    << "autoscale" << none;
    QTest::newRow("autoscale no policy") << QByteArray(R"({"type":"autoscale","domain":"threads"})")
                                         << "policy: missing"
                                         << "autoscale" << none;
    QTest::newRow("autoscale bad policy")
        << QByteArray(R"({"type":"autoscale","domain":"threads","policy":"pid"})") << "policy: "
        << "autoscale" << none;
    QTest::newRow("autoscale max < min") << QByteArray(
        R"({"type":"autoscale","domain":"threads","policy":"aimd","min":8,"max":4})")
                                         << "max: must be at least min (8), got 4"
                                         << "autoscale" << none;
    QTest::newRow("autoscale interval short")
        << QByteArray(R"({"type":"autoscale","domain":"threads","policy":"aimd","interval":"1ms"})") << "interval: "
        << "autoscale" << none;
    QTest::newRow("autoscale interval garbage")
        << QByteArray(R"({"type":"autoscale","domain":"threads","policy":"aimd","interval":"soon"})") << "interval: "
        << "autoscale" << none;
    QTest::newRow("autoscale interval bool")
        << QByteArray(R"({"type":"autoscale","domain":"threads","policy":"aimd","interval":true})")
        << "interval: expected a duration"
        << "autoscale" << none;
    QTest::newRow("autoscale target 0") << QByteArray(
        R"({"type":"autoscale","domain":"threads","policy":"aimd","target_p99":0})")
                                        << "target_p99: "
                                        << "autoscale" << none;
    QTest::newRow("gil no enabled") << QByteArray(R"({"type":"gil"})") << "enabled: missing"
                                    << "gil" << none;
    QTest::newRow("gil enabled string") << QByteArray(R"({"type":"gil","enabled":"true"})")
                                        << "enabled: expected true or false, got a string"
                                        << "gil" << none;
    QTest::newRow("stop extra") << QByteArray(R"({"type":"stop","now":true,"id":9})") << "now: unknown field"
                                << "stop" << QJsonValue(9);
    QTest::newRow("binary junk") << QByteArray("\x00\xff\xfe{", 4) << "not JSON"
                                 << "" << none;
}

void TestServe::badCommands()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, expected);
    QFETCH(QString, command);
    QFETCH(QJsonValue, id);
    LiveCommand c;
    QString why, name;
    QVERIFY(!parseLiveCommand(text, &c, &why, &name));
    QVERIFY2(why.startsWith(expected), qPrintable(why));
    if (expected.endsWith(QLatin1String(": "))) // a rule's message: it says what was expected
        QVERIFY2(why.contains(QLatin1String("expected")) || why.contains(QLatin1String("must be")), qPrintable(why));
    QCOMPARE(name, command);
    QCOMPARE(c.id, id);
}

void TestServe::helloRoundTrip()
{
    LiveHello h;
    h.version = QStringLiteral("0.1.0");
    h.name = QStringLiteral("web backend");
    h.scenarioYaml = QStringLiteral("name: web backend\nduration: 30s\n");
    h.elapsedS = 12.3;
    h.durationS = 0;
    h.classes = { QStringLiteral("api"), QStringLiteral("batch"), QStringLiteral("ticker") };
    for (int i = 0; i < 5; ++i)
        h.frames.push_back(fullFrame(i));
    h.events = { { 1.25, QStringLiteral("threads workers → 8"), QStringLiteral("resize") },
        { 2.5, QStringLiteral("GIL on"), QStringLiteral("gil") } };
    const QJsonObject config { { QStringLiteral("seed"), 7 } };
    const QJsonObject o = viaText(liveHelloJson(h, config));
    QCOMPARE(o.value(QStringLiteral("type")).toString(), QStringLiteral("hello"));
    QCOMPARE(o.value(QStringLiteral("config")).toObject(), config);
    LiveHello back;
    QString why;
    QVERIFY2(parseLiveHello(o, &back, &why), qPrintable(why));
    QCOMPARE(back.protocol, 1);
    QCOMPARE(back.version, h.version);
    QCOMPARE(back.name, h.name);
    QCOMPARE(back.scenarioYaml, h.scenarioYaml);
    QCOMPARE(back.elapsedS, h.elapsedS);
    QCOMPARE(back.durationS, h.durationS);
    QCOMPARE(back.classes, h.classes);
    QCOMPARE(back.frames.size(), h.frames.size());
    for (std::size_t i = 0; i < h.frames.size(); ++i)
        QCOMPARE(frameDifference(back.frames[i], h.frames[i]), QString());
    QCOMPARE(back.events.size(), h.events.size());
    QCOMPARE(back.events[1].label, h.events[1].label);
    QCOMPARE(back.events[0].t, h.events[0].t);
}

void TestServe::badHellos_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<QString>("expected");
    const QJsonValue gone(QJsonValue::Undefined);
    QTest::newRow("type") << "type" << QJsonValue(QStringLiteral("frame")) << "type: expected \"hello\"";
    QTest::newRow("protocol 2") << "protocol" << QJsonValue(2) << "protocol: the server speaks /live protocol 2";
    QTest::newRow("no version") << "version" << gone << "version: missing";
    QTest::newRow("no config") << "config" << gone << "config: missing";
    QTest::newRow("scenario number") << "scenario" << QJsonValue(1) << "scenario: expected a string";
    QTest::newRow("classes entry") << "classes" << QJsonValue(QJsonArray { 1 }) << "classes[0]: expected a string";
    QTest::newRow("frame classes") << "classes" << QJsonValue(QJsonArray { QStringLiteral("only") })
                                   << "frames[0].classes: expected 1 entries (one per class), got 3";
    QTest::newRow("frame field") << "frames" << QJsonValue(QJsonArray { QJsonObject { { QStringLiteral("t"), 1 } } })
                                 << "frames[0].loop_lag_ms: missing";
    QTest::newRow("event") << "events" << QJsonValue(QJsonArray { QJsonObject {} }) << "events[0].t: missing";
    QTest::newRow("elapsed") << "elapsed_s" << QJsonValue(QStringLiteral("3")) << "elapsed_s: expected a number";
}

void TestServe::badHellos()
{
    QFETCH(QString, key);
    QFETCH(QJsonValue, value);
    QFETCH(QString, expected);
    LiveHello h;
    h.classes = { QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c") };
    h.frames.push_back(fullFrame());
    QJsonObject o = liveHelloJson(h, {});
    if (value.isUndefined())
        o.remove(key);
    else
        o.insert(key, value);
    LiveHello back;
    QString why;
    QVERIFY(!parseLiveHello(o, &back, &why));
    QVERIFY2(why.startsWith(expected), qPrintable(why));
}

void TestServe::ackAndEnd()
{
    const QJsonObject ack = liveAckJson(false, QStringLiteral("workers: missing"), QStringLiteral("resize"), 4);
    QCOMPARE(ack.value(QStringLiteral("type")).toString(), QStringLiteral("ack"));
    QCOMPARE(ack.value(QStringLiteral("ok")).toBool(true), false);
    QCOMPARE(ack.value(QStringLiteral("error")).toString(), QStringLiteral("workers: missing"));
    QCOMPARE(ack.value(QStringLiteral("command")).toString(), QStringLiteral("resize"));
    QCOMPARE(ack.value(QStringLiteral("id")).toInt(), 4);
    QVERIFY(!liveAckJson(true, {}, QStringLiteral("stop"), QJsonValue(QJsonValue::Undefined))
                 .contains(QStringLiteral("id")));
    const QJsonObject end = liveEndJson(QStringLiteral("stopped"), 4.5);
    QCOMPARE(
        sortedKeys(end), sorted({ QStringLiteral("type"), QStringLiteral("reason"), QStringLiteral("elapsed_s") }));
    QCOMPARE(end.value(QStringLiteral("type")).toString(), QStringLiteral("end"));
    QVERIFY(!hybridscopeVersion().isEmpty());
}

void TestServe::bucketBounds()
{
    const auto &b = metricsBucketBoundsNs();
    QCOMPARE(b.size(), std::size_t(71));
    QCOMPARE(b.front(), std::int64_t(10'000)); // 10 µs
    QCOMPARE(b.back(), std::int64_t(100'000'000'000)); // 100 s
    QVERIFY(std::is_sorted(b.begin(), b.end()));
    QCOMPARE(metricsBucketRatio(), 1.28); // 1.6 / 1.25 and 3.2 / 2.5
    QCOMPARE(metricsLe(10'000), QByteArray("0.00001"));
    QCOMPARE(metricsLe(12'500), QByteArray("0.0000125"));
    QCOMPARE(metricsLe(1'000'000'000), QByteArray("1.0"));
    QCOMPARE(metricsLe(6'300'000'000), QByteArray("6.3"));
    QCOMPARE(metricsLe(100'000'000'000), QByteArray("100.0"));
}

void TestServe::negotiation_data()
{
    QTest::addColumn<QByteArray>("accept");
    QTest::addColumn<bool>("openMetrics");
    // What Prometheus 2.42 sends.
    QTest::newRow("prometheus") << QByteArray("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                                              "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
                                << true;
    QTest::newRow("none") << QByteArray() << false;
    QTest::newRow("curl") << QByteArray("*/*") << false;
    QTest::newRow("text") << QByteArray("text/plain; version=0.0.4") << false;
    QTest::newRow("om bare") << QByteArray("application/openmetrics-text") << true;
    QTest::newRow("om 0.0.1 only") << QByteArray("application/openmetrics-text; version=0.0.1") << false;
    QTest::newRow("om ranked lower") << QByteArray("application/openmetrics-text;q=0.2, text/plain") << false;
    QTest::newRow("om q=0") << QByteArray("application/openmetrics-text;q=0") << false;
    QTest::newRow("garbage") << QByteArray(";;,,;q=x") << false;
}

void TestServe::negotiation()
{
    QFETCH(QByteArray, accept);
    QFETCH(bool, openMetrics);
    QCOMPARE(negotiateMetricsFormat(accept) == MetricsFormat::OpenMetrics, openMetrics);
    QCOMPARE(metricsContentType(negotiateMetricsFormat(accept)),
        openMetrics ? QByteArray("application/openmetrics-text; version=1.0.0; charset=utf-8")
                    : QByteArray("text/plain; version=0.0.4; charset=utf-8"));
}

namespace {

HistogramSnapshot histogramOf(const std::vector<std::int64_t> &valuesNs)
{
    LatencyHistogram h;
    for (std::int64_t v : valuesNs)
        h.record(v);
    return h.snapshot();
}

MetricsInput sampleInput()
{
    MetricsInput in;
    in.version = QStringLiteral("0.1.0");
    in.classes = { QStringLiteral("api"), QStringLiteral("we\"ird\\name") };
    ClassResult a;
    a.name = in.classes[0];
    a.submitted = 10;
    a.completed = 7;
    a.failed = 1;
    a.rejected = 1;
    a.cancelled = 0;
    a.latency = histogramOf({ 5'000, 19'900, 900'000, 1'500'000, 1'900'000, 3'000'000, 200'000'000'000 });
    a.gilWait = histogramOf({ 1'000'000, 500'000 });
    ClassResult b;
    b.name = in.classes[1];
    in.totals.classes = { a, b };
    for (DomainKind d : kAllDomains)
        in.totals.domains[std::size_t(d)].kind = d;
    in.totals.domains[std::size_t(DomainKind::Threads)].used = true;
    in.totals.domains[std::size_t(DomainKind::Threads)].totals.wait = histogramOf({ 100'000, 200'000 });
    in.totals.domains[std::size_t(DomainKind::Threads)].totals.crashes = 2;
    in.totals.domains[std::size_t(DomainKind::Loop)].used = true;
    in.totals.loopLag = histogramOf({ 40'000, 60'000 });
    Frame f;
    f.domains[std::size_t(DomainKind::Threads)].workers = 8;
    f.domains[std::size_t(DomainKind::Threads)].busy = 3;
    f.domains[std::size_t(DomainKind::Threads)].queue = 5;
    in.frame = f;
    in.liveClients = 2;
    in.liveFramesDropped = 9;
    return in;
}

// The value of the one sample line named exactly `series` (name and labels); NaN when absent.
double sampleValue(const QByteArray &text, const QByteArray &series)
{
    for (const QByteArray &line : text.split('\n'))
        if (line.startsWith(QByteArray(series + ' ')))
            return line.mid(series.size() + 1).toDouble();
    return std::nan("");
}

} // namespace

void TestServe::textExposition()
{
    const QByteArray t = formatMetrics(sampleInput(), MetricsFormat::Text004);
    QVERIFY(!t.contains("# EOF"));
    // Every family has HELP and TYPE, with the names of DESIGN §14.
    const std::pair<const char *, const char *> families[]
        = { { "hybridscope_build_info", "gauge" }, { "hybridscope_tasks_total", "counter" },
              { "hybridscope_task_latency_seconds", "histogram" }, { "hybridscope_stage_wait_seconds", "histogram" },
              { "hybridscope_domain_queue_depth", "gauge" }, { "hybridscope_domain_workers", "gauge" },
              { "hybridscope_domain_busy_workers", "gauge" }, { "hybridscope_loop_lag_seconds", "histogram" },
              { "hybridscope_worker_crashes_total", "counter" }, { "hybridscope_gil_wait_seconds_total", "counter" } };
    for (const auto &[name, type] : families) {
        QVERIFY2(t.contains(QByteArray(QByteArray("# HELP ") + name + ' ')), name);
        QVERIFY2(t.contains(QByteArray(QByteArray("# TYPE ") + name + ' ' + type + '\n')), name);
    }
    QCOMPARE(sampleValue(t, R"(hybridscope_build_info{version="0.1.0"})"), 1.0);
    QCOMPARE(sampleValue(t, R"(hybridscope_tasks_total{class="api",outcome="completed"})"), 7.0);
    QCOMPARE(sampleValue(t, R"(hybridscope_tasks_total{class="api",outcome="rejected"})"), 1.0);
    QCOMPARE(sampleValue(t, R"(hybridscope_tasks_submitted_total{class="api"})"), 10.0);
    // Label values escaped.
    const QByteArray escaped = "hybridscope_tasks_total{class=\"we\\\"ird\\\\name\",outcome=\"failed\"}";
    QCOMPARE(sampleValue(t, escaped), 0.0);
    // Cumulative buckets, +Inf = count, sum in seconds; 200 s lands above the last bound.
    const auto bucket = [&](const char *le) {
        return sampleValue(t, QByteArray(R"(hybridscope_task_latency_seconds_bucket{class="api",le=")") + le + "\"}");
    };
    QCOMPARE(bucket("0.00001"), 1.0); // 5 µs
    QCOMPARE(bucket("0.00002"), 2.0); // 19.9 µs (a value within 0.4 % of a bound may count on either side)
    QCOMPARE(bucket("0.001"), 3.0);
    QCOMPARE(bucket("0.0016"), 4.0);
    QCOMPARE(bucket("0.002"), 5.0);
    QCOMPARE(bucket("0.0032"), 6.0);
    QCOMPARE(bucket("100.0"), 6.0);
    QCOMPARE(bucket("+Inf"), 7.0);
    QCOMPARE(sampleValue(t, R"(hybridscope_task_latency_seconds_count{class="api"})"), 7.0);
    QVERIFY(std::abs(sampleValue(t, R"(hybridscope_task_latency_seconds_sum{class="api"})") - 200.0073249) < 1e-6);
    double previous = 0;
    for (const auto b : metricsBucketBoundsNs()) {
        const double v = bucket(metricsLe(b).constData());
        QVERIFY(v >= previous);
        previous = v;
    }
    QCOMPARE(sampleValue(t, R"(hybridscope_stage_wait_seconds_count{domain="threads"})"), 2.0);
    QVERIFY(!t.contains(R"(domain="tbb")")); // domains not in use are not exported
    QCOMPARE(sampleValue(t, R"(hybridscope_domain_workers{domain="threads"})"), 8.0);
    QCOMPARE(sampleValue(t, R"(hybridscope_domain_busy_workers{domain="threads"})"), 3.0);
    QCOMPARE(sampleValue(t, R"(hybridscope_domain_queue_depth{domain="threads"})"), 5.0);
    QCOMPARE(sampleValue(t, R"(hybridscope_worker_crashes_total{domain="threads"})"), 2.0);
    QCOMPARE(sampleValue(t, "hybridscope_loop_lag_seconds_count"), 2.0);
    QCOMPARE(sampleValue(t, "hybridscope_gil_wait_seconds_total"), 0.0015);
    QCOMPARE(sampleValue(t, "hybridscope_live_clients"), 2.0);
    QCOMPARE(sampleValue(t, "hybridscope_live_frames_dropped_total"), 9.0);
    // Before the first frame there are no gauges, and nothing else breaks.
    MetricsInput early = sampleInput();
    early.frame.reset();
    QVERIFY(!formatMetrics(early, MetricsFormat::Text004).contains("hybridscope_domain_workers"));
}

void TestServe::openMetricsExposition()
{
    const QByteArray t = formatMetrics(sampleInput(), MetricsFormat::OpenMetrics);
    QVERIFY(t.endsWith("\n# EOF\n"));
    // Counter families are named without _total, their samples with it; info for build_info.
    QVERIFY(t.contains("# TYPE hybridscope_tasks counter\n"));
    QVERIFY(t.contains("# TYPE hybridscope_worker_crashes counter\n"));
    QVERIFY(t.contains("# TYPE hybridscope_gil_wait_seconds counter\n# UNIT hybridscope_gil_wait_seconds seconds\n"));
    QVERIFY(t.contains("# TYPE hybridscope_build info\n"));
    QVERIFY(t.contains(
        "# TYPE hybridscope_task_latency_seconds histogram\n# UNIT hybridscope_task_latency_seconds seconds\n"));
    QCOMPARE(sampleValue(t, R"(hybridscope_tasks_total{class="api",outcome="completed"})"), 7.0);
    QCOMPARE(sampleValue(t, R"(hybridscope_build_info{version="0.1.0"})"), 1.0);
    QVERIFY(!t.contains("_total counter"));
    // The same samples as the text format, but for the metadata lines and the end.
    const auto samples = [](const QByteArray &x) {
        QList<QByteArray> out;
        for (const QByteArray &line : x.split('\n'))
            if (!line.startsWith('#') && !line.isEmpty())
                out << line;
        return out;
    };
    QCOMPARE(samples(t), samples(formatMetrics(sampleInput(), MetricsFormat::Text004)));
}

// What histogram_quantile makes of the exported buckets (linear interpolation inside the bucket
// where the rank falls) lies within one bucket ratio of the exact quantile: the resolution that
// docs/serve.md states and tst_serve_cli allows against a real Prometheus.
void TestServe::quantileResolution_data()
{
    QTest::addColumn<double>("medianMs");
    QTest::addColumn<double>("sigma");
    QTest::newRow("fast, narrow") << 0.05 << 0.2;
    QTest::newRow("ms, wide") << 2.0 << 1.0;
    QTest::newRow("slow") << 700.0 << 0.5;
}

void TestServe::quantileResolution()
{
    QFETCH(double, medianMs);
    QFETCH(double, sigma);
    std::mt19937_64 rng(42);
    std::lognormal_distribution<double> dist(std::log(medianMs * 1e6), sigma);
    std::vector<std::int64_t> values;
    for (int i = 0; i < 20000; ++i)
        values.push_back(std::int64_t(dist(rng)));
    const HistogramSnapshot h = histogramOf(values);
    const auto &bounds = metricsBucketBoundsNs();
    const std::vector<std::uint64_t> cum = h.countsAtOrBelow(bounds);
    for (const double q : { 0.5, 0.9, 0.99, 0.999 }) {
        const double rank = q * double(h.count());
        std::size_t i = 0;
        while (i < cum.size() && double(cum[i]) < rank)
            ++i;
        QVERIFY(i < cum.size());
        const double lo = i == 0 ? 0.0 : double(bounds[i - 1]);
        const double below = i == 0 ? 0.0 : double(cum[i - 1]);
        const double estimate = lo + (double(bounds[i]) - lo) * (rank - below) / (double(cum[i]) - below);
        const double exact = h.percentile(q);
        const double ratio = std::max(estimate / exact, exact / estimate);
        QVERIFY2(ratio <= metricsBucketRatio() * 1.004,
            qPrintable(QStringLiteral("q %1: %2 vs %3").arg(q).arg(estimate).arg(exact)));
    }
}

void TestServe::requestHeads_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<int>("result"); // HttpHeadResult
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<bool>("keepAlive");
    QTest::addColumn<bool>("webSocket");
    const int ok = int(HttpHeadResult::Ok), bad = int(HttpHeadResult::Bad), more = int(HttpHeadResult::Incomplete),
              big = int(HttpHeadResult::TooLarge);
    QTest::newRow("get") << QByteArray("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9400\r\nAccept: */*\r\n\r\n") << ok
                         << QByteArray("/metrics") << true << false;
    QTest::newRow("query") << QByteArray("GET /metrics?x=1 HTTP/1.1\r\n\r\n") << ok << QByteArray("/metrics") << true
                           << false;
    QTest::newRow("absolute") << QByteArray("GET http://h:1/live HTTP/1.1\r\n\r\n") << ok << QByteArray("/live") << true
                              << false;
    QTest::newRow("close") << QByteArray("GET / HTTP/1.1\r\nConnection: close\r\n\r\n") << ok << QByteArray("/")
                           << false << false;
    QTest::newRow("1.0") << QByteArray("GET / HTTP/1.0\r\n\r\n") << ok << QByteArray("/") << false << false;
    QTest::newRow("1.0 keep-alive") << QByteArray("GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n") << ok
                                    << QByteArray("/") << true << false;
    QTest::newRow("websocket") << QByteArray(
        "GET /live HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
        "Sec-WebSocket-Key: x\r\n\r\n")
                               << ok << QByteArray("/live") << true << true;
    QTest::newRow("partial") << QByteArray("GET /metrics HTTP/1.1\r\nHost: x\r\n") << more << QByteArray() << false
                             << false;
    QTest::newRow("empty") << QByteArray() << more << QByteArray() << false << false;
    QTest::newRow("huge") << QByteArray("GET / HTTP/1.1\r\nX: ") + QByteArray(20000, 'a') << big << QByteArray()
                          << false << false;
    QTest::newRow("huge complete") << QByteArray("GET / HTTP/1.1\r\nX: ") + QByteArray(20000, 'a') + "\r\n\r\n"
                                   << big << QByteArray() << false << false;
    QByteArray many = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 70; ++i)
        many += "X-" + QByteArray::number(i) + ": 1\r\n";
    QTest::newRow("many headers") << many + "\r\n" << big << QByteArray() << false << false;
    QTest::newRow("bare LF") << QByteArray("GET / HTTP/1.1\nHost: x\r\n\r\n") << bad << QByteArray() << false << false;
    QTest::newRow("version") << QByteArray("GET / HTTP/2.0\r\n\r\n") << bad << QByteArray() << false << false;
    QTest::newRow("no target") << QByteArray("GET HTTP/1.1\r\n\r\n") << bad << QByteArray() << false << false;
    QTest::newRow("relative target") << QByteArray("GET metrics HTTP/1.1\r\n\r\n") << bad << QByteArray() << false
                                     << false;
    QTest::newRow("header without colon")
        << QByteArray("GET / HTTP/1.1\r\nHost\r\n\r\n") << bad << QByteArray() << false << false;
    QTest::newRow("folded header") << QByteArray("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n") << bad << QByteArray() << false
                                   << false;
    QTest::newRow("control char") << QByteArray("GET / HTTP/1.1\r\nA: b\x01\r\n\r\n") << bad << QByteArray() << false
                                  << false;
    QTest::newRow("binary") << QByteArray("\x16\x03\x01\x02\x00\r\n\r\n", 9) << bad << QByteArray() << false << false;
}

void TestServe::requestHeads()
{
    QFETCH(QByteArray, data);
    QFETCH(int, result);
    QFETCH(QByteArray, path);
    QFETCH(bool, keepAlive);
    QFETCH(bool, webSocket);
    HttpRequestHead head;
    qsizetype n = 0;
    QString why;
    QCOMPARE(int(parseHttpRequestHead(data, &head, &n, &why)), result);
    if (result == int(HttpHeadResult::Ok)) {
        QCOMPARE(head.path, path);
        QCOMPARE(head.keepAlive(), keepAlive);
        QCOMPARE(head.wantsWebSocket(), webSocket);
        QCOMPARE(n, data.indexOf("\r\n\r\n") + 4);
    } else if (result != int(HttpHeadResult::Incomplete)) {
        QVERIFY(!why.isEmpty());
    }
}

void TestServe::serveAddresses_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("address"); // empty: refused
    QTest::addColumn<int>("port");
    QTest::addColumn<bool>("loopback");
    QTest::newRow("port") << "9400"
                          << "127.0.0.1" << 9400 << true;
    QTest::newRow("any port") << "0"
                              << "127.0.0.1" << 0 << true;
    QTest::newRow("v4") << "127.0.0.1:9400"
                        << "127.0.0.1" << 9400 << true;
    QTest::newRow("localhost") << "localhost:1"
                               << "127.0.0.1" << 1 << true;
    QTest::newRow("all") << "0.0.0.0:9400"
                         << "0.0.0.0" << 9400 << false;
    QTest::newRow("lan") << "192.168.1.5:80"
                         << "192.168.1.5" << 80 << false;
    QTest::newRow("v6 loopback") << "[::1]:9400"
                                 << "::1" << 9400 << true;
    QTest::newRow("v6 any") << "[::]:9400"
                            << "::" << 9400 << false;
    QTest::newRow("v6 without brackets") << "::1:9400"
                                         << "" << 0 << false;
    QTest::newRow("port too big") << "65536"
                                  << "" << 0 << false;
    QTest::newRow("negative") << "-1"
                              << "" << 0 << false;
    QTest::newRow("word") << "http"
                          << "" << 0 << false;
    QTest::newRow("host name") << "example.com:80"
                               << "" << 0 << false;
    QTest::newRow("no port") << "127.0.0.1:"
                             << "" << 0 << false;
    QTest::newRow("no host") << ":9400"
                             << "" << 0 << false;
    QTest::newRow("bracket no port") << "[::1]"
                                     << "" << 0 << false;
    QTest::newRow("empty") << ""
                           << "" << 0 << false;
}

void TestServe::serveAddresses()
{
    QFETCH(QString, text);
    QFETCH(QString, address);
    QFETCH(int, port);
    QFETCH(bool, loopback);
    ServeOptions o;
    QString why;
    const bool ok = parseServeAddress(text, &o, &why);
    QCOMPARE(ok, !address.isEmpty());
    if (!ok) {
        QVERIFY2(why.contains(QLatin1String("expected [ADDR:]PORT")), qPrintable(why));
        return;
    }
    QCOMPARE(o.address, address);
    QCOMPARE(int(o.port), port);
    QCOMPARE(isLoopbackAddress(o.address), loopback);
}

void TestServe::tokenFiles()
{
    QTemporaryDir dir;
    const auto write = [&](const char *name, const QByteArray &text, QFile::Permissions perms) {
        const QString path = dir.filePath(QLatin1String(name));
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly) || f.write(text) != text.size())
            return QString();
        f.close();
        QFile::setPermissions(path, perms);
        return path;
    };
    const QFile::Permissions mine = QFile::ReadOwner | QFile::WriteOwner;
    QByteArray token;
    QString why;
    QVERIFY(readTokenFile(write("ok", "  0123456789abcdef0123  \nsecond line\n", mine), &token, &why));
    QCOMPARE(token, QByteArray("0123456789abcdef0123"));
    QVERIFY(!readTokenFile(
        write("world", "0123456789abcdef0123\n", mine | QFile::ReadOther | QFile::ReadGroup), &token, &why));
    QVERIFY2(why.contains(QLatin1String("chmod 600")), qPrintable(why));
    QVERIFY(!readTokenFile(write("empty", "\n0123456789abcdef0123\n", mine), &token, &why));
    QVERIFY2(why.contains(QLatin1String("first line is empty")), qPrintable(why));
    QVERIFY(!readTokenFile(write("short", "abc\n", mine), &token, &why));
    QVERIFY2(why.contains(QLatin1String("at least 16")), qPrintable(why));
    QVERIFY(!readTokenFile(write("space", "0123456789 abcdef0123\n", mine), &token, &why));
    QVERIFY2(why.contains(QLatin1String("visible ASCII")), qPrintable(why));
    QVERIFY(!readTokenFile(write("big", QByteArray(5000, 'a'), mine), &token, &why));
    QVERIFY(!readTokenFile(dir.filePath(QStringLiteral("missing")), &token, &why));
    QVERIFY(!readTokenFile(dir.path(), &token, &why));
}

void TestServe::bearer()
{
    const QByteArray token = "0123456789abcdef0123";
    QVERIFY(bearerMatches("Bearer 0123456789abcdef0123", token));
    QVERIFY(bearerMatches("bearer   0123456789abcdef0123 ", token));
    QVERIFY(!bearerMatches("Bearer 0123456789abcdef0124", token));
    QVERIFY(!bearerMatches("Bearer 0123456789abcdef012", token));
    QVERIFY(!bearerMatches("Basic 0123456789abcdef0123", token));
    QVERIFY(!bearerMatches("0123456789abcdef0123", token));
    QVERIFY(!bearerMatches("", token));
    QVERIFY(!bearerMatches("Bearer ", QByteArray()));
}

// The server's threads with the engine's, in one process (the sanitizer trees run this): a /live
// client gets the hello and frames, resizes a pool, a scrape reads the run, and the end comes.
void TestServe::servedEngineInProcess()
{
    const ParseResult parsed
        = ScenarioParser::parseText("name: inproc\nseed: 1\nduration: 1500ms\n"
                                    "domains:\n  threads: { workers: 2 }\n"
                                    "classes:\n  - name: io\n"
                                    "    arrival: { process: poisson, rate: 200/s }\n"
                                    "    stages:\n"
                                    "      - { name: call, work: block, time: 1ms, domain: threads }\n",
            QStringLiteral("<inproc>"));
    QVERIFY(parsed.ok());
    Engine engine(*parsed.scenario, EngineOptions { 1.0 });
    Server server(engine, ServeOptions {});
    QString why;
    QVERIFY2(server.listen(&why), qPrintable(why));
    QVERIFY(server.port() != 0);
    QVERIFY2(engine.start(&why), qPrintable(why));
    server.attach();
    QSignalSpy finished(&engine, &Engine::finished);

    QWebSocket ws;
    std::vector<QJsonObject> messages;
    bool closed = false;
    connect(&ws, &QWebSocket::textMessageReceived, this,
        [&](const QString &t) { messages.push_back(QJsonDocument::fromJson(t.toUtf8()).object()); });
    connect(&ws, &QWebSocket::disconnected, this, [&] { closed = true; });
    ws.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/live").arg(server.port())));
    QTRY_VERIFY_WITH_TIMEOUT(messages.size() >= 3, 10000); // hello and frames
    QCOMPARE(messages.front().value(QStringLiteral("type")).toString(), QStringLiteral("hello"));
    ws.sendTextMessage(QStringLiteral(R"({"type":"resize","domain":"threads","workers":3,"id":1})"));
    const auto ack = [&]() -> QJsonObject {
        for (const QJsonObject &m : messages)
            if (m.value(QStringLiteral("type")).toString() == QLatin1String("ack"))
                return m;
        return {};
    };
    QTRY_VERIFY_WITH_TIMEOUT(!ack().isEmpty(), 10000);
    QVERIFY2(ack().value(QStringLiteral("ok")).toBool(), qPrintable(ack().value(QStringLiteral("error")).toString()));

    QNetworkAccessManager nam;
    QNetworkReply *reply = nam.get(QNetworkRequest(QUrl(server.url() + QStringLiteral("/metrics"))));
    QSignalSpy done(reply, &QNetworkReply::finished);
    QVERIFY(done.wait(10000));
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    QVERIFY(reply->readAll().contains("hybridscope_tasks_total{class=\"io\",outcome=\"completed\"}"));
    reply->deleteLater();

    QVERIFY(finished.wait(15000));
    server.finish(QStringLiteral("finished"), engine.elapsed());
    QTRY_VERIFY_WITH_TIMEOUT(closed, 5000);
    QCOMPARE(messages.back().value(QStringLiteral("type")).toString(), QStringLiteral("end"));
    QVERIFY(engine.result().conserved());
    QCOMPARE(server.stats().framesDropped, std::uint64_t(0));
}

// A client that stops reading loses frames (counted), while a reading client beside it and the
// engine's own 20 Hz frames go on as before. 100 classes make frames of about 32 KB, so the
// buffers in between (64 KiB in the server, its socket's, the client's) fill within a second.
void TestServe::slowClientLosesFramesNotTheEngine()
{
    QByteArray yaml = "name: wide\nseed: 1\nduration: 2s\ndomains:\n  threads: { workers: 4 }\nclasses:\n";
    for (int i = 0; i < 100; ++i)
        yaml += "  - name: c" + QByteArray::number(i)
            + "\n    arrival: { process: poisson, rate: 5/s }\n    stages:\n"
              "      - { name: s, work: block, time: 1ms, domain: threads }\n";
    const ParseResult parsed = ScenarioParser::parseText(yaml, QStringLiteral("<wide>"));
    QVERIFY(parsed.ok());
    Engine engine(*parsed.scenario, EngineOptions { 1.0 });
    Server server(engine, ServeOptions {});
    QString why;
    QVERIFY2(server.listen(&why), qPrintable(why));
    QVERIFY2(engine.start(&why), qPrintable(why));
    server.attach();
    QSignalSpy finished(&engine, &Engine::finished);

    QWebSocket reader;
    int frames = 0, droppedSeen = 0;
    connect(&reader, &QWebSocket::textMessageReceived, this, [&](const QString &t) {
        const QJsonObject o = QJsonDocument::fromJson(t.toUtf8()).object();
        if (o.value(QStringLiteral("type")).toString() == QLatin1String("frame")) {
            ++frames;
            droppedSeen = std::max(droppedSeen, o.value(QStringLiteral("dropped")).toInt());
        }
    });
    reader.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/live").arg(server.port())));
    // The slow one: a handshake by hand, then it reads at most 4 KiB and never more.
    QTcpSocket slow;
    slow.setReadBufferSize(4096);
    slow.connectToHost(QHostAddress::LocalHost, server.port());
    QVERIFY(slow.waitForConnected(10000));
    slow.write("GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    QVERIFY(finished.wait(20000));
    QVERIFY2(server.stats().framesDropped > 0, "the slow client lost no frame: its buffers never filled");
    qInfo("frames dropped for the slow client: %llu of %d",
        static_cast<unsigned long long>(server.stats().framesDropped), frames);
    QCOMPARE(droppedSeen, 0);
    const RunResult r = engine.result();
    // The engine kept its grid: a frame every 50 ms (and the final one), whatever the slow client
    // did. A machine whose two cores are busy misses a tick now and then; a monitor held up by the
    // slow client would lose most of them. (Under ASan, the monitor itself once lost a fifth of
    // the grid here: each frame read every bucket of three histograms per class; a snapshot now
    // reads only the buckets between its extremes, and ASan and TSan keep every tick.)
    const double grid = r.durationS * 20;
    qInfo("frames kept: %zu of the grid's %.0f (%.2f)", r.frames.size(), grid, double(r.frames.size()) / grid);
    QVERIFY2(double(r.frames.size()) >= 0.85 * grid && double(r.frames.size()) <= grid + 3,
        qPrintable(QStringLiteral("%1 frames in %2 s").arg(r.frames.size()).arg(r.durationS)));
    QVERIFY2(std::abs(frames - int(r.frames.size())) <= 3,
        qPrintable(QStringLiteral("%1 of %2").arg(frames).arg(r.frames.size())));
    QVERIFY(r.conserved());
    slow.abort();
    server.finish(QStringLiteral("finished"), r.durationS);
}

QTEST_GUILESS_MAIN(TestServe)
#include "tst_serve.moc"
