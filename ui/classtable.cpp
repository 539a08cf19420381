#include "classtable.h"

#include "classtablemodel.h"

#include <QHeaderView>
#include <QScrollBar>

namespace hs {

ClassTable::ClassTable(QWidget *parent)
    : QTableView(parent)
    , m_model(new ClassTableModel(this))
{
    setObjectName(QStringLiteral("classTable"));
    setModel(m_model);
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setSelectionMode(QAbstractItemView::NoSelection);
    setFocusPolicy(Qt::NoFocus);
    setAlternatingRowColors(true);
    setWordWrap(false);
    setCornerButtonEnabled(false);
    verticalHeader()->hide();
    verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    QHeaderView *h = horizontalHeader();
    h->setHighlightSections(false);
    h->setSectionsClickable(false);
    h->setStretchLastSection(false);
    // Figures change 20 times a second: fixed widths that fit the widest figure, so nothing
    // jitters; the class name takes what is left.
    h->setSectionResizeMode(QHeaderView::Fixed);
    h->setSectionResizeMode(ClassTableModel::ClassColumn, QHeaderView::Stretch);
    const auto fit = [this, h](int column) {
        if (column == ClassTableModel::ClassColumn || column >= m_model->columnCount())
            return;
        const QFontMetrics fm = fontMetrics();
        const QString widest = column == ClassTableModel::ThroughputColumn || column == ClassTableModel::PhaseThroughputColumn
            ? QStringLiteral("99,999.9/s")
            : column == ClassTableModel::SlaColumn || column == ClassTableModel::PhaseSlaColumn
            ? tr("✗ missed")
            : column == ClassTableModel::RejectedColumn || column == ClassTableModel::FailedColumn
            ? QStringLiteral("9,999,999")
            : QStringLiteral("9,999.9 ms");
        const QString header = m_model->headerData(column, Qt::Horizontal).toString();
        h->resizeSection(column, std::max(fm.horizontalAdvance(widest), fm.horizontalAdvance(header)) + 18);
    };
    const auto fitAll = [this, fit] {
        for (int c = 0; c < m_model->columnCount(); ++c)
            fit(c);
        updateGeometry();
    };
    connect(m_model, &QAbstractItemModel::columnsInserted, this, fitAll);
    connect(m_model, &QAbstractItemModel::modelReset, this, fitAll);
    fitAll();
    setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    setToolTip(tr("Per class, over the last second (sliding window): throughput, P50 and P99 latency, and "
                  "whether the P99 meets the class's SLA; rejected and failed tasks since the run started"));
}

int ClassTable::heightForRows(int rows) const
{
    return horizontalHeader()->sizeHint().height() + rows * verticalHeader()->defaultSectionSize() + 2 * frameWidth()
        + 2;
}

QSize ClassTable::sizeHint() const
{
    const int rows = std::clamp(m_model->rowCount(), 1, kVisibleRows);
    return { QTableView::sizeHint().width(), heightForRows(rows) };
}

QSize ClassTable::minimumSizeHint() const
{
    // Two classes stay in view (the rest scroll) so that the window fits a 1280×720 screen; the
    // splitter starts it at sizeHint(), every class up to kVisibleRows.
    const int rows = std::clamp(m_model->rowCount(), 1, 2);
    return { QTableView::minimumSizeHint().width(), heightForRows(rows) };
}

} // namespace hs
