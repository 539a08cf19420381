#pragma once

#include "scenario/scenario.h"

#include <QByteArray>
#include <QString>

#include <optional>
#include <vector>

namespace hs {

/**
 * Applies `--set`-style values to a scenario file's text in place (`hybridscope tune --write`):
 * a value is replaced where it is written, a key the file lacks is added under its parent with
 * the parent's indentation, and every other line (comments, order, layout) stays as it was. The
 * result is checked: it must read back as the scenario the original reads as with `sets`
 * applied. When it cannot be edited in place (a flow-style mapping, a value on several lines)
 * or the check fails, nullopt and *error says why; write ScenarioWriter::toYaml instead.
 *
 *     auto text = editScenarioText(original, {{"domains.threads.workers", "12"}}, &why);
 */
std::optional<QByteArray> editScenarioText(const QByteArray &yaml, const std::vector<Override> &sets, QString *error);

} // namespace hs
