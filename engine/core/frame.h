#pragma once

#include "core/kinds.h"

#include <QMetaType>
#include <QString>

#include <array>
#include <cstdint>
#include <vector>

namespace hs {

/// How often a routing key (class index, stage index) was seen in a frame's sample; cls -1: none.
struct KeyCount {
    int cls = -1;
    int stage = -1;
    int count = 0;
};
inline constexpr std::size_t kTopKeys = 3;

/// One domain's figures in a frame (DESIGN §5, §9 `frames`).
struct DomainFrame {
    int queue = 0; ///< admitted, waiting for a worker
    int inflight = 0; ///< queued + running
    int busy = 0; ///< workers executing stage code now
    int workers = 0;
    std::uint64_t done = 0; ///< stages finished so far
    double p99Ms = 0; ///< wait + service P99 over the sliding 1 s window
    int starved = 0; ///< queued stages that waited past the starvation threshold
    double utilization = 0; ///< busy / workers over the last frame interval
    double throughput = 0; ///< stages per second over the sliding window
    int cpuRunning = 0; ///< `cpu` stages executing now (oversubscription)
    std::uint64_t rejected = 0; ///< stages refused or dropped by backpressure so far
    std::uint64_t crashes = 0; ///< workers that died mid-stage so far
    bool bounded = false; ///< a queue or max_inflight limit applies now
    std::array<KeyCount, kTopKeys> queuedTop {}; ///< the keys most seen at the head of the queue
    std::array<KeyCount, kTopKeys> rejectedTop {}; ///< the keys most rejected since the previous frame
};

/// One class's figures in a frame.
struct ClassFrame {
    std::uint64_t submitted = 0, completed = 0, failed = 0, rejected = 0, cancelled = 0;
    double p50Ms = 0; ///< end-to-end latency P50 over the sliding 1 s window
    double p99Ms = 0; ///< end-to-end latency P99 over the sliding 1 s window
    /// DESIGN §15: latency from the actual dispatch (naive, what a closed-loop tester reports),
    /// P99 over the sliding 1 s window, beside p99Ms from the intended time.
    double naiveP99Ms = 0;
    double throughput = 0; ///< completions per second over the sliding window
    double gilWaitP99Ms = 0; ///< P99 of a cpu stage's GIL wait over the sliding 1 s window (GIL emulation)
    double procsIpcMs = 0; ///< procs stages so far: serialization + transfer, both ways
    double procsServiceMs = 0; ///< procs stages so far: service time (transfer included)
    std::uint64_t procsStages = 0; ///< procs stages so far that returned from their worker
};

/// One shared resource's figures in a frame (DESIGN §15): the lock of that name and/or the shared
/// counter of that name. Frame::locks follows RunResult::locks / the engine's lockNames() order.
struct LockFrame {
    std::uint64_t acquisitions = 0; ///< so far
    std::uint64_t contended = 0; ///< so far: acquisitions that found the lock held
    std::uint64_t timeouts = 0; ///< so far: waits past the timeout (the stage failed)
    std::uint64_t recovered = 0; ///< so far: process locks taken over from a worker that died holding them
    int waiting = 0; ///< stages waiting for it now
    double waitP99Ms = 0; ///< wait P99 over the sliding 1 s window (an uncontended acquisition waits 0)
    std::uint64_t updatesExpected = 0; ///< so far: read–modify–writes done on the counter of this name
    std::uint64_t updatesSeen = 0; ///< the counter's value now (expected − seen: lost updates)
    /// Since the previous frame: the key that waited longest for the lock (count: µs waited), the
    /// key holding it meanwhile (count: µs), and their domains (DomainKind as int, -1: unknown).
    KeyCount topWaiter;
    KeyCount topHolder;
    int waiterDomain = -1;
    int holderDomain = -1;
};

/// A sample of every metric, taken 20 times a second; a run keeps every frame.
struct Frame {
    double t = 0; ///< seconds since the run started
    std::array<DomainFrame, kDomainCount> domains {};
    std::vector<ClassFrame> classes;
    double loopLagMs = 0; ///< worst heartbeat lateness since the previous frame
    bool gil = false; ///< GIL emulation is on
    int gilWaiting = 0; ///< threads waiting for the engine's GIL now
    /// The cpu/block/disk stage that held the loop thread longest since the previous frame
    /// (one still running counts with its time so far): what a lag spike is blamed on.
    int loopBlockClass = -1;
    int loopBlockStage = -1;
    double loopBlockMs = 0;
    /// Time the loop thread spent in stage code since the previous frame, and the keys that spent
    /// most of it (count: µs): what loop lag is blamed on when no single stage held the loop long.
    double loopBusyMs = 0;
    std::array<KeyCount, kTopKeys> loopBusyTop {};
    std::vector<LockFrame> locks; ///< DESIGN §15, one per lock/counter name (RunResult::locks order)
};

/// A change made while running (resize, reassignment, policy), kept so plots can mark it.
struct RunEvent {
    double t = 0;
    QString label;
    /// "resize", "backpressure", "route", "gil", "autoscale" (a policy set: live changes, each
    /// starts a phase), "scale" (an autoscale controller's resizes, merged to at most one event per
    /// domain a second: not a change of configuration) or "procs" (worker restarts and the like).
    QString kind;
    bool isChange() const { return kind != QLatin1String("procs") && kind != QLatin1String("scale"); }
};

} // namespace hs

Q_DECLARE_METATYPE(hs::Frame)
Q_DECLARE_METATYPE(hs::RunEvent)
