// The GUI attached to a served run (DESIGN §14, docs/serve.md): addresses parsed or refused by
// name; the EngineController's remote mode against a small /live server in the test (the hello
// loads the run and replays its frames and events, commands go out and refusals come back as the
// local ones do, malformed messages are skipped and counted, a dropped connection is retried and
// its new hello adds no frame twice, the end finishes the run; a refused connection, HTTP 401,
// another protocol and a hello that is not one each fail with a message naming it); the main
// window attached (title, status bar, what is disabled, the banner of a lost connection, Detach,
// the export of what was received); and end to end with `hybridscope run --serve`: a pool resized
// from the window's card shows in the remote engine's frames, and Detach leaves the run going.

#include "attachdialog.h"
#include "domaincard.h"
#include "enginecontroller.h"
#include "mainwindow.h"
#include "remoterun.h"
#include "reportexporter.h"
#include "serve/liveprotocol.h"
#include "testutil.h"

#include <QAction>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>
#include <QWebSocketServer>

#include <functional>

using namespace hs;

namespace {
constexpr int kBoundMs = 5000; // one message or a reconnect on a loaded machine
constexpr int kRunBoundMs = 20000; // a real run starting or ending

const char *kFakeYaml = R"(name: Fake served run
duration: 30s
domains:
  threads: { workers: 2 }
classes:
  - name: api
    arrival: { process: constant, rate: 50/s }
    stages:
      - { name: fetch, work: block, time: 2ms, domain: threads }
)";

Frame fakeFrame(double t, int workers = 2)
{
    Frame f;
    f.t = t;
    f.domains[std::size_t(DomainKind::Loop)].workers = 1;
    f.domains[std::size_t(DomainKind::Threads)].workers = workers;
    f.classes.resize(1);
    f.classes[0].submitted = std::uint64_t(t * 50);
    f.classes[0].completed = std::uint64_t(t * 50) / 2;
    return f;
}

/// The times of fakeFrame(i * 0.05) for i in [from, to], computed as they are.
std::vector<double> times(int from, int to)
{
    std::vector<double> t;
    for (int i = from; i <= to; ++i)
        t.push_back(i * 0.05);
    return t;
}

QString toText(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

/// A /live server with the protocol's messages, as much of it as a client sees: a hello of the
/// frames and events so far, then what the test pushes; commands are kept for the test to answer.
class FakeLive : public QObject {
public:
    QWebSocketServer server { QStringLiteral("fake-live"), QWebSocketServer::NonSecureMode };
    QList<QWebSocket *> clients;
    QList<QJsonObject> commands;
    QList<QByteArray> authorizations;
    std::vector<Frame> frames;
    std::vector<RunEvent> events;
    int protocol = kLiveProtocol;
    int hellos = 0;
    int disconnects = 0;
    /// Answers each command at once (ok unless it names the refused type).
    QString refuse;

    FakeLive()
    {
        if (!server.listen(QHostAddress::LocalHost, 0))
            qFatal("fake /live cannot listen");
        connect(&server, &QWebSocketServer::newConnection, this, [this] {
            while (QWebSocket *s = server.nextPendingConnection()) {
                clients << s;
                authorizations << s->request().rawHeader("Authorization");
                connect(s, &QWebSocket::disconnected, this, [this, s] {
                    ++disconnects;
                    clients.removeAll(s);
                    s->deleteLater();
                });
                connect(s, &QWebSocket::textMessageReceived, this, [this, s](const QString &text) {
                    const QJsonObject o = QJsonDocument::fromJson(text.toUtf8()).object();
                    commands << o;
                    const QString type = o.value(QLatin1String("type")).toString();
                    const bool ok = type != refuse;
                    s->sendTextMessage(toText(liveAckJson(ok, ok ? QString() : QStringLiteral("refused by the test"),
                        type, o.value(QLatin1String("id")))));
                });
                sendHello(s);
            }
        });
    }
    ~FakeLive() override
    {
        // The sockets go with the server; their signals must not reach this half-destroyed object.
        for (QWebSocket *s : std::as_const(clients))
            s->disconnect(this);
        server.disconnect(this);
    }
    QString address() const { return QStringLiteral("127.0.0.1:%1").arg(server.serverPort()); }

    void sendHello(QWebSocket *s)
    {
        LiveHello h;
        h.protocol = protocol;
        h.version = hybridscopeVersion();
        h.name = QStringLiteral("Fake served run");
        h.scenarioYaml = QString::fromUtf8(kFakeYaml);
        h.elapsedS = frames.empty() ? 0.0 : frames.back().t;
        h.durationS = 30;
        h.classes = { QStringLiteral("api") };
        h.frames = frames;
        h.events = events;
        QJsonObject o = liveHelloJson(h, QJsonObject {});
        o[QStringLiteral("protocol")] = protocol;
        ++hellos;
        s->sendTextMessage(toText(o));
    }
    void broadcast(const QString &text)
    {
        for (QWebSocket *s : clients)
            s->sendTextMessage(text);
    }
    void pushFrame(double t, int workers = 2)
    {
        frames.push_back(fakeFrame(t, workers));
        QJsonObject o = liveFrameJson(frames.back());
        o[QStringLiteral("type")] = QStringLiteral("frame");
        o[QStringLiteral("dropped")] = 0;
        broadcast(toText(o));
    }
    void pushEvent(double t, const QString &label)
    {
        events.push_back(RunEvent { t, label, QStringLiteral("resize") });
        QJsonObject o = liveEventJson(events.back());
        o[QStringLiteral("type")] = QStringLiteral("event");
        broadcast(toText(o));
    }
    /// The connection drops without a close handshake (a network failure, the server killed).
    void dropClients()
    {
        for (QWebSocket *s : clients)
            s->abort();
    }
};

/// Answers every connection with an HTTP status instead of the upgrade (a wrong token: 401).
class HttpRefuser : public QObject {
public:
    QTcpServer server;
    QByteArray lastRequest;
    explicit HttpRefuser(QByteArray status)
    {
        server.listen(QHostAddress::LocalHost, 0);
        connect(&server, &QTcpServer::newConnection, this, [this, status] {
            QTcpSocket *s = server.nextPendingConnection();
            connect(s, &QTcpSocket::readyRead, s, [this, s, status] {
                lastRequest += s->readAll();
                if (!lastRequest.contains("\r\n\r\n"))
                    return;
                s->write("HTTP/1.1 " + status + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                s->disconnectFromHost();
            });
            connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
        });
    }
    QString address() const { return QStringLiteral("127.0.0.1:%1").arg(server.serverPort()); }
};

AttachTarget target(const QString &address, const QString &token = {})
{
    QString error;
    std::optional<AttachTarget> t = AttachTarget::parse(address, &error);
    if (!t)
        qFatal("bad test address %s: %s", qPrintable(address), qPrintable(error));
    t->token = token;
    return *t;
}
} // namespace

class TestAttach : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("HybridscopeTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_attach"));
        QSettings().clear();
        QVERIFY(m_dir.isValid());
    }

    void parseAddress_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("address"); // empty: refused
        QTest::addColumn<QString>("error"); // a word of the refusal
        QTest::newRow("host:port") << "127.0.0.1:9400"
                                   << "127.0.0.1:9400"
                                   << "";
        QTest::newRow("name") << " lab-box:80 "
                              << "lab-box:80"
                              << "";
        QTest::newRow("printed") << "http://127.0.0.1:9400"
                                 << "127.0.0.1:9400"
                                 << "";
        QTest::newRow("ws url") << "ws://localhost:9400/live"
                                << "localhost:9400"
                                << "";
        QTest::newRow("ipv6") << "[::1]:9400"
                              << "[::1]:9400"
                              << "";
        QTest::newRow("empty") << ""
                               << ""
                               << "no address";
        QTest::newRow("no port") << "127.0.0.1"
                                 << ""
                                 << "no port";
        QTest::newRow("port 0") << "127.0.0.1:0"
                                << ""
                                << "1 to 65535";
        QTest::newRow("port word") << "127.0.0.1:http"
                                   << ""
                                   << "1 to 65535";
        QTest::newRow("port big") << "127.0.0.1:70000"
                                  << ""
                                  << "1 to 65535";
        QTest::newRow("no host") << ":9400"
                                 << ""
                                 << "no host";
        QTest::newRow("bare ipv6") << "::1:9400"
                                   << ""
                                   << "brackets";
        QTest::newRow("bad host") << "bad host:9400"
                                  << ""
                                  << "host";
        QTest::newRow("tls") << "https://box:9400"
                             << ""
                             << "SSH tunnel";
        QTest::newRow("path") << "http://box:9400/other"
                              << ""
                              << "/live";
    }

    void parseAddress()
    {
        QFETCH(QString, text);
        QFETCH(QString, address);
        QFETCH(QString, error);
        QString why;
        const std::optional<AttachTarget> t = AttachTarget::parse(text, &why);
        if (address.isEmpty()) {
            QVERIFY2(!t, qPrintable(text));
            QVERIFY2(why.contains(error), qPrintable(why));
        } else {
            QVERIFY2(t, qPrintable(why));
            QCOMPARE(t->address(), address);
            QCOMPARE(t->url().path(), QStringLiteral("/live"));
        }
    }

    void tokenFile()
    {
        // As the server reads it: the first line of a file private to its owner.
        QString error;
        const QString good = test::writeFile(m_dir, QStringLiteral("token"), "  s3cret-token-0123456789\nrest\n");
        QVERIFY(QFile::setPermissions(good, QFileDevice::ReadOwner | QFileDevice::WriteOwner));
        QCOMPARE(AttachDialog::readTokenFile(good, &error), QStringLiteral("s3cret-token-0123456789"));
        QVERIFY(QFile::setPermissions(good, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadOther));
        QVERIFY(AttachDialog::readTokenFile(good, &error).isEmpty());
        QVERIFY2(error.contains(QStringLiteral("chmod 600")), qPrintable(error));
        QVERIFY(AttachDialog::readTokenFile(m_dir.filePath(QStringLiteral("missing")), &error).isEmpty());
        QVERIFY2(error.contains(QStringLiteral("missing")), qPrintable(error));

        // The dialog names a bad address and stays open; a good one is remembered, the token never.
        AttachDialog d;
        d.addressEdit()->setText(QStringLiteral("127.0.0.1"));
        d.tokenEdit()->setText(QStringLiteral("hidden"));
        QCOMPARE(d.tokenEdit()->echoMode(), QLineEdit::Password);
        d.accept();
        QCOMPARE(d.result(), int(QDialog::Rejected));
        QVERIFY2(d.errorText().contains(QStringLiteral("no port")), qPrintable(d.errorText()));
        d.addressEdit()->setText(QStringLiteral("127.0.0.1:9401"));
        d.accept();
        QCOMPARE(d.result(), int(QDialog::Accepted));
        QCOMPARE(QSettings().value(QStringLiteral("attach/address")).toString(), QStringLiteral("127.0.0.1:9401"));
        for (const QString &key : QSettings().allKeys())
            QVERIFY2(!QSettings().value(key).toString().contains(QStringLiteral("hidden")), qPrintable(key));
        AttachDialog again;
        QCOMPARE(again.address(), QStringLiteral("127.0.0.1:9401"));
        QVERIFY(again.token().isEmpty());
    }

    // Hello, replayed and live frames and events, commands and their refusals, malformed messages,
    // the end.
    void controllerFollowsTheRun()
    {
        FakeLive live;
        for (int i = 1; i <= 4; ++i)
            live.frames.push_back(fakeFrame(i * 0.05));
        live.events.push_back(RunEvent { 0.1, QStringLiteral("threads workers 1 → 2"), QStringLiteral("resize") });

        EngineController c;
        std::vector<double> times;
        QStringList labels;
        Scenario loaded;
        bool startedAfterScenario = false;
        connect(&c, &EngineController::remoteScenario, this, [&](const Scenario &s, const QByteArray &, bool newRun) {
            QVERIFY(newRun);
            loaded = s;
        });
        connect(&c, &EngineController::started, this, [&] { startedAfterScenario = !loaded.name.isEmpty(); });
        connect(&c, &EngineController::frameReady, this, [&](const Frame &f) { times.push_back(f.t); });
        connect(&c, &EngineController::eventAdded, this, [&](const RunEvent &e) { labels << e.label; });
        QStringList notices;
        connect(&c, &EngineController::remoteNotice, this, [&](const QString &t) { notices << t; });
        QSignalSpy started(&c, &EngineController::started);
        QSignalSpy failedCmd(&c, &EngineController::domainCommandFailed);
        QSignalSpy reassignFailed(&c, &EngineController::reassignFailed);
        QSignalSpy finished(&c, &EngineController::finished);
        QSignalSpy released(&c, &EngineController::engineReleased);

        QVERIFY(c.attach(target(live.address(), QStringLiteral("tok"))));
        QVERIFY(c.isRemote());
        QVERIFY(started.wait(kBoundMs));
        QVERIFY(startedAfterScenario);
        QCOMPARE(loaded.name, QStringLiteral("Fake served run"));
        QCOMPARE(loaded.classes.size(), std::size_t(1));
        QCOMPARE(c.state(), EngineController::State::Running);
        QCOMPARE(live.authorizations.value(0), QByteArray("Bearer tok"));
        QCOMPARE(times, ::times(1, 4));
        QCOMPARE(labels, QStringList { QStringLiteral("threads workers 1 → 2") });

        live.pushFrame(5 * 0.05);
        live.pushEvent(0.25, QStringLiteral("api.fetch → tbb"));
        QTRY_COMPARE_WITH_TIMEOUT(times.size(), std::size_t(5), kBoundMs);
        QTRY_COMPARE_WITH_TIMEOUT(labels.size(), 2, kBoundMs);

        // Commands: out as messages, each with an id; refusals as a local engine's are told.
        c.resize(DomainKind::Threads, 6);
        QTRY_COMPARE_WITH_TIMEOUT(live.commands.size(), 1, kBoundMs);
        QCOMPARE(live.commands[0].value(QLatin1String("type")).toString(), QStringLiteral("resize"));
        QCOMPARE(live.commands[0].value(QLatin1String("domain")).toString(), QStringLiteral("threads"));
        QCOMPARE(live.commands[0].value(QLatin1String("workers")).toInt(), 6);
        QVERIFY(live.commands[0].contains(QLatin1String("id")));
        live.refuse = QStringLiteral("reassign");
        c.reassign(QStringLiteral("api.fetch"), DomainKind::Procs);
        QVERIFY(reassignFailed.wait(kBoundMs));
        QCOMPARE(reassignFailed.at(0).at(0).toString(), QStringLiteral("api.fetch"));
        QCOMPARE(reassignFailed.at(0).at(1).value<DomainKind>(), DomainKind::Threads); // the route it still has
        QCOMPARE(reassignFailed.at(0).at(2).toString(), QStringLiteral("refused by the test"));
        live.refuse = QStringLiteral("backpressure");
        c.setBackpressure(DomainKind::Threads, Backpressure { 10, 0, OnFull::Reject });
        QVERIFY(failedCmd.wait(kBoundMs));
        QCOMPARE(failedCmd.at(0).at(0).value<DomainKind>(), DomainKind::Threads);
        QSignalSpy autoscaled(&c, &EngineController::autoscaleApplied);
        AutoscaleConfig a;
        a.policy = AutoscalePolicy::Queue;
        a.max = 12;
        c.setAutoscale(DomainKind::Threads, a);
        QVERIFY(autoscaled.wait(kBoundMs));
        c.setGil(true);
        QTRY_COMPARE_WITH_TIMEOUT(live.commands.size(), 5, kBoundMs);
        QCOMPARE(live.commands[4].value(QLatin1String("type")).toString(), QStringLiteral("gil"));
        QCOMPARE(live.commands[4].value(QLatin1String("enabled")).toBool(), true);
        QCOMPARE(failedCmd.size(), 1); // ok acks say nothing

        // Malformed messages: skipped, counted and told; the run goes on.
        live.broadcast(QStringLiteral("{not json"));
        live.broadcast(QStringLiteral(R"({"type":"surprise"})"));
        QJsonObject bad = liveFrameJson(fakeFrame(0.3));
        bad[QStringLiteral("type")] = QStringLiteral("frame");
        bad[QStringLiteral("classes")] = QJsonArray {};
        live.broadcast(toText(bad));
        bad = liveFrameJson(fakeFrame(0.3));
        bad[QStringLiteral("type")] = QStringLiteral("frame");
        bad.remove(QStringLiteral("domains"));
        live.broadcast(toText(bad));
        live.pushFrame(0.3);
        QTRY_COMPARE_WITH_TIMEOUT(times.size(), std::size_t(6), kBoundMs);
        QCOMPARE(c.remoteMalformed(), 4);
        QCOMPARE(notices.size(), 4);
        QVERIFY2(notices[0].contains(QStringLiteral("not JSON")), qPrintable(notices[0]));
        QVERIFY2(notices[1].contains(QStringLiteral("surprise")), qPrintable(notices[1]));
        QVERIFY2(notices[2].contains(QStringLiteral("classes")), qPrintable(notices[2]));
        QVERIFY2(notices[3].contains(QStringLiteral("domains")), qPrintable(notices[3]));

        // The end: finished and released; nothing to call a RunResult here.
        live.broadcast(toText(liveEndJson(QStringLiteral("stopped"), 0.3)));
        QVERIFY(finished.wait(kBoundMs));
        QTRY_COMPARE_WITH_TIMEOUT(released.size(), 1, kBoundMs);
        QCOMPARE(c.remoteEndReason(), QStringLiteral("stopped"));
        QVERIFY(!c.hasResult());
        QVERIFY(!c.isRemote());
        QCOMPARE(c.state(), EngineController::State::Idle);
    }

    // A dropped connection: told, retried after kFirstRetryMs; the new hello overlaps what was
    // received and adds none of it again.
    void reconnectAddsNoFrameTwice()
    {
        FakeLive live;
        for (int i = 1; i <= 4; ++i)
            live.frames.push_back(fakeFrame(i * 0.05));
        EngineController c;
        std::vector<double> times;
        QStringList labels;
        int newRuns = 0, configs = 0;
        connect(&c, &EngineController::frameReady, this, [&](const Frame &f) { times.push_back(f.t); });
        connect(&c, &EngineController::eventAdded, this, [&](const RunEvent &e) { labels << e.label; });
        connect(&c, &EngineController::remoteScenario, this,
            [&](const Scenario &, const QByteArray &, bool newRun) { ++(newRun ? newRuns : configs); });
        QList<std::pair<bool, bool>> connection; // up, final
        connect(&c, &EngineController::remoteConnection, this, [&](bool up, const QString &, bool final) {
            connection << std::pair { up, final };
        });
        QSignalSpy started(&c, &EngineController::started);
        QVERIFY(c.attach(target(live.address())));
        QVERIFY(started.wait(kBoundMs));
        live.pushEvent(0.2, QStringLiteral("first"));
        live.pushFrame(5 * 0.05);
        QTRY_COMPARE_WITH_TIMEOUT(times.size(), std::size_t(5), kBoundMs);
        QTRY_COMPARE_WITH_TIMEOUT(labels.size(), 1, kBoundMs);

        QElapsedTimer down;
        down.start();
        live.dropClients();
        QTRY_VERIFY_WITH_TIMEOUT(connection.size() == 2, kBoundMs);
        QCOMPARE(connection[1], (std::pair { false, false })); // down, retrying
        QVERIFY(c.isRemote());
        QVERIFY(!c.isConnected());
        // Meanwhile the run went on: the next hello holds these, and the frames received before.
        live.frames.push_back(fakeFrame(6 * 0.05));
        live.events.push_back(RunEvent { 0.3, QStringLiteral("second"), QStringLiteral("resize") });
        live.frames.push_back(fakeFrame(7 * 0.05));
        QTRY_VERIFY_WITH_TIMEOUT(connection.size() == 3, kBoundMs);
        QVERIFY(down.elapsed() >= RemoteRun::kFirstRetryMs - 50); // the first retry waits
        QCOMPARE(connection[2], (std::pair { true, false }));
        QCOMPARE(live.hellos, 2);
        QCOMPARE(newRuns, 1);
        QCOMPARE(configs, 1); // the configuration again, not a new run
        QTRY_COMPARE_WITH_TIMEOUT(times.size(), std::size_t(7), kBoundMs);
        QCOMPARE(times, ::times(1, 7));
        QCOMPARE(labels, (QStringList { QStringLiteral("first"), QStringLiteral("second") }));
        live.pushFrame(8 * 0.05);
        QTRY_COMPARE_WITH_TIMEOUT(times.size(), std::size_t(8), kBoundMs);

        // Detach closes the socket and lets the run be.
        const int before = live.disconnects;
        c.detach();
        QVERIFY(!c.isRemote());
        QTRY_COMPARE_WITH_TIMEOUT(live.disconnects, before + 1, kBoundMs);
    }

    void refusalsNameWhat_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("expected");
        QTest::newRow("connection refused") << "refused"
                                            << "refused the connection";
        QTest::newRow("wrong token") << "401"
                                     << "HTTP 401";
        QTest::newRow("not a served run") << "404"
                                          << "HTTP 404";
        QTest::newRow("other protocol") << "protocol"
                                        << "protocol 2";
        QTest::newRow("not a hello") << "garbage"
                                     << "not a hello";
    }

    void refusalsNameWhat()
    {
        QFETCH(QString, kind);
        QFETCH(QString, expected);
        std::unique_ptr<FakeLive> live;
        std::unique_ptr<HttpRefuser> http;
        QString address;
        if (kind == QLatin1String("refused")) {
            QTcpServer gone; // a port nothing listens on any more
            QVERIFY(gone.listen(QHostAddress::LocalHost, 0));
            address = QStringLiteral("127.0.0.1:%1").arg(gone.serverPort());
        } else if (kind == QLatin1String("401") || kind == QLatin1String("404")) {
            http = std::make_unique<HttpRefuser>(
                kind == QLatin1String("401") ? QByteArray("401 Unauthorized") : QByteArray("404 Not Found"));
            address = http->address();
        } else if (kind == QLatin1String("protocol")) {
            live = std::make_unique<FakeLive>();
            live->protocol = 2;
            address = live->address();
        } else {
            // A WebSocket server of something else: its first message is not a hello.
            live = std::make_unique<FakeLive>();
            live->server.disconnect();
            connect(&live->server, &QWebSocketServer::newConnection, this, [&live] {
                while (QWebSocket *s = live->server.nextPendingConnection())
                    s->sendTextMessage(QStringLiteral("hello there"));
            });
            address = live->address();
        }
        EngineController c;
        QSignalSpy failed(&c, &EngineController::startFailed);
        QSignalSpy released(&c, &EngineController::engineReleased);
        QVERIFY(c.attach(target(address, QStringLiteral("wrong"))));
        QVERIFY(failed.wait(kBoundMs));
        const QString why = failed.at(0).at(0).toString();
        QVERIFY2(why.contains(expected), qPrintable(why));
        QVERIFY2(why.contains(address), qPrintable(why));
        QTRY_COMPARE_WITH_TIMEOUT(released.size(), 1, kBoundMs);
        QVERIFY(!c.isRemote());
        QVERIFY(!c.hasEngine());
        if (http)
            QVERIFY(http->lastRequest.contains("Authorization: Bearer wrong"));
    }

    // The window attached: named remote, what cannot apply disabled, commands from the cards, a
    // lost connection shown and mended, the end, and the export of what was received.
    void windowFollowsTheRun()
    {
        FakeLive live;
        for (int i = 1; i <= 10; ++i)
            live.frames.push_back(fakeFrame(i * 0.05));
        MainWindow w;
        w.show();
        QSignalSpy started(w.controller(), &EngineController::started);
        QString error;
        QVERIFY(!w.attach(QStringLiteral("127.0.0.1"), {}, &error));
        QVERIFY2(error.contains(QStringLiteral("no port")), qPrintable(error));
        QVERIFY(w.attach(live.address(), {}, &error));
        QVERIFY(started.wait(kBoundMs));
        const QString address = live.address();
        QCOMPARE(w.scenario().name, QStringLiteral("Fake served run"));
        QVERIFY2(w.windowTitle().contains(QStringLiteral("attached to ") + address), qPrintable(w.windowTitle()));
        QVERIFY(w.remoteLabel()->isVisible());
        QVERIFY2(w.remoteLabel()->text().contains(address), qPrintable(w.remoteLabel()->text()));
        QVERIFY(!w.runAction()->isEnabled());
        QVERIFY(!w.simulateAction()->isEnabled());
        QVERIFY(!w.restartAction()->isEnabled());
        QVERIFY(!w.restartFromFileAction()->isEnabled());
        QVERIFY(w.stopAction()->isEnabled());
        QVERIFY(w.detachAction()->isEnabled());
        QVERIFY(w.remoteBanner()->isHidden());
        QTRY_COMPARE_WITH_TIMEOUT(w.exporter()->currentRun().frames.size(), std::size_t(10), kBoundMs);
        QTRY_VERIFY2_WITH_TIMEOUT(
            w.clockText().contains(QStringLiteral("0:00.5")), qPrintable(w.clockText()), kBoundMs);

        // A pool size typed on the card goes to the remote engine.
        w.domainCard(DomainKind::Threads)->workersSpinBox()->setValue(5);
        QTRY_VERIFY_WITH_TIMEOUT(!live.commands.isEmpty(), kBoundMs);
        QCOMPARE(live.commands[0].value(QLatin1String("type")).toString(), QStringLiteral("resize"));
        QCOMPARE(live.commands[0].value(QLatin1String("workers")).toInt(), 5);
        live.pushFrame(0.55, 5);
        live.broadcast(QStringLiteral("[]"));
        QTRY_VERIFY2_WITH_TIMEOUT(w.remoteLabel()->text().contains(QStringLiteral("malformed: 1")),
            qPrintable(w.remoteLabel()->text()), kBoundMs);

        // Lost: a banner, the title, the controls locked; back: all as before, no frame twice.
        live.dropClients();
        QTRY_VERIFY_WITH_TIMEOUT(w.remoteBanner()->isVisible(), kBoundMs);
        QVERIFY2(w.remoteBanner()->text().contains(QStringLiteral("lost")), qPrintable(w.remoteBanner()->text()));
        QVERIFY2(w.windowTitle().contains(QStringLiteral("connection lost")), qPrintable(w.windowTitle()));
        QVERIFY(!w.domainCard(DomainKind::Threads)->workersSpinBox()->isEnabled());
        live.frames.push_back(fakeFrame(0.6, 5));
        QTRY_VERIFY_WITH_TIMEOUT(w.remoteBanner()->isHidden(), kBoundMs);
        QVERIFY(w.domainCard(DomainKind::Threads)->workersSpinBox()->isEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(w.exporter()->currentRun().frames.size(), std::size_t(12), kBoundMs);

        // The end: the window keeps what it received, and exports it as received.
        live.broadcast(toText(liveEndJson(QStringLiteral("finished"), 0.6)));
        QTRY_VERIFY_WITH_TIMEOUT(!w.controller()->hasEngine(), kBoundMs);
        QVERIFY2(w.windowTitle().contains(QStringLiteral("run ended")), qPrintable(w.windowTitle()));
        QVERIFY(!w.detachAction()->isEnabled());
        const QString json = m_dir.filePath(QStringLiteral("attached.json"));
        QVERIFY2(w.exporter()->exportTo(json, ReportExporter::Format::Json, &error), qPrintable(error));
        const QJsonObject report = test::readJson(json);
        QCOMPARE(report.value(QLatin1String("attached")).toString(), QStringLiteral("ws://%1/live").arg(address));
        QVERIFY(!report.contains(QLatin1String("environment")));
        QCOMPARE(report.value(QLatin1String("frames")).toArray().size(), 12);
        const QString html = m_dir.filePath(QStringLiteral("attached.html"));
        QVERIFY2(w.exporter()->exportTo(html, ReportExporter::Format::Html, &error), qPrintable(error));
        QFile page(html);
        QVERIFY(page.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(page.readAll());
        QVERIFY(text.contains(QStringLiteral("ws://%1/live").arg(address)));
        QVERIFY(text.contains(QStringLiteral("in flight"))); // the last frame's tasks still going, not a bug
        QVERIFY(!text.contains(QStringLiteral("violated")));
        QVERIFY2(w.exporter()->exportTo(m_dir.filePath(QStringLiteral("t.json")), ReportExporter::Format::Trace, &error)
                == false,
            "an attached run has no trace here");
        QVERIFY2(error.contains(QStringLiteral("where it runs")), qPrintable(error));
    }

    // Detach (and closing) lets go; the run stays for others; a new attach starts afresh.
    void windowDetaches()
    {
        FakeLive live;
        live.frames.push_back(fakeFrame(0.05));
        MainWindow w;
        w.show();
        QSignalSpy started(w.controller(), &EngineController::started);
        QVERIFY(w.attach(live.address(), {}));
        QVERIFY(started.wait(kBoundMs));
        w.detach();
        QTRY_COMPARE_WITH_TIMEOUT(live.disconnects, 1, kBoundMs);
        QVERIFY(!w.controller()->isRemote());
        QVERIFY2(w.windowTitle().contains(QStringLiteral("detached from")), qPrintable(w.windowTitle()));
        QVERIFY(w.attachAction()->isEnabled());
        QVERIFY(w.attach(live.address(), {}));
        QVERIFY(started.wait(kBoundMs));
        QCOMPARE(live.hellos, 2);

        // Something retrying cannot mend (the server restarted in another version): given up, said.
        live.protocol = 2;
        live.dropClients();
        QTRY_VERIFY_WITH_TIMEOUT(!w.controller()->hasEngine(), kBoundMs);
        QVERIFY(w.remoteBanner()->isVisible());
        QVERIFY2(w.remoteBanner()->text().contains(QStringLiteral("protocol 2")), qPrintable(w.remoteBanner()->text()));
        QVERIFY2(w.windowTitle().contains(QStringLiteral("given up")), qPrintable(w.windowTitle()));
        live.protocol = kLiveProtocol;
        QVERIFY(w.attach(live.address(), {}));
        QVERIFY(started.wait(kBoundMs));
        QVERIFY(w.remoteBanner()->isHidden());
        const int before = live.disconnects;
        w.close();
        QTRY_COMPARE_WITH_TIMEOUT(live.disconnects, before + 1, kBoundMs);
        QVERIFY(live.commands.isEmpty()); // neither detach nor close stops the run
    }

    // End to end: a real served run, a pool resized from the window, Detach leaves it going.
    void servedRunEndToEnd()
    {
        const QString yaml = test::writeFile(m_dir, QStringLiteral("served.yaml"), R"(name: Served pool
domains:
  threads: { workers: 2 }
classes:
  - name: api
    arrival: { process: poisson, rate: 200/s }
    stages:
      - { name: fetch, work: block, time: 2ms, domain: threads }
)");
        const QString tokenFile
            = test::writeFile(m_dir, QStringLiteral("served.token"), "attach-test-token-0123456789\n");
        QVERIFY(QFile::setPermissions(tokenFile, QFileDevice::ReadOwner | QFileDevice::WriteOwner));
        QProcess server;
        server.setProgram(test::appPath());
        server.setArguments({ QStringLiteral("run"), yaml, QStringLiteral("--serve"), QStringLiteral("127.0.0.1:0"),
            QStringLiteral("--token-file"), tokenFile, QStringLiteral("--duration"), QStringLiteral("5s") });
        QByteArray err;
        QString address;
        connect(&server, &QProcess::readyReadStandardError, this, [&] {
            err += server.readAllStandardError();
            static const QRegularExpression serving(QStringLiteral("serving http://([^ ]+) \\(/metrics, /live\\)"));
            const QRegularExpressionMatch m = serving.match(QString::fromUtf8(err));
            if (m.hasMatch())
                address = m.captured(1);
        });
        server.start();
        QVERIFY2(server.waitForStarted(kRunBoundMs), qPrintable(server.errorString()));
        QTRY_VERIFY2_WITH_TIMEOUT(!address.isEmpty(), err.constData(), kRunBoundMs);

        MainWindow w;
        w.show();
        bool resized = false;
        int frames = 0;
        connect(w.controller(), &EngineController::frameReady, this, [&](const Frame &f) {
            ++frames;
            resized = resized || f.domains[std::size_t(DomainKind::Threads)].workers == 5;
        });
        // A wrong token: the server's 401, named; the right one (read as the server reads it) attaches.
        QSignalSpy failed(w.controller(), &EngineController::startFailed);
        QVERIFY(w.attach(address, QStringLiteral("not-the-token-0123456789")));
        QVERIFY(failed.wait(kRunBoundMs));
        QVERIFY2(failed.at(0).at(0).toString().contains(QStringLiteral("HTTP 401")),
            qPrintable(failed.at(0).at(0).toString()));
        QVERIFY(!w.controller()->hasEngine());
        QString error;
        const QString token = AttachDialog::readTokenFile(tokenFile, &error);
        QVERIFY2(!token.isEmpty(), qPrintable(error));
        QVERIFY(w.attach(address, token));
        QTRY_VERIFY2_WITH_TIMEOUT(frames > 5, err.constData(), kRunBoundMs);
        QCOMPARE(w.scenario().name, QStringLiteral("Served pool"));
        QVERIFY(w.controller()->isConnected());
        w.domainCard(DomainKind::Threads)->workersSpinBox()->setValue(5);
        QTRY_VERIFY2_WITH_TIMEOUT(resized, err.constData(), kRunBoundMs);
        QVERIFY(!w.exporter()->currentRun().events.empty()); // the resize, as the remote engine marked it

        w.detach();
        QVERIFY(!w.controller()->isRemote());
        QCOMPARE(server.state(), QProcess::Running);
        QVERIFY2(server.waitForFinished(kRunBoundMs), err.constData());
        QCOMPARE(server.exitStatus(), QProcess::NormalExit);
        QCOMPARE(server.exitCode(), 0);
    }
};

QTEST_MAIN(TestAttach)
#include "tst_attach.moc"
