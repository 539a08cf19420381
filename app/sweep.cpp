#include "sweep.h"

#include "cli.h"
#include "signalwatcher.h"

#include "core/safefile.h"
#include "domains/resources.h"
#include "results/report.h"
#include "scenario/builtins.h"
#include "scenario/scenarioparser.h"
#include "scenario/units.h"
#include "tuning/sweepanalysis.h"
#include "tuning/sweepplan.h"
#include "tuning/sweepreport.h"
#include "tuning/sweeprunner.h"

#ifdef HS_WITH_GUI
#include "reportwriter.h"
#endif

#include <QElapsedTimer>
#include <QFileInfo>
#include <QHash>
#include <QJsonDocument>
#include <QSet>

#include <atomic>
#include <cmath>
#include <cstdio>

namespace hs {

namespace {

using cli::err;
using cli::out;

constexpr double kMaxPointSeconds = 3600;
constexpr int kMaxReps = 100;

struct SweepArgs {
    QString scenario;
    std::vector<VaryAxis> axes;
    QStringList varyArgs; ///< as given, for messages
    std::vector<Override> sets;
    std::vector<RouteOverride> routes;
    double duration = 5.0;
    double warmup = 1.0;
    int reps = 1;
    QString json, csv, report;
    bool quiet = false;
};

bool parseSweepArgs(const QStringList &args, SweepArgs *sa)
{
    QSet<QString> seen;
    for (int i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        auto value = [&](QString *v) {
            if (i + 1 >= args.size() || args[i + 1].startsWith(QLatin1String("--")) || args[i + 1].isEmpty()) {
                err(QStringLiteral("hybridscope sweep: %1 needs a value\n").arg(a));
                return false;
            }
            *v = args[++i];
            return true;
        };
        const bool once = a == QLatin1String("--duration") || a == QLatin1String("--warmup")
            || a == QLatin1String("--reps") || a == QLatin1String("--json") || a == QLatin1String("--csv")
            || a == QLatin1String("--report");
        if (once && seen.contains(a)) {
            err(QStringLiteral("hybridscope sweep: %1 given twice; give it once\n").arg(a));
            return false;
        }
        seen.insert(a);
        QString v;
        if (a == QLatin1String("--vary")) {
            if (!value(&v))
                return false;
            QString e;
            auto axis = parseVaryArgument(v, &e);
            if (!axis) {
                err(QStringLiteral("hybridscope sweep: --vary %1: %2\n").arg(v, e));
                return false;
            }
            sa->axes.push_back(std::move(*axis));
            sa->varyArgs << v;
        } else if (a == QLatin1String("--duration") || a == QLatin1String("--warmup")) {
            if (!value(&v))
                return false;
            QString e;
            const auto d = parseDuration(v, &e);
            const bool isDuration = a == QLatin1String("--duration");
            if (!d || (isDuration && *d <= 0) || *d < 0 || *d > kMaxPointSeconds) {
                err(QStringLiteral("hybridscope sweep: %1 %2: %3\n")
                        .arg(a, v,
                            d ? QStringLiteral("must be %1 and at most 1h")
                                    .arg(QLatin1String(isDuration ? "above 0" : "0 or more"))
                              : e));
                return false;
            }
            (isDuration ? sa->duration : sa->warmup) = *d;
        } else if (a == QLatin1String("--reps")) {
            if (!value(&v))
                return false;
            bool ok = false;
            const int n = v.toInt(&ok);
            if (!ok || n < 1 || n > kMaxReps) {
                err(QStringLiteral("hybridscope sweep: --reps %1: expected a whole number from 1 to %2\n")
                        .arg(v)
                        .arg(kMaxReps));
                return false;
            }
            sa->reps = n;
        } else if (a == QLatin1String("--set")) {
            if (!value(&v))
                return false;
            QString e;
            auto o = ScenarioParser::parseSetArgument(v, &e);
            if (!o) {
                err(QStringLiteral("hybridscope sweep: --set %1: %2\n").arg(v, e));
                return false;
            }
            if (o->path == QLatin1String("duration")) {
                err(QStringLiteral("hybridscope sweep: --set %1: a point's length is --duration\n").arg(v));
                return false;
            }
            sa->sets.push_back(*o);
        } else if (a == QLatin1String("--route")) {
            if (!value(&v))
                return false;
            QString e;
            auto r = ScenarioParser::parseRouteArgument(v, &e);
            if (!r) {
                err(QStringLiteral("hybridscope sweep: --route %1: %2\n").arg(v, e));
                return false;
            }
            sa->routes.push_back(*r);
        } else if (a == QLatin1String("--json")) {
            if (!value(&sa->json))
                return false;
        } else if (a == QLatin1String("--csv")) {
            if (!value(&sa->csv))
                return false;
        } else if (a == QLatin1String("--report")) {
            if (!value(&sa->report))
                return false;
            QString e;
            if (!cli::checkReportPath(QStringLiteral("sweep"), sa->report, &e)) {
                err(e);
                return false;
            }
        } else if (a == QLatin1String("--quiet")) {
            sa->quiet = true;
        } else if (a == QLatin1String("--sim") || a == QLatin1String("--cores")) {
            err(QStringLiteral("hybridscope sweep: %1 is not available yet (sweeps run on the real engine)\n").arg(a));
            return false;
        } else if (a.startsWith(QLatin1String("--"))) {
            err(QStringLiteral("hybridscope sweep: unknown option %1\n").arg(a));
            return false;
        } else if (a.isEmpty()) {
            err(QStringLiteral("hybridscope sweep: empty scenario path\n"));
            return false;
        } else if (sa->scenario.isEmpty()) {
            sa->scenario = a;
        } else {
            err(QStringLiteral("hybridscope sweep: one scenario at a time (got %1 and %2)\n").arg(sa->scenario, a));
            return false;
        }
    }
    if (sa->scenario.isEmpty()) {
        err(QStringLiteral("hybridscope sweep: which scenario? (a file, or one of: %1)\n")
                .arg(builtinScenarioNames().join(QStringLiteral(", "))));
        return false;
    }
    if (sa->axes.empty()) {
        err(QStringLiteral(
            "hybridscope sweep: --vary PATH=VALUES is needed, like --vary domains.threads.workers=2..16x2\n"));
        return false;
    }
    if (sa->warmup >= sa->duration) {
        err(QStringLiteral("hybridscope sweep: --warmup %1 s leaves nothing of --duration %2 s to measure\n")
                .arg(sa->warmup)
                .arg(sa->duration));
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

QString clockText(double seconds)
{
    const qint64 s = qint64(std::ceil(std::max(0.0, seconds)));
    return s >= 3600 ? QStringLiteral("%1:%2:%3")
                           .arg(s / 3600)
                           .arg(s / 60 % 60, 2, 10, QLatin1Char('0'))
                           .arg(s % 60, 2, 10, QLatin1Char('0'))
                     : QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

QString valuesText(const SweepValues &values)
{
    QStringList parts;
    for (const auto &[path, v] : values)
        parts << path + QLatin1Char('=') + v;
    return parts.join(QLatin1Char(' '));
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
    // Output files are checked before the first point: a sweep of minutes must not end in "cannot write".
    const std::pair<const char *, const QString *> outputs[]
        = { { "--json", &sa.json }, { "--csv", &sa.csv }, { "--report", &sa.report } };
    QHash<QString, QString> outputFlags;
    for (const auto &[flag, path] : outputs) {
        if (path->isEmpty())
            continue;
        if (!checkOutputPath(*path, &why)) {
            err(QStringLiteral("hybridscope sweep: %1 %2: %3\n").arg(QLatin1String(flag), *path, why));
            return kExitBadInput;
        }
        const QString absolute = QFileInfo(*path).absoluteFilePath();
        if (outputFlags.contains(absolute)) {
            err(QStringLiteral("hybridscope sweep: %1 and %2 both name %3; give each its own file\n")
                    .arg(outputFlags.value(absolute), QLatin1String(flag), *path));
            return kExitBadInput;
        }
        outputFlags.insert(absolute, QLatin1String(flag));
    }
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
                    .arg(valuesText(values), sa.scenario));
            for (const auto &e : r.errors)
                err(QStringLiteral("  ") + e.toString() + QLatin1Char('\n'));
            return kExitBadInput;
        }
        Scenario s = *r.scenario;
        if (!scaleLoad(s, pointLoad(values), &why)) {
            err(QStringLiteral("hybridscope sweep: --vary %1: %2\n").arg(valuesText(values), why));
            return kExitBadInput;
        }
        for (const QString &w : resourceWarnings(s))
            if (!warned.contains(w)) {
                warned.insert(w);
                err(QStringLiteral("hybridscope sweep: warning (%1): %2\n").arg(valuesText(values), w));
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

    SweepRunner runner;
    std::atomic<bool> stopAfterPoint { false };
    std::optional<SignalWatcher> signalWatch;
    signalWatch.emplace("sweep", [&](int count) {
        if (count == 1) {
            err(QStringLiteral("\nstopping after this point (again to stop it now; it is then not reported)\n"));
            stopAfterPoint = true;
        } else if (count == 2) {
            err(QStringLiteral("\nstopping this point now\n"));
            runner.stopNow();
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
                        .arg(valuesText(values))
                        .arg(rep + 1)
                        .arg(sa.reps)
                        .arg(std::min(t, sa.duration), 0, 'f', 1)
                        .arg(clockText(eta)));
            };
        }
        auto point = runner.runPoint(scenarios[std::size_t(i)], values, sa.duration, sa.warmup, sa.reps, &why);
        if (!point) {
            err(QStringLiteral("\nhybridscope sweep: point %1 (%2): cannot start: %3\n")
                    .arg(i + 1)
                    .arg(valuesText(values), why));
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
                    .arg(valuesText(values))
                    .arg(point->wallS, 0, 'f', 1)
                    .arg(p99s.join(QStringLiteral(", ")), QString(40, QLatin1Char(' '))));
        }
        result.points.push_back(std::move(*point));
    }
    signalWatch.reset();
    result.wallS = double(wall.nsecsElapsed()) / 1e9;
    result.interrupted = int(result.points.size()) < n;
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
                    .arg(valuesText(p.values)));
            return kExitSlaMissed;
        }
    return kExitOk;
}

} // namespace hs
