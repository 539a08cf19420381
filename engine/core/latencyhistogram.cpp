#include "core/latencyhistogram.h"

#include <cmath>

namespace hs {

namespace {

std::uint64_t saturatingSub(std::uint64_t a, std::uint64_t b)
{
    return a > b ? a - b : 0;
}

std::int64_t roundedRepresentative(int index)
{
    return std::llround(HistogramLayout::bucketRepresentative(index));
}

} // namespace

double HistogramSnapshot::percentile(double q) const
{
    if (m_count == 0)
        return 0;
    if (!(q > 0)) // also NaN
        q = 0;
    q = std::min(q, 1.0);
    // A hair below the product, so that a rank meant to be whole (0.99 × 10^6) is not pushed to the
    // next one by rounding in q.
    const double exactRank = q * double(m_count) * (1 - 1e-14);
    const std::uint64_t rank = std::clamp<std::uint64_t>(std::uint64_t(std::ceil(exactRank)), 1, m_count);
    // The extremes are known better than their buckets.
    if (rank == 1)
        return double(m_min);
    if (rank == m_count)
        return double(m_max);
    std::uint64_t seen = 0;
    for (const Bin &bin : m_bins) {
        seen += bin.count;
        if (seen >= rank)
            return std::clamp(HistogramLayout::bucketRepresentative(bin.index), double(m_min), double(m_max));
    }
    return double(m_max);
}

double HistogramSnapshot::mean() const
{
    if (m_count == 0)
        return 0;
    // The sum is read apart from the buckets while threads record; keep the mean plausible.
    return std::clamp(double(m_sum) / double(m_count), double(m_min), double(m_max));
}

double HistogramSnapshot::variance() const
{
    if (m_count < 2)
        return 0;
    const double m = mean();
    double sum = 0;
    for (const Bin &b : m_bins) {
        // Clamped like the percentiles: the representative of the extreme buckets can lie past the
        // exact min/max.
        const double v = std::clamp(HistogramLayout::bucketRepresentative(b.index), double(m_min), double(m_max));
        sum += double(b.count) * (v - m) * (v - m);
    }
    return sum / double(m_count);
}

double HistogramSnapshot::scv() const
{
    const double m = mean();
    return m > 0 ? variance() / (m * m) : 0.0;
}

std::vector<std::uint64_t> HistogramSnapshot::countsAtOrBelow(const std::vector<std::int64_t> &boundsNs) const
{
    std::vector<std::uint64_t> out(boundsNs.size(), 0);
    std::size_t b = 0;
    std::uint64_t seen = 0;
    for (const Bin &bin : m_bins) {
        const double v = HistogramLayout::bucketRepresentative(bin.index);
        while (b < boundsNs.size() && double(boundsNs[b]) < v)
            out[b++] = seen;
        seen += bin.count;
    }
    for (; b < boundsNs.size(); ++b)
        out[b] = seen;
    return out;
}

void HistogramSnapshot::merge(const HistogramSnapshot &other)
{
    if (other.isEmpty())
        return;
    if (isEmpty()) {
        *this = other;
        return;
    }
    std::vector<Bin> merged;
    merged.reserve(m_bins.size() + other.m_bins.size());
    auto a = m_bins.cbegin();
    auto b = other.m_bins.cbegin();
    while (a != m_bins.cend() || b != other.m_bins.cend()) {
        if (b == other.m_bins.cend() || (a != m_bins.cend() && a->index < b->index)) {
            merged.push_back(*a++);
        } else if (a == m_bins.cend() || b->index < a->index) {
            merged.push_back(*b++);
        } else {
            merged.push_back({ a->index, a->count + b->count });
            ++a;
            ++b;
        }
    }
    m_bins = std::move(merged);
    m_count += other.m_count;
    m_sum += other.m_sum;
    m_overflow += other.m_overflow;
    m_min = std::min(m_min, other.m_min);
    m_max = std::max(m_max, other.m_max);
}

HistogramSnapshot HistogramSnapshot::since(const HistogramSnapshot &earlier) const
{
    if (earlier.isEmpty())
        return *this;
    HistogramSnapshot diff;
    diff.m_bins.reserve(m_bins.size());
    auto e = earlier.m_bins.cbegin();
    for (const Bin &bin : m_bins) {
        while (e != earlier.m_bins.cend() && e->index < bin.index)
            ++e;
        const std::uint64_t before = (e != earlier.m_bins.cend() && e->index == bin.index) ? e->count : 0;
        if (bin.count > before) {
            diff.m_bins.push_back({ bin.index, bin.count - before });
            diff.m_count += bin.count - before;
        }
    }
    if (diff.m_count == 0)
        return {};
    diff.m_sum = saturatingSub(m_sum, earlier.m_sum);
    diff.m_overflow = saturatingSub(m_overflow, earlier.m_overflow);
    // An extreme that moved after `earlier` belongs to the difference; otherwise only its buckets tell.
    const std::int64_t minCandidate
        = m_min < earlier.m_min ? m_min : std::clamp(roundedRepresentative(diff.m_bins.front().index), m_min, m_max);
    const std::int64_t maxCandidate
        = m_max > earlier.m_max ? m_max : std::clamp(roundedRepresentative(diff.m_bins.back().index), m_min, m_max);
    diff.clampExtremesToBins(minCandidate, maxCandidate);
    return diff;
}

void HistogramSnapshot::clampExtremesToBins(std::int64_t minCandidate, std::int64_t maxCandidate)
{
    // min and max are read apart from the buckets; bound them by the buckets actually held.
    const int first = m_bins.front().index;
    const int last = m_bins.back().index;
    m_min = std::clamp(minCandidate, HistogramLayout::bucketLowest(first), HistogramLayout::bucketHighest(first));
    m_max = std::clamp(maxCandidate, HistogramLayout::bucketLowest(last), HistogramLayout::bucketHighest(last));
}

LatencyHistogram::LatencyHistogram()
    : m_buckets(std::make_unique<std::atomic<std::uint64_t>[]>(HistogramLayout::kBucketCount))
{ }

HistogramSnapshot LatencyHistogram::snapshot() const
{
    // Only the buckets between the extremes can hold anything: a sampler that reads many
    // histograms 20 times a second (every class's latency, naive latency and GIL wait) then reads
    // the few hundred buckets a run uses instead of all of them, and an empty one not at all. A
    // value recorded while this runs may have its bucket counted but not yet its extreme (record()
    // counts first): it is then left out of this snapshot and in the next, as a value recorded
    // just after it would be. The extremes only widen, so a later snapshot reads every bucket an
    // earlier one did.
    HistogramSnapshot s;
    const std::int64_t lo = m_min.load(std::memory_order_relaxed);
    const std::int64_t hi = m_max.load(std::memory_order_relaxed);
    if (lo > hi)
        return s; // nothing recorded yet
    const int last = HistogramLayout::bucketIndex(hi);
    for (int i = HistogramLayout::bucketIndex(lo); i <= last; ++i) {
        const std::uint64_t c = m_buckets[i].load(std::memory_order_relaxed);
        if (c != 0) {
            s.m_bins.push_back({ i, c });
            s.m_count += c;
        }
    }
    if (s.m_count == 0)
        return s;
    s.m_sum = m_sum.load(std::memory_order_relaxed);
    s.m_overflow = m_overflow.load(std::memory_order_relaxed);
    s.clampExtremesToBins(lo, hi);
    return s;
}

void LatencyHistogram::reset()
{
    for (int i = 0; i < HistogramLayout::kBucketCount; ++i)
        m_buckets[i].store(0, std::memory_order_relaxed);
    m_sum.store(0, std::memory_order_relaxed);
    m_overflow.store(0, std::memory_order_relaxed);
    m_min.store(std::numeric_limits<std::int64_t>::max(), std::memory_order_relaxed);
    m_max.store(std::numeric_limits<std::int64_t>::min(), std::memory_order_relaxed);
}

SlidingWindow::SlidingWindow(std::int64_t windowNs)
    : m_windowNs(std::max<std::int64_t>(windowNs, 1))
{ }

void SlidingWindow::tick(std::int64_t nowNs, const HistogramSnapshot &cumulative)
{
    m_ticks.push_back({ nowNs, cumulative });
    dropExpired();
}

void SlidingWindow::tick(std::int64_t nowNs, HistogramSnapshot &&cumulative)
{
    m_ticks.push_back({ nowNs, std::move(cumulative) });
    dropExpired();
}

void SlidingWindow::dropExpired()
{
    // Keep the newest tick that is at least a window old: it is the baseline.
    const std::int64_t horizon = m_ticks.back().nowNs - m_windowNs;
    while (m_ticks.size() >= 2 && m_ticks[1].nowNs <= horizon)
        m_ticks.pop_front();
}

HistogramSnapshot SlidingWindow::window() const
{
    if (m_ticks.size() < 2)
        return {};
    return m_ticks.back().cumulative.since(m_ticks.front().cumulative);
}

std::int64_t SlidingWindow::spanNs() const
{
    return m_ticks.empty() ? 0 : m_ticks.back().nowNs - m_ticks.front().nowNs;
}

HistogramSnapshot SlidingWindow::cumulative() const
{
    return m_ticks.empty() ? HistogramSnapshot {} : m_ticks.back().cumulative;
}

} // namespace hs
