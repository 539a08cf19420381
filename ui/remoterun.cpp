#include "remoterun.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QWebSocket>

#include <cmath>

namespace hs {

std::optional<AttachTarget> AttachTarget::parse(const QString &text, QString *error)
{
    const QString example = QObject::tr("expected HOST:PORT, e.g. 127.0.0.1:9400");
    QString t = text.trimmed();
    if (t.isEmpty()) {
        *error = QObject::tr("no address given: %1").arg(example);
        return std::nullopt;
    }
    // The address as the server prints it ("serving http://127.0.0.1:9400") or as a WebSocket URL.
    for (const QString &scheme : { QStringLiteral("https://"), QStringLiteral("wss://") })
        if (t.startsWith(scheme, Qt::CaseInsensitive)) {
            *error = QObject::tr("“%1”: a served run speaks plain HTTP; reach a remote one through an SSH tunnel "
                                 "(ssh -L, docs/serve.md) and attach to the tunnel's local end")
                         .arg(text.trimmed().left(80));
            return std::nullopt;
        }
    for (const QString &scheme : { QStringLiteral("http://"), QStringLiteral("ws://") })
        if (t.startsWith(scheme, Qt::CaseInsensitive))
            t = t.mid(scheme.size());
    if (const qsizetype slash = t.indexOf(QLatin1Char('/')); slash >= 0) {
        const QString path = t.mid(slash);
        if (path != QLatin1String("/") && path != QLatin1String("/live") && path != QLatin1String("/metrics")) {
            *error = QObject::tr("“%1”: the path %2 is not the served run's (/live); %3")
                         .arg(text.trimmed().left(80), path.left(40), example);
            return std::nullopt;
        }
        t = t.left(slash);
    }
    AttachTarget target;
    QString port;
    if (t.startsWith(QLatin1Char('['))) {
        const qsizetype close = t.indexOf(QLatin1Char(']'));
        if (close < 0 || t.mid(close + 1, 1) != QLatin1String(":")) {
            *error = QObject::tr("“%1”: an IPv6 address goes in brackets before the port, e.g. [::1]:9400")
                         .arg(text.trimmed().left(80));
            return std::nullopt;
        }
        target.host = t.mid(1, close - 1);
        port = t.mid(close + 2);
    } else {
        const qsizetype colon = t.lastIndexOf(QLatin1Char(':'));
        if (colon < 0) {
            *error = QObject::tr("“%1” has no port: %2").arg(text.trimmed().left(80), example);
            return std::nullopt;
        }
        if (t.indexOf(QLatin1Char(':')) != colon) {
            *error = QObject::tr("“%1”: an IPv6 address goes in brackets before the port, e.g. [::1]:9400")
                         .arg(text.trimmed().left(80));
            return std::nullopt;
        }
        target.host = t.left(colon);
        port = t.mid(colon + 1);
    }
    if (target.host.isEmpty()) {
        *error = QObject::tr("“%1” has no host: %2").arg(text.trimmed().left(80), example);
        return std::nullopt;
    }
    bool ok = false;
    const uint p = port.toUInt(&ok);
    if (!ok || p < 1 || p > 65535) {
        *error = QObject::tr("port “%1”: expected a number from 1 to 65535").arg(port.left(20));
        return std::nullopt;
    }
    target.port = quint16(p);
    QUrl check;
    check.setScheme(QStringLiteral("ws"));
    check.setHost(target.host, QUrl::StrictMode);
    if (!check.isValid() || check.host().isEmpty()) {
        *error = QObject::tr("host “%1” is not a host name or an IP address").arg(target.host.left(80));
        return std::nullopt;
    }
    return target;
}

QString AttachTarget::address() const
{
    return host.contains(QLatin1Char(':')) ? QStringLiteral("[%1]:%2").arg(host).arg(port)
                                           : QStringLiteral("%1:%2").arg(host).arg(port);
}

QUrl AttachTarget::url() const
{
    QUrl u;
    u.setScheme(QStringLiteral("ws"));
    u.setHost(host);
    u.setPort(port);
    u.setPath(QStringLiteral("/live"));
    return u;
}

RemoteRun::RemoteRun(const AttachTarget &target, QObject *parent)
    : QObject(parent)
    , m_target(target)
{
    m_retryTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &RemoteRun::connectSocket);
    m_helloTimer.setSingleShot(true);
    connect(&m_helloTimer, &QTimer::timeout, this, [this] {
        onDown(tr("no hello from %1 within %2 s: is it the address of a served run (hybridscope run … --serve)?")
                   .arg(m_target.address())
                   .arg(kHelloBoundMs / 1000),
            !m_helloSeen);
    });
}

RemoteRun::~RemoteRun()
{
    dropSocket(true);
}

void RemoteRun::open()
{
    if (m_state != State::Idle)
        return;
    m_state = State::Connecting;
    connectSocket();
}

void RemoteRun::detach()
{
    if (m_state == State::Detached)
        return;
    m_state = State::Detached;
    m_retryTimer.stop();
    m_helloTimer.stop();
    dropSocket(true);
}

QJsonValue RemoteRun::send(LiveCommand command, QString *error)
{
    if (m_state != State::Live || !m_socket) {
        *error = m_state == State::Reconnecting ? tr("not connected to %1 (reconnecting)").arg(m_target.address())
                                                : tr("not connected to %1").arg(m_target.address());
        return QJsonValue();
    }
    command.id = QJsonValue(double(m_nextId++));
    m_socket->sendTextMessage(
        QString::fromUtf8(QJsonDocument(liveCommandJson(command)).toJson(QJsonDocument::Compact)));
    return command.id;
}

void RemoteRun::connectSocket()
{
    dropSocket(false);
    auto *s = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    m_socket = s;
    m_helloOnSocket = false;
    m_droppedBefore += m_dropped; // the server counts per connection
    m_dropped = 0;
    m_socketConnected = false;
    s->setMaxAllowedIncomingMessageSize(kMaxMessageBytes);
    connect(s, &QWebSocket::textMessageReceived, this, [this, s](const QString &text) {
        if (s == m_socket)
            onText(text);
    });
    connect(s, &QWebSocket::binaryMessageReceived, this, [this, s] {
        if (s == m_socket)
            skip(tr("a binary message (the protocol sends JSON text)"));
    });
    // A failed connection reports an error and goes down, in either order: whichever comes first
    // tells, from what the socket knows then.
    connect(s, &QWebSocket::connected, this, [this, s] {
        if (s == m_socket)
            m_socketConnected = true;
    });
    connect(s, QOverload<QAbstractSocket::SocketError>::of(&QWebSocket::error), this, [this, s] {
        if (s == m_socket)
            onSocketDown(s);
    });
    connect(s, &QWebSocket::disconnected, this, [this, s] {
        if (s == m_socket)
            onSocketDown(s);
    });
    QNetworkRequest request(m_target.url());
    if (!m_target.token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + m_target.token.toUtf8());
    m_helloTimer.start(kHelloBoundMs);
    s->open(request);
}

void RemoteRun::dropSocket(bool clean)
{
    QWebSocket *s = m_socket;
    if (!s)
        return;
    m_socket = nullptr;
    s->disconnect(this);
    if (!clean || s->state() != QAbstractSocket::ConnectedState) {
        s->abort();
        s->deleteLater();
        return;
    }
    // A close frame, so that the server drops this client at once; the socket goes when the
    // server has answered it (or after a bound), even if this object goes first.
    s->setParent(nullptr);
    connect(s, &QWebSocket::disconnected, s, &QObject::deleteLater);
    QTimer::singleShot(2000, s, &QObject::deleteLater);
    s->close(QWebSocketProtocol::CloseCodeNormal, QStringLiteral("detached"));
}

void RemoteRun::onSocketDown(QWebSocket *s)
{
    const QString address = m_target.address();
    // A refused upgrade is reported as an error whose text carries the HTTP status.
    static const QRegularExpression status(QStringLiteral("status code: (\\d+)"));
    const QRegularExpressionMatch m = status.match(s->errorString());
    if (m.hasMatch()) {
        const int code = m.captured(1).toInt();
        onDown(code == 401 ? tr("%1 refused the token (HTTP 401 Unauthorized): attach with the token of the served "
                                "run (its --token-file)")
                                 .arg(address)
                           : tr("%1 answered HTTP %2 instead of opening /live: is it the address of a served run?")
                                 .arg(address)
                                 .arg(code),
            true);
        return;
    }
    if (m_socketConnected) { // it was up: the server closed it, or the network dropped it
        const auto code = s->closeCode();
        const QString why = code != QWebSocketProtocol::CloseCodeNormal && !s->closeReason().isEmpty()
            ? tr("%1 closed the connection (code %2: %3)").arg(address).arg(int(code)).arg(s->closeReason().left(200))
            : tr("the connection to %1 closed").arg(address);
        onDown(why, !m_helloSeen);
        return;
    }
    const QAbstractSocket::SocketError e = s->error();
    const QString why = e == QAbstractSocket::ConnectionRefusedError
        ? tr("%1 refused the connection: is a run served there (hybridscope run … --serve %2)?")
              .arg(address)
              .arg(m_target.port)
        : e == QAbstractSocket::HostNotFoundError  ? tr("host %1 not found").arg(m_target.host)
        : e == QAbstractSocket::UnknownSocketError ? tr("the connection to %1 closed before it was open").arg(address)
                                                   : tr("%1: %2").arg(address, s->errorString());
    onDown(why, !m_helloSeen);
}

void RemoteRun::onDown(const QString &why, bool fatal)
{
    if (m_state == State::Detached || m_state == State::Ended || m_state == State::Failed)
        return;
    m_helloTimer.stop();
    dropSocket(false);
    if (fatal) {
        fail(why);
        return;
    }
    m_state = State::Reconnecting;
    const int delay = m_retryMs;
    m_retryMs = std::min(m_retryMs * 2, kMaxRetryMs);
    m_retryTimer.start(delay);
    Q_EMIT connectionLost(why, delay);
}

void RemoteRun::fail(const QString &why)
{
    if (m_state == State::Failed || m_state == State::Detached)
        return;
    m_state = State::Failed;
    m_retryTimer.stop();
    m_helloTimer.stop();
    dropSocket(false);
    Q_EMIT failed(why);
}

void RemoteRun::skip(const QString &what)
{
    ++m_malformed;
    Q_EMIT malformedMessage(what, m_malformed);
}

void RemoteRun::onText(const QString &text)
{
    const auto bad = [this](const QString &what) {
        if (m_helloOnSocket)
            skip(what);
        else
            fail(tr("the first message from %1 is not a hello (%2): is it the address of a served run?")
                     .arg(m_target.address(), what));
    };
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &pe);
    if (pe.error != QJsonParseError::NoError) {
        bad(tr("not JSON: %1 at character %2").arg(pe.errorString()).arg(pe.offset));
        return;
    }
    if (!doc.isObject()) {
        bad(tr("JSON but not an object"));
        return;
    }
    QJsonObject o = doc.object();
    const QString type = o.value(QLatin1String("type")).toString();
    if (!m_helloOnSocket) {
        if (type == QLatin1String("hello"))
            onHello(o);
        else
            bad(type.isEmpty() ? tr("a message without a type") : tr("a “%1” message").arg(type.left(40)));
        return;
    }
    if (type == QLatin1String("frame")) {
        onFrame(std::move(o));
    } else if (type == QLatin1String("event")) {
        o.remove(QLatin1String("type"));
        RunEvent e;
        QString error;
        if (!liveEventFromJson(o, &e, &error)) {
            skip(tr("a malformed event: %1").arg(error));
            return;
        }
        ++m_eventCount;
        Q_EMIT eventReceived(e);
    } else if (type == QLatin1String("ack")) {
        const QJsonValue ok = o.value(QLatin1String("ok"));
        if (!ok.isBool()) {
            skip(tr("an ack without a true or false “ok”"));
            return;
        }
        Q_EMIT ackReceived(o.value(QLatin1String("id")), ok.toBool(),
            o.value(QLatin1String("command")).toString().left(40),
            o.value(QLatin1String("error")).toString().left(500));
    } else if (type == QLatin1String("end")) {
        const QString reason = o.value(QLatin1String("reason")).toString().left(40);
        const double elapsed = o.value(QLatin1String("elapsed_s")).toDouble(m_lastT);
        m_state = State::Ended;
        m_retryTimer.stop();
        m_helloTimer.stop();
        dropSocket(true);
        Q_EMIT ended(reason.isEmpty() ? QStringLiteral("finished") : reason, elapsed);
    } else if (type == QLatin1String("hello")) {
        skip(tr("a second hello on one connection"));
    } else {
        skip(type.isEmpty() ? tr("a message without a type") : tr("a message of unknown type “%1”").arg(type.left(40)));
    }
}

void RemoteRun::onHello(const QJsonObject &o)
{
    const QJsonValue protocol = o.value(QLatin1String("protocol"));
    if (!protocol.isDouble() || protocol.toDouble() != kProtocol) {
        fail(tr("%1 speaks /live protocol %2 (hybridscope %3); this hybridscope speaks protocol %4: use the same "
                "version on both ends")
                 .arg(m_target.address(),
                     protocol.isDouble() ? QString::number(protocol.toDouble()) : tr("(none given)"),
                     o.value(QLatin1String("version")).toString().left(40))
                 .arg(kProtocol));
        return;
    }
    LiveHello hello;
    QString error;
    if (!parseLiveHello(o, &hello, &error)) {
        fail(tr("the hello from %1 is malformed: %2").arg(m_target.address(), error));
        return;
    }
    // The same run unless its name or classes differ, or it is younger than what was received:
    // the server was restarted with another run.
    const bool newRun = !m_helloSeen || hello.name != m_name || int(hello.classes.size()) != m_classCount
        || hello.elapsedS + 1.0 < m_lastT;
    if (newRun) {
        m_droppedBefore = 0; // of another run
        m_name = hello.name;
        m_classCount = int(hello.classes.size());
        m_lastT = -1;
        m_eventCount = 0;
    } else {
        ++m_reconnects;
    }
    // Of the recent frames and every event so far, only those not relayed before.
    std::vector<Frame> fresh;
    for (Frame &f : hello.frames) {
        if (int(f.classes.size()) != m_classCount) {
            skip(tr("a frame in the hello with %1 classes; the run has %2").arg(f.classes.size()).arg(m_classCount));
            continue;
        }
        if (!std::isfinite(f.t) || f.t <= m_lastT)
            continue;
        m_lastT = f.t;
        fresh.push_back(std::move(f));
    }
    hello.frames = std::move(fresh);
    const std::size_t events = hello.events.size();
    hello.events.erase(hello.events.begin(), hello.events.begin() + std::ptrdiff_t(std::min(m_eventCount, events)));
    m_eventCount = std::max(m_eventCount, events);

    m_helloSeen = true;
    m_helloOnSocket = true;
    m_helloTimer.stop();
    m_state = State::Live;
    m_retryMs = kFirstRetryMs;
    Q_EMIT helloReceived(hello, newRun);
}

void RemoteRun::onFrame(QJsonObject o)
{
    const QJsonValue dropped = o.take(QLatin1String("dropped"));
    o.remove(QLatin1String("type"));
    if (dropped.isDouble() && dropped.toDouble() >= 0 && dropped.toDouble() < 9e15)
        m_dropped = quint64(dropped.toDouble());
    Frame f;
    QString error;
    if (!liveFrameFromJson(o, &f, &error)) {
        skip(tr("a malformed frame: %1").arg(error));
        return;
    }
    if (int(f.classes.size()) != m_classCount) {
        skip(tr("a frame with %1 classes; the run has %2").arg(f.classes.size()).arg(m_classCount));
        return;
    }
    if (!std::isfinite(f.t) || f.t < 0) {
        skip(tr("a frame at time %1").arg(f.t));
        return;
    }
    if (f.t <= m_lastT)
        return; // relayed already (from a hello)
    m_lastT = f.t;
    Q_EMIT frameReceived(f);
}

} // namespace hs
