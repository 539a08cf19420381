#include "calibrate.h"

#include "cli.h"
#include "pointargs.h"

#include "sim/calibration.h"

#ifdef HS_WITH_GUI
#include "reportwriter.h"
#endif

#include <QDir>
#include <QFileInfo>
#include <QSet>

namespace hs {

using cli::err;
using cli::out;

int runCalibrate(const QStringList &args)
{
    bool quick = false, quiet = false;
    QString json, report;
    QSet<QString> seen;
    for (int i = 0; i < args.size(); ++i) {
        const QString a = args[i];
        if (seen.contains(a)) {
            err(QStringLiteral("hybridscope calibrate: %1 given twice; give it once\n").arg(a));
            return kExitBadInput;
        }
        seen.insert(a);
        if (a == QLatin1String("--quick")) {
            quick = true;
        } else if (a == QLatin1String("--quiet")) {
            quiet = true;
        } else if (a == QLatin1String("--json") || a == QLatin1String("--report")) {
            QString v;
            if (!cli::flagValue("calibrate", args, &i, &v))
                return kExitBadInput;
            (a == QLatin1String("--json") ? json : report) = v;
        } else {
            err(QStringLiteral("hybridscope calibrate: unknown option %1 (calibrate takes --quick, --json FILE, "
                               "--report FILE, --quiet)\n")
                    .arg(a));
            return kExitBadInput;
        }
    }
    if (json.isEmpty()) {
        json = calibrationPath();
        // The profile's own directory is made once, as the first calibration's.
        if (!QDir().mkpath(QFileInfo(json).absolutePath())) {
            err(QStringLiteral("hybridscope calibrate: cannot create the directory %1\n")
                    .arg(QFileInfo(json).absolutePath()));
            return kExitBadInput;
        }
    }
    QString why;
    if (!report.isEmpty() && !cli::checkReportPath(QStringLiteral("calibrate"), report, &why)) {
        err(why);
        return kExitBadInput;
    }
    if (!cli::checkOutputs("calibrate", { { "--json", json }, { "--report", report } }))
        return kExitBadInput;

    CalibrationOptions options;
    options.quick = quick;
    if (!quiet)
        options.progress = [](const QString &step) {
            err(QStringLiteral("  measuring %1\n").arg(step));
            return true;
        };
    const std::optional<CalibrationProfile> p = calibrate(options, &why);
    if (!p) {
        err(QStringLiteral("hybridscope calibrate: %1\n").arg(why));
        return kExitBadInput;
    }
    out(calibrationSummary(*p));
    bool wrote = true;
    if (writeCalibration(*p, json, &why))
        out(QStringLiteral("wrote %1\n").arg(json));
    else
        wrote = false, err(QStringLiteral("hybridscope calibrate: --json: ") + why + QLatin1Char('\n'));
#ifdef HS_WITH_GUI
    if (!report.isEmpty()) {
        if (ReportWriter::writeCalibration(calibrationToJson(*p), report, &why))
            out(QStringLiteral("wrote %1\n").arg(report));
        else
            wrote = false, err(QStringLiteral("hybridscope calibrate: --report: ") + why + QLatin1Char('\n'));
    }
#endif
    return wrote ? kExitOk : kExitBadInput;
}

} // namespace hs
