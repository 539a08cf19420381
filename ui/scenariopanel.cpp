#include "scenariopanel.h"

#include <QApplication>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

namespace hs {

ScenarioPanel::ScenarioPanel(QWidget *parent)
    : QWidget(parent)
{
    auto *v = new QVBoxLayout(this);
    v->setContentsMargins(6, 4, 6, 2);
    v->setSpacing(2);

    auto *top = new QHBoxLayout;
    m_name = new QLabel(this);
    QFont big = m_name->font();
    big.setBold(true);
    big.setPointSizeF(big.pointSizeF() * 1.25);
    m_name->setFont(big);
    m_name->setTextInteractionFlags(Qt::TextSelectableByMouse);
    top->addWidget(m_name);
    m_origin = new QLabel(this);
    m_origin->setForegroundRole(QPalette::PlaceholderText);
    m_origin->setTextInteractionFlags(Qt::TextSelectableByMouse);
    top->addWidget(m_origin, 1);
    v->addLayout(top);

    m_description = new QLabel(this);
    m_description->setWordWrap(true);
    m_description->setTextInteractionFlags(Qt::TextSelectableByMouse);
    v->addWidget(m_description);

    m_warnings = new QLabel(this);
    m_warnings->setObjectName(QStringLiteral("scenarioWarnings"));
    m_warnings->setWordWrap(true);
    m_warnings->setTextInteractionFlags(Qt::TextSelectableByMouse);
    v->addWidget(m_warnings);
    m_warnings->hide();

    m_errorBox = new QWidget(this);
    auto *ev = new QVBoxLayout(m_errorBox);
    ev->setContentsMargins(0, 4, 0, 0);
    ev->setSpacing(2);
    auto *eh = new QHBoxLayout;
    auto *icon = new QLabel(m_errorBox);
    const int iconSize = fontMetrics().height();
    icon->setPixmap(style()->standardIcon(QStyle::SP_MessageBoxCritical).pixmap(iconSize, iconSize));
    eh->addWidget(icon);
    m_errorHeading = new QLabel(m_errorBox);
    m_errorHeading->setWordWrap(true);
    eh->addWidget(m_errorHeading, 1);
    auto *dismiss = new QToolButton(m_errorBox);
    dismiss->setAutoRaise(true);
    dismiss->setIcon(style()->standardIcon(QStyle::SP_DialogCloseButton));
    dismiss->setToolTip(tr("Hide these errors"));
    connect(dismiss, &QToolButton::clicked, this, &ScenarioPanel::clearErrors);
    eh->addWidget(dismiss);
    ev->addLayout(eh);
    m_errors = new QListWidget(m_errorBox);
    m_errors->setObjectName(QStringLiteral("scenarioErrors"));
    m_errors->setMaximumHeight(fontMetrics().height() * 6);
    m_errors->setSelectionMode(QAbstractItemView::SingleSelection);
    ev->addWidget(m_errors);
    v->addWidget(m_errorBox);
    m_errorBox->hide();
}

void ScenarioPanel::showScenario(const Scenario &scenario, const QString &origin)
{
    m_name->setText(scenario.name.isEmpty() ? tr("(unnamed scenario)") : scenario.name);
    m_origin->setText(origin);
    m_description->setText(scenario.description.simplified());
    m_description->setVisible(!scenario.description.isEmpty());
}

void ScenarioPanel::showErrors(const QString &path, const std::vector<ScenarioError> &errors)
{
    m_errors->clear();
    for (const ScenarioError &e : errors) {
        QString where;
        if (e.line > 0)
            where = e.column > 0 ? tr("line %1, column %2").arg(e.line).arg(e.column) : tr("line %1").arg(e.line);
        auto *item
            = new QListWidgetItem(where.isEmpty() ? e.message : where + QStringLiteral(": ") + e.message, m_errors);
        item->setToolTip(e.toString());
        item->setData(Qt::UserRole, e.line);
        item->setData(Qt::UserRole + 1, e.column);
    }
    const QString current = m_name->text();
    m_errorHeading->setText(
        tr("<b>%1</b> was not loaded: %n error(s). %2", nullptr, int(errors.size()))
            .arg(QFileInfo(path).fileName().toHtmlEscaped(),
                current.isEmpty() ? QString() : tr("Still showing “%1”.").arg(current.toHtmlEscaped())));
    m_errorHeading->setToolTip(path);
    m_errorBox->show();
}

void ScenarioPanel::showWarnings(const QStringList &warnings)
{
    m_warningLines = warnings;
    QStringList html;
    for (const QString &w : warnings)
        html << QStringLiteral("⚠ ") + w.toHtmlEscaped();
    m_warnings->setText(html.join(QStringLiteral("<br>")));
    m_warnings->setVisible(!warnings.isEmpty());
}

void ScenarioPanel::clearErrors()
{
    m_errors->clear();
    m_errorBox->hide();
}

bool ScenarioPanel::hasErrors() const
{
    return !m_errorBox->isHidden();
}

QStringList ScenarioPanel::errorLines() const
{
    QStringList out;
    for (int i = 0; i < m_errors->count(); ++i)
        out << m_errors->item(i)->text();
    return out;
}

QString ScenarioPanel::errorHeading() const
{
    return m_errorHeading->text();
}

QString ScenarioPanel::scenarioName() const
{
    return m_name->text();
}

QString ScenarioPanel::description() const
{
    return m_description->text();
}

} // namespace hs
