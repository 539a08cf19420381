#pragma once

#include "runresult.h"

#include <QJsonObject>
#include <QString>

namespace hs {

/// The machine a run was measured on (cores, CPU model, OS, library versions).
QJsonObject environmentJson();

/// The JSON report of DESIGN §9 (schema "hybridscope.run/1").
QJsonObject runToJson(const RunResult &r);
/// The scenario's full starting configuration (the report's `config` key): duration_s, seed, sla,
/// starvation, gil, domains {NAME: {declared, workers, queue, max_inflight, on_full, transfer}} and
/// classes [{name, arrival, sla_p99_ms, stages [{name, work, time, …, domain}]}] in file order.
QJsonObject scenarioConfigJson(const Scenario &s);
/// Reads a JSON report written by runToJson; false with *error naming the file when it is missing,
/// not JSON, or not of schema hybridscope.run/1.
bool loadRunJson(const QString &path, QJsonObject *run, QString *error);
/// One row per frame and domain: t, domain, queue, inflight, busy, workers, done, p99_ms, starved, utilization, loop_lag_ms.
QString runToCsv(const RunResult &r);
/// The readable summary table printed by `hybridscope run`.
QString runSummary(const RunResult &r);

/// Writes `data` to `path` atomically (QSaveFile); on failure sets *error naming the file.
bool writeFileAtomically(const QString &path, const QByteArray &data, QString *error);

} // namespace hs
