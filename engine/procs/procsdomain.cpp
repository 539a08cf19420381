#include "procs/procsdomain.h"

#include "core/clock.h"
#include "procs/shmsegment.h"
#include "procs/workerprocess.h"

#include <QCoreApplication>
#include <QFileInfo>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <thread>
#include <utility>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace hs {

struct ProcsDomain::Slot {
    int number = 0;
    int wakeFd = -1; // eventfd: a stage to take, a retire or stop request, a cancel
    std::thread thread;
    // Under m_mu:
    bool idle = false;
    bool retire = false;
    bool exited = false;
    pid_t pid = -1;
    // Owner thread only:
    WorkerProcess proc;
    bool replace = false; // the process was lost: spawn a replacement
    bool replaceLater = false; // lost while idle, unproven: the next stage spawns its replacement
    QString launchError;
};

ProcsDomain::ProcsDomain(StageHost &host, RemoteStageHost &remote, const DomainConfig &cfg,
    std::int64_t starvationThresholdNs, ProcsOptions options)
    : Domain(DomainKind::Procs, host, cfg, starvationThresholdNs)
    , m_remote(remote)
    , m_opts(std::move(options))
    , m_shm(cfg.transfer == Transfer::Shm)
{ }

ProcsDomain::~ProcsDomain()
{
    stop();
}

QString ProcsDomain::defaultWorkerPath()
{
    const QString env = qEnvironmentVariable("HS_WORKER");
    if (!env.isEmpty())
        return env;
    const QString dir = QCoreApplication::instance()
        ? QCoreApplication::applicationDirPath()
        : QFileInfo(QFileInfo(QStringLiteral("/proc/self/exe")).canonicalFilePath()).absolutePath();
    return dir + QStringLiteral("/hybridscope-worker");
}

bool ProcsDomain::start(QString *error)
{
    // Segments left by an engine that was killed during a handshake.
    ShmSegment::sweepStale();
    const int n = workers();
    {
        std::lock_guard slk(m_startMu);
        m_startsPending = m_opts.eager ? n : 0;
    }
    std::lock_guard lk(m_mu);
    m_initialSlots = m_opts.eager ? n : 0;
    for (int i = 0; i < n; ++i)
        if (!addSlotLocked(m_opts.eager)) {
            if (error)
                *error = QStringLiteral("procs: cannot create a worker's eventfd or owner thread: ")
                    + QString::fromLocal8Bit(std::strerror(errno));
            return false;
        }
    return true;
}

void ProcsDomain::initialSpawnDone()
{
    {
        std::lock_guard lk(m_startMu);
        --m_startsPending;
    }
    m_startCv.notify_all();
}

bool ProcsDomain::waitUntilStarted(std::int64_t timeoutNs)
{
    std::unique_lock lk(m_startMu);
    return m_startCv.wait_for(lk, std::chrono::nanoseconds(timeoutNs), [this] {
        return m_startsPending <= 0 || m_launchAbort.load(std::memory_order_acquire);
    }) && m_startsPending <= 0;
}

void ProcsDomain::abortStart()
{
    {
        // Under the lock: a waiter between its predicate and its sleep cannot miss the notify.
        std::lock_guard lk(m_startMu);
        m_launchAbort.store(true, std::memory_order_release);
    }
    m_startCv.notify_all();
    m_ticketCv.notify_all();
    // Owners waiting for a hello look at the flag when their eventfd is readable.
    std::lock_guard lk(m_mu);
    for (auto &s : m_slots)
        wake(*s);
}

bool ProcsDomain::takeLaunchTicket()
{
    std::unique_lock lk(m_startMu);
    m_ticketCv.wait(lk, [this] { return m_launchTickets > 0 || m_launchAbort.load(std::memory_order_acquire); });
    if (m_launchAbort.load(std::memory_order_acquire))
        return false;
    --m_launchTickets;
    return true;
}

void ProcsDomain::returnLaunchTicket()
{
    {
        std::lock_guard lk(m_startMu);
        ++m_launchTickets;
    }
    m_ticketCv.notify_one();
}

bool ProcsDomain::addSlotLocked(bool spawnNow)
{
    auto s = std::make_unique<Slot>();
    s->number = m_nextSlotNumber++;
    // The owner thread sleeps on it: without one it could never be woken.
    s->wakeFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (s->wakeFd < 0)
        return false;
    Slot &ref = *s;
    try {
        ref.thread = std::thread([this, &ref, spawnNow] { ownerLoop(ref, spawnNow); });
    } catch (const std::system_error &) { // no thread for it (a limit on processes): report, never abort
        ::close(ref.wakeFd);
        errno = EAGAIN;
        return false;
    }
    m_slots.push_back(std::move(s));
    return true;
}

void ProcsDomain::wake(Slot &s)
{
    const std::uint64_t one = 1;
    if (s.wakeFd >= 0)
        (void)!::write(s.wakeFd, &one, sizeof one);
}

void ProcsDomain::stop()
{
    {
        std::lock_guard lk(m_mu);
        if (m_stopped)
            return;
        m_stopped = true;
    }
    cancelAll();
    waitIdle(10 * kNsPerSec);
    // Owners still waiting for a launch ticket or a hello (a pool growing by thousands) give up.
    abortStart();
    std::vector<std::unique_ptr<Slot>> owners;
    {
        std::lock_guard lk(m_mu);
        m_stopping = true;
        for (auto &s : m_slots)
            wake(*s);
        owners.swap(m_slots);
    }
    // Each owner thread terminates its own worker: SIGTERM to all at once, SIGKILL 500 ms later.
    for (auto &s : owners) {
        if (s->thread.joinable())
            s->thread.join();
        if (s->wakeFd >= 0)
            ::close(s->wakeFd);
    }
}

QString ProcsDomain::brokenReason() const
{
    std::lock_guard lk(m_mu);
    return m_brokenReason;
}

bool ProcsDomain::isBroken() const
{
    return m_broken.load(std::memory_order_acquire);
}

std::vector<pid_t> ProcsDomain::workerPids() const
{
    std::lock_guard lk(m_mu);
    std::vector<pid_t> pids;
    for (const auto &s : m_slots)
        if (s->pid > 0)
            pids.push_back(s->pid);
    return pids;
}

void ProcsDomain::dispatchLocked()
{
    for (auto &s : m_slots)
        if (s->idle && !s->retire && !s->exited) {
            s->idle = false; // claimed: the next wake-up finds the stage
            wake(*s);
            return;
        }
    // No idle owner: a busy one takes it when its current stage ends.
}

void ProcsDomain::launch(StageJob job)
{
    std::lock_guard lk(m_mu);
    m_used = true;
    m_ready.push_back(std::move(job));
    dispatchLocked();
}

void ProcsDomain::applyWorkers(int n)
{
    std::lock_guard lk(m_mu);
    if (m_stopped)
        return;
    // Owner threads of retired workers have left: join them.
    for (auto it = m_slots.begin(); it != m_slots.end();) {
        if ((*it)->exited) {
            (*it)->thread.join();
            ::close((*it)->wakeFd);
            it = m_slots.erase(it);
        } else {
            ++it;
        }
    }
    int active = 0;
    for (auto &s : m_slots)
        active += s->retire ? 0 : 1;
    for (; active < n; ++active)
        if (!addSlotLocked(m_opts.eager || m_used)) { // growing spawns at once
            qWarning("hybridscope: procs: cannot add a worker (no eventfd or thread): %s", std::strerror(errno));
            break;
        }
    // Shrinking: idle workers go now, busy ones after their current stage (newest first).
    for (int pass = 0; pass < 2 && active > n; ++pass)
        for (auto it = m_slots.rbegin(); it != m_slots.rend() && active > n; ++it) {
            Slot &s = **it;
            if (s.retire || (pass == 0 && !s.idle))
                continue;
            s.retire = true;
            wake(s);
            --active;
        }
}

void ProcsDomain::cancelRunning()
{
    std::lock_guard lk(m_mu);
    for (auto &s : m_slots)
        wake(*s);
}

bool ProcsDomain::retiring(Slot &s)
{
    std::lock_guard lk(m_mu);
    return s.retire && !m_stopping;
}

void ProcsDomain::publishPid(Slot &s)
{
    pid_t gone = -1;
    {
        std::lock_guard lk(m_mu);
        const pid_t now = s.proc.isRunning() ? s.proc.pid() : -1;
        if (s.pid > 0 && s.pid != now)
            gone = s.pid; // reaped, or replaced by a new process
        s.pid = now;
    }
    if (gone > 0)
        m_remote.workerGone(gone);
}

void ProcsDomain::ownerLoop(Slot &s, bool spawnNow)
{
    char name[16];
    std::snprintf(name, sizeof name, "hs-procs-%d", s.number);
    prepareEngineThread(name);
    setCurrentDomain(this);
    if (spawnNow && !isBroken())
        spawn(s, true);
    if (s.number < m_initialSlots)
        initialSpawnDone();
    for (;;) {
        std::optional<StageJob> job;
        bool leave = false;
        {
            std::lock_guard lk(m_mu);
            if (s.retire && !m_stopping) {
                leave = true;
            } else if (!m_ready.empty()) {
                job = std::move(m_ready.front());
                m_ready.pop_front();
                s.idle = false;
            } else if (m_stopping) {
                leave = true;
            } else {
                s.idle = true;
            }
        }
        if (leave)
            break;
        if (!job) {
            idleWait(s);
            continue;
        }
        std::optional<StageJob> next = std::move(job);
        while (next) {
            next = runOne(s, std::move(*next));
            settle(s);
            if (next && retiring(s)) {
                // Retire after the current stage: the next one goes to another worker.
                std::lock_guard lk(m_mu);
                m_ready.push_front(std::move(*next));
                next.reset();
                dispatchLocked();
            }
        }
    }
    if (s.proc.isRunning())
        s.proc.terminate();
    pid_t gone = -1;
    {
        std::lock_guard lk(m_mu);
        s.exited = true;
        s.idle = false;
        gone = std::exchange(s.pid, -1);
        // A stage handed to this owner while it was deciding to leave goes to another one.
        if (!m_ready.empty())
            dispatchLocked();
    }
    if (gone > 0)
        m_remote.workerGone(gone);
    setCurrentDomain(nullptr);
}

void ProcsDomain::idleWait(Slot &s)
{
    pollfd fds[2] = { { s.wakeFd, POLLIN, 0 }, { s.proc.socketFd(), POLLIN, 0 } };
    const nfds_t n = s.proc.isRunning() ? 2 : 1;
    if (::poll(fds, n, -1) <= 0)
        return;
    if (fds[0].revents & POLLIN) {
        std::uint64_t v;
        while (::read(s.wakeFd, &v, sizeof v) > 0) { }
    }
    if (n == 2 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
        // Nothing was asked of it: the worker died while idle (or spoke out of turn). No stage fails.
        // It said hello, so the binary works: its death is not a fault (killing idle workers must
        // never break the pool for other stages). Speaking out of turn is.
        const bool proven = s.proc.replies() > 0 || nowNs() - s.proc.readyNs() >= kProvenLifeNs;
        bool protocolError = false;
        const QString why = s.proc.checkIdle(&protocolError);
        if (!why.isEmpty()) {
            const bool requested = s.proc.lastEnd() && s.proc.lastEnd()->requested;
            workerLost(s, why + QStringLiteral(" (while idle)"), !protocolError && !requested, protocolError);
            if (!protocolError && !proven) {
                s.replace = false;
                s.replaceLater = true;
            }
        }
    }
    settle(s);
}

std::optional<StageJob> ProcsDomain::runOne(Slot &s, StageJob job)
{
    const std::int64_t start = nowNs();
    WorkResult result;
    const bool ran = startStage(job, start, &result);
    job.workerSlot = s.number;
    job.workerPid = int(s.proc.pid());
    if (ran)
        result = runRemote(s, job);
    if (ran && result.status == WorkStatus::Ok)
        m_served.fetch_add(1, std::memory_order_relaxed);
    if (job.workerPid <= 0) // spawned by this stage
        job.workerPid = int(s.proc.pid());
    std::optional<StageJob> next;
    endStage(std::move(job), result, start, ran ? nowNs() : start, ran, &next);
    return next;
}

bool ProcsDomain::spawn(Slot &s, bool initial)
{
    WorkerLaunch launch;
    launch.program = m_opts.workerPath;
    launch.extraArgs = m_opts.workerArgs;
    launch.sharedMemory = m_shm;
    launch.helloTimeoutNs = m_opts.helloTimeoutNs;
    launch.abort = &m_launchAbort;
    launch.wakeFd = s.wakeFd;
    // A pool born at once (start, or a resize by thousands) takes turns; a replacement or a stage's
    // own launch does not wait behind it.
    if (initial && !takeLaunchTicket()) {
        s.launchError = QStringLiteral("launch cancelled");
        return false;
    }
    QString error;
    const bool ok = s.proc.start(launch, &error);
    if (initial)
        returnLaunchTicket();
    publishPid(s);
    if (ok) {
        s.launchError.clear();
        return true;
    }
    s.launchError = error;
    if (m_launchAbort.load(std::memory_order_acquire))
        return false; // interrupted, not failed
    m_remote.procsEvent(QStringLiteral("procs: ") + error);
    noteFault(error);
    return false;
}

void ProcsDomain::workerLost(Slot &s, const QString &reason, bool crashed, bool fault)
{
    publishPid(s);
    if (crashed)
        m_crashes.fetch_add(1, std::memory_order_relaxed);
    m_remote.procsEvent(QStringLiteral("procs: ") + reason);
    s.replace = true;
    if (fault)
        noteFault(reason);
}

void ProcsDomain::noteFault(const QString &reason)
{
    bool nowBroken = false;
    QString why;
    {
        std::lock_guard lk(m_mu);
        const std::int64_t now = nowNs();
        // A crash loop is workers failing with nothing served in between (a broken binary, a
        // worker that dies at start). Stages served since the last fault prove the pool works:
        // isolated crashes of one flaky stage then only cost their own tasks.
        const std::uint64_t served = m_served.load(std::memory_order_relaxed);
        if (served != m_servedAtLastFault)
            m_faults.clear();
        m_servedAtLastFault = served;
        m_faults.push_back(now);
        while (!m_faults.empty() && now - m_faults.front() > kCrashLoopWindowNs)
            m_faults.pop_front();
        if (int(m_faults.size()) > kCrashLoopRestarts && !m_broken.load(std::memory_order_relaxed)) {
            m_brokenReason = QStringLiteral(
                "pool unavailable: %1 worker failures within %2 s with no stage served between them (last: %3)")
                                 .arg(m_faults.size())
                                 .arg(kCrashLoopWindowNs / kNsPerSec)
                                 .arg(reason);
            m_broken.store(true, std::memory_order_release);
            nowBroken = true;
            why = m_brokenReason;
            // Every owner lets its worker go; stages fail fast from now on.
            for (auto &other : m_slots)
                wake(*other);
        }
    }
    if (nowBroken)
        m_remote.procsEvent(QStringLiteral("procs: ") + why);
}

void ProcsDomain::settle(Slot &s)
{
    if (s.proc.terminating()) {
        // Timed out or cancelled mid-stage: SIGTERM was sent; SIGKILL if it is still there after 500 ms.
        s.proc.finishTermination();
        s.replace = true;
        publishPid(s);
    }
    if (s.proc.isRunning() && isBroken()) {
        s.proc.terminate();
        publishPid(s);
    }
    if (s.replace && !s.proc.isRunning() && !isBroken() && !cancelling() && !retiring(s)) {
        s.replace = false;
        if (spawn(s))
            m_restarts.fetch_add(1, std::memory_order_relaxed);
    }
}

WorkResult ProcsDomain::runRemote(Slot &s, StageJob &job)
{
    if (isBroken())
        return WorkResult { WorkStatus::Failed, brokenReason() };
    if (!s.proc.isRunning()) {
        if (!spawn(s))
            return WorkResult { WorkStatus::Failed, isBroken() ? brokenReason() : s.launchError };
        if (std::exchange(s.replaceLater, false))
            m_restarts.fetch_add(1, std::memory_order_relaxed);
    }

    RemoteStage rs = m_remote.remoteStage(job);
    ipc::StageRequest req;
    req.work = rs.work;
    req.kernel = rs.kernel;
    req.fsync = rs.fsync;
    req.crash = rs.crash;
    req.verify = m_opts.verifyPayloads;
    req.netPort = host().netPort();
    req.outFill = rs.outFill;
    req.timeNs = std::max<std::int64_t>(0, secondsToNs(rs.time));
    req.bytes = std::max<std::int64_t>(0, rs.bytes);
    req.payloadOut = std::uint64_t(std::max<std::int64_t>(0, rs.payloadOut));
    req.tempDir = m_opts.tempDir.toUtf8();
    req.gil = rs.gil;
    req.gilSwitchNs = std::max<std::int64_t>(1, secondsToNs(rs.gilSwitchInterval));
    for (const LockRequest &l : rs.locks)
        req.locks.push_back(ipc::StageLock { std::uint32_t(l.index), l.scope, l.timeoutNs });
    req.update = rs.update;
    req.selfKey = rs.self.pack();
    const WorkControl wc = controlFor(job);
    CallResult r = s.proc.call(req, rs.payloadIn, CallControl { s.wakeFd, wc.cancel, wc.deadlineNs });
    switch (r.status) {
    case CallStatus::Ok: {
        m_remote.recordTransfer(job, r.sendNs, r.ipcNs);
        if (req.gil && req.work == WorkKind::Cpu)
            m_remote.recordGilWait(job, r.reply.gilWaitNs);
        WorkResult w { r.reply.status, QString::fromUtf8(r.reply.reason) };
        if (!req.locks.empty() || req.update >= 0) {
            LockedRun run;
            for (const ipc::StageLockWait &l : r.reply.lockWaits)
                run.waits.push_back(
                    LockWait { int(l.index), l.waitNs, l.contended, l.acquired, l.timedOut, l.recovered, l.holder });
            run.updated = r.reply.updated;
            if (QString why = m_remote.recordLocks(job, run); !why.isEmpty())
                w.reason = why;
        }
        return m_remote.exitRemoteStage(job, w, std::move(r.payloadOut));
    }
    case CallStatus::TimedOut: return WorkResult { WorkStatus::TimedOut, QStringLiteral("timeout") };
    case CallStatus::Cancelled: return WorkResult { WorkStatus::Cancelled, QStringLiteral("cancelled") };
    case CallStatus::WorkerLost:
        workerLost(s, r.reason, !(s.proc.lastEnd() && s.proc.lastEnd()->requested));
        return WorkResult { WorkStatus::Failed, r.reason };
    case CallStatus::ProtocolError: workerLost(s, r.reason, false); return WorkResult { WorkStatus::Failed, r.reason };
    case CallStatus::LocalError: return WorkResult { WorkStatus::Failed, r.reason };
    }
    return WorkResult { WorkStatus::Failed, QStringLiteral("unknown call status") };
}

} // namespace hs
