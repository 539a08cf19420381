#pragma once

#include "htmlbuilder.h"
#include "reportplots.h"

#include <QJsonObject>
#include <QList>
#include <QStringList>

#include <optional>
#include <vector>

namespace hs {

/**
 * Two runs, or two phases of one run, side by side, from their JSON reports: what each was (scenario, source, duration,
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
    /// Two phases of one run, each given as phaseAsRun() made it: the configuration in effect in
    /// each, per-class P99 (with its interval) and throughput, per-domain figures, the findings
    /// that overlap each phase, and plots of the two spans overlaid from their changes.
    static ReportHtml buildPhases(
        const QJsonObject &a, const QJsonObject &b, const std::vector<ReportPlot> &plots, ReportMedium medium);
    /// Phase `index` (from 0) of a run's JSON in the shape of a run: its figures as `classes` and
    /// `domains`, the configuration in effect as `config`, its frames and events on its own clock
    /// (the change at t = 0), the findings overlapping it, and `phase` (span, change, settle,
    /// index). Nothing when there is no such phase or it has no figures (*error says which).
    static std::optional<QJsonObject> phaseAsRun(const QJsonObject &run, int index, QString *error);
    /// Every setting of both runs' `config`, in the order of A then B's additions.
    static QList<Setting> settings(const QJsonObject &a, const QJsonObject &b);
    /// The keys of the settings that differ.
    static QStringList changedSettings(const QJsonObject &a, const QJsonObject &b);
    static QStringList sectionIds();
};

} // namespace hs
