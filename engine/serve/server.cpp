#include "serve/server.h"

#include "core/tsanhandoff.h"
#include "results/report.h"
#include "run/engine.h"
#include "scenario/scenariowriter.h"
#include "serve/httphead.h"
#include "serve/liveprotocol.h"
#include "serve/metrics.h"

#include <QEventLoop>
#include <QHostAddress>
#include <QJsonDocument>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <variant>

namespace hs {

namespace {

// A client's frames wait (newest only) while more than this is still to be written to it (about
// 1.5 s of frames of a few classes), and the kernel holds at most kClientSocketBuffer more: a client
// that falls behind gets recent frames when it reads again, not a backlog of old ones.
constexpr qint64 kClientBufferBytes = 64 * 1024;
constexpr int kClientSocketBuffer = 128 * 1024;
// A client this far behind (events and acks are never dropped) is closed: it is not reading.
constexpr qint64 kClientHardLimitBytes = 16 * 1024 * 1024;
constexpr std::size_t kClientMaxQueued = 10000;
// Commands of one client sent to the engine and not yet answered.
constexpr int kMaxPendingCommands = 16;
// HTTP connections and WebSocket clients together.
constexpr int kMaxConnections = 64;
constexpr int kHeadTimeoutMs = 10000; // a request head must arrive within this
constexpr int kIdleTimeoutMs = 60000; // a kept-alive connection with no request is closed
constexpr int kEndBoundMs = 2000;
// Larger messages close the connection (1009) in QtWebSockets; up to it they get an error ack.
constexpr quint64 kMaxIncomingMessageBytes = 1024 * 1024;

// Runs `fn` on `core`'s thread and waits for it. The wait is a QSemaphore inside Qt, whose ordering
// ThreadSanitizer cannot see: the hand-over both ways is announced to it (core/tsanhandoff.h).
template<typename Fn> void runBlocking(QObject *core, Fn &&fn)
{
    int token = 0;
    tsanHandOff(&token);
    QMetaObject::invokeMethod(
        core,
        [&] {
            tsanTakeOver(&token);
            fn();
            tsanHandOff(&token);
        },
        Qt::BlockingQueuedConnection);
    tsanTakeOver(&token);
}

QString compactJson(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

bool runCommand(Engine &engine, const LiveCommand &c, QString *error)
{
    if (!engine.isRunning()) {
        *error = QStringLiteral("the run is over");
        return false;
    }
    switch (c.type) {
    case LiveCommand::Type::Resize: return engine.resize(c.domain, c.workers, error);
    case LiveCommand::Type::Reassign: return engine.reassign(c.key, c.domain, error);
    case LiveCommand::Type::Backpressure: return engine.setBackpressure(c.domain, c.backpressure, error);
    case LiveCommand::Type::Autoscale: return engine.setAutoscale(c.domain, c.autoscale, error);
    case LiveCommand::Type::Gil: engine.setGil(c.gilEnabled); return true;
    case LiveCommand::Type::Stop: engine.requestStop(); return true;
    }
    return false;
}

// Host names a page on another site could make a browser send to a loopback server (DNS
// rebinding) are refused when there is no token: an IP literal or localhost only.
bool isLiteralHost(const QByteArray &hostHeader)
{
    QByteArray host = hostHeader;
    if (host.startsWith('[')) {
        const qsizetype close = host.indexOf(']');
        return close > 0 && !QHostAddress(QString::fromLatin1(host.mid(1, close - 1))).isNull();
    }
    if (const qsizetype colon = host.lastIndexOf(':'); colon >= 0)
        host = host.left(colon);
    return host.toLower() == "localhost" || !QHostAddress(QString::fromLatin1(host)).isNull();
}

} // namespace

/**
 * Frames and events on their way from the engine's threads to the server's. The engine's signals
 * reach it through direct connections (a copy under a mutex, in the emitting thread, as a queued
 * connection would make) and the server's thread is woken once per batch; it takes them in order.
 * A std::mutex, unlike Qt's event queue, is a hand-over ThreadSanitizer can see.
 */
struct ServeMailbox {
    std::mutex mutex;
    std::deque<std::variant<Frame, RunEvent>> items;
    QObject *core = nullptr; ///< null once the server is going: nothing more is posted
    bool posted = false; ///< a wake-up is on its way

    template<typename T> void put(const T &item)
    {
        std::lock_guard lk(mutex);
        if (!core)
            return;
        items.emplace_back(item);
        // Bounded: a server thread that cannot keep up (it never should) loses the oldest frames.
        while (items.size() > 4 * std::size_t(kLiveHelloFrames))
            items.pop_front();
        if (!posted) {
            posted = true;
            QMetaObject::invokeMethod(core, "takeMail", Qt::QueuedConnection);
        }
    }
    std::deque<std::variant<Frame, RunEvent>> take()
    {
        std::lock_guard lk(mutex);
        posted = false;
        return std::exchange(items, {});
    }
};

/// The server's state on its own thread (hs-serve): sockets, clients, the frames kept for hellos.
class ServeCore : public QObject {
    Q_OBJECT
public:
    struct Shared {
        std::atomic<int> clients { 0 };
        std::atomic<std::uint64_t> framesSent { 0 };
        std::atomic<std::uint64_t> framesDropped { 0 };
        std::atomic<std::uint64_t> scrapes { 0 };
        std::atomic<std::uint64_t> refused { 0 };
        std::atomic<bool> stopRequested { false };
    };

    ServeCore(Engine *engine, ServeOptions options, QObject *relay, Shared *shared, std::shared_ptr<ServeMailbox> mail)
        : m_engine(engine)
        , m_options(std::move(options))
        , m_relay(relay)
        , m_shared(shared)
        , m_mail(std::move(mail))
    { }

    bool listen(QString *error)
    {
        m_tcp = new QTcpServer(this);
        if (!m_tcp->listen(QHostAddress(m_options.address), m_options.port)) {
            *error = QStringLiteral("cannot listen on %1: %2")
                         .arg(serveAuthority(m_options.address, m_options.port), m_tcp->errorString());
            delete m_tcp;
            m_tcp = nullptr;
            return false;
        }
        m_port = m_tcp->serverPort();
        m_tcp->setMaxPendingConnections(kMaxConnections);
        connect(m_tcp, &QTcpServer::newConnection, this, &ServeCore::onNewConnection);
        m_ws = new QWebSocketServer(QStringLiteral("hybridscope"), QWebSocketServer::NonSecureMode, this);
        connect(m_ws, &QWebSocketServer::newConnection, this, &ServeCore::onNewWebSocket);
        return true;
    }
    quint16 port() const { return m_port; }
    void attach() { m_attached = true; }

    Q_INVOKABLE void takeMail()
    {
        for (auto &item : m_mail->take()) {
            if (const Frame *f = std::get_if<Frame>(&item))
                onFrame(*f);
            else
                onEvent(std::get<RunEvent>(item));
        }
    }

    void onFrame(const hs::Frame &f)
    {
        m_lastFrame = f;
        m_frames.push_back(f);
        while (m_frames.size() > std::size_t(kLiveHelloFrames))
            m_frames.pop_front();
        if (m_clients.empty())
            return;
        const QString body = compactJson(liveFrameJson(f));
        for (quint64 id : clientIds())
            if (Client *c = client(id))
                enqueue(*c, Outgoing { body, true });
    }

    void onEvent(const hs::RunEvent &e)
    {
        m_events.push_back(e);
        if (m_clients.empty())
            return;
        QJsonObject o = liveEventJson(e);
        o.insert(QStringLiteral("type"), QStringLiteral("event"));
        const QString text = compactJson(o);
        for (quint64 id : clientIds())
            if (Client *c = client(id))
                enqueue(*c, Outgoing { text, false });
    }

    // The engine's answer to a client's command (posted back from the engine's thread).
    void commandDone(
        quint64 clientId, bool ok, const QString &error, const QString &command, const QJsonValue &id, bool stop)
    {
        if (ok && stop)
            m_shared->stopRequested = true;
        if (Client *c = client(clientId)) {
            --c->pendingCommands;
            sendAck(*c, ok, error, command, id);
        }
    }

    void end(const QString &reason, double elapsedS)
    {
        m_ending = true;
        if (m_tcp)
            m_tcp->close();
        for (QTcpSocket *s : m_http.keys())
            s->abort();
        const QString text = compactJson(liveEndJson(reason, elapsedS));
        for (quint64 id : clientIds()) {
            Client *c = client(id);
            if (!c || c->closing)
                continue;
            // What is queued goes first (frames too: they are at most one), then the end, then the close.
            while (!c->queue.empty())
                sendFront(*c);
            c->ws->sendTextMessage(text);
            c->closing = true;
            closeLater(c->ws, QWebSocketProtocol::CloseCodeNormal, QStringLiteral("run over"));
        }
        if (m_clients.empty()) {
            Q_EMIT ended();
            return;
        }
        QTimer::singleShot(kEndBoundMs, this, [this] {
            for (quint64 id : clientIds())
                if (Client *c = client(id))
                    c->ws->abort();
            Q_EMIT ended();
        });
    }

    // Before the thread stops: every socket goes while its thread still runs.
    void shutdown()
    {
        for (auto &[id, c] : m_clients) {
            c->ws->disconnect(this);
            c->ws->abort();
            delete c->ws;
        }
        m_clients.clear();
        m_shared->clients = 0;
        for (QTcpSocket *s : m_http.keys()) {
            s->disconnect(this);
            s->abort();
            delete s;
        }
        m_http.clear();
        delete m_ws;
        m_ws = nullptr;
        delete m_tcp;
        m_tcp = nullptr;
    }

Q_SIGNALS:
    void ended();

private:
    struct Outgoing {
        QString text; ///< for a frame: the frame's JSON, without "type" and "dropped"
        bool frame = false;
    };
    struct Client {
        quint64 id = 0;
        QWebSocket *ws = nullptr;
        std::deque<Outgoing> queue;
        std::uint64_t dropped = 0;
        int pendingCommands = 0;
        bool closing = false;
    };

    std::vector<quint64> clientIds() const
    {
        std::vector<quint64> ids;
        for (const auto &entry : m_clients)
            ids.push_back(entry.first);
        return ids;
    }
    Client *client(quint64 id)
    {
        const auto it = m_clients.find(id);
        return it == m_clients.end() ? nullptr : it->second.get();
    }
    // Closing may end the connection at once, and that removes the client: never while a caller
    // still holds it.
    void closeLater(QWebSocket *ws, QWebSocketProtocol::CloseCode code, const QString &reason)
    {
        QMetaObject::invokeMethod(
            ws, [ws, code, reason] { ws->close(code, reason); }, Qt::QueuedConnection);
    }

    void enqueue(Client &c, Outgoing &&o)
    {
        if (c.closing)
            return;
        if (o.frame) {
            // Latest wins: frames still waiting are replaced by this one.
            const auto before = c.queue.size();
            std::erase_if(c.queue, [](const Outgoing &x) { return x.frame; });
            const auto lost = before - c.queue.size();
            c.dropped += lost;
            m_shared->framesDropped += lost;
        }
        c.queue.push_back(std::move(o));
        flush(c);
    }

    void sendFront(Client &c)
    {
        Outgoing o = std::move(c.queue.front());
        c.queue.pop_front();
        if (o.frame) {
            const QString head
                = QStringLiteral("{\"type\":\"frame\",\"dropped\":") + QString::number(c.dropped) + QLatin1Char(',');
            c.ws->sendTextMessage(head + o.text.mid(1));
            ++m_shared->framesSent;
        } else {
            c.ws->sendTextMessage(o.text);
        }
    }

    void flush(Client &c)
    {
        while (!c.queue.empty() && c.ws->bytesToWrite() < kClientBufferBytes)
            sendFront(c);
        if (c.ws->bytesToWrite() > kClientHardLimitBytes || c.queue.size() > kClientMaxQueued) {
            c.closing = true;
            c.queue.clear();
            closeLater(c.ws, QWebSocketProtocol::CloseCodePolicyViolated,
                QStringLiteral("too far behind: the client does not read its messages"));
        }
    }

    void sendAck(Client &c, bool ok, const QString &error, const QString &command, const QJsonValue &id)
    {
        enqueue(c, Outgoing { compactJson(liveAckJson(ok, error, command, id)), false });
    }

    int connectionCount() const { return int(m_http.size() + m_clients.size()); }

    // --- HTTP ------------------------------------------------------------------------------
    void onNewConnection()
    {
        while (QTcpSocket *s = m_tcp->nextPendingConnection()) {
            if (m_ending || connectionCount() >= kMaxConnections) {
                s->write("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                s->disconnectFromHost();
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
                continue;
            }
            // Never more than one request head buffered from a peer that has not been answered.
            s->setReadBufferSize(kMaxHttpHeadBytes + 1);
            auto *timer = new QTimer(s);
            timer->setSingleShot(true);
            connect(timer, &QTimer::timeout, s, [s] { s->abort(); });
            timer->start(kHeadTimeoutMs);
            m_http.insert(s, timer);
            connect(s, &QTcpSocket::readyRead, this, [this, s] { onHttpData(s); });
            connect(s, &QTcpSocket::disconnected, this, [this, s] {
                m_http.remove(s);
                s->deleteLater();
            });
        }
    }

    void respond(QTcpSocket *s, int status, const char *reason, const QByteArray &contentType, const QByteArray &body,
        bool keepAlive, bool headOnly = false, const QByteArray &extraHeaders = {})
    {
        QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\n";
        if (!contentType.isEmpty())
            out += "Content-Type: " + contentType + "\r\n";
        out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
        out += "Cache-Control: no-store\r\n";
        out += extraHeaders;
        out += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
        if (!headOnly)
            out += body;
        s->write(out);
        if (!keepAlive)
            s->disconnectFromHost();
    }

    void error(QTcpSocket *s, int status, const char *reason, const QString &text, const QByteArray &extra = {})
    {
        respond(s, status, reason, "text/plain; charset=utf-8", text.toUtf8() + '\n', false, false, extra);
    }

    void onHttpData(QTcpSocket *s)
    {
        if (!m_http.contains(s) || s->state() != QAbstractSocket::ConnectedState)
            return;
        HttpRequestHead head;
        qsizetype headBytes = 0;
        QString why;
        switch (parseHttpRequestHead(s->peek(kMaxHttpHeadBytes + 1), &head, &headBytes, &why)) {
        case HttpHeadResult::Incomplete: return;
        case HttpHeadResult::TooLarge: return error(s, 431, "Request Header Fields Too Large", why);
        case HttpHeadResult::Bad: return error(s, 400, "Bad Request", QStringLiteral("bad request: ") + why);
        case HttpHeadResult::Ok: break;
        }
        const bool isHead = head.method == "HEAD";
        if (head.method != "GET" && !isHead)
            return error(
                s, 405, "Method Not Allowed", QStringLiteral("only GET (and HEAD) are served"), "Allow: GET, HEAD\r\n");
        if ((head.has("content-length") && head.header("content-length") != "0") || head.has("transfer-encoding"))
            return error(s, 400, "Bad Request", QStringLiteral("a request body is not accepted"));
        if (head.path != "/metrics" && head.path != "/live")
            return error(s, 404, "Not Found", QStringLiteral("not found; the endpoints are /metrics and /live"));
        if (m_options.token.isEmpty() && !isLiteralHost(head.header("host")))
            return error(s, 403, "Forbidden",
                QStringLiteral("Host \"%1\" refused: without a token only an IP address or localhost is served (a "
                               "DNS-rebinding guard); see docs/serve.md")
                    .arg(QString::fromLatin1(head.header("host").left(80))));
        if (!m_options.token.isEmpty() && !bearerMatches(head.header("authorization"), m_options.token)) {
            ++m_shared->refused;
            const QByteArray challenge = head.has("authorization")
                ? "WWW-Authenticate: Bearer realm=\"hybridscope\", error=\"invalid_token\"\r\n"
                : "WWW-Authenticate: Bearer realm=\"hybridscope\"\r\n";
            return error(s, 401, "Unauthorized",
                QStringLiteral("this run needs Authorization: Bearer TOKEN (the token of its --token-file)"),
                challenge);
        }
        if (!m_attached)
            return error(s, 503, "Service Unavailable", QStringLiteral("the run is starting"), "Retry-After: 1\r\n");
        if (head.path == "/live")
            return upgrade(s, head);
        // /metrics: the head is consumed; a kept-alive connection waits for its next request.
        s->read(headBytes);
        const MetricsFormat format = negotiateMetricsFormat(head.header("accept"));
        MetricsInput in;
        in.version = hybridscopeVersion();
        for (const TaskClass &c : m_engine->scenario().classes)
            in.classes << c.name;
        in.totals = m_engine->cumulative();
        in.frame = m_lastFrame;
        in.liveClients = int(m_clients.size());
        in.liveFramesDropped = m_shared->framesDropped;
        ++m_shared->scrapes;
        const bool keep = head.keepAlive() && !m_ending;
        respond(s, 200, "OK", metricsContentType(format), formatMetrics(in, format), keep, isHead);
        if (keep) {
            m_http.value(s)->start(kIdleTimeoutMs);
            if (s->bytesAvailable() > 0) // a pipelined request
                QMetaObject::invokeMethod(
                    this,
                    [this, p = QPointer<QTcpSocket>(s)] {
                        if (p)
                            onHttpData(p);
                    },
                    Qt::QueuedConnection);
        }
    }

    void upgrade(QTcpSocket *s, const HttpRequestHead &head)
    {
        if (!head.wantsWebSocket() || head.method != "GET")
            return error(
                s, 426, "Upgrade Required", QStringLiteral("/live is a WebSocket endpoint"), "Upgrade: websocket\r\n");
        // A browser always names the page that opens a WebSocket; no page is ours, so a browser page
        // elsewhere (cross-site WebSocket hijacking) cannot drive the run.
        if (head.has("origin"))
            return error(s, 403, "Forbidden",
                QStringLiteral("WebSocket from a web page (Origin %1) refused")
                    .arg(QString::fromLatin1(head.header("origin").left(80))));
        // The handshake is still unread in the socket: QtWebSockets reads and answers it.
        QTimer *timer = m_http.take(s);
        delete timer;
        s->disconnect(this);
        connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater); // also when the handshake fails
        s->setReadBufferSize(0);
        s->setSocketOption(QAbstractSocket::SendBufferSizeSocketOption, kClientSocketBuffer);
        m_ws->handleConnection(s);
        Q_EMIT s->readyRead();
    }

    // --- WebSocket clients -------------------------------------------------------------------
    void onNewWebSocket()
    {
        while (QWebSocket *ws = m_ws->nextPendingConnection()) {
            if (m_ending) {
                ws->abort();
                ws->deleteLater();
                continue;
            }
            ws->setParent(this);
            ws->setMaxAllowedIncomingMessageSize(kMaxIncomingMessageBytes);
            ws->setMaxAllowedIncomingFrameSize(kMaxIncomingMessageBytes);
            auto fresh = std::make_unique<Client>();
            fresh->id = ++m_nextClient;
            fresh->ws = ws;
            const quint64 id = fresh->id;
            m_clients.emplace(id, std::move(fresh));
            m_shared->clients = int(m_clients.size());
            connect(
                ws, &QWebSocket::textMessageReceived, this, [this, id](const QString &text) { onMessage(id, text); });
            connect(ws, &QWebSocket::binaryMessageReceived, this, [this, id](const QByteArray &) {
                if (Client *c = client(id))
                    sendAck(*c, false, QStringLiteral("binary messages are not accepted; send JSON text"), QString(),
                        QJsonValue(QJsonValue::Undefined));
            });
            connect(ws, &QWebSocket::bytesWritten, this, [this, id] {
                if (Client *c = client(id))
                    flush(*c);
            });
            connect(ws, &QWebSocket::disconnected, this, [this, id] { dropClient(id); });
            sendHello(*m_clients.at(id));
        }
    }

    void dropClient(quint64 id)
    {
        const auto it = m_clients.find(id);
        if (it == m_clients.end())
            return;
        it->second->ws->deleteLater();
        m_clients.erase(it);
        m_shared->clients = int(m_clients.size());
        if (m_ending && m_clients.empty())
            Q_EMIT ended();
    }

    void sendHello(Client &c)
    {
        const Scenario &s = m_engine->scenario();
        const std::shared_ptr<const Scenario> config = m_engine->currentConfig();
        if (config != m_helloConfig) {
            m_helloConfig = config;
            m_helloYaml = QString::fromUtf8(ScenarioWriter::toYaml(*config));
            m_helloConfigJson = scenarioConfigJson(*config);
        }
        LiveHello h;
        h.version = hybridscopeVersion();
        h.name = s.name;
        h.scenarioYaml = m_helloYaml;
        h.elapsedS = m_engine->elapsed();
        h.durationS = s.duration;
        for (const TaskClass &tc : s.classes)
            h.classes << tc.name;
        h.frames.assign(m_frames.begin(), m_frames.end());
        h.events = m_events;
        c.ws->sendTextMessage(compactJson(liveHelloJson(h, m_helloConfigJson)));
    }

    void onMessage(quint64 id, const QString &text)
    {
        Client *found = client(id);
        if (!found)
            return;
        Client &c = *found;
        LiveCommand cmd;
        QString why, name;
        if (!parseLiveCommand(text.toUtf8(), &cmd, &why, &name))
            return sendAck(c, false, why, name, cmd.id);
        if (c.pendingCommands >= kMaxPendingCommands)
            return sendAck(c, false,
                QStringLiteral("%1 commands are waiting for the engine already; wait for their acks")
                    .arg(c.pendingCommands),
                name, cmd.id);
        if (m_ending)
            return sendAck(c, false, QStringLiteral("the run is over"), name, cmd.id);
        ++c.pendingCommands;
        // The engine's own command path, on the engine's thread; the answer comes back here.
        QMetaObject::invokeMethod(
            m_relay,
            [engine = m_engine, core = this, id, cmd, name] {
                QString error;
                const bool ok = runCommand(*engine, cmd, &error);
                const bool stop = cmd.type == LiveCommand::Type::Stop;
                QMetaObject::invokeMethod(
                    core, [=] { core->commandDone(id, ok, error, name, cmd.id, stop); }, Qt::QueuedConnection);
            },
            Qt::QueuedConnection);
    }

    Engine *m_engine;
    ServeOptions m_options;
    QObject *m_relay;
    Shared *m_shared;
    std::shared_ptr<ServeMailbox> m_mail;
    QTcpServer *m_tcp = nullptr;
    QWebSocketServer *m_ws = nullptr;
    quint16 m_port = 0;
    bool m_attached = false;
    bool m_ending = false;
    QHash<QTcpSocket *, QTimer *> m_http; // HTTP connections not handed to QtWebSockets
    std::map<quint64, std::unique_ptr<Client>> m_clients;
    quint64 m_nextClient = 0;
    std::optional<Frame> m_lastFrame;
    std::deque<Frame> m_frames; // the last kLiveHelloFrames, for hellos
    std::vector<RunEvent> m_events;
    std::shared_ptr<const Scenario> m_helloConfig;
    QString m_helloYaml;
    QJsonObject m_helloConfigJson;
};

struct Server::Impl {
    Engine &engine;
    ServeOptions options;
    QThread thread;
    ServeCore::Shared shared;
    std::shared_ptr<ServeMailbox> mail = std::make_shared<ServeMailbox>();
    QMetaObject::Connection frames, events;
    std::unique_ptr<QObject> relay; // on the engine's thread: where commands run
    ServeCore *core = nullptr;
    quint16 port = 0;
    bool finished = false;

    Impl(Engine &e, ServeOptions o)
        : engine(e)
        , options(std::move(o))
    { }
};

Server::Server(Engine &engine, ServeOptions options)
    : d(std::make_unique<Impl>(engine, std::move(options)))
{
    d->relay = std::make_unique<QObject>();
    d->relay->moveToThread(engine.thread());
    d->core = new ServeCore(&engine, d->options, d->relay.get(), &d->shared, d->mail);
    d->core->moveToThread(&d->thread);
    d->mail->core = d->core;
    d->frames = QObject::connect(&engine, &Engine::frameReady, [mail = d->mail](const Frame &f) { mail->put(f); });
    d->events = QObject::connect(&engine, &Engine::eventAdded, [mail = d->mail](const RunEvent &e) { mail->put(e); });
    d->thread.setObjectName(QStringLiteral("hs-serve"));
    // Emitted on the thread as it ends (a direct call): what it did is handed to the destructor.
    QObject::connect(&d->thread, &QThread::finished, [core = d->core] { tsanHandOff(core); });
    d->thread.start();
}

Server::~Server()
{
    QObject::disconnect(d->frames);
    QObject::disconnect(d->events);
    {
        std::lock_guard lk(d->mail->mutex);
        d->mail->core = nullptr;
    }
    runBlocking(d->core, [core = d->core] { core->shutdown(); });
    d->thread.quit();
    d->thread.wait();
    tsanTakeOver(d->core); // announced when the thread finished (Qt's wait is invisible to TSan)
    d->relay.reset(); // commands not yet run are dropped with it
    delete d->core;
}

bool Server::listen(QString *error)
{
    bool ok = false;
    runBlocking(d->core, [&] {
        ok = d->core->listen(error);
        d->port = d->core->port();
    });
    return ok;
}

quint16 Server::port() const
{
    return d->port;
}

QString Server::url() const
{
    return QStringLiteral("http://") + serveAuthority(d->options.address, d->port);
}

void Server::attach()
{
    QMetaObject::invokeMethod(
        d->core, [core = d->core] { core->attach(); }, Qt::QueuedConnection);
}

bool Server::stopRequested() const
{
    return d->shared.stopRequested;
}

void Server::finish(const QString &reason, double elapsedS)
{
    if (d->finished)
        return;
    d->finished = true;
    QEventLoop wait;
    QObject::connect(d->core, &ServeCore::ended, &wait, &QEventLoop::quit, Qt::QueuedConnection);
    QTimer::singleShot(kEndBoundMs + 500, &wait, &QEventLoop::quit); // the core's own bound, and a margin
    QMetaObject::invokeMethod(
        d->core, [core = d->core, reason, elapsedS] { core->end(reason, elapsedS); }, Qt::QueuedConnection);
    wait.exec();
}

ServeStats Server::stats() const
{
    ServeStats s;
    s.clients = d->shared.clients;
    s.framesSent = d->shared.framesSent;
    s.framesDropped = d->shared.framesDropped;
    s.scrapes = d->shared.scrapes;
    s.refused = d->shared.refused;
    return s;
}

} // namespace hs

#include "server.moc"
