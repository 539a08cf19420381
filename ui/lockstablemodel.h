#pragma once

#include "core/frame.h"
#include "framethrottle.h"
#include "scenario/scenario.h"

#include <QAbstractTableModel>

#include <optional>
#include <vector>

namespace hs {

/**
 * The live figures of a run's locks and shared counters (DESIGN §15), one row per name of
 * sharedResourceNames(scenario), fed from Frame::locks (same order): scope, for a counter the
 * updates expected, seen and lost (lost in red), then acquisitions, the contended share, stages
 * waiting now, wait P99 over the last second, timeouts and recovered. Like ClassTableModel, frames
 * are coalesced to at most one update every kRefreshMs. A scenario without locks has no rows.
 *
 *     LocksTableModel m;
 *     m.setScenario(scenario);   // rows, no figures ("–")
 *     connect(&controller, &EngineController::frameReady, &m, &LocksTableModel::addFrame);
 */
class LocksTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        ScopeColumn,
        // The counter first: lost updates are the one figure nobody may miss.
        ExpectedColumn,
        SeenColumn,
        LostColumn,
        AcquiredColumn,
        ContendedColumn,
        WaitingColumn,
        WaitP99Column,
        TimeoutsColumn,
        RecoveredColumn,
        ColumnCount
    };
    static constexpr int kRefreshMs = 50;
    /// The number behind a cell (a count, ms, the contended share 0–1); invalid where it shows "–".
    static constexpr int ValueRole = Qt::UserRole;

    explicit LocksTableModel(QObject *parent = nullptr);

    /// One row per lock/counter name of `scenario`; drops figures and a pending frame.
    void setScenario(const Scenario &scenario);
    void flush();
    int framesReceived() const { return m_framesReceived; }
    int updates() const { return m_updates; }
    /// Some row has lost updates (what the view's caption warns about).
    bool anyLost() const;
    /// The last frame carried no lock figures although the scenario has locks: its source (a
    /// simulated replay, an attached run) does not measure them, so there is nothing to show.
    bool framesLackLocks() const { return m_framesLackLocks; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

public Q_SLOTS:
    void addFrame(const hs::Frame &frame);

Q_SIGNALS:
    /// framesLackLocks() changed.
    void framesLackLocksChanged(bool lack);

private:
    struct Row {
        QString name;
        std::optional<LockScope> scope; ///< none: a counter only
        bool counter = false;
        bool hasFigures = false;
        LockFrame figures;
        std::uint64_t lost() const
        {
            return figures.updatesExpected > figures.updatesSeen ? figures.updatesExpected - figures.updatesSeen : 0;
        }
    };
    void apply(const Frame &frame);
    QVariant value(const Row &row, int column) const;
    QString text(const Row &row, int column) const;

    std::vector<Row> m_rows;
    FrameThrottle m_throttle; ///< frames to apply(), at most one per kRefreshMs
    int m_framesReceived = 0;
    int m_updates = 0;
    bool m_framesLackLocks = false;
};

} // namespace hs
