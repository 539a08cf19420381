// The tune search on a known answer: each domain an M/M/c queue whose response-time P99 is exact
// (theory::mmcResponseQuantile), so the fewest workers that meet each SLA is known in advance.
// From any start (the prediction, too low, too high) the search finds it, with far fewer points
// than an exhaustive sweep; a budget, a cancel and an SLA nothing can meet stop it with a reason.

#include "results/theory.h"
#include "tuning/tunesearch.h"

#include <QTest>

using namespace hs;

namespace {
struct Load {
    QString cls;
    DomainKind domain;
    double lambda, meanS, slaS;
};

// io: 400 calls/s of 20 ms on threads (8 Erlangs); calc: 50/s of 50 ms on procs (2.5 Erlangs).
const std::vector<Load> kLoads = { { QStringLiteral("io"), DomainKind::Threads, 400, 0.020, 0.100 },
    { QStringLiteral("calc"), DomainKind::Procs, 50, 0.050, 0.300 } };

TuneSearch::Evaluate mmcEvaluator(const std::vector<Load> &loads, int *calls)
{
    return [loads, calls](const Workers &w) -> std::optional<TuneVerdict> {
        ++*calls;
        TuneVerdict v;
        v.allMet = true;
        for (const Load &l : loads) {
            const double p99 = theory::mmcResponseQuantile(l.lambda, l.meanS, w[std::size_t(l.domain)], 0.99);
            if (!(p99 <= l.slaS)) {
                v.allMet = false;
                v.missed << l.cls;
                v.missedDomains << domainName(l.domain);
            }
        }
        return v;
    };
}

Workers expected()
{
    Workers w {};
    for (const Load &l : kLoads)
        w[std::size_t(l.domain)] = *theory::smallestServersFor(l.lambda, l.meanS, 0.99, l.slaS);
    return w;
}
} // namespace

class TestTuneSearch : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void knownAnswer()
    {
        const Workers want = expected();
        // The case is not trivial: one fewer worker misses in each domain.
        QVERIFY(want[std::size_t(DomainKind::Threads)] > 9 && want[std::size_t(DomainKind::Procs)] > 3);
        for (const Load &l : kLoads)
            QVERIFY(theory::mmcResponseQuantile(l.lambda, l.meanS, want[std::size_t(l.domain)] - 1, 0.99) > l.slaS);
    }

    void findsTheFewestFromAnyStart_data()
    {
        QTest::addColumn<int>("threads");
        QTest::addColumn<int>("procs");
        const Workers want = expected();
        QTest::newRow("the prediction") << want[std::size_t(DomainKind::Threads)]
                                        << want[std::size_t(DomainKind::Procs)];
        QTest::newRow("too low") << 2 << 1;
        QTest::newRow("too high") << 64 << 64;
        QTest::newRow("mixed") << 3 << 40;
    }
    void findsTheFewestFromAnyStart()
    {
        QFETCH(int, threads);
        QFETCH(int, procs);
        int calls = 0;
        TuneSearch s({ { DomainKind::Threads, 1, 64, threads }, { DomainKind::Procs, 1, 64, procs } },
            mmcEvaluator(kLoads, &calls), 1e9, 1.0);
        const TuneOutcome o = s.run();
        QVERIFY2(o.best.has_value(), qPrintable(o.stopReason));
        QCOMPARE(o.best->workers, expected());
        QVERIFY(o.best->verdict.allMet);
        QVERIFY2(o.stopReason.startsWith(QStringLiteral("converged")), qPrintable(o.stopReason));
        QCOMPARE(int(o.evaluated.size()), calls); // each configuration once
        // An exhaustive sweep of the same space evaluates 64 × 64 points; bisection a few dozen.
        QVERIFY2(calls <= 30, qPrintable(QString::number(calls)));
        QCOMPARE(o.evaluated.front().why, QStringLiteral("start: the theory's prediction"));
    }

    void budgetStopsIt()
    {
        int calls = 0;
        TuneSearch s({ { DomainKind::Threads, 1, 64, 64 }, { DomainKind::Procs, 1, 64, 64 } },
            mmcEvaluator(kLoads, &calls), 10.0, 3.0); // 3 points of 3 s fit in 10 s
        const TuneOutcome o = s.run();
        QCOMPARE(calls, 3);
        QVERIFY2(o.stopReason.startsWith(QStringLiteral("budget spent after 3 points")), qPrintable(o.stopReason));
        QVERIFY(o.best.has_value()); // 64/64 met; the best found so far is reported
        QVERIFY(TuneSearch::cost(o.best->workers) < 128);
        // A budget too small for one point evaluates nothing.
        TuneSearch none({ { DomainKind::Threads, 1, 64, 8 } }, mmcEvaluator(kLoads, &calls), 2.0, 3.0);
        const TuneOutcome n = none.run();
        QVERIFY(n.evaluated.empty());
        QVERIFY(!n.best);
        QVERIFY2(n.stopReason.startsWith(QStringLiteral("budget spent after 0 points")), qPrintable(n.stopReason));
    }

    void cancelStopsIt()
    {
        int calls = 0;
        auto inner = mmcEvaluator(kLoads, &calls);
        TuneSearch s(
            { { DomainKind::Threads, 1, 64, 2 }, { DomainKind::Procs, 1, 64, 1 } },
            [&](const Workers &w) -> std::optional<TuneVerdict> {
                if (calls == 2)
                    return std::nullopt; // Ctrl+C during the third point
                return inner(w);
            },
            1e9, 1.0);
        const TuneOutcome o = s.run();
        QCOMPARE(int(o.evaluated.size()), 2);
        QVERIFY2(o.stopReason.startsWith(QStringLiteral("cancelled after 2 points")), qPrintable(o.stopReason));
    }

    void infeasibleSaysWhy()
    {
        // A 20 ms exponential service alone has a P99 of 92 ms: no pool meets a 50 ms SLA.
        const std::vector<Load> loads = { { QStringLiteral("io"), DomainKind::Threads, 100, 0.020, 0.050 } };
        int calls = 0;
        TuneSearch s({ { DomainKind::Threads, 1, 32, 4 } }, mmcEvaluator(loads, &calls), 1e9, 1.0);
        const TuneOutcome o = s.run();
        QVERIFY(o.infeasible);
        QVERIFY(!o.best);
        QCOMPARE(o.evaluated.back().workers[std::size_t(DomainKind::Threads)], 32); // grew to the bound
        QVERIFY2(o.stopReason.contains(QStringLiteral("io still miss")), qPrintable(o.stopReason));
        // A class missing on a domain that is not tuned cannot be helped by the tuned ones.
        const std::vector<Load> loop = { { QStringLiteral("tick"), DomainKind::Loop, 100, 0.020, 0.050 } };
        TuneSearch t({ { DomainKind::Threads, 1, 32, 4 } }, mmcEvaluator(loop, &calls), 1e9, 1.0);
        const TuneOutcome u = t.run();
        QVERIFY(u.infeasible);
        QVERIFY2(u.stopReason.contains(QStringLiteral("on loop, which is not tuned")), qPrintable(u.stopReason));
    }
};

QTEST_GUILESS_MAIN(TestTuneSearch)
#include "tst_tunesearch.moc"
