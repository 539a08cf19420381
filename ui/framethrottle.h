#pragma once

#include "core/frame.h"

#include <QTimer>

#include <functional>
#include <utility>

namespace hs {

/**
 * Keeps the newest of the frames that arrive 20 times a second and hands it on at most once per
 * `intervalMs`: a table model repaints at that pace however fast frames come, and always shows
 * the last one. Lives on the GUI thread with its owner.
 *
 *     FrameThrottle m_throttle { 50, [this](const Frame &f) { apply(f); } };
 *     m_throttle.offer(frame); // from addFrame()
 *     m_throttle.flush();      // now, e.g. when the run ends
 */
class FrameThrottle {
public:
    FrameThrottle(int intervalMs, std::function<void(const Frame &)> apply)
        : m_apply(std::move(apply))
    {
        m_timer.setSingleShot(true);
        m_timer.setInterval(intervalMs);
        QObject::connect(&m_timer, &QTimer::timeout, [this] { flush(); });
    }
    FrameThrottle(const FrameThrottle &) = delete;
    FrameThrottle &operator=(const FrameThrottle &) = delete;

    void offer(const Frame &frame)
    {
        m_pending = frame;
        m_hasPending = true;
        if (!m_timer.isActive())
            m_timer.start();
    }
    /// Hands on the pending frame now, if there is one.
    void flush()
    {
        m_timer.stop();
        if (!std::exchange(m_hasPending, false))
            return;
        m_apply(m_pending);
    }
    /// Forgets the pending frame (a new scenario).
    void drop()
    {
        m_timer.stop();
        m_hasPending = false;
    }

private:
    std::function<void(const Frame &)> m_apply;
    QTimer m_timer;
    Frame m_pending;
    bool m_hasPending = false;
};

} // namespace hs
