#pragma once

#include "core/frame.h"
#include "livetheory.h"
#include "results/runresult.h"
#include "scenario/scenario.h"

#include <QWidget>

#include <array>
#include <deque>
#include <utility>
#include <vector>

namespace hs {

class LivePlot;

/// A run event as a plot shows it: a short label people read, and the full text for the hover.
struct EventText {
    QString label;
    QString detail;
};

/**
 * The four live plots of a run, fed by frames: queue depth per domain; starvation (loop lag
 * against the threshold, starved stages per domain); P99 latency per class over the sliding 1 s
 * window with each class's SLA; throughput and utilization per domain. Each domain has its one
 * colour (domainColor) in every plot; a domain gets its series once the engine reports it running.
 * Every change made during the run becomes a labelled marker on all four plots; an autoscale
 * controller's resizes ("scale" events, frequent) only a light tick at the foot of each. The
 * throughput plot also draws each pool's workers as dashed steps on a second right axis, so a
 * controller at work (or a resize) shows against the throughput it brought. The queue plot
 * also shows, dashed in the domain's colour, the mean queue that queueing theory predicts from the
 * last seconds' measurements (LiveTheory), wherever a model applies.
 *
 *     LivePlots plots;
 *     plots.setScenario(scenario);          // a new run: empty plots, series of this scenario
 *     connect(&controller, &EngineController::frameReady, &plots, &LivePlots::addFrame);
 *     connect(&controller, &EngineController::eventAdded, &plots, &LivePlots::addEvent);
 *     connect(&controller, &EngineController::phasesUpdated, &plots, &LivePlots::addPhases);
 */
class LivePlots : public QWidget {
    Q_OBJECT
public:
    explicit LivePlots(QWidget *parent = nullptr);

    /// Empties every plot and prepares the series of `scenario` (classes, SLAs, threshold).
    void setScenario(const Scenario &scenario);
    /// Marks every plot with a badge (e.g. "SIMULATED · 64 cores · built-in default calibration"):
    /// what the plots show is not a measured run. Empty clears it.
    void setMark(const QString &text, const QString &tip = {});
    QString mark() const { return m_mark; }

    LivePlot *queuePlot() const { return m_queue; }
    LivePlot *starvationPlot() const { return m_starvation; }
    LivePlot *latencyPlot() const { return m_latency; }
    LivePlot *throughputPlot() const { return m_throughput; }
    std::vector<LivePlot *> plots() const { return { m_queue, m_starvation, m_latency, m_throughput }; }

    /// Series index of a domain in the queue plot (-1 until the domain was seen running).
    int queueSeries(DomainKind d) const { return m_queueSeries[std::size_t(d)]; }
    int throughputSeries(DomainKind d) const { return m_throughputSeries[std::size_t(d)]; }
    int utilizationSeries(DomainKind d) const { return m_utilizationSeries[std::size_t(d)]; }
    int starvedSeries(DomainKind d) const { return m_starvedSeries[std::size_t(d)]; }
    /// The dashed workers steps of a pool on the throughput plot: -1 for the loop, and until a
    /// frame found the pool running with a stage routed to it.
    int workersSeries(DomainKind d) const { return m_workersSeries[std::size_t(d)]; }
    /// The dashed predicted mean queue of a domain in the queue plot, or -1: made when a model
    /// first applies to the domain.
    int predictedQueueSeries(DomainKind d) const { return m_predictedSeries[std::size_t(d)]; }
    /// The live theory overlay the dashed lines come from (the domain cards show its figures).
    const LiveTheory &theory() const { return m_theory; }
    int loopLagSeries() const { return m_loopLagSeries; }
    /// The dashed "GIL wait" line of a class on the latency plot (P99 of its stages' GIL wait), or -1:
    /// made at the first frame with the GIL on.
    int gilWaitSeries(int classIndex) const;
    /// Series index of class `i` in the latency plot.
    int latencySeries(int classIndex) const;
    int framesSeen() const { return m_frames; }

    /// The short label and hover text of an engine event, as the plots show it: "threads: 8 → 2
    /// workers", "threads: max in flight 100 → ∞". Reads the settings before the change from the
    /// scenario and the earlier events, and remembers this one's (call once per event, in order).
    EventText describeEvent(const RunEvent &event);
    /// Labels longer than this are cut with "…" (the hover has the whole text).
    static constexpr int kMaxLabelChars = 44;

public Q_SLOTS:
    void addFrame(const hs::Frame &frame);
    void addEvent(const hs::RunEvent &event);
    /// Shades every other phase on all plots (`starts`: the phases' start times after the first).
    void setPhaseStarts(const std::vector<double> &starts);
    /// The run's phases so far (Engine::phasesUpdated): the live theory's input. Adds a point to
    /// each domain's predicted queue line, a gap where no model applies.
    void addPhases(const std::vector<hs::PhaseResult> &phases);

protected:
    void changeEvent(QEvent *event) override;

private:
    void addDomainSeries(DomainKind d);
    void recolor();

    LivePlot *m_queue = nullptr;
    LivePlot *m_starvation = nullptr;
    LivePlot *m_latency = nullptr;
    LivePlot *m_throughput = nullptr;
    Scenario m_scenario;
    std::array<int, kDomainCount> m_queueSeries {};
    std::array<int, kDomainCount> m_throughputSeries {};
    std::array<int, kDomainCount> m_utilizationSeries {};
    std::array<int, kDomainCount> m_starvedSeries {};
    std::array<int, kDomainCount> m_workersSeries {};
    std::array<int, kDomainCount> m_predictedSeries {};
    LiveTheory m_theory;
    int m_loopLagSeries = -1;
    std::vector<int> m_latencySeries;
    std::vector<int> m_gilSeries; // empty until the GIL is on
    int m_frames = 0;
    QString m_mark;
    // The settings the events change, as of the last event (for "before → after" labels).
    std::array<DomainConfig, kDomainCount> m_settings {};
    std::vector<std::pair<QString, DomainKind>> m_routes;
    static constexpr std::size_t kUtilizationFrames = 20; // 1 s of frames
    std::array<std::deque<double>, kDomainCount> m_recentUtilization;
};

} // namespace hs
