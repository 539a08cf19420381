#pragma once

#include "scenario/scenario.h"

#include <QString>
#include <QStringList>

#include <cstdint>

namespace hs {

/// The reason a stage fails with when no file descriptor is left for it.
QString outOfFdsReason(const char *what);

/// RLIMIT_NOFILE's soft limit now (a large number when unlimited).
std::int64_t fileLimit();
/// Raises RLIMIT_NOFILE's soft limit to the hard limit, as servers do; idempotent. Returns the soft limit.
std::int64_t raiseFileLimit();
/// Descriptors open in this process now (/proc/self/fd).
int openFileCount();

/**
 * The process-wide budget of file descriptors that stages open (net connections, both ends;
 * disk temp files). The engine sets the limit at start: the soft RLIMIT_NOFILE minus what is
 * open and a reserve for what threads and worker processes need, so that a flood of stages
 * fails those stages ("out of file descriptors (EMFILE)") instead of starving a thread start
 * (Qt/glib treat a failed eventfd as fatal).
 *
 *     if (!StageFds::acquire(2)) return failed(outOfFdsReason("net"));
 *     ...
 *     StageFds::release(2);
 */
namespace StageFds {
bool acquire(int n);
void release(int n);
/// Descriptors stages hold now.
std::int64_t inUse();
/// -1: no limit (before any engine started).
void setLimit(std::int64_t limit);
std::int64_t limit();
} // namespace StageFds

/**
 * Checks that `n` more threads can be created now, by creating them (each waits, then all
 * exit). oneTBB aborts the process when it cannot create a worker thread, and QThreadPool
 * loses the task: the engine asks first. Returns false with the reason in `error`.
 */
bool probeThreads(int n, QString *error);

/// What a scenario needs of the machine, estimated before a run (validate, run, the GUI).
struct ResourceEstimate {
    std::int64_t fds = 0; ///< descriptors the engine process needs at peak
    std::int64_t fdLimit = 0; ///< soft RLIMIT_NOFILE (after raising it to the hard limit)
    int threads = 0; ///< engine threads (pools, owners, helpers)
    int processes = 0; ///< worker processes
    QStringList warnings; ///< one line each, empty when the scenario fits
};

/// `fdLimit`: the limit to compare with (the soft limit the run will have); `cores`: CPUs to compare with.
ResourceEstimate estimateResources(const Scenario &s, std::int64_t fdLimit, int cores);

/// The warnings of estimateResources() for this machine: the file limit a run will have (the soft
/// limit raised to the hard one) and its cores. Printed by `validate` and `run`, shown by the GUI.
QStringList resourceWarnings(const Scenario &s);

/// The engine's cap on queued stages across all domains, derived from memory and payload sizes
/// (at most 1,000,000): beyond it, stages are rejected ("engine queue cap reached").
std::int64_t defaultQueueCap(const Scenario &s);

} // namespace hs
