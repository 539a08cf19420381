#include "core/clock.h"
#include "domains/latencyserver.h"
#include "domains/netclient.h"
#include "domains/work.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace hs;

namespace {

// Bounds are generous for a loaded 2-core CI machine; what they guard against (a server that answers
// one request at a time, a stop that waits for pending delays, a client that hangs) misses them by far.
constexpr std::int64_t kBoundNs = 5'000'000'000;

int openFdCount()
{
    return int(QDir(QStringLiteral("/proc/self/fd")).entryList(QDir::AllEntries | QDir::NoDotAndDotDot).size());
}

// Peak resident set of this process (the server runs inside it), in KiB.
qint64 peakRssKiB()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    return -1;
}

// A plain blocking test client speaking the raw protocol, independent of the engine's clients.
class RawClient {
public:
    explicit RawClient(std::uint16_t port)
    {
        bool connected = false;
        m_fd = openLoopbackConnection(port, &connected);
        if (m_fd >= 0 && !connected) {
            pollfd p { m_fd, POLLOUT, 0 };
            if (::poll(&p, 1, int(kBoundNs / 1'000'000)) != 1 || socketError(m_fd) != 0) {
                ::close(m_fd);
                m_fd = -1;
            }
        }
    }
    ~RawClient() { close(); }
    bool isOpen() const { return m_fd >= 0; }
    void close()
    {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
    }

    bool send(std::uint64_t delayNs, std::uint64_t bytes)
    {
        unsigned char req[latency::kRequestSize];
        latency::encodeRequest(req, delayNs, bytes);
        return ::send(m_fd, req, sizeof req, MSG_NOSIGNAL) == ssize_t(sizeof req);
    }

    /// Reads exactly `len` bytes (into `out` when given); false on EOF, error or after kBoundNs.
    bool readExactly(std::uint64_t len, unsigned char *out = nullptr)
    {
        std::vector<unsigned char> buf(64 * 1024);
        const std::int64_t end = nowNs() + kBoundNs;
        while (len > 0) {
            pollfd p { m_fd, POLLIN, 0 };
            const std::int64_t left = end - nowNs();
            if (left <= 0 || ::poll(&p, 1, int(left / 1'000'000) + 1) <= 0)
                return false;
            const ssize_t n
                = ::recv(m_fd, out ? out : buf.data(), std::min<std::uint64_t>(len, buf.size()), MSG_DONTWAIT);
            if (n < 0 && errno == EAGAIN)
                continue;
            if (n <= 0)
                return false;
            len -= std::uint64_t(n);
            if (out)
                out += n;
        }
        return true;
    }

    /// The length a response announces, or nothing on EOF/error/timeout.
    std::optional<std::uint64_t> readHeader()
    {
        unsigned char header[latency::kResponseHeaderSize];
        if (!readExactly(sizeof header, header))
            return std::nullopt;
        return latency::getU64Le(header);
    }

    /// True when the server closes the connection (EOF or reset) within kBoundNs.
    bool waitClosedByServer()
    {
        unsigned char buf[256];
        const std::int64_t end = nowNs() + kBoundNs;
        for (;;) {
            pollfd p { m_fd, POLLIN, 0 };
            const std::int64_t left = end - nowNs();
            if (left <= 0 || ::poll(&p, 1, int(left / 1'000'000) + 1) <= 0)
                return false;
            const ssize_t n = ::recv(m_fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno == ECONNRESET))
                return true;
            if (n < 0 && errno != EAGAIN)
                return false;
        }
    }

private:
    int m_fd = -1;
};

// Drives calls with poll(), as the loop domain does with socket notifiers; returns their final steps.
std::vector<NetCall::Step> driveCalls(const std::vector<NetCall *> &calls, std::int64_t boundNs)
{
    std::vector<NetCall::Step> steps;
    for (NetCall *c : calls)
        steps.push_back(c->start());
    const auto waiting = [](NetCall::Step s) { return s == NetCall::Step::WantRead || s == NetCall::Step::WantWrite; };
    const std::int64_t end = nowNs() + boundNs;
    for (;;) {
        std::vector<pollfd> fds;
        std::vector<std::size_t> which;
        for (std::size_t i = 0; i < calls.size(); ++i) {
            if (!waiting(steps[i]))
                continue;
            fds.push_back({ calls[i]->fd(), short(steps[i] == NetCall::Step::WantRead ? POLLIN : POLLOUT), 0 });
            which.push_back(i);
        }
        const std::int64_t left = end - nowNs();
        if (fds.empty() || left <= 0)
            return steps;
        if (::poll(fds.data(), fds.size(), int(left / 1'000'000) + 1) < 0 && errno != EINTR)
            return steps;
        for (std::size_t k = 0; k < fds.size(); ++k)
            if (fds[k].revents != 0)
                steps[which[k]] = calls[which[k]]->onReady();
    }
}

NetCall::Step driveCall(NetCall &call, std::int64_t boundNs = kBoundNs)
{
    return driveCalls({ &call }, boundNs).front();
}

} // namespace

class TestLatencyServer : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void answersAfterDelay_data();
    void answersAfterDelay();
    void blockingClientRequest();
    void pipelinedRequestsAnsweredInOrder();
    void concurrentBlockingClients();
    void netCallCompletesAndReusesConnection();
    void manyNetCallsInOneLoop();
    void netCallNoticesStaleConnectionAndRefusal();
    void absurdRequestRefused_data();
    void absurdRequestRefused();
    void largestResponseStreamedWithoutAllocating();
    void blockingClientTimeoutAndCancelDropConnection();
    void blockingClientReconnectsAfterRestart();
    void blockingClientConnectionRefused();
    void stopWithOpenConnectionsIsPrompt();
    void noFdLeak();

private:
    std::unique_ptr<LatencyServer> m_server;
};

void TestLatencyServer::init()
{
    m_server = std::make_unique<LatencyServer>();
    QString error;
    QVERIFY2(m_server->start(&error), qPrintable(error));
    QVERIFY(m_server->port() != 0);
    QVERIFY(m_server->isRunning());
}

void TestLatencyServer::cleanup()
{
    m_server.reset();
}

void TestLatencyServer::answersAfterDelay_data()
{
    QTest::addColumn<qint64>("delayNs");
    QTest::addColumn<qint64>("bytes");
    QTest::newRow("2 ms, 4 KiB") << qint64(2'000'000) << qint64(4096);
    QTest::newRow("no delay, empty") << qint64(0) << qint64(0);
    QTest::newRow("no delay, 3 MiB (partial writes)") << qint64(0) << qint64(3 * 1024 * 1024 + 5);
    QTest::newRow("25 ms, 100 B") << qint64(25'000'000) << qint64(100);
}

void TestLatencyServer::answersAfterDelay()
{
    QFETCH(qint64, delayNs);
    QFETCH(qint64, bytes);
    RawClient client(m_server->port());
    QVERIFY(client.isOpen());
    for (int round = 0; round < 2; ++round) { // twice: the connection stays usable
        const std::int64_t start = nowNs();
        QVERIFY(client.send(std::uint64_t(delayNs), std::uint64_t(bytes)));
        const auto length = client.readHeader();
        QVERIFY(length.has_value());
        QCOMPARE(*length, std::uint64_t(bytes));
        QVERIFY(client.readExactly(std::uint64_t(bytes)));
        const std::int64_t elapsed = nowNs() - start;
        QVERIFY2(elapsed >= delayNs, qPrintable(QString::number(nsToMs(double(elapsed)))));
        QVERIFY(elapsed < delayNs + kBoundNs);
    }
}

void TestLatencyServer::blockingClientRequest()
{
    const std::int64_t start = nowNs();
    const WorkResult r = runNetBlocking(m_server->port(), 0.002, 4096, {});
    const std::int64_t elapsed = nowNs() - start;
    QVERIFY2(r.status == WorkStatus::Ok, qPrintable(r.reason));
    QVERIFY(elapsed >= 2'000'000);
    QVERIFY(elapsed < kBoundNs);
}

void TestLatencyServer::pipelinedRequestsAnsweredInOrder()
{
    RawClient client(m_server->port());
    QVERIFY(client.isOpen());
    const std::int64_t start = nowNs();
    // The first answer is due last; it must still come first.
    QVERIFY(client.send(30'000'000, 100));
    QVERIFY(client.send(0, 200));
    QVERIFY(client.send(10'000'000, 300));
    for (std::uint64_t expected : { 100, 200, 300 }) {
        const auto length = client.readHeader();
        QVERIFY(length.has_value());
        QCOMPARE(*length, expected);
        QVERIFY(client.readExactly(expected));
        QVERIFY(nowNs() - start >= 30'000'000);
    }
}

void TestLatencyServer::concurrentBlockingClients()
{
    constexpr int kClients = 50;
    constexpr int kRequests = 20;
    constexpr double kDelay = 0.010;
    std::atomic<int> okCount { 0 };
    std::mutex errorMutex;
    QString firstError;
    const std::uint16_t port = m_server->port();
    const std::int64_t start = nowNs();
    std::vector<std::thread> threads;
    for (int t = 0; t < kClients; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kRequests; ++i) {
                const std::int64_t bytes = (t * 31 + i * 977) % 20000;
                const WorkResult r = runNetBlocking(port, kDelay, bytes, { nullptr, nowNs() + kBoundNs });
                if (r.status == WorkStatus::Ok) {
                    okCount.fetch_add(1);
                } else {
                    std::lock_guard lock(errorMutex);
                    if (firstError.isEmpty())
                        firstError = r.reason;
                }
            }
        });
    }
    for (auto &t : threads)
        t.join();
    const std::int64_t elapsed = nowNs() - start;
    QVERIFY2(okCount.load() == kClients * kRequests, qPrintable(firstError));
    // Served one at a time this would take 50 * 20 * 10 ms = 10 s; concurrently about 200 ms.
    QVERIFY2(elapsed < 4'000'000'000, qPrintable(QString::number(nsToMs(double(elapsed)))));
}

void TestLatencyServer::netCallCompletesAndReusesConnection()
{
    NetConnectionPool pool;
    int firstFd = -1;
    {
        NetCall call(pool, m_server->port(), 2'000'000, 4096);
        QVERIFY(!call.reusedConnection());
        firstFd = call.fd();
        QVERIFY(firstFd >= 0);
        const std::int64_t start = nowNs();
        QCOMPARE(driveCall(call), NetCall::Step::Done);
        QVERIFY(nowNs() - start >= 2'000'000);
        QVERIFY(call.error().isEmpty());
    }
    QCOMPARE(pool.idleCount(), std::size_t(1));
    {
        NetCall call(pool, m_server->port(), 0, 70'000);
        QVERIFY(call.reusedConnection());
        QCOMPARE(call.fd(), firstFd);
        QCOMPARE(pool.idleCount(), std::size_t(0));
        QCOMPARE(driveCall(call), NetCall::Step::Done);
    }
    QCOMPARE(pool.idleCount(), std::size_t(1));
    {
        // Abandoned half-way (a cancelled stage): its connection must not go back to the pool.
        NetCall call(pool, m_server->port(), 5'000'000'000, 10);
        QCOMPARE(call.start(), NetCall::Step::WantRead);
    }
    QCOMPARE(pool.idleCount(), std::size_t(0));
    {
        NetCall call(pool, m_server->port(), 0, 10);
        QVERIFY(!call.reusedConnection());
        QCOMPARE(driveCall(call), NetCall::Step::Done);
    }
}

void TestLatencyServer::manyNetCallsInOneLoop()
{
    NetConnectionPool pool(16);
    std::vector<std::unique_ptr<NetCall>> calls;
    std::vector<NetCall *> raw;
    for (int i = 0; i < 100; ++i) {
        calls.push_back(std::make_unique<NetCall>(pool, m_server->port(), 5'000'000, i * 1000));
        raw.push_back(calls.back().get());
    }
    const std::int64_t start = nowNs();
    const auto steps = driveCalls(raw, kBoundNs);
    QVERIFY(nowNs() - start >= 5'000'000);
    for (std::size_t i = 0; i < steps.size(); ++i)
        QVERIFY2(steps[i] == NetCall::Step::Done, qPrintable(calls[i]->error()));
    calls.clear();
    QCOMPARE(pool.idleCount(), std::size_t(16)); // the rest were closed, not kept
}

void TestLatencyServer::netCallNoticesStaleConnectionAndRefusal()
{
    NetConnectionPool pool;
    const std::uint16_t port = m_server->port();
    {
        NetCall call(pool, port, 0, 10);
        QCOMPARE(driveCall(call), NetCall::Step::Done);
    }
    QCOMPARE(pool.idleCount(), std::size_t(1));
    m_server->stop();
    // The idle connection was closed by the server: the pool must not hand it out, and nobody listens.
    NetCall call(pool, port, 0, 10);
    QVERIFY(!call.reusedConnection());
    QCOMPARE(driveCall(call), NetCall::Step::Failed);
    QVERIFY2(call.error().startsWith(QStringLiteral("net: ")), qPrintable(call.error()));
    QVERIFY2(call.error().contains(QStringLiteral("refused")), qPrintable(call.error()));
}

void TestLatencyServer::absurdRequestRefused_data()
{
    QTest::addColumn<quint64>("delayNs");
    QTest::addColumn<quint64>("bytes");
    QTest::newRow("1 TiB") << quint64(0) << (quint64(1) << 40);
    QTest::newRow("1 GiB + 1") << quint64(0) << quint64(latency::kMaxResponseBytes + 1);
    QTest::newRow("2^64 - 1 bytes") << quint64(0) << ~quint64(0);
    QTest::newRow("2 hours") << quint64(7200) * 1'000'000'000 << quint64(1);
}

void TestLatencyServer::absurdRequestRefused()
{
    QFETCH(quint64, delayNs);
    QFETCH(quint64, bytes);
    const qint64 rss0 = peakRssKiB();
    RawClient client(m_server->port());
    QVERIFY(client.isOpen());
    QVERIFY(client.send(delayNs, bytes));
    QVERIFY(client.waitClosedByServer());
    QVERIFY(peakRssKiB() - rss0 < 64 * 1024);
    // Other clients are still served.
    RawClient other(m_server->port());
    QVERIFY(other.send(0, 10));
    QCOMPARE(other.readHeader().value_or(0), std::uint64_t(10));
}

void TestLatencyServer::largestResponseStreamedWithoutAllocating()
{
    const qint64 rss0 = peakRssKiB();
    QVERIFY(rss0 > 0);
    {
        RawClient client(m_server->port());
        QVERIFY(client.send(0, latency::kMaxResponseBytes));
        QCOMPARE(client.readHeader().value_or(0), latency::kMaxResponseBytes);
        QVERIFY(client.readExactly(8 * 1024 * 1024));
    } // closed with most of the answer unread: the server must give up on it
    RawClient other(m_server->port());
    QVERIFY(other.send(0, 10));
    QCOMPARE(other.readHeader().value_or(0), std::uint64_t(10));
    QVERIFY2(peakRssKiB() - rss0 < 64 * 1024, qPrintable(QString::number(peakRssKiB() - rss0)));
}

void TestLatencyServer::blockingClientTimeoutAndCancelDropConnection()
{
    const std::uint16_t port = m_server->port();
    std::int64_t start = nowNs();
    WorkResult r = runNetBlocking(port, 10.0, 111, { nullptr, start + 30'000'000 });
    QCOMPARE(r.status, WorkStatus::TimedOut);
    QVERIFY(nowNs() - start < 30'000'000 + kBoundNs);
    // Had the connection been kept, this answer would queue behind the 10 s one.
    start = nowNs();
    r = runNetBlocking(port, 0, 222, { nullptr, start + kBoundNs });
    QVERIFY2(r.status == WorkStatus::Ok, qPrintable(r.reason));

    std::atomic<bool> cancel { false };
    std::int64_t cancelledAt = 0;
    std::thread canceller([&] {
        sleepUntilNs(nowNs() + 20'000'000);
        cancelledAt = nowNs();
        cancel.store(true);
    });
    r = runNetBlocking(port, 10.0, 333, { &cancel, 0 });
    const std::int64_t returnedAt = nowNs();
    canceller.join();
    QCOMPARE(r.status, WorkStatus::Cancelled);
    QVERIFY(returnedAt - cancelledAt < kBoundNs);
    r = runNetBlocking(port, 0, 444, { nullptr, nowNs() + kBoundNs });
    QVERIFY2(r.status == WorkStatus::Ok, qPrintable(r.reason));
}

void TestLatencyServer::blockingClientReconnectsAfterRestart()
{
    const std::uint16_t port = m_server->port();
    WorkResult r = runNetBlocking(port, 0, 10, { nullptr, nowNs() + kBoundNs });
    QVERIFY2(r.status == WorkStatus::Ok, qPrintable(r.reason));
    m_server->stop();
    QString error;
    if (!m_server->start(&error, port))
        QSKIP("the port was taken by someone else meanwhile");
    // This thread's persistent connection went down with the old server.
    r = runNetBlocking(port, 0, 20, { nullptr, nowNs() + kBoundNs });
    QVERIFY2(r.status == WorkStatus::Ok, qPrintable(r.reason));
}

void TestLatencyServer::blockingClientConnectionRefused()
{
    const std::uint16_t port = m_server->port();
    m_server->stop();
    const WorkResult r = runNetBlocking(port, 0, 10, { nullptr, nowNs() + kBoundNs });
    QCOMPARE(r.status, WorkStatus::Failed);
    QVERIFY2(r.reason.startsWith(QStringLiteral("net: ")), qPrintable(r.reason));
}

void TestLatencyServer::stopWithOpenConnectionsIsPrompt()
{
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 30; ++i) {
        clients.push_back(std::make_unique<RawClient>(m_server->port()));
        QVERIFY(clients.back()->isOpen());
        if (i % 3 == 0)
            QVERIFY(clients.back()->send(60'000'000'000, 10)); // due in a minute
        else if (i % 3 == 1)
            QVERIFY(clients.back()->send(0, latency::kMaxResponseBytes)); // never read: the server's writes stall
    }
    // Make sure the server has taken every request in before stopping it.
    RawClient probe(m_server->port());
    QVERIFY(probe.send(0, 1));
    QCOMPARE(probe.readHeader().value_or(0), std::uint64_t(1));

    const std::int64_t start = nowNs();
    m_server->stop();
    const std::int64_t elapsed = nowNs() - start;
    QVERIFY2(elapsed < 1'000'000'000, qPrintable(QString::number(nsToMs(double(elapsed)))));
    QVERIFY(!m_server->isRunning());
    m_server->stop(); // idempotent
    for (int i = 0; i < 30; i += 3)
        QVERIFY(clients[std::size_t(i)]->waitClosedByServer());
}

void TestLatencyServer::noFdLeak()
{
    m_server.reset();
    openFdCount(); // let Qt open whatever it keeps open for directory listing
    const int before = openFdCount();
    {
        LatencyServer server;
        QString error;
        QVERIFY2(server.start(&error), qPrintable(error));
        std::thread worker([port = server.port()] {
            for (int i = 0; i < 5; ++i)
                runNetBlocking(port, 0, 100, {});
            runNetBlocking(port, 10.0, 100, { nullptr, nowNs() + 5'000'000 }); // times out, drops its connection
            runNetBlocking(port, 0, 100, {});
        }); // its persistent connection closes when it ends
        worker.join();
        NetConnectionPool pool;
        for (int i = 0; i < 3; ++i) {
            NetCall call(pool, server.port(), 0, 1000);
            QCOMPARE(driveCall(call), NetCall::Step::Done);
        }
        RawClient pending(server.port());
        QVERIFY(pending.send(10'000'000'000, 1));
        RawClient refused(server.port());
        QVERIFY(refused.send(0, ~quint64(0)));
        QVERIFY(refused.waitClosedByServer());
        QVERIFY(openFdCount() > before);
        server.stop();
    }
    QTemporaryDir dir;
    runDisk(dir.path(), 4096, true, {});
    QCOMPARE(openFdCount(), before);
}

QTEST_GUILESS_MAIN(TestLatencyServer)
#include "tst_latencyserver.moc"
