#include "tuning/tuner.h"

#include "results/theory.h"
#include "tuning/simpoint.h"
#include "tuning/sweepanalysis.h"
#include "tuning/sweepreport.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QThread>

#include <algorithm>
#include <cmath>

namespace hs {

namespace {

// A pool is not sized beyond this many workers by a tune (the scenario format allows 4096).
constexpr int kMaxTunedWorkers = 4096;
// Utilization from which a domain that is not tuned counts as the bottleneck of a miss.
constexpr double kSaturated = 0.90;

double nowS(const QElapsedTimer &t)
{
    return double(t.nsecsElapsed()) / 1e9;
}

QString fixed(double v, int prec = 1)
{
    return QString::number(v, 'f', prec);
}

QString describe(const Workers &w)
{
    QStringList parts;
    for (DomainKind d : kAllDomains)
        if (w[std::size_t(d)] > 0)
            parts << QStringLiteral("%1 %2").arg(domainName(d)).arg(w[std::size_t(d)]);
    return parts.join(QStringLiteral(", "));
}

// A stage's mean time of its own (no waiting): what the scenario says it takes.
double stageMeanS(const Stage &s)
{
    return s.work == WorkKind::Disk ? 0.0 : s.time.mean();
}

const SweepDomainFigures *domainFigures(const SweepPointResult &p, DomainKind d)
{
    for (const SweepDomainFigures &f : p.domains)
        if (f.kind == d)
            return &f;
    return nullptr;
}

// A class that keeps its P99 by turning work away (more than kLostNotice of its tasks rejected by
// backpressure) does not meet its SLA: the P99 is of the tasks that were served.
bool sheds(const SweepClassFigures &c)
{
    return c.submitted > 0 && double(c.rejected) > kLostNotice * double(c.submitted);
}

// The verdict of a point: every class with an SLA met it; the ones that did not and the domains
// they run stages on.
TuneVerdict verdictOf(const Scenario &s, const SweepPointResult &p)
{
    TuneVerdict v;
    v.allMet = p.allSlasMet() && std::none_of(p.classes.begin(), p.classes.end(), sheds);
    for (const SweepClassFigures &c : p.classes) {
        if (!c.slaP99Ms || (c.slaMet && !sheds(c)))
            continue;
        v.missed << c.name;
        for (const TaskClass &tc : s.classes)
            if (tc.name == c.name)
                for (const Stage &st : tc.stages)
                    if (!v.missedDomains.contains(domainName(st.domain)))
                        v.missedDomains << domainName(st.domain);
    }
    return v;
}

// Some class's P99 is under its SLA but the interval's upper end is not (or there is none):
// more samples may settle it.
bool uncertain(const SweepPointResult &p)
{
    return std::any_of(p.classes.begin(), p.classes.end(),
        [](const SweepClassFigures &c) { return c.slaP99Ms && !c.slaMet && c.p99Ms && *c.p99Ms < *c.slaP99Ms; });
}

QJsonObject workersJson(const Workers &w)
{
    return sweepValuesJson(Tuner::workerValues(w));
}

} // namespace

std::vector<DomainKind> Tuner::usedPools(const Scenario &scenario)
{
    std::vector<DomainKind> out;
    for (DomainKind d : kAllDomains) {
        if (d == DomainKind::Loop)
            continue;
        const bool used = std::any_of(scenario.classes.begin(), scenario.classes.end(), [&](const TaskClass &c) {
            return std::any_of(c.stages.begin(), c.stages.end(), [&](const Stage &st) { return st.domain == d; });
        });
        if (used)
            out.push_back(d);
    }
    return out;
}

double Tuner::pointCostS(double durationS, int reps)
{
    // Each rep: the run, up to a second of drain after its arrivals stop, and the engine's start.
    return reps * (durationS + 0.5);
}

Scenario Tuner::withWorkers(const Scenario &scenario, const Workers &workers)
{
    Scenario s = scenario;
    for (DomainKind d : kAllDomains)
        if (workers[std::size_t(d)] > 0)
            s.domain(d).workers = workers[std::size_t(d)];
    return s;
}

SweepValues Tuner::workerValues(const Workers &workers)
{
    SweepValues v;
    for (DomainKind d : kAllDomains)
        if (workers[std::size_t(d)] > 0)
            v.emplace_back(
                QStringLiteral("domains.%1.workers").arg(domainName(d)), QString::number(workers[std::size_t(d)]));
    return v;
}

void Tuner::stop()
{
    m_stop = true;
}

void Tuner::stopNow()
{
    m_stop = true;
    m_runner.stopNow();
}

std::optional<TunePoint> Tuner::evaluate(const Scenario &scenario, const Workers &workers, const QString &why)
{
    const TuneOptions &o = *m_options;
    TuneResult &r = *m_result;
    if (m_stop || m_runner.stopped())
        return std::nullopt;
    const double elapsed = r.wallS;
    if (elapsed + costS(o.reps, !o.simulate) > o.budgetS) {
        m_budgetHit = true;
        return std::nullopt;
    }
    const Scenario s = withWorkers(scenario, workers);
    if (onPointStart)
        onPointStart(int(r.evaluated.size()) + 1, workers, why);
    m_runner.onProgress = onProgress;
    m_runner.onEngineFinished = onEngineFinished;
    m_runner.onEngineStarted = [this, s](Engine &e) {
        if (onEngineStarted)
            onEngineStarted(e, s);
    };
    auto p = runOne(s, workers, o.reps, !o.simulate);
    if (!p)
        return std::nullopt;
    TunePoint tp { workers, std::move(*p), {}, why, o.simulate ? QStringLiteral("sim") : QStringLiteral("engine") };
    // An open verdict is measured again with more seeds while the budget allows: the budget goes
    // where the answer is uncertain.
    const int moreReps = std::max(3, 2 * o.reps);
    if (uncertain(tp.point) && !m_stop) {
        const double spent = elapsed + tp.point.wallS;
        if (spent + costS(moreReps, !o.simulate) <= o.budgetS) {
            if (onPointStart)
                onPointStart(
                    int(r.evaluated.size()) + 1, workers, why + QStringLiteral(" (measured again: uncertain)"));
            auto again = runOne(s, workers, moreReps, !o.simulate);
            if (again) {
                again->wallS += tp.point.wallS;
                tp.point = std::move(*again);
                tp.why += QStringLiteral(" (uncertain at %1 rep%2: measured again with %3)")
                              .arg(o.reps)
                              .arg(o.reps == 1 ? QString() : QStringLiteral("s"))
                              .arg(moreReps);
            } else {
                return std::nullopt; // stopped now, or the engine could not start (m_error)
            }
        }
    }
    tp.verdict = verdictOf(s, tp.point);
    if (!tp.verdict.allMet)
        tp.verdict.hopeless = explainMisses(s, tp.point, m_tuned, {}, true).join(QStringLiteral("; "));
    return tp;
}

double Tuner::costS(int reps, bool onEngine) const
{
    return onEngine ? pointCostS(m_options->durationS, reps) : reps * m_simPointS;
}

std::optional<SweepPointResult> Tuner::runOne(const Scenario &s, const Workers &workers, int reps, bool onEngine)
{
    const TuneOptions &o = *m_options;
    if (!onEngine) {
        SweepPointResult p = simulatePoint(s, workerValues(workers), o.durationS, o.warmupS, reps, o.sim);
        mergeExtrapolations(&m_result->extrapolation, simulationExtrapolations(s, o.sim));
        m_simPointS = std::max(1e-3, p.wallS / std::max(1, reps));
        return p;
    }
    QString error;
    auto p = m_runner.runPoint(s, workerValues(workers), o.durationS, o.warmupS, reps, &error);
    if (!p) {
        m_error = error;
        return std::nullopt;
    }
    if (!p->complete)
        return std::nullopt;
    return p;
}

void Tuner::confirmOnEngine(const Scenario &scenario, TuneResult &r)
{
    // The K cheapest configurations that met every SLA in simulation, cheapest first.
    std::vector<std::size_t> met;
    for (std::size_t i = 0; i < r.evaluated.size(); ++i)
        if (r.evaluated[i].verdict.allMet && r.evaluated[i].source == QLatin1String("sim"))
            met.push_back(i);
    std::stable_sort(met.begin(), met.end(), [&](std::size_t a, std::size_t b) {
        return TuneSearch::cost(r.evaluated[a].workers) < TuneSearch::cost(r.evaluated[b].workers);
    });
    if (met.size() > std::size_t(m_options->confirm))
        met.resize(std::size_t(m_options->confirm));
    for (std::size_t i : met) {
        if (m_stop)
            return;
        const Workers w = r.evaluated[i].workers;
        const Scenario s = withWorkers(scenario, w);
        if (onPointStart)
            onPointStart(int(r.evaluated.size()) + 1, w, QStringLiteral("confirm on the engine"));
        auto p = runOne(s, w, m_options->reps, true);
        if (!p)
            return;
        TunePoint tp { w, std::move(*p), {},
            QStringLiteral("confirm on the engine: the simulation said every SLA is met"), QStringLiteral("engine") };
        tp.verdict = verdictOf(s, tp.point);
        r.evaluated.push_back(std::move(tp));
        if (onPoint)
            onPoint(r.evaluated.back());
    }
}

std::optional<TuneResult> Tuner::run(const Scenario &scenario, double load, const TuneOptions &options, QString *error)
{
    QElapsedTimer wall;
    wall.start();
    TuneResult r;
    r.scenarioName = scenario.name;
    r.scenarioSource = scenario.source;
    r.load = load;
    r.budgetS = options.budgetS;
    r.durationS = options.durationS;
    r.warmupS = options.warmupS;
    r.reps = options.reps;
    r.cores = options.cores > 0 ? options.cores : std::max(1, QThread::idealThreadCount());
    r.simulated = options.simulate;
    r.simCores = simCores(options.sim);
    r.calibration = options.sim.costs.source;
    r.confirm = options.confirm;
    if (options.simulate)
        r.cores = std::max(1, int(std::lround(r.simCores))); // a CPU pool's upper bound: the simulated cores
    m_options = &options;
    m_result = &r;
    m_budgetHit = false;
    m_error.clear();
    const std::vector<DomainKind> tuned = options.domains.empty() ? usedPools(scenario) : options.domains;
    m_tuned = tuned;

    // 1. The measuring run: the scenario as configured.
    Workers configured {};
    for (DomainKind d : tuned)
        configured[std::size_t(d)] = scenario.domain(d).workers;
    auto measure = evaluate(scenario, configured, QStringLiteral("measure: the scenario's own sizes"));
    r.wallS = nowS(wall);
    if (!measure) {
        if (!m_error.isEmpty()) {
            *error = m_error;
            return std::nullopt;
        }
        r.cancelled = !m_budgetHit;
        r.stopReason = m_budgetHit ? QStringLiteral("the budget of %1 s does not cover one point").arg(options.budgetS)
                                   : QStringLiteral("cancelled during the measuring run");
        return r;
    }
    r.evaluated.push_back(*measure);
    if (onPoint)
        onPoint(r.evaluated.back());

    // 2. The theory's start per tuned domain.
    std::vector<TuneDomain> domains;
    for (DomainKind d : tuned) {
        TuneStart st;
        st.kind = d;
        if (const SweepDomainFigures *f = domainFigures(measure->point, d)) {
            st.arrivalRate = f->arrivalRate;
            st.serviceMeanS = f->serviceMeanMs / 1e3;
            st.cpuBound = f->cpuBound;
        }
        // The tightest SLA of the classes with a stage here, less what their other stages take.
        for (int i = 0; i < int(scenario.classes.size()); ++i) {
            const TaskClass &c = scenario.classes[std::size_t(i)];
            const auto sla = scenario.slaFor(i);
            if (!sla || std::none_of(c.stages.begin(), c.stages.end(), [&](const Stage &s) { return s.domain == d; }))
                continue;
            double elsewhere = 0;
            for (const Stage &s : c.stages)
                if (s.domain != d)
                    elsewhere += stageMeanS(s);
            const double share = *sla - elsewhere;
            if (share > 0 && (!st.targetS || share < *st.targetS))
                st.targetS = share;
        }
        const double offered = st.arrivalRate * st.serviceMeanS;
        st.lo = std::max(1, int(std::floor(offered)) + 1);
        std::optional<int> predicted;
        if (st.targetS && st.arrivalRate > 0 && st.serviceMeanS > 0)
            predicted = theory::smallestServersFor(st.arrivalRate, st.serviceMeanS, 0.99, *st.targetS);
        const int cores = r.cores;
        if (st.cpuBound) {
            st.hi = std::max(st.lo, cores);
        } else {
            st.hi = std::min(kMaxTunedWorkers, std::max({ 64, 4 * st.lo, predicted ? 4 * *predicted : 0 }));
        }
        st.start = std::clamp(predicted.value_or(st.lo), st.lo, st.hi);
        QStringList why;
        why << QStringLiteral("λ %1/s × E[S] %2 ms = %3 busy workers: at least %4")
                   .arg(fixed(st.arrivalRate), fixed(st.serviceMeanS * 1e3, 2), fixed(offered, 2))
                   .arg(st.lo);
        if (predicted)
            why << QStringLiteral("Erlang C: %1 keep(s) the M/M/c P99 of this stage under %2 ms")
                       .arg(*predicted)
                       .arg(fixed(*st.targetS * 1e3));
        else if (!st.targetS)
            why << QStringLiteral("no class with an SLA leaves time for it: start at the least");
        else
            why << QStringLiteral("no measured load to predict from: start at the least");
        why << (st.cpuBound ? QStringLiteral("at most %1 (cpu stages: the machine's cores)").arg(st.hi)
                            : QStringLiteral("at most %1").arg(st.hi));
        st.why = why.join(QStringLiteral("; "));
        r.starts.push_back(st);
        domains.push_back(TuneDomain { d, st.lo, st.hi, st.start });
    }

    // A miss no pool size can change (a saturated loop, stages longer than the SLA): no search.
    if (!measure->verdict.hopeless.isEmpty()) {
        r.wallS = nowS(wall);
        r.infeasible = true;
        r.stopReason = QStringLiteral("no configuration can meet every SLA: ") + measure->verdict.hopeless;
        r.infeasibleWhy = explainMisses(scenario, measure->point, tuned, r.starts);
        return r;
    }

    // 3. Confirm and correct on the engine. The measuring run answers for its own configuration.
    TuneSearch search(
        domains,
        [&](const Workers &w) -> std::optional<TuneVerdict> {
            if (w == configured)
                return r.evaluated.front().verdict;
            auto p = evaluate(scenario, w, m_pendingWhy);
            r.wallS = nowS(wall);
            if (!p)
                return std::nullopt;
            r.evaluated.push_back(*p);
            if (onPoint)
                onPoint(r.evaluated.back());
            return p->verdict;
        },
        std::numeric_limits<double>::infinity(), 1.0);
    search.onEvaluate = [&](const QString &why) { m_pendingWhy = why; };
    const TuneOutcome outcome = search.run();
    r.wallS = nowS(wall);

    if (options.simulate && options.confirm > 0 && m_error.isEmpty())
        confirmOnEngine(scenario, r);
    r.wallS = nowS(wall);
    // The answer: the cheapest point that met every SLA (the measuring run counts); after
    // --confirm, the cheapest that met on the engine.
    const bool confirmed = options.simulate && options.confirm > 0;
    for (std::size_t i = 0; i < r.evaluated.size(); ++i)
        if ((!confirmed || r.evaluated[i].source == QLatin1String("engine")) && r.evaluated[i].verdict.allMet
            && (!r.best || TuneSearch::cost(r.evaluated[i].workers) < TuneSearch::cost(r.evaluated[*r.best].workers)))
            r.best = i;
    if (!m_error.isEmpty()) {
        *error = m_error;
        return std::nullopt;
    }
    if (m_budgetHit)
        r.stopReason = QStringLiteral("budget of %1 s spent after %2 points (each about %3 s)")
                           .arg(options.budgetS)
                           .arg(r.evaluated.size())
                           .arg(fixed(pointCostS(options.durationS, options.reps)));
    else if (m_stop)
        r.cancelled = true, r.stopReason = QStringLiteral("cancelled after %1 points").arg(r.evaluated.size());
    else if (outcome.infeasible)
        r.stopReason = outcome.stopReason;
    else
        r.stopReason = QStringLiteral("converged: each tuned domain bisected down to the fewest workers that meet "
                                      "every SLA (%1 points, the measuring run included)")
                           .arg(r.evaluated.size());
    r.infeasible = outcome.infeasible && !r.best;
    if (r.infeasible)
        r.infeasibleWhy = explainMisses(scenario, r.evaluated.back().point, tuned, r.starts);
    return r;
}

QStringList explainMisses(const Scenario &scenario, const SweepPointResult &point, const std::vector<DomainKind> &tuned,
    const std::vector<TuneStart> &bounds, bool hopelessOnly)
{
    QStringList out;
    for (const SweepClassFigures &c : point.classes) {
        if (!c.slaP99Ms || c.slaMet)
            continue;
        const auto cls = std::find_if(
            scenario.classes.begin(), scenario.classes.end(), [&](const TaskClass &t) { return t.name == c.name; });
        if (cls == scenario.classes.end())
            continue;
        double alone = 0;
        for (const Stage &s : cls->stages)
            alone += stageMeanS(s);
        const QString head = QStringLiteral("%1 (P99 %2 ms, SLA %3 ms): ")
                                 .arg(c.name, c.p99Ms ? fixed(*c.p99Ms) : QStringLiteral("-"), fixed(*c.slaP99Ms));
        if (alone * 1e3 >= *c.slaP99Ms) {
            out << head
                    + QStringLiteral("its stages take %1 ms on average without any waiting: no pool size helps; "
                                     "make its stages shorter or the SLA longer")
                          .arg(fixed(alone * 1e3));
            continue;
        }
        QString reason;
        // No upper end, and the lower end does not already settle it as a miss.
        if (!c.ciHiMs && !(c.ciLoMs && *c.ciLoMs >= *c.slaP99Ms)) {
            out << head
                    + QStringLiteral("%1 tasks measured at this point are too few to bound its P99 from above; give "
                                     "a longer --duration or more --reps")
                          .arg(c.samples);
            continue;
        }
        // A saturated domain that is not tuned: name the stage that loads it most.
        for (const Stage &s : cls->stages) {
            const DomainKind d = s.domain;
            if (std::find(tuned.begin(), tuned.end(), d) != tuned.end())
                continue;
            const SweepDomainFigures *f = domainFigures(point, d);
            if (!f || f->utilization < kSaturated)
                continue;
            QString culprit;
            double most = -1;
            for (const TaskClass &t : scenario.classes) {
                double rate = 0;
                for (const SweepClassFigures &m : point.classes)
                    if (m.name == t.name)
                        rate = m.throughput;
                for (const Stage &st : t.stages)
                    if (st.domain == d && rate * stageMeanS(st) > most) {
                        most = rate * stageMeanS(st);
                        culprit = t.name + QLatin1Char('.') + st.name;
                    }
            }
            reason = d == DomainKind::Loop
                ? QStringLiteral("the loop is saturated (U %1) by %2: no pool size helps; route it off the loop")
                      .arg(fixed(f->utilization, 2), culprit)
                : QStringLiteral(
                    "%1 is saturated (U %2) by %3 and not tuned: add it to --domains or route %3 elsewhere")
                      .arg(domainName(d), fixed(f->utilization, 2), culprit);
            break;
        }
        if (reason.isEmpty() && hopelessOnly)
            continue;
        if (reason.isEmpty()) {
            for (const TuneStart &t : bounds) {
                const bool uses = std::any_of(
                    cls->stages.begin(), cls->stages.end(), [&](const Stage &s) { return s.domain == t.kind; });
                const SweepDomainFigures *f = domainFigures(point, t.kind);
                if (!uses || !f || f->workers < t.hi)
                    continue;
                reason = t.cpuBound
                    ? QStringLiteral("%1 is at %2 workers, the machine's cores, and runs cpu stages: more workers add "
                                     "no CPU; lower the load or make the cpu stages shorter")
                          .arg(domainName(t.kind))
                          .arg(t.hi)
                    : QStringLiteral("it still misses with %1 at its upper bound of %2 workers")
                          .arg(domainName(t.kind))
                          .arg(t.hi);
                break;
            }
        }
        if (reason.isEmpty())
            reason = QStringLiteral("the pools it uses are not tuned; give them with --domains");
        out << head + reason;
    }
    return out;
}

QJsonObject tuneToJson(const TuneResult &r)
{
    QJsonObject o;
    o[QStringLiteral("schema")] = QStringLiteral("hybridscope.tune/1");
    o[QStringLiteral("scenario")] = r.scenarioName;
    o[QStringLiteral("scenario_source")] = r.scenarioSource;
    o[QStringLiteral("mode")] = r.simulated ? QStringLiteral("simulated") : QStringLiteral("engine");
    if (r.simulated)
        o[QStringLiteral("simulation")] = QJsonObject { { QStringLiteral("cores"), r.simCores },
            { QStringLiteral("calibration"), r.calibration }, { QStringLiteral("confirm"), r.confirm },
            { QStringLiteral("extrapolation"), extrapolationJson(r.extrapolation) } };
    o[QStringLiteral("load")] = r.load;
    o[QStringLiteral("wall_s")] = std::round(r.wallS * 1e3) / 1e3;
    o[QStringLiteral("budget_s")] = r.budgetS;
    o[QStringLiteral("duration_s")] = r.durationS;
    o[QStringLiteral("warmup_s")] = r.warmupS;
    o[QStringLiteral("reps")] = r.reps;
    o[QStringLiteral("cores")] = r.cores;
    Workers start {};
    QJsonArray starts;
    for (const TuneStart &s : r.starts) {
        start[std::size_t(s.kind)] = s.start;
        starts.append(QJsonObject {
            { QStringLiteral("domain"), domainName(s.kind) },
            { QStringLiteral("lo"), s.lo },
            { QStringLiteral("hi"), s.hi },
            { QStringLiteral("start"), s.start },
            { QStringLiteral("arrival_rate"), std::round(s.arrivalRate * 1e3) / 1e3 },
            { QStringLiteral("service_mean_ms"), std::round(s.serviceMeanS * 1e6) / 1e3 },
            { QStringLiteral("target_p99_ms"),
                s.targetS ? QJsonValue(std::round(*s.targetS * 1e6) / 1e3) : QJsonValue() },
            { QStringLiteral("cpu_bound"), s.cpuBound },
            { QStringLiteral("why"), s.why },
        });
    }
    o[QStringLiteral("start")] = r.starts.empty()
        ? QJsonValue()
        : QJsonValue(QJsonObject { { QStringLiteral("values"), workersJson(start) },
            { QStringLiteral("source"), QStringLiteral("theory") }, { QStringLiteral("domains"), starts } });
    QJsonArray evaluated;
    for (const TunePoint &p : r.evaluated) {
        QJsonObject j = sweepPointToJson(p.point);
        j[QStringLiteral("values")] = workersJson(p.workers);
        j[QStringLiteral("source")] = p.source;
        j[QStringLiteral("why")] = p.why;
        j[QStringLiteral("cost")] = TuneSearch::cost(p.workers);
        j[QStringLiteral("all_sla_met")] = p.verdict.allMet;
        evaluated.append(j);
    }
    o[QStringLiteral("evaluated")] = evaluated;
    if (r.best) {
        const TunePoint &b = r.evaluated[*r.best];
        QJsonObject classes;
        for (const SweepClassFigures &c : b.point.classes) {
            auto ms = [](const std::optional<double> &v) {
                return v ? QJsonValue(std::round(*v * 1e3) / 1e3) : QJsonValue();
            };
            classes[c.name] = QJsonObject {
                { QStringLiteral("p99_ms"), ms(c.p99Ms) },
                { QStringLiteral("p99_ci_ms"), QJsonArray { ms(c.ciLoMs), ms(c.ciHiMs) } },
                { QStringLiteral("sla_p99_ms"), ms(c.slaP99Ms) },
                { QStringLiteral("met"), c.slaMet },
            };
        }
        o[QStringLiteral("recommendation")] = QJsonObject {
            { QStringLiteral("values"), workersJson(b.workers) },
            { QStringLiteral("cost"), TuneSearch::cost(b.workers) },
            { QStringLiteral("all_sla_met"), b.verdict.allMet },
            { QStringLiteral("classes"), classes },
        };
    } else {
        o[QStringLiteral("recommendation")] = QJsonValue();
    }
    o[QStringLiteral("stop_reason")] = r.stopReason;
    o[QStringLiteral("infeasible")] = r.infeasible;
    o[QStringLiteral("cancelled")] = r.cancelled;
    QJsonArray why;
    for (const QString &w : r.infeasibleWhy)
        why.append(w);
    o[QStringLiteral("infeasible_why")] = why;
    return o;
}

QString tuneSummary(const TuneResult &r)
{
    QString s;
    if (r.simulated)
        s += QStringLiteral("SIMULATED in virtual time: %1 cores, calibration: %2%3\n")
                 .arg(r.simCores, 0, 'g', 3)
                 .arg(r.calibration)
                 .arg(r.confirm > 0
                         ? QStringLiteral("; the %1 cheapest that met are confirmed on the engine (source engine)")
                               .arg(r.confirm)
                         : QStringLiteral("; nothing confirmed on the engine (--confirm K)"));
    if (r.simulated && !r.extrapolation.empty())
        s += extrapolationText(r.extrapolation) + QLatin1Char('\n');
    s += QStringLiteral("tune %1 at load × %2: %3 point(s) in %4 s (budget %5 s; each point %6 × %7 s, first %8 s "
                        "discarded)\n")
             .arg(r.scenarioName)
             .arg(r.load)
             .arg(r.evaluated.size())
             .arg(fixed(r.wallS))
             .arg(r.budgetS)
             .arg(r.reps)
             .arg(r.durationS)
             .arg(r.warmupS);
    for (const TuneStart &st : r.starts)
        s += QStringLiteral("  start %1 = %2 (%3..%4): %5\n")
                 .arg(domainName(st.kind))
                 .arg(st.start)
                 .arg(st.lo)
                 .arg(st.hi)
                 .arg(st.why);
    for (std::size_t i = 0; i < r.evaluated.size(); ++i) {
        const TunePoint &p = r.evaluated[i];
        QStringList classes;
        for (const SweepClassFigures &c : p.point.classes) {
            if (!c.slaP99Ms)
                continue;
            classes << QStringLiteral("%1 %2 [%3, %4] %5")
                           .arg(c.name, c.p99Ms ? fixed(*c.p99Ms) : QStringLiteral("-"),
                               c.ciLoMs ? fixed(*c.ciLoMs) : QStringLiteral("-"),
                               c.ciHiMs ? fixed(*c.ciHiMs) : QStringLiteral("?"),
                               sheds(c) ? QStringLiteral("missed: %1 % rejected")
                                              .arg(fixed(100.0 * double(c.rejected) / double(c.submitted)))
                                   : c.slaMet ? QStringLiteral("met")
                                              : QStringLiteral("missed"));
        }
        s += QStringLiteral("  %1. [%2] %3: %4  (%5)\n")
                 .arg(i + 1)
                 .arg(p.source, describe(p.workers), classes.join(QStringLiteral(", ")), p.why);
    }
    if (r.best) {
        const TunePoint &b = r.evaluated[*r.best];
        s += QStringLiteral("recommendation: %1 (%2 workers): every SLA met\n")
                 .arg(describe(b.workers))
                 .arg(TuneSearch::cost(b.workers));
    } else {
        s += QStringLiteral("recommendation: none\n");
    }
    for (const QString &w : r.infeasibleWhy)
        s += QStringLiteral("  cannot meet %1\n").arg(w);
    s += QStringLiteral("stopped: %1\n").arg(r.stopReason);
    return s;
}

} // namespace hs
