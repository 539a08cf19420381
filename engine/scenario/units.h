#pragma once

#include "scenario/scenario.h"

#include <QString>

#include <optional>

namespace hs {

/**
 * Parsers for the unit-bearing values of the scenario format (DESIGN §4): durations, sizes,
 * rates and the distributions built from them. Each returns the value in base units (seconds,
 * bytes, events per second) or std::nullopt, and then writes what was expected to `*error`.
 * Values are never negative.
 *
 *     QString why;
 *     std::optional<double> s = parseDuration(QStringLiteral("1.5ms"), &why);   // 0.0015
 *     std::optional<Distribution> d =
 *         parseDistribution(QStringLiteral("exp(5ms)"), Quantity::Duration, &why); // Exp, a = 0.005
 */
enum class Quantity { Duration, Size };

/// `200us`, `5ms`, `1.5s`, `2m`, `1h`, `10ns` (also `µs`); a bare `0` is allowed. Seconds.
std::optional<double> parseDuration(const QString &text, QString *error = nullptr);

/// `512B`, `64KiB`, `1MiB`, `1GiB`, decimal `KB`/`MB`/`GB`; a bare whole number is bytes. Rounded to whole bytes.
std::optional<double> parseSize(const QString &text, QString *error = nullptr);

/// `300/s`, `5/ms`, `60/m`, `10/h`, `2/us`; a bare `0` is allowed. Events per second.
std::optional<double> parseRate(const QString &text, QString *error = nullptr);

/// A plain probability `0.01` or a percentage `1%`, from 0 to 1.
std::optional<double> parseProbability(const QString &text, QString *error = nullptr);

/**
 * A fixed value or `exp(mean)`, `uniform(lo,hi)`, `normal(mean,sd)`, `lognormal(median,sigma)`,
 * whose values are durations or sizes as `q` says (sigma is a plain number from 0 to 3).
 */
std::optional<Distribution> parseDistribution(const QString &text, Quantity q, QString *error = nullptr);

/**
 * `text` in double quotes for an error message, on one line and short: line breaks, tabs and other
 * control characters are written as escapes (\\n, \\t), and a text longer than 80 characters is cut
 * with "…". Every error line then starts with its file:line:column.
 */
QString quotedValue(QStringView text);

/**
 * The other way: text that the parser above reads back as exactly `value` (same double), in the
 * unit that keeps it shortest ("5ms", "1.5s", "250us", "64KiB", "300/s", "1/h"). Used to write a
 * scenario file (ScenarioWriter) and wherever a setting is shown as a person would type it.
 *
 *     formatDuration(0.005);                                  // "5ms"
 *     formatDistribution(Distribution::exp(0.005), Quantity::Duration); // "exp(5ms)"
 */
QString formatDuration(double seconds);
/// Whole bytes ("512B", "64KiB", "1.5MiB").
QString formatSize(double bytes);
/// Events per second ("300/s", "5/ms", "1/h").
QString formatRate(double perSecond);
/// A plain number from 0 to 1 ("0.01").
QString formatProbability(double p);
/// A fixed value or `exp(…)`, `uniform(…, …)`, `normal(…, …)`, `lognormal(median, sigma)`.
QString formatDistribution(const Distribution &d, Quantity q);
/// The shortest decimal text of `v` that reads back as `v` (no exponent for everyday sizes).
QString formatNumber(double v);

/// The largest lognormal sigma accepted: beyond it the tail is absurd (P99.9 over 10^4 × median).
inline constexpr double kMaxLogNormalSigma = 3.0;

} // namespace hs
