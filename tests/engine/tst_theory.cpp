#include "core/latencyhistogram.h"
#include "results/domaintheory.h"
#include "results/report.h"
#include "results/runresult.h"
#include "results/theory.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <QTest>

#include <cmath>
#include <random>
#include <vector>

using namespace hs;
using namespace hs::theory;

namespace {

using Points = std::vector<std::pair<double, double>>;

bool near(double got, double want, double relative)
{
    return std::abs(got - want) <= relative * std::abs(want);
}

QString show(double got, double want)
{
    return QStringLiteral("got %1, expected %2").arg(got, 0, 'g', 12).arg(want, 0, 'g', 12);
}

// Erlang C by its defining sum, in logs so that large c does not overflow: an independent check of
// the recursion through Erlang B.
double erlangCDirect(int c, double a)
{
    std::vector<double> logs;
    double logTerm = 0;
    for (int k = 0; k < c; ++k) {
        logs.push_back(logTerm); // a^k / k!
        logTerm += std::log(a) - std::log(k + 1);
    }
    const double logTop = logTerm + std::log(c / (c - a)); // a^c / c! · c / (c − a)
    double top = logTop;
    for (double l : logs)
        top = std::max(top, l);
    double sum = 0;
    for (double l : logs)
        sum += std::exp(l - top);
    const double last = std::exp(logTop - top);
    return last / (sum + last);
}

Points hockeyStick(const std::vector<double> &xs, double knee, double flat, double slope)
{
    Points p;
    for (double x : xs)
        p.emplace_back(x, flat + (x > knee ? slope * (x - knee) : 0.0));
    return p;
}

} // namespace

class TheoryTest : public QObject {
    Q_OBJECT
private slots:
    void erlangC_data();
    void erlangC();
    void erlangCStaysStableForLargeC();
    void erlangB_data();
    void erlangB();
    void mmcClosedForms();
    void mmcOverloaded();
    void pollaczekKhinchine_data();
    void pollaczekKhinchine();
    void allenCunneenReducesToExactCases();
    void mmckClosedForms();
    void mmckApproachesMmcForLargeK();
    void responseQuantileOfMm1IsExponential_data();
    void responseQuantileOfMm1IsExponential();
    void responseQuantileOfMmc();
    void smallestServersFor();
    void littleMismatch();
    void uslRecoversParameters_data();
    void uslRecoversParameters();
    void uslNeedsFivePointsAndThreeN();
    void knee_data();
    void knee();
    void noKnee_data();
    void noKnee();
    void predictDomainChoosesTheModel();
    void predictDomainSaysWhyNot_data();
    void predictDomainSaysWhyNot();
    void runJsonCarriesTheTheory();
};

// Erlang C, C(c, a) with a = λ·E[S] Erlangs. Published values:
//  c = 1: C = ρ (M/M/1; Kleinrock, Queueing Systems I, §3.2);
//  c = 2: C = 2ρ²/(1 + ρ) (M/M/2 closed form);
//  c = 3, a = 2: P0 = 1/9, C = 4/9 (Gross & Harris, Fundamentals of Queueing Theory, M/M/3 example);
//  c = 4, a = 3: 27/53; c = 5, a = 4: 0.554113; c = 6, a = 5: 0.587516; c = 8, a = 6: 0.356981
//  (the defining sum, in exact rationals);
//  c = 10, a = 8: 0.409180 (the "10 agents, 8 Erlangs: 40.9 % wait" of call-centre Erlang C tables).
void TheoryTest::erlangC_data()
{
    QTest::addColumn<int>("c");
    QTest::addColumn<double>("a");
    QTest::addColumn<double>("expected");
    QTest::newRow("M/M/1 rho=0.5") << 1 << 0.5 << 0.5;
    QTest::newRow("M/M/1 rho=0.95") << 1 << 0.95 << 0.95;
    QTest::newRow("M/M/2 rho=0.5") << 2 << 1.0 << 1.0 / 3.0;
    QTest::newRow("M/M/2 rho=0.8") << 2 << 1.6 << 2 * 0.64 / 1.8;
    QTest::newRow("c=3 a=2") << 3 << 2.0 << 4.0 / 9.0;
    QTest::newRow("c=4 a=3") << 4 << 3.0 << 27.0 / 53.0;
    QTest::newRow("c=5 a=4") << 5 << 4.0 << 0.5541125541;
    QTest::newRow("c=6 a=5") << 6 << 5.0 << 0.5875164505;
    QTest::newRow("c=8 a=6") << 8 << 6.0 << 0.3569810859;
    QTest::newRow("c=10 a=8") << 10 << 8.0 << 0.4091801508;
    QTest::newRow("c=10 a=9") << 10 << 9.0 << 0.6687315241;
}

void TheoryTest::erlangC()
{
    QFETCH(int, c);
    QFETCH(double, a);
    QFETCH(double, expected);
    // The recursion is exact arithmetic on a handful of terms: only rounding separates it from the
    // rational value (the table's last digit, 1e-10, is the tolerance).
    QVERIFY2(
        std::abs(hs::theory::erlangC(c, a) - expected) <= 1e-9, qPrintable(show(hs::theory::erlangC(c, a), expected)));
    QCOMPARE(hs::theory::erlangC(c, double(c)), 1.0); // saturated
    QCOMPARE(hs::theory::erlangC(c, 0.0), 0.0);
}

// Where a^c / c! overflows a double (c = 500: 10^1134) the recursion still agrees with the sum in logs.
void TheoryTest::erlangCStaysStableForLargeC()
{
    for (const auto &[c, a] : std::vector<std::pair<int, double>> { { 200, 190 }, { 500, 480 }, { 2000, 1990 } }) {
        const double got = hs::theory::erlangC(c, a);
        const double want = erlangCDirect(c, a);
        QVERIFY2(std::isfinite(got) && got > 0 && got < 1, qPrintable(show(got, want)));
        QVERIFY2(near(got, want, 1e-9), qPrintable(show(got, want)));
    }
}

// Erlang B tables (e.g. any teletraffic handbook): 10 trunks at 5 E block 1.84 %; 5 trunks at 3 E, 11.0 %.
void TheoryTest::erlangB_data()
{
    QTest::addColumn<int>("c");
    QTest::addColumn<double>("a");
    QTest::addColumn<double>("expected");
    QTest::newRow("c=1 a=1") << 1 << 1.0 << 0.5; // a / (1 + a)
    QTest::newRow("c=5 a=3") << 5 << 3.0 << 0.1100543478;
    QTest::newRow("c=10 a=5") << 10 << 5.0 << 0.0183845703;
}

void TheoryTest::erlangB()
{
    QFETCH(int, c);
    QFETCH(double, a);
    QFETCH(double, expected);
    QVERIFY2(
        std::abs(hs::theory::erlangB(c, a) - expected) <= 1e-9, qPrintable(show(hs::theory::erlangB(c, a), expected)));
}

// M/M/1: Wq = ρ·E[S]/(1 − ρ), Lq = ρ²/(1 − ρ). M/M/2: C = 2ρ²/(1 + ρ), Wq = C/(2μ − λ),
// Lq = 2ρ³/(1 − ρ²).
void TheoryTest::mmcClosedForms()
{
    const Prediction one = mmc(90, 0.01, 1); // ρ = 0.9
    QVERIFY(one.applies);
    QCOMPARE(one.model, QStringLiteral("M/M/c (Erlang C)"));
    QVERIFY(near(one.utilization, 0.9, 1e-12));
    QVERIFY(near(one.pWait, 0.9, 1e-12));
    QVERIFY2(near(one.waitMeanS, 0.09, 1e-12), qPrintable(show(one.waitMeanS, 0.09)));
    QVERIFY(near(one.queueMean, 8.1, 1e-12));
    QVERIFY(near(one.responseMeanS, 0.1, 1e-12));

    const Prediction two = mmc(90, 0.02, 2); // ρ = 0.9
    const double rho = 0.9, c2 = 2 * rho * rho / (1 + rho);
    QVERIFY(near(two.pWait, c2, 1e-12));
    QVERIFY(near(two.waitMeanS, c2 / (2 / 0.02 - 90), 1e-12));
    QVERIFY2(near(two.queueMean, 2 * std::pow(rho, 3) / (1 - rho * rho), 1e-12),
        qPrintable(show(two.queueMean, 2 * std::pow(rho, 3) / (1 - rho * rho))));
}

void TheoryTest::mmcOverloaded()
{
    const Prediction p = mmc(100, 0.02, 2); // U = 1
    QVERIFY(!p.applies);
    QVERIFY2(p.why.startsWith(QStringLiteral("overloaded: U = 1.00")), qPrintable(p.why));
    QCOMPARE(p.utilization, 1.0);
    QVERIFY(!mmc(0, 0.02, 2).applies);
    QVERIFY(std::isinf(mmcResponseQuantile(100, 0.02, 2, 0.99)));
}

// Pollaczek–Khinchine, Wq = ρ·E[S]·(1 + cs²) / (2(1 − ρ)) (Kleinrock I, eq. 5.73): M/D/1 at
// ρ = 0.5 waits E[S]/2, half of M/M/1's E[S]; M/M/1 at ρ = 0.8 waits 4·E[S]; M/E2/1 (cs² = 1/2) at
// ρ = 0.75 waits 0.75·1.5/0.5 = 2.25·E[S].
void TheoryTest::pollaczekKhinchine_data()
{
    QTest::addColumn<double>("rho");
    QTest::addColumn<double>("cs2");
    QTest::addColumn<double>("waitInServiceTimes");
    QTest::newRow("M/D/1 0.5") << 0.5 << 0.0 << 0.5;
    QTest::newRow("M/M/1 0.5") << 0.5 << 1.0 << 1.0;
    QTest::newRow("M/M/1 0.8") << 0.8 << 1.0 << 4.0;
    QTest::newRow("M/E2/1 0.75") << 0.75 << 0.5 << 2.25;
}

void TheoryTest::pollaczekKhinchine()
{
    QFETCH(double, rho);
    QFETCH(double, cs2);
    QFETCH(double, waitInServiceTimes);
    const double s = 0.004;
    const Prediction p = hs::theory::pollaczekKhinchine(rho / s, s, cs2);
    QVERIFY(p.applies);
    QVERIFY(near(p.waitMeanS, waitInServiceTimes * s, 1e-12));
    QVERIFY(near(p.pWait, rho, 1e-12));
    QVERIFY(near(p.queueMean, rho / s * p.waitMeanS, 1e-12));
    QVERIFY(!hs::theory::pollaczekKhinchine(1.2 / s, s, cs2).applies);
}

// Allen–Cunneen is exact where it should be: with ca² = cs² = 1 it is Erlang C, and for c = 1 with
// Poisson arrivals it is Pollaczek–Khinchine (M/G/1). M/D/c waits half of M/M/c.
void TheoryTest::allenCunneenReducesToExactCases()
{
    for (int c : { 1, 2, 4, 8 }) {
        const double lambda = 0.85 * c / 0.01;
        const Prediction m = mmc(lambda, 0.01, c);
        const Prediction ac = allenCunneen(lambda, 0.01, 1, 1, c);
        QCOMPARE(ac.model, QStringLiteral("G/G/c (Allen–Cunneen)"));
        QVERIFY(near(ac.waitMeanS, m.waitMeanS, 1e-12));
        QVERIFY(near(allenCunneen(lambda, 0.01, 1, 0, c).waitMeanS, m.waitMeanS / 2, 1e-12));
        QVERIFY(near(allenCunneen(lambda, 0.01, 0, 0, c).waitMeanS, 0, 1e-12));
        QVERIFY(near(ac.pWait, m.pWait, 1e-12));
    }
    for (double cs2 : { 0.0, 0.5, 2.0, 9.0 }) {
        const Prediction ac = allenCunneen(70, 0.01, 1, cs2, 1);
        const Prediction pk = hs::theory::pollaczekKhinchine(70, 0.01, cs2);
        QVERIFY2(near(ac.waitMeanS, pk.waitMeanS, 1e-12), qPrintable(show(ac.waitMeanS, pk.waitMeanS)));
    }
}

// M/M/1/K: p_n = (1 − ρ)ρ^n / (1 − ρ^(K+1)); ρ = 0.5, K = 3: P_block = 1/15, Lq = p2 + 2·p3 = 4/15.
// ρ = 1: p_n = 1/(K+1). M/M/c/c is Erlang B's loss system.
void TheoryTest::mmckClosedForms()
{
    const Prediction p = mmck(50, 0.01, 1, 3);
    QVERIFY(p.applies);
    QCOMPARE(p.model, QStringLiteral("M/M/c/K"));
    QVERIFY(p.pBlock);
    QVERIFY2(near(*p.pBlock, 1.0 / 15, 1e-12), qPrintable(show(*p.pBlock, 1.0 / 15)));
    QVERIFY(near(p.queueMean, 4.0 / 15, 1e-12));
    QVERIFY(near(p.waitMeanS, (4.0 / 15) / (50 * 14.0 / 15), 1e-12));
    // An admitted arrival waits when it finds 1 or 2 in the system: (p1 + p2) / (1 − p3) = 6/14.
    QVERIFY(near(p.pWait, 6.0 / 14, 1e-12));
    QVERIFY(near(p.utilization, 50 * 0.01 * 14.0 / 15, 1e-12));

    const Prediction full = mmck(100, 0.01, 1, 4); // ρ = 1: bounded, so still a steady state
    QVERIFY(full.applies);
    QVERIFY(near(*full.pBlock, 0.2, 1e-12));

    const Prediction loss = mmck(300, 0.01, 5, 5); // a = 3
    QVERIFY(near(*loss.pBlock, 0.1100543478, 1e-9));
    QCOMPARE(loss.queueMean, 0.0);
    QCOMPARE(loss.waitMeanS, 0.0);

    // Far past saturation every extra arrival is rejected; nothing overflows.
    const Prediction over = mmck(1e6, 0.01, 4, 4 + 5000);
    QVERIFY(over.applies && std::isfinite(over.queueMean));
    QVERIFY(near(*over.pBlock, 1 - 400.0 / 1e6, 1e-9));
}

void TheoryTest::mmckApproachesMmcForLargeK()
{
    const Prediction open = mmc(270, 0.01, 3); // ρ = 0.9
    const Prediction big = mmck(270, 0.01, 3, 3 + 2000); // P(N > 2000) ~ 0.9^2000
    QVERIFY(near(big.pWait, open.pWait, 1e-9));
    QVERIFY(near(big.waitMeanS, open.waitMeanS, 1e-9));
    QVERIFY(near(big.queueMean, open.queueMean, 1e-9));
}

// The response time of FCFS M/M/1 is exactly Exp(μ − λ): its q-quantile is −ln(1 − q)/(μ − λ).
void TheoryTest::responseQuantileOfMm1IsExponential_data()
{
    QTest::addColumn<double>("lambda");
    QTest::addColumn<double>("meanS");
    QTest::addColumn<double>("q");
    QTest::newRow("rho=0.9 p99") << 90.0 << 0.01 << 0.99;
    QTest::newRow("rho=0.5 p50") << 50.0 << 0.01 << 0.5;
    QTest::newRow("rho=0.2 p999") << 2.0 << 0.1 << 0.999;
    QTest::newRow("rho=0.99 p99") << 99.0 << 0.01 << 0.99;
}

void TheoryTest::responseQuantileOfMm1IsExponential()
{
    QFETCH(double, lambda);
    QFETCH(double, meanS);
    QFETCH(double, q);
    const double want = -std::log(1 - q) / (1 / meanS - lambda);
    const double got = mmcResponseQuantile(lambda, meanS, 1, q);
    QVERIFY2(near(got, want, 1e-9), qPrintable(show(got, want)));
}

// M/M/c: P(T > t) = (1 − C)e^{−μt} + C·(θe^{−μt} − μe^{−θt})/(θ − μ), θ = cμ − λ; reference values
// from that closed form evaluated independently (λ = 180/s, E[S] = 20 ms): P99 = 243.863 ms at
// c = 4, 104.943 ms at c = 5. Where θ = μ the formula's limit (1 + μt)e^{−μt} is continuous.
void TheoryTest::responseQuantileOfMmc()
{
    QVERIFY(near(mmcResponseQuantile(180, 0.02, 4, 0.99), 0.2438633487, 1e-8));
    QVERIFY(near(mmcResponseQuantile(180, 0.02, 5, 0.99), 0.1049426057, 1e-8));
    // c = 2, λ = μ: θ = 2μ − λ = μ.
    const double at = mmcResponseQuantile(50, 0.02, 2, 0.99);
    const double below = mmcResponseQuantile(50 * (1 - 1e-7), 0.02, 2, 0.99);
    const double above = mmcResponseQuantile(50 * (1 + 1e-7), 0.02, 2, 0.99);
    QVERIFY2(below <= at && at <= above && near(below, above, 1e-5), qPrintable(show(below, above)));
    // Many idle servers: no wait, the response is the Exp(μ) service.
    QVERIFY(near(mmcResponseQuantile(1, 0.02, 50, 0.99), -std::log(0.01) * 0.02, 1e-9));
    QCOMPARE(mmcResponseQuantile(50, 0.02, 2, 0.0), 0.0);
}

// λ = 180/s, E[S] = 20 ms, P99 ≤ 150 ms: c = 4 misses by 60 % (244 ms), c = 5 meets with 30 % to
// spare (105 ms). Below the service time's own P99 (−ln 0.01 · 20 ms = 92.1 ms) no c helps.
void TheoryTest::smallestServersFor()
{
    QCOMPARE(hs::theory::smallestServersFor(180, 0.02, 0.99, 0.150), std::optional<int>(5));
    QCOMPARE(hs::theory::smallestServersFor(180, 0.02, 0.99, 0.300), std::optional<int>(4));
    QCOMPARE(hs::theory::smallestServersFor(180, 0.02, 0.99, 0.090), std::nullopt);
    QCOMPARE(hs::theory::smallestServersFor(1, 0.02, 0.99, 1.0), std::optional<int>(1));
    // Large loads: the answer is the first c that meets, and c − 1 does not.
    const auto c = hs::theory::smallestServersFor(9000, 0.02, 0.99, 0.1);
    QVERIFY(c && *c > 180);
    QVERIFY(mmcResponseQuantile(9000, 0.02, *c, 0.99) <= 0.1);
    QVERIFY(mmcResponseQuantile(9000, 0.02, *c - 1, 0.99) > 0.1);
}

void TheoryTest::littleMismatch()
{
    QCOMPARE(hs::theory::littleMismatch(0, 0, 0), 0.0);
    QCOMPARE(hs::theory::littleMismatch(2.0, 100, 0.02), 0.0);
    QVERIFY(near(hs::theory::littleMismatch(1.0, 100, 0.02), 0.5, 1e-12)); // L = 1, λW = 2
    QVERIFY(near(hs::theory::littleMismatch(3.0, 100, 0.02), 1.0 / 3, 1e-12)); // L = 3, λW = 2
    QCOMPARE(hs::theory::littleMismatch(1.0, 0, 0), 1.0);
}

// X(N) = λN / (1 + σ(N − 1) + κN(N − 1)) sampled with 0.5 % seeded multiplicative noise: the fit
// recovers σ and κ within 10 %. The designs are ones where that is possible: from the Fisher
// information of each, the relative standard errors of σ and κ at 0.5 % noise are at most 1.9 %,
// so 10 % is more than 5 standard errors. (σ = 0.02 beside κ = 0.01 would not be: 7.8 %.)
void TheoryTest::uslRecoversParameters_data()
{
    QTest::addColumn<double>("sigma");
    QTest::addColumn<double>("kappa");
    QTest::addColumn<QList<double>>("ns");
    QTest::newRow("contention and coherency") << 0.05 << 0.002 << QList<double> { 1, 2, 4, 8, 12, 16, 24, 32, 48, 64 };
    QTest::newRow("strong coherency") << 0.1 << 0.005 << QList<double> { 1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 24 };
    QTest::newRow("mostly contention") << 0.2 << 0.001 << QList<double> { 1, 2, 4, 8, 16, 32, 64, 128 };
}

void TheoryTest::uslRecoversParameters()
{
    QFETCH(double, sigma);
    QFETCH(double, kappa);
    QFETCH(QList<double>, ns);
    const UslFit truth { sigma, kappa, 1000, 0, 0 };
    for (std::uint64_t seed : { 1, 2, 3 }) {
        std::mt19937_64 rng(seed);
        std::normal_distribution<double> noise(0, 0.005);
        Points pts;
        for (double n : ns)
            pts.emplace_back(n, truth.at(n) * (1 + noise(rng)));
        const auto fit = fitUsl(pts);
        QVERIFY(fit);
        QVERIFY2(near(fit->sigma, sigma, 0.10), qPrintable(QStringLiteral("sigma: ") + show(fit->sigma, sigma)));
        QVERIFY2(near(fit->kappa, kappa, 0.10), qPrintable(QStringLiteral("kappa: ") + show(fit->kappa, kappa)));
        QVERIFY(near(fit->lambda, 1000, 0.05));
        QVERIFY2(fit->r2 > 0.99, qPrintable(QString::number(fit->r2)));
        const double nStar = std::sqrt((1 - sigma) / kappa);
        QVERIFY2(near(fit->nStar, nStar, 0.10), qPrintable(show(fit->nStar, nStar)));
    }
    // Without noise the fit is the truth.
    Points exact;
    for (double n : ns)
        exact.emplace_back(n, truth.at(n));
    const auto fit = fitUsl(exact);
    QVERIFY(fit && near(fit->sigma, sigma, 1e-4) && near(fit->kappa, kappa, 1e-4));
}

void TheoryTest::uslNeedsFivePointsAndThreeN()
{
    const UslFit truth { 0.05, 0.002, 1000, 0, 0 };
    Points four;
    for (double n : { 1, 2, 4, 8 })
        four.emplace_back(n, truth.at(n));
    QVERIFY(!fitUsl(four));
    Points twoN { { 1, 1000 }, { 1, 1010 }, { 8, 5000 }, { 8, 5100 }, { 8, 4900 } };
    QVERIFY(!fitUsl(twoN));
    Points flat { { 1, 1000 }, { 2, 1000 }, { 4, 1000 }, { 8, 1000 }, { 16, 1000 } };
    QVERIFY(!fitUsl(flat)); // nothing to explain: R² undefined
    Points bad { { 1, 1000 }, { 2, -5 }, { 4, 3000 }, { 8, 4000 }, { 16, 5000 } };
    QVERIFY(!fitUsl(bad));
    // Linear scaling (σ = κ = 0): the bounds hold, N* is infinite.
    Points linear;
    for (double n : { 1, 2, 3, 4, 5, 6 })
        linear.emplace_back(n, 100 * n);
    const auto fit = fitUsl(linear);
    QVERIFY(fit);
    QVERIFY(fit->sigma >= 0 && fit->sigma < 1e-6 && fit->kappa >= 0 && fit->kappa < 1e-6);
    QVERIFY(std::isinf(fit->nStar) || fit->nStar > 1e3);
}

void TheoryTest::knee_data()
{
    QTest::addColumn<QList<double>>("xs");
    QTest::addColumn<QList<double>>("ys");
    QTest::addColumn<double>("expected");
    // Rising hockey sticks: flat, then a straight climb from the knee.
    QTest::newRow("4 points") << QList<double> { 1, 2, 3, 4 } << QList<double> { 10, 10, 11, 40 } << 3.0;
    {
        const auto p = hockeyStick({ 1, 2, 3, 4, 5, 6, 7, 8 }, 5, 20, 30);
        QList<double> xs, ys;
        for (auto [x, y] : p) {
            xs << x;
            ys << y;
        }
        QTest::newRow("8 points, knee at 5") << xs << ys << 5.0;
    }
    // P99 against load (in units of capacity): 1/(1 − ρ) growth takes over near ρ = 0.8.
    QTest::newRow("p99 vs load") << QList<double> { 0.5, 0.6, 0.7, 0.8, 0.9, 0.95 }
                                 << QList<double> { 12, 12.5, 13, 14, 30, 75 } << 0.8;
    // Log-spaced x: flat to 16 workers' worth of load, then doubling.
    QTest::newRow("log-spaced x") << QList<double> { 1, 2, 4, 8, 16, 32, 64 }
                                  << QList<double> { 5, 5.1, 5, 5.2, 5.3, 11, 22 } << 16.0;
    // Falling: P99 against workers drops steeply, then stops improving at 4.
    QTest::newRow("falling") << QList<double> { 1, 2, 3, 4, 5, 6, 7 } << QList<double> { 900, 600, 300, 22, 20, 19, 19 }
                             << 4.0;
    QTest::newRow("falling, log-spaced, 5 points")
        << QList<double> { 1, 2, 4, 8, 16 } << QList<double> { 2000, 400, 25, 21, 20 } << 4.0;
    // One more point far up the explosion does not move it.
    QTest::newRow("p99 vs load, one more point") << QList<double> { 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97 }
                                                 << QList<double> { 12, 12.5, 13, 14, 30, 75, 200 } << 0.8;
    // Order does not matter.
    QTest::newRow("unsorted") << QList<double> { 3, 1, 4, 2 } << QList<double> { 11, 10, 40, 10 } << 3.0;
}

void TheoryTest::knee()
{
    QFETCH(QList<double>, xs);
    QFETCH(QList<double>, ys);
    QFETCH(double, expected);
    Points p;
    for (qsizetype i = 0; i < xs.size(); ++i)
        p.emplace_back(xs[i], ys[i]);
    const auto k = findKnee(p);
    QVERIFY(k);
    QVERIFY2(k->x == expected, qPrintable(QStringLiteral("%1 (%2)").arg(k->x).arg(k->method)));
    QVERIFY(k->method.startsWith(QStringLiteral("farthest from the chord")));
}

void TheoryTest::noKnee_data()
{
    QTest::addColumn<QList<double>>("xs");
    QTest::addColumn<QList<double>>("ys");
    QTest::newRow("line") << QList<double> { 1, 2, 3, 4, 5, 6 } << QList<double> { 10, 20, 30, 40, 50, 60 };
    QTest::newRow("falling line") << QList<double> { 1, 2, 3, 4 } << QList<double> { 40, 30, 20, 10 };
    QTest::newRow("line on log-spaced x")
        << QList<double> { 1, 2, 4, 8, 16, 32, 64 } << QList<double> { 8, 11, 17, 29, 53, 101, 197 };
    QTest::newRow("power law") << QList<double> { 1, 2, 4, 8, 16 } << QList<double> { 1, 4, 16, 64, 256 };
    QTest::newRow("flat with noise") << QList<double> { 1, 2, 3, 4, 5 } << QList<double> { 100, 103, 98, 101, 99 };
    QTest::newRow("three points") << QList<double> { 1, 2, 3 } << QList<double> { 1, 1, 50 };
    {
        // A line with 2 % seeded noise.
        std::mt19937_64 rng(11);
        std::normal_distribution<double> noise(0, 0.02);
        QList<double> xs, ys;
        for (int i = 1; i <= 8; ++i) {
            xs << i;
            ys << 10.0 * i * (1 + noise(rng));
        }
        QTest::newRow("noisy line") << xs << ys;
    }
}

void TheoryTest::noKnee()
{
    QFETCH(QList<double>, xs);
    QFETCH(QList<double>, ys);
    Points p;
    for (qsizetype i = 0; i < xs.size(); ++i)
        p.emplace_back(xs[i], ys[i]);
    const auto k = findKnee(p);
    QVERIFY2(!k, qPrintable(k ? QStringLiteral("knee at %1 (%2)").arg(k->x).arg(k->method) : QString()));
}

void TheoryTest::predictDomainChoosesTheModel()
{
    DomainMeasure m;
    m.kind = DomainKind::Threads;
    m.workers = 4;
    m.cores = 8;
    m.arrivalRate = 150;
    m.serviceMeanS = 0.02; // U = 0.75
    m.serviceScv = 1.1;
    m.arrivalScv = 1;
    Prediction p = predictDomain(m);
    QVERIFY2(p.applies, qPrintable(p.why));
    QCOMPARE(p.model, QStringLiteral("M/M/c (Erlang C)"));
    QVERIFY(near(p.waitMeanS, mmc(150, 0.02, 4).waitMeanS, 1e-12));

    m.serviceScv = 0.1; // nearly fixed service
    p = predictDomain(m);
    QCOMPARE(p.model, QStringLiteral("G/G/c (Allen–Cunneen)"));
    QVERIFY(near(p.waitMeanS, allenCunneen(150, 0.02, 1, 0.1, 4).waitMeanS, 1e-12));
    m.serviceScv = 1;
    m.arrivalScv = 0; // constant arrivals
    QCOMPARE(predictDomain(m).model, QStringLiteral("G/G/c (Allen–Cunneen)"));
    m.arrivalScv = 1;

    m.queueCapacity = 10;
    m.rejectWhenFull = true;
    p = predictDomain(m);
    QCOMPARE(p.model, QStringLiteral("M/M/c/K"));
    QVERIFY(p.pBlock && near(*p.pBlock, *mmck(150, 0.02, 4, 14).pBlock, 1e-12));
    m.arrivalRate = 400; // U = 2: a bounded queue still has a steady state
    QVERIFY(predictDomain(m).applies);
    m.arrivalRate = 150;
    m.rejectWhenFull = false; // block: the producers slow down, the queue is not a loss system
    QCOMPARE(predictDomain(m).model, QStringLiteral("M/M/c (Erlang C)"));
    m.workersChangedMean = 2.6; // autoscaled: 4 workers now, 2.6 on average over the span
    p = predictDomain(m);
    QVERIFY(!p.applies);
    QVERIFY2(p.why.contains(QLatin1String("size changed")) && p.why.contains(QLatin1String("2.6")), qPrintable(p.why));
    m.workersChangedMean = 0;

    DomainMeasure loop;
    loop.kind = DomainKind::Loop;
    loop.workers = 1;
    loop.arrivalRate = 100;
    loop.serviceMeanS = 0.005;
    loop.serviceScv = 0.3;
    loop.cpuBound = true; // the loop is one thread: never oversubscribed by itself
    p = predictDomain(loop);
    QVERIFY2(p.applies, qPrintable(p.why));
    QCOMPARE(p.model, QStringLiteral("M/G/1 (Pollaczek–Khinchine)"));
    QVERIFY(near(p.waitMeanS, hs::theory::pollaczekKhinchine(100, 0.005, 0.3).waitMeanS, 1e-12));
}

void TheoryTest::predictDomainSaysWhyNot_data()
{
    QTest::addColumn<int>("workers");
    QTest::addColumn<int>("cpuElsewhere"); // cpu workers in other domains
    QTest::addColumn<double>("rate");
    QTest::addColumn<bool>("cpuBound");
    QTest::addColumn<bool>("gil");
    QTest::addColumn<bool>("closed");
    QTest::addColumn<QString>("why");
    QTest::newRow("overloaded") << 2 << 0 << 130.0 << false << false << false << QStringLiteral("overloaded: U = 1.30");
    QTest::newRow("oversubscribed") << 8 << 0 << 10.0 << true << false << false
                                    << QStringLiteral("CPU oversubscribed: 8 workers on 2 cores");
    QTest::newRow("cpu pools together above the cores")
        << 2 << 1 << 10.0 << true << false << false
        << QStringLiteral("CPU oversubscribed: 3 cpu workers across the domains on 2 cores");
    QTest::newRow("cpu pools together within the cores") << 1 << 1 << 10.0 << true << false << false << QString();
    QTest::newRow("io pool larger than the cores") << 8 << 2 << 10.0 << false << false << false << QString();
    QTest::newRow("gil") << 2 << 0 << 10.0 << true << true << false << QStringLiteral("GIL contention");
    QTest::newRow("closed loop") << 2 << 0 << 10.0 << false << false << true << QStringLiteral("closed-loop arrivals");
    QTest::newRow("no samples") << 2 << 0 << 0.0 << false << false << false << QStringLiteral("too few samples");
}

void TheoryTest::predictDomainSaysWhyNot()
{
    QFETCH(int, workers);
    QFETCH(int, cpuElsewhere);
    QFETCH(double, rate);
    QFETCH(bool, cpuBound);
    QFETCH(bool, gil);
    QFETCH(bool, closed);
    QFETCH(QString, why);
    DomainMeasure m;
    m.kind = DomainKind::Threads;
    m.workers = workers;
    m.cores = 2;
    m.arrivalRate = rate;
    m.serviceMeanS = 0.02;
    m.cpuBound = cpuBound;
    m.gilContended = gil;
    m.closedLoop = closed;
    m.cpuWorkers = (cpuBound ? workers : 0) + cpuElsewhere;
    const Prediction p = predictDomain(m);
    if (why.isEmpty()) {
        QVERIFY2(p.applies, qPrintable(p.why));
        return;
    }
    QVERIFY(!p.applies);
    QVERIFY2(p.why.startsWith(why), qPrintable(p.why));
    QVERIFY(!p.model.isEmpty()); // the model that would have been used is still named
}

// domains.NAME.theory in the run JSON: the threads pool of a hand-built M/M/2 run (λ = 90/s over
// 10 s, E[S] = 20 ms), accepted by parseRunJson, rejected when a figure is out of range, and
// optional (older reports have none).
void TheoryTest::runJsonCarriesTheTheory()
{
    RunResult r;
    r.durationS = 10;
    TaskClass c;
    c.name = QStringLiteral("req");
    c.arrival.rate = 90;
    Stage s;
    s.name = QStringLiteral("call");
    s.work = WorkKind::Block;
    s.domain = DomainKind::Threads;
    c.stages.push_back(s);
    r.scenario.classes.push_back(c);
    r.scenario.domain(DomainKind::Threads).workers = 2;
    DomainResult &d = r.domains[std::size_t(DomainKind::Threads)];
    d.kind = DomainKind::Threads;
    d.used = true;
    d.totals.workers = 2;
    d.totals.spanNs = 10e9;
    d.totals.admitted = 900;
    LatencyHistogram service, wait;
    for (int i = 0; i < 900; ++i) {
        service.record(i % 2 ? 10'000'000 : 30'000'000); // mean 20 ms, SCV 0.25: Allen–Cunneen
        wait.record(5'000'000);
    }
    d.totals.service = service.snapshot();
    d.totals.wait = wait.snapshot();
    d.totals.queueMean = 0.45; // = λW = 90/s × 5 ms
    r.classes.resize(1);
    r.classes[0].name = QStringLiteral("req");

    const DomainTheory t = domainTheory(r, DomainKind::Threads, 4);
    QVERIFY(near(t.input.arrivalRate, 90, 1e-12));
    QVERIFY(near(t.input.serviceMeanS, 0.02, 1e-3));
    QVERIFY(near(t.input.serviceScv, 0.25, 0.01));
    QCOMPARE(t.predicted.model, QStringLiteral("G/G/c (Allen–Cunneen)"));
    QVERIFY(t.littleMismatch < 1e-3);

    QJsonObject run = runToJson(r);
    QJsonObject theory = run[QStringLiteral("domains")][QStringLiteral("threads")][QStringLiteral("theory")].toObject();
    QCOMPARE(theory[QStringLiteral("model")].toString(), QStringLiteral("G/G/c (Allen–Cunneen)"));
    QVERIFY(theory[QStringLiteral("applies")].toBool());
    QVERIFY(theory[QStringLiteral("predicted")].isObject());
    QVERIFY(near(theory[QStringLiteral("predicted")][QStringLiteral("utilization")].toDouble(), 0.9, 0.01));
    QJsonObject parsed;
    QString error;
    QVERIFY2(parseRunJson(QJsonDocument(run).toJson(), QStringLiteral("run.json"), &parsed, &error), qPrintable(error));

    const auto withTheory = [&](const QJsonObject &th) {
        QJsonObject domains = run[QStringLiteral("domains")].toObject();
        QJsonObject threads = domains[QStringLiteral("threads")].toObject();
        if (th.isEmpty())
            threads.remove(QStringLiteral("theory"));
        else
            threads[QStringLiteral("theory")] = th;
        domains[QStringLiteral("threads")] = threads;
        QJsonObject copy = run;
        copy[QStringLiteral("domains")] = domains;
        return QJsonDocument(copy).toJson();
    };
    QVERIFY2(parseRunJson(withTheory({}), QStringLiteral("old.json"), &parsed, &error), qPrintable(error));
    QJsonObject bad = theory;
    QJsonObject little = bad[QStringLiteral("little")].toObject();
    little[QStringLiteral("mismatch")] = 2.0;
    bad[QStringLiteral("little")] = little;
    QVERIFY(!parseRunJson(withTheory(bad), QStringLiteral("bad.json"), &parsed, &error));
    QVERIFY2(error.contains(QStringLiteral("theory.little.mismatch")), qPrintable(error));
    bad = theory;
    bad.remove(QStringLiteral("measured"));
    QVERIFY(!parseRunJson(withTheory(bad), QStringLiteral("bad.json"), &parsed, &error));
    bad = theory;
    bad[QStringLiteral("predicted")] = QJsonValue::Null; // a model that does not apply
    QVERIFY2(parseRunJson(withTheory(bad), QStringLiteral("na.json"), &parsed, &error), qPrintable(error));
}

QTEST_GUILESS_MAIN(TheoryTest)
#include "tst_theory.moc"
