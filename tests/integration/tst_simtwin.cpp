// The virtual-time twin against the real engine on this machine (issue 15): each scenario runs once
// on the engine and once in simulation with the same seed (so the same arrivals and stage plans),
// and the simulated figures must agree with the measured ones: mean wait per domain within ±15 %,
// P99 per class within ±25 %, throughput within ±5 %, with conservation in both.
//
// The machine's parallel CPU is measured right before and right after each engine run, and the run
// is simulated on their mean: a VM whose host takes CPU away in episodes gives 2.0 effective cores
// one minute and 1.4 the next, and a model given the capacity of another moment would be judged on
// the machine's weather, not on its queues (one CI run calibrated 2.00 cores and then ran at less).
//
// The scenarios: the built-ins whose figures do not hang on how busy this machine is at the moment
// (docs/simulation.md lists the others and why), and three of this test's own: procs with payloads
// both ways, the GIL on a thread pool, and backpressure (reject and block).
//
// Both runs draw the same arrivals and the same stage times (common random numbers), so what differs
// is what the model leaves out or gets wrong, and the engine's own timing, not the sampling: the
// spread across seeds (a mean wait at utilization 0.75 varies by ±40 % between 6 s runs) does not
// enter the comparison. A figure is compared only where the run holds enough of it to mean
// something: a P99 from at least 400 tasks (four beyond it), a mean wait from at least 300 stages.

#include "core/parallelprobe.h"
#include "enginetest.h"
#include "results/report.h"
#include "scenario/builtins.h"
#include "scenario/scenarioparser.h"
#include "sim/calibration.h"
#include "sim/simulator.h"
#include "testutil.h"

#include <QFile>
#include <QHash>
#include <QJsonObject>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <utility>

using namespace hs;

class TestSimTwin : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void twin_data();
    void twin();
    void cleanupTestCase();

private:
    QStringList m_table;
    SimCosts m_costs;
};

namespace {

constexpr double kWaitTolerance = 0.15, kP99Tolerance = 0.25, kThroughputTolerance = 0.05;
constexpr qint64 kMinP99Tasks = 400, kMinWaitStages = 300;
// More of the machine's CPU than this taken by the host during an engine run disturbs it; a run
// here with no stall saw 0-0.6 %. At most kMaxAttempts engine runs per scenario.
constexpr double kStealLimit = 0.03;
constexpr int kMaxAttempts = 4;

QString scenarioPath(const QString &name)
{
    return name.endsWith(QLatin1String(".yaml")) ? hs::test::sourceDir() + QStringLiteral("/tests/data/twin/") + name
                                                 : builtinScenarioPath(name);
}

double num(const QJsonObject &o, const QString &dotted)
{
    QJsonValue v = o;
    for (const QString &k : dotted.split(QLatin1Char('.')))
        v = v.toObject().value(k);
    return v.toDouble(std::nan(""));
}

struct Figure {
    QString what; // "classes.api.latency_ms.p99"
    double tolerance = 0;
};

// The figures of a run that the comparison covers, with enough samples behind them.
std::vector<Figure> figuresOf(const QJsonObject &measured)
{
    std::vector<Figure> out;
    const QJsonObject classes = measured.value(QStringLiteral("classes")).toObject();
    for (auto it = classes.begin(); it != classes.end(); ++it) {
        const QString c = QStringLiteral("classes.") + it.key();
        out.push_back({ c + QStringLiteral(".throughput"), kThroughputTolerance });
        if (it.value().toObject().value(QStringLiteral("completed")).toInteger() >= kMinP99Tasks)
            out.push_back({ c + QStringLiteral(".latency_ms.p99"), kP99Tolerance });
    }
    const QJsonObject domains = measured.value(QStringLiteral("domains")).toObject();
    for (auto it = domains.begin(); it != domains.end(); ++it)
        if (it.value().toObject().value(QStringLiteral("completed")).toInteger() >= kMinWaitStages)
            out.push_back({ QStringLiteral("domains.") + it.key() + QStringLiteral(".wait_ms.mean"), kWaitTolerance });
    return out;
}

// Where the model is still wrong, measured here and not yet fixed (docs/simulation.md, "Against the
// real engine"): these figures are shown in the table with their error but do not fail the test.
// Every other figure must agree.
struct KnownGap {
    const char *scenario, *figure, *why;
};
constexpr KnownGap kKnownGaps[] = {
    { "procs-payloads.yaml", "domains.threads.wait_ms.mean",
        "a wake-up on a machine whose cores are busy (the procs workers computing) takes 2-3 times the idle "
        "wake-up the calibration measures" },
    { "procs-payloads.yaml", "domains.procs.wait_ms.mean",
        "the engine's own figure moves between 0.39 and 0.98 ms from one run of the same seed to the next here "
        "(scheduling of the workers' replies while both compute); the model gives 0.31-0.52" },
    { "gil.yaml", "domains.threads.wait_ms.mean",
        "the same wake-ups under load, on every GIL hand-over between the pool's threads" },
    { "backpressure.yaml", "domains.loop.wait_ms.mean",
        "a hand-over blocked by the full tbb pool holds the loop in the model for longer than the engine's does "
        "(0.15 against 0.11-0.13 ms)" },
    { "blocking-loop", "domains.loop.wait_ms.mean",
        "the engine's loop waits 10-15 % less than Pollaczek-Khinchine predicts for its own service times; the "
        "model matches the formula, the engine does not, and why is not found yet" },
};

const KnownGap *knownGap(const QString &scenario, const QString &figure)
{
    for (const KnownGap &g : kKnownGaps)
        if (scenario == QLatin1String(g.scenario) && figure == QLatin1String(g.figure))
            return &g;
    return nullptr;
}

} // namespace

void TestSimTwin::initTestCase()
{
    // The machine's costs, measured now on this machine (calibrate --quick, about 7 s), as a user
    // would before trusting the simulator here; the simulated cores are its effective cores.
    // A calibration the host disturbed (it stole more than kStealLimit of the CPU meanwhile)
    // measures every wake-up as slow, and a model built on it is pessimistic however quiet the
    // runs it is compared with (one CI run calibrated during 9 % steal and its model put tuning's
    // tbb wait 40 % above a quiet engine run): calibrate again, up to three times, and keep the
    // least disturbed.
    QString error;
    std::optional<CalibrationProfile> profile;
    double leastStolen = 2;
    for (int attempt = 0; attempt < 3 && leastStolen > kStealLimit; ++attempt) {
        const hs::test::CpuTimes cpu0 = hs::test::cpuTimes();
        std::optional<CalibrationProfile> p = calibrate(CalibrationOptions { true, {} }, &error);
        QVERIFY2(p, qPrintable(error));
        const double stolen = hs::test::stealShare(cpu0, hs::test::cpuTimes());
        qInfo().noquote() << QStringLiteral("calibration %1: the host stole %2 % of the CPU during it")
                                 .arg(attempt + 1)
                                 .arg(stolen * 100, 0, 'f', 1);
        if (stolen < leastStolen) {
            leastStolen = stolen;
            profile = std::move(p);
        }
    }
    m_costs = profile->costs;
    qInfo().noquote() << calibrationSummary(*profile);
    m_table << QStringLiteral("| scenario | figure | measured | simulated | error | cores |")
            << QStringLiteral("|---|---|---|---|---|---|");
}

void TestSimTwin::twin_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<double>("seconds");
    // Built-ins: queues, pools, backpressure, the loop and the GIL.
    // (littles-law, the saturated pool, agreed within 1 % in every run by hand; it is left out for
    // the time its 5 s drain costs.)
    for (const char *n : { "mm2", "backpressure", "bursts", "tuning", "gil", "blocking-loop" })
        QTest::newRow(n) << QString::fromLatin1(n) << 5.0;
    // This test's own.
    for (const char *n : { "procs-payloads.yaml", "gil.yaml", "backpressure.yaml" })
        QTest::newRow(n) << QString::fromLatin1(n) << 5.0;
}

void TestSimTwin::twin()
{
    QFETCH(QString, name);
    QFETCH(double, seconds);
    const std::vector<Override> sets { { QStringLiteral("duration"), QString::number(seconds) + QLatin1Char('s') } };
    const ParseResult pr = ScenarioParser::parseFile(scenarioPath(name), sets);
    QVERIFY2(pr.ok(), qPrintable(pr.ok() ? QString() : pr.errors.front().toString()));
    const Scenario &scenario = *pr.scenario;

    // One engine run between two probes of the machine's parallel CPU, simulated on their mean,
    // compared figure by figure; the misses beyond tolerance (known gaps aside).
    QStringList misses;
    QStringList rows;
    // Each engine run's figures; on a second run, how far the engine moved from its first run of
    // the same seed is its own repeatability here, and the model cannot be judged closer than that.
    QHash<QString, double> previous, current;
    double stolen = 0; // the share of the machine's CPU the host took during the engine run
    const auto measureAndCompare = [&]() -> bool {
        misses.clear();
        rows.clear();
        previous = std::exchange(current, {});
        const double before = measureParallelCores().effectiveCores;
        const hs::test::CpuTimes cpu0 = hs::test::cpuTimes();
        hs::test::EngineRun run(scenario);
        if (!run.start() || !run.waitFinished(int(seconds * 1000) + 30000)) {
            misses << QStringLiteral("the engine run did not start or finish: ") + run.error();
            return false;
        }
        const RunResult engine = run.engine().result();
        stolen = hs::test::stealShare(cpu0, hs::test::cpuTimes());
        const double after = measureParallelCores().effectiveCores;
        if (!engine.conserved() || engine.doubleEnds != 0) {
            misses << hs::test::countsText(engine);
            return false;
        }
        SimOptions options;
        options.costs = m_costs;
        options.costs.effectiveCores = (before + after) / 2;
        const RunResult sim = simulate(scenario, options);
        if (!sim.conserved() || sim.doubleEnds != 0) {
            misses << QStringLiteral("conservation in simulation: ") + hs::test::countsText(sim);
            return false;
        }
        const QJsonObject simulated = runToJson(sim);
        qInfo().noquote() << QStringLiteral("%1: effective cores %2 before the engine run, %3 after (calibrated: %4); "
                                            "the host stole %5 % of the CPU during it")
                                 .arg(name)
                                 .arg(before, 0, 'f', 2)
                                 .arg(after, 0, 'f', 2)
                                 .arg(m_costs.effectiveCores, 0, 'f', 2)
                                 .arg(stolen * 100, 0, 'f', 1);
        const QJsonObject measured = runToJson(engine);
        for (const Figure &f : figuresOf(measured)) {
            const double m = num(measured, f.what), s = num(simulated, f.what);
            if (!std::isfinite(m) || !std::isfinite(s)) {
                misses << f.what + QStringLiteral(": not a number");
                continue;
            }
            current.insert(f.what, m);
            const double error = m > 0 ? (s - m) / m : (s == 0 ? 0.0 : 1.0);
            const KnownGap *gap = knownGap(name, f.what);
            // The engine's spread between its two runs widens the tolerance, by at most the
            // tolerance itself: a model can miss by twice the tolerance only where the engine
            // moved that much on its own.
            double spread = 0;
            if (const auto p = previous.constFind(f.what); p != previous.constEnd() && *p + m > 0)
                spread = std::min(f.tolerance, std::abs(m - *p) / ((m + *p) / 2));
            rows << QStringLiteral("| %1 | %2 | %3 | %4 | %5 %%6 | %7 |")
                        .arg(name, f.what)
                        .arg(m, 0, 'g', 4)
                        .arg(s, 0, 'g', 4)
                        .arg(error * 100, 0, 'f', 1)
                        .arg(gap && std::abs(error) > f.tolerance ? QStringLiteral(" (known gap)") : QString())
                        .arg((before + after) / 2, 0, 'f', 2);
            if (gap && std::abs(error) > f.tolerance)
                qInfo().noquote() << QStringLiteral("%1 %2: known model gap, %3 %: %4")
                                         .arg(name, f.what)
                                         .arg(error * 100, 0, 'f', 1)
                                         .arg(QLatin1String(gap->why));
            else if (std::abs(error) > f.tolerance + spread)
                misses << QStringLiteral("%1: measured %2, simulated %3 (%4 %, tolerance ±%5 %%6)")
                              .arg(f.what)
                              .arg(m)
                              .arg(s)
                              .arg(error * 100, 0, 'f', 1)
                              .arg(f.tolerance * 100)
                              .arg(spread > 0
                                      ? QStringLiteral(" + the engine's own spread %1 %").arg(spread * 100, 0, 'f', 1)
                                      : QString());
            else if (std::abs(error) > f.tolerance)
                qInfo().noquote() << QStringLiteral("%1 %2: %3 % from the model, within ±%4 % and the engine's "
                                                    "own spread between its two runs, %5 % (%6 then %7)")
                                         .arg(name, f.what)
                                         .arg(error * 100, 0, 'f', 1)
                                         .arg(f.tolerance * 100)
                                         .arg(spread * 100, 0, 'f', 1)
                                         .arg(previous.value(f.what))
                                         .arg(m);
        }
        return misses.isEmpty();
    };
    // A run the host disturbed (it stole more than kStealLimit of the CPU meanwhile: the engine
    // ran on less machine than the model was given) is measured again without counting; a model
    // is judged wrong only on two undisturbed misses. When every miss came with steal, the twin
    // cannot be judged on this machine now, and the row says so as a skip.
    int judged = 0;
    bool agreed = false;
    for (int attempt = 1; attempt <= kMaxAttempts && !agreed && judged < 2; ++attempt) {
        agreed = measureAndCompare();
        if (agreed)
            break;
        const bool disturbed = stolen > kStealLimit;
        if (!disturbed)
            ++judged;
        else
            current = previous; // a disturbed run's figures say nothing of the engine's own spread
        // A shared machine can stall a whole run (every figure of it late at once), as tst_lessons
        // allows for: measure the engine once more before failing. A model that is wrong misses
        // both times; the first attempt's misses are printed either way. A figure the engine
        // itself does not repeat (a queue at utilization 0.95, whose mean wait multiplies every
        // late wake-up) is judged within the tolerance plus the two runs' own spread.
        qWarning().noquote()
            << name
            << (disturbed ? QStringLiteral("missed while the host stole %1 % of the CPU:").arg(stolen * 100, 0, 'f', 1)
                          : QStringLiteral("missed:"))
            << "\n  " << misses.join(QStringLiteral("\n  "));
    }
    m_table << rows;
    if (!agreed && judged == 0)
        QSKIP(qPrintable(QStringLiteral("%1: every engine run (%2) was disturbed by the host taking more than %3 % of "
                                        "the CPU; the model could not be judged")
                             .arg(name)
                             .arg(kMaxAttempts)
                             .arg(kStealLimit * 100)));
    QVERIFY2(misses.isEmpty(), qPrintable(name + QStringLiteral(":\n  ") + misses.join(QStringLiteral("\n  "))));
}

void TestSimTwin::cleanupTestCase()
{
    qInfo().noquote() << m_table.join(QLatin1Char('\n'));
    const QString out = qEnvironmentVariable("HS_TWIN_TABLE");
    if (!out.isEmpty()) {
        QFile f(out);
        if (f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            f.write((m_table.join(QLatin1Char('\n')) + QLatin1Char('\n')).toUtf8());
    }
}

QTEST_GUILESS_MAIN(TestSimTwin)
#include "tst_simtwin.moc"
