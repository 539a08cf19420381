#include "testutil.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>

namespace hs::test {

QString sourceDir()
{
    const QString env = qEnvironmentVariable("HS_SOURCE_DIR");
    return env.isEmpty() ? QDir::currentPath() : env;
}

QString appPath()
{
    return qEnvironmentVariable("HS_APP");
}

std::vector<pid_t> childPids(pid_t parent)
{
    std::vector<pid_t> out;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &e : entries) {
        bool ok = false;
        const int pid = e.toInt(&ok);
        if (!ok)
            continue;
        QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        // "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'.
        const QByteArray stat = f.readAll();
        const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 1 && fields[1].toInt() == int(parent))
            out.push_back(pid_t(pid));
    }
    return out;
}

QStringList shmSegmentsOf(qint64 owner)
{
    return QDir(QStringLiteral("/dev/shm"))
        .entryList({ QStringLiteral("hybridscope-%1-*").arg(owner) }, QDir::Files | QDir::System);
}

} // namespace hs::test
