#include "reportwriter.h"

#include "calibrationreport.h"
#include "comparereport.h"
#include "core/safefile.h"
#include "htmlreport.h"
#include "pdfreport.h"
#include "results/report.h"
#include "sweepreport.h"
#include "tunereport.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QJsonArray>

namespace hs {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("hs::ReportWriter", text);
}

QByteArray toBytes(const ReportHtml &html, ReportWriter::Format format, const QString &title)
{
    return format == ReportWriter::Format::Pdf ? PdfReport::render(html, title) : html.html.toUtf8();
}

bool write(const QByteArray &bytes, const QString &path, QString *error)
{
    if (bytes.isEmpty()) {
        *error = tr("cancelled");
        return false;
    }
    return writeFileAtomically(path, bytes, error);
}

// The PDF footer of a simulated sweep or tune: every page says so, and flags an extrapolation.
QString simulatedMark(const QJsonObject &o)
{
    if (o.value(QStringLiteral("mode")).toString() != QLatin1String("simulated"))
        return {};
    const QJsonObject sim = o.value(QStringLiteral("simulation")).toObject();
    return sim.value(QStringLiteral("extrapolation")).toArray().isEmpty()
        ? tr(" (SIMULATED)")
        : tr(" (SIMULATED, EXTRAPOLATION: see the first page)");
}

bool checkFormat(ReportWriter::Format f, const QString &path, QString *error)
{
    if (f == ReportWriter::Format::Unknown) {
        *error = tr("%1: a report is .html or .pdf").arg(path);
        return false;
    }
    // Before rendering, which takes a while: a device, a FIFO or a directory is never replaced
    // (writeFileAtomically checks again before it renames).
    QString why;
    if (!checkOutputPath(path, &why)) {
        *error = tr("cannot write %1: %2").arg(path, why);
        return false;
    }
    return true;
}
} // namespace

ReportWriter::Format ReportWriter::formatOf(const QString &path)
{
    const QString s = QFileInfo(path).suffix().toLower();
    if (s == QLatin1String("html") || s == QLatin1String("htm"))
        return Format::Html;
    if (s == QLatin1String("pdf"))
        return Format::Pdf;
    return Format::Unknown;
}

QByteArray ReportWriter::renderRun(const QJsonObject &run, Format format, const ReportProgress &progress)
{
    bool cancelled = false;
    const std::vector<ReportPlot> plots = ReportPlots::forRun(run, progress, &cancelled);
    if (cancelled || (progress && !progress(ReportPlots::kPlotCount, kSteps, tr("Writing the document"))))
        return {};
    const ReportMedium medium = format == Format::Pdf ? ReportMedium::Print : ReportMedium::Browser;
    const QString name = run.value(QStringLiteral("scenario")).toObject().value(QStringLiteral("name")).toString();
    // A simulated run says so on every page (the PDF's running footer carries the title).
    const bool simulated = !HtmlReport::simulatedText(run).isEmpty();
    const QJsonObject sim = run.value(QStringLiteral("simulation")).toObject();
    const double cores = sim.value(QStringLiteral("cores")).toDouble();
    const bool extrapolated = !sim.value(QStringLiteral("extrapolation")).toArray().isEmpty();
    return toBytes(HtmlReport::build(run, plots, medium), format,
        simulated ? tr("Hybridscope report: %1 (SIMULATED, %2 cores%3)")
                        .arg(name)
                        .arg(cores, 0, 'g', 3)
                        .arg(extrapolated ? tr(", EXTRAPOLATION: see the first page") : QString())
                  : tr("Hybridscope report: %1").arg(name));
}

QByteArray ReportWriter::renderComparison(
    const QJsonObject &a, const QJsonObject &b, Format format, const ReportProgress &progress)
{
    bool cancelled = false;
    const std::vector<ReportPlot> plots = ReportPlots::forComparison(a, b, progress, &cancelled);
    if (cancelled || (progress && !progress(ReportPlots::kPlotCount, kSteps, tr("Writing the document"))))
        return {};
    const ReportMedium medium = format == Format::Pdf ? ReportMedium::Print : ReportMedium::Browser;
    // The running footer says which side was simulated on every page.
    const bool simA = !HtmlReport::simulatedText(a).isEmpty(), simB = !HtmlReport::simulatedText(b).isEmpty();
    const QString footer = !simA && !simB
        ? tr("Hybridscope comparison")
        : tr("Hybridscope comparison (A %1, B %2)")
              .arg(simA ? tr("SIMULATED") : tr("measured"), simB ? tr("SIMULATED") : tr("measured"));
    return toBytes(ComparisonReport::build(a, b, plots, medium), format, footer);
}

QByteArray ReportWriter::renderPhaseComparison(
    const QJsonObject &run, int a, int b, Format format, QString *error, const ReportProgress &progress)
{
    if (a == b) {
        *error = tr("compare two different phases (both are phase %1)").arg(a + 1);
        return {};
    }
    const auto pa = ComparisonReport::phaseAsRun(run, a, error);
    if (!pa)
        return {};
    const auto pb = ComparisonReport::phaseAsRun(run, b, error);
    if (!pb)
        return {};
    bool cancelled = false;
    const std::vector<ReportPlot> plots = ReportPlots::forComparison(*pa, *pb, progress, &cancelled);
    if (cancelled || (progress && !progress(ReportPlots::kPlotCount, kSteps, tr("Writing the document")))) {
        *error = tr("cancelled");
        return {};
    }
    const ReportMedium medium = format == Format::Pdf ? ReportMedium::Print : ReportMedium::Browser;
    return toBytes(
        ComparisonReport::buildPhases(*pa, *pb, plots, medium), format, tr("Hybridscope comparison of two phases"));
}

QByteArray ReportWriter::renderSweep(const QJsonObject &sweep, Format format)
{
    const std::vector<ReportPlot> plots = SweepReport::plots(sweep);
    const ReportMedium medium = format == Format::Pdf ? ReportMedium::Print : ReportMedium::Browser;
    return toBytes(SweepReport::build(sweep, plots, medium), format, tr("Hybridscope sweep") + simulatedMark(sweep));
}

bool ReportWriter::writeSweep(const QJsonObject &sweep, const QString &path, QString *error)
{
    const Format f = formatOf(path);
    return checkFormat(f, path, error) && write(renderSweep(sweep, f), path, error);
}

QByteArray ReportWriter::renderTune(const QJsonObject &tune, Format format)
{
    const std::vector<ReportPlot> plots = TuneReport::plots(tune);
    const ReportMedium medium = format == Format::Pdf ? ReportMedium::Print : ReportMedium::Browser;
    return toBytes(TuneReport::build(tune, plots, medium), format, tr("Hybridscope tune") + simulatedMark(tune));
}

bool ReportWriter::writeTune(const QJsonObject &tune, const QString &path, QString *error)
{
    const Format f = formatOf(path);
    return checkFormat(f, path, error) && write(renderTune(tune, f), path, error);
}

QByteArray ReportWriter::renderCalibration(const QJsonObject &profile, Format format)
{
    const std::vector<ReportPlot> plots = CalibrationReport::plots(profile);
    const ReportMedium medium = format == Format::Pdf ? ReportMedium::Print : ReportMedium::Browser;
    const QString host
        = profile.value(QStringLiteral("machine")).toObject().value(QStringLiteral("hostname")).toString();
    return toBytes(CalibrationReport::build(profile, plots, medium), format,
        tr("Hybridscope calibration of %1, %2").arg(host, profile.value(QStringLiteral("date")).toString()));
}

bool ReportWriter::writeCalibration(const QJsonObject &profile, const QString &path, QString *error)
{
    const Format f = formatOf(path);
    return checkFormat(f, path, error) && write(renderCalibration(profile, f), path, error);
}

bool ReportWriter::writeRun(const QJsonObject &run, const QString &path, QString *error, const ReportProgress &progress)
{
    const Format f = formatOf(path);
    return checkFormat(f, path, error) && write(renderRun(run, f, progress), path, error);
}

bool ReportWriter::writeComparison(
    const QJsonObject &a, const QJsonObject &b, const QString &path, QString *error, const ReportProgress &progress)
{
    const Format f = formatOf(path);
    return checkFormat(f, path, error) && write(renderComparison(a, b, f, progress), path, error);
}

bool ReportWriter::writePhaseComparison(
    const QJsonObject &run, int a, int b, const QString &path, QString *error, const ReportProgress &progress)
{
    const Format f = formatOf(path);
    if (!checkFormat(f, path, error))
        return false;
    const QByteArray bytes = renderPhaseComparison(run, a, b, f, error, progress);
    return !bytes.isEmpty() && writeFileAtomically(path, bytes, error);
}

} // namespace hs
