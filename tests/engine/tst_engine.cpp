#include "enginetest.h"

#include <QElapsedTimer>
#include <QTest>

#include <algorithm>
#include <cmath>

using namespace hs;
using hs::test::EngineRun;

namespace {

// Runs are 1-3.5 s each. Bounds on waiting are generous (a loaded 2-core CI machine can stall a
// process for seconds); the figures checked are chosen so that a broken engine misses them by far.
constexpr int kFinishBoundMs = 30'000;
constexpr int kStepBoundMs = 15'000;

const DomainFrame &dom(const Frame &f, DomainKind d)
{
    return f.domains[std::size_t(d)];
}

const DomainTotals &totals(const RunResult &r, DomainKind d)
{
    return r.domains[std::size_t(d)].totals;
}

double ms(double ns)
{
    return ns / 1e6;
}

/// The first frame at or after `t` seconds, or nullptr.
const Frame *frameAfter(const std::vector<Frame> &frames, double t)
{
    const auto it = std::find_if(frames.begin(), frames.end(), [t](const Frame &f) { return f.t >= t; });
    return it == frames.end() ? nullptr : &*it;
}

/// The last frame before `t` seconds, or nullptr.
const Frame *frameBefore(const std::vector<Frame> &frames, double t)
{
    const Frame *found = nullptr;
    for (const Frame &f : frames)
        if (f.t < t)
            found = &f;
    return found;
}

} // namespace

class TestEngine : public QObject {
    Q_OBJECT

private slots:
    void backpressurePolicies_data();
    void backpressurePolicies();
    void maxInflight_data();
    void maxInflight();
    void liveResize();
    void liveReassign();
    void pipelineAcrossDomains();
    void injectedFailures_data();
    void injectedFailures();
    void stageTimeout_data();
    void stageTimeout();
    void cancelNowEndsLongStages();
    void closedLoopKeepsClientsInFlight();
    void naiveLatencyHidesStalls();
    void zeroDurationRunsUntilStopped();
};

void TestEngine::backpressurePolicies_data()
{
    QTest::addColumn<QByteArray>("policy");
    QTest::newRow("reject") << QByteArray("reject");
    QTest::newRow("block") << QByteArray("block");
    QTest::newRow("drop_oldest") << QByteArray("drop_oldest");
}

void TestEngine::backpressurePolicies()
{
    QFETCH(QByteArray, policy);
    // Offered 300/s against 2 workers x 20 ms = 100/s, behind a queue of 4: three times overloaded.
    const QByteArray yaml = QByteArray("name: overload\n"
                                       "duration: 1.5s\n"
                                       "seed: 3\n"
                                       "domains:\n"
                                       "  threads: { workers: 2, queue: 4, on_full: $policy }\n"
                                       "classes:\n"
                                       "  - name: req\n"
                                       "    arrival: { process: poisson, rate: 300/s }\n"
                                       "    stages:\n"
                                       "      - { name: serve, work: block, time: 20ms, domain: threads }\n")
                                .replace("$policy", policy);
    const auto s = test::scenarioFromYaml(yaml);
    QVERIFY(s);
    EngineRun run(*s);
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const RunResult r = run.engine().result();
    const ClassResult &c = r.classes.at(0);
    const QString counts = test::countsText(r) + QStringLiteral(" | ") + test::reasonsText(c);

    QVERIFY2(r.conserved(), qPrintable(counts));
    QCOMPARE(r.doubleEnds, std::uint64_t(0));
    QCOMPARE(r.submitted(), r.completed() + r.failed() + r.rejected() + r.cancelled());
    QVERIFY2(c.completed >= 50, qPrintable(counts)); // ~150 fit in 1.5 s
    QCOMPARE(c.failed, std::uint64_t(0));
    QVERIFY2(c.cancelled == 0, qPrintable(counts)); // the drain (at most 6 x 20 ms of work) fits in 5 s

    // The queue bound holds whatever the policy.
    QVERIFY2(totals(r, DomainKind::Threads).queueMax <= 4,
        qPrintable(QString::number(totals(r, DomainKind::Threads).queueMax)));
    for (const Frame &f : r.frames)
        QVERIFY2(dom(f, DomainKind::Threads).queue <= 4, qPrintable(QStringLiteral("t=%1").arg(f.t)));

    const double offered = 300 * 1.5;
    const double p50Ms = ms(c.latency.percentile(0.5));
    const double p99Ms = ms(c.latency.percentile(0.99));
    qInfo().noquote() << policy << counts
                      << QStringLiteral("| latency p50 %1 ms p99 %2 ms max %3 ms")
                             .arg(p50Ms)
                             .arg(p99Ms)
                             .arg(ms(double(c.latency.max())));
    if (policy == "block") {
        QCOMPARE(c.rejected, std::uint64_t(0));
        // The producer was held back, yet every arrival intended before the end is handed over
        // (late), none is lost: late ones are where the latency is.
        QVERIFY2(double(c.submitted) > 0.9 * offered, qPrintable(counts));
        // Latency counts from the intended arrival, so the producer's stall shows: arrivals fall behind
        // steadily, about a second by the end. Without blocking it stays below (4 queued / 2 workers + 1) x
        // 20 ms = 60 ms.
        QVERIFY2(p50Ms > 250 && p99Ms > 500, qPrintable(QStringLiteral("p50 %1 ms, p99 %2 ms").arg(p50Ms).arg(p99Ms)));
    } else {
        // The producer never waits, so every arrival was offered...
        QVERIFY2(double(c.submitted) > 0.7 * offered, qPrintable(counts));
        // ...and about two in three were turned away.
        QVERIFY2(double(c.rejected) > 0.3 * offered, qPrintable(counts));
        const QString why = policy == "reject" ? QStringLiteral("rejected by threads") : QStringLiteral("drop_oldest");
        QVERIFY2(test::reasonCount(c, why) == c.rejected, qPrintable(counts));
        // Nobody waits long behind a bounded queue (the median, so that one stall of the machine does not count).
        QVERIFY2(p50Ms < 150, qPrintable(QStringLiteral("p50 %1 ms").arg(p50Ms)));
    }
}

void TestEngine::maxInflight_data()
{
    QTest::addColumn<QByteArray>("policy");
    QTest::newRow("reject") << QByteArray("reject");
    QTest::newRow("block") << QByteArray("block");
}

void TestEngine::maxInflight()
{
    QFETCH(QByteArray, policy);
    // Four workers, but at most three stages admitted at once: the fourth worker must stay idle.
    const QByteArray yaml = QByteArray("name: inflight\n"
                                       "duration: 1.5s\n"
                                       "seed: 4\n"
                                       "domains:\n"
                                       "  threads: { workers: 4, max_inflight: 3, on_full: $policy }\n"
                                       "classes:\n"
                                       "  - name: req\n"
                                       "    arrival: { process: poisson, rate: 300/s }\n"
                                       "    stages:\n"
                                       "      - { name: serve, work: block, time: 20ms, domain: threads }\n")
                                .replace("$policy", policy);
    const auto s = test::scenarioFromYaml(yaml);
    QVERIFY(s);
    EngineRun run(*s);
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const RunResult r = run.engine().result();
    const ClassResult &c = r.classes.at(0);
    const QString counts = test::countsText(r) + QStringLiteral(" | ") + test::reasonsText(c);
    qInfo().noquote() << policy << counts;

    QVERIFY2(r.conserved(), qPrintable(counts));
    QCOMPARE(r.submitted(), r.completed() + r.failed() + r.rejected() + r.cancelled());
    QVERIFY2(c.completed >= 50, qPrintable(counts));
    int maxInflight = 0;
    for (const Frame &f : r.frames) {
        const DomainFrame &d = dom(f, DomainKind::Threads);
        QVERIFY2(d.inflight <= 3 && d.busy <= 3,
            qPrintable(QStringLiteral("t=%1 inflight %2 busy %3").arg(f.t).arg(d.inflight).arg(d.busy)));
        maxInflight = std::max(maxInflight, d.inflight);
    }
    QCOMPARE(maxInflight, 3); // twice overloaded: the limit is reached
    // With a free worker always at hand, nothing ever queued.
    QCOMPARE(totals(r, DomainKind::Threads).queueMax, 0);
    if (policy == "reject")
        QVERIFY2(
            c.rejected > 100 && test::reasonCount(c, QStringLiteral("rejected")) == c.rejected, qPrintable(counts));
    else
        QCOMPARE(c.rejected, std::uint64_t(0));
}

void TestEngine::liveResize()
{
    // Offered load: 5 busy threads workers (250/s x 20 ms) and 3 busy tbb slots (150/s x 20 ms), so a pool's
    // completion rate is capped by its size: workers / 20 ms until it reaches the offered rate.
    // Short queues keep the final drain brief.
    const auto s = test::scenarioFromYaml("name: resize\n"
                                          "seed: 5\n"
                                          "domains:\n"
                                          "  threads: { workers: 2, queue: 20, on_full: reject }\n"
                                          "  tbb: { workers: 1, queue: 20, on_full: reject }\n"
                                          "classes:\n"
                                          "  - name: io\n"
                                          "    arrival: { process: poisson, rate: 250/s }\n"
                                          "    stages:\n"
                                          "      - { name: wait, work: block, time: 20ms, domain: threads }\n"
                                          "  - name: pool\n"
                                          "    arrival: { process: poisson, rate: 150/s }\n"
                                          "    stages:\n"
                                          "      - { name: wait, work: block, time: 20ms, domain: tbb }\n");
    QVERIFY(s);
    struct Step {
        DomainKind domain;
        int workers;
    };
    const Step steps[]
        = { { DomainKind::Threads, 8 }, { DomainKind::Tbb, 4 }, { DomainKind::Threads, 2 }, { DomainKind::Tbb, 1 },
              { DomainKind::Threads, 6 }, { DomainKind::Tbb, 3 }, { DomainKind::Threads, 1 }, { DomainKind::Tbb, 1 } };
    // A domain keeps each size for two steps, 0.6 s at least: steps are timed from the previous one, so a
    // stalled test thread cannot squeeze them together.
    const double stepSeconds = 0.3;
    EngineRun run(*s);
    QVERIFY2(run.start(), qPrintable(run.error()));
    double at = 0.3;
    for (const Step &st : steps) {
        QVERIFY(run.waitUntil(at, kStepBoundMs));
        QString error;
        QVERIFY2(run.engine().resize(st.domain, st.workers, &error), qPrintable(error));
        at = run.engine().elapsed() + stepSeconds;
    }
    QVERIFY(run.waitUntil(at + stepSeconds, kStepBoundMs)); // the last size gets two steps too
    run.engine().requestStop();
    QVERIFY(run.waitFinished(kFinishBoundMs));
    QString error;
    QVERIFY(!run.engine().resize(DomainKind::Threads, 0, &error));
    QVERIFY(!error.isEmpty());

    const RunResult r = run.engine().result();
    QVERIFY2(r.conserved(), qPrintable(test::countsText(r)));
    QVERIFY2(r.completed() > 400, qPrintable(test::countsText(r)));
    QCOMPARE(r.events.size(), std::size(steps));

    int previous[kDomainCount] = { 1, 2, 1, 1 }; // starting sizes
    for (std::size_t i = 0; i < std::size(steps); ++i) {
        const Step &st = steps[i];
        const RunEvent &e = r.events[i];
        QVERIFY2(e.label.contains(domainName(st.domain)) && e.label.contains(QString::number(st.workers)),
            qPrintable(e.label));
        // Until this domain's next resize (two steps later) or the end of arrivals.
        double until = r.events.back().t + 2 * stepSeconds;
        for (std::size_t k = i + 1; k < std::size(steps); ++k)
            if (steps[k].domain == st.domain) {
                until = r.events[k].t;
                break;
            }
        // A frame is stamped before the domains are sampled, and an event after its resize applied: a
        // frame stamped just before the next resize may already show it, so the last frame period is left out.
        const std::vector<Frame> window = test::framesBetween(r.frames, e.t, until - 0.05);
        QVERIFY2(window.size() >= 5, qPrintable(QStringLiteral("%1: %2 frames").arg(e.label).arg(window.size())));
        for (const Frame &f : window) {
            // Shrinking lets running stages finish: the busy count settles within a stage's 20 ms.
            const DomainFrame &d = dom(f, st.domain);
            QVERIFY2(d.workers == st.workers && (f.t < e.t + 0.1 || d.busy <= st.workers),
                qPrintable(QStringLiteral("%1: frame t=%2 shows %3 workers, %4 busy")
                               .arg(e.label)
                               .arg(f.t)
                               .arg(d.workers)
                               .arg(d.busy)));
        }
        // The completion rate from 100 ms after the change (stages last 20 ms) shows the size really changed:
        // a pool that grew finishes more than its old size could, one that shrank no more than its new size.
        const Frame *from = frameAfter(r.frames, e.t + 0.1);
        const Frame *to = frameBefore(r.frames, until);
        QVERIFY(from && to && to->t - from->t >= 0.3);
        const double rate = double(dom(*to, st.domain).done - dom(*from, st.domain).done) / (to->t - from->t);
        const int old = previous[int(st.domain)];
        const double perWorker = 1 / 0.020;
        qInfo().noquote() << e.label
                          << QStringLiteral("at %1 s: %2 stages/s (capacity %3/s before, %4/s after)")
                                 .arg(e.t, 0, 'f', 2)
                                 .arg(rate, 0, 'f', 0)
                                 .arg(old * perWorker)
                                 .arg(st.workers * perWorker);
        if (st.workers > old)
            QVERIFY2(rate > 1.5 * old * perWorker, qPrintable(QStringLiteral("%1: %2/s").arg(e.label).arg(rate)));
        else
            QVERIFY2(
                rate < 1.15 * st.workers * perWorker, qPrintable(QStringLiteral("%1: %2/s").arg(e.label).arg(rate)));
        previous[int(st.domain)] = st.workers;
    }
    QCOMPARE(totals(r, DomainKind::Threads).workers, 1);
    QCOMPARE(totals(r, DomainKind::Tbb).workers, 1);
}

void TestEngine::liveReassign()
{
    const auto s = test::scenarioFromYaml("name: reassign\n"
                                          "seed: 9\n"
                                          "domains:\n"
                                          "  threads: { workers: 2 }\n"
                                          "  tbb: { workers: 2 }\n"
                                          "classes:\n"
                                          "  - name: p\n"
                                          "    arrival: { process: constant, rate: 100/s }\n"
                                          "    stages:\n"
                                          "      - { name: a, work: block, time: 2ms, domain: threads }\n"
                                          "      - { name: b, work: block, time: 2ms, domain: tbb }\n");
    QVERIFY(s);
    struct Step {
        const char *key;
        DomainKind to;
        DomainKind from; // gets no new stages after the change
    };
    const Step steps[] = { { "p.b", DomainKind::Loop, DomainKind::Tbb },
        { "p.a", DomainKind::Tbb, DomainKind::Threads }, { "p.b", DomainKind::Threads, DomainKind::Loop } };
    EngineRun run(*s);
    QVERIFY2(run.start(), qPrintable(run.error()));
    double at = 0.4;
    for (const Step &st : steps) {
        QVERIFY(run.waitUntil(at, kStepBoundMs));
        QString error;
        QVERIFY2(run.engine().reassign(QLatin1String(st.key), st.to, &error), qPrintable(error));
        QCOMPARE(run.engine().routeOf(QLatin1String(st.key)), st.to);
        at = run.engine().elapsed() + 0.4; // from this step, so a stalled test thread cannot squeeze them
    }
    QVERIFY(run.waitUntil(at, kStepBoundMs));
    run.engine().requestStop();
    QVERIFY(run.waitFinished(kFinishBoundMs));
    QString error;
    QVERIFY(!run.engine().reassign(QStringLiteral("p.nope"), DomainKind::Tbb, &error));
    QVERIFY(error.contains(QStringLiteral("p.nope")));

    const RunResult r = run.engine().result();
    QVERIFY2(r.conserved(), qPrintable(test::countsText(r)));
    QCOMPARE(r.failed() + r.rejected() + r.cancelled(), std::uint64_t(0));
    QCOMPARE(r.events.size(), std::size(steps));
    for (std::size_t i = 0; i < std::size(steps); ++i) {
        const Step &st = steps[i];
        const double t = r.events[i].t;
        const double next = i + 1 < std::size(steps) ? r.events[i + 1].t : r.durationS;
        const Frame *atChange = frameBefore(r.frames, t);
        const Frame *before = frameBefore(r.frames, next);
        QVERIFY(atChange && before && before->t - atChange->t >= 0.3);
        // Once the old domain was seen empty after the change, nothing can reach it any more. (Not a fixed delay
        // after the change: a stalled machine may hold stages admitted before it for a long time.)
        const auto empty = std::find_if(r.frames.begin(), r.frames.end(),
            [&](const Frame &f) { return f.t > t + 0.05 && dom(f, st.from).inflight == 0; });
        QVERIFY2(empty != r.frames.end() && empty->t < before->t,
            qPrintable(r.events[i].label + QStringLiteral(": the old domain never emptied")));
        const std::uint64_t newAt = dom(*atChange, st.to).done, newLater = dom(*before, st.to).done;
        const std::uint64_t oldEmpty = dom(*empty, st.from).done, oldLater = dom(*before, st.from).done;
        qInfo().noquote() << r.events[i].label
                          << QStringLiteral("at %1 s: %2 done %3 -> %4; %5 empty at %6 s, done %7 -> %8")
                                 .arg(t, 0, 'f', 2)
                                 .arg(domainName(st.to))
                                 .arg(newAt)
                                 .arg(newLater)
                                 .arg(domainName(st.from))
                                 .arg(empty->t, 0, 'f', 2)
                                 .arg(oldEmpty)
                                 .arg(oldLater);
        // ~0.4 s at 100/s: about 40 stages moved to the new domain...
        QVERIFY2(newLater >= newAt + 20, qPrintable(r.events[i].label));
        // ...and none reached the old one (one or two admitted by a thread that read the route just before the
        // change and was then descheduled are tolerated; a route that did not change sends ~40).
        QVERIFY2(oldLater <= oldEmpty + 2, qPrintable(r.events[i].label));
    }
    // The totals agree: every domain ran stages, and they add up to two per completed task.
    std::uint64_t stages = 0;
    for (DomainKind d : { DomainKind::Loop, DomainKind::Threads, DomainKind::Tbb }) {
        QVERIFY2(totals(r, d).completed > 20, qPrintable(domainName(d)));
        stages += totals(r, d).completed;
    }
    QCOMPARE(stages, 2 * r.completed());
}

void TestEngine::pipelineAcrossDomains()
{
    // Six stages, two on each domain, with payloads carried across every hop.
    const auto s = test::scenarioFromYaml(
        "name: pipeline\n"
        "duration: 1.5s\n"
        "seed: 42\n"
        "domains:\n"
        "  loop: {}\n"
        "  threads: { workers: 4 }\n"
        "  tbb: { workers: 2 }\n"
        "classes:\n"
        "  - name: pipe\n"
        "    arrival: { process: constant, rate: 40/s }\n"
        "    stages:\n"
        "      - { name: fetch, work: net, time: 2ms, bytes: 4KiB, domain: loop }\n"
        "      - { name: transform, work: cpu, time: 1ms, payload_in: 256KiB, payload_out: 64KiB, domain: tbb }\n"
        "      - { name: store, work: disk, bytes: 64KiB, payload_out: 1KiB, domain: threads }\n"
        "      - { name: notify, work: async, time: 2ms, domain: loop }\n"
        "      - { name: call, work: net, time: 1ms, bytes: 1KiB, payload_in: 16KiB, domain: threads }\n"
        "      - { name: pause, work: async, time: 1ms, domain: tbb }\n");
    QVERIFY(s);
    EngineRun run(*s);
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const RunResult r = run.engine().result();
    const ClassResult &c = r.classes.at(0);
    const QString counts = test::countsText(r) + QStringLiteral(" | ") + test::reasonsText(c);
    qInfo().noquote() << counts
                      << QStringLiteral("| latency min %1 ms p50 %2 ms, hop p50 %3 ms")
                             .arg(ms(double(c.latency.min())))
                             .arg(ms(c.latency.percentile(0.5)))
                             .arg(ms(c.hop.percentile(0.5)));
    QVERIFY2(r.conserved(), qPrintable(counts));
    QVERIFY2(c.submitted >= 50 && c.submitted <= 60, qPrintable(counts)); // 60 intended, one every 25 ms
    QVERIFY2(c.completed == c.submitted, qPrintable(counts));
    // Each domain ran exactly its two stages of every task, and every task made five hops.
    for (DomainKind d : { DomainKind::Loop, DomainKind::Threads, DomainKind::Tbb })
        QVERIFY2(totals(r, d).completed == 2 * c.completed,
            qPrintable(QStringLiteral("%1: %2 stages").arg(domainName(d)).arg(totals(r, d).completed)));
    QCOMPARE(c.hop.count(), 5 * c.completed);
    // The waits were real: 2 + 1 ms of server delay, 2 + 1 + 1 ms of timers and sleeps, 1 ms of CPU (8 ms
    // in all); a stage skipped or cut short would take at least 1 ms off.
    QVERIFY2(c.latency.min() >= 7'500'000, qPrintable(QString::number(ms(double(c.latency.min())))));
}

void TestEngine::injectedFailures_data()
{
    QTest::addColumn<QByteArray>("stage");
    QTest::newRow("threads block") << QByteArray("{ name: step, work: block, time: 1ms, fail: 0.3, domain: threads }");
    QTest::newRow("tbb cpu") << QByteArray("{ name: step, work: cpu, time: 200us, fail: 0.3, domain: tbb }");
    QTest::newRow("loop async") << QByteArray("{ name: step, work: async, time: 1ms, fail: 0.3, domain: loop }");
}

void TestEngine::injectedFailures()
{
    QFETCH(QByteArray, stage);
    const auto s = test::scenarioFromYaml(QByteArray("name: faults\n"
                                                     "duration: 1s\n"
                                                     "seed: 13\n"
                                                     "classes:\n"
                                                     "  - name: flaky\n"
                                                     "    arrival: { process: constant, rate: 300/s }\n"
                                                     "    stages:\n"
                                                     "      - $stage\n")
                                              .replace("$stage", stage));
    QVERIFY(s);
    EngineRun run(*s);
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const RunResult r = run.engine().result();
    const ClassResult &c = r.classes.at(0);
    const QString counts = test::countsText(r) + QStringLiteral(" | ") + test::reasonsText(c);
    qInfo().noquote() << counts;
    QVERIFY2(r.conserved(), qPrintable(counts));
    QVERIFY2(c.submitted >= 250, qPrintable(counts));
    QCOMPARE(c.completed + c.failed, c.submitted);
    // Binomial with n ~ 300, p = 0.3: sd ~ 0.026. A fault drawn twice or never would be far out.
    const double share = double(c.failed) / double(c.submitted);
    QVERIFY2(share > 0.22 && share < 0.38, qPrintable(QStringLiteral("failed share %1; ").arg(share) + counts));
    QCOMPARE(test::reasonCount(c, QStringLiteral("injected failure")), c.failed);
}

void TestEngine::stageTimeout_data()
{
    QTest::addColumn<QByteArray>("stage");
    QTest::newRow("threads block") << QByteArray(
        "{ name: slow, work: block, time: 300ms, timeout: 50ms, domain: threads }");
    QTest::newRow("tbb block") << QByteArray("{ name: slow, work: block, time: 300ms, timeout: 50ms, domain: tbb }");
    QTest::newRow("loop block") << QByteArray("{ name: slow, work: block, time: 300ms, timeout: 50ms, domain: loop }");
    QTest::newRow("loop async") << QByteArray("{ name: slow, work: async, time: 300ms, timeout: 50ms, domain: loop }");
}

void TestEngine::stageTimeout()
{
    QFETCH(QByteArray, stage);
    const auto s = test::scenarioFromYaml(QByteArray("name: timeouts\n"
                                                     "duration: 1s\n"
                                                     "seed: 17\n"
                                                     "domains:\n"
                                                     "  threads: { workers: 4 }\n"
                                                     "  tbb: { workers: 4 }\n"
                                                     "classes:\n"
                                                     "  - name: slow\n"
                                                     "    arrival: { process: constant, rate: 10/s }\n"
                                                     "    stages:\n"
                                                     "      - $stage\n")
                                              .replace("$stage", stage));
    QVERIFY(s);
    const DomainKind d = s->classes.at(0).stages.at(0).domain;
    EngineRun run(*s);
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const RunResult r = run.engine().result();
    const ClassResult &c = r.classes.at(0);
    const QString counts = test::countsText(r) + QStringLiteral(" | ") + test::reasonsText(c);
    const HistogramSnapshot &service = totals(r, d).service;
    qInfo().noquote() << counts
                      << QStringLiteral("| service p50 %1 ms, max %2 ms")
                             .arg(ms(service.percentile(0.5)))
                             .arg(ms(double(service.max())));
    QVERIFY2(r.conserved(), qPrintable(counts));
    QVERIFY2(c.submitted >= 8, qPrintable(counts)); // 10 intended
    QVERIFY2(c.failed == c.submitted, qPrintable(counts));
    QCOMPARE(test::reasonCount(c, QStringLiteral("timeout")), c.failed);
    // Cut at the timeout (50 ms), not run to the end (300 ms) and then labelled. The median, so that one
    // worker the machine put to sleep for a while does not count.
    QVERIFY(service.count() > 0);
    QVERIFY2(service.percentile(0.5) < 150'000'000, qPrintable(QString::number(ms(service.percentile(0.5)))));
}

void TestEngine::cancelNowEndsLongStages()
{
    const auto s = test::scenarioFromYaml("name: cancel\n"
                                          "seed: 19\n"
                                          "domains:\n"
                                          "  threads: { workers: 4 }\n"
                                          "  tbb: { workers: 2 }\n"
                                          "classes:\n"
                                          "  - name: io\n"
                                          "    arrival: { process: poisson, rate: 20/s }\n"
                                          "    stages:\n"
                                          "      - { name: wait, work: block, time: 5s, domain: threads }\n"
                                          "  - name: crunch\n"
                                          "    arrival: { process: poisson, rate: 10/s }\n"
                                          "    stages:\n"
                                          "      - { name: burn, work: cpu, time: 5s, domain: tbb }\n"
                                          "  - name: timer\n"
                                          "    arrival: { process: poisson, rate: 20/s }\n"
                                          "    stages:\n"
                                          "      - { name: sleep, work: async, time: 5s, domain: loop }\n");
    QVERIFY(s);
    EngineRun run(*s);
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(run.waitUntil(0.6, kStepBoundMs));
    QElapsedTimer timer;
    timer.start();
    run.engine().cancelNow();
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const qint64 tookMs = timer.elapsed();
    const RunResult r = run.engine().result();
    qInfo().noquote() << test::countsText(r) << QStringLiteral("| finished %1 ms after cancelNow").arg(tookMs);
    QVERIFY2(r.conserved(), qPrintable(test::countsText(r)));
    // Stages run 5 s: without cancellation nothing would end for another 4.4 s.
    QVERIFY2(tookMs < 2500, qPrintable(QString::number(tookMs)));
    QCOMPARE(r.completed(), std::uint64_t(0));
    for (const ClassResult &c : r.classes) {
        QVERIFY2(c.cancelled > 0, qPrintable(c.name));
        QCOMPARE(c.cancelled + c.failed + c.rejected, c.submitted);
    }
    // The queued stages (4 workers for ~12 io tasks) were cancelled too, not only the running ones.
    QVERIFY2(r.classes.at(0).cancelled > 4, qPrintable(test::countsText(r)));
}

void TestEngine::closedLoopKeepsClientsInFlight()
{
    const auto s = test::scenarioFromYaml("name: closed\n"
                                          "duration: 1.5s\n"
                                          "seed: 23\n"
                                          "domains:\n"
                                          "  threads: { workers: 8 }\n"
                                          "classes:\n"
                                          "  - name: users\n"
                                          "    arrival: { process: closed, clients: 3, think: 5ms }\n"
                                          "    stages:\n"
                                          "      - { name: call, work: block, time: exp(10ms), domain: threads }\n");
    QVERIFY(s);
    EngineRun run(*s);
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const RunResult r = run.engine().result();
    const ClassResult &c = r.classes.at(0);
    QVERIFY2(r.conserved(), qPrintable(test::countsText(r)));
    int maxInflight = 0;
    for (const Frame &f : r.frames) {
        const int inflight = dom(f, DomainKind::Threads).inflight;
        QVERIFY2(inflight <= 3, qPrintable(QStringLiteral("t=%1: %2 in flight").arg(f.t).arg(inflight)));
        maxInflight = std::max(maxInflight, inflight);
        const ClassFrame &cf = f.classes.at(0);
        const std::uint64_t ended = cf.completed + cf.failed + cf.rejected + cf.cancelled;
        QVERIFY2(cf.submitted >= ended && cf.submitted - ended <= 3, qPrintable(QStringLiteral("t=%1").arg(f.t)));
    }
    QVERIFY(maxInflight >= 1);
    QCOMPARE(totals(r, DomainKind::Threads).queueMax, 0); // 8 workers for 3 clients: nobody queues
    // Each client cycles through response time R and think time Z: throughput = clients / (R + Z).
    const double cycle = c.latency.mean() / 1e9 + 0.005;
    const double expected = 3 / cycle * 1.5;
    qInfo().noquote() << test::countsText(r)
                      << QStringLiteral("| R %1 ms, expected %2 tasks").arg(ms(c.latency.mean())).arg(expected);
    QVERIFY2(std::abs(double(c.submitted) - expected) < 0.25 * expected,
        qPrintable(QStringLiteral("submitted %1, expected %2").arg(c.submitted).arg(expected)));
}

void TestEngine::naiveLatencyHidesStalls()
{
    // DESIGN §15, coordinated omission, in one 2 s run: a closed-loop tester with a target rate
    // (1 client, one request intended every 5 ms) on a 1-worker domain that a second class stalls
    // for 300 ms at 0 s and 1 s. Each stall delays one sent request (the naive figure: 2 of ~400
    // samples, under its P99) and ~60 intended ones (the corrected figure: ~30 % of samples, P99
    // near 300 ms). A second tester on the loop never stalls: there the two figures agree.
    const auto s = test::scenarioFromYaml("name: omission\n"
                                          "duration: 2s\n"
                                          "seed: 5\n"
                                          "domains:\n"
                                          "  threads: { workers: 1 }\n"
                                          "classes:\n"
                                          "  - name: tester\n"
                                          "    arrival: { process: closed, clients: 1, rate: 200/s }\n"
                                          "    stages:\n"
                                          "      - { name: call, work: block, time: 1ms, domain: threads }\n"
                                          "  - name: stall\n"
                                          "    arrival: { process: constant, rate: 1/s }\n"
                                          "    stages:\n"
                                          "      - { name: slow, work: block, time: 300ms, domain: threads }\n"
                                          "  - name: calm\n"
                                          "    arrival: { process: closed, clients: 1, rate: 200/s }\n"
                                          "    stages:\n"
                                          "      - { name: wait, work: async, time: 1ms, domain: loop }\n");
    QVERIFY(s);
    EngineRun run(*s);
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(run.waitFinished(kFinishBoundMs));
    const RunResult r = run.engine().result();
    QVERIFY2(r.conserved(), qPrintable(test::countsText(r)));
    const ClassResult &tester = r.classes.at(0), &calm = r.classes.at(2);
    const auto p99 = [](const HistogramSnapshot &h) { return ms(h.percentile(0.99)); };
    const QString figures = QStringLiteral("tester P99 %1 ms, naive %2 ms (%3 done); calm P99 %4 ms, naive %5 ms (%6)")
                                .arg(p99(tester.latency))
                                .arg(p99(tester.latencyNaive))
                                .arg(tester.completed)
                                .arg(p99(calm.latency))
                                .arg(p99(calm.latencyNaive))
                                .arg(calm.completed);
    // Both testers kept close to their rate (400 intended in 2 s; the stalls cost the first one
    // at most a few catching up at the end).
    QVERIFY2(tester.completed > 300 && calm.completed > 300, qPrintable(figures));
    QCOMPARE(tester.latencyNaive.count(), tester.latency.count());
    // The stalls: the corrected P99 is most of the 300 ms, the naive one is the 1 ms call.
    QVERIFY2(p99(tester.latency) > 5 * p99(tester.latencyNaive), qPrintable(figures));
    QVERIFY2(p99(tester.latency) > 150, qPrintable(figures));
    // No stall: both measure the same calls and differ per task only by how late the generator
    // sent it (its own wake-up, and a client catching up after a slow call): on an idle machine
    // tens of µs, but on this 2-core machine at load 2-7 a constant 200/s open class on the loop
    // showed the same gap as calm (mean 0.2-1.0 ms, P99 1.4-2.5 times the naive P99 over ten
    // runs). The mean gap (the mean lateness) is a small part of the tester's (~45 ms: 120 of 400
    // requests ~150 ms late). calm's P99 is not compared with its naive one: a generator the host
    // stalls is a stall like any other, which the corrected figure rightly counts; a TSan run
    // while the host stole 10-20 % of the CPU gave calm 52.8 against 8.3 ms naive, while its mean
    // gap stayed 4.0 ms against the tester's 112.
    const double calmGap = ms(calm.latency.mean() - calm.latencyNaive.mean());
    const double testerGap = ms(tester.latency.mean() - tester.latencyNaive.mean());
    const QString gaps = figures + QStringLiteral("; mean gap calm %1 ms, tester %2 ms").arg(calmGap).arg(testerGap);
    qInfo().noquote() << gaps;
    QVERIFY2(testerGap > 20 && calmGap < 0.25 * testerGap, qPrintable(gaps));
    // A task is never dispatched before its intended time: per task naive <= corrected, so every
    // percentile of the naive histogram is at most the corrected one (same bins, exact).
    for (const ClassResult &c : r.classes)
        for (double q : { 0.5, 0.9, 0.99, 0.999, 1.0 })
            QVERIFY2(c.latencyNaive.percentile(q) <= c.latency.percentile(q),
                qPrintable(QStringLiteral("%1 q%2: naive %3 ms > corrected %4 ms")
                               .arg(c.name)
                               .arg(q)
                               .arg(ms(c.latencyNaive.percentile(q)))
                               .arg(ms(c.latency.percentile(q)))));
    // The live figure: some frame's window saw a stall in the corrected P99 but not the naive one.
    const bool liveShowsIt = std::any_of(r.frames.begin(), r.frames.end(), [](const Frame &f) {
        return f.classes.at(0).p99Ms > 100 && f.classes.at(0).naiveP99Ms < 0.5 * f.classes.at(0).p99Ms;
    });
    QVERIFY2(liveShowsIt, qPrintable(figures));
}

void TestEngine::zeroDurationRunsUntilStopped()
{
    const auto s = test::scenarioFromYaml("name: forever\n"
                                          "duration: 0s\n"
                                          "seed: 29\n"
                                          "classes:\n"
                                          "  - name: req\n"
                                          "    arrival: { process: constant, rate: 100/s }\n"
                                          "    stages:\n"
                                          "      - { name: serve, work: block, time: 2ms, domain: threads }\n");
    QVERIFY(s);
    QCOMPARE(s->duration, 0.0);
    EngineRun run(*s);
    QVERIFY2(run.start(), qPrintable(run.error()));
    QVERIFY(run.waitUntil(1.2, kStepBoundMs));
    QVERIFY(run.engine().isRunning());
    QVERIFY(!run.engine().isFinished());
    const std::vector<Frame> frames = run.engine().frames();
    QVERIFY(!frames.empty());
    QVERIFY(frames.back().classes.at(0).submitted >= 60); // arrivals keep coming
    run.engine().requestStop();
    QVERIFY(run.waitFinished(kFinishBoundMs));
    QVERIFY(run.engine().isFinished());
    const RunResult r = run.engine().result();
    qInfo().noquote() << test::countsText(r) << QStringLiteral("| ran %1 s").arg(r.durationS);
    QVERIFY2(r.conserved(), qPrintable(test::countsText(r)));
    QVERIFY(r.durationS >= 1.2);
    // A graceful stop drains: 2 ms stages all finish.
    QVERIFY2(r.completed() == r.submitted() && r.completed() >= 100, qPrintable(test::countsText(r)));
}

QTEST_GUILESS_MAIN(TestEngine)
#include "tst_engine.moc"
