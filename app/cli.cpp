#include "cli.h"

#include "calibrate.h"
#include "pointargs.h"
#include "signalwatcher.h"
#include "simulate.h"
#include "sweep.h"
#include "tune.h"

#include "core/clock.h"
#include "core/safefile.h"
#include "domains/resources.h"
#include "results/report.h"
#include "results/traceexport.h"
#include "run/engine.h"
#include "run/lessonstep.h"
#include "scenario/builtins.h"
#include "scenario/lesson.h"
#include "scenario/scenarioparser.h"
#include "scenario/units.h"
#include "serve/server.h"

#ifdef HS_WITH_GUI
#include "reportwriter.h"
#endif

#include <QCoreApplication>
#include <QFileInfo>
#include <QHash>
#include <QJsonDocument>
#include <QSet>
#include <QTimer>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include <sys/socket.h>
#include <unistd.h>

namespace hs {

namespace {

using cli::err;
using cli::out;

const char *kUsage = R"(usage:
  hybridscope [SCENARIO] [--run]        open the GUI (the built-in default scenario when none)
  hybridscope --attach HOST:PORT [--token-file F]
                                        open the GUI on a run served with --serve (docs/serve.md)
  hybridscope run SCENARIO [options]    run headless and print a summary
      --duration D        override the scenario's duration (e.g. 10s)
      --set PATH=VALUE    override a value (e.g. domains.threads.workers=16); repeatable
      --route CLASS.STAGE=DOMAIN        start a stage on another domain; repeatable
      --change T:PATH=VALUE             at T into the run, change a live setting (pool size,
                          queue, max_inflight, on_full, gil.enabled); repeatable
      --change T:route:CLASS.STAGE=DOMAIN
                          at T, move a stage to another domain; each change starts a phase
      --drain D           how long in-flight tasks may finish after arrivals stop (default 5s)
      --json FILE         write the JSON report (schema hybridscope.run/1)
      --csv FILE          write one row per frame and domain
      --report FILE       write a report with plots: FILE.html (self-contained) or FILE.pdf
      --trace FILE        write a Chrome trace (open it in ui.perfetto.dev): a span per stage
      --strict            exit 1 when a class misses its P99 SLA
      --quiet             no progress line while running
      --serve [ADDR:]PORT serve the run while it lasts: Prometheus metrics on /metrics and the
                          live view on /live (a WebSocket the GUI attaches to); ADDR defaults to
                          127.0.0.1, PORT 0 picks a free port; --duration 0 runs until Ctrl+C
      --token-file F      require "Authorization: Bearer TOKEN" on both endpoints, TOKEN being
                          the first line of F (private to you: chmod 600); needed for an ADDR
                          that is not loopback (docs/serve.md: or use ssh -L)
  hybridscope sweep SCENARIO --vary PATH=VALUES [--vary ...] [options]
                                        run the scenario once per point and compare (a grid
                                        with two --vary); P99 with 95 % intervals, knee, USL fit,
                                        the cheapest point that meets every SLA
      --vary PATH=VALUES  a --set path or `load` (scales arrival rates and closed-loop clients);
                          VALUES: 1,2,4,8 | 1..16 | 1..64x2 (geometric) | 0.5..2:0.25 (step);
                          at most 200 points in all
      --duration D        each run (default 5s)     --warmup D   discarded first (default 1s)
      --reps N            runs per point, seeds seed, seed+1, ... (default 1)
      --set, --route      as for run                --quiet      no progress line
      --json FILE         write the sweep (schema hybridscope.sweep/1)
      --csv FILE          one row per point and class
      --report FILE       the sweep's report with plots: FILE.html or FILE.pdf
      --sim [--cores N]   points in virtual time (see simulate), on N cores
  hybridscope tune SCENARIO [options]   the fewest workers in the scenario's pools that meet
                                        every class's P99 SLA: a measuring run, the theory's
                                        start (Erlang C), then bisection on the real engine
      --domains LIST      the pools to size, e.g. threads,procs (default: every pool in use)
      --load X            at X times the scenario's arrival rates (default 1)
      --budget D          wall time for the whole tune (default 120s)
      --duration, --warmup, --reps, --set, --route, --quiet     as for sweep
      --json FILE         write the tune (schema hybridscope.tune/1)
      --report FILE       the tune's report: FILE.html or FILE.pdf
      --write FILE.yaml   the scenario with the recommended sizes (comments kept when it can)
      --sim [--cores N] [--confirm K]   search in virtual time on N cores; re-run the K
                          cheapest that met on the engine, whose verdict then decides
  hybridscope simulate SCENARIO [options]
                                        the scenario in virtual time (a discrete-event twin of
                                        the engine): any number of cores, marked simulated
      --cores N           cores the cpu stages share (default: the calibration's effective
                          cores, else this machine's)
      --duration D        virtual time of arrivals (default: the scenario's)
      --reps N            seeds seed, seed+1, ...: 95 % intervals across them (default 1)
      --set, --route      as for run
      --json FILE         hybridscope.run/1 with mode "simulated"   --report FILE  html or pdf
      --csv FILE          the first rep's frames, each row with mode "simulated"
      The machine's costs come from the calibration profile (see calibrate); a prediction
      beyond twice its measured ranges is flagged EXTRAPOLATION.
  hybridscope calibrate [options]       measure this machine's costs for simulate, sweep --sim and
                                        tune --sim (wake-ups, hops, procs transfer, net, disk,
                                        worker start, parallel cores; about 25 s) and store them
      --quick             fewer sizes and samples (about 7 s)
      --json FILE         write the profile here instead of
                          $XDG_DATA_HOME/hybridscope/calibration.json (where simulate reads it)
      --report FILE       the calibration's report with plots and the thread/process break-even
      --quiet             no progress lines
  hybridscope report RUN.json [RUN2.json] --report FILE.html|FILE.pdf
                                        the report of a run written with --json, or the
                                        comparison of two runs side by side; given a
                                        sweep's JSON, the sweep's report
      --phases A,B        compare phases A and B of one run instead (numbered from 1, as in
                          the summary's phase list)
  hybridscope validate SCENARIO...      check scenario files, print their errors
  hybridscope list [NAME...]            list the built-in scenarios and their lessons
SCENARIO is a file path or the name of a built-in scenario (see `hybridscope list`).
exit codes: 0 done, 1 an SLA was missed under --strict (tune: no configuration within the
            bounds meets every SLA), 2 bad input
)";

// `--change T:...`: a live change at T seconds into the run, as a one-change lesson step.
struct ScheduledChange {
    double t = 0;
    QString arg; ///< as given, for messages
    LessonStep step;
    Scenario target; ///< the scenario with every change up to this one (the values applyLiveStep reads)
};

struct RunArgs {
    QString scenario;
    std::vector<Override> sets;
    std::vector<RouteOverride> routes;
    std::vector<ScheduledChange> changes;
    QString json, csv, report, trace;
    QString serve, tokenFile;
    double drain = 5.0;
    bool strict = false;
    bool quiet = false;
};

// Reports draw the GUI's plots (ui's ReportWriter); a build without the GUI cannot write them.
#ifdef HS_WITH_GUI
constexpr bool kHaveReports = true;
#else
constexpr bool kHaveReports = false;
#endif

bool writeRunReport([[maybe_unused]] const QJsonObject &run, [[maybe_unused]] const QString &path, QString *error)
{
#ifdef HS_WITH_GUI
    return ReportWriter::writeRun(run, path, error);
#else
    *error = QStringLiteral("this build has no report renderer (built without the GUI)");
    return false;
#endif
}

bool writePhaseComparisonReport([[maybe_unused]] const QJsonObject &run, [[maybe_unused]] int a, [[maybe_unused]] int b,
    [[maybe_unused]] const QString &path, QString *error)
{
#ifdef HS_WITH_GUI
    return ReportWriter::writePhaseComparison(run, a, b, path, error);
#else
    *error = QStringLiteral("this build has no report renderer (built without the GUI)");
    return false;
#endif
}

bool writeComparisonReport([[maybe_unused]] const QJsonObject &a, [[maybe_unused]] const QJsonObject &b,
    [[maybe_unused]] const QString &path, QString *error)
{
#ifdef HS_WITH_GUI
    return ReportWriter::writeComparison(a, b, path, error);
#else
    *error = QStringLiteral("this build has no report renderer (built without the GUI)");
    return false;
#endif
}

using cli::checkReportPath;

// "1,3" → {0, 2}: two different phase numbers, from 1.
std::optional<std::pair<int, int>> parsePhasePair(const QString &text, QString *error)
{
    const QStringList parts = text.split(QLatin1Char(','));
    std::array<int, 2> n {};
    bool ok = parts.size() == 2;
    for (int i = 0; ok && i < 2; ++i) {
        n[std::size_t(i)] = parts[i].trimmed().toInt(&ok);
        ok = ok && n[std::size_t(i)] >= 1;
    }
    if (!ok) {
        *error = QStringLiteral("expected two phase numbers from 1, like 1,2; got \"%1\"").arg(text);
        return std::nullopt;
    }
    if (n[0] == n[1]) {
        *error = QStringLiteral("two different phases, please; got %1 twice").arg(n[0]);
        return std::nullopt;
    }
    return std::pair { n[0] - 1, n[1] - 1 };
}

// `hybridscope report A.json [B.json] --report F [--phases A,B]`: one run's report, two runs
// compared, or two phases of one run compared.
int cmdReport(const QStringList &args)
{
    QStringList inputs;
    QString target;
    bool haveTarget = false;
    std::optional<std::pair<int, int>> phases;
    for (int i = 0; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--phases")) {
            if (i + 1 >= args.size() || args[i + 1].isEmpty()) {
                err(QStringLiteral("hybridscope report: --phases needs a value, like --phases 1,2\n"));
                return kExitBadInput;
            }
            if (phases) {
                err(QStringLiteral("hybridscope report: --phases given twice\n"));
                return kExitBadInput;
            }
            QString why;
            phases = parsePhasePair(args[++i], &why);
            if (!phases) {
                err(QStringLiteral("hybridscope report: --phases: %1\n").arg(why));
                return kExitBadInput;
            }
        } else if (args[i] == QLatin1String("--report")) {
            if (i + 1 >= args.size() || args[i + 1].isEmpty()) {
                err(QStringLiteral("hybridscope report: --report needs a value\n"));
                return kExitBadInput;
            }
            if (haveTarget) {
                err(QStringLiteral("hybridscope report: --report given twice (%1 and %2); name one file\n")
                        .arg(target, args[i + 1]));
                return kExitBadInput;
            }
            haveTarget = true;
            target = args[++i];
        } else if (args[i].startsWith(QLatin1String("--"))) {
            err(QStringLiteral("hybridscope report: unknown option %1\n").arg(args[i]));
            return kExitBadInput;
        } else {
            inputs << args[i];
        }
    }
    if (inputs.isEmpty() || inputs.size() > 2 || target.isEmpty()) {
        err(QStringLiteral("hybridscope report: usage: hybridscope report RUN.json [RUN2.json] --report "
                           "FILE.html|FILE.pdf [--phases A,B]\n"));
        return kExitBadInput;
    }
    if (phases && inputs.size() != 1) {
        err(QStringLiteral("hybridscope report: --phases compares two phases of one run; give one RUN.json\n"));
        return kExitBadInput;
    }
    QString error;
    if (!checkReportPath(QStringLiteral("report"), target, &error)) {
        err(error);
        return kExitBadInput;
    }
    if (!checkOutputPath(target, &error)) {
        err(QStringLiteral("hybridscope report: --report %1: %2\n").arg(target, error));
        return kExitBadInput;
    }
    std::vector<QJsonObject> runs(std::size_t(inputs.size()));
    QStringList schemas;
    for (int i = 0; i < inputs.size(); ++i) {
        QString schema;
        if (!loadReportJson(inputs[i], &runs[std::size_t(i)], &schema, &error)) {
            err(QStringLiteral("hybridscope report: %1\n").arg(error));
            return kExitBadInput;
        }
        schemas << schema;
    }
    if (schemas.contains(QStringLiteral("hybridscope.sweep/1"))) {
        if (inputs.size() != 1 || phases) {
            err(QStringLiteral("hybridscope report: a sweep's report takes one SWEEP.json (no second file, no "
                               "--phases)\n"));
            return kExitBadInput;
        }
#ifdef HS_WITH_GUI
        if (!ReportWriter::writeSweep(runs[0], target, &error)) {
            err(QStringLiteral("hybridscope report: %1\n").arg(error));
            return kExitBadInput;
        }
        out(QStringLiteral("wrote %1\n").arg(target));
        return kExitOk;
#endif
    }
    const bool ok = phases ? writePhaseComparisonReport(runs[0], phases->first, phases->second, target, &error)
        : runs.size() == 1 ? writeRunReport(runs[0], target, &error)
                           : writeComparisonReport(runs[0], runs[1], target, &error);
    if (!ok && phases) {
        err(QStringLiteral("hybridscope report: --phases: %1: %2\n").arg(inputs[0], error));
        return kExitBadInput;
    }
    if (!ok) {
        err(QStringLiteral("hybridscope report: %1\n").arg(error));
        return kExitBadInput;
    }
    out(QStringLiteral("wrote %1\n").arg(target));
    return kExitOk;
}

// Parses `run` options; returns false after printing an error naming the flag.
// "6s:domains.threads.workers=2" or "9s:route:pipeline.transform=tbb".
std::optional<ScheduledChange> parseChangeArgument(const QString &arg, QString *error)
{
    const qsizetype colon = arg.indexOf(QLatin1Char(':'));
    if (colon <= 0) {
        *error
            = QStringLiteral("expected T:PATH=VALUE or T:route:CLASS.STAGE=DOMAIN, like 6s:domains.threads.workers=2");
        return std::nullopt;
    }
    ScheduledChange c;
    c.arg = arg;
    QString why;
    const auto t = parseDuration(arg.left(colon), &why);
    if (!t) {
        *error = QStringLiteral("the time: ") + why;
        return std::nullopt;
    }
    if (*t <= 0 || *t > 24 * 3600.0) {
        *error = QStringLiteral("the time must be after the start and at most 24h; got \"%1\"").arg(arg.left(colon));
        return std::nullopt;
    }
    c.t = *t;
    const QString rest = arg.mid(colon + 1);
    if (rest.startsWith(QLatin1String("route:"))) {
        auto r = ScenarioParser::parseRouteArgument(rest.mid(6), &why);
        if (!r) {
            *error = why;
            return std::nullopt;
        }
        c.step.routes.push_back(*r);
    } else {
        auto o = ScenarioParser::parseSetArgument(rest, &why);
        if (!o) {
            *error = why;
            return std::nullopt;
        }
        if (!isLiveSetting(o->path)) {
            *error = QStringLiteral("%1 cannot change while running (live: domains.D.workers, queue, max_inflight, "
                                    "on_full, gil.enabled, and routes); use --set for its starting value")
                         .arg(o->path);
            return std::nullopt;
        }
        if (const QString e = ScenarioParser::checkField(o->path, o->value); !e.isEmpty()) {
            *error = e;
            return std::nullopt;
        }
        c.step.sets.push_back(*o);
    }
    c.step.title = arg;
    return c;
}

bool parseRunArgs(const QStringList &args, RunArgs *ra)
{
    // A flag that takes one value: given twice, which one was meant? Refuse rather than keep the last.
    static const QSet<QString> kSingle { QStringLiteral("--duration"), QStringLiteral("--drain"),
        QStringLiteral("--json"), QStringLiteral("--csv"), QStringLiteral("--report"), QStringLiteral("--trace"),
        QStringLiteral("--serve"), QStringLiteral("--token-file") };
    QHash<QString, QString> seen; // flag → its value
    for (int i = 0; i < args.size(); ++i) {
        if (!kSingle.contains(args[i]))
            continue;
        const QString value = i + 1 < args.size() ? args[i + 1] : QString();
        if (seen.contains(args[i])) {
            err(QStringLiteral("hybridscope run: %1 given twice (%2 and %3); give it once\n")
                    .arg(args[i], seen.value(args[i]), value));
            return false;
        }
        seen.insert(args[i], value);
        ++i;
    }
    for (int i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        auto value = [&](QString *v) {
            if (i + 1 >= args.size() || args[i + 1].startsWith(QLatin1String("--")) || args[i + 1].isEmpty()) {
                err(QStringLiteral("hybridscope run: %1 needs a value\n").arg(a));
                return false;
            }
            *v = args[++i];
            return true;
        };
        QString v;
        if (a == QLatin1String("--duration")) {
            if (!value(&v))
                return false;
            // Checked here so that the error names this flag rather than an equivalent --set.
            if (const QString e = ScenarioParser::checkField(QStringLiteral("duration"), v); !e.isEmpty()) {
                err(QStringLiteral("hybridscope run: --duration %1: %2\n").arg(v, e));
                return false;
            }
            ra->sets.push_back(Override { QStringLiteral("duration"), v });
        } else if (a == QLatin1String("--set")) {
            if (!value(&v))
                return false;
            QString e;
            auto o = ScenarioParser::parseSetArgument(v, &e);
            if (!o) {
                err(QStringLiteral("hybridscope run: --set %1: %2\n").arg(v, e));
                return false;
            }
            ra->sets.push_back(*o);
        } else if (a == QLatin1String("--route")) {
            if (!value(&v))
                return false;
            QString e;
            auto r = ScenarioParser::parseRouteArgument(v, &e);
            if (!r) {
                err(QStringLiteral("hybridscope run: --route %1: %2\n").arg(v, e));
                return false;
            }
            ra->routes.push_back(*r);
        } else if (a == QLatin1String("--change")) {
            if (!value(&v))
                return false;
            QString e;
            auto c = parseChangeArgument(v, &e);
            if (!c) {
                err(QStringLiteral("hybridscope run: --change %1: %2\n").arg(v, e));
                return false;
            }
            ra->changes.push_back(std::move(*c));
        } else if (a == QLatin1String("--json")) {
            if (!value(&ra->json))
                return false;
        } else if (a == QLatin1String("--csv")) {
            if (!value(&ra->csv))
                return false;
        } else if (a == QLatin1String("--report")) {
            if (!value(&ra->report))
                return false;
        } else if (a == QLatin1String("--trace")) {
            if (!value(&ra->trace))
                return false;
        } else if (a == QLatin1String("--serve")) {
            if (!value(&ra->serve))
                return false;
        } else if (a == QLatin1String("--token-file")) {
            if (!value(&ra->tokenFile))
                return false;
        } else if (a == QLatin1String("--drain")) {
            if (!value(&v))
                return false;
            QString e;
            const auto d = parseDuration(v, &e);
            // The engine counts the drain in nanoseconds from now: 24 h is far inside that range.
            constexpr double kMaxDrain = 24 * 3600.0;
            if (d && (*d > kMaxDrain || (*d > 0 && *d < 1e-9)))
                e = QStringLiteral("must be from 0 to 24h (and 0 or at least 1ns); got \"%1\"").arg(v);
            if (!d || *d < 0 || !e.isEmpty()) {
                err(QStringLiteral("hybridscope run: --drain %1: %2\n")
                        .arg(v, e.isEmpty() ? QStringLiteral("expected a duration like 5s") : e));
                return false;
            }
            ra->drain = *d;
        } else if (a == QLatin1String("--strict")) {
            ra->strict = true;
        } else if (a == QLatin1String("--quiet")) {
            ra->quiet = true;
        } else if (const int got = cli::scenarioArgument("run", a, &ra->scenario); got <= 0) {
            if (got < 0)
                err(QStringLiteral("hybridscope run: unknown option %1\n").arg(a));
            return false;
        }
    }
    return cli::checkScenarioGiven("run", ra->scenario);
}

void printErrors(const std::vector<ScenarioError> &errors)
{
    for (const auto &e : errors)
        err(e.toString() + QLatin1Char('\n'));
}

int cmdValidate(const QStringList &files)
{
    if (files.isEmpty()) {
        err(QStringLiteral("hybridscope validate: name at least one scenario file\n"));
        return kExitBadInput;
    }
    bool ok = true;
    for (const QString &f : files) {
        if (f.isEmpty()) {
            err(QStringLiteral("hybridscope validate: empty path; name a scenario file\n"));
            ok = false;
            continue;
        }
        const ParseResult r = ScenarioParser::parseFile(resolveScenarioPath(f));
        if (r.ok()) {
            out(QStringLiteral("%1: ok (%2: %3 classes)\n").arg(f, r.scenario->name).arg(r.scenario->classes.size()));
            for (const QString &w : resourceWarnings(*r.scenario)) // valid, but beyond this machine
                err(QStringLiteral("%1: warning: %2\n").arg(f, w));
        } else {
            ok = false;
            printErrors(r.errors);
        }
    }
    return ok ? kExitOk : kExitBadInput;
}

int cmdList(const QStringList &args)
{
    if (!args.isEmpty()) {
        // `list NAME...`: the full lesson of each named scenario.
        int rc = kExitOk;
        for (const QString &a : args) {
            if (a.isEmpty()) {
                err(QStringLiteral("hybridscope list: empty name; name a built-in scenario or a file\n"));
                rc = kExitBadInput;
                continue;
            }
            const ParseResult r = ScenarioParser::parseFile(resolveScenarioPath(a));
            if (!r.ok()) {
                printErrors(r.errors);
                rc = kExitBadInput;
                continue;
            }
            out(QStringLiteral("%1 — %2\n").arg(a, r.scenario->name));
            if (!r.scenario->description.isEmpty())
                out(QStringLiteral("  %1\n").arg(r.scenario->description));
            if (r.scenario->lesson)
                out(QStringLiteral("  lesson: ") + lessonText(*r.scenario->lesson));
            else
                out(QStringLiteral("  (no lesson)\n"));
        }
        return rc;
    }
    out(QStringLiteral("Built-in scenarios (hybridscope list NAME shows a lesson in full):\n"));
    // The scenarios without a lesson, then the lessons in the README's teaching order (as the GUI's
    // Lessons menu lists them).
    const QStringList lessons = builtinLessonNames();
    QStringList names;
    for (const QString &name : builtinScenarioNames())
        if (!lessons.contains(name))
            names << name;
    names << lessons;
    for (const QString &name : names) {
        const ParseResult r = ScenarioParser::parseFile(builtinScenarioPath(name));
        QString line = QStringLiteral("  %1  %2")
                           .arg(name.leftJustified(18), r.ok() ? r.scenario->name : QStringLiteral("(invalid)"));
        if (r.ok() && r.scenario->lesson)
            line += QStringLiteral("\n  %1  lesson: %2 — %3")
                        .arg(QString().leftJustified(18), r.scenario->lesson->title, r.scenario->lesson->goal);
        out(line + QLatin1Char('\n'));
    }
    return kExitOk;
}

} // namespace

int runHeadless(const QString &scenarioArg, const QStringList &options)
{
    RunArgs ra;
    QStringList all = options;
    if (!scenarioArg.isEmpty())
        all.prepend(scenarioArg);
    if (!parseRunArgs(all, &ra))
        return kExitBadInput;
    // Every output file is checked before the run: a run of minutes must not end in "cannot write",
    // and a device or a FIFO named as an output must never be replaced by a regular file.
    const std::pair<const char *, const QString *> outputs[]
        = { { "--json", &ra.json }, { "--csv", &ra.csv }, { "--report", &ra.report }, { "--trace", &ra.trace } };
    QHash<QString, QString> outputFlags; // absolute path → flag
    for (const auto &[flag, path] : outputs) {
        if (path->isEmpty())
            continue;
        QString why;
        if (!checkOutputPath(*path, &why)) {
            err(QStringLiteral("hybridscope run: %1 %2: %3\n").arg(QLatin1String(flag), *path, why));
            return kExitBadInput;
        }
        const QString absolute = QFileInfo(*path).absoluteFilePath();
        if (outputFlags.contains(absolute)) {
            err(QStringLiteral("hybridscope run: %1 and %2 both name %3; give each its own file\n")
                    .arg(outputFlags.value(absolute), QLatin1String(flag), *path));
            return kExitBadInput;
        }
        outputFlags.insert(absolute, QLatin1String(flag));
    }
    QString reportError;
    if (!ra.report.isEmpty() && !checkReportPath(QStringLiteral("run"), ra.report, &reportError)) {
        err(reportError);
        return kExitBadInput;
    }
    std::optional<ServeOptions> serve;
    if (!ra.tokenFile.isEmpty() && ra.serve.isEmpty()) {
        err(QStringLiteral(
            "hybridscope run: --token-file protects what --serve serves; give --serve [ADDR:]PORT too\n"));
        return kExitBadInput;
    }
    if (!ra.serve.isEmpty()) {
        ServeOptions so;
        QString why;
        if (!parseServeAddress(ra.serve, &so, &why)) {
            err(QStringLiteral("hybridscope run: --serve %1: %2\n").arg(ra.serve, why));
            return kExitBadInput;
        }
        if (!ra.tokenFile.isEmpty() && !readTokenFile(ra.tokenFile, &so.token, &why)) {
            err(QStringLiteral("hybridscope run: --token-file %1: %2\n").arg(ra.tokenFile, why));
            return kExitBadInput;
        }
        if (!isLoopbackAddress(so.address) && so.token.isEmpty()) {
            err(QStringLiteral("hybridscope run: --serve %1: %2 is not a loopback address, and without --token-file "
                               "anyone who can reach it could read the run and stop it; give --token-file F, or serve "
                               "on 127.0.0.1 and reach it with ssh -L (docs/serve.md)\n")
                    .arg(ra.serve, so.address));
            return kExitBadInput;
        }
        serve = so;
    }
    const ParseResult pr = ScenarioParser::parseFile(resolveScenarioPath(ra.scenario), ra.sets, ra.routes);
    if (!pr.ok()) {
        printErrors(pr.errors);
        return kExitBadInput;
    }
    Scenario s = *pr.scenario;
    // Each change applies on top of the ones before it: its target is the scenario with all of them.
    std::stable_sort(ra.changes.begin(), ra.changes.end(),
        [](const ScheduledChange &a, const ScheduledChange &b) { return a.t < b.t; });
    {
        std::vector<Override> sets = ra.sets;
        std::vector<RouteOverride> routes = ra.routes;
        for (ScheduledChange &c : ra.changes) {
            if (s.duration > 0 && c.t >= s.duration) {
                err(QStringLiteral("hybridscope run: --change %1: at %2 s, not before the run ends (duration %3 s)\n")
                        .arg(c.arg)
                        .arg(c.t)
                        .arg(s.duration));
                return kExitBadInput;
            }
            sets.insert(sets.end(), c.step.sets.begin(), c.step.sets.end());
            routes.insert(routes.end(), c.step.routes.begin(), c.step.routes.end());
            const ParseResult target = ScenarioParser::parseFile(resolveScenarioPath(ra.scenario), sets, routes);
            if (!target.ok()) {
                err(QStringLiteral("hybridscope run: --change %1 does not apply to %2:\n").arg(c.arg, ra.scenario));
                printErrors(target.errors);
                return kExitBadInput;
            }
            c.target = *target.scenario;
        }
    }
    if (s.duration <= 0) {
        err(QStringLiteral("hybridscope run: %1 has no duration; it runs until stopped (Ctrl+C stops it%2)\n")
                .arg(ra.scenario, serve ? QStringLiteral(", and so does a /live stop") : QString()));
    }

    for (const QString &w : resourceWarnings(s))
        err(QStringLiteral("hybridscope run: warning: %1\n").arg(w));

    EngineOptions engineOptions { ra.drain };
    engineOptions.trace = !ra.trace.isEmpty(); // spans cost a little per stage: only when asked for
    Engine engine(s, engineOptions);
    QObject::connect(&engine, &Engine::finished, qApp, &QCoreApplication::quit);
    // Before start(), so that it sees every frame; bound before start(), so that a port in use
    // fails before the run does.
    std::unique_ptr<Server> server;
    if (serve) {
        server = std::make_unique<Server>(engine, *serve);
        QString why;
        if (!server->listen(&why)) {
            err(QStringLiteral("hybridscope run: --serve %1: %2\n").arg(ra.serve, why));
            return kExitBadInput;
        }
    }

    // SIGINT/SIGTERM: the first stops gracefully, the second cancels at once; also during start().
    std::atomic<int> signalCount { 0 };
    std::optional<SignalWatcher> signalWatch;
    signalWatch.emplace("run", [&engine, &signalCount](int count) {
        signalCount = count;
        if (count == 1) {
            err(QStringLiteral("\nstopping: draining in-flight tasks (again to cancel them now)\n"));
            engine.requestStop();
        } else if (count == 2) {
            err(QStringLiteral("\ncancelling\n"));
            engine.cancelNow();
        }
    });

    QTimer progress;
    if (!ra.quiet) {
        QObject::connect(&progress, &QTimer::timeout, &engine, [&] {
            const auto frames = engine.frames();
            if (frames.empty())
                return;
            const Frame &f = frames.back();
            std::uint64_t sub = 0, done = 0, bad = 0;
            for (const auto &c : f.classes) {
                sub += c.submitted;
                done += c.completed;
                bad += c.failed + c.rejected + c.cancelled;
            }
            err(QStringLiteral("\r  t=%1s  submitted %2  completed %3  not completed %4  loop lag %5 ms   ")
                    .arg(f.t, 0, 'f', 1)
                    .arg(sub)
                    .arg(done)
                    .arg(bad)
                    .arg(f.loopLagMs, 0, 'f', 2));
        });
        progress.start(1000);
    }

    QString error;
    if (!engine.start(&error)) {
        err(QStringLiteral("hybridscope run: cannot start: %1\n").arg(error));
        return kExitBadInput;
    }
    if (server) {
        server->attach();
        err(QStringLiteral("hybridscope: serving %1 (/metrics, /live)\n").arg(server->url()));
    }
    // Live changes at their times, through the path the GUI and lesson steps use.
    std::vector<std::unique_ptr<QTimer>> changeTimers;
    for (const ScheduledChange &c : ra.changes) {
        auto timer = std::make_unique<QTimer>();
        timer->setSingleShot(true);
        timer->setTimerType(Qt::PreciseTimer);
        QObject::connect(timer.get(), &QTimer::timeout, &engine, [&engine, &c] {
            if (!engine.isRunning())
                return;
            QString why;
            if (!applyLiveStep(engine, c.step, c.target, &why))
                err(QStringLiteral("\nhybridscope run: --change %1: refused: %2\n").arg(c.arg, why));
        });
        timer->start(std::max(0, int(std::lround((c.t - engine.elapsed()) * 1e3))));
        changeTimers.push_back(std::move(timer));
    }
    QCoreApplication::exec();
    changeTimers.clear();
    progress.stop();
    signalWatch.reset();
    if (!ra.quiet)
        err(QStringLiteral("\n"));

    const RunResult r = engine.result();
    if (server) {
        // Every /live client hears how the run ended before the process goes (bounded, 2 s).
        const QString reason = signalCount >= 2           ? QStringLiteral("cancelled")
            : signalCount == 1 || server->stopRequested() ? QStringLiteral("stopped")
                                                          : QStringLiteral("finished");
        server->finish(reason, r.durationS);
        server.reset();
    }
    out(runSummary(r));
    bool wrote = true;
    if (!ra.json.isEmpty()) {
        if (writeFileAtomically(ra.json, QJsonDocument(runToJson(r)).toJson(QJsonDocument::Indented), &error))
            out(QStringLiteral("wrote %1\n").arg(ra.json));
        else
            wrote = false, err(error + QLatin1Char('\n'));
    }
    if (!ra.csv.isEmpty()) {
        if (writeFileAtomically(ra.csv, runToCsv(r).toUtf8(), &error))
            out(QStringLiteral("wrote %1\n").arg(ra.csv));
        else
            wrote = false, err(error + QLatin1Char('\n'));
    }
    if (!ra.report.isEmpty()) {
        if (writeRunReport(runToJson(r), ra.report, &error))
            out(QStringLiteral("wrote %1\n").arg(ra.report));
        else
            wrote = false, err(QStringLiteral("hybridscope run: --report: %1\n").arg(error));
    }
    if (!ra.trace.isEmpty()) {
        if (writeChromeTrace(r, ra.trace, &error))
            out(QStringLiteral("wrote %1 (%2)\n").arg(ra.trace, traceSamplingStatement(*r.trace)));
        else
            wrote = false, err(QStringLiteral("hybridscope run: --trace: ") + error + QLatin1Char('\n'));
    }
    if (!wrote)
        return kExitBadInput;
    if (!r.conserved()) {
        err(QStringLiteral("hybridscope run: conservation violated (a bug): please report it\n"));
        return kExitSlaMissed;
    }
    return ra.strict && !r.allSlasMet() ? kExitSlaMissed : kExitOk;
}

std::optional<int> runCli(const QStringList &args)
{
    if (args.isEmpty())
        return std::nullopt;
    // `hybridscope run … | head`: a reader that goes away must not kill the run before it writes
    // its files. Writes to the closed pipe fail with EPIPE instead, and are ignored.
    std::signal(SIGPIPE, SIG_IGN);
    const QString cmd = args.first();
    const QStringList rest = args.mid(1);
    if (cmd == QLatin1String("run")) {
        if (rest.isEmpty()) {
            err(QString::fromUtf8(kUsage));
            return kExitBadInput;
        }
        // The scenario may come anywhere among the options; parseRunArgs finds it.
        return runHeadless(QString(), rest);
    }
    if (cmd == QLatin1String("sweep"))
        return runSweep(rest);
    if (cmd == QLatin1String("tune"))
        return runTune(rest);
    if (cmd == QLatin1String("simulate"))
        return runSimulate(rest);
    if (cmd == QLatin1String("calibrate"))
        return runCalibrate(rest);
    if (cmd == QLatin1String("validate"))
        return cmdValidate(rest);
    if (cmd == QLatin1String("report"))
        return cmdReport(rest);
    if (cmd == QLatin1String("list"))
        return cmdList(rest);
    if (cmd == QLatin1String("--help") || cmd == QLatin1String("-h") || cmd == QLatin1String("help")) {
        out(QString::fromUtf8(kUsage));
        return kExitOk;
    }
    return std::nullopt;
}

namespace cli {

void out(const QString &s)
{
    std::fputs(s.toUtf8().constData(), stdout);
    std::fflush(stdout);
}

void err(const QString &s)
{
    std::fputs(s.toUtf8().constData(), stderr);
    std::fflush(stderr);
}

bool checkReportPath(const QString &cmd, const QString &path, QString *error)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix != QLatin1String("html") && suffix != QLatin1String("htm") && suffix != QLatin1String("pdf")) {
        *error
            = QStringLiteral("hybridscope %1: --report %2: expected a file ending in .html or .pdf\n").arg(cmd, path);
        return false;
    }
    if (!kHaveReports) {
        *error = QStringLiteral("hybridscope %1: --report: this build has no report renderer (built without the GUI)\n")
                     .arg(cmd);
        return false;
    }
    return true;
}

} // namespace cli

} // namespace hs
