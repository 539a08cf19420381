#include "lessonpanel.h"

#include "core/parallelprobe.h"
#include "scenario/lesson.h"

#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

namespace hs {

namespace {
// The same colours the findings and the conservation check use; readable on light and dark.
const char *const kOkColour = "#2f9e44";
const char *const kFailColour = "#e03131";
const char *const kNotYetColour = "#e67700";
const char *const kPendingColour = "#868e96";

QString seconds(double s)
{
    return QString::number(s, 'f', s < 10 ? 1 : 0);
}
} // namespace

LessonPanel::LessonPanel(QWidget *parent)
    : QWidget(parent)
{
    qRegisterMetaType<hs::ClaimState>();
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
    m_steps.clear();
    m_title = nullptr;
    m_parallelNote = nullptr;
    m_simNote = nullptr;
    m_pendingNote.clear();
    m_reset = nullptr;
    m_needsParallelCpu = false;
    m_parallelWarning = false;
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

void LessonPanel::setSimulationNote(const QString &note)
{
    if (!m_simNote)
        return; // no lesson: nothing to judge
    m_simNote->setText(note);
    m_simNote->setVisible(!note.isEmpty());
}

void LessonPanel::setPendingNote(const QString &note)
{
    m_pendingNote = note;
    for (int i = 0; i < int(m_steps.size()); ++i)
        for (int c = 0; c < int(m_steps[std::size_t(i)].claims.size()); ++c)
            renderClaim(i, c);
}

void LessonPanel::setStepsLocked(const QString &why)
{
    m_lockedWhy = why;
    updateButtons();
}

QString LessonPanel::simulationNoteText() const
{
    return m_simNote && !m_simNote->isHidden() ? m_simNote->text() : QString();
}

QString LessonPanel::claimText(const LessonCheck &check)
{
    QStringList parts;
    if (check.before)
        parts << tr("before %1").arg(check.before->toString());
    if (check.after)
        parts << tr("after %1").arg(check.after->toString());
    if (check.ratio)
        parts << tr("after/before %1").arg(check.ratio->toString());
    return check.metric + QStringLiteral(": ") + parts.join(QStringLiteral(", "));
}

QList<ClaimState> LessonPanel::pendingClaims(const LessonStep &step)
{
    QList<ClaimState> out;
    for (const LessonCheck &c : step.checks)
        out << ClaimState { claimText(c), ClaimState::State::Pending, QString(), 0 };
    return out;
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

    m_reset = new QPushButton(tr("Reset lesson"));
    m_resetTip = tr("Back to the scenario's starting configuration, with no step applied.\n"
                    "A run in progress restarts from the start.");
    m_reset->setToolTip(m_resetTip);
    connect(m_reset, &QPushButton::clicked, this, &LessonPanel::resetRequested);
    auto *resetRow = new QHBoxLayout;
    resetRow->setContentsMargins(0, 0, 0, 0);
    resetRow->addWidget(m_reset);
    resetRow->addStretch(1);
    m_content->addLayout(resetRow);

    m_simNote = new QLabel;
    m_simNote->setObjectName(QStringLiteral("simulationNote"));
    m_simNote->setWordWrap(true);
    m_simNote->setStyleSheet(QStringLiteral("QLabel { background: #fff3bf; color: #212529; padding: 4px; }"));
    m_simNote->hide();
    m_content->addWidget(m_simNote);

    m_needsParallelCpu = lesson->needsParallelCpu;
    if (m_needsParallelCpu) {
        m_parallelNote = new QLabel(tr("Measuring how many cores this machine can run at once…"));
        m_parallelNote->setWordWrap(true);
        m_parallelNote->setTextFormat(Qt::RichText);
        m_content->addWidget(m_parallelNote);
    }
    addText(tr("Goal"), lesson->goal);
    addText(tr("Watch"), lesson->watch);
    for (std::size_t i = 0; i < lesson->steps.size(); ++i) {
        const LessonStep &s = lesson->steps[i];
        QStringList changes;
        for (const RouteOverride &r : s.routes)
            changes << QStringLiteral("%1 → %2").arg(r.key, r.domain);
        for (const Override &o : s.sets)
            changes << QStringLiteral("%1 = %2").arg(o.path, o.value);
        auto *rule = new QFrame;
        rule->setFrameShape(QFrame::HLine);
        rule->setFrameShadow(QFrame::Sunken);
        m_content->addWidget(rule);
        // The title wraps in a label; the button stays short so the panel can be narrow.
        auto *heading
            = new QLabel(QStringLiteral("<b>%1</b>").arg(tr("Step %1: %2").arg(i + 1).arg(s.title).toHtmlEscaped()));
        heading->setWordWrap(true);
        heading->setTextFormat(Qt::RichText);
        m_content->addWidget(heading);
        auto *detail = new QLabel;
        detail->setWordWrap(true);
        detail->setTextFormat(Qt::RichText);
        // The settings are long dotted paths (classes.teller.stages.post.lock.scope): breakable
        // after each dot, like a claim's metric, so a narrow panel wraps them instead of clipping.
        QString settings = changes.join(QStringLiteral(", ")).toHtmlEscaped();
        settings.replace(QLatin1Char('.'), QStringLiteral(".\u200b"));
        detail->setText(QStringLiteral("<span style='font-family:monospace'>%1</span>%2<br><i>%3</i>")
                            .arg(settings, isLiveStep(s) ? QString() : tr(" (restarts the run)").toHtmlEscaped(),
                                s.expect.toHtmlEscaped()));
        m_content->addWidget(detail);
        StepView view;
        view.when = s.when;
        if (!s.when.isEmpty()) {
            auto *when = new QLabel(QStringLiteral("<b>%1</b> %2").arg(tr("When:"), s.when.toHtmlEscaped()));
            when->setObjectName(QStringLiteral("when%1").arg(i));
            when->setWordWrap(true);
            when->setTextFormat(Qt::RichText);
            m_content->addWidget(when);
        }
        const QString text
            = isLiveStep(s) ? tr("Apply step %1").arg(i + 1) : tr("Apply step %1 and restart").arg(i + 1);
        auto *button = new QPushButton(text);
        view.tip = changes.join(QLatin1Char('\n'))
            + (isLiveStep(s) ? tr("\nApplies to the running engine.") : tr("\nRestarts the run with this setting."));
        const int index = int(i);
        connect(button, &QPushButton::clicked, this, [this, index] {
            // The button is disabled out of order; a click that slips through still asks nothing.
            if (index == nextStep())
                Q_EMIT stepRequested(index);
        });
        auto *row = new QHBoxLayout;
        row->setContentsMargins(0, 0, 0, 0);
        row->addWidget(button);
        row->addStretch(1);
        m_content->addLayout(row);
        view.button = button;
        view.buttonText = text;
        view.claims = pendingClaims(s);
        for (int c = 0; c < view.claims.size(); ++c) {
            auto *label = new QLabel;
            label->setWordWrap(true);
            label->setTextFormat(Qt::RichText);
            label->setContentsMargins(12, 0, 0, 0);
            m_content->addWidget(label);
            view.claimLabels.push_back(label);
        }
        m_steps.push_back(std::move(view));
        for (int c = 0; c < int(m_steps.back().claims.size()); ++c)
            renderClaim(index, c);
    }
    auto *rule = new QFrame;
    rule->setFrameShape(QFrame::HLine);
    rule->setFrameShadow(QFrame::Sunken);
    m_content->addWidget(rule);
    addText(tr("What should happen"), lesson->expected);
    addText(tr("Why"), lesson->why);
    m_content->addStretch(1);
    updateButtons();
}

void LessonPanel::renderClaim(int step, int claim)
{
    const StepView &v = m_steps[std::size_t(step)];
    const ClaimState &c = v.claims[claim];
    QString mark, colour, note;
    switch (c.state) {
    case ClaimState::State::Pending:
        mark = QStringLiteral("○");
        colour = QLatin1String(kPendingColour);
        note = !v.applied ? QString() : m_pendingNote.isEmpty() ? tr("measuring…") : m_pendingNote;
        break;
    case ClaimState::State::NotYet:
        mark = QStringLiteral("…");
        colour = QLatin1String(kNotYetColour);
        note = tr("not yet: needs %1 more seconds").arg(seconds(c.secondsNeeded));
        break;
    case ClaimState::State::Ok:
        mark = QStringLiteral("✓");
        colour = QLatin1String(kOkColour);
        break;
    case ClaimState::State::Failed:
        mark = QStringLiteral("✗");
        colour = QLatin1String(kFailColour);
        break;
    }
    // The metric on a line of its own, breakable after each dot: a narrow panel must not clip it.
    const int colon = c.text.indexOf(QStringLiteral(": "));
    QString metric = (colon > 0 ? c.text.left(colon + 1) : c.text).toHtmlEscaped();
    metric.replace(QLatin1Char('.'), QStringLiteral(".\u200b"));
    QStringList lines { metric };
    if (colon > 0)
        lines << c.text.mid(colon + 2).toHtmlEscaped();
    if (!c.detail.isEmpty())
        lines << QStringLiteral("<span style='font-family:monospace'>%1</span>").arg(c.detail.toHtmlEscaped());
    if (!note.isEmpty())
        lines << QStringLiteral("<i style='color:%1'>%2</i>").arg(colour, note.toHtmlEscaped());
    QLabel *label = v.claimLabels[std::size_t(claim)];
    label->setText(QStringLiteral("<table><tr><td style='color:%1; font-weight:bold; padding-right:4px'>%2</td>"
                                  "<td>%3</td></tr></table>")
                       .arg(colour, mark, lines.join(QStringLiteral("<br>"))));
    const char *const names[] = { "pending", "not yet", "ok", "failed" };
    label->setToolTip(tr("Claim %1: %2").arg(claim + 1).arg(QLatin1String(names[int(c.state)])));
}

void LessonPanel::updateButtons()
{
    const int next = nextStep();
    if (m_reset) {
        m_reset->setEnabled(m_lockedWhy.isEmpty());
        m_reset->setToolTip(m_lockedWhy.isEmpty() ? m_resetTip : m_lockedWhy);
    }
    for (int i = 0; i < int(m_steps.size()); ++i) {
        StepView &v = m_steps[std::size_t(i)];
        v.button->setEnabled(i == next && m_lockedWhy.isEmpty());
        if (!m_lockedWhy.isEmpty())
            v.button->setToolTip(m_lockedWhy);
        else if (v.applied)
            v.button->setToolTip(tr("Applied. Reset lesson starts the lesson over."));
        else if (i > next)
            v.button->setToolTip(tr("Apply step %1 first: steps build on each other.\n").arg(next + 1) + v.tip);
        else
            v.button->setToolTip(v.tip);
    }
}

void LessonPanel::markApplied(int step, double atSeconds)
{
    if (step < 0 || step >= int(m_steps.size()))
        return;
    StepView &v = m_steps[std::size_t(step)];
    v.applied = true;
    const QString text = atSeconds >= 0 ? tr("Step %1 applied at %2 s").arg(step + 1).arg(atSeconds, 0, 'f', 1)
                                        : tr("Step %1 applied").arg(step + 1);
    v.button->setText(QStringLiteral("✓ ") + text);
    for (int c = 0; c < v.claims.size(); ++c)
        renderClaim(step, c);
    updateButtons();
}

void LessonPanel::clearApplied()
{
    for (int i = 0; i < int(m_steps.size()); ++i) {
        StepView &v = m_steps[std::size_t(i)];
        v.applied = false;
        v.button->setText(v.buttonText);
        for (ClaimState &c : v.claims) {
            c.state = ClaimState::State::Pending;
            c.detail.clear();
            c.secondsNeeded = 0;
        }
        for (int c = 0; c < v.claims.size(); ++c)
            renderClaim(i, c);
    }
    updateButtons();
}

bool LessonPanel::isApplied(int step) const
{
    return step >= 0 && step < int(m_steps.size()) && m_steps[std::size_t(step)].applied;
}

int LessonPanel::nextStep() const
{
    for (int i = 0; i < int(m_steps.size()); ++i)
        if (!m_steps[std::size_t(i)].applied)
            return i;
    return int(m_steps.size());
}

QPushButton *LessonPanel::stepButton(int step) const
{
    return step >= 0 && step < int(m_steps.size()) ? m_steps[std::size_t(step)].button : nullptr;
}

QString LessonPanel::titleText() const
{
    return m_title ? m_title->text() : QString();
}

QString LessonPanel::whenText(int step) const
{
    return step >= 0 && step < int(m_steps.size()) ? m_steps[std::size_t(step)].when : QString();
}

QList<ClaimState> LessonPanel::claims(int step) const
{
    return step >= 0 && step < int(m_steps.size()) ? m_steps[std::size_t(step)].claims : QList<ClaimState>();
}

QLabel *LessonPanel::claimLabel(int step, int claim) const
{
    if (step < 0 || step >= int(m_steps.size()))
        return nullptr;
    const StepView &v = m_steps[std::size_t(step)];
    return claim >= 0 && claim < int(v.claimLabels.size()) ? v.claimLabels[std::size_t(claim)] : nullptr;
}

void LessonPanel::showCheckResults(int step, const QList<ClaimState> &results)
{
    if (step < 0 || step >= int(m_steps.size()))
        return;
    StepView &v = m_steps[std::size_t(step)];
    for (int c = 0; c < results.size() && c < v.claims.size(); ++c) {
        ClaimState s = results[c];
        if (s.text.isEmpty())
            s.text = v.claims[c].text; // the caller may send only the figures
        v.claims[c] = s;
        renderClaim(step, c);
    }
}

void LessonPanel::setParallelCores(double effectiveCores, int threads)
{
    if (!m_parallelNote)
        return;
    m_parallelWarning = effectiveCores < kParallelCoresForLessons;
    const QString measured
        = tr("%1 threads computing at once did %2× the work of one").arg(threads).arg(effectiveCores, 0, 'f', 1);
    if (m_parallelWarning) {
        m_parallelNote->setText(
            QStringLiteral("<div style='background:#fff3bf; color:#5c3c00; padding:4px'><b>⚠ %1</b> %2</div>")
                .arg(tr("The effect may not show on this machine.").toHtmlEscaped(),
                    tr("This lesson's claim needs about %1 cores working in parallel; here %2. Other load on "
                       "the machine, or a VM whose host is busy, takes the rest.")
                        .arg(kParallelCoresForLessons, 0, 'f', 1)
                        .arg(measured)
                        .toHtmlEscaped()));
    } else {
        m_parallelNote->setText(
            tr("This lesson needs parallel CPU: %1, enough for its effect to show.").arg(measured).toHtmlEscaped());
    }
}

QString LessonPanel::parallelNoteText() const
{
    return m_parallelNote ? m_parallelNote->text() : QString();
}

} // namespace hs
