#pragma once

#include <QByteArray>
#include <QString>

namespace hs {

/// Reads the whole of `path` into *out when it is a regular file of at most `maxBytes`; false with
/// *error saying why (without the path: callers name it with their context) otherwise: an empty path, a missing file, a
/// directory, a FIFO, a socket or a device, a file larger than `maxBytes`. The file is checked before it is opened and
/// opened without blocking, so a FIFO or a terminal never hangs the caller and /dev/zero is never read. A Qt resource
/// path (":/…", the built-in scenarios) is read as is.
bool readRegularFile(const QString &path, qint64 maxBytes, QByteArray *out, QString *error);

/// Whether `path` may be replaced by a regular file: it does not exist or is a regular file (a
/// symbolic link to one counts), and its directory exists and is writable. False with *error saying
/// why (without the path) otherwise (a device, a FIFO, a directory, a socket, a link to nothing or to one of those, a
/// missing or read-only directory). Writers call this before they start work and again right before
/// they replace the file.
bool checkOutputPath(const QString &path, QString *error);

/// What kind of thing a non-regular file is ("a directory", "a FIFO", "a character device", …), for errors.
QString fileKindName(unsigned mode);

} // namespace hs
