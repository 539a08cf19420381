#include "core/parallelprobe.h"

#include "core/clock.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace hs {

namespace {

// A chunk of integer work (xorshift) that the compiler cannot fold away; about 20-50 µs.
std::uint64_t chunk(std::uint64_t x)
{
    for (int i = 0; i < 20000; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

std::atomic<std::uint64_t> g_sink { 0 };

// Chunks done by `threads` threads busy for `spanNs`, per second of wall time.
double workRate(int threads, std::int64_t spanNs)
{
    std::atomic<int> ready { 0 };
    std::atomic<bool> go { false };
    std::vector<std::uint64_t> done(std::size_t(threads), 0);
    std::atomic<std::int64_t> startAt { 0 };
    const auto body = [&](int i) {
        prepareEngineThread("hs-cpuprobe");
        ready.fetch_add(1);
        while (!go.load(std::memory_order_acquire))
            std::this_thread::yield();
        const std::int64_t end = startAt.load() + spanNs;
        std::uint64_t x = 0x9e3779b97f4a7c15ULL + std::uint64_t(i);
        std::uint64_t n = 0;
        while (nowNs() < end) {
            x = chunk(x);
            ++n;
        }
        done[std::size_t(i)] = n;
        g_sink.fetch_xor(x, std::memory_order_relaxed);
    };
    std::vector<std::thread> pool;
    pool.reserve(std::size_t(threads));
    for (int i = 0; i < threads; ++i)
        pool.emplace_back(body, i);
    while (ready.load() < threads)
        std::this_thread::yield();
    const std::int64_t start = nowNs();
    startAt.store(start);
    go.store(true, std::memory_order_release);
    for (std::thread &t : pool)
        t.join();
    const std::int64_t end = std::max(nowNs(), start + 1);
    std::uint64_t total = 0;
    for (std::uint64_t n : done)
        total += n;
    return double(total) / (double(end - start) / 1e9);
}

} // namespace

ParallelProbeResult measureParallelCores(int threads, int budgetMs)
{
    if (threads <= 0)
        threads = int(std::thread::hardware_concurrency());
    threads = std::clamp(threads, 1, 64);
    budgetMs = std::clamp(budgetMs, 30, 300);
    const std::int64_t t0 = nowNs();
    // Alternating slices (one, k, one, k, one): a burst of other load then weighs on both sides.
    const std::int64_t slice = std::int64_t(budgetMs) * 1'000'000 / 5;
    double one = 0, many = 0;
    for (int i = 0; i < 5; ++i)
        (i % 2 == 0 ? one : many) += workRate(i % 2 == 0 ? 1 : threads, slice) / (i % 2 == 0 ? 3 : 2);
    ParallelProbeResult r;
    r.threads = threads;
    // k threads never do less than one thread's work except through noise (the load changed
    // between slices): the floor is one core.
    r.effectiveCores = one > 0 ? std::clamp(many / one, 1.0, double(threads)) : 1.0;
    r.wallMs = double(nowNs() - t0) / 1e6;
    return r;
}

const ParallelProbeResult &sessionParallelCores()
{
    static const ParallelProbeResult result = measureParallelCores();
    return result;
}

} // namespace hs
