#include "procs/ipc.h"

#include <algorithm>
#include <cstring>

namespace hs::ipc {

namespace {

void putU16(unsigned char *p, std::uint16_t v)
{
    p[0] = static_cast<unsigned char>(v);
    p[1] = static_cast<unsigned char>(v >> 8);
}

void putU32(unsigned char *p, std::uint32_t v)
{
    for (int i = 0; i < 4; ++i)
        p[i] = static_cast<unsigned char>(v >> (8 * i));
}

std::uint16_t getU16(const unsigned char *p)
{
    return std::uint16_t(p[0] | (p[1] << 8));
}

std::uint32_t getU32(const unsigned char *p)
{
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
        v |= std::uint32_t(p[i]) << (8 * i);
    return v;
}

// Appends little-endian fields to a QByteArray.
class Writer {
public:
    void u8(std::uint8_t v) { m_out.append(char(v)); }
    void u64(std::uint64_t v)
    {
        for (int i = 0; i < 8; ++i)
            m_out.append(char(static_cast<unsigned char>(v >> (8 * i))));
    }
    void i64(std::int64_t v) { u64(std::uint64_t(v)); }
    void u16(std::uint16_t v)
    {
        u8(std::uint8_t(v));
        u8(std::uint8_t(v >> 8));
    }
    void text(const QByteArray &s)
    {
        u16(std::uint16_t(std::min<std::size_t>(std::size_t(s.size()), kMaxTextBytes)));
        m_out.append(s.constData(), std::min<qsizetype>(s.size(), qsizetype(kMaxTextBytes)));
    }
    QByteArray take() { return std::move(m_out); }

private:
    QByteArray m_out;
};

// Reads fields with bounds checks; the first failure sticks.
class Reader {
public:
    Reader(const unsigned char *p, std::size_t len)
        : m_p(p)
        , m_len(len)
    { }
    std::uint8_t u8()
    {
        if (!need(1))
            return 0;
        return m_p[m_pos++];
    }
    std::uint16_t u16()
    {
        if (!need(2))
            return 0;
        const std::uint16_t v = getU16(m_p + m_pos);
        m_pos += 2;
        return v;
    }
    std::uint64_t u64()
    {
        if (!need(8))
            return 0;
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i)
            v |= std::uint64_t(m_p[m_pos + std::size_t(i)]) << (8 * i);
        m_pos += 8;
        return v;
    }
    std::int64_t i64() { return std::int64_t(u64()); }
    QByteArray text()
    {
        const std::size_t n = u16();
        if (m_error != FrameError::Ok)
            return {};
        if (n > kMaxTextBytes) {
            fail(FrameError::BadValue);
            return {};
        }
        if (!need(n))
            return {};
        QByteArray s(reinterpret_cast<const char *>(m_p + m_pos), qsizetype(n));
        m_pos += n;
        return s;
    }
    bool flag()
    {
        const std::uint8_t v = u8();
        if (v > 1)
            fail(FrameError::BadValue);
        return v == 1;
    }
    void fail(FrameError e)
    {
        if (m_error == FrameError::Ok)
            m_error = e;
    }
    /// The result once every field was read: trailing bytes are an error too.
    FrameError finish()
    {
        if (m_error == FrameError::Ok && m_pos != m_len)
            m_error = FrameError::TrailingBytes;
        return m_error;
    }

private:
    bool need(std::size_t n)
    {
        if (m_error != FrameError::Ok)
            return false;
        if (m_len - m_pos < n) {
            m_error = FrameError::Truncated;
            return false;
        }
        return true;
    }

    const unsigned char *m_p;
    std::size_t m_len;
    std::size_t m_pos = 0;
    FrameError m_error = FrameError::Ok;
};

// Enums travel as fixed numbers, independent of the C++ declaration order.
std::uint8_t workCode(WorkKind w)
{
    switch (w) {
    case WorkKind::Cpu: return 1;
    case WorkKind::Block: return 2;
    case WorkKind::Async: return 3;
    case WorkKind::Net: return 4;
    case WorkKind::Disk: return 5;
    }
    return 0;
}

bool workFromCode(std::uint8_t c, WorkKind *w)
{
    switch (c) {
    case 1: *w = WorkKind::Cpu; return true;
    case 2: *w = WorkKind::Block; return true;
    case 3: *w = WorkKind::Async; return true;
    case 4: *w = WorkKind::Net; return true;
    case 5: *w = WorkKind::Disk; return true;
    default: return false;
    }
}

std::uint8_t kernelCode(CpuKernel k)
{
    switch (k) {
    case CpuKernel::Spin: return 1;
    case CpuKernel::Sha256: return 2;
    case CpuKernel::Matmul: return 3;
    case CpuKernel::Sort: return 4;
    }
    return 0;
}

bool kernelFromCode(std::uint8_t c, CpuKernel *k)
{
    switch (c) {
    case 1: *k = CpuKernel::Spin; return true;
    case 2: *k = CpuKernel::Sha256; return true;
    case 3: *k = CpuKernel::Matmul; return true;
    case 4: *k = CpuKernel::Sort; return true;
    default: return false;
    }
}

std::uint8_t statusCode(WorkStatus s)
{
    switch (s) {
    case WorkStatus::Ok: return 1;
    case WorkStatus::Failed: return 2;
    case WorkStatus::TimedOut: return 3;
    case WorkStatus::Cancelled: return 4;
    }
    return 0;
}

bool statusFromCode(std::uint8_t c, WorkStatus *s)
{
    switch (c) {
    case 1: *s = WorkStatus::Ok; return true;
    case 2: *s = WorkStatus::Failed; return true;
    case 3: *s = WorkStatus::TimedOut; return true;
    case 4: *s = WorkStatus::Cancelled; return true;
    default: return false;
    }
}

constexpr std::uint8_t kFlagFsync = 1;
constexpr std::uint8_t kFlagCrash = 2;
constexpr std::uint8_t kFlagVerify = 4;
constexpr std::uint8_t kFlagShm = 8;
constexpr std::uint8_t kFlagGil = 16;
constexpr std::uint8_t kAllFlags = kFlagFsync | kFlagCrash | kFlagVerify | kFlagShm | kFlagGil;

// An hour of work at most, as in the scenario format; a byte count of a GiB at most.
constexpr std::int64_t kMaxTimeNs = std::int64_t(3600) * 1'000'000'000;

} // namespace

QString frameErrorText(FrameError e)
{
    switch (e) {
    case FrameError::Ok: return QStringLiteral("ok");
    case FrameError::BadMagic: return QStringLiteral("bad magic (not a hybridscope frame)");
    case FrameError::BadVersion: return QStringLiteral("unsupported protocol version");
    case FrameError::UnknownType: return QStringLiteral("unknown frame type");
    case FrameError::MetaTooLarge: return QStringLiteral("frame fields too large");
    case FrameError::PayloadTooLarge: return QStringLiteral("payload larger than expected");
    case FrameError::Truncated: return QStringLiteral("truncated frame");
    case FrameError::BadValue: return QStringLiteral("field out of range");
    case FrameError::TrailingBytes: return QStringLiteral("trailing bytes after the fields");
    }
    return QStringLiteral("unknown error");
}

void encodeHeader(unsigned char *out, const FrameHeader &h)
{
    putU32(out, kMagic);
    putU16(out + 4, kVersion);
    putU16(out + 6, std::uint16_t(h.type));
    putU32(out + 8, h.metaBytes);
    putU32(out + 12, h.payloadBytes);
}

FrameError decodeHeader(const unsigned char *in, FrameHeader *out, std::uint64_t maxPayload)
{
    *out = FrameHeader {};
    if (getU32(in) != kMagic)
        return FrameError::BadMagic;
    if (getU16(in + 4) != kVersion)
        return FrameError::BadVersion;
    const std::uint16_t type = getU16(in + 6);
    // The sizes are reported even when refused (for the message); nothing else may trust them.
    out->metaBytes = getU32(in + 8);
    out->payloadBytes = getU32(in + 12);
    if (type < std::uint16_t(FrameType::Hello) || type > std::uint16_t(FrameType::Result))
        return FrameError::UnknownType;
    out->type = FrameType(type);
    if (out->metaBytes > kMaxMetaBytes)
        return FrameError::MetaTooLarge;
    if (out->payloadBytes > maxPayload || out->payloadBytes > kMaxPayloadBytes)
        return FrameError::PayloadTooLarge;
    return FrameError::Ok;
}

QByteArray encodeHello(const Hello &m)
{
    Writer w;
    w.u64(m.pid);
    return w.take();
}

FrameError decodeHello(const unsigned char *p, std::size_t len, Hello *out)
{
    Reader r(p, len);
    const std::uint64_t pid = r.u64();
    if (pid == 0 || pid > 0x7fffffff)
        r.fail(FrameError::BadValue);
    const FrameError e = r.finish();
    if (e == FrameError::Ok)
        out->pid = std::uint32_t(pid);
    return e;
}

QByteArray encodeStage(const StageRequest &m)
{
    Writer w;
    w.u64(m.seq);
    w.u8(workCode(m.work));
    w.u8(kernelCode(m.kernel));
    w.u8(std::uint8_t((m.fsync ? kFlagFsync : 0) | (m.crash ? kFlagCrash : 0) | (m.verify ? kFlagVerify : 0)
        | (m.shm ? kFlagShm : 0) | (m.gil ? kFlagGil : 0)));
    w.u8(m.outFill);
    w.u16(m.netPort);
    w.i64(m.timeNs);
    w.i64(m.bytes);
    w.u64(m.payloadIn);
    w.u64(m.payloadOut);
    w.u64(m.inChecksum);
    w.u64(m.shmSize);
    w.text(m.tempDir);
    w.i64(m.gilSwitchNs);
    w.u16(std::uint16_t(m.locks.size()));
    for (const StageLock &l : m.locks) {
        w.u64(l.index);
        w.u8(l.scope == LockScope::Process ? 2 : 1);
        w.i64(l.timeoutNs);
    }
    w.i64(m.update);
    w.u64(m.selfKey);
    return w.take();
}

FrameError decodeStage(const unsigned char *p, std::size_t len, StageRequest *out)
{
    Reader r(p, len);
    StageRequest m;
    m.seq = r.u64();
    if (!workFromCode(r.u8(), &m.work))
        r.fail(FrameError::BadValue);
    if (!kernelFromCode(r.u8(), &m.kernel))
        r.fail(FrameError::BadValue);
    const std::uint8_t flags = r.u8();
    if (flags & ~kAllFlags)
        r.fail(FrameError::BadValue);
    m.fsync = flags & kFlagFsync;
    m.crash = flags & kFlagCrash;
    m.verify = flags & kFlagVerify;
    m.shm = flags & kFlagShm;
    m.gil = flags & kFlagGil;
    m.outFill = r.u8();
    m.netPort = r.u16();
    m.timeNs = r.i64();
    m.bytes = r.i64();
    m.payloadIn = r.u64();
    m.payloadOut = r.u64();
    m.inChecksum = r.u64();
    m.shmSize = r.u64();
    m.tempDir = r.text();
    m.gilSwitchNs = r.i64();
    const std::uint16_t nLocks = r.u16();
    if (nLocks > kMaxStageLocks)
        r.fail(FrameError::BadValue);
    for (std::uint16_t i = 0; i < nLocks && i < kMaxStageLocks; ++i) {
        StageLock l;
        const std::uint64_t index = r.u64();
        const std::uint8_t scope = r.u8();
        l.timeoutNs = r.i64();
        if (index > 0xffff || (scope != 1 && scope != 2) || l.timeoutNs < 0 || l.timeoutNs > kMaxTimeNs)
            r.fail(FrameError::BadValue);
        l.index = std::uint32_t(index & 0xffff);
        l.scope = scope == 2 ? LockScope::Process : LockScope::Thread;
        m.locks.push_back(l);
    }
    const std::int64_t update = r.i64();
    if (update < -1 || update > 0xffff)
        r.fail(FrameError::BadValue);
    m.update = std::int32_t(std::clamp<std::int64_t>(update, -1, 0xffff));
    m.selfKey = r.u64();
    if (m.gilSwitchNs < 1 || m.gilSwitchNs > kMaxTimeNs)
        r.fail(FrameError::BadValue);
    if (m.timeNs < 0 || m.timeNs > kMaxTimeNs || m.bytes < 0 || std::uint64_t(m.bytes) > kMaxPayloadBytes
        || m.payloadIn > kMaxPayloadBytes || m.payloadOut > kMaxPayloadBytes || m.shmSize > 2 * kMaxPayloadBytes)
        r.fail(FrameError::BadValue);
    // Shared memory must hold what travels through it.
    if (m.shm && (m.shmSize < m.payloadIn || m.shmSize < m.payloadOut))
        r.fail(FrameError::BadValue);
    const FrameError e = r.finish();
    if (e == FrameError::Ok)
        *out = std::move(m);
    return e;
}

QByteArray encodeReply(const StageReply &m)
{
    Writer w;
    w.u64(m.seq);
    w.u8(statusCode(m.status));
    w.i64(m.workStartNs);
    w.i64(m.workEndNs);
    w.u64(m.payloadOut);
    w.u64(m.outChecksum);
    w.text(m.reason);
    w.i64(m.gilWaitNs);
    w.u16(std::uint16_t(m.lockWaits.size()));
    for (const StageLockWait &l : m.lockWaits) {
        w.u64(l.index);
        w.i64(l.waitNs);
        w.u8(std::uint8_t((l.contended ? 1 : 0) | (l.acquired ? 2 : 0) | (l.timedOut ? 4 : 0) | (l.recovered ? 8 : 0)));
        w.u64(l.holder);
    }
    w.u8(m.updated ? 1 : 0);
    return w.take();
}

FrameError decodeReply(const unsigned char *p, std::size_t len, StageReply *out)
{
    Reader r(p, len);
    StageReply m;
    m.seq = r.u64();
    if (!statusFromCode(r.u8(), &m.status))
        r.fail(FrameError::BadValue);
    m.workStartNs = r.i64();
    m.workEndNs = r.i64();
    m.payloadOut = r.u64();
    m.outChecksum = r.u64();
    m.reason = r.text();
    m.gilWaitNs = r.i64();
    const std::uint16_t nWaits = r.u16();
    if (nWaits > kMaxStageLocks)
        r.fail(FrameError::BadValue);
    for (std::uint16_t i = 0; i < nWaits && i < kMaxStageLocks; ++i) {
        StageLockWait l;
        const std::uint64_t index = r.u64();
        l.waitNs = r.i64();
        const std::uint8_t flags = r.u8();
        l.holder = r.u64();
        if (index > 0xffff || l.waitNs < 0 || l.waitNs > kMaxTimeNs || (flags & ~0x0f))
            r.fail(FrameError::BadValue);
        l.index = std::uint32_t(index & 0xffff);
        l.contended = flags & 1;
        l.acquired = flags & 2;
        l.timedOut = flags & 4;
        l.recovered = flags & 8;
        m.lockWaits.push_back(l);
    }
    const std::uint8_t updated = r.u8();
    if (updated > 1)
        r.fail(FrameError::BadValue);
    m.updated = updated == 1;
    if (m.workStartNs < 0 || m.workEndNs < m.workStartNs || m.payloadOut > kMaxPayloadBytes || m.gilWaitNs < 0
        || m.gilWaitNs > m.workEndNs - m.workStartNs)
        r.fail(FrameError::BadValue);
    const FrameError e = r.finish();
    if (e == FrameError::Ok)
        *out = std::move(m);
    return e;
}

FrameError checkStageFrame(const FrameHeader &h, const StageRequest &m, bool haveShm)
{
    if (h.type != FrameType::Stage || m.shm != haveShm || h.payloadBytes != (m.shm ? 0 : m.payloadIn))
        return FrameError::BadValue;
    return FrameError::Ok;
}

QByteArray frame(FrameType type, const QByteArray &meta, const QByteArray &payload)
{
    QByteArray out(qsizetype(kHeaderSize), Qt::Uninitialized);
    encodeHeader(reinterpret_cast<unsigned char *>(out.data()),
        FrameHeader { type, std::uint32_t(meta.size()), std::uint32_t(payload.size()) });
    out += meta;
    out += payload;
    return out;
}

std::uint64_t checksum(const void *data, std::size_t len)
{
    constexpr std::uint64_t kMul = 0x9fb21c651e98df25ULL;
    const auto *p = static_cast<const unsigned char *>(data);
    std::uint64_t lane[4]
        = { 0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL, 0xa4093822299f31d0ULL, 0x082efa98ec4e6c89ULL };
    const std::size_t blocks = len / 32;
    for (std::size_t b = 0; b < blocks; ++b, p += 32) {
        for (int i = 0; i < 4; ++i) {
            std::uint64_t w;
            std::memcpy(&w, p + 8 * i, 8);
            lane[i] = (lane[i] ^ w) * kMul;
            lane[i] ^= lane[i] >> 29;
        }
    }
    std::uint64_t h = len * kMul;
    for (std::size_t i = 0; i < len % 32; ++i)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    for (int i = 0; i < 4; ++i) {
        h ^= lane[i] + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
        h *= kMul;
    }
    return h ^ (h >> 32);
}

} // namespace hs::ipc
