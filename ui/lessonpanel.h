#pragma once

#include "scenario/scenario.h"

#include <QList>
#include <QMetaType>
#include <QString>
#include <QWidget>

#include <optional>
#include <vector>

class QLabel;
class QPushButton;
class QVBoxLayout;

namespace hs {

/// How one `check:` claim of a lesson step stands, as the Lesson panel shows it.
struct ClaimState {
    enum class State {
        Pending, ///< nothing measured yet (the step is not applied, or no figures came)
        NotYet, ///< a phase is still too short to judge: `secondsNeeded` more
        Ok,
        Failed
    };
    QString text; ///< the claim, "loop.lag_ms.p99: before > 30, after < 15"
    State state = State::Pending;
    QString detail; ///< the measured figures, "before 48.2, after 1.3"
    double secondsNeeded = 0; ///< NotYet: how much longer the phase must run
};

/**
 * The lesson of the open scenario, next to the plots: its goal and what to watch, then one block
 * per step: the change, when to apply it, what should happen, a button, and the step's claims,
 * each with a tick, a cross or "not yet" once figures come (showCheckResults). Steps apply in
 * order: only the next step's button is enabled, and an applied one says when it was applied and
 * cannot be applied again. "Reset lesson" asks the window to go back to the scenario's starting
 * configuration. A lesson that needs parallel CPU says what this machine measured
 * (setParallelCores) and warns when that is too little for its effect to show.
 *
 *     LessonPanel panel;
 *     panel.setLesson(scenario.lesson);
 *     connect(&panel, &LessonPanel::stepRequested, window, &MainWindow::applyLessonStep);
 *     panel.markApplied(0, 6.2);                       // "✓ Applied at 6.2 s"
 *     panel.showCheckResults(0, claimsFromPhases);      // ticks and crosses
 */
class LessonPanel : public QWidget {
    Q_OBJECT
public:
    explicit LessonPanel(QWidget *parent = nullptr);

    /// Shows a lesson, or a short note when the scenario has none.
    void setLesson(const std::optional<Lesson> &lesson);
    bool hasLesson() const { return m_hasLesson; }
    /// Step `step` was applied, `atSeconds` into the run (< 0: between runs, for the next one).
    void markApplied(int step, double atSeconds = -1);
    /// Clears the ticks and the claims' results (a new run of the scenario as loaded).
    void clearApplied();
    bool isApplied(int step) const;
    /// The step whose button is enabled: the first one not applied; stepCount() when all are.
    int nextStep() const;
    int stepCount() const { return int(m_steps.size()); }
    QPushButton *stepButton(int step) const;
    QPushButton *resetButton() const { return m_reset; }
    QString titleText() const;
    /// The "when to apply it" line of a step (empty when the lesson does not say).
    QString whenText(int step) const;

    /// The claims of a step as shown now, and the label of one (for tests and screenshots).
    QList<ClaimState> claims(int step) const;
    QLabel *claimLabel(int step, int claim) const;
    /// A step's claims before anything is measured: each check in words, Pending.
    static QList<ClaimState> pendingClaims(const LessonStep &step);
    static QString claimText(const LessonCheck &check);

    /// A note above the steps while the window shows a simulated run (empty: none): the claims
    /// are judged on measured runs only. Kept until the next setLesson() or an empty note.
    void setSimulationNote(const QString &note);
    QString simulationNoteText() const;
    /// What an applied step's unjudged claims say instead of "measuring…" (e.g. "not judged
    /// (attached)"); empty: "measuring…". Kept until the next setLesson().
    void setPendingNote(const QString &note);
    /// Locks the step buttons and Reset (a simulated replay cannot change), `why` on their hover;
    /// an empty `why` unlocks them.
    void setStepsLocked(const QString &why);

    /// The note on parallel CPU (empty when the lesson does not need it).
    QString parallelNoteText() const;
    bool parallelWarningShown() const { return m_parallelWarning; }

public Q_SLOTS:
    /// Shows each claim of step `step` with its figures and a tick, a cross or "not yet". Claims
    /// beyond the step's checks are ignored; missing ones stay as they are.
    void showCheckResults(int step, const QList<hs::ClaimState> &results);
    /// What this machine measured (effective parallel cores of `threads`); a lesson that needs
    /// parallel CPU warns when it is below kParallelCoresForLessons.
    void setParallelCores(double effectiveCores, int threads);

Q_SIGNALS:
    void stepRequested(int step);
    void resetRequested();

private:
    struct StepView {
        QPushButton *button = nullptr;
        QString buttonText;
        QString tip;
        QString when;
        bool applied = false;
        std::vector<QLabel *> claimLabels;
        QList<ClaimState> claims;
    };
    QLabel *addText(const QString &heading, const QString &text);
    void clearContent();
    void updateButtons();
    void renderClaim(int step, int claim);

    QVBoxLayout *m_content = nullptr;
    QLabel *m_title = nullptr;
    QLabel *m_parallelNote = nullptr;
    QLabel *m_simNote = nullptr;
    QString m_pendingNote;
    QString m_lockedWhy;
    QString m_resetTip;
    QPushButton *m_reset = nullptr;
    std::vector<StepView> m_steps;
    bool m_hasLesson = false;
    bool m_needsParallelCpu = false;
    bool m_parallelWarning = false;
};

} // namespace hs

Q_DECLARE_METATYPE(hs::ClaimState)
