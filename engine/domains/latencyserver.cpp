#include "domains/latencyserver.h"

#include "core/clock.h"

#include <QtGlobal>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <deque>
#include <functional>
#include <queue>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>

namespace hs {

namespace {

// epoll tags; connections get ids from kFirstConnId up, never reused, so a stale event or timer
// entry can never reach a newer connection that happens to get the same fd.
constexpr std::uint64_t kWakeId = 1;
constexpr std::uint64_t kTimerId = 2;
constexpr std::uint64_t kListenId = 3;
constexpr std::uint64_t kFirstConnId = 16;

// A client that pipelines more than this stops being read until its backlog drains.
constexpr std::size_t kMaxQueuedPerConn = 4096;
// Pause before accepting again when out of file descriptors (level-triggered epoll would spin).
constexpr std::int64_t kAcceptRetryNs = 50'000'000;
constexpr std::size_t kBodyChunk = 64 * 1024;

QString errnoText(int err)
{
    return QString::fromStdString(std::generic_category().message(err));
}

// Every response body is cut from this one buffer: no allocation per response, whatever its size.
const unsigned char *bodyChunk()
{
    static const std::vector<unsigned char> chunk = [] {
        std::vector<unsigned char> c(kBodyChunk);
        for (std::size_t i = 0; i < c.size(); ++i)
            c[i] = static_cast<unsigned char>((i * 131 + 7) & 0xff);
        return c;
    }();
    return chunk.data();
}

struct Pending {
    std::int64_t deadlineNs;
    std::uint64_t bytes;
};

struct Connection {
    int fd = -1;
    std::uint64_t id = 0;
    std::uint32_t events = 0; // what epoll is currently asked for
    unsigned char in[latency::kRequestSize] = {};
    std::size_t inLen = 0;
    std::deque<Pending> queue; // answered strictly in this order
    bool sending = false; // the front of `queue` is being written
    unsigned char header[latency::kResponseHeaderSize] = {};
    std::size_t headerSent = 0;
    std::uint64_t bodyLeft = 0;
};

struct Wake {
    std::int64_t deadlineNs;
    std::uint64_t id;
    bool operator>(const Wake &o) const { return deadlineNs > o.deadlineNs; }
};

void closeFd(int &fd)
{
    if (fd >= 0)
        ::close(fd);
    fd = -1;
}

} // namespace

struct LatencyServer::Impl {
    int listenFd = -1;
    int epollFd = -1;
    int timerFd = -1;
    int wakeFd = -1;
    std::atomic<std::uint16_t> port { 0 };
    std::atomic<bool> running { false };
    std::thread thread;

    // Owned by the server thread while it runs.
    std::unordered_map<std::uint64_t, Connection> conns;
    std::priority_queue<Wake, std::vector<Wake>, std::greater<Wake>> wakes;
    std::int64_t armedNs = 0; // timerfd's current absolute expiry; 0 = disarmed
    std::uint64_t nextId = kFirstConnId;

    void closeAllFds()
    {
        closeFd(listenFd);
        closeFd(epollFd);
        closeFd(timerFd);
        closeFd(wakeFd);
    }

    void run();
    void acceptAll();
    void onConnectionEvent(std::uint64_t id, std::uint32_t events);
    bool readRequests(Connection &c);
    bool pump(Connection &c, std::int64_t now);
    bool writeSome(Connection &c);
    void updateInterest(Connection &c);
    void closeConnection(std::uint64_t id);
    void processDue(std::int64_t now);
    void rearmTimer();
    void setListening(bool on);
};

void LatencyServer::Impl::run()
{
    prepareEngineThread("hs-netserver");
    epoll_event events[64];
    for (;;) {
        const int n = epoll_wait(epollFd, events, 64, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            qWarning("latency server: epoll_wait failed: %s", qPrintable(errnoText(errno)));
            break;
        }
        bool stopping = false;
        for (int i = 0; i < n; ++i) {
            const std::uint64_t id = events[i].data.u64;
            if (id == kWakeId) {
                stopping = true;
            } else if (id == kTimerId) {
                std::uint64_t expirations;
                [[maybe_unused]] const ssize_t r = ::read(timerFd, &expirations, sizeof expirations);
                armedNs = 0; // one-shot: it is disarmed once it has fired
            } else if (id == kListenId) {
                acceptAll();
            } else {
                onConnectionEvent(id, events[i].events);
            }
        }
        if (stopping)
            break;
        processDue(nowNs());
        rearmTimer();
    }
    for (auto &[id, c] : conns)
        closeFd(c.fd);
    conns.clear();
    wakes = {};
    armedNs = 0;
}

void LatencyServer::Impl::setListening(bool on)
{
    epoll_event ev {};
    ev.events = on ? std::uint32_t(EPOLLIN) : 0u;
    ev.data.u64 = kListenId;
    epoll_ctl(epollFd, EPOLL_CTL_MOD, listenFd, &ev);
}

void LatencyServer::Impl::acceptAll()
{
    for (;;) {
        const int fd = accept4(listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            const int err = errno;
            if (err == EINTR || err == ECONNABORTED)
                continue;
            if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
                qWarning("latency server: accept failed: %s", qPrintable(errnoText(err)));
                setListening(false);
                wakes.push({ nowNs() + kAcceptRetryNs, kListenId });
            }
            return; // EAGAIN: all accepted
        }
        const int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); // small answers must not wait for Nagle
        Connection c;
        c.fd = fd;
        c.id = nextId++;
        c.events = EPOLLIN;
        epoll_event ev {};
        ev.events = c.events;
        ev.data.u64 = c.id;
        if (epoll_ctl(epollFd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            ::close(fd);
            continue;
        }
        conns.emplace(c.id, std::move(c));
    }
}

void LatencyServer::Impl::onConnectionEvent(std::uint64_t id, std::uint32_t events)
{
    auto it = conns.find(id);
    if (it == conns.end())
        return; // closed earlier in this batch
    Connection &c = it->second;
    if (events & (EPOLLERR | EPOLLHUP)) {
        closeConnection(id); // reset, or shut down both ways: nobody is left to read an answer
        return;
    }
    if (events & EPOLLIN) {
        if (!readRequests(c)) {
            closeConnection(id);
            return;
        }
    }
    if (events & EPOLLOUT) {
        if (!pump(c, nowNs())) {
            closeConnection(id);
            return;
        }
    }
    updateInterest(c);
}

bool LatencyServer::Impl::readRequests(Connection &c)
{
    unsigned char buf[4096];
    while (c.queue.size() < kMaxQueuedPerConn) {
        const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
        if (n == 0)
            return false; // the client is gone
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        const std::int64_t now = nowNs();
        std::size_t pos = 0;
        while (pos < std::size_t(n)) {
            const std::size_t take = std::min(latency::kRequestSize - c.inLen, std::size_t(n) - pos);
            std::copy(buf + pos, buf + pos + take, c.in + c.inLen);
            c.inLen += take;
            pos += take;
            if (c.inLen < latency::kRequestSize)
                break;
            c.inLen = 0;
            const std::uint64_t delayNs = latency::getU64Le(c.in);
            const std::uint64_t bytes = latency::getU64Le(c.in + 8);
            if (bytes > latency::kMaxResponseBytes || delayNs > latency::kMaxDelayNs)
                return false; // refused: never allocate or wait for what a request merely claims
            const std::int64_t deadline = now + std::int64_t(delayNs);
            c.queue.push_back({ deadline, bytes });
            wakes.push({ deadline, c.id });
        }
    }
    return true;
}

bool LatencyServer::Impl::writeSome(Connection &c)
{
    while (c.sending) {
        iovec iov[2];
        int count = 0;
        if (c.headerSent < latency::kResponseHeaderSize) {
            iov[count].iov_base = c.header + c.headerSent;
            iov[count].iov_len = latency::kResponseHeaderSize - c.headerSent;
            ++count;
        }
        if (c.bodyLeft > 0) {
            iov[count].iov_base = const_cast<unsigned char *>(bodyChunk());
            iov[count].iov_len = std::size_t(std::min<std::uint64_t>(c.bodyLeft, kBodyChunk));
            ++count;
        }
        if (count == 0) {
            c.sending = false;
            break;
        }
        msghdr msg {};
        msg.msg_iov = iov;
        msg.msg_iovlen = std::size_t(count);
        const ssize_t n = ::sendmsg(c.fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK; // else the peer is gone
        }
        std::size_t left = std::size_t(n);
        const std::size_t h = std::min(left, latency::kResponseHeaderSize - c.headerSent);
        c.headerSent += h;
        left -= h;
        c.bodyLeft -= left;
        if (c.headerSent == latency::kResponseHeaderSize && c.bodyLeft == 0)
            c.sending = false;
    }
    return true;
}

bool LatencyServer::Impl::pump(Connection &c, std::int64_t now)
{
    for (;;) {
        if (!c.sending) {
            if (c.queue.empty() || c.queue.front().deadlineNs > now)
                return true;
            latency::putU64Le(c.header, c.queue.front().bytes);
            c.headerSent = 0;
            c.bodyLeft = c.queue.front().bytes;
            c.sending = true;
        }
        if (!writeSome(c))
            return false;
        if (c.sending)
            return true; // the socket is full: wait for EPOLLOUT
        c.queue.pop_front();
    }
}

void LatencyServer::Impl::updateInterest(Connection &c)
{
    std::uint32_t want = 0;
    if (c.queue.size() < kMaxQueuedPerConn)
        want |= EPOLLIN;
    if (c.sending)
        want |= EPOLLOUT;
    if (want == c.events)
        return;
    epoll_event ev {};
    ev.events = want;
    ev.data.u64 = c.id;
    if (epoll_ctl(epollFd, EPOLL_CTL_MOD, c.fd, &ev) == 0)
        c.events = want;
}

void LatencyServer::Impl::closeConnection(std::uint64_t id)
{
    auto it = conns.find(id);
    if (it == conns.end())
        return;
    ::close(it->second.fd); // also removes it from epoll; its pending wakes become stale and are skipped
    conns.erase(it);
}

void LatencyServer::Impl::processDue(std::int64_t now)
{
    while (!wakes.empty() && wakes.top().deadlineNs <= now) {
        const std::uint64_t id = wakes.top().id;
        wakes.pop();
        if (id == kListenId) {
            setListening(true);
            continue;
        }
        auto it = conns.find(id);
        if (it == conns.end())
            continue;
        if (!pump(it->second, now)) {
            closeConnection(id);
            continue;
        }
        updateInterest(it->second);
    }
}

void LatencyServer::Impl::rearmTimer()
{
    // Stale tops (closed connections) only cost one early wake-up; they are popped then.
    const std::int64_t next = wakes.empty() ? 0 : std::max<std::int64_t>(wakes.top().deadlineNs, 1);
    if (next == armedNs)
        return;
    itimerspec spec {};
    spec.it_value.tv_sec = next / kNsPerSec;
    spec.it_value.tv_nsec = next % kNsPerSec;
    if (timerfd_settime(timerFd, TFD_TIMER_ABSTIME, &spec, nullptr) == 0)
        armedNs = next;
}

LatencyServer::LatencyServer()
    : m_impl(std::make_unique<Impl>())
{ }

LatencyServer::~LatencyServer()
{
    stop();
}

bool LatencyServer::start(QString *error, std::uint16_t port)
{
    std::lock_guard lock(m_lifecycle);
    Impl &d = *m_impl;
    auto fail = [&](const QString &what) {
        const int err = errno;
        d.closeAllFds();
        if (error)
            *error = QStringLiteral("latency server: ") + what + QStringLiteral(": ") + errnoText(err);
        return false;
    };
    if (d.running.load()) {
        if (error)
            *error = QStringLiteral("latency server: already running");
        return false;
    }

    d.listenFd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (d.listenFd < 0)
        return fail(QStringLiteral("socket"));
    const int one = 1;
    // Lets a restarted server take its port back while old connections sit in TIME_WAIT.
    setsockopt(d.listenFd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::bind(d.listenFd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) < 0)
        return fail(QStringLiteral("bind"));
    if (::listen(d.listenFd, SOMAXCONN) < 0)
        return fail(QStringLiteral("listen"));
    socklen_t len = sizeof addr;
    if (::getsockname(d.listenFd, reinterpret_cast<sockaddr *>(&addr), &len) < 0)
        return fail(QStringLiteral("getsockname"));

    d.epollFd = epoll_create1(EPOLL_CLOEXEC);
    if (d.epollFd < 0)
        return fail(QStringLiteral("epoll_create1"));
    d.timerFd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (d.timerFd < 0)
        return fail(QStringLiteral("timerfd_create"));
    d.wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (d.wakeFd < 0)
        return fail(QStringLiteral("eventfd"));
    const std::pair<int, std::uint64_t> watched[]
        = { { d.wakeFd, kWakeId }, { d.timerFd, kTimerId }, { d.listenFd, kListenId } };
    for (const auto &[fd, id] : watched) {
        epoll_event ev {};
        ev.events = EPOLLIN;
        ev.data.u64 = id;
        if (epoll_ctl(d.epollFd, EPOLL_CTL_ADD, fd, &ev) < 0)
            return fail(QStringLiteral("epoll_ctl"));
    }

    d.port.store(ntohs(addr.sin_port));
    d.armedNs = 0;
    try {
        d.thread = std::thread([&d] { d.run(); });
    } catch (const std::system_error &e) {
        d.closeAllFds();
        if (error)
            *error = QStringLiteral("latency server: cannot start its thread: ") + QString::fromUtf8(e.what());
        return false;
    }
    d.running.store(true);
    return true;
}

std::uint16_t LatencyServer::port() const
{
    return m_impl->port.load();
}

bool LatencyServer::isRunning() const
{
    return m_impl->running.load();
}

void LatencyServer::stop()
{
    std::lock_guard lock(m_lifecycle);
    Impl &d = *m_impl;
    if (!d.running.load())
        return;
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t r = ::write(d.wakeFd, &one, sizeof one);
    d.thread.join();
    d.closeAllFds();
    d.running.store(false);
}

} // namespace hs
