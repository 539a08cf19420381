// The procs domain's building blocks without processes: the frame codec, the checksum, exit
// reasons, and shared-memory segments with their stale-segment sweep.

#include "procs/ipc.h"
#include "procs/shmsegment.h"
#include "procs/workermain.h"
#include "procs/workerprocess.h"
#include "testutil.h"

#include <QDir>
#include <QFile>
#include <QTest>

#include <cerrno>
#include <cstring>
#include <random>

#include <csignal>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace hs;
using namespace hs::ipc;

Q_DECLARE_METATYPE(hs::ipc::FrameError)

namespace {

const unsigned char *bytes(const QByteArray &b)
{
    return reinterpret_cast<const unsigned char *>(b.constData());
}

QByteArray headerBytes(
    std::uint32_t magic, std::uint16_t version, std::uint16_t type, std::uint32_t meta, std::uint32_t payload)
{
    QByteArray h(16, '\0');
    auto *p = reinterpret_cast<unsigned char *>(h.data());
    for (int i = 0; i < 4; ++i) {
        p[i] = static_cast<unsigned char>(magic >> (8 * i));
        p[8 + i] = static_cast<unsigned char>(meta >> (8 * i));
        p[12 + i] = static_cast<unsigned char>(payload >> (8 * i));
    }
    p[4] = static_cast<unsigned char>(version);
    p[5] = static_cast<unsigned char>(version >> 8);
    p[6] = static_cast<unsigned char>(type);
    p[7] = static_cast<unsigned char>(type >> 8);
    return h;
}

StageRequest sampleStage()
{
    StageRequest m;
    m.seq = 77;
    m.work = WorkKind::Disk;
    m.kernel = CpuKernel::Matmul;
    m.fsync = true;
    m.crash = false;
    m.verify = true;
    m.shm = true;
    m.netPort = 40123;
    m.outFill = 0xab;
    m.timeNs = 1'500'000;
    m.bytes = 65536;
    m.payloadIn = 1000;
    m.payloadOut = 3000;
    m.inChecksum = 0x0123456789abcdefULL;
    m.shmSize = 4096;
    m.tempDir = QByteArrayLiteral("/tmp/hybridscope-xyz");
    m.gil = true;
    m.gilSwitchNs = 3'000'000;
    m.locks.push_back(StageLock { 2, LockScope::Process, 1'500'000'000 });
    m.update = 2;
    m.selfKey = 0x8000000100000203ULL;
    return m;
}

// The stage's fields after the GIL interval: lock count, one lock (index, scope, timeout),
// update, self key.
constexpr int kStageLockTail = 2 + 17 + 8 + 8;
// The reply's after the GIL wait: count, one wait (index, wait, flags, holder), updated.
constexpr int kReplyLockTail = 2 + 25 + 1;

StageReply sampleReply()
{
    StageReply m;
    m.seq = 77;
    m.status = WorkStatus::Failed;
    m.workStartNs = 1000;
    m.workEndNs = 2500;
    m.payloadOut = 0;
    m.outChecksum = 42;
    m.reason = QByteArrayLiteral("disk: No space left on device");
    m.gilWaitNs = 400;
    m.lockWaits.push_back(StageLockWait { 2, 300, true, true, false, true, 0x8000000000000102ULL });
    m.updated = true;
    return m;
}

// Offsets of fields in the encoded stage (see ipc.cpp): seq 0, work 8, kernel 9, flags 10, fill 11,
// port 12, time 14, bytes 22, in 30, out 38, checksum 46, shm size 54, text length 62.
QByteArray patched(QByteArray b, int offset, const QByteArray &with)
{
    b.replace(offset, with.size(), with);
    return b;
}

QByteArray u64le(std::uint64_t v)
{
    QByteArray b(8, '\0');
    for (int i = 0; i < 8; ++i)
        b[i] = char(static_cast<unsigned char>(v >> (8 * i)));
    return b;
}

bool shmFileExists(const QByteArray &name)
{
    return QFile::exists(QStringLiteral("/dev/shm") + QString::fromLatin1(name));
}

} // namespace

class TestProcsIpc : public QObject {
    Q_OBJECT

private slots:
    void headerRoundTrip();
    void headerRejects_data();
    void headerRejects();
    void stageRoundTrip();
    void stageRejects_data();
    void stageRejects();
    void stageTruncatedAnywhere();
    void replyRoundTrip();
    void replyRejects_data();
    void replyRejects();
    void helloRejectsBadPid();
    void randomBytesNeverDecodeOutOfRange();
    void checksumDetectsChanges_data();
    void checksumDetectsChanges();
    void exitReasons_data();
    void exitReasons();
    void shmSegmentSharedBetweenOpeners();
    void shmSegmentUnlinkKeepsMemory();
    void shmOwnerOf_data();
    void shmOwnerOf();
    void shmSweepRemovesOnlyDeadOwners();
    void fuzzCorpusIsCurrent();
};

void TestProcsIpc::headerRoundTrip()
{
    unsigned char h[kHeaderSize];
    encodeHeader(h, FrameHeader { FrameType::Result, 123, 456 });
    FrameHeader out;
    QCOMPARE(decodeHeader(h, &out, 456), FrameError::Ok);
    QCOMPARE(out.type, FrameType::Result);
    QCOMPARE(out.metaBytes, 123u);
    QCOMPARE(out.payloadBytes, 456u);
    // One byte more than the receiver expects is refused.
    QCOMPARE(decodeHeader(h, &out, 455), FrameError::PayloadTooLarge);
}

void TestProcsIpc::headerRejects_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<quint64>("maxPayload");
    QTest::addColumn<FrameError>("expected");
    const quint64 any = kMaxPayloadBytes;
    QTest::newRow("bad magic") << headerBytes(0x12345678, kVersion, 2, 0, 0) << any << FrameError::BadMagic;
    QTest::newRow("garbage text") << QByteArrayLiteral("not a frame, no!") << any << FrameError::BadMagic;
    QTest::newRow("version 0") << headerBytes(kMagic, 0, 2, 0, 0) << any << FrameError::BadVersion;
    QTest::newRow("next version") << headerBytes(kMagic, kVersion + 1, 2, 0, 0) << any << FrameError::BadVersion;
    QTest::newRow("type 0") << headerBytes(kMagic, kVersion, 0, 0, 0) << any << FrameError::UnknownType;
    QTest::newRow("type 4") << headerBytes(kMagic, kVersion, 4, 0, 0) << any << FrameError::UnknownType;
    QTest::newRow("meta over limit") << headerBytes(kMagic, kVersion, 2, kMaxMetaBytes + 1, 0) << any
                                     << FrameError::MetaTooLarge;
    QTest::newRow("meta 4 GiB") << headerBytes(kMagic, kVersion, 2, 0xffffffffu, 0) << any << FrameError::MetaTooLarge;
    QTest::newRow("payload over expected")
        << headerBytes(kMagic, kVersion, 3, 10, 65537) << quint64(65536) << FrameError::PayloadTooLarge;
    QTest::newRow("payload where none expected")
        << headerBytes(kMagic, kVersion, 1, 8, 1) << quint64(0) << FrameError::PayloadTooLarge;
    QTest::newRow("payload over 1 GiB") << headerBytes(kMagic, kVersion, 2, 10, 0xfffffff0u)
                                        << quint64(0xffffffffffffffffULL) << FrameError::PayloadTooLarge;
}

void TestProcsIpc::headerRejects()
{
    QFETCH(QByteArray, header);
    QFETCH(quint64, maxPayload);
    QFETCH(FrameError, expected);
    QCOMPARE(header.size(), qsizetype(kHeaderSize));
    FrameHeader out;
    QCOMPARE(decodeHeader(bytes(header), &out, maxPayload), expected);
    QVERIFY(!frameErrorText(expected).isEmpty());
}

void TestProcsIpc::stageRoundTrip()
{
    const StageRequest in = sampleStage();
    const QByteArray meta = encodeStage(in);
    StageRequest out;
    QCOMPARE(decodeStage(bytes(meta), std::size_t(meta.size()), &out), FrameError::Ok);
    QCOMPARE(out.seq, in.seq);
    QCOMPARE(out.work, in.work);
    QCOMPARE(out.kernel, in.kernel);
    QCOMPARE(out.fsync, in.fsync);
    QCOMPARE(out.crash, in.crash);
    QCOMPARE(out.verify, in.verify);
    QCOMPARE(out.shm, in.shm);
    QCOMPARE(out.netPort, in.netPort);
    QCOMPARE(out.outFill, in.outFill);
    QCOMPARE(out.timeNs, in.timeNs);
    QCOMPARE(out.bytes, in.bytes);
    QCOMPARE(out.payloadIn, in.payloadIn);
    QCOMPARE(out.payloadOut, in.payloadOut);
    QCOMPARE(out.inChecksum, in.inChecksum);
    QCOMPARE(out.shmSize, in.shmSize);
    QCOMPARE(out.tempDir, in.tempDir);
    QCOMPARE(out.gil, in.gil);
    QCOMPARE(out.gilSwitchNs, in.gilSwitchNs);
    QCOMPARE(out.locks, in.locks);
    QCOMPARE(out.update, in.update);
    QCOMPARE(out.selfKey, in.selfKey);

    // Every work kind and kernel survives the trip.
    for (WorkKind w : { WorkKind::Cpu, WorkKind::Block, WorkKind::Async, WorkKind::Net, WorkKind::Disk })
        for (CpuKernel k : { CpuKernel::Spin, CpuKernel::Sha256, CpuKernel::Matmul, CpuKernel::Sort }) {
            StageRequest m;
            m.work = w;
            m.kernel = k;
            const QByteArray b = encodeStage(m);
            StageRequest back;
            QCOMPARE(decodeStage(bytes(b), std::size_t(b.size()), &back), FrameError::Ok);
            QCOMPARE(back.work, w);
            QCOMPARE(back.kernel, k);
        }
}

void TestProcsIpc::stageRejects_data()
{
    QTest::addColumn<QByteArray>("meta");
    QTest::addColumn<FrameError>("expected");
    const QByteArray good = encodeStage(sampleStage());
    QTest::newRow("trailing byte") << good + 'x' << FrameError::TrailingBytes;
    QTest::newRow("work 0") << patched(good, 8, QByteArray(1, '\0')) << FrameError::BadValue;
    QTest::newRow("work 9") << patched(good, 8, QByteArray(1, '\x09')) << FrameError::BadValue;
    QTest::newRow("kernel 0") << patched(good, 9, QByteArray(1, '\0')) << FrameError::BadValue;
    QTest::newRow("unknown flag") << patched(good, 10, QByteArray(1, '\x40')) << FrameError::BadValue;
    QTest::newRow("negative time") << patched(good, 14, u64le(std::uint64_t(-5))) << FrameError::BadValue;
    QTest::newRow("time over an hour") << patched(good, 14, u64le(3601ULL * 1'000'000'000ULL)) << FrameError::BadValue;
    QTest::newRow("negative bytes") << patched(good, 22, u64le(std::uint64_t(-1))) << FrameError::BadValue;
    QTest::newRow("payload in over 1 GiB") << patched(good, 30, u64le(kMaxPayloadBytes + 1)) << FrameError::BadValue;
    QTest::newRow("payload out over 1 GiB") << patched(good, 38, u64le(kMaxPayloadBytes + 1)) << FrameError::BadValue;
    QTest::newRow("shm smaller than payload") << patched(good, 54, u64le(10)) << FrameError::BadValue;
    QTest::newRow("text longer than its frame")
        << patched(good, 62, QByteArray("\xff\x00", 2)) << FrameError::Truncated;
    QByteArray longText = good.left(62);
    longText += QByteArray("\x01\x10", 2); // 4097 bytes claimed, above the limit
    longText += QByteArray(4097, 'a');
    QTest::newRow("text over 4096 bytes") << longText << FrameError::BadValue;
    QTest::newRow("empty") << QByteArray() << FrameError::Truncated;
    // The GIL's switch interval comes before the locks: at least 1 ns, at most an hour.
    const int gilAt = int(good.size()) - kStageLockTail - 8;
    QTest::newRow("GIL interval 0") << patched(good, gilAt, u64le(0)) << FrameError::BadValue;
    QTest::newRow("GIL interval over an hour")
        << patched(good, gilAt, u64le(3601ULL * 1'000'000'000ULL)) << FrameError::BadValue;
    // Locks (DESIGN §15): at most 64, an index below 65536, scope 1 or 2, a timeout within an hour,
    // an update of -1 (none) or an index.
    const int locksAt = int(good.size()) - kStageLockTail;
    QTest::newRow("65 locks") << patched(good, locksAt, QByteArray("\x41\x00", 2)) << FrameError::BadValue;
    QTest::newRow("lock index too large") << patched(good, locksAt + 2, u64le(0x10000)) << FrameError::BadValue;
    QTest::newRow("lock scope 3") << patched(good, locksAt + 10, QByteArray(1, '\x03')) << FrameError::BadValue;
    QTest::newRow("lock timeout negative")
        << patched(good, locksAt + 11, u64le(std::uint64_t(-1))) << FrameError::BadValue;
    QTest::newRow("update -2") << patched(good, locksAt + 19, u64le(std::uint64_t(-2))) << FrameError::BadValue;
}

void TestProcsIpc::stageRejects()
{
    QFETCH(QByteArray, meta);
    QFETCH(FrameError, expected);
    StageRequest out;
    out.seq = 999;
    QCOMPARE(decodeStage(bytes(meta), std::size_t(meta.size()), &out), expected);
    QCOMPARE(out.seq, quint64(999)); // a refused frame leaves the output alone
}

void TestProcsIpc::stageTruncatedAnywhere()
{
    const QByteArray good = encodeStage(sampleStage());
    for (qsizetype n = 0; n < good.size(); ++n) {
        StageRequest out;
        const FrameError e = decodeStage(bytes(good), std::size_t(n), &out);
        QVERIFY2(e == FrameError::Truncated, qPrintable(QStringLiteral("cut at %1: %2").arg(n).arg(frameErrorText(e))));
    }
}

void TestProcsIpc::replyRoundTrip()
{
    const StageReply in = sampleReply();
    const QByteArray meta = encodeReply(in);
    StageReply out;
    QCOMPARE(decodeReply(bytes(meta), std::size_t(meta.size()), &out), FrameError::Ok);
    QCOMPARE(out.seq, in.seq);
    QCOMPARE(out.status, in.status);
    QCOMPARE(out.workStartNs, in.workStartNs);
    QCOMPARE(out.workEndNs, in.workEndNs);
    QCOMPARE(out.payloadOut, in.payloadOut);
    QCOMPARE(out.outChecksum, in.outChecksum);
    QCOMPARE(out.reason, in.reason);
    QCOMPARE(out.gilWaitNs, in.gilWaitNs);
    QCOMPARE(out.lockWaits, in.lockWaits);
    QCOMPARE(out.updated, in.updated);
    for (qsizetype n = 0; n < meta.size(); ++n)
        QCOMPARE(decodeReply(bytes(meta), std::size_t(n), &out), FrameError::Truncated);
}

void TestProcsIpc::replyRejects_data()
{
    QTest::addColumn<QByteArray>("meta");
    QTest::addColumn<FrameError>("expected");
    const QByteArray good = encodeReply(sampleReply());
    // Offsets: seq 0, status 8, start 9, end 17, out 25, checksum 33, text 41.
    QTest::newRow("status 0") << patched(good, 8, QByteArray(1, '\0')) << FrameError::BadValue;
    QTest::newRow("status 5") << patched(good, 8, QByteArray(1, '\x05')) << FrameError::BadValue;
    QTest::newRow("end before start") << patched(good, 17, u64le(999)) << FrameError::BadValue;
    QTest::newRow("negative start") << patched(good, 9, u64le(std::uint64_t(-1))) << FrameError::BadValue;
    QTest::newRow("payload over 1 GiB") << patched(good, 25, u64le(kMaxPayloadBytes + 1)) << FrameError::BadValue;
    QTest::newRow("trailing") << good + QByteArray(3, 'z') << FrameError::TrailingBytes;
    // The GIL wait comes before the lock waits and lies within the work's span.
    const int gilAt = int(good.size()) - kReplyLockTail - 8;
    QTest::newRow("negative GIL wait") << patched(good, gilAt, u64le(std::uint64_t(-1))) << FrameError::BadValue;
    QTest::newRow("GIL wait beyond the work") << patched(good, gilAt, u64le(1501)) << FrameError::BadValue;
    const int waitsAt = int(good.size()) - kReplyLockTail;
    QTest::newRow("65 lock waits") << patched(good, waitsAt, QByteArray("\x41\x00", 2)) << FrameError::BadValue;
    QTest::newRow("negative lock wait") << patched(good, waitsAt + 10, u64le(std::uint64_t(-1)))
                                        << FrameError::BadValue;
    QTest::newRow("unknown lock flag") << patched(good, waitsAt + 18, QByteArray(1, '\x10')) << FrameError::BadValue;
    QTest::newRow("updated 2") << patched(good, int(good.size()) - 1, QByteArray(1, '\x02')) << FrameError::BadValue;
}

void TestProcsIpc::replyRejects()
{
    QFETCH(QByteArray, meta);
    QFETCH(FrameError, expected);
    StageReply out;
    QCOMPARE(decodeReply(bytes(meta), std::size_t(meta.size()), &out), expected);
}

void TestProcsIpc::helloRejectsBadPid()
{
    Hello h;
    const QByteArray good = encodeHello(Hello { 4242 });
    QCOMPARE(decodeHello(bytes(good), std::size_t(good.size()), &h), FrameError::Ok);
    QCOMPARE(h.pid, 4242u);
    const QByteArray zero = encodeHello(Hello { 0 });
    QCOMPARE(decodeHello(bytes(zero), std::size_t(zero.size()), &h), FrameError::BadValue);
    const QByteArray huge = u64le(0x100000000ULL);
    QCOMPARE(decodeHello(bytes(huge), std::size_t(huge.size()), &h), FrameError::BadValue);
    QCOMPARE(decodeHello(bytes(good), 7, &h), FrameError::Truncated);
}

void TestProcsIpc::randomBytesNeverDecodeOutOfRange()
{
    // Whatever arrives, decoding stays inside the buffer (ASan watches) and anything accepted is in range.
    std::mt19937_64 rng(7);
    const QByteArray good = encodeStage(sampleStage());
    int accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        QByteArray b;
        if (i % 2 == 0) {
            b = QByteArray(qsizetype(rng() % 200), Qt::Uninitialized);
            for (auto &c : b)
                c = char(rng());
        } else {
            b = good; // a valid frame with a few bytes flipped
            for (int k = 0; k < 3; ++k)
                b[qsizetype(rng() % std::uint64_t(b.size()))] = char(rng());
        }
        StageRequest s;
        if (decodeStage(bytes(b), std::size_t(b.size()), &s) == FrameError::Ok) {
            ++accepted;
            QVERIFY(s.timeNs >= 0 && s.bytes >= 0);
            QVERIFY(s.payloadIn <= kMaxPayloadBytes && s.payloadOut <= kMaxPayloadBytes);
            QVERIFY(!s.shm || (s.shmSize >= s.payloadIn && s.shmSize >= s.payloadOut));
            QVERIFY(s.tempDir.size() <= qsizetype(kMaxTextBytes));
        }
        StageReply r;
        if (decodeReply(bytes(b), std::size_t(b.size()), &r) == FrameError::Ok)
            QVERIFY(r.workEndNs >= r.workStartNs && r.payloadOut <= kMaxPayloadBytes);
        FrameHeader h;
        if (b.size() >= 16 && decodeHeader(bytes(b), &h, 1024) == FrameError::Ok)
            QVERIFY(h.metaBytes <= kMaxMetaBytes && h.payloadBytes <= 1024);
    }
    QVERIFY(accepted < 20000);
}

void TestProcsIpc::checksumDetectsChanges_data()
{
    QTest::addColumn<int>("size");
    QTest::newRow("1 B") << 1;
    QTest::newRow("31 B") << 31;
    QTest::newRow("32 B") << 32;
    QTest::newRow("1000 B") << 1000;
    QTest::newRow("64 KiB") << 64 * 1024;
}

void TestProcsIpc::checksumDetectsChanges()
{
    QFETCH(int, size);
    QByteArray a(size, Qt::Uninitialized);
    std::mt19937 rng { std::uint32_t(size) };
    for (auto &c : a)
        c = char(rng());
    const std::uint64_t base = checksum(a.constData(), std::size_t(a.size()));
    QCOMPARE(checksum(QByteArray(a).constData(), std::size_t(a.size())), base);
    // Any single flipped bit, first, last or in between, changes it.
    for (qsizetype pos : { qsizetype(0), qsizetype(size / 2), qsizetype(size - 1) })
        for (int bit : { 0, 7 }) {
            QByteArray b = a;
            b[pos] = char(b[pos] ^ (1 << bit));
            QVERIFY(checksum(b.constData(), std::size_t(b.size())) != base);
        }
    // So do the length and swapped blocks.
    QVERIFY(checksum(a.constData(), std::size_t(a.size() - 1)) != base);
    if (size >= 64) {
        QByteArray s = a;
        std::swap_ranges(s.begin(), s.begin() + 32, s.begin() + 32);
        QVERIFY(checksum(s.constData(), std::size_t(s.size())) != base);
    }
    const QByteArray zeros1(size, '\0');
    const QByteArray zeros2(size + 1, '\0');
    QVERIFY(checksum(zeros1.constData(), std::size_t(zeros1.size()))
        != checksum(zeros2.constData(), std::size_t(zeros2.size())));
}

void TestProcsIpc::exitReasons_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("reason");
    QTest::newRow("SIGSEGV") << int(W_EXITCODE(0, SIGSEGV)) << QStringLiteral("worker crashed: SIGSEGV");
    QTest::newRow("SIGABRT") << int(W_EXITCODE(0, SIGABRT)) << QStringLiteral("worker crashed: SIGABRT");
    QTest::newRow("SIGKILL") << int(W_EXITCODE(0, SIGKILL)) << QStringLiteral("worker crashed: SIGKILL");
    QTest::newRow("signal 40") << int(W_EXITCODE(0, 40)) << QStringLiteral("worker crashed: signal 40");
    QTest::newRow("exit 3") << int(W_EXITCODE(3, 0)) << QStringLiteral("worker exited with code 3");
    QTest::newRow("exit 65") << int(W_EXITCODE(int(WorkerExitCode::ProtocolError), 0))
                             << QStringLiteral("worker exited with code 65 (protocol error)");
    QTest::newRow("exit 0") << int(W_EXITCODE(0, 0)) << QStringLiteral("worker exited with code 0 (clean exit)");
    QTest::newRow("exit 69") << int(W_EXITCODE(int(WorkerExitCode::OutOfMemory), 0))
                             << QStringLiteral("worker exited with code 69 (out of memory)");
}

void TestProcsIpc::exitReasons()
{
    QFETCH(int, status);
    QFETCH(QString, reason);
    QCOMPARE(ProcessEnd::fromWaitStatus(status, false).reason(), reason);
}

void TestProcsIpc::shmSegmentSharedBetweenOpeners()
{
    QString error;
    auto owner = ShmSegment::create(&error);
    QVERIFY2(owner, qPrintable(error));
    QVERIFY(owner->name().startsWith(QByteArray("/hybridscope-" + QByteArray::number(qint64(::getpid())) + '-')));
    QVERIFY(shmFileExists(owner->name()));
    QVERIFY2(owner->reserve(100, &error), qPrintable(error));
    QVERIFY(owner->mappedSize() >= 100);

    auto other = ShmSegment::open(owner->name(), &error);
    QVERIFY2(other, qPrintable(error));
    QVERIFY2(other->mapAtLeast(100, &error), qPrintable(error));
    std::memcpy(owner->data(), "hello", 5);
    QCOMPARE(QByteArray(reinterpret_cast<const char *>(other->data()), 5), QByteArrayLiteral("hello"));

    // Growing on one side is seen by the other after a remap; a size beyond the segment is an error.
    const std::size_t big = 3 * 1024 * 1024;
    QVERIFY2(owner->reserve(big, &error), qPrintable(error));
    std::memset(owner->data() + big - 10, 'z', 10);
    QVERIFY(!other->mapAtLeast(owner->mappedSize() + 1, &error));
    QVERIFY(error.contains(QLatin1String("needed")));
    QVERIFY2(other->mapAtLeast(big, &error), qPrintable(error));
    QCOMPARE(other->data()[big - 1], static_cast<unsigned char>('z'));

    const QByteArray name = owner->name();
    other.reset();
    owner.reset();
    QVERIFY(!shmFileExists(name)); // the creator removes what it created
}

void TestProcsIpc::shmSegmentUnlinkKeepsMemory()
{
    QString error;
    auto owner = ShmSegment::create(&error);
    QVERIFY2(owner, qPrintable(error));
    QVERIFY(owner->reserve(4096, &error));
    auto other = ShmSegment::open(owner->name(), &error);
    QVERIFY(other && other->mapAtLeast(4096, &error));
    owner->unlinkName();
    QVERIFY(!shmFileExists(owner->name()));
    QVERIFY(!ShmSegment::open(owner->name(), &error)); // the name is gone for newcomers...
    owner->data()[7] = 99;
    QCOMPARE(int(other->data()[7]), 99); // ...while both sides still share the memory
}

void TestProcsIpc::shmOwnerOf_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("owner");
    QTest::newRow("ours") << QStringLiteral("hybridscope-1234-5") << 1234;
    QTest::newRow("no counter") << QStringLiteral("hybridscope-1234") << -1;
    QTest::newRow("not a number") << QStringLiteral("hybridscope-abc-1") << -1;
    QTest::newRow("pid 0") << QStringLiteral("hybridscope-0-1") << -1;
    QTest::newRow("other prefix") << QStringLiteral("sem.hybridscope-12-1") << -1;
    QTest::newRow("extra part") << QStringLiteral("hybridscope-12-1-2") << -1;
}

void TestProcsIpc::shmOwnerOf()
{
    QFETCH(QString, name);
    QFETCH(int, owner);
    const auto o = ShmSegment::ownerOf(name);
    QCOMPARE(o ? int(*o) : -1, owner);
}

void TestProcsIpc::shmSweepRemovesOnlyDeadOwners()
{
    // A pid no process has: searched downwards from above any usual pid_max.
    pid_t dead = 4'000'000;
    while (::kill(dead, 0) == 0 || errno != ESRCH)
        --dead;
    auto make = [](const QByteArray &name) {
        const int fd = ::shm_open(name.constData(), O_RDWR | O_CREAT, 0600);
        if (fd >= 0)
            ::close(fd);
        return fd >= 0;
    };
    const QByteArray stale = "/hybridscope-" + QByteArray::number(qint64(dead)) + "-3";
    const QByteArray alive = "/hybridscope-" + QByteArray::number(qint64(::getpid())) + "-999999";
    const QByteArray foreign = "/hybridscope-notours";
    QVERIFY(make(stale));
    QVERIFY(make(alive));
    QVERIFY(make(foreign));
    const int removed = ShmSegment::sweepStale();
    const bool staleGone = !shmFileExists(stale);
    const bool aliveKept = shmFileExists(alive);
    const bool foreignKept = shmFileExists(foreign);
    ::shm_unlink(stale.constData());
    ::shm_unlink(alive.constData());
    ::shm_unlink(foreign.constData());
    QVERIFY(staleGone);
    QVERIFY(aliveKept);
    QVERIFY(foreignKept);
    QVERIFY(removed >= 1);
}

// The seed corpus of tests/fuzz/fuzz_ipc.cpp: valid frames of every type, whole and as bare fields,
// and a stream of them. Compared here so that a change of the format cannot leave the fuzzer seeded
// with frames it refuses at the first byte; HS_WRITE_FUZZ_CORPUS=1 rewrites them.
void TestProcsIpc::fuzzCorpusIsCurrent()
{
    StageRequest copy;
    copy.seq = 1;
    copy.work = WorkKind::Cpu;
    copy.kernel = CpuKernel::Sha256;
    copy.verify = true;
    copy.timeNs = 2'000'000;
    copy.payloadIn = 16;
    copy.payloadOut = 8;
    copy.inChecksum = checksum("0123456789abcdef", 16);
    copy.tempDir = QByteArrayLiteral("/tmp/hybridscope-seed");
    StageReply ok;
    ok.seq = 1;
    ok.workStartNs = 5'000;
    ok.workEndNs = 2'005'000;
    ok.payloadOut = 8;
    ok.outChecksum = checksum("xxxxxxxx", 8);
    ok.gilWaitNs = 1'000;
    const QByteArray hello = encodeHello(Hello { 4242 });
    const QByteArray helloFrame = frame(FrameType::Hello, hello);
    const QByteArray stageFrame = frame(FrameType::Stage, encodeStage(copy), QByteArrayLiteral("0123456789abcdef"));
    const QByteArray replyFrame = frame(FrameType::Result, encodeReply(ok), QByteArrayLiteral("xxxxxxxx"));
    const std::vector<std::pair<QString, QByteArray>> seeds {
        { QStringLiteral("hello.bin"), helloFrame },
        { QStringLiteral("hello-fields.bin"), hello },
        { QStringLiteral("stage-copy.bin"), stageFrame },
        { QStringLiteral("stage-shm.bin"), frame(FrameType::Stage, encodeStage(sampleStage())) },
        { QStringLiteral("stage-fields.bin"), encodeStage(sampleStage()) },
        { QStringLiteral("reply-ok.bin"), replyFrame },
        { QStringLiteral("reply-failed.bin"), frame(FrameType::Result, encodeReply(sampleReply())) },
        { QStringLiteral("reply-fields.bin"), encodeReply(sampleReply()) },
        { QStringLiteral("stream.bin"), helloFrame + stageFrame + replyFrame },
    };
    const QDir dir(test::sourceDir() + QStringLiteral("/tests/fuzz/corpus/ipc"));
    const bool write = qEnvironmentVariableIntValue("HS_WRITE_FUZZ_CORPUS") == 1;
    if (write)
        QVERIFY(dir.mkpath(QStringLiteral(".")));
    for (const auto &[name, data] : seeds) {
        QFile f(dir.filePath(name));
        if (write) {
            QVERIFY2(f.open(QIODevice::WriteOnly) && f.write(data) == data.size(), qPrintable(f.fileName()));
            continue;
        }
        QVERIFY2(f.open(QIODevice::ReadOnly),
            qPrintable(f.fileName() + QStringLiteral(": run with HS_WRITE_FUZZ_CORPUS=1")));
        QVERIFY2(f.readAll() == data,
            qPrintable(
                f.fileName() + QStringLiteral(" is not the current format: rewrite with HS_WRITE_FUZZ_CORPUS=1")));
    }
}

QTEST_GUILESS_MAIN(TestProcsIpc)
#include "tst_procs_ipc.moc"
