#pragma once

#include "core/frame.h"
#include "scenario/scenario.h"

#include <QImage>
#include <QJsonArray>
#include <QJsonObject>
#include <QString>

#include <functional>
#include <vector>

namespace hs {

/// Progress of a report in steps: `done` of `total` finished, `step` says what runs now. Returns
/// false to cancel.
using ReportProgress = std::function<bool(int done, int total, const QString &step)>;

/// One plot of a report: an id for the HTML anchor, the heading, a caption saying how to read it.
struct ReportPlot {
    QString id;
    QString title;
    QString caption;
    QImage image;
};

/// What the GUI's plots need of a run, read back from its JSON report (runToJson): the
/// scenario's classes with their SLAs and the starvation threshold, the frames and the events.
/// Frames are converted one at a time (frameAt): a long run holds hundreds of thousands, and the
/// plots keep only a bounded number of points of them.
struct RunSeries {
    Scenario scenario;
    QJsonArray frames; ///< the report's frames (shared with the report, not copied)
    std::vector<RunEvent> events;
    double durationS = 0;
    Frame frameAt(qsizetype i) const;
    double lastT() const;
};
RunSeries runSeriesFromJson(const QJsonObject &run);

/**
 * Renders the plots of reports offscreen with the GUI's own plotting code (LivePlots, LivePlot):
 * the four live plots of one run, or the same four with two runs overlaid (run A solid, run B
 * dashed, one colour per domain or class as in the GUI). Must run on the GUI thread.
 *
 *     std::vector<ReportPlot> plots = ReportPlots::forRun(runToJson(result));
 *     QByteArray png; QBuffer b(&png); b.open(QIODevice::WriteOnly); plots[0].image.save(&b, "PNG");
 */
class ReportPlots {
public:
    /// Logical size of a plot image; images are rendered at twice this for print.
    static QSize plotSize() { return { 900, 330 }; }

    /// The four plots of one run. Empty when cancelled through `progress` (then *cancelled is true).
    static std::vector<ReportPlot> forRun(
        const QJsonObject &run, const ReportProgress &progress = {}, bool *cancelled = nullptr);
    /// The comparison's plots, A and B on the same axes.
    static std::vector<ReportPlot> forComparison(
        const QJsonObject &a, const QJsonObject &b, const ReportProgress &progress = {}, bool *cancelled = nullptr);
    /// How many plots forRun / forComparison render (progress totals).
    static constexpr int kPlotCount = 4;
};

} // namespace hs
