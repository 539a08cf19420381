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

namespace cli {
/// Writes to stdout / stderr and flushes, so a pipe reader sees each line as it is written.
void out(const QString &s);
void err(const QString &s);
/// A `--report` path of subcommand `cmd` ends in .html/.htm/.pdf and this build can render it;
/// else *error is a line naming the command and the flag.
bool checkReportPath(const QString &cmd, const QString &path, QString *error);
} // namespace cli

} // namespace hs
