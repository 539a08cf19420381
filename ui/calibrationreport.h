#pragma once

#include "htmlbuilder.h"
#include "reportplots.h"

#include <QJsonObject>
#include <QStringList>

#include <vector>

namespace hs {

/**
 * The report of a calibration (`hybridscope.calibration/1`, DESIGN §12, `hybridscope calibrate
 * --report`): the machine and date, each cost with its 95 % interval next to the built-in default,
 * plots of the procs transfer against payload (copy, shm) and of net and disk against size with
 * their fitted lines, the wake-ups per domain, and where `procs` starts to beat `threads` under the
 * GIL (the break-even payload per stage length). Section ids: machine, costs, plots, break-even.
 *
 *     const QJsonObject profile = calibrationToJson(p);
 *     ReportHtml h = CalibrationReport::build(profile, CalibrationReport::plots(profile), ReportMedium::Browser);
 */
class CalibrationReport {
public:
    static ReportHtml build(const QJsonObject &profile, const std::vector<ReportPlot> &plots, ReportMedium medium);
    /// Renders offscreen: call on the GUI thread. Empty when the profile cannot be read.
    static std::vector<ReportPlot> plots(const QJsonObject &profile);
    static QStringList sectionIds();
};

} // namespace hs
