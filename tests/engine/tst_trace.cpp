#include "domains/trace.h"
#include "enginetest.h"
#include "results/traceexport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

using namespace hs;
using hs::test::EngineRun;

namespace {

constexpr int kFinishBoundMs = 60'000;
constexpr double kEpsUs = 1e-3; // one nanosecond, in the file's microseconds

struct Parsed {
    QJsonObject root;
    QJsonArray events;
};

bool parseTrace(const QByteArray &json, Parsed *p, QString *why)
{
    QJsonParseError e;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &e);
    if (e.error != QJsonParseError::NoError) {
        *why = QStringLiteral("not JSON: %1 at %2").arg(e.errorString()).arg(e.offset);
        return false;
    }
    if (!doc.isObject() || !doc.object().value(QStringLiteral("traceEvents")).isArray()) {
        *why = QStringLiteral("no traceEvents array");
        return false;
    }
    p->root = doc.object();
    p->events = p->root.value(QStringLiteral("traceEvents")).toArray();
    return true;
}

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

double num(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toDouble();
}

/// Every event has the fields its phase needs; returns the first offence.
QString malformed(const QJsonArray &events)
{
    static const QSet<QString> phases { QStringLiteral("M"), QStringLiteral("X"), QStringLiteral("i"),
        QStringLiteral("s"), QStringLiteral("t"), QStringLiteral("f") };
    for (const QJsonValue &v : events) {
        if (!v.isObject())
            return QStringLiteral("an event is not an object");
        const QJsonObject e = v.toObject();
        const QString ph = str(e, "ph");
        const QString text = QString::fromUtf8(QJsonDocument(e).toJson(QJsonDocument::Compact));
        if (!phases.contains(ph))
            return QStringLiteral("unexpected phase: ") + text;
        if (!e.value(QStringLiteral("pid")).isDouble() || !e.value(QStringLiteral("tid")).isDouble()
            || str(e, "name").isEmpty())
            return QStringLiteral("no pid, tid or name: ") + text;
        if (ph == QLatin1String("M")) {
            if (!e.value(QStringLiteral("args")).isObject())
                return QStringLiteral("metadata without args: ") + text;
            continue;
        }
        if (!e.value(QStringLiteral("ts")).isDouble() || num(e, "ts") < 0)
            return QStringLiteral("no valid ts: ") + text;
        if (ph == QLatin1String("X") && (!e.value(QStringLiteral("dur")).isDouble() || num(e, "dur") < 0))
            return QStringLiteral("complete event without a valid dur: ") + text;
        if ((ph == QLatin1String("s") || ph == QLatin1String("t") || ph == QLatin1String("f"))
            && (!e.value(QStringLiteral("id")).isDouble() || str(e, "cat").isEmpty()))
            return QStringLiteral("flow event without id or cat: ") + text;
        if (ph == QLatin1String("i") && str(e, "s").isEmpty())
            return QStringLiteral("instant without scope: ") + text;
    }
    return {};
}

std::vector<QJsonObject> ofPhase(const QJsonArray &events, const char *ph)
{
    std::vector<QJsonObject> out;
    for (const QJsonValue &v : events)
        if (str(v.toObject(), "ph") == QLatin1String(ph))
            out.push_back(v.toObject());
    return out;
}

/// (pid, tid) -> thread name, and pid -> process name.
void names(const QJsonArray &events, std::map<std::pair<int, int>, QString> *threads, std::map<int, QString> *procs)
{
    for (const QJsonObject &m : ofPhase(events, "M")) {
        const QString name = m.value(QStringLiteral("args")).toObject().value(QStringLiteral("name")).toString();
        if (str(m, "name") == QLatin1String("thread_name"))
            (*threads)[{ int(num(m, "pid")), int(num(m, "tid")) }] = name;
        else if (str(m, "name") == QLatin1String("process_name"))
            (*procs)[int(num(m, "pid"))] = name;
    }
}

quint64 taskOf(const QJsonObject &e)
{
    return quint64(e.value(QStringLiteral("args")).toObject().value(QStringLiteral("task")).toDouble());
}

QJsonObject argsOf(const QJsonObject &e)
{
    return e.value(QStringLiteral("args")).toObject();
}

StageSpan syntheticSpan(std::uint64_t task, int stage, DomainKind d)
{
    StageSpan s;
    s.task = task;
    s.cls = 0;
    s.stage = stage;
    s.domain = d;
    s.enqueuedNs = std::int64_t(task) * 1000 + stage * 300;
    s.startNs = s.enqueuedNs + 50;
    s.endNs = s.startNs + 200;
    s.worker = StageSpan::kThisThread;
    s.ran = true;
    return s;
}

Scenario syntheticScenario()
{
    Scenario s;
    s.name = QStringLiteral("synthetic \"quoted\"");
    s.source = QStringLiteral("<tst_trace>");
    TaskClass c;
    c.name = QStringLiteral("job");
    for (const char *n : { "a", "b", "c" }) {
        Stage st;
        st.name = QString::fromLatin1(n);
        c.stages.push_back(st);
    }
    s.classes.push_back(c);
    return s;
}

} // namespace

class TestTrace : public QObject {
    Q_OBJECT

private slots:
    void multiDomainRun_data();
    void multiDomainRun();
    void refusedStagesAreInstants();
    void samplingBound_data();
    void samplingBound();
    void writeFails();
};

void TestTrace::multiDomainRun_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<int>("domainsUsed");
    // "pipe" crosses loop -> threads -> tbb (-> procs); "await" overlaps on the loop (a timer wait
    // holds no thread), which the export must put on lanes instead of mis-nesting slices.
    const QByteArray head = "name: trace pipeline\n"
                            "duration: 1s\n"
                            "seed: 7\n"
                            "domains:\n"
                            "  threads: { workers: 2 }\n"
                            "  tbb: { workers: 2 }\n";
    const QByteArray classes = "classes:\n"
                               "  - name: pipe\n"
                               "    arrival: { process: constant, rate: 60/s }\n"
                               "    stages:\n"
                               "      - { name: fetch, work: async, time: 2ms, domain: loop }\n"
                               "      - { name: parse, work: cpu, time: 500us, payload_in: 4KiB, domain: threads }\n"
                               "      - { name: crunch, work: cpu, time: 500us, domain: tbb }\n";
    const QByteArray await = "  - name: await\n"
                             "    arrival: { process: poisson, rate: 150/s }\n"
                             "    stages:\n"
                             "      - { name: sleep, work: async, time: 20ms, domain: loop }\n";
    QTest::newRow("loop threads tbb") << head + classes + await << 3;
    QTest::newRow("loop threads tbb procs") << head + "  procs: { workers: 2 }\n" + classes
            + "      - { name: store, work: cpu, time: 300us, payload_in: 8KiB, domain: procs }\n"
            + await << 4;
}

void TestTrace::multiDomainRun()
{
    QFETCH(QByteArray, yaml);
    QFETCH(int, domainsUsed);
    const auto s = test::scenarioFromYaml(yaml);
    QVERIFY(s);
    EngineRun run(*s);
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const RunResult r = run.engine().result();
    const QString counts = test::countsText(r);
    QVERIFY2(r.conserved(), qPrintable(counts));
    QVERIFY2(r.failed() + r.rejected() + r.cancelled() == 0, qPrintable(counts));
    QVERIFY2(r.classes.at(0).completed >= 20, qPrintable(counts));
    QVERIFY(r.trace);
    QVERIFY2(!r.trace->sampled(), qPrintable(traceSamplingStatement(*r.trace)));

    // Written atomically to a file, and it reads back.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("run.trace.json"));
    QString error;
    QVERIFY2(writeChromeTrace(r, path, &error), qPrintable(error));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    Parsed p;
    QString why;
    QVERIFY2(parseTrace(f.readAll(), &p, &why), qPrintable(why));
    const QString bad = malformed(p.events);
    QVERIFY2(bad.isEmpty(), qPrintable(bad));
    QCOMPARE(str(p.root, "displayTimeUnit"), QStringLiteral("ms"));
    const QJsonObject other = p.root.value(QStringLiteral("otherData")).toObject();
    QCOMPARE(other.value(QStringLiteral("sampled")).toBool(true), false);
    QVERIFY(str(other, "sampling").startsWith(QLatin1String("complete")));

    // One slice per stage that ended, per domain as the domain counted them.
    const std::vector<QJsonObject> spans = ofPhase(p.events, "X");
    std::map<int, std::uint64_t> perPid;
    for (const QJsonObject &x : spans)
        ++perPid[int(num(x, "pid"))];
    std::uint64_t stagesEnded = 0;
    int used = 0;
    for (DomainKind d : kAllDomains) {
        const std::uint64_t ended = r.domains[std::size_t(d)].totals.completed;
        stagesEnded += ended;
        used += ended > 0 ? 1 : 0;
        QVERIFY2(perPid[int(d) + 1] == ended,
            qPrintable(
                QStringLiteral("%1: %2 slices, %3 stages").arg(domainName(d)).arg(perPid[int(d) + 1]).arg(ended)));
    }
    QCOMPARE(std::uint64_t(spans.size()), stagesEnded);
    QCOMPARE(used, domainsUsed);
    QCOMPARE(other.value(QStringLiteral("stages_total")).toInteger(), qint64(stagesEnded));

    // Every completed task has each of its stages once, in order, on the domain it was routed to.
    std::map<quint64, std::vector<QJsonObject>> byTask;
    for (const QJsonObject &x : spans)
        byTask[taskOf(x)].push_back(x);
    QCOMPARE(std::uint64_t(byTask.size()), r.completed());
    for (auto &[task, xs] : byTask) {
        const QString cls = str(argsOf(xs.front()), "class");
        const auto ci
            = std::find_if(s->classes.begin(), s->classes.end(), [&cls](const TaskClass &c) { return c.name == cls; });
        QVERIFY2(ci != s->classes.end(), qPrintable(cls));
        QCOMPARE(xs.size(), ci->stages.size());
        std::sort(xs.begin(), xs.end(),
            [](const QJsonObject &a, const QJsonObject &b) { return num(a, "ts") < num(b, "ts"); });
        for (std::size_t k = 0; k < xs.size(); ++k) {
            const Stage &st = ci->stages[k];
            QCOMPARE(str(xs[k], "name"), ci->name + QLatin1Char('.') + st.name);
            QCOMPARE(str(xs[k], "cat"), domainName(st.domain));
            QCOMPARE(str(argsOf(xs[k]), "outcome"), QStringLiteral("ok"));
            const qint64 bytesIn = argsOf(xs[k]).value(QStringLiteral("bytes_in")).toInteger();
            QCOMPARE(bytesIn, st.name == QLatin1String("parse") ? 4096 : st.name == QLatin1String("store") ? 8192 : 0);
            QVERIFY(num(argsOf(xs[k]), "wait_us") >= 0);
        }
    }

    // Processes per domain, a named thread per track; worker tracks as the domains have workers.
    std::map<std::pair<int, int>, QString> threads;
    std::map<int, QString> procs;
    names(p.events, &threads, &procs);
    std::map<int, std::set<int>> tidsOf;
    std::map<int, std::set<int>> workersOf;
    for (const QJsonObject &x : spans) {
        const int pid = int(num(x, "pid"));
        const int tid = int(num(x, "tid"));
        tidsOf[pid].insert(tid);
        workersOf[pid].insert(int(num(argsOf(x), "worker")));
        QVERIFY2(threads.count({ pid, tid }), qPrintable(QStringLiteral("no thread_name for %1/%2").arg(pid).arg(tid)));
        QVERIFY2(procs.count(pid), qPrintable(QStringLiteral("no process_name for %1").arg(pid)));
        QCOMPARE(procs[pid], str(x, "cat"));
    }
    const int loopPid = int(DomainKind::Loop) + 1;
    const int threadsPid = int(DomainKind::Threads) + 1;
    const int procsPid = int(DomainKind::Procs) + 1;
    QCOMPARE(workersOf[loopPid], std::set<int> { 0 }); // one thread
    QVERIFY2(tidsOf[loopPid].size() >= 2, "the loop's overlapping awaits need lanes");
    QVERIFY(workersOf[threadsPid].size() >= 1 && workersOf[threadsPid].size() <= 2);
    for (int tid : tidsOf[threadsPid])
        QVERIFY2(threads[std::pair(threadsPid, tid)].startsWith(QLatin1String("threads worker ")),
            qPrintable(threads[std::pair(threadsPid, tid)]));
    if (domainsUsed == 4) {
        for (int w : workersOf[procsPid])
            QVERIFY2(w >= 0 && w < 2, qPrintable(QString::number(w))); // the slot number
        for (const QJsonObject &x : spans)
            if (int(num(x, "pid")) == procsPid)
                QVERIFY(num(argsOf(x), "worker_pid") > 0);
    }

    // On every track, slices follow one another (no improper overlap).
    std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> onTrack;
    for (const QJsonObject &x : spans)
        onTrack[{ int(num(x, "pid")), int(num(x, "tid")) }].emplace_back(num(x, "ts"), num(x, "ts") + num(x, "dur"));
    for (auto &[key, iv] : onTrack) {
        std::sort(iv.begin(), iv.end());
        for (std::size_t k = 1; k < iv.size(); ++k)
            QVERIFY2(iv[k].first >= iv[k - 1].second - kEpsUs,
                qPrintable(
                    QStringLiteral("overlap on %1/%2 at %3 us").arg(key.first).arg(key.second).arg(iv[k].first)));
    }

    // Flows: per task, s -> t... -> f, one per stage, each inside that stage's slice, in time order.
    std::map<quint64, std::vector<QJsonObject>> flows;
    for (const QJsonValue &v : p.events) {
        const QJsonObject e = v.toObject();
        const QString ph = str(e, "ph");
        if (ph == QLatin1String("s") || ph == QLatin1String("t") || ph == QLatin1String("f"))
            flows[quint64(num(e, "id"))].push_back(e);
    }
    int multiStageTasks = 0;
    for (auto &[task, xs] : byTask) {
        if (xs.size() < 2) {
            QVERIFY2(!flows.count(task), qPrintable(QStringLiteral("flow for one-stage task %1").arg(task)));
            continue;
        }
        ++multiStageTasks;
        QVERIFY2(flows.count(task), qPrintable(QStringLiteral("no flow for task %1").arg(task)));
        const std::vector<QJsonObject> &fl = flows[task];
        QCOMPARE(fl.size(), xs.size());
        for (std::size_t k = 0; k < fl.size(); ++k) {
            const QString want = k == 0 ? QStringLiteral("s")
                : k + 1 == fl.size()    ? QStringLiteral("f")
                                        : QStringLiteral("t");
            QCOMPARE(str(fl[k], "ph"), want);
            QCOMPARE(str(fl[k], "cat"), str(fl[0], "cat"));
            QCOMPARE(str(fl[k], "name"), str(fl[0], "name"));
            if (k + 1 == fl.size())
                QCOMPARE(str(fl[k], "bp"), QStringLiteral("e"));
            if (k > 0)
                QVERIFY(num(fl[k], "ts") > num(fl[k - 1], "ts"));
            // Bound to the k-th stage's slice: same track, strictly inside it.
            const QJsonObject &x = xs[k];
            QCOMPARE(num(fl[k], "pid"), num(x, "pid"));
            QCOMPARE(num(fl[k], "tid"), num(x, "tid"));
            QVERIFY2(num(fl[k], "ts") > num(x, "ts") && num(fl[k], "ts") < num(x, "ts") + num(x, "dur"),
                qPrintable(QStringLiteral("task %1 flow %2 outside its slice").arg(task).arg(k)));
        }
    }
    QVERIFY(multiStageTasks >= 20);
    QCOMPARE(flows.size(), std::size_t(multiStageTasks));

    // The statement is on the timeline too.
    bool statement = false;
    for (const QJsonObject &i : ofPhase(p.events, "i"))
        statement = statement || (str(i, "s") == QLatin1String("g") && str(i, "name") == str(other, "sampling"));
    QVERIFY(statement);
}

void TestTrace::refusedStagesAreInstants()
{
    // 2 workers x 20 ms against 300/s behind a queue of 2: most tasks are rejected at admission.
    const auto s = test::scenarioFromYaml("name: overload\n"
                                          "duration: 600ms\n"
                                          "seed: 5\n"
                                          "domains:\n"
                                          "  threads: { workers: 2, queue: 2, on_full: reject }\n"
                                          "classes:\n"
                                          "  - name: req\n"
                                          "    arrival: { process: constant, rate: 300/s }\n"
                                          "    stages:\n"
                                          "      - { name: serve, work: block, time: 20ms, domain: threads }\n");
    QVERIFY(s);
    EngineRun run(*s);
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const RunResult r = run.engine().result();
    QVERIFY2(r.conserved() && r.rejected() >= 20, qPrintable(test::countsText(r)));
    Parsed p;
    QString why;
    QVERIFY2(parseTrace(chromeTraceJson(r), &p, &why), qPrintable(why));
    const QString bad = malformed(p.events);
    QVERIFY2(bad.isEmpty(), qPrintable(bad));
    std::map<std::pair<int, int>, QString> threads;
    std::map<int, QString> procs;
    names(p.events, &threads, &procs);
    std::uint64_t rejected = 0;
    for (const QJsonObject &i : ofPhase(p.events, "i")) {
        if (str(i, "s") != QLatin1String("t"))
            continue;
        QCOMPARE(str(argsOf(i), "outcome"), QStringLiteral("rejected"));
        QCOMPARE(str(i, "name"), QStringLiteral("req.serve"));
        QVERIFY(threads[std::pair(int(num(i, "pid")), int(num(i, "tid")))].contains(QLatin1String("admission")));
        ++rejected;
    }
    QCOMPARE(rejected, r.rejected());
    QCOMPARE(
        std::uint64_t(ofPhase(p.events, "X").size()), r.domains[std::size_t(DomainKind::Threads)].totals.completed);
}

void TestTrace::samplingBound_data()
{
    QTest::addColumn<int>("bound");
    QTest::addColumn<int>("tasks");
    QTest::addColumn<bool>("writeJson");
    QTest::addColumn<int>("expectStride");
    // 3 stages a task, each stage recorded by its own thread (so a task spans shards).
    QTest::newRow("default bound, 360k stages") << int(TraceRecorder::kDefaultBound) << 120'000 << false << 2;
    QTest::newRow("default bound, 900k stages") << int(TraceRecorder::kDefaultBound) << 300'000 << false << 8;
    QTest::newRow("small bound, written") << 1000 << 3000 << true << 16;
    QTest::newRow("fits, written") << 1000 << 300 << true << 1;
}

void TestTrace::samplingBound()
{
    QFETCH(int, bound);
    QFETCH(int, tasks);
    QFETCH(bool, writeJson);
    QFETCH(int, expectStride);
    TraceRecorder rec { std::size_t(bound) };
    constexpr int kStages = 3;
    std::vector<std::thread> threads;
    for (int stage = 0; stage < kStages; ++stage)
        threads.emplace_back([&rec, stage, tasks] {
            const DomainKind d = stage == 0 ? DomainKind::Loop : stage == 1 ? DomainKind::Threads : DomainKind::Tbb;
            for (int t = 1; t <= tasks; ++t)
                rec.record(syntheticSpan(std::uint64_t(t), stage, d));
        });
    for (auto &t : threads)
        t.join();
    const auto log = rec.collect(0);
    const std::uint64_t total = std::uint64_t(tasks) * kStages;
    QCOMPARE(log->totalStages, total);
    QVERIFY2(log->spans.size() <= std::size_t(bound), qPrintable(QString::number(log->spans.size())));
    // The smallest power of two that fits: whole tasks are dropped only as needed.
    QCOMPARE(log->stride, std::uint64_t(expectStride));
    QCOMPARE(log->sampled(), expectStride > 1);
    std::map<std::uint64_t, std::set<int>> stagesOf;
    for (const StageSpan &s : log->spans) {
        QVERIFY(s.task % log->stride == 0);
        stagesOf[s.task].insert(s.stage);
    }
    QCOMPARE(std::uint64_t(stagesOf.size()), std::uint64_t(tasks) / log->stride); // every kept task is there
    for (const auto &[task, st] : stagesOf)
        QVERIFY2(st.size() == std::size_t(kStages), qPrintable(QStringLiteral("task %1 incomplete").arg(task)));
    QCOMPARE(log->spans.size(), stagesOf.size() * kStages);

    if (!writeJson)
        return;
    RunResult r;
    r.scenario = syntheticScenario();
    r.trace = log;
    Parsed p;
    QString why;
    QVERIFY2(parseTrace(chromeTraceJson(r), &p, &why), qPrintable(why));
    const QString bad = malformed(p.events);
    QVERIFY2(bad.isEmpty(), qPrintable(bad));
    QCOMPARE(ofPhase(p.events, "X").size(), log->spans.size());
    const QJsonObject other = p.root.value(QStringLiteral("otherData")).toObject();
    QCOMPARE(p.root.value(QStringLiteral("metadata")).toObject(), other);
    QCOMPARE(other.value(QStringLiteral("stages_total")).toInteger(), qint64(total));
    QCOMPARE(other.value(QStringLiteral("stages_kept")).toInteger(), qint64(log->spans.size()));
    QCOMPARE(other.value(QStringLiteral("task_stride")).toInteger(), qint64(expectStride));
    QCOMPARE(str(other, "scenario"), r.scenario.name);
    const QString statement = str(other, "sampling");
    if (expectStride > 1)
        QVERIFY2(statement.startsWith(QStringLiteral("sampled: 1 in %1 tasks").arg(expectStride))
                && statement.contains(QStringLiteral("%1 of %2 stages").arg(log->spans.size()).arg(total)),
            qPrintable(statement));
    else
        QCOMPARE(statement, QStringLiteral("complete: all %1 stages").arg(total));
    bool onTimeline = false;
    for (const QJsonObject &i : ofPhase(p.events, "i"))
        onTimeline = onTimeline || str(i, "name") == statement;
    QVERIFY(onTimeline);
    std::map<std::pair<int, int>, QString> threadNames;
    std::map<int, QString> procs;
    names(p.events, &threadNames, &procs);
    QCOMPARE(procs[kDomainCount + 1].contains(QLatin1String("[sampled 1 in")), expectStride > 1);
    // Flows: one chain per kept task, s, t, f.
    QCOMPARE(ofPhase(p.events, "s").size(), stagesOf.size());
    QCOMPARE(ofPhase(p.events, "t").size(), stagesOf.size());
    QCOMPARE(ofPhase(p.events, "f").size(), stagesOf.size());
}

void TestTrace::writeFails()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    RunResult r;
    r.scenario = syntheticScenario();
    QString error;
    const QString path = dir.filePath(QStringLiteral("none.json"));
    QVERIFY(!writeChromeTrace(r, path, &error)); // no trace recorded
    QVERIFY2(error.contains(path), qPrintable(error));
    QVERIFY(!QFile::exists(path));

    TraceRecorder rec;
    rec.record(syntheticSpan(1, 0, DomainKind::Threads));
    r.trace = rec.collect(0);
    const QString unwritable = dir.filePath(QStringLiteral("no/such/dir/t.json"));
    error.clear();
    QVERIFY(!writeChromeTrace(r, unwritable, &error));
    QVERIFY2(error.contains(unwritable), qPrintable(error));
}

QTEST_GUILESS_MAIN(TestTrace)
#include "tst_trace.moc"
