#include "procs/workermain.h"

#include "core/clock.h"
#include "domains/gil.h"
#include "domains/work.h"
#include "procs/ipc.h"
#include "procs/sharedlocks.h"
#include "procs/shmsegment.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace hs {

QString workerExitCodeText(int code)
{
    switch (WorkerExitCode(code)) {
    case WorkerExitCode::Clean: return QStringLiteral("clean exit");
    case WorkerExitCode::Usage: return QStringLiteral("bad command line");
    case WorkerExitCode::ProtocolError: return QStringLiteral("protocol error");
    case WorkerExitCode::ConnectionLost: return QStringLiteral("connection lost");
    case WorkerExitCode::SharedMemory: return QStringLiteral("shared memory unavailable");
    case WorkerExitCode::ParentGone: return QStringLiteral("engine gone");
    case WorkerExitCode::OutOfMemory: return QStringLiteral("out of memory");
    }
    return {};
}

namespace {

enum class CrashMode { Abort, Segv, Exit3 };
enum class GarbageMode { None, Magic, Oversized, Fields };

struct Options {
    int fd = 3;
    long parent = 0;
    QByteArray shmName;
    QByteArray locksName; ///< the run's lock segment (DESIGN §15), --locks
    CrashMode crash = CrashMode::Abort;
    GarbageMode garbage = GarbageMode::None;
    bool ignoreSigterm = false;
    bool dieMidResult = false;
    bool noHello = false;
};

int exitWith(WorkerExitCode c)
{
    return int(c);
}

bool parseArgs(int argc, char **argv, Options *o)
{
    for (int i = 1; i < argc; ++i) {
        const QByteArray a = argv[i];
        auto value = [&](const char *prefix) { return a.mid(qsizetype(std::strlen(prefix))); };
        if ((a == "--fd" || a == "--parent" || a == "--shm" || a == "--locks") && i + 1 < argc) {
            const QByteArray v = argv[++i];
            bool ok = true;
            if (a == "--fd")
                o->fd = v.toInt(&ok);
            else if (a == "--parent")
                o->parent = v.toLong(&ok);
            else if (a == "--locks")
                o->locksName = v;
            else
                o->shmName = v;
            if (!ok)
                return false;
        } else if (a.startsWith("--selftest-crash=")) {
            const QByteArray v = value("--selftest-crash=");
            if (v == "abort")
                o->crash = CrashMode::Abort;
            else if (v == "segv")
                o->crash = CrashMode::Segv;
            else if (v == "exit3")
                o->crash = CrashMode::Exit3;
            else
                return false;
        } else if (a.startsWith("--selftest-garbage=")) {
            const QByteArray v = value("--selftest-garbage=");
            if (v == "magic")
                o->garbage = GarbageMode::Magic;
            else if (v == "oversized")
                o->garbage = GarbageMode::Oversized;
            else if (v == "fields")
                o->garbage = GarbageMode::Fields;
            else
                return false;
        } else if (a == "--selftest-ignore-sigterm") {
            o->ignoreSigterm = true;
        } else if (a == "--selftest-die-mid-result") {
            o->dieMidResult = true;
        } else if (a == "--selftest-no-hello") {
            o->noHello = true;
        } else {
            return false;
        }
    }
    return o->fd >= 0;
}

enum class ReadStatus { Ok, Eof, Error };

// Blocking reads: the worker has nothing else to do while it waits.
ReadStatus readExactly(int fd, void *buf, std::size_t len)
{
    auto *p = static_cast<char *>(buf);
    std::size_t got = 0;
    while (got < len) {
        const ssize_t n = ::read(fd, p + got, len - got);
        if (n > 0)
            got += std::size_t(n);
        else if (n == 0)
            return got == 0 ? ReadStatus::Eof : ReadStatus::Error;
        else if (errno != EINTR)
            return ReadStatus::Error;
    }
    return ReadStatus::Ok;
}

bool writeAll(int fd, std::vector<iovec> iov)
{
    std::size_t first = 0;
    while (first < iov.size()) {
        msghdr msg {};
        msg.msg_iov = iov.data() + first;
        msg.msg_iovlen = iov.size() - first;
        const ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        std::size_t done = std::size_t(n);
        while (first < iov.size() && done >= iov[first].iov_len) {
            done -= iov[first].iov_len;
            ++first;
        }
        if (first < iov.size()) {
            iov[first].iov_base = static_cast<char *>(iov[first].iov_base) + done;
            iov[first].iov_len -= done;
        }
    }
    return true;
}

QByteArray header(ipc::FrameType type, std::size_t meta, std::size_t payload)
{
    QByteArray h(qsizetype(ipc::kHeaderSize), Qt::Uninitialized);
    ipc::encodeHeader(reinterpret_cast<unsigned char *>(h.data()),
        ipc::FrameHeader { type, std::uint32_t(meta), std::uint32_t(payload) });
    return h;
}

[[noreturn]] void crashNow(CrashMode mode)
{
    // An injected crash is expected: no core file for it.
    const rlimit none { 0, 0 };
    ::setrlimit(RLIMIT_CORE, &none);
    switch (mode) {
    case CrashMode::Exit3: ::_exit(3);
    case CrashMode::Segv:
        std::signal(SIGSEGV, SIG_DFL);
        std::raise(SIGSEGV);
        break;
    case CrashMode::Abort: break;
    }
    std::abort();
}

// The worker process's own GIL (DESIGN §3: each worker process has its own). The worker runs one stage
// at a time, so it is never contended; it exists so that procs pays and reports what Python would.
Gil &processGil()
{
    static Gil gil;
    return gil;
}

WorkResult runWork(const ipc::StageRequest &req, double seconds, std::int64_t *gilWaitNs)
{
    WorkControl ctl {}; // the engine enforces deadlines by terminating the process
    if (req.gil && req.work == WorkKind::Cpu) {
        processGil().setSwitchInterval(req.gilSwitchNs);
        ctl.gil = &processGil();
        ctl.gilWaitNs = gilWaitNs;
    }
    switch (req.work) {
    case WorkKind::Cpu: return runCpu(req.kernel, seconds, ctl);
    case WorkKind::Block:
    case WorkKind::Async: // no event loop here: an await is a blocking wait
        return runBlock(seconds, ctl);
    case WorkKind::Net: return runNetBlocking(req.netPort, seconds, req.bytes, ctl);
    case WorkKind::Disk: return runDisk(QString::fromUtf8(req.tempDir), req.bytes, req.fsync, ctl);
    }
    return {};
}

// DESIGN §15: the stage's work under its locks (and its counter update), in the run's lock segment.
// This process's `thread` locks are its own copies: they guard nothing outside this worker.
WorkResult runLocked(
    SharedLocks &locks, const ipc::StageRequest &req, double seconds, ipc::StageReply *reply, CrashMode crashMode)
{
    std::vector<LockRequest> wanted;
    for (const ipc::StageLock &l : req.locks)
        wanted.push_back(LockRequest { int(l.index), l.scope, l.timeoutNs });
    LockedRun done;
    const bool splittable = req.work == WorkKind::Cpu || req.work == WorkKind::Block || req.work == WorkKind::Async;
    const WorkResult r = locks.run(
        wanted, req.update, LockKey::unpack(req.selfKey), WorkControl {},
        [&](int part, int parts) {
            if (req.crash) {
                // Mid-task, holding the first lock: half of the first part, then die.
                runWork(req, seconds / parts / 2, nullptr);
                crashNow(crashMode);
            }
            if (splittable)
                return runWork(req, seconds / parts, part == 0 ? &reply->gilWaitNs : nullptr);
            return part == parts - 1 ? runWork(req, seconds, &reply->gilWaitNs) : WorkResult {};
        },
        &done);
    for (const LockWait &w : done.waits)
        reply->lockWaits.push_back(ipc::StageLockWait {
            std::uint32_t(w.index), w.waitNs, w.contended, w.acquired, w.timedOut, w.recovered, w.holder });
    reply->updated = done.updated;
    return r;
}

// A buffer that grows without zero-filling (a payload is overwritten right away).
class Buffer {
public:
    /// Null when there is no memory for it (a tight ulimit): the worker then exits with a reason.
    unsigned char *ensure(std::size_t n)
    {
        if (n > m_cap) {
            m_data.reset();
            m_cap = 0;
            m_data.reset(new (std::nothrow) unsigned char[n]);
            if (!m_data)
                return nullptr;
            m_cap = n;
        }
        return m_data.get();
    }

private:
    std::unique_ptr<unsigned char[]> m_data;
    std::size_t m_cap = 0;
};

// Answers a stage with a malformed frame (tests of the engine's decoder).
bool sendGarbage(int fd, GarbageMode mode)
{
    QByteArray bytes;
    switch (mode) {
    case GarbageMode::Magic: bytes = QByteArrayLiteral("not a frame, just garbage bytes!"); break;
    case GarbageMode::Oversized:
        // A well-formed header claiming a payload of almost 4 GiB, then a few bytes of it.
        bytes = header(ipc::FrameType::Result, 0, 0xfffffff0u) + QByteArray(64, 'x');
        break;
    case GarbageMode::Fields:
        bytes = header(ipc::FrameType::Result, 5, 0) + QByteArrayLiteral("\x07\x07\x07\x07\x07");
        break;
    case GarbageMode::None: return true;
    }
    return writeAll(fd, { { bytes.data(), std::size_t(bytes.size()) } });
}

} // namespace

int workerMain(int argc, char **argv)
{
    Options opt;
    if (!parseArgs(argc, argv, &opt)) {
        std::fprintf(stderr, "hybridscope-worker: started by the engine (--fd N --parent PID [--shm NAME])\n");
        return exitWith(WorkerExitCode::Usage);
    }
    // Die with the engine, even one killed with SIGKILL.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (opt.parent > 0 && ::getppid() != pid_t(opt.parent))
        return exitWith(WorkerExitCode::ParentGone);
    std::signal(SIGPIPE, SIG_IGN);
    // The worker has a process group of its own, in the background of the engine's terminal: a
    // message on stderr must not stop it there (SIGTTOU, when the terminal has `stty tostop`).
    std::signal(SIGTTOU, SIG_IGN);
    if (opt.ignoreSigterm)
        std::signal(SIGTERM, SIG_IGN);
    prepareEngineThread("hs-worker");
    const int fd = opt.fd;

    std::unique_ptr<ShmSegment> shm;
    if (!opt.shmName.isEmpty()) {
        QString error;
        shm = ShmSegment::open(opt.shmName, &error);
        if (!shm) {
            std::fprintf(stderr, "hybridscope-worker: %s\n", qPrintable(error));
            return exitWith(WorkerExitCode::SharedMemory);
        }
    }

    std::unique_ptr<SharedLocks> locks;
    if (!opt.locksName.isEmpty()) {
        QString error;
        locks = SharedLocks::open(opt.locksName, &error);
        if (!locks) {
            std::fprintf(stderr, "hybridscope-worker: %s\n", qPrintable(error));
            return exitWith(WorkerExitCode::SharedMemory);
        }
    }

    if (!opt.noHello) {
        const QByteArray meta = ipc::encodeHello(ipc::Hello { std::uint32_t(::getpid()) });
        QByteArray hello = header(ipc::FrameType::Hello, std::size_t(meta.size()), 0) + meta;
        if (!writeAll(fd, { { hello.data(), std::size_t(hello.size()) } }))
            return exitWith(WorkerExitCode::ConnectionLost);
    }

    Buffer in;
    Buffer out;
    std::vector<unsigned char> meta;
    for (;;) {
        unsigned char h[ipc::kHeaderSize];
        const ReadStatus rs = readExactly(fd, h, sizeof h);
        if (rs == ReadStatus::Eof)
            return exitWith(WorkerExitCode::Clean);
        if (rs == ReadStatus::Error)
            return exitWith(WorkerExitCode::ConnectionLost);
        ipc::FrameHeader hdr;
        ipc::FrameError e = ipc::decodeHeader(h, &hdr, ipc::kMaxPayloadBytes);
        if (e == ipc::FrameError::Ok && hdr.type != ipc::FrameType::Stage)
            e = ipc::FrameError::BadValue;
        if (e != ipc::FrameError::Ok) {
            std::fprintf(stderr, "hybridscope-worker: protocol error: %s\n", qPrintable(ipc::frameErrorText(e)));
            return exitWith(WorkerExitCode::ProtocolError);
        }
        meta.resize(hdr.metaBytes); // at most kMaxMetaBytes, checked above
        if (readExactly(fd, meta.data(), meta.size()) != ReadStatus::Ok)
            return exitWith(WorkerExitCode::ConnectionLost);
        ipc::StageRequest req;
        e = ipc::decodeStage(meta.data(), meta.size(), &req);
        if (e == ipc::FrameError::Ok)
            e = ipc::checkStageFrame(hdr, req, bool(shm));
        if (e != ipc::FrameError::Ok) {
            std::fprintf(stderr, "hybridscope-worker: protocol error: %s\n", qPrintable(ipc::frameErrorText(e)));
            return exitWith(WorkerExitCode::ProtocolError);
        }

        const unsigned char *payload = nullptr;
        if (req.shm) {
            QString error;
            if (!shm->mapAtLeast(std::size_t(req.shmSize), &error)) {
                std::fprintf(stderr, "hybridscope-worker: %s\n", qPrintable(error));
                return exitWith(WorkerExitCode::SharedMemory);
            }
            payload = shm->data();
        } else if (req.payloadIn) {
            unsigned char *buf = in.ensure(std::size_t(req.payloadIn));
            if (!buf) {
                std::fprintf(stderr, "hybridscope-worker: no memory for a payload of %llu bytes\n",
                    static_cast<unsigned long long>(req.payloadIn));
                return exitWith(WorkerExitCode::OutOfMemory);
            }
            if (readExactly(fd, buf, std::size_t(req.payloadIn)) != ReadStatus::Ok)
                return exitWith(WorkerExitCode::ConnectionLost);
            payload = buf;
        }

        ipc::StageReply reply;
        reply.seq = req.seq;
        if (req.verify && ipc::checksum(payload, std::size_t(req.payloadIn)) != req.inChecksum) {
            reply.status = WorkStatus::Failed;
            reply.reason = "payload in checksum mismatch";
        }
        reply.workStartNs = nowNs();
        if (opt.garbage != GarbageMode::None) {
            if (!sendGarbage(fd, opt.garbage))
                return exitWith(WorkerExitCode::ConnectionLost);
            continue; // the engine kills a worker that sends garbage; until then, keep reading
        }

        const bool usesLocks = !req.locks.empty() || req.update >= 0;
        if (usesLocks && (!locks || req.update >= locks->count())) {
            reply.status = WorkStatus::Failed;
            reply.reason = "locks: the worker has no lock segment for this stage";
        }
        for (const ipc::StageLock &l : req.locks)
            if (locks && int(l.index) >= locks->count()) {
                reply.status = WorkStatus::Failed;
                reply.reason = "locks: lock index out of range";
            }
        if (reply.status == WorkStatus::Ok && usesLocks) {
            const WorkResult r = runLocked(*locks, req, double(req.timeNs) / 1e9, &reply, opt.crash);
            reply.status = r.status;
            reply.reason = r.reason.toUtf8();
        } else if (reply.status == WorkStatus::Ok) {
            const double seconds = double(req.timeNs) / 1e9;
            if (req.crash) {
                // Mid-task: half the work, then die.
                runWork(req, seconds / 2, nullptr);
                crashNow(opt.crash);
            }
            const WorkResult r = runWork(req, seconds, &reply.gilWaitNs);
            reply.status = r.status;
            reply.reason = r.reason.toUtf8();
        }
        const unsigned char *outData = nullptr;
        if (reply.status == WorkStatus::Ok && req.payloadOut) {
            reply.payloadOut = req.payloadOut;
            unsigned char *dst = nullptr;
            if (req.shm) {
                dst = shm->data(); // mapped to at least shmSize >= payloadOut (checked by decodeStage)
            } else {
                dst = out.ensure(std::size_t(req.payloadOut));
                if (!dst) {
                    std::fprintf(stderr, "hybridscope-worker: no memory for a payload of %llu bytes\n",
                        static_cast<unsigned long long>(req.payloadOut));
                    return exitWith(WorkerExitCode::OutOfMemory);
                }
            }
            std::memset(dst, req.outFill, std::size_t(req.payloadOut));
            outData = dst;
        }
        if (req.verify && reply.status == WorkStatus::Ok)
            reply.outChecksum = ipc::checksum(outData, std::size_t(reply.payloadOut));
        reply.workEndNs = nowNs();

        const QByteArray replyMeta = ipc::encodeReply(reply);
        const std::size_t inlineOut = req.shm ? 0 : std::size_t(reply.payloadOut);
        QByteArray head = header(ipc::FrameType::Result, std::size_t(replyMeta.size()), inlineOut) + replyMeta;
        std::vector<iovec> iov { { head.data(), std::size_t(head.size()) } };
        if (inlineOut)
            iov.push_back({ const_cast<unsigned char *>(outData), inlineOut });
        if (opt.dieMidResult && inlineOut > 1) {
            // Fault injection: half a result, then gone.
            iov.back().iov_len = inlineOut / 2;
            writeAll(fd, iov);
            const rlimit none { 0, 0 };
            ::setrlimit(RLIMIT_CORE, &none);
            std::raise(SIGKILL);
        }
        if (!writeAll(fd, std::move(iov)))
            return exitWith(WorkerExitCode::ConnectionLost);
    }
}

} // namespace hs
