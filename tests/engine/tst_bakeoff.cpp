// A policy bake-off's pure parts (DESIGN §13, docs/tuning.md): the autoscale axis, the merged
// autoscale figures of a point's reps, the cost ratio, the baseline from a tune, the JSON keys and
// the checker's verdict on them.
#include "results/report.h"
#include "tuning/bakeoff.h"
#include "tuning/sweepanalysis.h"
#include "tuning/sweepreport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <optional>

namespace {

const QString kPolicy = QStringLiteral("domains.threads.autoscale.policy");

// A policy point: one class with its P99 interval against a 100 ms SLA, the threads pool's cost.
hs::SweepPointResult policyPoint(const QString &policy, double p99, double hi, double workerSeconds, double measuredS,
    std::optional<hs::AutoscaleResult> autoscale = std::nullopt)
{
    hs::SweepPointResult p;
    p.values = { { kPolicy, policy } };
    p.measuredS = measuredS;
    hs::SweepClassFigures c;
    c.name = QStringLiteral("api");
    c.throughput = 100;
    c.p99Ms = p99;
    c.ciLoMs = p99 * 0.9;
    c.ciHiMs = hi;
    c.slaP99Ms = 100.0;
    c.slaMet = hi < 100.0;
    c.submitted = 1000;
    p.classes.push_back(c);
    hs::SweepDomainFigures d;
    d.kind = hs::DomainKind::Threads;
    d.workers = 2;
    d.workerSeconds = workerSeconds;
    d.workersMean = workerSeconds / measuredS;
    d.autoscale = autoscale;
    p.domains.push_back(d);
    return p;
}

hs::SweepResult bakeoff(std::vector<hs::SweepPointResult> points)
{
    hs::SweepResult r;
    r.axes = { hs::VaryAxis { kPolicy, {} } };
    for (const auto &p : points)
        r.axes[0].values << p.values[0].second;
    r.points = std::move(points);
    r.plannedPoints = int(r.points.size());
    r.cores = 2;
    return r;
}

hs::SweepBaseline baseline(int workers, double measuredS)
{
    hs::SweepBaseline b;
    b.domain = hs::DomainKind::Threads;
    b.workers = workers;
    b.workerSeconds = workers * measuredS;
    b.workersMean = workers;
    b.measuredS = measuredS;
    b.budgetS = 20;
    hs::SweepClassFigures c;
    c.name = QStringLiteral("api");
    c.p99Ms = 50;
    c.ciLoMs = 45;
    c.ciHiMs = 60;
    c.slaP99Ms = 100;
    c.slaMet = true;
    b.classes.push_back(c);
    return b;
}

QString checkError(const QJsonObject &sweep)
{
    QJsonObject parsed;
    QString error;
    if (hs::parseSweepJson(QJsonDocument(sweep).toJson(), QStringLiteral("s.json"), &parsed, &error))
        return {};
    return error.isEmpty() ? QStringLiteral("refused without a reason") : error;
}

} // namespace

class TestBakeoff : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void autoscaleAxis_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("domain"); // -1: none
        QTest::newRow("threads") << QStringLiteral("domains.threads.autoscale.policy") << int(hs::DomainKind::Threads);
        QTest::newRow("procs") << QStringLiteral("domains.procs.autoscale.policy") << int(hs::DomainKind::Procs);
        QTest::newRow("loop: no pool") << QStringLiteral("domains.loop.autoscale.policy") << -1;
        QTest::newRow("a bound, not the policy") << QStringLiteral("domains.tbb.autoscale.max") << -1;
        QTest::newRow("workers") << QStringLiteral("domains.threads.workers") << -1;
        QTest::newRow("load") << QStringLiteral("load") << -1;
    }
    void autoscaleAxis()
    {
        QFETCH(QString, path);
        QFETCH(int, domain);
        const auto d = hs::VaryAxis { path, {} }.autoscaleDomain();
        QCOMPARE(d ? int(*d) : -1, domain);
    }

    // --vary over the policy's texts: every policy accepted as it is written, a wrong one named.
    void varyPolicies()
    {
        QString why;
        const auto axis = hs::parseVaryArgument(kPolicy + QStringLiteral("=off,queue,aimd,gradient,vegas"), &why);
        QVERIFY2(axis, qPrintable(why));
        QCOMPARE(axis->values,
            (QStringList { QStringLiteral("off"), QStringLiteral("queue"), QStringLiteral("aimd"),
                QStringLiteral("gradient"), QStringLiteral("vegas") }));
        QVERIFY(!axis->poolDomain());
        QVERIFY(!hs::parseVaryArgument(kPolicy + QStringLiteral("=off,fastest"), &why));
        QVERIFY2(why.contains(QStringLiteral("fastest")), qPrintable(why));
    }

    // The reps' figures of one domain: the resizes summed, the widest range, the last policy.
    void mergeAutoscale()
    {
        using hs::AutoscalePolicy;
        std::vector<hs::DomainAutoscale> reps(3);
        const auto t = std::size_t(hs::DomainKind::Threads);
        reps[0][t] = hs::AutoscaleResult { AutoscalePolicy::Queue, 4, 2, 9 };
        reps[2][t] = hs::AutoscaleResult { AutoscalePolicy::Queue, 3, 1, 6 };
        const auto m = hs::mergeAutoscale(reps, hs::DomainKind::Threads);
        QVERIFY(m);
        QCOMPARE(m->policy, AutoscalePolicy::Queue);
        QCOMPARE(m->resizes, 7);
        QCOMPARE(m->workersMin, 1);
        QCOMPARE(m->workersMax, 9);
        QVERIFY(!hs::mergeAutoscale(reps, hs::DomainKind::Tbb));
        QVERIFY(!hs::mergeAutoscale({}, hs::DomainKind::Threads));
    }

    // worker-seconds per measured second over the baseline's: spans that differ a little do not count.
    void costRatio()
    {
        const hs::SweepBaseline b = baseline(4, 2.0); // 8 worker-seconds
        QCOMPARE(*hs::costRatio(policyPoint(QStringLiteral("queue"), 80, 90, 6.0, 2.0), b), 0.75);
        // The same mean size over a span 1 % longer is the same cost.
        QCOMPARE(*hs::costRatio(policyPoint(QStringLiteral("queue"), 80, 90, 6.06, 2.02), b), 0.75);
        hs::SweepBaseline none = b;
        none.workersMean = 0;
        QVERIFY(!hs::costRatio(policyPoint(QStringLiteral("queue"), 80, 90, 6.0, 2.0), none));
        hs::SweepPointResult noPool = policyPoint(QStringLiteral("off"), 80, 90, 6.0, 2.0);
        noPool.domains.clear();
        QVERIFY(!hs::costRatio(noPool, b));
    }

    // A bake-off recommends the policy that meets every SLA for the fewest worker-seconds.
    void recommendsTheCheapestPolicyThatMeets()
    {
        auto r = bakeoff({ policyPoint(QStringLiteral("off"), 300, 350, 4.0, 2.0),
            policyPoint(QStringLiteral("queue"), 60, 70, 12.0, 2.0),
            policyPoint(QStringLiteral("aimd"), 80, 95, 9.0, 2.0) });
        hs::analyzeSweep(r);
        QVERIFY(r.recommendation && r.recommendation->allSlaMet);
        QCOMPARE(r.recommendation->values[0].second, QStringLiteral("aimd"));
        QCOMPARE(*r.recommendation->cost, 9.0);
        QVERIFY2(r.recommendation->reason.contains(QStringLiteral("worker-seconds of threads")),
            qPrintable(r.recommendation->reason));
    }

    void baselineFromTune()
    {
        hs::TuneResult t;
        t.budgetS = 20;
        t.stopReason = QStringLiteral("converged");
        hs::TunePoint miss;
        miss.workers[std::size_t(hs::DomainKind::Threads)] = 2;
        miss.point = policyPoint(QStringLiteral("off"), 300, 350, 4.0, 2.0);
        hs::TunePoint met;
        met.workers[std::size_t(hs::DomainKind::Threads)] = 5;
        met.point = policyPoint(QStringLiteral("off"), 50, 60, 10.0, 2.0);
        met.verdict.allMet = true;
        met.source = QStringLiteral("sim");
        t.evaluated = { miss, met };
        t.best = 1;
        QString why;
        const auto b = hs::baselineFromTune(t, hs::DomainKind::Threads, &why);
        QVERIFY2(b, qPrintable(why));
        QCOMPARE(b->workers, 5);
        QCOMPARE(b->workerSeconds, 10.0);
        QCOMPARE(b->workersMean, 5.0);
        QCOMPARE(b->measuredS, 2.0);
        QCOMPARE(b->source, QStringLiteral("sim"));
        QCOMPARE(b->budgetS, 20.0);
        QCOMPARE(b->classes.size(), std::size_t(1));

        // None met: infeasible names what cannot be met, a spent budget says how the search stopped.
        t.best.reset();
        t.infeasible = true;
        t.infeasibleWhy = { QStringLiteral("api (P99 300 ms, SLA 100 ms): it still misses at 64") };
        QVERIFY(!hs::baselineFromTune(t, hs::DomainKind::Threads, &why));
        QVERIFY2(why.contains(QStringLiteral("still misses at 64")), qPrintable(why));
        t.infeasible = false;
        t.stopReason = QStringLiteral("budget of 20 s spent after 6 points");
        QVERIFY(!hs::baselineFromTune(t, hs::DomainKind::Threads, &why));
        QVERIFY2(why.contains(QStringLiteral("budget of 20 s")), qPrintable(why));
    }

    void fixedPoolScenario()
    {
        hs::Scenario s;
        s.domain(hs::DomainKind::Threads).autoscale.policy = hs::AutoscalePolicy::Gradient;
        s.domain(hs::DomainKind::Threads).autoscale.max = 32;
        const hs::Scenario f = hs::fixedPoolScenario(s, hs::DomainKind::Threads);
        QCOMPARE(f.domain(hs::DomainKind::Threads).autoscale.policy, hs::AutoscalePolicy::Off);
        QCOMPARE(f.domain(hs::DomainKind::Threads).autoscale.max, 32);
        QCOMPARE(hs::baselineBudgetS(2.0, 1), 20.0);
        QCOMPARE(hs::baselineBudgetS(2.0, 3), 60.0);
    }

    // The JSON of a bake-off: the baseline, each point's cost and ratio; the checker accepts it and
    // names the key of a bad value.
    void jsonAndChecker()
    {
        using hs::AutoscalePolicy;
        auto r = bakeoff({ policyPoint(QStringLiteral("off"), 300, 350, 4.0, 2.0),
            policyPoint(
                QStringLiteral("queue"), 60, 70, 6.0, 2.0, hs::AutoscaleResult { AutoscalePolicy::Queue, 5, 2, 6 }) });
        hs::analyzeSweep(r);
        r.baseline = baseline(4, 2.0);
        QJsonObject j = hs::sweepToJson(r);
        const QJsonObject b = j.value(QStringLiteral("fixed_baseline")).toObject();
        QCOMPARE(b.value(QStringLiteral("domain")).toString(), QStringLiteral("threads"));
        QCOMPARE(b.value(QStringLiteral("workers")).toInt(), 4);
        QCOMPARE(b.value(QStringLiteral("worker_seconds")).toDouble(), 8.0);
        QCOMPARE(b.value(QStringLiteral("budget_s")).toDouble(), 20.0);
        QVERIFY(b.value(QStringLiteral("classes"))
                    .toObject()
                    .value(QStringLiteral("api"))
                    .toObject()
                    .value(QStringLiteral("met"))
                    .toBool());
        const QJsonArray points = j.value(QStringLiteral("points")).toArray();
        QCOMPARE(points[0].toObject().value(QStringLiteral("cost_ratio")).toDouble(), 0.5);
        const QJsonObject queue = points[1].toObject();
        QCOMPARE(queue.value(QStringLiteral("cost_ratio")).toDouble(), 0.75);
        const QJsonObject threads
            = queue.value(QStringLiteral("domains")).toObject().value(QStringLiteral("threads")).toObject();
        QCOMPARE(threads.value(QStringLiteral("worker_seconds")).toDouble(), 6.0);
        QCOMPARE(threads.value(QStringLiteral("workers_mean")).toDouble(), 3.0);
        const QJsonObject as = threads.value(QStringLiteral("autoscale")).toObject();
        QCOMPARE(as.value(QStringLiteral("policy")).toString(), QStringLiteral("queue"));
        QCOMPARE(as.value(QStringLiteral("resizes")).toInt(), 5);
        QCOMPARE(as.value(QStringLiteral("workers_min")).toInt(), 2);
        QCOMPARE(as.value(QStringLiteral("workers_max")).toInt(), 6);
        QVERIFY(!points[0]
                     .toObject()
                     .value(QStringLiteral("domains"))
                     .toObject()
                     .value(QStringLiteral("threads"))
                     .toObject()
                     .contains(QStringLiteral("autoscale")));
        QCOMPARE(checkError(j), QString());

        // The CSV carries the cost and the ratio.
        const QStringList csv = hs::sweepToCsv(r).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QVERIFY2(csv[0].endsWith(QStringLiteral(",worker_seconds,workers_mean,cost_ratio")), qPrintable(csv[0]));
        QVERIFY2(csv[2].startsWith(QStringLiteral("queue,api,")) && csv[2].endsWith(QStringLiteral(",6,3,0.75")),
            qPrintable(csv[2]));
        QVERIFY(hs::sweepSummary(r).contains(QStringLiteral("fixed baseline: threads 4 workers")));

        const auto withPoint = [&](const std::function<void(QJsonObject &)> &edit) {
            QJsonObject bad = j;
            QJsonArray ps = bad.value(QStringLiteral("points")).toArray();
            QJsonObject p = ps[1].toObject();
            edit(p);
            ps[1] = p;
            bad[QStringLiteral("points")] = ps;
            return checkError(bad);
        };
        QString e = withPoint([](QJsonObject &p) { p[QStringLiteral("cost_ratio")] = -1; });
        QVERIFY2(e.contains(QStringLiteral("points[1].cost_ratio")), qPrintable(e));
        e = withPoint([](QJsonObject &p) {
            QJsonObject d = p.value(QStringLiteral("domains")).toObject();
            QJsonObject t = d.value(QStringLiteral("threads")).toObject();
            QJsonObject a = t.value(QStringLiteral("autoscale")).toObject();
            a[QStringLiteral("policy")] = QStringLiteral("fastest");
            t[QStringLiteral("autoscale")] = a;
            d[QStringLiteral("threads")] = t;
            p[QStringLiteral("domains")] = d;
        });
        QVERIFY2(e.contains(QStringLiteral("points[1].domains.threads.autoscale.policy")), qPrintable(e));
        e = withPoint([](QJsonObject &p) {
            QJsonObject d = p.value(QStringLiteral("domains")).toObject();
            QJsonObject t = d.value(QStringLiteral("threads")).toObject();
            t[QStringLiteral("worker_seconds")] = QStringLiteral("six");
            d[QStringLiteral("threads")] = t;
            p[QStringLiteral("domains")] = d;
        });
        QVERIFY2(e.contains(QStringLiteral("points[1].domains.threads.worker_seconds")), qPrintable(e));
        // A text axis: a point's value is one of the axis's texts.
        e = withPoint([](QJsonObject &p) {
            p[QStringLiteral("values")] = QJsonObject { { kPolicy, QStringLiteral("gradient") } };
        });
        QVERIFY2(
            e.contains(QStringLiteral("points[1].values")) && e.contains(QStringLiteral("gradient")), qPrintable(e));
        e = withPoint([](QJsonObject &p) { p[QStringLiteral("values")] = QJsonObject { { kPolicy, 3 } }; });
        QVERIFY2(e.contains(QStringLiteral("points[1].values")), qPrintable(e));

        QJsonObject bad = j;
        QJsonObject fb = b;
        fb[QStringLiteral("domain")] = QStringLiteral("gpu");
        bad[QStringLiteral("fixed_baseline")] = fb;
        e = checkError(bad);
        QVERIFY2(e.contains(QStringLiteral("fixed_baseline.domain")), qPrintable(e));
        fb = b;
        fb[QStringLiteral("workers")] = 0;
        bad[QStringLiteral("fixed_baseline")] = fb;
        e = checkError(bad);
        QVERIFY2(e.contains(QStringLiteral("fixed_baseline.workers")), qPrintable(e));
        fb = b;
        fb.remove(QStringLiteral("worker_seconds"));
        bad[QStringLiteral("fixed_baseline")] = fb;
        e = checkError(bad);
        QVERIFY2(e.contains(QStringLiteral("fixed_baseline")) && e.contains(QStringLiteral("worker_seconds")),
            qPrintable(e));

        // No baseline: null, with the reason; no ratio.
        r.baseline.reset();
        r.baselineWhy = QStringLiteral("no fixed size of threads met every SLA before the search stopped");
        j = hs::sweepToJson(r);
        QVERIFY(j.value(QStringLiteral("fixed_baseline")).isNull());
        QCOMPARE(j.value(QStringLiteral("fixed_baseline_reason")).toString(), r.baselineWhy);
        QVERIFY(j.value(QStringLiteral("points")).toArray()[1].toObject().value(QStringLiteral("cost_ratio")).isNull());
        QCOMPARE(checkError(j), QString());
    }

    // A sweep of anything else has none of the bake-off's keys.
    void otherSweepsUnchanged()
    {
        const QString w = QStringLiteral("domains.threads.workers");
        auto r = bakeoff({ policyPoint(QStringLiteral("2"), 300, 350, 4.0, 2.0) });
        r.axes[0].path = w;
        r.points[0].values = { { w, QStringLiteral("2") } };
        QVERIFY(!r.bakeoffDomain());
        const QJsonObject j = hs::sweepToJson(r);
        QVERIFY(!j.contains(QStringLiteral("fixed_baseline")));
        QVERIFY(!j.value(QStringLiteral("points")).toArray()[0].toObject().contains(QStringLiteral("cost_ratio")));
        QVERIFY(!hs::sweepToCsv(r).contains(QStringLiteral("cost_ratio")));
    }
};

QTEST_GUILESS_MAIN(TestBakeoff)
#include "tst_bakeoff.moc"
