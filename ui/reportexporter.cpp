#include "reportexporter.h"

#include "results/traceexport.h"

#include "enginecontroller.h"
#include "reportwriter.h"
#include "results/diagnostics.h"
#include "results/report.h"
#include "results/traceexport.h"

#include <QDir>
#include <QEventLoop>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QJsonDocument>
#include <QMainWindow>
#include <QMessageBox>
#include <QProgressDialog>
#include <QRegularExpression>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QtConcurrent/QtConcurrentRun>

#include <optional>

namespace hs {

namespace {
const QString kDirKey = QStringLiteral("export/dir");
const QString kFormatKey = QStringLiteral("export/format");

QString formatKey(ReportExporter::Format f)
{
    switch (f) {
    case ReportExporter::Format::Html: return QStringLiteral("html");
    case ReportExporter::Format::Pdf: return QStringLiteral("pdf");
    case ReportExporter::Format::Json: return QStringLiteral("json");
    case ReportExporter::Format::Csv: return QStringLiteral("csv");
    case ReportExporter::Format::Trace: return QStringLiteral("trace");
    }
    return {};
}

// Where the last export went, else the documents folder, else home.
QString exportFolder(const QSettings &settings)
{
    QString dir = settings.value(kDirKey).toString();
    if (dir.isEmpty() || !QFileInfo(dir).isDir())
        dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    return dir.isEmpty() ? QDir::homePath() : dir;
}

// A file name stem from a scenario's name: "Blocking the event loop" → "blocking-the-event-loop".
QString fileStem(const QString &scenarioName)
{
    return (scenarioName.isEmpty() ? QStringLiteral("hybridscope") : scenarioName)
        .toLower()
        .replace(QRegularExpression(QStringLiteral("[^a-z0-9]+")), QStringLiteral("-"));
}

// Runs `fn` on a pool thread while the GUI's event loop keeps turning (the dialog stays live).
template<typename T> T offGuiThread(std::function<T()> fn)
{
    QFutureWatcher<T> watcher;
    QEventLoop loop;
    QObject::connect(&watcher, &QFutureWatcher<T>::finished, &loop, &QEventLoop::quit);
    watcher.setFuture(QtConcurrent::run(std::move(fn)));
    if (!watcher.isFinished())
        loop.exec();
    return watcher.result();
}

// A snapshot of a run still going: the totals of the last frame, the domains' load over the frames.
RunResult snapshot(const Scenario &scenario, const std::vector<Frame> &frames, const std::vector<RunEvent> &events,
    const std::vector<PhaseResult> &phases)
{
    RunResult r;
    r.scenario = scenario;
    r.frames = frames;
    r.events = events;
    r.phases = phases;
    r.durationS = frames.empty() ? 0.0 : frames.back().t;
    const Frame last = frames.empty() ? Frame {} : frames.back();
    for (int i = 0; i < int(scenario.classes.size()); ++i) {
        ClassResult c;
        c.name = scenario.classes[std::size_t(i)].name;
        if (std::size_t(i) < last.classes.size()) {
            const ClassFrame &cf = last.classes[std::size_t(i)];
            c.submitted = cf.submitted;
            c.completed = cf.completed;
            c.failed = cf.failed;
            c.rejected = cf.rejected;
            c.cancelled = cf.cancelled;
        }
        c.throughput = r.durationS > 0 ? double(c.completed) / r.durationS : 0.0;
        if (const auto sla = scenario.slaFor(i))
            c.slaP99Ms = *sla * 1e3;
        r.classes.push_back(c);
    }
    for (DomainKind d : kAllDomains) {
        DomainResult &dr = r.domains[std::size_t(d)];
        dr.kind = d;
        double util = 0, queue = 0;
        int n = 0;
        for (const Frame &f : frames) {
            const DomainFrame &df = f.domains[std::size_t(d)];
            if (df.workers <= 0)
                continue;
            dr.used = true;
            ++n;
            util += df.utilization;
            queue += df.queue;
            dr.totals.queueMax = std::max(dr.totals.queueMax, df.queue);
            dr.totals.workers = df.workers;
            dr.totals.completed = df.done;
            dr.totals.starved = std::max<std::uint64_t>(dr.totals.starved, std::uint64_t(df.starved));
        }
        if (n > 0) {
            dr.totals.utilization = util / n;
            dr.totals.queueMean = queue / n;
        }
    }
    r.findings = diagnose(r);
    return r;
}
} // namespace

std::vector<ReportExporter::FormatEntry> ReportExporter::formats()
{
    return {
        { Format::Html, tr("HTML report, self-contained (*.html)"), QStringLiteral("html") },
        { Format::Pdf, tr("PDF report (*.pdf)"), QStringLiteral("pdf") },
        { Format::Json, tr("JSON report, hybridscope.run/1 (*.json)"), QStringLiteral("json") },
        { Format::Csv, tr("CSV, one row per frame and domain (*.csv)"), QStringLiteral("csv") },
        { Format::Trace, tr("Chrome trace for Perfetto, a span per stage (*.json)"), QStringLiteral("json") },
    };
}

ReportExporter::FormatEntry ReportExporter::entry(Format format)
{
    for (const FormatEntry &f : formats())
        if (f.format == format)
            return f;
    return formats().front();
}

QString ReportExporter::resolvePath(const QString &typed, Format selected, Format *format)
{
    const QString suffix = QFileInfo(typed).suffix().toLower();
    std::optional<Format> byName;
    if (suffix == QLatin1String("html") || suffix == QLatin1String("htm"))
        byName = Format::Html;
    else if (suffix == QLatin1String("pdf"))
        byName = Format::Pdf;
    else if (suffix == QLatin1String("csv"))
        byName = Format::Csv;
    else if (suffix == QLatin1String("json")) // two formats end in .json: the filter tells which
        byName = selected == Format::Trace ? Format::Trace : Format::Json;
    if (byName) {
        *format = *byName;
        return typed;
    }
    *format = selected;
    return typed + QLatin1Char('.') + entry(selected).suffix;
}

ReportExporter::ReportExporter(EngineController *controller, std::function<Scenario()> scenario, QWidget *window)
    : QObject(window)
    , m_controller(controller)
    , m_scenario(std::move(scenario))
    , m_window(window)
{
    connect(controller, &EngineController::started, this, [this] {
        m_runScenario = m_scenario();
        m_remote = m_controller->isRemote() ? m_controller->remoteAddress() : QString();
        m_frames.clear();
        m_events.clear();
        m_phases.clear();
        m_finished = false;
        m_simulated = false;
        m_simRun = RunResult {};
    });
    connect(controller, &EngineController::phasesUpdated, this,
        [this](const std::vector<PhaseResult> &phases) { m_phases = phases; });
    connect(controller, &EngineController::frameReady, this, [this](const Frame &f) { m_frames.push_back(f); });
    connect(controller, &EngineController::eventAdded, this, [this](const RunEvent &e) { m_events.push_back(e); });
    connect(controller, &EngineController::finished, this, [this] { m_finished = true; });
}

void ReportExporter::setSimulatedRun(const RunResult &run)
{
    m_simulated = true;
    m_simRun = run;
    m_runScenario = run.scenario;
}

bool ReportExporter::hasRun() const
{
    return m_simulated || !m_frames.empty() || m_controller->hasResult();
}

RunResult ReportExporter::currentRun() const
{
    if (m_simulated)
        return m_simRun; // whole from the start: the replay only shows it
    if (m_finished && m_controller->hasResult())
        return m_controller->lastResult();
    return snapshot(m_runScenario, m_frames, m_events, m_phases);
}

bool ReportExporter::exportTo(
    const QString &path, Format format, QString *error, std::optional<std::pair<int, int>> phases)
{
    const bool report = format == Format::Html || format == Format::Pdf;
    if (phases && !report) {
        *error = tr("a comparison of phases is an HTML or PDF report");
        return false;
    }
    const int steps = 1 + (report ? ReportWriter::kSteps : 0) + 1;
    QProgressDialog progress(tr("Collecting the run…"), tr("Cancel"), 0, steps, m_window);
    progress.setWindowTitle(tr("Export"));
    progress.setWindowModality(Qt::WindowModal);
    progress.setMinimumDuration(0);
    progress.setValue(0);

    // Collect: the run's figures (a copy: the GUI may start another run meanwhile) and its JSON.
    const RunResult run = currentRun();
    const bool isSnapshot = !m_simulated && !(m_finished && m_controller->hasResult());
    // An attached run's figures are the frames received; its machine is not this one.
    const QString attached
        = m_simulated || m_remote.isEmpty() ? QString() : QStringLiteral("ws://%1/live").arg(m_remote);
    QByteArray bytes;
    QJsonObject json;
    if (format == Format::Trace) {
        // The spans are collected when the engine shuts down: a run still going has none yet.
        if (m_simulated || isSnapshot || !run.trace) {
            *error = m_simulated ? tr("a simulated run has no trace: its stages ran in virtual time, not on the engine")
                : !attached.isEmpty()
                ? tr("an attached run's trace is recorded where it runs (hybridscope run … --trace F.json there)")
                : isSnapshot ? tr("the trace is available once the run has finished; stop it first")
                             : tr("this run recorded no trace");
            return false;
        }
        bytes = offGuiThread<QByteArray>([run] { return chromeTraceJson(run); });
    } else if (format == Format::Csv) {
        bytes = offGuiThread<QByteArray>([run] { return runToCsv(run).toUtf8(); });
    } else {
        json = offGuiThread<QJsonObject>([run, isSnapshot, attached] {
            QJsonObject o = runToJson(run); // a simulated run marks itself (mode, simulation)
            if (isSnapshot)
                o[QStringLiteral("snapshot")] = true;
            if (!attached.isEmpty()) {
                o[QStringLiteral("attached")] = attached;
                o.remove(QStringLiteral("environment")); // this machine's, not the one the run is on
            }
            return o;
        });
        if (format == Format::Json)
            bytes = offGuiThread<QByteArray>([json] { return QJsonDocument(json).toJson(QJsonDocument::Indented); });
    }
    if (progress.wasCanceled()) {
        *error = tr("cancelled");
        return false;
    }
    progress.setValue(1);

    if (report) {
        // Render: on the GUI thread, one plot per step; the dialog's setValue lets events through.
        const auto reportFormat = format == Format::Pdf ? ReportWriter::Format::Pdf : ReportWriter::Format::Html;
        const ReportProgress step = [&progress](int done, int, const QString &label) {
            progress.setLabelText(label);
            progress.setValue(1 + done);
            return !progress.wasCanceled();
        };
        QString why = tr("cancelled");
        bytes = phases
            ? ReportWriter::renderPhaseComparison(json, phases->first, phases->second, reportFormat, &why, step)
            : ReportWriter::renderRun(json, reportFormat, step);
        if (bytes.isEmpty() || progress.wasCanceled()) {
            *error = progress.wasCanceled() ? tr("cancelled") : why;
            return false;
        }
    }
    progress.setLabelText(tr("Writing %1…").arg(QFileInfo(path).fileName()));
    progress.setValue(steps - 1);
    QString writeError;
    const bool ok = offGuiThread<bool>([&] { return writeFileAtomically(path, bytes, &writeError); });
    progress.setValue(steps);
    if (!ok) {
        *error = writeError;
        return false;
    }
    Q_EMIT exported(path);
    return true;
}

void ReportExporter::exportDialog()
{
    if (!hasRun()) {
        QMessageBox::information(m_window, tr("Export"), tr("Nothing to export yet: run the scenario first."));
        return;
    }
    const std::vector<FormatEntry> all = formats();
    QStringList filters;
    for (const FormatEntry &f : all)
        filters << f.filter;
    // Where the last export went, in the format last chosen.
    QSettings settings;
    const QString lastKey = settings.value(kFormatKey).toString();
    FormatEntry last = all.front();
    for (const FormatEntry &f : all)
        if (formatKey(f.format) == lastKey)
            last = f;
    const QString dir = exportFolder(settings);
    QString selected = last.filter;
    const QString base = fileStem(m_runScenario.name);
    const QString suggested = QDir(dir).filePath(
        base + (last.format == Format::Trace ? QStringLiteral("-trace.") : QStringLiteral("-report.")) + last.suffix);
    const QString typed = m_chooser ? m_chooser(suggested, filters, &selected)
                                    : QFileDialog::getSaveFileName(m_window, tr("Export the run"), suggested,
                                        filters.join(QStringLiteral(";;")), &selected);
    if (typed.isEmpty())
        return;
    Format selectedFormat = all.front().format;
    for (const FormatEntry &f : all)
        if (f.filter == selected)
            selectedFormat = f.format;
    Format format = selectedFormat;
    const QString path = resolvePath(typed, selectedFormat, &format);
    settings.setValue(kDirKey, QFileInfo(path).absolutePath());
    settings.setValue(kFormatKey, formatKey(format));
    QString error;
    if (!exportTo(path, format, &error)) {
        if (error != tr("cancelled"))
            QMessageBox::warning(m_window, tr("Export"), tr("The export failed: %1").arg(error));
        return;
    }
    if (auto *main = qobject_cast<QMainWindow *>(m_window))
        main->statusBar()->showMessage(
            tr("Exported %1 to %2")
                .arg(entry(format).filter.section(QLatin1Char(','), 0, 0).section(QLatin1String(" ("), 0, 0),
                    QDir::toNativeSeparators(QFileInfo(path).absoluteFilePath())),
            10000);
}

void ReportExporter::comparePhasesDialog(int a, int b)
{
    if (!hasRun())
        return;
    QSettings settings;
    const QString dir = exportFolder(settings);
    const FormatEntry html = entry(Format::Html), pdf = entry(Format::Pdf);
    const QStringList filters { html.filter, pdf.filter };
    QString selected = settings.value(kFormatKey).toString() == formatKey(Format::Pdf) ? pdf.filter : html.filter;
    const QString base = fileStem(m_runScenario.name);
    const QString suggested = QDir(dir).filePath(QStringLiteral("%1-phases-%2-%3.%4")
                                                     .arg(base)
                                                     .arg(a + 1)
                                                     .arg(b + 1)
                                                     .arg(selected == pdf.filter ? pdf.suffix : html.suffix));
    const QString typed = m_chooser
        ? m_chooser(suggested, filters, &selected)
        : QFileDialog::getSaveFileName(m_window, tr("Compare phases %1 and %2").arg(a + 1).arg(b + 1), suggested,
            filters.join(QStringLiteral(";;")), &selected);
    if (typed.isEmpty())
        return;
    Format format = selected == pdf.filter ? Format::Pdf : Format::Html;
    QString path = resolvePath(typed, format, &format);
    if (format != Format::Html && format != Format::Pdf) { // a .json or .csv name: the report's own extension
        format = selected == pdf.filter ? Format::Pdf : Format::Html;
        path = typed + QLatin1Char('.') + entry(format).suffix;
    }
    settings.setValue(kDirKey, QFileInfo(path).absolutePath());
    QString error;
    if (!exportTo(path, format, &error, std::pair { a, b })) {
        if (error != tr("cancelled"))
            QMessageBox::warning(m_window, tr("Compare phases"), tr("The comparison failed: %1").arg(error));
        return;
    }
    if (auto *main = qobject_cast<QMainWindow *>(m_window))
        main->statusBar()->showMessage(tr("Compared phases %1 and %2 in %3")
                                           .arg(a + 1)
                                           .arg(b + 1)
                                           .arg(QDir::toNativeSeparators(QFileInfo(path).absoluteFilePath())),
            10000);
}

} // namespace hs
