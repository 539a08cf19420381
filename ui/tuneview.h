#pragma once

#include "core/frame.h"
#include "scenario/scenario.h"
#include "tuning/sweepanalysis.h"
#include "tuning/sweepplan.h"
#include "tuning/tuner.h"

#include <QWidget>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QStandardItemModel;
class QTabWidget;
class QTableView;
class QTextBrowser;

namespace hs {

class Engine;

/**
 * The Tune panel (DESIGN §10 in the window): sweep a pool's workers or the load (or two of them
 * as a grid) over a range typed in the `--vary` grammar, or tune the scenario's pools to their
 * cheapest size that meets every SLA, on the real engine, one point after another on the GUI
 * thread (SweepRunner's own event loop keeps the window responsive). While a point runs,
 * pointEngineStarted() lets the window show it on its live plots; the frames of each point's first
 * rep are kept, and a click on its row afterwards shows that run there again (pointRunRequested).
 * The result: each class's P99
 * against the varied value with its interval and SLA, throughput with the USL fit, utilization
 * measured and predicted, for a grid a map of where every SLA is met, and the table of points;
 * Apply hands the recommended values to the window, Export writes the report.
 *
 *     TuneView view;
 *     view.setScenarioSource([&] { return window.scenario(); });
 *     view.setScenario(window.scenario());             // offers its pools and the load
 *     connect(&view, &TuneView::applyRequested, &window, &MainWindow::applyTuneValues);
 *     view.runSweep();                                 // starts once the event loop runs
 */
class TuneView : public QWidget {
    Q_OBJECT
public:
    enum class Mode { None, Sweep, Tune };
    /// The runs of the last this many points are kept (a point of 5 s is 100 frames)...
    static constexpr int kMaxKeptRuns = 200;
    /// ...each thinned evenly to at most this many frames, so that it still spans its whole time.
    static constexpr int kMaxFramesPerRun = 200;

    explicit TuneView(QWidget *parent = nullptr);
    ~TuneView() override;

    /// Where a sweep or a tune takes its scenario from when it starts (the window's, with the
    /// controls' edits).
    void setScenarioSource(std::function<Scenario()> source);
    /// A scenario was opened: its pools and the load are offered to vary; the result is cleared
    /// (unless a sweep runs: it finishes on the scenario it started with).
    void setScenario(const Scenario &scenario);

    /// The window's own run holds the engine (true) or is gone (false): a sweep measures the
    /// engine alone, so Run sweep and Tune wait for it.
    void setWindowRunning(bool running);
    /// A sweep or a tune is running.
    bool isBusy() const { return m_busy; }
    Mode resultMode() const { return m_mode; }
    const std::optional<SweepResult> &sweepResult() const { return m_sweep; }
    const std::optional<TuneResult> &tuneResult() const { return m_tune; }
    /// Shows a finished sweep's result as if it had run here (a sweep run elsewhere, tests); no
    /// point's run is kept with it.
    void setSweepResult(const SweepResult &result);
    /// The frames kept of the point in table row `row` (its first rep), or null: none kept.
    const std::vector<Frame> *pointFrames(int row) const;
    /// The table row whose run the live plots show (-1: the running point's, the window's, none).
    int shownRun() const { return m_shownRun; }
    /// What is wrong with the setup as typed (empty: a sweep can run).
    QString setupError() const { return m_setupError; }
    /// The recommended values, as Apply hands them over (empty: nothing to apply).
    SweepValues recommendedValues() const;

    /// Writes the result: a sweep as a report (.html, .pdf), `hybridscope.sweep/1` (.json) or
    /// CSV (.csv); a tune as `hybridscope.tune/1` (.json). False with *error.
    bool exportTo(const QString &path, QString *error);

    QComboBox *varyCombo(int axis) const { return m_vary[axis]; }
    QLineEdit *rangeEdit(int axis) const { return m_range[axis]; }
    QLabel *errorLabel() const { return m_error; }
    QDoubleSpinBox *durationBox() const { return m_duration; }
    QDoubleSpinBox *warmupBox() const { return m_warmup; }
    QSpinBox *repsBox() const { return m_reps; }
    QDoubleSpinBox *budgetBox() const { return m_budget; }
    QDoubleSpinBox *loadBox() const { return m_load; }
    /// "Simulate first": a sweep's points in virtual time (sweep --sim); a tune searches in virtual
    /// time and confirms its K cheapest answers on the engine (tune --sim --confirm K).
    QCheckBox *simulateBox() const { return m_simulate; }
    QSpinBox *simCoresBox() const { return m_simCores; }
    QSpinBox *confirmBox() const { return m_confirm; }
    QPushButton *runButton() const { return m_runButton; }
    QPushButton *tuneButton() const { return m_tuneButton; }
    QPushButton *cancelButton() const { return m_cancelButton; }
    QPushButton *applyButton() const { return m_applyButton; }
    QPushButton *saveButton() const { return m_saveButton; }
    QPushButton *exportButton() const { return m_exportButton; }
    QProgressBar *progressBar() const { return m_progress; }
    QLabel *progressLabel() const { return m_progressText; }
    QLabel *recommendationLabel() const { return m_recommendation; }
    /// The chosen point's figures, then the recommendation's reason, the knee and the USL fit.
    QTextBrowser *pointDetails() const { return m_details; }
    QTableView *pointsTable() const { return m_table; }
    /// Says which run the live plots show (a point's, the running point's, the window's).
    QLabel *pointRunLabel() const { return m_runLabel; }
    QTabWidget *plotTabs() const { return m_tabs; }
    QCustomPlot *p99Plot() const { return m_p99; }
    QCustomPlot *throughputPlot() const { return m_throughput; }
    QCustomPlot *utilizationPlot() const { return m_utilization; }
    QCustomPlot *mapPlot() const { return m_map; }

public Q_SLOTS:
    /// Runs the sweep set up in the panel (from the event loop: returns at once).
    void runSweep();
    /// Tunes the pools the scenario uses within the budget (from the event loop: returns at once).
    void runTune();
    /// First: stop after the point in progress. Second: stop that point now (it is not reported).
    void cancel();
    /// Hands the recommended values to the window (applyRequested).
    void apply();
    void exportDialog();
    /// Shows point `row` of the table: its figures, and a mark on the plots.
    void showPoint(int row);
    /// Shows the run of point `row` (its first rep's frames) on the window's live plots
    /// (pointRunRequested), unless a sweep or the window's own run holds them; the label says why not.
    void showPointRun(int row);

Q_SIGNALS:
    void busyChanged(bool busy);
    /// A point's engine has started (on the GUI thread): `scenario` is what it runs.
    void pointEngineStarted(hs::Engine *engine, const hs::Scenario &scenario);
    /// Show this point's run on the live plots: `frames` from its start (thinned to
    /// kMaxFramesPerRun), the first `warmupS` seconds not measured, `caption` names the point.
    void pointRunRequested(
        const hs::Scenario &scenario, const std::vector<hs::Frame> &frames, double warmupS, const QString &caption);
    /// Apply: put these values (`domains.D.workers` = N) into the open scenario.
    void applyRequested(const hs::SweepValues &values);
    void saveAsRequested();
    /// Progress text changed (point i of n, ETA).
    void progressed(const QString &text);
    /// A point finished and is in the table.
    void pointAdded(int index);
    /// The sweep or tune ended (done, cancelled or failed).
    void finished();

private:
    void buildUi();
    void fillVaryCombos(const Scenario &scenario);
    void checkSetup();
    std::optional<SweepPlan> planFromSetup(QString *error) const;
    void doSweep();
    void doTune();
    void setBusy(bool busy);
    void setProgress(int done, int total, const QString &text);
    void showResult();
    void fillTable();
    void plotSweep();
    void plotTune();
    void clearPlots();
    QString pointDetailsText(const SweepPointResult &p) const;
    const SweepPointResult *pointAt(int row) const;
    /// Point `row` ran in virtual time (a simulated sweep's, or a tune point of source "sim").
    bool pointSimulated(int row) const;
    /// Keeps `run` as point `row`'s (the oldest beyond kMaxKeptRuns go).
    void keepRun(int row, Scenario scenario, std::vector<Frame> frames);
    void setRunText(const QString &text);
    void fitTableMinimum();

    /// A point's run as the live plots show it again.
    struct KeptRun {
        int row = -1;
        Scenario scenario;
        std::vector<Frame> frames;
    };

    std::function<Scenario()> m_source;
    Scenario m_scenario; ///< the last one offered (the combos' pools)
    QComboBox *m_vary[2] {};
    QLineEdit *m_range[2] {};
    QLabel *m_error = nullptr;
    QDoubleSpinBox *m_duration = nullptr;
    QDoubleSpinBox *m_warmup = nullptr;
    QSpinBox *m_reps = nullptr;
    QDoubleSpinBox *m_budget = nullptr;
    QDoubleSpinBox *m_load = nullptr;
    QCheckBox *m_simulate = nullptr;
    QSpinBox *m_simCores = nullptr;
    QSpinBox *m_confirm = nullptr;
    QPushButton *m_runButton = nullptr;
    QPushButton *m_tuneButton = nullptr;
    QPushButton *m_cancelButton = nullptr;
    QPushButton *m_applyButton = nullptr;
    QPushButton *m_saveButton = nullptr;
    QPushButton *m_exportButton = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_progressText = nullptr;
    QLabel *m_recommendation = nullptr;
    QTextBrowser *m_details = nullptr;
    QTabWidget *m_tabs = nullptr;
    QCustomPlot *m_p99 = nullptr;
    QCustomPlot *m_throughput = nullptr;
    QCustomPlot *m_utilization = nullptr;
    QCustomPlot *m_map = nullptr;
    QTableView *m_table = nullptr;
    QLabel *m_runLabel = nullptr;
    QStandardItemModel *m_model = nullptr;

    QString m_setupError;
    QString m_summary; ///< the result's reason, knee and fit (HTML)
    bool m_busy = false;
    bool m_windowRunning = false;
    int m_cancels = 0; ///< Cancel clicks during this sweep or tune
    std::unique_ptr<SweepRunner> m_runner; ///< the sweep's, while it runs
    std::unique_ptr<Tuner> m_tuner; ///< the tune's, while it runs
    Mode m_mode = Mode::None;
    std::optional<SweepResult> m_sweep;
    std::optional<TuneResult> m_tune;
    int m_selected = -1;
    std::deque<KeptRun> m_runs; ///< in the order the points ran
    int m_shownRun = -1;
};

} // namespace hs
