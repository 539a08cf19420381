// End to end: `hybridscope calibrate --quick` (DESIGN §8, §12) into a private XDG_DATA_HOME, then
// simulate with its profile: the calibration named, extrapolation flagged; a corrupt or
// wrong-schema profile refused (exit 2) with the file and key named.
#include "testutil.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <string_view>

namespace {
using Run = hs::test::AppRun;
using hs::test::readJson;
using hs::test::runApp;

// A measured figure {mean, lo, hi, n} is a mean inside its interval, from at least two samples,
// and resolved: its interval excludes 0.
bool resolved(const QJsonObject &m, QString *why, const QString &name)
{
    const double mean = m.value(QStringLiteral("mean")).toDouble(-1), lo = m.value(QStringLiteral("lo")).toDouble(-1),
                 hi = m.value(QStringLiteral("hi")).toDouble(-1);
    if (m.value(QStringLiteral("n")).toInt() >= 2 && lo > 0 && lo <= mean && mean <= hi)
        return true;
    *why = QStringLiteral("%1: %2").arg(name, QString::fromUtf8(QJsonDocument(m).toJson(QJsonDocument::Compact)));
    return false;
}
} // namespace

class TestCalibrateCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(hs::test::appPath()), qPrintable(hs::test::appPath()));
        QVERIFY(m_dir.isValid());
        // The profile goes where simulate looks for it: this test's own data home.
        qputenv("XDG_DATA_HOME", QFile::encodeName(m_dir.filePath(QStringLiteral("data"))));
        m_profile = m_dir.filePath(QStringLiteral("data/hybridscope/calibration.json"));
    }

    void calibrateQuick()
    {
        const QString html = m_dir.filePath(QStringLiteral("calibration.html"));
        const Run r = runApp({ QStringLiteral("calibrate"), QStringLiteral("--quick"), QStringLiteral("--quiet"),
                                 QStringLiteral("--report"), html },
            60000);
        QVERIFY2(r.finished && r.exitCode == 0, qPrintable(r.describe()));
        QVERIFY2(r.out.contains(QStringLiteral("wrote ") + m_profile), qPrintable(r.out));
        const QJsonObject o = readJson(m_profile);
        QCOMPARE(o.value(QStringLiteral("schema")).toString(), QStringLiteral("hybridscope.calibration/1"));
        const QJsonObject machine = o.value(QStringLiteral("machine")).toObject();
        QVERIFY(!machine.value(QStringLiteral("hostname")).toString().isEmpty());
        QVERIFY(machine.value(QStringLiteral("vcpus")).toInt() >= 1);
        const double eff = machine.value(QStringLiteral("effective_cores")).toDouble();
        QVERIFY(eff >= 1 && eff <= machine.value(QStringLiteral("vcpus")).toDouble());
        QCOMPARE(o.value(QStringLiteral("measured"))
                     .toObject()
                     .value(QStringLiteral("effective_cores"))
                     .toObject()
                     .value(QStringLiteral("mean"))
                     .toDouble(),
            eff);
        const QJsonObject costs = o.value(QStringLiteral("costs")).toObject();
        const QJsonObject measured = o.value(QStringLiteral("measured")).toObject();
        QString why;
        // Each cost taken as a mean is that measurement's mean, and the measurement resolved it.
        for (const char *d : { "loop", "threads", "tbb", "procs" }) {
            const QJsonObject m
                = measured.value(QStringLiteral("wake_s")).toObject().value(QLatin1String(d)).toObject();
            QVERIFY2(resolved(m, &why, QLatin1String(d)), qPrintable(why));
            QCOMPARE(costs.value(QStringLiteral("wake_s")).toObject().value(QLatin1String(d)).toDouble(),
                m.value(QStringLiteral("mean")).toDouble());
        }
        for (const char *k : { "hop_s", "timer_lateness_s", "worker_start_s" }) {
            const QJsonObject m = measured.value(QLatin1String(k)).toObject();
            QVERIFY2(resolved(m, &why, QLatin1String(k)), qPrintable(why));
            QCOMPARE(costs.value(QLatin1String(k)).toDouble(), m.value(QStringLiteral("mean")).toDouble());
        }
        // Per-byte costs: the fitted slope, positive and inside its interval; copy through a socket
        // and disk are large enough that even a quick calibration on a busy machine resolves them
        // (the interval excludes 0). Every point is a mean inside its interval.
        const QJsonObject fits = measured.value(QStringLiteral("fits")).toObject();
        for (const auto &[fit, cost] : { std::pair { "copy", "copy_per_byte_s" }, std::pair { "shm", "shm_per_byte_s" },
                 std::pair { "net", "net_per_byte_s" }, std::pair { "disk", "disk_per_byte_s" } }) {
            const QJsonArray slope
                = fits.value(QLatin1String(fit)).toObject().value(QStringLiteral("slope_s_per_byte")).toArray();
            QCOMPARE(slope.size(), 3);
            QVERIFY2(slope[0].toDouble() > 0 && slope[1].toDouble() <= slope[0].toDouble()
                    && slope[0].toDouble() <= slope[2].toDouble(),
                fit);
            if (fit == std::string_view("copy") || fit == std::string_view("disk"))
                QVERIFY2(slope[1].toDouble() > 0, fit);
            QCOMPARE(costs.value(QLatin1String(cost)).toDouble(), slope[0].toDouble());
            const QJsonArray pts = measured.value(QLatin1String(fit)).toArray();
            QVERIFY(pts.size() >= 3);
            for (const QJsonValue &v : pts) {
                const QJsonObject p = v.toObject();
                QVERIFY(p.value(QStringLiteral("n")).toInt() >= 2);
                QVERIFY(p.value(QStringLiteral("lo")).toDouble() <= p.value(QStringLiteral("mean")).toDouble());
                QVERIFY(p.value(QStringLiteral("mean")).toDouble() <= p.value(QStringLiteral("hi")).toDouble());
                QVERIFY(p.value(QStringLiteral("mean")).toDouble() > 0);
            }
        }
        // The call's cost: the mean of the two intercepts, positive.
        QVERIFY(costs.value(QStringLiteral("procs_call_s")).toDouble() > 0);
        // Ranges: the largest values measured.
        const QJsonObject ranges = o.value(QStringLiteral("ranges")).toObject();
        QCOMPARE(ranges.value(QStringLiteral("cores")).toInt(), machine.value(QStringLiteral("vcpus")).toInt());
        const QJsonArray copy = measured.value(QStringLiteral("copy")).toArray();
        QCOMPARE(ranges.value(QStringLiteral("max_payload_bytes")).toDouble(),
            copy.last().toObject().value(QStringLiteral("bytes")).toDouble());
        QVERIFY(ranges.value(QStringLiteral("max_rate_per_s")).toDouble() > 0);
        QCOMPARE(o.value(QStringLiteral("break_even")).toArray().size(), 7);
        m_source = QStringLiteral("calibration of %1, %2")
                       .arg(machine.value(QStringLiteral("hostname")).toString(),
                           o.value(QStringLiteral("date")).toString());
        // The report: the machine, the plots, the break-even table.
        QFile f(html);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray page = f.readAll();
        QVERIFY(page.contains("Hybridscope calibration of"));
        QVERIFY(page.contains("id=\"break-even\""));
        QVERIFY(page.contains("Built-in default"));
        QVERIFY(page.count("<img") >= 4);
    }

    // simulate reads the profile: the calibration is named, the machine's effective cores are
    // the default, and 64 cores (beyond twice the measured) are flagged; 2 are not.
    void simulateUsesProfile()
    {
        QVERIFY2(!m_source.isEmpty(), "calibrateQuick did not run");
        const QString json = m_dir.filePath(QStringLiteral("sim64.json"));
        const Run r = runApp(
            { QStringLiteral("simulate"), QStringLiteral("default"), QStringLiteral("--duration"), QStringLiteral("2s"),
                QStringLiteral("--cores"), QStringLiteral("64"), QStringLiteral("--json"), json },
            30000);
        QVERIFY2(r.finished && r.exitCode == 0, qPrintable(r.describe()));
        QVERIFY2(r.out.contains(QStringLiteral("calibration: ") + m_source), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("EXTRAPOLATION: ")), qPrintable(r.out));
        const QJsonObject sim = readJson(json).value(QStringLiteral("simulation")).toObject();
        QCOMPARE(sim.value(QStringLiteral("calibration")).toString(), m_source);
        const QJsonArray ex = sim.value(QStringLiteral("extrapolation")).toArray();
        QVERIFY(!ex.isEmpty());
        const QJsonObject cores = ex.first().toObject();
        QCOMPARE(cores.value(QStringLiteral("what")).toString(), QStringLiteral("cores"));
        QCOMPARE(cores.value(QStringLiteral("value")).toDouble(), 64.0);
        QCOMPARE(cores.value(QStringLiteral("measured_max")).toDouble(),
            readJson(m_profile).value(QStringLiteral("ranges")).toObject().value(QStringLiteral("cores")).toDouble());

        const QString json2 = m_dir.filePath(QStringLiteral("sim2.json"));
        const Run r2 = runApp(
            { QStringLiteral("simulate"), QStringLiteral("default"), QStringLiteral("--duration"), QStringLiteral("2s"),
                QStringLiteral("--cores"), QStringLiteral("2"), QStringLiteral("--json"), json2 },
            30000);
        QVERIFY2(r2.finished && r2.exitCode == 0, qPrintable(r2.describe()));
        for (const QJsonValue &v : readJson(json2)
                                       .value(QStringLiteral("simulation"))
                                       .toObject()
                                       .value(QStringLiteral("extrapolation"))
                                       .toArray())
            QVERIFY2(v.toObject().value(QStringLiteral("what")).toString() != QLatin1String("cores"),
                "2 cores flagged as extrapolation");
        // Without --cores: the profile's effective cores.
        const QString json3 = m_dir.filePath(QStringLiteral("simdefault.json"));
        const Run r3 = runApp({ QStringLiteral("simulate"), QStringLiteral("default"), QStringLiteral("--duration"),
                                  QStringLiteral("2s"), QStringLiteral("--json"), json3 },
            30000);
        QVERIFY2(r3.finished && r3.exitCode == 0, qPrintable(r3.describe()));
        QCOMPARE(
            readJson(json3).value(QStringLiteral("simulation")).toObject().value(QStringLiteral("cores")).toDouble(),
            readJson(m_profile)
                .value(QStringLiteral("machine"))
                .toObject()
                .value(QStringLiteral("effective_cores"))
                .toDouble());
    }

    // A profile that is there but broken stops simulate, sweep --sim and tune --sim (exit 2),
    // naming the file and the key; it is never replaced by the built-in default in silence.
    void brokenProfileRefused_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("named");
        QTest::newRow("corrupt") << QByteArray("{\"schema\": \"hybridscope.calibration/1\", \"costs\": {")
                                 << QStringLiteral("not a JSON object");
        QTest::newRow("wrong schema") << QByteArray("{\"schema\": \"hybridscope.run/1\"}")
                                      << QStringLiteral("key schema: expected \"hybridscope.calibration/1\"");
        QTest::newRow("missing key") << QByteArray() << QStringLiteral("key costs.net_s: missing");
    }
    void brokenProfileRefused()
    {
        QFETCH(QByteArray, text);
        QFETCH(QString, named);
        QJsonObject good = readJson(m_profile);
        QVERIFY2(!good.isEmpty(), "calibrateQuick did not run");
        const QString broken = m_dir.filePath(QStringLiteral("data/hybridscope/broken.json"));
        if (text.isEmpty()) {
            QJsonObject costs = good.value(QStringLiteral("costs")).toObject();
            costs.remove(QStringLiteral("net_s"));
            good[QStringLiteral("costs")] = costs;
            text = QJsonDocument(good).toJson();
        }
        // The good profile aside, the broken one in its place; put back afterwards.
        QVERIFY(QFile::rename(m_profile, broken + QStringLiteral(".good")));
        {
            QFile f(m_profile);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QCOMPARE(f.write(text), text.size());
        }
        const Run r = runApp({ QStringLiteral("simulate"), QStringLiteral("default"), QStringLiteral("--duration"),
                                 QStringLiteral("1s") },
            30000);
        const Run s = runApp({ QStringLiteral("sweep"), QStringLiteral("mm2"), QStringLiteral("--sim"),
                                 QStringLiteral("--vary"), QStringLiteral("domains.threads.workers=2,3") },
            30000);
        const Run t = runApp({ QStringLiteral("tune"), QStringLiteral("tuning"), QStringLiteral("--sim") }, 30000);
        QVERIFY(QFile::remove(m_profile));
        QVERIFY(QFile::rename(broken + QStringLiteral(".good"), m_profile));
        for (const Run *x : { &r, &s, &t }) {
            QVERIFY2(x->finished && x->exitCode == 2, qPrintable(x->describe()));
            QVERIFY2(x->err.contains(m_profile + QStringLiteral(": ")), qPrintable(x->err));
            QVERIFY2(x->err.contains(named), qPrintable(x->err));
        }
    }

    void flagsChecked()
    {
        const Run r = runApp({ QStringLiteral("calibrate"), QStringLiteral("--fast") }, 10000);
        QVERIFY2(r.finished && r.exitCode == 2, qPrintable(r.describe()));
        QVERIFY(r.err.contains(QStringLiteral("unknown option --fast")));
        const Run r2 = runApp(
            { QStringLiteral("calibrate"), QStringLiteral("--report"), m_dir.filePath(QStringLiteral("c.txt")) },
            10000);
        QVERIFY2(r2.finished && r2.exitCode == 2, qPrintable(r2.describe()));
        QVERIFY(r2.err.contains(QStringLiteral("--report")));
    }

private:
    QTemporaryDir m_dir;
    QString m_profile, m_source;
};

QTEST_GUILESS_MAIN(TestCalibrateCli)
#include "tst_calibrate_cli.moc"
