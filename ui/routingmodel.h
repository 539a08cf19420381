#pragma once

#include "scenario/scenario.h"

#include <QAbstractTableModel>

#include <array>
#include <optional>
#include <utility>
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
    /// Data role of the domain column: the file's domain of the row (an int), when it differs.
    static constexpr int FileDomainRole = Qt::UserRole + 1;

    explicit RoutingModel(QObject *parent = nullptr);

    void setScenario(const Scenario &scenario);
    /// The scenario file's routes: rows routed elsewhere are marked "changed from the file".
    void setFileScenario(const Scenario &scenario);
    /// The file's domain of a key, if the file routes it.
    std::optional<DomainKind> fileRouteOf(const QString &key) const;
    bool isChangedFromFile(int row) const;
    /// True when some stage is routed to `d` now.
    bool usesDomain(DomainKind d) const;
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
    void rowChanged(int row);

    std::vector<Row> m_rows;
    std::vector<std::pair<QString, DomainKind>> m_fileRoutes;
    std::array<bool, kDomainCount> m_available{true, true, true, true};
};

} // namespace hs
