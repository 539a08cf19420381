// End to end: a policy bake-off, `hybridscope sweep --vary domains.threads.autoscale.policy=...`
// (DESIGN §13, docs/tuning.md): each policy's cost beside the cheapest fixed size that meets the SLA.
#include "testutil.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

namespace {

using hs::test::hasKeys;
using hs::test::readJson;
using hs::test::runApp;

// Bursts of 1000/s of 5 ms blocking calls (2.5 workers busy on average, 5 in a burst) on a pool
// of 2: a fixed 2 misses the SLA, the queue policy grows in the bursts, and a fixed 5 or so meets
// it. About 750 tasks in each point's measured 1.5 s: enough to bound a P99 from above.
const QByteArray kScenario = R"(name: bursty pool
duration: 10s
seed: 5
sla: { p99: 60ms }
domains:
  threads: { workers: 2, autoscale: { policy: off, min: 1, max: 32, interval: 100ms } }
classes:
  - name: api
    arrival: { process: burst, rate: 1000/s, on: 200ms, off: 200ms }
    stages:
      - { name: call, work: block, time: exp(5ms), domain: threads }
)";

const QString kPolicy = QStringLiteral("domains.threads.autoscale.policy");

QJsonObject threadsOf(const QJsonObject &point)
{
    return point.value(QStringLiteral("domains")).toObject().value(QStringLiteral("threads")).toObject();
}

} // namespace

class TestBakeoffCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(hs::test::appPath()), qPrintable(hs::test::appPath()));
        QVERIFY(m_dir.isValid());
        m_scenario = hs::test::writeFile(m_dir, QStringLiteral("bursty.yaml"), kScenario);
        QVERIFY(!m_scenario.isEmpty());
    }

    // Two policies of 2 s on the engine, then the baseline search (budget 20 s): the JSON's cost
    // keys, the baseline meeting the SLA, the ratio's arithmetic, the CSV and the report's section.
    void engineBakeoff()
    {
        const QString json = m_dir.filePath(QStringLiteral("b.json"));
        const QString csv = m_dir.filePath(QStringLiteral("b.csv"));
        const QString html = m_dir.filePath(QStringLiteral("b.html"));
        const hs::test::AppRun r = runApp(
            { QStringLiteral("sweep"), m_scenario, QStringLiteral("--vary"), kPolicy + QStringLiteral("=off,queue"),
                QStringLiteral("--duration"), QStringLiteral("2s"), QStringLiteral("--warmup"), QStringLiteral("0.5s"),
                QStringLiteral("--json"), json, QStringLiteral("--csv"), csv, QStringLiteral("--report"), html },
            90000);
        QVERIFY2(r.finished && r.exitCode == 0, qPrintable(r.describe()));
        QVERIFY2(r.err.contains(QStringLiteral("fixed baseline")), qPrintable(r.err));
        QVERIFY2(r.out.contains(QStringLiteral("fixed baseline: threads")), qPrintable(r.out));

        const QJsonObject o = readJson(json);
        QString missing;
        QVERIFY2(hasKeys(o, { "schema", "vary", "points", "recommendation", "fixed_baseline" }, &missing),
            qPrintable(missing));
        const QJsonArray vary = o.value(QStringLiteral("vary")).toArray();
        QCOMPARE(vary[0].toObject().value(QStringLiteral("values")).toArray(),
            (QJsonArray { QStringLiteral("off"), QStringLiteral("queue") }));

        // The baseline: a fixed size that meets the SLA, measured like a point, its cost = workers × span.
        const QJsonObject b = o.value(QStringLiteral("fixed_baseline")).toObject();
        QVERIFY2(!b.isEmpty(), qPrintable(o.value(QStringLiteral("fixed_baseline_reason")).toString()));
        QVERIFY2(hasKeys(b, { "domain", "workers", "worker_seconds", "classes", "source", "budget_s" }, &missing),
            qPrintable(missing));
        QCOMPARE(b.value(QStringLiteral("domain")).toString(), QStringLiteral("threads"));
        QCOMPARE(b.value(QStringLiteral("source")).toString(), QStringLiteral("engine"));
        QCOMPARE(b.value(QStringLiteral("budget_s")).toDouble(), 20.0); // 10 × a point of 2 s
        const int workers = b.value(QStringLiteral("workers")).toInt();
        QVERIFY2(workers >= 3, qPrintable(QString::number(workers))); // 2.5 workers busy on average
        const double baseMeasured = b.value(QStringLiteral("measured_s")).toDouble();
        const double baseWs = b.value(QStringLiteral("worker_seconds")).toDouble();
        QVERIFY2(std::abs(baseWs - workers * baseMeasured) <= 0.01 * baseWs,
            qPrintable(QStringLiteral("%1 worker-s, %2 × %3 s").arg(baseWs).arg(workers).arg(baseMeasured)));
        const QJsonObject api = b.value(QStringLiteral("classes")).toObject().value(QStringLiteral("api")).toObject();
        QVERIFY(api.value(QStringLiteral("met")).toBool());
        QVERIFY(api.value(QStringLiteral("p99_ci_ms")).toArray()[1].toDouble() < 60.0);
        QCOMPARE(api.value(QStringLiteral("sla_p99_ms")).toDouble(), 60.0);

        const QJsonArray points = o.value(QStringLiteral("points")).toArray();
        QCOMPARE(points.size(), 2);
        for (const QJsonValue &v : points) {
            const QJsonObject p = v.toObject();
            const QString policy = p.value(QStringLiteral("values")).toObject().value(kPolicy).toString();
            const QJsonObject t = threadsOf(p);
            QVERIFY2(hasKeys(t, { "workers", "utilization", "worker_seconds", "workers_mean" }, &missing),
                qPrintable(policy + QLatin1Char(' ') + missing));
            const double measured = p.value(QStringLiteral("measured_s")).toDouble();
            const double ws = t.value(QStringLiteral("worker_seconds")).toDouble();
            const double mean = t.value(QStringLiteral("workers_mean")).toDouble();
            QVERIFY2(std::abs(ws / measured - mean) <= 0.005,
                qPrintable(
                    QStringLiteral("%1: %2 worker-s over %3 s, mean %4").arg(policy).arg(ws).arg(measured).arg(mean)));
            // The ratio: the mean size over the baseline's (= worker-seconds over the baseline's for
            // equal spans, which differ by a frame at most).
            const double ratio = p.value(QStringLiteral("cost_ratio")).toDouble();
            QVERIFY2(std::abs(ratio - mean / workers) <= 0.002,
                qPrintable(QStringLiteral("%1: ratio %2").arg(policy).arg(ratio)));
            QVERIFY2(std::abs(ratio - ws / baseWs) <= 0.05 * ratio,
                qPrintable(
                    QStringLiteral("%1: ratio %2, worker-s %3 / %4").arg(policy).arg(ratio).arg(ws).arg(baseWs)));
            if (policy == QLatin1String("off")) {
                QVERIFY(!t.contains(QStringLiteral("autoscale")));
                QVERIFY2(std::abs(mean - 2.0) <= 0.01, qPrintable(QString::number(mean))); // fixed at 2
                QVERIFY(!p.value(QStringLiteral("classes"))
                             .toObject()
                             .value(QStringLiteral("api"))
                             .toObject()
                             .value(QStringLiteral("sla_met"))
                             .toBool()); // 5 busy in a burst on 2 workers
            } else {
                QCOMPARE(policy, QStringLiteral("queue"));
                const QJsonObject as = t.value(QStringLiteral("autoscale")).toObject();
                QVERIFY2(
                    hasKeys(as, { "policy", "resizes", "workers_min", "workers_max" }, &missing), qPrintable(missing));
                QCOMPARE(as.value(QStringLiteral("policy")).toString(), QStringLiteral("queue"));
                // A queue of more than 2 × workers in every burst: it grows.
                QVERIFY(as.value(QStringLiteral("resizes")).toInt() >= 1);
                const int lo = as.value(QStringLiteral("workers_min")).toInt();
                const int hi = as.value(QStringLiteral("workers_max")).toInt();
                QVERIFY2(lo >= 1 && hi > 2 && hi <= 32 && lo <= mean && mean <= hi,
                    qPrintable(QStringLiteral("%1–%2, mean %3").arg(lo).arg(hi).arg(mean)));
            }
        }

        QFile c(csv);
        QVERIFY(c.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(c.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 3);
        QVERIFY2(lines[0].startsWith(kPolicy + QStringLiteral(",class,"))
                && lines[0].endsWith(QStringLiteral(",worker_seconds,workers_mean,cost_ratio")),
            qPrintable(lines[0]));
        QVERIFY(lines[1].startsWith(QStringLiteral("off,api,")) && lines[2].startsWith(QStringLiteral("queue,api,")));

        QFile h(html);
        QVERIFY(h.open(QIODevice::ReadOnly));
        const QString page = QString::fromUtf8(h.readAll());
        QVERIFY(page.contains(QStringLiteral("id=\"bakeoff\"")));
        QVERIFY(page.contains(QStringLiteral("Autoscale policies against the cheapest fixed size")));
        QVERIFY(page.contains(QStringLiteral("P99 against cost, per policy")));
        // The baseline is the table's first row, before the policies.
        const qsizetype section = page.indexOf(QStringLiteral("id=\"bakeoff\""));
        const qsizetype fixedRow = page.indexOf(QStringLiteral("fixed %1 workers").arg(workers), section);
        const qsizetype queueRow = page.indexOf(QStringLiteral(">queue<"), section);
        QVERIFY2(fixedRow > section && queueRow > fixedRow, qPrintable(page.mid(section, 3000)));
    }

    // The same in virtual time: sub-second, the baseline searched by the simulator.
    void simulatedBakeoff()
    {
        const QString json = m_dir.filePath(QStringLiteral("s.json"));
        const hs::test::AppRun r = runApp(
            { QStringLiteral("sweep"), m_scenario, QStringLiteral("--vary"), kPolicy + QStringLiteral("=off,queue"),
                QStringLiteral("--duration"), QStringLiteral("4s"), QStringLiteral("--warmup"), QStringLiteral("1s"),
                QStringLiteral("--sim"), QStringLiteral("--json"), json, QStringLiteral("--quiet") },
            60000);
        QVERIFY2(r.finished && r.exitCode == 0, qPrintable(r.describe()));
        const QJsonObject o = readJson(json);
        QCOMPARE(o.value(QStringLiteral("mode")).toString(), QStringLiteral("simulated"));
        const QJsonObject b = o.value(QStringLiteral("fixed_baseline")).toObject();
        QVERIFY2(!b.isEmpty(), qPrintable(o.value(QStringLiteral("fixed_baseline_reason")).toString()));
        QCOMPARE(b.value(QStringLiteral("source")).toString(), QStringLiteral("sim"));
        QCOMPARE(b.value(QStringLiteral("budget_s")).toDouble(), 40.0);
        const double baseMean = b.value(QStringLiteral("workers_mean")).toDouble();
        QCOMPARE(baseMean, double(b.value(QStringLiteral("workers")).toInt())); // virtual time: exact
        for (const QJsonValue &v : o.value(QStringLiteral("points")).toArray()) {
            const QJsonObject t = threadsOf(v.toObject());
            QVERIFY(std::abs(v.toObject().value(QStringLiteral("cost_ratio")).toDouble()
                        - t.value(QStringLiteral("workers_mean")).toDouble() / baseMean)
                <= 0.002);
        }
    }

private:
    QTemporaryDir m_dir;
    QString m_scenario;
};

QTEST_GUILESS_MAIN(TestBakeoffCli)
#include "tst_bakeoff_cli.moc"
