#pragma once

#include "scenario/scenario.h"

#include <QString>
#include <QStringList>

#include <optional>
#include <utility>
#include <vector>

namespace hs {

/// Points a sweep may have in all (DESIGN §10): beyond it `--vary` is refused as absurd.
inline constexpr int kMaxSweepPoints = 200;
/// `--vary load=X`: the factor on every class's arrival rate (and closed-loop clients).
inline constexpr double kMaxLoadFactor = 1000;

/**
 * One `--vary PATH=VALUES` (DESIGN §8): a `--set` path, or `load`, and the values it takes, as
 * the text a `--set` would carry (every one checked with the field's own rule). VALUES is a list
 * `1,2,4,8`, a range of integers `1..16`, a geometric range `1..64x2` or a stepped range
 * `0.5..2:0.25`; range ends may carry a unit (`10ms..50ms:10ms`).
 *
 *     QString why;
 *     auto axis = parseVaryArgument(QStringLiteral("domains.threads.workers=2..16x2"), &why);
 *     // axis->values == {"2", "4", "8", "16"}
 */
struct VaryAxis {
    QString path;
    QStringList values;
    bool isLoad() const { return path == QLatin1String("load"); }
    /// `domains.D.workers` of a pool (threads, tbb, procs): the domain; else nullopt.
    std::optional<DomainKind> poolDomain() const;
    /// `domains.D.autoscale.policy` of a pool (a policy bake-off, DESIGN §13): the domain; else nullopt.
    std::optional<DomainKind> autoscaleDomain() const;
};

/// Parses `PATH=VALUES`; on error returns nullopt and sets *error (what is wrong, with the value).
std::optional<VaryAxis> parseVaryArgument(const QString &arg, QString *error);

/// A point of a sweep: each axis's path and its value there, in the order of the axes.
using SweepValues = std::vector<std::pair<QString, QString>>;

/**
 * The points of a sweep: one axis is a line, two are a grid (the first axis outermost). At most
 * kMaxSweepPoints in all; two axes on one path are refused.
 *
 *     auto plan = SweepPlan::make({*threads, *load}, &why);
 *     for (const SweepValues &p : plan->points()) run(p);
 */
class SweepPlan {
public:
    static std::optional<SweepPlan> make(std::vector<VaryAxis> axes, QString *error);

    const std::vector<VaryAxis> &axes() const { return m_axes; }
    const std::vector<SweepValues> &points() const { return m_points; }
    int size() const { return int(m_points.size()); }

private:
    std::vector<VaryAxis> m_axes;
    std::vector<SweepValues> m_points;
};

/// "domains.threads.workers=8 load=1.5": a point's values for messages.
QString sweepValuesText(const SweepValues &values);
/// The `--set` overrides of a point (every axis but `load`), to add after the sweep's own `--set`s.
std::vector<Override> pointOverrides(const SweepValues &values);
/// The point's load factor: `load`'s value, 1 when the sweep does not vary it.
double pointLoad(const SweepValues &values);
/// Multiplies every class's arrival rates by `factor`, and its closed-loop clients (rounded, at
/// least 1). Returns false and sets *error when a scaled value leaves the field's range.
bool scaleLoad(Scenario &scenario, double factor, QString *error);

} // namespace hs
