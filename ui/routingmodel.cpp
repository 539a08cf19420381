#include "routingmodel.h"

#include "domainstyle.h"

#include <QFont>
#include <QPalette>

#include <algorithm>

namespace hs {

namespace {
QString workText(const Stage &st)
{
    QString w = workName(st.work);
    switch (st.work) {
    case WorkKind::Cpu:
        if (st.kernel != CpuKernel::Spin)
            w += QLatin1Char(' ') + kernelName(st.kernel);
        w += QLatin1Char(' ') + st.time.toString(QStringLiteral("s"));
        break;
    case WorkKind::Block:
    case WorkKind::Async:
    case WorkKind::Net: w += QLatin1Char(' ') + st.time.toString(QStringLiteral("s")); break;
    case WorkKind::Disk: w += QLatin1Char(' ') + st.bytes.toString(QStringLiteral("B")); break;
    }
    return w;
}
} // namespace

RoutingModel::RoutingModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void RoutingModel::setScenario(const Scenario &scenario)
{
    beginResetModel();
    m_rows.clear();
    for (const TaskClass &c : scenario.classes)
        for (const Stage &st : c.stages)
            m_rows.push_back({c.name + QLatin1Char('.') + st.name, workText(st), st.domain});
    endResetModel();
}

void RoutingModel::setFileScenario(const Scenario &scenario)
{
    m_fileRoutes.clear();
    for (const TaskClass &c : scenario.classes)
        for (const Stage &st : c.stages)
            m_fileRoutes.emplace_back(c.name + QLatin1Char('.') + st.name, st.domain);
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
}

std::optional<DomainKind> RoutingModel::fileRouteOf(const QString &key) const
{
    for (const auto &[k, d] : m_fileRoutes)
        if (k == key)
            return d;
    return std::nullopt;
}

bool RoutingModel::isChangedFromFile(int row) const
{
    if (row < 0 || row >= int(m_rows.size()))
        return false;
    const Row &r = m_rows[std::size_t(row)];
    const auto file = fileRouteOf(r.key);
    return file && *file != r.domain;
}

bool RoutingModel::usesDomain(DomainKind d) const
{
    return std::any_of(m_rows.begin(), m_rows.end(), [d](const Row &r) { return r.domain == d; });
}

void RoutingModel::rowChanged(int row)
{
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

bool RoutingModel::setRoute(const QString &key, DomainKind domain)
{
    const int row = rowOf(key);
    if (row < 0)
        return false;
    if (m_rows[std::size_t(row)].domain != domain) {
        m_rows[std::size_t(row)].domain = domain;
        rowChanged(row);
    }
    return true;
}

std::optional<DomainKind> RoutingModel::routeOf(const QString &key) const
{
    const int row = rowOf(key);
    if (row < 0)
        return std::nullopt;
    return m_rows[std::size_t(row)].domain;
}

QString RoutingModel::keyAt(int row) const
{
    return row >= 0 && row < int(m_rows.size()) ? m_rows[std::size_t(row)].key : QString();
}

int RoutingModel::rowOf(const QString &key) const
{
    for (std::size_t i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].key == key)
            return int(i);
    return -1;
}

void RoutingModel::setAvailableDomains(const std::array<bool, kDomainCount> &available)
{
    if (available == m_available)
        return;
    m_available = available;
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0, DomainColumn), index(int(m_rows.size()) - 1, DomainColumn));
}

int RoutingModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int RoutingModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RoutingModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows[std::size_t(index.row())];
    const bool changed = isChangedFromFile(index.row());
    const QString fileText
        = changed ? tr("Changed from the scenario file (file: %1)").arg(domainName(*fileRouteOf(r.key))) : QString();
    switch (index.column()) {
    case StageColumn:
        if (role == Qt::DisplayRole || role == Qt::EditRole)
            return r.key;
        if (role == Qt::FontRole && changed) {
            QFont f;
            f.setBold(true);
            return f;
        }
        if (role == Qt::DecorationRole && changed) // the dot of "changed from the file"
            return colorSwatch(QPalette().color(QPalette::Highlight), 8);
        if (role == Qt::ToolTipRole && changed)
            return fileText;
        break;
    case WorkColumn:
        if (role == Qt::DisplayRole || role == Qt::EditRole)
            return r.work;
        break;
    case DomainColumn:
        if (role == Qt::DisplayRole)
            return domainName(r.domain);
        if (role == Qt::EditRole)
            return int(r.domain);
        if (role == Qt::ToolTipRole) {
            const QString tip = tr("%1 runs on %2; pick another domain to move it (applies at once while running)")
                                    .arg(r.key, domainName(r.domain));
            return changed ? fileText + QLatin1Char('\n') + tip : tip;
        }
        if (role == FileDomainRole && changed)
            return int(*fileRouteOf(r.key));
        break;
    default: break;
    }
    return {};
}

QVariant RoutingModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case StageColumn: return tr("Stage");
    case WorkColumn: return tr("Work");
    case DomainColumn: return tr("Domain");
    default: return {};
    }
}

Qt::ItemFlags RoutingModel::flags(const QModelIndex &index) const
{
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.isValid() && index.column() == DomainColumn)
        f |= Qt::ItemIsEditable;
    return f;
}

bool RoutingModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)
        || index.column() != DomainColumn || role != Qt::EditRole)
        return false;
    bool ok = false;
    const int v = value.toInt(&ok);
    if (!ok || v < 0 || v >= kDomainCount)
        return false;
    Row &r = m_rows[std::size_t(index.row())];
    const DomainKind previous = r.domain;
    const DomainKind next = DomainKind(v);
    if (next == previous)
        return true;
    r.domain = next;
    rowChanged(index.row());
    Q_EMIT routeChanged(r.key, next, previous);
    return true;
}

} // namespace hs
