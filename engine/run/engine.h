#pragma once

#include "core/frame.h"
#include "domains/domain.h"
#include "results/phases.h"
#include "results/runresult.h"
#include "scenario/scenario.h"

#include <QObject>
#include <QStringList>

#include <memory>

namespace hs {

struct EngineOptions {
    EngineOptions() = default;
    explicit EngineOptions(double drain)
        : drainSeconds(drain)
    { }

    double drainSeconds = 5.0; ///< after arrivals stop, how long in-flight tasks may finish
    /// procs: the hybridscope-worker to run; empty: $HS_WORKER, else the one next to the executable.
    QString workerPath;
    /// procs: extra worker arguments (tests inject faults with the worker's hidden --selftest-* modes).
    QStringList workerArgs;
    /// procs: checksum every payload on both sides of the transfer (tests).
    bool verifyPayloads = false;
    /// Record a span per stage for the trace export (RunResult::trace); bounded, see TraceRecorder.
    bool trace = true;
    /// Cap on stages queued across all domains (beyond it: rejected); -1: derived from memory
    /// (defaultQueueCap), 0: none.
    std::int64_t queueCap = -1;
    /// The first phase's figures start this many seconds into the run instead of at the start
    /// (a sweep's warm-up: RunResult::phases[0] then covers [warmup, end of arrivals]). 0: none.
    double warmupSeconds = 0;
};

/**
 * Runs a scenario for real: starts the domains, the router, the load generator, the latency
 * server and a monitor thread that takes a Frame 20 times a second. Every task ends exactly
 * once. Commands (resize, reassign, backpressure, stop) never block on the engine's work.
 * Frames and events arrive through queued signals; finished() fires once, after shutdown.
 *
 *     Engine e(scenario);
 *     QObject::connect(&e, &Engine::finished, &app, &QCoreApplication::quit);
 *     e.start(&error);
 *     app.exec();
 *     RunResult r = e.result();
 */
class Engine : public QObject {
    Q_OBJECT
public:
    explicit Engine(Scenario scenario, EngineOptions options = {}, QObject *parent = nullptr);
    ~Engine() override;

    bool start(QString *error);
    /// Graceful: stop arrivals, drain (bounded by drainSeconds), cancel the rest.
    void requestStop();
    /// Skip the drain: cancel everything in flight now.
    void cancelNow();
    bool isRunning() const;
    bool isFinished() const;

    /// A user's resize (also a lesson step's): an event and a new phase. An autoscaled domain's
    /// controller goes on from the new size.
    bool resize(DomainKind d, int workers, QString *error = nullptr);
    /// DESIGN §13: a pool's autoscale policy, also while running (policy off: the size stays where
    /// it is). Adds an event and starts a phase when it changes. Refused for loop and for bounds
    /// outside 1..4096 or max < min.
    bool setAutoscale(DomainKind d, const AutoscaleConfig &cfg, QString *error = nullptr);
    AutoscaleConfig autoscale(DomainKind d) const;
    bool setBackpressure(DomainKind d, const Backpressure &bp, QString *error = nullptr);
    bool reassign(const QString &key, DomainKind d, QString *error = nullptr);
    DomainKind routeOf(const QString &key) const;
    /// GIL emulation on or off (DESIGN §3), also while running: cpu stages that start afterwards follow it,
    /// in every worker process too. Adds a run event when it changes.
    void setGil(bool enabled);
    bool gilEnabled() const;

    const Scenario &scenario() const;
    /// Seconds since start.
    double elapsed() const;
    /// Frames so far (a copy).
    std::vector<Frame> frames() const;
    /// The whole run's figures; complete once finished() was emitted.
    RunResult result() const;
    /// The phases so far (results/phases.h): closed ones, and the open one up to now.
    std::vector<PhaseResult> phases() const;
    /// Every counter and histogram since the start (results/phases.h), frozen at the end of the
    /// run: what a /metrics scrape reads. Snapshots only (no frames copied, nothing diagnosed), so
    /// it is cheap; any thread, once start() has returned. Empty before the start.
    RunCumulative cumulative() const;
    /// The configuration in effect now: the scenario with every live change so far applied (the
    /// open phase's). Any thread.
    std::shared_ptr<const Scenario> currentConfig() const;

Q_SIGNALS:
    void frameReady(const hs::Frame &frame);
    void eventAdded(const hs::RunEvent &event);
    /// Every phase so far, twice a second and at every change (closed ones final, the last open).
    void phasesUpdated(const std::vector<hs::PhaseResult> &phases);
    void finished();

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace hs
