#pragma once

#include "results/diagnostics.h"

#include <QAbstractTableModel>

#include <vector>

namespace hs {

/**
 * Findings as a table: severity, time span, where (domain or class), message and advice. Updating
 * with a list that only grew or whose last rows changed (a live alert extending) emits row
 * insertions and dataChanged rather than a reset, so the view keeps its scroll position.
 *
 *     FindingsModel m;
 *     m.setFindings(live.findings());
 */
class FindingsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { SeverityColumn, WhenColumn, WhereColumn, MessageColumn, AdviceColumn, ColumnCount };

    explicit FindingsModel(QObject *parent = nullptr);

    void setFindings(const std::vector<Finding> &findings);
    const std::vector<Finding> &findings() const { return m_findings; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<Finding> m_findings;
};

} // namespace hs
