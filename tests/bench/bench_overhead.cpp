// Per-stage overhead of the `threads` and `tbb` domains beside the raw executors they wrap, all
// measured in one process.
//
//   bench_overhead [--items N] [--reps R] [--latency N] [--engine-seconds S] [--workers 1,2,4]
//                  [--no-engine] [--no-trace]
//
// Throughput: one producer thread submits N empty items as fast as it can; the time until the
// last one has run, divided by N, is the cost per item (wall), beside the CPU time all threads of
// the process spent on them (a cross-check that a busy machine disturbs much less). Latency: one
// item at a time, submit to completion seen by the producer (which spins 20 us, then sleeps); the
// engine's latency rows are its own closed-loop figure (one client, no think time).
//
// Every measurement gets a fresh executor (created and warmed up untimed) and the subjects take
// turns rep by rep, so a load spike hits all of them alike and no idle oneTBB arena sits next to
// the one being measured (under a tight worker limit that delays a busy arena's workers).
//
// "domain" rows drive hs::ThreadsDomain / hs::TbbDomain through a StageHost whose stages are
// empty. "engine" rows run the whole hs::Engine on one class with one `cpu` stage of 0 s;
// "eng/blk0" the same with a `block` stage of 0 s, which is just as empty but reads no thread
// CPU clock.

#include "core/clock.h"
#include "domains/domain.h"
#include "domains/tbbdomain.h"
#include "domains/threadsdomain.h"
#include "results/runresult.h"
#include "run/engine.h"
#include "scenario/scenario.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QThread>
#include <QThreadPool>

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <limits>
#include <memory>
#include <semaphore>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr double kTarget = 2.0; // engine / raw, per item
bool g_engineTrace = true; // --no-trace: engine runs without the trace recorder (its cost is the difference)
constexpr std::int64_t kWaitBoundNs = 60 * hs::kNsPerSec; // a hung executor fails the run, not the machine

inline void cpuRelax()
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

[[noreturn]] void fail(const std::string &what)
{
    std::fprintf(stderr, "bench_overhead: %s\n", what.c_str());
    std::exit(1);
}

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double percentile(std::vector<double> v, double q)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const auto rank = std::size_t(q * double(v.size() - 1) + 0.5);
    return v[std::min(rank, v.size() - 1)];
}

std::string loadAverage()
{
    QFile f(QStringLiteral("/proc/loadavg"));
    if (!f.open(QIODevice::ReadOnly))
        return "n/a";
    const QList<QByteArray> parts = f.readAll().split(' ');
    return parts.size() >= 3 ? parts[0].toStdString() + ' ' + parts[1].toStdString() + ' ' + parts[2].toStdString()
                             : "n/a";
}

/// Counts completions. The completion that reaches the target releases a semaphore, so a waiting
/// producer sleeps instead of taking a CPU from the workers.
class Completion {
public:
    void hit()
    {
        if (m_done.fetch_add(1, std::memory_order_acq_rel) + 1 == m_target.load(std::memory_order_acquire))
            m_reached.release();
    }
    std::uint64_t done() const { return m_done.load(std::memory_order_acquire); }
    /// Only while nothing runs.
    void reset()
    {
        m_target.store(std::numeric_limits<std::uint64_t>::max(), std::memory_order_release);
        while (m_reached.try_acquire()) { }
        m_done.store(0, std::memory_order_relaxed);
    }
    /// Before submitting the items that bring the count to `count`.
    void expect(std::uint64_t count) { m_target.store(count, std::memory_order_release); }
    /// Waits until `count` items completed: spins briefly (a round trip to a spinning worker is
    /// a microsecond or two), then sleeps on the semaphore. Sleeping matters on a busy machine:
    /// a spinning producer can keep a just-woken worker off its CPU until the next scheduler tick.
    void waitFor(std::uint64_t count, std::int64_t spinNs)
    {
        const std::int64_t start = hs::nowNs();
        for (std::uint32_t spins = 1; spinNs > 0 && done() < count; ++spins) {
            cpuRelax();
            if (spins % 32 == 0 && hs::nowNs() - start > spinNs)
                break;
        }
        // A permit left by an earlier target can wake us early: re-check the count.
        while (done() < count)
            if (!m_reached.try_acquire_for(std::chrono::nanoseconds(kWaitBoundNs)))
                fail("items did not complete within the bound (" + std::to_string(done()) + " done)");
    }

private:
    alignas(64) std::atomic<std::uint64_t> m_done { 0 };
    alignas(64) std::atomic<std::uint64_t> m_target { std::numeric_limits<std::uint64_t>::max() };
    std::binary_semaphore m_reached { 0 };
};

/// The engine's side of a domain reduced to nothing: empty stages, completions counted.
class EmptyHost final : public hs::StageHost {
public:
    explicit EmptyHost(Completion &c)
        : m_completion(c)
    { }
    hs::WorkResult runStage(hs::StageJob &, const hs::WorkControl &) override { return {}; }
    void enterStage(hs::StageJob &) override { }
    hs::WorkResult exitStage(hs::StageJob &, const hs::WorkResult &r) override { return r; }
    std::uint16_t netPort() const override { return 0; }
    void stageEnded(hs::StageJob &&, const hs::WorkResult &) override { m_completion.hit(); }
    void stageAborted(hs::StageJob &&, hs::Outcome, const QString &) override
    {
        m_aborted.fetch_add(1, std::memory_order_relaxed);
    }
    std::uint64_t aborted() const { return m_aborted.load(std::memory_order_relaxed); }

private:
    Completion &m_completion;
    std::atomic<std::uint64_t> m_aborted { 0 };
};

/// Something that runs empty items on `workers` threads, fed from the calling thread.
class Subject {
public:
    virtual ~Subject() = default;
    virtual void submit(int n) = 0;
    /// After the items completed (untimed): let the executor go quiet before the next run.
    virtual void settle() { }
    /// Before destruction: the executor's own books agree with what was submitted.
    virtual void check(std::uint64_t /*submitted*/) const { }
    Completion &completion() { return m_completion; }

protected:
    Completion m_completion;
};

class RawPool final : public Subject {
public:
    explicit RawPool(int workers)
    {
        m_pool.setObjectName(QStringLiteral("raw-pool"));
        m_pool.setMaxThreadCount(workers);
        m_pool.setExpiryTimeout(-1); // as ThreadsDomain: no thread churn between runs
    }
    ~RawPool() override { m_pool.waitForDone(); }
    void submit(int n) override
    {
        Completion *c = &m_completion;
        for (int i = 0; i < n; ++i)
            m_pool.start([c] { c->hit(); });
    }
    void settle() override { m_pool.waitForDone(); }

private:
    QThreadPool m_pool;
};

/// A oneTBB arena of `workers` slots, none reserved for external threads (as TbbDomain), under
/// the process-wide worker limit the engine itself sets for that many slots.
class RawArena : public Subject {
public:
    explicit RawArena(int workers)
        : m_limit(tbb::global_control::max_allowed_parallelism,
            std::size_t(std::max(QThread::idealThreadCount(), workers + 1)))
        , m_arena(workers, 0)
    {
        m_arena.initialize();
    }
    ~RawArena() override { settle(); }
    void settle() override
    {
        m_arena.execute([this] { m_group->wait(); });
    }

protected:
    tbb::global_control m_limit;
    tbb::task_arena m_arena;
    // Behind a pointer: task_group's destructor may throw, which would make ours do so too.
    std::unique_ptr<tbb::task_group> m_group = std::make_unique<tbb::task_group>();
};

/// The external producer enqueues each item (the primitive TbbDomain launches with).
class RawArenaEnqueue final : public RawArena {
public:
    using RawArena::RawArena;
    void submit(int n) override
    {
        Completion *c = &m_completion;
        for (int i = 0; i < n; ++i)
            m_arena.enqueue(m_group->defer([c] { c->hit(); }));
    }
};

/// arena.execute(group.run × n), then arena.execute(group.wait): the producer joins the arena,
/// spawns into its own deque and helps run the items while it waits.
class RawArenaRun final : public RawArena {
public:
    using RawArena::RawArena;
    void submit(int n) override
    {
        Completion *c = &m_completion;
        m_arena.execute([this, c, n] {
            for (int i = 0; i < n; ++i)
                m_group->run([c] { c->hit(); });
        });
        settle();
    }
};

class DomainSubject final : public Subject {
public:
    DomainSubject(hs::DomainKind kind, int workers)
        : m_host(m_completion)
    {
        hs::DomainConfig cfg;
        cfg.declared = true;
        cfg.workers = workers;
        const std::int64_t threshold = 100'000'000; // the scenario default; never reached here
        if (kind == hs::DomainKind::Threads)
            m_domain = std::make_unique<hs::ThreadsDomain>(m_host, cfg, threshold);
        else
            m_domain = std::make_unique<hs::TbbDomain>(m_host, cfg, threshold);
        QString error;
        if (!m_domain->start(&error))
            fail("cannot start the domain: " + error.toStdString());
    }
    ~DomainSubject() override { m_domain->stop(); }
    void submit(int n) override
    {
        for (int i = 0; i < n; ++i)
            if (m_domain->submit(hs::StageJob {}) != hs::Admission::Accepted)
                fail("the domain refused an item");
    }
    void check(std::uint64_t submitted) const override
    {
        if (m_host.aborted() != 0 || m_domain->totals(hs::nowNs()).completed != submitted)
            fail("the domain's count of completed stages disagrees with the host's");
    }

private:
    EmptyHost m_host;
    std::unique_ptr<hs::Domain> m_domain;
};

/// CPU time of every thread of this process: a cross-check of the wall figures that a busy
/// machine disturbs much less (time spent waiting for a CPU is not in it).
std::int64_t processCpuNs()
{
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return std::int64_t(ts.tv_sec) * hs::kNsPerSec + ts.tv_nsec;
}

struct PerItem {
    double wallNs = 0;
    double cpuNs = 0;
};

PerItem throughputRun(Subject &s, int items)
{
    s.completion().reset();
    s.completion().expect(std::uint64_t(items));
    const std::int64_t cpu0 = processCpuNs();
    const std::int64_t t0 = hs::nowNs();
    s.submit(items);
    s.completion().waitFor(std::uint64_t(items), 0);
    const std::int64_t t1 = hs::nowNs();
    const std::int64_t cpu1 = processCpuNs();
    s.settle();
    if (s.completion().done() != std::uint64_t(items))
        fail("completion count mismatch");
    return { double(t1 - t0) / items, double(cpu1 - cpu0) / items };
}

/// Round-trip times in ns, one item at a time.
std::vector<double> latencyRun(Subject &s, int samples)
{
    constexpr std::int64_t kSpinNs = 20'000;
    std::vector<double> rtt;
    rtt.reserve(std::size_t(samples));
    s.completion().reset();
    for (int i = 0; i < samples; ++i) {
        const auto count = std::uint64_t(i) + 1;
        s.completion().expect(count);
        const std::int64_t t0 = hs::nowNs();
        s.submit(1);
        s.completion().waitFor(count, kSpinNs);
        rtt.push_back(double(hs::nowNs() - t0));
    }
    s.settle();
    return rtt;
}

struct Samples {
    std::vector<double> wall, cpu;
    void add(const PerItem &p)
    {
        wall.push_back(p.wallNs);
        cpu.push_back(p.cpuNs);
    }
};

using Factory = std::function<std::unique_ptr<Subject>()>;

constexpr int kWarmupItems = 20000;
constexpr int kWarmupRoundTrips = 100;

/// One throughput figure per subject and rep, the subjects taking turns in alternating order.
std::vector<Samples> throughput(const std::vector<Factory> &subjects, int items, int reps)
{
    std::vector<Samples> out(subjects.size());
    for (int r = 0; r < reps; ++r)
        for (std::size_t k = 0; k < subjects.size(); ++k) {
            const std::size_t i = r % 2 ? subjects.size() - 1 - k : k;
            std::unique_ptr<Subject> s = subjects[i]();
            const int warm = std::min(items, kWarmupItems); // threads started, allocator pools primed
            throughputRun(*s, warm);
            out[i].add(throughputRun(*s, items));
            s->check(std::uint64_t(warm) + std::uint64_t(items));
        }
    return out;
}

/// Round trips of two subjects, in chunks of alternating order, each on a fresh executor. oneTBB
/// workers either stay spinning between round trips or go to sleep each time, and which regime a
/// run falls into sticks for the run; several short runs per side sample both alike.
std::pair<std::vector<double>, std::vector<double>> latency(const Factory &a, const Factory &b, int samples)
{
    constexpr int kChunks = 4;
    std::pair<std::vector<double>, std::vector<double>> out;
    auto measure = [](const Factory &f, int n, std::vector<double> &to) {
        if (n == 0)
            return;
        std::unique_ptr<Subject> s = f();
        const int warm = std::min(kWarmupRoundTrips, n);
        latencyRun(*s, warm);
        const std::vector<double> rtt = latencyRun(*s, n);
        to.insert(to.end(), rtt.begin(), rtt.end());
        s->check(std::uint64_t(warm) + std::uint64_t(n));
    };
    for (int c = 0; c < kChunks; ++c) {
        const int n = samples / kChunks + (c < samples % kChunks ? 1 : 0);
        measure(c % 2 ? b : a, n, c % 2 ? out.second : out.first);
        measure(c % 2 ? a : b, n, c % 2 ? out.first : out.second);
    }
    return out;
}

// --- full engine --------------------------------------------------------------------------

hs::Scenario emptyScenario(
    hs::DomainKind kind, int workers, double seconds, bool closedLoop, hs::WorkKind work = hs::WorkKind::Cpu)
{
    hs::Scenario s;
    s.name = QStringLiteral("bench: one empty stage");
    s.source = QStringLiteral("<bench_overhead>");
    s.duration = seconds;
    s.seed = 1;
    for (hs::DomainKind d : hs::kAllDomains) {
        hs::DomainConfig &c = s.domain(d);
        c.declared = d == hs::DomainKind::Threads || d == hs::DomainKind::Tbb;
        c.workers = d == kind ? workers : 1;
    }
    hs::TaskClass c;
    c.name = QStringLiteral("empty");
    if (closedLoop) {
        c.arrival.process = hs::ArrivalProcess::Closed;
        c.arrival.clients = 1;
        c.arrival.think = hs::Distribution::fixed(0);
    } else {
        // Far above what one producer can submit: the generator is always behind its schedule,
        // so it submits back to back, like the raw producers.
        c.arrival.process = hs::ArrivalProcess::Constant;
        c.arrival.rate = 1e9;
    }
    hs::Stage st;
    st.name = QStringLiteral("noop");
    st.work = work;
    st.time = hs::Distribution::fixed(0);
    st.domain = kind;
    c.stages.push_back(st);
    s.classes.push_back(c);
    return s;
}

struct EngineRun {
    hs::RunResult result;
    std::int64_t cpuNs = 0;
};

EngineRun runEngine(const hs::Scenario &scenario)
{
    // Stop arrivals by request: at a natural end the generator first hands over every arrival
    // intended before it, and at 1e9/s that would be hundreds of millions.
    hs::Scenario s = scenario;
    const double runFor = s.duration;
    s.duration = 0;
    hs::EngineOptions opt;
    opt.trace = g_engineTrace;
    opt.drainSeconds = 30; // the backlog of an open-loop run must drain completely
    EngineRun run;
    const std::int64_t cpu0 = processCpuNs();
    {
        hs::Engine engine(s, opt);
        QString error;
        if (!engine.start(&error))
            fail("cannot start the engine: " + error.toStdString());
        const std::int64_t bound = hs::nowNs() + hs::secondsToNs(runFor + opt.drainSeconds) + kWaitBoundNs;
        bool stopRequested = false;
        while (!engine.isFinished()) {
            if (!stopRequested && engine.elapsed() >= runFor) {
                engine.requestStop();
                stopRequested = true;
            }
            if (hs::nowNs() > bound)
                fail("the engine did not finish within the bound");
            QThread::msleep(5); // the run's own length is what we wait for; 5 ms is far below it
        }
        QCoreApplication::processEvents(); // the queued finished() signal
        run.result = engine.result();
    }
    run.cpuNs = processCpuNs() - cpu0;
    if (!run.result.conserved() || run.result.doubleEnds != 0)
        fail("the engine broke the conservation law");
    return run;
}

struct EngineThroughput {
    PerItem perTask;
    int queueMax = 0;
    std::uint64_t cancelled = 0;
};

/// Like the raw runs: the generator submits back to back for `seconds`; the time from the start
/// until the last of those tasks completed (the drain included), divided by their number, is the
/// cost per task. The run ends as soon as nothing is in flight, so its final frame marks that end.
EngineThroughput engineThroughput(hs::DomainKind kind, int workers, double seconds, hs::WorkKind work)
{
    const EngineRun run = runEngine(emptyScenario(kind, workers, seconds, false, work));
    const hs::RunResult &r = run.result;
    const hs::ClassResult &c = r.classes.at(0);
    // A task or two cancelled at shutdown is tolerated and reported: the engine can declare the
    // drain done while its generator still holds a task it has not handed over yet.
    if (c.completed == 0 || c.failed != 0 || c.rejected != 0 || c.cancelled > 2 || r.frames.empty()) {
        std::string why;
        for (auto it = c.failureReasons.cbegin(); it != c.failureReasons.cend(); ++it)
            why += "; " + it.key().toStdString() + ": " + std::to_string(it.value());
        fail("the engine run did not complete every task: submitted " + std::to_string(c.submitted) + ", completed "
            + std::to_string(c.completed) + ", failed " + std::to_string(c.failed) + ", rejected "
            + std::to_string(c.rejected) + ", cancelled " + std::to_string(c.cancelled) + why);
    }
    EngineThroughput t;
    t.perTask.wallNs = r.frames.back().t * 1e9 / double(c.completed);
    t.perTask.cpuNs = double(run.cpuNs) / double(c.completed);
    t.queueMax = r.domains[std::size_t(kind)].totals.queueMax;
    t.cancelled = c.cancelled;
    return t;
}

// --- output -------------------------------------------------------------------------------

struct ThroughputRow {
    std::string config, rawName;
    Samples raw, engine;
    std::string note;
};

struct LatencyRow {
    std::string config, rawName;
    double rawP50 = 0, rawP90 = 0, engineP50 = 0, engineP90 = 0;
    bool likeForLike = true;
    std::string note;
};

std::string fmtSpread(const std::vector<double> &v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.0f [%.0f..%.0f]", median(v), *std::min_element(v.begin(), v.end()),
        *std::max_element(v.begin(), v.end()));
    return buf;
}

void printThroughput(const std::vector<ThroughputRow> &rows)
{
    std::printf("\nThroughput: ns per item, wall (median of reps [min..max]) and process CPU (median)\n");
    std::printf("%-19s %-9s %20s %20s %6s %-5s %9s %9s %6s%s\n", "config", "raw", "raw wall", "engine wall", "ratio",
        "2x", "raw cpu", "eng cpu", "ratio", "");
    for (const ThroughputRow &r : rows) {
        const double ratio = median(r.engine.wall) / median(r.raw.wall);
        const double cpuRatio = median(r.engine.cpu) / median(r.raw.cpu);
        std::printf("%-19s %-9s %20s %20s %6.2f %-5s %9.0f %9.0f %6.2f%s\n", r.config.c_str(), r.rawName.c_str(),
            fmtSpread(r.raw.wall).c_str(), fmtSpread(r.engine.wall).c_str(), ratio, ratio <= kTarget ? "PASS" : "OVER",
            median(r.raw.cpu), median(r.engine.cpu), cpuRatio, r.note.c_str());
    }
}

void printLatency(const std::vector<LatencyRow> &rows)
{
    std::printf("\nLatency: one item at a time, submit -> completion seen by the producer, us p50 [p90]\n");
    std::printf("%-19s %-9s %16s %16s %6s %-5s\n", "config", "raw", "raw", "engine", "ratio", "2x");
    for (const LatencyRow &r : rows) {
        const double ratio = r.engineP50 / r.rawP50;
        char raw[48];
        char eng[48];
        std::snprintf(raw, sizeof raw, "%.1f [%.1f]", r.rawP50 / 1e3, r.rawP90 / 1e3);
        std::snprintf(eng, sizeof eng, "%.1f [%.1f]", r.engineP50 / 1e3, r.engineP90 / 1e3);
        std::printf("%-19s %-9s %16s %16s %6.2f %-5s%s\n", r.config.c_str(), r.rawName.c_str(), raw, eng, ratio,
            !r.likeForLike         ? "info"
                : ratio <= kTarget ? "PASS"
                                   : "OVER",
            r.note.c_str());
    }
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    hs::prepareEngineThread("bench-producer"); // 1 ns timer slack for the latency naps
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Per-item overhead of the threads and tbb domains against raw QThreadPool / oneTBB."));
    parser.addHelpOption();
    const QCommandLineOption itemsOpt(QStringLiteral("items"), QStringLiteral("Items per throughput run."),
        QStringLiteral("N"), QStringLiteral("200000"));
    const QCommandLineOption repsOpt(QStringLiteral("reps"), QStringLiteral("Repetitions per throughput figure."),
        QStringLiteral("R"), QStringLiteral("5"));
    const QCommandLineOption latencyOpt(QStringLiteral("latency"), QStringLiteral("Round trips per latency figure."),
        QStringLiteral("N"), QStringLiteral("2000"));
    const QCommandLineOption engineSecondsOpt(QStringLiteral("engine-seconds"),
        QStringLiteral("Arrival time of each full-engine run."), QStringLiteral("S"), QStringLiteral("0.4"));
    const QCommandLineOption workersOpt(QStringLiteral("workers"), QStringLiteral("Worker counts, comma-separated."),
        QStringLiteral("LIST"), QStringLiteral("1,2,4"));
    const QCommandLineOption noEngineOpt(QStringLiteral("no-engine"), QStringLiteral("Skip the full-engine runs."));
    const QCommandLineOption noTraceOpt(
        QStringLiteral("no-trace"), QStringLiteral("Engine runs without the trace recorder (EngineOptions::trace)."));
    parser.addOptions({ itemsOpt, repsOpt, latencyOpt, engineSecondsOpt, workersOpt, noEngineOpt, noTraceOpt });
    parser.process(app);

    bool okItems = false, okReps = false, okLatency = false, okSeconds = false;
    const int items = parser.value(itemsOpt).toInt(&okItems);
    const int reps = parser.value(repsOpt).toInt(&okReps);
    const int latencySamples = parser.value(latencyOpt).toInt(&okLatency);
    const double engineSeconds = parser.value(engineSecondsOpt).toDouble(&okSeconds);
    std::vector<int> workerCounts;
    for (const QString &w : parser.value(workersOpt).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const int n = w.trimmed().toInt(&ok);
        if (!ok || n < 1 || n > 256)
            fail("--workers takes numbers between 1 and 256");
        workerCounts.push_back(n);
    }
    if (!okItems || !okReps || !okLatency || !okSeconds || items < 1 || reps < 1 || latencySamples < 2
        || !(engineSeconds >= 0.1 && engineSeconds <= 60) || workerCounts.empty())
        fail("bad arguments: --items N>=1 --reps R>=1 --latency N>=2 --engine-seconds 0.1..60 --workers LIST");
    const bool withEngine = !parser.isSet(noEngineOpt);
    g_engineTrace = !parser.isSet(noTraceOpt);
    const int engineReps = std::max(1, std::min(reps, 3));

    std::printf("bench_overhead: %d items x %d reps, %d round trips, cores %d, load %s\n", items, reps, latencySamples,
        QThread::idealThreadCount(), loadAverage().c_str());
    std::printf("'domain' rows: hs::ThreadsDomain / hs::TbbDomain + a StageHost with empty stages.\n");
    if (withEngine)
        std::printf("'engine' rows: whole hs::Engine, one cpu stage of 0 s, open arrivals at 1e9/s for %.2f s "
                    "(generator submits back to back), %d reps, trace recorder %s.\n",
            engineSeconds, engineReps, g_engineTrace ? "on" : "off (--no-trace)");
    std::fflush(stdout);

    const std::int64_t benchStart = hs::nowNs();
    std::vector<ThroughputRow> throughputRows;
    std::vector<LatencyRow> latencyRows;
    int engineRuns = 0;
    int runsWithCancels = 0;
    std::uint64_t cancelledTasks = 0;

    for (hs::DomainKind kind : { hs::DomainKind::Threads, hs::DomainKind::Tbb }) {
        const bool tbbKind = kind == hs::DomainKind::Tbb;
        const std::string rawName = tbbKind ? "enqueue" : "start";
        for (int n : workerCounts) {
            const std::string cfg = hs::domainName(kind).toStdString() + " w=" + std::to_string(n);
            std::printf("measuring %s ...\n", cfg.c_str());
            std::fflush(stdout);
            // Held across the config so the worker limit does not change between subjects (the
            // engine's and the raw arenas' own limits have the same value).
            std::unique_ptr<tbb::global_control> limit;
            if (tbbKind)
                limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                    std::size_t(std::max(QThread::idealThreadCount(), n + 1)));
            const Factory rawMain = [kind, n]() -> std::unique_ptr<Subject> {
                if (kind == hs::DomainKind::Tbb)
                    return std::make_unique<RawArenaEnqueue>(n);
                return std::make_unique<RawPool>(n);
            };
            const Factory rawAlt = [n] { return std::make_unique<RawArenaRun>(n); };
            const Factory domain = [kind, n] { return std::make_unique<DomainSubject>(kind, n); };

            const std::vector<Samples> tp = tbbKind ? throughput({ rawMain, rawAlt, domain }, items, reps)
                                                    : throughput({ rawMain, domain }, items, reps);
            const Samples &raw = tp.front();
            throughputRows.push_back({ cfg + " domain", rawName, raw, tp.back(), "" });
            if (tbbKind)
                throughputRows.push_back({ cfg + " domain", "exec{run}", tp[1], tp.back(),
                    "  raw producer joins the arena, helps in wait()" });

            // Against the primitive the domain itself launches with.
            const auto [rawLat, domLat] = latency(rawMain, domain, latencySamples);
            latencyRows.push_back({ cfg + " domain", rawName, median(rawLat), percentile(rawLat, 0.9), median(domLat),
                percentile(domLat, 0.9), true, "" });

            if (withEngine) {
                // The `block` variant is just as empty, but its work function reads no thread CPU
                // clock: the difference is what that read costs per stage.
                for (hs::WorkKind work : { hs::WorkKind::Cpu, hs::WorkKind::Block }) {
                    Samples eng;
                    int queueMax = 0;
                    for (int r = 0; r < engineReps; ++r) {
                        const EngineThroughput et = engineThroughput(kind, n, engineSeconds, work);
                        ++engineRuns;
                        eng.add(et.perTask);
                        queueMax = std::max(queueMax, et.queueMax);
                        if (et.cancelled > 0) {
                            ++runsWithCancels;
                            cancelledTasks += et.cancelled;
                        }
                    }
                    // A deep queue: the workers were the bottleneck; a shallow one: the generator.
                    throughputRows.push_back({ cfg + (work == hs::WorkKind::Cpu ? " engine" : " eng/blk0"), rawName,
                        raw, eng, "  queue max " + std::to_string(queueMax) });
                }
                const EngineRun closed = runEngine(emptyScenario(kind, n, 0.25, true));
                const hs::HistogramSnapshot &lat = closed.result.classes.at(0).latency;
                latencyRows.push_back(
                    { cfg + " engine", rawName, median(rawLat), percentile(rawLat, 0.9), lat.percentile(0.5),
                        lat.percentile(0.9), false, "  closed loop, 1 client: worker->generator->worker" });
            }
        }
    }

    printThroughput(throughputRows);
    printLatency(latencyRows);
    if (runsWithCancels > 0)
        std::printf("\nnote: %d of %d open-loop engine runs ended with %llu task(s) cancelled at shutdown although "
                    "the drain had time left (engine: the drain is declared done while the generator still holds "
                    "a task)\n",
            runsWithCancels, engineRuns, static_cast<unsigned long long>(cancelledTasks));
    std::printf("\nratio = engine / raw; target <= %.0fx. Total %.1f s, load now %s\n", kTarget,
        double(hs::nowNs() - benchStart) / 1e9, loadAverage().c_str());
    return 0;
}
