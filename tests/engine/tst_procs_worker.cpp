// WorkerProcess against the real hybridscope-worker ($HS_WORKER): handshake, payload transfer
// under both transfers with checksums on both sides, every fault the engine must survive, and
// no child process or shared-memory segment left behind by any test.

#include "core/clock.h"
#include "domains/latencyserver.h"
#include "procs/ipc.h"
#include "procs/workerprocess.h"
#include "testutil.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <random>
#include <thread>

#include <csignal>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace hs;

namespace {

QString workerPath()
{
    return qEnvironmentVariable("HS_WORKER");
}

/// Shared-memory segments this process created.
std::vector<pid_t> childPids()
{
    return hs::test::childPids(::getpid());
}

QStringList ourSegments()
{
    return hs::test::shmSegmentsOf(::getpid());
}

QByteArray randomBytes(qsizetype n, std::uint64_t seed)
{
    QByteArray b(n, Qt::Uninitialized);
    std::mt19937_64 rng(seed);
    qsizetype i = 0;
    for (; i + 8 <= n; i += 8) {
        const std::uint64_t v = rng();
        std::memcpy(b.data() + i, &v, 8);
    }
    for (; i < n; ++i)
        b[i] = char(rng());
    return b;
}

WorkerLaunch launchOf(const QString &program = workerPath(), const QStringList &args = {})
{
    WorkerLaunch l;
    l.program = program;
    l.extraArgs = args;
    return l;
}

ipc::StageRequest blockStage(double seconds)
{
    ipc::StageRequest r;
    r.work = WorkKind::Block;
    r.timeNs = secondsToNs(seconds);
    return r;
}

bool waitReadable(int fd, int boundMs)
{
    pollfd p { fd, POLLIN, 0 };
    return ::poll(&p, 1, boundMs) > 0;
}

/// Reads one whole frame from a non-blocking socket, bounded; empty on failure.
QByteArray readFrame(int fd, int boundMs, ipc::FrameHeader *hdr)
{
    QElapsedTimer t;
    t.start();
    QByteArray buf;
    auto fill = [&](qsizetype want) {
        while (buf.size() < want) {
            if (t.elapsed() > boundMs)
                return false;
            if (!waitReadable(fd, 100))
                continue;
            char tmp[65536];
            const ssize_t n
                = ::recv(fd, tmp, std::size_t(std::min<qsizetype>(sizeof tmp, want - buf.size())), MSG_DONTWAIT);
            if (n == 0)
                return false;
            if (n > 0)
                buf.append(tmp, n);
        }
        return true;
    };
    if (!fill(qsizetype(ipc::kHeaderSize)))
        return {};
    if (ipc::decodeHeader(reinterpret_cast<const unsigned char *>(buf.constData()), hdr, ipc::kMaxPayloadBytes)
        != ipc::FrameError::Ok)
        return {};
    if (!fill(qsizetype(ipc::kHeaderSize + hdr->metaBytes + hdr->payloadBytes)))
        return {};
    return buf;
}

} // namespace

class TestProcsWorker : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanup();

    void handshakeAndCleanExit();
    void roundTrip_data();
    void roundTrip();
    void workerVerifiesPayloadIn();
    void workKindsRunForReal();
    void largeTransfersDoNotDeadlock();
    void diesMidResult();
    void crashes_data();
    void crashes();
    void killedMidStage();
    void killedWhileIdle();
    void garbageFromWorker_data();
    void garbageFromWorker();
    void garbageFromEngine_data();
    void garbageFromEngine();
    void mutatedFramesEndTheWorkerCleanly();
    void launchFailures_data();
    void launchFailures();
    void timeoutEscalation_data();
    void timeoutEscalation();
    void cancelWakesTheCall();
};

void TestProcsWorker::initTestCase()
{
    const QFileInfo fi(workerPath());
    QVERIFY2(fi.isExecutable(),
        qPrintable(QStringLiteral("HS_WORKER=%1 is not an executable; build hybridscope-worker").arg(workerPath())));
    QVERIFY(childPids().empty());
}

void TestProcsWorker::cleanup()
{
    // Every test must leave no child (not even a zombie) and no segment behind.
    const auto kids = childPids();
    QVERIFY2(kids.empty(), qPrintable(QStringLiteral("%1 child processes left").arg(kids.size())));
    QVERIFY2(ourSegments().isEmpty(), qPrintable(ourSegments().join(QLatin1Char(' '))));
}

void TestProcsWorker::handshakeAndCleanExit()
{
    WorkerProcess w;
    QString error;
    QVERIFY2(w.start(launchOf(), &error), qPrintable(error));
    QVERIFY(w.isRunning());
    QCOMPARE(childPids(), std::vector<pid_t> { w.pid() });
    const ProcessEnd end = w.terminate();
    QVERIFY(end.requested);
    QVERIFY(!w.isRunning());
    QVERIFY(childPids().empty());
}

void TestProcsWorker::roundTrip_data()
{
    QTest::addColumn<bool>("shm");
    QTest::addColumn<int>("size");
    for (bool shm : { false, true })
        for (int size : { 0, 64 * 1024, 16 * 1024 * 1024 })
            QTest::addRow("%s %d B", shm ? "shm" : "copy", size) << shm << size;
}

void TestProcsWorker::roundTrip()
{
    QFETCH(bool, shm);
    QFETCH(int, size);
    WorkerProcess w;
    QString error;
    WorkerLaunch launch = launchOf();
    launch.sharedMemory = shm;
    QVERIFY2(w.start(launch, &error), qPrintable(error));
    QCOMPARE(w.usesSharedMemory(), shm);
    // With shm the name is gone once the worker is up: nothing to leak even if the engine dies now.
    QVERIFY(ourSegments().isEmpty());

    for (int round = 0; round < 3; ++round) { // the connection and the segment are reused
        const QByteArray in = randomBytes(size, std::uint64_t(round + 1));
        ipc::StageRequest req = blockStage(0);
        req.work = WorkKind::Cpu;
        req.verify = true; // the worker checks the payload in against its checksum
        req.payloadOut = std::uint64_t(size / 2 + round);
        req.outFill = std::uint8_t(0x30 + round);
        const CallResult r = w.call(req, in, {});
        QVERIFY2(r.status == CallStatus::Ok, qPrintable(r.reason));
        QCOMPARE(r.reply.status, WorkStatus::Ok);
        QVERIFY2(r.reply.reason.isEmpty(), r.reply.reason.constData());
        // The payload out: the checksum the worker computed matches what arrived, and every byte is right.
        QCOMPARE(r.payloadOut.size(), qsizetype(req.payloadOut));
        QCOMPARE(ipc::checksum(r.payloadOut.constData(), std::size_t(r.payloadOut.size())), r.reply.outChecksum);
        QVERIFY(
            std::all_of(r.payloadOut.cbegin(), r.payloadOut.cend(), [&](char c) { return c == char(req.outFill); }));
        QVERIFY(r.ipcNs >= r.sendNs && r.sendNs >= 0);
    }
    w.terminate();
}

void TestProcsWorker::workerVerifiesPayloadIn()
{
    // A stage frame written by hand whose checksum does not match its payload: the worker must notice.
    WorkerProcess w;
    QString error;
    QVERIFY2(w.start(launchOf(), &error), qPrintable(error));
    const QByteArray payload = QByteArrayLiteral("hello, worker");
    ipc::StageRequest req = blockStage(0);
    req.verify = true;
    req.payloadIn = std::uint64_t(payload.size());
    req.inChecksum = ipc::checksum(payload.constData(), std::size_t(payload.size())) + 1;
    const QByteArray frame = ipc::frame(ipc::FrameType::Stage, ipc::encodeStage(req), payload);
    QCOMPARE(::send(w.socketFd(), frame.constData(), std::size_t(frame.size()), MSG_NOSIGNAL), ssize_t(frame.size()));
    ipc::FrameHeader hdr;
    const QByteArray reply = readFrame(w.socketFd(), 10000, &hdr);
    QVERIFY(!reply.isEmpty());
    QCOMPARE(hdr.type, ipc::FrameType::Result);
    ipc::StageReply r;
    QCOMPARE(ipc::decodeReply(
                 reinterpret_cast<const unsigned char *>(reply.constData()) + ipc::kHeaderSize, hdr.metaBytes, &r),
        ipc::FrameError::Ok);
    QCOMPARE(r.status, WorkStatus::Failed);
    QVERIFY2(r.reason.contains("checksum"), r.reason.constData());

    // The worker stays usable, and a correct payload passes.
    const CallResult ok = w.call(req, payload, {});
    QVERIFY2(ok.status == CallStatus::Ok && ok.reply.status == WorkStatus::Ok, qPrintable(ok.reason));
    w.terminate();
}

void TestProcsWorker::workKindsRunForReal()
{
    LatencyServer server;
    QString error;
    QVERIFY2(server.start(&error), qPrintable(error));
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    WorkerProcess w;
    QVERIFY2(w.start(launchOf(), &error), qPrintable(error));

    auto run = [&](ipc::StageRequest req) {
        return w.call(req, {}, CallControl { -1, nullptr, nowNs() + 20 * kNsPerSec });
    };
    ipc::StageRequest cpu = blockStage(0.02);
    cpu.work = WorkKind::Cpu;
    cpu.kernel = CpuKernel::Sha256;
    ipc::StageRequest block = blockStage(0.03);
    ipc::StageRequest async = blockStage(0.01);
    async.work = WorkKind::Async;
    ipc::StageRequest net = blockStage(0.005);
    net.work = WorkKind::Net;
    net.bytes = 100000;
    net.netPort = server.port();
    ipc::StageRequest disk = blockStage(0);
    disk.work = WorkKind::Disk;
    disk.bytes = 256 * 1024;
    disk.fsync = true;
    disk.tempDir = dir.path().toUtf8();
    const std::pair<const char *, ipc::StageRequest> stages[]
        = { { "cpu", cpu }, { "block", block }, { "async", async }, { "net", net }, { "disk", disk } };
    for (const auto &[name, req] : stages) {
        const CallResult r = run(req);
        QVERIFY2(r.status == CallStatus::Ok, name);
        QVERIFY2(r.reply.status == WorkStatus::Ok,
            qPrintable(QString::fromLatin1(name) + QStringLiteral(": ") + QString::fromUtf8(r.reply.reason)));
        const std::int64_t took = r.reply.workEndNs - r.reply.workStartNs;
        QVERIFY2(took >= req.timeNs, name); // the wait or the CPU time really happened in the worker
    }
    // A failure of the work itself travels back as the stage's result; the worker lives on.
    const std::uint16_t port = server.port();
    server.stop();
    net.netPort = port;
    const CallResult refused = run(net);
    QVERIFY(refused.status == CallStatus::Ok);
    QCOMPARE(refused.reply.status, WorkStatus::Failed);
    QVERIFY2(refused.reply.reason.startsWith("net: "), refused.reply.reason.constData());
    disk.tempDir = QByteArrayLiteral("/nonexistent-hybridscope-dir");
    const CallResult noDir = run(disk);
    QCOMPARE(noDir.reply.status, WorkStatus::Failed);
    QVERIFY2(noDir.reply.reason.startsWith("disk: "), noDir.reply.reason.constData());
    QVERIFY(w.isRunning());
    w.terminate();
}

void TestProcsWorker::largeTransfersDoNotDeadlock()
{
    // Both directions far beyond the socket buffers (a few hundred KiB): the engine reads the reply
    // while the worker writes it, and the worker reads the whole stage before it writes.
    const int size = 64 * 1024 * 1024;
    WorkerProcess w;
    QString error;
    QVERIFY2(w.start(launchOf(), &error), qPrintable(error));
    QElapsedTimer t;
    t.start();
    const QByteArray in = randomBytes(size, 99);
    ipc::StageRequest req = blockStage(0);
    req.verify = true;
    req.payloadOut = std::uint64_t(size);
    req.outFill = 0x11;
    const CallResult r = w.call(req, in, CallControl { -1, nullptr, nowNs() + 60 * kNsPerSec });
    QVERIFY2(r.status == CallStatus::Ok, qPrintable(r.reason));
    QCOMPARE(r.reply.status, WorkStatus::Ok);
    QCOMPARE(r.payloadOut.size(), qsizetype(size));
    QCOMPARE(ipc::checksum(r.payloadOut.constData(), std::size_t(size)), r.reply.outChecksum);
    QVERIFY(t.elapsed() < 60000);
    w.terminate();
}

void TestProcsWorker::diesMidResult()
{
    WorkerProcess w;
    QString error;
    WorkerLaunch launch = launchOf(workerPath(), { QStringLiteral("--selftest-die-mid-result") });
    QVERIFY2(w.start(launch, &error), qPrintable(error));
    ipc::StageRequest req = blockStage(0);
    req.payloadOut = 8 * 1024 * 1024; // half of it is written, then the worker is gone
    const CallResult r = w.call(req, {}, CallControl { -1, nullptr, nowNs() + 30 * kNsPerSec });
    QCOMPARE(r.status, CallStatus::WorkerLost);
    QCOMPARE(r.reason, QStringLiteral("worker crashed: SIGKILL"));
    QVERIFY(!w.isRunning());
}

void TestProcsWorker::crashes_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QString>("reason");
    QTest::newRow("abort") << QStringLiteral("abort") << QStringLiteral("worker crashed: SIGABRT");
    QTest::newRow("segv") << QStringLiteral("segv") << QStringLiteral("worker crashed: SIGSEGV");
    QTest::newRow("exit 3") << QStringLiteral("exit3") << QStringLiteral("worker exited with code 3");
}

void TestProcsWorker::crashes()
{
    QFETCH(QString, mode);
    QFETCH(QString, reason);
    WorkerProcess w;
    QString error;
    WorkerLaunch launch = launchOf(workerPath(), { QStringLiteral("--selftest-crash=") + mode });
    QVERIFY2(w.start(launch, &error), qPrintable(error));
    ipc::StageRequest req = blockStage(0.05);
    QVERIFY(w.call(req, {}, {}).status == CallStatus::Ok); // no crash asked: fine
    req.crash = true;
    const CallResult r = w.call(req, QByteArray(1000, 'x'), CallControl { -1, nullptr, nowNs() + 30 * kNsPerSec });
    QCOMPARE(r.status, CallStatus::WorkerLost);
    QCOMPARE(r.reason, reason);
    QVERIFY(!w.isRunning());
    QVERIFY(w.lastEnd() && !w.lastEnd()->requested);
}

void TestProcsWorker::killedMidStage()
{
    WorkerProcess w;
    QString error;
    QVERIFY2(w.start(launchOf(), &error), qPrintable(error));
    const pid_t pid = w.pid();
    std::thread killer([pid] {
        sleepUntilNs(nowNs() + 100'000'000);
        ::kill(pid, SIGKILL);
    });
    const CallResult r = w.call(blockStage(30), {}, CallControl { -1, nullptr, nowNs() + 60 * kNsPerSec });
    killer.join();
    QCOMPARE(r.status, CallStatus::WorkerLost);
    QCOMPARE(r.reason, QStringLiteral("worker crashed: SIGKILL"));
}

void TestProcsWorker::killedWhileIdle()
{
    WorkerProcess w;
    QString error;
    QVERIFY2(w.start(launchOf(), &error), qPrintable(error));
    QCOMPARE(w.checkIdle(), QString()); // nothing happened yet
    ::kill(w.pid(), SIGKILL);
    QVERIFY(waitReadable(w.socketFd(), 10000));
    bool protocol = true;
    QCOMPARE(w.checkIdle(&protocol), QStringLiteral("worker crashed: SIGKILL"));
    QVERIFY(!protocol);
    QVERIFY(!w.isRunning());
}

void TestProcsWorker::garbageFromWorker_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QString>("expected");
    QTest::newRow("bad magic") << QStringLiteral("magic") << QStringLiteral("protocol error: bad magic");
    // Nearly 4 GiB claimed: refused from the header alone, nothing allocated.
    QTest::newRow("oversized") << QStringLiteral("oversized")
                               << QStringLiteral(
                                      "protocol error: a reply claims 4294967280 payload bytes, at most 4096 expected");
    QTest::newRow("bad fields") << QStringLiteral("fields") << QStringLiteral("protocol error: truncated frame");
}

void TestProcsWorker::garbageFromWorker()
{
    QFETCH(QString, mode);
    QFETCH(QString, expected);
    WorkerProcess w;
    QString error;
    WorkerLaunch launch = launchOf(workerPath(), { QStringLiteral("--selftest-garbage=") + mode });
    QVERIFY2(w.start(launch, &error), qPrintable(error));
    ipc::StageRequest req = blockStage(0);
    req.payloadOut = 4096;
    QElapsedTimer t;
    t.start();
    const CallResult r = w.call(req, {}, CallControl { -1, nullptr, nowNs() + 30 * kNsPerSec });
    QCOMPARE(r.status, CallStatus::ProtocolError);
    QVERIFY2(r.reason.startsWith(expected), qPrintable(r.reason));
    QVERIFY(!w.isRunning()); // killed and reaped
    QVERIFY(t.elapsed() < 10000);
}

void TestProcsWorker::garbageFromEngine_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("text") << QByteArrayLiteral("GET / HTTP/1.1\r\n\r\n");
    QByteArray huge(16, '\0');
    ipc::encodeHeader(
        reinterpret_cast<unsigned char *>(huge.data()), ipc::FrameHeader { ipc::FrameType::Stage, 10, 0x7fffffffu });
    QTest::newRow("2 GiB payload claimed") << huge;
    QByteArray hello(16, '\0');
    ipc::encodeHeader(
        reinterpret_cast<unsigned char *>(hello.data()), ipc::FrameHeader { ipc::FrameType::Hello, 0, 0 });
    QTest::newRow("wrong frame type") << hello;
    QTest::newRow("bad stage fields") << ipc::frame(
        ipc::FrameType::Stage, QByteArrayLiteral("\x01\x02\x03"), QByteArray());
}

void TestProcsWorker::garbageFromEngine()
{
    QFETCH(QByteArray, bytes);
    WorkerProcess w;
    QString error;
    QVERIFY2(w.start(launchOf(), &error), qPrintable(error));
    QCOMPARE(::send(w.socketFd(), bytes.constData(), std::size_t(bytes.size()), MSG_NOSIGNAL), ssize_t(bytes.size()));
    QVERIFY(waitReadable(w.socketFd(), 10000));
    QCOMPARE(w.checkIdle(), QStringLiteral("worker exited with code 65 (protocol error)"));
}

void TestProcsWorker::mutatedFramesEndTheWorkerCleanly()
{
    // A few bytes of a valid stage frame changed, then the connection closed: whatever the change,
    // the worker refuses the frame (65) or finds it cut short (66). It never crashes, and never
    // runs what it could not decode. Mutations that still decode to a valid stage are skipped.
    ipc::StageRequest req = blockStage(0.001);
    req.seq = 1;
    req.payloadIn = 8;
    req.verify = true;
    req.inChecksum = ipc::checksum("payload!", 8);
    const QByteArray valid = ipc::frame(ipc::FrameType::Stage, ipc::encodeStage(req), QByteArrayLiteral("payload!"));
    std::mt19937_64 rng(20261206);
    int sent = 0;
    for (int i = 0; i < 300 && sent < 24; ++i) {
        QByteArray bytes = valid;
        const int changes = 1 + int(rng() % 3);
        for (int c = 0; c < changes; ++c)
            bytes[qsizetype(rng() % std::uint64_t(bytes.size()))] = char(rng());
        if (rng() % 4 == 0)
            bytes.truncate(1 + qsizetype(rng() % std::uint64_t(bytes.size() - 1))); // empty would be a clean end
        // Would the worker take it? Then it is a stage, not a malformed frame: skip it.
        const auto *p = reinterpret_cast<const unsigned char *>(bytes.constData());
        ipc::FrameHeader h;
        ipc::StageRequest m;
        if (bytes.size() >= qsizetype(ipc::kHeaderSize)
            && ipc::decodeHeader(p, &h, ipc::kMaxPayloadBytes) == ipc::FrameError::Ok
            && std::size_t(bytes.size()) >= ipc::kHeaderSize + h.metaBytes
            && ipc::decodeStage(p + ipc::kHeaderSize, h.metaBytes, &m) == ipc::FrameError::Ok
            && ipc::checkStageFrame(h, m, false) == ipc::FrameError::Ok)
            continue;
        ++sent;
        WorkerProcess w;
        QString error;
        QVERIFY2(w.start(launchOf(), &error), qPrintable(error));
        QCOMPARE(
            ::send(w.socketFd(), bytes.constData(), std::size_t(bytes.size()), MSG_NOSIGNAL), ssize_t(bytes.size()));
        ::shutdown(w.socketFd(), SHUT_WR);
        QVERIFY(waitReadable(w.socketFd(), 10000));
        const QString why = w.checkIdle();
        QVERIFY2(why == QLatin1String("worker exited with code 65 (protocol error)")
                || why == QLatin1String("worker exited with code 66 (connection lost)"),
            qPrintable(QStringLiteral("%1 for %2").arg(why, QString::fromLatin1(bytes.toHex()))));
    }
    QVERIFY(sent >= 20);
}

void TestProcsWorker::launchFailures_data()
{
    QTest::addColumn<QString>("program");
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("expected");
    QTest::newRow("missing") << QStringLiteral("/nonexistent/hybridscope-worker") << QStringList()
                             << QStringLiteral(
                                    "launch failed: /nonexistent/hybridscope-worker: No such file or directory");
    QTest::newRow("not executable") << QStringLiteral("<noexec>") << QStringList()
                                    << QStringLiteral("Permission denied");
    QTest::newRow("exits before hello") << QStringLiteral("/bin/false") << QStringList()
                                        << QStringLiteral(
                                               "launch failed: worker exited with code 1 before it was ready");
    QTest::newRow("bad arguments") << workerPath() << QStringList { QStringLiteral("--bogus") }
                                   << QStringLiteral("launch failed: worker exited with code 64 (bad command line)");
    QTest::newRow("never says hello") << workerPath() << QStringList { QStringLiteral("--selftest-no-hello") }
                                      << QStringLiteral("launch failed: no hello from");
}

void TestProcsWorker::launchFailures()
{
    QFETCH(QString, program);
    QFETCH(QStringList, args);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    if (program == QLatin1String("<noexec>")) {
        program = dir.filePath(QStringLiteral("hybridscope-worker"));
        QFile f(program);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("#!/bin/sh\nexit 0\n");
        f.close();
        QVERIFY(f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner));
    }
    WorkerProcess w;
    WorkerLaunch launch = launchOf(program, args);
    launch.sharedMemory = true; // the segment made for it must not outlive the failure either
    launch.helloTimeoutNs = 300'000'000;
    QString error;
    QElapsedTimer t;
    t.start();
    QVERIFY(!w.start(launch, &error));
    QVERIFY2(error.startsWith(QLatin1String("launch failed: ")) && error.contains(expected), qPrintable(error));
    QVERIFY(!w.isRunning());
    QVERIFY(t.elapsed() < 10000);
}

void TestProcsWorker::timeoutEscalation_data()
{
    QTest::addColumn<bool>("ignoreSigterm");
    QTest::newRow("worker obeys SIGTERM") << false;
    QTest::newRow("worker ignores SIGTERM") << true;
}

void TestProcsWorker::timeoutEscalation()
{
    QFETCH(bool, ignoreSigterm);
    WorkerProcess w;
    QString error;
    WorkerLaunch launch = launchOf();
    if (ignoreSigterm)
        launch.extraArgs << QStringLiteral("--selftest-ignore-sigterm");
    QVERIFY2(w.start(launch, &error), qPrintable(error));
    QElapsedTimer t;
    t.start();
    const CallResult r = w.call(blockStage(30), {}, CallControl { -1, nullptr, nowNs() + 100'000'000 });
    QCOMPARE(r.status, CallStatus::TimedOut);
    QCOMPARE(r.reason, QStringLiteral("timeout"));
    QVERIFY(t.elapsed() < 10000); // at the deadline, not when the stage would have ended
    QVERIFY(w.terminating()); // SIGTERM is on its way
    const qint64 before = t.elapsed();
    const ProcessEnd end = w.finishTermination();
    const qint64 waited = t.elapsed() - before;
    QVERIFY(end.requested && end.signaled);
    if (ignoreSigterm) {
        // SIGTERM did nothing; SIGKILL came 500 ms after it.
        QCOMPARE(end.signal, SIGKILL);
        QVERIFY2(waited >= 400, qPrintable(QString::number(waited)));
    } else {
        QCOMPARE(end.signal, SIGTERM);
    }
    QVERIFY(waited < 10000);
}

void TestProcsWorker::cancelWakesTheCall()
{
    WorkerProcess w;
    QString error;
    QVERIFY2(w.start(launchOf(), &error), qPrintable(error));
    const int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    QVERIFY(wake >= 0);
    std::atomic<bool> cancel { false };
    std::thread canceller([&] {
        sleepUntilNs(nowNs() + 100'000'000);
        cancel.store(true);
        const std::uint64_t one = 1;
        (void)!::write(wake, &one, sizeof one);
    });
    QElapsedTimer t;
    t.start();
    const CallResult r = w.call(blockStage(30), {}, CallControl { wake, &cancel, 0 });
    canceller.join();
    ::close(wake);
    QCOMPARE(r.status, CallStatus::Cancelled);
    QVERIFY(t.elapsed() < 10000);
    QCOMPARE(w.finishTermination().signal, SIGTERM);
}

QTEST_GUILESS_MAIN(TestProcsWorker)
#include "tst_procs_worker.moc"
