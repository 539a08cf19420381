// The engine against the machine's limits: a cap on queued stages that keeps memory bounded, the
// budget of file descriptors that stages draw from, and the estimate `validate` warns with.
// (The real binary under `ulimit -n` / `ulimit -u` is tests/integration/tst_limits_cli.cpp.)
#include "domains/resources.h"
#include "enginetest.h"
#include "scenario/builtins.h"
#include "scenario/scenarioparser.h"

#include <QTest>

#include <sys/resource.h>
#include <unistd.h>

using namespace hs;
using hs::test::EngineRun;

namespace {

constexpr int kFinishBoundMs = 30'000;

const DomainTotals &totals(const RunResult &r, DomainKind d)
{
    return r.domains[std::size_t(d)].totals;
}

} // namespace

class TestLimits : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // Defect 12: an unbounded queue flooded far beyond its domain stops at the engine's cap; the
    // stages beyond it are rejected with a reason, and conservation holds.
    void queueCapRejectsWithReason()
    {
        const auto s = test::scenarioFromYaml("name: flood\n"
                                              "duration: 1s\n"
                                              "domains:\n"
                                              "  threads: { workers: 1 }\n"
                                              "classes:\n"
                                              "  - name: req\n"
                                              "    arrival: { process: constant, rate: 2000/s }\n"
                                              "    stages:\n"
                                              "      - { name: serve, work: block, time: 5ms, domain: threads }\n");
        QVERIFY(s);
        EngineOptions o(0.5);
        o.queueCap = 50;
        EngineRun run(*s, o);
        QVERIFY2(run.start(), qPrintable(run.error()));
        QVERIFY(run.waitFinished(kFinishBoundMs));
        const RunResult r = run.engine().result();
        const ClassResult &c = r.classes.at(0);
        const QString counts = test::countsText(r) + QStringLiteral(" | ") + test::reasonsText(c);
        QVERIFY2(r.conserved(), qPrintable(counts));
        QCOMPARE(r.doubleEnds, std::uint64_t(0));
        // ~2000 arrive, at most ~200 are served in 1 s: the rest meet the cap.
        QVERIFY2(test::reasonCount(c, QStringLiteral("engine queue cap reached (50 queued stages)")) > 1000,
            qPrintable(counts));
        QVERIFY2(c.rejected >= test::reasonCount(c, QStringLiteral("engine queue cap reached")), qPrintable(counts));
        QVERIFY2(totals(r, DomainKind::Threads).queueMax <= 52, // racing producers may pass it by one each
            qPrintable(QString::number(totals(r, DomainKind::Threads).queueMax)));
    }

    // Defect 12: by default the cap is derived from memory and payloads, at most 1,000,000.
    void defaultQueueCapIsBounded()
    {
        const auto s
            = test::scenarioFromYaml("name: payloads\n"
                                     "classes:\n"
                                     "  - name: req\n"
                                     "    arrival: { process: constant, rate: 10/s }\n"
                                     "    stages:\n"
                                     "      - { name: a, work: cpu, time: 1ms, payload_in: 64MiB, domain: tbb }\n");
        QVERIFY(s);
        const std::int64_t capBig = defaultQueueCap(*s);
        QVERIFY2(capBig >= 1000 && capBig <= 1000, qPrintable(QString::number(capBig))); // 64 MiB each: the floor
        const auto small = test::scenarioFromYaml("name: small\n"
                                                  "classes:\n"
                                                  "  - name: req\n"
                                                  "    arrival: { process: constant, rate: 10/s }\n"
                                                  "    stages:\n"
                                                  "      - { name: a, work: cpu, time: 1ms, domain: tbb }\n");
        QVERIFY(small);
        const std::int64_t cap = defaultQueueCap(*small);
        QVERIFY2(cap > 1000 && cap <= 1'000'000, qPrintable(QString::number(cap)));
    }

    // Defect 3: stages draw descriptors from the engine's budget; when it is spent, the net stage
    // fails with a reason instead of taking the descriptors threads need.
    void netStagesFailWhenDescriptorsRunOut()
    {
        if (geteuid() != 0)
            QSKIP("lowers RLIMIT_NOFILE's hard limit, which only root can raise back");
        rlimit saved {};
        QVERIFY(getrlimit(RLIMIT_NOFILE, &saved) == 0);
        const auto s
            = test::scenarioFromYaml("name: net flood\n"
                                     "duration: 1s\n"
                                     "domains:\n"
                                     "  threads: { workers: 2 }\n"
                                     "classes:\n"
                                     "  - name: call\n"
                                     "    arrival: { process: constant, rate: 300/s }\n"
                                     "    stages:\n"
                                     "      - { name: get, work: net, time: 400ms, bytes: 64B, domain: loop }\n"
                                     "      - { name: use, work: block, time: 1ms, domain: threads }\n");
        QVERIFY(s);
        // Room for the engine and its reserve, and about 40 connections: ~120 are wanted at once.
        const rlim_t n = rlim_t(openFileCount() + 64 + 2 + 60 + 80);
        const rlimit low { n, n };
        QVERIFY(setrlimit(RLIMIT_NOFILE, &low) == 0);
        RunResult r;
        {
            EngineRun run(*s, EngineOptions(3.0));
            const bool started = run.start();
            if (started)
                run.waitFinished(kFinishBoundMs);
            r = run.engine().result();
            setrlimit(RLIMIT_NOFILE, &saved);
            QVERIFY2(started, qPrintable(run.error()));
            QVERIFY(run.finished());
        }
        const ClassResult &c = r.classes.at(0);
        const QString counts = test::countsText(r) + QStringLiteral(" | ") + test::reasonsText(c);
        QVERIFY2(r.conserved(), qPrintable(counts));
        QVERIFY2(test::reasonCount(c, QStringLiteral("net: out of file descriptors (EMFILE)")) > 0, qPrintable(counts));
        QVERIFY2(c.completed > 50, qPrintable(counts)); // those with a descriptor went through
        QCOMPARE(StageFds::inUse(), std::int64_t(0)); // every descriptor given back
    }

    // Defect 3: growing a pool past what the descriptors allow is refused while running (each pool
    // thread needs one; a thread start without one aborted the process).
    void resizeBeyondDescriptorsIsRefused()
    {
        if (geteuid() != 0)
            QSKIP("lowers RLIMIT_NOFILE's hard limit, which only root can raise back");
        rlimit saved {};
        QVERIFY(getrlimit(RLIMIT_NOFILE, &saved) == 0);
        const auto s = test::scenarioFromYaml("name: small\n"
                                              "duration: 1s\n"
                                              "domains:\n"
                                              "  threads: { workers: 2 }\n"
                                              "classes:\n"
                                              "  - name: req\n"
                                              "    arrival: { process: constant, rate: 50/s }\n"
                                              "    stages:\n"
                                              "      - { name: a, work: block, time: 1ms, domain: threads }\n");
        QVERIFY(s);
        const rlim_t n = rlim_t(openFileCount() + 64 + 2 + 100);
        const rlimit low { n, n };
        QVERIFY(setrlimit(RLIMIT_NOFILE, &low) == 0);
        EngineRun run(*s, EngineOptions(1.0));
        const bool started = run.start();
        QString error;
        const bool grewTooFar = started && run.engine().resize(DomainKind::Threads, 400, &error);
        QString error2;
        const bool grewALittle = started && run.engine().resize(DomainKind::Threads, 8, &error2);
        setrlimit(RLIMIT_NOFILE, &saved);
        QVERIFY2(started, qPrintable(run.error()));
        QVERIFY(!grewTooFar);
        QVERIFY2(error.contains(QStringLiteral("not enough file descriptors")), qPrintable(error));
        QVERIFY2(grewALittle, qPrintable(error2));
        QVERIFY(run.waitFinished(kFinishBoundMs));
        QVERIFY(run.engine().result().conserved());
    }

    // Defects 3 and 12: the estimate names what needs descriptors, and pools far beyond the machine.
    void estimateWarns()
    {
        const auto s = test::scenarioFromYaml("name: many\n"
                                              "domains:\n"
                                              "  threads: { workers: 16 }\n"
                                              "  tbb: { workers: 64 }\n"
                                              "classes:\n"
                                              "  - name: call\n"
                                              "    arrival: { process: constant, rate: 1000/s }\n"
                                              "    stages:\n"
                                              "      - { name: get, work: net, time: 1s, domain: loop }\n"
                                              "      - { name: burn, work: cpu, time: 10ms, domain: tbb }\n");
        QVERIFY(s);
        const ResourceEstimate roomy = estimateResources(*s, 1 << 20, 64);
        QVERIFY2(roomy.warnings.isEmpty(), qPrintable(roomy.warnings.join(QLatin1Char('\n'))));
        QVERIFY2(roomy.fds > 2000, qPrintable(QString::number(roomy.fds))); // 1000 connections, two ends each

        const ResourceEstimate tight = estimateResources(*s, 1024, 2);
        const QString all = tight.warnings.join(QLatin1Char('\n'));
        QVERIFY2(all.contains(QStringLiteral("limit (ulimit -n) is 1024")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("net stages in flight on loop")), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("64 tbb and 0 procs workers on 2 cores")), qPrintable(all));
        // 1000/s x 10 ms = 10 workers' worth of cpu on 64 workers: no overload warning.
        QVERIFY2(!all.contains(QStringLiteral("queue is unbounded")), qPrintable(all));

        const auto flood
            = test::scenarioFromYaml("name: flood\n"
                                     "domains:\n"
                                     "  threads: { workers: 2 }\n"
                                     "classes:\n"
                                     "  - name: req\n"
                                     "    arrival: { process: poisson, rate: 10000/s }\n"
                                     "    stages:\n"
                                     "      - { name: serve, work: block, time: 10ms, domain: threads }\n");
        QVERIFY(flood);
        const QString f = estimateResources(*flood, 1 << 20, 2).warnings.join(QLatin1Char('\n'));
        QVERIFY2(f.contains(QStringLiteral("threads: the arrivals offer 100 workers' worth of work to 2 workers")),
            qPrintable(f));
    }

    // The built-in scenarios fit an ordinary machine: no warning at `ulimit -n 1024` on 2 cores.
    void builtinsFit()
    {
        for (const QString &name : builtinScenarioNames()) {
            const ParseResult r = ScenarioParser::parseFile(builtinScenarioPath(name));
            QVERIFY2(r.ok(), qPrintable(name));
            const ResourceEstimate e = estimateResources(*r.scenario, 1024, 2);
            QVERIFY2(
                e.warnings.isEmpty(), qPrintable(name + QStringLiteral(": ") + e.warnings.join(QLatin1Char('\n'))));
        }
    }

    // Defect 4: the thread probe reports what it could not create instead of aborting.
    void probeThreadsReportsFailure()
    {
        QString error;
        QVERIFY2(probeThreads(8, &error), qPrintable(error));
        if (geteuid() == 0)
            QSKIP("RLIMIT_NPROC is not enforced for root; the real limit is tested in tst_limits_cli");
        rlimit saved {};
        QVERIFY(getrlimit(RLIMIT_NPROC, &saved) == 0);
        const rlimit low { 1, saved.rlim_max };
        QVERIFY(setrlimit(RLIMIT_NPROC, &low) == 0);
        const bool ok = probeThreads(4, &error);
        setrlimit(RLIMIT_NPROC, &saved);
        QVERIFY(!ok);
        QVERIFY2(error.contains(QStringLiteral("ulimit -u")), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestLimits)
#include "tst_limits.moc"
