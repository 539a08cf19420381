#pragma once

#include <QTableView>

class QComboBox;

namespace hs {

class RoutingModel;

/**
 * The routing table: one row per `class.stage`, its work, and a combo box of domains that is
 * always shown (a persistent editor). Picking a domain commits at once, so the model announces
 * the change and the window reassigns the running engine. Domains the engine does not run are
 * listed but disabled.
 *
 *     RoutingTable table;
 *     table.setRoutingModel(&model);
 *     table.comboBox(0)->setCurrentIndex(int(DomainKind::Tbb));
 */
class RoutingTable : public QTableView {
    Q_OBJECT
public:
    explicit RoutingTable(QWidget *parent = nullptr);

    void setRoutingModel(RoutingModel *model);
    RoutingModel *routingModel() const { return m_model; }
    /// The domain combo box of a row (for tests and accessibility).
    QComboBox *comboBox(int row) const;
    /// Width of the domain column: the widest domain name never elides.
    int domainColumnWidth() const;

private:
    void openEditors();

    RoutingModel *m_model = nullptr;
};

} // namespace hs
