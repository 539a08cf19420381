#pragma once

#include "core/frame.h"
#include "results/runresult.h"
#include "scenario/scenario.h"
#include "sim/simulator.h"

#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QJsonObject>
#include <QObject>
#include <QTimer>

#include <memory>

namespace hs {

/**
 * The GUI's Simulate mode (DESIGN §12 in the window): simulate() of a scenario off the GUI thread
 * (QtConcurrent; well under a second for a minute of virtual time), then its frames and events
 * played back at `speed` times virtual time, as an EngineController relays a real run's, so the
 * same plots, cards, class table and findings show it. Stop skips the rest of the replay (the
 * result is whole already); discard() drops it (another scenario, a restart).
 *
 *     SimPlayer player;
 *     connect(&player, &SimPlayer::frameReady, plots, &LivePlots::addFrame);
 *     player.setSpeed(10);
 *     player.start(scenario, SimOptions { 64 });   // simulated(), the frames, then finished()
 */
class SimPlayer : public QObject {
    Q_OBJECT
public:
    enum class State { Idle, Simulating, Playing, Paused };
    Q_ENUM(State)
    /// The cores a simulation may give its cpu stages.
    static constexpr int kMaxCores = 1024;
    /// Playback steps this often (the engine's frames come at 20 Hz).
    static constexpr int kTickMs = 50;
    /// Frames at most in one go (at max speed, as many goes as fit in half a step).
    static constexpr int kMaxFramesPerTick = 64; ///< 50× needs 50 a step

    explicit SimPlayer(QObject *parent = nullptr);
    /// A simulation still computing finishes on its own thread and is dropped (it holds copies only).
    ~SimPlayer() override;

    /// Simulates `scenario` with `options` (cores 1..kMaxCores, the machine's costs); false (and
    /// nothing happens) while one is active or the cores are out of range.
    bool start(const Scenario &scenario, const SimOptions &options);
    /// Virtual seconds per wall second; 0: as fast as the window takes the frames. Applies at once.
    void setSpeed(double speed);
    double speed() const { return m_speed; }
    void setPaused(bool paused);
    /// Skips the rest of the replay: every frame and event left, then finished().
    void stop();
    /// Drops the simulation: nothing more is emitted.
    void discard();

    State state() const { return m_state; }
    bool isActive() const { return m_state != State::Idle; }
    /// The virtual time played so far.
    double position() const { return m_position; }
    /// Virtual seconds of the run being played (its frames' span), 0 before the result is in.
    double length() const;
    /// The simulated run (valid from simulated()).
    const RunResult &result() const { return m_result; }
    bool hasResult() const { return m_hasResult; }
    /// `simulation` of the run JSON: {cores, reps, events, events_per_s, wall_s, calibration}.
    const QJsonObject &simulation() const { return m_result.simulation; }
    int cores() const { return m_options.cores; }
    /// Where the costs came from (SimCosts::source).
    QString calibration() const { return m_options.costs.source; }

Q_SIGNALS:
    /// The simulation is computed; the replay starts.
    void simulated();
    void frameReady(const hs::Frame &frame);
    void eventAdded(const hs::RunEvent &event);
    /// Every frame and event has been played; result() is what the window now holds.
    void finished();
    void stateChanged(hs::SimPlayer::State state);

private:
    struct Outcome {
        RunResult result;
        SimStats stats;
    };
    void onComputed();
    void step();
    /// Emits the frames (and the events before them) up to virtual time `until`, at most `limit`.
    void playUntil(double until, int limit);
    void setState(State state);
    /// Lets the watcher go later: it may be emitting (a simulation still running is dropped).
    void dropWatcher();

    State m_state = State::Idle;
    double m_speed = 10;
    SimOptions m_options;
    quint64 m_job = 0; ///< the simulation whose outcome is wanted; older ones are dropped
    std::unique_ptr<QFutureWatcher<Outcome>> m_watcher;
    RunResult m_result;
    bool m_hasResult = false;
    std::size_t m_nextFrame = 0;
    std::size_t m_nextEvent = 0;
    double m_position = 0;
    QTimer m_timer;
    QElapsedTimer m_wall;
};

} // namespace hs
