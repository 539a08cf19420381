#include "mainwindow.h"

#include "attachdialog.h"
#include "lessonpanel.h"
#include "scenario/lesson.h"

#include "classtable.h"
#include "classtablemodel.h"
#include "core/parallelprobe.h"
#include "domaincard.h"
#include "domains/resources.h"
#include "domainstyle.h"
#include "durationfield.h"
#include "enginecontroller.h"
#include "findingspanel.h"
#include "lagmonitor.h"
#include "lessonpanel.h"
#include "liveplot.h"
#include "liveplots.h"
#include "lockstable.h"
#include "lockstablemodel.h"
#include "phasetable.h"
#include "reportexporter.h"
#include "results/phases.h"
#include "results/report.h"
#include "routingmodel.h"
#include "routingtable.h"
#include "run/engine.h"
#include "scenario/builtins.h"
#include "scenario/lesson.h"
#include "scenario/scenarioparser.h"
#include "scenario/scenariowriter.h"
#include "scenariopanel.h"
#include "sim/calibration.h"
#include "simplayer.h"
#include "tuneview.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QRegularExpression>
#include <QScreen>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QThread>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

#include <cstdio>
#include <memory>

namespace hs {

namespace {
const QString kBuiltinPrefix = QStringLiteral(":/scenarios/");
const QString kRemotePrefix = QStringLiteral("ws://");

QString clock(double s)
{
    const int minutes = int(s / 60);
    return QStringLiteral("%1:%2").arg(minutes).arg(s - minutes * 60.0, 4, 'f', 1, QLatin1Char('0'));
}

Stage *findStage(Scenario &s, const QString &key)
{
    for (TaskClass &c : s.classes)
        for (Stage &st : c.stages)
            if (c.name + QLatin1Char('.') + st.name == key)
                return &st;
    return nullptr;
}
} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_controller(new EngineController(this))
    , m_lag(new LagMonitor(10, this))
{
    setObjectName(QStringLiteral("MainWindow"));
    setWindowTitle(QStringLiteral("Hybridscope"));
    setWindowIcon(applicationIcon());
    setAcceptDrops(true);
    m_sim = new SimPlayer(this);

    auto *central = new QWidget(this);
    auto *v = new QVBoxLayout(central);
    v->setContentsMargins(4, 0, 4, 4);
    v->setSpacing(4);
    // An attached run's lost connection: above everything, where it cannot be missed.
    m_remoteBanner = new QLabel(central);
    m_remoteBanner->setObjectName(QStringLiteral("remoteBanner"));
    m_remoteBanner->setTextFormat(Qt::PlainText); // the text may quote the server
    m_remoteBanner->setWordWrap(true);
    m_remoteBanner->hide();
    v->addWidget(m_remoteBanner);
    m_scenarioPanel = new ScenarioPanel(central);
    v->addWidget(m_scenarioPanel);
    // The class table sits under the plots, where the eye already is; the splitter lets a user
    // with many classes give it more room.
    auto *split = new QSplitter(Qt::Vertical, central);
    split->setObjectName(QStringLiteral("plotsSplitter"));
    split->setChildrenCollapsible(false);
    m_plots = new LivePlots(split);
    m_classTable = new ClassTable(split);
    connect(m_classTable, &ClassTable::heightWanted, this, &MainWindow::fitClassTable, Qt::QueuedConnection);
    // DESIGN §15: the locks panel under the class table, shown only for a scenario with locks.
    m_locks = new LocksTable(split);
    connect(m_locks, &LocksTable::heightWanted, this, &MainWindow::fitClassTable, Qt::QueuedConnection);
    split->addWidget(m_plots);
    split->addWidget(m_classTable);
    split->addWidget(m_locks);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 0);
    split->setStretchFactor(2, 0);
    v->addWidget(split, 1);
    setCentralWidget(central);

    buildActions();
    buildDocks();
    connectController();
    connect(m_controller, &EngineController::started, this, [this] {
        m_classTable->classModel()->setScenario(m_working);
        m_locks->setScenario(m_working);
    });
    connect(m_controller, &EngineController::frameReady, m_classTable->classModel(), &ClassTableModel::addFrame);

    // Fixed sizes: these labels change with every frame, and a label whose size may change asks
    // the whole window to lay out again.
    const QFontMetrics fm = fontMetrics();
    m_totals = new QLabel(this);
    m_totals->setFixedSize(
        fm.horizontalAdvance(tr("submitted %1 · completed %1 · failed %2 · rejected %2 · cancelled %2 · "
                                "in flight %2")
                                 .arg(QLocale().toString(99999999), QLocale().toString(9999999))),
        fm.height());
    m_conservation = new QLabel(this);
    m_conservation->setFixedSize(fm.horizontalAdvance(tr("conservation ✗ broken")) + 12, fm.height());
    m_guiLag = new QLabel(this);
    m_guiLag->setFixedSize(fm.horizontalAdvance(tr("GUI lag P99 %1 ms").arg(QStringLiteral("999.9"))) + 8, fm.height());
    m_guiLag->setToolTip(tr("The GUI's own event-loop lag (P99 over the last second): how responsive this window is"));
    // Simulate mode's mark: first on the right, in the colour of the plots' badges.
    m_simBadge = new QLabel(this);
    m_simBadge->setObjectName(QStringLiteral("simulationBadge"));
    m_simBadge->setStyleSheet(QStringLiteral("QLabel { background: #ffd43b; color: #212529; font-weight: bold; "
                                             "border-radius: 3px; padding: 0px 6px; }"));
    m_simBadge->hide();
    statusBar()->addPermanentWidget(m_simBadge);
    m_remoteLabel = new QLabel(this);
    m_remoteLabel->setObjectName(QStringLiteral("remoteLabel"));
    m_remoteLabel->setTextFormat(Qt::PlainText);
    m_remoteLabel->setStyleSheet(QStringLiteral("QLabel { background: #d0ebff; color: #1c3d5a; font-weight: bold; "
                                                "border-radius: 3px; padding: 0px 6px; }"));
    m_remoteLabel->hide();
    statusBar()->addPermanentWidget(m_remoteLabel);
    statusBar()->addPermanentWidget(m_totals);
    statusBar()->addPermanentWidget(m_conservation);
    statusBar()->addPermanentWidget(m_guiLag);
    showTotals(0, 0, 0, 0, 0, false, true);
    m_conservation->clear();

    connect(m_lag, &LagMonitor::updated, this, [this](double p99, double max) {
        m_guiLag->setText(tr("GUI lag P99 %1 ms").arg(p99, 0, 'f', 1));
        m_guiLag->setToolTip(tr("The GUI's own event-loop lag over the last second: P99 %1 ms, max %2 ms")
                                 .arg(p99, 0, 'f', 2)
                                 .arg(max, 0, 'f', 2));
    });
    // Measure from the end of the first paint: building and first drawing the window is
    // start-up (50-90 ms under Xvfb), not the responsiveness of a running lab.
    centralWidget()->installEventFilter(this);

    m_clockTimer.setInterval(100);
    connect(&m_clockTimer, &QTimer::timeout, this, &MainWindow::updateClock);
    m_closeDeadline.setSingleShot(true);
    connect(&m_closeDeadline, &QTimer::timeout, this, [this] {
        std::fprintf(
            stderr, "hybridscope: the run did not end within %d ms of closing; closing anyway\n", kCloseBoundMs);
        m_forceClose = true;
        close();
    });

    restoreSettings();
    updateClock();
    updateActions();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildActions()
{
    QStyle *st = style();
    m_openAction = new QAction(st->standardIcon(QStyle::SP_DialogOpenButton), tr("&Open…"), this);
    m_openAction->setShortcut(QKeySequence::Open);
    m_openAction->setToolTip(tr("Open a scenario file (Ctrl+O); you can also drop one on the window"));
    connect(m_openAction, &QAction::triggered, this, &MainWindow::openDialog);

    m_runAction = new QAction(st->standardIcon(QStyle::SP_MediaPlay), tr("&Run"), this);
    m_runAction->setShortcuts({ QKeySequence(Qt::CTRL | Qt::Key_R), QKeySequence(Qt::Key_F5) });
    m_runAction->setToolTip(tr("Run the scenario (Ctrl+R, F5)"));
    connect(m_runAction, &QAction::triggered, this, &MainWindow::run);

    m_simulateAction = new QAction(st->standardIcon(QStyle::SP_MediaSeekForward), tr("Si&mulate"), this);
    m_simulateAction->setObjectName(QStringLiteral("simulateAction"));
    m_simulateAction->setShortcuts({ QKeySequence(Qt::CTRL | Qt::Key_M), QKeySequence(Qt::Key_F6) });
    m_simulateAction->setToolTip(tr("Simulate the scenario in virtual time on the cores given (Ctrl+M, F6), then "
                                    "play it back at the speed chosen: the same plots, cards and findings as a "
                                    "run, marked SIMULATED (docs/simulation.md)"));
    connect(m_simulateAction, &QAction::triggered, this, &MainWindow::simulate);

    m_pauseAction = new QAction(st->standardIcon(QStyle::SP_MediaPause), tr("&Pause Replay"), this);
    m_pauseAction->setObjectName(QStringLiteral("pauseAction"));
    m_pauseAction->setCheckable(true);
    m_pauseAction->setShortcut(QKeySequence(Qt::Key_F8));
    m_pauseAction->setToolTip(tr("Pause or resume the playback of a simulated run (F8)"));
    connect(m_pauseAction, &QAction::toggled, this, [this](bool paused) {
        m_sim->setPaused(paused);
        updateClock();
    });

    m_stopAction = new QAction(st->standardIcon(QStyle::SP_MediaStop), tr("&Stop"), this);
    m_stopAction->setShortcuts({ QKeySequence(Qt::CTRL | Qt::Key_Period), QKeySequence(Qt::SHIFT | Qt::Key_F5) });
    m_stopAction->setToolTip(tr("Stop arrivals and let what is in flight finish (Ctrl+., Shift+F5); "
                                "a second Stop cancels what is left. In a simulated replay: skip to its end"));
    connect(m_stopAction, &QAction::triggered, this, &MainWindow::stop);

    m_restartAction = new QAction(st->standardIcon(QStyle::SP_BrowserReload), tr("R&estart"), this);
    m_restartAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
    m_restartAction->setToolTip(tr("Restart with the current controls (Ctrl+Shift+R): cancel the run and start "
                                   "again with the pool sizes, backpressure, routes, GIL switch and lesson steps "
                                   "you set, not the file's. Run ▸ Restart from File starts from the file."));
    m_restartAction->setStatusTip(tr("Restart with the current controls"));
    connect(m_restartAction, &QAction::triggered, this, &MainWindow::restart);

    m_restartFileAction = new QAction(tr("Restart from &File"), this);
    m_restartFileAction->setToolTip(tr("Put every control back as the scenario file has it, clear the lesson's "
                                       "steps, and start the run again"));
    m_restartFileAction->setStatusTip(m_restartFileAction->toolTip());
    connect(m_restartFileAction, &QAction::triggered, this, &MainWindow::restartFromFile);

    m_revertAction = new QAction(st->standardIcon(QStyle::SP_DialogResetButton), tr("Re&vert Controls"), this);
    m_revertAction->setToolTip(tr("Revert Controls: put pool sizes, backpressure, routes and the GIL switch back as "
                                  "the scenario file has them and clear the lesson's steps (between runs; while "
                                  "running, use Run ▸ Restart from File)"));
    m_revertAction->setStatusTip(m_revertAction->toolTip());
    connect(m_revertAction, &QAction::triggered, this, &MainWindow::revertControls);

    auto *quit = new QAction(tr("&Quit"), this);
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_openAction);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    QMenu *builtinMenu = file->addMenu(tr("&Built-in Scenarios"));
    m_builtins = new QComboBox(this);
    m_builtins->setToolTip(tr("Built-in scenarios, each with a lesson"));
    m_builtins->setPlaceholderText(tr("built-in scenarios"));
    m_builtins->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    for (const QString &name : builtinScenarioNames()) {
        builtinMenu->addAction(name, this, [this, name] { openScenario(name); });
        m_builtins->addItem(name);
    }
    connect(m_builtins, &QComboBox::activated, this, [this](int i) { openScenario(m_builtins->itemText(i)); });
    m_saveAsAction = file->addAction(tr("&Save Scenario As…"), this, &MainWindow::saveScenarioAsDialog);
    m_saveAsAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S)); // SaveAs is empty on some platforms
    m_saveAsAction->setToolTip(tr("Write the scenario with the current pool sizes, backpressure, routes, GIL "
                                  "and duration as a scenario file"));
    file->addSeparator();
    m_attachAction = file->addAction(tr("&Attach…"), this, &MainWindow::attachDialog);
    m_attachAction->setObjectName(QStringLiteral("attachAction"));
    m_attachAction->setToolTip(tr("Follow a run served by hybridscope run … --serve (here or on another machine) "
                                  "with the same plots and controls"));
    m_detachAction = file->addAction(tr("&Detach"), this, &MainWindow::detach);
    m_detachAction->setObjectName(QStringLiteral("detachAction"));
    m_detachAction->setToolTip(tr("Let go of the attached run: it goes on where it runs; the window keeps what "
                                  "it received"));
    file->addSeparator();
    m_exporter = new ReportExporter(
        m_controller, [this] { return m_working; }, this);
    m_exportAction = file->addAction(tr("&Export…"), m_exporter, &ReportExporter::exportDialog);
    m_exportAction->setShortcut(QKeySequence(tr("Ctrl+E")));
    m_exportAction->setToolTip(tr("Export the run (finished, or a snapshot while it runs): HTML, PDF, JSON or CSV"));
    file->addSeparator();
    file->addAction(quit);

    // The README's teaching order, each under its command-line name (`hybridscope run blocking-loop`).
    QMenu *lessons = menuBar()->addMenu(tr("&Lessons"));
    lessons->setToolTipsVisible(true);
    for (const QString &name : builtinLessonNames()) {
        const ParseResult r = ScenarioParser::parseFile(builtinScenarioPath(name));
        if (!r.ok() || !r.scenario->lesson)
            continue;
        QAction *a
            = lessons->addAction(QStringLiteral("%1 — %2").arg(name, r.scenario->lesson->title), this, [this, name] {
                  if (openScenario(name) && m_lessonDock) {
                      m_lessonDock->show();
                      m_lessonDock->raise();
                  }
              });
        a->setToolTip(r.scenario->lesson->goal);
        a->setData(name);
    }

    QMenu *runMenu = menuBar()->addMenu(tr("&Run"));
    runMenu->addAction(m_runAction);
    runMenu->addAction(m_simulateAction);
    runMenu->addAction(m_pauseAction);
    runMenu->addAction(m_stopAction);
    runMenu->addAction(m_restartAction);
    runMenu->addAction(m_restartFileAction);
    runMenu->addSeparator();
    runMenu->addAction(m_revertAction);
    runMenu->addSeparator();
    m_gilAction = runMenu->addAction(tr("&GIL Emulation"));
    m_gilAction->setCheckable(true);
    m_gilAction->setToolTip(tr("cpu stages on loop and threads hold one global lock, handed over every "
                               "switch_interval, as in CPython; applies to the running engine"));
    connect(m_gilAction, &QAction::toggled, this, [this](bool on) {
        m_working.gilEnabled = on;
        if (isRunning()) {
            m_controller->setGil(on);
            statusBar()->showMessage(on ? tr("GIL emulation on") : tr("GIL emulation off"), 3000);
        }
    });

    QToolBar *bar = addToolBar(tr("Run"));
    bar->setObjectName(QStringLiteral("runToolBar"));
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->addAction(m_openAction);
    bar->addWidget(m_builtins);
    bar->addSeparator();
    bar->addAction(m_runAction);
    bar->addAction(m_simulateAction);
    // Simulate mode: the simulated machine's cores and the playback speed.
    auto *simBox = new QWidget(this);
    auto *simRow = new QHBoxLayout(simBox);
    simRow->setContentsMargins(2, 0, 6, 0);
    simRow->setSpacing(4);
    m_coresEdit = new QLineEdit(QString::number(std::max(1, QThread::idealThreadCount())), simBox);
    m_coresEdit->setObjectName(QStringLiteral("coresEdit"));
    m_coresEdit->setFixedWidth(m_coresEdit->fontMetrics().horizontalAdvance(QStringLiteral("00000")) + 12);
    m_coresEdit->setAlignment(Qt::AlignRight);
    const QString coresTip = tr("Simulate: the cores the simulated machine has (1 to %1; this machine has %2)")
                                 .arg(SimPlayer::kMaxCores)
                                 .arg(std::max(1, QThread::idealThreadCount()));
    m_coresEdit->setToolTip(coresTip);
    m_coresEdit->setProperty("hsTip", coresTip);
    connect(m_coresEdit, &QLineEdit::editingFinished, this, [this] { coresFromField(); });
    connect(m_coresEdit, &QLineEdit::textEdited, this, [this] {
        m_coresEdit->setStyleSheet(QString()); // marked again if still wrong when taken
        m_coresEdit->setToolTip(m_coresEdit->property("hsTip").toString());
    });
    auto *coresLabel = new QLabel(tr("cores"), simBox);
    coresLabel->setBuddy(m_coresEdit);
    m_speedCombo = new QComboBox(simBox);
    m_speedCombo->setObjectName(QStringLiteral("speedCombo"));
    for (const int x : { 1, 2, 5, 10, 50 })
        m_speedCombo->addItem(QStringLiteral("%1×").arg(x), double(x));
    m_speedCombo->addItem(tr("max"), 0.0);
    m_speedCombo->setCurrentIndex(m_speedCombo->findData(10.0));
    m_speedCombo->setToolTip(tr("Playback speed of a simulated run: virtual seconds per second (max: as fast as "
                                "the window draws); changes apply while it plays"));
    connect(m_speedCombo, &QComboBox::currentIndexChanged, this,
        [this] { m_sim->setSpeed(m_speedCombo->currentData().toDouble()); });
    simRow->addWidget(m_coresEdit);
    simRow->addWidget(coresLabel);
    simRow->addWidget(m_speedCombo);
    bar->addWidget(simBox);
    bar->addAction(m_pauseAction);
    m_duration = new DurationField(this);
    connect(m_duration, &DurationField::secondsChanged, this, [this](double seconds) {
        m_working.duration = seconds;
        updateClock();
    });
    bar->addWidget(m_duration);
    bar->addAction(m_stopAction);
    bar->addAction(m_restartAction);
    bar->addAction(m_revertAction);
    bar->addAction(m_gilAction);
    bar->addSeparator();
    m_clock = new QLabel(this);
    m_clock->setContentsMargins(8, 0, 8, 0);
    QFont bold = m_clock->font();
    bold.setBold(true);
    m_clock->setFont(bold);
    m_clock->setFixedSize(
        std::max(QFontMetrics(bold).horizontalAdvance(tr("finished after %1").arg(QStringLiteral("000:00.0"))),
            QFontMetrics(bold).horizontalAdvance(tr("▶ %1 / %1 virtual").arg(QStringLiteral("000:00.0"))))
            + 24,
        QFontMetrics(bold).height() + 4);
    bar->addWidget(m_clock);
    updateRecentMenu();
}

void MainWindow::buildDocks()
{
    // Settings beyond this machine (resourceWarnings): in the scenario panel as at loading, on the
    // cards they concern, and once on the status line when a control has just made them appear.
    const auto refreshWarnings = [this, shown = std::make_shared<QStringList>()](bool announce) {
        const QStringList warnings = resourceWarnings(m_working);
        m_scenarioPanel->showWarnings(warnings);
        for (DomainKind d : kAllDomains) {
            const QRegularExpression mentions(
                QStringLiteral("(^%1:|\\b[1-9]\\d* %1\\b)").arg(QRegularExpression::escape(domainName(d))));
            QStringList mine;
            for (const QString &w : warnings)
                if (mentions.match(w).hasMatch())
                    mine << w;
            m_cards[std::size_t(d)]->setWarnings(mine);
        }
        if (announce && !warnings.isEmpty() && warnings != *shown)
            statusBar()->showMessage(tr("Warning: %1").arg(warnings.front()), 10000);
        *shown = warnings;
    };

    // Domains: one card per domain of the engine, whatever their number.
    auto *cardsHost = new QWidget;
    auto *cards = new QVBoxLayout(cardsHost);
    cards->setContentsMargins(2, 2, 2, 2);
    cards->setSpacing(4);
    for (DomainKind d : kAllDomains) {
        auto *card = new DomainCard(d, cardsHost);
        m_cards[std::size_t(d)] = card;
        cards->addWidget(card);
        connect(card, &DomainCard::workersRequested, this, [this, refreshWarnings](DomainKind dk, int workers) {
            m_working.domain(dk).workers = workers;
            m_working.domain(dk).declared = true;
            if (isRunning()) {
                m_controller->resize(dk, workers);
                statusBar()->showMessage(tr("%1: %2 workers").arg(domainName(dk)).arg(workers), 3000);
            }
            refreshWarnings(true);
        });
        connect(card, &DomainCard::backpressureRequested, this,
            [this, refreshWarnings](DomainKind dk, const Backpressure &bp) {
                DomainConfig &c = m_working.domain(dk);
                c.queue = bp.queue;
                c.maxInflight = bp.maxInflight;
                c.onFull = bp.onFull;
                c.declared = true;
                if (isRunning())
                    m_controller->setBackpressure(dk, bp);
                refreshWarnings(true);
            });
        connect(card, &DomainCard::autoscaleRequested, this, [this, card](DomainKind dk, const AutoscaleConfig &a) {
            m_working.domain(dk).autoscale = a;
            m_working.domain(dk).declared = true;
            if (isRunning())
                m_controller->setAutoscale(dk, a);
            statusBar()->showMessage(a.enabled() ? tr("%1: %2").arg(domainName(dk), card->autoscaleText())
                                                 : tr("%1: autoscale off").arg(domainName(dk)),
                3000);
        });
    }
    cards->addStretch(1);
    // Cards never clip: a dock narrower or shorter than they need scrolls.
    auto *scroll = new QScrollArea;
    scroll->setObjectName(QStringLiteral("domainsScroll"));
    scroll->setWidget(cardsHost);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    scroll->setVerticalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    auto *domainsDock = new QDockWidget(tr("Domains"), this);
    domainsDock->setObjectName(QStringLiteral("domainsDock"));
    domainsDock->setWidget(scroll);
    addDockWidget(Qt::RightDockWidgetArea, domainsDock);

    m_routing = new RoutingModel(this);
    m_routingTable = new RoutingTable;
    m_routingTable->setRoutingModel(m_routing);
    connect(m_routing, &RoutingModel::routeChanged, this,
        [this](const QString &key, DomainKind d, DomainKind) { moveStage(key, d); });
    // Cards of domains no stage is routed to read "not used by this scenario".
    const auto showUsed = [this] {
        for (DomainKind d : kAllDomains)
            m_cards[std::size_t(d)]->setUsed(m_routing->usesDomain(d));
    };
    connect(m_routing, &QAbstractItemModel::modelReset, this, [showUsed, refreshWarnings] {
        showUsed();
        refreshWarnings(false);
    });
    connect(m_routing, &QAbstractItemModel::dataChanged, this, showUsed);
    connect(m_routing, &RoutingModel::routeChanged, this, [refreshWarnings] { refreshWarnings(true); });
    auto *routingDock = new QDockWidget(tr("Routing"), this);
    routingDock->setObjectName(QStringLiteral("routingDock"));
    routingDock->setWidget(m_routingTable);
    addDockWidget(Qt::RightDockWidgetArea, routingDock);

    m_findings = new FindingsPanel;
    auto *findingsDock = new QDockWidget(tr("Findings"), this);
    findingsDock->setObjectName(QStringLiteral("findingsDock"));
    findingsDock->setWidget(m_findings);
    addDockWidget(Qt::BottomDockWidgetArea, findingsDock);

    // Phases: one row per configuration, beside the findings under the plots.
    m_phaseTable = new PhaseTable;
    connect(m_phaseTable, &PhaseTable::compareRequested, m_exporter, &ReportExporter::comparePhasesDialog);
    auto *phasesDock = new QDockWidget(tr("Phases"), this);
    phasesDock->setObjectName(QStringLiteral("phasesDock"));
    phasesDock->setWidget(m_phaseTable);
    addDockWidget(Qt::BottomDockWidgetArea, phasesDock);
    tabifyDockWidget(findingsDock, phasesDock);
    findingsDock->raise();

    m_lessonPanel = new LessonPanel;
    connect(m_lessonPanel, &LessonPanel::stepRequested, this, &MainWindow::applyLessonStep);
    connect(m_lessonPanel, &LessonPanel::resetRequested, this, &MainWindow::resetLesson);
    m_lessonDock = new QDockWidget(tr("Lesson"), this);
    m_lessonDock->setObjectName(QStringLiteral("lessonDock"));
    m_lessonDock->setWidget(m_lessonPanel);
    addDockWidget(Qt::LeftDockWidgetArea, m_lessonDock);

    // Tune: a tab beside the domain cards, so that it takes no room from the plots until opened.
    m_tuneView = new TuneView;
    m_tuneView->setScenarioSource([this] { return m_working; });
    m_tuneDock = new QDockWidget(tr("Tune"), this);
    m_tuneDock->setObjectName(QStringLiteral("tuneDock"));
    // Scrolls rather than asking the window for its full height (a 1280×720 screen).
    auto *tuneScroll = new QScrollArea;
    tuneScroll->setObjectName(QStringLiteral("tuneScroll"));
    tuneScroll->setWidget(m_tuneView);
    tuneScroll->setWidgetResizable(true);
    tuneScroll->setFrameShape(QFrame::NoFrame);
    m_tuneDock->setWidget(tuneScroll);
    addDockWidget(Qt::RightDockWidgetArea, m_tuneDock);
    tabifyDockWidget(domainsDock, m_tuneDock);
    m_tuneDock->hide();
    domainsDock->raise();
    m_tuneAction = m_tuneDock->toggleViewAction();
    m_tuneAction->setText(tr("&Tune…"));
    m_tuneAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    m_tuneAction->setToolTip(tr("Sweep a pool's workers or the load, or tune the pools to the fewest workers that "
                                "meet every SLA (Ctrl+T)"));
    // After the dock's own handler has shown it: in front of the cards, and wide enough for its plots.
    connect(m_tuneAction, &QAction::triggered, this, [this](bool on) {
        if (!on || m_tuneDock->isFloating())
            return;
        m_tuneDock->raise();
        // Once the layout the window has pending is done (a resize, the dock just shown).
        QTimer::singleShot(0, this, [this] {
            if (!m_tuneDock->isVisible() || m_tuneDock->isFloating())
                return;
            const int wide = std::clamp(width() * 2 / 5, 460, 680);
            if (m_tuneDock->width() < wide)
                resizeDocks({ m_tuneDock }, { wide }, Qt::Horizontal);
            // Most of the right column too (the routing table under it keeps a few rows): the
            // plots and the table of points need the height.
            auto *routing = findChild<QDockWidget *>(QStringLiteral("routingDock"));
            const int column = m_tuneDock->height() + (routing && routing->isVisible() ? routing->height() : 0);
            const int tall = column * 4 / 5;
            if (routing && routing->isVisible() && !routing->isFloating() && m_tuneDock->height() < tall
                && dockWidgetArea(routing) == dockWidgetArea(m_tuneDock))
                resizeDocks({ m_tuneDock, routing }, { tall, column - tall }, Qt::Vertical);
        });
    });
    if (auto *bar = findChild<QToolBar *>(QStringLiteral("runToolBar"))) {
        bar->addSeparator();
        bar->addAction(m_tuneAction);
    }
    connect(m_tuneView, &TuneView::busyChanged, this, [this](bool busy) {
        updateActions();
        statusBar()->showMessage(
            busy ? tr("Sweeping: the plots show the point being measured") : tr("The sweep or tune has ended"), 5000);
        if (!busy && m_closePending)
            close();
    });
    connect(m_tuneView, &TuneView::applyRequested, this, &MainWindow::applyTuneValues);
    connect(m_tuneView, &TuneView::saveAsRequested, this, &MainWindow::saveScenarioAsDialog);
    connect(m_tuneView, &TuneView::pointEngineStarted, this, [this](Engine *engine, const Scenario &scenario) {
        // The live plots, cards and class table follow the point's engine, as they do a run.
        followTunePoint(scenario);
        const quint64 id = m_tunePoint;
        connect(
            engine, &Engine::frameReady, this,
            [this, id](const Frame &f) {
                if (id != m_tunePoint)
                    return;
                onFrame(f);
                m_classTable->classModel()->addFrame(f);
            },
            Qt::QueuedConnection);
        connect(
            engine, &Engine::eventAdded, this,
            [this, id](const RunEvent &e) {
                if (id == m_tunePoint)
                    onEvent(e);
            },
            Qt::QueuedConnection);
    });
    connect(m_tuneView, &TuneView::pointRunRequested, this, &MainWindow::showTunePointRun);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->addAction(m_tuneAction);
    view->addSeparator();
    view->addAction(m_lessonDock->toggleViewAction());
    view->addAction(domainsDock->toggleViewAction());
    view->addAction(routingDock->toggleViewAction());
    view->addAction(findingsDock->toggleViewAction());
    view->addAction(phasesDock->toggleViewAction());

    // The right column (domains, routing) runs the full height; findings sit under the plots.
    setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);
    setCorner(Qt::TopRightCorner, Qt::RightDockWidgetArea);
    const auto defaultLayout = [this, domainsDock, routingDock, findingsDock] {
        // 1500×950, or what the screen has room for (a 1366×768 laptop), frame included.
        QSize size(1500, 950);
        if (const QScreen *sc = screen())
            size = size.boundedTo(sc->availableGeometry().size() - QSize(16, 48));
        if (!isMaximized() && !isFullScreen())
            resize(size);
        resizeDocks({ domainsDock }, { 450 }, Qt::Horizontal);
        resizeDocks({ domainsDock, routingDock }, { 640, 230 }, Qt::Vertical);
        // On a short screen the findings give the plots room (they scroll; the plots would clip).
        resizeDocks({ findingsDock }, { size.height() < 800 ? 60 : 140 }, Qt::Vertical); // at least its minimum
        // The class table at its full height (every class up to four) when the plots keep their
        // minimum beside it; else what is left (it scrolls). Once the layout has taken the new size.
        QTimer::singleShot(0, this, &MainWindow::fitClassTable);
    };
    defaultLayout();
    // Dock sizes set before the window is shown give way to the docks' size hints; once shown,
    // a window with no saved layout lays them out again (restoreSettings()).
    m_defaultLayout = defaultLayout;

    view->addSeparator();
    auto *reset = view->addAction(tr("&Reset Layout"));
    reset->setObjectName(QStringLiteral("resetLayoutAction"));
    reset->setToolTip(tr("Put the docks back where they start, at their first size, and forget the saved layout"));
    connect(
        reset, &QAction::triggered, this, [this, domainsDock, routingDock, findingsDock, phasesDock, defaultLayout] {
            // Take every dock out and put it back in the order the window first added them.
            const std::pair<QDockWidget *, Qt::DockWidgetArea> docks[]
                = { { domainsDock, Qt::RightDockWidgetArea }, { routingDock, Qt::RightDockWidgetArea },
                      { findingsDock, Qt::BottomDockWidgetArea }, { phasesDock, Qt::BottomDockWidgetArea },
                      { m_lessonDock, Qt::LeftDockWidgetArea }, { m_tuneDock, Qt::RightDockWidgetArea } };
            for (const auto &[dock, area] : docks) {
                dock->setFloating(false);
                removeDockWidget(dock);
            }
            for (const auto &[dock, area] : docks) {
                addDockWidget(area, dock);
                dock->setVisible(dock == m_lessonDock ? m_hasScenario && m_loaded.lesson.has_value()
                                                      : dock != m_tuneDock || m_tuneView->isBusy());
            }
            tabifyDockWidget(findingsDock, phasesDock);
            findingsDock->raise();
            tabifyDockWidget(domainsDock, m_tuneDock);
            (m_tuneDock->isVisible() ? m_tuneDock : domainsDock)->raise();
            defaultLayout();
            QSettings settings;
            settings.remove(QStringLiteral("window/state"));
            settings.remove(QStringLiteral("window/geometry"));
            statusBar()->showMessage(tr("Layout reset"), 3000);
        });
}

void MainWindow::connectController()
{
    connect(m_controller, &EngineController::started, this, [this] {
        m_runClock.start();
        m_clockTimer.start();
        if (m_controller->isRemote())
            statusBar()->showMessage(
                tr("Attached to “%1” on %2: its controls here act on it; File ▸ Detach lets go of it")
                    .arg(m_working.name, m_remoteAddress),
                8000);
        else
            statusBar()->showMessage(tr("Running “%1”").arg(m_working.name), 3000);
        if (m_verbose)
            std::fprintf(stderr, "hybridscope: run started: %s\n", qPrintable(m_working.name));
        updateActions();
    });
    connect(m_controller, &EngineController::startFailed, this, [this](const QString &error) {
        m_clockTimer.stop();
        const bool remote = m_remote == Remote::Connecting;
        if (remote) {
            setRemote(Remote::None);
            statusBar()->showMessage(tr("Could not attach: %1").arg(error), 15000);
        }
        updateClock();
        auto *box = new QMessageBox(QMessageBox::Warning, tr("Hybridscope"),
            remote ? tr("Could not attach to %1:\n%2").arg(m_remoteAddress, error)
                   : tr("The run could not start:\n%1").arg(error),
            QMessageBox::Ok, this);
        box->setObjectName(QStringLiteral("startFailedBox"));
        box->setTextFormat(Qt::PlainText);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    });
    connect(m_controller, &EngineController::remoteScenario, this, &MainWindow::onRemoteScenario);
    connect(m_controller, &EngineController::remoteConnection, this, &MainWindow::onRemoteConnection);
    connect(m_controller, &EngineController::remoteNotice, this, [this](const QString &text) {
        statusBar()->showMessage(text, 8000);
        updateRemoteLabel();
    });
    connect(m_controller, &EngineController::frameReady, this, &MainWindow::onFrame);
    connect(m_controller, &EngineController::eventAdded, this, &MainWindow::onEvent);
    connect(m_controller, &EngineController::phasesUpdated, this, &MainWindow::onPhases);
    connect(m_controller, &EngineController::finished, this, &MainWindow::onFinished);
    connect(m_controller, &EngineController::engineReleased, this, &MainWindow::onReleased);
    // Simulate mode: the replay feeds the same views as the engine's frames and events.
    connect(m_sim, &SimPlayer::frameReady, this, [this](const Frame &f) {
        onFrame(f);
        m_classTable->classModel()->addFrame(f);
    });
    connect(m_sim, &SimPlayer::eventAdded, this, &MainWindow::onEvent);
    connect(m_sim, &SimPlayer::simulated, this, [this] {
        m_exporter->setSimulatedRun(m_sim->result());
        statusBar()->showMessage(tr("Simulated “%1”: %2 s of virtual time on %3 cores in %4 s; playing it back")
                                     .arg(m_working.name)
                                     .arg(m_sim->result().durationS, 0, 'f', 1)
                                     .arg(m_sim->cores())
                                     .arg(m_sim->simulation().value(QStringLiteral("wall_s")).toDouble(), 0, 'f', 2),
            5000);
    });
    connect(m_sim, &SimPlayer::finished, this, &MainWindow::onSimFinished);
    connect(m_sim, &SimPlayer::stateChanged, this, [this] {
        updateClock();
        updateActions();
    });
    connect(m_controller, &EngineController::domainCommandFailed, this, [this](DomainKind d, const QString &error) {
        m_cards[std::size_t(d)]->setAvailable(false, error);
        statusBar()->showMessage(error, 5000);
    });
    connect(m_controller, &EngineController::reassignFailed, this,
        [this](const QString &key, DomainKind previous, const QString &error) {
            // Put the route back to what the engine still uses; say why.
            m_routing->setRoute(key, previous);
            if (Stage *st = findStage(m_working, key))
                st->domain = previous;
            statusBar()->showMessage(tr("%1 stays on %2: %3").arg(key, domainName(previous), error), 5000);
        });
}

bool MainWindow::openScenario(const QString &nameOrPath)
{
    if (m_tuneView->isBusy()) {
        statusBar()->showMessage(
            tr("A sweep is running: cancel it (Tune panel) before opening another scenario"), 5000);
        return false;
    }
    const QString path = resolveScenarioPath(nameOrPath);
    const ParseResult r = ScenarioParser::parseFile(path);
    if (!r.ok()) {
        m_scenarioPanel->showErrors(path, r.errors);
        statusBar()->showMessage(tr("%1 has errors; nothing was loaded").arg(QFileInfo(path).fileName()), 5000);
        return false;
    }
    const bool detaching = m_controller->isRemote();
    if (m_controller->hasEngine()) {
        m_restartPending = false;
        m_attachPending.reset();
        m_controller->discard(); // the run belongs to the scenario being replaced (an attached one goes on)
    }
    if (m_sim->isActive()) {
        m_sim->discard();
        m_clockTimer.stop();
        setControlsEditable(true);
    }
    m_scenarioPanel->clearErrors();
    leaveRemote();
    applyScenario(*r.scenario, path);
    if (detaching)
        statusBar()->showMessage(tr("Detached from %1 (its run goes on there)").arg(m_remoteAddress), 5000);
    const bool builtin = path.startsWith(kBuiltinPrefix);
    QSettings().setValue(QStringLiteral("scenario/last"),
        builtin ? QFileInfo(path).completeBaseName() : QFileInfo(path).absoluteFilePath());
    if (!builtin)
        addRecentFile(QFileInfo(path).absoluteFilePath());
    {
        const QSignalBlocker block(m_builtins);
        m_builtins->setCurrentIndex(builtin ? m_builtins->findText(QFileInfo(path).completeBaseName()) : -1);
    }
    return true;
}

bool MainWindow::openLastScenario()
{
    const QString last = QSettings().value(QStringLiteral("scenario/last")).toString();
    if (!last.isEmpty() && openScenario(last))
        return true;
    return openScenario(QStringLiteral("default"));
}

void MainWindow::applyScenario(const Scenario &scenario, const QString &path)
{
    m_loaded = scenario;
    m_scenarioPath = path;
    m_hasScenario = true;
    m_lessonPanel->setLesson(scenario.lesson);
    // The dock is for lessons; a scenario without one leaves its room to the plots (View shows it).
    m_lessonDock->setVisible(scenario.lesson.has_value());
    if (scenario.lesson && scenario.lesson->needsParallelCpu && !path.startsWith(kRemotePrefix))
        probeParallelCpu(); // a remote run's cores are not this machine's
    m_scenarioPanel->showScenario(scenario, originText(path));
    m_scenarioPanel->showWarnings(resourceWarnings(scenario));
    for (DomainKind d : kAllDomains) // "changed from the file" compares with these
        m_cards[std::size_t(d)]->setFileConfig(scenario.domain(d));
    m_routing->setFileScenario(scenario);
    resetControls();
    m_routing->setAvailableDomains({ true, true, true, true });
    for (DomainKind d : kAllDomains) {
        DomainCard *card = m_cards[std::size_t(d)];
        card->setAvailable(true);
        card->clearFigures();
    }
    m_plots->setScenario(scenario);
    m_classTable->classModel()->setScenario(scenario);
    m_locks->setScenario(scenario);
    m_tuneView->setScenario(scenario);
    m_findings->clear();
    m_phaseTable->clear();
    m_stepAppliedAt.clear();
    m_live.reset(scenario);
    m_finishedAfter = -1;
    m_lastFrameT = 0;
    showTotals(0, 0, 0, 0, 0, false, true);
    m_conservation->clear();
    setSimulationMark({}); // the title too
    updateClock();
    updateActions();
}

void MainWindow::revertControls()
{
    if (!m_hasScenario || m_controller->hasEngine() || m_sim->isActive())
        return; // while running, the controls are the engine's state: change them one by one
    resetControls();
    m_lessonPanel->clearApplied();
    statusBar()->showMessage(tr("Controls back to the scenario file"), 3000);
}

void MainWindow::resetLesson()
{
    if (!m_hasScenario)
        return;
    if (m_controller->isRemote()) {
        statusBar()->showMessage(tr("The lesson starts over with a new run, and an attached run cannot restart from "
                                    "here: restart it where it runs"),
            8000);
        return;
    }
    m_stepAppliedAt.clear();
    resetControls();
    m_lessonPanel->clearApplied();
    if (isRunning()) {
        // The running engine has the steps in it: the lesson starts over in a new run.
        restart();
        statusBar()->showMessage(
            tr("Lesson reset: the run restarted with the scenario's starting configuration"), 5000);
    } else {
        statusBar()->showMessage(tr("Lesson reset: the controls are the scenario's starting configuration"), 5000);
    }
}

void MainWindow::onPhases(const std::vector<PhaseResult> &phases)
{
    m_phaseTable->setPhases(phases);
    // The theory overlay: predicted queue lines on the queue plot, measured / predicted on the cards.
    m_plots->addPhases(phases);
    for (DomainCard *card : m_cards)
        card->setTheory(m_plots->theory());
    if (phases.empty())
        return;
    std::vector<double> starts;
    for (std::size_t i = 1; i < phases.size(); ++i)
        starts.push_back(phases[i].fromS);
    m_plots->setPhaseStarts(starts);
    // The class table: figures over the current (last) phase, once it has any.
    const PhaseResult &now = phases.back();
    std::vector<std::optional<ClassTableModel::PhaseFigures>> figures(now.classes.size());
    if (now.settled)
        for (std::size_t i = 0; i < now.classes.size(); ++i) {
            const ClassResult &c = now.classes[i];
            if (c.latency.isEmpty())
                continue;
            ClassTableModel::PhaseFigures f;
            f.throughput = c.throughput;
            f.p50Ms = c.latency.percentile(0.5) / 1e6;
            f.p99Ms = c.latency.percentile(0.99) / 1e6;
            if (c.slaP99Ms)
                f.slaMet = c.slaMet();
            figures[i] = f;
        }
    if (phases.size() > 1 || now.settled)
        m_classTable->classModel()->setPhaseFigures(phases.size() == 1
                ? tr("since the start")
                : tr("since the change at %1 s (%2)").arg(now.fromS, 0, 'f', 1).arg(now.change),
            figures);

    // Lesson claims: each applied step on the phase before it and the phase it started, once both
    // measured the lesson's check_duration (what its test runs for).
    if (!m_loaded.lesson)
        return;
    const double need = m_loaded.lesson->checkDuration;
    for (const auto &[index, at] : m_stepAppliedAt) {
        if (index < 0 || index >= int(m_loaded.lesson->steps.size()))
            continue;
        std::size_t after = 0;
        for (std::size_t i = 1; i < phases.size(); ++i)
            if (std::abs(phases[i].fromS - at) < 0.6) {
                after = i;
                break;
            }
        if (after == 0)
            continue; // the phase has not arrived yet
        const PhaseResult &b = phases[after - 1];
        const PhaseResult &a = phases[after];
        QList<ClaimState> claims;
        for (const LessonCheck &check : m_loaded.lesson->steps[std::size_t(index)].checks) {
            ClaimState c;
            if (b.measuredS() < need) {
                c.state = ClaimState::State::Failed;
                c.detail = tr("the phase before the step measured %1 s, it needs %2 s: Reset lesson and apply "
                              "the step later")
                               .arg(b.measuredS(), 0, 'f', 1)
                               .arg(need, 0, 'f', 1);
            } else if (a.measuredS() < need) {
                c.state = a.open || a.settled ? ClaimState::State::NotYet : ClaimState::State::Failed;
                c.secondsNeeded = need - a.measuredS() + (a.settled ? 0.0 : std::max(0.0, kSettleMinS - a.settleS));
                if (!a.open)
                    c.detail = tr("the phase after the step ended after %1 s measured").arg(a.measuredS(), 0, 'f', 1);
                else if (!a.settled)
                    c.detail = tr("settling: the backlog of the previous configuration drains first");
            } else {
                const CheckOutcome o = evaluateCheck(check, phaseReport(b), phaseReport(a));
                c.state = o.ok ? ClaimState::State::Ok : ClaimState::State::Failed;
                c.detail = o.text.section(QLatin1Char(':'), 1).trimmed();
            }
            claims << c;
        }
        m_lessonPanel->showCheckResults(index, claims);
    }
}

void MainWindow::restartFromFile()
{
    if (!m_hasScenario || m_sim->isActive())
        return;
    if (m_controller->isRemote()) {
        statusBar()->showMessage(tr("An attached run cannot restart from here: restart it where it runs"), 8000);
        return;
    }
    resetControls();
    m_lessonPanel->clearApplied();
    restart();
    statusBar()->showMessage(tr("Restarted with the scenario file's configuration"), 5000);
}

void MainWindow::probeParallelCpu()
{
    if (m_parallelCores > 0) {
        m_lessonPanel->setParallelCores(m_parallelCores, m_parallelThreads);
        return;
    }
    if (m_probing)
        return; // its result goes to whichever lesson is open then
    m_probing = true;
    // Up to 300 ms of busy threads: off the GUI thread. The thread outlives a closed window safely
    // (the result's connection dies with the window), and sessionParallelCores() runs it once.
    QThread *probe = QThread::create([] { sessionParallelCores(); });
    probe->setObjectName(QStringLiteral("hs-cpuprobe"));
    connect(probe, &QThread::finished, probe, &QObject::deleteLater);
    connect(probe, &QThread::finished, this, [this] {
        m_probing = false;
        const ParallelProbeResult &p = sessionParallelCores();
        m_parallelCores = p.effectiveCores;
        m_parallelThreads = p.threads;
        if (m_verbose)
            std::fprintf(stderr, "hybridscope: %d threads gave %.2f effective cores (%.0f ms)\n", p.threads,
                p.effectiveCores, p.wallMs);
        if (m_loaded.lesson && m_loaded.lesson->needsParallelCpu)
            m_lessonPanel->setParallelCores(p.effectiveCores, p.threads);
    });
    probe->start(QThread::LowPriority);
}

void MainWindow::moveStage(const QString &key, DomainKind d)
{
    Stage *st = findStage(m_working, key);
    if (st && st->domain == d)
        return; // changes nothing: no command, no marker on the plots
    if (st)
        st->domain = d;
    if (isRunning()) {
        m_controller->reassign(key, d);
        statusBar()->showMessage(tr("%1 → %2").arg(key, domainName(d)), 3000);
    }
}

void MainWindow::applyLessonStep(int index)
{
    if (!m_hasScenario || !m_loaded.lesson || index < 0 || index >= int(m_loaded.lesson->steps.size()))
        return;
    // Steps build on each other: each once, in order (the panel enables only the next one).
    if (m_lessonPanel->isApplied(index)) {
        statusBar()->showMessage(tr("Step %1 is already applied; Reset lesson starts over").arg(index + 1), 5000);
        return;
    }
    if (index != m_lessonPanel->nextStep()) {
        statusBar()->showMessage(
            tr("Apply step %1 first: step %2 builds on it").arg(m_lessonPanel->nextStep() + 1).arg(index + 1), 5000);
        return;
    }
    if (m_sim->isActive()) {
        statusBar()->showMessage(tr("The simulated run is a replay: apply step %1 after it (or Stop it), then "
                                    "Run or Simulate")
                                     .arg(index + 1),
            8000);
        return;
    }
    const LessonStep &step = m_loaded.lesson->steps[std::size_t(index)];
    // The lesson's settings up to this step, on top of the file (the parser checked they apply).
    std::vector<Override> sets;
    std::vector<RouteOverride> routes;
    lessonOverrides(*m_loaded.lesson, index + 1, &sets, &routes);
    const ParseResult target = reparse(sets, routes);
    if (!target.ok()) {
        statusBar()->showMessage(
            tr("Step %1 cannot be applied: %2").arg(index + 1).arg(target.errors.front().toString()), 8000);
        return;
    }
    if (isLiveStep(step)) {
        for (const RouteOverride &r : step.routes) {
            const DomainKind d = *domainFromName(r.domain);
            m_routing->setRoute(r.key, d);
            moveStage(r.key, d); // nothing when the stage is there already
        }
        std::array<bool, kDomainCount> touched {};
        for (const Override &o : step.sets) {
            if (o.path == QLatin1String("gil.enabled")) {
                m_gilAction->setChecked(target.scenario->gilEnabled); // toggled() tells the engine
                continue;
            }
            if (const auto d = domainFromName(o.path.section(QLatin1Char('.'), 1, 1)))
                touched[std::size_t(*d)] = true;
        }
        for (DomainKind d : kAllDomains) {
            if (!touched[std::size_t(d)])
                continue;
            const DomainConfig &want = target.scenario->domain(d);
            DomainConfig &cfg = m_working.domain(d);
            const bool resized = cfg.workers != want.workers;
            const bool bounded
                = cfg.queue != want.queue || cfg.maxInflight != want.maxInflight || cfg.onFull != want.onFull;
            const bool scaled = cfg.autoscale != want.autoscale;
            cfg.workers = want.workers;
            cfg.queue = want.queue;
            cfg.maxInflight = want.maxInflight;
            cfg.onFull = want.onFull;
            cfg.autoscale = want.autoscale;
            cfg.declared = true;
            m_cards[std::size_t(d)]->setConfig(cfg);
            if (isRunning() && resized)
                m_controller->resize(d, cfg.workers);
            if (isRunning() && scaled)
                m_controller->setAutoscale(d, cfg.autoscale);
            if (isRunning() && bounded)
                m_controller->setBackpressure(d, Backpressure { cfg.queue, cfg.maxInflight, cfg.onFull });
        }
        statusBar()->showMessage(isRunning() ? tr("Step %1 applied to the running engine").arg(index + 1)
                                             : tr("Step %1 applied; press Run to see it").arg(index + 1),
            5000);
        m_lessonPanel->markApplied(index, isRunning() ? m_lastFrameT : -1);
        if (isRunning())
            m_stepAppliedAt[index] = m_lastFrameT;
        return;
    } else {
        if (m_controller->isRemote()) {
            statusBar()->showMessage(tr("Step %1 changes what a running engine cannot change, so it restarts the run, "
                                        "and an attached run cannot restart from here: apply it where it runs")
                                         .arg(index + 1),
                10000);
            return;
        }
        // A setting the engine cannot change while running: the next run starts with it.
        m_working = *target.scenario;
        showWorkingConfig();
        if (isRunning()) {
            restart();
            statusBar()->showMessage(tr("Step %1 applied: the run restarted with it").arg(index + 1), 5000);
        } else {
            statusBar()->showMessage(tr("Step %1 applied; press Run to see it").arg(index + 1), 5000);
        }
    }
    m_lessonPanel->markApplied(index);
}

void MainWindow::applyTuneValues(const SweepValues &values)
{
    QStringList applied;
    for (const auto &[path, value] : values) {
        const auto d = VaryAxis { path, {} }.poolDomain();
        bool ok = false;
        const int workers = value.toInt(&ok);
        if (!d || !ok || !ScenarioParser::checkField(path, value).isEmpty())
            continue;
        DomainCard *card = m_cards[std::size_t(*d)];
        Q_EMIT card->workersRequested(*d, workers); // as if typed on the card
        card->setConfig(m_working.domain(*d));
        applied << QStringLiteral("%1 %2").arg(domainName(*d)).arg(workers);
    }
    if (!applied.isEmpty())
        statusBar()->showMessage(tr("Applied: %1 workers").arg(applied.join(QStringLiteral(", "))), 8000);
}

void MainWindow::resetControls()
{
    m_working = m_loaded;
    showWorkingConfig();
}

void MainWindow::showWorkingConfig()
{
    m_routing->setScenario(m_working);
    for (DomainKind d : kAllDomains)
        m_cards[std::size_t(d)]->setConfig(m_working.domain(d));
    m_duration->setSeconds(m_working.duration);
    const QSignalBlocker block(m_gilAction);
    m_gilAction->setChecked(m_working.gilEnabled);
}

QString MainWindow::originText(const QString &path)
{
    if (path.startsWith(kRemotePrefix))
        return tr("attached: the run served at %1").arg(path);
    if (path.startsWith(kBuiltinPrefix))
        return tr("built-in “%1”").arg(QFileInfo(path).completeBaseName());
    return QDir::toNativeSeparators(QFileInfo(path).absoluteFilePath());
}

void MainWindow::setVerbose(bool verbose)
{
    m_verbose = verbose;
    m_lag->setLogInterval(verbose ? 5000 : 0);
}

bool MainWindow::isRunning() const
{
    return m_controller->hasEngine();
}

void MainWindow::run()
{
    if (!m_hasScenario || m_tuneView->isBusy())
        return;
    if (m_controller->hasEngine()) {
        // Still shutting the previous run down: start as soon as it is gone.
        if (m_controller->state() == EngineController::State::Stopping)
            m_restartPending = true;
        return;
    }
    if (m_sim->isActive())
        return; // a replay holds the views: Stop skips to its end
    leaveRemote();
    prepareRunViews();
    setSimulationMark({}); // a run on the engine: measured
    // Settings changed since loading (a lesson step, the cards) may have gone beyond the machine.
    const QStringList warnings = resourceWarnings(m_working);
    m_scenarioPanel->showWarnings(warnings);
    if (!warnings.isEmpty())
        statusBar()->showMessage(tr("Warning: %1").arg(warnings.front()), 10000);
    if (!m_controller->start(m_working))
        return;
    updateClock();
    updateActions();
}

void MainWindow::prepareRunViews()
{
    m_plots->setScenario(m_working);
    m_live.reset(m_working);
    m_findings->setFindings({}, FindingsPanel::Stage::Live);
    m_running.fill(false);
    m_lastFrameT = 0;
    m_finishedAfter = -1;
    for (DomainCard *card : m_cards) {
        card->setAvailable(true);
        card->clearFigures();
    }
    showTotals(0, 0, 0, 0, 0, false, true);
}

bool MainWindow::isSimulating() const
{
    return m_sim->isActive();
}

int MainWindow::coresFromField()
{
    bool ok = false;
    const QString text = m_coresEdit->text().trimmed();
    const int n = text.toInt(&ok);
    if (ok && n >= 1 && n <= SimPlayer::kMaxCores) {
        m_coresEdit->setStyleSheet(QString());
        m_coresEdit->setToolTip(m_coresEdit->property("hsTip").toString());
        return n;
    }
    const QString why = tr("Cores “%1”: expected a whole number from 1 to %2").arg(text).arg(SimPlayer::kMaxCores);
    m_coresEdit->setStyleSheet(QStringLiteral("QLineEdit { border: 2px solid #e03131; }"));
    m_coresEdit->setToolTip(why);
    statusBar()->showMessage(why, 10000);
    return 0;
}

void MainWindow::simulate()
{
    if (!m_hasScenario || m_tuneView->isBusy() || m_controller->hasEngine() || m_sim->isActive())
        return;
    const int cores = coresFromField();
    if (cores == 0) {
        m_coresEdit->setFocus();
        return;
    }
    if (m_working.duration <= 0) {
        // Virtual time has no "until stopped": the simulation must know where arrivals end.
        statusBar()->showMessage(tr("Simulate needs a duration (the run is “until stopped”): choose one beside Run, "
                                    "e.g. 20s"),
            10000);
        m_duration->setFocus();
        return;
    }
    // The machine's costs as `hybridscope simulate` reads them: this machine's calibration profile
    // (`hybridscope calibrate`), else the built-in default; their source names them.
    QString profileError;
    const std::optional<SimCosts> costs = loadSimCosts(&profileError);
    if (!costs) {
        statusBar()->showMessage(tr("Cannot simulate: %1").arg(profileError), 15000);
        return;
    }
    leaveRemote();
    prepareRunViews();
    m_classTable->classModel()->setScenario(m_working); // as a run's start does
    m_locks->setScenario(m_working);
    m_phaseTable->clear();
    m_stepAppliedAt.clear(); // claims are judged on measured runs only
    SimOptions options;
    options.cores = cores;
    options.costs = *costs;
    const QString calibration = options.costs.source;
    // Beyond twice what the calibration measured (cores, rates, payloads), the figures are an
    // extrapolation: the mark says so and its tooltip says what.
    QStringList beyond;
    for (const Extrapolation &e : simulationExtrapolations(m_working, options))
        beyond << tr("%1 %2 (measured up to %3)").arg(e.what).arg(e.value).arg(e.measuredMax);
    setSimulationMark(
        tr("SIMULATED · %1 cores · %2%3")
            .arg(cores)
            .arg(calibration.startsWith(QLatin1String("calibration")) ? calibration
                                                                      : tr("%1 calibration").arg(calibration))
            .arg(beyond.isEmpty() ? QString() : tr(" · EXTRAPOLATION")),
        tr("Simulated in virtual time, not measured on the engine: %1 cores, the machine's costs from the %2 "
           "(docs/simulation.md)%3")
            .arg(cores)
            .arg(calibration)
            .arg(beyond.isEmpty() ? QString()
                                  : tr(".\nExtrapolation beyond twice the calibration's measured range: %1")
                                        .arg(beyond.join(QStringLiteral("; ")))));
    m_lessonPanel->setSimulationNote(
        tr("This is a simulated run (%1 cores, virtual time): the claims below are checked on runs measured on "
           "the engine only, so none is judged here. The replay shows what the model predicts for the "
           "configuration as set, steps applied so far included; Run checks the claims for real.")
            .arg(cores));
    setControlsEditable(false);
    {
        const QSignalBlocker block(m_pauseAction);
        m_pauseAction->setChecked(false);
    }
    m_sim->setSpeed(m_speedCombo->currentData().toDouble());
    if (!m_sim->start(m_working, options))
        return;
    m_clockTimer.start();
    statusBar()->showMessage(tr("Simulating “%1” on %2 cores…").arg(m_working.name).arg(cores), 5000);
    updateClock();
    updateActions();
}

void MainWindow::setSimulationMark(const QString &mark, const QString &tip)
{
    m_simMark = mark;
    m_plots->setMark(mark, tip);
    m_simBadge->setText(mark);
    m_simBadge->setToolTip(tip);
    m_simBadge->setVisible(!mark.isEmpty());
    if (mark.isEmpty())
        m_lessonPanel->setSimulationNote({});
    updateTitle();
}

void MainWindow::updateTitle()
{
    const QString remote = remoteMark();
    if (!m_hasScenario) {
        setWindowTitle(remote.isEmpty() ? tr("Hybridscope") : tr("%1 — Hybridscope").arg(remote));
        return;
    }
    const QString mark = !m_simMark.isEmpty() ? m_simMark : remote;
    setWindowTitle(mark.isEmpty() ? tr("%1 — Hybridscope").arg(m_working.name)
                                  : tr("%1 — %2 — Hybridscope").arg(m_working.name, mark));
}

void MainWindow::setControlsEditable(bool editable, const QString &reason)
{
    const QString why = editable ? QString()
        : !reason.isEmpty()
        ? reason
        : tr("The simulated run is a replay: nothing in it can change now. Change the controls after it (or Stop "
             "it) and Simulate or Run again.");
    for (DomainCard *card : m_cards)
        card->setControlsLocked(why);
    m_routingTable->setEnabled(editable);
    m_routingTable->setToolTip(why);
    m_lessonPanel->setStepsLocked(why);
}

void MainWindow::onSimFinished()
{
    const RunResult &r = m_sim->result();
    showFinishedRun(r);
    setControlsEditable(true);
    {
        const QSignalBlocker block(m_pauseAction);
        m_pauseAction->setChecked(false);
    }
    statusBar()->showMessage(
        tr("Simulation played: %1 s of virtual time on %2 cores (Export writes it, marked simulated)")
            .arg(r.durationS, 0, 'f', 1)
            .arg(m_sim->cores()),
        8000);
    updateClock();
    updateActions();
}

void MainWindow::stop()
{
    if (m_sim->isActive()) {
        if (m_sim->hasResult()) {
            m_sim->stop(); // the result is whole already: the rest of the replay at once
            return;
        }
        // Still computing: nothing was shown, so nothing is held or marked.
        m_sim->stop();
        m_clockTimer.stop();
        setControlsEditable(true);
        setSimulationMark({});
        statusBar()->showMessage(tr("Simulation cancelled"), 3000);
        updateClock();
        updateActions();
        return;
    }
    if (!m_controller->hasEngine())
        return;
    if (m_controller->isRemote()) {
        // The protocol stops a remote run gracefully; it has no cancel, and Detach lets go of it.
        if (m_controller->state() == EngineController::State::Starting) {
            m_controller->requestStop(); // only the attempt to attach
            setRemote(Remote::None);
            statusBar()->showMessage(tr("Attaching to %1 cancelled").arg(m_remoteAddress), 5000);
        } else if (m_controller->state() == EngineController::State::Stopping) {
            statusBar()->showMessage(
                tr("The run on %1 is finishing what is in flight; File ▸ Detach lets go of it").arg(m_remoteAddress),
                5000);
        } else {
            m_controller->requestStop();
            statusBar()->showMessage(
                tr("Stop sent to %1: arrivals stop there and what is in flight finishes").arg(m_remoteAddress), 5000);
        }
        updateClock();
        updateActions();
        return;
    }
    if (m_controller->state() == EngineController::State::Stopping) {
        m_controller->cancelNow();
        statusBar()->showMessage(tr("Cancelling what is left…"), 3000);
    } else {
        m_controller->requestStop();
        statusBar()->showMessage(tr("Arrivals stopped; letting what is in flight finish…"), 3000);
    }
    updateClock();
    updateActions();
}

void MainWindow::restart()
{
    if (!m_hasScenario || m_tuneView->isBusy() || m_sim->isActive())
        return;
    if (m_controller->isRemote()) {
        statusBar()->showMessage(tr("An attached run cannot restart from here: restart it where it runs"), 8000);
        return;
    }
    statusBar()->showMessage(
        tr("Restarting with the current controls (Run ▸ Restart from File uses the file's)"), 5000);
    if (m_controller->hasEngine()) {
        m_restartPending = true;
        m_controller->discard(); // its last frames and totals would only flicker by
        updateClock();
        updateActions();
        return;
    }
    run();
}

void MainWindow::openDialog()
{
    QSettings settings;
    const QString dir = settings.value(QStringLiteral("scenario/dir"), QDir::homePath()).toString();
    const QString path
        = QFileDialog::getOpenFileName(this, tr("Open scenario"), dir, tr("Scenarios (*.yaml *.yml);;All files (*)"));
    if (path.isEmpty())
        return;
    settings.setValue(QStringLiteral("scenario/dir"), QFileInfo(path).absolutePath());
    openScenario(path);
}

void MainWindow::onFrame(const Frame &frame)
{
    m_locks->locksModel()->addFrame(frame); // every source of frames comes through here
    m_lastFrameT = frame.t;
    if (m_remote != Remote::None)
        updateRemoteLabel(); // the counts of dropped frames and skipped messages
    // The first frames tell which domains the engine runs: the others are shown unavailable.
    std::array<bool, kDomainCount> running {};
    for (DomainKind d : kAllDomains)
        running[std::size_t(d)] = frame.domains[std::size_t(d)].workers > 0;
    if (running != m_running) {
        m_running = running;
        for (DomainKind d : kAllDomains)
            m_cards[std::size_t(d)]->setAvailable(
                running[std::size_t(d)], tr("the engine does not run %1 in this build").arg(domainName(d)));
        m_routing->setAvailableDomains(running);
    }
    for (DomainKind d : kAllDomains)
        if (running[std::size_t(d)])
            m_cards[std::size_t(d)]->setFigures(frame.domains[std::size_t(d)], frame.loopLagMs);
    m_plots->addFrame(frame);

    std::uint64_t submitted = 0, completed = 0, failed = 0, rejected = 0, cancelled = 0;
    bool conserved = true;
    for (const ClassFrame &c : frame.classes) {
        submitted += c.submitted;
        completed += c.completed;
        failed += c.failed;
        rejected += c.rejected;
        cancelled += c.cancelled;
        // While running, tasks in flight have not ended yet: ends may never exceed arrivals.
        conserved = conserved && c.completed + c.failed + c.rejected + c.cancelled <= c.submitted;
    }
    showTotals(submitted, completed, failed, rejected, cancelled, false, conserved);
    if (m_live.addFrame(frame))
        m_findings->setFindings(m_live.findings(), FindingsPanel::Stage::Live);
}

void MainWindow::followTunePoint(const Scenario &scenario)
{
    ++m_tunePoint;
    setSimulationMark({}); // a point's run on the engine
    m_plots->setScenario(scenario);
    m_live.reset(scenario);
    m_classTable->classModel()->setScenario(scenario);
    m_locks->setScenario(scenario);
    m_findings->setFindings({}, FindingsPanel::Stage::Live);
    m_running.fill(false);
    m_lastFrameT = 0;
    for (DomainCard *card : m_cards)
        card->clearFigures();
}

void MainWindow::showTunePointRun(
    const Scenario &scenario, const std::vector<Frame> &frames, double warmupS, const QString &caption)
{
    if (m_controller->hasEngine() || m_tuneView->isBusy() || frames.empty())
        return;
    followTunePoint(scenario);
    for (const Frame &f : frames) {
        onFrame(f);
        m_classTable->classModel()->addFrame(f);
    }
    m_plots->setPhaseStarts({ 0.0, warmupS }); // the first "phase" shaded: the warm-up
    for (LivePlot *p : m_plots->plots())
        p->showTimeRange(0, frames.back().t); // the whole run, held (Live follows nothing now)
    statusBar()->showMessage(tr("Live plots: %1").arg(caption), 5000);
}

void MainWindow::onEvent(const RunEvent &event)
{
    m_plots->addEvent(event);
}

void MainWindow::showFinishedRun(const RunResult &r)
{
    m_finishedAfter = r.durationS;
    m_clockTimer.stop();
    for (DomainCard *card : m_cards)
        card->setFinished();
    m_findings->setFindings(r.findings, FindingsPanel::Stage::WholeRun);
    onPhases(r.phases);
    showTotals(r.submitted(), r.completed(), r.failed(), r.rejected(), r.cancelled(), true,
        r.conserved() && r.doubleEnds == 0);
}

void MainWindow::onFinished()
{
    if (m_remote != Remote::None) {
        // What was received is all there is of a remote run: its figures are the exporter's snapshot.
        const RunResult r = m_exporter->currentRun();
        showFinishedRun(r);
        showRemoteNotes(); // the finished run's (empty) phases cleared them
        // The last frame may precede the last ends: tasks still in flight then are not a broken count.
        const std::uint64_t ended = r.completed() + r.failed() + r.rejected() + r.cancelled();
        showTotals(r.submitted(), r.completed(), r.failed(), r.rejected(), r.cancelled(), ended == r.submitted(),
            ended <= r.submitted());
        setRemote(Remote::Ended);
        statusBar()->showMessage(tr("The run on %1 ended (%2) after %3 s; the window keeps what it received "
                                    "(File ▸ Export writes it)")
                                     .arg(m_remoteAddress, m_controller->remoteEndReason())
                                     .arg(r.durationS, 0, 'f', 1),
            10000);
        updateClock();
        return;
    }
    const RunResult &r = m_controller->lastResult();
    showFinishedRun(r);
    statusBar()->showMessage(tr("Finished after %1 s").arg(r.durationS, 0, 'f', 1), 5000);
    if (m_verbose) {
        const HistogramSnapshot lag = m_lag->total();
        std::fprintf(stderr,
            "hybridscope: run finished after %.1f s; gui event-loop lag so far: p99 %.2f ms, max %.2f ms\n",
            r.durationS, lag.percentile(0.99) / 1e6, double(lag.max()) / 1e6);
    }
    updateClock();
}

void MainWindow::onReleased()
{
    m_clockTimer.stop();
    updateClock();
    updateActions();
    if (m_closePending) {
        close();
        return;
    }
    if (m_attachPending) {
        const AttachTarget target = *m_attachPending;
        m_attachPending.reset();
        startAttach(target);
        return;
    }
    if (m_restartPending) {
        m_restartPending = false;
        run();
    }
}

void MainWindow::showTotals(std::uint64_t submitted, std::uint64_t completed, std::uint64_t failed,
    std::uint64_t rejected, std::uint64_t cancelled, bool finished, bool conserved)
{
    const QLocale loc;
    const std::uint64_t ended = completed + failed + rejected + cancelled;
    QString text = tr("submitted %1 · completed %2 · failed %3 · rejected %4 · cancelled %5")
                       .arg(loc.toString(qulonglong(submitted)), loc.toString(qulonglong(completed)),
                           loc.toString(qulonglong(failed)), loc.toString(qulonglong(rejected)),
                           loc.toString(qulonglong(cancelled)));
    if (!finished && submitted >= ended)
        text += tr(" · in flight %1").arg(loc.toString(qulonglong(submitted - ended)));
    m_totals->setText(text);
    if (finished)
        m_conservation->setText(
            conserved ? tr("conservation ✓ holds") : tr("<b><font color=\"#e03131\">conservation ✗ broken</font></b>"));
    else
        m_conservation->setText(
            conserved ? tr("conservation ✓") : tr("<b><font color=\"#e03131\">conservation ✗</font></b>"));
    m_conservation->setToolTip(
        tr("submitted = completed + failed + rejected + cancelled%1").arg(finished ? QString() : tr(" + in flight")));
}

QString MainWindow::totalsText() const
{
    return m_totals->text();
}

QString MainWindow::conservationText() const
{
    return m_conservation->text();
}

QString MainWindow::clockText() const
{
    return m_clock->text();
}

void MainWindow::updateClock()
{
    const QString total = m_working.duration > 0 ? QStringLiteral(" / ") + clock(m_working.duration) : QString();
    QString text;
    if (m_sim->isActive()) {
        const double end = m_sim->hasResult() ? m_sim->length() : m_working.duration;
        switch (m_sim->state()) {
        case SimPlayer::State::Simulating: text = tr("simulating…"); break;
        case SimPlayer::State::Paused: text = tr("❚❚ %1 / %2 virtual").arg(clock(m_sim->position()), clock(end)); break;
        default: text = tr("▶ %1 / %2 virtual").arg(clock(m_sim->position()), clock(end)); break;
        }
        m_clock->setText(text);
        return;
    }
    switch (m_controller->state()) {
    case EngineController::State::Idle:
        text = m_finishedAfter >= 0 ? tr("finished after %1").arg(clock(m_finishedAfter)) : tr("not running");
        break;
    case EngineController::State::Starting: text = m_remote != Remote::None ? tr("attaching…") : tr("starting…"); break;
    case EngineController::State::Running:
        text = m_remote == Remote::Lost ? tr("⇄ lost at %1").arg(clock(m_lastFrameT))
                                        : tr("▶ %1%2").arg(clock(runClockS()), total);
        break;
    case EngineController::State::Stopping: text = tr("stopping %1").arg(clock(runClockS())); break;
    }
    if (m_controller->state() == EngineController::State::Idle && m_remote == Remote::Detached)
        text = tr("detached at %1").arg(clock(m_lastFrameT));
    m_clock->setText(text);
}

void MainWindow::updateActions()
{
    const bool engine = m_controller->hasEngine();
    // A sweep or tune runs its own engines: the window's run waits for it to end.
    const bool tuning = m_tuneView->isBusy();
    // A simulated replay holds the views as a run does; it has no engine to change or restart.
    const bool replay = m_sim->isActive();
    m_runAction->setEnabled(m_hasScenario && !engine && !tuning && !replay);
    m_simulateAction->setEnabled(m_hasScenario && !engine && !tuning && !replay);
    m_pauseAction->setEnabled(replay);
    m_stopAction->setEnabled(engine || replay);
    // An attached run is restarted where it runs; Stop stops it there (gracefully), Detach lets go.
    const bool remote = m_controller->isRemote();
    m_restartAction->setEnabled(m_hasScenario && !tuning && !replay && !remote);
    m_revertAction->setEnabled(m_hasScenario && !engine && !tuning && !replay);
    m_restartFileAction->setEnabled(m_hasScenario && !tuning && !replay && !remote);
    m_attachAction->setEnabled(!tuning);
    m_detachAction->setEnabled(remote);
    m_stopAction->setToolTip(remote
            ? tr("Stop the attached run where it runs: arrivals stop and what is in flight finishes (Ctrl+., "
                 "Shift+F5). File ▸ Detach lets go of it without stopping it")
            : tr("Stop arrivals and let what is in flight finish (Ctrl+., Shift+F5); a second Stop cancels what is "
                 "left. In a simulated replay: skip to its end"));
    m_gilAction->setEnabled(!replay);
    m_openAction->setEnabled(!tuning);
    m_builtins->setEnabled(!tuning);
    m_tuneView->setWindowRunning(engine || replay);
    m_saveAsAction->setEnabled(m_hasScenario);
    // A run's length is fixed when it starts: the field is for the next run.
    m_duration->setEnabled(!engine && !replay);
    m_coresEdit->setEnabled(!replay);
}

void MainWindow::saveScenarioAsDialog()
{
    if (!m_hasScenario)
        return;
    QSettings settings;
    const QString dir = settings.value(QStringLiteral("scenario/dir"), QDir::homePath()).toString();
    QString base = m_working.name.toLower();
    base.replace(QRegularExpression(QStringLiteral("[^a-z0-9]+")), QStringLiteral("-"));
    base = base.isEmpty() ? QStringLiteral("scenario") : base;
    QString path = QFileDialog::getSaveFileName(this, tr("Save scenario as"),
        QDir(dir).filePath(base + QStringLiteral(".yaml")), tr("Scenarios (*.yaml *.yml)"));
    if (path.isEmpty())
        return;
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix != QLatin1String("yaml") && suffix != QLatin1String("yml"))
        path += QStringLiteral(".yaml");
    settings.setValue(QStringLiteral("scenario/dir"), QFileInfo(path).absolutePath());
    QString error;
    if (!saveScenarioAs(path, &error))
        QMessageBox::warning(this, tr("Save scenario"), tr("The scenario was not saved: %1").arg(error));
}

bool MainWindow::saveScenarioAs(const QString &path, QString *error)
{
    if (!m_hasScenario) {
        *error = tr("no scenario is loaded");
        return false;
    }
    if (!writeFileAtomically(path, ScenarioWriter::toYaml(m_working), error))
        return false;
    addRecentFile(QFileInfo(path).absoluteFilePath());
    statusBar()->showMessage(tr("Scenario saved to %1").arg(QDir::toNativeSeparators(path)), 8000);
    return true;
}

void MainWindow::addRecentFile(const QString &path)
{
    QSettings settings;
    QStringList recent = settings.value(QStringLiteral("scenario/recent")).toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > kMaxRecentFiles)
        recent.removeLast();
    settings.setValue(QStringLiteral("scenario/recent"), recent);
    updateRecentMenu();
}

void MainWindow::updateRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(QStringLiteral("scenario/recent")).toStringList();
    for (const QString &path : recent)
        m_recentMenu->addAction(QDir::toNativeSeparators(path), this, [this, path] { openScenario(path); });
    if (!recent.isEmpty()) {
        m_recentMenu->addSeparator();
        m_recentMenu->addAction(tr("Clear"), this, [this] {
            QSettings().remove(QStringLiteral("scenario/recent"));
            updateRecentMenu();
        });
    }
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::saveSettings()
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
}

void MainWindow::fitClassTable()
{
    // The class table at its full height (every class up to four, and the sideways scroll bar when
    // it has one) when the plots keep their minimum beside it; else what is left (it scrolls).
    auto *split = centralWidget()->findChild<QSplitter *>(QStringLiteral("plotsSplitter"));
    if (!split)
        return;
    const int total = split->height() - split->handleWidth();
    // The locks panel (DESIGN §15), when shown, takes its rows' height first.
    const int locks = m_locks->isVisibleTo(this) ? m_locks->sizeHint().height() : 0;
    const int low = m_classTable->minimumSizeHint().height();
    const int table = std::clamp(
        m_classTable->sizeHint().height(), low, std::max(low, total - locks - m_plots->minimumSizeHint().height()));
    split->setSizes({ std::max(0, total - table - locks), table, locks });
}

void MainWindow::restoreSettings()
{
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    if (!restoreState(settings.value(QStringLiteral("window/state")).toByteArray()))
        QTimer::singleShot(0, this, [this] { m_defaultLayout(); });
}

bool MainWindow::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == centralWidget() && event->type() == QEvent::Paint && !m_lag->isActive()) {
        centralWidget()->removeEventFilter(this);
        QTimer::singleShot(0, m_lag, &LagMonitor::start); // after the rest of this first paint
    }
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_controller->isRemote())
        m_controller->detach(); // closing lets go of an attached run; it goes on where it runs
    m_attachPending.reset();
    if (m_tuneView->isBusy() && !m_forceClose) {
        // Stop the point in progress now; the window closes when the sweep has returned.
        if (!m_closePending) {
            m_closePending = true;
            m_tuneView->cancel();
            m_tuneView->cancel();
            m_closeDeadline.start(kCloseBoundMs);
            statusBar()->showMessage(tr("Stopping the sweep before closing…"));
        }
        event->ignore();
        return;
    }
    if (m_controller->hasEngine() && !m_forceClose) {
        // Cancel the run and close once the engine has joined its threads (bounded).
        if (!m_closePending) {
            m_closePending = true;
            m_restartPending = false;
            m_controller->cancelNow();
            m_closeDeadline.start(kCloseBoundMs);
            statusBar()->showMessage(tr("Stopping the run before closing…"));
        }
        event->ignore();
        return;
    }
    m_closeDeadline.stop();
    saveSettings();
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.first().isLocalFile())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile())
        return;
    event->acceptProposedAction();
    openScenario(urls.first().toLocalFile());
}

double MainWindow::runClockS() const
{
    return m_remote != Remote::None ? m_lastFrameT : m_runClock.elapsed() / 1000.0;
}

ParseResult MainWindow::reparse(const std::vector<Override> &sets, const std::vector<RouteOverride> &routes) const
{
    if (m_scenarioPath.startsWith(kRemotePrefix))
        return ScenarioParser::parseText(m_loadedYaml, m_scenarioPath, sets, routes);
    return ScenarioParser::parseFile(m_scenarioPath, sets, routes);
}

void MainWindow::attachDialog()
{
    AttachDialog dialog(this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    QString error;
    if (!attach(dialog.address(), dialog.token(), &error))
        QMessageBox::warning(this, tr("Attach"), tr("Could not attach: %1").arg(error));
}

bool MainWindow::attach(const QString &address, const QString &token, QString *error)
{
    QString why;
    std::optional<AttachTarget> target = AttachTarget::parse(address, &why);
    if (target && m_tuneView->isBusy())
        why = tr("a sweep is running: cancel it (Tune panel) before attaching");
    if (!target || !why.isEmpty()) {
        statusBar()->showMessage(tr("Attach: %1").arg(why), 10000);
        if (error)
            *error = why;
        return false;
    }
    target->token = token;
    if (m_sim->isActive()) {
        m_sim->discard();
        m_clockTimer.stop();
        setControlsEditable(true);
        setSimulationMark({});
    }
    if (m_controller->hasEngine()) {
        // This window's run (or another attached one) goes first; attach once it is gone.
        m_attachPending = target;
        m_restartPending = false;
        m_controller->discard();
        statusBar()->showMessage(tr("Stopping this window's run before attaching to %1…").arg(target->address()), 5000);
        return true;
    }
    startAttach(*target);
    return true;
}

void MainWindow::startAttach(const AttachTarget &target)
{
    if (!m_controller->attach(target))
        return;
    m_remoteAddress = target.address();
    m_remoteBanner->hide(); // an earlier attach's, given up
    setRemote(Remote::Connecting);
    statusBar()->showMessage(tr("Attaching to %1…").arg(m_remoteAddress), 5000);
    updateClock();
    updateActions();
}

void MainWindow::detach()
{
    if (!m_controller->isRemote())
        return;
    const bool connecting = m_controller->state() == EngineController::State::Starting;
    m_controller->detach();
    setControlsEditable(true);
    setRemote(connecting ? Remote::None : Remote::Detached);
    statusBar()->showMessage(connecting ? tr("Attaching to %1 cancelled").arg(m_remoteAddress)
                                        : tr("Detached from %1: its run goes on there; the window keeps what it "
                                             "received (File ▸ Export writes it)")
                                              .arg(m_remoteAddress),
        8000);
    m_clockTimer.stop();
    updateClock();
    updateActions();
}

void MainWindow::onRemoteScenario(const Scenario &scenario, const QByteArray &yaml, bool newRun)
{
    if (!newRun) {
        // After a reconnect: the configuration as the remote engine has it now (other windows
        // attached to the run may have changed it meanwhile). Lesson steps build on it.
        m_loadedYaml = yaml;
        m_working = scenario;
        showWorkingConfig();
        return;
    }
    if (m_sim->isActive()) {
        m_sim->discard();
        setControlsEditable(true);
    }
    m_scenarioPanel->clearErrors();
    m_loadedYaml = yaml;
    applyScenario(scenario, kRemotePrefix + m_remoteAddress + QStringLiteral("/live"));
    prepareRunViews();
    {
        const QSignalBlocker block(m_builtins);
        m_builtins->setCurrentIndex(-1);
    }
    showRemoteNotes();
    setRemote(Remote::Live);
}

void MainWindow::showRemoteNotes()
{
    // What a remote run cannot show here, said where it would be: phases, the theory beside the
    // cards and the lesson's claims all need the engine's histograms, which /live does not carry.
    m_phaseTable->setNote(tr("Phases are measured on the engine's histograms, which an attached run does not send: "
                             "they are in the report of the run where it runs (hybridscope run … --json/--report)."));
    for (DomainCard *card : m_cards)
        card->setNoTheory(tr("not for an attached run: it needs the engine's histograms"));
    m_lessonPanel->setSimulationNote(
        tr("Attached to a run on %1: steps that change pools, backpressure, routes or the GIL apply to it live; a "
           "step that needs a restart is applied where it runs. The claims are judged on the run's phases, which "
           "the remote engine does not send, so none is judged here.")
            .arg(m_remoteAddress));
    m_lessonPanel->setPendingNote(tr("not judged (attached)"));
}

void MainWindow::onRemoteConnection(bool up, const QString &text, bool final)
{
    if (m_remote == Remote::None)
        return;
    if (up) {
        const bool was = m_remote == Remote::Lost;
        m_remoteBanner->hide();
        setControlsEditable(true);
        setRemote(Remote::Live);
        if (was)
            statusBar()->showMessage(tr("Reconnected to %1").arg(m_remoteAddress), 5000);
        updateActions();
        return;
    }
    QString reason = text;
    if (!reason.isEmpty() && !reason.endsWith(QLatin1Char('.')) && !reason.endsWith(QLatin1Char('?')))
        reason += QLatin1Char('.');
    m_remoteBanner->setText(final ? tr("⚠ Gave up on the run on %1: %2 The window keeps what it received; File ▸ "
                                       "Attach tries again.")
                                        .arg(m_remoteAddress, reason)
                                  : tr("⚠ Connection to the run on %1 lost. %2").arg(m_remoteAddress, reason));
    m_remoteBanner->setStyleSheet(final
            ? QStringLiteral("QLabel { background: #ffe3e3; color: #862e2e; border: 1px solid #e03131; "
                             "border-radius: 3px; padding: 4px 8px; font-weight: bold; }")
            : QStringLiteral("QLabel { background: #fff3bf; color: #5c4400; border: 1px solid #f59f00; "
                             "border-radius: 3px; padding: 4px 8px; font-weight: bold; }"));
    m_remoteBanner->show();
    statusBar()->showMessage(final ? text : tr("Connection to %1 lost; reconnecting…").arg(m_remoteAddress), 10000);
    if (final) {
        m_clockTimer.stop();
        setControlsEditable(true); // for a run of this window, as after any run
        setRemote(Remote::Failed);
    } else {
        setControlsEditable(false,
            tr("Not connected to the run on %1: changes can be made once the connection is back").arg(m_remoteAddress));
        setRemote(Remote::Lost);
    }
    updateClock();
    updateActions();
}

void MainWindow::leaveRemote()
{
    if (m_remote == Remote::None && m_remoteBanner->isHidden())
        return;
    m_remoteBanner->hide();
    m_phaseTable->setNote({});
    setRemote(Remote::None);
}

void MainWindow::setRemote(Remote state)
{
    m_remote = state;
    updateTitle();
    updateRemoteLabel();
}

QString MainWindow::remoteMark() const
{
    switch (m_remote) {
    case Remote::None: return {};
    case Remote::Connecting: return tr("attaching to %1…").arg(m_remoteAddress);
    case Remote::Live: return tr("attached to %1").arg(m_remoteAddress);
    case Remote::Lost: return tr("attached to %1, connection lost").arg(m_remoteAddress);
    case Remote::Ended: return tr("received from %1, run ended").arg(m_remoteAddress);
    case Remote::Detached: return tr("detached from %1").arg(m_remoteAddress);
    case Remote::Failed: return tr("received from %1, connection given up").arg(m_remoteAddress);
    }
    return {};
}

void MainWindow::updateRemoteLabel()
{
    if (m_remote == Remote::None) {
        m_remoteLabel->hide();
        return;
    }
    QString text
        = (m_remote == Remote::Live || m_remote == Remote::Lost ? QStringLiteral("⇄ ") : QString()) + remoteMark();
    const quint64 dropped = m_controller->remoteDroppedFrames();
    const int malformed = m_controller->remoteMalformed();
    if (dropped > 0)
        text += tr(" · frames dropped: %1").arg(dropped);
    if (malformed > 0)
        text += tr(" · malformed: %1").arg(malformed);
    if (m_remoteLabel->text() != text) // frames come 20 times a second: relayout only on change
        m_remoteLabel->setText(text);
    m_remoteLabel->setToolTip(
        tr("The run shown runs on %1 (ws://%1/live), not on this machine: its plots, cards and tables show the "
           "frames received from it, and the controls act on its engine.\nFrames the server dropped for this "
           "window (it was slow to read): %2. Malformed messages skipped: %3.")
            .arg(m_remoteAddress)
            .arg(dropped)
            .arg(malformed));
    m_remoteLabel->show();
}

} // namespace hs
