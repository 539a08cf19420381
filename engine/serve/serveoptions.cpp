#include "serve/serveoptions.h"

#include "core/safefile.h"

#include <QCryptographicHash>
#include <QFile>
#include <QHostAddress>

#include <sys/stat.h>

namespace hs {

bool parseServeAddress(const QString &text, ServeOptions *options, QString *error)
{
    const auto fail = [&](const QString &why) {
        *error = why + QStringLiteral("; expected [ADDR:]PORT, like 9400, 127.0.0.1:9400 or [::1]:9400");
        return false;
    };
    QString host, portText;
    if (text.startsWith(QLatin1Char('['))) {
        const qsizetype close = text.indexOf(QStringLiteral("]:"));
        if (close < 0)
            return fail(QStringLiteral("an address in brackets needs its port after \"]:\""));
        host = text.mid(1, close - 1);
        portText = text.mid(close + 2);
    } else if (const qsizetype colon = text.lastIndexOf(QLatin1Char(':')); colon >= 0) {
        host = text.left(colon);
        portText = text.mid(colon + 1);
        if (host.contains(QLatin1Char(':')))
            return fail(QStringLiteral("write an IPv6 address in brackets"));
        if (host.isEmpty())
            return fail(QStringLiteral("the address before \":\" is empty"));
    } else {
        host = QStringLiteral("127.0.0.1");
        portText = text;
    }
    bool ok = false;
    const uint port = portText.toUInt(&ok);
    if (!ok || port > 65535 || portText.isEmpty() || !portText.front().isDigit())
        return fail(QStringLiteral("the port must be a number from 0 (any free port) to 65535, got \"%1\"")
                        .arg(portText.left(20)));
    if (host.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0)
        host = QStringLiteral("127.0.0.1");
    QHostAddress address;
    if (!address.setAddress(host)
        || (address.protocol() != QAbstractSocket::IPv4Protocol && address.protocol() != QAbstractSocket::IPv6Protocol))
        return fail(QStringLiteral("\"%1\" is not an IP address (give one of this machine's addresses, or localhost)")
                        .arg(host.left(60)));
    if (!address.scopeId().isEmpty())
        return fail(QStringLiteral("scoped IPv6 addresses (%1) are not supported").arg(host.left(60)));
    options->address = address.toString();
    options->port = quint16(port);
    return true;
}

bool isLoopbackAddress(const QString &address)
{
    return QHostAddress(address).isLoopback();
}

QString serveAuthority(const QString &address, quint16 port)
{
    const bool v6 = QHostAddress(address).protocol() == QAbstractSocket::IPv6Protocol;
    return (v6 ? QLatin1Char('[') + address + QLatin1Char(']') : address) + QLatin1Char(':') + QString::number(port);
}

bool readTokenFile(const QString &path, QByteArray *token, QString *error)
{
    QByteArray bytes;
    QString why;
    if (!readRegularFile(path, 4096, &bytes, &why)) {
        *error = why;
        return false;
    }
    struct stat st { };
    if (::stat(QFile::encodeName(path).constData(), &st) == 0 && (st.st_mode & (S_IROTH | S_IWOTH))) {
        *error = QStringLiteral("other users can read or write it (mode %1); make it private: chmod 600 %2")
                     .arg(QString::number(st.st_mode & 0777, 8), path);
        return false;
    }
    const qsizetype nl = bytes.indexOf('\n');
    const QByteArray line = (nl < 0 ? bytes : bytes.left(nl)).trimmed();
    if (line.isEmpty()) {
        *error = QStringLiteral("its first line is empty; put the token there (e.g. openssl rand -hex 32 > FILE)");
        return false;
    }
    for (const char c : line)
        if (c < 0x21 || c > 0x7e) {
            *error = QStringLiteral("the token must be visible ASCII characters without spaces (it travels in an HTTP "
                                    "header)");
            return false;
        }
    if (line.size() < 16) {
        *error = QStringLiteral("the token has %1 characters; use at least 16 (e.g. openssl rand -hex 32 > FILE)")
                     .arg(line.size());
        return false;
    }
    *token = line;
    return true;
}

bool bearerMatches(const QByteArray &authorization, const QByteArray &token)
{
    const QByteArray value = authorization.trimmed();
    const bool bearer = value.size() > 7 && value.left(7).toLower() == "bearer ";
    const QByteArray given = bearer ? value.mid(7).trimmed() : QByteArray();
    // Digests of both, so the comparison covers the same 32 bytes whatever the lengths; every byte is
    // looked at, so the time does not tell where they differ.
    const QByteArray a = QCryptographicHash::hash(given, QCryptographicHash::Sha256);
    const QByteArray b = QCryptographicHash::hash(token, QCryptographicHash::Sha256);
    unsigned diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= unsigned(static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]));
    return bearer && !token.isEmpty() && diff == 0;
}

} // namespace hs
