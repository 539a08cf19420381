#pragma once

#include <QStringList>

namespace hs {

/// Names of the scenarios built into the binary (scenarios/*.yaml, as Qt resources).
QStringList builtinScenarioNames();
/// The built-ins that hold a lesson, in the README's teaching order (each builds on the ones before
/// it: the loop, then sizing pools, CPU work, serialization, backpressure, the pipeline, the GIL,
/// crashes, bursts); a built-in with a lesson that the order does not name comes last, by name.
QStringList builtinLessonNames();
/// Resource path of a built-in scenario, e.g. ":/scenarios/default.yaml".
QString builtinScenarioPath(const QString &name);
/// A path as given when it names a file; otherwise the built-in scenario of that name.
QString resolveScenarioPath(const QString &nameOrPath);

} // namespace hs
