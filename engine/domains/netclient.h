#pragma once

#include "domains/latencyserver.h"

#include <QString>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

namespace hs {

/// Opens a non-blocking TCP socket (TCP_NODELAY, close-on-exec) and starts connecting it to 127.0.0.1:`port`.
/// Returns the fd, with `*connected` false while the connect is still in progress (wait until the fd is
/// writable, then read socketError()); returns -1 with errno set on failure. A connection takes two
/// descriptors of the process (this end and the built-in server's), counted in StageFds: when none are
/// left it fails with EMFILE. Close it with closeLoopbackConnection().
int openLoopbackConnection(std::uint16_t port, bool *connected);
/// Closes a connection from openLoopbackConnection() and gives its descriptors back.
void closeLoopbackConnection(int fd);
/// The failure text for errno `err` of a net stage ("net: out of file descriptors (EMFILE)" for EMFILE/ENFILE).
QString netErrorText(int err);

/// The pending error of a socket (SO_ERROR): 0, or an errno value such as ECONNREFUSED.
int socketError(int fd);

/// True when an idle connection (no request in flight) is still open and in step: nothing to read, no hang-up.
bool isIdleConnectionUsable(int fd);

/**
 * Idle connections to the latency server kept for reuse, at most `maxIdle` (the most recently used
 * is handed out first). An idle connection the server has closed is noticed and dropped by take().
 * Thread-safe, though the loop domain uses it from its one thread.
 *
 *     NetConnectionPool pool;
 *     int fd = pool.take(port);         // -1: none idle, open a new one
 *     ...                               // one complete request/response on fd
 *     pool.give(port, fd);              // kept, or closed when the pool is full
 */
class NetConnectionPool {
public:
    explicit NetConnectionPool(std::size_t maxIdle = 64);
    ~NetConnectionPool(); ///< closes the idle fds
    NetConnectionPool(const NetConnectionPool &) = delete;
    NetConnectionPool &operator=(const NetConnectionPool &) = delete;

    /// An idle, still healthy connection to `port` (now owned by the caller), or -1.
    int take(std::uint16_t port);
    /// Hands back a connection with no request in flight; the pool owns it from now on.
    void give(std::uint16_t port, int fd);
    std::size_t idleCount() const;
    void clear();

private:
    mutable std::mutex m_mutex;
    std::size_t m_maxIdle;
    std::vector<std::pair<std::uint16_t, int>> m_idle;
};

/**
 * One request to the latency server on a non-blocking connection, as a state machine for an event
 * loop (the `loop` domain drives it with a QSocketNotifier on fd()). start() and onReady() say what
 * to wait for next; the fd stays the same for the whole call. Destroying a call that has not finished
 * cancels it: its connection is closed, while a finished call's connection goes back to the pool.
 *
 *     NetCall call(pool, server.port(), 2'000'000, 4096);   // 4 KiB after 2 ms
 *     NetCall::Step step = call.start();
 *     while (step == NetCall::Step::WantRead || step == NetCall::Step::WantWrite) {
 *         waitUntilReady(call.fd(), step);                  // poll(), QSocketNotifier...
 *         step = call.onReady();
 *     }
 *     if (step == NetCall::Step::Failed)
 *         qWarning() << call.error();
 */
class NetCall {
public:
    enum class Step { WantRead, WantWrite, Done, Failed };

    /// Takes an idle connection from `pool` or opens a new non-blocking one to 127.0.0.1:`port`.
    NetCall(NetConnectionPool &pool, std::uint16_t port, std::int64_t delayNs, std::int64_t bytes);
    ~NetCall();
    NetCall(const NetCall &) = delete;
    NetCall &operator=(const NetCall &) = delete;

    int fd() const { return m_fd; }
    Step start();
    /// Call when fd() is readable or writable as the last step asked.
    Step onReady();
    QString error() const { return m_error; }
    /// True when the connection came from the pool.
    bool reusedConnection() const { return m_reused; }

private:
    enum class State { Idle, Connecting, Writing, Reading, Done, Failed };

    Step writeRequest();
    Step readResponse();
    Step fail(const QString &what);

    NetConnectionPool &m_pool;
    std::uint16_t m_port;
    int m_fd = -1;
    State m_state = State::Idle;
    bool m_connected = false;
    bool m_reused = false;
    unsigned char m_request[latency::kRequestSize] = {};
    std::size_t m_sent = 0;
    unsigned char m_header[latency::kResponseHeaderSize] = {};
    std::uint64_t m_expected = 0; // body bytes asked for
    std::uint64_t m_received = 0; // header and body bytes received so far
    QString m_error;
};

} // namespace hs
