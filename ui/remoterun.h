#pragma once

#include "core/frame.h"
#include "serve/liveprotocol.h"

#include <QJsonValue>
#include <QObject>
#include <QString>
#include <QTimer>
#include <QUrl>

#include <optional>

class QWebSocket;

namespace hs {

/// Where a served run is (`hybridscope run … --serve`): its host and port, and the token if it has one.
struct AttachTarget {
    QString host;
    quint16 port = 0;
    QString token; ///< empty: the upgrade request carries no Authorization header

    /// "HOST:PORT", "[::1]:PORT", or the address the server prints ("http://HOST:PORT",
    /// "ws://HOST:PORT/live"); nullopt with *error naming what is wrong.
    static std::optional<AttachTarget> parse(const QString &text, QString *error);
    /// "host:port", an IPv6 host in brackets.
    QString address() const;
    /// ws://host:port/live
    QUrl url() const;
};

/**
 * The client end of a served run's /live WebSocket (docs/serve.md, DESIGN §14): connects, reads
 * the hello, then relays every frame, event, acknowledgement and the end as signals; sends
 * commands. A lost connection is retried with a growing delay (kFirstRetryMs doubling up to
 * kMaxRetryMs) until detach(); each reconnect gets a new hello, and of its frames and events only
 * those not relayed before are passed on, so a window that follows never sees a frame twice.
 * What cannot get better by retrying (the first connection refused, HTTP 401, another protocol,
 * a malformed hello) ends in failed(). Malformed messages after the hello are skipped and counted.
 * Lives on the GUI thread: a QWebSocket is asynchronous, and nothing here blocks.
 *
 *     RemoteRun remote(*AttachTarget::parse(QStringLiteral("127.0.0.1:9400"), &error));
 *     connect(&remote, &RemoteRun::frameReceived, plots, &LivePlots::addFrame);
 *     remote.open();                         // helloReceived() or failed() follows
 *     remote.send(resizeCommand, &error);    // ackReceived() with its id
 *     remote.detach();                       // the remote run goes on
 */
class RemoteRun : public QObject {
    Q_OBJECT
public:
    enum class State { Idle, Connecting, Live, Reconnecting, Ended, Failed, Detached };
    static constexpr int kProtocol = kLiveProtocol;
    static constexpr int kFirstRetryMs = 500;
    static constexpr int kMaxRetryMs = 5000;
    /// From opening the socket to the hello; a server that says nothing is not a served run.
    static constexpr int kHelloBoundMs = 10000;
    /// A hello carries up to 30 s of frames (a few MB); beyond this a message is refused.
    static constexpr quint64 kMaxMessageBytes = 64ull << 20;

    explicit RemoteRun(const AttachTarget &target, QObject *parent = nullptr);
    ~RemoteRun() override;

    /// Connects (once; reconnects are automatic).
    void open();
    /// Closes the socket and stops retrying; the remote run goes on. No signal follows.
    void detach();
    /// Sends `command` with a fresh id (set in it); the id, or a null value with *error when not
    /// connected. Its ack comes as ackReceived() with that id.
    QJsonValue send(LiveCommand command, QString *error);

    State state() const { return m_state; }
    const AttachTarget &target() const { return m_target; }
    /// Messages skipped because they were malformed (not JSON, an unknown type, a bad frame...).
    int malformedCount() const { return m_malformed; }
    /// Frames the server dropped for this client (its latest-wins queue), over every connection.
    quint64 droppedFrames() const { return m_droppedBefore + m_dropped; }
    /// Connections made after the first one.
    int reconnects() const { return m_reconnects; }
    /// The run time of the newest frame relayed; < 0 before the first.
    double lastFrameTime() const { return m_lastT; }
    /// The delay before the next reconnect attempt (after the one scheduled).
    int nextRetryMs() const { return m_retryMs; }

Q_SIGNALS:
    /// A hello: the first one (`newRun`), or one after a reconnect. Its frames and events are
    /// those not relayed before; a hello of another run (the server was restarted) is a new run.
    void helloReceived(const hs::LiveHello &hello, bool newRun);
    void frameReceived(const hs::Frame &frame);
    void eventReceived(const hs::RunEvent &event);
    void ackReceived(const QJsonValue &id, bool ok, const QString &command, const QString &error);
    /// The run is over ("finished", "stopped" or "cancelled"); nothing more comes.
    void ended(const QString &reason, double elapsedS);
    /// The connection dropped or an attempt to reconnect failed; the next attempt is in `retryInMs`.
    void connectionLost(const QString &why, int retryInMs);
    /// Given up: nothing more comes. `why` names what and where.
    void failed(const QString &why);
    /// A message was skipped (`what` is wrong with it); `count` so far.
    void malformedMessage(const QString &what, int count);

private:
    void connectSocket();
    void onText(const QString &text);
    void onHello(const QJsonObject &o);
    void onFrame(QJsonObject o);
    /// The socket `s` (the current one) failed or closed: says why, then onDown().
    void onSocketDown(QWebSocket *s);
    /// The current socket went down (closed, refused, timed out): retry or give up.
    void onDown(const QString &why, bool fatal);
    void fail(const QString &why);
    void skip(const QString &what);
    /// Lets go of the current socket: `clean` closes it with a close frame, else aborts it.
    void dropSocket(bool clean);

    AttachTarget m_target;
    QWebSocket *m_socket = nullptr;
    State m_state = State::Idle;
    QTimer m_retryTimer;
    QTimer m_helloTimer;
    int m_retryMs = kFirstRetryMs;
    bool m_helloSeen = false; ///< on any connection: the run has started in the window
    bool m_helloOnSocket = false; ///< on the current connection
    bool m_socketConnected = false; ///< the current connection was opened (the upgrade done)
    QString m_name;
    int m_classCount = 0;
    double m_lastT = -1;
    std::size_t m_eventCount = 0;
    int m_malformed = 0;
    quint64 m_dropped = 0; ///< as the server last said, on the current connection
    quint64 m_droppedBefore = 0; ///< on the connections before it
    int m_reconnects = 0;
    qint64 m_nextId = 1;
};

} // namespace hs
