#include "enginecontroller.h"

#include "run/engine.h"

#include <QDeadlineTimer>
#include <QThread>

namespace hs {

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
    post([enabled](Worker &w) {
        if (w.engine)
            w.engine->setGil(enabled);
    });
}

void EngineController::reassign(const QString &key, DomainKind d)
{
    if (m_state == State::Idle)
        return;
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

} // namespace hs
