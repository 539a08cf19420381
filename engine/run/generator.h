#pragma once

#include "core/task.h"
#include "run/arrivalschedule.h"
#include "scenario/scenario.h"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace hs {

/**
 * The load generator: one thread that creates every class's tasks at their intended arrival
 * times (absolute CLOCK_MONOTONIC deadlines, never "ticks x period") and hands them to the
 * engine. When admission blocks it, later tasks keep their intended times, so the stall shows
 * up as latency. Closed-loop clients come back after their think time.
 *
 *     Generator g(scenario, [&](TaskPtr t) { engine.submitTask(std::move(t)); });
 *     g.start(nowNs(), endNs);
 *     ... g.stop(); g.join();
 */
class Generator {
public:
    using Submit = std::function<void(TaskPtr)>;
    Generator(const Scenario &s, Submit submit);
    ~Generator();

    void start(std::int64_t t0Ns, std::int64_t endNs);
    void stop();
    void join();
    /// Stopped, and not holding a task it created but has not handed over yet.
    bool quiescent();
    /// A closed-loop client's task ended at `nowNs`; it thinks, then sends the next one.
    void clientDone(int cls, int client, std::int64_t nowNs);

private:
    struct Event {
        std::int64_t t; ///< when it is sent
        int cls;
        int client;
        std::int64_t intended = 0; ///< closed clients with a rate: its intended time (else t)
        bool operator>(const Event &o) const { return t > o.t; }
    };
    void run();
    void scheduleNextLocked(int cls);

    Submit m_submit;
    std::vector<ArrivalSchedule> m_schedules;
    std::int64_t m_t0 = 0;
    std::int64_t m_end = 0;
    std::uint64_t m_nextId = 1;

    std::mutex m_mu;
    std::condition_variable m_cv;
    std::priority_queue<Event, std::vector<Event>, std::greater<>> m_events;
    std::vector<Event> m_returning; // closed clients back from a task, think time not yet drawn
    std::vector<std::vector<std::int64_t>> m_lastIntended; // closed classes with a rate: per client
    bool m_stop = false;
    bool m_holding = false; // between creating a task and handing it over
    std::thread m_thread;
};

} // namespace hs
