#pragma once

#include "domains/work.h"
#include "scenario/scenario.h"

#include <QByteArray>
#include <QString>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hs::ipc {

/**
 * The wire protocol between the engine and `hybridscope-worker` (versioned, length-prefixed,
 * little-endian). Every frame is a 16-byte header, then `metaBytes` of message fields, then
 * `payloadBytes` of raw payload:
 *
 *     u32 magic "HSWF" | u16 version | u16 type | u32 metaBytes | u32 payloadBytes
 *
 * A receiver validates the header (decodeHeader) against the largest payload it expects before it
 * allocates anything, then decodes the fields strictly (every byte consumed, every enum in range),
 * then reads the payload straight into its destination.
 *
 *     unsigned char h[kHeaderSize];
 *     readExactly(fd, h, sizeof h);
 *     FrameHeader hdr;
 *     if (decodeHeader(h, &hdr, expectedPayload) != FrameError::Ok)
 *         ... protocol error: nothing was allocated
 */
inline constexpr std::uint32_t kMagic = 0x46575348; // bytes 'H' 'S' 'W' 'F'
inline constexpr std::uint16_t kVersion = 3; // 2: GIL emulation fields; 3: locks and shared counters
inline constexpr std::size_t kHeaderSize = 16;
/// Message fields of any frame: small, so a receiver may hold a fixed buffer of this size.
inline constexpr std::uint32_t kMaxMetaBytes = 64 * 1024;
/// The largest payload a stage may move (the scenario format's limit for payload_in/payload_out).
inline constexpr std::uint64_t kMaxPayloadBytes = std::uint64_t(1) << 30;
/// Longest text field (a temp dir path, a failure reason).
inline constexpr std::size_t kMaxTextBytes = 4096;

enum class FrameType : std::uint16_t { Hello = 1, Stage = 2, Result = 3 };

struct FrameHeader {
    FrameType type = FrameType::Hello;
    std::uint32_t metaBytes = 0;
    std::uint32_t payloadBytes = 0;
};

/// Why a frame was refused. Anything but Ok is a protocol error: the connection is out of step.
enum class FrameError {
    Ok,
    BadMagic,
    BadVersion,
    UnknownType,
    MetaTooLarge,
    PayloadTooLarge,
    Truncated,
    BadValue,
    TrailingBytes,
};
QString frameErrorText(FrameError e);

void encodeHeader(unsigned char *out, const FrameHeader &h);
/// Checks magic, version, type and sizes; `maxPayload` is the most this receiver accepts now. On an error
/// the claimed sizes are still filled in (for messages), but must not be acted on.
FrameError decodeHeader(const unsigned char *in, FrameHeader *out, std::uint64_t maxPayload);

/// Most locks one stage may take (the scenario format has no limit; a frame does).
inline constexpr std::size_t kMaxStageLocks = 64;

/// A lock a stage takes in the worker (DESIGN §15): the resource index in the run's lock segment.
struct StageLock {
    std::uint32_t index = 0;
    LockScope scope = LockScope::Thread;
    std::int64_t timeoutNs = 0;
    bool operator==(const StageLock &) const = default;
};

/// How the worker's wait for one lock went (the engine keeps the figures).
struct StageLockWait {
    std::uint32_t index = 0;
    std::int64_t waitNs = 0;
    bool contended = false;
    bool acquired = false;
    bool timedOut = false;
    bool recovered = false;
    std::uint64_t holder = 0; ///< LockKey::pack() of the holder seen, 0: unknown
    bool operator==(const StageLockWait &) const = default;
};

/// Worker → engine, once, when the worker is ready to take stages.
struct Hello {
    std::uint32_t pid = 0;
};

/// Engine → worker: run one stage. The payload in follows inline (copy) or sits at offset 0 of the
/// worker's shared-memory segment (shm, then the frame's payload is empty).
struct StageRequest {
    std::uint64_t seq = 0;
    WorkKind work = WorkKind::Cpu;
    CpuKernel kernel = CpuKernel::Spin;
    bool fsync = false;
    bool crash = false; ///< abort mid-task (fault injection)
    bool verify = false; ///< check inChecksum, return outChecksum
    bool shm = false; ///< payloads travel in shared memory
    std::uint16_t netPort = 0;
    std::uint8_t outFill = 0; ///< byte the payload out is made of
    std::int64_t timeNs = 0;
    std::int64_t bytes = 0;
    std::uint64_t payloadIn = 0;
    std::uint64_t payloadOut = 0;
    std::uint64_t inChecksum = 0;
    std::uint64_t shmSize = 0; ///< the segment is at least this large (shm)
    QByteArray tempDir; ///< UTF-8, for disk work
    bool gil = false; ///< cpu work holds the worker's own GIL
    std::int64_t gilSwitchNs = 5'000'000; ///< its switch interval
    std::vector<StageLock> locks; ///< taken in order around the work (the worker's lock segment)
    std::int32_t update = -1; ///< the shared counter to increment, -1: none
    std::uint64_t selfKey = 0; ///< LockKey::pack() of this stage, recorded as the locks' holder
};

/// Worker → engine: how the stage ended. The payload out follows inline (copy) or is at offset 0
/// of the segment (shm).
struct StageReply {
    std::uint64_t seq = 0;
    WorkStatus status = WorkStatus::Ok;
    std::int64_t workStartNs = 0; ///< CLOCK_MONOTONIC: the payload was in, the work began
    std::int64_t workEndNs = 0; ///< the work and the payload out were done
    std::uint64_t payloadOut = 0;
    std::uint64_t outChecksum = 0;
    QByteArray reason; ///< UTF-8
    std::int64_t gilWaitNs = 0; ///< time the stage waited for the worker's GIL
    std::vector<StageLockWait> lockWaits; ///< one per lock tried, in order
    bool updated = false; ///< the shared counter's read–modify–write was completed
};

QByteArray encodeHello(const Hello &m);
QByteArray encodeStage(const StageRequest &m);
QByteArray encodeReply(const StageReply &m);
FrameError decodeHello(const unsigned char *p, std::size_t len, Hello *out);
FrameError decodeStage(const unsigned char *p, std::size_t len, StageRequest *out);
FrameError decodeReply(const unsigned char *p, std::size_t len, StageReply *out);

/// The worker's check of a stage frame beyond its fields: it must be a Stage frame, travel the
/// way the worker was started (`haveShm`), and carry exactly its payload in inline.
FrameError checkStageFrame(const FrameHeader &h, const StageRequest &m, bool haveShm);

/// A whole frame in one buffer (small frames, tests): header + meta + payload.
QByteArray frame(FrameType type, const QByteArray &meta, const QByteArray &payload = {});

/// Fast non-cryptographic 64-bit checksum (four independent lanes) to verify payloads end to end.
std::uint64_t checksum(const void *data, std::size_t len);

} // namespace hs::ipc
