#include "durationfield.h"

#include "scenario/scenarioparser.h"
#include "scenario/units.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>

namespace hs {

namespace {
QString untilStopped()
{
    return DurationField::tr("until stopped");
}
} // namespace

DurationField::DurationField(QWidget *parent)
    : QWidget(parent)
    , m_label(new QLabel(tr("for"), this))
    , m_combo(new QComboBox(this))
{
    setObjectName(QStringLiteral("durationField"));
    auto *h = new QHBoxLayout(this);
    h->setContentsMargins(4, 0, 4, 0);
    h->setSpacing(4);
    h->addWidget(m_label);
    h->addWidget(m_combo);
    m_combo->setObjectName(QStringLiteral("durationCombo"));
    m_combo->setEditable(true);
    m_combo->setInsertPolicy(QComboBox::NoInsert);
    m_combo->addItems({ untilStopped(), QStringLiteral("10s"), QStringLiteral("30s"), QStringLiteral("1m"),
        QStringLiteral("5m") });
    m_combo->setMinimumContentsLength(int(untilStopped().size()));
    m_combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_label->setBuddy(m_combo);
    m_tip = tr("How long the next run lasts: “until stopped”, or a duration such as 20s, 1.5m or 2h "
                           "(at most 24 h). Saved with File ▸ Save Scenario As… as the scenario's duration.");
    m_combo->setToolTip(m_tip);
    m_label->setToolTip(m_tip);
    connect(m_combo->lineEdit(), &QLineEdit::editingFinished, this, &DurationField::commit);
    connect(m_combo, &QComboBox::activated, this, [this](int) { commit(); });
    showValue();
}

QString DurationField::text() const
{
    return m_combo->currentText();
}

void DurationField::setSeconds(double seconds)
{
    m_seconds = seconds > 0 ? seconds : 0;
    m_error.clear();
    showValue();
}

bool DurationField::setText(const QString &text)
{
    m_combo->setEditText(text);
    commit();
    return m_error.isEmpty();
}

void DurationField::commit()
{
    const QString t = m_combo->currentText().trimmed();
    double value = 0;
    if (!t.isEmpty() && t.compare(untilStopped(), Qt::CaseInsensitive) != 0) {
        // The file's rule for `duration` (0 … 24 h), so what runs here can be saved and reloaded.
        const QString why = ScenarioParser::checkField(QStringLiteral("duration"), t);
        const auto parsed = why.isEmpty() ? parseDuration(t) : std::nullopt;
        if (!parsed) {
            m_error = why.isEmpty() ? tr("expected a duration like 20s") : why;
            m_combo->setStyleSheet(QStringLiteral("QComboBox { color: #e03131; }"));
            m_combo->setToolTip(tr("Not a run duration: %1").arg(m_error));
            return;
        }
        value = *parsed;
    }
    m_error.clear();
    const bool changed = value != m_seconds;
    m_seconds = value;
    showValue();
    if (changed)
        Q_EMIT secondsChanged(m_seconds);
}

void DurationField::showValue()
{
    m_combo->setStyleSheet(QString());
    m_combo->setToolTip(m_tip);
    m_combo->setEditText(m_seconds > 0 ? formatDuration(m_seconds) : untilStopped());
}

} // namespace hs
