#include "serve/httphead.h"

namespace hs {

namespace {

// RFC 9110 token characters (method, header names).
bool isToken(const QByteArray &s)
{
    if (s.isEmpty())
        return false;
    for (const char c : s) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
        if (!ok)
            return false;
    }
    return true;
}

bool hasListToken(const QByteArray &value, const QByteArray &token)
{
    for (const QByteArray &part : value.split(','))
        if (part.trimmed().toLower() == token)
            return true;
    return false;
}

} // namespace

QByteArray HttpRequestHead::header(const QByteArray &lowerName) const
{
    for (const auto &[name, value] : headers)
        if (name == lowerName)
            return value;
    return {};
}

bool HttpRequestHead::has(const QByteArray &lowerName) const
{
    for (const auto &h : headers)
        if (h.first == lowerName)
            return true;
    return false;
}

bool HttpRequestHead::keepAlive() const
{
    const QByteArray connection = header("connection");
    if (version == "HTTP/1.0")
        return hasListToken(connection, "keep-alive");
    return !hasListToken(connection, "close");
}

bool HttpRequestHead::wantsWebSocket() const
{
    return header("upgrade").toLower() == "websocket" && hasListToken(header("connection"), "upgrade");
}

HttpHeadResult parseHttpRequestHead(const QByteArray &data, HttpRequestHead *head, qsizetype *headBytes, QString *error)
{
    const auto bad = [error](const QString &why) {
        if (error)
            *error = why;
        return HttpHeadResult::Bad;
    };
    const qsizetype end = data.indexOf("\r\n\r\n");
    if (end < 0 || end + 4 > kMaxHttpHeadBytes) {
        if (end >= 0 || data.size() > kMaxHttpHeadBytes) {
            if (error)
                *error = QStringLiteral("request head over %1 bytes").arg(kMaxHttpHeadBytes);
            return HttpHeadResult::TooLarge;
        }
        return HttpHeadResult::Incomplete;
    }
    HttpRequestHead h;
    QList<QByteArray> lines = data.left(end + 2).split('\n');
    lines.removeLast(); // after the head's last CR LF
    QByteArray requestLine = lines.first();
    if (!requestLine.endsWith('\r'))
        return bad(QStringLiteral("lines must end in CR LF"));
    requestLine.chop(1);
    const QList<QByteArray> parts = requestLine.split(' ');
    if (parts.size() != 3)
        return bad(QStringLiteral("malformed request line"));
    h.method = parts[0];
    h.version = parts[2];
    if (!isToken(h.method))
        return bad(QStringLiteral("malformed method"));
    if (h.version != "HTTP/1.1" && h.version != "HTTP/1.0")
        return bad(QStringLiteral("unsupported HTTP version"));
    QByteArray target = parts[1];
    if (target.startsWith("http://") || target.startsWith("https://")) { // absolute form: keep the path
        const qsizetype slash = target.indexOf('/', target.indexOf("//") + 2);
        target = slash < 0 ? QByteArrayLiteral("/") : target.mid(slash);
    }
    if (!target.startsWith('/'))
        return bad(QStringLiteral("malformed request target"));
    for (const char c : target)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
            return bad(QStringLiteral("malformed request target"));
    const qsizetype q = target.indexOf('?');
    h.path = q < 0 ? target : target.left(q);
    if (lines.size() - 1 > kMaxHttpHeaders) {
        if (error)
            *error = QStringLiteral("more than %1 headers").arg(kMaxHttpHeaders);
        return HttpHeadResult::TooLarge;
    }
    for (qsizetype i = 1; i < lines.size(); ++i) {
        QByteArray line = lines[i];
        if (!line.endsWith('\r'))
            return bad(QStringLiteral("lines must end in CR LF"));
        line.chop(1);
        if (line.startsWith(' ') || line.startsWith('\t'))
            return bad(QStringLiteral("folded header lines are not accepted"));
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0 || !isToken(line.left(colon)))
            return bad(QStringLiteral("malformed header line"));
        const QByteArray value = line.mid(colon + 1).trimmed();
        for (const char c : value)
            if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
                return bad(QStringLiteral("control character in a header value"));
        h.headers.append({ line.left(colon).toLower(), value });
    }
    *head = std::move(h);
    *headBytes = end + 4;
    return HttpHeadResult::Ok;
}

} // namespace hs
