#pragma once

#include "reportplots.h"

#include <QJsonObject>
#include <QString>

namespace hs {

/**
 * Writes reports to files, the format from the extension (.html/.htm or .pdf): one run's
 * report, two runs compared, or two phases of one run compared. Plots are rendered on the calling thread (the GUI
 * thread; a QApplication must exist, the offscreen platform will do). Files are written atomically: on any failure
 * there is no file (and an existing one is left as it was). `progress` (optional) is told of each step and may cancel;
 * a cancelled write sets *error to "cancelled".
 *
 *     QString error;
 *     if (!ReportWriter::writeRun(runToJson(result), QStringLiteral("r.pdf"), &error)) ...
 */
class ReportWriter {
public:
    enum class Format { Html, Pdf, Unknown };
    static Format formatOf(const QString &path);

    static bool writeRun(
        const QJsonObject &run, const QString &path, QString *error, const ReportProgress &progress = {});
    static bool writeComparison(const QJsonObject &a, const QJsonObject &b, const QString &path, QString *error,
        const ReportProgress &progress = {});
    /// Phases `a` and `b` (from 0) of one run compared; *error names a missing or unsettled phase.
    static bool writePhaseComparison(
        const QJsonObject &run, int a, int b, const QString &path, QString *error, const ReportProgress &progress = {});
    /// The HTML or PDF bytes of a run's report (no file); empty when cancelled.
    static QByteArray renderRun(const QJsonObject &run, Format format, const ReportProgress &progress = {});
    static QByteArray renderComparison(
        const QJsonObject &a, const QJsonObject &b, Format format, const ReportProgress &progress = {});
    /// The report of a sweep (`hybridscope.sweep/1`, SweepReport).
    static bool writeSweep(const QJsonObject &sweep, const QString &path, QString *error);
    static QByteArray renderSweep(const QJsonObject &sweep, Format format);
    /// The report of a tune (`hybridscope.tune/1`): TuneReport.
    static bool writeTune(const QJsonObject &tune, const QString &path, QString *error);
    /// The report of a calibration (`hybridscope.calibration/1`): CalibrationReport.
    static bool writeCalibration(const QJsonObject &profile, const QString &path, QString *error);
    static QByteArray renderCalibration(const QJsonObject &profile, Format format);
    static QByteArray renderTune(const QJsonObject &tune, Format format);
    /// Empty with *error set when a phase is missing or has no figures, or when cancelled.
    static QByteArray renderPhaseComparison(
        const QJsonObject &run, int a, int b, Format format, QString *error, const ReportProgress &progress = {});
    /// Steps reported through `progress`: the plots, then the document.
    static constexpr int kSteps = ReportPlots::kPlotCount + 1;
};

} // namespace hs
