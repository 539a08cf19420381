#include "run/generator.h"

#include "core/clock.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace hs {

Generator::Generator(const Scenario &s, Submit submit)
    : m_submit(std::move(submit))
{
    for (int i = 0; i < int(s.classes.size()); ++i)
        m_schedules.emplace_back(s, i);
    m_lastIntended.resize(m_schedules.size());
}

Generator::~Generator()
{
    stop();
    join();
}

void Generator::start(std::int64_t t0Ns, std::int64_t endNs)
{
    m_t0 = t0Ns;
    m_end = endNs;
    {
        std::lock_guard lk(m_mu);
        for (int c = 0; c < int(m_schedules.size()); ++c) {
            if (m_schedules[std::size_t(c)].isClosed()) {
                const ArrivalSchedule &a = m_schedules[std::size_t(c)];
                if (a.closedPeriod() > 0)
                    m_lastIntended[std::size_t(c)].assign(std::size_t(a.clients()), 0);
                for (int k = 0; k < a.clients(); ++k) {
                    const std::int64_t t = m_t0 + secondsToNs(a.closedFirst(k));
                    if (!m_end || t < m_end)
                        m_events.push(Event { t, c, k, t });
                }
            } else {
                scheduleNextLocked(c);
            }
        }
    }
    m_thread = std::thread([this] { run(); });
}

void Generator::stop()
{
    {
        std::lock_guard lk(m_mu);
        m_stop = true;
    }
    m_cv.notify_all();
}

void Generator::join()
{
    if (m_thread.joinable())
        m_thread.join();
}

bool Generator::quiescent()
{
    std::lock_guard lk(m_mu);
    return m_stop && !m_holding;
}

void Generator::clientDone(int cls, int client, std::int64_t nowNs)
{
    {
        std::lock_guard lk(m_mu);
        if (m_stop)
            return;
        m_returning.push_back(Event { nowNs, cls, client });
    }
    m_cv.notify_all();
}

void Generator::scheduleNextLocked(int cls)
{
    const double offset = m_schedules[std::size_t(cls)].next();
    if (!std::isfinite(offset))
        return;
    const std::int64_t t = m_t0 + secondsToNs(offset);
    if (m_end && t >= m_end)
        return;
    m_events.push(Event { t, cls, -1, t });
}

void Generator::run()
{
    prepareEngineThread("hs-generator");
    std::unique_lock lk(m_mu);
    while (!m_stop) {
        for (const Event &e : m_returning) {
            ArrivalSchedule &a = m_schedules[std::size_t(e.cls)];
            const double think = a.thinkTime();
            std::int64_t t = e.t + secondsToNs(think);
            std::int64_t intended = t;
            if (const double period = a.closedPeriod(); period > 0) {
                // wrk2's model: intended one period after the client's previous intended request,
                // sent once the previous response (and think) is in.
                intended = m_lastIntended[std::size_t(e.cls)][std::size_t(e.client)] + secondsToNs(period);
                t = std::max(t, intended);
            }
            if (!m_end || t < m_end)
                m_events.push(Event { t, e.cls, e.client, intended });
        }
        m_returning.clear();
        if (m_events.empty()) {
            // Every arrival before the end has been handed over (late ones too): done.
            if (m_end && nowNs() >= m_end) {
                m_stop = true;
                break;
            }
            if (m_end)
                m_cv.wait_until(lk, std::chrono::steady_clock::time_point(std::chrono::nanoseconds(m_end)));
            else
                m_cv.wait(lk);
            continue;
        }
        const Event e = m_events.top();
        if (nowNs() < e.t) {
            // Woken early by a returning client or stop(); the loop re-checks.
            m_cv.wait_until(lk, std::chrono::steady_clock::time_point(std::chrono::nanoseconds(e.t)));
            continue;
        }
        m_events.pop();
        m_holding = true;
        auto task = std::make_shared<Task>();
        task->id = m_nextId++;
        task->cls = e.cls;
        task->client = e.client;
        task->intendedNs = e.intended;
        if (e.client >= 0 && !m_lastIntended[std::size_t(e.cls)].empty())
            m_lastIntended[std::size_t(e.cls)][std::size_t(e.client)] = e.intended;
        task->plan = m_schedules[std::size_t(e.cls)].planTask();
        if (e.client < 0)
            scheduleNextLocked(e.cls);
        lk.unlock();
        m_submit(std::move(task)); // may block under on_full: block; later arrivals keep their times
        lk.lock();
        m_holding = false;
    }
}

} // namespace hs
