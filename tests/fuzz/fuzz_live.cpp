// libFuzzer target: the /live protocol's parsers (engine/serve/liveprotocol.h) on arbitrary bytes,
// the messages a network peer controls. A served run reads every client message with
// parseLiveCommand; an attached GUI reads the server's hello, frames and events. Whatever parses
// must write back to JSON that parses again to the same value: the encoding is lossless, so any
// difference is a bug, reported by abort(). A rejected message must say why.

#include "serve/liveprotocol.h"

#include <QByteArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdint>
#include <cstdlib>

using namespace hs;

namespace {

void require(bool ok)
{
    if (!ok)
        std::abort();
}

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

void command(const QByteArray &text)
{
    LiveCommand c;
    QString error, name;
    if (!parseLiveCommand(text, &c, &error, &name)) {
        require(!error.isEmpty());
        return;
    }
    require(error.isEmpty() && name == liveCommandName(c.type));
    const QByteArray again = compact(liveCommandJson(c));
    LiveCommand back;
    QString error2;
    require(parseLiveCommand(again, &back, &error2));
    require(compact(liveCommandJson(back)) == again);
}

void frame(const QJsonObject &o)
{
    Frame f;
    QString error;
    if (!liveFrameFromJson(o, &f, &error)) {
        require(!error.isEmpty());
        return;
    }
    const QJsonObject again = liveFrameJson(f);
    Frame back;
    require(liveFrameFromJson(again, &back, &error));
    require(liveFrameJson(back) == again);
}

void event(const QJsonObject &o)
{
    RunEvent e;
    QString error;
    if (!liveEventFromJson(o, &e, &error)) {
        require(!error.isEmpty());
        return;
    }
    const QJsonObject again = liveEventJson(e);
    RunEvent back;
    require(liveEventFromJson(again, &back, &error));
    require(liveEventJson(back) == again);
}

void hello(const QJsonObject &o)
{
    LiveHello h;
    QString error;
    if (!parseLiveHello(o, &h, &error)) {
        require(!error.isEmpty());
        return;
    }
    require(h.protocol == kLiveProtocol);
    for (const Frame &f : h.frames)
        require(int(f.classes.size()) == int(h.classes.size()));
    const QJsonObject again = liveHelloJson(h, o.value(QStringLiteral("config")).toObject());
    LiveHello back;
    require(parseLiveHello(again, &back, &error));
    require(liveHelloJson(back, o.value(QStringLiteral("config")).toObject()) == again);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray text(reinterpret_cast<const char *>(data), qsizetype(size));
    command(text);
    const QJsonDocument doc = QJsonDocument::fromJson(text);
    if (doc.isObject()) {
        const QJsonObject o = doc.object();
        frame(o);
        event(o);
        hello(o);
    }
    return 0;
}
