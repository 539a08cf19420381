#include "classtable.h"

#include "classtablemodel.h"

#include <QHeaderView>
#include <QScrollBar>

#include <algorithm>

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
        const QString widest
            = column == ClassTableModel::ThroughputColumn || column == ClassTableModel::PhaseThroughputColumn
            ? QStringLiteral("99,999.9/s")
            : column == ClassTableModel::SlaColumn || column == ClassTableModel::PhaseSlaColumn ? tr("✗ missed")
            : column == ClassTableModel::RejectedColumn || column == ClassTableModel::FailedColumn
            ? QStringLiteral("9,999,999")
            : QStringLiteral("9,999.9 ms");
        const QString header = m_model->headerData(column, Qt::Horizontal).toString();
        h->resizeSection(column, std::max(fm.horizontalAdvance(widest), fm.horizontalAdvance(header)) + 18);
    };
    const auto fitAll = [this, fit, h] {
        for (int c = 0; c < m_model->columnCount(); ++c)
            fit(c);
        // The class column stretches, but never below its longest name (up to 160 px) and colour
        // swatch: a narrow window scrolls sideways rather than eliding "pipeline" to "…".
        int names = fontMetrics().horizontalAdvance(tr("Class"));
        for (int r = 0; r < m_model->rowCount(); ++r)
            names = std::max(names,
                fontMetrics().horizontalAdvance(
                    m_model->index(r, ClassTableModel::ClassColumn).data(Qt::DisplayRole).toString()));
        h->setMinimumSectionSize(std::min(names + iconSize().width() + 28, 160));
        updateGeometry();
        noticeSideways();
    };
    connect(m_model, &QAbstractItemModel::columnsInserted, this, fitAll);
    connect(m_model, &QAbstractItemModel::columnsRemoved, this, fitAll);
    connect(m_model, &QAbstractItemModel::modelReset, this, fitAll);
    fitAll();
    setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    setToolTip(tr("Per class, over the last second (sliding window): throughput, P50 and P99 latency, the "
                  "naive P99 (from when each task was actually sent), and whether the P99 meets the class's SLA; "
                  "rejected and failed tasks since the run started"));
}

bool ClassTable::scrollsSideways() const
{
    return horizontalHeader()->length() > viewport()->width();
}

int ClassTable::heightForRows(int rows) const
{
    // The sideways scroll bar (phase columns in a narrow window) takes its height from the rows.
    const int scrollBar = scrollsSideways() ? horizontalScrollBar()->sizeHint().height() : 0;
    return horizontalHeader()->sizeHint().height() + rows * verticalHeader()->defaultSectionSize() + 2 * frameWidth()
        + 2 + scrollBar;
}

QSize ClassTable::sizeHint() const
{
    const int rows = std::clamp(m_model->rowCount(), 1, kVisibleRows);
    return { QTableView::sizeHint().width(), heightForRows(rows) };
}

QSize ClassTable::minimumSizeHint() const
{
    // Two classes stay in view (the rest scroll) so that the window fits a 1280×720 screen, one
    // when a sideways scroll bar needs the room; the splitter starts it at sizeHint(), every class
    // up to kVisibleRows.
    const int rows = std::clamp(m_model->rowCount(), 1, scrollsSideways() ? 1 : 2);
    return { QTableView::minimumSizeHint().width(), heightForRows(rows) };
}

void ClassTable::resizeEvent(QResizeEvent *event)
{
    QTableView::resizeEvent(event);
    noticeSideways();
}

void ClassTable::noticeSideways()
{
    if (const bool sideways = scrollsSideways(); sideways != m_scrolledSideways) {
        m_scrolledSideways = sideways;
        updateGeometry();
        Q_EMIT heightWanted(); // room for the scroll bar, or rows again
    }
}

} // namespace hs
