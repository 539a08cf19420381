// The writing half of units.h (the parsing half is units.cpp): every text made here is checked
// against the parser, so what is written reads back as the same double.

#include "scenario/units.h"

#include <QLocale>

#include <cmath>
#include <functional>

namespace hs {

namespace {

struct OutUnit {
    const char *name;
    double factor; ///< base units per unit; below 1 the parser divides by round(1 / factor)
};

constexpr OutUnit kDurations[]
    = { { "h", 3600.0 }, { "m", 60.0 }, { "s", 1.0 }, { "ms", 1e-3 }, { "us", 1e-6 }, { "ns", 1e-9 } };
constexpr OutUnit kSizes[] = { { "GiB", 1073741824.0 }, { "MiB", 1048576.0 }, { "KiB", 1024.0 }, { "B", 1.0 } };
// For rates the factor is the unit's length in seconds: 60/m is 1/s.
constexpr OutUnit kRates[] = { { "s", 1.0 }, { "m", 60.0 }, { "h", 3600.0 }, { "ms", 1e-3 }, { "us", 1e-6 } };

/// `v` expressed in a unit, computed the way the parser computes back (division by whole sub-units).
double inUnit(double v, double factor)
{
    return factor < 1 ? v * std::round(1.0 / factor) : v / factor;
}
double perUnit(double v, double seconds)
{
    return seconds < 1 ? v / std::round(1.0 / seconds) : v * seconds;
}

/// Of the candidate texts that read back exactly, the shortest whose number is at least 1 (100ms
/// rather than 0.1s, 90s rather than 1.5m); only when none is, the shortest of the others.
QString pick(double v, const OutUnit *units, std::size_t n, const std::function<double(double, double)> &convert,
    const QString &separator, const std::function<std::optional<double>(const QString &)> &parse)
{
    QString best;
    bool bestWhole = false;
    for (std::size_t i = 0; i < n; ++i) {
        const double x = convert(v, units[i].factor);
        if (!std::isfinite(x))
            continue;
        const QString text = formatNumber(x) + separator + QLatin1String(units[i].name);
        const auto back = parse(text);
        if (!back || *back != v)
            continue;
        const bool whole = std::abs(x) >= 1;
        if (best.isEmpty() || (whole && !bestWhole) || (whole == bestWhole && text.size() < best.size())) {
            best = text;
            bestWhole = whole;
        }
    }
    return best;
}

} // namespace

QString formatNumber(double v)
{
    if (v == 0)
        return QStringLiteral("0");
    const double a = std::abs(v);
    // Plain decimals for everyday magnitudes; an exponent only where digits would pile up.
    if (a >= 1e-4 && a < 1e15)
        return QString::number(v, 'f', QLocale::FloatingPointShortest);
    return QString::number(v, 'g', QLocale::FloatingPointShortest);
}

QString formatDuration(double seconds)
{
    if (seconds == 0)
        return QStringLiteral("0");
    const QString text = pick(seconds, kDurations, std::size(kDurations), inUnit, QString(),
        [](const QString &t) { return parseDuration(t); });
    // Every double is exact in seconds with 17 digits; the parser multiplies by 1.
    return text.isEmpty() ? QString::number(seconds, 'g', 17) + QLatin1Char('s') : text;
}

QString formatSize(double bytes)
{
    if (bytes == 0)
        return QStringLiteral("0B");
    const QString text
        = pick(bytes, kSizes, std::size(kSizes), inUnit, QString(), [](const QString &t) { return parseSize(t); });
    return text.isEmpty() ? QString::number(std::round(bytes), 'f', 0) + QLatin1Char('B') : text;
}

QString formatRate(double perSecond)
{
    if (perSecond == 0)
        return QStringLiteral("0/s");
    const QString text = pick(perSecond, kRates, std::size(kRates), perUnit, QStringLiteral("/"),
        [](const QString &t) { return parseRate(t); });
    return text.isEmpty() ? QString::number(perSecond, 'g', 17) + QStringLiteral("/s") : text;
}

QString formatProbability(double p)
{
    return formatNumber(p);
}

QString formatDistribution(const Distribution &d, Quantity q)
{
    const auto value = [q](double v) { return q == Quantity::Duration ? formatDuration(v) : formatSize(v); };
    switch (d.kind) {
    case Distribution::Kind::Fixed: return value(d.a);
    case Distribution::Kind::Exp: return QStringLiteral("exp(") + value(d.a) + QLatin1Char(')');
    case Distribution::Kind::Uniform:
        return QStringLiteral("uniform(") + value(d.a) + QStringLiteral(", ") + value(d.b) + QLatin1Char(')');
    case Distribution::Kind::Normal:
        return QStringLiteral("normal(") + value(d.a) + QStringLiteral(", ") + value(d.b) + QLatin1Char(')');
    case Distribution::Kind::LogNormal:
        return QStringLiteral("lognormal(") + value(d.a) + QStringLiteral(", ") + formatNumber(d.b) + QLatin1Char(')');
    }
    return {};
}

} // namespace hs
