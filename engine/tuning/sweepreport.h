#pragma once

#include "tuning/sweepanalysis.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QString>

namespace hs {

/// A point's values as `{PATH: V}`: numbers where the text is one, else the text.
QJsonObject sweepValuesJson(const SweepValues &values);
/// One `points[]` entry of `hybridscope.sweep/1` (DESIGN §10), with `p99_ci_method`,
/// `samples`, `measured_s`, `wall_s` and per domain `predicted_why` (when `predicted` is null).
QJsonObject sweepPointToJson(const SweepPointResult &p);
/// `fixed_baseline` of a policy bake-off: {domain, workers, worker_seconds, workers_mean,
/// measured_s, classes: {NAME: {p99_ms, p99_ci_ms, sla_p99_ms, met}}, source, budget_s, search}.
QJsonObject baselineJson(const SweepBaseline &b);
/// The whole `hybridscope.sweep/1` report; a policy bake-off adds `fixed_baseline` (or null and
/// `fixed_baseline_reason`) and per point `cost_ratio`.
QJsonObject sweepToJson(const SweepResult &r);
/// One row per point and class: the varied values, then the class's and its point's figures.
QString sweepToCsv(const SweepResult &r);
/// The table `hybridscope sweep` prints: per point the values, per class P99 [interval] with an
/// SLA mark and throughput; then the knee, the USL fit and the recommendation.
QString sweepSummary(const SweepResult &r);

} // namespace hs
