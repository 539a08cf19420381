#include "simulate.h"

#include "cli.h"
#include "pointargs.h"

#include "core/safefile.h"
#include "results/report.h"
#include "scenario/builtins.h"
#include "scenario/scenarioparser.h"
#include "scenario/units.h"
#include "sim/calibration.h"
#include "sim/simulator.h"
#include "tuning/sweeprunner.h"

#ifdef HS_WITH_GUI
#include "reportwriter.h"
#endif

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <cmath>

namespace hs {

namespace {

using cli::err;
using cli::out;

constexpr int kMaxCores = 4096;

struct SimArgs : cli::PointArgs {
    bool durationGiven = false;
};

// The point flags of sweep and tune (--set, --route, --duration, --reps, --json, --csv, --report,
// --quiet, the scenario), and --cores; --duration is virtual time, --warmup is not ours.
bool parseSimArgs(const QStringList &args, SimArgs *sa)
{
    QSet<QString> seen;
    for (int i = 0; i < args.size(); ++i) {
        const QString a = args[i];
        if (a == QLatin1String("--warmup")) {
            err(QStringLiteral("hybridscope simulate: %1 is for sweeps; a simulated run is measured from its start\n")
                    .arg(a));
            return false;
        }
        if (a == QLatin1String("--cores")) {
            QString v;
            if (seen.contains(a)) {
                err(QStringLiteral("hybridscope simulate: --cores given twice; give it once\n"));
                return false;
            }
            seen.insert(a);
            if (!cli::flagValue("simulate", args, &i, &v))
                return false;
            bool ok = false;
            const int n = v.toInt(&ok);
            if (!ok || n < 1 || n > kMaxCores) {
                err(QStringLiteral("hybridscope simulate: --cores %1: expected a whole number from 1 to %2\n")
                        .arg(v)
                        .arg(kMaxCores));
                return false;
            }
            sa->cores = n;
            continue;
        }
        const int shared = cli::parsePointFlag("simulate", args, &i, sa, &seen);
        if (shared == 0)
            return false;
        if (shared < 0) {
            err(QStringLiteral("hybridscope simulate: unknown option %1\n").arg(a));
            return false;
        }
    }
    if (sa->sim || sa->confirm > 0) {
        err(QStringLiteral("hybridscope simulate: %1 is for sweep and tune; simulate is always in virtual time\n")
                .arg(QLatin1String(sa->sim ? "--sim" : "--confirm")));
        return false;
    }
    sa->durationGiven = seen.contains(QStringLiteral("--duration"));
    return cli::checkScenarioGiven("simulate", sa->scenario);
}

// A figure's 95 % interval across reps as [lo, hi] (nulls from one rep).
QJsonArray interval(const std::vector<double> &v)
{
    const MeanInterval m = replicationInterval(v);
    const auto r
        = [](const std::optional<double> &x) { return x ? QJsonValue(std::round(*x * 1e3) / 1e3) : QJsonValue(); };
    return QJsonArray { r(m.lo), r(m.hi) };
}

} // namespace

int runSimulate(const QStringList &args)
{
    SimArgs sa;
    if (!parseSimArgs(args, &sa))
        return kExitBadInput;
    if (!cli::checkOutputs("simulate", { { "--json", sa.json }, { "--csv", sa.csv }, { "--report", sa.report } }))
        return kExitBadInput;
    std::vector<Override> sets = sa.sets;
    if (sa.durationGiven)
        sets.push_back(Override { QStringLiteral("duration"), QString::number(sa.duration) + QStringLiteral("s") });
    const ParseResult parsed = ScenarioParser::parseFile(resolveScenarioPath(sa.scenario), sets, sa.routes);
    if (!parsed.ok()) {
        for (const auto &e : parsed.errors)
            err(e.toString() + QLatin1Char('\n'));
        return kExitBadInput;
    }
    const Scenario &base = *parsed.scenario;
    if (base.duration <= 0) {
        err(QStringLiteral("hybridscope simulate: %1 runs until stopped (duration 0); give --duration\n")
                .arg(sa.scenario));
        return kExitBadInput;
    }
    SimOptions options;
    options.cores = sa.cores;
    const std::optional<SimCosts> costs = cli::simCostsOrExplain("simulate");
    if (!costs)
        return kExitBadInput;
    options.costs = *costs;
    std::vector<RunResult> reps;
    SimStats total;
    for (int k = 0; k < sa.reps; ++k) {
        Scenario s = base;
        s.seed = base.seed + std::uint64_t(k);
        SimStats st;
        reps.push_back(simulate(s, options, &st));
        total.events += st.events;
        total.wallS += st.wallS;
    }
    const RunResult &r = reps.front();
    const double cores = simCores(options);
    const QString extrapolation = extrapolationText(simulationExtrapolations(base, options));
    const QString mark
        = QStringLiteral("SIMULATED in virtual time (not measured): %1 cores, %2 rep(s), calibration: %3; "
                         "%4 events in %5 s (%6 million events/s)\n")
              .arg(cores, 0, 'g', 3)
              .arg(sa.reps)
              .arg(options.costs.source)
              .arg(total.events)
              .arg(total.wallS, 0, 'f', 3)
              .arg(total.eventsPerS() / 1e6, 0, 'f', 2)
        + (extrapolation.isEmpty() ? QString() : extrapolation + QLatin1Char('\n'))
        + (simulationLockNote(base).isEmpty()
                ? QString()
                : QStringLiteral("NOTE: ") + simulationLockNote(base) + QLatin1Char('\n'));
    QString summary = runSummary(r);
    const int ran = summary.indexOf(QLatin1String("\nran "));
    if (ran >= 0) {
        const int eol = summary.indexOf(QLatin1Char('\n'), ran + 1);
        summary.replace(ran + 1, eol - ran,
            QStringLiteral("simulated %1 s of virtual time on %2 cores")
                .arg(r.durationS, 0, 'f', 2)
                .arg(cores, 0, 'g', 3));
    }
    if (!sa.quiet || sa.json.isEmpty())
        out(mark + summary);
    if (sa.reps > 1) {
        QString across = QStringLiteral("across %1 reps (95 % intervals):\n").arg(sa.reps);
        for (std::size_t c = 0; c < r.classes.size(); ++c) {
            std::vector<double> p99, tput;
            for (const RunResult &x : reps) {
                p99.push_back(x.classes[c].latency.percentile(0.99) / 1e6);
                tput.push_back(x.classes[c].throughput);
            }
            const QJsonArray pi = interval(p99), ti = interval(tput);
            across += QStringLiteral("  %1: P99 [%2, %3] ms, throughput [%4, %5]/s\n")
                          .arg(r.classes[c].name)
                          .arg(pi[0].toDouble())
                          .arg(pi[1].toDouble())
                          .arg(ti[0].toDouble())
                          .arg(ti[1].toDouble());
        }
        out(across);
    }
    QJsonObject json = runToJson(r);
    json[QStringLiteral("simulation")] = simulationJson(base, options, total, sa.reps);
    // Figures with their 95 % intervals across reps (DESIGN §12).
    QJsonObject classes = json.value(QStringLiteral("classes")).toObject();
    for (std::size_t c = 0; c < r.classes.size(); ++c) {
        std::vector<double> p99, p50, tput;
        for (const RunResult &x : reps) {
            p99.push_back(x.classes[c].latency.percentile(0.99) / 1e6);
            p50.push_back(x.classes[c].latency.percentile(0.5) / 1e6);
            tput.push_back(x.classes[c].throughput);
        }
        QJsonObject k = classes.value(r.classes[c].name).toObject();
        k[QStringLiteral("sim_ci")] = QJsonObject { { QStringLiteral("p99_ms"), interval(p99) },
            { QStringLiteral("p50_ms"), interval(p50) }, { QStringLiteral("throughput"), interval(tput) } };
        classes[r.classes[c].name] = k;
    }
    json[QStringLiteral("classes")] = classes;
    QJsonObject domains = json.value(QStringLiteral("domains")).toObject();
    for (DomainKind d : kAllDomains) {
        if (!r.domains[std::size_t(d)].used || !domains.contains(domainName(d)))
            continue;
        std::vector<double> wait, util;
        for (const RunResult &x : reps) {
            wait.push_back(x.domains[std::size_t(d)].totals.wait.mean() / 1e6);
            util.push_back(x.domains[std::size_t(d)].totals.utilization);
        }
        QJsonObject o = domains.value(domainName(d)).toObject();
        o[QStringLiteral("sim_ci")] = QJsonObject { { QStringLiteral("wait_mean_ms"), interval(wait) },
            { QStringLiteral("utilization"), interval(util) } };
        domains[domainName(d)] = o;
    }
    json[QStringLiteral("domains")] = domains;
    bool wrote = true;
    QString why;
    if (!sa.json.isEmpty()) {
        if (writeFileAtomically(sa.json, QJsonDocument(json).toJson(QJsonDocument::Indented), &why))
            out(QStringLiteral("wrote %1\n").arg(sa.json));
        else
            wrote = false, err(QStringLiteral("hybridscope simulate: --json: ") + why + QLatin1Char('\n'));
    }
#ifdef HS_WITH_GUI
    if (!sa.csv.isEmpty()) { // the first rep's frames, each row marked `simulated` (runToCsv's mode column)
        if (writeFileAtomically(sa.csv, runToCsv(r).toUtf8(), &why))
            out(QStringLiteral("wrote %1\n").arg(sa.csv));
        else
            wrote = false, err(QStringLiteral("hybridscope simulate: --csv: ") + why + QLatin1Char('\n'));
    }
    if (!sa.report.isEmpty()) {
        if (ReportWriter::writeRun(json, sa.report, &why))
            out(QStringLiteral("wrote %1\n").arg(sa.report));
        else
            wrote = false, err(QStringLiteral("hybridscope simulate: --report: ") + why + QLatin1Char('\n'));
    }
#endif
    if (!wrote)
        return kExitBadInput;
    for (const RunResult &x : reps)
        if (!x.conserved()) {
            err(QStringLiteral("hybridscope simulate: conservation violated (a bug): please report it\n"));
            return kExitSlaMissed;
        }
    return kExitOk;
}

} // namespace hs
