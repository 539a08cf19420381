#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <vector>

namespace hs {

/**
 * The bucket layout shared by LatencyHistogram and HistogramSnapshot (DESIGN §5): values below 256 ns
 * each have a bucket of their own; above that every octave [2^k, 2^(k+1)) is cut into 128 equal
 * buckets, so a bucket's representative value (its midpoint) is within 1/256 ≈ 0.39 % of every value
 * in it. Values are nanoseconds, clamped into [0, 1 h]; the top bucket holds 1 h.
 *
 *     int i = HistogramLayout::bucketIndex(1'500'000);             // 1.5 ms
 *     double v = HistogramLayout::bucketRepresentative(i);         // ≈ 1.5 ms, within 0.39 %
 */
struct HistogramLayout {
    static constexpr int kSubBucketBits = 7; ///< 2^7 = 128 buckets per octave
    static constexpr std::int64_t kMaxValueNs = 3'600'000'000'000; ///< 1 h; larger values are clamped to it

    static constexpr int bucketIndex(std::int64_t ns) noexcept
    {
        const auto v = std::uint64_t(std::clamp<std::int64_t>(ns, 0, kMaxValueNs));
        // Widths double every octave once the value needs more bits than the exact range holds.
        const int shift = std::max(0, int(std::bit_width(v)) - (kSubBucketBits + 1));
        return (shift << kSubBucketBits) + int(v >> shift);
    }
    static constexpr std::int64_t bucketLowest(int index) noexcept
    {
        const int shift = bucketShift(index);
        return std::int64_t(index - (shift << kSubBucketBits)) << shift;
    }
    static constexpr std::int64_t bucketHighest(int index) noexcept
    {
        return bucketLowest(index) + (std::int64_t(1) << bucketShift(index)) - 1;
    }
    /// The midpoint of the integers the bucket holds.
    static constexpr double bucketRepresentative(int index) noexcept
    {
        return double(bucketLowest(index)) + double((std::int64_t(1) << bucketShift(index)) - 1) / 2;
    }

    static const int kBucketCount; // the top one holds kMaxValueNs

private:
    static constexpr int bucketShift(int index) noexcept { return std::max(0, (index >> kSubBucketBits) - 1); }
};

inline constexpr int HistogramLayout::kBucketCount = HistogramLayout::bucketIndex(HistogramLayout::kMaxValueNs) + 1;

/**
 * A latency distribution at one moment: a plain value (copyable, comparable, mergeable) read from a
 * LatencyHistogram. Only non-empty buckets are stored, so a typical snapshot takes a few KB.
 * Percentiles use the rank ceil(q·n) and report the bucket's representative value, clamped into
 * [min, max]; times are nanoseconds.
 *
 *     HistogramSnapshot total = histogram.snapshot();
 *     double p99 = total.percentile(0.99);
 *     HistogramSnapshot lastSecond = total.since(snapshotOneSecondAgo);
 */
class HistogramSnapshot {
public:
    std::uint64_t count() const { return m_count; }
    bool isEmpty() const { return m_count == 0; }
    /// q in [0, 1]: the value at rank ceil(q·n) (min for rank 1, max for rank n); 0 when empty.
    double percentile(double q) const;
    /// Mean in ns; 0 when empty.
    double mean() const;
    /// Population variance in ns² around mean(), each value taken at its bucket's representative
    /// (within 0.39 %); 0 with fewer than two values. var / mean² is the squared coefficient of
    /// variation the queueing models use (1 for exponential times).
    double variance() const;
    /// Squared coefficient of variation, variance() / mean()²; 0 when empty or the mean is 0.
    double scv() const;
    /// Exact extremes when read from a histogram; 0 when empty.
    std::int64_t min() const { return m_min; }
    std::int64_t max() const { return m_max; }
    /// Sum of the recorded values in ns (values above 1 h counted as 1 h).
    double sum() const { return double(m_sum); }
    /// How many recorded values were above 1 h and were clamped to it.
    std::uint64_t overflowCount() const { return m_overflow; }

    /// For each bound (ns, ascending), how many values are at or below it, each bucket counted
    /// by its representative value (so a value within 0.39 % of a bound may count on either side):
    /// the cumulative counts of a coarser histogram, e.g. Prometheus buckets.
    std::vector<std::uint64_t> countsAtOrBelow(const std::vector<std::int64_t> &boundsNs) const;

    void merge(const HistogramSnapshot &other);
    /// What was recorded after `earlier`, a previous snapshot of the same histogram. Buckets that
    /// shrank (a reset in between) count as empty. min/max are exact when the extreme changed after
    /// `earlier`, otherwise the representative value of the difference's first/last bucket.
    HistogramSnapshot since(const HistogramSnapshot &earlier) const;

    bool operator==(const HistogramSnapshot &) const = default;

private:
    friend class LatencyHistogram;

    struct Bin {
        int index;
        std::uint64_t count;
        bool operator==(const Bin &) const = default;
    };

    void clampExtremesToBins(std::int64_t minCandidate, std::int64_t maxCandidate);

    std::vector<Bin> m_bins; // ascending index, non-zero counts
    std::uint64_t m_count = 0;
    std::uint64_t m_sum = 0;
    std::uint64_t m_overflow = 0;
    std::int64_t m_min = 0;
    std::int64_t m_max = 0;
};

/**
 * A log-linear latency histogram (DESIGN §5) that any number of threads record into without locks:
 * one relaxed fetch_add per bucket and sum, and compare-and-swap loops for min and max that only
 * run when an extreme moves. A sampler thread reads it with snapshot() while recording goes on.
 * Negative values count as 0 and values above 1 h as 1 h (see HistogramSnapshot::overflowCount()).
 *
 *     LatencyHistogram h;
 *     h.record(end - intendedStart);              // from any thread
 *     double p99 = h.snapshot().percentile(0.99); // from the sampler
 */
class LatencyHistogram {
public:
    LatencyHistogram();

    void record(std::int64_t ns) noexcept
    {
        if (ns < 0) {
            ns = 0;
        } else if (ns > HistogramLayout::kMaxValueNs) {
            ns = HistogramLayout::kMaxValueNs;
            m_overflow.fetch_add(1, std::memory_order_relaxed);
        }
        m_buckets[HistogramLayout::bucketIndex(ns)].fetch_add(1, std::memory_order_relaxed);
        m_sum.fetch_add(std::uint64_t(ns), std::memory_order_relaxed);
        std::int64_t seen = m_min.load(std::memory_order_relaxed);
        while (ns < seen && !m_min.compare_exchange_weak(seen, ns, std::memory_order_relaxed)) { }
        seen = m_max.load(std::memory_order_relaxed);
        while (ns > seen && !m_max.compare_exchange_weak(seen, ns, std::memory_order_relaxed)) { }
    }
    /// Safe while other threads record; the count is the sum of the buckets read.
    HistogramSnapshot snapshot() const;
    /// Not safe while other threads record.
    void reset();

private:
    std::unique_ptr<std::atomic<std::uint64_t>[]> m_buckets;
    // Every record() writes the sum; keep that line away from min/max, which are mostly only read.
    alignas(64) std::atomic<std::uint64_t> m_sum { 0 };
    std::atomic<std::uint64_t> m_overflow { 0 };
    alignas(64) std::atomic<std::int64_t> m_min { std::numeric_limits<std::int64_t>::max() };
    std::atomic<std::int64_t> m_max { std::numeric_limits<std::int64_t>::min() };
};

/**
 * The distribution over the last `windowNs` (DESIGN §5: the sliding 1 s window): fed the cumulative
 * snapshot at each frame tick, it answers with the cumulative now minus the newest snapshot taken at
 * least `windowNs` before it (or the first one while the run is younger than the window). It keeps
 * about windowNs / tick period + 1 snapshots. Not thread-safe: the sampler owns it.
 *
 *     SlidingWindow w;                                  // 1 s
 *     w.tick(nowNs(), histogram.snapshot());            // 20 times a second
 *     double p99LastSecond = w.window().percentile(0.99);
 */
class SlidingWindow {
public:
    explicit SlidingWindow(std::int64_t windowNs = 1'000'000'000);

    void tick(std::int64_t nowNs, const HistogramSnapshot &cumulative);
    void tick(std::int64_t nowNs, HistogramSnapshot &&cumulative);
    HistogramSnapshot window() const;
    /// The time window() covers (newest tick minus its baseline's tick); 0 before two ticks.
    std::int64_t spanNs() const;
    /// The newest cumulative snapshot; empty before the first tick.
    HistogramSnapshot cumulative() const;
    std::int64_t windowNs() const { return m_windowNs; }
    void clear() { m_ticks.clear(); }

private:
    struct Tick {
        std::int64_t nowNs;
        HistogramSnapshot cumulative;
    };
    void dropExpired();

    std::int64_t m_windowNs;
    std::deque<Tick> m_ticks; // front: the baseline of window()
};

} // namespace hs
