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
/// The whole `hybridscope.sweep/1` report.
QJsonObject sweepToJson(const SweepResult &r);
/// One row per point and class: the varied values, then the class's and its point's figures.
QString sweepToCsv(const SweepResult &r);
/// The table `hybridscope sweep` prints: per point the values, per class P99 [interval] with an
/// SLA mark and throughput; then the knee, the USL fit and the recommendation.
QString sweepSummary(const SweepResult &r);

} // namespace hs
