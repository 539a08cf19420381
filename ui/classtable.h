#pragma once

#include <QTableView>

namespace hs {

class ClassTableModel;

/**
 * The live per-class table under the plots (ClassTableModel): one compact row per class, columns
 * sized to their figures, tall enough for a few classes and scrolling beyond. Columns of phase
 * figures appear when the model gets them.
 *
 *     auto *table = new ClassTable(parent);
 *     table->model()->setScenario(scenario);
 *     connect(&controller, &EngineController::frameReady, table->classModel(), &ClassTableModel::addFrame);
 */
class ClassTable : public QTableView {
    Q_OBJECT
public:
    /// Rows always shown (the splitter keeps room for them); more classes scroll, or the splitter
    /// above the table gives them room.
    static constexpr int kVisibleRows = 4;

    explicit ClassTable(QWidget *parent = nullptr);
    ClassTableModel *classModel() const { return m_model; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    /// Its sizeHint() grew or shrank (a sideways scroll bar came or went): a splitter may resize it.
    void heightWanted();

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    bool scrollsSideways() const;
    /// Tells the splitter (heightWanted) when the sideways scroll bar comes or goes.
    void noticeSideways();
    int heightForRows(int rows) const;
    ClassTableModel *m_model;
    bool m_scrolledSideways = false;
};

} // namespace hs
