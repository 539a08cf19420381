#pragma once

#include "scenario/scenario.h"
#include "scenario/scenarioparser.h"

#include <QWidget>

#include <vector>

class QLabel;
class QListWidget;
class QToolButton;

namespace hs {

/**
 * The scenario at the top of the window: its name, where it came from and its description; and,
 * when a file could not be loaded, its errors inline, each with its line and column, above the
 * scenario that stays loaded (a file with errors is never half-loaded).
 *
 *     ScenarioPanel panel;
 *     panel.showScenario(scenario, tr("built-in “default”"));
 *     panel.showErrors(path, result.errors);
 */
class ScenarioPanel : public QWidget {
    Q_OBJECT
public:
    explicit ScenarioPanel(QWidget *parent = nullptr);

    void showScenario(const Scenario &scenario, const QString &origin);
    void showErrors(const QString &path, const std::vector<ScenarioError> &errors);
    void clearErrors();
    /// Resource warnings of the scenario (resourceWarnings(): beyond this machine's limits or cores),
    /// shown under its description; empty hides them.
    void showWarnings(const QStringList &warnings);
    QStringList warningLines() const { return m_warningLines; }

    bool hasErrors() const;
    /// One line per error as shown ("line 12, column 5: ...").
    QStringList errorLines() const;
    QString errorHeading() const;
    QString scenarioName() const;
    QString description() const;

private:
    QLabel *m_name = nullptr;
    QLabel *m_origin = nullptr;
    QLabel *m_description = nullptr;
    QLabel *m_warnings = nullptr;
    QStringList m_warningLines;
    QWidget *m_errorBox = nullptr;
    QLabel *m_errorHeading = nullptr;
    QListWidget *m_errors = nullptr;
};

} // namespace hs
