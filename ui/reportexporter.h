#pragma once

#include "core/frame.h"
#include "results/runresult.h"
#include "scenario/scenario.h"

#include <QJsonObject>
#include <QObject>
#include <QString>

#include <functional>
#include <optional>
#include <utility>
#include <vector>

class QWidget;

namespace hs {

class EngineController;

/**
 * File ▸ Export… of the GUI: the current run, finished or still going (then a snapshot of the
 * frames so far), as an HTML or PDF report, the JSON report, the CSV of frames or (once the run has
 * finished) the Chrome trace of its stages. The format follows the extension typed ("run-a.pdf" is
 * a PDF whatever filter is selected); a name without a known extension gets the selected filter's.
 * The dialog opens where the last export went, with the last format selected (QSettings), and the
 * status bar says where the file went. A progress dialog follows the steps (collect, render each plot,
 * write) and can cancel; serialization and the file write run on a worker thread, plot rendering
 * stays on the GUI thread, one plot per step so the window keeps responding. Files are written
 * atomically; a cancelled or failed export leaves no file. An attached run (EngineController::attach)
 * is exported as what was received, a snapshot of its frames also after its end, with
 * "attached": "ws://HOST:PORT/live" and without this machine's "environment" (docs/serve.md).
 *
 *     auto *exporter = new ReportExporter(controller, [this] { return scenario(); }, window);
 *     connect(exportAction, &QAction::triggered, exporter, &ReportExporter::exportDialog);
 */
class ReportExporter : public QObject {
    Q_OBJECT
public:
    enum class Format { Html, Pdf, Json, Csv, Trace };
    /// One entry per format of the dialog: adding a format is one entry here and one case in write().
    struct FormatEntry {
        Format format;
        QString filter; ///< file dialog filter, e.g. "HTML report (*.html)"
        QString suffix; ///< without the dot
    };
    static std::vector<FormatEntry> formats();
    static FormatEntry entry(Format format);
    /**
     * The file and format an export writes for a name typed in the dialog with filter `selected`:
     * a known extension decides (.html/.htm, .pdf, .csv, .json: the JSON report, or the trace when
     * the trace filter is selected); any other name gets the selected format's extension appended.
     */
    static QString resolvePath(const QString &typed, Format selected, Format *format);
    /// Asks for a file: (suggested path, filters, in/out selected filter) → the path, empty to cancel.
    using FileChooser = std::function<QString(const QString &suggested, const QStringList &filters, QString *selected)>;
    /// Replaces the file dialog (tests).
    void setFileChooser(FileChooser chooser) { m_chooser = std::move(chooser); }

    ReportExporter(EngineController *controller, std::function<Scenario()> scenario, QWidget *window);

    /// The window shows a simulated run (Simulate mode): exports write it, marked `mode:
    /// "simulated"` with `simulation` (DESIGN §12), until the engine starts a run again.
    void setSimulatedRun(const RunResult &run);
    bool isSimulated() const { return m_simulated; }
    /// A run (finished or going) has something to export.
    bool hasRun() const;
    /// The run as a RunResult: the finished run's, or a snapshot of the frames received so far.
    RunResult currentRun() const;
    /// Exports to `path` in `format` with the progress dialog; false with *error (or "cancelled").
    /// With `phases` (rows from 0; Html or Pdf only) the report compares those two phases of the run.
    bool exportTo(
        const QString &path, Format format, QString *error, std::optional<std::pair<int, int>> phases = std::nullopt);

public Q_SLOTS:
    /// Asks for a file and a format, then exports (errors in a message box).
    void exportDialog();
    /// Asks for an HTML or PDF file, then writes the comparison of phases `a` and `b` (from 0).
    void comparePhasesDialog(int a, int b);

Q_SIGNALS:
    void exported(const QString &path);

private:
    EngineController *m_controller;
    std::function<Scenario()> m_scenario;
    QWidget *m_window;
    FileChooser m_chooser;
    Scenario m_runScenario;
    std::vector<Frame> m_frames;
    std::vector<RunEvent> m_events;
    std::vector<PhaseResult> m_phases; ///< the latest phasesUpdated of the run going
    bool m_finished = false;
    bool m_simulated = false;
    RunResult m_simRun;
    QString m_remote; ///< host:port of an attached run; empty for a run of this window
};

} // namespace hs
