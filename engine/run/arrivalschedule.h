#pragma once

#include "core/task.h"
#include "scenario/scenario.h"

#include <random>

namespace hs {

/**
 * The arrival times of one open-loop class (poisson, constant, burst, ramp), as offsets in
 * seconds from the run's start, drawn from a generator seeded by the scenario's seed: the same
 * seed gives the same times. Closed classes use thinkTime() between a completion and the next
 * request. planTask() draws a task's stage sizes and faults from a second seeded stream.
 *
 *     ArrivalSchedule a(scenario, 0);
 *     double t1 = a.next(), t2 = a.next();   // seconds, increasing
 */
class ArrivalSchedule {
public:
    ArrivalSchedule(const Scenario &s, int classIndex);

    bool isClosed() const { return m_arrival.process == ArrivalProcess::Closed; }
    int clients() const { return m_arrival.clients; }
    /// Next arrival offset in seconds (open classes); infinity when the class stops arriving.
    double next();
    /// Think time of a closed-loop client, seconds.
    double thinkTime() { return m_arrival.think.sample(m_arrivalRng); }
    /// Closed class with a `rate`: seconds between one client's intended requests (clients/rate);
    /// 0 without a rate (a request is intended when it is sent).
    double closedPeriod() const
    {
        return isClosed() && m_arrival.rate > 0 ? double(m_arrival.clients) / m_arrival.rate : 0.0;
    }
    /// Closed class with a `rate`: client k's first intended request, seconds from the start (the
    /// clients spread evenly over one period, so the class's requests are intended at `rate`).
    double closedFirst(int client) const { return closedPeriod() > 0 ? double(client) / m_arrival.rate : 0.0; }
    /// Stage sizes and faults of the next task of this class.
    std::vector<StagePlan> planTask();
    /// The same into `plan`, reusing its storage (the simulator's hot path).
    void planTask(std::vector<StagePlan> &plan);

private:
    double rateAt(double t) const;

    Arrival m_arrival;
    const TaskClass &m_class;
    double m_rampOver = 0;
    double m_t = 0;
    std::uint64_t m_count = 0;
    std::mt19937_64 m_arrivalRng;
    std::mt19937_64 m_workRng;
};

} // namespace hs
