#pragma once

#include "htmlbuilder.h"
#include "reportplots.h"

#include <QJsonObject>

#include <vector>

namespace hs {

/**
 * The report of one run as HTML, from its JSON report (runToJson, schema hybridscope.run/1), so
 * that `run --report`, `hybridscope report RUN.json` and the GUI's Export give the same file.
 * Sections (element ids): scenario, environment, configuration, changes, totals, classes,
 * domains, findings, plots.
 *
 *     const QJsonObject run = runToJson(result);
 *     ReportHtml h = HtmlReport::build(run, ReportPlots::forRun(run), ReportMedium::Browser);
 */
class HtmlReport {
public:
    static ReportHtml build(const QJsonObject &run, const std::vector<ReportPlot> &plots, ReportMedium medium);
    /// The ids of the sections, in order (tests check each is present).
    static QStringList sectionIds();
    /// "Simulated in virtual time, …: N cores, R rep(s), calibration: …" for a simulated run
    /// (`mode: "simulated"`, DESIGN §12); empty for a run on the engine.
    static QString simulatedText(const QJsonObject &run);
    /// "EXTRAPOLATION beyond twice the calibration's range: cores 64 (measured up to 2); …" from
    /// `simulation.extrapolation` of a run, sweep or tune (DESIGN §12); empty when there is none.
    static QString extrapolationText(const QJsonObject &simulation);
    /// Where a run's scenario came from, as a person says it: "built-in default", or the file's path.
    static QString sourceHtml(const QString &source);
    /// "poisson 300/s", "ramp 10/s → 500/s over 20 s", … from a config class's `arrival`.
    static QString arrivalText(const QJsonObject &arrival);
    /// "gradient · 14 resizes · 1–12 workers" from a domain's `autoscale` object (DESIGN §13).
    static QString autoscaleText(const QJsonObject &autoscale);
    /// "block exp(5ms)", "net 2ms, 4KiB", … from a config stage (work and its sizes, no domain).
    static QString workText(const QJsonObject &stage);
};

} // namespace hs
