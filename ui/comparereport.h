#pragma once

#include "htmlbuilder.h"
#include "reportplots.h"

#include <QJsonObject>
#include <QList>
#include <QStringList>

#include <vector>

namespace hs {

/**
 * Two runs side by side, from their JSON reports: what each was (scenario, source, duration,
 * live changes), the configuration diff (every setting of both, the changed ones in rows of
 * class "changed" with a visible "≠ changed" marker), per-class P99 and throughput with their
 * deltas (absolute and %), per-domain figures, the plots with A and B overlaid, and both runs'
 * findings. Section ids: runs, config-diff, classes-delta, domains-delta, findings, plots.
 *
 *     ReportHtml h = ComparisonReport::build(a, b, ReportPlots::forComparison(a, b), ReportMedium::Browser);
 */
class ComparisonReport {
public:
    struct Setting {
        QString key; ///< e.g. "domains.threads.workers", "classes.fetch.stages.get.domain"
        QString a, b; ///< the values as shown; "—" when a run does not have the setting
        bool changed() const { return a != b; }
    };

    static ReportHtml build(
        const QJsonObject &a, const QJsonObject &b, const std::vector<ReportPlot> &plots, ReportMedium medium);
    /// Every setting of both runs' `config`, in the order of A then B's additions.
    static QList<Setting> settings(const QJsonObject &a, const QJsonObject &b);
    /// The keys of the settings that differ.
    static QStringList changedSettings(const QJsonObject &a, const QJsonObject &b);
    static QStringList sectionIds();
};

} // namespace hs
