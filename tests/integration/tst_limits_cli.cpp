// Resource limits end to end: the real executable under a low RLIMIT_NOFILE or RLIMIT_NPROC, as a
// user's `ulimit -n` / `ulimit -u` would set them. Each run is bounded; a crash or a hang fails.
#include "testutil.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <functional>

#include <grp.h>
#include <sys/resource.h>
#include <unistd.h>

namespace {

using Run = hs::test::AppRun;

Run runApp(const QStringList &args, const std::function<void()> &setup, int timeoutMs)
{
    return hs::test::runApp(args, timeoutMs, setup);
}

std::function<void()> fileLimit(rlim_t n)
{
    return [n] {
        const rlimit rl { n, n }; // soft and hard, as `ulimit -n N` sets them
        setrlimit(RLIMIT_NOFILE, &rl);
    };
}

// RLIMIT_NPROC is not enforced for root: the child becomes `nobody` first (the test runs as root in CI).
std::function<void()> processLimit(rlim_t n)
{
    return [n] {
        if (geteuid() == 0) {
            setgroups(0, nullptr);
            if (setgid(65534) != 0 || setuid(65534) != 0)
                _exit(97);
        }
        const rlimit rl { n, n };
        setrlimit(RLIMIT_NPROC, &rl);
    };
}

// Many net stages in flight on the loop (two descriptors each), then a stage on threads: under
// `ulimit -n 256` this ran out of descriptors and glib aborted a thread start with SIGTRAP.
const QByteArray kNetFlood = R"(name: net flood
duration: 2s
domains:
  threads: { workers: 4 }
classes:
  - name: wait
    arrival: { process: constant, rate: 600/s }
    stages:
      - { name: call, work: net, time: 600ms, bytes: 64B, domain: loop }
      - { name: after, work: block, time: 1ms, domain: threads }
)";

const QByteArray kSmall = R"(name: threads and processes
duration: 1s
domains:
  threads: { workers: 8 }
  tbb: { workers: 2 }
  procs: { workers: 2 }
classes:
  - name: io
    arrival: { process: poisson, rate: 100/s }
    stages:
      - { name: get, work: block, time: 1ms, domain: threads }
      - { name: crunch, work: cpu, time: 1ms, domain: tbb }
      - { name: hash, work: cpu, time: 1ms, domain: procs }
)";

// Keeps every threads worker busy, so that each pool thread is really created (QThreadPool starts
// them on demand): the old engine lost tasks to failed thread starts here and waited forever.
const QByteArray kBusy = R"(name: busy threads
duration: 1s
domains:
  threads: { workers: 12 }
  tbb: { workers: 2 }
classes:
  - name: io
    arrival: { process: constant, rate: 400/s }
    stages:
      - { name: get, work: block, time: 100ms, domain: threads }
      - { name: crunch, work: cpu, time: 1ms, domain: tbb }
)";

} // namespace

class TestLimitsCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(hs::test::appPath()), qPrintable(hs::test::appPath()));
        QVERIFY(m_dir.isValid());
        m_flood = write(QStringLiteral("flood.yaml"), kNetFlood);
        m_small = write(QStringLiteral("small.yaml"), kSmall);
        m_busy = write(QStringLiteral("busy.yaml"), kBusy);
        // `nobody` must read the scenarios and write its temp files.
        QFile::setPermissions(m_dir.path(), QFile::permissions(m_dir.path()) | QFile::ExeOther | QFile::ReadOther);
    }

    // Defect 3: descriptor exhaustion fails the stages that find none, with a reason; the run ends
    // with its summary and conservation holds.
    void fdExhaustionFailsStagesCleanly()
    {
        const Run r = runApp({ QStringLiteral("run"), m_flood, QStringLiteral("--quiet") }, fileLimit(256), 60000);
        QVERIFY2(r.finished && !r.crashed, qPrintable(r.describe()));
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(QStringLiteral("out of file descriptors (EMFILE)")), qPrintable(r.describe()));
        QVERIFY2(r.out.contains(QStringLiteral("conservation: ")) && r.out.contains(QStringLiteral("✓")),
            qPrintable(r.describe()));
    }

    // Defect 3: validate says when a scenario cannot fit the descriptor limit it will run under.
    void validateWarnsAboutFileLimit()
    {
        const Run r = runApp({ QStringLiteral("validate"), m_flood }, fileLimit(256), 30000);
        QVERIFY2(r.finished && !r.crashed && r.exitCode == 0, qPrintable(r.describe()));
        QVERIFY2(r.err.contains(QStringLiteral("warning: needs about")) && r.err.contains(QStringLiteral("ulimit -n")),
            qPrintable(r.describe()));
        QVERIFY2(r.err.contains(QStringLiteral("net stages in flight on loop")), qPrintable(r.describe()));
        // With room to spare, no warning.
        const Run roomy = runApp({ QStringLiteral("validate"), m_small }, fileLimit(4096), 30000);
        QVERIFY2(roomy.exitCode == 0 && !roomy.err.contains(QStringLiteral("warning")), qPrintable(roomy.describe()));
    }

    // Defect 3: pools that cannot get their descriptors do not start (a clear error, exit 2), instead of
    // aborting in a thread start.
    void poolsBeyondFileLimitDoNotStart()
    {
        // 400 stages blocked at once on 400 threads, one eventfd each: beyond 256 descriptors.
        const Run r = runApp({ QStringLiteral("run"), m_busy, QStringLiteral("--quiet"), QStringLiteral("--set"),
                                 QStringLiteral("domains.threads.workers=400"), QStringLiteral("--set"),
                                 QStringLiteral("classes.io.arrival.rate=4000/s") },
            fileLimit(256), 60000);
        QVERIFY2(r.finished && !r.crashed, qPrintable(r.describe()));
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("not enough file descriptors")), qPrintable(r.describe()));
    }

    // Defect 4: with `ulimit -u 16` the run hung for minutes (a lost QThreadPool task) or aborted
    // (oneTBB, std::thread). Now it says so and ends at once.
    void threadLimitEndsCleanly()
    {
        const Run r = runApp({ QStringLiteral("run"), m_busy, QStringLiteral("--quiet") }, processLimit(16), 30000);
        QVERIFY2(r.finished && !r.crashed, qPrintable(r.describe()));
        QVERIFY2(r.exitCode != 97, "could not switch to nobody");
        QVERIFY2(r.exitCode != 0, qPrintable(r.describe()));
        QVERIFY2(r.err.contains(QStringLiteral("cannot start")), qPrintable(r.describe()));
        QVERIFY2(r.err.contains(QStringLiteral("ulimit -u")), qPrintable(r.describe()));
    }

    // Defect 4: a limit with room for the pools still runs to the end.
    void threadLimitWithRoomRuns()
    {
        const Run r = runApp({ QStringLiteral("run"), m_busy, QStringLiteral("--quiet") }, processLimit(64), 60000);
        QVERIFY2(r.finished && !r.crashed && r.exitCode == 0, qPrintable(r.describe()));
        QVERIFY2(r.out.contains(QStringLiteral("✓")), qPrintable(r.describe()));
    }

    // Defect 12: a configuration far beyond the machine is named before the run, in validate and run.
    void oversizedPoolsAreWarnedAbout()
    {
        const Run plain = runApp({ QStringLiteral("validate"), m_small }, {}, 30000);
        QVERIFY2(plain.exitCode == 0 && !plain.err.contains(QStringLiteral("warning")), qPrintable(plain.describe()));
        // A tbb pool many times the cores (4096 on 2 cores froze a machine); kept small enough to run here.
        const int workers = 8 * QThread::idealThreadCount() + 8;
        QByteArray big = kSmall;
        big.replace(
            "tbb: { workers: 2 }", QByteArray("tbb: { workers: ").append(QByteArray::number(workers)).append(" }"));
        const QString path = write(QStringLiteral("big.yaml"), big);
        const Run v = runApp({ QStringLiteral("validate"), path }, {}, 30000);
        QVERIFY2(v.finished && v.exitCode == 0, qPrintable(v.describe()));
        const QString expected = QStringLiteral("warning: %1 tbb and 2 procs workers").arg(workers);
        QVERIFY2(v.err.contains(expected) && v.err.contains(QStringLiteral("far larger than the machine")),
            qPrintable(v.describe()));
        const Run r = runApp({ QStringLiteral("run"), path, QStringLiteral("--quiet"), QStringLiteral("--duration"),
                                 QStringLiteral("200ms") },
            {}, 60000);
        QVERIFY2(r.finished && !r.crashed && r.exitCode == 0, qPrintable(r.describe()));
        QVERIFY2(r.err.contains(QStringLiteral("hybridscope run: ") + expected), qPrintable(r.describe()));
    }

private:
    QString write(const QString &name, const QByteArray &text)
    {
        const QString path = m_dir.filePath(name);
        QFile f(path);
        if (f.open(QIODevice::WriteOnly))
            f.write(text);
        f.setPermissions(f.permissions() | QFile::ReadOther);
        return path;
    }

    QTemporaryDir m_dir;
    QString m_flood, m_small, m_busy;
};

QTEST_GUILESS_MAIN(TestLimitsCli)
#include "tst_limits_cli.moc"
