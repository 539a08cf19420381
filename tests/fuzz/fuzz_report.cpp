// Fuzz target: reading a JSON report back (`hybridscope report`: a run, the comparison of two
// runs, or a sweep).
// Any bytes must be either accepted, within RunJsonLimits so that rendering is bounded, or
// refused with "NAME:LINE:COLUMN: …" pointing inside the input; never a crash or a hang.

#include "results/report.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QString>

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > std::size_t(hs::RunJsonLimits::kMaxBytes))
        return 0;
    const QByteArray bytes = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    const QString name = QStringLiteral("fuzz.json");
    QJsonObject run;
    QString error;
    QString schema;
    if (hs::parseReportJson(bytes, name, &run, &schema, &error)) {
        // What the plots allocate for: at most kMaxFrameCells points per plot; a sweep's points.
        const qsizetype frames = run.value(QStringLiteral("frames")).toArray().size();
        const qsizetype points = run.value(QStringLiteral("points")).toArray().size();
        if (frames > hs::RunJsonLimits::kMaxFrames || points > 10'000 || !error.isEmpty()
            || (schema != QLatin1String("hybridscope.run/1") && schema != QLatin1String("hybridscope.sweep/1")))
            std::abort();
        return 0;
    }
    // The error names the input and a position inside it: NAME:LINE:COLUMN: …
    if (!error.startsWith(name + QLatin1Char(':')))
        std::abort();
    const QStringList parts = error.mid(name.size() + 1).split(QLatin1Char(':'));
    bool lineOk = false, columnOk = false;
    const int line = parts.value(0).toInt(&lineOk);
    const int column = parts.value(1).toInt(&columnOk);
    if (!lineOk || !columnOk || line < 1 || column < 1 || line > bytes.count('\n') + 1 || column > bytes.size() + 1)
        std::abort();
    return 0;
}
