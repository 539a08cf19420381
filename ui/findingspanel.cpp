#include "findingspanel.h"

#include "findingsmodel.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

namespace hs {

FindingsPanel::FindingsPanel(QWidget *parent)
    : QWidget(parent)
    , m_model(new FindingsModel(this))
{
    auto *v = new QVBoxLayout(this);
    v->setContentsMargins(4, 2, 4, 2);
    v->setSpacing(2);
    m_summary = new QLabel(this);
    v->addWidget(m_summary);
    m_view = new QTableView(this);
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setWordWrap(false);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->setVisible(false);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    QHeaderView *h = m_view->horizontalHeader();
    h->setSectionResizeMode(QHeaderView::ResizeToContents);
    h->setStretchLastSection(true); // the advice column
    v->addWidget(m_view, 1);
    clear();
}

void FindingsPanel::setFindings(const std::vector<Finding> &findings, Stage stage)
{
    m_model->setFindings(findings);
    int warnings = 0, errors = 0;
    for (const Finding &f : findings) {
        if (f.severity == Severity::Error)
            ++errors;
        else if (f.severity == Severity::Warning)
            ++warnings;
    }
    QString text;
    if (findings.empty())
        text = stage == Stage::WholeRun ? tr("The run raised no findings.")
            : stage == Stage::Live      ? tr("No findings so far: the rules run on every frame.")
                                        : tr("Findings appear here while a scenario runs.");
    else
        text = (stage == Stage::WholeRun ? tr("Whole run: %1 errors, %2 warnings.")
                                         : tr("Live: %1 errors, %2 warnings."))
                   .arg(errors)
                   .arg(warnings);
    m_summary->setText(text);
}

void FindingsPanel::clear()
{
    setFindings({}, Stage::Idle);
}

QString FindingsPanel::summary() const
{
    return m_summary->text();
}

} // namespace hs
