#pragma once

#include "htmlbuilder.h"
#include "reportplots.h"

#include <QJsonObject>
#include <QStringList>

#include <vector>

namespace hs {

/**
 * The report of a tune (`hybridscope.tune/1`, DESIGN §10, `hybridscope tune --report`): the
 * answer with each class's P99 and interval against its SLA, why the tune stopped (and, when
 * nothing met the SLAs, why not), the theory's start per pool, plots per tuned pool of the points
 * measured along it, and every point in the order it ran with why. Section ids: tune, start,
 * plots, points.
 *
 *     ReportHtml h = TuneReport::build(tune, TuneReport::plots(tune), ReportMedium::Browser);
 */
class TuneReport {
public:
    static ReportHtml build(const QJsonObject &tune, const std::vector<ReportPlot> &plots, ReportMedium medium);
    /// Per tuned pool with two or more sizes measured while the other pools had the answer's
    /// sizes: P99 per class against its workers, and utilization measured against predicted.
    /// Renders offscreen: call on the GUI thread.
    static std::vector<ReportPlot> plots(const QJsonObject &tune);
    /// The one-variable sweep (`hybridscope.sweep/1`) of pool `path` ("domains.threads.workers")
    /// in a tune: its points where every other pool had the answer's size (the last point's when
    /// there is no answer), by workers.
    static QJsonObject alongPool(const QJsonObject &tune, const QString &path);
    static QStringList sectionIds();
};

} // namespace hs
