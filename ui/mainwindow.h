#pragma once

#include "core/frame.h"
#include "domains/domain.h"
#include "livefindings.h"
#include "remoterun.h"
#include "results/runresult.h"
#include "scenario/scenario.h"
#include "scenario/scenarioparser.h"
#include "tuning/sweepplan.h"

#include <QElapsedTimer>
#include <QMainWindow>
#include <QTimer>
#include <functional>

#include <array>
#include <map>
#include <optional>
#include <vector>

class QAction;
class QComboBox;
class QDockWidget;
class QLabel;
class QLineEdit;
class QMenu;

namespace hs {

class ClassTable;
class LocksTable;
class DomainCard;
class DurationField;
class EngineController;
class FindingsPanel;
class PhaseTable;
class LessonPanel;
class LagMonitor;
class LivePlots;
class ReportExporter;
class RoutingModel;
class RoutingTable;
class ScenarioPanel;
class SimPlayer;
class TuneView;

/**
 * The live lab: a scenario (opened from a file, a recent file, a drop, the command line or the
 * built-ins), Run / Stop / Restart with a run clock, live plots, one card per domain whose
 * controls act on the running engine, the routing table, findings, and a status bar with the
 * run's totals and whether conservation holds. The engine runs behind an EngineController, so
 * nothing here waits on it. Simulate plays a simulation of the scenario (SimPlayer) into the same
 * views instead, marked SIMULATED on the title, the status bar and every plot until a real run. Closing mid-run cancels
 * the run and closes once the engine has shut down (bounded by kCloseBoundMs).
 *
 * Attached (File ▸ Attach…, `hybridscope --attach HOST:PORT`): the window follows a run served by
 * another hybridscope (docs/serve.md) through the EngineController's remote mode, as it does a run
 * of its own: the run's scenario is loaded as the current one, the plots, cards, tables, findings
 * and events follow it, and the controls and live lesson steps act on the remote engine. The
 * title and status bar name the address; what cannot apply to a remote run (Run, Restart,
 * Simulate, steps that restart) is disabled or says why; a lost connection shows a banner and is
 * retried until Detach, which (as closing) lets go without stopping the remote run.
 *
 *     MainWindow w;
 *     w.openScenario(QStringLiteral("default"));
 *     w.show();
 *     w.run();
 */
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    /// How long a close waits for the engine to finish before closing anyway.
    static constexpr int kCloseBoundMs = 8000;
    static constexpr int kMaxRecentFiles = 8;

    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    /// Loads a file or a built-in scenario by name. On errors the current scenario stays and the
    /// errors are shown; a run of the previous scenario is cancelled only when the new one loaded.
    bool openScenario(const QString &nameOrPath);
    /// The scenario of the last session (QSettings), else the built-in default.
    bool openLastScenario();
    /// Logs the GUI's event-loop lag every few seconds (--verbose).
    void setVerbose(bool verbose);

    /// The scenario as loaded, with the edits made in the cards and the routing table.
    const Scenario &scenario() const { return m_working; }
    bool hasScenario() const { return m_hasScenario; }
    bool isRunning() const;
    /// Simulate mode: a simulation is computing or being played back (SimPlayer).
    bool isSimulating() const;

    EngineController *controller() const { return m_controller; }
    LivePlots *plots() const { return m_plots; }
    RoutingModel *routingModel() const { return m_routing; }
    RoutingTable *routingTable() const { return m_routingTable; }
    DomainCard *domainCard(DomainKind d) const { return m_cards[std::size_t(d)]; }
    FindingsPanel *findingsPanel() const { return m_findings; }
    PhaseTable *phaseTable() const { return m_phaseTable; }
    ScenarioPanel *scenarioPanel() const { return m_scenarioPanel; }
    LessonPanel *lessonPanel() const { return m_lessonPanel; }
    /// The Tune panel (View ▸ Tune…): sweeps and tunes of the open scenario.
    TuneView *tuneView() const { return m_tuneView; }
    QDockWidget *tuneDock() const { return m_tuneDock; }
    LagMonitor *lagMonitor() const { return m_lag; }
    ClassTable *classTable() const { return m_classTable; }
    DurationField *durationField() const { return m_duration; }
    QAction *saveAsAction() const { return m_saveAsAction; }
    /// Writes the current configuration (m_working: the controls' pool sizes, backpressure, routes,
    /// GIL and duration) as a scenario file; false with *error.
    bool saveScenarioAs(const QString &path, QString *error);
    QAction *runAction() const { return m_runAction; }
    QAction *stopAction() const { return m_stopAction; }
    QAction *restartAction() const { return m_restartAction; }
    QAction *openAction() const { return m_openAction; }
    QAction *revertAction() const { return m_revertAction; }
    QAction *restartFromFileAction() const { return m_restartFileAction; }
    QAction *gilAction() const { return m_gilAction; }
    QAction *exportAction() const { return m_exportAction; }
    QAction *simulateAction() const { return m_simulateAction; }
    QAction *pauseAction() const { return m_pauseAction; }
    QAction *attachAction() const { return m_attachAction; }
    QAction *detachAction() const { return m_detachAction; }
    /// The line above the plots while an attached run's connection is down (or was given up).
    QLabel *remoteBanner() const { return m_remoteBanner; }
    /// The status bar's "attached to HOST:PORT" (hidden for a run of this window).
    QLabel *remoteLabel() const { return m_remoteLabel; }
    /// "attached to 127.0.0.1:9400", "detached from …", …; empty for a run of this window.
    QString remoteMark() const;
    /// Simulate mode's cores (1..SimPlayer::kMaxCores; this machine's by default) and playback speed.
    QLineEdit *coresEdit() const { return m_coresEdit; }
    QComboBox *speedCombo() const { return m_speedCombo; }
    SimPlayer *simPlayer() const { return m_sim; }
    /// "SIMULATED · 16 cores · built-in default calibration" while the window shows a simulated
    /// run (title, status bar, every plot); empty for a run on the engine.
    QString simulationMark() const { return m_simMark; }
    /// The status bar's SIMULATED badge (hidden for a run on the engine).
    QLabel *simulationBadge() const { return m_simBadge; }
    ReportExporter *exporter() const { return m_exporter; }
    /// "submitted 120 · completed 100 · …" as shown in the status bar.
    QString totalsText() const;
    QString conservationText() const;
    QString clockText() const;

    /// Follows the run served at `address` (HOST:PORT, see AttachTarget::parse) with `token` (empty:
    /// none). A run of this window is cancelled first. False with *error for a bad address; a
    /// connection that fails says so later (a message box, as a run that cannot start).
    bool attach(const QString &address, const QString &token, QString *error = nullptr);

public Q_SLOTS:
    /// File ▸ Attach…: asks for the address and token, then attach().
    void attachDialog();
    /// File ▸ Detach: lets go of the attached run, which goes on; the window keeps what it received.
    void detach();
    void run();
    /// Simulate mode: the scenario with the current controls simulated in virtual time on the
    /// cores field's cores (off the GUI thread), then played back into the plots, cards, class
    /// table and findings at the speed chosen; everything that shows it is marked SIMULATED.
    void simulate();
    /// Stops a run (drain, then cancel), or skips the rest of a simulated replay.
    void stop();
    /// Restarts with the current controls (the cards, routes, GIL switch and lesson steps as set).
    void restart();
    /// Puts the controls back to the scenario file, clears the lesson's steps, and restarts.
    void restartFromFile();
    void openDialog();
    /// Puts the pool sizes, backpressure and routes back to the scenario as loaded (between runs).
    void revertControls();
    /// File ▸ Save Scenario As…: asks for a file, then saveScenarioAs().
    void saveScenarioAsDialog();
    /// Applies step `index` of the scenario's lesson: live on the running engine when the engine
    /// can change it (routes, pool sizes, backpressure), else by restarting the run with it.
    /// Steps apply in order, each once; a step that changes nothing sends no command.
    void applyLessonStep(int index);
    /// Back to the scenario's starting configuration with no step applied; a run restarts with it.
    void resetLesson();
    /// Puts a sweep's or a tune's values (`domains.D.workers` = N) into the open scenario through
    /// the domain cards, as if typed there (the running engine is resized too).
    void applyTuneValues(const hs::SweepValues &values);
    /// A finished sweep or tune point chosen in the Tune panel: its run (`frames` from its start)
    /// on the live plots, the cards and the class table as they showed it running, the first
    /// `warmupS` seconds shaded. Not while the window runs (its run holds the plots).
    void showTunePointRun(
        const hs::Scenario &scenario, const std::vector<hs::Frame> &frames, double warmupS, const QString &caption);

protected:
    void closeEvent(QCloseEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    /// A run's phases arrived (live or final): the class table's phase columns and the lesson
    /// steps' claims, each judged on the phase before the step and the phase it started.
    void onPhases(const std::vector<PhaseResult> &phases);
    void buildActions();
    void buildDocks();
    void connectController();
    void applyScenario(const Scenario &scenario, const QString &path);
    /// A stage's new route: into the next run's configuration, and to the running engine.
    void moveStage(const QString &key, DomainKind d);
    void resetControls();
    /// Measures parallel CPU once per session (off the GUI thread) for a lesson that needs it.
    void probeParallelCpu();
    /// Shows m_working in the routing table, the domain cards and the GIL switch (no engine command).
    void showWorkingConfig();
    void updateActions();
    void updateClock();
    void updateRecentMenu();
    void addRecentFile(const QString &path);
    void saveSettings();
    void restoreSettings();
    void fitClassTable();
    std::function<void()> m_defaultLayout; ///< window size and dock sizes of a fresh layout
    void onFrame(const Frame &frame);
    /// The live plots, cards, class table and findings emptied for a tune point's run of
    /// `scenario`; frames of earlier points are dropped from now on.
    void followTunePoint(const Scenario &scenario);
    void onEvent(const RunEvent &event);
    /// A run's end in the views (cards, findings, phases, totals): a measured run's or a replay's.
    void showFinishedRun(const RunResult &r);
    void onFinished();
    void onReleased();
    void onSimFinished();
    /// Sets (or, with an empty text, clears) the SIMULATED mark on the title, status bar and plots.
    void setSimulationMark(const QString &mark, const QString &tip = {});
    /// The cores typed in the cores field, or 0 (the field marked, the status bar says why).
    int coresFromField();
    /// The live views emptied for a new run of m_working (a run or a simulation).
    void prepareRunViews();
    /// The cards and routing table take edits (between runs, and during a real one) or not (a replay).
    /// (a replay, or `reason`: an attached run's connection is down).
    void setControlsEditable(bool editable, const QString &reason = {});
    /// Seconds into the run shown: the remote run's own time for an attached one.
    double runClockS() const;
    void showTotals(std::uint64_t submitted, std::uint64_t completed, std::uint64_t failed, std::uint64_t rejected,
        std::uint64_t cancelled, bool finished, bool conserved);
    static QString originText(const QString &path);

    /// Where the window stands with a remote run (none: a run of its own, or nothing).
    enum class Remote { None, Connecting, Live, Lost, Ended, Detached, Failed };
    void startAttach(const AttachTarget &target);
    /// The controller's hello: a new run's scenario loaded as the current one, or after a reconnect
    /// the remote engine's configuration shown in the controls.
    void onRemoteScenario(const Scenario &scenario, const QByteArray &yaml, bool newRun);
    void onRemoteConnection(bool up, const QString &text, bool final);
    /// The phase table, the cards' theory and the lesson panel say what an attached run lacks.
    void showRemoteNotes();
    /// Back to a window of its own (a scenario opened, a run or simulation started here).
    void leaveRemote();
    void setRemote(Remote state);
    void updateTitle();
    void updateRemoteLabel();
    /// The loaded scenario again with `sets` and `routes` (lesson steps): from its file, or from
    /// the text an attached run sent.
    ParseResult reparse(const std::vector<Override> &sets, const std::vector<RouteOverride> &routes) const;

    EngineController *m_controller = nullptr;
    LagMonitor *m_lag = nullptr;
    ScenarioPanel *m_scenarioPanel = nullptr;
    LivePlots *m_plots = nullptr;
    LocksTable *m_locks = nullptr;
    ClassTable *m_classTable = nullptr;
    DurationField *m_duration = nullptr;
    QAction *m_saveAsAction = nullptr;
    RoutingModel *m_routing = nullptr;
    RoutingTable *m_routingTable = nullptr;
    FindingsPanel *m_findings = nullptr;
    PhaseTable *m_phaseTable = nullptr;
    std::map<int, double> m_stepAppliedAt; ///< live lesson step -> run time it was applied
    LessonPanel *m_lessonPanel = nullptr;
    QDockWidget *m_lessonDock = nullptr;
    TuneView *m_tuneView = nullptr;
    QDockWidget *m_tuneDock = nullptr;
    QAction *m_tuneAction = nullptr;
    quint64 m_tunePoint = 0; ///< the sweep point the live plots show; older points' frames are dropped
    QString m_scenarioPath; ///< what m_loaded was parsed from (lesson steps re-parse it)
    std::array<DomainCard *, kDomainCount> m_cards {};

    QAction *m_openAction = nullptr;
    QAction *m_runAction = nullptr;
    QAction *m_stopAction = nullptr;
    QAction *m_restartAction = nullptr;
    QAction *m_revertAction = nullptr;
    QAction *m_restartFileAction = nullptr;
    QAction *m_gilAction = nullptr;
    QAction *m_exportAction = nullptr;
    QAction *m_simulateAction = nullptr;
    QAction *m_pauseAction = nullptr;
    QAction *m_attachAction = nullptr;
    QAction *m_detachAction = nullptr;
    QLabel *m_remoteBanner = nullptr;
    QLabel *m_remoteLabel = nullptr;
    Remote m_remote = Remote::None;
    QString m_remoteAddress; ///< host:port of the run attached now or last
    QByteArray m_loadedYaml; ///< an attached run's scenario text (m_scenarioPath is its ws:// URL)
    std::optional<AttachTarget> m_attachPending; ///< attach once this window's engine is gone
    QLineEdit *m_coresEdit = nullptr;
    QComboBox *m_speedCombo = nullptr;
    QLabel *m_simBadge = nullptr;
    SimPlayer *m_sim = nullptr;
    QString m_simMark;
    ReportExporter *m_exporter = nullptr;
    QMenu *m_recentMenu = nullptr;
    QComboBox *m_builtins = nullptr;
    QLabel *m_clock = nullptr;
    QLabel *m_totals = nullptr;
    QLabel *m_conservation = nullptr;
    QLabel *m_guiLag = nullptr;

    Scenario m_loaded; ///< as parsed
    Scenario m_working; ///< with the user's edits; what Run starts
    bool m_hasScenario = false;
    LiveFindings m_live;
    std::array<bool, kDomainCount> m_running {}; ///< domains the current run's engine reports
    QElapsedTimer m_runClock;
    QTimer m_clockTimer;
    QTimer m_closeDeadline;
    double m_lastFrameT = 0;
    double m_finishedAfter = -1;
    bool m_restartPending = false;
    bool m_closePending = false;
    bool m_forceClose = false;
    bool m_verbose = false;
    bool m_probing = false;
    double m_parallelCores = 0; ///< effective parallel cores measured this session; 0: not yet
    int m_parallelThreads = 0;
};

} // namespace hs
