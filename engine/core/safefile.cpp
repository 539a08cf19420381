#include "core/safefile.h"

#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hs {

namespace {
QString errnoText(int e)
{
    return QString::fromLocal8Bit(std::strerror(e));
}

QString notRegular(unsigned mode)
{
    return QStringLiteral("%1, not a regular file").arg(fileKindName(mode));
}
} // namespace

QString fileKindName(unsigned mode)
{
    if (S_ISDIR(mode))
        return QStringLiteral("a directory");
    if (S_ISFIFO(mode))
        return QStringLiteral("a FIFO (named pipe)");
    if (S_ISCHR(mode))
        return QStringLiteral("a character device");
    if (S_ISBLK(mode))
        return QStringLiteral("a block device");
    if (S_ISSOCK(mode))
        return QStringLiteral("a socket");
    if (S_ISLNK(mode))
        return QStringLiteral("a symbolic link");
    return S_ISREG(mode) ? QStringLiteral("a regular file") : QStringLiteral("a special file");
}

bool readRegularFile(const QString &path, qint64 maxBytes, QByteArray *out, QString *error)
{
    if (path.isEmpty()) {
        *error = QStringLiteral("empty path");
        return false;
    }
    if (path.startsWith(QLatin1String(":/"))) {
        // A Qt resource (a built-in scenario) is compiled into the program: never a device or a FIFO.
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly)) {
            *error = f.errorString();
            return false;
        }
        if (f.size() > maxBytes) {
            *error = QStringLiteral("larger than %1 MiB, the limit for this file").arg(maxBytes / (1024 * 1024));
            return false;
        }
        *out = f.readAll();
        return true;
    }
    const QByteArray native = QFile::encodeName(path);
    // stat first: opening a FIFO for reading blocks until a writer comes, opening a tape rewinds it.
    struct stat st = {};
    if (::stat(native.constData(), &st) != 0) {
        *error = errnoText(errno);
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        *error = notRegular(st.st_mode);
        return false;
    }
    // The path may have been swapped since: open without blocking, then check what was opened.
    const int fd = ::open(native.constData(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        *error = errnoText(errno);
        return false;
    }
    const auto fail = [&](const QString &why) {
        ::close(fd);
        *error = why;
        return false;
    };
    if (::fstat(fd, &st) != 0)
        return fail(errnoText(errno));
    if (!S_ISREG(st.st_mode))
        return fail(notRegular(st.st_mode));
    const auto tooLarge = [&] {
        return fail(QStringLiteral("larger than %1 MiB, the limit for this file").arg(maxBytes / (1024 * 1024)));
    };
    if (st.st_size > maxBytes)
        return tooLarge();
    // Read to the end rather than st_size bytes: the file may grow or shrink while it is read.
    QByteArray data;
    data.resize(qsizetype(std::min<qint64>(qint64(st.st_size), maxBytes) + 1));
    qint64 total = 0;
    for (;;) {
        if (total == data.size()) {
            if (total > maxBytes)
                return tooLarge();
            data.resize(qsizetype(std::min<qint64>(total * 2, maxBytes + 1)));
        }
        const ssize_t n = ::read(fd, data.data() + total, std::size_t(data.size() - total));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(errnoText(errno));
        if (n == 0)
            break;
        total += n;
    }
    ::close(fd);
    if (total > maxBytes) {
        *error = QStringLiteral("larger than %1 MiB, the limit for this file").arg(maxBytes / (1024 * 1024));
        return false;
    }
    data.truncate(qsizetype(total));
    *out = std::move(data);
    return true;
}

bool checkOutputPath(const QString &path, QString *error)
{
    if (path.isEmpty()) {
        *error = QStringLiteral("empty path");
        return false;
    }
    const QByteArray native = QFile::encodeName(path);
    QString target = QFileInfo(path).absoluteFilePath();
    struct stat st = {};
    if (::lstat(native.constData(), &st) == 0) {
        if (S_ISLNK(st.st_mode)) {
            // QSaveFile writes through a link to its target: the target must be a regular file.
            if (::stat(native.constData(), &st) != 0) {
                *error = QStringLiteral("a symbolic link to nothing (%1)").arg(errnoText(errno));
                return false;
            }
            target = QFileInfo(path).canonicalFilePath();
        }
        if (!S_ISREG(st.st_mode)) {
            *error = QStringLiteral("%1 (refusing to replace it)").arg(notRegular(st.st_mode));
            return false;
        }
        if (::access(native.constData(), W_OK) != 0) {
            *error = QStringLiteral("not writable: %1").arg(errnoText(errno));
            return false;
        }
    } else if (errno != ENOENT) {
        *error = errnoText(errno);
        return false;
    }
    // The new file is made in the target's directory, then renamed over the target.
    const QString dir = QFileInfo(target).absolutePath();
    const QByteArray nativeDir = QFile::encodeName(dir);
    if (::stat(nativeDir.constData(), &st) != 0) {
        *error = QStringLiteral("the directory %1 does not exist (%2)").arg(dir, errnoText(errno));
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        *error = QStringLiteral("%1 is not a directory").arg(dir);
        return false;
    }
    if (::access(nativeDir.constData(), W_OK | X_OK) != 0) {
        *error = QStringLiteral("the directory %1 is not writable (%2)").arg(dir, errnoText(errno));
        return false;
    }
    return true;
}

} // namespace hs
