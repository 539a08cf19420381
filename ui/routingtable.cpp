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
        // "Changed from the file": bold, with the file's domain in the tooltip.
        const bool changed = index.data(RoutingModel::FileDomainRole).isValid();
        QFont f = combo->font();
        f.setBold(changed);
        combo->setFont(f);
        combo->setToolTip(index.data(Qt::ToolTipRole).toString());
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
    // Stage keys and domain names are never elided: the work column gives way (its text elides)
    // and, narrower still, the table scrolls sideways.
    horizontalHeader()->setStretchLastSection(false);
    horizontalHeader()->setMinimumSectionSize(40);
}

int RoutingTable::domainColumnWidth() const
{
    // The widest domain name in a combo box, bold (a changed route), with swatch and arrow.
    QComboBox probe;
    QFont f = probe.font();
    f.setBold(true);
    probe.setFont(f);
    probe.setFrame(false);
    probe.setSizeAdjustPolicy(QComboBox::AdjustToContents);
    for (DomainKind d : kAllDomains)
        probe.addItem(colorSwatch(domainColor(d)), domainName(d));
    return probe.sizeHint().width() + 8;
}

void RoutingTable::setRoutingModel(RoutingModel *model)
{
    m_model = model;
    setModel(model);
    QHeaderView *h = horizontalHeader();
    h->setSectionResizeMode(RoutingModel::StageColumn, QHeaderView::ResizeToContents);
    h->setSectionResizeMode(RoutingModel::WorkColumn, QHeaderView::Stretch);
    h->setSectionResizeMode(RoutingModel::DomainColumn, QHeaderView::Fixed);
    setColumnWidth(RoutingModel::DomainColumn, domainColumnWidth());
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
    setColumnWidth(RoutingModel::DomainColumn, domainColumnWidth());
}

QComboBox *RoutingTable::comboBox(int row) const
{
    if (!m_model)
        return nullptr;
    return qobject_cast<QComboBox *>(indexWidget(m_model->index(row, RoutingModel::DomainColumn)));
}

} // namespace hs
