#include "tuning/sweepanalysis.h"
#include "tuning/sweepreport.h"

#include <QJsonObject>
#include <QTest>

#include <cmath>

namespace {

// A synthetic point of a one-axis sweep: one class with its P99 interval, one domain.
hs::SweepPointResult point(const QString &path, double value, double p99, std::optional<double> hi, double throughput,
    bool cpu = false, std::optional<double> sla = 100.0)
{
    hs::SweepPointResult p;
    p.values = { { path, QString::number(value) } };
    hs::SweepClassFigures c;
    c.name = QStringLiteral("a");
    c.throughput = throughput;
    c.p99Ms = p99;
    c.ciLoMs = p99 * 0.9;
    c.ciHiMs = hi;
    c.slaP99Ms = sla;
    c.slaMet = sla && hi && *hi < *sla;
    c.submitted = 1000;
    p.classes.push_back(c);
    hs::SweepDomainFigures d;
    d.kind = hs::DomainKind::Tbb;
    d.workers = int(value);
    d.cpuBound = cpu;
    p.domains.push_back(d);
    return p;
}

hs::SweepResult sweep(const QString &path, std::vector<hs::SweepPointResult> points)
{
    hs::SweepResult r;
    r.axes = { hs::VaryAxis { path, {} } };
    for (const auto &p : points)
        r.axes[0].values << p.values[0].second;
    r.points = std::move(points);
    r.plannedPoints = int(r.points.size());
    r.cores = 2;
    return r;
}

} // namespace

class TestSweepAnalysis : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // The fewest workers whose interval lies under the SLA; a P99 under the SLA with an interval
    // reaching over it does not count.
    void fewestWorkersMeetingTheSla()
    {
        const QString w = QStringLiteral("domains.threads.workers");
        auto r = sweep(w,
            { point(w, 2, 900, 950, 100), point(w, 4, 95, 120, 200), point(w, 6, 60, 70, 200),
                point(w, 8, 40, 45, 200) });
        hs::analyzeSweep(r);
        QVERIFY(r.recommendation);
        QVERIFY(r.recommendation->allSlaMet);
        QCOMPARE(r.recommendation->values[0].second, QStringLiteral("6"));
        QCOMPARE(*r.recommendation->cost, 6.0);
        QVERIFY(r.recommendation->reason.contains(QStringLiteral("fewest workers")));
        // The knee of the falling P99 curve is where it flattens: past the 2-worker collapse.
        QVERIFY2(r.knee, qPrintable(r.kneeWhy));
        QVERIFY2(r.knee->value >= 4 && r.knee->value <= 6, qPrintable(QString::number(r.knee->value)));
        QVERIFY(!r.usl); // not a CPU pool
        const QJsonObject j = hs::sweepToJson(r);
        QCOMPARE(j.value(QStringLiteral("schema")).toString(), QStringLiteral("hybridscope.sweep/1"));
        QVERIFY(j.value(QStringLiteral("usl")).isNull());
        QVERIFY(j.value(QStringLiteral("recommendation")).isObject());
    }

    // A CPU pool on 2 cores whose throughput stops rising at 2: 1 worker misses the SLA, 2 meets
    // it, and the points above 2 are never recommended even though they meet it too.
    void cpuPoolNeverOversubscribed()
    {
        const QString w = QStringLiteral("domains.tbb.workers");
        auto r = sweep(w,
            { point(w, 1, 400, 450, 100, true), point(w, 2, 150, 160, 140, true), point(w, 3, 90, 95, 141, true),
                point(w, 4, 80, 85, 139, true), point(w, 6, 85, 90, 135, true), point(w, 8, 95, 99, 128, true) });
        hs::analyzeSweep(r);
        QVERIFY(r.usl); // 6 points of a CPU pool
        QVERIFY(r.usl->fit.nStar < 8);
        QVERIFY(r.recommendation);
        // 3+ workers meet the 100 ms SLA but are past the CPU's limit: no point may be recommended
        // above 2, and 2 misses, so the closest within the limit is given as not met.
        QVERIFY(!r.recommendation->allSlaMet);
        QCOMPARE(r.recommendation->values[0].second, QStringLiteral("2"));
        QCOMPARE(r.cpuLimits.size(), std::size_t(1));
        QVERIFY2(r.cpuLimits[0].second.contains(QStringLiteral("at most 2")), qPrintable(r.cpuLimits[0].second));
    }

    // Open-loop work the pool keeps up with: flat throughput is no CPU limit below the core count.
    void flatThroughputBelowTheCoresIsNoLimit()
    {
        const QString w = QStringLiteral("domains.tbb.workers");
        auto r = sweep(w, { point(w, 1, 300, 320, 100, true), point(w, 2, 50, 60, 100, true) });
        hs::analyzeSweep(r);
        QVERIFY(r.recommendation);
        QVERIFY(r.recommendation->allSlaMet);
        QCOMPARE(r.recommendation->values[0].second, QStringLiteral("2"));
    }

    // A load sweep: the highest load that meets the SLA; an unbounded interval never meets it.
    void highestLoadMeetingTheSla()
    {
        const QString l = QStringLiteral("load");
        auto r = sweep(l,
            { point(l, 0.5, 20, 25, 50), point(l, 1, 30, 40, 100), point(l, 1.5, 60, std::nullopt, 150),
                point(l, 2, 500, 800, 160) });
        hs::analyzeSweep(r);
        QVERIFY(r.recommendation && r.recommendation->allSlaMet);
        QCOMPARE(r.recommendation->values[0].second, QStringLiteral("1"));
        QVERIFY(r.recommendation->reason.contains(QStringLiteral("highest load")));
        QVERIFY(!r.usl);
    }

    void noSlaNoRecommendation()
    {
        const QString w = QStringLiteral("domains.threads.workers");
        auto r = sweep(w, { point(w, 1, 10, 11, 10, false, std::nullopt), point(w, 2, 5, 6, 10, false, std::nullopt) });
        hs::analyzeSweep(r);
        QVERIFY(!r.recommendation);
        QVERIFY(r.recommendationWhy.contains(QStringLiteral("SLA")));
        QVERIFY(hs::sweepToJson(r).value(QStringLiteral("recommendation")).isNull());
    }
};

QTEST_GUILESS_MAIN(TestSweepAnalysis)
#include "tst_sweepanalysis.moc"
