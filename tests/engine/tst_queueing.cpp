#include "enginetest.h"
#include "run/arrivalschedule.h"

#include <QTest>
#include <QtNumeric>

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

using namespace hs;
using hs::test::EngineRun;

namespace {

double ms(double ns)
{
    return ns / 1e6;
}

/// M/M/c figures from Erlang C: the probability that an arrival finds all `c` servers busy, and the mean wait.
struct ErlangC {
    double pWait = 0;
    double waitS = 0;
};

/// For arrivals at `lambda` per second and a mean service of `serviceS` seconds; nullopt when overloaded.
std::optional<ErlangC> erlangC(int c, double lambda, double serviceS)
{
    const double a = lambda * serviceS; // offered load in servers
    if (a >= c)
        return std::nullopt;
    double term = 1; // a^k / k!
    double sum = 0;
    for (int k = 0; k < c; ++k) {
        sum += term;
        term *= a / (k + 1);
    }
    const double top = term * c / (c - a); // a^c / c! x 1 / (1 - ρ)
    const double pWait = top / (sum + top);
    return ErlangC { pWait, pWait * serviceS / (c - a) }; // Wq = C / (cμ - λ)
}

struct PathFigures {
    std::size_t tasks = 0;
    double meanWaitS = 0;
    double pWait = 0;
    double meanServiceS = 0;
    double maxServiceS = 0;
    int maxQueue = 0; ///< most tasks waiting at once, seen at an arrival
};

/**
 * Replays the scenario's own seeded arrivals and service times through an ideal FCFS queue with `servers`
 * servers (the Kiefer-Wolfowitz recursion): the waits this very sample path implies, free of any real-time
 * effect. `extraServiceS` is added to every service, to model a fixed overhead per stage.
 */
PathFigures replayFcfs(const Scenario &s, int servers, double extraServiceS = 0)
{
    ArrivalSchedule schedule(s, 0);
    std::vector<double> freeAt(std::size_t(servers), 0.0);
    PathFigures p;
    std::size_t waited = 0;
    std::vector<double> starts; // FCFS: non-decreasing
    std::size_t started = 0; // tasks in `starts` that have started by the current arrival
    for (;;) {
        const double t = schedule.next();
        if (!(t < s.duration))
            break;
        const double service = schedule.planTask().front().time + extraServiceS;
        auto server = std::min_element(freeAt.begin(), freeAt.end());
        const double start = std::max(t, *server);
        waited += *server > t ? 1 : 0;
        while (started < starts.size() && starts[started] <= t)
            ++started;
        p.maxQueue = std::max(p.maxQueue, int(starts.size() - started));
        starts.push_back(start);
        p.meanWaitS += start - t;
        p.meanServiceS += service;
        p.maxServiceS = std::max(p.maxServiceS, service);
        *server = start + service;
        ++p.tasks;
    }
    if (p.tasks) {
        p.meanWaitS /= double(p.tasks);
        p.meanServiceS /= double(p.tasks);
        p.pWait = double(waited) / double(p.tasks);
    }
    return p;
}

} // namespace

class TestQueueing : public QObject {
    Q_OBJECT

private slots:
    void cpuOnTheLoopStallsIt_data();
    void cpuOnTheLoopStallsIt();
    void mm2MatchesErlangC();
};

void TestQueueing::cpuOnTheLoopStallsIt_data()
{
    QTest::addColumn<QByteArray>("domain");
    QTest::addColumn<bool>("stalls");
    QTest::newRow("on loop") << QByteArray("loop") << true;
    QTest::newRow("on tbb") << QByteArray("tbb") << false;
}

void TestQueueing::cpuOnTheLoopStallsIt()
{
    QFETCH(QByteArray, domain);
    QFETCH(bool, stalls);
    // 30 ms of CPU 30 times a second: 90 % of a core. On the loop, the first 10 ms heartbeat due inside a
    // burst fires when the burst ends, 20-30 ms late, and the beats it covered are skipped: nearly every beat
    // is that late (P50 ~25 ms, P99 ~30 ms on a quiet machine, far more when the machine is loaded and the
    // loop falls behind). On tbb the loop thread has nothing to do but beat, so its lateness is the
    // scheduler's wake-up latency.
    const auto s = test::scenarioFromYaml(QByteArray("name: hog\n"
                                                     "duration: 5s\n"
                                                     "seed: 7\n"
                                                     "starvation: { threshold: 20ms, heartbeat: 10ms }\n"
                                                     "domains:\n"
                                                     "  tbb: { workers: 2 }\n"
                                                     "classes:\n"
                                                     "  - name: hog\n"
                                                     "    arrival: { process: constant, rate: 30/s }\n"
                                                     "    stages:\n"
                                                     "      - { name: burn, work: cpu, time: 30ms, domain: $domain }\n")
                                              .replace("$domain", domain));
    QVERIFY(s);
    EngineRun run(*s);
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(run.waitFinished(30'000)); // 5 s, plus up to 5 s of drain when a loaded machine fell behind
    const RunResult r = run.engine().result();
    QVERIFY2(r.conserved(), qPrintable(test::countsText(r)));
    const DomainKind where = stalls ? DomainKind::Loop : DomainKind::Tbb;
    const double p50 = ms(r.loopLag.percentile(0.5));
    const double p90 = ms(r.loopLag.percentile(0.9));
    const double p99 = ms(r.loopLag.percentile(0.99));
    qInfo().noquote() << QStringLiteral("hog on %1: %2 bursts in %3 s; loop lag over %4 beats: p50 %5 ms, p90 %6 ms, "
                                        "p99 %7 ms, max %8 ms")
                             .arg(QLatin1String(domain))
                             .arg(r.domains[std::size_t(where)].totals.completed)
                             .arg(r.durationS, 0, 'f', 1)
                             .arg(r.loopLag.count())
                             .arg(p50)
                             .arg(p90)
                             .arg(p99)
                             .arg(ms(double(r.loopLag.max())));
    // The hog really ran where it was routed, and only there (150 bursts offered in 5 s; a loaded machine
    // finishes fewer before the drain ends, as thread CPU time comes slowly: 51 with three busy loops beside).
    const DomainKind elsewhere = stalls ? DomainKind::Tbb : DomainKind::Loop;
    QVERIFY2(r.domains[std::size_t(where)].totals.completed >= 20, qPrintable(test::countsText(r)));
    QCOMPARE(r.domains[std::size_t(elsewhere)].totals.completed, std::uint64_t(0));
    QVERIFY(!r.loopLag.isEmpty());
    if (stalls) {
        // (Not the median: when a loaded machine makes the hog fall behind, the loop never idles and beats
        // come seconds apart, so there are only a handful.)
        QVERIFY2(p99 > 20, qPrintable(QStringLiteral("loop lag p99 %1 ms").arg(p99)));
    } else {
        // On a quiet machine P99 stays under 5 ms here. Under CI load it does not, whatever the routing: an
        // idle loop measured 4-9 ms P99 and the hog on tbb 6-21 ms P99 while other builds ran (load ~6 on
        // two cores), with P50 0.1-1.3 ms and P90 2.7-10 ms. The median and P90 separate the two rows
        // under any load: with the hog on the loop they are ~25 ms and ~29 ms or more.
        QVERIFY2(p50 < 5, qPrintable(QStringLiteral("loop lag p50 %1 ms").arg(p50)));
        QVERIFY2(p90 < 20, qPrintable(QStringLiteral("loop lag p90 %1 ms").arg(p90)));
        QVERIFY2(r.loopLag.count() >= 400, qPrintable(QString::number(r.loopLag.count()))); // beats kept coming
    }
}

void TestQueueing::mm2MatchesErlangC()
{
    // M/M/2: λ = 150/s, service exp(10 ms) (μ = 100/s), c = 2; a = λ/μ = 1.5, ρ = 0.75.
    // Erlang C: P(wait) = 0.643, mean wait Wq = P(wait) / (cμ - λ) = 12.86 ms.
    constexpr double lambda = 150;
    constexpr double serviceS = 0.010;
    constexpr int servers = 2;
    const ErlangC theory = *erlangC(servers, lambda, serviceS);
    QVERIFY(std::abs(theory.pWait - 0.6429) < 1e-3 && std::abs(theory.waitS - 12.857e-3) < 1e-5);

    // Run length. Waits in a queue at ρ = 0.75 are strongly correlated from one task to the next, so the
    // error of a run's mean wait is far above the naive sd/sqrt(n) (18.7 ms / sqrt(4500) = 2 %). Simulating
    // M/M/2 300 times per length gives the sd of the mean wait over independent runs: 35 % at 5 s,
    // 17 % at 30 s, 13 % at 40 s (P(wait): 0.055, 0.024, 0.019). With a fresh seed each time, a ±15 % band
    // would fail about a third of 30 s runs (a quarter at 40 s); an sd of 5 % takes ~330 s.
    // That sampling error is not run-to-run noise here: the seed fixes the arrivals and the service times,
    // so every run replays the same sample path. replayFcfs() computes what that path implies in an ideal
    // FCFS queue; seed 2 (the built-in scenario's) over 30 s gives 12.18 ms and 0.650, checked below so
    // that a change to the random streams that made the path unrepresentative fails loudly instead of
    // flickering. What varies between runs is the real-time overhead the machine adds to each service:
    // 0.1-0.16 ms on a calm machine (+4-7 % wait), up to 0.8 ms at load 8 on two cores (+50 %: the queue
    // really is longer then). Every run is checked against the path with its own overhead and against
    // Erlang C for the service it really had; against the textbook 12.9 ms and 0.64 when that overhead is
    // below 3 %.
    const auto s = test::scenarioFromYaml("name: mm2\n"
                                          "duration: 30s\n"
                                          "seed: 2\n"
                                          "domains:\n"
                                          "  threads: { workers: 2 }\n"
                                          "classes:\n"
                                          "  - name: request\n"
                                          "    arrival: { process: poisson, rate: 150/s }\n"
                                          "    stages:\n"
                                          "      - { name: serve, work: block, time: exp(10ms), domain: threads }\n");
    QVERIFY(s);
    const PathFigures path = replayFcfs(*s, servers);
    qInfo().noquote() << QStringLiteral("Erlang C: wait %1 ms, P(wait) %2; seeded path: %3 tasks, wait %4 ms, "
                                        "P(wait) %5, service %6 ms, queue max %7")
                             .arg(1e3 * theory.waitS)
                             .arg(theory.pWait)
                             .arg(path.tasks)
                             .arg(1e3 * path.meanWaitS)
                             .arg(path.pWait)
                             .arg(1e3 * path.meanServiceS)
                             .arg(path.maxQueue);
    QVERIFY(std::abs(path.meanWaitS - theory.waitS) < 0.06 * theory.waitS);
    QVERIFY(std::abs(path.pWait - theory.pWait) < 0.03);

    // A machine that stalls the process for half a second adds ~17 ms to this run's mean wait (the backlog
    // of 75 tasks takes 1.5 s to clear). While other builds ran (CPU pressure ~90 %), about one 30 s run in
    // six had such a stall (a worker woke 160 ms late, the queue reached 50, the mean wait 25 ms), and at
    // load 10 on two cores stalls of 0.5-1.8 s came in most runs. A stall shows plainly: the monitor's
    // frames stop, a service overshoots its plan, the generator loses the last arrivals, the queue grows
    // past the path's own worst. Then, and only then, the run is repeated (at most three runs, ~95 s, inside
    // the 180 s ctest timeout); the checks apply to the last run, so an engine that misbehaves every time
    // fails. If even the last run was stalled by the machine (not merely a long queue, which the engine
    // could cause) and its figures are off, the test is skipped with the evidence instead of failing.
    constexpr int kAttempts = 3;
    for (int attempt = 1; attempt <= kAttempts; ++attempt) {
        EngineRun run(*s);
        QVERIFY2(run.start(), qPrintable(run.error()));
        QVERIFY(run.waitFinished(50'000)); // 30 s of run and a short drain
        const RunResult r = run.engine().result();
        QVERIFY2(r.conserved(), qPrintable(test::countsText(r)));
        QCOMPARE(r.completed(), r.submitted());
        QVERIFY2(r.submitted() <= path.tasks, qPrintable(test::countsText(r)));

        const DomainTotals &t = r.domains[std::size_t(DomainKind::Threads)].totals;
        const double waitS = t.wait.mean() / 1e9;
        const double measuredServiceS = t.service.mean() / 1e9;
        const double overheadS = std::max(0.0, measuredServiceS - path.meanServiceS);
        // What the same path gives when every service carries the run's overhead, and what Erlang C gives
        // for the service the run really had.
        const PathFigures loaded = replayFcfs(*s, servers, overheadS);
        const std::optional<ErlangC> delivered = erlangC(servers, lambda, measuredServiceS);
        double gapMs = 0;
        int queueMax = 0;
        for (std::size_t i = 0; i < r.frames.size(); ++i) {
            if (i > 0)
                gapMs = std::max(gapMs, 1e3 * (r.frames[i].t - r.frames[i - 1].t));
            queueMax = std::max(queueMax, r.frames[i].domains[std::size_t(DomainKind::Threads)].queue);
        }
        const double overshootMs = ms(double(t.service.max())) - 1e3 * path.maxServiceS;
        const std::uint64_t lost = path.tasks - r.submitted();
        qInfo().noquote() << QStringLiteral("run %1: wait %2 ms (p99 %3, max %4), P(wait) %5, service %6 ms (%7 ms "
                                            "over plan, max %8 ms over), utilization %9; frames: largest gap %10 ms, "
                                            "queue max %11 (path %12); arrivals lost at the end: %13")
                                 .arg(attempt)
                                 .arg(1e3 * waitS)
                                 .arg(ms(t.wait.percentile(0.99)))
                                 .arg(ms(double(t.wait.max())))
                                 .arg(t.pWait)
                                 .arg(1e3 * measuredServiceS)
                                 .arg(1e3 * overheadS)
                                 .arg(overshootMs)
                                 .arg(t.utilization)
                                 .arg(gapMs)
                                 .arg(queueMax)
                                 .arg(path.maxQueue)
                                 .arg(lost);
        qInfo().noquote() << QStringLiteral("run %1 expects: path with this overhead %2 ms, P(wait) %3; Erlang C for "
                                            "this service %4 ms, P(wait) %5")
                                 .arg(attempt)
                                 .arg(1e3 * loaded.meanWaitS)
                                 .arg(loaded.pWait)
                                 .arg(delivered ? 1e3 * delivered->waitS : qInf())
                                 .arg(delivered ? delivered->pWait : 1.0);
        // Frames are 50 ms apart and a worker sleeps to an absolute deadline: a 250 ms gap or a 50 ms
        // oversleep is the machine. Arrivals lost at the end mean the generator ran late. 15 more queued than
        // the path ever had is a 100 ms standstill at 150/s.
        const bool machineStalled = gapMs > 250 || overshootMs > 50 || lost > 3 || !delivered;
        const bool disturbed = machineStalled || queueMax > path.maxQueue + 15;
        if (disturbed && attempt < kAttempts) {
            qInfo("run %d was disturbed; running again", attempt);
            continue;
        }
        // Faithful measurement: the same path, with the overhead the engine really had, predicts what it saw:
        // within 2-6 % and 0.01 on a calm machine. Under heavy load the wake-up of an idle worker (counted as
        // wait, not service), uneven overheads and arrivals bunched by a late generator added up to 16 % and
        // 0.03 in runs that showed no stall.
        const bool matchesPath
            = std::abs(waitS - loaded.meanWaitS) <= 0.20 * loaded.meanWaitS && std::abs(t.pWait - loaded.pWait) <= 0.05;
        // Queueing truth: Erlang C for the service delivered, and the textbook figures when that was the plan.
        // (A loaded machine bunches arrivals, which Erlang C does not know: P(wait) came 0.049 above it with
        // three busy loops running beside the test, hence 0.06 there.)
        const auto near = [&](const ErlangC &e, double pWaitTolerance) {
            return std::abs(waitS - e.waitS) <= 0.15 * e.waitS && std::abs(t.pWait - e.pWait) <= pWaitTolerance;
        };
        const bool asPlanned = overheadS < 0.03 * serviceS;
        const bool matchesTheory = delivered && near(*delivered, 0.06) && (!asPlanned || near(theory, 0.05));
        if (machineStalled && !(matchesPath && matchesTheory))
            QSKIP("the machine stalled all three runs (see the figures above): queueing cannot be measured now");
        QVERIFY2(matchesPath,
            qPrintable(QStringLiteral("wait %1 ms, P(wait) %2; the path with this overhead: %3 ms, %4")
                           .arg(1e3 * waitS)
                           .arg(t.pWait)
                           .arg(1e3 * loaded.meanWaitS)
                           .arg(loaded.pWait)));
        QVERIFY2(delivered && near(*delivered, 0.06),
            qPrintable(QStringLiteral("wait %1 ms, P(wait) %2; Erlang C for a %3 ms service: %4 ms, %5")
                           .arg(1e3 * waitS)
                           .arg(t.pWait)
                           .arg(1e3 * measuredServiceS)
                           .arg(delivered ? 1e3 * delivered->waitS : qInf())
                           .arg(delivered ? delivered->pWait : 1.0)));
        if (asPlanned)
            QVERIFY2(near(theory, 0.05),
                qPrintable(QStringLiteral("wait %1 ms, P(wait) %2; Erlang C: %3 ms, %4")
                               .arg(1e3 * waitS)
                               .arg(t.pWait)
                               .arg(1e3 * theory.waitS)
                               .arg(theory.pWait)));
        else
            qInfo("the machine added %.2f ms to each service: the textbook figures (12.9 ms, 0.64) do not apply",
                1e3 * overheadS);
        break;
    }
}

QTEST_GUILESS_MAIN(TestQueueing)
#include "tst_queueing.moc"
