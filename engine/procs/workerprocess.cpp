#include "procs/workerprocess.h"

#include "core/clock.h"
#include "procs/shmsegment.h"
#include "procs/workermain.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace hs {

namespace {

// The worker finds its end of the connection here.
constexpr int kChildFd = 3;

QString errnoText(int err)
{
    return QString::fromStdString(std::generic_category().message(err));
}

int openPidFd(pid_t pid)
{
#ifdef SYS_pidfd_open
    return int(::syscall(SYS_pidfd_open, pid, 0));
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

timespec toTimespec(std::int64_t ns)
{
    ns = std::max<std::int64_t>(ns, 0);
    return timespec { time_t(ns / kNsPerSec), long(ns % kNsPerSec) };
}

void drainEventFd(int fd)
{
    std::uint64_t v;
    while (::read(fd, &v, sizeof v) > 0) { }
}

} // namespace

QString signalName(int sig)
{
    switch (sig) {
    case SIGSEGV: return QStringLiteral("SIGSEGV");
    case SIGABRT: return QStringLiteral("SIGABRT");
    case SIGKILL: return QStringLiteral("SIGKILL");
    case SIGTERM: return QStringLiteral("SIGTERM");
    case SIGBUS: return QStringLiteral("SIGBUS");
    case SIGFPE: return QStringLiteral("SIGFPE");
    case SIGILL: return QStringLiteral("SIGILL");
    case SIGINT: return QStringLiteral("SIGINT");
    case SIGHUP: return QStringLiteral("SIGHUP");
    case SIGQUIT: return QStringLiteral("SIGQUIT");
    case SIGPIPE: return QStringLiteral("SIGPIPE");
    case SIGTRAP: return QStringLiteral("SIGTRAP");
    case SIGSYS: return QStringLiteral("SIGSYS");
    case SIGXCPU: return QStringLiteral("SIGXCPU");
    case SIGUSR1: return QStringLiteral("SIGUSR1");
    case SIGUSR2: return QStringLiteral("SIGUSR2");
    case SIGALRM: return QStringLiteral("SIGALRM");
    default: return QStringLiteral("signal %1").arg(sig);
    }
}

QString ProcessEnd::reason() const
{
    if (signaled)
        return QStringLiteral("worker crashed: ") + signalName(signal);
    const QString meaning = workerExitCodeText(code);
    return meaning.isEmpty() ? QStringLiteral("worker exited with code %1").arg(code)
                             : QStringLiteral("worker exited with code %1 (%2)").arg(code).arg(meaning);
}

ProcessEnd ProcessEnd::fromWaitStatus(int status, bool requested)
{
    ProcessEnd e;
    e.requested = requested;
    if (WIFSIGNALED(status)) {
        e.signaled = true;
        e.signal = WTERMSIG(status);
    } else if (WIFEXITED(status)) {
        e.code = WEXITSTATUS(status);
    }
    return e;
}

WorkerProcess::WorkerProcess()
{
    m_meta.reserve(4096);
}

WorkerProcess::~WorkerProcess()
{
    if (m_pid > 0)
        terminate();
    closeFds();
}

void WorkerProcess::closeFds()
{
    if (m_fd >= 0)
        ::close(m_fd);
    if (m_pidFd >= 0)
        ::close(m_pidFd);
    m_fd = m_pidFd = -1;
}

bool WorkerProcess::start(const WorkerLaunch &launch, QString *error)
{
    auto failLaunch = [&](const QString &why) {
        if (error)
            *error = QStringLiteral("launch failed: ") + why;
        return false;
    };
    if (m_pid > 0)
        terminate();
    closeFds();
    m_shm.reset();
    m_end.reset();
    m_termSentNs = 0;
    m_requested = false;
    m_readyNs = 0;
    m_replies = 0;
    if (launch.abort && launch.abort->load(std::memory_order_acquire)) {
        if (error)
            *error = QStringLiteral("launch cancelled");
        return false;
    }

    if (launch.sharedMemory) {
        QString shmError;
        m_shm = ShmSegment::create(&shmError);
        if (!m_shm)
            return failLaunch(shmError);
    }

    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return failLaunch(QStringLiteral("socketpair: ") + errnoText(errno));
    int childEnd = sv[1];
    if (childEnd == kChildFd) {
        // dup2 onto itself would keep close-on-exec set: move it out of the way first.
        childEnd = ::fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
        ::close(sv[1]);
        if (childEnd < 0) {
            ::close(sv[0]);
            return failLaunch(QStringLiteral("fcntl: ") + errnoText(errno));
        }
    }

    const QByteArray program = launch.program.toLocal8Bit();
    std::vector<QByteArray> args { program, QByteArrayLiteral("--fd"), QByteArray::number(kChildFd),
        QByteArrayLiteral("--parent"), QByteArray::number(qint64(::getpid())) };
    if (m_shm) {
        args.push_back(QByteArrayLiteral("--shm"));
        args.push_back(m_shm->name());
    }
    for (const QString &a : launch.extraArgs)
        args.push_back(a.toLocal8Bit());
    std::vector<char *> argv;
    for (QByteArray &a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    // Every fd of the engine is close-on-exec; only the child's end is placed at fd 3. Signal
    // dispositions and the mask are reset: an engine thread's blocked or ignored signals must not
    // make the worker immune to SIGTERM. The worker gets a process group of its own: a terminal's
    // Ctrl+C (SIGINT to the whole foreground group) is the engine's to handle, by draining the
    // stages in flight in these workers, not a signal that kills them mid-stage. It still dies
    // with the engine (PR_SET_PDEATHSIG in workerMain) and is reaped here like any child.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, childEnd, kChildFd);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t empty;
    sigemptyset(&empty);
    posix_spawnattr_setsigmask(&attr, &empty);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int sig : { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD, SIGSEGV, SIGABRT,
             SIGBUS, SIGFPE })
        sigaddset(&defaults, sig);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, program.constData(), &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(childEnd);
    if (rc != 0) {
        // glibc reports a failed exec here and has already reaped the child: no zombie.
        ::close(sv[0]);
        m_shm.reset();
        return failLaunch(launch.program + QStringLiteral(": ") + errnoText(rc));
    }
    m_pid = pid;
    m_fd = sv[0];
    ::fcntl(m_fd, F_SETFL, ::fcntl(m_fd, F_GETFL) | O_NONBLOCK);
    m_pidFd = openPidFd(pid);

    // Ready means: the hello frame arrived, not that posix_spawn returned.
    const CallControl ctl { launch.abort ? launch.wakeFd : -1, launch.abort, nowNs() + launch.helloTimeoutNs };
    unsigned char head[ipc::kHeaderSize];
    Io io = recvExact(head, sizeof head, ctl);
    QString why;
    ipc::FrameHeader hdr;
    ipc::Hello hello;
    if (io == Io::Ok) {
        ipc::FrameError e = ipc::decodeHeader(head, &hdr, 0);
        if (e == ipc::FrameError::Ok && hdr.type != ipc::FrameType::Hello)
            e = ipc::FrameError::BadValue;
        if (e == ipc::FrameError::Ok) {
            m_meta.resize(qsizetype(hdr.metaBytes));
            io = recvExact(m_meta.data(), std::size_t(m_meta.size()), ctl);
            if (io == Io::Ok)
                e = ipc::decodeHello(
                    reinterpret_cast<const unsigned char *>(m_meta.constData()), std::size_t(m_meta.size()), &hello);
        }
        if (io == Io::Ok && e == ipc::FrameError::Ok && hello.pid != std::uint32_t(pid))
            e = ipc::FrameError::BadValue;
        if (io == Io::Ok && e != ipc::FrameError::Ok) {
            killAndReap();
            why = QStringLiteral("protocol error in the hello: ") + ipc::frameErrorText(e);
        }
    }
    bool cancelled = false;
    if (io == Io::TimedOut) {
        terminate();
        why = QStringLiteral("no hello from %1 within %2 ms")
                  .arg(launch.program)
                  .arg(launch.helloTimeoutNs / 1'000'000);
    } else if (io == Io::Cancelled) {
        // Start-up was interrupted (Ctrl+C while thousands of workers are born): not a fault.
        terminate();
        cancelled = true;
        why = QStringLiteral("launch cancelled");
    } else if (io != Io::Ok) {
        const ProcessEnd end = reapLost(kTermGraceNs);
        why = end.reason() + QStringLiteral(" before it was ready");
    }
    if (!why.isEmpty()) {
        closeFds();
        m_shm.reset();
        if (cancelled) {
            if (error)
                *error = why;
            return false;
        }
        return failLaunch(why);
    }
    m_readyNs = nowNs();
    // Both sides hold the segment now: its name can go, so nothing is left behind even if the engine
    // is killed later.
    if (m_shm)
        m_shm->unlinkName();
    return true;
}

WorkerProcess::Io WorkerProcess::waitFd(short events, const CallControl &ctl, bool watchInput)
{
    for (;;) {
        pollfd fds[2] = { { m_fd, short(events | (watchInput ? POLLIN : 0)), 0 }, { ctl.wakeFd, POLLIN, 0 } };
        const nfds_t n = ctl.wakeFd >= 0 ? 2 : 1;
        timespec ts;
        timespec *timeout = nullptr;
        if (ctl.deadlineNs) {
            const std::int64_t left = ctl.deadlineNs - nowNs();
            if (left <= 0)
                return Io::TimedOut;
            ts = toTimespec(left);
            timeout = &ts;
        }
        const int r = ::ppoll(fds, n, timeout, nullptr);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return Io::Broken;
        }
        if (r == 0)
            continue; // the deadline check above decides
        if (n == 2 && (fds[1].revents & POLLIN)) {
            drainEventFd(ctl.wakeFd);
            if (ctl.cancel && ctl.cancel->load(std::memory_order_acquire))
                return Io::Cancelled;
        }
        const short rev = fds[0].revents;
        if (watchInput && (rev & (POLLIN | POLLHUP | POLLERR)))
            return Io::OutOfTurn;
        if (rev & (POLLERR | POLLNVAL))
            return Io::Broken;
        if (rev & (events | POLLHUP))
            return Io::Ok; // the next read or write tells the rest
    }
}

WorkerProcess::Io WorkerProcess::sendAll(
    const QByteArray &head, const char *payload, std::size_t payloadLen, const CallControl &ctl)
{
    iovec iov[2] = { { const_cast<char *>(head.constData()), std::size_t(head.size()) },
        { const_cast<char *>(payload), payloadLen } };
    int first = 0;
    const int count = payloadLen ? 2 : 1;
    while (first < count) {
        msghdr msg {};
        msg.msg_iov = iov + first;
        msg.msg_iovlen = std::size_t(count - first);
        const ssize_t n = ::sendmsg(m_fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return Io::Broken;
            // The worker speaks only after reading the whole stage: input now is a death or a fault.
            const Io w = waitFd(POLLOUT, ctl, true);
            if (w != Io::Ok)
                return w;
            continue;
        }
        std::size_t done = std::size_t(n);
        while (first < count && done >= iov[first].iov_len) {
            done -= iov[first].iov_len;
            ++first;
        }
        if (first < count) {
            iov[first].iov_base = static_cast<char *>(iov[first].iov_base) + done;
            iov[first].iov_len -= done;
        }
    }
    return Io::Ok;
}

WorkerProcess::Io WorkerProcess::recvExact(void *buf, std::size_t len, const CallControl &ctl)
{
    auto *p = static_cast<char *>(buf);
    std::size_t got = 0;
    while (got < len) {
        const ssize_t n = ::recv(m_fd, p + got, len - got, MSG_DONTWAIT);
        if (n > 0) {
            got += std::size_t(n);
            continue;
        }
        if (n == 0)
            return Io::Eof;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return errno == ECONNRESET ? Io::Eof : Io::Broken;
        const Io w = waitFd(POLLIN, ctl, false);
        if (w != Io::Ok)
            return w;
    }
    return Io::Ok;
}

bool WorkerProcess::waitExit(std::int64_t deadlineNs)
{
    for (;;) {
        if (m_pidFd >= 0) {
            pollfd p { m_pidFd, POLLIN, 0 };
            const timespec ts = toTimespec(deadlineNs - nowNs());
            const int r = ::ppoll(&p, 1, &ts, nullptr);
            if (r > 0)
                return true;
            if (r == 0)
                return false;
            if (errno != EINTR)
                return false;
            continue;
        }
        // No pidfd (old kernel): look every millisecond.
        siginfo_t info {};
        if (::waitid(P_PID, id_t(m_pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == m_pid)
            return true;
        if (nowNs() >= deadlineNs)
            return false;
        sleepUntilNs(std::min(deadlineNs, nowNs() + 1'000'000));
    }
}

void WorkerProcess::reap(bool requested)
{
    if (m_pid <= 0)
        return;
    int status = 0;
    pid_t r;
    do
        r = ::waitpid(m_pid, &status, 0);
    while (r < 0 && errno == EINTR);
    m_end = r == m_pid ? ProcessEnd::fromWaitStatus(status, requested) : ProcessEnd { false, -1, 0, requested };
    m_pid = -1;
    m_termSentNs = 0;
    closeFds();
}

ProcessEnd WorkerProcess::reapLost(std::int64_t graceNs)
{
    if (m_pid <= 0)
        return m_end.value_or(ProcessEnd {});
    bool requested = m_requested;
    if (!waitExit(nowNs() + graceNs)) {
        // It closed the connection but lives on: it is of no use any more.
        ::kill(m_pid, SIGKILL);
        requested = true;
    }
    reap(requested);
    return *m_end;
}

ProcessEnd WorkerProcess::killAndReap()
{
    if (m_pid <= 0)
        return m_end.value_or(ProcessEnd {});
    ::kill(m_pid, SIGKILL);
    reap(true);
    return *m_end;
}

void WorkerProcess::requestTermination()
{
    if (m_pid <= 0 || m_termSentNs)
        return;
    m_requested = true;
    m_termSentNs = nowNs();
    ::kill(m_pid, SIGTERM);
}

ProcessEnd WorkerProcess::finishTermination(std::int64_t graceNs)
{
    if (m_pid <= 0)
        return m_end.value_or(ProcessEnd {});
    requestTermination();
    if (!waitExit(m_termSentNs + graceNs))
        ::kill(m_pid, SIGKILL);
    reap(true);
    return *m_end;
}

ProcessEnd WorkerProcess::terminate(std::int64_t graceNs)
{
    if (m_fd >= 0) {
        // A clean worker also leaves on EOF; SIGTERM covers one that is busy.
        ::shutdown(m_fd, SHUT_RDWR);
    }
    requestTermination();
    return finishTermination(graceNs);
}

CallResult WorkerProcess::fail(CallStatus s, const QString &reason)
{
    CallResult r;
    r.status = s;
    r.reason = reason;
    return r;
}

QString WorkerProcess::ioReason(Io io, const char *what)
{
    switch (io) {
    case Io::TimedOut: requestTermination(); return QStringLiteral("timeout");
    case Io::Cancelled: requestTermination(); return QStringLiteral("cancelled");
    case Io::OutOfTurn: {
        // Input while the engine was still sending: EOF (the worker died) or a fault.
        char c;
        const ssize_t n = ::recv(m_fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);
        if (n > 0) {
            killAndReap();
            return QStringLiteral("protocol error: the worker wrote while ") + QLatin1String(what);
        }
        return reapLost(kTermGraceNs).reason();
    }
    case Io::Eof:
    case Io::Broken: return reapLost(kTermGraceNs).reason();
    case Io::Ok: break;
    }
    return {};
}

CallResult WorkerProcess::call(ipc::StageRequest req, const QByteArray &payloadIn, const CallControl &ctl)
{
    if (m_pid <= 0 || m_fd < 0)
        return fail(CallStatus::WorkerLost, QStringLiteral("worker not running"));
    const std::int64_t t0 = nowNs();
    // Nothing sent yet: the worker is still in step and need not be terminated.
    if (ctl.deadlineNs && t0 >= ctl.deadlineNs)
        return fail(CallStatus::TimedOut, QStringLiteral("timeout"));
    if (ctl.cancel && ctl.cancel->load(std::memory_order_acquire))
        return fail(CallStatus::Cancelled, QStringLiteral("cancelled"));
    req.seq = ++m_seq;
    req.payloadIn = std::uint64_t(payloadIn.size());
    req.shm = m_shm != nullptr;
    req.inChecksum = req.verify ? ipc::checksum(payloadIn.constData(), std::size_t(payloadIn.size())) : 0;
    if (req.payloadIn > ipc::kMaxPayloadBytes || req.payloadOut > ipc::kMaxPayloadBytes)
        return fail(CallStatus::LocalError, QStringLiteral("payload larger than 1 GiB"));
    if (m_shm) {
        QString error;
        const std::size_t need = std::size_t(std::max(req.payloadIn, req.payloadOut));
        if (!m_shm->reserve(need, &error))
            return fail(CallStatus::LocalError, error);
        if (req.payloadIn)
            std::memcpy(m_shm->data(), payloadIn.constData(), std::size_t(req.payloadIn));
        req.shmSize = m_shm->mappedSize();
    }

    const QByteArray meta = ipc::encodeStage(req);
    const std::size_t inlineBytes = m_shm ? 0 : std::size_t(req.payloadIn);
    QByteArray head(qsizetype(ipc::kHeaderSize), Qt::Uninitialized);
    ipc::encodeHeader(reinterpret_cast<unsigned char *>(head.data()),
        ipc::FrameHeader { ipc::FrameType::Stage, std::uint32_t(meta.size()), std::uint32_t(inlineBytes) });
    head += meta;
    Io io = sendAll(head, payloadIn.constData(), inlineBytes, ctl);
    if (io != Io::Ok) {
        const QString why = ioReason(io, "the stage was being sent");
        const CallStatus s = io == Io::TimedOut               ? CallStatus::TimedOut
            : io == Io::Cancelled                             ? CallStatus::Cancelled
            : why.startsWith(QLatin1String("protocol error")) ? CallStatus::ProtocolError
                                                              : CallStatus::WorkerLost;
        return fail(s, why);
    }

    auto lost = [&](Io what) {
        const QString why = ioReason(what, "");
        return fail(what == Io::TimedOut ? CallStatus::TimedOut
                : what == Io::Cancelled  ? CallStatus::Cancelled
                                         : CallStatus::WorkerLost,
            why);
    };
    auto protocolError = [&](const QString &what) {
        killAndReap();
        return fail(CallStatus::ProtocolError, QStringLiteral("protocol error: ") + what);
    };

    unsigned char h[ipc::kHeaderSize];
    io = recvExact(h, sizeof h, ctl);
    if (io != Io::Ok)
        return lost(io);
    // The largest payload that may follow is known before anything is allocated.
    ipc::FrameHeader hdr;
    ipc::FrameError e = ipc::decodeHeader(h, &hdr, m_shm ? 0 : req.payloadOut);
    if (e == ipc::FrameError::PayloadTooLarge)
        return protocolError(QStringLiteral("a reply claims %1 payload bytes, at most %2 expected")
                                 .arg(hdr.payloadBytes)
                                 .arg(m_shm ? 0 : req.payloadOut));
    if (e != ipc::FrameError::Ok)
        return protocolError(ipc::frameErrorText(e));
    if (hdr.type != ipc::FrameType::Result)
        return protocolError(QStringLiteral("expected a result frame"));
    m_meta.resize(qsizetype(hdr.metaBytes));
    io = recvExact(m_meta.data(), std::size_t(m_meta.size()), ctl);
    if (io != Io::Ok)
        return lost(io);
    CallResult r;
    e = ipc::decodeReply(
        reinterpret_cast<const unsigned char *>(m_meta.constData()), std::size_t(m_meta.size()), &r.reply);
    if (e != ipc::FrameError::Ok)
        return protocolError(ipc::frameErrorText(e));
    const std::uint64_t wantOut = r.reply.status == WorkStatus::Ok ? req.payloadOut : 0;
    if (r.reply.seq != req.seq)
        return protocolError(QStringLiteral("a reply to stage %1, expected %2").arg(r.reply.seq).arg(req.seq));
    if (r.reply.payloadOut != wantOut || hdr.payloadBytes != (m_shm ? 0 : wantOut))
        return protocolError(QStringLiteral("a reply with %1 payload bytes, expected %2")
                                 .arg(qMax<qulonglong>(r.reply.payloadOut, hdr.payloadBytes))
                                 .arg(wantOut));
    if (wantOut) {
        if (m_shm) {
            r.payloadOut = QByteArray(reinterpret_cast<const char *>(m_shm->data()), qsizetype(wantOut));
        } else {
            r.payloadOut = QByteArray(qsizetype(wantOut), Qt::Uninitialized);
            io = recvExact(r.payloadOut.data(), std::size_t(wantOut), ctl);
            if (io != Io::Ok)
                return lost(io);
        }
    }
    const std::int64_t end = nowNs();
    if (req.verify && r.reply.status == WorkStatus::Ok
        && ipc::checksum(r.payloadOut.constData(), std::size_t(r.payloadOut.size())) != r.reply.outChecksum)
        return protocolError(QStringLiteral("payload out checksum mismatch"));
    ++m_replies;
    r.sendNs = std::max<std::int64_t>(0, r.reply.workStartNs - t0);
    r.ipcNs = r.sendNs + std::max<std::int64_t>(0, end - r.reply.workEndNs);
    return r;
}

QString WorkerProcess::checkIdle(bool *protocolError)
{
    if (protocolError)
        *protocolError = false;
    if (m_pid <= 0 || m_fd < 0)
        return {};
    char c;
    const ssize_t n = ::recv(m_fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return {};
    if (n > 0) {
        killAndReap();
        if (protocolError)
            *protocolError = true;
        return QStringLiteral("protocol error: the worker wrote while idle");
    }
    return reapLost(kTermGraceNs).reason();
}

} // namespace hs
