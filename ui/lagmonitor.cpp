#include "lagmonitor.h"

#include "core/clock.h"

#include <cstdio>

namespace hs {

LagMonitor::LagMonitor(int periodMs, QObject *parent)
    : QObject(parent)
    , m_periodMs(std::max(1, periodMs))
{
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::PreciseTimer);
    connect(&m_timer, &QTimer::timeout, this, &LagMonitor::beat);
    connect(&m_logTimer, &QTimer::timeout, this, &LagMonitor::logNow);
}

void LagMonitor::start()
{
    m_hist.reset();
    m_lastUpdate = m_lastLog = HistogramSnapshot{};
    m_lastUpdateNs = nowNs();
    m_deadlineNs = m_lastUpdateNs + std::int64_t(m_periodMs) * 1'000'000;
    arm();
}

void LagMonitor::stop()
{
    m_timer.stop();
    m_logTimer.stop();
}

void LagMonitor::setLogInterval(int ms)
{
    m_lastLogNs = nowNs();
    m_lastLogCpuNs = threadCpuNs();
    if (ms > 0)
        m_logTimer.start(ms);
    else
        m_logTimer.stop();
}

void LagMonitor::arm()
{
    // Round the wait up: a timer may not fire early, so the rounding adds < 1 ms of lateness.
    const std::int64_t waitNs = std::max<std::int64_t>(0, m_deadlineNs - nowNs());
    m_timer.start(int((waitNs + 999'999) / 1'000'000));
}

void LagMonitor::beat()
{
    const std::int64_t now = nowNs();
    if (now < m_deadlineNs) { // woke early (ms rounding of the platform): not a beat yet
        arm();
        return;
    }
    const std::int64_t period = std::int64_t(m_periodMs) * 1'000'000;
    while (m_deadlineNs <= now) {
        m_hist.record(now - m_deadlineNs);
        m_deadlineNs += period;
    }
    arm();
    if (now - m_lastUpdateNs >= kNsPerSec) {
        const HistogramSnapshot all = m_hist.snapshot();
        const HistogramSnapshot last = all.since(m_lastUpdate);
        m_lastUpdate = all;
        m_lastUpdateNs = now;
        Q_EMIT updated(last.percentile(0.99) / 1e6, double(last.max()) / 1e6);
    }
}

void LagMonitor::logNow()
{
    const HistogramSnapshot all = m_hist.snapshot();
    const HistogramSnapshot last = all.since(m_lastLog);
    m_lastLog = all;
    // The logger runs on the GUI thread, so this is the GUI thread's own CPU time: it tells the
    // GUI's work apart from lag caused by a machine busy with other things.
    const std::int64_t now = nowNs();
    const std::int64_t cpu = threadCpuNs();
    const double cpuShare = now > m_lastLogNs ? double(cpu - m_lastLogCpuNs) / double(now - m_lastLogNs) : 0.0;
    m_lastLogNs = now;
    m_lastLogCpuNs = cpu;
    std::fprintf(stderr,
                 "hybridscope: gui event-loop lag (last %.0f s): p50 %.2f ms, p99 %.2f ms, max %.2f ms over %llu beats; "
                 "session p99 %.2f ms, max %.2f ms; gui thread cpu %.0f %%\n",
                 m_logTimer.interval() / 1000.0, last.percentile(0.5) / 1e6, last.percentile(0.99) / 1e6,
                 double(last.max()) / 1e6, static_cast<unsigned long long>(last.count()), all.percentile(0.99) / 1e6,
                 double(all.max()) / 1e6, cpuShare * 100.0);
}

} // namespace hs
