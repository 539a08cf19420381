#include "domains/work.h"

#include "core/clock.h"
#include "domains/gil.h"
#include "domains/latencyserver.h"
#include "domains/netclient.h"
#include "domains/resources.h"

#include <QFile>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace hs {

namespace {

// Longest uninterrupted wait: a cancel is noticed within this.
constexpr std::int64_t kWaitSliceNs = 2'000'000;
// Durations are capped (about 115 days) so converting them to nanoseconds cannot overflow.
constexpr double kMaxSeconds = 1e7;

QString errnoText(int err)
{
    return QString::fromStdString(std::generic_category().message(err));
}

WorkResult ok()
{
    return {};
}

WorkResult failed(const QString &reason)
{
    return { WorkStatus::Failed, reason };
}

std::optional<WorkResult> checkControl(const WorkControl &ctl)
{
    if (ctl.cancel && ctl.cancel->load(std::memory_order_relaxed))
        return WorkResult { WorkStatus::Cancelled, QStringLiteral("cancelled") };
    if (ctl.deadlineNs != 0 && nowNs() >= ctl.deadlineNs)
        return WorkResult { WorkStatus::TimedOut, QStringLiteral("timeout") };
    return std::nullopt;
}

// The GIL gave up waiting only because `ctl` said stop; say which.
WorkResult stoppedWhileWaiting(const WorkControl &ctl)
{
    return checkControl(ctl).value_or(WorkResult { WorkStatus::Cancelled, QStringLiteral("cancelled") });
}

// The end of the next wait slice toward `endNs`, cut short by the deadline.
std::int64_t sliceEnd(std::int64_t now, std::int64_t endNs, const WorkControl &ctl)
{
    std::int64_t t = std::min(endNs, now + kWaitSliceNs);
    if (ctl.deadlineNs != 0)
        t = std::min(t, ctl.deadlineNs);
    return t;
}

std::uint64_t splitmix64(std::uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

// Kernel results land here so the optimizer must compute them. One per thread: cpu stages run on many
// threads at once, and concurrent writes to one shared variable would be a data race.
thread_local volatile std::uint64_t g_sink = 0;

// ---- SHA-256 (FIPS 180-4) ----

constexpr std::uint32_t kSha256K[64] = { 0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7,
    0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
    0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c,
    0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2 };

inline std::uint32_t rotr(std::uint32_t x, int n)
{
    return (x >> n) | (x << (32 - n));
}

class Sha256 {
public:
    void update(const unsigned char *p, std::size_t len)
    {
        m_length += len;
        if (m_bufLen > 0) {
            const std::size_t take = std::min(len, std::size_t(64) - m_bufLen);
            std::memcpy(m_buf + m_bufLen, p, take);
            m_bufLen += take;
            p += take;
            len -= take;
            if (m_bufLen < 64)
                return;
            compress(m_buf);
            m_bufLen = 0;
        }
        for (; len >= 64; p += 64, len -= 64)
            compress(p);
        std::memcpy(m_buf, p, len);
        m_bufLen = len;
    }

    std::array<std::uint8_t, 32> finish()
    {
        const std::uint64_t bits = m_length * 8;
        const unsigned char pad = 0x80;
        update(&pad, 1);
        const unsigned char zero = 0;
        while (m_bufLen != 56)
            update(&zero, 1);
        unsigned char lenBytes[8];
        for (int i = 0; i < 8; ++i)
            lenBytes[i] = static_cast<unsigned char>(bits >> (56 - 8 * i));
        update(lenBytes, 8);
        std::array<std::uint8_t, 32> out;
        for (int i = 0; i < 8; ++i)
            for (int j = 0; j < 4; ++j)
                out[std::size_t(4 * i + j)] = static_cast<std::uint8_t>(m_h[i] >> (24 - 8 * j));
        return out;
    }

private:
    void compress(const unsigned char *block)
    {
        std::uint32_t w[64];
        for (int i = 0; i < 16; ++i)
            w[i] = std::uint32_t(block[4 * i]) << 24 | std::uint32_t(block[4 * i + 1]) << 16
                | std::uint32_t(block[4 * i + 2]) << 8 | std::uint32_t(block[4 * i + 3]);
        for (int i = 16; i < 64; ++i) {
            const std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
            const std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        std::uint32_t a = m_h[0], b = m_h[1], c = m_h[2], d = m_h[3];
        std::uint32_t e = m_h[4], f = m_h[5], g = m_h[6], h = m_h[7];
        for (int i = 0; i < 64; ++i) {
            const std::uint32_t t1
                = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + kSha256K[i] + w[i];
            const std::uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        m_h[0] += a;
        m_h[1] += b;
        m_h[2] += c;
        m_h[3] += d;
        m_h[4] += e;
        m_h[5] += f;
        m_h[6] += g;
        m_h[7] += h;
    }

    std::uint32_t m_h[8]
        = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    unsigned char m_buf[64] = {};
    std::size_t m_bufLen = 0;
    std::uint64_t m_length = 0;
};

// ---- CPU kernels: each call is one unit of roughly 20-100 us ----

class Kernel {
public:
    explicit Kernel(CpuKernel kind)
        : m_kind(kind)
    {
        const std::uint64_t seed = std::uint64_t(nowNs());
        switch (kind) {
        case CpuKernel::Spin: m_state = seed | 1; break;
        case CpuKernel::Sha256:
            m_bytes.resize(8 * 1024);
            for (std::size_t i = 0; i < m_bytes.size(); ++i)
                m_bytes[i] = static_cast<unsigned char>(splitmix64(seed + i));
            break;
        case CpuKernel::Matmul:
            m_a.resize(kN * kN);
            m_b.resize(kN * kN);
            m_c.resize(kN * kN);
            for (std::size_t i = 0; i < kN * kN; ++i) {
                m_a[i] = double(splitmix64(seed + i) % 1000) / 1000.0;
                m_b[i] = double(splitmix64(seed + i + kN * kN) % 1000) / 1000.0;
            }
            break;
        case CpuKernel::Sort:
            m_ints.resize(2048);
            m_state = seed | 1;
            break;
        }
    }

    void runUnit()
    {
        switch (m_kind) {
        case CpuKernel::Spin: spin(); break;
        case CpuKernel::Sha256: sha(); break;
        case CpuKernel::Matmul: matmul(); break;
        case CpuKernel::Sort: sort(); break;
        }
    }

private:
    static constexpr std::size_t kN = 40;

    void spin()
    {
        // A dependent xorshift chain: no vectorization, no shortcut.
        std::uint64_t x = m_state;
        for (int i = 0; i < 20000; ++i) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        m_state = x;
        g_sink = x;
    }

    void sha()
    {
        const auto digest = sha256(m_bytes.data(), m_bytes.size());
        std::memcpy(m_bytes.data(), digest.data(), digest.size()); // chain the units together
        g_sink = digest[0];
    }

    void matmul()
    {
        for (std::size_t i = 0; i < kN; ++i)
            for (std::size_t j = 0; j < kN; ++j) {
                double sum = 0;
                for (std::size_t k = 0; k < kN; ++k)
                    sum += m_a[i * kN + k] * m_b[k * kN + j];
                m_c[i * kN + j] = sum;
            }
        // Feed the result back, scaled to stay finite, so no unit can be skipped.
        const double scale = 1.0 / (m_c[0] + 1.0);
        for (std::size_t i = 0; i < kN * kN; ++i)
            m_a[i] = m_c[i] * scale;
        g_sink = std::uint64_t(m_c[kN * kN - 1] * 1e6);
    }

    void sort()
    {
        std::uint64_t x = m_state;
        for (auto &v : m_ints) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v = static_cast<std::int32_t>(x);
        }
        m_state = x;
        std::sort(m_ints.begin(), m_ints.end());
        g_sink = std::uint64_t(m_ints[m_ints.size() / 2]);
    }

    CpuKernel m_kind;
    std::uint64_t m_state = 1;
    std::vector<unsigned char> m_bytes;
    std::vector<double> m_a, m_b, m_c;
    std::vector<std::int32_t> m_ints;
};

// ---- disk ----

std::uint64_t patternWord(std::uint64_t seed, std::uint64_t index)
{
    return splitmix64(seed ^ (index * 0xd1b54a32d192ed03ULL));
}

// Fills `buf` with the bytes the file holds at [offset, offset + len); offset is a multiple of 8.
void fillPattern(unsigned char *buf, std::size_t len, std::uint64_t seed, std::uint64_t offset)
{
    for (std::size_t i = 0; i < len; i += 8) {
        const std::uint64_t w = patternWord(seed, (offset + i) / 8);
        std::memcpy(buf + i, &w, std::min<std::size_t>(8, len - i));
    }
}

// ---- net ----

// The persistent connection of one thread; closed when the thread ends.
struct BlockingConnection {
    int fd = -1;
    std::uint16_t port = 0;
    ~BlockingConnection() { drop(); }
    void drop()
    {
        closeLoopbackConnection(fd); // -1: nothing
        fd = -1;
    }
};

thread_local BlockingConnection t_connection;

enum class WaitOutcome { Ready, Stopped, Error };

// Waits until `fd` has `events`, in slices so the control is honoured; on Stopped, *stop says why.
WaitOutcome waitFd(int fd, short events, const WorkControl &ctl, WorkResult *stop, int *err)
{
    for (;;) {
        if (auto s = checkControl(ctl)) {
            *stop = *s;
            return WaitOutcome::Stopped;
        }
        const std::int64_t now = nowNs();
        const std::int64_t wait = sliceEnd(now, now + kWaitSliceNs, ctl) - now;
        timespec ts { time_t(wait / kNsPerSec), long(wait % kNsPerSec) };
        pollfd p { fd, events, 0 };
        const int r = ::ppoll(&p, 1, &ts, nullptr);
        if (r > 0)
            return WaitOutcome::Ready; // also on POLLERR/POLLHUP: the next call reports it
        if (r < 0 && errno != EINTR) {
            *err = errno;
            return WaitOutcome::Error;
        }
    }
}

// Connects the thread's connection to `port`; returns a result only when it must stop.
std::optional<WorkResult> connectBlocking(std::uint16_t port, const WorkControl &ctl)
{
    BlockingConnection &c = t_connection;
    c.drop();
    bool connected = false;
    const int fd = openLoopbackConnection(port, &connected);
    if (fd < 0)
        return failed(netErrorText(errno));
    c.fd = fd;
    c.port = port;
    if (!connected) {
        WorkResult stop;
        int err = 0;
        const WaitOutcome w = waitFd(fd, POLLOUT, ctl, &stop, &err);
        if (w == WaitOutcome::Ready)
            err = socketError(fd);
        else if (w == WaitOutcome::Stopped) {
            c.drop();
            return stop;
        }
        if (err != 0) {
            c.drop();
            return failed(QStringLiteral("net: ") + errnoText(err));
        }
    }
    // From here on the socket is a blocking one, like a plain synchronous client's.
    const int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return std::nullopt;
}

enum class Exchange { Done, RetryFresh, Stop };

// One request/response on the thread's connection. `fresh`: the connection was just opened (a reused one
// may have been closed by the server while idle, which asks for one retry on a new connection).
Exchange exchange(
    const unsigned char *request, std::uint64_t expected, bool fresh, const WorkControl &ctl, WorkResult *result)
{
    BlockingConnection &c = t_connection;
    std::size_t sent = 0;
    while (sent < latency::kRequestSize) {
        const ssize_t n = ::send(c.fd, request + sent, latency::kRequestSize - sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            const int err = errno;
            c.drop();
            if (!fresh && sent == 0)
                return Exchange::RetryFresh;
            *result = failed(QStringLiteral("net: ") + errnoText(err));
            return Exchange::Stop;
        }
        sent += std::size_t(n);
    }

    static thread_local std::vector<unsigned char> scratch(64 * 1024);
    unsigned char header[latency::kResponseHeaderSize];
    const std::uint64_t total = latency::kResponseHeaderSize + expected;
    std::uint64_t received = 0;
    while (received < total) {
        int err = 0;
        const WaitOutcome w = waitFd(c.fd, POLLIN, ctl, result, &err);
        if (w == WaitOutcome::Stopped) {
            c.drop(); // the answer may still come: this connection is out of step now
            return Exchange::Stop;
        }
        if (w == WaitOutcome::Error) {
            c.drop();
            *result = failed(QStringLiteral("net: ") + errnoText(err));
            return Exchange::Stop;
        }
        const std::size_t want = std::size_t(std::min<std::uint64_t>(total - received, scratch.size()));
        const ssize_t n = ::recv(c.fd, scratch.data(), want, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            continue;
        if (n <= 0) {
            const int recvErr = n < 0 ? errno : 0;
            c.drop();
            if (!fresh && received == 0)
                return Exchange::RetryFresh;
            *result = failed(recvErr ? QStringLiteral("net: ") + errnoText(recvErr)
                                     : QStringLiteral("net: connection closed by the server"));
            return Exchange::Stop;
        }
        for (std::size_t i = 0; received + i < latency::kResponseHeaderSize && i < std::size_t(n); ++i)
            header[received + i] = scratch[i];
        const bool hadHeader = received >= latency::kResponseHeaderSize;
        received += std::uint64_t(n);
        if (!hadHeader && received >= latency::kResponseHeaderSize) {
            const std::uint64_t length = latency::getU64Le(header);
            if (length != expected) {
                c.drop();
                *result = failed(
                    QStringLiteral("net: unexpected response length %1 (asked for %2)").arg(length).arg(expected));
                return Exchange::Stop;
            }
        }
    }
    *result = ok();
    return Exchange::Done;
}

} // namespace

std::array<std::uint8_t, 32> sha256(const void *data, std::size_t len)
{
    Sha256 h;
    h.update(static_cast<const unsigned char *>(data), len);
    return h.finish();
}

WorkResult runCpu(CpuKernel kernel, double seconds, const WorkControl &ctl)
{
    if (auto s = checkControl(ctl))
        return *s;
    if (!(seconds > 0))
        return ok();
    // GIL emulation: hold the lock for the whole burn; a forced switch gives it up between units. The
    // thread burns no CPU while it waits, so the budget below is CPU time spent holding the lock.
    struct GilHold {
        const WorkControl &ctl;
        std::int64_t waited = 0;
        bool held = false;
        ~GilHold()
        {
            if (held)
                ctl.gil->release();
            if (ctl.gilWaitNs)
                *ctl.gilWaitNs += waited;
        }
    } hold { ctl };
    if (ctl.gil) {
        hold.held = ctl.gil->acquire(ctl, &hold.waited);
        if (!hold.held)
            return stoppedWhileWaiting(ctl);
    }
    // The thread CPU clock is a real system call on some VMs (~2.4 us): read it only when needed.
    const std::int64_t startCpu = threadCpuNs();
    const std::int64_t budget = secondsToNs(std::min(seconds, kMaxSeconds));
    Kernel k(kernel);
    while (threadCpuNs() - startCpu < budget) {
        k.runUnit();
        if (auto s = checkControl(ctl))
            return *s;
        if (ctl.gil) {
            hold.held = ctl.gil->checkpoint(ctl, &hold.waited);
            if (!hold.held)
                return stoppedWhileWaiting(ctl);
        }
    }
    return ok();
}

WorkResult runBlock(double seconds, const WorkControl &ctl)
{
    const std::int64_t start = nowNs();
    const std::int64_t end = start + (seconds > 0 ? secondsToNs(std::min(seconds, kMaxSeconds)) : 0);
    for (;;) {
        if (auto s = checkControl(ctl))
            return *s;
        const std::int64_t now = nowNs();
        if (now >= end)
            return ok();
        sleepUntilNs(sliceEnd(now, end, ctl));
    }
}

WorkResult runDisk(const QString &dir, std::int64_t bytes, bool fsync, const WorkControl &ctl)
{
    if (auto s = checkControl(ctl))
        return *s;
    QByteArray path = QFile::encodeName(dir);
    if (!path.endsWith('/'))
        path += '/';
    path += "hs-disk-XXXXXX";
    if (!StageFds::acquire(1))
        return failed(outOfFdsReason("disk"));
    const int fd = mkostemp(path.data(), O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        StageFds::release(1);
        return failed(
            err == EMFILE || err == ENFILE ? outOfFdsReason("disk") : QStringLiteral("disk: ") + errnoText(err));
    }
    // Removed on every way out; unlinking only after close keeps fsync doing real work on a named file.
    struct Cleanup {
        int fd;
        const char *path;
        ~Cleanup()
        {
            ::close(fd);
            ::unlink(path);
            StageFds::release(1);
        }
    } cleanup { fd, path.constData() };

    const std::uint64_t size = std::uint64_t(std::max<std::int64_t>(bytes, 0));
    const std::uint64_t seed = splitmix64(std::uint64_t(nowNs()) ^ std::uint64_t(fd));
    constexpr std::size_t kChunk = 64 * 1024;
    std::vector<unsigned char> expected(std::size_t(std::min<std::uint64_t>(size, kChunk)));
    std::vector<unsigned char> actual(expected.size());

    for (std::uint64_t off = 0; off < size;) {
        if (auto s = checkControl(ctl))
            return *s;
        const std::size_t len = std::size_t(std::min<std::uint64_t>(size - off, kChunk));
        fillPattern(expected.data(), len, seed, off);
        std::size_t done = 0;
        while (done < len) {
            const ssize_t n = ::pwrite(fd, expected.data() + done, len - done, off_t(off + done));
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                return failed(QStringLiteral("disk: ") + errnoText(errno));
            }
            done += std::size_t(n);
        }
        off += len;
    }
    if (fsync) {
        if (auto s = checkControl(ctl))
            return *s;
        if (::fsync(fd) < 0)
            return failed(QStringLiteral("disk: ") + errnoText(errno));
    }
    for (std::uint64_t off = 0; off < size;) {
        if (auto s = checkControl(ctl))
            return *s;
        const std::size_t len = std::size_t(std::min<std::uint64_t>(size - off, kChunk));
        std::size_t done = 0;
        while (done < len) {
            const ssize_t n = ::pread(fd, actual.data() + done, len - done, off_t(off + done));
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                return failed(QStringLiteral("disk: ") + errnoText(errno));
            }
            if (n == 0)
                return failed(QStringLiteral("disk: short read at byte %1 of %2").arg(off + done).arg(size));
            done += std::size_t(n);
        }
        fillPattern(expected.data(), len, seed, off);
        if (std::memcmp(expected.data(), actual.data(), len) != 0)
            return failed(QStringLiteral("disk: read back differs near byte %1").arg(off));
        off += len;
    }
    return ok();
}

WorkResult runNetBlocking(std::uint16_t port, double seconds, std::int64_t bytes, const WorkControl &ctl)
{
    if (auto s = checkControl(ctl))
        return *s;
    const std::uint64_t expected = std::uint64_t(std::max<std::int64_t>(bytes, 0));
    const std::uint64_t delayNs = seconds > 0 ? std::uint64_t(secondsToNs(std::min(seconds, kMaxSeconds))) : 0;
    if (expected > latency::kMaxResponseBytes || delayNs > latency::kMaxDelayNs)
        return failed(QStringLiteral("net: request beyond the server's limits (1 GiB, 1 h)"));
    unsigned char request[latency::kRequestSize];
    latency::encodeRequest(request, delayNs, expected);

    BlockingConnection &c = t_connection;
    bool fresh = false;
    if (c.fd < 0 || c.port != port || !isIdleConnectionUsable(c.fd)) {
        if (auto s = connectBlocking(port, ctl))
            return *s;
        fresh = true;
    }
    WorkResult result;
    if (exchange(request, expected, fresh, ctl, &result) != Exchange::RetryFresh)
        return result;
    if (auto s = connectBlocking(port, ctl))
        return *s;
    exchange(request, expected, true, ctl, &result);
    return result;
}

} // namespace hs
