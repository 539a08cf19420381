// The findings rules (DESIGN §6): the Diagnoser fed synthetic frames for the edge cases (sustain,
// merge, blame, bounds), then real engine runs: each rule fires on a scenario built to trigger it,
// naming the domain, class and stage, and stays silent on a healthy neighbour.
#include "enginetest.h"
#include "results/diagnostics.h"
#include "results/domaintheory.h"

#include <QTest>

#include <algorithm>
#include <cmath>

using namespace hs;
using hs::test::EngineRun;

namespace {

constexpr int kFinishBoundMs = 30'000;

Scenario syntheticScenario()
{
    const auto s = test::scenarioFromYaml(R"(
name: Synthetic
sla: { p99: 40ms }
starvation: { threshold: 100ms }
domains:
  threads: { workers: 2 }
  tbb: { workers: 2 }
  procs: { workers: 2 }
classes:
  - name: web
    arrival: { process: constant, rate: 10/s }
    stages:
      - { name: fetch, work: block, time: 1ms, domain: threads }
      - { name: render, work: cpu, time: 1ms, payload_in: 1MiB, domain: procs }
  - name: tick
    arrival: { process: constant, rate: 10/s }
    stages:
      - { name: parse, work: cpu, time: 1ms, domain: loop }
)");
    return s ? *s : Scenario {};
}

Frame frameAt(int i)
{
    Frame f;
    f.t = i * 0.05;
    for (DomainKind d : kAllDomains)
        f.domains[std::size_t(d)].workers = d == DomainKind::Loop ? 1 : 2;
    f.classes.resize(2);
    return f;
}

DomainFrame &dom(Frame &f, DomainKind d)
{
    return f.domains[std::size_t(d)];
}

QStringList spans(const std::vector<Finding> &findings)
{
    QStringList out;
    for (const Finding &f : findings)
        out << QStringLiteral("%1 %2-%3").arg(f.rule).arg(f.fromS, 0, 'f', 2).arg(f.toS, 0, 'f', 2);
    return out;
}

QString describe(const std::vector<Finding> &findings)
{
    QStringList out;
    for (const Finding &f : findings)
        out << QStringLiteral("%1 [%2] %3/%4 %5-%6 s: %7 → %8")
                   .arg(f.rule, severityName(f.severity), f.domain ? domainName(*f.domain) : QStringLiteral("-"),
                       f.className)
                   .arg(f.fromS, 0, 'f', 2)
                   .arg(f.toS, 0, 'f', 2)
                   .arg(f.message, f.advice);
    return out.isEmpty() ? QStringLiteral("(no findings)") : out.join(QLatin1Char('\n'));
}

const Finding *find(const std::vector<Finding> &findings, const QString &rule)
{
    const auto it = std::find_if(findings.begin(), findings.end(), [&](const Finding &f) { return f.rule == rule; });
    return it == findings.end() ? nullptr : &*it;
}

} // namespace

class TestDiagnostics : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // --- synthetic frames -----------------------------------------------------------
    void queueDepthSustainsAndMerges_data()
    {
        QTest::addColumn<QList<int>>("deep"); // [from, to) frame ranges with the queue deep
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("short") << QList<int> { 10, 29 } << QStringList();
        QTest::newRow("sustained") << QList<int> { 10, 40 } << QStringList { QStringLiteral("queue_depth 0.50-1.95") };
        // A 0.5 s pause continues the finding; a 1.5 s pause ends it.
        QTest::newRow("short gap merges")
            << QList<int> { 10, 40, 50, 60 } << QStringList { QStringLiteral("queue_depth 0.50-2.95") };
        QTest::newRow("long gap splits") << QList<int> { 10, 40, 70,
            100 } << QStringList { QStringLiteral("queue_depth 0.50-1.95"), QStringLiteral("queue_depth 3.50-4.95") };
    }

    void queueDepthSustainsAndMerges()
    {
        QFETCH(QList<int>, deep);
        QFETCH(QStringList, expected);
        Diagnoser d;
        d.reset(syntheticScenario(), 64);
        for (int i = 0; i < 120; ++i) {
            Frame f = frameAt(i);
            for (qsizetype r = 0; r + 1 < deep.size(); r += 2)
                if (i >= deep[r] && i < deep[r + 1]) {
                    dom(f, DomainKind::Threads).queue = 9;
                    dom(f, DomainKind::Threads).bounded = true;
                    dom(f, DomainKind::Threads).queuedTop[0] = KeyCount { 0, 0, 9 };
                }
            d.addFrame(f);
        }
        QCOMPARE(spans(d.findings()), expected);
        for (const Finding &f : d.findings()) {
            QCOMPARE(f.domain, std::optional(DomainKind::Threads));
            QCOMPARE(f.className, QStringLiteral("web"));
            QVERIFY2(f.message.contains(QLatin1String("web.fetch")), qPrintable(f.message));
            QVERIFY(!f.advice.isEmpty());
        }
    }

    void loopLagBlamesTheStageThatHeldTheLoop()
    {
        Diagnoser d;
        d.reset(syntheticScenario(), 64);
        for (int i = 0; i < 50; ++i) {
            Frame f = frameAt(i);
            if (i == 10) { // the hold ends in one frame; the late heartbeat shows in the next
                f.loopBlockClass = 1;
                f.loopBlockStage = 0;
                f.loopBlockMs = 180;
            }
            if (i == 11)
                f.loopLagMs = 175;
            if (i == 40) { // lag with nothing holding the loop: a delayed thread, not a stage
                f.loopLagMs = 150;
                f.loopBlockClass = 0;
                f.loopBlockStage = 1;
                f.loopBlockMs = 3; // far too short to be the cause
            }
            d.addFrame(f);
        }
        QVERIFY2(d.findings().size() == 2, qPrintable(describe(d.findings())));
        QCOMPARE(spans(d.findings()),
            QStringList({ QStringLiteral("loop_lag 0.55-0.55"), QStringLiteral("loop_lag 2.00-2.00") }));
        const Finding &blamed = d.findings()[0];
        QCOMPARE(blamed.className, QStringLiteral("tick"));
        QVERIFY2(blamed.message.contains(QLatin1String("tick.parse (180 ms)")), qPrintable(blamed.message));
        QVERIFY2(blamed.advice.contains(QLatin1String("route tick.parse to tbb or procs")), qPrintable(blamed.advice));
        const Finding &unblamed = d.findings()[1];
        QVERIFY(unblamed.className.isEmpty());
        QCOMPARE(unblamed.severity, Severity::Info);
        QCOMPARE(blamed.severity, Severity::Warning);
        QVERIFY2(unblamed.message.contains(QLatin1String("not busy")), qPrintable(unblamed.message));
    }

    // Issue 18: no stage holds the loop long, but short stages keep it busy; the lag is theirs.
    // The same lateness on a mostly idle loop is the machine's.
    void loopLagBlamesTheBusyLoopsShares_data()
    {
        QTest::addColumn<double>("busyMs"); // per 50 ms frame
        QTest::addColumn<bool>("blamed");
        QTest::newRow("92 % busy") << 46.0 << true;
        QTest::newRow("55 % busy") << 27.5 << true;
        QTest::newRow("40 % busy") << 20.0 << false;
        QTest::newRow("idle") << 0.0 << false;
    }
    void loopLagBlamesTheBusyLoopsShares()
    {
        QFETCH(double, busyMs);
        QFETCH(bool, blamed);
        Diagnoser d;
        d.reset(syntheticScenario(), 64);
        for (int i = 0; i < 40; ++i) {
            Frame f = frameAt(i);
            f.loopBusyMs = busyMs;
            // 4 ms stages: tick.parse takes 5/6 of the busy time, web.render the rest.
            f.loopBusyTop[0] = KeyCount { 1, 0, int(busyMs * 1e3 * 5 / 6) };
            f.loopBusyTop[1] = KeyCount { 0, 1, int(busyMs * 1e3 / 6) };
            f.loopBlockClass = 1;
            f.loopBlockStage = 0;
            f.loopBlockMs = busyMs > 0 ? 4 : 0;
            if (i >= 25)
                f.loopLagMs = 140;
            d.addFrame(f);
        }
        QVERIFY2(d.findings().size() == 1, qPrintable(describe(d.findings())));
        const Finding &f = d.findings()[0];
        QCOMPARE(f.rule, QStringLiteral("loop_lag"));
        if (blamed) {
            QCOMPARE(f.className, QStringLiteral("tick"));
            QCOMPARE(f.severity, Severity::Warning);
            const QString share = QString::number(std::round(busyMs / 50 * 100));
            QVERIFY2(f.message.contains(QStringLiteral("busy %1 %").arg(share)), qPrintable(f.message));
            QVERIFY2(f.message.contains(QStringLiteral("tick.parse %1 %").arg(std::round(busyMs / 50 * 100 * 5 / 6))),
                qPrintable(f.message));
            QVERIFY2(f.advice.contains(QLatin1String("route tick.parse to tbb or procs")), qPrintable(f.advice));
        } else {
            QVERIFY2(f.className.isEmpty(), qPrintable(describe(d.findings())));
            QCOMPARE(f.severity, Severity::Info);
            QVERIFY2(f.message.contains(QLatin1String("not busy")), qPrintable(f.message));
        }
    }

    void oversubscriptionCountsCpuStagesAgainstCores_data()
    {
        QTest::addColumn<int>("cores");
        QTest::addColumn<int>("frames");
        QTest::addColumn<bool>("fires");
        QTest::addColumn<bool>("gil");
        // threads 2 + tbb 2 + loop 1 cpu stages running: 5
        QTest::newRow("5 on 4 cores") << 4 << 40 << true << false;
        QTest::newRow("5 on 5 cores") << 5 << 40 << false << false;
        QTest::newRow("5 on 4 cores, too short") << 4 << 15 << false << false;
        // Under the GIL only one of loop's and threads' 3 burns: tbb 2 + 1 = 3 on 4 cores.
        QTest::newRow("GIL: 3 burn on 4 cores") << 4 << 40 << false << true;
        QTest::newRow("GIL: 3 burn on 2 cores") << 2 << 40 << true << true;
    }

    void oversubscriptionCountsCpuStagesAgainstCores()
    {
        QFETCH(int, cores);
        QFETCH(int, frames);
        QFETCH(bool, fires);
        QFETCH(bool, gil);
        Diagnoser d;
        d.reset(syntheticScenario(), cores);
        QCOMPARE(d.cores(), cores);
        for (int i = 0; i < 60; ++i) {
            Frame f = frameAt(i);
            f.gil = gil;
            if (i < frames) {
                dom(f, DomainKind::Threads).cpuRunning = 2;
                dom(f, DomainKind::Tbb).cpuRunning = 2;
                dom(f, DomainKind::Loop).cpuRunning = 1;
            }
            d.addFrame(f);
        }
        const Finding *f = find(d.findings(), QStringLiteral("oversubscription"));
        QCOMPARE(f != nullptr, fires);
        QCOMPARE(int(d.findings().size()), fires ? 1 : 0);
        if (f) {
            QVERIFY2(f->message.contains(gil ? QStringLiteral("3.0 cpu stages") : QStringLiteral("5.0 cpu stages")),
                qPrintable(f->message));
            QVERIFY2(f->advice.contains(QStringLiteral("at most %1").arg(cores)), qPrintable(f->advice));
            QVERIFY(f->fromS <= 0.05 && f->toS >= 1.0);
        }
    }

    void unboundedQueueNeedsASteadyRise_data()
    {
        QTest::addColumn<int>("shape"); // 0 linear rise, 1 rise with a limit, 2 saw-tooth, 3 high but flat
        QTest::addColumn<bool>("fires");
        QTest::newRow("linear rise") << 0 << true;
        QTest::newRow("bounded rise") << 1 << false;
        QTest::newRow("saw-tooth") << 2 << false;
        QTest::newRow("deep but flat") << 3 << false;
    }

    void unboundedQueueNeedsASteadyRise()
    {
        QFETCH(int, shape);
        QFETCH(bool, fires);
        Diagnoser d;
        d.reset(syntheticScenario(), 64);
        for (int i = 0; i < 80; ++i) {
            Frame f = frameAt(i);
            DomainFrame &tbb = dom(f, DomainKind::Tbb);
            tbb.queue = shape == 2 ? (i % 10) * 30 : shape == 3 ? 500 : 2 * i; // 40 stages/s
            tbb.bounded = shape == 1;
            tbb.queuedTop[0] = KeyCount { 0, 0, std::min(tbb.queue, 256) };
            d.addFrame(f);
        }
        const Finding *f = find(d.findings(), QStringLiteral("unbounded_queue"));
        QVERIFY2((f != nullptr) == fires, qPrintable(describe(d.findings())));
        if (f) {
            QCOMPARE(f->domain, std::optional(DomainKind::Tbb));
            QCOMPARE(f->severity, Severity::Error);
            QVERIFY2(f->message.contains(QLatin1String("40 stages/s")), qPrintable(f->message));
            QVERIFY2(f->advice.contains(QLatin1String("domains.tbb.queue")), qPrintable(f->advice));
            QVERIFY(f->fromS < 0.2 && f->toS > 3.9);
        }
    }

    void rejectedSeverityFollowsTheShare_data()
    {
        QTest::addColumn<int>("rejectedPerFrame");
        QTest::addColumn<int>("servedPerFrame");
        QTest::addColumn<int>("severity");
        QTest::newRow("a trickle: load shedding") << 1 << 100 << int(Severity::Info);
        QTest::newRow("most refused") << 30 << 10 << int(Severity::Warning);
    }

    void rejectedSeverityFollowsTheShare()
    {
        QFETCH(int, rejectedPerFrame);
        QFETCH(int, servedPerFrame);
        QFETCH(int, severity);
        Diagnoser d;
        d.reset(syntheticScenario(), 64);
        for (int i = 0; i < 40; ++i) {
            Frame f = frameAt(i);
            DomainFrame &t = dom(f, DomainKind::Threads);
            t.done = std::uint64_t(i * servedPerFrame);
            t.rejected = std::uint64_t(std::min(i, 19) * rejectedPerFrame);
            if (i > 0 && i < 20)
                t.rejectedTop[0] = KeyCount { 0, 0, rejectedPerFrame };
            d.addFrame(f);
        }
        QCOMPARE(spans(d.findings()), QStringList { QStringLiteral("rejected 0.05-0.95") });
        const Finding &f = d.findings().front();
        QCOMPARE(int(f.severity), severity);
        QCOMPARE(f.className, QStringLiteral("web"));
        QVERIFY2(f.message.contains(QString::number(19 * rejectedPerFrame) + QStringLiteral(" stages rejected")),
            qPrintable(f.message));
        QVERIFY2(f.advice.contains(QLatin1String("web.fetch")), qPrintable(f.advice));
    }

    void serializationShareOverTheWindow_data()
    {
        QTest::addColumn<double>("ipcPerStageMs");
        QTest::addColumn<bool>("fires");
        QTest::newRow("60 %") << 3.0 << true;
        QTest::newRow("20 %") << 1.0 << false;
    }

    void serializationShareOverTheWindow()
    {
        QFETCH(double, ipcPerStageMs);
        QFETCH(bool, fires);
        Diagnoser d;
        d.reset(syntheticScenario(), 64);
        for (int i = 0; i < 40; ++i) {
            Frame f = frameAt(i);
            f.classes[0].procsStages = std::uint64_t(i);
            f.classes[0].procsServiceMs = 5.0 * i;
            f.classes[0].procsIpcMs = ipcPerStageMs * i;
            d.addFrame(f);
        }
        const Finding *f = find(d.findings(), QStringLiteral("serialization"));
        QVERIFY2((f != nullptr) == fires, qPrintable(describe(d.findings())));
        if (f) {
            QCOMPARE(f->className, QStringLiteral("web"));
            QCOMPARE(f->domain, std::optional(DomainKind::Procs));
            QVERIFY2(f->message.contains(QLatin1String("60 %")), qPrintable(f->message));
            QVERIFY2(f->advice.contains(QLatin1String("transfer: shm"))
                    && f->advice.contains(QLatin1String("web.render payload_in 1MiB")),
                qPrintable(f->advice));
        }
    }

    void gilContentionNeedsWaitersForASecond_data()
    {
        QTest::addColumn<bool>("gil");
        QTest::addColumn<int>("waiting");
        QTest::addColumn<int>("frames");
        QTest::addColumn<bool>("fires");
        QTest::newRow("3 waiting for 2 s") << true << 3 << 40 << true;
        QTest::newRow("1 waiting for 0.3 s: a 1 s mean of 0.3") << true << 1 << 6 << false;
        QTest::newRow("nobody waiting") << true << 0 << 40 << false;
        QTest::newRow("GIL off") << false << 3 << 40 << false;
    }

    void gilContentionNeedsWaitersForASecond()
    {
        QFETCH(bool, gil);
        QFETCH(int, waiting);
        QFETCH(int, frames);
        QFETCH(bool, fires);
        Diagnoser d;
        d.reset(syntheticScenario(), 2);
        for (int i = 0; i < 60; ++i) {
            Frame f = frameAt(i);
            f.gil = gil;
            if (i < frames) {
                f.gilWaiting = waiting;
                f.classes[1].gilWaitP99Ms = 12;
            }
            d.addFrame(f);
        }
        const Finding *f = find(d.findings(), QStringLiteral("gil_contention"));
        QCOMPARE(f != nullptr, fires);
        if (f) {
            QCOMPARE(f->className, syntheticScenario().classes[1].name);
            QVERIFY2(f->message.contains(QStringLiteral("3.0 threads waited")), qPrintable(f->message));
            QVERIFY2(f->advice.contains(QStringLiteral("to procs")), qPrintable(f->advice));
        }
    }

    void slaWindowMustStayAboveForASecond()
    {
        Diagnoser d;
        d.reset(syntheticScenario(), 64);
        for (int i = 0; i < 80; ++i) {
            Frame f = frameAt(i);
            f.classes[0].p99Ms = i >= 10 && i < 25 ? 90 : 5; // 0.75 s: not sustained
            f.classes[1].p99Ms = i >= 40 && i < 70 ? 90 : 5; // 1.5 s
            d.addFrame(f);
        }
        QCOMPARE(spans(d.findings()), QStringList { QStringLiteral("sla 2.00-3.45") });
        QCOMPARE(d.findings().front().className, QStringLiteral("tick"));
        QVERIFY(!d.findings().front().domain);
    }

    void findingsAreBounded()
    {
        Diagnoser d;
        d.reset(syntheticScenario(), 64);
        // A lag spike every 1.5 s: each one its own finding, many more than the bound.
        const int spikes = int(Diagnoser::kMaxFindings) + 50;
        int i = 0;
        for (int s = 0; s < spikes; ++s)
            for (int k = 0; k < 30; ++k, ++i) {
                Frame f = frameAt(i);
                f.loopLagMs = k == 0 || (s == spikes - 1 && k == 5) ? 500 : 0;
                d.addFrame(f);
            }
        QCOMPARE(d.findings().size(), Diagnoser::kMaxFindings);
        // The oldest were dropped, and the open one still grows (its index followed the drop).
        QCOMPARE(d.findings().front().fromS, 50 * 1.5);
        QCOMPARE(d.findings().back().fromS, (spikes - 1) * 1.5);
        QCOMPARE(d.findings().back().toS, (spikes - 1) * 1.5 + 0.25);
    }

    // DESIGN §15, live: a counter seen below the updates done opens lost_updates at that frame (an
    // update in flight, seen before it is counted, does not), and a lock wait that timed out opens
    // lock_timeout at once; each stays one finding as the counts grow, and finish() completes them
    // with the run's totals rather than adding a second one.
    void lockEventsAreFoundLive()
    {
        const auto s = test::scenarioFromYaml(R"(
name: ledger
domains: { threads: { workers: 2 }, procs: { workers: 2 } }
classes:
  - name: teller
    arrival: { process: constant, rate: 10/s }
    stages: [ { name: post, work: block, time: 1ms, domain: threads, update: ledger, lock: { name: ledger, scope: thread } } ]
  - name: batch
    arrival: { process: constant, rate: 10/s }
    stages: [ { name: post, work: block, time: 1ms, domain: procs, update: ledger, lock: { name: ledger, scope: thread } } ]
)");
        QVERIFY(s);
        Diagnoser d;
        d.reset(*s, 4);
        const auto lockFrame = [](std::uint64_t done, std::uint64_t seen, std::uint64_t timeouts) {
            LockFrame l;
            l.acquisitions = done;
            l.updatesExpected = done;
            l.updatesSeen = seen;
            l.timeouts = timeouts;
            l.topWaiter = KeyCount { 1, 0, 2000 };
            l.waiterDomain = int(DomainKind::Procs);
            return l;
        };
        RunResult r;
        r.scenario = *s;
        for (int i = 0; i < 40; ++i) {
            Frame f = frameAt(i);
            // In flight until frame 10 (seen ahead of done), lost from frame 10, one timeout at 30.
            const std::uint64_t done = std::uint64_t(10 * i);
            const std::uint64_t seen = i < 10 ? done + 2 : done - std::uint64_t(i - 9);
            f.locks.push_back(lockFrame(done, seen, i >= 30 ? 1 : 0));
            const bool changed = d.addFrame(f);
            if (i == 9)
                QVERIFY2(d.findings().empty(), qPrintable(describe(d.findings())));
            if (i == 10) {
                QVERIFY(changed);
                const Finding *lost = find(d.findings(), QStringLiteral("lost_updates"));
                QVERIFY2(lost, qPrintable(describe(d.findings())));
                QCOMPARE(lost->fromS, 0.5);
                QVERIFY2(lost->message.contains(QLatin1String("100 updates done, 99 seen: 1 lost")),
                    qPrintable(lost->message));
                QVERIFY2(lost->advice.contains(QLatin1String("a thread lock does not guard worker processes")),
                    qPrintable(lost->advice));
                QCOMPARE(lost->className, QStringLiteral("teller"));
            }
            if (i == 30) {
                const Finding *timeout = find(d.findings(), QStringLiteral("lock_timeout"));
                QVERIFY2(timeout, qPrintable(describe(d.findings())));
                QCOMPARE(timeout->fromS, 1.5);
                QCOMPARE(timeout->className, QStringLiteral("batch")); // the top waiter meanwhile
            }
            r.frames.push_back(f);
        }
        QCOMPARE(d.findings().size(), std::size_t(2));
        QVERIFY2(find(d.findings(), QStringLiteral("lost_updates"))->message.contains(QLatin1String("30 lost")),
            qPrintable(describe(d.findings())));

        // The totals: a few more updates lost after the last frame, and the timeout's reason.
        r.durationS = 2.0;
        r.classes.resize(2);
        r.classes[0].name = QStringLiteral("teller");
        r.classes[1].name = QStringLiteral("batch");
        r.classes[1].failureReasons[QStringLiteral("lock timeout: possible deadlock: waited 2000 ms for lock 'ledger' "
                                                   "(held by teller.post on threads)")]
            = 1;
        LockResult l;
        l.name = QStringLiteral("ledger");
        l.counter = true;
        l.updatesExpected = 400;
        l.updatesSeen = 365;
        l.timeouts = 1;
        r.locks.push_back(l);
        d.finish(r);
        QCOMPARE(spans(d.findings()),
            (QStringList { QStringLiteral("lost_updates 0.50-2.00"), QStringLiteral("lock_timeout 1.50-2.00") }));
        QVERIFY2(find(d.findings(), QStringLiteral("lost_updates"))->message.contains(QLatin1String("35 lost")),
            qPrintable(describe(d.findings())));
        const Finding *timeout = find(d.findings(), QStringLiteral("lock_timeout"));
        QVERIFY2(timeout->message.contains(QLatin1String("e.g. lock timeout: possible deadlock: waited 2000 ms")),
            qPrintable(timeout->message));
        QCOMPARE(timeout->className, QStringLiteral("batch"));
    }

    void diagnoseFinishAddsTheTotals()
    {
        RunResult r;
        r.scenario = syntheticScenario();
        r.durationS = 2.0;
        for (int i = 0; i < 40; ++i)
            r.frames.push_back(frameAt(i));
        r.classes.resize(2);
        r.classes[0].name = QStringLiteral("web");
        r.classes[0].slaP99Ms = 1.0; // a fixed empty histogram reports P99 0 ms: no breach...
        r.classes[1].name = QStringLiteral("tick");
        r.classes[1].failureReasons[QStringLiteral("worker crashed: SIGABRT")] = 2;
        DomainResult &procs = r.domains[std::size_t(DomainKind::Procs)];
        procs.kind = DomainKind::Procs;
        procs.used = true;
        procs.totals.crashes = 2; // ...but crashes the frames never saw come from the totals
        const std::vector<Finding> f = diagnose(r, 4);
        QCOMPARE(spans(f), QStringList { QStringLiteral("worker_crash 0.00-2.00") });
        QCOMPARE(f.front().className, QStringLiteral("tick"));
        QVERIFY2(f.front().message.contains(QLatin1String("2 worker crashes")), qPrintable(f.front().message));
    }

    // little: a domain whose mean queue (L) and arrival rate × mean wait (λW) disagree by more than
    // 10 % is an error; it needs enough stages, a queue that held something, and nearly every
    // admitted stage started (the ones dropped while queued have no wait).
    void littleFlagsABrokenMeasurement_data()
    {
        QTest::addColumn<double>("queueMean");
        QTest::addColumn<int>("admitted");
        QTest::addColumn<int>("started");
        QTest::addColumn<bool>("fires");
        // 2000 stages over 10 s waiting 5 ms each: λW = 200/s × 5 ms = 1.0.
        QTest::newRow("L = 4 against λW = 1") << 4.0 << 2000 << 2000 << true;
        QTest::newRow("L = 0.8 against λW = 1: 20 % apart") << 0.8 << 2000 << 2000 << true;
        QTest::newRow("L = 1.05: 5 % apart") << 1.05 << 2000 << 2000 << false;
        QTest::newRow("L = 1: consistent") << 1.0 << 2000 << 2000 << false;
        QTest::newRow("too few stages") << 4.0 << 400 << 400 << false;
        QTest::newRow("10 % never started") << 4.0 << 2200 << 2000 << false;
    }
    void littleFlagsABrokenMeasurement()
    {
        QFETCH(double, queueMean);
        QFETCH(int, admitted);
        QFETCH(int, started);
        QFETCH(bool, fires);
        RunResult r;
        r.scenario = syntheticScenario();
        r.durationS = 10.0;
        DomainResult &threads = r.domains[std::size_t(DomainKind::Threads)];
        threads.kind = DomainKind::Threads;
        threads.used = true;
        DomainTotals &t = threads.totals;
        t.workers = 2;
        t.spanNs = 10e9;
        t.admitted = std::uint64_t(admitted);
        t.queueMean = queueMean;
        t.queueNs = queueMean * t.spanNs;
        LatencyHistogram wait, service;
        const double perStage = 1.0 / 200; // λW = 1 when 2000 stages arrive over 10 s
        for (int i = 0; i < started; ++i) {
            wait.record(std::int64_t(perStage * 1e9 * 2000 / admitted));
            service.record(4'000'000);
        }
        t.wait = wait.snapshot();
        t.service = service.snapshot();
        const std::vector<Finding> f = diagnose(r, 4);
        const Finding *little = find(f, QStringLiteral("little"));
        QCOMPARE(bool(little), fires);
        if (!little)
            return;
        QCOMPARE(little->severity, Severity::Error);
        QCOMPARE(little->domain, std::optional<DomainKind>(DomainKind::Threads));
        QVERIFY2(little->message.contains(QLatin1String("measurement is broken")), qPrintable(little->message));
        QVERIFY(!little->advice.isEmpty());
    }

    // On a real run Little's law holds whatever the machine does to the service times: it is the
    // engine's own bookkeeping. M/M/2 at U ≈ 0.85 keeps a queue of about 4, so the check is made.
    void littleHoldsOnARealRun()
    {
        const auto scenario = test::scenarioFromYaml(R"(
name: little
duration: 2.5s
seed: 3
domains:
  threads: { workers: 2 }
classes:
  - name: req
    arrival: { process: poisson, rate: 340/s }
    stages:
      - { name: call, work: block, time: exp(5ms), domain: threads }
)");
        QVERIFY(scenario);
        EngineRun run(*scenario);
        QVERIFY2(run.start(), qPrintable(run.error()));
        QVERIFY(run.waitFinished(kFinishBoundMs));
        const RunResult r = run.engine().result();
        const DomainTheory t = domainTheory(r, DomainKind::Threads, 2);
        const QString figures = QStringLiteral("L %1, λW %2 (λ %3/s, W %4 ms), started %5 of %6")
                                    .arg(t.littleL)
                                    .arg(t.littleLambdaW)
                                    .arg(t.input.arrivalRate)
                                    .arg(t.measuredWaitMeanS * 1e3)
                                    .arg(t.started)
                                    .arg(t.admitted);
        QVERIFY2(t.started >= Diagnoser::kLittleMinStages, qPrintable(figures));
        QVERIFY2(std::max(t.littleL, t.littleLambdaW) >= Diagnoser::kLittleMinQueue, qPrintable(figures));
        QVERIFY2(t.littleMismatch <= Diagnoser::kLittleMismatch, qPrintable(figures));
        QVERIFY2(!find(diagnose(r, 2), QStringLiteral("little")), qPrintable(describe(diagnose(r, 2))));
    }

    // --- real runs ------------------------------------------------------------------
    void rulesOnRealRuns_data();
    void rulesOnRealRuns();
};

void TestDiagnostics::rulesOnRealRuns_data()
{
    QTest::addColumn<QByteArray>("yaml");
    QTest::addColumn<int>("cores"); // the oversubscription rule's core count: never the machine's
    QTest::addColumn<QStringList>("expected"); // "rule|domain|class|text in message or advice"
    QTest::addColumn<QStringList>("silent"); // rules that must not fire

    const QStringList allRules { QStringLiteral("queue_depth"), QStringLiteral("unbounded_queue"),
        QStringLiteral("rejected"), QStringLiteral("loop_lag"), QStringLiteral("oversubscription"),
        QStringLiteral("serialization"), QStringLiteral("sla"), QStringLiteral("worker_crash"),
        QStringLiteral("gil_contention"), QStringLiteral("little"), QStringLiteral("lock_contention"),
        QStringLiteral("lost_updates"), QStringLiteral("lock_timeout") };

    // Blocking waits on a one-slot tbb arena at 3× its capacity, no backpressure.
    QTest::newRow("misrouted blocking class")
        << QByteArray(R"(
name: misrouted
duration: 2.5s
seed: 1
domains:
  tbb: { workers: 1 }
classes:
  - name: io
    arrival: { process: constant, rate: 300/s }
    stages:
      - { name: wait, work: block, time: 10ms, domain: tbb }
)") << 2
        << QStringList { QStringLiteral("queue_depth|tbb|io|route io.wait to threads"),
               QStringLiteral("unbounded_queue|tbb|io|domains.tbb.queue") }
        << QStringList { QStringLiteral("loop_lag"), QStringLiteral("rejected"), QStringLiteral("oversubscription"),
               QStringLiteral("worker_crash") };

    // The same overload against a bounded queue that refuses: backpressure, not unbounded growth.
    QTest::newRow("overload with reject")
        << QByteArray(R"(
name: shedding
duration: 2s
seed: 1
domains:
  tbb: { workers: 1, queue: 10, on_full: reject }
classes:
  - name: io
    arrival: { process: constant, rate: 300/s }
    stages:
      - { name: wait, work: block, time: 10ms, domain: tbb }
)") << 2 << QStringList { QStringLiteral("rejected|tbb|io|io.wait") }
        << QStringList { QStringLiteral("unbounded_queue"), QStringLiteral("loop_lag") };

    // Under 30 % load everywhere, with room in every SLA: nothing to say.
    QTest::newRow("healthy") << QByteArray(R"(
name: healthy
duration: 2s
seed: 2
sla: { p99: 500ms }
domains:
  threads: { workers: 2, queue: 100, on_full: reject }
  tbb: { workers: 1 }
classes:
  - name: io
    arrival: { process: constant, rate: 20/s }
    stages:
      - { name: wait, work: block, time: 10ms, domain: threads, update: n, lock: { name: n, scope: process } }
  - name: calc
    arrival: { process: constant, rate: 20/s }
    stages:
      - { name: sum, work: cpu, time: 2ms, domain: tbb }
  - name: tick
    arrival: { process: constant, rate: 20/s }
    stages:
      - { name: wait, work: async, time: 1ms, domain: loop }
)") << 2 << QStringList() << allRules;

    // DESIGN §15, one run for two rules: a process lock `hot` that batch.post holds 8 ms at a time on
    // procs while teller.post on threads queues for it (lock_contention names both and their
    // domains), and a counter `ledger` updated from threads and procs under a thread lock, which
    // guards only the engine's threads (lost_updates).
    QTest::newRow("lock contention and lost updates")
        << QByteArray(R"(
name: locks
duration: 2s
seed: 5
domains:
  threads: { workers: 4 }
  procs: { workers: 2 }
classes:
  - name: teller
    arrival: { process: poisson, rate: 100/s }
    stages:
      - { name: post, work: block, time: 2ms, domain: threads, lock: { name: hot, scope: process } }
      - { name: count, work: block, time: 4ms, domain: threads, update: ledger, lock: { name: ledger, scope: thread } }
  - name: batch
    arrival: { process: poisson, rate: 40/s }
    stages:
      - { name: post, work: block, time: 8ms, domain: procs, lock: { name: hot, scope: process } }
      - { name: count, work: block, time: 4ms, domain: procs, update: ledger, lock: { name: ledger, scope: thread } }
)") << 2
        << QStringList { QStringLiteral("lock_contention|threads|teller|teller.post on threads on batch.post on procs"),
               QStringLiteral("lost_updates||teller|a thread lock does not guard worker processes") }
        << QStringList { QStringLiteral("lock_timeout"), QStringLiteral("worker_crash"),
               QStringLiteral("unbounded_queue") };

    // Two classes take two locks in opposite order: a real deadlock, broken by the lock timeout.
    QTest::newRow("opposite-order deadlock")
        << QByteArray(R"(
name: deadlock
duration: 1s
seed: 3
domains:
  threads: { workers: 4 }
classes:
  - name: ab
    arrival: { process: constant, rate: 20/s }
    stages:
      - { name: move, work: block, time: 20ms, domain: threads,
          lock: [ { name: a, scope: thread, timeout: 200ms }, { name: b, scope: thread, timeout: 200ms } ] }
  - name: ba
    arrival: { process: constant, rate: 20/s }
    stages:
      - { name: move, work: block, time: 20ms, domain: threads,
          lock: [ { name: b, scope: thread, timeout: 200ms }, { name: a, scope: thread, timeout: 200ms } ] }
)") << 2 << QStringList { QStringLiteral("lock_timeout|||possible deadlock") }
        << QStringList { QStringLiteral("lost_updates"), QStringLiteral("worker_crash") };

    // A 300 ms blocking call on the loop, a few times a second, next to a timer class.
    const char *blockingLoop = R"(
name: blocking loop
duration: 2s
seed: 3
starvation: { threshold: 100ms }
domains:
  threads: { workers: 2 }
classes:
  - name: report
    arrival: { process: constant, rate: 2/s }
    stages:
      - { name: read, work: block, time: 300ms, domain: %1 }
  - name: tick
    arrival: { process: constant, rate: 20/s }
    stages:
      - { name: wait, work: async, time: 1ms, domain: loop }
)";
    QTest::newRow("blocking call on the loop")
        << QString::fromLatin1(blockingLoop).arg(QStringLiteral("loop")).toUtf8() << 2
        << QStringList { QStringLiteral("loop_lag|loop|report|report.read (") } << QStringList();
    // Issue 18: 4 ms CPU stages fill about 92 % of the loop (230/s), so heartbeats queue behind
    // them; no single stage holds the loop near the threshold, yet the lag is theirs.
    QTest::newRow("many short stages on the loop") << QByteArray(R"(
name: busy loop
duration: 2.5s
seed: 8
starvation: { threshold: 20ms }
classes:
  - name: hog
    arrival: { process: poisson, rate: 230/s }
    stages:
      - { name: burn, work: cpu, time: 4ms, domain: loop }
  - name: tick
    arrival: { process: constant, rate: 20/s }
    stages:
      - { name: wait, work: async, time: 1ms, domain: loop }
)") << 2 << QStringList { QStringLiteral("loop_lag|loop|hog|kept the loop busy") }
                                                   << QStringList();
    QTest::newRow("blocking call on threads")
        << QString::fromLatin1(blockingLoop).arg(QStringLiteral("threads")).toUtf8() << 2 << QStringList()
        << QStringList { QStringLiteral("loop_lag"), QStringLiteral("queue_depth") };

    // Two pools of CPU workers, both busy: 2 cpu stages at once on (a pretended) 1 core; then the
    // same pools lightly loaded on 2 cores, where at most 2 can ever run.
    const char *cpuPools = R"(
name: cpu pools
duration: 2s
seed: 4
domains:
  threads: { workers: 1 }
  tbb: { workers: 1 }
classes:
  - name: hash
    arrival: { process: constant, rate: %1/s }
    stages:
      - { name: digest, work: cpu, time: 20ms, domain: threads }
  - name: crunch
    arrival: { process: constant, rate: %1/s }
    stages:
      - { name: sum, work: cpu, time: 20ms, domain: tbb }
)";
    QTest::newRow("oversubscribed") << QString::fromLatin1(cpuPools).arg(150).toUtf8() << 1
                                    << QStringList { QStringLiteral("oversubscription|||at most 1") } << QStringList();
    QTest::newRow("cpu within the cores") << QString::fromLatin1(cpuPools).arg(10).toUtf8() << 2 << QStringList()
                                          << QStringList { QStringLiteral("oversubscription") };

    // A tiny CPU stage behind an 8 MiB payload copied through the socket, then the same class with
    // a small payload and real work; a class that crashes its worker now and then.
    const char *procs = R"(
name: procs
duration: 2s
seed: 5
domains:
  procs: { workers: 1, transfer: copy }
classes:
  - name: ship
    arrival: { process: constant, rate: 20/s }
    stages:
      - { name: pack, work: cpu, time: %1, payload_in: %2, domain: procs }
)";
    QTest::newRow("serialization-bound")
        << QString::fromLatin1(procs).arg(QStringLiteral("200us"), QStringLiteral("8MiB")).toUtf8() << 2
        << QStringList { QStringLiteral("serialization|procs|ship|transfer: shm") }
        << QStringList { QStringLiteral("worker_crash") };
    QTest::newRow("work-bound procs")
        << QString::fromLatin1(procs).arg(QStringLiteral("10ms"), QStringLiteral("1KiB")).toUtf8() << 2 << QStringList()
        << QStringList { QStringLiteral("serialization"), QStringLiteral("worker_crash") };
    QTest::newRow("crashing worker") << QByteArray(R"(
name: crashes
duration: 2s
seed: 6
domains:
  procs: { workers: 1 }
classes:
  - name: risky
    arrival: { process: constant, rate: 20/s }
    stages:
      - { name: run, work: cpu, time: 1ms, crash: 0.25, domain: procs }
)") << 2 << QStringList { QStringLiteral("worker_crash|procs|risky|crashes") }
                                     << QStringList();

    // 50 ms of blocking work against a 10 ms SLA.
    QTest::newRow("sla broken") << QByteArray(R"(
name: slow
duration: 2s
seed: 7
domains:
  threads: { workers: 4 }
classes:
  - name: slow
    arrival: { process: constant, rate: 10/s }
    sla: { p99: 10ms }
    stages:
      - { name: call, work: block, time: 50ms, domain: threads }
)") << 2 << QStringList { QStringLiteral("sla||slow|SLA of 10.0 ms") }
                                << QStringList { QStringLiteral("queue_depth") };

    // CPU-bound "Python" under the GIL: four threads queue for one lock. With one thread (or the
    // same class in worker processes) nobody waits for it.
    const char *gil = R"(
name: gil
duration: 2s
seed: 3
gil: { enabled: true, switch_interval: 5ms }
domains:
  threads: { workers: %1 }
  procs: { workers: 2 }
classes:
  - name: compute
    arrival: { process: closed, clients: 6, think: 0ms }
    stages:
      - { name: step, work: cpu, time: 5ms, domain: %2 }
)";
    QTest::newRow("GIL contention") << QString::fromLatin1(gil).arg(4).arg(QStringLiteral("threads")).toUtf8() << 2
                                    << QStringList { QStringLiteral(
                                           "gil_contention|threads|compute|route compute.step to procs") }
                                    << QStringList { QStringLiteral("oversubscription") };
    QTest::newRow("GIL, one thread") << QString::fromLatin1(gil).arg(1).arg(QStringLiteral("threads")).toUtf8() << 2
                                     << QStringList() << QStringList { QStringLiteral("gil_contention") };
    QTest::newRow("GIL, procs") << QString::fromLatin1(gil).arg(4).arg(QStringLiteral("procs")).toUtf8() << 2
                                << QStringList() << QStringList { QStringLiteral("gil_contention") };
}

void TestDiagnostics::rulesOnRealRuns()
{
    QFETCH(QByteArray, yaml);
    QFETCH(int, cores);
    QFETCH(QStringList, expected);
    QFETCH(QStringList, silent);
    const auto scenario = test::scenarioFromYaml(yaml);
    QVERIFY(scenario);
    EngineRun run(*scenario, EngineOptions(0.3)); // a short drain: overloaded queues are cancelled
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const RunResult r = run.engine().result();
    const std::vector<Finding> findings = diagnose(r, cores);
    const QString all = describe(findings);

    for (const QString &e : expected) {
        const QStringList p = e.split(QLatin1Char('|'));
        QCOMPARE(p.size(), 4);
        // A rule may fire more than once (one lock_contention per lock): the expected one is
        // the finding of that rule whose text matches, else the first of the rule.
        const Finding *f = find(findings, p[0]);
        for (const Finding &x : findings)
            if (x.rule == p[0] && QString(x.message + x.advice).contains(p[3])) {
                f = &x;
                break;
            }
        QVERIFY2(f, qPrintable(QStringLiteral("%1 did not fire:\n%2").arg(p[0], all)));
        if (!p[1].isEmpty())
            QVERIFY2(f->domain && domainName(*f->domain) == p[1], qPrintable(all));
        if (!p[2].isEmpty())
            QVERIFY2(f->className == p[2], qPrintable(all));
        QVERIFY2(QString(f->message + f->advice).contains(p[3]), qPrintable(all));
        QVERIFY2(!f->message.isEmpty() && !f->advice.isEmpty(), qPrintable(all));
        // A plausible span: inside the run, and rules that need time to build start after it passed.
        QVERIFY2(f->fromS >= 0 && f->fromS <= f->toS && f->toS <= r.durationS + 0.5, qPrintable(all));
        if (p[0] == QLatin1String("queue_depth"))
            QVERIFY2(f->toS - f->fromS >= Diagnoser::kSustainedS - 0.1, qPrintable(all));
        if (p[0] == QLatin1String("unbounded_queue"))
            QVERIFY2(f->toS - f->fromS >= 0.9 * Diagnoser::kTrendWindowS, qPrintable(all));
        // The engine's own result carries the same findings (the core count aside).
        if (p[0] != QLatin1String("oversubscription"))
            QVERIFY2(find(r.findings, p[0]), qPrintable(describe(r.findings)));
    }
    for (const QString &rule : silent)
        for (const Finding &f : findings) {
            // Loop lateness no stage explains is the loaded machine's, reported as info: not a finding
            // about this scenario (a wrongly blamed stage would name a class and fail here).
            const bool machine
                = f.rule == QLatin1String("loop_lag") && f.className.isEmpty() && f.severity == Severity::Info;
            QVERIFY2(f.rule != rule || machine, qPrintable(QStringLiteral("%1 fired:\n%2").arg(rule, all)));
        }
}

QTEST_GUILESS_MAIN(TestDiagnostics)
#include "tst_diagnostics.moc"
