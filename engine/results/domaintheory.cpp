#include "results/domaintheory.h"

#include "results/runresult.h"

#include <cmath>

namespace hs {

namespace {

double round3(double v)
{
    return std::round(v * 1000.0) / 1000.0;
}

double round6(double v)
{
    return std::round(v * 1e6) / 1e6;
}

// The squared coefficient of variation of the inter-arrival times of one class, and its mean rate.
// Poisson (and ramp, Poisson at a moving rate) 1, constant 0; burst is an interrupted Poisson
// process, whose SCV is 1 + 2λω₁/(ω₁ + ω₂)² with ω₁ = 1/on, ω₂ = 1/off (exponential periods; the
// engine's fixed ones make it an approximation).
std::pair<double, double> arrivalScvAndRate(const Arrival &a)
{
    switch (a.process) {
    case ArrivalProcess::Poisson: return { 1.0, a.rate };
    case ArrivalProcess::Constant: return { 0.0, a.rate };
    case ArrivalProcess::Ramp: return { 1.0, (a.from + a.to) / 2 };
    case ArrivalProcess::Burst: {
        if (!(a.on > 0) || !(a.off > 0))
            return { 1.0, a.rate };
        const double w1 = 1 / a.on, w2 = 1 / a.off;
        return { 1 + 2 * a.rate * w1 / ((w1 + w2) * (w1 + w2)), a.rate * a.on / (a.on + a.off) };
    }
    case ArrivalProcess::Closed: return { 1.0, 0.0 };
    }
    return { 1.0, 0.0 };
}

// True when a stage on the loop awaits (async, net): the loop is free while it waits.
bool loopAwaits(const Scenario &cfg)
{
    for (const TaskClass &c : cfg.classes)
        for (const Stage &s : c.stages)
            if (s.domain == DomainKind::Loop && (s.work == WorkKind::Async || s.work == WorkKind::Net))
                return true;
    return false;
}

} // namespace

DomainTheory domainTheory(const RunResult &r, DomainKind d, int cores)
{
    // The configuration at the end of the run: live routes, backpressure and GIL changes applied.
    const Scenario &cfg = !r.phases.empty() && r.phases.back().config ? *r.phases.back().config : r.scenario;
    // GIL emulation switched on live shows in gilUsed only; without GIL counters, assume contention.
    Scenario withGil;
    const Scenario *config = &cfg;
    if (r.gilUsed && !cfg.gilEnabled) {
        withGil = cfg;
        withGil.gilEnabled = true;
        config = &withGil;
    }
    return domainTheory(r.domains, *config, r.gil.acquisitions == 0 || r.gil.contended > 0, d, cores);
}

DomainTheory domainTheory(const std::array<DomainResult, kDomainCount> &domains, const Scenario &cfg, bool gilContended,
    DomainKind d, int cores)
{
    const DomainTotals &t = domains[std::size_t(d)].totals;
    const DomainConfig &dc = cfg.domain(d);

    DomainTheory out;
    theory::DomainMeasure &m = out.input;
    m.kind = d;
    m.workers = d == DomainKind::Loop ? 1 : std::max(1, t.workers);
    m.cores = std::max(1, cores);
    const double spanS = t.spanNs / 1e9;
    m.arrivalRate = spanS > 0 ? double(t.admitted) / spanS : 0;
    // The time-averaged size against the size now: more than 1 % apart, the size changed.
    if (d != DomainKind::Loop && t.spanNs > 0 && t.capacityNs > 0) {
        const double mean = t.capacityNs / t.spanNs;
        if (std::abs(mean - m.workers) > 0.01 * m.workers)
            m.workersChangedMean = mean;
    }
    m.serviceMeanS = t.service.mean() / 1e9;
    const double meanNs = t.service.mean();
    m.serviceScv = meanNs > 0 ? t.service.variance() / (meanNs * meanNs) : 1;
    if (d == DomainKind::Loop && loopAwaits(cfg)) {
        // An async or net stage on the loop ends long after it let go of the thread: its service
        // histogram counts time the loop was free. The loop's server time per stage is its busy
        // time over the stages it started; how that time varies is not recorded, so the SCV is
        // taken as 1 (docs/tuning.md).
        const std::uint64_t started = t.wait.count();
        m.serviceMeanS = started > 0 ? t.busyNs / double(started) / 1e9 : 0;
        m.serviceScv = 1;
    }
    // Room to wait: the queue limit, and what max_inflight (queued + running) leaves beside the workers.
    int room = dc.queue;
    if (dc.maxInflight > 0) {
        const int left = std::max(0, dc.maxInflight - m.workers);
        room = room > 0 ? std::min(room, left) : left;
    }
    m.queueCapacity = std::max(0, room);
    m.rejectWhenFull = dc.onFull == OnFull::Reject && (dc.queue > 0 || dc.maxInflight > 0);

    bool cpuHere = false, cpuLoop = false, cpuThreads = false;
    double weighted = 0, rate = 0;
    for (const TaskClass &c : cfg.classes) {
        bool feeds = false;
        for (const Stage &s : c.stages) {
            feeds = feeds || s.domain == d;
            if (s.work == WorkKind::Cpu) {
                cpuHere = cpuHere || s.domain == d;
                cpuLoop = cpuLoop || s.domain == DomainKind::Loop;
                cpuThreads = cpuThreads || s.domain == DomainKind::Threads;
            }
        }
        if (!feeds)
            continue;
        if (c.arrival.process == ArrivalProcess::Closed)
            m.closedLoop = true;
        const auto [scv, classRate] = arrivalScvAndRate(c.arrival);
        weighted += scv * classRate;
        rate += classRate;
    }
    // Superposed flows: the rate-weighted mean of their SCVs (the asymptotic method of Whitt's QNA).
    m.arrivalScv = rate > 0 ? weighted / rate : 1;
    m.cpuBound = cpuHere;
    // Every domain that runs cpu stages competes for the same cores.
    for (DomainKind k : kAllDomains) {
        bool cpu = false;
        for (const TaskClass &c : cfg.classes)
            for (const Stage &s : c.stages)
                cpu = cpu || (s.domain == k && s.work == WorkKind::Cpu);
        if (cpu)
            m.cpuWorkers += k == DomainKind::Loop ? 1 : std::max(1, domains[std::size_t(k)].totals.workers);
    }
    // The engine's GIL serializes cpu stages on the loop and the threads pool (procs workers each
    // have their own): contended when two threads can want it at once and the run saw it contended.
    const bool gilDomain = d == DomainKind::Loop || d == DomainKind::Threads;
    const int threadsWorkers = std::max(1, domains[std::size_t(DomainKind::Threads)].totals.workers);
    const bool rivals = (cpuLoop && cpuThreads) || (cpuThreads && threadsWorkers > 1);
    m.gilContended = cfg.gilEnabled && gilDomain && cpuHere && rivals && gilContended;

    out.predicted = theory::predictDomain(m);
    out.measuredUtilization = t.utilization;
    out.measuredPWait = t.pWait;
    out.measuredWaitMeanS = t.wait.mean() / 1e9;
    out.measuredQueueMean = t.queueMean;
    out.littleL = t.queueMean;
    out.littleLambdaW = m.arrivalRate * out.measuredWaitMeanS;
    out.littleMismatch = theory::littleMismatch(out.littleL, m.arrivalRate, out.measuredWaitMeanS);
    out.admitted = t.admitted;
    out.started = t.wait.count();
    return out;
}

QJsonObject domainTheoryJson(const DomainTheory &t)
{
    const theory::Prediction &p = t.predicted;
    QJsonObject o;
    o[QStringLiteral("model")] = p.model;
    o[QStringLiteral("applies")] = p.applies;
    o[QStringLiteral("why")] = p.why;
    if (p.applies) {
        QJsonObject pr { { QStringLiteral("utilization"), round3(p.utilization) },
            { QStringLiteral("p_wait"), round3(p.pWait) },
            { QStringLiteral("wait_mean_ms"), round3(p.waitMeanS * 1e3) },
            { QStringLiteral("queue_mean"), round3(p.queueMean) } };
        if (p.pBlock)
            pr[QStringLiteral("p_block")] = round6(*p.pBlock);
        o[QStringLiteral("predicted")] = pr;
        // Measured / predicted, where the prediction is not ~0: 1 is agreement (lesson checks read these).
        QJsonObject ratio;
        const auto put = [&](const char *key, double measured, double predicted) {
            if (predicted > 1e-9)
                ratio[QLatin1String(key)] = round3(measured / predicted);
        };
        put("utilization", t.measuredUtilization, p.utilization);
        put("p_wait", t.measuredPWait, p.pWait);
        put("wait_mean", t.measuredWaitMeanS, p.waitMeanS);
        o[QStringLiteral("measured_over_predicted")] = ratio;
    } else {
        o[QStringLiteral("predicted")] = QJsonValue::Null;
    }
    o[QStringLiteral("measured")] = QJsonObject { { QStringLiteral("utilization"), round3(t.measuredUtilization) },
        { QStringLiteral("p_wait"), round3(t.measuredPWait) },
        { QStringLiteral("wait_mean_ms"), round3(t.measuredWaitMeanS * 1e3) },
        { QStringLiteral("queue_mean"), round3(t.measuredQueueMean) } };
    o[QStringLiteral("little")] = QJsonObject { { QStringLiteral("l"), round3(t.littleL) },
        { QStringLiteral("lambda_w"), round3(t.littleLambdaW) },
        { QStringLiteral("mismatch"), round3(t.littleMismatch) } };
    o[QStringLiteral("inputs")] = QJsonObject { { QStringLiteral("arrival_rate"), round3(t.input.arrivalRate) },
        { QStringLiteral("service_mean_ms"), round3(t.input.serviceMeanS * 1e3) },
        { QStringLiteral("service_scv"), round3(t.input.serviceScv) },
        { QStringLiteral("arrival_scv"), round3(t.input.arrivalScv) }, { QStringLiteral("workers"), t.input.workers },
        { QStringLiteral("cores"), t.input.cores } };
    return o;
}

} // namespace hs
