#include "core/latencyhistogram.h"

#include <QList>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cmath>
#include <latch>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

using hs::HistogramLayout;
using hs::HistogramSnapshot;
using hs::LatencyHistogram;
using hs::SlidingWindow;

namespace {

constexpr std::int64_t kUs = 1'000;
constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kSec = 1'000'000'000;
constexpr std::int64_t kHour = HistogramLayout::kMaxValueNs;
constexpr double kSpecError = 0.01; // DESIGN §5
constexpr double kLayoutError = 1.0 / 256.0; // half a bucket width over the bucket's lowest value

enum class Shape { Exponential, LogNormal, LogUniform, Uniform, Bimodal };

/// n samples in ns. a: the mean (Exponential, Bimodal's common mode), the median (LogNormal) or the
/// low end (LogUniform, Uniform); b: sigma (LogNormal), the high end, or the rare mode's mean (Bimodal).
std::vector<std::int64_t> draw(Shape shape, double a, double b, std::size_t n, std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    const auto generate = [&](auto &&next) {
        std::vector<std::int64_t> out(n);
        for (std::int64_t &v : out)
            v = std::llround(std::min(double(next()), double(kHour)));
        return out;
    };
    switch (shape) {
    case Shape::Exponential:
        return generate([&, d = std::exponential_distribution<double>(1 / a)]() mutable { return d(rng); });
    case Shape::LogNormal:
        return generate([&, d = std::lognormal_distribution<double>(std::log(a), b)]() mutable { return d(rng); });
    case Shape::LogUniform:
        return generate([&, d = std::uniform_real_distribution<double>(std::log(a), std::log(b))]() mutable {
            return std::exp(d(rng));
        });
    case Shape::Uniform:
        return generate(
            [&, d = std::uniform_int_distribution<std::int64_t>(std::int64_t(a), std::int64_t(b))]() mutable {
                return d(rng);
            });
    case Shape::Bimodal:
        return generate(
            [&, rare = std::bernoulli_distribution(0.05), common = std::exponential_distribution<double>(1 / a),
                tail = std::exponential_distribution<double>(1 / b)]() mutable {
                return rare(rng) ? tail(rng) : common(rng);
            });
    }
    return {};
}

/// Empty when the snapshot's P0, P50, P90, P99, P99.9 and P100 are within `tolerance` of the exact
/// quantiles of `values` (the value at rank ceil(q·n)). Reorders `values`.
QString quantileMismatch(const HistogramSnapshot &s, std::vector<std::int64_t> &values, double tolerance)
{
    if (s.count() != values.size() || values.empty())
        return QStringLiteral("count %1, expected %2").arg(s.count()).arg(values.size());
    // Ranks ascend, so each selection only needs the part at or after the previous one.
    auto from = values.begin();
    for (const std::size_t perTenThousand : { 0, 5000, 9000, 9900, 9990, 10000 }) {
        const std::size_t rank = std::max<std::size_t>(1, (perTenThousand * values.size() + 9999) / 10000);
        const auto nth = values.begin() + std::ptrdiff_t(rank - 1);
        std::nth_element(from, nth, values.end());
        from = nth;
        const double exact = double(*nth);
        const double got = s.percentile(double(perTenThousand) / 10000);
        if (std::abs(got - exact) > tolerance * exact)
            return QStringLiteral("P%1 is %2 ns, exact %3 ns")
                .arg(double(perTenThousand) / 100)
                .arg(got, 0, 'f', 1)
                .arg(exact, 0, 'f', 0);
    }
    return {};
}

std::int64_t sumOf(const std::vector<std::int64_t> &values)
{
    return std::accumulate(values.cbegin(), values.cend(), std::int64_t(0));
}

bool within(double got, double exact, double relative)
{
    return std::abs(got - exact) <= relative * std::abs(exact);
}

} // namespace

Q_DECLARE_METATYPE(Shape)

class LatencyHistogramTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void layoutBoundsTheError();
    void percentiles_data();
    void percentiles();
    void percentileRank_data();
    void percentileRank();
    void edgeValues_data();
    void edgeValues();
    void emptyHistogram();
    void resetClearsEverything();
    void concurrentRecordingSumsExactly_data();
    void concurrentRecordingSumsExactly();
    void sinceGivesTheLaterSamples_data();
    void sinceGivesTheLaterSamples();
    void sinceAfterResetIsEmpty();
    void slidingWindow_data();
    void slidingWindow();
    void mergeEqualsRecordingBoth();
    void varianceMatchesTheSamples();
};

void LatencyHistogramTest::layoutBoundsTheError()
{
    // Every bucket, exhaustively: contiguous, found again from both ends, and its midpoint close to all
    // of its values. This is what makes the 1 % of DESIGN §5 hold for any distribution.
    QCOMPARE(HistogramLayout::bucketIndex(0), 0);
    QCOMPARE(HistogramLayout::bucketLowest(0), std::int64_t(0));
    for (int i = 0; i < HistogramLayout::kBucketCount; ++i) {
        const std::int64_t lo = HistogramLayout::bucketLowest(i);
        const std::int64_t hi = HistogramLayout::bucketHighest(i);
        const double rep = HistogramLayout::bucketRepresentative(i);
        QVERIFY2(lo <= hi, qPrintable(QStringLiteral("bucket %1").arg(i)));
        QCOMPARE(HistogramLayout::bucketIndex(lo), i);
        QCOMPARE(HistogramLayout::bucketIndex(hi), i);
        if (i > 0)
            QCOMPARE(lo, HistogramLayout::bucketHighest(i - 1) + 1);
        if (lo < 256)
            QCOMPARE(hi, lo); // exact below 256 ns
        else
            QVERIFY2((rep - double(lo)) / double(lo) <= kLayoutError && (double(hi) - rep) / double(hi) <= kLayoutError,
                qPrintable(QStringLiteral("bucket %1 [%2, %3] represented by %4").arg(i).arg(lo).arg(hi).arg(rep)));
    }
    QCOMPARE(HistogramLayout::bucketIndex(kHour), HistogramLayout::kBucketCount - 1);
    QCOMPARE(HistogramLayout::bucketIndex(std::numeric_limits<std::int64_t>::max()), HistogramLayout::kBucketCount - 1);
    QCOMPARE(HistogramLayout::bucketIndex(-1), 0);
    // Dozens of histograms live at once: keep each a few tens of KB.
    QVERIFY(HistogramLayout::kBucketCount * sizeof(std::uint64_t) <= std::size_t(40) * 1024);
}

void LatencyHistogramTest::percentiles_data()
{
    QTest::addColumn<Shape>("shape");
    QTest::addColumn<double>("a");
    QTest::addColumn<double>("b");

    QTest::newRow("exponential, mean 5 ms") << Shape::Exponential << 5e6 << 0.0;
    QTest::newRow("lognormal, median 1 ms, sigma 2 (heavy tail)") << Shape::LogNormal << 1e6 << 2.0;
    QTest::newRow("log-uniform, 1 us .. 1 h") << Shape::LogUniform << 1e3 << double(kHour);
    QTest::newRow("uniform, 0 .. 3 us (exact range and up)") << Shape::Uniform << 0.0 << 3e3;
    QTest::newRow("bimodal, 95 % exp(200 us) + 5 % exp(2 s)") << Shape::Bimodal << 2e5 << 2e9;
}

void LatencyHistogramTest::percentiles()
{
    QFETCH(Shape, shape);
    QFETCH(double, a);
    QFETCH(double, b);

    std::vector<std::int64_t> values = draw(shape, a, b, 1'000'000, 20240601);
    LatencyHistogram h;
    for (const std::int64_t v : values)
        h.record(v);
    const HistogramSnapshot s = h.snapshot();
    const auto [lowest, highest] = std::minmax_element(values.cbegin(), values.cend());
    QCOMPARE(s.min(), *lowest);
    QCOMPARE(s.max(), *highest);
    QCOMPARE(s.sum(), double(sumOf(values)));
    QVERIFY(within(s.mean(), double(sumOf(values)) / double(values.size()), 1e-12));

    const QString mismatch = quantileMismatch(s, values, kSpecError);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    QCOMPARE(s.overflowCount(), std::uint64_t(0));
}

void LatencyHistogramTest::percentileRank_data()
{
    QTest::addColumn<int>("n");
    QTest::addColumn<double>("q");
    QTest::addColumn<int>("rank");

    QTest::newRow("P50 of 100") << 100 << 0.5 << 50;
    QTest::newRow("just past a rank") << 100 << 0.505 << 51;
    QTest::newRow("0.07 x 100 rounds up to 7.000000000000001") << 100 << 0.07 << 7;
    QTest::newRow("P99.9 of 200") << 200 << 0.999 << 200;
    QTest::newRow("q = 0 is the smallest") << 10 << 0.0 << 1;
    QTest::newRow("q = 1 is the largest") << 10 << 1.0 << 10;
    QTest::newRow("one value") << 1 << 0.9 << 1;
}

void LatencyHistogramTest::percentileRank()
{
    QFETCH(int, n);
    QFETCH(double, q);
    QFETCH(int, rank);

    // Values 1..n are exact (below 256 ns), so the percentile is the rank itself.
    LatencyHistogram h;
    for (int v = n; v >= 1; --v)
        h.record(v);
    QCOMPARE(h.snapshot().percentile(q), double(rank));
}

void LatencyHistogramTest::edgeValues_data()
{
    QTest::addColumn<QList<qint64>>("recorded");
    QTest::addColumn<qint64>("expectedMin");
    QTest::addColumn<qint64>("expectedMax");
    QTest::addColumn<qint64>("expectedMedian"); // within half a bucket
    QTest::addColumn<qint64>("expectedSum");
    QTest::addColumn<quint64>("expectedOverflow");

    // Columns are qint64 (long long), the constants std::int64_t (long): convert once here.
    const qint64 us = kUs;
    const qint64 hour = kHour;
    const qint64 lowest = std::numeric_limits<qint64>::min();
    const qint64 highest = std::numeric_limits<qint64>::max();
    QTest::newRow("1 us") << QList<qint64> { us } << us << us << us << us << quint64(0);
    QTest::newRow("1 h") << QList<qint64> { hour } << hour << hour << hour << hour << quint64(0);
    QTest::newRow("0") << QList<qint64> { 0 } << qint64(0) << qint64(0) << qint64(0) << qint64(0) << quint64(0);
    QTest::newRow("negative counts as 0")
        << QList<qint64> { -5 } << qint64(0) << qint64(0) << qint64(0) << qint64(0) << quint64(0);
    QTest::newRow("most negative") << QList<qint64> { lowest } << qint64(0) << qint64(0) << qint64(0) << qint64(0)
                                   << quint64(0);
    QTest::newRow("just above 1 h") << QList<qint64> { hour + 1 } << hour << hour << hour << hour << quint64(1);
    QTest::newRow("largest int64") << QList<qint64> { highest } << hour << hour << hour << hour << quint64(1);
    QTest::newRow("all edges together") << QList<qint64> { -1, 0, 255, us, us, hour, 2 * hour } << qint64(0) << hour
                                        << us << (255 + 2 * us + 2 * hour) << quint64(1);
    QTest::newRow("1 us and 1 h") << QList<qint64> { us, hour } << us << hour << us << (us + hour) << quint64(0);
}

void LatencyHistogramTest::edgeValues()
{
    QFETCH(QList<qint64>, recorded);
    QFETCH(qint64, expectedMin);
    QFETCH(qint64, expectedMax);
    QFETCH(qint64, expectedMedian);
    QFETCH(qint64, expectedSum);
    QFETCH(quint64, expectedOverflow);

    LatencyHistogram h;
    for (const qint64 v : recorded)
        h.record(v);
    const HistogramSnapshot s = h.snapshot();

    QCOMPARE(s.count(), std::uint64_t(recorded.size()));
    QVERIFY(!s.isEmpty());
    QCOMPARE(s.min(), expectedMin);
    QCOMPARE(s.max(), expectedMax);
    QCOMPARE(s.sum(), double(expectedSum));
    QCOMPARE(s.overflowCount(), expectedOverflow);
    QCOMPARE(s.percentile(0), double(expectedMin));
    QCOMPARE(s.percentile(1), double(expectedMax));
    QVERIFY2(within(s.percentile(0.5), double(expectedMedian), kLayoutError),
        qPrintable(QStringLiteral("P50 %1, expected %2").arg(s.percentile(0.5)).arg(expectedMedian)));
    QVERIFY(s.mean() >= double(expectedMin) && s.mean() <= double(expectedMax));
    // Out-of-range arguments stay in range rather than reading past the buckets.
    QCOMPARE(s.percentile(-1), s.percentile(0));
    QCOMPARE(s.percentile(2), s.percentile(1));
}

void LatencyHistogramTest::emptyHistogram()
{
    LatencyHistogram h;
    const HistogramSnapshot s = h.snapshot();
    QVERIFY(s.isEmpty());
    QCOMPARE(s.count(), std::uint64_t(0));
    QCOMPARE(s.percentile(0.99), 0.0);
    QCOMPARE(s.mean(), 0.0);
    QCOMPARE(s.min(), std::int64_t(0));
    QCOMPARE(s.max(), std::int64_t(0));
    QCOMPARE(s.sum(), 0.0);
    QVERIFY(s == HistogramSnapshot {});
    QVERIFY(s.since(s).isEmpty());
}

void LatencyHistogramTest::resetClearsEverything()
{
    LatencyHistogram h;
    h.record(5 * kMs);
    h.record(2 * kHour);
    h.reset();
    QVERIFY(h.snapshot().isEmpty());
    QCOMPARE(h.snapshot().overflowCount(), std::uint64_t(0));

    // min and max start afresh, not from the values before the reset.
    h.record(7 * kUs);
    h.record(9 * kUs);
    const HistogramSnapshot s = h.snapshot();
    QCOMPARE(s.count(), std::uint64_t(2));
    QCOMPARE(s.min(), 7 * kUs);
    QCOMPARE(s.max(), 9 * kUs);
    QCOMPARE(s.sum(), double(16 * kUs));
}

void LatencyHistogramTest::concurrentRecordingSumsExactly_data()
{
    QTest::addColumn<bool>("mixed");

    // Every thread hammers the same bucket: a lost increment shows at once.
    QTest::newRow("one hot bucket") << false;
    // A ramp down and a ramp up in every thread make min and max move in all threads at once (CAS
    // races) and set the final extremes; a shared value keeps one bucket hot; the rest spreads over
    // the decades between.
    QTest::newRow("ramps, hot bucket, spread") << true;
}

void LatencyHistogramTest::concurrentRecordingSumsExactly()
{
    QFETCH(bool, mixed);
    constexpr int kThreads = 4;
    constexpr int kPerThread = 250'000;

    std::vector<std::vector<std::int64_t>> perThread(kThreads);
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> logSpread(std::log(double(kUs)), std::log(double(kHour) / 2));
    for (int t = 0; t < kThreads; ++t) {
        for (int i = 0; i < kPerThread; ++i) {
            const std::int64_t toEnd = 2 * std::int64_t(kPerThread - i) + t;
            switch (mixed ? i % 8 : 2) {
            case 0: perThread[t].push_back(toEnd); break;
            case 1: perThread[t].push_back(kHour - toEnd); break;
            case 2:
            case 3:
            case 4: perThread[t].push_back(5 * kMs); break;
            default: perThread[t].push_back(std::int64_t(std::exp(logSpread(rng)))); break;
            }
        }
    }
    std::int64_t expectedMin = std::numeric_limits<std::int64_t>::max();
    std::int64_t expectedMax = 0;
    std::int64_t expectedSum = 0;
    std::uint64_t expectedOverflow = 0;
    for (const auto &values : perThread) {
        for (const std::int64_t v : values) {
            const std::int64_t clamped = std::clamp(v, std::int64_t(0), kHour);
            expectedMin = std::min(expectedMin, clamped);
            expectedMax = std::max(expectedMax, clamped);
            expectedSum += clamped;
            expectedOverflow += v > kHour ? 1 : 0;
        }
    }
    LatencyHistogram reference;
    for (const auto &values : perThread)
        for (const std::int64_t v : values)
            reference.record(v);

    LatencyHistogram h;
    std::latch start(kThreads + 1);
    constexpr int kRound = 250;
    std::barrier round(kThreads);
    std::atomic<bool> recordingDone { false };
    std::string samplerFailure; // written by the sampler only, read after join
    std::thread sampler([&] {
        start.arrive_and_wait();
        HistogramSnapshot previous;
        // One more snapshot after the recorders finished, so the last one is checked too.
        for (bool last = false; !last;) {
            last = recordingDone.load();
            const HistogramSnapshot s = h.snapshot();
            if (s.count() < previous.count()) {
                samplerFailure = "count went down";
            } else if (!s.isEmpty()
                && (s.min() > s.max() || s.percentile(0.5) < double(s.min()) || s.percentile(0.5) > double(s.max()))) {
                samplerFailure = "min, P50, max out of order";
            } else if (s.since(previous).count() != s.count() - previous.count()) {
                samplerFailure = "since() lost or invented samples";
            }
            if (!samplerFailure.empty())
                return;
            previous = s;
            std::this_thread::yield(); // leave the cores to the recorders
        }
    });
    std::vector<std::thread> recorders;
    recorders.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
        recorders.emplace_back([&, t] {
            start.arrive_and_wait();
            // Short rounds that all recorders start together: on a busy 2-core machine a thread can
            // otherwise finish its whole share within one time slice, racing nobody.
            for (std::size_t i = 0; i < perThread[t].size(); ++i) {
                if (i % kRound == 0)
                    round.arrive_and_wait();
                h.record(perThread[t][i]);
            }
        });
    }
    for (std::thread &r : recorders)
        r.join();
    recordingDone.store(true);
    sampler.join();

    QVERIFY2(samplerFailure.empty(), samplerFailure.c_str());
    const HistogramSnapshot s = h.snapshot();
    QCOMPARE(s.count(), std::uint64_t(kThreads) * kPerThread);
    QCOMPARE(s.min(), expectedMin);
    QCOMPARE(s.max(), expectedMax);
    QCOMPARE(s.sum(), double(expectedSum));
    QCOMPARE(s.overflowCount(), expectedOverflow);
    // Bucket for bucket, what four racing threads recorded is what one thread records.
    QVERIFY(s == reference.snapshot());
}

void LatencyHistogramTest::sinceGivesTheLaterSamples_data()
{
    QTest::addColumn<Shape>("earlierShape");
    QTest::addColumn<double>("earlierA");
    QTest::addColumn<Shape>("laterShape");
    QTest::addColumn<double>("laterA");

    QTest::newRow("later values larger") << Shape::Exponential << 1e6 << Shape::LogNormal << 50e6;
    QTest::newRow("later values smaller") << Shape::LogNormal << 50e6 << Shape::Exponential << 1e5;
    QTest::newRow("same distribution") << Shape::Exponential << 2e6 << Shape::Exponential << 2e6;
}

void LatencyHistogramTest::sinceGivesTheLaterSamples()
{
    QFETCH(Shape, earlierShape);
    QFETCH(double, earlierA);
    QFETCH(Shape, laterShape);
    QFETCH(double, laterA);

    const std::vector<std::int64_t> earlierValues = draw(earlierShape, earlierA, 1.0, 200'000, 11);
    std::vector<std::int64_t> laterValues = draw(laterShape, laterA, 1.0, 100'000, 12);
    LatencyHistogram h;
    for (const std::int64_t v : earlierValues)
        h.record(v);
    const HistogramSnapshot earlier = h.snapshot();
    for (const std::int64_t v : laterValues)
        h.record(v);
    const HistogramSnapshot later = h.snapshot();
    const std::int64_t laterMin = *std::min_element(laterValues.cbegin(), laterValues.cend());
    const std::int64_t laterMax = *std::max_element(laterValues.cbegin(), laterValues.cend());

    const HistogramSnapshot diff = later.since(earlier);
    QCOMPARE(diff.sum(), double(sumOf(laterValues)));
    const QString mismatch = quantileMismatch(diff, laterValues, kSpecError);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
    QVERIFY2(within(double(diff.min()), double(laterMin), kLayoutError),
        qPrintable(QStringLiteral("min %1, exact %2").arg(diff.min()).arg(laterMin)));
    QVERIFY2(within(double(diff.max()), double(laterMax), kLayoutError),
        qPrintable(QStringLiteral("max %1, exact %2").arg(diff.max()).arg(laterMax)));
    // An extreme set after `earlier` is known exactly.
    if (laterMin < *std::min_element(earlierValues.cbegin(), earlierValues.cend()))
        QCOMPARE(diff.min(), laterMin);
    if (laterMax > *std::max_element(earlierValues.cbegin(), earlierValues.cend()))
        QCOMPARE(diff.max(), laterMax);

    QVERIFY(later.since(later).isEmpty());
    QVERIFY(later.since(HistogramSnapshot {}) == later);
}

void LatencyHistogramTest::sinceAfterResetIsEmpty()
{
    LatencyHistogram h;
    for (int i = 1; i <= 1000; ++i)
        h.record(i * kUs);
    const HistogramSnapshot before = h.snapshot();
    h.reset();
    h.record(3 * kUs);
    // Buckets that shrank count as empty rather than wrapping around to huge counts.
    const HistogramSnapshot diff = h.snapshot().since(before);
    QVERIFY(diff.isEmpty());
    QCOMPARE(diff.sum(), 0.0);
}

void LatencyHistogramTest::slidingWindow_data()
{
    QTest::addColumn<qint64>("windowNs");
    QTest::addColumn<qint64>("stepNs");
    QTest::addColumn<qint64>("jitterNs"); // tick k lands at k·step + ((k·7) mod 5 − 2)·jitter
    QTest::addColumn<int>("ticks");

    const qint64 ms = kMs;
    const qint64 sec = kSec;

    QTest::newRow("1 s at 20 Hz") << sec << 50 * ms << qint64(0) << 60;
    QTest::newRow("1 s at 20 Hz, jittery ticks") << sec << 50 * ms << 3 * ms << 60;
    QTest::newRow("250 ms at 20 Hz") << 250 * ms << 50 * ms << qint64(0) << 30;
    QTest::newRow("window not a multiple of the step") << sec << 30 * ms << 2 * ms << 80;
    QTest::newRow("step longer than the window") << 100 * ms << 250 * ms << qint64(0) << 10;
}

void LatencyHistogramTest::slidingWindow()
{
    QFETCH(qint64, windowNs);
    QFETCH(qint64, stepNs);
    QFETCH(qint64, jitterNs);
    QFETCH(int, ticks);

    LatencyHistogram h;
    SlidingWindow w(windowNs);
    QVERIFY(w.window().isEmpty());
    std::vector<std::int64_t> tickTimes;
    std::vector<std::vector<std::int64_t>> recordedBefore; // values recorded just before each tick
    for (int k = 0; k < ticks; ++k) {
        // Each tick's values have a scale of their own, so a wrong baseline shows in the quantiles.
        std::vector<std::int64_t> values = draw(Shape::LogNormal, double((k % 7 + 1) * kMs), 0.5, 50, 100 + k);
        for (const std::int64_t v : values)
            h.record(v);
        recordedBefore.push_back(std::move(values));
        tickTimes.push_back(k * stepNs + ((k * 7) % 5 - 2) * jitterNs);
        w.tick(tickTimes.back(), h.snapshot());

        // The baseline: the newest tick at least a window old, else the first one.
        int baseline = 0;
        for (int j = 0; j < k; ++j)
            if (tickTimes[j] <= tickTimes[k] - windowNs)
                baseline = j;
        std::vector<std::int64_t> expected;
        for (int j = baseline + 1; j <= k; ++j)
            expected.insert(expected.end(), recordedBefore[j].cbegin(), recordedBefore[j].cend());

        const HistogramSnapshot win = w.window();
        const QString where = QStringLiteral("tick %1: ").arg(k);
        QCOMPARE(w.spanNs(), tickTimes[k] - tickTimes[baseline]);
        QCOMPARE(win.count(), std::uint64_t(expected.size()));
        if (k == 0) {
            QVERIFY(win.isEmpty());
            continue;
        }
        QCOMPARE(win.sum(), double(sumOf(expected)));
        const QString mismatch = quantileMismatch(win, expected, kSpecError);
        QVERIFY2(mismatch.isEmpty(), qPrintable(where + mismatch));
        QVERIFY(w.cumulative() == h.snapshot());
    }
}

void LatencyHistogramTest::mergeEqualsRecordingBoth()
{
    const std::vector<std::int64_t> first = draw(Shape::Exponential, 1e6, 0, 300'000, 21);
    std::vector<std::int64_t> second = draw(Shape::LogNormal, 20e6, 1.5, 200'000, 22);
    second.push_back(3 * kHour); // overflow travels with the merge

    LatencyHistogram h1;
    LatencyHistogram h2;
    LatencyHistogram both;
    for (const std::int64_t v : first) {
        h1.record(v);
        both.record(v);
    }
    for (const std::int64_t v : second) {
        h2.record(v);
        both.record(v);
    }

    HistogramSnapshot merged = h1.snapshot();
    merged.merge(h2.snapshot());
    QVERIFY(merged == both.snapshot());
    QCOMPARE(merged.overflowCount(), std::uint64_t(1));

    HistogramSnapshot otherWay = h2.snapshot();
    otherWay.merge(h1.snapshot());
    QVERIFY(otherWay == merged);

    std::vector<std::int64_t> all = first;
    all.insert(all.end(), second.cbegin(), second.cend());
    std::replace(all.begin(), all.end(), 3 * kHour, kHour);
    const QString mismatch = quantileMismatch(merged, all, kSpecError);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));

    HistogramSnapshot fromEmpty;
    fromEmpty.merge(merged);
    QVERIFY(fromEmpty == merged);
    HistogramSnapshot withEmpty = merged;
    withEmpty.merge(HistogramSnapshot {});
    QVERIFY(withEmpty == merged);
}

// variance(): each value v is read at its bucket's representative r, |r − v| <= kLayoutError·v, around
// the exact mean m; (r − m)² − (v − m)² = (r − v)(r + v − 2m), so the variance moves by at most
// ε·((2 + ε)·E[v²] + 2m·E[v]) with ε = kLayoutError. A fixed value has none.
void LatencyHistogramTest::varianceMatchesTheSamples()
{
    LatencyHistogram fixed;
    for (int i = 0; i < 1000; ++i)
        fixed.record(3 * kMs);
    QCOMPARE(fixed.snapshot().variance(), 0.0);

    LatencyHistogram one;
    one.record(5 * kMs);
    QCOMPARE(one.snapshot().variance(), 0.0);
    QCOMPARE(HistogramSnapshot().variance(), 0.0);

    for (Shape shape : { Shape::Exponential, Shape::LogNormal, Shape::Uniform }) {
        const auto values = draw(shape, double(2 * kMs), shape == Shape::LogNormal ? 1.0 : double(6 * kMs), 100'000, 7);
        LatencyHistogram h;
        double sum = 0, sum2 = 0;
        for (std::int64_t v : values) {
            h.record(v);
            sum += double(v);
            sum2 += double(v) * double(v);
        }
        const double n = double(values.size());
        const double mean = sum / n;
        const double exact = sum2 / n - mean * mean;
        const double bound = kLayoutError * ((2 + kLayoutError) * (sum2 / n) + 2 * mean * mean);
        QVERIFY2(std::abs(h.snapshot().variance() - exact) <= bound,
            qPrintable(
                QStringLiteral("variance %1 vs %2 (bound %3)").arg(h.snapshot().variance()).arg(exact).arg(bound)));
    }
}

QTEST_GUILESS_MAIN(LatencyHistogramTest)
#include "tst_latencyhistogram.moc"
