#pragma once

#include <QByteArray>
#include <QString>

#include <cstddef>
#include <memory>
#include <optional>

#include <sys/types.h>

namespace hs {

/**
 * A POSIX shared-memory segment for `transfer: shm`, named "/hybridscope-<ownerpid>-<n>" so that
 * leftovers can be recognised. The engine creates one per worker process; the worker opens it by
 * name, and the engine unlinks the name as soon as the worker is ready, so a running pool leaves
 * nothing in /dev/shm. A segment named after a dead owner (the engine was SIGKILLed during a
 * handshake) is removed by sweepStale(), which the procs domain calls when it starts.
 *
 *     auto seg = ShmSegment::create(&error);          // engine side
 *     seg->reserve(16 << 20, &error);                  // grows, maps, reserves memory (no SIGBUS later)
 *     std::memcpy(seg->data(), payload, size);
 *     auto view = ShmSegment::open(seg->name(), &error); // worker side
 *     view->mapAtLeast(size, &error);
 */
class ShmSegment {
public:
    ~ShmSegment();
    ShmSegment(const ShmSegment &) = delete;
    ShmSegment &operator=(const ShmSegment &) = delete;

    /// A new, empty segment owned by this process (mode 0600).
    static std::unique_ptr<ShmSegment> create(QString *error);
    /// Opens a segment another process created (the worker's side).
    static std::unique_ptr<ShmSegment> open(const QByteArray &name, QString *error);

    const QByteArray &name() const { return m_name; }
    /// Removes the name; the memory lives on while either side has it open. Idempotent.
    void unlinkName();
    /// Creator: grows the segment to at least `bytes` (rounded up), allocates its memory now so that a full
    /// /dev/shm is an error here rather than a SIGBUS later, and maps it.
    bool reserve(std::size_t bytes, QString *error);
    /// Opener: maps at least `bytes`, remapping when the creator grew the segment.
    bool mapAtLeast(std::size_t bytes, QString *error);

    unsigned char *data() const { return m_data; }
    std::size_t mappedSize() const { return m_mapped; }

    /// "hybridscope-": the file names under /dev/shm that this class creates start with it.
    static QString filePrefix();
    /// The owner pid encoded in a file name like "hybridscope-1234-5", or nullopt.
    static std::optional<pid_t> ownerOf(const QString &fileName);
    /// Unlinks segments (in /dev/shm) whose owner process no longer exists; returns how many.
    static int sweepStale();

private:
    ShmSegment() = default;
    bool mapSize(std::size_t bytes, QString *error);

    QByteArray m_name;
    int m_fd = -1;
    bool m_owner = false;
    bool m_linked = false;
    unsigned char *m_data = nullptr;
    std::size_t m_mapped = 0;
};

} // namespace hs
