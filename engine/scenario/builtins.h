#pragma once

#include <QStringList>

namespace hs {

/// Names of the scenarios built into the binary (scenarios/*.yaml, as Qt resources).
QStringList builtinScenarioNames();
/// Resource path of a built-in scenario, e.g. ":/scenarios/default.yaml".
QString builtinScenarioPath(const QString &name);
/// A path as given when it names a file; otherwise the built-in scenario of that name.
QString resolveScenarioPath(const QString &nameOrPath);

} // namespace hs
