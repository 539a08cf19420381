#pragma once

#include "scenario.h"

#include <QMetaType>
#include <QString>

#include <array>
#include <cstdint>
#include <vector>

namespace hs {

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
};

/// One class's figures in a frame.
struct ClassFrame {
    std::uint64_t submitted = 0, completed = 0, failed = 0, rejected = 0, cancelled = 0;
    double p99Ms = 0; ///< end-to-end latency P99 over the sliding 1 s window
    double throughput = 0; ///< completions per second over the sliding window
    double gilWaitP99Ms = 0; ///< P99 of a cpu stage's GIL wait over the sliding 1 s window (GIL emulation)
};

/// A sample of every metric, taken 20 times a second; a run keeps every frame.
struct Frame {
    double t = 0; ///< seconds since the run started
    std::array<DomainFrame, kDomainCount> domains {};
    std::vector<ClassFrame> classes;
    double loopLagMs = 0; ///< worst heartbeat lateness since the previous frame
    bool gil = false; ///< GIL emulation is on
    int gilWaiting = 0; ///< threads waiting for the engine's GIL now
};

/// A change made while running (resize, reassignment, policy), kept so plots can mark it.
struct RunEvent {
    double t = 0;
    QString label;
};

} // namespace hs

Q_DECLARE_METATYPE(hs::Frame)
Q_DECLARE_METATYPE(hs::RunEvent)
