#pragma once

namespace hs {

/**
 * What this machine delivers when several threads compute at once: k busy threads (k = the cores
 * the system reports) against one, measured as work done per wall-clock second. A 2-vCPU VM whose
 * host is busy can give about 1.0 where the core count says 2, and then a lesson claim that needs
 * two cores in parallel (threads vs procs under the GIL, a pool sized to the cores) cannot show.
 *
 *     const ParallelProbeResult &p = sessionParallelCores(); // measured once, ≤ 300 ms
 *     if (p.effectiveCores < kParallelCoresForLessons) warn(p.effectiveCores);
 */
struct ParallelProbeResult {
    int threads = 1; ///< busy threads run in parallel (the reported core count)
    double effectiveCores = 1; ///< work rate of `threads` threads / that of one; in [1, threads]
    double wallMs = 0; ///< how long the measurement took
};

/// Below this many effective cores, a lesson with `needs_parallel_cpu` warns that its effect may not
/// show: the claims that need it compare a 2-core pool with one core (GIL: ratio > 1.4) or offer
/// 1.5 cores of work (oversubscription), so they need about 1.7 cores with the engine's own threads.
inline constexpr double kParallelCoresForLessons = 1.7;

/// Measures now, within `budgetMs` in total (at most 300): one thread and `threads` threads in
/// alternating slices.
/// `threads` 0 means the reported core count (at most 64).
ParallelProbeResult measureParallelCores(int threads = 0, int budgetMs = 240);

/// measureParallelCores() once per process; later calls return the first result. Thread-safe: a
/// call while the first measurement runs waits for it.
const ParallelProbeResult &sessionParallelCores();

} // namespace hs
