#pragma once

#include "core/frame.h"
#include "domains/domain.h"
#include "results/runresult.h"
#include "scenario/scenario.h"
#include "serve/liveprotocol.h"

#include <QObject>
#include <QString>

#include <QJsonValue>

#include <functional>
#include <map>
#include <memory>
#include <mutex>

class QThread;

namespace hs {

class Engine;
class RemoteRun;
struct AttachTarget;

/**
 * Owns the Engine of the GUI on a dedicated control thread, so that the GUI thread never calls
 * into the engine: start, every command (resize, autoscale, reassign, backpressure, stop) and the final
 * teardown (which joins the engine's threads) run there, and their outcomes come back as queued
 * signals. Frames and events of a run are relayed with the run's id; those of an older run are
 * dropped (a restart never mixes runs).
 *
 *     EngineController c;
 *     connect(&c, &EngineController::frameReady, plots, &LivePlots::addFrame);
 *     c.start(scenario);             // started() or startFailed() follows
 *     c.resize(DomainKind::Threads, 16);
 *     c.setAutoscale(DomainKind::Threads, AutoscaleConfig { AutoscalePolicy::Gradient, 1, 32 });
 *     c.cancelNow();                 // engineReleased() once its threads are gone
 *
 * Attached (DESIGN §14, docs/serve.md): attach() follows a run served by another hybridscope
 * (`run … --serve`) through a RemoteRun instead of an engine of its own. The same signals come,
 * so the window drives a remote run as it does a local one: remoteScenario() and started() on the
 * hello, its recent frames and events replayed, then every frame and event; the commands go as
 * messages and refused ones (their acks) come back as the same failure signals; the run's end is
 * finished() and engineReleased(). A remote run has no RunResult here (hasResult() stays false:
 * what was received is all there is) and no phases (they need the engine's histograms).
 * cancelNow() and discard() detach: the remote run goes on.
 *
 *     c.attach(*AttachTarget::parse(QStringLiteral("127.0.0.1:9400"), &error));
 *     c.resize(DomainKind::Threads, 8);   // {"type":"resize",...}; a refusal: domainCommandFailed()
 *     c.detach();
 */
class EngineController : public QObject {
    Q_OBJECT
public:
    enum class State { Idle, Starting, Running, Stopping };

    explicit EngineController(QObject *parent = nullptr);
    /// Cancels a run still going and waits, bounded, for the control thread to finish.
    ~EngineController() override;

    /// Starts a new engine on `scenario`. False (and nothing happens) while an engine still exists.
    bool start(const Scenario &scenario);
    /// Stop arrivals and drain (bounded by the engine), then finish.
    void requestStop();
    /// Cancel everything in flight now.
    void cancelNow();
    /// Cancel now and drop whatever the run still reports (frames, events, finished): the window
    /// has moved on (another scenario, a restart). engineReleased() still comes.
    void discard();
    void resize(DomainKind d, int workers);
    void setBackpressure(DomainKind d, const Backpressure &bp);
    /// A pool's autoscale policy and bounds (DESIGN §13), live; autoscaleApplied() tells what the
    /// engine then has, domainCommandFailed() why it refused.
    void setAutoscale(DomainKind d, const AutoscaleConfig &cfg);
    void reassign(const QString &key, DomainKind d);
    /// Switches GIL emulation on or off in the running engine (stages that start afterwards follow it).
    void setGil(bool enabled);

    /// Follows the run served at `target` (see the class comment). False (nothing happens) while
    /// an engine or another remote run is attached.
    bool attach(const AttachTarget &target);
    /// Lets go of the attached run (it goes on); engineReleased() follows.
    void detach();
    /// Attached to a remote run now (connecting, live or reconnecting).
    bool isRemote() const { return m_remote != nullptr && m_state != State::Idle; }
    /// The connection is up (attached and a hello received on the current connection).
    bool isConnected() const;
    /// "host:port" of the remote run attached now or last.
    QString remoteAddress() const { return m_remoteAddress; }
    /// Why the last remote run ended ("finished", "stopped", "cancelled"); empty while it goes.
    QString remoteEndReason() const { return m_remoteEnd; }
    /// Of the attached run: frames the server dropped for this window, messages skipped as malformed.
    quint64 remoteDroppedFrames() const;
    int remoteMalformed() const;

    State state() const { return m_state; }
    /// An engine exists (starting, running, or finishing and not yet destroyed).
    bool hasEngine() const { return m_state != State::Idle; }
    /// Id of the current (or last) run; frames and events carry it implicitly.
    quint64 runId() const { return m_runId; }
    /// The last finished run's figures (valid after finished()).
    const RunResult &lastResult() const { return m_result; }
    bool hasResult() const { return m_hasResult; }

    /// Bound on the destructor's wait for the control thread.
    static constexpr int kTeardownBoundMs = 15000;

Q_SIGNALS:
    void started();
    void startFailed(const QString &error);
    void frameReady(const hs::Frame &frame);
    void eventAdded(const hs::RunEvent &event);
    /// Every phase of the run so far (results/phases.h), twice a second and at every change.
    void phasesUpdated(const std::vector<hs::PhaseResult> &phases);
    /// A resize or backpressure change was refused, e.g. the domain is not running.
    void domainCommandFailed(hs::DomainKind domain, const QString &error);
    /// The engine took an autoscale command: `cfg` is its Engine::autoscale(domain) afterwards.
    void autoscaleApplied(hs::DomainKind domain, const hs::AutoscaleConfig &cfg);
    /// A reassignment was refused; `previous` is the route the engine still uses.
    void reassignFailed(const QString &key, hs::DomainKind previous, const QString &error);
    /// The run ended (duration reached, stopped or cancelled); lastResult() holds its figures.
    void finished();
    /// The engine is destroyed and its threads joined: a new run may start.
    void engineReleased();

    /// Attached: the run's scenario (its current configuration, lesson included; `yaml` is its
    /// text), before started() of a new run (`newRun`), and again on each reconnect (the
    /// configuration may have changed meanwhile: other windows attached to it).
    void remoteScenario(const hs::Scenario &scenario, const QByteArray &yaml, bool newRun);
    /// Attached: the connection is up (`text` empty) or down, `text` saying why and when the next
    /// attempt is. After a run has started, a failure that retrying cannot mend comes here with
    /// `up` false and `final` true, then engineReleased().
    void remoteConnection(bool up, const QString &text, bool final);
    /// Attached: something for the status bar (a malformed message skipped, a refused command
    /// that names no domain).
    void remoteNotice(const QString &text);

private:
    class Worker;
    void post(std::function<void(Worker &)> fn);
    /// Attached: a command to the remote engine, what to tell when it is refused.
    struct PendingCommand {
        LiveCommand::Type type;
        DomainKind domain = DomainKind::Threads;
        QString key;
        AutoscaleConfig autoscale;
    };
    void sendRemote(LiveCommand command);
    void onRemoteHello(const LiveHello &hello, bool newRun);
    void onRemoteAck(const QJsonValue &id, bool ok, const QString &command, const QString &error);
    /// A command refused (by the server, or unsent: not connected), as a local refusal is told.
    void remoteRefused(const PendingCommand &c, const QString &error);
    void endRemote();

    /// Stops (or cancels) an engine whose start-up is still under way; thread-safe.
    void interruptStart(bool cancel);

    QThread *m_thread = nullptr;
    Worker *m_worker = nullptr;
    State m_state = State::Idle;
    quint64 m_runId = 0;
    // The engine whose start() is under way on the control thread (start-up can take seconds with
    // many worker processes): Stop reaches it directly, since the control thread is busy.
    std::mutex m_startingMutex;
    Engine *m_starting = nullptr;
    RunResult m_result;
    bool m_hasResult = false;

    RemoteRun *m_remote = nullptr;
    QString m_remoteAddress;
    QString m_remoteEnd;
    std::map<qint64, PendingCommand> m_pending; ///< by id, until acknowledged
    std::map<QString, DomainKind> m_remoteRoutes; ///< CLASS.STAGE -> the route the remote engine has
};

} // namespace hs
