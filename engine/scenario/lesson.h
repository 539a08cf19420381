#pragma once

#include "scenario/scenario.h"

#include <QJsonObject>
#include <QString>

#include <optional>
#include <vector>

namespace hs {

/// "< 10", ">= 1.4": a comparison for a lesson check; nullopt when malformed.
std::optional<Condition> parseCondition(const QString &text);

/// The number at a dotted path of a JSON report ("classes.ticker.latency_ms.p99"); nullopt if absent.
std::optional<double> reportValue(const QJsonObject &report, const QString &path);

/// Settings the engine can change while running: domains.D.workers, queue, max_inflight, on_full,
/// and gil.enabled.
bool isLiveSetting(const QString &path);
/// A step is live when all of its settings are; otherwise applying it restarts the run.
bool isLiveStep(const LessonStep &step);

/// The overrides that reproduce the first `stepsApplied` steps of a lesson, in order.
void lessonOverrides(
    const Lesson &lesson, int stepsApplied, std::vector<Override> *sets, std::vector<RouteOverride> *routes);

/// The outcome of one lesson check on two reports (before the step, after it).
struct CheckOutcome {
    bool ok = false;
    QString text; ///< "loop.lag_ms.p99: before 120.4 (> 50 ✓), after 1.2 (< 10 ✓)"
};
CheckOutcome evaluateCheck(const LessonCheck &check, const QJsonObject &before, const QJsonObject &after);

/// A lesson as readable text (for `hybridscope list` and tooltips).
QString lessonText(const Lesson &lesson);

} // namespace hs
