// Autoscale on the real engine and in the simulator (DESIGN §13): conservation while controllers
// and a user resize every pool at once, many times a second; a policy set and unset live; the
// cost (worker-seconds) of a fixed pool; the same scenario in virtual time.
#include "enginetest.h"

#include "autoscale/autoscale.h"
#include "results/report.h"
#include "sim/simulator.h"

#include <QJsonObject>
#include <QTest>

#include <random>

using namespace hs;
using hs::test::EngineRun;

namespace {

constexpr int kFinishBoundMs = 30'000;
constexpr int kStepBoundMs = 15'000;

// Bursts of block stages on every pool: each burst outgrows a small pool, each gap idles it.
QByteArray burstyPools(
    const QString &policy, double duration, double interval = 0.05, double on = 0.3, double off = 0.3)
{
    const QString as
        = QStringLiteral("autoscale: { policy: %1, min: 1, max: 6, interval: %2s }").arg(policy).arg(interval);
    return QStringLiteral("name: autoscale pools\nseed: 3\nduration: %1s\n"
                          "domains:\n"
                          "  threads: { workers: 1, %2 }\n"
                          "  tbb: { workers: 1, %2 }\n"
                          "  procs: { workers: 1, %2 }\n"
                          "classes:\n"
                          "  - name: t\n"
                          "    arrival: { process: burst, rate: 300/s, on: %3s, off: %4s }\n"
                          "    stages: [ { name: s, work: block, time: exp(8ms), domain: threads } ]\n"
                          "  - name: b\n"
                          "    arrival: { process: burst, rate: 200/s, on: %3s, off: %4s }\n"
                          "    stages: [ { name: s, work: block, time: exp(8ms), domain: tbb } ]\n"
                          "  - name: p\n"
                          "    arrival: { process: burst, rate: 150/s, on: %3s, off: %4s }\n"
                          "    stages: [ { name: s, work: block, time: exp(8ms), domain: procs } ]\n")
        .arg(duration)
        .arg(as)
        .arg(on)
        .arg(off)
        .toUtf8();
}

const DomainResult &dom(const RunResult &r, DomainKind d)
{
    return r.domains[std::size_t(d)];
}

} // namespace

class TestAutoscaleEngine : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // Controllers resize every pool every 50 ms while this thread resizes them too, at random,
    // every 30-60 ms: every task still ends exactly once, and each controller kept its bounds.
    void frequentResizesConserve()
    {
        const auto s = test::scenarioFromYaml(burstyPools(QStringLiteral("queue"), 2.5));
        QVERIFY(s);
        EngineRun run(*s);
        QVERIFY2(run.start(), qPrintable(run.error()));
        std::mt19937 rng(7);
        std::uniform_int_distribution<int> size(1, 6), pause(30, 60);
        const DomainKind pools[] = { DomainKind::Threads, DomainKind::Tbb, DomainKind::Procs };
        int userResizes = 0;
        for (double at = 0.1; at < 2.3; at += pause(rng) / 1000.0) {
            if (!run.waitUntil(at, kStepBoundMs))
                break;
            QString error;
            const DomainKind d = pools[userResizes % 3];
            QVERIFY2(run.engine().resize(d, size(rng), &error), qPrintable(error));
            ++userResizes;
        }
        QVERIFY(userResizes > 20);
        QVERIFY(run.waitFinished(kFinishBoundMs));
        const RunResult r = run.engine().result();
        QVERIFY2(r.conserved(), qPrintable(test::countsText(r)));
        QCOMPARE(r.doubleEnds, std::uint64_t(0));
        QVERIFY2(r.completed() > 200, qPrintable(test::countsText(r)));
        int controllerResizes = 0;
        for (DomainKind d : pools) {
            const DomainResult &dr = dom(r, d);
            QVERIFY2(dr.autoscale, qPrintable(domainName(d)));
            QCOMPARE(dr.autoscale->policy, AutoscalePolicy::Queue);
            QVERIFY(dr.autoscale->workersMin >= 1);
            QVERIFY(dr.autoscale->workersMax <= 6);
            controllerResizes += dr.autoscale->resizes;
            // The cost is between the smallest and the largest size over the run's span.
            const double span = dr.totals.spanNs / 1e9;
            QVERIFY2(dr.workerSeconds() >= 0.99 * span && dr.workerSeconds() <= 6.01 * span,
                qPrintable(
                    QStringLiteral("%1: %2 worker-s over %3 s").arg(domainName(d)).arg(dr.workerSeconds()).arg(span)));
        }
        QVERIFY2(controllerResizes > 0, "the controllers never resized under bursts");
        // The controllers' resizes are merged: at most one event a second per domain (plus the
        // last at the end), however many resizes there were.
        int scaleEvents = 0;
        for (const RunEvent &e : r.events)
            scaleEvents += e.kind == QLatin1String("scale") ? 1 : 0;
        QVERIFY2(scaleEvents <= 3 * (int(r.durationS) + 2), qPrintable(QString::number(scaleEvents)));
        // Scale events start no phase; each user resize does (joined when close together).
        for (const PhaseResult &p : r.phases)
            QVERIFY2(!p.change.contains(QLatin1String("autoscale (")), qPrintable(p.change));
    }

    // A policy set while running grows the pool in the next burst; unset, the size stays where it
    // is. The JSON carries the policy, the resizes and the cost (DESIGN §13).
    void policySetLive()
    {
        const auto s = test::scenarioFromYaml(burstyPools(QStringLiteral("off"), 3.0));
        QVERIFY(s);
        EngineRun run(*s);
        QVERIFY2(run.start(), qPrintable(run.error()));
        QVERIFY(!run.engine().autoscale(DomainKind::Threads).enabled());
        QVERIFY(run.waitUntil(0.5, kStepBoundMs));
        AutoscaleConfig cfg;
        cfg.policy = AutoscalePolicy::Queue;
        cfg.min = 1;
        cfg.max = 8;
        cfg.interval = 0.05;
        QString error;
        QVERIFY2(run.engine().setAutoscale(DomainKind::Threads, cfg, &error), qPrintable(error));
        QCOMPARE(run.engine().autoscale(DomainKind::Threads), cfg);
        // Refused: loop, bounds the wrong way round, an interval below 50 ms.
        QVERIFY(!run.engine().setAutoscale(DomainKind::Loop, cfg, &error));
        QVERIFY2(error.contains(QLatin1String("loop")), qPrintable(error));
        AutoscaleConfig bad = cfg;
        bad.min = 5;
        bad.max = 3;
        QVERIFY(!run.engine().setAutoscale(DomainKind::Threads, bad, &error));
        QVERIFY2(error.contains(QLatin1String("min")), qPrintable(error));
        bad = cfg;
        bad.interval = 0.001;
        QVERIFY(!run.engine().setAutoscale(DomainKind::Threads, bad, &error));
        QVERIFY2(error.contains(QLatin1String("interval")), qPrintable(error));
        QVERIFY(run.waitUntil(2.0, kStepBoundMs));
        AutoscaleConfig off = cfg;
        off.policy = AutoscalePolicy::Off;
        QVERIFY2(run.engine().setAutoscale(DomainKind::Threads, off, &error), qPrintable(error));
        QVERIFY(run.waitFinished(kFinishBoundMs));
        const RunResult r = run.engine().result();
        QVERIFY2(r.conserved(), qPrintable(test::countsText(r)));
        const DomainResult &t = dom(r, DomainKind::Threads);
        QVERIFY(t.autoscale);
        QCOMPARE(t.autoscale->policy, AutoscalePolicy::Queue); // the last policy that was on
        QVERIFY2(t.autoscale->resizes > 0 && t.autoscale->workersMax > 1,
            qPrintable(QStringLiteral("%1 resizes, max %2").arg(t.autoscale->resizes).arg(t.autoscale->workersMax)));
        // After "off" the size stays: the frames after the off event show one size.
        double offAt = -1;
        for (const RunEvent &e : r.events)
            if (e.kind == QLatin1String("autoscale") && e.label.contains(QLatin1String("off")))
                offAt = e.t;
        QVERIFY(offAt > 0);
        int sizeAfterOff = -1;
        for (const Frame &f : r.frames)
            if (f.t > offAt + 0.06) {
                const int w = f.domains[std::size_t(DomainKind::Threads)].workers;
                if (sizeAfterOff < 0)
                    sizeAfterOff = w;
                QCOMPARE(w, sizeAfterOff);
            }
        // Both policy changes are changes of configuration: each starts a phase.
        int autoscalePhases = 0;
        for (const PhaseResult &p : r.phases)
            autoscalePhases += p.change.contains(QLatin1String("threads autoscale")) ? 1 : 0;
        QCOMPARE(autoscalePhases, 2);
        // tbb and procs never had a policy: no autoscale object, a fixed cost.
        QVERIFY(!dom(r, DomainKind::Tbb).autoscale);
        const QJsonObject json = runToJson(r);
        const QJsonObject threads
            = json.value(QStringLiteral("domains")).toObject().value(QStringLiteral("threads")).toObject();
        const QJsonObject a = threads.value(QStringLiteral("autoscale")).toObject();
        QCOMPARE(a.value(QStringLiteral("policy")).toString(), QStringLiteral("queue"));
        QCOMPARE(a.value(QStringLiteral("resizes")).toInt(), t.autoscale->resizes);
        QCOMPARE(a.value(QStringLiteral("workers_max")).toInt(), t.autoscale->workersMax);
        QVERIFY(threads.value(QStringLiteral("worker_seconds")).toDouble() > 0);
        // No model of a fixed pool is drawn for a pool whose size changed (DESIGN §11).
        const QJsonObject theory = threads.value(QStringLiteral("theory")).toObject();
        QCOMPARE(theory.value(QStringLiteral("applies")).toBool(true), false);
        QVERIFY2(theory.value(QStringLiteral("why")).toString().contains(QLatin1String("size changed")),
            qPrintable(theory.value(QStringLiteral("why")).toString()));
        const QJsonObject tbb
            = json.value(QStringLiteral("domains")).toObject().value(QStringLiteral("tbb")).toObject();
        QVERIFY(!tbb.contains(QStringLiteral("autoscale")));
        // A fixed pool of one worker costs its span.
        const DomainResult &b = dom(r, DomainKind::Tbb);
        QVERIFY2(std::abs(b.workerSeconds() - b.totals.spanNs / 1e9) < 1e-3,
            qPrintable(QStringLiteral("%1 vs %2").arg(b.workerSeconds()).arg(b.totals.spanNs / 1e9)));
        QCOMPARE(tbb.value(QStringLiteral("worker_seconds")).toDouble(), std::round(b.workerSeconds() * 1e3) / 1e3);
    }

    // Bursty pools in virtual time, 1 s bursts every 3 s: the controllers grow the pools in each
    // burst and shrink them in each gap, within bounds; the cost reflects it; every task ends once.
    void simulatorAutoscales()
    {
        const auto s = test::scenarioFromYaml(burstyPools(QStringLiteral("queue"), 21.0, 0.1, 1.0, 2.0));
        QVERIFY(s);
        SimOptions o;
        o.cores = 2;
        const RunResult r = simulate(*s, o);
        QVERIFY2(r.conserved(), qPrintable(test::countsText(r)));
        for (DomainKind d : { DomainKind::Threads, DomainKind::Tbb, DomainKind::Procs }) {
            const DomainResult &dr = dom(r, d);
            QVERIFY2(dr.autoscale && dr.autoscale->resizes >= 10,
                qPrintable(QStringLiteral("%1: %2 resizes")
                               .arg(domainName(d))
                               .arg(dr.autoscale ? dr.autoscale->resizes : -1)));
            QVERIFY(dr.autoscale->workersMin >= 1 && dr.autoscale->workersMax <= 6);
            QVERIFY(dr.autoscale->workersMax > 1);
            const double span = dr.totals.spanNs / 1e9;
            QVERIFY2(dr.workerSeconds() > 1.0 * span && dr.workerSeconds() < 6.0 * span,
                qPrintable(QStringLiteral("%1 worker-s over %2 s").arg(dr.workerSeconds()).arg(span)));
        }
        int scaleEvents = 0;
        for (const RunEvent &e : r.events)
            scaleEvents += e.kind == QLatin1String("scale") ? 1 : 0;
        QVERIFY(scaleEvents > 0);
        QVERIFY2(scaleEvents <= 3 * (int(r.durationS) + 2), qPrintable(QString::number(scaleEvents)));
        // The same seed, the same decisions.
        const RunResult again = simulate(*s, o);
        QCOMPARE(again.domains[1].autoscale->resizes, r.domains[1].autoscale->resizes);
        QCOMPARE(again.domains[1].workerSeconds(), r.domains[1].workerSeconds());
    }
};

QTEST_GUILESS_MAIN(TestAutoscaleEngine)
#include "tst_autoscale_engine.moc"
