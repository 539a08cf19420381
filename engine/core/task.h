#pragma once

#include "core/kinds.h"

#include <QByteArray>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace hs {

/// How a task ended: exactly one of these, exactly once (the conservation law).
enum class Outcome { Completed, Failed, Rejected, Cancelled };

/// The sizes and faults of one stage, drawn when the task is created (so a seed fixes them).
struct StagePlan {
    double time = 0; ///< seconds
    std::int64_t bytes = 0;
    std::int64_t payloadIn = 0;
    std::int64_t payloadOut = 0;
    bool fail = false;
    bool crash = false;
};

/// One unit of work travelling through its class's stages.
struct Task {
    std::uint64_t id = 0;
    int cls = 0;
    int client = -1; ///< closed-loop client index, or -1
    std::int64_t intendedNs = 0; ///< intended arrival: latency is measured from here
    /// When its first stage was admitted to a domain (DESIGN §15): the naive latency is measured
    /// from here. Later than intendedNs when the generator was held (on_full: block) or a closed
    /// client with a `rate` was still waiting for its previous response. Set by Domain::submit.
    std::int64_t dispatchedNs = 0;
    std::int64_t lastEndNs = 0; ///< end of the previous stage (hop cost)
    std::vector<StagePlan> plan;
    QByteArray payload; ///< bytes carried to the next stage
    std::atomic<bool> ended { false };
};
using TaskPtr = std::shared_ptr<Task>;

/// A stage of a task admitted to a domain.
struct StageJob {
    TaskPtr task;
    int stage = 0;
    WorkKind work = WorkKind::Cpu;
    std::int64_t enqueuedNs = 0;
    std::int64_t timeoutNs = 0; ///< stage timeout, counted from admission; 0: none
    std::int64_t deadlineNs = 0; ///< set at admission from timeoutNs
    std::int64_t startedNs = 0; ///< set when a worker starts it (service time of remote stages)
    bool waited = false; ///< no free worker at admission
    int workerSlot = -1; ///< trace: the worker's number when the domain has one (procs slot); -1: by thread
    int workerPid = 0; ///< trace: procs worker process that ran the stage
};

} // namespace hs
