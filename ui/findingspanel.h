#pragma once

#include "results/diagnostics.h"

#include <QWidget>

#include <vector>

class QLabel;
class QTableView;

namespace hs {

class FindingsModel;

/**
 * The findings panel: live alerts while a run goes on, then the diagnosis of the whole run, with
 * a one-line summary above the table ("2 warnings so far").
 *
 *     FindingsPanel panel;
 *     panel.setFindings(live.findings(), FindingsPanel::Stage::Live);
 *     panel.setFindings(result.findings, FindingsPanel::Stage::WholeRun);
 */
class FindingsPanel : public QWidget {
    Q_OBJECT
public:
    enum class Stage { Idle, Live, WholeRun };

    explicit FindingsPanel(QWidget *parent = nullptr);

    void setFindings(const std::vector<Finding> &findings, Stage stage);
    void clear();
    FindingsModel *model() const { return m_model; }
    QString summary() const;

private:
    QLabel *m_summary = nullptr;
    QTableView *m_view = nullptr;
    FindingsModel *m_model = nullptr;
};

} // namespace hs
