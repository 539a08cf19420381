#pragma once

#include "core/frame.h"
#include "results/domaintheory.h"
#include "results/runresult.h"

#include <QString>

#include <array>
#include <deque>
#include <optional>
#include <vector>

namespace hs {

/**
 * The theory overlay while a run goes (DESIGN §11, docs/tuning.md): per domain, what the model
 * predicts from what the engine measured over the last kWindowS seconds of the current phase
 * (since the phase's figures started, while it is younger), beside the measured figures. The
 * engine publishes the open phase's totals twice a second (Engine::phasesUpdated); two of them
 * kWindowS apart give the window's arrivals, service times (mean and SCV from the histogram),
 * utilization, waits and queue integral, so the engine's hot path does nothing more for it. The
 * frames tell whether a thread waited for the GIL. No widgets: tests feed it made-up phases.
 *
 *     LiveTheory theory(QThread::idealThreadCount());
 *     theory.addFrame(frame);                        // every frame
 *     if (theory.addPhases(phases))                  // twice a second
 *         if (const auto &t = theory.domain(DomainKind::Threads); t && t->predicted.applies)
 *             draw(theory.windowTo(), t->predicted.queueMean);
 */
class LiveTheory {
public:
    /// The sliding window, in seconds.
    static constexpr double kWindowS = 5.0;
    /// A shorter span gives no figures yet (a phase that has just settled): 150 stages a second
    /// over 1 s put λ and E[S] within about 8 % each.
    static constexpr double kMinWindowS = 1.0;

    explicit LiveTheory(int cores);

    /// Forgets everything (a new run).
    void reset();
    /// A frame of the run: the GIL's waiters.
    void addFrame(const Frame &frame);
    /// The engine's phases so far, the last one current. True when the overlay changed (new
    /// figures, or none any more).
    bool addPhases(const std::vector<PhaseResult> &phases);

    /// The overlay of `d` over the window; nullopt when there is no window or the run does not use `d`.
    const std::optional<DomainTheory> &domain(DomainKind d) const { return m_domains[std::size_t(d)]; }
    bool hasWindow() const { return m_to > m_from; }
    /// The window, seconds since the run started (both 0 without one).
    double windowFrom() const { return m_from; }
    double windowTo() const { return m_to; }
    /// Why there is no window now ("settling after the change at 12.3 s"); empty when there is one.
    QString waiting() const { return m_waiting; }
    int cores() const { return m_cores; }

private:
    struct Snapshot {
        double t = 0;
        std::array<DomainResult, kDomainCount> domains;
    };
    void clearFigures(const QString &why);

    int m_cores = 1;
    double m_phaseFrom = -1; // fromS of the phase the history belongs to
    std::deque<Snapshot> m_history; // of the current phase, oldest first
    std::array<std::optional<DomainTheory>, kDomainCount> m_domains;
    double m_from = 0, m_to = 0;
    QString m_waiting;
    int m_frames = 0;
    double m_lastGilWaitT = -1; // the last frame with a thread waiting for the GIL
};

} // namespace hs
