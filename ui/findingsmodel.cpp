#include "findingsmodel.h"

#include "domainstyle.h"

#include <QApplication>
#include <QStyle>

namespace hs {

namespace {
bool sameFinding(const Finding &a, const Finding &b)
{
    return a.rule == b.rule && a.domain == b.domain && a.className == b.className && a.fromS == b.fromS;
}

QIcon severityIcon(Severity s)
{
    const QStyle *style = QApplication::style();
    switch (s) {
    case Severity::Info: return style->standardIcon(QStyle::SP_MessageBoxInformation);
    case Severity::Warning: return style->standardIcon(QStyle::SP_MessageBoxWarning);
    case Severity::Error: return style->standardIcon(QStyle::SP_MessageBoxCritical);
    }
    return {};
}
} // namespace

FindingsModel::FindingsModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void FindingsModel::setFindings(const std::vector<Finding> &findings)
{
    const std::size_t old = m_findings.size();
    bool prefixSame = findings.size() >= old;
    for (std::size_t i = 0; prefixSame && i < old; ++i)
        prefixSame = sameFinding(m_findings[i], findings[i]);
    if (!prefixSame) {
        beginResetModel();
        m_findings = findings;
        endResetModel();
        return;
    }
    for (std::size_t i = 0; i < old; ++i)
        m_findings[i] = findings[i];
    if (old > 0)
        Q_EMIT dataChanged(index(0, 0), index(int(old) - 1, ColumnCount - 1));
    if (findings.size() > old) {
        beginInsertRows({}, int(old), int(findings.size()) - 1);
        m_findings.insert(m_findings.end(), findings.begin() + std::ptrdiff_t(old), findings.end());
        endInsertRows();
    }
}

int FindingsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_findings.size());
}

int FindingsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant FindingsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Finding &f = m_findings[std::size_t(index.row())];
    if (role == Qt::ToolTipRole)
        return QStringLiteral("%1\n%2").arg(f.message, f.advice);
    switch (index.column()) {
    case SeverityColumn:
        if (role == Qt::DisplayRole)
            return severityName(f.severity);
        if (role == Qt::DecorationRole)
            return severityIcon(f.severity);
        break;
    case WhenColumn:
        if (role == Qt::DisplayRole)
            return tr("%1–%2 s").arg(f.fromS, 0, 'f', 1).arg(f.toS, 0, 'f', 1);
        break;
    case WhereColumn:
        if (role == Qt::DisplayRole)
            return f.domain ? domainName(*f.domain) : f.className;
        if (role == Qt::DecorationRole && f.domain)
            return colorSwatch(domainColor(*f.domain));
        break;
    case MessageColumn:
        if (role == Qt::DisplayRole)
            return f.message;
        break;
    case AdviceColumn:
        if (role == Qt::DisplayRole)
            return f.advice;
        break;
    default: break;
    }
    return {};
}

QVariant FindingsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case SeverityColumn: return tr("Severity");
    case WhenColumn: return tr("When");
    case WhereColumn: return tr("Where");
    case MessageColumn: return tr("Finding");
    case AdviceColumn: return tr("Advice");
    default: return {};
    }
}

} // namespace hs
