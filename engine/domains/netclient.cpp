#include "domains/netclient.h"

#include "domains/resources.h"

#include <algorithm>
#include <cerrno>
#include <system_error>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace hs {

namespace {

QString errnoText(int err)
{
    return QString::fromStdString(std::generic_category().message(err));
}

// Response bodies are read (really copied, as a client would) into one buffer per thread.
constexpr std::size_t kScratchSize = 64 * 1024;
unsigned char *scratch()
{
    static thread_local std::vector<unsigned char> buf(kScratchSize);
    return buf.data();
}

} // namespace

bool isIdleConnectionUsable(int fd)
{
    // An idle connection has nothing to read: readable means the server closed it (or it is out of step).
    pollfd p { fd, POLLIN, 0 };
    return ::poll(&p, 1, 0) == 0;
}

QString netErrorText(int err)
{
    if (err == EMFILE || err == ENFILE)
        return outOfFdsReason("net");
    return QStringLiteral("net: ") + errnoText(err);
}

int openLoopbackConnection(std::uint16_t port, bool *connected)
{
    *connected = false;
    // Both ends: the server accepts one descriptor for each connection.
    if (!StageFds::acquire(2)) {
        errno = EMFILE;
        return -1;
    }
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        const int err = errno;
        StageFds::release(2);
        errno = err;
        return -1;
    }
    const int one = 1;
    // Request/response traffic of small writes: Nagle plus delayed ACK would add tens of milliseconds.
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    int r;
    do {
        r = ::connect(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr);
    } while (r < 0 && errno == EINTR);
    if (r == 0) {
        *connected = true;
        return fd;
    }
    if (errno == EINPROGRESS)
        return fd;
    const int err = errno;
    closeLoopbackConnection(fd);
    errno = err;
    return -1;
}

void closeLoopbackConnection(int fd)
{
    if (fd < 0)
        return;
    ::close(fd);
    StageFds::release(2);
}

int socketError(int fd)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return errno;
    return err;
}

NetConnectionPool::NetConnectionPool(std::size_t maxIdle)
    : m_maxIdle(maxIdle)
{ }

NetConnectionPool::~NetConnectionPool()
{
    clear();
}

int NetConnectionPool::take(std::uint16_t port)
{
    for (;;) {
        int fd = -1;
        {
            std::lock_guard lock(m_mutex);
            auto it = std::find_if(m_idle.rbegin(), m_idle.rend(), [port](const auto &e) { return e.first == port; });
            if (it == m_idle.rend())
                return -1;
            fd = it->second;
            m_idle.erase(std::next(it).base());
        }
        if (isIdleConnectionUsable(fd))
            return fd;
        closeLoopbackConnection(fd);
    }
}

void NetConnectionPool::give(std::uint16_t port, int fd)
{
    if (fd < 0)
        return;
    {
        std::lock_guard lock(m_mutex);
        if (m_idle.size() < m_maxIdle) {
            m_idle.emplace_back(port, fd);
            return;
        }
    }
    closeLoopbackConnection(fd);
}

std::size_t NetConnectionPool::idleCount() const
{
    std::lock_guard lock(m_mutex);
    return m_idle.size();
}

void NetConnectionPool::clear()
{
    std::vector<std::pair<std::uint16_t, int>> idle;
    {
        std::lock_guard lock(m_mutex);
        idle.swap(m_idle);
    }
    for (const auto &e : idle)
        closeLoopbackConnection(e.second);
}

NetCall::NetCall(NetConnectionPool &pool, std::uint16_t port, std::int64_t delayNs, std::int64_t bytes)
    : m_pool(pool)
    , m_port(port)
{
    const std::uint64_t delay = std::uint64_t(std::max<std::int64_t>(delayNs, 0));
    m_expected = std::uint64_t(std::max<std::int64_t>(bytes, 0));
    if (m_expected > latency::kMaxResponseBytes || delay > latency::kMaxDelayNs) {
        m_state = State::Failed;
        m_error = QStringLiteral("net: request beyond the server's limits (1 GiB, 1 h)");
        return;
    }
    latency::encodeRequest(m_request, delay, m_expected);
    m_fd = pool.take(port);
    if (m_fd >= 0) {
        m_reused = true;
        m_connected = true;
        return;
    }
    m_fd = openLoopbackConnection(port, &m_connected);
    if (m_fd < 0) {
        m_state = State::Failed;
        m_error = netErrorText(errno);
    }
}

NetCall::~NetCall()
{
    if (m_fd < 0)
        return;
    // Only a connection with no request half-done is safe to reuse.
    if (m_connected && (m_state == State::Done || m_state == State::Idle))
        m_pool.give(m_port, m_fd);
    else
        closeLoopbackConnection(m_fd);
}

NetCall::Step NetCall::fail(const QString &what)
{
    m_state = State::Failed;
    m_error = QStringLiteral("net: ") + what;
    return Step::Failed;
}

NetCall::Step NetCall::start()
{
    if (m_state != State::Idle)
        return onReady();
    if (!m_connected) {
        m_state = State::Connecting;
        return Step::WantWrite;
    }
    m_state = State::Writing;
    return writeRequest();
}

NetCall::Step NetCall::onReady()
{
    switch (m_state) {
    case State::Idle: return start();
    case State::Connecting: {
        const int err = socketError(m_fd);
        if (err != 0)
            return fail(errnoText(err));
        m_connected = true;
        m_state = State::Writing;
        return writeRequest();
    }
    case State::Writing: return writeRequest();
    case State::Reading: return readResponse();
    case State::Done: return Step::Done;
    case State::Failed: break;
    }
    return Step::Failed;
}

NetCall::Step NetCall::writeRequest()
{
    while (m_sent < latency::kRequestSize) {
        const ssize_t n = ::send(m_fd, m_request + m_sent, latency::kRequestSize - m_sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return Step::WantWrite;
            if (errno == ENOTCONN) // a connect still in progress (start() on a fresh socket)
                return Step::WantWrite;
            return fail(errnoText(errno));
        }
        m_sent += std::size_t(n);
    }
    m_state = State::Reading;
    return Step::WantRead; // the answer comes after the delay: no point reading now
}

NetCall::Step NetCall::readResponse()
{
    const std::uint64_t total = latency::kResponseHeaderSize + m_expected;
    unsigned char *buf = scratch();
    while (m_received < total) {
        const std::size_t want = std::size_t(std::min<std::uint64_t>(total - m_received, kScratchSize));
        const ssize_t n = ::recv(m_fd, buf, want, 0);
        if (n == 0)
            return fail(QStringLiteral("connection closed by the server"));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return Step::WantRead;
            return fail(errnoText(errno));
        }
        const bool hadHeader = m_received >= latency::kResponseHeaderSize;
        for (std::size_t i = 0; m_received + i < latency::kResponseHeaderSize && i < std::size_t(n); ++i)
            m_header[m_received + i] = buf[i];
        m_received += std::uint64_t(n);
        if (!hadHeader && m_received >= latency::kResponseHeaderSize) {
            const std::uint64_t length = latency::getU64Le(m_header);
            if (length != m_expected)
                return fail(QStringLiteral("unexpected response length %1 (asked for %2)").arg(length).arg(m_expected));
        }
    }
    m_state = State::Done;
    return Step::Done;
}

} // namespace hs
