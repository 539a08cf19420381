#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

// The head of an HTTP/1.1 request (request line and headers), read with bounds before anything
// else happens: the server never buffers more than kMaxHttpHeadBytes from a peer it has not
// answered, and refuses a body (GET and HEAD only; docs/serve.md).
namespace hs {

inline constexpr int kMaxHttpHeadBytes = 16 * 1024;
inline constexpr int kMaxHttpHeaders = 64;

struct HttpRequestHead {
    QByteArray method; ///< "GET"
    QByteArray path; ///< "/metrics" (the target without its query)
    QByteArray version; ///< "HTTP/1.1" or "HTTP/1.0"
    QList<QPair<QByteArray, QByteArray>> headers; ///< names lower-cased, values trimmed, in order
    /// The first header of that (lower-case) name; empty when absent.
    QByteArray header(const QByteArray &lowerName) const;
    bool has(const QByteArray &lowerName) const;
    /// The connection stays open after the response (HTTP/1.1 unless "Connection: close";
    /// HTTP/1.0 only with "keep-alive").
    bool keepAlive() const;
    /// "Upgrade: websocket" with "Connection: ... upgrade ...".
    bool wantsWebSocket() const;
};

enum class HttpHeadResult { Incomplete, Ok, Bad, TooLarge };

/**
 * Parses the request head at the start of `data` (up to the empty line). Incomplete while the
 * empty line has not come (and `data` is within kMaxHttpHeadBytes); TooLarge beyond it or with
 * more than kMaxHttpHeaders headers; Bad with *error saying what is malformed. On Ok, *headBytes
 * is the length of the head including the empty line.
 *
 *     HttpRequestHead head;
 *     qsizetype n = 0;
 *     QString why;
 *     if (parseHttpRequestHead(socket->peek(kMaxHttpHeadBytes + 1), &head, &n, &why) == HttpHeadResult::Ok) ...
 */
HttpHeadResult parseHttpRequestHead(
    const QByteArray &data, HttpRequestHead *head, qsizetype *headBytes, QString *error);

} // namespace hs
