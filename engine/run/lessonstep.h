#pragma once

#include "scenario/scenario.h"

#include <QString>

namespace hs {

class Engine;

/**
 * Applies a live step to a running engine: its routes, the GIL switch, and the pool sizes and
 * backpressure of the domains it touches, taken from `target` (the scenario parsed with every step
 * up to this one).
 * Returns false with *error naming the change that the engine refused.
 *
 *     const ParseResult target = ScenarioParser::parseFile(path, sets, routes);
 *     applyLiveStep(engine, lesson.steps[i], *target.scenario, &error);
 */
bool applyLiveStep(Engine &engine, const LessonStep &step, const Scenario &target, QString *error);

} // namespace hs
