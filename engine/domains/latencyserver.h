#pragma once

#include <QString>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

namespace hs {

/// Wire protocol of the built-in latency server. Integers are little-endian. A connection is persistent and
/// carries any number of requests; they are answered in the order they were sent.
namespace latency {
inline constexpr std::size_t kRequestSize = 16; ///< u64 delay_ns, u64 response_bytes
inline constexpr std::size_t kResponseHeaderSize = 8; ///< u64 length, followed by that many bytes
/// A request asking for more is refused: the server closes the connection.
inline constexpr std::uint64_t kMaxResponseBytes = std::uint64_t(1) << 30;
/// A request asking to wait longer (one hour) is refused the same way.
inline constexpr std::uint64_t kMaxDelayNs = std::uint64_t(3600) * 1'000'000'000;

inline void putU64Le(unsigned char *p, std::uint64_t v) noexcept
{
    for (int i = 0; i < 8; ++i)
        p[i] = static_cast<unsigned char>(v >> (8 * i));
}

inline std::uint64_t getU64Le(const unsigned char *p) noexcept
{
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
        v |= std::uint64_t(p[i]) << (8 * i);
    return v;
}

/// Fills the kRequestSize bytes at `out`.
inline void encodeRequest(unsigned char *out, std::uint64_t delayNs, std::uint64_t responseBytes) noexcept
{
    putU64Le(out, delayNs);
    putU64Le(out + 8, responseBytes);
}
} // namespace latency

/**
 * The built-in loopback TCP latency server that `net` stages talk to (DESIGN §3). One thread
 * ("hs-netserver") runs epoll and a timerfd: each request is answered after its delay, measured
 * against an absolute CLOCK_MONOTONIC deadline, with exactly the asked number of bytes. Many
 * connections are served at once; writes never block the thread (partial writes wait for EPOLLOUT),
 * and response bodies are streamed from one shared buffer, so a large answer allocates nothing.
 *
 *     LatencyServer server;
 *     QString error;
 *     if (!server.start(&error))
 *         qFatal("%s", qPrintable(error));
 *     runNetBlocking(server.port(), 0.002, 4096, {});   // 4 KiB after 2 ms
 *     server.stop();                                     // also done by the destructor
 */
class LatencyServer {
public:
    LatencyServer();
    ~LatencyServer();
    LatencyServer(const LatencyServer &) = delete;
    LatencyServer &operator=(const LatencyServer &) = delete;

    /// Binds 127.0.0.1:`port` (0: an ephemeral port) and starts the thread; port() is valid after.
    bool start(QString *error, std::uint16_t port = 0);
    std::uint16_t port() const;
    bool isRunning() const;
    /// Idempotent: closes every connection and joins the thread.
    void stop();

private:
    struct Impl;
    mutable std::mutex m_lifecycle;
    std::unique_ptr<Impl> m_impl;
};

} // namespace hs
