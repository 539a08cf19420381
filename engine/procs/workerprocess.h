#pragma once

#include "procs/ipc.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

#include <sys/types.h>

namespace hs {

class ShmSegment;

/// "SIGSEGV", "SIGKILL"... or "signal 42".
QString signalName(int sig);

/// How a worker process ended, from its wait status.
struct ProcessEnd {
    bool signaled = false;
    int code = 0; ///< exit code when !signaled
    int signal = 0; ///< terminating signal when signaled
    bool requested = false; ///< the engine asked it to go (SIGTERM, SIGKILL, closed connection)
    /// For people: "worker crashed: SIGSEGV", "worker exited with code 3",
    /// "worker exited with code 65 (protocol error)".
    QString reason() const;
    static ProcessEnd fromWaitStatus(int status, bool requested);
};

/// How to start a worker.
struct WorkerLaunch {
    QString program; ///< absolute path of hybridscope-worker
    QStringList extraArgs; ///< appended to the command line (tests: --selftest-*)
    bool sharedMemory = false; ///< give the worker a segment for `transfer: shm`
    std::int64_t helloTimeoutNs = 10'000'000'000; ///< ready means: its hello frame arrived
    /// Gives up (nothing left running, "launch cancelled") once this is true: checked before the
    /// spawn, and during the wait for the hello whenever `wakeFd` (an eventfd, drained) is readable.
    const std::atomic<bool> *abort = nullptr;
    int wakeFd = -1;
};

/// What a call waits on besides the worker. A readable `wakeFd` (an eventfd, drained by the call)
/// makes it look at `cancel`; the deadline is CLOCK_MONOTONIC, 0 for none.
struct CallControl {
    int wakeFd = -1;
    const std::atomic<bool> *cancel = nullptr;
    std::int64_t deadlineNs = 0;
};

enum class CallStatus {
    Ok, ///< a reply arrived (its own status may still be Failed)
    TimedOut, ///< the deadline passed; if the stage had reached the worker, it got SIGTERM (terminating())
    Cancelled, ///< the cancel flag was set; likewise
    WorkerLost, ///< the worker died or hung up; it has been reaped
    ProtocolError, ///< a malformed frame; the worker has been killed and reaped
    LocalError, ///< the engine's side failed (shared memory); the worker is fine
};

struct CallResult {
    CallStatus status = CallStatus::Ok;
    QString reason; ///< why, when not Ok
    ipc::StageReply reply; ///< when Ok
    QByteArray payloadOut; ///< when Ok: the bytes the worker produced
    std::int64_t sendNs = 0; ///< serialize and move the payload in, until the worker could start
    std::int64_t ipcNs = 0; ///< sendNs plus moving the payload out back: serialization + transfer
};

/**
 * One `hybridscope-worker` process seen from the engine: spawned with posix_spawn (never fork,
 * the engine is multi-threaded), connected by a socket pair, ready once its hello frame arrived.
 * call() runs one stage with poll()-driven non-blocking I/O, so a dead worker, a deadline, a
 * cancel or a malformed frame never hangs the caller, and a huge result cannot deadlock (the
 * worker only writes after it has read the whole stage). The process is always reaped; the
 * destructor terminates a live one (SIGTERM, SIGKILL after 500 ms).
 *
 *     WorkerProcess w;
 *     if (!w.start({workerPath}, &error))   // error: "launch failed: ...: No such file or directory"
 *         ...
 *     ipc::StageRequest req;
 *     req.work = WorkKind::Cpu;
 *     req.timeNs = 1'000'000;
 *     CallResult r = w.call(req, payload, {wakeFd, &cancel, deadlineNs});
 *     if (r.status == CallStatus::WorkerLost)
 *         qWarning() << r.reason;                // "worker crashed: SIGSEGV"
 */
class WorkerProcess {
public:
    static constexpr std::int64_t kTermGraceNs = 500'000'000;

    WorkerProcess();
    ~WorkerProcess();
    WorkerProcess(const WorkerProcess &) = delete;
    WorkerProcess &operator=(const WorkerProcess &) = delete;

    /// Spawns the worker and waits (bounded) for its hello. On failure nothing is left running and
    /// `error` starts with "launch failed: " ("launch cancelled" when launch.abort was set).
    bool start(const WorkerLaunch &launch, QString *error);
    /// CLOCK_MONOTONIC when the running process said hello.
    std::int64_t readyNs() const { return m_readyNs; }
    /// Stages the running process answered (any status): it has proved it works.
    std::uint64_t replies() const { return m_replies; }
    /// Spawned and not yet reaped.
    bool isRunning() const { return m_pid > 0; }
    pid_t pid() const { return m_pid; }
    /// The engine's end of the socket (non-blocking); readable while idle means the worker died.
    int socketFd() const { return m_fd; }
    bool usesSharedMemory() const { return m_shm != nullptr; }

    /// Runs one stage. Fills in req.seq, payloadIn, inChecksum (when req.verify) and the shm fields.
    CallResult call(ipc::StageRequest req, const QByteArray &payloadIn, const CallControl &ctl);
    /// The socket became readable while no stage ran: the worker died (or spoke out of turn and is killed
    /// for it). Reaps it and returns why; returns an empty string (and does nothing) if nothing happened.
    QString checkIdle(bool *protocolError = nullptr);

    /// SIGTERM now; finishTermination() waits for the exit. Idempotent.
    void requestTermination();
    /// Waits until `graceNs` after the SIGTERM, then SIGKILLs; reaps. Returns how the process ended.
    ProcessEnd finishTermination(std::int64_t graceNs = kTermGraceNs);
    /// Closes the connection and sends SIGTERM, then finishTermination().
    ProcessEnd terminate(std::int64_t graceNs = kTermGraceNs);
    /// How the last process ended, once reaped.
    std::optional<ProcessEnd> lastEnd() const { return m_end; }
    /// SIGTERM was sent and the process is not reaped yet.
    bool terminating() const { return m_termSentNs != 0 && m_pid > 0; }

private:
    enum class Io { Ok, Eof, Broken, TimedOut, Cancelled, OutOfTurn };
    Io waitFd(short events, const CallControl &ctl, bool watchInput);
    Io sendAll(const QByteArray &head, const char *payload, std::size_t payloadLen, const CallControl &ctl);
    Io recvExact(void *buf, std::size_t len, const CallControl &ctl);
    /// The worker hung up or failed: wait up to grace for its exit, then kill; reap.
    ProcessEnd reapLost(std::int64_t graceNs);
    ProcessEnd killAndReap();
    void reap(bool requested);
    bool waitExit(std::int64_t deadlineNs);
    void closeFds();
    CallResult fail(CallStatus s, const QString &reason);
    QString ioReason(Io io, const char *what);

    pid_t m_pid = -1;
    int m_fd = -1;
    int m_pidFd = -1;
    std::int64_t m_termSentNs = 0;
    bool m_requested = false;
    std::uint64_t m_seq = 0;
    std::int64_t m_readyNs = 0;
    std::uint64_t m_replies = 0;
    std::unique_ptr<ShmSegment> m_shm;
    std::optional<ProcessEnd> m_end;
    QByteArray m_meta; // receive buffer for frame fields, at most ipc::kMaxMetaBytes
};

} // namespace hs
