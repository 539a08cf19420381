#pragma once

#include "core/latencyhistogram.h"

#include <QObject>
#include <QTimer>

#include <cstdint>

namespace hs {

/**
 * Measures the GUI's own event-loop lag: a heartbeat on the GUI thread, scheduled against
 * absolute deadlines, records how late each beat ran. Beats missed during a stall are recorded
 * too (each with its own lateness), so a long stall weighs as much as it hurt.
 *
 *     LagMonitor lag;
 *     lag.setLogInterval(5000);   // --verbose: one line every 5 s on stderr
 *     lag.start();
 *     double p99 = lag.total().percentile(0.99) / 1e6;   // ms
 */
class LagMonitor : public QObject {
    Q_OBJECT
public:
    explicit LagMonitor(int periodMs = 10, QObject *parent = nullptr);

    void start();
    void stop();
    bool isActive() const { return m_timer.isActive(); }
    /// Logs the lag of the last interval and of the session, and the GUI thread's CPU share, to
    /// stderr; 0 turns logging off.
    void setLogInterval(int ms);
    /// Every lateness since start(), in ns.
    HistogramSnapshot total() const { return m_hist.snapshot(); }
    int periodMs() const { return m_periodMs; }

Q_SIGNALS:
    /// About once a second: P99 and max of the lag over the last second, in ms.
    void updated(double p99Ms, double maxMs);

private:
    void beat();
    void arm();
    void logNow();

    const int m_periodMs;
    QTimer m_timer;
    QTimer m_logTimer;
    std::int64_t m_deadlineNs = 0;
    std::int64_t m_lastUpdateNs = 0;
    LatencyHistogram m_hist;
    HistogramSnapshot m_lastUpdate;
    HistogramSnapshot m_lastLog;
    std::int64_t m_lastLogNs = 0;
    std::int64_t m_lastLogCpuNs = 0; // CPU time of the GUI thread at the last log line
};

} // namespace hs
