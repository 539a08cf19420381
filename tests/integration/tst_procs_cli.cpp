// The procs domain end to end through `hybridscope run`: worker processes die with an engine that
// was SIGKILLed, the next start sweeps stale shared-memory segments, a crash loop is reported, and
// the JSON report carries procs with crashes, restarts and ipc_ms.

#include "testutil.h"

#include <QDir>
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

} // namespace

class TestProcsCli : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void killedEngineTakesItsWorkersAlong();
    void crashLoopIsReported();
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

QTEST_GUILESS_MAIN(TestProcsCli)
#include "tst_procs_cli.moc"
