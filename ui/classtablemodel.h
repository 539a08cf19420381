#pragma once

#include "core/frame.h"
#include "framethrottle.h"
#include "scenario/scenario.h"

#include <QAbstractTableModel>

#include <optional>
#include <vector>

namespace hs {

/**
 * The live per-class figures as a table, one row per task class: throughput, P50 and P99 of
 * end-to-end latency over the sliding 1 s window, whether that P99 meets the class's SLA, and the
 * rejected and failed counts so far. Frames are coalesced: however fast they come, the rows change
 * at most every kRefreshMs (20 Hz), from the newest frame.
 *
 * Figures over the current phase (the time since the last live change) are columns of their own
 * that exist only once setPhaseFigures() has fed them; until then the model has no such columns,
 * so a view never shows a column without figures. A class whose phase figure is not known yet
 * (the phase is still too short) shows "–" in them.
 *
 *     ClassTableModel m;
 *     m.setScenario(scenario);                       // rows, no figures
 *     connect(&controller, &EngineController::frameReady, &m, &ClassTableModel::addFrame);
 *     m.setPhaseFigures(tr("since 6.2 s"), figures); // adds the phase columns
 */
class ClassTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        ClassColumn,
        ThroughputColumn,
        P50Column,
        P99Column,
        NaiveP99Column, ///< DESIGN §15: P99 from the actual dispatch, beside the corrected P99
        SlaColumn,
        RejectedColumn,
        FailedColumn,
        PhaseThroughputColumn,
        PhaseP50Column,
        PhaseP99Column,
        PhaseSlaColumn,
        ColumnCount
    };
    /// Columns shown before any phase figures were fed.
    static constexpr int kWindowColumns = PhaseThroughputColumn;
    /// Rows change at most this often (20 Hz), whatever the rate of frames.
    static constexpr int kRefreshMs = 50;
    /// The number behind a cell (throughput per second, milliseconds, a count; the SLA column: 1 met,
    /// 0 missed); invalid where the cell shows "–".
    static constexpr int ValueRole = Qt::UserRole;

    /// One class's figures over the current phase.
    struct PhaseFigures {
        double throughput = 0; ///< completions per second
        double p50Ms = 0;
        double p99Ms = 0;
        std::optional<bool> slaMet; ///< none when the class has no SLA
    };

    explicit ClassTableModel(QObject *parent = nullptr);

    /// One empty row per class of `scenario`; drops figures, a pending frame and the phase columns.
    void setScenario(const Scenario &scenario);
    /// Figures over the current phase, by class index (none: not enough data yet). `description`
    /// says which phase ("since the change at 6.2 s"), shown in the headers' tooltips.
    void setPhaseFigures(const QString &description, const std::vector<std::optional<PhaseFigures>> &figures);
    /// Removes the phase columns (a new run, or phases no longer tracked).
    void clearPhaseFigures();
    bool hasPhaseColumns() const { return m_phaseColumns; }

    /// Applies a frame still waiting for the refresh timer now.
    void flush();
    /// Frames received, and row updates made from them (at most one per kRefreshMs).
    int framesReceived() const { return m_framesReceived; }
    int updates() const { return m_updates; }
    /// Seconds into the run of the frame the rows show (-1: none yet).
    double shownTime() const { return m_shownT; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

public Q_SLOTS:
    void addFrame(const hs::Frame &frame);

private:
    struct Row {
        QString name;
        std::optional<double> slaMs;
        bool hasFigures = false; ///< a frame has reported this class
        ClassFrame window;
        std::optional<PhaseFigures> phase;
    };
    void apply(const Frame &frame);
    QVariant value(const Row &row, int column) const;
    QString text(const Row &row, int column) const;
    QString toolTip(const Row &row, int column) const;
    /// The window's P99 against the SLA: none without an SLA or without completions in the window.
    static std::optional<bool> slaMet(const Row &row);
    static bool hasLatency(const ClassFrame &f) { return f.p99Ms > 0 || f.throughput > 0; }

    std::vector<Row> m_rows;
    FrameThrottle m_throttle; ///< frames to apply(), at most one per kRefreshMs
    bool m_phaseColumns = false;
    QString m_phaseDescription;
    int m_framesReceived = 0;
    int m_updates = 0;
    double m_shownT = -1;
};

} // namespace hs
