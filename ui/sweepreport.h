#pragma once

#include "htmlbuilder.h"
#include "reportplots.h"

#include <QJsonObject>
#include <QStringList>

#include <vector>

namespace hs {

/**
 * The report of a sweep (`hybridscope.sweep/1`, DESIGN §10): what was varied and how each point
 * was measured, the recommendation and the knee, plots against the varied value (each class's P99
 * with its 95 % interval as a bar and its SLA as a dashed line; throughput per class with the USL
 * curve when one was fitted; utilization and mean wait per domain, measured as points, the queueing
 * model's prediction as a dashed line), for a grid a map of where every SLA is met, and the table
 * of points. A policy bake-off (one axis `domains.D.autoscale.policy`) adds a table of each policy
 * against the cheapest fixed size of D and a plot of P99 against worker-seconds. A text axis (a
 * policy) is plotted as categories. Section ids: sweep, recommendation, bakeoff, plots, grid, points.
 *
 *     std::vector<ReportPlot> plots = SweepReport::plots(sweep);
 *     ReportHtml h = SweepReport::build(sweep, plots, ReportMedium::Browser);
 */
class SweepReport {
public:
    static ReportHtml build(const QJsonObject &sweep, const std::vector<ReportPlot> &plots, ReportMedium medium);
    /// The plots of a one-variable sweep (a grid's first variable, one line per value of the
    /// second, for the P99 plot only). Renders offscreen: call on the GUI thread.
    static std::vector<ReportPlot> plots(const QJsonObject &sweep);
    static QStringList sectionIds();
    /// The varied value of a point as text ("8", "0.5"), by path.
    static QString valueText(const QJsonValue &v);
    /// A point's class as a table cell: "P99 [low, high] ✓/✗" (HTML).
    static QString p99Cell(const QJsonObject &pointClass);
};

} // namespace hs
