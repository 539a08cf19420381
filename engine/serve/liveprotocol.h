#pragma once

#include "core/frame.h"
#include "core/kinds.h"
#include "domains/domain.h"
#include "scenario/scenario.h"

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringList>

#include <vector>

// The messages of `/live` (DESIGN §14, docs/serve.md): JSON text over a WebSocket, each an object
// with "type". The server (serve/server.h) writes them and the GUI's attach reads them with these
// functions, so both ends share one encoding. Qt Core only.
namespace hs {

inline constexpr int kLiveProtocol = 1;
/// A client message larger than this is refused with an error ack (the run goes on).
inline constexpr int kLiveMaxMessageBytes = 64 * 1024;
/// Frames a hello carries: the most recent 30 s.
inline constexpr int kLiveHelloFrames = 600;

/// This build's version (the project's, from CMake), as the hello and build_info say it.
QString hybridscopeVersion();

/**
 * A frame as JSON, without "type" (the server adds "type": "frame" and the client's "dropped"):
 * every field of hs::Frame, so that liveFrameFromJson gives back the same Frame (doubles are
 * written shortest-exact; counters as numbers, exact up to 2^53).
 *
 *     QJsonObject o = liveFrameJson(frame);
 *     Frame back;
 *     QString why;
 *     liveFrameFromJson(o, &back, &why);   // back == frame, field by field
 */
QJsonObject liveFrameJson(const Frame &frame);
/// Strict: every field present with its type and range; extra keys ("type", "dropped") ignored.
/// False with *error naming the field ("domains.threads.queue: expected a whole number").
bool liveFrameFromJson(const QJsonObject &o, Frame *frame, QString *error);

/// {"t", "label", "kind"}, without "type".
QJsonObject liveEventJson(const RunEvent &event);
bool liveEventFromJson(const QJsonObject &o, RunEvent *event, QString *error);

/**
 * A client's command (resize, reassign, backpressure, autoscale, gil, stop), as parsed from its
 * JSON text, with the values the scenario format accepts for the same fields. `id` is the
 * client's "id" (a number or a string; undefined when absent), echoed in the ack.
 *
 *     LiveCommand c;
 *     QString why;
 *     if (!parseLiveCommand(R"({"type":"resize","domain":"threads","workers":8})", &c, &why))
 *         ...                            // why: what was wrong, naming the field
 */
struct LiveCommand {
    enum class Type { Resize, Reassign, Backpressure, Autoscale, Gil, Stop } type = Type::Resize;
    DomainKind domain = DomainKind::Threads;
    int workers = 0;
    QString key; ///< reassign: CLASS.STAGE
    Backpressure backpressure;
    AutoscaleConfig autoscale;
    bool gilEnabled = false;
    QJsonValue id = QJsonValue(QJsonValue::Undefined);
};

/// "resize", "reassign", "backpressure", "autoscale", "gil", "stop".
QString liveCommandName(LiveCommand::Type type);
/// The message a client sends for `c` (the fields of its type, and "id" when set).
QJsonObject liveCommandJson(const LiveCommand &c);
/**
 * Parses one client message. On failure *error says what was wrong (not JSON, not an object,
 * too big, unknown type, a missing, unknown or wrong-typed field, an unknown domain, a value out
 * of the scenario format's range) and, as far as they could be read, c->id is set and
 * *commandName holds the message's "type" if it is a known one (else it is empty): what the ack
 * echoes.
 */
bool parseLiveCommand(const QByteArray &text, LiveCommand *c, QString *error, QString *commandName = nullptr);

/// What a client learns from the server's first message.
struct LiveHello {
    int protocol = kLiveProtocol;
    QString version, name, scenarioYaml;
    double elapsedS = 0;
    double durationS = 0; ///< 0: until stopped
    QStringList classes; ///< class names in class index order
    std::vector<Frame> frames; ///< the most recent ones, oldest first
    std::vector<RunEvent> events; ///< every event so far
};
/// The hello message ("type": "hello"); `config` is scenarioConfigJson of the current configuration.
QJsonObject liveHelloJson(const LiveHello &hello, const QJsonObject &config);
/// Checks the protocol (1), every key's type, each frame (with one entry per class) and event.
bool parseLiveHello(const QJsonObject &o, LiveHello *hello, QString *error);

/// {"type":"ack","ok","error","command"[,"id"]}.
QJsonObject liveAckJson(bool ok, const QString &error, const QString &command, const QJsonValue &id);
/// {"type":"end","reason","elapsed_s"}; reason "finished", "stopped" or "cancelled".
QJsonObject liveEndJson(const QString &reason, double elapsedS);

} // namespace hs
