#pragma once

#include <QJsonObject>
#include <QStringList>

#include <optional>

namespace hs {

enum ExitCode : int { kExitOk = 0, kExitSlaMissed = 1, kExitBadInput = 2 };

/// Runs a command-line subcommand (`run`, `validate`, `list`, `help`) and returns its exit code,
/// or nullopt when `args` (argv without the program name) is not a subcommand. Needs a
/// QCoreApplication (or QApplication).
std::optional<int> runCli(const QStringList &args);

/// `hybridscope run`: a headless run with a summary; `options` are the run flags.
int runHeadless(const QString &scenario, const QStringList &options);

} // namespace hs
