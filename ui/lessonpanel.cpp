#include "lessonpanel.h"

#include "scenario/lesson.h"

#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

namespace hs {

LessonPanel::LessonPanel(QWidget *parent)
    : QWidget(parent)
{
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto *scroll = new QScrollArea;
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto *host = new QWidget;
    m_content = new QVBoxLayout(host);
    m_content->setContentsMargins(6, 6, 6, 6);
    m_content->setSpacing(6);
    scroll->setWidget(host);
    setMinimumWidth(260);
    outer->addWidget(scroll);
    setLesson(std::nullopt);
}

void LessonPanel::clearContent()
{
    while (QLayoutItem *item = m_content->takeAt(0)) {
        if (QLayout *inner = item->layout())
            while (QLayoutItem *child = inner->takeAt(0)) {
                delete child->widget();
                delete child;
            }
        delete item->widget();
        delete item;
    }
    m_buttons.clear();
    m_buttonTexts.clear();
    m_applied.clear();
    m_title = nullptr;
}

QLabel *LessonPanel::addText(const QString &heading, const QString &text)
{
    auto *label = new QLabel;
    label->setWordWrap(true);
    label->setTextFormat(Qt::RichText);
    label->setText(QStringLiteral("<b>%1</b><br>%2").arg(heading.toHtmlEscaped(), text.toHtmlEscaped()));
    m_content->addWidget(label);
    return label;
}

void LessonPanel::setLesson(const std::optional<Lesson> &lesson)
{
    clearContent();
    m_hasLesson = lesson.has_value();
    if (!lesson) {
        auto *note = new QLabel(tr("This scenario has no lesson. The Lessons menu lists the built-in ones."));
        note->setWordWrap(true);
        m_content->addWidget(note);
        m_content->addStretch(1);
        return;
    }
    m_title = new QLabel(lesson->title);
    QFont f = m_title->font();
    f.setBold(true);
    f.setPointSizeF(f.pointSizeF() * 1.2);
    m_title->setFont(f);
    m_title->setWordWrap(true);
    m_content->addWidget(m_title);
    addText(tr("Goal"), lesson->goal);
    addText(tr("Watch"), lesson->watch);
    for (std::size_t i = 0; i < lesson->steps.size(); ++i) {
        const LessonStep &s = lesson->steps[i];
        QStringList changes;
        for (const RouteOverride &r : s.routes)
            changes << QStringLiteral("%1 → %2").arg(r.key, r.domain);
        for (const Override &o : s.sets)
            changes << QStringLiteral("%1 = %2").arg(o.path, o.value);
        // The title wraps in a label; the button stays short so the panel can be narrow.
        auto *heading
            = new QLabel(QStringLiteral("<b>%1</b>").arg(tr("Step %1: %2").arg(i + 1).arg(s.title).toHtmlEscaped()));
        heading->setWordWrap(true);
        heading->setTextFormat(Qt::RichText);
        m_content->addWidget(heading);
        auto *detail = new QLabel;
        detail->setWordWrap(true);
        detail->setTextFormat(Qt::RichText);
        detail->setText(
            QStringLiteral("<span style='font-family:monospace'>%1</span>%2<br><i>%3</i>")
                .arg(changes.join(QStringLiteral(", ")).toHtmlEscaped(),
                    isLiveStep(s) ? QString() : tr(" (restarts the run)").toHtmlEscaped(), s.expect.toHtmlEscaped()));
        m_content->addWidget(detail);
        const QString text
            = isLiveStep(s) ? tr("Apply step %1").arg(i + 1) : tr("Apply step %1 and restart").arg(i + 1);
        auto *button = new QPushButton(text);
        button->setToolTip(changes.join(QLatin1Char('\n'))
            + (isLiveStep(s) ? tr("\nApplies to the running engine.") : tr("\nRestarts the run with this setting.")));
        const int index = int(i);
        connect(button, &QPushButton::clicked, this, [this, index] { Q_EMIT stepRequested(index); });
        auto *row = new QHBoxLayout;
        row->setContentsMargins(0, 0, 0, 6);
        row->addWidget(button);
        row->addStretch(1);
        m_content->addLayout(row);
        m_buttons.push_back(button);
        m_buttonTexts.push_back(text);
        m_applied.push_back(false);
    }
    addText(tr("What should happen"), lesson->expected);
    addText(tr("Why"), lesson->why);
    m_content->addStretch(1);
}

void LessonPanel::markApplied(int step)
{
    if (step < 0 || step >= int(m_buttons.size()))
        return;
    m_applied[std::size_t(step)] = true;
    m_buttons[std::size_t(step)]->setText(QStringLiteral("✓ ") + tr("Step %1 applied").arg(step + 1));
}

void LessonPanel::clearApplied()
{
    for (std::size_t i = 0; i < m_buttons.size(); ++i) {
        m_applied[i] = false;
        m_buttons[i]->setText(m_buttonTexts[i]);
    }
}

bool LessonPanel::isApplied(int step) const
{
    return step >= 0 && step < int(m_applied.size()) && m_applied[std::size_t(step)];
}

QPushButton *LessonPanel::stepButton(int step) const
{
    return step >= 0 && step < int(m_buttons.size()) ? m_buttons[std::size_t(step)] : nullptr;
}

QString LessonPanel::titleText() const
{
    return m_title ? m_title->text() : QString();
}

} // namespace hs
