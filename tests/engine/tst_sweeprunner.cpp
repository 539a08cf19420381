#include "run/engine.h"
#include "scenario/scenarioparser.h"
#include "tuning/sweepanalysis.h"
#include "tuning/sweepreport.h"
#include "tuning/sweeprunner.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

#include <cmath>
#include <thread>

namespace {

const QByteArray kYaml = R"(
name: runner
duration: 10s
seed: 7
sla: { p99: 80ms }
domains: { threads: { workers: 3 } }
classes:
  - name: io
    arrival: { process: poisson, rate: 200/s }
    stages: [ { name: s, work: block, time: exp(5ms), domain: threads } ]
)";

hs::Scenario scenario()
{
    const auto r = hs::ScenarioParser::parseText(kYaml, QStringLiteral("runner.yaml"));
    return r.ok() ? *r.scenario : hs::Scenario {};
}

} // namespace

class TestSweepRunner : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // EngineOptions::warmupSeconds: the first phase's figures start after it, and cover only what
    // arrived from then on.
    void warmupStartsTheFirstPhaseLate()
    {
        hs::Scenario s = scenario();
        QVERIFY(!s.classes.empty());
        s.duration = 1.2;
        hs::EngineOptions o(0.5);
        o.trace = false;
        o.warmupSeconds = 0.6;
        hs::Engine e(s, o);
        QSignalSpy done(&e, &hs::Engine::finished);
        QString why;
        QVERIFY2(e.start(&why), qPrintable(why));
        QVERIFY(done.wait(20000));
        const hs::RunResult r = e.result();
        QCOMPARE(r.phases.size(), std::size_t(1));
        const hs::PhaseResult &p = r.phases.front();
        QVERIFY(p.settled);
        QVERIFY2(p.settleS >= 0.6 && p.settleS < 0.6 + 0.1, qPrintable(QString::number(p.settleS)));
        QVERIFY2(std::abs(p.measuredS() - 0.6) < 0.1, qPrintable(QString::number(p.measuredS())));
        // About half the run's arrivals fall in the measured span, and never all of them.
        QVERIFY(p.classes[0].submitted > 0);
        QVERIFY2(p.classes[0].submitted < r.classes[0].submitted * 3 / 4,
            qPrintable(QStringLiteral("%1 of %2").arg(p.classes[0].submitted).arg(r.classes[0].submitted)));
        QVERIFY(r.conserved());
    }

    // A point of two reps: seeds differ, figures combine, the interval is the replications'.
    void pointWithReps()
    {
        hs::SweepRunner runner;
        int progress = 0;
        runner.onProgress = [&](int, double) { ++progress; };
        QString why;
        const hs::SweepValues values { { QStringLiteral("domains.threads.workers"), QStringLiteral("3") } };
        const auto p = runner.runPoint(scenario(), values, 1.2, 0.4, 2, &why);
        QVERIFY2(p, qPrintable(why));
        QVERIFY(p->complete);
        QVERIFY(p->conserved);
        QCOMPARE(p->reps, 2);
        QVERIFY(progress > 0);
        QVERIFY2(std::abs(p->measuredS - 0.8) < 0.1, qPrintable(QString::number(p->measuredS)));
        QCOMPARE(p->classes.size(), std::size_t(1));
        const hs::SweepClassFigures &c = p->classes[0];
        QCOMPARE(c.ciMethod, QStringLiteral("replications"));
        QCOMPARE(c.repP99Ms.size(), std::size_t(2));
        QVERIFY(c.repP99Ms[0] != c.repP99Ms[1]); // two seeds, two runs
        QVERIFY(std::abs(*c.p99Ms - (c.repP99Ms[0] + c.repP99Ms[1]) / 2) < 1e-9);
        QVERIFY(c.ciLoMs && c.ciHiMs && *c.ciLoMs <= *c.p99Ms && *c.ciHiMs >= *c.p99Ms);
        QCOMPARE(c.slaMet, *c.ciHiMs < 80.0);
        QVERIFY2(c.throughput > 120 && c.throughput < 280, qPrintable(QString::number(c.throughput)));
        QCOMPARE(p->domains.size(), std::size_t(1));
        const hs::SweepDomainFigures &d = p->domains[0];
        QCOMPARE(d.kind, hs::DomainKind::Threads);
        QCOMPARE(d.workers, 3);
        // λ·E[S]/c = 200 × 5 ms / 3 ≈ 0.33, measured and predicted.
        QVERIFY2(d.utilization > 0.2 && d.utilization < 0.5, qPrintable(QString::number(d.utilization)));
        QVERIFY2(d.predicted.applies, qPrintable(d.predicted.why));
        QVERIFY(std::abs(d.predicted.utilization - d.utilization) < 0.1);
        // The point's JSON carries the §10 keys.
        const QJsonObject j = hs::sweepPointToJson(*p);
        const QJsonObject io = j.value(QStringLiteral("classes")).toObject().value(QStringLiteral("io")).toObject();
        QCOMPARE(io.value(QStringLiteral("p99_ci_ms")).toArray().size(), 2);
        QVERIFY(j.value(QStringLiteral("domains"))
                    .toObject()
                    .value(QStringLiteral("threads"))
                    .toObject()
                    .value(QStringLiteral("predicted"))
                    .isObject());
    }

    // stopNow() from another thread ends the rep in progress and the point is not complete.
    void stopNowEndsThePoint()
    {
        hs::SweepRunner runner;
        std::thread stopper;
        runner.onProgress = [&](int, double t) {
            if (t > 0.3 && !stopper.joinable())
                stopper = std::thread([&] { runner.stopNow(); });
        };
        QString why;
        QElapsedTimer timer;
        timer.start();
        const auto p = runner.runPoint(scenario(), {}, 30, 0.2, 3, &why);
        if (stopper.joinable())
            stopper.join();
        QVERIFY2(p, qPrintable(why));
        QVERIFY(!p->complete);
        QVERIFY(p->conserved);
        QVERIFY(runner.stopped());
        QVERIFY2(timer.elapsed() < 10000, qPrintable(QString::number(timer.elapsed())));
    }
};

QTEST_GUILESS_MAIN(TestSweepRunner)
#include "tst_sweeprunner.moc"
