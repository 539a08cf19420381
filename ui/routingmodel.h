#pragma once

#include "scenario/scenario.h"

#include <QAbstractTableModel>

#include <array>
#include <optional>
#include <vector>

namespace hs {

/**
 * Every routing key `class.stage` of a scenario with its work and its current domain. The domain
 * column is editable; an edit announces routeChanged() (the window reassigns the running engine)
 * and setRoute() puts a route back without announcing it (a refused reassignment).
 *
 *     RoutingModel m;
 *     m.setScenario(scenario);
 *     connect(&m, &RoutingModel::routeChanged, &controller, [&](const QString &key, DomainKind d) {
 *         controller.reassign(key, d);
 *     });
 */
class RoutingModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { StageColumn, WorkColumn, DomainColumn, ColumnCount };

    explicit RoutingModel(QObject *parent = nullptr);

    void setScenario(const Scenario &scenario);
    /// Sets a route without announcing it; false for an unknown key.
    bool setRoute(const QString &key, DomainKind domain);
    std::optional<DomainKind> routeOf(const QString &key) const;
    QString keyAt(int row) const;
    int rowOf(const QString &key) const;
    /// Domains offered in the domain column (the ones the engine runs).
    void setAvailableDomains(const std::array<bool, kDomainCount> &available);
    bool isDomainAvailable(DomainKind d) const { return m_available[std::size_t(d)]; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;

Q_SIGNALS:
    void routeChanged(const QString &key, hs::DomainKind domain, hs::DomainKind previous);

private:
    struct Row {
        QString key;
        QString work;
        DomainKind domain = DomainKind::Threads;
    };
    std::vector<Row> m_rows;
    std::array<bool, kDomainCount> m_available{true, true, true, true};
};

} // namespace hs
