#include "run/arrivalschedule.h"

#include <cmath>
#include <limits>

namespace hs {

ArrivalSchedule::ArrivalSchedule(const Scenario &s, int classIndex)
    : m_arrival(s.classes.at(std::size_t(classIndex)).arrival)
    , m_class(s.classes.at(std::size_t(classIndex)))
    , m_arrivalRng(s.seed * 0x9E3779B97F4A7C15ULL + std::uint64_t(classIndex) * 2 + 1)
    , m_workRng(s.seed * 0xC2B2AE3D27D4EB4FULL + std::uint64_t(classIndex) * 2 + 2)
{
    m_rampOver = m_arrival.over > 0 ? m_arrival.over : (s.duration > 0 ? s.duration : 60.0);
}

double ArrivalSchedule::rateAt(double t) const
{
    if (t >= m_rampOver)
        return m_arrival.to;
    return m_arrival.from + (m_arrival.to - m_arrival.from) * (t / m_rampOver);
}

double ArrivalSchedule::next()
{
    constexpr double inf = std::numeric_limits<double>::infinity();
    auto expDraw = [this](double rate) { return std::exponential_distribution<double>(rate)(m_arrivalRng); };
    switch (m_arrival.process) {
    case ArrivalProcess::Poisson: m_t += expDraw(m_arrival.rate); return m_t;
    case ArrivalProcess::Constant:
        // The first arrival at 0, then one every 1/rate (by count: no drift from summing).
        m_t = double(m_count++) / m_arrival.rate;
        return m_t;
    case ArrivalProcess::Burst: {
        // Poisson at `rate` inside each on-window; memoryless, so a draw that lands in the
        // off-window restarts from the next on-window.
        const double period = m_arrival.on + m_arrival.off;
        double t = m_t + expDraw(m_arrival.rate);
        for (int guard = 0; guard < 1'000'000; ++guard) {
            const double phase = std::fmod(t, period);
            if (phase < m_arrival.on)
                break;
            t = (std::floor(t / period) + 1) * period + expDraw(m_arrival.rate);
        }
        m_t = t;
        return m_t;
    }
    case ArrivalProcess::Ramp: {
        // Thinning of a Poisson process at the ramp's peak rate.
        const double peak = std::max(m_arrival.from, m_arrival.to);
        if (peak <= 0)
            return inf;
        for (int guard = 0; guard < 10'000'000; ++guard) {
            m_t += expDraw(peak);
            if (std::uniform_real_distribution<double>(0, peak)(m_arrivalRng) < rateAt(m_t))
                return m_t;
            if (m_t >= m_rampOver && m_arrival.to <= 0)
                return inf;
        }
        return inf;
    }
    case ArrivalProcess::Closed: return inf;
    }
    return inf;
}

std::vector<StagePlan> ArrivalSchedule::planTask()
{
    std::vector<StagePlan> plan;
    planTask(plan);
    return plan;
}

void ArrivalSchedule::planTask(std::vector<StagePlan> &plan)
{
    plan.clear();
    plan.reserve(m_class.stages.size());
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (const Stage &st : m_class.stages) {
        StagePlan p;
        p.time = st.time.sample(m_workRng);
        p.bytes = std::llround(st.bytes.sample(m_workRng));
        p.payloadIn = std::llround(st.payloadIn.sample(m_workRng));
        p.payloadOut = std::llround(st.payloadOut.sample(m_workRng));
        p.fail = st.fail > 0 && u(m_workRng) < st.fail;
        p.crash = st.crash > 0 && u(m_workRng) < st.crash;
        plan.push_back(p);
    }
}

} // namespace hs
