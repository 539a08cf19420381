#pragma once

#include "domains/domain.h"
#include "procs/sharedlocks.h"

#include <QStringList>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include <sys/types.h>

namespace hs {

/// What a worker process needs to run one stage, prepared by the engine.
struct RemoteStage {
    WorkKind work = WorkKind::Cpu;
    CpuKernel kernel = CpuKernel::Spin;
    bool fsync = false;
    bool crash = false; ///< abort mid-task (drawn by the engine)
    double time = 0; ///< seconds
    std::int64_t bytes = 0;
    std::int64_t payloadOut = 0;
    std::uint8_t outFill = 0; ///< the byte payload_out is made of
    QByteArray payloadIn; ///< exactly payload_in bytes, not copied: moving them across is the serialization
    bool gil = false; ///< cpu work holds the worker process's own GIL
    double gilSwitchInterval = 0.005; ///< seconds
    /// DESIGN §15: locks taken in order around the work, the counter to update (-1: none), and
    /// this stage's key (recorded as the holder in the run's lock segment).
    std::vector<LockRequest> locks;
    int update = -1;
    LockKey self;
};

/**
 * The engine's side of stages that run in another process. Unlike StageHost::enterStage and
 * exitStage, nothing is copied or produced locally: the payload in is serialized straight to the
 * worker, and the payload out comes back from it.
 *
 *     RemoteStage rs = remote.remoteStage(job);
 *     ... send rs to a worker, get its result ...
 *     remote.recordTransfer(job, sendNs, ipcNs);
 *     WorkResult r = remote.exitRemoteStage(job, workResult, std::move(payloadOut));
 */
class RemoteStageHost {
public:
    virtual ~RemoteStageHost() = default;
    virtual RemoteStage remoteStage(StageJob &job) = 0;
    /// The worker's result: its payload out becomes the task's; injected `fail` applies here.
    virtual WorkResult exitRemoteStage(StageJob &job, const WorkResult &workResult, QByteArray payloadOut) = 0;
    /// Serialization + transfer of one stage: `sendNs` moving the payload in, `ipcNs` both ways.
    virtual void recordTransfer(const StageJob &job, std::int64_t sendNs, std::int64_t ipcNs) = 0;
    /// Something a person should see on the run's timeline ("procs: worker crashed: SIGSEGV").
    virtual void procsEvent(const QString &label) { (void)label; }
    /// A stage that ran under the worker's GIL (RemoteStage::gil) waited `waitNs` for it.
    virtual void recordGilWait(const StageJob &job, std::int64_t waitNs)
    {
        (void)job;
        (void)waitNs;
    }
    /// DESIGN §15: how the stage's lock waits in the worker went and whether its counter update
    /// completed. Returns the reason to report instead of the worker's (a lock timeout, with
    /// names the worker does not know), or an empty string.
    virtual QString recordLocks(const StageJob &job, const LockedRun &run)
    {
        (void)job;
        (void)run;
        return {};
    }
    /// A worker process has ended (lost, timed out and killed, retired or stopped): whatever it
    /// left counted in shared state as its own (DESIGN §15: lock waits) no longer counts.
    virtual void workerGone(pid_t pid) { (void)pid; }
};

struct ProcsOptions {
    QString workerPath; ///< hybridscope-worker
    QStringList workerArgs; ///< extra arguments (tests: the hidden --selftest-* modes)
    QString tempDir; ///< for disk stages
    bool verifyPayloads = false; ///< checksum payloads on both sides
    bool eager = true; ///< spawn the workers at start(), not at the first stage
    std::int64_t helloTimeoutNs = 10'000'000'000;
};

/**
 * The `procs` domain: N real `hybridscope-worker` processes, the counterpart of Python's
 * ProcessPoolExecutor. Each worker process has an owner thread ("hs-procs-N") that takes admitted
 * stages, sends them to its process (payloads copied through the socket, or placed in shared
 * memory with `transfer: shm`) and waits for the reply without ever blocking on a dead or stuck
 * worker. A worker lost mid-stage fails only that stage, with a readable reason, and is replaced;
 * one lost while idle fails nothing. A stage past its timeout fails with "timeout" and its worker
 * gets SIGTERM, then SIGKILL after 500 ms. A fault is a worker that died on its own mid-stage
 * (counted in `crashes`), one killed for a protocol error, or a launch that failed; a timeout is
 * not, and neither is the death of an idle worker (counted in `crashes` and replaced, but it had
 * said hello: the binary works, and killing idle workers must not cost other stages). More than
 * five faults within ten seconds mark the pool broken: every stage then fails fast with "pool
 * unavailable: ..." (and the reason of the last fault). `restarts` counts replacements. stop()
 * drains, then terminates every worker: no child and no zombie remain.
 *
 *     ProcsDomain d(host, remote, scenario.domain(DomainKind::Procs), thresholdNs,
 *                   ProcsOptions{ProcsDomain::defaultWorkerPath()});
 *     d.start(&error);
 *     d.submit(std::move(job));
 *     d.resize(4);            // spawns two more at once
 */
class ProcsDomain final : public Domain {
public:
    /// Faults allowed within kCrashLoopWindowNs; one more marks the pool broken.
    static constexpr int kCrashLoopRestarts = 5;
    static constexpr std::int64_t kCrashLoopWindowNs = 10'000'000'000;

    ProcsDomain(StageHost &host, RemoteStageHost &remote, const DomainConfig &cfg, std::int64_t starvationThresholdNs,
        ProcsOptions options);
    ~ProcsDomain() override;

    /// Workers born at once: with thousands, the rest wait their turn, so an interrupted start-up
    /// has only these few to finish or kill.
    static constexpr int kConcurrentLaunches = 8;
    /// A worker that dies while idle before it answered a stage and this soon after its hello is
    /// replaced when a stage needs it, not at once: a binary that dies right after its hello
    /// cannot make the pool respawn in a tight loop.
    static constexpr std::int64_t kProvenLifeNs = 500'000'000;

    /// Waits, bounded, until the workers spawned by start() said hello or failed to launch, so a
    /// run's clock does not start while the pool is still being born. True when all are settled;
    /// returns early after abortStart().
    bool waitUntilStarted(std::int64_t timeoutNs);
    /// Interrupts the start-up (any thread, also before start()): workers not yet spawned are not,
    /// waits for hellos end and those workers are terminated, waitUntilStarted() returns. Not a
    /// fault. Stages that need a worker afterwards fail with "launch cancelled": call it only when
    /// no stage will come.
    void abortStart();
    bool start(QString *error) override;
    void stop() override;

    /// Empty while the pool works; once broken, why ("pool unavailable: ...").
    QString brokenReason() const;
    /// Pids of the live worker processes.
    std::vector<pid_t> workerPids() const;
    /// $HS_WORKER if set, else hybridscope-worker next to the running executable.
    static QString defaultWorkerPath();

protected:
    void launch(StageJob job) override;
    void applyWorkers(int workers) override;
    void cancelRunning() override;

private:
    struct Slot;

    bool addSlotLocked(bool spawnNow);
    void initialSpawnDone();
    void dispatchLocked();
    void wake(Slot &s);
    void ownerLoop(Slot &s, bool spawnNow);
    void idleWait(Slot &s);
    std::optional<StageJob> runOne(Slot &s, StageJob job);
    WorkResult runRemote(Slot &s, StageJob &job);
    bool spawn(Slot &s, bool initial = false);
    bool takeLaunchTicket();
    void returnLaunchTicket();
    void settle(Slot &s);
    void workerLost(Slot &s, const QString &reason, bool crashed, bool fault = true);
    void noteFault(const QString &reason);
    bool isBroken() const;
    bool retiring(Slot &s);
    void publishPid(Slot &s);

    RemoteStageHost &m_remote;
    const ProcsOptions m_opts;
    const bool m_shm;

    mutable std::mutex m_mu;
    std::vector<std::unique_ptr<Slot>> m_slots;
    std::deque<StageJob> m_ready; // admitted and counted running, waiting for an owner thread
    std::deque<std::int64_t> m_faults; // times of recent faults with nothing served between them (crash loop)
    std::atomic<std::uint64_t> m_served { 0 }; // stages a worker ran to a result
    std::uint64_t m_servedAtLastFault = 0; // guarded by m_mu
    QString m_brokenReason;
    std::atomic<bool> m_broken { false };
    bool m_stopping = false;
    bool m_stopped = false;
    bool m_used = false;
    int m_nextSlotNumber = 0;
    int m_initialSlots = 0;
    std::mutex m_startMu;
    std::condition_variable m_startCv;
    int m_startsPending = 0; // workers spawned by start() that have not said hello or failed yet
    int m_launchTickets = kConcurrentLaunches; // under m_startMu
    std::condition_variable m_ticketCv;
    // Set by abortStart() and stop(): launches are given up (owners wait for it on their wakeFd).
    std::atomic<bool> m_launchAbort { false };
};

} // namespace hs
