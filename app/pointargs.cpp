#include "pointargs.h"

#include "cli.h"

#include "core/safefile.h"
#include "scenario/builtins.h"
#include "scenario/scenarioparser.h"
#include "scenario/units.h"
#include "sim/calibration.h"

#include <QFileInfo>
#include <QHash>

#include <cmath>

namespace hs::cli {

namespace {
constexpr double kMaxPointSeconds = 3600;
constexpr int kMaxReps = 100;
constexpr int kMaxCores = 4096;
constexpr int kMaxConfirm = 20;
} // namespace

bool flagValue(const char *cmd, const QStringList &args, int *i, QString *v)
{
    const QString &a = args[*i];
    if (*i + 1 >= args.size() || args[*i + 1].startsWith(QLatin1String("--")) || args[*i + 1].isEmpty()) {
        err(QStringLiteral("hybridscope %1: %2 needs a value\n").arg(QLatin1String(cmd), a));
        return false;
    }
    *v = args[++*i];
    return true;
}

int parsePointFlag(const char *cmd, const QStringList &args, int *i, PointArgs *pa, QSet<QString> *seen)
{
    const QString a = args[*i];
    const QString c = QLatin1String(cmd);
    const bool once = a == QLatin1String("--duration") || a == QLatin1String("--warmup") || a == QLatin1String("--reps")
        || a == QLatin1String("--json") || a == QLatin1String("--csv") || a == QLatin1String("--report")
        || a == QLatin1String("--cores") || a == QLatin1String("--confirm") || a == QLatin1String("--sim");
    if (once && seen->contains(a)) {
        err(QStringLiteral("hybridscope %1: %2 given twice; give it once\n").arg(c, a));
        return 0;
    }
    if (once)
        seen->insert(a);
    QString v;
    if (a == QLatin1String("--duration") || a == QLatin1String("--warmup")) {
        if (!flagValue(cmd, args, i, &v))
            return 0;
        QString e;
        const auto d = parseDuration(v, &e);
        const bool isDuration = a == QLatin1String("--duration");
        if (!d || (isDuration && *d <= 0) || *d < 0 || *d > kMaxPointSeconds) {
            err(QStringLiteral("hybridscope %1: %2 %3: %4\n")
                    .arg(c, a, v,
                        d ? QStringLiteral("must be %1 and at most 1h")
                                .arg(QLatin1String(isDuration ? "above 0" : "0 or more"))
                          : e));
            return 0;
        }
        (isDuration ? pa->duration : pa->warmup) = *d;
    } else if (a == QLatin1String("--reps")) {
        if (!flagValue(cmd, args, i, &v))
            return 0;
        bool ok = false;
        const int n = v.toInt(&ok);
        if (!ok || n < 1 || n > kMaxReps) {
            err(QStringLiteral("hybridscope %1: --reps %2: expected a whole number from 1 to %3\n")
                    .arg(c, v)
                    .arg(kMaxReps));
            return 0;
        }
        pa->reps = n;
    } else if (a == QLatin1String("--set")) {
        if (!flagValue(cmd, args, i, &v))
            return 0;
        QString e;
        auto o = ScenarioParser::parseSetArgument(v, &e);
        if (!o) {
            err(QStringLiteral("hybridscope %1: --set %2: %3\n").arg(c, v, e));
            return 0;
        }
        if (o->path == QLatin1String("duration")) {
            err(QStringLiteral("hybridscope %1: --set %2: a point's length is --duration\n").arg(c, v));
            return 0;
        }
        pa->sets.push_back(*o);
    } else if (a == QLatin1String("--route")) {
        if (!flagValue(cmd, args, i, &v))
            return 0;
        QString e;
        auto r = ScenarioParser::parseRouteArgument(v, &e);
        if (!r) {
            err(QStringLiteral("hybridscope %1: --route %2: %3\n").arg(c, v, e));
            return 0;
        }
        pa->routes.push_back(*r);
    } else if (a == QLatin1String("--json")) {
        if (!flagValue(cmd, args, i, &pa->json))
            return 0;
    } else if (a == QLatin1String("--csv")) {
        if (!flagValue(cmd, args, i, &pa->csv))
            return 0;
    } else if (a == QLatin1String("--report")) {
        if (!flagValue(cmd, args, i, &pa->report))
            return 0;
        QString e;
        if (!checkReportPath(c, pa->report, &e)) {
            err(e);
            return 0;
        }
    } else if (a == QLatin1String("--quiet")) {
        pa->quiet = true;
    } else if (a == QLatin1String("--sim")) {
        pa->sim = true;
    } else if (a == QLatin1String("--cores") || a == QLatin1String("--confirm")) {
        if (!flagValue(cmd, args, i, &v))
            return 0;
        bool ok = false;
        const int n = v.toInt(&ok);
        const int most = a == QLatin1String("--cores") ? kMaxCores : kMaxConfirm;
        if (!ok || n < 1 || n > most) {
            err(QStringLiteral("hybridscope %1: %2 %3: expected a whole number from 1 to %4\n").arg(c, a, v).arg(most));
            return 0;
        }
        (a == QLatin1String("--cores") ? pa->cores : pa->confirm) = n;
    } else {
        return scenarioArgument(cmd, a, &pa->scenario);
    }
    return 1;
}

int scenarioArgument(const char *cmd, const QString &a, QString *scenario)
{
    const QString c = QLatin1String(cmd);
    if (a.startsWith(QLatin1String("--")))
        return -1;
    if (a.isEmpty()) {
        err(QStringLiteral("hybridscope %1: empty scenario path\n").arg(c));
        return 0;
    }
    if (!scenario->isEmpty()) {
        err(QStringLiteral("hybridscope %1: one scenario at a time (got %2 and %3)\n").arg(c, *scenario, a));
        return 0;
    }
    *scenario = a;
    return 1;
}

bool checkScenarioGiven(const char *cmd, const QString &scenario)
{
    if (!scenario.isEmpty())
        return true;
    err(QStringLiteral("hybridscope %1: which scenario? (a file, or one of: %2)\n")
            .arg(QLatin1String(cmd), builtinScenarioNames().join(QStringLiteral(", "))));
    return false;
}

bool checkPointArgs(const char *cmd, const PointArgs &pa)
{
    const QString c = QLatin1String(cmd);
    if (!checkScenarioGiven(cmd, pa.scenario))
        return false;
    if ((pa.cores > 0 || pa.confirm > 0) && !pa.sim) {
        err(QStringLiteral("hybridscope %1: %2 goes with --sim (points in virtual time)\n")
                .arg(c, QLatin1String(pa.cores > 0 ? "--cores" : "--confirm")));
        return false;
    }
    if (pa.warmup >= pa.duration) {
        err(QStringLiteral("hybridscope %1: --warmup %2 s leaves nothing of --duration %3 s to measure\n")
                .arg(c)
                .arg(pa.warmup)
                .arg(pa.duration));
        return false;
    }
    return true;
}

std::optional<SimCosts> simCostsOrExplain(const char *cmd)
{
    QString why;
    std::optional<SimCosts> costs = loadSimCosts(&why);
    if (!costs)
        err(QStringLiteral("hybridscope %1: calibration profile: %2 (run `hybridscope calibrate` again, or remove the "
                           "file to use the built-in default)\n")
                .arg(QLatin1String(cmd), why));
    return costs;
}

bool checkOutputs(const char *cmd, const std::vector<std::pair<const char *, QString>> &outputs)
{
    QHash<QString, QString> flags;
    QString why;
    for (const auto &[flag, path] : outputs) {
        if (path.isEmpty())
            continue;
        if (!checkOutputPath(path, &why)) {
            err(QStringLiteral("hybridscope %1: %2 %3: %4\n").arg(QLatin1String(cmd), QLatin1String(flag), path, why));
            return false;
        }
        const QString absolute = QFileInfo(path).absoluteFilePath();
        if (flags.contains(absolute)) {
            err(QStringLiteral("hybridscope %1: %2 and %3 both name %4; give each its own file\n")
                    .arg(QLatin1String(cmd), flags.value(absolute), QLatin1String(flag), path));
            return false;
        }
        flags.insert(absolute, QLatin1String(flag));
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

} // namespace hs::cli
