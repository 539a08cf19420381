#include "testutil.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QProcess>

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

QString writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &text)
{
    const QString path = dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(text) != text.size())
        return {};
    return path;
}

QJsonObject readJson(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

bool hasKeys(const QJsonObject &o, std::initializer_list<const char *> keys, QString *missing)
{
    for (const char *k : keys)
        if (!o.contains(QLatin1String(k))) {
            *missing = QString::fromLatin1(k);
            return false;
        }
    return true;
}

QString AppRun::describe() const
{
    return QStringLiteral("finished %1, crashed %2, exit %3\nstdout:\n%4\nstderr:\n%5")
        .arg(finished)
        .arg(crashed)
        .arg(exitCode)
        .arg(out.right(3000), err.right(3000));
}

AppRun runApp(const QStringList &args, int timeoutMs, const std::function<void()> &setup)
{
    QProcess p;
    if (setup)
        p.setChildProcessModifier(setup);
    p.start(appPath(), args);
    AppRun r;
    r.finished = p.waitForFinished(timeoutMs);
    if (!r.finished) {
        p.kill();
        p.waitForFinished(5000);
    }
    r.crashed = p.exitStatus() == QProcess::CrashExit;
    r.exitCode = r.finished && !r.crashed ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    if (!r.finished)
        r.err += QStringLiteral("\ntimed out");
    return r;
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

CpuTimes cpuTimes()
{
    // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
    QFile f(QStringLiteral("/proc/stat"));
    CpuTimes t;
    if (!f.open(QIODevice::ReadOnly))
        return t;
    const QList<QByteArray> fields = f.readLine().simplified().split(' ');
    if (fields.size() < 9 || fields[0] != "cpu")
        return t;
    for (qsizetype i = 1; i <= 8; ++i) // guest time is already counted in user and nice
        t.total += fields[i].toULongLong();
    t.steal = fields[8].toULongLong();
    t.valid = true;
    return t;
}

double stealShare(const CpuTimes &from, const CpuTimes &to)
{
    if (!from.valid || !to.valid || to.total <= from.total || to.steal < from.steal)
        return 0;
    return double(to.steal - from.steal) / double(to.total - from.total);
}

} // namespace hs::test
