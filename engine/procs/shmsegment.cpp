#include "procs/shmsegment.h"

#include <QDir>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <system_error>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hs {

namespace {

std::atomic<unsigned> g_counter { 0 };

QString errnoText(int err)
{
    return QString::fromStdString(std::generic_category().message(err));
}

// Segments grow in powers of two from 64 KiB, so a pool settles on its largest payload quickly.
std::size_t roundedCapacity(std::size_t bytes)
{
    std::size_t cap = 64 * 1024;
    while (cap < bytes)
        cap *= 2;
    return cap;
}

} // namespace

ShmSegment::~ShmSegment()
{
    if (m_data)
        ::munmap(m_data, m_mapped);
    if (m_fd >= 0)
        ::close(m_fd);
    if (m_owner)
        unlinkName();
}

QString ShmSegment::filePrefix()
{
    return QStringLiteral("hybridscope-");
}

std::unique_ptr<ShmSegment> ShmSegment::create(QString *error)
{
    std::unique_ptr<ShmSegment> s(new ShmSegment);
    for (int attempt = 0; attempt < 16; ++attempt) {
        const QByteArray name = '/' + filePrefix().toLatin1() + QByteArray::number(qint64(::getpid())) + '-'
            + QByteArray::number(g_counter.fetch_add(1, std::memory_order_relaxed));
        const int fd = ::shm_open(name.constData(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            s->m_name = name;
            s->m_fd = fd;
            s->m_owner = true;
            s->m_linked = true;
            return s;
        }
        if (errno != EEXIST) // a leftover of an earlier process with our pid: try the next number
            break;
    }
    if (error)
        *error = QStringLiteral("shm: cannot create a segment: ") + errnoText(errno);
    return nullptr;
}

std::unique_ptr<ShmSegment> ShmSegment::open(const QByteArray &name, QString *error)
{
    const int fd = ::shm_open(name.constData(), O_RDWR | O_CLOEXEC, 0);
    if (fd < 0) {
        if (error)
            *error = QStringLiteral("shm: cannot open %1: %2").arg(QString::fromUtf8(name), errnoText(errno));
        return nullptr;
    }
    std::unique_ptr<ShmSegment> s(new ShmSegment);
    s->m_name = name;
    s->m_fd = fd;
    return s;
}

void ShmSegment::unlinkName()
{
    if (!m_linked)
        return;
    ::shm_unlink(m_name.constData());
    m_linked = false;
}

bool ShmSegment::mapSize(std::size_t bytes, QString *error)
{
    if (m_data) {
        ::munmap(m_data, m_mapped);
        m_data = nullptr;
        m_mapped = 0;
    }
    if (bytes == 0)
        return true;
    // MAP_POPULATE: the page tables are filled once here, not on every stage's first touch.
    void *p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, m_fd, 0);
    if (p == MAP_FAILED) {
        if (error)
            *error = QStringLiteral("shm: cannot map %1 bytes: %2").arg(bytes).arg(errnoText(errno));
        return false;
    }
    m_data = static_cast<unsigned char *>(p);
    m_mapped = bytes;
    return true;
}

bool ShmSegment::reserve(std::size_t bytes, QString *error)
{
    if (bytes <= m_mapped)
        return true;
    const std::size_t cap = roundedCapacity(bytes);
    // posix_fallocate allocates the pages: no space gives ENOSPC now instead of SIGBUS on a write.
    const int rc = ::posix_fallocate(m_fd, 0, off_t(cap));
    if (rc != 0) {
        if (error)
            *error = QStringLiteral("shm: cannot reserve %1 bytes: %2").arg(cap).arg(errnoText(rc));
        return false;
    }
    return mapSize(cap, error);
}

bool ShmSegment::mapAtLeast(std::size_t bytes, QString *error)
{
    if (bytes <= m_mapped)
        return true;
    struct stat st;
    if (::fstat(m_fd, &st) < 0) {
        if (error)
            *error = QStringLiteral("shm: ") + errnoText(errno);
        return false;
    }
    if (std::size_t(st.st_size) < bytes) {
        if (error)
            *error = QStringLiteral("shm: segment holds %1 bytes, %2 needed").arg(qint64(st.st_size)).arg(bytes);
        return false;
    }
    return mapSize(std::size_t(st.st_size), error);
}

std::optional<pid_t> ShmSegment::ownerOf(const QString &fileName)
{
    if (!fileName.startsWith(filePrefix()))
        return std::nullopt;
    const QStringList parts = fileName.mid(filePrefix().size()).split(QLatin1Char('-'));
    if (parts.size() != 2)
        return std::nullopt;
    bool okPid = false;
    bool okN = false;
    const qint64 pid = parts[0].toLongLong(&okPid);
    parts[1].toULongLong(&okN);
    if (!okPid || !okN || pid <= 0 || pid > 0x7fffffff)
        return std::nullopt;
    return pid_t(pid);
}

int ShmSegment::sweepStale()
{
    int removed = 0;
    const QStringList names
        = QDir(QStringLiteral("/dev/shm")).entryList({ filePrefix() + QLatin1Char('*') }, QDir::Files | QDir::System);
    for (const QString &n : names) {
        const auto owner = ownerOf(n);
        if (!owner)
            continue;
        // ESRCH: no such process. EPERM means it exists (another user's): not stale.
        if (::kill(*owner, 0) == 0 || errno != ESRCH)
            continue;
        if (::shm_unlink(QByteArray('/' + n.toLocal8Bit()).constData()) == 0)
            ++removed;
    }
    return removed;
}

} // namespace hs
