#include "domains/resources.h"

#include <QDir>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <system_error>
#include <vector>

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

namespace hs {

namespace {
std::atomic<std::int64_t> g_stageFds { 0 };
std::atomic<std::int64_t> g_stageFdLimit { -1 };

constexpr std::int64_t kUnlimited = std::int64_t(1) << 40;
// What the engine process holds besides its pools and stages: stdio, Qt's and glib's wake-up fds,
// the latency server (listen, epoll, timerfd, eventfd), the loop's timerfd, the temp dir, a GUI.
constexpr std::int64_t kBaseFds = 64;
// Per procs worker in the engine: its socket, pidfd, the owner's eventfd, a shared-memory fd.
constexpr std::int64_t kFdsPerProcsWorker = 4;
} // namespace

QString outOfFdsReason(const char *what)
{
    return QString::fromLatin1(what) + QStringLiteral(": out of file descriptors (EMFILE)");
}

std::int64_t fileLimit()
{
    rlimit rl {};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return kUnlimited;
    return std::int64_t(std::min<rlim_t>(rl.rlim_cur, rlim_t(kUnlimited)));
}

std::int64_t raiseFileLimit()
{
    rlimit rl {};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rlimit raised = rl;
        raised.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &raised); // refused (e.g. a container policy): keep the soft limit
    }
    return fileLimit();
}

int openFileCount()
{
    const int n = int(QDir(QStringLiteral("/proc/self/fd")).entryList(QDir::AllEntries | QDir::NoDotAndDotDot).size());
    return n > 0 ? n - 1 : 0; // the directory's own descriptor while it is listed
}

namespace StageFds {
bool acquire(int n)
{
    const std::int64_t limit = g_stageFdLimit.load(std::memory_order_relaxed);
    const std::int64_t now = g_stageFds.fetch_add(n, std::memory_order_relaxed) + n;
    if (limit >= 0 && now > limit) {
        g_stageFds.fetch_sub(n, std::memory_order_relaxed);
        return false;
    }
    return true;
}

void release(int n)
{
    g_stageFds.fetch_sub(n, std::memory_order_relaxed);
}

std::int64_t inUse()
{
    return g_stageFds.load(std::memory_order_relaxed);
}

void setLimit(std::int64_t limit)
{
    g_stageFdLimit.store(limit, std::memory_order_relaxed);
}

std::int64_t limit()
{
    return g_stageFdLimit.load(std::memory_order_relaxed);
}
} // namespace StageFds

bool probeThreads(int n, QString *error)
{
    if (n <= 0)
        return true;
    struct Gate {
        std::mutex mu;
        std::condition_variable cv;
        bool open = false;
    } gate;
    auto body = [](void *arg) -> void * {
        auto *g = static_cast<Gate *>(arg);
        std::unique_lock lk(g->mu);
        g->cv.wait(lk, [g] { return g->open; });
        return nullptr;
    };
    // Default attributes, like the pools' threads: a limit on address space (ulimit -v) meets the
    // probe's stacks as it would meet theirs.
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    std::vector<pthread_t> threads;
    threads.reserve(std::size_t(n));
    int rc = 0;
    for (int i = 0; i < n; ++i) {
        pthread_t t;
        rc = pthread_create(&t, &attr, body, &gate);
        if (rc != 0)
            break;
        threads.push_back(t);
    }
    pthread_attr_destroy(&attr);
    {
        std::lock_guard lk(gate.mu);
        gate.open = true;
    }
    gate.cv.notify_all();
    for (pthread_t t : threads)
        pthread_join(t, nullptr);
    if (rc == 0)
        return true;
    if (error)
        *error = QStringLiteral("cannot start %1 threads (only %2 could be created: %3); lower the workers or "
                                "raise the limit on processes (ulimit -u)")
                     .arg(n)
                     .arg(threads.size())
                     .arg(QString::fromStdString(std::generic_category().message(rc)));
    return false;
}

namespace {
// Arrivals per second at a class's busiest (closed classes: none; their clients bound them).
double peakRate(const Arrival &a)
{
    switch (a.process) {
    case ArrivalProcess::Poisson:
    case ArrivalProcess::Constant:
    case ArrivalProcess::Burst: return a.rate;
    case ArrivalProcess::Ramp: return std::max(a.from, a.to);
    case ArrivalProcess::Closed: return 0;
    }
    return 0;
}

// Stages of one kind in flight at once at `rate` with mean duration `seconds`, with room for
// Poisson fluctuation; a closed class never has more than its clients.
double inFlight(const Arrival &a, double seconds)
{
    if (a.process == ArrivalProcess::Closed)
        return a.clients;
    const double mean = peakRate(a) * std::max(0.0, seconds);
    return mean + 3 * std::sqrt(mean);
}

QString count(double v)
{
    return QString::number(std::llround(v));
}
} // namespace

ResourceEstimate estimateResources(const Scenario &s, std::int64_t fdLimit, int cores)
{
    ResourceEstimate e;
    e.fdLimit = fdLimit;
    cores = std::max(1, cores);
    const int threadsW = s.domain(DomainKind::Threads).workers;
    const int tbbW = s.domain(DomainKind::Tbb).workers;
    const int procsW = s.domain(DomainKind::Procs).workers;
    bool procsUsed = s.domain(DomainKind::Procs).declared;
    for (const TaskClass &c : s.classes)
        for (const Stage &st : c.stages)
            procsUsed = procsUsed || st.domain == DomainKind::Procs;

    // Descriptors, largest consumers named in the warning.
    std::vector<std::pair<double, QString>> users;
    users.emplace_back(double(threadsW), QStringLiteral("%1 threads workers (one each)").arg(threadsW));
    if (procsUsed)
        users.emplace_back(double(procsW * kFdsPerProcsWorker),
            QStringLiteral("%1 procs workers (%2 each)").arg(procsW).arg(kFdsPerProcsWorker));
    double loopNet = 0;
    bool netOn[kDomainCount] = {};
    bool diskOn[kDomainCount] = {};
    for (const TaskClass &c : s.classes)
        for (const Stage &st : c.stages) {
            if (st.work == WorkKind::Net) {
                netOn[int(st.domain)] = true;
                if (st.domain == DomainKind::Loop)
                    loopNet += 2 * inFlight(c.arrival, st.time.mean());
            }
            if (st.work == WorkKind::Disk)
                diskOn[int(st.domain)] = true;
        }
    if (loopNet > 0)
        users.emplace_back(
            loopNet, QStringLiteral("net stages in flight on loop (%1, two each)").arg(count(loopNet / 2)));
    if (netOn[int(DomainKind::Threads)])
        users.emplace_back(
            2.0 * threadsW, QStringLiteral("a connection per threads worker for net stages (%1)").arg(2 * threadsW));
    if (netOn[int(DomainKind::Tbb)])
        users.emplace_back(2.0 * tbbW, QStringLiteral("a connection per tbb worker for net stages (%1)").arg(2 * tbbW));
    const double disk = (diskOn[int(DomainKind::Loop)] ? 1 : 0) + (diskOn[int(DomainKind::Threads)] ? threadsW : 0)
        + (diskOn[int(DomainKind::Tbb)] ? tbbW : 0);
    if (disk > 0)
        users.emplace_back(disk, QStringLiteral("disk stages running at once (%1)").arg(count(disk)));
    double fds = double(kBaseFds);
    for (const auto &u : users)
        fds += u.first;
    e.fds = std::int64_t(std::min(fds, 1e15));
    e.threads = threadsW + tbbW + (procsUsed ? procsW : 0) + 5;
    e.processes = procsUsed ? procsW : 0;

    if (e.fds > fdLimit) {
        std::sort(users.begin(), users.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
        QStringList names;
        for (const auto &u : users)
            if (u.first >= 1 && names.size() < 3)
                names << u.second;
        e.warnings << QStringLiteral("needs about %1 file descriptors but the limit (ulimit -n) is %2: %3; stages "
                                     "that find none fail (out of file descriptors), and a run whose pools need more "
                                     "does not start")
                          .arg(e.fds)
                          .arg(fdLimit)
                          .arg(names.join(QStringLiteral(", ")));
    }

    // Workers far beyond the machine.
    const int cpuWorkers = tbbW + (procsUsed ? procsW : 0);
    if (tbbW > 8 * cores || cpuWorkers > 16 * cores)
        e.warnings << QStringLiteral("%1 tbb and %2 procs workers on %3 cores: CPU pools far larger than the machine "
                                     "only add context switches and start-up time (tbb is usually sized to the cores)")
                          .arg(tbbW)
                          .arg(procsUsed ? procsW : 0)
                          .arg(cores);
    const int total = threadsW + tbbW + (procsUsed ? 2 * procsW : 0);
    if (total > std::max(1024, 64 * cores))
        e.warnings << QStringLiteral("%1 threads and worker processes in all: the machine will struggle to start and "
                                     "schedule them")
                          .arg(total);

    // Offered load far beyond what a domain can serve, with nothing to bound its queue.
    double offered[kDomainCount] = {};
    for (const TaskClass &c : s.classes) {
        const double rate = peakRate(c.arrival);
        for (const Stage &st : c.stages) {
            const bool holds = st.domain != DomainKind::Loop || st.work == WorkKind::Cpu
                || st.work == WorkKind::Block; // async and net wait without holding the loop
            if (holds && st.work != WorkKind::Disk)
                offered[int(st.domain)] += rate * st.time.mean();
        }
    }
    for (DomainKind dk : kAllDomains) {
        const DomainConfig &cfg = s.domain(dk);
        const double capacity = dk == DomainKind::Loop ? 1.0 : double(std::max(1, cfg.workers));
        if (offered[int(dk)] > 4 * capacity && cfg.queue == 0 && cfg.maxInflight == 0)
            e.warnings << QStringLiteral("%1: the arrivals offer %2 workers' worth of work to %3 workers and its "
                                         "queue is unbounded: it grows until the engine's cap on queued stages, "
                                         "then stages are rejected")
                              .arg(domainName(dk), QString::number(offered[int(dk)], 'g', 3))
                              .arg(capacity);
    }
    return e;
}

QStringList resourceWarnings(const Scenario &s)
{
    return estimateResources(s, raiseFileLimit(), QThread::idealThreadCount()).warnings;
}

std::int64_t defaultQueueCap(const Scenario &s)
{
    double payload = 0;
    for (const TaskClass &c : s.classes)
        for (const Stage &st : c.stages)
            payload = std::max({ payload, st.payloadIn.mean(), st.payloadOut.mean() });
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long pageSize = sysconf(_SC_PAGESIZE);
    const double memory = pages > 0 && pageSize > 0 ? double(pages) * double(pageSize) : 4e9;
    // A queued stage holds its task (plan, counters, about 512 B) and the payload it carries.
    const double budget = std::min(memory / 8, 1024.0 * 1024 * 1024);
    const double cap = budget / (512 + 2 * payload);
    return std::int64_t(std::clamp(cap, 1000.0, 1'000'000.0));
}

} // namespace hs
