// The procs domain inside the engine: payloads under both transfers, every fault of issue 3, live
// resize and shutdown. Each test is bounded, checks conservation, and (in cleanup) that no worker
// process, zombie or shared-memory segment is left.

#include "enginetest.h"
#include "results/report.h"
#include "scenario/builtins.h"
#include "scenario/scenarioparser.h"
#include "testutil.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <csignal>
#include <unistd.h>

using namespace hs;
using hs::test::EngineRun;

namespace {

constexpr int kFinishBoundMs = 60'000;
constexpr int kStepBoundMs = 20'000;

std::optional<Scenario> parse(const QByteArray &yaml)
{
    QString error;
    auto s = test::scenarioFromYaml(yaml, &error);
    if (!s)
        qWarning().noquote() << error;
    return s;
}

std::vector<pid_t> childPids()
{
    return hs::test::childPids(::getpid());
}

QStringList ourSegments()
{
    return hs::test::shmSegmentsOf(::getpid());
}

const DomainTotals &procs(const RunResult &r)
{
    return r.domains[std::size_t(DomainKind::Procs)].totals;
}

const ClassResult &cls(const RunResult &r, const QString &name)
{
    for (const ClassResult &c : r.classes)
        if (c.name == name)
            return c;
    qFatal("no class %s", qPrintable(name));
}

const DomainFrame &procsFrame(const Frame &f)
{
    return f.domains[std::size_t(DomainKind::Procs)];
}

QString describe(const RunResult &r)
{
    QString s = test::countsText(r);
    for (const ClassResult &c : r.classes)
        s += QStringLiteral("\n  %1: %2").arg(c.name, test::reasonsText(c));
    const DomainTotals &p = procs(r);
    s += QStringLiteral("\n  procs: crashes %1, restarts %2").arg(p.crashes).arg(p.restarts);
    for (const RunEvent &e : r.events)
        s += QStringLiteral("\n  %1 s: %2").arg(e.t, 0, 'f', 3).arg(e.label);
    return s;
}

EngineOptions withWorkerArgs(const QStringList &args)
{
    EngineOptions o;
    o.workerArgs = args;
    return o;
}

#define VERIFY_CONSERVED(r) QVERIFY2((r).conserved() && (r).doubleEnds == 0, qPrintable(describe(r)))

} // namespace

class TestProcs : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanup();

    void transfers_data();
    void transfers();
    void killedMidTask();
    void crashes_data();
    void crashes();
    void deathWhileIdleFailsNothing();
    void idleDeathsNeverBreakThePool();
    void badReplies_data();
    void badReplies();
    void crashLoopMarksPoolUnavailable();
    void launchFailed_data();
    void launchFailed();
    void timeoutEscalates_data();
    void timeoutEscalates();
    void liveResize();
    void cancelMidStageLeavesNothing();
    void defaultScenarioRunsOnProcs();
};

void TestProcs::initTestCase()
{
    QVERIFY2(QFileInfo(qEnvironmentVariable("HS_WORKER")).isExecutable(),
        "HS_WORKER must name the built hybridscope-worker (ctest sets it)");
    QVERIFY(childPids().empty());
}

void TestProcs::cleanup()
{
    // finished() comes after the domains stopped: by then every worker must be reaped.
    const auto kids = childPids();
    QVERIFY2(kids.empty(), qPrintable(QStringLiteral("%1 child processes left").arg(kids.size())));
    QVERIFY2(ourSegments().isEmpty(), qPrintable(ourSegments().join(QLatin1Char(' '))));
}

void TestProcs::transfers_data()
{
    QTest::addColumn<QString>("transfer");
    QTest::addColumn<QString>("size");
    for (const char *t : { "copy", "shm" })
        for (const char *size : { "0B", "64KiB", "16MiB" })
            QTest::addRow("%s %s", t, size) << QString::fromLatin1(t) << QString::fromLatin1(size);
}

void TestProcs::transfers()
{
    QFETCH(QString, transfer);
    QFETCH(QString, size);
    // procs → threads: the bytes the worker made travel on to the next domain. With verifyPayloads
    // every transfer is checksummed on both sides; a mismatch would fail the stage. Two closed-loop
    // clients keep it going at whatever pace 16 MiB payloads allow on a loaded machine (under ASan on
    // two busy cores that can be a single task in the run's second).
    const auto s
        = parse(QStringLiteral("name: transfer\n"
                               "duration: 1s\n"
                               "seed: 3\n"
                               "domains:\n"
                               "  procs: { workers: 2, transfer: %1 }\n"
                               "classes:\n"
                               "  - name: move\n"
                               "    arrival: { process: closed, clients: 2, think: 50ms }\n"
                               "    stages:\n"
                               "      - { name: crunch, work: cpu, time: 1ms, payload_in: %2, payload_out: %2, "
                               "domain: procs }\n"
                               "      - { name: store, work: block, time: 1ms, payload_in: %2, domain: threads }\n")
                    .arg(transfer, size)
                    .toUtf8());
    QVERIFY(s);
    EngineOptions opts;
    opts.verifyPayloads = true;
    // Checksumming 16 MiB on both sides of every hop takes seconds in a sanitized build: the drain
    // waits for the tasks in flight (it returns as soon as they end), rather than cancelling them.
    opts.drainSeconds = 40;
    EngineRun run(*s, opts);
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const RunResult r = run.engine().result();
    VERIFY_CONSERVED(r);
    const ClassResult &c = cls(r, QStringLiteral("move"));
    QVERIFY2(c.submitted >= 1, qPrintable(describe(r)));
    QVERIFY2(c.completed == c.submitted, qPrintable(describe(r)));
    // Every procs stage recorded its serialization + transfer time.
    QCOMPARE(c.ipc.count(), c.submitted);
    QCOMPARE(procs(r).completed, c.submitted);
    QCOMPARE(procs(r).crashes, std::uint64_t(0));
}

void TestProcs::killedMidTask()
{
    // One worker, one client running 1 s stages back to back. The worker is surely up once a task has
    // completed, and the next stage starts right after: 300 ms later it is mid-task.
    const auto s = parse("name: kill\n"
                         "duration: 3.5s\n"
                         "seed: 5\n"
                         "domains:\n"
                         "  procs: { workers: 1 }\n"
                         "classes:\n"
                         "  - name: long\n"
                         "    arrival: { process: closed, clients: 1, think: 0s }\n"
                         "    stages:\n"
                         "      - { name: wait, work: block, time: 1s, domain: procs }\n");
    QVERIFY(s);
    EngineRun run(*s);
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(QTest::qWaitFor([&] { return run.engine().result().classes.front().completed >= 1; }, kStepBoundMs));
    QTest::qWait(300);
    const auto kids = childPids();
    QCOMPARE(kids.size(), std::size_t(1));
    QCOMPARE(::kill(kids.front(), SIGKILL), 0);
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const RunResult r = run.engine().result();
    VERIFY_CONSERVED(r);
    const ClassResult &c = cls(r, QStringLiteral("long"));
    // Only the task on the killed worker failed, with a reason a person can read; the replacement ran the next ones.
    QVERIFY2(
        c.failed == 1 && test::reasonCount(c, QStringLiteral("worker crashed: SIGKILL")) == 1, qPrintable(describe(r)));
    QVERIFY2(c.completed >= 2, qPrintable(describe(r)));
    QCOMPARE(procs(r).crashes, std::uint64_t(1));
    QCOMPARE(procs(r).restarts, std::uint64_t(1));
}

void TestProcs::crashes_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QString>("reason");
    QTest::newRow("SIGSEGV") << QStringLiteral("segv") << QStringLiteral("worker crashed: SIGSEGV");
    QTest::newRow("abort") << QStringLiteral("abort") << QStringLiteral("worker crashed: SIGABRT");
    QTest::newRow("exit mid-task") << QStringLiteral("exit3") << QStringLiteral("worker exited with code 3");
}

void TestProcs::crashes()
{
    QFETCH(QString, mode);
    QFETCH(QString, reason);
    // Exactly one task carries `crash: 1` (one closed-loop client that then thinks for longer than the
    // run); bystanders share the same two workers.
    const auto s = parse("name: crash\n"
                         "duration: 1.5s\n"
                         "seed: 9\n"
                         "domains:\n"
                         "  procs: { workers: 2 }\n"
                         "classes:\n"
                         "  - name: victim\n"
                         "    arrival: { process: closed, clients: 1, think: 100s }\n"
                         "    stages:\n"
                         "      - { name: boom, work: block, time: 300ms, crash: 1, domain: procs }\n"
                         "  - name: bystander\n"
                         "    arrival: { process: constant, rate: 20/s }\n"
                         "    stages:\n"
                         "      - { name: work, work: cpu, time: 5ms, domain: procs }\n");
    QVERIFY(s);
    EngineRun run(*s, withWorkerArgs({ QStringLiteral("--selftest-crash=") + mode }));
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const RunResult r = run.engine().result();
    VERIFY_CONSERVED(r);
    const ClassResult &victim = cls(r, QStringLiteral("victim"));
    const ClassResult &bystander = cls(r, QStringLiteral("bystander"));
    QVERIFY2(
        victim.submitted == 1 && victim.failed == 1 && test::reasonCount(victim, reason) == 1, qPrintable(describe(r)));
    QVERIFY2(bystander.failed == 0 && bystander.completed == bystander.submitted && bystander.submitted >= 20,
        qPrintable(describe(r)));
    QCOMPARE(procs(r).crashes, std::uint64_t(1));
    QCOMPARE(procs(r).restarts, std::uint64_t(1));
    const bool seen = std::any_of(r.events.begin(), r.events.end(),
        [&](const RunEvent &e) { return e.label == QStringLiteral("procs: ") + reason; });
    QVERIFY2(seen, "the crash is on the run's timeline");
}

void TestProcs::deathWhileIdleFailsNothing()
{
    const auto s = parse("name: idle death\n"
                         "duration: 3.5s\n"
                         "seed: 11\n"
                         "domains:\n"
                         "  procs: { workers: 2 }\n"
                         "classes:\n"
                         "  - name: slow\n"
                         "    arrival: { process: closed, clients: 1, think: 1s }\n"
                         "    stages:\n"
                         "      - { name: tick, work: block, time: 5ms, domain: procs }\n");
    QVERIFY(s);
    EngineRun run(*s);
    QVERIFY2(run.start(), qPrintable(run.error()));
    // After the second completion (a second into the run, both workers long ready) the client thinks
    // for a second: both workers are idle.
    QVERIFY(QTest::qWaitFor([&] { return run.engine().result().classes.front().completed >= 2; }, kStepBoundMs));
    const auto kids = childPids();
    QCOMPARE(kids.size(), std::size_t(2));
    for (pid_t p : kids)
        QCOMPARE(::kill(p, SIGKILL), 0);
    const bool replacedBoth = QTest::qWaitFor(
        [&] { return procs(run.engine().result()).restarts == 2 && childPids().size() == 2; }, kStepBoundMs);
    QVERIFY2(replacedBoth,
        qPrintable(describe(run.engine().result()) + QStringLiteral(", children %1").arg(childPids().size())));
    const auto replaced = childPids();
    for (pid_t p : kids)
        QVERIFY(std::find(replaced.begin(), replaced.end(), p) == replaced.end());
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const RunResult r = run.engine().result();
    VERIFY_CONSERVED(r);
    QVERIFY2(r.failed() == 0 && r.classes.front().completed >= 3, qPrintable(describe(r)));
    QCOMPARE(procs(r).crashes, std::uint64_t(2));
    QCOMPARE(procs(r).restarts, std::uint64_t(2));
}

void TestProcs::idleDeathsNeverBreakThePool()
{
    // One stage every 1.5 s; in between, all eight workers are idle and get killed, twice: sixteen
    // deaths with no stage served between them within a second. Each costs a restart, never a stage:
    // the crash-loop breaker is for workers that fail stages or cannot start, not for idle ones.
    const auto s = parse("name: idle deaths\n"
                         "duration: 4s\n"
                         "seed: 19\n"
                         "domains:\n"
                         "  procs: { workers: 8 }\n"
                         "classes:\n"
                         "  - name: slow\n"
                         "    arrival: { process: closed, clients: 1, think: 1.5s }\n"
                         "    stages:\n"
                         "      - { name: tick, work: block, time: 5ms, domain: procs }\n");
    QVERIFY(s);
    EngineRun run(*s);
    QVERIFY2(run.start(), qPrintable(run.error()));
    auto ended = [&] {
        const ClassResult c = run.engine().result().classes.front();
        return c.completed + c.failed;
    };
    QVERIFY(QTest::qWaitFor([&] { return ended() >= 1; }, kStepBoundMs));
    std::uint64_t killed = 0;
    for (int round = 0; round < 2; ++round) {
        const auto kids = childPids();
        for (pid_t p : kids)
            killed += ::kill(p, SIGKILL) == 0 ? 1 : 0;
        // Every death seen (a worker killed while idle is counted as a crash).
        QVERIFY2(QTest::qWaitFor([&] { return procs(run.engine().result()).crashes == killed; }, kStepBoundMs),
            qPrintable(describe(run.engine().result())));
        // The one that had served a stage is replaced at once (the others when a stage needs them);
        // the next round kills that replacement too, once it said hello.
        if (round == 0)
            QVERIFY2(QTest::qWaitFor([&] { return procs(run.engine().result()).restarts >= 1; }, kStepBoundMs),
                qPrintable(describe(run.engine().result())));
    }
    QVERIFY(killed >= 9);
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const RunResult r = run.engine().result();
    VERIFY_CONSERVED(r);
    // The stages after the kills ran in new workers: none failed, the pool never became unavailable.
    QVERIFY2(r.failed() == 0 && r.classes.front().completed >= 3, qPrintable(describe(r)));
    const bool broke = std::any_of(r.events.begin(), r.events.end(),
        [](const RunEvent &e) { return e.label.contains(QLatin1String("pool unavailable")); });
    QVERIFY2(!broke, qPrintable(describe(r)));
    QVERIFY2(procs(r).restarts >= 2, qPrintable(describe(r)));
}

void TestProcs::badReplies_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QString>("reason");
    QTest::addColumn<bool>("crash");
    QTest::newRow("bad magic") << QStringLiteral("--selftest-garbage=magic")
                               << QStringLiteral("protocol error: bad magic") << false;
    // Nearly 4 GiB claimed, 8 MiB expected: refused from the header, nothing allocated.
    QTest::newRow("oversized") << QStringLiteral("--selftest-garbage=oversized")
                               << QStringLiteral("protocol error: a reply claims 4294967280 payload bytes") << false;
    QTest::newRow("bad fields") << QStringLiteral("--selftest-garbage=fields")
                                << QStringLiteral("protocol error: truncated frame") << false;
    // 8 MiB is far beyond the socket buffer: the worker dies halfway through writing it.
    QTest::newRow("dies mid-result") << QStringLiteral("--selftest-die-mid-result")
                                     << QStringLiteral("worker crashed: SIGKILL") << true;
}

void TestProcs::badReplies()
{
    QFETCH(QString, mode);
    QFETCH(QString, reason);
    QFETCH(bool, crash);
    // The run outlasts the replacement's launch (tens of milliseconds; a few hundred under a sanitizer) by far.
    const auto s = parse("name: bad replies\n"
                         "duration: 1.2s\n"
                         "seed: 12\n"
                         "domains:\n"
                         "  procs: { workers: 1, transfer: copy }\n"
                         "classes:\n"
                         "  - name: one\n"
                         "    arrival: { process: closed, clients: 1, think: 100s }\n"
                         "    stages:\n"
                         "      - { name: make, work: block, time: 10ms, payload_out: 8MiB, domain: procs }\n");
    QVERIFY(s);
    EngineRun run(*s, withWorkerArgs({ mode }));
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const RunResult r = run.engine().result();
    VERIFY_CONSERVED(r);
    const ClassResult &c = r.classes.front();
    QVERIFY2(c.submitted == 1 && c.failed == 1, qPrintable(describe(r)));
    QVERIFY2(c.failureReasons.firstKey().startsWith(reason), qPrintable(describe(r)));
    // The worker was killed (or died) and replaced; only a death on its own counts as a crash.
    QCOMPARE(procs(r).crashes, std::uint64_t(crash ? 1 : 0));
    QCOMPARE(procs(r).restarts, std::uint64_t(1));
}

void TestProcs::crashLoopMarksPoolUnavailable()
{
    const auto s = parse("name: crash loop\n"
                         "duration: 2s\n"
                         "seed: 13\n"
                         "domains:\n"
                         "  procs: { workers: 2 }\n"
                         "classes:\n"
                         "  - name: doomed\n"
                         "    arrival: { process: constant, rate: 40/s }\n"
                         "    stages:\n"
                         "      - { name: boom, work: block, time: 20ms, crash: 1, domain: procs }\n"
                         "  - name: elsewhere\n"
                         "    arrival: { process: constant, rate: 20/s }\n"
                         "    stages:\n"
                         "      - { name: work, work: block, time: 2ms, domain: threads }\n");
    QVERIFY(s);
    QElapsedTimer t;
    t.start();
    EngineRun run(*s);
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const RunResult r = run.engine().result();
    VERIFY_CONSERVED(r);
    const ClassResult &doomed = cls(r, QStringLiteral("doomed"));
    std::uint64_t crashed = 0;
    std::uint64_t unavailable = 0;
    for (auto it = doomed.failureReasons.cbegin(); it != doomed.failureReasons.cend(); ++it) {
        if (it.key() == QLatin1String("worker crashed: SIGABRT"))
            crashed += it.value();
        else if (it.key().startsWith(QLatin1String("pool unavailable: ")))
            unavailable += it.value();
    }
    // Five restarts are allowed in 10 s; the sixth failure breaks the pool (a second worker may crash
    // on a stage it already had). Everything after fails fast.
    QVERIFY2(crashed >= 6 && crashed <= 7, qPrintable(describe(r)));
    QVERIFY2(unavailable > 0 && crashed + unavailable == doomed.submitted, qPrintable(describe(r)));
    QVERIFY2(procs(r).restarts <= 5 && procs(r).crashes == crashed, qPrintable(describe(r)));
    // Other domains are not affected, and nothing hung: the run ended with its duration.
    const ClassResult &elsewhere = cls(r, QStringLiteral("elsewhere"));
    QVERIFY2(elsewhere.completed == elsewhere.submitted, qPrintable(describe(r)));
    QVERIFY2(t.elapsed() < 15000, qPrintable(QString::number(t.elapsed())));
    const bool said = std::any_of(r.events.begin(), r.events.end(),
        [](const RunEvent &e) { return e.label.startsWith(QLatin1String("procs: pool unavailable")); });
    QVERIFY(said);
}

void TestProcs::launchFailed_data()
{
    QTest::addColumn<QString>("program");
    QTest::addColumn<QString>("why");
    QTest::newRow("missing") << QStringLiteral("/nonexistent/hybridscope-worker")
                             << QStringLiteral("No such file or directory");
    QTest::newRow("not executable") << QString() << QStringLiteral("Permission denied");
}

void TestProcs::launchFailed()
{
    QFETCH(QString, program);
    QFETCH(QString, why);
    QTemporaryDir dir;
    if (program.isEmpty()) {
        program = dir.filePath(QStringLiteral("hybridscope-worker"));
        QFile f(program);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("not a program\n");
        f.close();
    }
    const auto s = parse("name: no worker\n"
                         "duration: 1s\n"
                         "seed: 17\n"
                         "domains:\n"
                         "  procs: { workers: 2, transfer: shm }\n"
                         "classes:\n"
                         "  - name: orphan\n"
                         "    arrival: { process: constant, rate: 20/s }\n"
                         "    stages:\n"
                         "      - { name: work, work: cpu, time: 1ms, payload_in: 1KiB, domain: procs }\n"
                         "  - name: fine\n"
                         "    arrival: { process: constant, rate: 20/s }\n"
                         "    stages:\n"
                         "      - { name: work, work: block, time: 1ms, domain: threads }\n");
    QVERIFY(s);
    EngineOptions opts;
    opts.workerPath = program;
    EngineRun run(*s, opts);
    QVERIFY2(run.start(), qPrintable(run.error())); // the run goes on; the stages routed to procs fail
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const RunResult r = run.engine().result();
    VERIFY_CONSERVED(r);
    const ClassResult &orphan = cls(r, QStringLiteral("orphan"));
    QVERIFY2(orphan.submitted >= 15 && orphan.failed == orphan.submitted, qPrintable(describe(r)));
    QVERIFY2(test::reasonCount(orphan, QStringLiteral("launch failed")) == orphan.failed, qPrintable(describe(r)));
    QVERIFY2(test::reasonCount(orphan, why) == orphan.failed, qPrintable(describe(r)));
    const ClassResult &fine = cls(r, QStringLiteral("fine"));
    QVERIFY2(fine.completed == fine.submitted, qPrintable(describe(r)));
}

void TestProcs::timeoutEscalates_data()
{
    QTest::addColumn<bool>("ignoreSigterm");
    QTest::newRow("worker obeys SIGTERM") << false;
    QTest::newRow("worker ignores SIGTERM") << true;
}

void TestProcs::timeoutEscalates()
{
    QFETCH(bool, ignoreSigterm);
    // The stuck stage reaches procs after a second on threads, when its worker is long ready: the
    // timeout (counted from admission) then hits a running stage, not one still waiting for a worker.
    const auto s = parse("name: timeout\n"
                         "duration: 3s\n"
                         "seed: 21\n"
                         "domains:\n"
                         "  procs: { workers: 1 }\n"
                         "classes:\n"
                         "  - name: stuck\n"
                         "    arrival: { process: closed, clients: 1, think: 100s }\n"
                         "    stages:\n"
                         "      - { name: before, work: block, time: 1s, domain: threads }\n"
                         "      - { name: hang, work: block, time: 30s, timeout: 200ms, domain: procs }\n"
                         "  - name: later\n"
                         "    arrival: { process: constant, rate: 4/s }\n"
                         "    stages:\n"
                         "      - { name: work, work: block, time: 10ms, domain: procs }\n");
    QVERIFY(s);
    EngineRun run(*s,
        withWorkerArgs(ignoreSigterm ? QStringList { QStringLiteral("--selftest-ignore-sigterm") } : QStringList {}));
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(QTest::qWaitFor([&] { return childPids().size() == 1; }, kStepBoundMs));
    const pid_t first = childPids().front();
    QVERIFY(
        QTest::qWaitFor([&] { return cls(run.engine().result(), QStringLiteral("stuck")).failed == 1; }, kStepBoundMs));
    QElapsedTimer sinceTimeout;
    sinceTimeout.start();
    auto alive = [&] {
        const auto kids = childPids();
        return std::find(kids.begin(), kids.end(), first) != kids.end();
    };
    QVERIFY(QTest::qWaitFor([&] { return !alive(); }, kStepBoundMs));
    const qint64 gone = sinceTimeout.elapsed();
    if (ignoreSigterm) // SIGTERM at the timeout did nothing: SIGKILL came 500 ms later
        QVERIFY2(gone >= 300, qPrintable(QString::number(gone)));
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const RunResult r = run.engine().result();
    VERIFY_CONSERVED(r);
    const ClassResult &stuck = cls(r, QStringLiteral("stuck"));
    QVERIFY2(stuck.failed == 1 && stuck.failureReasons.value(QStringLiteral("timeout")) == 1, qPrintable(describe(r)));
    const ClassResult &later = cls(r, QStringLiteral("later"));
    QVERIFY2(later.completed == later.submitted && later.submitted >= 8, qPrintable(describe(r)));
    QCOMPARE(procs(r).crashes, std::uint64_t(0)); // killed on purpose: not a crash
    QCOMPARE(procs(r).restarts, std::uint64_t(1));
}

void TestProcs::liveResize()
{
    const auto s = parse("name: resize\n"
                         "duration: 3s\n"
                         "seed: 27\n"
                         "domains:\n"
                         "  procs: { workers: 1, transfer: shm }\n"
                         "classes:\n"
                         "  - name: steady\n"
                         "    arrival: { process: constant, rate: 60/s }\n"
                         "    stages:\n"
                         "      - { name: work, work: block, time: 20ms, payload_in: 8KiB, payload_out: 8KiB, "
                         "domain: procs }\n");
    QVERIFY(s);
    EngineRun run(*s);
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(run.waitUntil(0.5, kStepBoundMs));
    QCOMPARE(childPids().size(), std::size_t(1));
    QVERIFY(run.engine().resize(DomainKind::Procs, 3));
    // Growing spawns at once.
    QVERIFY(QTest::qWaitFor([&] { return childPids().size() == 3; }, kStepBoundMs));
    QVERIFY(run.waitUntil(1.5, kStepBoundMs));
    QVERIFY(run.engine().resize(DomainKind::Procs, 1));
    // Shrinking retires workers after their current stage.
    QVERIFY(QTest::qWaitFor([&] { return childPids().size() == 1; }, kStepBoundMs));
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const RunResult r = run.engine().result();
    VERIFY_CONSERVED(r);
    QVERIFY2(r.failed() == 0 && r.completed() == r.submitted(), qPrintable(describe(r)));
    QCOMPARE(procs(r).workers, 1);
    QCOMPARE(procs(r).restarts, std::uint64_t(0));
    const auto frames = run.engine().frames();
    QVERIFY(std::any_of(frames.begin(), frames.end(), [](const Frame &f) { return procsFrame(f).workers == 3; }));
}

void TestProcs::cancelMidStageLeavesNothing()
{
    const auto s = parse("name: cancel\n"
                         "seed: 31\n"
                         "domains:\n"
                         "  procs: { workers: 2, transfer: shm }\n"
                         "classes:\n"
                         "  - name: long\n"
                         "    arrival: { process: constant, rate: 10/s }\n"
                         "    stages:\n"
                         "      - { name: wait, work: block, time: 5s, payload_in: 1MiB, domain: procs }\n");
    QVERIFY(s);
    EngineRun run(*s);
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(run.waitUntil(0.5, kStepBoundMs));
    QElapsedTimer t;
    t.start();
    run.engine().cancelNow();
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const RunResult r = run.engine().result();
    VERIFY_CONSERVED(r);
    // Stages run 5 s; cancelling ends them now (their workers are terminated).
    QVERIFY2(t.elapsed() < 4000, qPrintable(QString::number(t.elapsed())));
    QVERIFY2(r.cancelled() > 2 && r.completed() == 0, qPrintable(describe(r)));
}

void TestProcs::defaultScenarioRunsOnProcs()
{
    ParseResult parsed = ScenarioParser::parseFile(builtinScenarioPath(QStringLiteral("default")));
    QVERIFY(parsed.ok());
    Scenario s = std::move(*parsed.scenario);
    s.duration = 1.5;
    QCOMPARE(s.domain(DomainKind::Procs).transfer, Transfer::Copy);
    QCOMPARE(s.domain(DomainKind::Procs).maxInflight, 64);
    QCOMPARE(s.domain(DomainKind::Procs).onFull, OnFull::Block);
    EngineRun run(s);
    QCOMPARE(run.engine().routeOf(QStringLiteral("crunch.hash")), DomainKind::Procs);
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const RunResult r = run.engine().result();
    VERIFY_CONSERVED(r);
    const ClassResult &crunch = cls(r, QStringLiteral("crunch"));
    QVERIFY2(crunch.completed > 50 && crunch.failed == 0, qPrintable(describe(r)));
    QCOMPARE(procs(r).completed, crunch.completed);
    QCOMPARE(crunch.ipc.count(), crunch.completed);

    // procs appears in the report like every domain, with crashes and restarts, and ipc_ms per class.
    const QJsonObject json = runToJson(r);
    const QJsonObject p = json[QStringLiteral("domains")][QStringLiteral("procs")].toObject();
    QCOMPARE(p[QStringLiteral("workers")].toInt(), 2);
    QCOMPARE(p[QStringLiteral("completed")].toInteger(), qint64(crunch.completed));
    QVERIFY(p.contains(QStringLiteral("crashes")) && p.contains(QStringLiteral("restarts")));
    const QJsonObject ipc
        = json[QStringLiteral("classes")][QStringLiteral("crunch")][QStringLiteral("ipc_ms")].toObject();
    QVERIFY(ipc[QStringLiteral("p50")].toDouble() > 0);
    const QJsonArray frames = json[QStringLiteral("frames")].toArray();
    QVERIFY(!frames.isEmpty());
    QVERIFY(frames.last()[QStringLiteral("domains")].toObject().contains(QStringLiteral("procs")));
}

QTEST_GUILESS_MAIN(TestProcs)
#include "tst_procs.moc"
