#include "core/clock.h"
#include "domains/work.h"

#include <QCryptographicHash>
#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <thread>

using namespace hs;

Q_DECLARE_METATYPE(hs::CpuKernel)

namespace {

// Upper bounds stay generous: CI runs this on a loaded 2-core machine. A wrong implementation still
// misses them by far (it runs the whole 10 s it was asked for, or never sleeps at all).
constexpr std::int64_t kPromptNs = 1'000'000'000;

QByteArray digestBytes(const std::array<std::uint8_t, 32> &d)
{
    return QByteArray(reinterpret_cast<const char *>(d.data()), int(d.size()));
}

// Sets `flag` `afterNs` from now, from another thread, and records when it did.
class DelayedCancel {
public:
    DelayedCancel(std::atomic<bool> &flag, std::int64_t afterNs)
        : m_thread([this, &flag, afterNs] {
            sleepUntilNs(nowNs() + afterNs);
            m_setAt = nowNs();
            flag.store(true);
        })
    { }
    ~DelayedCancel() { join(); }
    void join()
    {
        if (m_thread.joinable())
            m_thread.join();
    }
    /// When the flag was set; valid after join().
    std::int64_t setAt() const { return m_setAt; }

private:
    std::int64_t m_setAt = 0;
    std::thread m_thread;
};

} // namespace

class TestWork : public QObject {
    Q_OBJECT

private slots:
    void sha256MatchesReference_data();
    void sha256MatchesReference();
    void cpuConsumesThreadTime_data();
    void cpuConsumesThreadTime();
    void cpuHonoursCancel_data();
    void cpuHonoursCancel();
    void cpuHonoursDeadline();
    void cpuAlreadyCancelledDoesNothing();
    void blockWaitsWithoutCpu();
    void blockHonoursDeadlineAndCancel();
    void diskRoundTrips_data();
    void diskRoundTrips();
    void diskMissingDirFails();
    void diskCancelledLeavesNoFile();
};

void TestWork::sha256MatchesReference_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("abc") << QByteArray("abc");
    QTest::newRow("55 bytes: padding fits one block") << QByteArray(55, 'x');
    QTest::newRow("56 bytes: padding needs a second block") << QByteArray(56, 'y');
    QTest::newRow("64 bytes") << QByteArray(64, 'z');
    QByteArray big(100'003, Qt::Uninitialized);
    for (int i = 0; i < big.size(); ++i)
        big[i] = char((i * 7919) & 0xff);
    QTest::newRow("100003 bytes") << big;
}

void TestWork::sha256MatchesReference()
{
    QFETCH(QByteArray, input);
    const QByteArray ours = digestBytes(sha256(input.constData(), std::size_t(input.size())));
    QCOMPARE(ours.toHex(), QCryptographicHash::hash(input, QCryptographicHash::Sha256).toHex());
}

void TestWork::cpuConsumesThreadTime_data()
{
    QTest::addColumn<CpuKernel>("kernel");
    QTest::addColumn<double>("seconds");
    const std::pair<const char *, CpuKernel> kernels[] = { { "spin", CpuKernel::Spin }, { "sha256", CpuKernel::Sha256 },
        { "matmul", CpuKernel::Matmul }, { "sort", CpuKernel::Sort } };
    for (const auto &[name, kernel] : kernels) {
        QTest::addRow("%s 5ms", name) << kernel << 0.005;
        QTest::addRow("%s 30ms", name) << kernel << 0.030;
    }
}

void TestWork::cpuConsumesThreadTime()
{
    QFETCH(CpuKernel, kernel);
    QFETCH(double, seconds);
    // Thread CPU time does not grow while the thread is preempted, so this bound holds under load.
    const std::int64_t cpu0 = threadCpuNs();
    const WorkResult r = runCpu(kernel, seconds, {});
    const std::int64_t used = threadCpuNs() - cpu0;
    QCOMPARE(r.status, WorkStatus::Ok);
    QVERIFY2(used >= secondsToNs(seconds), qPrintable(QStringLiteral("used %1 ms").arg(nsToMs(double(used)))));
    QVERIFY2(
        used <= secondsToNs(seconds) + 2'000'000, qPrintable(QStringLiteral("used %1 ms").arg(nsToMs(double(used)))));
}

void TestWork::cpuHonoursCancel_data()
{
    QTest::addColumn<CpuKernel>("kernel");
    QTest::newRow("spin") << CpuKernel::Spin;
    QTest::newRow("sha256") << CpuKernel::Sha256;
    QTest::newRow("matmul") << CpuKernel::Matmul;
    QTest::newRow("sort") << CpuKernel::Sort;
}

void TestWork::cpuHonoursCancel()
{
    QFETCH(CpuKernel, kernel);
    std::atomic<bool> cancel { false };
    DelayedCancel canceller(cancel, 20'000'000);
    const WorkResult r = runCpu(kernel, 10.0, { &cancel, 0 });
    const std::int64_t returnedAt = nowNs();
    canceller.join();
    QCOMPARE(r.status, WorkStatus::Cancelled);
    QCOMPARE(r.reason, QStringLiteral("cancelled"));
    const std::int64_t late = returnedAt - canceller.setAt();
    QVERIFY2(late < kPromptNs, qPrintable(QString::number(nsToMs(double(late)))));
}

void TestWork::cpuHonoursDeadline()
{
    const std::int64_t start = nowNs();
    const WorkResult r = runCpu(CpuKernel::Sha256, 10.0, { nullptr, start + 30'000'000 });
    const std::int64_t wall = nowNs() - start;
    QCOMPARE(r.status, WorkStatus::TimedOut);
    QCOMPARE(r.reason, QStringLiteral("timeout"));
    QVERIFY(wall >= 30'000'000);
    QVERIFY2(wall < 30'000'000 + kPromptNs, qPrintable(QString::number(nsToMs(double(wall)))));
}

void TestWork::cpuAlreadyCancelledDoesNothing()
{
    std::atomic<bool> cancel { true };
    const std::int64_t cpu0 = threadCpuNs();
    const WorkResult r = runCpu(CpuKernel::Spin, 1.0, { &cancel, 0 });
    QCOMPARE(r.status, WorkStatus::Cancelled);
    QVERIFY(threadCpuNs() - cpu0 < 1'000'000);
}

void TestWork::blockWaitsWithoutCpu()
{
    const std::int64_t start = nowNs();
    const std::int64_t cpu0 = threadCpuNs();
    const WorkResult r = runBlock(0.050, {});
    const std::int64_t wall = nowNs() - start;
    const std::int64_t cpu = threadCpuNs() - cpu0;
    QCOMPARE(r.status, WorkStatus::Ok);
    QVERIFY2(wall >= 50'000'000, qPrintable(QString::number(nsToMs(double(wall)))));
    QVERIFY2(wall < 50'000'000 + kPromptNs, qPrintable(QString::number(nsToMs(double(wall)))));
    // About 25 wake-ups of a few microseconds each; a busy wait would burn ~50 ms.
    QVERIFY2(cpu < 5'000'000, qPrintable(QString::number(nsToMs(double(cpu)))));
}

void TestWork::blockHonoursDeadlineAndCancel()
{
    const std::int64_t start = nowNs();
    WorkResult r = runBlock(10.0, { nullptr, start + 30'000'000 });
    const std::int64_t wall = nowNs() - start;
    QCOMPARE(r.status, WorkStatus::TimedOut);
    QVERIFY(wall >= 30'000'000);
    QVERIFY2(wall < 30'000'000 + kPromptNs, qPrintable(QString::number(nsToMs(double(wall)))));

    std::atomic<bool> cancel { false };
    DelayedCancel canceller(cancel, 20'000'000);
    r = runBlock(10.0, { &cancel, 0 });
    const std::int64_t returnedAt = nowNs();
    canceller.join();
    QCOMPARE(r.status, WorkStatus::Cancelled);
    QVERIFY(returnedAt >= canceller.setAt());
    const std::int64_t late = returnedAt - canceller.setAt();
    QVERIFY2(late < kPromptNs, qPrintable(QString::number(nsToMs(double(late)))));
}

void TestWork::diskRoundTrips_data()
{
    QTest::addColumn<qint64>("bytes");
    QTest::addColumn<bool>("fsync");
    QTest::newRow("empty") << qint64(0) << false;
    QTest::newRow("1 byte") << qint64(1) << false;
    QTest::newRow("4 KiB fsync") << qint64(4096) << true;
    QTest::newRow("1 MiB + 7") << qint64(1024 * 1024 + 7) << false;
    QTest::newRow("3 MiB fsync") << qint64(3 * 1024 * 1024) << true;
}

void TestWork::diskRoundTrips()
{
    QFETCH(qint64, bytes);
    QFETCH(bool, fsync);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const WorkResult r = runDisk(dir.path(), bytes, fsync, {});
    QVERIFY2(r.status == WorkStatus::Ok, qPrintable(r.reason));
    QVERIFY(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden).isEmpty());
}

void TestWork::diskMissingDirFails()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString missing = dir.path() + QStringLiteral("/no/such/dir");
    const WorkResult r = runDisk(missing, 4096, false, {});
    QCOMPARE(r.status, WorkStatus::Failed);
    QVERIFY2(r.reason.startsWith(QStringLiteral("disk: ")), qPrintable(r.reason));
    QVERIFY2(r.reason.contains(QStringLiteral("No such file or directory")), qPrintable(r.reason));
}

void TestWork::diskCancelledLeavesNoFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    // 512 MiB takes far longer than 10 ms to write, generate and read back: the cancel lands mid-way.
    std::atomic<bool> cancel { false };
    DelayedCancel canceller(cancel, 10'000'000);
    const WorkResult r = runDisk(dir.path(), qint64(512) * 1024 * 1024, false, { &cancel, 0 });
    const std::int64_t returnedAt = nowNs();
    canceller.join();
    QCOMPARE(r.status, WorkStatus::Cancelled);
    QVERIFY(returnedAt - canceller.setAt() < kPromptNs);
    QVERIFY(QDir(dir.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden).isEmpty());
}

QTEST_GUILESS_MAIN(TestWork)
#include "tst_work.moc"
