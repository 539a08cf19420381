#include "tune.h"

#include "cli.h"
#include "pointargs.h"
#include "signalwatcher.h"

#include "core/safefile.h"
#include "domains/resources.h"
#include "results/report.h"
#include "scenario/builtins.h"
#include "scenario/scenarioedit.h"
#include "scenario/scenarioparser.h"
#include "scenario/scenariowriter.h"
#include "scenario/units.h"
#include "sim/calibration.h"
#include "tuning/sweepplan.h"
#include "tuning/tuner.h"

#ifdef HS_WITH_GUI
#include "reportwriter.h"
#endif

#include <QFile>
#include <QJsonDocument>
#include <QSet>

#include <cmath>

namespace hs {

namespace {

using cli::err;
using cli::out;

constexpr double kMaxBudgetS = 24 * 3600;

struct TuneArgs : cli::PointArgs {
    std::vector<DomainKind> domains;
    double load = 1.0;
    double budget = 120.0;
    QString write;
};

bool parseTuneArgs(const QStringList &args, TuneArgs *ta)
{
    QSet<QString> seen;
    for (int i = 0; i < args.size(); ++i) {
        const int shared = cli::parsePointFlag("tune", args, &i, ta, &seen);
        if (shared == 0)
            return false;
        if (shared > 0)
            continue;
        const QString a = args[i];
        if (seen.contains(a) && a != QLatin1String("--set") && a != QLatin1String("--route")) {
            err(QStringLiteral("hybridscope tune: %1 given twice; give it once\n").arg(a));
            return false;
        }
        QString v;
        if (a == QLatin1String("--domains")) {
            if (!cli::flagValue("tune", args, &i, &v))
                return false;
            for (const QString &name : v.split(QLatin1Char(','))) {
                const auto d = domainFromName(name.trimmed());
                if (!d) {
                    err(QStringLiteral("hybridscope tune: --domains %1: unknown domain %2 (the pools are threads, "
                                       "tbb, procs)\n")
                            .arg(v, quotedValue(name)));
                    return false;
                }
                if (*d == DomainKind::Loop) {
                    err(QStringLiteral("hybridscope tune: --domains %1: the loop always has one thread; tune the "
                                       "pools (threads, tbb, procs)\n")
                            .arg(v));
                    return false;
                }
                if (std::find(ta->domains.begin(), ta->domains.end(), *d) != ta->domains.end()) {
                    err(QStringLiteral("hybridscope tune: --domains %1: %2 appears twice\n").arg(v, name));
                    return false;
                }
                ta->domains.push_back(*d);
            }
        } else if (a == QLatin1String("--load")) {
            if (!cli::flagValue("tune", args, &i, &v))
                return false;
            bool ok = false;
            const double f = v.toDouble(&ok);
            if (!ok || !std::isfinite(f) || f <= 0 || f > kMaxLoadFactor) {
                err(QStringLiteral("hybridscope tune: --load %1: expected a factor above 0 and at most %2, like 0.5 or "
                                   "2\n")
                        .arg(v)
                        .arg(kMaxLoadFactor));
                return false;
            }
            ta->load = f;
        } else if (a == QLatin1String("--budget")) {
            if (!cli::flagValue("tune", args, &i, &v))
                return false;
            QString e;
            const auto d = parseDuration(v, &e);
            if (!d || *d <= 0 || *d > kMaxBudgetS) {
                err(QStringLiteral("hybridscope tune: --budget %1: %2\n")
                        .arg(v, d ? QStringLiteral("must be above 0 and at most 24h") : e));
                return false;
            }
            ta->budget = *d;
        } else if (a == QLatin1String("--write")) {
            if (!cli::flagValue("tune", args, &i, &ta->write))
                return false;
            if (!ta->write.endsWith(QLatin1String(".yaml")) && !ta->write.endsWith(QLatin1String(".yml"))) {
                err(QStringLiteral("hybridscope tune: --write %1: a scenario file ends in .yaml or .yml\n")
                        .arg(ta->write));
                return false;
            }
        } else if (a == QLatin1String("--csv")) {
            err(QStringLiteral("hybridscope tune: --csv is a sweep's (a row per point and class); tune writes --json "
                               "and --report\n"));
            return false;
        } else {
            err(QStringLiteral("hybridscope tune: unknown option %1\n").arg(a));
            return false;
        }
        seen.insert(a);
    }
    if (!cli::checkPointArgs("tune", *ta))
        return false;
    // The measuring run and one point must fit: less is no tune at all (a simulated point takes
    // well under a second; a point on the engine its runs and their drain).
    const double needed = ta->sim ? 1.0 : 2 * Tuner::pointCostS(ta->duration, ta->reps);
    if (ta->budget < needed) {
        err(QStringLiteral("hybridscope tune: --budget %1 s is too small for one point: the measuring run and "
                           "each point take about %2 s (--reps %3 × (--duration %4 s + the drain)); give at "
                           "least %5 s\n")
                .arg(ta->budget)
                .arg(needed / 2)
                .arg(ta->reps)
                .arg(ta->duration)
                .arg(std::ceil(needed)));
        return false;
    }
    for (const Override &o : ta->sets)
        for (DomainKind d : ta->domains)
            if (o.path == QStringLiteral("domains.%1.workers").arg(domainName(d))) {
                err(QStringLiteral("hybridscope tune: --set %1=%2: %3 is what tune sizes; drop one of them\n")
                        .arg(o.path, o.value, domainName(d)));
                return false;
            }
    return true;
}

// The file --write writes: the original text with the recommended sizes edited in place when it
// can be, else the scenario written afresh (a note says the comments were not kept).
QByteArray scenarioToWrite(const QString &path, const std::vector<Override> &sets,
    const std::vector<RouteOverride> &routes, const Scenario &tuned, QString *note)
{
    QFile f(path);
    if (routes.empty() && f.open(QIODevice::ReadOnly)) {
        QString why;
        if (auto text = editScenarioText(f.readAll(), sets, &why))
            return *text;
        *note = QStringLiteral("written afresh, without the original's comments: ") + why;
    } else {
        *note = routes.empty() ? QStringLiteral("written afresh: the original could not be read")
                               : QStringLiteral("written afresh, without the original's comments: --route is "
                                                "not a field of the file");
    }
    return ScenarioWriter::toYaml(tuned);
}

} // namespace

int runTune(const QStringList &args)
{
    TuneArgs ta;
    if (!parseTuneArgs(args, &ta))
        return kExitBadInput;
    if (!cli::checkOutputs("tune", { { "--json", ta.json }, { "--report", ta.report }, { "--write", ta.write } }))
        return kExitBadInput;
    const QString path = resolveScenarioPath(ta.scenario);
    const ParseResult parsed = ScenarioParser::parseFile(path, ta.sets, ta.routes);
    if (!parsed.ok()) {
        for (const auto &e : parsed.errors)
            err(e.toString() + QLatin1Char('\n'));
        return kExitBadInput;
    }
    Scenario scenario = *parsed.scenario;
    QString why;
    if (!scaleLoad(scenario, ta.load, &why)) {
        err(QStringLiteral("hybridscope tune: --load %1: %2\n").arg(ta.load).arg(why));
        return kExitBadInput;
    }
    bool anySla = false;
    for (int i = 0; i < int(scenario.classes.size()); ++i)
        anySla = anySla || scenario.slaFor(i).has_value();
    if (!anySla) {
        err(QStringLiteral("hybridscope tune: %1 has no P99 SLA to meet (set sla_p99 on the scenario or a class, or "
                           "--set sla_p99=50ms)\n")
                .arg(ta.scenario));
        return kExitBadInput;
    }
    const std::vector<DomainKind> used = Tuner::usedPools(scenario);
    for (DomainKind d : ta.domains)
        if (std::find(used.begin(), used.end(), d) == used.end()) {
            err(QStringLiteral("hybridscope tune: --domains: %1 runs no stage of %2; sizing it changes nothing\n")
                    .arg(domainName(d), ta.scenario));
            return kExitBadInput;
        }
    if (ta.domains.empty() && used.empty()) {
        err(QStringLiteral("hybridscope tune: %1 runs every stage on the loop: there is no pool to size\n")
                .arg(ta.scenario));
        return kExitBadInput;
    }
    for (const QString &w : resourceWarnings(scenario))
        err(QStringLiteral("hybridscope tune: warning: %1\n").arg(w));

    TuneOptions options;
    options.domains = ta.domains;
    options.budgetS = ta.budget;
    options.durationS = ta.duration;
    options.warmupS = ta.warmup;
    options.reps = ta.reps;
    options.simulate = ta.sim;
    options.sim.cores = ta.cores;
    if (ta.sim) {
        const std::optional<SimCosts> costs = cli::simCostsOrExplain("tune");
        if (!costs)
            return kExitBadInput;
        options.sim.costs = *costs;
    }
    options.confirm = ta.confirm;

    Tuner tuner;
    std::optional<SignalWatcher> signalWatch;
    signalWatch.emplace("tune", [&](int count) {
        if (count == 1) {
            err(QStringLiteral("\nstopping after this point (again to stop it now)\n"));
            tuner.stop();
        } else if (count == 2) {
            err(QStringLiteral("\nstopping this point now\n"));
            tuner.stopNow();
        }
    });
    if (!ta.quiet) {
        tuner.onPointStart = [&](int point, const Workers &w, const QString &pointWhy) {
            err(QStringLiteral("\r  point %1: %2 (%3)%4\n")
                    .arg(point)
                    .arg(sweepValuesText(Tuner::workerValues(w)), pointWhy, QString(10, QLatin1Char(' '))));
        };
        tuner.onProgress = [&](int rep, double t) {
            err(QStringLiteral("\r    rep %1  t=%2s   ").arg(rep + 1).arg(std::min(t, ta.duration), 0, 'f', 1));
        };
    }
    const auto result = tuner.run(scenario, ta.load, options, &why);
    signalWatch.reset();
    if (!ta.quiet)
        err(QStringLiteral("\r%1\r").arg(QString(30, QLatin1Char(' '))));
    if (!result) {
        err(QStringLiteral("hybridscope tune: cannot run %1: %2\n").arg(ta.scenario, why));
        return kExitBadInput;
    }
    out(tuneSummary(*result));
    bool wrote = true;
    if (!ta.json.isEmpty()) {
        if (writeFileAtomically(ta.json, QJsonDocument(tuneToJson(*result)).toJson(QJsonDocument::Indented), &why))
            out(QStringLiteral("wrote %1\n").arg(ta.json));
        else
            wrote = false, err(QStringLiteral("hybridscope tune: --json: ") + why + QLatin1Char('\n'));
    }
#ifdef HS_WITH_GUI
    if (!ta.report.isEmpty()) {
        if (ReportWriter::writeTune(tuneToJson(*result), ta.report, &why))
            out(QStringLiteral("wrote %1\n").arg(ta.report));
        else
            wrote = false, err(QStringLiteral("hybridscope tune: --report: ") + why + QLatin1Char('\n'));
    }
#endif
    if (!ta.write.isEmpty()) {
        if (!result->best) {
            err(QStringLiteral("hybridscope tune: --write %1: not written: no configuration met every SLA\n")
                    .arg(ta.write));
        } else {
            const Workers &best = result->evaluated[*result->best].workers;
            std::vector<Override> sets = ta.sets;
            for (const auto &[p, v] : Tuner::workerValues(best))
                sets.push_back(Override { p, v });
            // The file keeps the scenario's own load: --load is a question, not a setting.
            const ParseResult withBest = ScenarioParser::parseFile(path, sets, ta.routes);
            QString note;
            const QByteArray text
                = withBest.ok() ? scenarioToWrite(path, sets, ta.routes, *withBest.scenario, &note) : QByteArray();
            if (!withBest.ok()) {
                wrote = false;
                err(QStringLiteral("hybridscope tune: --write: the recommendation does not apply to %1: %2\n")
                        .arg(ta.scenario, withBest.errors.front().toString()));
            } else if (writeFileAtomically(ta.write, text, &why)) {
                out(QStringLiteral("wrote %1%2\n")
                        .arg(ta.write, note.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(note)));
            } else {
                wrote = false, err(QStringLiteral("hybridscope tune: --write: ") + why + QLatin1Char('\n'));
            }
        }
    }
    if (!wrote)
        return kExitBadInput;
    for (const TunePoint &p : result->evaluated)
        if (!p.point.conserved) {
            err(QStringLiteral("hybridscope tune: conservation violated at %1 (a bug): please report it\n")
                    .arg(sweepValuesText(Tuner::workerValues(p.workers))));
            return kExitSlaMissed;
        }
    return result->best ? kExitOk : kExitSlaMissed;
}

} // namespace hs
