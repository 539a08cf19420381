// Locks and shared counters (DESIGN §15, issue 18), on real runs: a thread-scope lock does not
// guard worker processes (updates really get lost), a process-scope lock does (none lost); a worker
// killed while holding a process lock does not wedge the others (the lock is recovered); two classes
// taking two locks in opposite order deadlock for real and are reported within the lock's timeout,
// and the run still ends cleanly. Every run checks conservation and that no shared memory is left.

#include "enginetest.h"
#include "procs/sharedlocks.h"
#include "results/report.h"
#include "scenario/scenarioparser.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QTest>

#include <condition_variable>
#include <mutex>
#include <thread>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace hs;
using hs::test::EngineRun;

namespace {

// Segments this process created and left in /dev/shm (each run must remove its own).
QStringList leftoverSegments()
{
    return QDir(QStringLiteral("/dev/shm"))
        .entryList({ QStringLiteral("hybridscope-%1-*").arg(::getpid()) }, QDir::Files | QDir::System);
}

const LockResult *lockNamed(const RunResult &r, const QString &name)
{
    for (const LockResult &l : r.locks)
        if (l.name == name)
            return &l;
    return nullptr;
}

std::optional<RunResult> runScenario(const QByteArray &yaml)
{
    auto s = test::scenarioFromYaml(yaml);
    if (!s)
        return std::nullopt;
    EngineRun run(*s);
    if (!run.start()) {
        qWarning() << run.error();
        return std::nullopt;
    }
    if (!run.waitFinished(20000))
        return std::nullopt;
    RunResult r = run.engine().result();
    for (const LockResult &l : r.locks)
        qInfo("%s: acquisitions %llu, contended %llu, timeouts %llu, recovered %llu, wait p99 %.2f ms max %.2f ms, "
              "updates expected %llu, seen %llu",
            qPrintable(l.name), (unsigned long long)l.acquisitions, (unsigned long long)l.contended,
            (unsigned long long)l.timeouts, (unsigned long long)l.recovered, l.wait.percentile(0.99) / 1e6,
            double(l.wait.max()) / 1e6, (unsigned long long)l.updatesExpected, (unsigned long long)l.updatesSeen);
    return r;
}

QString lockText(const LockResult &l)
{
    return QStringLiteral("%1: acquisitions %2, contended %3, timeouts %4, recovered %5, expected %6, seen %7")
        .arg(l.name)
        .arg(l.acquisitions)
        .arg(l.contended)
        .arg(l.timeouts)
        .arg(l.recovered)
        .arg(l.updatesExpected)
        .arg(l.updatesSeen);
}

// A ledger updated from threads and from procs under one lock of `scope`: the read–modify–write
// window is the 1 ms block, so unguarded writers overlap often.
QByteArray ledger(const char *scope)
{
    return QByteArrayLiteral("name: ledger\nduration: 1.2s\nseed: 7\n"
                             "domains: { threads: { workers: 4 }, procs: { workers: 2 } }\n"
                             "classes:\n"
                             "  - name: local\n"
                             "    arrival: { process: poisson, rate: 300/s }\n"
                             "    stages:\n"
                             "      - { name: post, work: block, time: 1ms, domain: threads, update: ledger,\n"
                             "          lock: { name: ledger, scope: ")
        + scope
        + QByteArrayLiteral(" } }\n"
                            "  - name: remote\n"
                            "    arrival: { process: poisson, rate: 300/s }\n"
                            "    stages:\n"
                            "      - { name: post, work: block, time: 1ms, domain: procs, update: ledger,\n"
                            "          lock: { name: ledger, scope: ")
        + scope + QByteArrayLiteral(" } }\n");
}

} // namespace

class TestLocks : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cleanup() { QVERIFY2(leftoverSegments().isEmpty(), qPrintable(leftoverSegments().join(u' '))); }
    void waitsOfAKilledProcessAreForgotten(); // first: it forks, before any run starts threads
    void threadLockLosesUpdatesAcrossProcs();
    void processLockLosesNothing();
    void workerKilledHoldingLockIsRecovered();
    void workerKilledWaitingIsNotCountedWaiting();
    void oppositeOrderDeadlockIsReported();
    void jsonRoundTrip();
};

// A process killed while it waits for a lock never takes its wait back; once the engine reaps it
// (forgetProcess), "waiting now" no longer counts it. A real second process: a fork that maps the
// segment by name as a worker does and waits for the process lock this test holds.
void TestLocks::waitsOfAKilledProcessAreForgotten()
{
    QString error;
    const std::unique_ptr<SharedLocks> locks = SharedLocks::create(1, &error);
    QVERIFY2(locks, qPrintable(error));
    const std::vector<LockRequest> lock { LockRequest { 0, LockScope::Process, 20'000'000'000 } };
    std::mutex m;
    std::condition_variable cv;
    bool holding = false, release = false;
    std::thread holder([&] {
        locks->run(
            lock, -1, LockKey { 0, 0, int(DomainKind::Threads) }, {},
            [&](int, int) {
                std::unique_lock lk(m);
                holding = true;
                cv.notify_all();
                cv.wait(lk, [&] { return release; });
                return WorkResult {};
            },
            nullptr);
    });
    pid_t child = -1;
    const auto cleanUp = qScopeGuard([&] {
        if (child > 0) { // a failed check left it running
            ::kill(child, SIGKILL);
            ::waitpid(child, nullptr, 0);
        }
        {
            std::lock_guard lk(m);
            release = true;
        }
        cv.notify_all();
        holder.join();
    });
    {
        std::unique_lock lk(m);
        QVERIFY(cv.wait_for(lk, std::chrono::seconds(10), [&] { return holding; }));
    }
    const QByteArray name = locks->name();
    child = ::fork();
    if (child == 0) {
        QString why;
        const std::unique_ptr<SharedLocks> mine = SharedLocks::open(name, &why);
        if (mine) // waits here until killed
            mine->run(
                lock, -1, LockKey { 1, 0, int(DomainKind::Procs) }, {}, [](int, int) { return WorkResult {}; },
                nullptr);
        ::_exit(3);
    }
    QVERIFY(child > 0);
    // The child counts itself as waiting within a bound (it only has to map the segment).
    QTRY_COMPARE_WITH_TIMEOUT(locks->waiting(0), 1, 10000);
    QCOMPARE(::kill(child, SIGKILL), 0);
    int status = 0;
    QCOMPARE(::waitpid(child, &status, 0), child);
    const pid_t dead = std::exchange(child, -1);
    QVERIFY(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    QCOMPARE(locks->waiting(0), 1); // the dead process's wait is still counted...
    locks->forgetProcess(std::int32_t(dead));
    QCOMPARE(locks->waiting(0), 0); // ...until the process is forgotten
    locks->forgetProcess(std::int32_t(::getpid())); // this process's own waits are never dropped
    locks->unlinkName();
}

// The pitfall, for real: the thread lock serializes the engine's threads, but each worker process
// has its own copy, so procs writers race with each other and with threads.
void TestLocks::threadLockLosesUpdatesAcrossProcs()
{
    const auto r = runScenario(ledger("thread"));
    QVERIFY(r);
    QVERIFY2(r->conserved(), qPrintable(test::countsText(*r)));
    const LockResult *l = lockNamed(*r, QStringLiteral("ledger"));
    QVERIFY(l);
    QCOMPARE(l->scope, std::optional<LockScope>(LockScope::Thread));
    // Every completed task did one read–modify–write.
    QCOMPARE(l->updatesExpected, r->completed());
    QVERIFY2(l->updatesExpected > 200, qPrintable(lockText(*l)));
    QVERIFY2(l->lostUpdates() > 0, qPrintable(lockText(*l)));
    QCOMPARE(l->lostUpdates(), l->updatesExpected - l->updatesSeen);
    bool finding = false;
    for (const Finding &f : r->findings)
        finding = finding || (f.rule == QLatin1String("lost_updates") && f.message.contains(QLatin1String("procs")));
    QVERIFY(finding);
}

void TestLocks::processLockLosesNothing()
{
    const auto r = runScenario(ledger("process"));
    QVERIFY(r);
    QVERIFY2(r->conserved(), qPrintable(test::countsText(*r)));
    const LockResult *l = lockNamed(*r, QStringLiteral("ledger"));
    QVERIFY(l);
    QCOMPARE(l->updatesExpected, r->completed());
    QVERIFY2(l->updatesExpected > 200, qPrintable(lockText(*l)));
    QCOMPARE(l->updatesSeen, l->updatesExpected);
    QCOMPARE(l->lostUpdates(), std::uint64_t(0));
    QCOMPARE(l->acquisitions, l->updatesExpected);
    QVERIFY2(l->contended > 0, qPrintable(lockText(*l))); // 600 stages/s of 1 ms on one lock
    for (const Finding &f : r->findings)
        QVERIFY2(f.rule != QLatin1String("lost_updates"), qPrintable(f.message));
}

// A procs worker aborts mid-stage while holding the process lock (injected crash): the next owner
// gets EOWNERDEAD, makes the lock consistent and counts it; the run goes on and ends.
void TestLocks::workerKilledHoldingLockIsRecovered()
{
    const auto r = runScenario("name: crash\nduration: 1.2s\nseed: 11\n"
                               "domains: { threads: { workers: 2 }, procs: { workers: 2 } }\n"
                               "classes:\n"
                               "  - name: local\n"
                               "    arrival: { process: constant, rate: 100/s }\n"
                               "    stages:\n"
                               "      - { name: post, work: block, time: 2ms, domain: threads, update: ledger,\n"
                               "          lock: { name: ledger, scope: process, timeout: 1s } }\n"
                               "  - name: remote\n"
                               "    arrival: { process: constant, rate: 40/s }\n"
                               "    stages:\n"
                               "      - { name: post, work: block, time: 4ms, domain: procs, crash: 0.05,\n"
                               "          update: ledger, lock: { name: ledger, scope: process, timeout: 1s } }\n");
    QVERIFY(r);
    QVERIFY2(r->conserved(), qPrintable(test::countsText(*r)));
    QCOMPARE(r->doubleEnds, std::uint64_t(0));
    const LockResult *l = lockNamed(*r, QStringLiteral("ledger"));
    QVERIFY(l);
    const std::uint64_t crashes = r->domains[std::size_t(DomainKind::Procs)].totals.crashes;
    QVERIFY2(crashes >= 1, "the seed draws crashes: the test needs at least one");
    QVERIFY2(l->recovered >= 1, qPrintable(lockText(*l)));
    QCOMPARE(l->timeouts, std::uint64_t(0)); // nobody waited for a dead holder
    // Acquisitions went on after the first recovery.
    std::uint64_t atRecovery = 0;
    for (const Frame &f : r->frames)
        if (!f.locks.empty() && f.locks.front().recovered >= 1) {
            atRecovery = f.locks.front().acquisitions;
            break;
        }
    QVERIFY2(l->acquisitions > atRecovery + 10, qPrintable(lockText(*l)));
    // A crashed holder never wrote its update: nothing is lost beyond what it never did.
    QCOMPARE(l->updatesSeen, l->updatesExpected);
}

// A procs stage whose own timeout passes while it waits for a lock: the engine terminates its
// worker mid-wait (the engine enforces a procs deadline by killing the process). Once the run has
// drained nobody waits, and the last frame says so: the killed workers' waits were forgotten.
void TestLocks::workerKilledWaitingIsNotCountedWaiting()
{
    const auto r = runScenario("name: stuck\nduration: 1.2s\nseed: 5\n"
                               "domains: { threads: { workers: 1 }, procs: { workers: 2 } }\n"
                               "classes:\n"
                               "  - name: hog\n"
                               "    arrival: { process: constant, rate: 4/s }\n"
                               "    stages:\n"
                               "      - { name: hold, work: block, time: 200ms, domain: threads,\n"
                               "          lock: { name: l, scope: process } }\n"
                               "  - name: remote\n"
                               "    arrival: { process: constant, rate: 20/s }\n"
                               "    stages:\n"
                               "      - { name: post, work: block, time: 1ms, domain: procs, timeout: 60ms,\n"
                               "          lock: { name: l, scope: process } }\n");
    QVERIFY(r);
    QVERIFY2(r->conserved(), qPrintable(test::countsText(*r)));
    QCOMPARE(r->doubleEnds, std::uint64_t(0));
    // Stages timed out waiting, so workers were killed mid-wait...
    std::uint64_t timedOut = 0;
    for (const ClassResult &c : r->classes)
        if (c.name == QLatin1String("remote"))
            timedOut = c.failureReasons.value(QStringLiteral("timeout"));
    QVERIFY2(timedOut >= 3, qPrintable(test::countsText(*r)));
    QVERIFY(r->domains[std::size_t(DomainKind::Procs)].totals.restarts >= 1);
    // ...and while it ran the frames saw them waiting, but none is left waiting at the end.
    int most = 0;
    for (const Frame &f : r->frames)
        if (!f.locks.empty())
            most = std::max(most, f.locks.front().waiting);
    QVERIFY(most >= 1);
    QVERIFY(!r->frames.empty() && !r->frames.back().locks.empty());
    QCOMPARE(r->frames.back().locks.front().waiting, 0);
}

// a then b against b then a: each class holds its first lock for 10 ms, then wants the other's.
void TestLocks::oppositeOrderDeadlockIsReported()
{
    const auto r = runScenario("name: deadlock\nduration: 1s\nseed: 3\n"
                               "domains: { threads: { workers: 4 } }\n"
                               "classes:\n"
                               "  - name: ab\n"
                               "    arrival: { process: constant, rate: 20/s }\n"
                               "    stages:\n"
                               "      - { name: move, work: block, time: 20ms, domain: threads,\n"
                               "          lock: [ { name: a, scope: thread, timeout: 300ms },\n"
                               "                  { name: b, scope: thread, timeout: 300ms } ] }\n"
                               "  - name: ba\n"
                               "    arrival: { process: constant, rate: 20/s }\n"
                               "    stages:\n"
                               "      - { name: move, work: block, time: 20ms, domain: threads,\n"
                               "          lock: [ { name: b, scope: thread, timeout: 300ms },\n"
                               "                  { name: a, scope: thread, timeout: 300ms } ] }\n");
    QVERIFY(r);
    QVERIFY2(r->conserved(), qPrintable(test::countsText(*r)));
    QCOMPARE(r->doubleEnds, std::uint64_t(0));
    std::uint64_t timeouts = 0;
    double longestWaitMs = 0;
    for (const LockResult &l : r->locks) {
        timeouts += l.timeouts;
        longestWaitMs = std::max(longestWaitMs, double(l.wait.max()) / 1e6);
    }
    QVERIFY2(timeouts >= 1, "constant arrivals at the same instants: the two classes meet in the middle");
    // Reported when the timeout passed, not later (a wait slice is at most 2 ms; a loaded machine).
    QVERIFY2(longestWaitMs >= 299 && longestWaitMs < 300 + 100, qPrintable(QString::number(longestWaitMs)));
    std::uint64_t failed = 0;
    for (const ClassResult &c : r->classes)
        failed += test::reasonCount(c, QStringLiteral("lock timeout: possible deadlock"));
    QCOMPARE(failed, timeouts);
    bool named = false;
    for (const ClassResult &c : r->classes)
        for (auto it = c.failureReasons.cbegin(); it != c.failureReasons.cend(); ++it)
            named = named || it.key().contains(QLatin1String("held by "));
    QVERIFY2(named, "the reason names the holder");
    bool finding = false;
    for (const Finding &f : r->findings)
        finding = finding || f.rule == QLatin1String("lock_timeout");
    QVERIFY(finding);
}

void TestLocks::jsonRoundTrip()
{
    RunResult r;
    auto s = test::scenarioFromYaml(ledger("process"));
    QVERIFY(s);
    r.scenario = *s;
    LockResult l;
    l.name = QStringLiteral("ledger");
    l.scope = LockScope::Process;
    l.acquisitions = 10;
    l.contended = 4;
    l.counter = true;
    l.updatesExpected = 10;
    l.updatesSeen = 9;
    LockWaitEdge e;
    e.waiterClass = 0;
    e.waiterStage = 0;
    e.waiterDomain = DomainKind::Threads;
    e.holderClass = 1;
    e.holderStage = 0;
    e.holderDomain = DomainKind::Procs;
    e.waits = 4;
    e.waitMs = 12.5;
    l.edges.push_back(e);
    r.locks.push_back(l);
    Frame frame;
    frame.t = 0.05;
    frame.classes.resize(r.scenario.classes.size());
    LockFrame lf;
    lf.acquisitions = 10;
    lf.contended = 4;
    lf.waiting = 2;
    lf.waitP99Ms = 3.5;
    lf.updatesExpected = 10;
    lf.updatesSeen = 9;
    frame.locks.push_back(lf);
    r.frames.push_back(frame);
    QJsonObject json = runToJson(r);
    const QJsonObject framed = json.value(QStringLiteral("frames"))
                                   .toArray()
                                   .first()
                                   .toObject()
                                   .value(QStringLiteral("locks"))
                                   .toObject()
                                   .value(QStringLiteral("ledger"))
                                   .toObject();
    QCOMPARE(framed.value(QStringLiteral("waiting")).toInt(), 2);
    QCOMPARE(framed.value(QStringLiteral("lost_updates")).toInt(), 1);
    const QJsonObject lj = json.value(QStringLiteral("locks")).toObject().value(QStringLiteral("ledger")).toObject();
    QCOMPARE(lj.value(QStringLiteral("scope")).toString(), QStringLiteral("process"));
    QCOMPARE(lj.value(QStringLiteral("lost_updates")).toInt(), 1);
    const QJsonObject edge = lj.value(QStringLiteral("waits_on")).toArray().first().toObject();
    QCOMPARE(edge.value(QStringLiteral("waiter")).toString(), QStringLiteral("local.post"));
    QCOMPARE(edge.value(QStringLiteral("holder_domain")).toString(), QStringLiteral("procs"));
    QJsonObject back;
    QString error;
    QVERIFY2(parseRunJson(QJsonDocument(json).toJson(), QStringLiteral("run.json"), &back, &error), qPrintable(error));
    QCOMPARE(back.value(QStringLiteral("locks")), json.value(QStringLiteral("locks")));
    // A malformed entry is refused, naming the key.
    QJsonObject locks = json.value(QStringLiteral("locks")).toObject();
    QJsonObject bad = locks.value(QStringLiteral("ledger")).toObject();
    bad[QStringLiteral("scope")] = QStringLiteral("galaxy");
    locks[QStringLiteral("ledger")] = bad;
    json[QStringLiteral("locks")] = locks;
    QVERIFY(!parseRunJson(QJsonDocument(json).toJson(), QStringLiteral("run.json"), &back, &error));
    QVERIFY2(error.contains(QLatin1String("locks.ledger.scope")), qPrintable(error));
}

QTEST_GUILESS_MAIN(TestLocks)
#include "tst_locks.moc"
