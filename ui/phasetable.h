#pragma once

#include "results/runresult.h"

#include <QAbstractTableModel>
#include <QStringList>
#include <QWidget>

#include <optional>
#include <utility>
#include <vector>

class QLabel;
class QPushButton;
class QTableView;

namespace hs {

/**
 * One row per phase of a run (results/phases.h): when it ran, the change that started it, how long
 * it took to settle, and per class its P99 with the 95 % interval and an SLA mark (✓ met, ✗ missed,
 * ? the interval straddles the SLA), then the domains' load. Fed live by Engine::phasesUpdated.
 *
 *     PhaseTableModel m;
 *     m.setPhases(result.phases);
 *     m.data(m.index(1, PhaseTableModel::kFirstClassColumn)); // "12.3 ms [11.8, 13.0] ✓"
 */
class PhaseTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { PhaseColumn, TimeColumn, ChangeColumn, SettleColumn, kFirstClassColumn };

    explicit PhaseTableModel(QObject *parent = nullptr);

    void setPhases(std::vector<PhaseResult> phases);
    void clear();
    const std::vector<PhaseResult> &phases() const { return m_phases; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    /// The cell text of a class in a phase: "12.3 ms [11.8, 13.0] ✓", "settling", "no completions".
    static QString classCell(const PhaseResult &p, std::size_t classIndex);

private:
    int domainsColumn() const { return kFirstClassColumn + int(m_classes.size()); }

    std::vector<PhaseResult> m_phases;
    QStringList m_classes;
};

/// The phase table with a one-line explanation above it, and a button that compares the two
/// selected phases in a report (enabled when exactly two settled phases are selected).
class PhaseTable : public QWidget {
    Q_OBJECT
public:
    explicit PhaseTable(QWidget *parent = nullptr);
    PhaseTableModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    QPushButton *compareButton() const { return m_compare; }
    /// The selected rows when they are two settled phases, earlier first.
    std::optional<std::pair<int, int>> selectedPair() const;
    /// The line above the table (empty: the usual one, on what a phase is), e.g. why a run has none.
    void setNote(const QString &note);
    QString noteText() const;

public Q_SLOTS:
    void setPhases(const std::vector<hs::PhaseResult> &phases);
    void clear();

Q_SIGNALS:
    /// Compare phases `a` and `b` (rows, from 0) in a report.
    void compareRequested(int a, int b);

private:
    static QString defaultNote();
    void updateCompare();

    PhaseTableModel *m_model;
    QTableView *m_view;
    QPushButton *m_compare;
    QLabel *m_note;
};

} // namespace hs
