#pragma once

#include <QByteArray>
#include <QString>

// `--serve [ADDR:]PORT` and `--token-file F` (DESIGN §14, docs/serve.md).
namespace hs {

struct ServeOptions {
    QString address = QStringLiteral("127.0.0.1"); ///< an IP address
    quint16 port = 0; ///< 0: any free port
    QByteArray token; ///< the Bearer token both endpoints require; empty: none
};

/// "9400", "127.0.0.1:9400", "localhost:9400", "0.0.0.0:9400", "[::1]:9400" → address and port
/// (default address 127.0.0.1). False with *error saying what was expected.
bool parseServeAddress(const QString &text, ServeOptions *options, QString *error);
/// 127.0.0.0/8 or ::1.
bool isLoopbackAddress(const QString &address);
/// "127.0.0.1:9400", "[::1]:9400": the address and port as a URL's authority.
QString serveAuthority(const QString &address, quint16 port);

/// The token in a token file: its first line, trimmed. Refused (false, *error says why and what to
/// do): not a regular file or over 4 KiB, readable or writable by other users (mode o+rw; chmod 600
/// it), an empty first line, characters outside visible ASCII, or fewer than 16 characters.
bool readTokenFile(const QString &path, QByteArray *token, QString *error);

/// Whether an Authorization header value carries `Bearer <token>` (scheme case-insensitive),
/// compared in constant time: the time taken does not depend on where a wrong token differs.
bool bearerMatches(const QByteArray &authorization, const QByteArray &token);

} // namespace hs
