#include "enginecontroller.h"

#include "remoterun.h"
#include "run/engine.h"
#include "scenario/scenarioparser.h"

#include <QDeadlineTimer>
#include <QThread>

namespace hs {

namespace {
// "a reason" -> "A reason." (one that ends in a question or a stop keeps it).
QString asSentence(const QString &text)
{
    if (text.isEmpty())
        return text;
    QString s = text.at(0).toUpper() + text.mid(1);
    if (!s.endsWith(QLatin1Char('.')) && !s.endsWith(QLatin1Char('?')) && !s.endsWith(QLatin1Char('!')))
        s += QLatin1Char('.');
    return s;
}
} // namespace

// Lives on the control thread; only code posted there touches `engine`.
class EngineController::Worker : public QObject {
public:
    std::unique_ptr<Engine> engine;
};

EngineController::EngineController(QObject *parent)
    : QObject(parent)
    , m_thread(new QThread)
    , m_worker(new Worker)
{
    m_thread->setObjectName(QStringLiteral("hs-gui-control"));
    m_worker->moveToThread(m_thread);
    m_thread->start();
}

EngineController::~EngineController()
{
    interruptStart(true);
    post([](Worker &w) {
        if (w.engine) {
            w.engine->cancelNow();
            w.engine.reset(); // joins the engine's threads
        }
    });
    m_thread->quit();
    if (m_thread->wait(QDeadlineTimer(kTeardownBoundMs))) {
        delete m_worker;
        delete m_thread;
    } else {
        // The engine did not come back within its own bounds; leave its thread to the process
        // exit rather than destroy objects it is still using.
        qWarning("hybridscope: the engine did not shut down within %d ms", kTeardownBoundMs);
    }
}

void EngineController::post(std::function<void(Worker &)> fn)
{
    Worker *w = m_worker;
    QMetaObject::invokeMethod(
        m_worker, [w, fn = std::move(fn)] { fn(*w); }, Qt::QueuedConnection);
}

bool EngineController::start(const Scenario &scenario)
{
    if (m_state != State::Idle)
        return false;
    if (m_remote) { // a remote run ended or detached: this one runs here
        m_remote->deleteLater();
        m_remote = nullptr;
    }
    m_state = State::Starting;
    m_hasResult = false;
    const quint64 id = ++m_runId;
    post([this, id, scenario](Worker &w) {
        auto engine = std::make_unique<Engine>(scenario);
        Engine *e = engine.get();
        // Relays run on the GUI thread (context `this`), where m_runId is read: stale runs drop out.
        connect(
            e, &Engine::frameReady, this,
            [this, id](const Frame &f) {
                if (id == m_runId)
                    Q_EMIT frameReady(f);
            },
            Qt::QueuedConnection);
        connect(
            e, &Engine::eventAdded, this,
            [this, id](const RunEvent &ev) {
                if (id == m_runId)
                    Q_EMIT eventAdded(ev);
            },
            Qt::QueuedConnection);
        connect(
            e, &Engine::phasesUpdated, this,
            [this, id](const std::vector<PhaseResult> &phases) {
                if (id == m_runId)
                    Q_EMIT phasesUpdated(phases);
            },
            Qt::QueuedConnection);
        // Queued so that the engine is not destroyed inside its own signal.
        connect(
            e, &Engine::finished, &w,
            [this, &w, id] {
                if (!w.engine)
                    return;
                RunResult result = w.engine->result();
                w.engine.reset();
                QMetaObject::invokeMethod(
                    this,
                    [this, id, r = std::move(result)]() mutable {
                        m_state = State::Idle; // one engine at a time: whatever its run, it is gone now
                        if (id == m_runId) {
                            m_result = std::move(r);
                            m_hasResult = true;
                            Q_EMIT finished();
                        }
                        Q_EMIT engineReleased();
                    },
                    Qt::QueuedConnection);
            },
            Qt::QueuedConnection);

        QString error;
        {
            std::lock_guard lk(m_startingMutex);
            m_starting = e;
        }
        const bool ok = e->start(&error);
        {
            std::lock_guard lk(m_startingMutex);
            m_starting = nullptr;
        }
        if (!ok) {
            engine.reset();
            QMetaObject::invokeMethod(
                this,
                [this, id, error] {
                    m_state = State::Idle;
                    if (id == m_runId)
                        Q_EMIT startFailed(error);
                    Q_EMIT engineReleased();
                },
                Qt::QueuedConnection);
            return;
        }
        w.engine = std::move(engine);
        QMetaObject::invokeMethod(
            this,
            [this, id] {
                if (id != m_runId)
                    return;
                if (m_state == State::Starting)
                    m_state = State::Running;
                Q_EMIT started();
            },
            Qt::QueuedConnection);
    });
    return true;
}

void EngineController::interruptStart(bool cancel)
{
    std::lock_guard lk(m_startingMutex);
    if (!m_starting)
        return;
    if (cancel)
        m_starting->cancelNow();
    else
        m_starting->requestStop();
}

void EngineController::requestStop()
{
    if (m_state == State::Idle)
        return;
    if (m_remote) {
        if (m_state == State::Starting) { // no hello yet: nothing to stop, only an attempt to attach
            detach();
            return;
        }
        m_state = State::Stopping;
        LiveCommand c;
        c.type = LiveCommand::Type::Stop;
        sendRemote(c);
        return;
    }
    m_state = State::Stopping;
    interruptStart(false);
    post([](Worker &w) {
        if (w.engine)
            w.engine->requestStop();
    });
}

void EngineController::cancelNow()
{
    if (m_state == State::Idle)
        return;
    if (m_remote) { // the protocol has no cancel, and a window letting go must not end the run
        detach();
        return;
    }
    m_state = State::Stopping;
    interruptStart(true);
    post([](Worker &w) {
        if (w.engine)
            w.engine->cancelNow();
    });
}

void EngineController::discard()
{
    if (m_state == State::Idle)
        return;
    ++m_runId; // frames, events and the result of this run no longer match
    cancelNow();
}

void EngineController::resize(DomainKind d, int workers)
{
    if (m_state == State::Idle)
        return;
    if (m_remote) {
        LiveCommand c;
        c.type = LiveCommand::Type::Resize;
        c.domain = d;
        c.workers = workers;
        sendRemote(c);
        return;
    }
    const quint64 id = m_runId;
    post([this, id, d, workers](Worker &w) {
        QString error;
        if (!w.engine || w.engine->resize(d, workers, &error))
            return;
        QMetaObject::invokeMethod(
            this,
            [this, id, d, error] {
                if (id == m_runId)
                    Q_EMIT domainCommandFailed(d, error);
            },
            Qt::QueuedConnection);
    });
}

void EngineController::setBackpressure(DomainKind d, const Backpressure &bp)
{
    if (m_state == State::Idle)
        return;
    if (m_remote) {
        LiveCommand c;
        c.type = LiveCommand::Type::Backpressure;
        c.domain = d;
        c.backpressure = bp;
        sendRemote(c);
        return;
    }
    const quint64 id = m_runId;
    post([this, id, d, bp](Worker &w) {
        QString error;
        if (!w.engine || w.engine->setBackpressure(d, bp, &error))
            return;
        QMetaObject::invokeMethod(
            this,
            [this, id, d, error] {
                if (id == m_runId)
                    Q_EMIT domainCommandFailed(d, error);
            },
            Qt::QueuedConnection);
    });
}

void EngineController::setAutoscale(DomainKind d, const AutoscaleConfig &cfg)
{
    if (m_state == State::Idle)
        return;
    if (m_remote) {
        LiveCommand c;
        c.type = LiveCommand::Type::Autoscale;
        c.domain = d;
        c.autoscale = cfg;
        sendRemote(c);
        return;
    }
    const quint64 id = m_runId;
    post([this, id, d, cfg](Worker &w) {
        if (!w.engine)
            return;
        QString error;
        const bool ok = w.engine->setAutoscale(d, cfg, &error);
        const AutoscaleConfig now = w.engine->autoscale(d);
        QMetaObject::invokeMethod(
            this,
            [this, id, d, ok, now, error] {
                if (id != m_runId)
                    return;
                if (ok)
                    Q_EMIT autoscaleApplied(d, now);
                else
                    Q_EMIT domainCommandFailed(d, error);
            },
            Qt::QueuedConnection);
    });
}

void EngineController::setGil(bool enabled)
{
    if (m_state == State::Idle)
        return;
    if (m_remote) {
        LiveCommand c;
        c.type = LiveCommand::Type::Gil;
        c.gilEnabled = enabled;
        sendRemote(c);
        return;
    }
    post([enabled](Worker &w) {
        if (w.engine)
            w.engine->setGil(enabled);
    });
}

void EngineController::reassign(const QString &key, DomainKind d)
{
    if (m_state == State::Idle)
        return;
    if (m_remote) {
        LiveCommand c;
        c.type = LiveCommand::Type::Reassign;
        c.key = key;
        c.domain = d;
        sendRemote(c);
        return;
    }
    const quint64 id = m_runId;
    post([this, id, key, d](Worker &w) {
        QString error;
        if (!w.engine || w.engine->reassign(key, d, &error))
            return;
        const DomainKind previous = w.engine->routeOf(key);
        QMetaObject::invokeMethod(
            this,
            [this, id, key, previous, error] {
                if (id == m_runId)
                    Q_EMIT reassignFailed(key, previous, error);
            },
            Qt::QueuedConnection);
    });
}

bool EngineController::attach(const AttachTarget &target)
{
    if (m_state != State::Idle)
        return false;
    if (m_remote)
        m_remote->deleteLater(); // may be inside one of its signals
    auto *r = new RemoteRun(target, this);
    m_remote = r;
    m_remoteAddress = target.address();
    m_remoteEnd.clear();
    m_pending.clear();
    m_remoteRoutes.clear();
    m_hasResult = false;
    m_state = State::Starting;
    ++m_runId;
    connect(r, &RemoteRun::helloReceived, this, [this, r](const LiveHello &hello, bool newRun) {
        if (r == m_remote)
            onRemoteHello(hello, newRun);
    });
    connect(r, &RemoteRun::frameReceived, this, [this, r](const Frame &f) {
        if (r == m_remote && m_state != State::Idle)
            Q_EMIT frameReady(f);
    });
    connect(r, &RemoteRun::eventReceived, this, [this, r](const RunEvent &e) {
        if (r == m_remote && m_state != State::Idle)
            Q_EMIT eventAdded(e);
    });
    connect(r, &RemoteRun::ackReceived, this,
        [this, r](const QJsonValue &id, bool ok, const QString &command, const QString &error) {
            if (r == m_remote && m_state != State::Idle)
                onRemoteAck(id, ok, command, error);
        });
    connect(r, &RemoteRun::ended, this, [this, r](const QString &reason, double) {
        if (r != m_remote || m_state == State::Idle)
            return;
        m_remoteEnd = reason;
        endRemote();
        Q_EMIT finished();
        Q_EMIT engineReleased();
    });
    connect(r, &RemoteRun::connectionLost, this, [this, r](const QString &why, int retryInMs) {
        if (r != m_remote || m_state == State::Idle)
            return;
        // Commands not answered: whether they were applied shows in the next hello's configuration.
        m_pending.clear();
        Q_EMIT remoteConnection(false,
            tr("%1 Retrying in %2 s… (File ▸ Detach lets go; the remote run goes on)")
                .arg(asSentence(why))
                .arg(retryInMs / 1000.0),
            false);
    });
    connect(r, &RemoteRun::failed, this, [this, r](const QString &why) {
        if (r != m_remote || m_state == State::Idle)
            return;
        const bool started = m_state != State::Starting;
        endRemote();
        if (started)
            Q_EMIT remoteConnection(false, why, true);
        else
            Q_EMIT startFailed(why);
        Q_EMIT engineReleased();
    });
    connect(r, &RemoteRun::malformedMessage, this, [this, r](const QString &what, int count) {
        if (r == m_remote)
            Q_EMIT remoteNotice(tr("A malformed message from %1 was skipped (%2 so far): %3")
                                    .arg(m_remoteAddress)
                                    .arg(count)
                                    .arg(what));
    });
    r->open();
    return true;
}

void EngineController::detach()
{
    if (!m_remote || m_state == State::Idle)
        return;
    m_remote->detach();
    endRemote();
    // Queued, as an engine's release is: callers finish what they do first.
    QMetaObject::invokeMethod(
        this, [this] { Q_EMIT engineReleased(); }, Qt::QueuedConnection);
}

void EngineController::endRemote()
{
    m_state = State::Idle;
    m_pending.clear();
}

bool EngineController::isConnected() const
{
    return isRemote() && m_remote->state() == RemoteRun::State::Live;
}

quint64 EngineController::remoteDroppedFrames() const
{
    return m_remote ? m_remote->droppedFrames() : 0;
}

int EngineController::remoteMalformed() const
{
    return m_remote ? m_remote->malformedCount() : 0;
}

void EngineController::onRemoteHello(const LiveHello &hello, bool newRun)
{
    const ParseResult parsed
        = ScenarioParser::parseText(hello.scenarioYaml.toUtf8(), QStringLiteral("ws://%1/live").arg(m_remoteAddress));
    if (!parsed.ok()) {
        const QString why = tr("the scenario %1 runs does not load here: %2 (is it another hybridscope version?)")
                                .arg(m_remoteAddress, parsed.errors.front().toString());
        const bool started = m_state != State::Starting;
        m_remote->detach();
        endRemote();
        if (started)
            Q_EMIT remoteConnection(false, why, true);
        else
            Q_EMIT startFailed(why);
        Q_EMIT engineReleased();
        return;
    }
    Scenario scenario = *parsed.scenario;
    scenario.duration = hello.durationS; // the run's, whatever the command line made of the file's
    m_remoteRoutes.clear();
    for (const TaskClass &c : scenario.classes)
        for (const Stage &st : c.stages)
            m_remoteRoutes[c.name + QLatin1Char('.') + st.name] = st.domain;
    const QByteArray yaml = hello.scenarioYaml.toUtf8();
    if (newRun) {
        m_state = State::Running;
        Q_EMIT remoteScenario(scenario, yaml, true);
        Q_EMIT started();
    } else {
        Q_EMIT remoteScenario(scenario, yaml, false);
    }
    Q_EMIT remoteConnection(true, {}, false);
    // What the window missed, in the order a live run shows it; a handler may detach meanwhile.
    const quint64 id = m_runId;
    std::size_t e = 0;
    for (const Frame &f : hello.frames) {
        for (; e < hello.events.size() && hello.events[e].t <= f.t && id == m_runId && m_state != State::Idle; ++e)
            Q_EMIT eventAdded(hello.events[e]);
        if (id != m_runId || m_state == State::Idle)
            return;
        Q_EMIT frameReady(f);
    }
    for (; e < hello.events.size() && id == m_runId && m_state != State::Idle; ++e)
        Q_EMIT eventAdded(hello.events[e]);
}

void EngineController::sendRemote(LiveCommand command)
{
    const PendingCommand pending { command.type, command.domain, command.key, command.autoscale };
    QString error;
    const QJsonValue id = m_remote->send(std::move(command), &error);
    if (id.isDouble()) {
        m_pending[qint64(id.toDouble())] = pending;
        return;
    }
    // Told later, as a local engine's refusal is: the caller is often still in the control's signal.
    const quint64 run = m_runId;
    QMetaObject::invokeMethod(
        this,
        [this, run, pending, error] {
            if (run == m_runId)
                remoteRefused(pending, error);
        },
        Qt::QueuedConnection);
}

void EngineController::onRemoteAck(const QJsonValue &id, bool ok, const QString &command, const QString &error)
{
    const auto it = id.isDouble() ? m_pending.find(qint64(id.toDouble())) : m_pending.end();
    if (it == m_pending.end()) {
        if (!ok) // not a command of this window's (or from before a reconnect)
            Q_EMIT remoteNotice(
                tr("%1 refused a message%2: %3")
                    .arg(m_remoteAddress, command.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(command), error));
        return;
    }
    const PendingCommand c = it->second;
    m_pending.erase(it);
    if (!ok) {
        remoteRefused(c, error.isEmpty() ? tr("refused by the remote engine") : error);
        return;
    }
    if (c.type == LiveCommand::Type::Autoscale)
        Q_EMIT autoscaleApplied(c.domain, c.autoscale);
    else if (c.type == LiveCommand::Type::Reassign)
        m_remoteRoutes[c.key] = c.domain;
}

void EngineController::remoteRefused(const PendingCommand &c, const QString &error)
{
    switch (c.type) {
    case LiveCommand::Type::Resize:
    case LiveCommand::Type::Backpressure:
    case LiveCommand::Type::Autoscale: Q_EMIT domainCommandFailed(c.domain, error); break;
    case LiveCommand::Type::Reassign: {
        const auto route = m_remoteRoutes.find(c.key);
        Q_EMIT reassignFailed(c.key, route != m_remoteRoutes.end() ? route->second : c.domain, error);
        break;
    }
    case LiveCommand::Type::Gil: Q_EMIT remoteNotice(tr("GIL emulation did not change: %1").arg(error)); break;
    case LiveCommand::Type::Stop: Q_EMIT remoteNotice(tr("The remote run was not stopped: %1").arg(error)); break;
    }
}

} // namespace hs
