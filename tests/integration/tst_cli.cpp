// End to end: the hybridscope executable as a user runs it.
#include "testutil.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

using Run = hs::test::AppRun;
using hs::test::runApp;

using hs::test::writeFile;

// A FIFO in `dir`: as an input it must not block, as an output it must not be replaced.
QString makeFifo(const QTemporaryDir &dir, const QString &name)
{
    const QString path = dir.filePath(name);
    return ::mkfifo(QFile::encodeName(path).constData(), 0600) == 0 ? path : QString();
}

bool isFifo(const QString &path)
{
    struct stat st = {};
    return ::lstat(QFile::encodeName(path).constData(), &st) == 0 && S_ISFIFO(st.st_mode);
}

bool isCharDevice(const char *path)
{
    struct stat st = {};
    return ::lstat(path, &st) == 0 && S_ISCHR(st.st_mode);
}

const QByteArray kSmall = R"(name: CLI smoke
duration: 1s
seed: 3
sla: { p99: 500ms }
domains:
  threads: { workers: 2 }
  tbb: { workers: 1 }
classes:
  - name: io
    arrival: { process: poisson, rate: 200/s }
    stages:
      - { name: get, work: block, time: 1ms, domain: threads }
  - name: calc
    arrival: { process: constant, rate: 50/s }
    stages:
      - { name: fetch, work: async, time: 1ms, domain: loop }
      - { name: crunch, work: cpu, time: 1ms, payload_in: 16KiB, domain: tbb }
)";

} // namespace

class TestCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(hs::test::appPath()), qPrintable(hs::test::appPath()));
        QVERIFY(m_dir.isValid());
    }

    void listShowsBuiltins()
    {
        const Run r = runApp({ QStringLiteral("list") });
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains(QStringLiteral("default")));
        QVERIFY(r.out.contains(QStringLiteral("mm2")));
        QVERIFY(!r.out.contains(QStringLiteral("(invalid)")));
    }

    // The lessons come in the README's teaching order (its table of lessons), as in the GUI's menu.
    void listFollowsTeachingOrder()
    {
        QFile readme(hs::test::sourceDir() + QStringLiteral("/README.md"));
        QVERIFY(readme.open(QIODevice::ReadOnly));
        QStringList order;
        const QRegularExpression row(QStringLiteral("^\\| `([a-z0-9-]+)` \\| "));
        for (const QString &line : QString::fromUtf8(readme.readAll()).split(QLatin1Char('\n')))
            if (const auto m = row.match(line); m.hasMatch())
                order << m.captured(1);
        QVERIFY2(order.size() >= 9, qPrintable(order.join(QLatin1Char(','))));
        const Run r = runApp({ QStringLiteral("list") });
        QCOMPARE(r.exitCode, 0);
        qsizetype previous = -1;
        for (const QString &name : order) {
            const qsizetype at = r.out.indexOf(QStringLiteral("\n  %1 ").arg(name));
            QVERIFY2(at > previous, qPrintable(name + QStringLiteral(" out of order in:\n") + r.out));
            previous = at;
        }
    }

    void validateBuiltinFiles()
    {
        const QString dir = hs::test::sourceDir() + QStringLiteral("/scenarios/");
        const QStringList files = QDir(dir).entryList({ QStringLiteral("*.yaml") });
        QVERIFY(!files.isEmpty());
        QStringList args { QStringLiteral("validate") };
        for (const QString &f : files)
            args << dir + f;
        const Run r = runApp(args);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    }

    void badInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        const QString bad = writeFile(m_dir, QStringLiteral("bad.yaml"),
            "name: x\nclasses:\n  - name: a\n    arrival: { process: poisson, rate: 5 parsecs }\n"
            "    stages: [{ name: s, work: cpu, time: 1ms, domain: threads }]\n");
        const QString small = writeFile(m_dir, QStringLiteral("small.yaml"), kSmall);
        QTest::newRow("validate bad file")
            << QStringList { QStringLiteral("validate"), bad } << QStringLiteral("bad.yaml:4:");
        QTest::newRow("run bad file") << QStringList { QStringLiteral("run"), bad } << QStringLiteral("bad.yaml:4:");
        QTest::newRow("missing file") << QStringList { QStringLiteral("run"),
            m_dir.filePath(QStringLiteral("nope.yaml")) }
                                      << QStringLiteral("nope.yaml");
        QTest::newRow("bad --set value") << QStringList { QStringLiteral("run"), small, QStringLiteral("--set"),
            QStringLiteral("domains.threads.workers=100000") }
                                         << QStringLiteral("domains.threads.workers");
        QTest::newRow("bad --set path") << QStringList { QStringLiteral("run"), small, QStringLiteral("--set"),
            QStringLiteral("domains.threads.wrkers=2") }
                                        << QStringLiteral("wrkers");
        QTest::newRow("bad --route stage")
            << QStringList { QStringLiteral("run"), small, QStringLiteral("--route"), QStringLiteral("io.nothing=tbb") }
            << QStringLiteral("io.nothing");
        QTest::newRow("bad --route domain") << QStringList { QStringLiteral("run"), small, QStringLiteral("--route"),
            QStringLiteral("io.get=gpu") } << QStringLiteral("gpu");
        QTest::newRow("bad --duration") << QStringList { QStringLiteral("run"), small, QStringLiteral("--duration"),
            QStringLiteral("soon") } << QStringLiteral("duration");
        // Issue 11: a drain of 1e10 s overflowed the engine's nanosecond deadline and acted as none.
        QTest::newRow("--drain beyond the clock")
            << QStringList { QStringLiteral("run"), small, QStringLiteral("--drain"), QStringLiteral("1e10s") }
            << QStringLiteral("--drain 1e10s: must be from 0 to 24h");
        QTest::newRow("--duration too long names the flag")
            << QStringList { QStringLiteral("run"), small, QStringLiteral("--duration"), QStringLiteral("1e10s") }
            << QStringLiteral("--duration 1e10s: duration: \"1e10s\" is too large; at most 24h");
        QTest::newRow("unknown flag") << QStringList { QStringLiteral("run"), small, QStringLiteral("--fast") }
                                      << QStringLiteral("--fast");
        QTest::newRow("flag without value")
            << QStringList { QStringLiteral("run"), small, QStringLiteral("--json") } << QStringLiteral("--json");
        QTest::newRow("--trace without value")
            << QStringList { QStringLiteral("run"), small, QStringLiteral("--trace") } << QStringLiteral("--trace");
        const QString unwritable = m_dir.filePath(QStringLiteral("no/such/dir/t.json"));
        QTest::newRow("--trace unwritable") << QStringList { QStringLiteral("run"), small, QStringLiteral("--quiet"),
            QStringLiteral("--duration"), QStringLiteral("200ms"), QStringLiteral("--trace"), unwritable }
                                            << unwritable;
    }

    void badInput()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const Run r = runApp(args);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
    }

    void runWritesJsonAndCsv()
    {
        const QString small = writeFile(m_dir, QStringLiteral("run.yaml"), kSmall);
        const QString json = m_dir.filePath(QStringLiteral("r.json"));
        const QString csv = m_dir.filePath(QStringLiteral("r.csv"));
        const Run r = runApp({ QStringLiteral("run"), small, QStringLiteral("--quiet"), QStringLiteral("--json"), json,
            QStringLiteral("--csv"), csv, QStringLiteral("--set"), QStringLiteral("seed=9") });
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.contains(QStringLiteral("conservation")));
        QVERIFY(r.out.contains(QStringLiteral("✓")));

        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(o[QStringLiteral("schema")].toString(), QStringLiteral("hybridscope.run/1"));
        for (const char *key :
            { "scenario", "duration_s", "environment", "totals", "classes", "domains", "loop", "findings", "frames" })
            QVERIFY2(o.contains(QLatin1String(key)), key);
        const QJsonObject totals = o[QStringLiteral("totals")].toObject();
        const qint64 submitted = totals[QStringLiteral("submitted")].toInteger();
        QVERIFY(submitted > 100);
        QCOMPARE(submitted,
            totals[QStringLiteral("completed")].toInteger() + totals[QStringLiteral("failed")].toInteger()
                + totals[QStringLiteral("rejected")].toInteger() + totals[QStringLiteral("cancelled")].toInteger());
        const QJsonObject io = o[QStringLiteral("classes")].toObject()[QStringLiteral("io")].toObject();
        for (const char *key : { "submitted", "completed", "failed", "rejected", "cancelled", "throughput",
                 "latency_ms", "sla_p99_ms", "sla_met" })
            QVERIFY2(io.contains(QLatin1String(key)), key);
        for (const char *key : { "mean", "p50", "p90", "p99", "p999", "max" })
            QVERIFY2(io[QStringLiteral("latency_ms")].toObject().contains(QLatin1String(key)), key);
        const QJsonObject threads = o[QStringLiteral("domains")].toObject()[QStringLiteral("threads")].toObject();
        for (const char *key : { "workers", "completed", "utilization", "queue_depth", "wait_ms", "service_ms",
                 "p_wait", "starved", "starved_ms", "crashes" })
            QVERIFY2(threads.contains(QLatin1String(key)), key);
        QCOMPARE(threads[QStringLiteral("workers")].toInt(), 2);
        const QJsonObject theory = threads[QStringLiteral("theory")].toObject();
        for (const char *key : { "model", "applies", "why", "predicted", "measured", "little", "inputs" })
            QVERIFY2(theory.contains(QLatin1String(key)), key);
        for (const char *key : { "utilization", "p_wait", "wait_mean_ms", "queue_mean" })
            QVERIFY2(theory[QStringLiteral("measured")].toObject().contains(QLatin1String(key)), key);
        for (const char *key : { "l", "lambda_w", "mismatch" })
            QVERIFY2(theory[QStringLiteral("little")].toObject().contains(QLatin1String(key)), key);
        QVERIFY(
            o[QStringLiteral("loop")].toObject()[QStringLiteral("lag_ms")].toObject().contains(QStringLiteral("p99")));
        const QJsonArray frames = o[QStringLiteral("frames")].toArray();
        QVERIFY(frames.size() >= 15); // 1 s at 20 Hz, give or take the edges
        const QJsonObject frame = frames.at(frames.size() / 2).toObject();
        QVERIFY(frame.contains(QStringLiteral("t")));
        QVERIFY(frame.contains(QStringLiteral("loop_lag_ms")));
        const QJsonObject fd = frame[QStringLiteral("domains")].toObject()[QStringLiteral("threads")].toObject();
        for (const char *key : { "queue", "inflight", "busy", "workers", "done", "p99_ms", "starved" })
            QVERIFY2(fd.contains(QLatin1String(key)), key);

        QFile c(csv);
        QVERIFY(c.open(QIODevice::ReadOnly));
        const QList<QByteArray> all = c.readAll().trimmed().split('\n');
        const qsizetype blank = all.indexOf(QByteArray());
        QVERIFY(blank > 0);
        const QList<QByteArray> lines = all.mid(0, blank), classLines = all.mid(blank + 1);
        QVERIFY(lines.first().startsWith("t,domain,queue,inflight,busy,workers,done,p99_ms,starved"));
        const auto domainCount = o[QStringLiteral("domains")].toObject().size();
        QVERIFY(domainCount >= 3);
        QCOMPARE(lines.size() - 1, frames.size() * domainCount); // a row per frame and running domain
        // Then a row per frame and class, with the naive P99 (DESIGN §15) beside the corrected one.
        QVERIFY(classLines.first().startsWith("t,class,"));
        const auto classCount = o[QStringLiteral("classes")].toObject().size();
        QCOMPARE(classLines.size() - 1, frames.size() * classCount);
        const QList<QByteArray> header = classLines.first().split(',');
        const qsizetype p99 = header.indexOf("p99_ms"), naive = header.indexOf("naive_p99_ms");
        QVERIFY(p99 > 0 && naive > 0);
        for (qsizetype i = 1; i < classLines.size(); ++i) {
            const QList<QByteArray> cells = classLines[i].split(',');
            QCOMPARE(cells.size(), header.size());
            bool ok = false;
            QVERIFY2(cells[naive].toDouble(&ok) >= 0 && ok, classLines[i].constData());
        }
    }

    void runWritesTrace()
    {
        const QString small = writeFile(m_dir, QStringLiteral("trace.yaml"), kSmall);
        const QString trace = m_dir.filePath(QStringLiteral("t.json"));
        const QString json = m_dir.filePath(QStringLiteral("t-report.json"));
        const Run r = runApp({ QStringLiteral("run"), small, QStringLiteral("--quiet"), QStringLiteral("--trace"),
            trace, QStringLiteral("--json"), json });
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains(QStringLiteral("wrote ") + trace), qPrintable(r.out));
        QFile f(trace);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QJsonParseError e;
        const QJsonObject o = QJsonDocument::fromJson(f.readAll(), &e).object();
        QVERIFY2(e.error == QJsonParseError::NoError, qPrintable(e.errorString()));
        QVERIFY(o[QStringLiteral("otherData")].toObject()[QStringLiteral("sampling")].toString().startsWith(
            QLatin1String("complete")));
        int slices = 0, flows = 0;
        for (const QJsonValue &v : o[QStringLiteral("traceEvents")].toArray()) {
            const QString ph = v.toObject()[QStringLiteral("ph")].toString();
            const QString name = v.toObject()[QStringLiteral("name")].toString();
            if (ph == QLatin1String("X")) {
                ++slices;
                QVERIFY2(name == QLatin1String("io.get") || name == QLatin1String("calc.fetch")
                        || name == QLatin1String("calc.crunch"),
                    qPrintable(name));
            }
            flows += ph == QLatin1String("f") ? 1 : 0;
        }
        // A slice per stage the domains ran, as the JSON report counts them; an arrow per calc task.
        QFile rf(json);
        QVERIFY(rf.open(QIODevice::ReadOnly));
        const QJsonObject report = QJsonDocument::fromJson(rf.readAll()).object();
        qint64 stages = 0;
        for (const QJsonValue &d : report[QStringLiteral("domains")].toObject())
            stages += d.toObject()[QStringLiteral("completed")].toInteger();
        QVERIFY(slices > 100);
        QCOMPARE(qint64(slices), stages);
        const qint64 calc = report[QStringLiteral("classes")]
                                .toObject()[QStringLiteral("calc")]
                                .toObject()[QStringLiteral("completed")]
                                .toInteger();
        QVERIFY(calc > 20);
        QCOMPARE(qint64(flows), calc);
    }

    void routeOverrideMovesTheStage()
    {
        const QString small = writeFile(m_dir, QStringLiteral("route.yaml"), kSmall);
        const QString json = m_dir.filePath(QStringLiteral("route.json"));
        const Run r = runApp({ QStringLiteral("run"), small, QStringLiteral("--quiet"), QStringLiteral("--route"),
            QStringLiteral("io.get=tbb"), QStringLiteral("--json"), json });
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject domains = QJsonDocument::fromJson(f.readAll()).object()[QStringLiteral("domains")].toObject();
        QCOMPARE(domains[QStringLiteral("threads")].toObject()[QStringLiteral("completed")].toInteger(), 0);
        QVERIFY(domains[QStringLiteral("tbb")].toObject()[QStringLiteral("completed")].toInteger() > 100);
    }

    void sigintDrainsThenSecondCancels()
    {
        // A run with no end: the first SIGINT stops arrivals and drains, so it must exit 0 with
        // conservation intact; long blocking stages make the drain outlast the second signal.
        const QString endless = writeFile(m_dir, QStringLiteral("endless.yaml"), R"(name: endless
domains:
  threads: { workers: 2 }
classes:
  - name: slow
    arrival: { process: poisson, rate: 50/s }
    stages:
      - { name: wait, work: block, time: 2s, domain: threads }
)");
        QProcess p;
        p.start(
            hs::test::appPath(), { QStringLiteral("run"), endless, QStringLiteral("--drain"), QStringLiteral("60s") });
        QVERIFY(p.waitForStarted(10000));
        // QTRY_* evaluates its expression once more at the end: read into a buffer, test the buffer.
        QByteArray err;
        auto seen = [&](const char *what) {
            err += p.readAllStandardError();
            return err.contains(what) || p.state() != QProcess::Running;
        };
        // Wait until it has really started running (its first progress line).
        QTRY_VERIFY_WITH_TIMEOUT(seen("submitted"), 20000);
        QCOMPARE(p.state(), QProcess::Running);
        ::kill(pid_t(p.processId()), SIGINT);
        QTRY_VERIFY_WITH_TIMEOUT(seen("stopping"), 10000);
        QCOMPARE(p.state(), QProcess::Running); // draining 2 s stages with a 60 s drain budget
        ::kill(pid_t(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(15000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 0);
        const QString out = QString::fromUtf8(p.readAllStandardOutput());
        QVERIFY2(out.contains(QStringLiteral("✓")), qPrintable(out));
        QVERIFY2(!out.contains(QStringLiteral("cancelled 0 ")), qPrintable(out));
    }

    // Issue 11 #2: an output that is a device, a FIFO, a directory or a link to nothing is refused
    // before the run starts (no summary printed), exit 2 naming the flag and the path; the FIFO
    // stays a FIFO.
    void outputThatIsNotAFileIsRefused_data()
    {
        QTest::addColumn<QString>("flag");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("why");
        const QString fifo = makeFifo(m_dir, QStringLiteral("out-fifo.html"));
        QVERIFY(!fifo.isEmpty());
        const QString dir = m_dir.filePath(QStringLiteral("out-dir.json"));
        QVERIFY(QDir().mkpath(dir));
        const QString dangling = m_dir.filePath(QStringLiteral("dangling.json"));
        QVERIFY(QFile::link(m_dir.filePath(QStringLiteral("nowhere/x.json")), dangling));
        for (const char *flag : { "--json", "--csv", "--trace", "--report" })
            QTest::newRow(qPrintable(QStringLiteral("%1 FIFO").arg(QLatin1String(flag))))
                << QString::fromLatin1(flag) << fifo << QStringLiteral("FIFO");
        QTest::newRow("--json directory") << QStringLiteral("--json") << dir << QStringLiteral("directory");
        QTest::newRow("--csv dangling link") << QStringLiteral("--csv") << dangling << QStringLiteral("link");
        QTest::newRow("--json missing directory")
            << QStringLiteral("--json") << m_dir.filePath(QStringLiteral("no/such/dir/r.json"))
            << QStringLiteral("does not exist");
    }

    void outputThatIsNotAFileIsRefused()
    {
        QFETCH(QString, flag);
        QFETCH(QString, path);
        QFETCH(QString, why);
        const QString small = writeFile(m_dir, QStringLiteral("out.yaml"), kSmall);
        const Run r = runApp({ QStringLiteral("run"), small, QStringLiteral("--quiet"), QStringLiteral("--duration"),
            QStringLiteral("300ms"), flag, path });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(flag + QLatin1Char(' ') + path), qPrintable(r.err));
        QVERIFY2(r.err.contains(why), qPrintable(r.err));
        QVERIFY2(!r.out.contains(QStringLiteral("conservation")), qPrintable(r.out)); // refused before the run
        const QString fifo = m_dir.filePath(QStringLiteral("out-fifo.html"));
        QVERIFY(isFifo(fifo));
    }

    // Non-root only (root ignores permission bits): a read-only directory is refused before the run.
    void readOnlyDirectoryIsRefused()
    {
        if (::geteuid() == 0)
            QSKIP("running as root: permission bits do not apply");
        const QString dir = m_dir.filePath(QStringLiteral("read-only"));
        QVERIFY(QDir().mkpath(dir));
        QVERIFY(QFile::setPermissions(dir, QFileDevice::ReadOwner | QFileDevice::ExeOwner));
        const QString json = dir + QStringLiteral("/r.json");
        const Run r = runApp({ QStringLiteral("run"), writeFile(m_dir, QStringLiteral("ro.yaml"), kSmall),
            QStringLiteral("--quiet"), QStringLiteral("--json"), json });
        QFile::setPermissions(dir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("--json ") + json) && r.err.contains(QStringLiteral("not writable")),
            qPrintable(r.err));
        QVERIFY2(!r.out.contains(QStringLiteral("conservation")), qPrintable(r.out));
    }

    // /dev/null must never be replaced (as root that breaks the machine). The scenario does not
    // exist, so even a build without the check stops before writing anything: the test cannot
    // harm /dev/null, and it fails there because the error is about the scenario, not --json.
    void devNullOutputIsRefused()
    {
        QVERIFY(isCharDevice("/dev/null"));
        const Run r = runApp({ QStringLiteral("run"), m_dir.filePath(QStringLiteral("absent.yaml")),
            QStringLiteral("--json"), QStringLiteral("/dev/null") });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("--json /dev/null: a character device")), qPrintable(r.err));
        QVERIFY(isCharDevice("/dev/null"));
    }

    // Issue 11 #13: a flag that takes one value, given twice, is refused, naming it.
    void repeatedFlagIsRefused_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("flag");
        const QString small = writeFile(m_dir, QStringLiteral("twice.yaml"), kSmall);
        for (const char *flag : { "--json", "--csv", "--trace", "--report" }) {
            const QString ext
                = QLatin1String(flag) == QLatin1String("--report") ? QStringLiteral(".html") : QStringLiteral(".out");
            QTest::newRow(flag) << QStringList { QStringLiteral("run"), small, QString::fromLatin1(flag),
                m_dir.filePath(QStringLiteral("a") + ext), QString::fromLatin1(flag),
                m_dir.filePath(QStringLiteral("b") + ext) }
                                << QString::fromLatin1(flag);
        }
        QTest::newRow("--duration") << QStringList { QStringLiteral("run"), small, QStringLiteral("--duration"),
            QStringLiteral("1s"), QStringLiteral("--duration"), QStringLiteral("2s") }
                                    << QStringLiteral("--duration");
        QTest::newRow("--drain") << QStringList { QStringLiteral("run"), small, QStringLiteral("--drain"),
            QStringLiteral("1s"), QStringLiteral("--drain"), QStringLiteral("2s") }
                                 << QStringLiteral("--drain");
        QTest::newRow("report --report") << QStringList { QStringLiteral("report"), small, QStringLiteral("--report"),
            m_dir.filePath(QStringLiteral("a.html")), QStringLiteral("--report"),
            m_dir.filePath(QStringLiteral("b.html")) }
                                         << QStringLiteral("--report");
    }

    void repeatedFlagIsRefused()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, flag);
        const Run r = runApp(args);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(flag + QStringLiteral(" given twice")), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(m_dir.filePath(QStringLiteral("a.html"))));
        QVERIFY(!QFileInfo::exists(m_dir.filePath(QStringLiteral("b.html"))));
    }

    // Issue 11 #13: an empty path is a clean error, not a Qt warning; a FIFO, a directory or a
    // device given as the scenario is an error naming it, and never blocks.
    void scenarioThatIsNotAFile_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        const QString fifo = makeFifo(m_dir, QStringLiteral("scenario-fifo.yaml"));
        QVERIFY(!fifo.isEmpty());
        const QString dir = m_dir.filePath(QStringLiteral("scenario-dir.yaml"));
        QVERIFY(QDir().mkpath(dir));
        QTest::newRow("validate empty") << QStringList { QStringLiteral("validate"), QString() }
                                        << QStringLiteral("empty path");
        QTest::newRow("run empty") << QStringList { QStringLiteral("run"), QString() } << QStringLiteral("empty");
        QTest::newRow("validate FIFO") << QStringList { QStringLiteral("validate"), fifo }
                                       << fifo + QStringLiteral(": cannot open the scenario: a FIFO");
        QTest::newRow("run FIFO") << QStringList { QStringLiteral("run"), fifo } << QStringLiteral("a FIFO");
        QTest::newRow("list FIFO") << QStringList { QStringLiteral("list"), fifo } << QStringLiteral("a FIFO");
        QTest::newRow("validate directory")
            << QStringList { QStringLiteral("validate"), dir } << QStringLiteral("a directory");
        QTest::newRow("validate /dev/zero") << QStringList { QStringLiteral("validate"),
            QStringLiteral("/dev/zero") } << QStringLiteral("/dev/zero: cannot open the scenario: a character device");
    }

    void scenarioThatIsNotAFile()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const Run r = runApp(args, 20000); // a FIFO opened for reading would block for ever
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY2(!r.err.contains(QStringLiteral("QFSFileEngine")) && !r.err.contains(QStringLiteral("QFile::")),
            qPrintable(r.err));
    }

    // Issue 11 #11: stdout and stderr are a pipe whose reader has gone (`run … | head`): the run
    // finishes, writes its files and exits 0 instead of dying of SIGPIPE (exit 141).
    void closedOutputPipeFinishesTheRun()
    {
        const QString small = writeFile(m_dir, QStringLiteral("pipe.yaml"), kSmall);
        const QString json = m_dir.filePath(QStringLiteral("pipe.json"));
        int fds[2];
        QCOMPARE(::pipe2(fds, O_CLOEXEC), 0);
        ::close(fds[0]); // no reader: every write to the pipe raises SIGPIPE
        QProcess p;
        const int writeEnd = fds[1];
        p.setChildProcessModifier([writeEnd] {
            ::dup2(writeEnd, STDOUT_FILENO);
            ::dup2(writeEnd, STDERR_FILENO);
        });
        // Without --quiet: the progress line goes to stderr every second, the summary to stdout.
        p.start(hs::test::appPath(),
            { QStringLiteral("run"), small, QStringLiteral("--duration"), QStringLiteral("1500ms"),
                QStringLiteral("--json"), json });
        ::close(writeEnd);
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 0);
        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(f.readAll()).object()[QStringLiteral("schema")].toString(),
            QStringLiteral("hybridscope.run/1"));
    }

private:
    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
