#include "enginetest.h"
#include "run/arrivalschedule.h"
#include "sim/simulator.h"

#include <QTest>

#include <cmath>
#include <vector>

using namespace hs;

namespace {

// Every check here draws schedules without running them in real time, so horizons can be long:
// thousands of seconds of arrivals take milliseconds. Count checks allow 5 standard deviations of a
// Poisson count (sqrt(expected)); a given seed is deterministic, so they never flicker, and a wrong
// rate (even by a few percent at these counts) is still far outside them.
constexpr double kSigmas = 5.0;

// A class with random stage sizes and faults, so task plans have something to differ in.
QByteArray scenarioYaml(const QByteArray &arrival, int seed, const QByteArray &duration = "10s")
{
    return QByteArray("name: arrivals\n"
                      "duration: $duration\n"
                      "seed: $seed\n"
                      "classes:\n"
                      "  - name: c\n"
                      "    arrival: $arrival\n"
                      "    stages:\n"
                      "      - { name: a, work: block, time: exp(5ms), fail: 0.5, domain: threads }\n"
                      "      - { name: b, work: disk, bytes: \"uniform(1KiB, 64KiB)\","
                      " payload_in: \"lognormal(4KiB, 0.5)\", payload_out: \"normal(8KiB, 2KiB)\", domain: tbb }\n"
                      "  - name: other\n"
                      "    arrival: { process: poisson, rate: 50/s }\n"
                      "    stages:\n"
                      "      - { name: a, work: cpu, time: exp(1ms), domain: tbb }\n")
        .replace("$duration", duration)
        .replace("$seed", QByteArray::number(seed))
        .replace("$arrival", arrival);
}

/// Arrival offsets of class `cls` below `horizon` seconds (or the first `limit`, whichever comes first).
std::vector<double> arrivals(const Scenario &s, int cls, double horizon, std::size_t limit = std::size_t(-1))
{
    ArrivalSchedule a(s, cls);
    std::vector<double> out;
    for (;;) {
        const double t = a.next();
        if (!(t < horizon) || out.size() >= limit)
            break;
        out.push_back(t);
    }
    return out;
}

std::size_t countIn(const std::vector<double> &times, double from, double to)
{
    std::size_t n = 0;
    for (double t : times)
        n += t >= from && t < to ? 1 : 0;
    return n;
}

bool samePlan(const StagePlan &a, const StagePlan &b)
{
    return a.time == b.time && a.bytes == b.bytes && a.payloadIn == b.payloadIn && a.payloadOut == b.payloadOut
        && a.fail == b.fail && a.crash == b.crash;
}

QString countText(std::size_t got, double expected, double tolerance)
{
    return QStringLiteral("got %1, expected %2 +- %3").arg(got).arg(expected, 0, 'f', 1).arg(tolerance, 0, 'f', 1);
}

} // namespace

class TestArrivals : public QObject {
    Q_OBJECT

private slots:
    void sameSeedSameSchedule_data();
    void sameSeedSameSchedule();
    void meanRate_data();
    void meanRate();
    void burstHasNoArrivalsWhenOff_data();
    void burstHasNoArrivalsWhenOff();
    void rampMatchesFromAndTo_data();
    void rampMatchesFromAndTo();
    void rampToZeroStops();
    void closedWithRate();
};

void TestArrivals::sameSeedSameSchedule_data()
{
    QTest::addColumn<QByteArray>("arrival");
    QTest::addColumn<bool>("randomTimes"); // constant arrivals are the same for every seed, by design
    QTest::addColumn<int>("seed");
    QTest::newRow("poisson seed 1") << QByteArray("{ process: poisson, rate: 300/s }") << true << 1;
    QTest::newRow("poisson seed 42") << QByteArray("{ process: poisson, rate: 300/s }") << true << 42;
    QTest::newRow("constant") << QByteArray("{ process: constant, rate: 100/s }") << false << 7;
    QTest::newRow("burst") << QByteArray("{ process: burst, rate: 1000/s, on: 100ms, off: 400ms }") << true << 3;
    QTest::newRow("ramp") << QByteArray("{ process: ramp, from: 10/s, to: 500/s, over: 20s }") << true << 11;
    QTest::newRow("closed") << QByteArray("{ process: closed, clients: 4, think: exp(100ms) }") << true << 5;
}

void TestArrivals::sameSeedSameSchedule()
{
    QFETCH(QByteArray, arrival);
    QFETCH(bool, randomTimes);
    QFETCH(int, seed);
    const auto s = test::scenarioFromYaml(scenarioYaml(arrival, seed));
    const auto again = test::scenarioFromYaml(scenarioYaml(arrival, seed));
    const auto other = test::scenarioFromYaml(scenarioYaml(arrival, seed + 1));
    QVERIFY(s && again && other);

    constexpr int kDraws = 2000;
    ArrivalSchedule a(*s, 0), b(*again, 0), c(*other, 0);
    const bool closed = a.isClosed();
    int differentTimes = 0;
    int differentPlans = 0;
    double previous = -1;
    for (int i = 0; i < kDraws; ++i) {
        // Closed classes draw think times where open ones draw arrival offsets.
        const double ta = closed ? a.thinkTime() : a.next();
        const double tb = closed ? b.thinkTime() : b.next();
        const double tc = closed ? c.thinkTime() : c.next();
        QCOMPARE(ta, tb);
        if (!closed) {
            QVERIFY2(ta >= previous,
                qPrintable(QStringLiteral("arrival %1 at %2 s before %3 s").arg(i).arg(ta).arg(previous)));
            previous = ta;
        }
        differentTimes += ta != tc ? 1 : 0;

        const std::vector<StagePlan> pa = a.planTask(), pb = b.planTask(), pc = c.planTask();
        QCOMPARE(pa.size(), std::size_t(2));
        QCOMPARE(pb.size(), pa.size());
        QCOMPARE(pc.size(), pa.size());
        for (std::size_t k = 0; k < pa.size(); ++k) {
            QVERIFY2(samePlan(pa[k], pb[k]), qPrintable(QStringLiteral("task %1 stage %2").arg(i).arg(k)));
            differentPlans += samePlan(pa[k], pc[k]) ? 0 : 1;
        }
    }
    if (randomTimes)
        QVERIFY2(differentTimes > kDraws * 9 / 10, qPrintable(QString::number(differentTimes)));
    else
        QCOMPARE(differentTimes, 0);
    // Every stage has a continuous random size, so another seed changes (nearly) every plan.
    QVERIFY2(differentPlans > 2 * kDraws * 9 / 10, qPrintable(QString::number(differentPlans)));

    // Each class has its own stream: the second class is not a copy of the first.
    if (!closed) {
        const std::vector<double> first = arrivals(*s, 0, 1e9, 100);
        const std::vector<double> second = arrivals(*s, 1, 1e9, 100);
        QVERIFY(first != second);
    }
}

void TestArrivals::meanRate_data()
{
    QTest::addColumn<QByteArray>("arrival");
    QTest::addColumn<double>("horizon");
    QTest::addColumn<double>("expectedRate");
    QTest::addColumn<bool>("poissonCount"); // false: a deterministic count (constant)
    QTest::newRow("poisson 300/s") << QByteArray("{ process: poisson, rate: 300/s }") << 1000.0 << 300.0 << true;
    QTest::newRow("poisson 2/ms") << QByteArray("{ process: poisson, rate: 2/ms }") << 200.0 << 2000.0 << true;
    QTest::newRow("constant 250/s") << QByteArray("{ process: constant, rate: 250/s }") << 1000.0 << 250.0 << false;
    QTest::newRow("constant 3/s") << QByteArray("{ process: constant, rate: 3/s }") << 1000.0 << 3.0 << false;
    // Burst: rate x on / (on + off).
    QTest::newRow("burst 1000/s 1s on 4s off")
        << QByteArray("{ process: burst, rate: 1000/s, on: 1s, off: 4s }") << 1000.0 << 200.0 << true;
    QTest::newRow("burst 2000/s 50ms on 150ms off")
        << QByteArray("{ process: burst, rate: 2000/s, on: 50ms, off: 150ms }") << 1000.0 << 500.0 << true;
    // Ramp: the mean of from and to while ramping.
    QTest::newRow("ramp 100/s to 1000/s over 1000s")
        << QByteArray("{ process: ramp, from: 100/s, to: 1000/s, over: 1000s }") << 1000.0 << 550.0 << true;
    QTest::newRow("ramp 800/s down to 0/s over 500s")
        << QByteArray("{ process: ramp, from: 800/s, to: 0/s, over: 500s }") << 500.0 << 400.0 << true;
}

void TestArrivals::meanRate()
{
    QFETCH(QByteArray, arrival);
    QFETCH(double, horizon);
    QFETCH(double, expectedRate);
    QFETCH(bool, poissonCount);
    const auto s = test::scenarioFromYaml(scenarioYaml(arrival, 17));
    QVERIFY(s);
    const std::vector<double> times = arrivals(*s, 0, horizon);
    const double expected = expectedRate * horizon;
    // A constant schedule puts its first arrival at 0: ceil(rate x horizon) fall below the horizon.
    const double tolerance = poissonCount ? kSigmas * std::sqrt(expected) : 1.0;
    QVERIFY2(std::abs(double(times.size()) - expected) <= tolerance,
        qPrintable(countText(times.size(), expected, tolerance)));
    if (!poissonCount) {
        // Constant means exactly evenly spaced, not just the right count.
        for (std::size_t i = 1; i < times.size(); ++i)
            QVERIFY2(std::abs(times[i] - times[i - 1] - 1.0 / expectedRate) < 1e-9,
                qPrintable(QStringLiteral("gap %1 at %2").arg(times[i] - times[i - 1]).arg(i)));
    }
}

void TestArrivals::burstHasNoArrivalsWhenOff_data()
{
    QTest::addColumn<double>("rate");
    QTest::addColumn<double>("on");
    QTest::addColumn<double>("off");
    QTest::newRow("1000/s, 1s on, 4s off") << 1000.0 << 1.0 << 4.0;
    QTest::newRow("5000/s, 20ms on, 80ms off") << 5000.0 << 0.020 << 0.080;
    QTest::newRow("50/s, 200ms on, 200ms off") << 50.0 << 0.2 << 0.2;
}

void TestArrivals::burstHasNoArrivalsWhenOff()
{
    QFETCH(double, rate);
    QFETCH(double, on);
    QFETCH(double, off);
    const QByteArray arrival = QByteArray("{ process: burst, rate: $rate/s, on: $onms, off: $offms }")
                                   .replace("$rate", QByteArray::number(rate))
                                   .replace("$on", QByteArray::number(on * 1000))
                                   .replace("$off", QByteArray::number(off * 1000));
    const auto s = test::scenarioFromYaml(scenarioYaml(arrival, 23));
    QVERIFY(s);
    const double period = on + off;
    const int windows = 2000;
    const std::vector<double> times = arrivals(*s, 0, windows * period);
    std::vector<std::size_t> perWindow(windows, 0);
    for (double t : times) {
        const double phase = std::fmod(t, period);
        QVERIFY2(phase < on,
            qPrintable(QStringLiteral("arrival at %1 s is %2 s into a %3 s window").arg(t).arg(phase).arg(period)));
        ++perWindow[std::size_t(t / period)];
    }
    // Inside the on-windows it is Poisson at `rate`: the windows taken together carry rate x on each.
    const double expected = rate * on * windows;
    const double tolerance = kSigmas * std::sqrt(expected);
    QVERIFY2(std::abs(double(times.size()) - expected) <= tolerance,
        qPrintable(countText(times.size(), expected, tolerance)));
    // And every stretch of windows gets its share, not just the total (no window skipped for good).
    const int chunk = 100;
    for (int w = 0; w < windows; w += chunk) {
        std::size_t n = 0;
        for (int k = w; k < w + chunk; ++k)
            n += perWindow[std::size_t(k)];
        const double e = rate * on * chunk;
        const double tol = kSigmas * std::sqrt(e);
        QVERIFY2(std::abs(double(n) - e) <= tol,
            qPrintable(QStringLiteral("windows %1..%2: ").arg(w).arg(w + chunk - 1) + countText(n, e, tol)));
    }
}

void TestArrivals::rampMatchesFromAndTo_data()
{
    QTest::addColumn<QByteArray>("arrival");
    QTest::addColumn<QByteArray>("duration");
    QTest::addColumn<double>("from");
    QTest::addColumn<double>("to");
    QTest::addColumn<double>("over");
    QTest::newRow("up 100/s to 1000/s over 500s")
        << QByteArray("{ process: ramp, from: 100/s, to: 1000/s, over: 500s }") << QByteArray("1h") << 100.0 << 1000.0
        << 500.0;
    QTest::newRow("down 1000/s to 100/s over 500s")
        << QByteArray("{ process: ramp, from: 1000/s, to: 100/s, over: 500s }") << QByteArray("1h") << 1000.0 << 100.0
        << 500.0;
    QTest::newRow("up from 0/s, over the run's duration")
        << QByteArray("{ process: ramp, from: 0/s, to: 600/s }") << QByteArray("400s") << 0.0 << 600.0 << 400.0;
}

void TestArrivals::rampMatchesFromAndTo()
{
    QFETCH(QByteArray, arrival);
    QFETCH(QByteArray, duration);
    QFETCH(double, from);
    QFETCH(double, to);
    QFETCH(double, over);
    const auto s = test::scenarioFromYaml(scenarioYaml(arrival, 31, duration));
    QVERIFY(s);
    const double after = 100; // seconds past the ramp's end, where the rate stays at `to`
    const std::vector<double> times = arrivals(*s, 0, over + after);
    const double tenth = over / 10;
    // The rate is linear, so a tenth's count is its length times the rate at its middle: from (to) moved by
    // a twentieth of the way.
    const double slope = (to - from) / over;
    struct Window {
        const char *name;
        double begin;
        double expectedRate;
    };
    const Window windows[] = {
        { "first tenth", 0, from + slope * tenth / 2 },
        { "last tenth", over - tenth, to - slope * tenth / 2 },
        { "after the ramp", over, to },
    };
    for (const Window &w : windows) {
        const double length = w.begin == over ? after : tenth;
        const std::size_t n = countIn(times, w.begin, w.begin + length);
        const double expected = w.expectedRate * length;
        const double tolerance = kSigmas * std::sqrt(std::max(expected, 1.0));
        QVERIFY2(std::abs(double(n) - expected) <= tolerance,
            qPrintable(QLatin1String(w.name) + QStringLiteral(" (rate %1/s): ").arg(double(n) / length)
                + countText(n, expected, tolerance)));
    }
}

void TestArrivals::rampToZeroStops()
{
    // Ramping down to 0/s: about (from / 2) x over arrivals, then the class stops for good.
    const auto s = test::scenarioFromYaml(scenarioYaml("{ process: ramp, from: 400/s, to: 0/s, over: 50s }", 37));
    QVERIFY(s);
    ArrivalSchedule a(*s, 0);
    std::size_t n = 0;
    double t = 0;
    for (; n < 100000; ++n) {
        t = a.next();
        if (!std::isfinite(t))
            break;
        QVERIFY2(t < 50.0, qPrintable(QString::number(t)));
    }
    QVERIFY(std::isinf(t));
    QVERIFY(std::isinf(a.next()));
    const double expected = 400.0 / 2 * 50;
    const double tolerance = kSigmas * std::sqrt(expected);
    QVERIFY2(std::abs(double(n) - expected) <= tolerance, qPrintable(countText(n, expected, tolerance)));
}

void TestArrivals::closedWithRate()
{
    // DESIGN §15, wrk2's model: 4 clients at 200/s each intend a request every 20 ms, the clients
    // 5 ms apart; without a rate no schedule of intended times.
    const auto s = test::scenarioFromYaml(scenarioYaml("{ process: closed, clients: 4, rate: 200/s }", 3));
    const auto plain = test::scenarioFromYaml(scenarioYaml("{ process: closed, clients: 4 }", 3));
    QVERIFY(s && plain);
    const ArrivalSchedule a(*s, 0), b(*plain, 0);
    QCOMPARE(a.closedPeriod(), 0.02);
    QCOMPARE(a.closedFirst(0), 0.0);
    QCOMPARE(a.closedFirst(3), 0.015);
    QCOMPARE(b.closedPeriod(), 0.0);
    QCOMPARE(b.closedFirst(3), 0.0);

    // In virtual time (deterministic, milliseconds to run): 1 client at 100/s calling a 1 ms
    // stage on a 1-worker pool that a second class takes for 300 ms at 0 s and 2 s. The client
    // keeps its rate (it catches up after each stall); each stall holds ~30 intended requests
    // (~10 % of 400): the corrected P99 is most of the 300 ms, the naive one the 1 ms call.
    const QByteArray yaml = "name: stalls\n"
                            "duration: 4s\n"
                            "seed: 1\n"
                            "domains:\n"
                            "  threads: { workers: 1 }\n"
                            "classes:\n"
                            "  - name: tester\n"
                            "    arrival: $arrival\n"
                            "    stages:\n"
                            "      - { name: call, work: block, time: 1ms, domain: threads }\n"
                            "  - name: stall\n"
                            "    arrival: { process: constant, rate: 0.5/s }\n"
                            "    stages:\n"
                            "      - { name: slow, work: block, time: 300ms, domain: threads }\n";
    const auto run = [&](const char *arrival) {
        const auto sc = test::scenarioFromYaml(QByteArray(yaml).replace("$arrival", arrival));
        return sc ? simulate(*sc, SimOptions {}) : RunResult {};
    };
    const RunResult withRate = run("{ process: closed, clients: 1, rate: 100/s }");
    QVERIFY(!withRate.classes.empty());
    const ClassResult &t = withRate.classes.at(0);
    const QString figures = QStringLiteral("%1 done; P99 %2 ms, naive %3 ms")
                                .arg(t.completed)
                                .arg(t.latency.percentile(0.99) / 1e6)
                                .arg(t.latencyNaive.percentile(0.99) / 1e6);
    QVERIFY2(t.completed >= 395 && t.completed <= 401, qPrintable(figures));
    QVERIFY2(t.latency.percentile(0.99) > 200e6, qPrintable(figures));
    QVERIFY2(t.latencyNaive.percentile(0.99) < 5e6, qPrintable(figures));

    // Without a rate the next request is intended when it is sent: the figures are the same, and
    // the stall shows in neither P99 (the client sends 2 requests during 600 ms of stalls).
    const RunResult noRate = run("{ process: closed, clients: 1 }");
    QVERIFY(!noRate.classes.empty());
    const ClassResult &u = noRate.classes.at(0);
    for (double q : { 0.5, 0.99, 1.0 })
        QCOMPARE(u.latencyNaive.percentile(q), u.latency.percentile(q));
    QVERIFY(u.latency.percentile(0.99) < 5e6);
}

QTEST_GUILESS_MAIN(TestArrivals)
#include "tst_arrivals.moc"
