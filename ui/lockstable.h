#pragma once

#include <QWidget>

class QLabel;
class QTableView;

namespace hs {

class LocksTableModel;
struct Scenario;

/**
 * The locks panel under the class table (DESIGN §15): a caption that warns when updates are being
 * lost, and the live table of LocksTableModel. It hides itself while the scenario has no locks or
 * counters, and while its frames carry no lock figures (a simulated replay, an attached run whose
 * server does not send them), so runs without them look as before.
 *
 *     auto *locks = new LocksTable(parent);
 *     locks->setScenario(scenario);                       // shown only if it has locks
 *     connect(&controller, &EngineController::frameReady, locks->locksModel(), &LocksTableModel::addFrame);
 */
class LocksTable : public QWidget {
    Q_OBJECT
public:
    explicit LocksTable(QWidget *parent = nullptr);
    LocksTableModel *locksModel() const { return m_model; }
    QTableView *view() const { return m_view; }
    QLabel *caption() const { return m_caption; }

    /// New rows for `scenario`'s locks and counters; visible only when there are some.
    void setScenario(const Scenario &scenario);

    QSize sizeHint() const override;

Q_SIGNALS:
    /// Shown, hidden or given other rows: a splitter may resize it.
    void heightWanted();

private:
    void updateCaption();
    void updateVisibility();
    LocksTableModel *m_model;
    QTableView *m_view;
    QLabel *m_caption;
};

} // namespace hs
