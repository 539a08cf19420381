// The procs domain end to end through `hybridscope run`: worker processes die with an engine that
// was SIGKILLed, the next start sweeps stale shared-memory segments, a crash loop is reported, and
// the JSON report carries procs with crashes, restarts and ipc_ms. Ctrl+C as a terminal sends it (to
// the whole foreground process group) drains the stages in flight in the workers, and acts at once
// while a large pool is still being born.

#include "testutil.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

QString writeScenario(const QTemporaryDir &dir, const QByteArray &yaml)
{
    const QString path = dir.filePath(QStringLiteral("procs.yaml"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return {};
    f.write(yaml);
    return path;
}

/// A `hybridscope run` in a process group of its own, as a shell starts a foreground job: a
/// terminal's Ctrl+C is kill(-pgid, SIGINT).
void startInOwnGroup(QProcess &cli, const QStringList &args)
{
    cli.setChildProcessModifier([] { ::setpgid(0, 0); });
    cli.start(hs::test::appPath(), args);
}

/// Processes still running (or unreaped) whose command line names `engine` as their parent: workers
/// that outlived it.
QStringList workersOf(pid_t engine)
{
    QStringList left;
    const QByteArray parentArg = QByteArray("--parent") + '\0' + QByteArray::number(qint64(engine)) + '\0';
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &e : entries) {
        QFile f(QStringLiteral("/proc/%1/cmdline").arg(e));
        if (f.open(QIODevice::ReadOnly) && f.readAll().contains(parentArg))
            left << e;
    }
    return left;
}

/// SIGINT sent to `pid` and not delivered yet. A second one sent now would merge with it (standard
/// signals do not queue), as two Ctrl+C a person presses never do.
bool sigintPending(pid_t pid)
{
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return false;
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (const QByteArray &line : lines)
        if (line.startsWith("ShdPnd:") || line.startsWith("SigPnd:"))
            if (line.mid(7).trimmed().toULongLong(nullptr, 16) & (1ULL << (SIGINT - 1)))
                return true;
    return false;
}

} // namespace

class TestProcsCli : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void killedEngineTakesItsWorkersAlong();
    void crashLoopIsReported();
    void terminalCtrlCDrainsWorkers();
    void ctrlCDuringStartUp_data();
    void ctrlCDuringStartUp();
};

void TestProcsCli::initTestCase()
{
    QVERIFY2(QFileInfo(hs::test::appPath()).isExecutable(), "HS_APP must name the built hybridscope");
    // Orphaned workers of a killed engine are re-parented to us, so we can see how they ended.
    QCOMPARE(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
}

void TestProcsCli::killedEngineTakesItsWorkersAlong()
{
    // A segment left by an engine that died: named after a pid no process has.
    pid_t dead = 4'000'000;
    while (::kill(dead, 0) == 0 || errno != ESRCH)
        --dead;
    const QByteArray stale = "/hybridscope-" + QByteArray::number(qint64(dead)) + "-1";
    const int fd = ::shm_open(stale.constData(), O_RDWR | O_CREAT, 0600);
    QVERIFY(fd >= 0);
    ::close(fd);

    QTemporaryDir dir;
    const QString scenario = writeScenario(dir,
        "name: killed\n"
        "domains:\n"
        "  procs: { workers: 2, transfer: shm }\n"
        "classes:\n"
        "  - name: c\n"
        "    arrival: { process: constant, rate: 20/s }\n"
        "    stages:\n"
        "      - { name: s, work: block, time: 50ms, payload_in: 64KiB, "
        "domain: procs }\n");
    QProcess cli;
    cli.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    cli.start(
        hs::test::appPath(), { QStringLiteral("run"), scenario, QStringLiteral("--duration"), QStringLiteral("60s") });
    QVERIFY(cli.waitForStarted(10000));
    const pid_t engine = pid_t(cli.processId());
    // Two workers up: each names its thread once it has armed PR_SET_PDEATHSIG.
    auto ready = [&] {
        const auto kids = hs::test::childPids(engine);
        return kids.size() == 2 && std::all_of(kids.begin(), kids.end(), [](pid_t p) {
            QFile comm(QStringLiteral("/proc/%1/comm").arg(p));
            return comm.open(QIODevice::ReadOnly) && comm.readAll().trimmed() == "hs-worker";
        });
    };
    QVERIFY(QTest::qWaitFor(ready, 20000));
    const std::vector<pid_t> workers = hs::test::childPids(engine);
    const bool swept = QTest::qWaitFor(
        [&] { return !QFile::exists(QStringLiteral("/dev/shm") + QString::fromLatin1(stale)); }, 5000);
    ::shm_unlink(stale.constData());
    QVERIFY2(swept, "the engine's start removes segments of dead owners");

    QCOMPARE(::kill(engine, SIGKILL), 0);
    QVERIFY(cli.waitForFinished(10000));
    // Each worker dies with the engine and comes to us to be reaped: killed by PR_SET_PDEATHSIG or, if it
    // was reading, gone on its own at the end of the connection (0), or before its hello (68, engine gone).
    QStringList ends;
    for (pid_t w : workers) {
        int status = 0;
        const bool reaped = QTest::qWaitFor([&] { return ::waitpid(w, &status, WNOHANG) == w; }, 10000);
        if (reaped)
            qInfo("worker %d: %s %d", int(w), WIFSIGNALED(status) ? "signal" : "exit code",
                WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        if (!reaped)
            ends << QStringLiteral("%1 outlived its engine").arg(w);
        else if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            && !(WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 68)))
            ends << QStringLiteral("%1 ended with status %2").arg(w).arg(status);
    }
    QVERIFY2(ends.isEmpty(), qPrintable(ends.join(QStringLiteral(", "))));
    // Segment names exist only during a handshake: nothing of the killed engine is left.
    QVERIFY2(
        hs::test::shmSegmentsOf(engine).isEmpty(), qPrintable(hs::test::shmSegmentsOf(engine).join(QLatin1Char(' '))));
}

void TestProcsCli::crashLoopIsReported()
{
    QTemporaryDir dir;
    const QString scenario = writeScenario(dir,
        "name: crash loop\n"
        "duration: 1.5s\n"
        "domains:\n"
        "  procs: { workers: 2 }\n"
        "classes:\n"
        "  - name: doomed\n"
        "    arrival: { process: constant, rate: 30/s }\n"
        "    stages:\n"
        "      - { name: s, work: cpu, time: 10ms, crash: 1, domain: procs }\n");
    const QString json = dir.filePath(QStringLiteral("report.json"));
    QProcess cli;
    cli.start(hs::test::appPath(), { QStringLiteral("run"), scenario, QStringLiteral("--json"), json });
    QVERIFY(cli.waitForFinished(60000));
    const QString out = QString::fromUtf8(cli.readAllStandardOutput());
    QCOMPARE(cli.exitCode(), 0);
    // The summary says why the tasks failed.
    QVERIFY2(out.contains(QLatin1String("pool unavailable")), qPrintable(out));
    QVERIFY2(out.contains(QLatin1String("worker crashed: SIGABRT")), qPrintable(out));
    QFile f(json);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject report = QJsonDocument::fromJson(f.readAll()).object();
    const QJsonObject procs = report[QStringLiteral("domains")][QStringLiteral("procs")].toObject();
    QVERIFY(procs[QStringLiteral("crashes")].toInt() >= 6);
    QVERIFY(procs[QStringLiteral("restarts")].toInt() <= 5);
    QVERIFY(report[QStringLiteral("classes")][QStringLiteral("doomed")].toObject().contains(QStringLiteral("ipc_ms")));
    QVERIFY(report[QStringLiteral("totals")][QStringLiteral("conserved")].toBool());
    QVERIFY(hs::test::childPids(::getpid()).empty());
}

void TestProcsCli::terminalCtrlCDrainsWorkers()
{
    // Two workers, always busy: 10 stages of 400 ms a second arrive for a capacity of 5.
    QTemporaryDir dir;
    const QString scenario = writeScenario(dir,
        "name: ctrl-c\n"
        "domains:\n"
        "  procs: { workers: 2 }\n"
        "classes:\n"
        "  - name: c\n"
        "    arrival: { process: constant, rate: 10/s }\n"
        "    stages:\n"
        "      - { name: s, work: block, time: 400ms, domain: procs }\n");
    const QString json = dir.filePath(QStringLiteral("report.json"));
    QProcess cli;
    startInOwnGroup(cli,
        { QStringLiteral("run"), scenario, QStringLiteral("--duration"), QStringLiteral("60s"),
            QStringLiteral("--drain"), QStringLiteral("60s"), QStringLiteral("--json"), json });
    QVERIFY(cli.waitForStarted(10000));
    const pid_t engine = pid_t(cli.processId());
    // The progress line at t=1 s: both workers have had stages in flight since the start.
    QByteArray progress;
    QVERIFY(QTest::qWaitFor(
        [&] {
            progress += cli.readAllStandardError();
            return progress.contains("t=1.") || cli.state() == QProcess::NotRunning;
        },
        30000));
    QCOMPARE(cli.state(), QProcess::Running);
    QCOMPARE(hs::test::childPids(engine).size(), std::size_t(2));
    QCOMPARE(::kill(-engine, SIGINT), 0); // the whole foreground group, as a terminal does
    QVERIFY(cli.waitForFinished(60000));
    const QString out = QString::fromUtf8(cli.readAllStandardOutput());
    const QString err = QString::fromUtf8(progress + cli.readAllStandardError());
    QCOMPARE(cli.exitStatus(), QProcess::NormalExit);
    QVERIFY2(cli.exitCode() == 0, qPrintable(out + err));
    QVERIFY2(err.contains(QLatin1String("stopping: draining")), qPrintable(err));
    // The workers never saw the terminal's signal: what was in flight in them drained.
    QVERIFY2(!out.contains(QLatin1String("worker crashed")), qPrintable(out));
    QFile f(json);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject report = QJsonDocument::fromJson(f.readAll()).object();
    const QJsonObject totals = report[QStringLiteral("totals")].toObject();
    QVERIFY2(totals[QStringLiteral("conserved")].toBool(), qPrintable(out));
    QVERIFY2(totals[QStringLiteral("failed")].toInt() == 0 && totals[QStringLiteral("cancelled")].toInt() == 0
            && totals[QStringLiteral("completed")].toInt() >= 2,
        qPrintable(out));
    const QJsonObject procs = report[QStringLiteral("domains")][QStringLiteral("procs")].toObject();
    QCOMPARE(procs[QStringLiteral("crashes")].toInt(), 0);
    QVERIFY2(workersOf(engine).isEmpty(), qPrintable(workersOf(engine).join(QLatin1Char(' '))));
}

void TestProcsCli::ctrlCDuringStartUp_data()
{
    QTest::addColumn<int>("count");
    QTest::newRow("once: stop") << 1;
    QTest::newRow("twice: cancel") << 2;
}

void TestProcsCli::ctrlCDuringStartUp()
{
    QFETCH(int, count);
    // Hundreds of workers take many seconds to be born on a small machine (about 48 s for 4096):
    // the run's clock starts only once they are all up. Ctrl+C during that must act at once.
    QTemporaryDir dir;
    const QString scenario = writeScenario(dir,
        "name: big pool\n"
        "domains:\n"
        "  procs: { workers: 1000 }\n"
        "classes:\n"
        "  - name: c\n"
        "    arrival: { process: constant, rate: 5/s }\n"
        "    stages:\n"
        "      - { name: s, work: block, time: 1ms, domain: procs }\n");
    QProcess cli;
    startInOwnGroup(cli, { QStringLiteral("run"), scenario, QStringLiteral("--duration"), QStringLiteral("60s") });
    QVERIFY(cli.waitForStarted(10000));
    const pid_t engine = pid_t(cli.processId());
    // Start-up is under way: the first workers exist.
    QVERIFY(QTest::qWaitFor([&] { return hs::test::childPids(engine).size() >= 4; }, 30000));
    QElapsedTimer t;
    t.start();
    for (int i = 0; i < count; ++i) {
        QVERIFY(QTest::qWaitFor([&] { return !sigintPending(engine); }, 5000));
        QCOMPARE(::kill(-engine, SIGINT), 0);
    }
    const bool ended = cli.waitForFinished(60000);
    const qint64 ms = t.elapsed();
    const QString out = QString::fromUtf8(cli.readAllStandardOutput());
    const QString err = QString::fromUtf8(cli.readAllStandardError());
    QVERIFY(ended);
    qInfo("ended %lld ms after the first Ctrl+C", static_cast<long long>(ms));
    QVERIFY2(ms < 5000, qPrintable(QStringLiteral("ended %1 ms after Ctrl+C").arg(ms)));
    QCOMPARE(cli.exitStatus(), QProcess::NormalExit);
    QVERIFY2(cli.exitCode() == 0, qPrintable(out + err));
    QVERIFY2(out.contains(QLatin1String("conservation:")) && !out.contains(QLatin1String("VIOLATED")), qPrintable(out));
    // Two quick signals are two: the second cancels.
    QVERIFY2(err.contains(QLatin1String("stopping")), qPrintable(err));
    QCOMPARE(err.contains(QLatin1String("cancelling")), count == 2);
    // Nothing of the pool is left: no worker re-parented to us (the subreaper), none naming the engine.
    QVERIFY(hs::test::childPids(::getpid()).empty());
    QVERIFY2(workersOf(engine).isEmpty(), qPrintable(workersOf(engine).join(QLatin1Char(' '))));
}

QTEST_GUILESS_MAIN(TestProcsCli)
#include "tst_procs_cli.moc"
