#include "tuning/sweeprunner.h"

#include "results/phases.h"
#include "results/runresult.h"
#include "run/engine.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QSet>
#include <QThread>
#include <QTimer>

#include <array>
#include <cmath>
#include <limits>
#include <numeric>

namespace hs {

namespace {

// After arrivals stop nothing is measured: a short drain, then the rest is cancelled.
constexpr double kPointDrainS = 1.0;

struct DomainUse {
    bool used = false;
    bool cpu = false;
    bool closedLoop = false;
    bool allConstantEntry = true; // every class entering here at its first stage arrives at a constant rate
    bool entered = false;
};

std::array<DomainUse, kDomainCount> domainUses(const Scenario &s)
{
    std::array<DomainUse, kDomainCount> out {};
    for (const TaskClass &c : s.classes)
        for (std::size_t i = 0; i < c.stages.size(); ++i) {
            DomainUse &u = out[std::size_t(c.stages[i].domain)];
            u.used = true;
            u.cpu = u.cpu || c.stages[i].work == WorkKind::Cpu;
            u.closedLoop = u.closedLoop || c.arrival.process == ArrivalProcess::Closed;
            // Later stages arrive as the previous domain's departures: not a renewal process.
            const bool constant = i == 0 && c.arrival.process == ArrivalProcess::Constant;
            u.allConstantEntry = u.allConstantEntry && constant;
            u.entered = true;
        }
    return out;
}

double mean(const std::vector<double> &v)
{
    return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
}

} // namespace

MeanInterval replicationInterval(const std::vector<double> &v)
{
    MeanInterval out;
    out.mean = mean(v);
    if (v.size() < 2)
        return out;
    double ss = 0;
    for (double x : v)
        ss += (x - out.mean) * (x - out.mean);
    const double n = double(v.size());
    const double half = studentT975(int(n) - 1) * std::sqrt(ss / (n - 1)) / std::sqrt(n);
    out.lo = out.mean - half;
    out.hi = out.mean + half;
    return out;
}

double studentT975(int df)
{
    static constexpr std::array<double, 30> table
        = { 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
              2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042 };
    if (df < 1)
        return std::numeric_limits<double>::infinity();
    if (df <= 30)
        return table[std::size_t(df - 1)];
    // Cornish–Fisher expansion around the normal quantile: within 1e-4 beyond 30 degrees of freedom.
    const double z = 1.959963985, n = df;
    return z + (z * z * z + z) / (4 * n) + (5 * std::pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * n * n);
}

bool SweepPointResult::allSlasMet() const
{
    bool any = false;
    for (const SweepClassFigures &c : classes) {
        if (!c.slaP99Ms)
            continue;
        any = true;
        if (!c.slaMet)
            return false;
    }
    return any;
}

void SweepRunner::stopNow()
{
    std::lock_guard lk(m_mutex);
    m_stop = true;
    if (m_current)
        m_current->requestStop();
}

bool SweepRunner::stopped() const
{
    std::lock_guard lk(m_mutex);
    return m_stop;
}

std::optional<SweepPointResult> SweepRunner::runPoint(
    const Scenario &scenario, const SweepValues &values, double duration, double warmup, int reps, QString *error)
{
    SweepPointResult p;
    p.values = values;
    p.durationS = duration;
    p.warmupS = warmup;
    QElapsedTimer wall;
    wall.start();

    std::vector<PhaseResult> measured; // one per rep
    std::vector<DomainAutoscale> autoscale; // one per measured rep
    QSet<QString> findings;
    for (int rep = 0; rep < reps; ++rep) {
        Scenario s = scenario;
        s.duration = duration;
        s.seed = scenario.seed + std::uint64_t(rep);
        EngineOptions options(kPointDrainS);
        options.trace = false;
        options.warmupSeconds = warmup;
        Engine engine(s, options);
        {
            std::lock_guard lk(m_mutex);
            if (m_stop) {
                p.complete = false;
                break;
            }
            m_current = &engine;
        }
        QEventLoop loop;
        QObject::connect(&engine, &Engine::finished, &loop, &QEventLoop::quit);
        QTimer progress;
        if (onProgress) {
            QObject::connect(&progress, &QTimer::timeout, &loop, [&] { onProgress(rep, engine.elapsed()); });
            progress.start(500);
        }
        const bool started = engine.start(error);
        if (started && onEngineStarted)
            onEngineStarted(engine);
        if (started)
            loop.exec();
        progress.stop();
        {
            std::lock_guard lk(m_mutex);
            m_current = nullptr;
            if (m_stop)
                p.complete = false;
        }
        if (!started)
            return std::nullopt;
        if (onEngineFinished)
            onEngineFinished(rep, engine);
        const RunResult r = engine.result();
        ++p.reps;
        p.conserved = p.conserved && r.conserved() && r.doubleEnds == 0;
        if (r.phases.empty() || !r.phases.front().settled) {
            p.complete = false; // stopped before the warm-up ended: nothing measured
            continue;
        }
        const PhaseResult &ph = r.phases.front();
        const double from = ph.fromS + ph.settleS;
        for (const Finding &f : r.findings)
            if (f.toS >= from && f.fromS <= ph.toS)
                findings.insert(f.rule);
        measured.push_back(ph);
        autoscale.push_back(domainAutoscale(r));
    }
    p.wallS = double(wall.nsecsElapsed()) / 1e9;
    if (measured.empty()) {
        p.complete = false;
        return p;
    }
    QStringList names = findings.values();
    names.sort();
    const SweepPointResult figures
        = pointFigures(scenario, measured, names, std::max(1, QThread::idealThreadCount()), autoscale);
    p.findings = figures.findings;
    p.measuredS = figures.measuredS;
    p.classes = figures.classes;
    p.domains = figures.domains;
    return p;
}

DomainAutoscale domainAutoscale(const RunResult &run)
{
    DomainAutoscale out;
    for (DomainKind dk : kAllDomains)
        out[std::size_t(dk)] = run.domains[std::size_t(dk)].autoscale;
    return out;
}

std::optional<AutoscaleResult> mergeAutoscale(const std::vector<DomainAutoscale> &reps, DomainKind domain)
{
    std::optional<AutoscaleResult> out;
    for (const DomainAutoscale &rep : reps) {
        const std::optional<AutoscaleResult> &a = rep[std::size_t(domain)];
        if (!a)
            continue;
        if (!out) {
            out = a;
            continue;
        }
        out->policy = a->policy;
        out->resizes += a->resizes;
        out->workersMin = std::min(out->workersMin, a->workersMin);
        out->workersMax = std::max(out->workersMax, a->workersMax);
    }
    return out;
}

SweepPointResult pointFigures(const Scenario &scenario, const std::vector<PhaseResult> &measured,
    const QStringList &findings, int cores, const std::vector<DomainAutoscale> &autoscale)
{
    SweepPointResult p;
    p.findings = findings;
    std::vector<double> spans;
    for (const PhaseResult &ph : measured)
        spans.push_back(ph.measuredS());
    p.measuredS = mean(spans);

    // Classes.
    for (std::size_t i = 0; i < scenario.classes.size(); ++i) {
        SweepClassFigures c;
        c.name = scenario.classes[i].name;
        if (auto sla = scenario.slaFor(int(i)))
            c.slaP99Ms = *sla * 1e3;
        HistogramSnapshot all, naive;
        std::vector<double> tput;
        for (const PhaseResult &ph : measured) {
            const ClassResult &cr = ph.classes[i];
            tput.push_back(cr.throughput);
            c.submitted += cr.submitted;
            c.lost += cr.rejected + cr.failed;
            c.rejected += cr.rejected;
            all.merge(cr.latency);
            naive.merge(cr.latencyNaive);
            if (!cr.latency.isEmpty())
                c.repP99Ms.push_back(cr.latency.percentile(0.99) / 1e6);
        }
        c.throughput = mean(tput);
        c.samples = all.count();
        if (!naive.isEmpty())
            c.naiveP99Ms = naive.percentile(0.99) / 1e6;
        if (!all.isEmpty()) {
            c.p50Ms = all.percentile(0.5) / 1e6;
            if (c.repP99Ms.size() >= 2) {
                // Replications: each rep's P99 is one independent estimate (its own seed, its own run).
                const MeanInterval m = replicationInterval(c.repP99Ms);
                c.p99Ms = m.mean;
                c.ciLoMs = std::max(0.0, *m.lo);
                c.ciHiMs = m.hi;
                c.ciMethod = QStringLiteral("replications");
            } else {
                c.p99Ms = all.percentile(0.99) / 1e6;
                c.ciMethod = QStringLiteral("order statistics");
                if (const auto ci = quantileInterval(all, 0.99)) {
                    c.ciLoMs = ci->lo / 1e6;
                    if (ci->hi)
                        c.ciHiMs = *ci->hi / 1e6;
                }
            }
        }
        c.slaMet = c.slaP99Ms && c.ciHiMs && *c.ciHiMs < *c.slaP99Ms;
        p.classes.push_back(std::move(c));
    }

    // Domains, with the theory's prediction from the same measured span.
    const auto uses = domainUses(scenario);
    for (DomainKind dk : kAllDomains) {
        const std::size_t k = std::size_t(dk);
        if (!uses[k].used)
            continue;
        SweepDomainFigures d;
        d.kind = dk;
        d.cpuBound = uses[k].cpu;
        d.workers = measured.front().domains[k].totals.workers;
        HistogramSnapshot wait, service;
        std::vector<double> util, queue;
        std::uint64_t admitted = 0, waited = 0;
        double span = 0, workerSeconds = 0;
        for (const PhaseResult &ph : measured) {
            const DomainTotals &t = ph.domains[k].totals;
            workerSeconds += ph.domains[k].workerSeconds();
            util.push_back(t.utilization);
            queue.push_back(t.queueMean);
            wait.merge(t.wait);
            service.merge(t.service);
            admitted += t.admitted;
            waited += t.waited;
            span += ph.measuredS();
        }
        d.utilization = mean(util);
        d.queueMean = mean(queue);
        d.waitMeanMs = wait.mean() / 1e6;
        d.pWait = admitted ? double(waited) / double(admitted) : 0.0;
        d.arrivalRate = span > 0 ? double(admitted) / span : 0.0;
        d.serviceMeanMs = service.mean() / 1e6;
        d.serviceScv = service.scv();
        d.workerSeconds = workerSeconds / double(measured.size());
        d.workersMean = span > 0 ? workerSeconds / span : 0.0;
        d.autoscale = mergeAutoscale(autoscale, dk);

        theory::DomainMeasure m;
        m.kind = dk;
        m.workers = std::max(1, d.workers);
        m.arrivalRate = d.arrivalRate;
        m.serviceMeanS = d.serviceMeanMs / 1e3;
        m.serviceScv = d.serviceScv;
        m.arrivalScv = uses[k].entered && uses[k].allConstantEntry ? 0.0 : 1.0;
        const DomainConfig &cfg = scenario.domain(dk);
        m.queueCapacity = cfg.queue;
        m.rejectWhenFull = cfg.onFull == OnFull::Reject;
        m.cpuBound = uses[k].cpu;
        m.cores = cores;
        m.gilContended = scenario.gilEnabled && uses[k].cpu && (dk == DomainKind::Loop || dk == DomainKind::Threads);
        m.closedLoop = uses[k].closedLoop;
        d.predicted = service.isEmpty() ? theory::Prediction {} : theory::predictDomain(m);
        if (service.isEmpty())
            d.predicted.why = QStringLiteral("no stage ran here while measured");
        p.domains.push_back(std::move(d));
    }
    return p;
}

} // namespace hs