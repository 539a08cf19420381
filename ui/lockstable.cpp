#include "lockstable.h"

#include "lockstablemodel.h"
#include "scenario/scenario.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace hs {

LocksTable::LocksTable(QWidget *parent)
    : QWidget(parent)
    , m_model(new LocksTableModel(this))
    , m_view(new QTableView(this))
    , m_caption(new QLabel(this))
{
    setObjectName(QStringLiteral("locksTable"));
    auto *v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(2);
    m_caption->setObjectName(QStringLiteral("locksCaption"));
    m_caption->setTextFormat(Qt::PlainText);
    m_caption->setWordWrap(true);
    v->addWidget(m_caption);
    v->addWidget(m_view, 1);
    m_view->setObjectName(QStringLiteral("locksView"));
    m_view->setModel(m_model);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setSelectionMode(QAbstractItemView::NoSelection);
    m_view->setFocusPolicy(Qt::NoFocus);
    m_view->setAlternatingRowColors(true);
    m_view->setWordWrap(false);
    m_view->setCornerButtonEnabled(false);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_view->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    QHeaderView *h = m_view->horizontalHeader();
    h->setHighlightSections(false);
    h->setSectionsClickable(false);
    // Figures change 20 times a second: fixed widths for the widest figure, so nothing jitters.
    h->setSectionResizeMode(QHeaderView::Fixed);
    // The name keeps its width (a narrow window scrolls sideways rather than eliding "ledger");
    // the last column takes what is left.
    h->setStretchLastSection(true);
    // A model reset gives every section the default width again: fit them after each.
    const auto fit = [this, h] {
        const QFontMetrics fm = fontMetrics();
        int names = fm.horizontalAdvance(m_model->headerData(LocksTableModel::NameColumn, Qt::Horizontal).toString());
        for (int r = 0; r < m_model->rowCount(); ++r)
            names = std::max(names, fm.horizontalAdvance(m_model->index(r, 0).data().toString()));
        h->resizeSection(LocksTableModel::NameColumn, std::min(names, 240) + 12);
        for (int c = LocksTableModel::ScopeColumn; c < LocksTableModel::ColumnCount; ++c) {
            const QString widest = c == LocksTableModel::ScopeColumn ? QStringLiteral("process")
                : c == LocksTableModel::ContendedColumn              ? QStringLiteral("99,999 (99 %)")
                : c == LocksTableModel::WaitP99Column                ? QStringLiteral("9,999.9 ms")
                : c == LocksTableModel::LostColumn                   ? tr("99,999 LOST")
                                                                     : QStringLiteral("999,999");
            const QString header = m_model->headerData(c, Qt::Horizontal).toString();
            h->resizeSection(c, std::max(fm.horizontalAdvance(widest), fm.horizontalAdvance(header)) + 12);
        }
    };
    connect(m_model, &QAbstractItemModel::modelReset, this, fit);
    fit();
    connect(m_model, &QAbstractItemModel::dataChanged, this, &LocksTable::updateCaption);
    connect(m_model, &QAbstractItemModel::modelReset, this, &LocksTable::updateCaption);
    connect(m_model, &LocksTableModel::framesLackLocksChanged, this, &LocksTable::updateVisibility);
    setToolTip(tr("Locks and shared counters (DESIGN §15): acquisitions, contention and waits so far, and "
                  "for a counter the updates made, the value seen and the updates lost"));
    updateCaption();
    hide();
}

void LocksTable::setScenario(const Scenario &scenario)
{
    m_model->setScenario(scenario);
    updateVisibility();
}

void LocksTable::updateVisibility()
{
    // Shown for a scenario with locks, unless its frames come from a source without lock figures.
    const bool show = m_model->rowCount() > 0 && !m_model->framesLackLocks();
    if (show == !isHidden())
        return;
    setVisible(show);
    updateGeometry();
    Q_EMIT heightWanted();
}

void LocksTable::updateCaption()
{
    // Called 20 times a second: restyle only when the warning comes or goes.
    const bool lost = m_model->anyLost();
    if (m_caption->property("lost").toBool() == lost && !m_caption->text().isEmpty())
        return;
    m_caption->setProperty("lost", lost);
    if (lost) {
        m_caption->setText(tr("Locks — UPDATES LOST: a thread-scope lock does not guard worker processes"));
        m_caption->setStyleSheet(QStringLiteral("color: #e03131; font-weight: bold;"));
    } else {
        m_caption->setText(tr("Locks and shared counters"));
        m_caption->setStyleSheet(QStringLiteral("font-weight: bold;"));
    }
}

QSize LocksTable::sizeHint() const
{
    const int rows = std::clamp(m_model->rowCount(), 1, 4);
    const int h = m_caption->sizeHint().height() + 2 + m_view->horizontalHeader()->sizeHint().height()
        + rows * m_view->verticalHeader()->defaultSectionSize() + 2 * m_view->frameWidth() + 2;
    return { QWidget::sizeHint().width(), h };
}

} // namespace hs
