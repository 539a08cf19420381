#include "sweep.h"

#include "cli.h"
#include "pointargs.h"
#include "signalwatcher.h"

#include "core/safefile.h"
#include "domains/resources.h"
#include "results/report.h"
#include "scenario/builtins.h"
#include "scenario/scenarioparser.h"
#include "scenario/units.h"
#include "sim/calibration.h"
#include "tuning/bakeoff.h"
#include "tuning/simpoint.h"
#include "tuning/sweepanalysis.h"
#include "tuning/sweepplan.h"
#include "tuning/sweepreport.h"
#include "tuning/sweeprunner.h"

#ifdef HS_WITH_GUI
#include "reportwriter.h"
#endif

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QSet>
#include <QThread>

#include <atomic>
#include <cmath>
#include <cstdio>

namespace hs {

namespace {

using cli::err;
using cli::out;

struct SweepArgs : cli::PointArgs {
    std::vector<VaryAxis> axes;
    QStringList varyArgs; ///< as given, for messages
};

bool parseSweepArgs(const QStringList &args, SweepArgs *sa)
{
    QSet<QString> seen;
    for (int i = 0; i < args.size(); ++i) {
        const int shared = cli::parsePointFlag("sweep", args, &i, sa, &seen);
        if (shared == 0)
            return false;
        if (shared > 0)
            continue;
        const QString &a = args[i];
        QString v;
        if (a == QLatin1String("--vary")) {
            if (!cli::flagValue("sweep", args, &i, &v))
                return false;
            QString e;
            auto axis = parseVaryArgument(v, &e);
            if (!axis) {
                err(QStringLiteral("hybridscope sweep: --vary %1: %2\n").arg(v, e));
                return false;
            }
            sa->axes.push_back(std::move(*axis));
            sa->varyArgs << v;
        } else {
            err(QStringLiteral("hybridscope sweep: unknown option %1\n").arg(a));
            return false;
        }
    }
    if (!cli::checkPointArgs("sweep", *sa))
        return false;
    if (sa->confirm > 0) {
        err(QStringLiteral("hybridscope sweep: --confirm is tune's (tune --sim --confirm K)\n"));
        return false;
    }
    if (sa->axes.empty()) {
        err(QStringLiteral(
            "hybridscope sweep: --vary PATH=VALUES is needed, like --vary domains.threads.workers=2..16x2\n"));
        return false;
    }
    for (const Override &o : sa->sets)
        for (const VaryAxis &a : sa->axes)
            if (o.path == a.path) {
                err(QStringLiteral("hybridscope sweep: --set %1=%2: %1 is varied by --vary; give it once\n")
                        .arg(o.path, o.value));
                return false;
            }
    return true;
}

} // namespace

int runSweep(const QStringList &args)
{
    SweepArgs sa;
    if (!parseSweepArgs(args, &sa))
        return kExitBadInput;
    QString why;
    const auto plan = SweepPlan::make(sa.axes, &why);
    if (!plan) {
        err(QStringLiteral("hybridscope sweep: --vary %1: %2\n")
                .arg(sa.varyArgs.join(QStringLiteral(" --vary ")), why));
        return kExitBadInput;
    }
    if (!cli::checkOutputs("sweep", { { "--json", sa.json }, { "--csv", sa.csv }, { "--report", sa.report } }))
        return kExitBadInput;
    const QString path = resolveScenarioPath(sa.scenario);
    const ParseResult base = ScenarioParser::parseFile(path, sa.sets, sa.routes);
    if (!base.ok()) {
        for (const auto &e : base.errors)
            err(e.toString() + QLatin1Char('\n'));
        return kExitBadInput;
    }
    // Every point is checked before the first runs: a value a class or a stage refuses is bad input.
    std::vector<Scenario> scenarios;
    QSet<QString> warned;
    for (const SweepValues &values : plan->points()) {
        std::vector<Override> sets = sa.sets;
        const auto more = pointOverrides(values);
        sets.insert(sets.end(), more.begin(), more.end());
        const ParseResult r = ScenarioParser::parseFile(path, sets, sa.routes);
        if (!r.ok()) {
            err(QStringLiteral("hybridscope sweep: --vary: the point %1 does not apply to %2:\n")
                    .arg(sweepValuesText(values), sa.scenario));
            for (const auto &e : r.errors)
                err(QStringLiteral("  ") + e.toString() + QLatin1Char('\n'));
            return kExitBadInput;
        }
        Scenario s = *r.scenario;
        if (!scaleLoad(s, pointLoad(values), &why)) {
            err(QStringLiteral("hybridscope sweep: --vary %1: %2\n").arg(sweepValuesText(values), why));
            return kExitBadInput;
        }
        for (const QString &w : resourceWarnings(s))
            if (!warned.contains(w)) {
                warned.insert(w);
                err(QStringLiteral("hybridscope sweep: warning (%1): %2\n").arg(sweepValuesText(values), w));
            }
        scenarios.push_back(std::move(s));
    }

    SweepResult result;
    result.scenarioName = base.scenario->name;
    result.scenarioSource = base.scenario->source;
    result.axes = plan->axes();
    result.plannedPoints = plan->size();
    result.durationS = sa.duration;
    result.warmupS = sa.warmup;
    result.reps = sa.reps;
    SimOptions simOptions;
    simOptions.cores = sa.cores;
    if (sa.sim) {
        const std::optional<SimCosts> costs = cli::simCostsOrExplain("sweep");
        if (!costs)
            return kExitBadInput;
        simOptions.costs = *costs;
        result.mode = QStringLiteral("simulated");
        result.simCores = simCores(simOptions);
        result.cores = std::max(1, int(std::lround(result.simCores)));
        result.calibration = costs->source;
    }

    SweepRunner runner;
    Tuner tuner; // a policy bake-off's fixed baseline
    std::atomic<bool> stopAfterPoint { false };
    std::optional<SignalWatcher> signalWatch;
    signalWatch.emplace("sweep", [&](int count) {
        if (count == 1) {
            err(QStringLiteral("\nstopping after this point (again to stop it now; it is then not reported)\n"));
            stopAfterPoint = true;
            tuner.stop();
        } else if (count == 2) {
            err(QStringLiteral("\nstopping this point now\n"));
            runner.stopNow();
            tuner.stopNow();
        }
    });

    QElapsedTimer wall;
    wall.start();
    const int n = plan->size();
    const double perPointGuess = sa.reps * (sa.duration + 0.3);
    for (int i = 0; i < n && !stopAfterPoint && !runner.stopped(); ++i) {
        const SweepValues &values = plan->points()[std::size_t(i)];
        const double startedAt = double(wall.nsecsElapsed()) / 1e9;
        const auto perPoint = [&] { return i > 0 ? startedAt / i : perPointGuess; };
        if (!sa.quiet) {
            runner.onProgress = [&](int rep, double t) {
                const double inPoint = rep * (sa.duration + 0.3) + std::min(t, sa.duration);
                const double eta = (n - i) * perPoint() - inPoint;
                err(QStringLiteral("\r  point %1/%2  %3  rep %4/%5  t=%6s  ETA %7   ")
                        .arg(i + 1)
                        .arg(n)
                        .arg(sweepValuesText(values))
                        .arg(rep + 1)
                        .arg(sa.reps)
                        .arg(std::min(t, sa.duration), 0, 'f', 1)
                        .arg(cli::clockText(eta)));
            };
        }
        std::optional<SweepPointResult> point;
        if (sa.sim) {
            point = simulatePoint(scenarios[std::size_t(i)], values, sa.duration, sa.warmup, sa.reps, simOptions);
            mergeExtrapolations(&result.extrapolation, simulationExtrapolations(scenarios[std::size_t(i)], simOptions));
        } else {
            point = runner.runPoint(scenarios[std::size_t(i)], values, sa.duration, sa.warmup, sa.reps, &why);
        }
        if (!point) {
            err(QStringLiteral("\nhybridscope sweep: point %1 (%2): cannot start: %3\n")
                    .arg(i + 1)
                    .arg(sweepValuesText(values), why));
            signalWatch.reset();
            return kExitBadInput;
        }
        if (!point->complete) {
            if (!sa.quiet)
                err(QStringLiteral("\n  point %1/%2 stopped before its end: not reported\n").arg(i + 1).arg(n));
            break;
        }
        if (!sa.quiet) {
            QStringList p99s;
            for (const SweepClassFigures &c : point->classes)
                p99s << QStringLiteral("%1 P99 %2 ms%3")
                            .arg(c.name, c.p99Ms ? QString::number(*c.p99Ms, 'f', 1) : QStringLiteral("-"),
                                !c.slaP99Ms    ? QString()
                                    : c.slaMet ? QStringLiteral(" (SLA met)")
                                               : QStringLiteral(" (SLA not met)"));
            err(QStringLiteral("\r  point %1/%2  %3  done in %4 s: %5%6\n")
                    .arg(i + 1)
                    .arg(n)
                    .arg(sweepValuesText(values))
                    .arg(point->wallS, 0, 'f', 1)
                    .arg(p99s.join(QStringLiteral(", ")), QString(40, QLatin1Char(' '))));
        }
        result.points.push_back(std::move(*point));
    }
    result.interrupted = int(result.points.size()) < n;
    // A policy bake-off: the cheapest fixed size of the pool that meets every SLA, to compare with.
    if (const auto d = result.bakeoffDomain()) {
        if (result.interrupted) {
            result.baselineWhy = QStringLiteral("the sweep was stopped before the search");
        } else {
            TuneOptions o;
            o.durationS = sa.duration;
            o.warmupS = sa.warmup;
            o.reps = sa.reps;
            o.budgetS = baselineBudgetS(sa.duration, sa.reps);
            o.simulate = sa.sim;
            o.sim = simOptions;
            o.cores = result.cores;
            if (!sa.quiet) {
                err(QStringLiteral("  fixed baseline: the cheapest %1 size that meets every SLA with autoscale off "
                                   "(tune search on the %2, budget %3 s)\n")
                        .arg(domainName(*d), sa.sim ? QStringLiteral("simulator") : QStringLiteral("engine"))
                        .arg(o.budgetS, 0, 'f', 0));
                tuner.onPoint = [&](const TunePoint &p) {
                    err(QStringLiteral("    %1 %2 workers: %3 (%4)\n")
                            .arg(domainName(*d))
                            .arg(p.workers[std::size_t(*d)])
                            .arg(p.verdict.allMet ? QStringLiteral("every SLA met") : QStringLiteral("SLA missed"),
                                p.why));
                };
            }
            if (!findFixedBaseline(tuner, *base.scenario, o, result, &why)) {
                err(QStringLiteral("hybridscope sweep: fixed baseline: cannot start: %1\n").arg(why));
                signalWatch.reset();
                return kExitBadInput;
            }
        }
    }
    signalWatch.reset();
    result.wallS = double(wall.nsecsElapsed()) / 1e9;
    analyzeSweep(result);

    out(sweepSummary(result));
    bool wrote = true;
    if (!sa.json.isEmpty()) {
        if (writeFileAtomically(sa.json, QJsonDocument(sweepToJson(result)).toJson(QJsonDocument::Indented), &why))
            out(QStringLiteral("wrote %1\n").arg(sa.json));
        else
            wrote = false, err(QStringLiteral("hybridscope sweep: --json: ") + why + QLatin1Char('\n'));
    }
    if (!sa.csv.isEmpty()) {
        if (writeFileAtomically(sa.csv, sweepToCsv(result).toUtf8(), &why))
            out(QStringLiteral("wrote %1\n").arg(sa.csv));
        else
            wrote = false, err(QStringLiteral("hybridscope sweep: --csv: ") + why + QLatin1Char('\n'));
    }
#ifdef HS_WITH_GUI
    if (!sa.report.isEmpty()) {
        if (ReportWriter::writeSweep(sweepToJson(result), sa.report, &why))
            out(QStringLiteral("wrote %1\n").arg(sa.report));
        else
            wrote = false, err(QStringLiteral("hybridscope sweep: --report: ") + why + QLatin1Char('\n'));
    }
#endif
    if (!wrote)
        return kExitBadInput;
    for (const SweepPointResult &p : result.points)
        if (!p.conserved) {
            err(QStringLiteral("hybridscope sweep: conservation violated at %1 (a bug): please report it\n")
                    .arg(sweepValuesText(p.values)));
            return kExitSlaMissed;
        }
    return kExitOk;
}

} // namespace hs
