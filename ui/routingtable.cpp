#include "routingtable.h"

#include "domainstyle.h"
#include "routingmodel.h"

#include <QComboBox>
#include <QHeaderView>
#include <QStandardItemModel>
#include <QStyledItemDelegate>

namespace hs {

namespace {
class DomainDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    QWidget *createEditor(QWidget *parent, const QStyleOptionViewItem &, const QModelIndex &index) const override
    {
        auto *combo = new QComboBox(parent);
        combo->setFrame(false);
        combo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
        const auto *model = qobject_cast<const RoutingModel *>(index.model());
        for (DomainKind d : kAllDomains) {
            combo->addItem(colorSwatch(domainColor(d, parent->palette())), domainName(d), int(d));
            if (model && !model->isDomainAvailable(d)) {
                // Listed but not selectable: the engine does not run this domain.
                if (auto *items = qobject_cast<QStandardItemModel *>(combo->model()))
                    items->item(combo->count() - 1)->setEnabled(false);
            }
        }
        // Commit on pick, not on focus loss: a reassignment applies at once.
        connect(combo, &QComboBox::currentIndexChanged, this, [this, combo] {
            if (combo->property("hsSettingData").toBool())
                return;
            auto *self = const_cast<DomainDelegate *>(this);
            Q_EMIT self->commitData(combo);
        });
        return combo;
    }

    void setEditorData(QWidget *editor, const QModelIndex &index) const override
    {
        auto *combo = static_cast<QComboBox *>(editor);
        const auto *model = qobject_cast<const RoutingModel *>(index.model());
        combo->setProperty("hsSettingData", true);
        if (auto *items = qobject_cast<QStandardItemModel *>(combo->model()); items && model)
            for (int i = 0; i < combo->count(); ++i)
                items->item(i)->setEnabled(model->isDomainAvailable(DomainKind(combo->itemData(i).toInt())));
        combo->setCurrentIndex(combo->findData(index.data(Qt::EditRole).toInt()));
        combo->setProperty("hsSettingData", false);
    }

    void setModelData(QWidget *editor, QAbstractItemModel *model, const QModelIndex &index) const override
    {
        auto *combo = static_cast<QComboBox *>(editor);
        model->setData(index, combo->currentData(), Qt::EditRole);
    }
};
} // namespace

RoutingTable::RoutingTable(QWidget *parent)
    : QTableView(parent)
{
    setItemDelegateForColumn(RoutingModel::DomainColumn, new DomainDelegate(this));
    setSelectionMode(QAbstractItemView::NoSelection);
    setEditTriggers(QAbstractItemView::AllEditTriggers);
    setAlternatingRowColors(true);
    setWordWrap(false);
    verticalHeader()->setVisible(false);
    horizontalHeader()->setStretchLastSection(true);
    // The domain column is the last: it takes the room left by the stage and work columns.
    horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
}

void RoutingTable::setRoutingModel(RoutingModel *model)
{
    m_model = model;
    setModel(model);
    connect(model, &QAbstractItemModel::modelReset, this, &RoutingTable::openEditors);
    connect(model, &QAbstractItemModel::rowsInserted, this, &RoutingTable::openEditors);
    openEditors();
}

void RoutingTable::openEditors()
{
    if (!m_model)
        return;
    for (int row = 0; row < m_model->rowCount(); ++row) {
        const QModelIndex i = m_model->index(row, RoutingModel::DomainColumn);
        if (!isPersistentEditorOpen(i))
            openPersistentEditor(i);
    }
    resizeColumnsToContents();
    // Leave the domain column room for its combo box (name and swatch) whatever the stage names.
    if (m_model->rowCount() > 0)
        if (QWidget *combo = indexWidget(m_model->index(0, RoutingModel::DomainColumn)))
            setColumnWidth(RoutingModel::DomainColumn, std::max(columnWidth(RoutingModel::DomainColumn),
                                                                combo->sizeHint().width() + 4));
}

QComboBox *RoutingTable::comboBox(int row) const
{
    if (!m_model)
        return nullptr;
    return qobject_cast<QComboBox *>(indexWidget(m_model->index(row, RoutingModel::DomainColumn)));
}

} // namespace hs
