// Micro-benchmark of LatencyHistogram: record() from 1..4 threads, snapshot() and the sliding window,
// the costs the engine pays per stage (record) and per frame (snapshot, window).
//
//     bench_histogram [records per thread, default 5000000]

#include "core/clock.h"
#include "core/latencyhistogram.h"

#include <barrier>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <thread>
#include <vector>

namespace {

std::vector<std::int64_t> latencies(std::size_t n, std::uint64_t seed)
{
    // Lognormal around 1 ms with a heavy tail, like a stage's sojourn time.
    std::mt19937_64 rng(seed);
    std::lognormal_distribution<double> d(std::log(1e6), 1.5);
    std::vector<std::int64_t> out(n);
    for (std::int64_t &v : out)
        v = std::int64_t(d(rng));
    return out;
}

void benchRecord(int threads, std::size_t perThread)
{
    std::vector<std::vector<std::int64_t>> values;
    values.reserve(threads);
    for (int t = 0; t < threads; ++t)
        values.push_back(latencies(perThread, 1 + t));
    hs::LatencyHistogram h;
    std::barrier start(threads + 1);
    std::vector<std::thread> workers;
    workers.reserve(threads);
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            start.arrive_and_wait();
            for (const std::int64_t v : values[t])
                h.record(v);
        });
    }
    start.arrive_and_wait();
    const std::int64_t t0 = hs::nowNs();
    for (std::thread &w : workers)
        w.join();
    const double elapsed = double(hs::nowNs() - t0);
    const double total = double(perThread) * threads;
    std::printf("record, %d thread(s): %7.1f ns per record (wall / records), %6.1f M records/s\n", threads,
        elapsed / total, total / elapsed * 1e3);
    if (h.snapshot().count() != std::uint64_t(total))
        std::printf("  ERROR: lost records\n");
}

void benchSnapshot()
{
    hs::LatencyHistogram h;
    for (const std::int64_t v : latencies(1'000'000, 99))
        h.record(v);
    constexpr int kRounds = 2000;
    std::uint64_t guard = 0;
    const std::int64_t t0 = hs::nowNs();
    for (int i = 0; i < kRounds; ++i)
        guard += h.snapshot().count();
    const double perSnapshot = double(hs::nowNs() - t0) / kRounds;
    std::printf("snapshot: %7.1f us each; 30 histograms at 20 Hz cost %.2f %% of a core (check %llu)\n",
        perSnapshot / 1e3, perSnapshot * 30 * 20 / 1e9 * 100, static_cast<unsigned long long>(guard));

    // What a class's sampler reads most: an empty histogram (a class with no GIL wait, no naive
    // latency yet) and a narrow one (one class's 1-3 ms latencies). snapshot() reads only the
    // buckets between the extremes, so both cost a fraction of the wide one above.
    hs::LatencyHistogram empty, narrow;
    for (int i = 0; i < 100'000; ++i)
        narrow.record(1'000'000 + (i % 2'000) * 1'000);
    const auto timeSnapshots = [&](const hs::LatencyHistogram &x) {
        const std::int64_t start = hs::nowNs();
        for (int i = 0; i < kRounds; ++i)
            guard += x.snapshot().count();
        return double(hs::nowNs() - start) / kRounds;
    };
    const double perEmpty = timeSnapshots(empty), perNarrow = timeSnapshots(narrow);
    std::printf("snapshot, empty: %7.3f us each (%.4f of the wide one); 1-3 ms: %7.1f us each (%.3f of the wide one)\n",
        perEmpty / 1e3, perEmpty / perSnapshot, perNarrow / 1e3, perNarrow / perSnapshot);

    hs::SlidingWindow w;
    double p99 = 0;
    const std::int64_t t1 = hs::nowNs();
    for (int i = 0; i < kRounds; ++i) {
        h.record(1'000'000 + i);
        w.tick(std::int64_t(i) * 50'000'000, h.snapshot());
        p99 += w.window().percentile(0.99);
    }
    std::printf("tick + window + P99: %7.1f us each (P99 sum %.0f)\n", double(hs::nowNs() - t1) / kRounds / 1e3, p99);
}

} // namespace

int main(int argc, char **argv)
{
    const std::size_t perThread = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 5'000'000;
    std::printf("%d buckets, %zu bytes per histogram\n", hs::HistogramLayout::kBucketCount,
        hs::HistogramLayout::kBucketCount * sizeof(std::uint64_t));
    for (const int threads : { 1, 2, 4 })
        benchRecord(threads, perThread);
    benchSnapshot();
    return 0;
}
