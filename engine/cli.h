#pragma once

#include <QJsonObject>
#include <QStringList>

#include <functional>
#include <optional>

namespace hs {

enum ExitCode : int { kExitOk = 0, kExitSlaMissed = 1, kExitBadInput = 2 };

/// Runs a command-line subcommand (`run`, `validate`, `list`, `help`) and returns its exit code,
/// or nullopt when `args` (argv without the program name) is not a subcommand. Needs a
/// QCoreApplication (or QApplication).
std::optional<int> runCli(const QStringList &args);

/// `hybridscope run`: a headless run with a summary; `options` are the run flags.
int runHeadless(const QString &scenario, const QStringList &options);

/// Writes the report of one run (a runToJson object) to `path` (.html or .pdf); false with *error
/// on failure, leaving no file. The engine cannot render plots (no Widgets), so the application
/// registers the renderer: without one, `--report` and `hybridscope report` say it is unavailable.
using ReportRenderer = std::function<bool(const QJsonObject &run, const QString &path, QString *error)>;
/// Writes the side-by-side comparison of runs `a` and `b` to `path` (.html or .pdf).
using ComparisonRenderer
    = std::function<bool(const QJsonObject &a, const QJsonObject &b, const QString &path, QString *error)>;
void setReportRenderer(ReportRenderer renderer);
void setComparisonRenderer(ComparisonRenderer renderer);

} // namespace hs
