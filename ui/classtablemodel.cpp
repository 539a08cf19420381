#include "classtablemodel.h"

#include "domainstyle.h"

#include <QApplication>
#include <QLocale>
#include <QPalette>
#include <QThread>

namespace hs {

namespace {
const QString kNone = QStringLiteral("–");

QString msText(double ms)
{
    const int decimals = ms < 10 ? 2 : ms < 100 ? 1 : 0;
    return QLocale().toString(ms, 'f', decimals);
}

QString rateText(double perSecond)
{
    return QLocale().toString(perSecond, 'f', perSecond < 100 ? 1 : 0);
}

QString slaText(std::optional<bool> met)
{
    if (!met)
        return kNone;
    return *met ? ClassTableModel::tr("✓ met") : ClassTableModel::tr("✗ missed");
}

QColor slaColor(bool met)
{
    return met ? QColor(0x2b, 0x8a, 0x3e) : QColor(0xe0, 0x31, 0x31);
}
} // namespace

ClassTableModel::ClassTableModel(QObject *parent)
    : QAbstractTableModel(parent)
    , m_throttle(kRefreshMs, [this](const Frame &f) { apply(f); })
{ }

void ClassTableModel::setScenario(const Scenario &scenario)
{
    Q_ASSERT(thread() == QThread::currentThread());
    beginResetModel();
    m_rows.clear();
    for (int i = 0; i < int(scenario.classes.size()); ++i) {
        Row r;
        r.name = scenario.classes[std::size_t(i)].name;
        if (const auto sla = scenario.slaFor(i))
            r.slaMs = *sla * 1e3;
        m_rows.push_back(r);
    }
    m_throttle.drop();
    m_phaseColumns = false;
    m_phaseDescription.clear();
    m_framesReceived = 0;
    m_updates = 0;
    m_shownT = -1;
    endResetModel();
}

void ClassTableModel::addFrame(const Frame &frame)
{
    Q_ASSERT(thread() == QThread::currentThread());
    ++m_framesReceived;
    m_throttle.offer(frame);
}

void ClassTableModel::flush()
{
    m_throttle.flush();
}

void ClassTableModel::apply(const Frame &frame)
{
    const std::size_t n = std::min(m_rows.size(), frame.classes.size());
    for (std::size_t i = 0; i < n; ++i) {
        m_rows[i].window = frame.classes[i];
        m_rows[i].hasFigures = true;
    }
    m_shownT = frame.t;
    ++m_updates;
    if (n > 0)
        Q_EMIT dataChanged(index(0, ThroughputColumn), index(int(n) - 1, FailedColumn));
}

void ClassTableModel::setPhaseFigures(
    const QString &description, const std::vector<std::optional<PhaseFigures>> &figures)
{
    Q_ASSERT(thread() == QThread::currentThread());
    if (!m_phaseColumns) {
        beginInsertColumns({}, kWindowColumns, ColumnCount - 1);
        m_phaseColumns = true;
        endInsertColumns();
    }
    m_phaseDescription = description;
    for (std::size_t i = 0; i < m_rows.size(); ++i)
        m_rows[i].phase = i < figures.size() ? figures[i] : std::nullopt;
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0, PhaseThroughputColumn), index(int(m_rows.size()) - 1, PhaseSlaColumn));
    Q_EMIT headerDataChanged(Qt::Horizontal, PhaseThroughputColumn, PhaseSlaColumn);
}

void ClassTableModel::clearPhaseFigures()
{
    if (!m_phaseColumns)
        return;
    beginRemoveColumns({}, kWindowColumns, ColumnCount - 1);
    m_phaseColumns = false;
    m_phaseDescription.clear();
    for (Row &r : m_rows)
        r.phase.reset();
    endRemoveColumns();
}

int ClassTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ClassTableModel::columnCount(const QModelIndex &parent) const
{
    if (parent.isValid())
        return 0;
    return m_phaseColumns ? int(ColumnCount) : kWindowColumns;
}

std::optional<bool> ClassTableModel::slaMet(const Row &row)
{
    if (!row.slaMs || !row.hasFigures || !hasLatency(row.window))
        return std::nullopt;
    return row.window.p99Ms <= *row.slaMs;
}

QVariant ClassTableModel::value(const Row &row, int column) const
{
    const ClassFrame &w = row.window;
    const bool latency = row.hasFigures && hasLatency(w);
    switch (column) {
    case ThroughputColumn: return row.hasFigures ? QVariant(w.throughput) : QVariant();
    case P50Column: return latency ? QVariant(w.p50Ms) : QVariant();
    case P99Column: return latency ? QVariant(w.p99Ms) : QVariant();
    case NaiveP99Column: return latency ? QVariant(w.naiveP99Ms) : QVariant();
    case SlaColumn: {
        const auto met = slaMet(row);
        return met ? QVariant(*met ? 1 : 0) : QVariant();
    }
    case RejectedColumn: return row.hasFigures ? QVariant(qulonglong(w.rejected)) : QVariant();
    case FailedColumn: return row.hasFigures ? QVariant(qulonglong(w.failed)) : QVariant();
    case PhaseThroughputColumn: return row.phase ? QVariant(row.phase->throughput) : QVariant();
    case PhaseP50Column: return row.phase ? QVariant(row.phase->p50Ms) : QVariant();
    case PhaseP99Column: return row.phase ? QVariant(row.phase->p99Ms) : QVariant();
    case PhaseSlaColumn: return row.phase && row.phase->slaMet ? QVariant(*row.phase->slaMet ? 1 : 0) : QVariant();
    default: return {};
    }
}

QString ClassTableModel::text(const Row &row, int column) const
{
    if (column == ClassColumn)
        return row.name;
    const QVariant v = value(row, column);
    if (!v.isValid())
        return kNone;
    switch (column) {
    case ThroughputColumn:
    case PhaseThroughputColumn: return tr("%1/s").arg(rateText(v.toDouble()));
    case P50Column:
    case P99Column:
    case NaiveP99Column:
    case PhaseP50Column:
    case PhaseP99Column: return tr("%1 ms").arg(msText(v.toDouble()));
    case SlaColumn:
    case PhaseSlaColumn: return slaText(v.toInt() == 1);
    case RejectedColumn:
    case FailedColumn: return QLocale().toString(v.toULongLong());
    default: return {};
    }
}

QString ClassTableModel::toolTip(const Row &row, int column) const
{
    const QString sla = row.slaMs ? tr("SLA: P99 ≤ %1 ms").arg(msText(*row.slaMs)) : tr("no SLA");
    switch (column) {
    case ClassColumn: return tr("Task class “%1”; %2").arg(row.name, sla);
    case SlaColumn:
        if (!row.slaMs)
            return tr("%1 has no SLA (neither its own nor the scenario's)").arg(row.name);
        if (!slaMet(row))
            return tr("%1; no completions in the last second yet").arg(sla);
        return tr("P99 %1 ms over the last second; %2").arg(msText(row.window.p99Ms), sla);
    case PhaseSlaColumn:
        if (!row.slaMs)
            return tr("%1 has no SLA").arg(row.name);
        if (!row.phase)
            return tr("%1; the phase is too short for a figure yet").arg(sla);
        return tr("P99 %1 ms over the phase; %2").arg(msText(row.phase->p99Ms), sla);
    default: return {};
    }
}

QVariant ClassTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows[std::size_t(index.row())];
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole: return text(row, column);
    case ValueRole: return column == ClassColumn ? QVariant(row.name) : value(row, column);
    case Qt::ToolTipRole: {
        const QString t = toolTip(row, column);
        return t.isEmpty() ? QVariant() : QVariant(t);
    }
    case Qt::TextAlignmentRole:
        return column == ClassColumn ? QVariant(int(Qt::AlignLeft | Qt::AlignVCenter))
                                     : QVariant(int(Qt::AlignRight | Qt::AlignVCenter));
    case Qt::DecorationRole:
        if (column == ClassColumn)
            return colorSwatch(classColor(index.row(), QApplication::palette()));
        return {};
    case Qt::ForegroundRole:
        if (column == SlaColumn || column == PhaseSlaColumn) {
            const QVariant v = value(row, column);
            if (v.isValid())
                return slaColor(v.toInt() == 1);
        }
        return {};
    default: return {};
    }
}

QVariant ClassTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= columnCount())
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case ClassColumn: return tr("Class");
        case ThroughputColumn: return tr("Throughput");
        case P50Column: return tr("P50");
        case P99Column: return tr("P99");
        case NaiveP99Column: return tr("P99 naive");
        case SlaColumn: return tr("SLA");
        case RejectedColumn: return tr("Rejected");
        case FailedColumn: return tr("Failed");
        case PhaseThroughputColumn: return tr("Phase thru");
        case PhaseP50Column: return tr("Phase P50");
        case PhaseP99Column: return tr("Phase P99");
        case PhaseSlaColumn: return tr("Phase SLA");
        default: return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        const QString phase = m_phaseDescription.isEmpty() ? tr("over the current phase")
                                                           : tr("over the current phase (%1)").arg(m_phaseDescription);
        switch (section) {
        case ThroughputColumn: return tr("Completions per second over the last second");
        case P50Column: return tr("Median end-to-end latency over the last second");
        case P99Column:
            return tr("99th percentile of end-to-end latency over the last second, from each task's intended "
                      "arrival time");
        case NaiveP99Column:
            return tr("The same P99 from when each task was actually sent, as a closed-loop load tester reports "
                      "it. While the service stalls, such a tester sends nothing (it waits for a response), so "
                      "the requests it held back never count as slow: coordinated omission. Far below P99 means "
                      "stalls this figure hides");
        case SlaColumn: return tr("Whether the last second's P99 is within the class's SLA");
        case RejectedColumn: return tr("Tasks refused by backpressure since the run started");
        case FailedColumn: return tr("Tasks that failed (error, timeout, crash) since the run started");
        case PhaseThroughputColumn: return tr("Completions per second %1").arg(phase);
        case PhaseP50Column: return tr("Median latency %1").arg(phase);
        case PhaseP99Column: return tr("P99 latency %1").arg(phase);
        case PhaseSlaColumn: return tr("Whether the P99 %1 is within the SLA").arg(phase);
        default: return {};
        }
    }
    if (role == Qt::TextAlignmentRole)
        return section == ClassColumn ? QVariant(int(Qt::AlignLeft | Qt::AlignVCenter))
                                      : QVariant(int(Qt::AlignRight | Qt::AlignVCenter));
    return QAbstractTableModel::headerData(section, orientation, role);
}

} // namespace hs
