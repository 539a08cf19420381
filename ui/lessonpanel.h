#pragma once

#include "scenario/scenario.h"

#include <QWidget>

#include <optional>
#include <vector>

class QLabel;
class QPushButton;
class QVBoxLayout;

namespace hs {

/**
 * The lesson of the open scenario, next to the plots: its goal and what to watch, one button per
 * step (the change it makes, whether it applies live or restarts the run, and what should
 * happen), then the expected effect and why. A step button asks the window to apply the step;
 * applied steps are ticked so a learner sees where they are.
 *
 *     LessonPanel panel;
 *     panel.setLesson(scenario.lesson);
 *     connect(&panel, &LessonPanel::stepRequested, window, &MainWindow::applyLessonStep);
 *     panel.markApplied(0);
 */
class LessonPanel : public QWidget {
    Q_OBJECT
public:
    explicit LessonPanel(QWidget *parent = nullptr);

    /// Shows a lesson, or a short note when the scenario has none.
    void setLesson(const std::optional<Lesson> &lesson);
    bool hasLesson() const { return m_hasLesson; }
    void markApplied(int step);
    /// Clears the ticks (a new run of the scenario as loaded).
    void clearApplied();
    bool isApplied(int step) const;
    int stepCount() const { return int(m_buttons.size()); }
    QPushButton *stepButton(int step) const;
    QString titleText() const;

Q_SIGNALS:
    void stepRequested(int step);

private:
    QLabel *addText(const QString &heading, const QString &text);
    void clearContent();

    QVBoxLayout *m_content = nullptr;
    QLabel *m_title = nullptr;
    std::vector<QPushButton *> m_buttons;
    std::vector<QString> m_buttonTexts;
    std::vector<bool> m_applied;
    bool m_hasLesson = false;
};

} // namespace hs
