#include "lockstablemodel.h"

#include <QColor>
#include <QFont>
#include <QLocale>
#include <QThread>

namespace hs {

namespace {
const QString kNone = QStringLiteral("–");

QString countText(std::uint64_t v)
{
    return QLocale().toString(qulonglong(v));
}

QString msText(double ms)
{
    return QLocale().toString(ms, 'f', ms < 10 ? 2 : ms < 100 ? 1 : 0) + QStringLiteral(" ms");
}

const QColor kLost(0xe0, 0x31, 0x31);
} // namespace

LocksTableModel::LocksTableModel(QObject *parent)
    : QAbstractTableModel(parent)
    , m_throttle(kRefreshMs, [this](const Frame &f) { apply(f); })
{ }

void LocksTableModel::setScenario(const Scenario &scenario)
{
    Q_ASSERT(thread() == QThread::currentThread());
    beginResetModel();
    m_rows.clear();
    for (const QString &name : sharedResourceNames(scenario)) {
        Row r;
        r.name = name;
        for (const TaskClass &c : scenario.classes)
            for (const Stage &st : c.stages) {
                for (const LockUse &l : st.locks)
                    if (l.name == name && !r.scope)
                        r.scope = l.scope; // the first use's scope, as the engine's
                if (st.update == name)
                    r.counter = true;
            }
        m_rows.push_back(r);
    }
    m_throttle.drop();
    m_framesReceived = 0;
    m_updates = 0;
    const bool lacked = m_framesLackLocks;
    m_framesLackLocks = false;
    endResetModel();
    if (lacked)
        Q_EMIT framesLackLocksChanged(false);
}

void LocksTableModel::addFrame(const Frame &frame)
{
    Q_ASSERT(thread() == QThread::currentThread());
    ++m_framesReceived;
    if (m_rows.empty())
        return; // no locks: nothing to show, nothing to copy 20 times a second
    if (const bool lack = frame.locks.empty(); lack != m_framesLackLocks) {
        m_framesLackLocks = lack;
        Q_EMIT framesLackLocksChanged(lack);
    }
    m_throttle.offer(frame);
}

void LocksTableModel::flush()
{
    m_throttle.flush();
}

void LocksTableModel::apply(const Frame &frame)
{
    // A frame without lock figures (a replay or an attached run that does not send them) leaves "–".
    const std::size_t n = std::min(m_rows.size(), frame.locks.size());
    for (std::size_t i = 0; i < n; ++i) {
        m_rows[i].figures = frame.locks[i];
        m_rows[i].hasFigures = true;
    }
    ++m_updates;
    if (n > 0)
        Q_EMIT dataChanged(index(0, ExpectedColumn), index(int(n) - 1, ColumnCount - 1));
}

bool LocksTableModel::anyLost() const
{
    for (const Row &r : m_rows)
        if (r.counter && r.hasFigures && r.lost() > 0)
            return true;
    return false;
}

int LocksTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int LocksTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant LocksTableModel::value(const Row &row, int column) const
{
    const LockFrame &f = row.figures;
    const bool lock = row.scope.has_value();
    if (!row.hasFigures)
        return {};
    switch (column) {
    case AcquiredColumn: return lock ? QVariant(qulonglong(f.acquisitions)) : QVariant();
    case ContendedColumn:
        return lock && f.acquisitions > 0 ? QVariant(double(f.contended) / double(f.acquisitions)) : QVariant();
    case WaitingColumn: return lock ? QVariant(f.waiting) : QVariant();
    case WaitP99Column: return lock ? QVariant(f.waitP99Ms) : QVariant();
    case TimeoutsColumn: return lock ? QVariant(qulonglong(f.timeouts)) : QVariant();
    case RecoveredColumn:
        return lock && *row.scope == LockScope::Process ? QVariant(qulonglong(f.recovered)) : QVariant();
    case ExpectedColumn: return row.counter ? QVariant(qulonglong(f.updatesExpected)) : QVariant();
    case SeenColumn: return row.counter ? QVariant(qulonglong(f.updatesSeen)) : QVariant();
    case LostColumn: return row.counter ? QVariant(qulonglong(row.lost())) : QVariant();
    default: return {};
    }
}

QString LocksTableModel::text(const Row &row, int column) const
{
    if (column == NameColumn)
        return row.name;
    if (column == ScopeColumn)
        return row.scope ? lockScopeName(*row.scope) : tr("counter");
    const QVariant v = value(row, column);
    if (!v.isValid())
        return kNone;
    switch (column) {
    case ContendedColumn:
        return QStringLiteral("%1 (%2 %)")
            .arg(countText(row.figures.contended), QLocale().toString(100 * v.toDouble(), 'f', 0));
    case WaitP99Column: return msText(v.toDouble());
    case LostColumn: return row.lost() > 0 ? tr("%1 LOST").arg(countText(row.lost())) : QStringLiteral("0");
    default: return countText(v.toULongLong());
    }
}

QVariant LocksTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows[std::size_t(index.row())];
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole: return text(row, column);
    case ValueRole:
        return column == NameColumn ? QVariant(row.name)
            : column == ScopeColumn ? (row.scope ? QVariant(lockScopeName(*row.scope)) : QVariant())
                                    : value(row, column);
    case Qt::TextAlignmentRole:
        return column <= ScopeColumn ? QVariant(int(Qt::AlignLeft | Qt::AlignVCenter))
                                     : QVariant(int(Qt::AlignRight | Qt::AlignVCenter));
    case Qt::ForegroundRole:
        if ((column == LostColumn && row.lost() > 0 && row.counter)
            || (column == TimeoutsColumn && row.hasFigures && row.scope && row.figures.timeouts > 0))
            return kLost;
        return {};
    case Qt::FontRole:
        if (column == LostColumn && row.counter && row.lost() > 0) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::ToolTipRole:
        if (column == LostColumn && row.counter && row.lost() > 0)
            return row.scope && *row.scope == LockScope::Thread
                ? tr("Updates lost: a thread-scope lock is a mutex of the engine process; stages in worker "
                     "processes each take their own copy, so it does not guard them")
                : tr("Updates lost: concurrent read–modify–writes of the counter overwrote each other");
        return {};
    default: return {};
    }
}

QVariant LocksTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case NameColumn: return tr("Name");
        case ScopeColumn: return tr("Scope");
        case AcquiredColumn: return tr("Acquired");
        case ContendedColumn: return tr("Contended");
        case WaitingColumn: return tr("Waiting");
        case WaitP99Column: return tr("Wait P99");
        case TimeoutsColumn: return tr("Timeouts");
        case RecoveredColumn: return tr("Recovered");
        case ExpectedColumn: return tr("Expected");
        case SeenColumn: return tr("Seen");
        case LostColumn: return tr("Lost");
        default: return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case NameColumn: return tr("A lock, a shared counter, or both under one name");
        case ScopeColumn:
            return tr("thread: a mutex of the engine process (worker processes have their own copy); process: a "
                      "process-shared mutex every process uses");
        case AcquiredColumn: return tr("Acquisitions since the run started");
        case ContendedColumn: return tr("Acquisitions that found the lock held, and their share");
        case WaitingColumn: return tr("Stages waiting for the lock now");
        case WaitP99Column: return tr("99th percentile of the wait for the lock over the last second");
        case TimeoutsColumn: return tr("Waits past the lock's timeout (the stage failed: possible deadlock)");
        case RecoveredColumn: return tr("Process locks taken over from a worker that died holding them");
        case ExpectedColumn: return tr("Read–modify–writes of the counter done so far");
        case SeenColumn: return tr("The counter's value now");
        case LostColumn: return tr("Updates − seen: updates another one overwrote (silent corruption)");
        default: return {};
        }
    }
    if (role == Qt::TextAlignmentRole)
        return section <= ScopeColumn ? QVariant(int(Qt::AlignLeft | Qt::AlignVCenter))
                                      : QVariant(int(Qt::AlignRight | Qt::AlignVCenter));
    return QAbstractTableModel::headerData(section, orientation, role);
}

} // namespace hs
