#include "simplayer.h"

#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

namespace hs {

SimPlayer::SimPlayer(QObject *parent)
    : QObject(parent)
{
    m_timer.setInterval(kTickMs);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &SimPlayer::step);
}

SimPlayer::~SimPlayer() = default;

bool SimPlayer::start(const Scenario &scenario, const SimOptions &options)
{
    if (m_state != State::Idle || options.cores < 1 || options.cores > kMaxCores)
        return false;
    m_options = options;
    m_hasResult = false;
    m_result = RunResult {};
    m_nextFrame = m_nextEvent = 0;
    m_position = 0;
    const quint64 job = ++m_job;
    dropWatcher();
    m_watcher = std::make_unique<QFutureWatcher<Outcome>>();
    connect(m_watcher.get(), &QFutureWatcherBase::finished, this, [this, job] {
        if (job == m_job)
            onComputed();
    });
    setState(State::Simulating);
    // Copies only: a discarded simulation may finish after this player is gone.
    m_watcher->setFuture(QtConcurrent::run([scenario, options] {
        Outcome o;
        o.result = simulate(scenario, options, &o.stats);
        return o;
    }));
    return true;
}

void SimPlayer::onComputed()
{
    const Outcome o = m_watcher->result();
    dropWatcher(); // this runs in its finished(): deleted once that returns
    m_result = o.result;
    m_hasResult = true;
    Q_EMIT simulated();
    if (m_state != State::Simulating)
        return; // paused while computing: the replay waits for setPaused(false)
    setState(State::Playing);
    m_wall.start();
    m_timer.start();
    step(); // the first frames at once
}

double SimPlayer::length() const
{
    return m_hasResult && !m_result.frames.empty() ? m_result.frames.back().t : 0.0;
}

void SimPlayer::setSpeed(double speed)
{
    // From now on at the new speed: the time played so far stays where it is.
    if (m_state == State::Playing)
        step();
    m_speed = std::max(0.0, speed);
    m_wall.restart();
}

void SimPlayer::setPaused(bool paused)
{
    if (paused && m_state == State::Playing) {
        step(); // up to now, then hold
        m_timer.stop();
        setState(State::Paused);
    } else if (paused && m_state == State::Simulating) {
        setState(State::Paused);
    } else if (!paused && m_state == State::Paused) {
        if (!m_hasResult) {
            setState(State::Simulating);
            return;
        }
        setState(State::Playing);
        m_wall.restart();
        m_timer.start();
    }
}

void SimPlayer::stop()
{
    if (m_state == State::Idle)
        return;
    if (!m_hasResult) {
        discard(); // nothing to show yet
        return;
    }
    m_timer.stop();
    playUntil(length(), int(m_result.frames.size()));
    if (m_state != State::Idle)
        step();
}

void SimPlayer::discard()
{
    ++m_job;
    dropWatcher();
    m_timer.stop();
    setState(State::Idle);
}

void SimPlayer::step()
{
    if (!m_hasResult || m_state == State::Idle)
        return;
    if (m_state == State::Playing) {
        const double elapsed = double(m_wall.nsecsElapsed()) / 1e9;
        m_wall.restart();
        if (m_speed > 0) {
            playUntil(m_position + elapsed * m_speed, kMaxFramesPerTick);
        } else {
            // As fast as the window takes them: frames for up to half a step, then the events
            // (paints, input) get the other half.
            QElapsedTimer busy;
            busy.start();
            while (m_state == State::Playing && m_nextFrame < m_result.frames.size() && busy.elapsed() < kTickMs / 2)
                playUntil(length(), kMaxFramesPerTick);
        }
        if (m_state == State::Idle)
            return; // a slot discarded the replay
    }
    if (m_nextFrame < m_result.frames.size())
        return;
    // The events after the last frame (e.g. a drain's cancellations), then the end.
    while (m_nextEvent < m_result.events.size())
        Q_EMIT eventAdded(m_result.events[m_nextEvent++]);
    m_position = length();
    m_timer.stop();
    setState(State::Idle);
    Q_EMIT finished();
}

void SimPlayer::playUntil(double until, int limit)
{
    const std::vector<Frame> &frames = m_result.frames;
    const std::vector<RunEvent> &events = m_result.events;
    for (int n = 0; n < limit && m_nextFrame < frames.size() && frames[m_nextFrame].t <= until; ++n) {
        const Frame &f = frames[m_nextFrame++];
        // An event comes before the frame that first shows its effect, as the engine sends them.
        while (m_nextEvent < events.size() && events[m_nextEvent].t <= f.t)
            Q_EMIT eventAdded(events[m_nextEvent++]);
        Q_EMIT frameReady(f);
        m_position = f.t;
        if (m_state == State::Idle)
            return; // a slot discarded the replay
    }
    // Held back by the frame limit, the clock stays with the frames shown (no jump afterwards).
    if (m_nextFrame < frames.size() && frames[m_nextFrame].t <= until)
        return;
    m_position = std::max(m_position, std::min(until, length()));
}

void SimPlayer::dropWatcher()
{
    if (m_watcher)
        m_watcher.release()->deleteLater();
}

void SimPlayer::setState(State state)
{
    if (state == m_state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

} // namespace hs
