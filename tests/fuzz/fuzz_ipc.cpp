// libFuzzer target: the IPC frame decoder between the engine and hybridscope-worker (engine/procs/ipc.h)
// on arbitrary bytes. Every decoder sees the input whole and after a header's worth of bytes; an
// input is also read as a stream of frames the way both ends read their socket (header checked
// before anything is sized from it, then the fields, then the worker's own checks of a stage).
// Whatever decodes must encode back to exactly the bytes it came from and decode again to the same
// message: the format has no slack, so any difference is a bug, reported by abort().

#include "procs/ipc.h"

#include <QByteArray>

#include <cstdint>
#include <cstdlib>
#include <cstring>

using namespace hs::ipc;

namespace {

void require(bool ok)
{
    if (!ok)
        std::abort();
}

bool sameBytes(const QByteArray &encoded, const std::uint8_t *data, std::size_t size)
{
    return std::size_t(encoded.size()) == size && (size == 0 || std::memcmp(encoded.constData(), data, size) == 0);
}

bool sameStage(const StageRequest &a, const StageRequest &b)
{
    return a.seq == b.seq && a.work == b.work && a.kernel == b.kernel && a.fsync == b.fsync && a.crash == b.crash
        && a.verify == b.verify && a.shm == b.shm && a.netPort == b.netPort && a.outFill == b.outFill
        && a.timeNs == b.timeNs && a.bytes == b.bytes && a.payloadIn == b.payloadIn && a.payloadOut == b.payloadOut
        && a.inChecksum == b.inChecksum && a.shmSize == b.shmSize && a.tempDir == b.tempDir && a.gil == b.gil
        && a.gilSwitchNs == b.gilSwitchNs;
}

bool sameReply(const StageReply &a, const StageReply &b)
{
    return a.seq == b.seq && a.status == b.status && a.workStartNs == b.workStartNs && a.workEndNs == b.workEndNs
        && a.payloadOut == b.payloadOut && a.outChecksum == b.outChecksum && a.reason == b.reason
        && a.gilWaitNs == b.gilWaitNs;
}

const unsigned char *bytesOf(const QByteArray &b)
{
    return reinterpret_cast<const unsigned char *>(b.constData());
}

void header(const std::uint8_t *data, std::size_t size)
{
    if (size < kHeaderSize)
        return;
    // The most the receiver accepts comes from the input too: every limit is exercised.
    for (const std::uint64_t maxPayload : { std::uint64_t(0), std::uint64_t(data[0]) << 20, kMaxPayloadBytes }) {
        FrameHeader h;
        const FrameError e = decodeHeader(data, &h, maxPayload);
        (void)frameErrorText(e);
        if (e != FrameError::Ok)
            continue;
        require(h.metaBytes <= kMaxMetaBytes && h.payloadBytes <= maxPayload && h.payloadBytes <= kMaxPayloadBytes);
        unsigned char again[kHeaderSize];
        encodeHeader(again, h);
        require(std::memcmp(again, data, kHeaderSize) == 0);
    }
}

void hello(const std::uint8_t *data, std::size_t size)
{
    Hello m;
    if (decodeHello(data, size, &m) != FrameError::Ok)
        return;
    require(m.pid > 0 && m.pid <= 0x7fffffff);
    const QByteArray e = encodeHello(m);
    require(sameBytes(e, data, size));
    Hello again;
    require(decodeHello(bytesOf(e), std::size_t(e.size()), &again) == FrameError::Ok && again.pid == m.pid);
}

void stage(const std::uint8_t *data, std::size_t size)
{
    StageRequest m;
    if (decodeStage(data, size, &m) != FrameError::Ok)
        return;
    // What the worker relies on once a stage decoded (it sizes buffers and the mapping from these).
    require(m.timeNs >= 0 && m.bytes >= 0 && m.payloadIn <= kMaxPayloadBytes && m.payloadOut <= kMaxPayloadBytes);
    require(!m.shm || (m.shmSize >= m.payloadIn && m.shmSize >= m.payloadOut));
    require(std::size_t(m.tempDir.size()) <= kMaxTextBytes && m.gilSwitchNs >= 1);
    const QByteArray e = encodeStage(m);
    require(sameBytes(e, data, size));
    StageRequest again;
    require(decodeStage(bytesOf(e), std::size_t(e.size()), &again) == FrameError::Ok && sameStage(again, m));
}

void reply(const std::uint8_t *data, std::size_t size)
{
    StageReply m;
    if (decodeReply(data, size, &m) != FrameError::Ok)
        return;
    require(m.workStartNs >= 0 && m.workEndNs >= m.workStartNs && m.gilWaitNs >= 0 && m.payloadOut <= kMaxPayloadBytes
        && std::size_t(m.reason.size()) <= kMaxTextBytes);
    const QByteArray e = encodeReply(m);
    require(sameBytes(e, data, size));
    StageReply again;
    require(decodeReply(bytesOf(e), std::size_t(e.size()), &again) == FrameError::Ok && sameReply(again, m));
}

// Frames one after another, as read from a socket: a header, validated before it sizes anything,
// its fields decoded by type (a stage also through the worker's own checks), its payload skipped.
void stream(const std::uint8_t *data, std::size_t size)
{
    std::size_t pos = 0;
    const bool haveShm = size > 0 && (data[size - 1] & 1);
    while (size - pos >= kHeaderSize) {
        FrameHeader h;
        if (decodeHeader(data + pos, &h, kMaxPayloadBytes) != FrameError::Ok)
            return;
        pos += kHeaderSize;
        if (size - pos < h.metaBytes)
            return; // the rest of the frame has not arrived
        const unsigned char *meta = data + pos;
        switch (h.type) {
        case FrameType::Hello: {
            Hello m;
            (void)decodeHello(meta, h.metaBytes, &m);
            break;
        }
        case FrameType::Stage: {
            StageRequest m;
            if (decodeStage(meta, h.metaBytes, &m) == FrameError::Ok
                && checkStageFrame(h, m, haveShm) == FrameError::Ok)
                require(h.payloadBytes == (m.shm ? 0 : m.payloadIn));
            break;
        }
        case FrameType::Result: {
            StageReply m;
            (void)decodeReply(meta, h.metaBytes, &m);
            break;
        }
        }
        pos += h.metaBytes;
        if (size - pos < h.payloadBytes)
            return;
        pos += h.payloadBytes;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    header(data, size);
    for (const std::size_t skip : { std::size_t(0), kHeaderSize }) {
        if (size < skip)
            break;
        hello(data + skip, size - skip);
        stage(data + skip, size - skip);
        reply(data + skip, size - skip);
    }
    stream(data, size);
    if (size > 0)
        (void)checksum(data, size);
    return 0;
}
