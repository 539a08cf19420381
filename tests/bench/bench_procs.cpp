// What isolation costs in the procs domain, measured in one run beside its floor:
//
//   1. Round trip of an empty stage: a raw socketpair ping-pong between this process and a child
//      (16-byte messages, blocking reads: the floor on this machine), WorkerProcess::call() with an
//      empty stage (the protocol), and the whole engine (procs service time and task latency of a
//      closed loop with one client and a `cpu` stage of 0 s). Target: engine service <= 2x raw.
//   2. Payload throughput of 1 MiB and 16 MiB moved into a worker under `transfer: copy` and
//      `transfer: shm` (serialization + transfer until the worker can start), beside plain memcpy
//      of the same size. Targets: shm >= 50 % of memcpy at 16 MiB, shm >= 3x copy at 1 MiB.
//   3. The same payloads through the whole engine: its ipc_ms (both ways, as reports show it).
//
//   bench_procs [--seconds S] [--pings N]      (finds the worker through $HS_WORKER, else ../../app)

#include "core/clock.h"
#include "procs/ipc.h"
#include "procs/workerprocess.h"
#include "results/runresult.h"
#include "run/engine.h"
#include "scenario/scenarioparser.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QThread>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace {

constexpr std::size_t kPing = 16;

int pingPongChild(int fd)
{
    char buf[kPing];
    for (;;) {
        std::size_t got = 0;
        while (got < kPing) {
            const ssize_t n = ::read(fd, buf + got, kPing - got);
            if (n <= 0)
                return 0;
            got += std::size_t(n);
        }
        if (::write(fd, buf, kPing) != ssize_t(kPing))
            return 1;
    }
}

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
    return v[v.size() / 2];
}

/// Median round trip in microseconds of a 16-byte ping-pong with a child process.
double rawPingPong(const char *self, int count)
{
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
    char arg0[] = "bench_procs";
    char arg1[] = "--pingpong-child";
    char *argv[] = { arg0, arg1, nullptr };
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, self, &fa, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(sv[1]);
    if (rc != 0) {
        ::close(sv[0]);
        return -1;
    }
    char buf[kPing] = {};
    std::vector<double> us;
    us.reserve(std::size_t(count));
    for (int i = 0; i < count + 1000; ++i) { // the first thousand warm up
        const std::int64_t t0 = hs::nowNs();
        if (::write(sv[0], buf, kPing) != ssize_t(kPing))
            break;
        std::size_t got = 0;
        while (got < kPing) {
            const ssize_t n = ::read(sv[0], buf + got, kPing - got);
            if (n <= 0)
                break;
            got += std::size_t(n);
        }
        if (i >= 1000)
            us.push_back(double(hs::nowNs() - t0) / 1e3);
    }
    ::close(sv[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return median(us);
}

/// Median round trip in microseconds of WorkerProcess::call() with an empty stage.
double workerCall(const QString &worker, int count)
{
    hs::WorkerProcess w;
    hs::WorkerLaunch launch;
    launch.program = worker;
    QString error;
    if (!w.start(launch, &error)) {
        std::printf("  %s\n", qPrintable(error));
        return -1;
    }
    hs::ipc::StageRequest req; // cpu, 0 s
    std::vector<double> us;
    us.reserve(std::size_t(count));
    for (int i = 0; i < count + 1000; ++i) {
        const std::int64_t t0 = hs::nowNs();
        const hs::CallResult r = w.call(req, {}, {});
        if (r.status != hs::CallStatus::Ok) {
            std::printf("  call failed: %s\n", qPrintable(r.reason));
            return -1;
        }
        if (i >= 1000)
            us.push_back(double(hs::nowNs() - t0) / 1e3);
    }
    w.terminate();
    return median(us);
}

/// Median seconds to move `bytes` into a worker (CallResult::sendNs: serialization + transfer until the
/// worker can start), the same payload buffer each time like memcpy's. Also the median whole call.
std::pair<double, double> transferSeconds(const QString &worker, bool shm, std::size_t bytes)
{
    hs::WorkerProcess w;
    hs::WorkerLaunch launch;
    launch.program = worker;
    launch.sharedMemory = shm;
    QString error;
    if (!w.start(launch, &error)) {
        std::printf("  %s\n", qPrintable(error));
        return { -1, -1 };
    }
    const QByteArray payload(qsizetype(bytes), 'p');
    hs::ipc::StageRequest req; // cpu, 0 s, payload in only
    std::vector<double> send;
    std::vector<double> whole;
    const int reps = bytes > (4u << 20) ? 60 : 400;
    for (int i = 0; i < reps + 10; ++i) {
        const std::int64_t t0 = hs::nowNs();
        const hs::CallResult r = w.call(req, payload, {});
        const std::int64_t t1 = hs::nowNs();
        if (r.status != hs::CallStatus::Ok) {
            std::printf("  call failed: %s\n", qPrintable(r.reason));
            return { -1, -1 };
        }
        if (i >= 10) {
            send.push_back(double(r.sendNs) / 1e9);
            whole.push_back(double(t1 - t0) / 1e9);
        }
    }
    w.terminate();
    return { median(send), median(whole) };
}

/// Median seconds per memcpy of `bytes` between two warm buffers.
double memcpySeconds(std::size_t bytes)
{
    std::unique_ptr<char[]> a(new char[bytes]);
    std::unique_ptr<char[]> b(new char[bytes]);
    std::memset(a.get(), 1, bytes);
    std::memset(b.get(), 2, bytes);
    std::vector<double> s;
    const int reps = bytes > (4u << 20) ? 60 : 400;
    for (int i = 0; i < reps; ++i) {
        const std::int64_t t0 = hs::nowNs();
        std::memcpy(b.get(), a.get(), bytes);
        s.push_back(double(hs::nowNs() - t0) / 1e9);
        a[std::size_t(i) % bytes] = char(b[(std::size_t(i) * 7) % bytes]); // keep the copies observable
    }
    return median(s);
}

struct EngineFigures {
    double serviceUs = 0; ///< procs service time p50
    double latencyUs = 0; ///< task latency p50
    double ipcUs = 0; ///< serialization + transfer p50
    std::uint64_t stages = 0;
    QString error;
};

/// One closed-loop client, one procs worker, one `cpu` stage of 0 s moving `payload` bytes in.
EngineFigures runEngine(const QString &worker, const char *transfer, std::int64_t payload, double seconds)
{
    EngineFigures f;
    const QByteArray yaml
        = QStringLiteral("name: bench\n"
                         "duration: %1s\n"
                         "seed: 1\n"
                         "domains:\n"
                         "  procs: { workers: 1, transfer: %2 }\n"
                         "classes:\n"
                         "  - name: c\n"
                         "    arrival: { process: closed, clients: 1, think: 0s }\n"
                         "    stages:\n"
                         "      - { name: s, work: cpu, time: 1us, payload_in: %3B, domain: procs }\n")
              .arg(seconds)
              .arg(QLatin1String(transfer))
              .arg(payload)
              .toUtf8();
    hs::ParseResult parsed = hs::ScenarioParser::parseText(yaml, QStringLiteral("<bench>"));
    if (!parsed.ok()) {
        f.error = QStringLiteral("bad scenario");
        return f;
    }
    hs::Scenario s = std::move(*parsed.scenario);
    s.classes[0].stages[0].time = hs::Distribution::fixed(0); // an empty stage (the file format wants > 0)
    hs::EngineOptions opts;
    opts.workerPath = worker;
    hs::Engine engine(s, opts);
    if (!engine.start(&f.error))
        return f;
    while (!engine.isFinished()) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
        QThread::msleep(20);
    }
    QCoreApplication::processEvents();
    const hs::RunResult r = engine.result();
    const hs::DomainTotals &t = r.domains[std::size_t(hs::DomainKind::Procs)].totals;
    f.serviceUs = double(t.service.percentile(0.5)) / 1e3;
    f.latencyUs = double(r.classes[0].latency.percentile(0.5)) / 1e3;
    f.ipcUs = double(r.classes[0].ipc.percentile(0.5)) / 1e3;
    f.stages = r.classes[0].completed;
    if (r.classes[0].failed)
        f.error = QStringLiteral("%1 stages failed").arg(r.classes[0].failed);
    return f;
}

QString findWorker(const char *self)
{
    const QString env = qEnvironmentVariable("HS_WORKER");
    if (!env.isEmpty())
        return env;
    const QString dir = QFileInfo(QFile::decodeName(self)).absolutePath();
    return QDir::cleanPath(dir + QStringLiteral("/../../app/hybridscope-worker"));
}

} // namespace

int main(int argc, char **argv)
{
    if (argc >= 2 && std::strcmp(argv[1], "--pingpong-child") == 0)
        return pingPongChild(3);
    double seconds = 2.0;
    int pings = 20000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--seconds") == 0)
            seconds = std::atof(argv[i + 1]);
        else if (std::strcmp(argv[i], "--pings") == 0)
            pings = std::atoi(argv[i + 1]);
    }
    // Measured before any engine thread exists.
    const double raw = rawPingPong("/proc/self/exe", pings);
    QCoreApplication app(argc, argv);
    const QString worker = findWorker(argv[0]);
    std::printf("worker: %s\n\n", qPrintable(worker));

    std::printf("1. Round trip of an empty stage (median)\n");
    const double call = workerCall(worker, pings);
    const EngineFigures empty = runEngine(worker, "copy", 0, seconds);
    if (!empty.error.isEmpty())
        std::printf("  engine: %s\n", qPrintable(empty.error));
    std::printf("  raw socketpair ping-pong, 2 processes   %8.1f us\n", raw);
    std::printf("  WorkerProcess::call (protocol)          %8.1f us   %.2fx raw\n", call, call / raw);
    std::printf("  engine, procs service time              %8.1f us   %.2fx raw   (target <= 2x)  [%llu stages]\n",
        empty.serviceUs, empty.serviceUs / raw, static_cast<unsigned long long>(empty.stages));
    std::printf(
        "  engine, task latency (admission incl.)  %8.1f us   %.2fx raw\n\n", empty.latencyUs, empty.latencyUs / raw);

    std::printf("2. Payload into a worker, throughput = bytes / median time to move them in (serialization +\n"
                "   transfer until the worker can start; WorkerProcess::call, same buffer each time)\n");
    std::printf(
        "  %-8s %12s %12s %12s %12s %12s\n", "size", "memcpy GB/s", "copy GB/s", "shm GB/s", "shm/memcpy", "shm/copy");
    for (std::size_t size : { std::size_t(1) << 20, std::size_t(16) << 20 }) {
        const double mc = double(size) / memcpySeconds(size) / 1e9;
        const auto [copyIn, copyCall] = transferSeconds(worker, false, size);
        const auto [shmIn, shmCall] = transferSeconds(worker, true, size);
        const double copyGbs = double(size) / copyIn / 1e9;
        const double shmGbs = double(size) / shmIn / 1e9;
        std::printf("  %-8s %12.2f %12.2f %12.2f %11.0f%% %11.1fx\n", size == (1u << 20) ? "1 MiB" : "16 MiB", mc,
            copyGbs, shmGbs, 100.0 * shmGbs / mc, shmGbs / copyGbs);
        std::printf("           (move in: copy %.0f us, shm %.0f us; whole call: copy %.0f us, shm %.0f us)\n",
            copyIn * 1e6, shmIn * 1e6, copyCall * 1e6, shmCall * 1e6);
    }
    std::printf("\n3. The same through the engine (one closed-loop client): ipc_ms p50, both ways\n");
    for (std::int64_t size : { std::int64_t(1) << 20, std::int64_t(16) << 20 }) {
        const EngineFigures copy = runEngine(worker, "copy", size, seconds);
        const EngineFigures shm = runEngine(worker, "shm", size, seconds);
        std::printf("  %-8s copy %8.0f us  shm %8.0f us  shm/copy %.1fx   (stages: copy %llu, shm %llu)\n",
            size == (1 << 20) ? "1 MiB" : "16 MiB", copy.ipcUs, shm.ipcUs, copy.ipcUs / shm.ipcUs,
            static_cast<unsigned long long>(copy.stages), static_cast<unsigned long long>(shm.stages));
        for (const EngineFigures *f : { &copy, &shm })
            if (!f->error.isEmpty())
                std::printf("           error: %s\n", qPrintable(f->error));
    }
    std::printf("\ntargets: shm >= 50%% of memcpy at 16 MiB; shm >= 3x copy at 1 MiB\n");
    return 0;
}
