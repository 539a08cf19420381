#pragma once

// The leaf rules of scenario format v1 (internal to scenario/): one table, keyed by the dotted path
// of a field, serves whole-file validation and ScenarioParser::checkField alike.

#include "scenario/scenario.h"

#include <QHash>
#include <QString>
#include <QStringList>

namespace hs::parsing {

/// Rates and durations the format accepts (docs/scenarios.md lists the ranges).
inline constexpr double kHour = 3600.0;
inline constexpr double kMaxRate = 1e6;
// Below one arrival a day a rate means a gap between arrivals far beyond any run (24 h at most):
// such tiny rates overflowed the arrival clock. 0 stays allowed where it means "none" (ramp ends).
inline constexpr double kMinRate = 1.0 / (24 * kHour);
// The engine's clock counts whole nanoseconds: a positive duration below 1 ns would become 0.
inline constexpr double kMinPositiveDuration = 1e-9;
/// DESIGN §15: a lock wait without a `timeout` gives up after this long, so a deadlock never
/// hangs a run (docs/scenarios.md).
inline constexpr double kDefaultLockTimeout = 2.0;
inline constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

enum class Leaf {
    Text,
    NonEmptyText,
    Name,
    Int,
    Seed,
    Bool,
    Probability,
    Duration,
    DurationDist,
    SizeDist,
    Rate,
    Choice
};

struct Rule {
    Leaf leaf = Leaf::Text;
    double min = 0;
    double max = 0;
    bool minExclusive = false; ///< the value must be above `min`
    QStringList choices;
    QString note; ///< why a limit exists, appended to range errors
    bool zeroAllowed = false; ///< 0 is accepted as well (it means "none"), though below `min`
};

struct LeafValue {
    QString text;
    double number = 0;
    qint64 integer = 0;
    quint64 seed = 0;
    bool flag = false;
    Distribution dist;
};

const QStringList &domainNames();
const QHash<QString, Rule> &rules();
const Rule &rule(const QString &path);
QString formatDuration(double s);
QString formatSize(double b);
QString formatRate(double r);
QString joinChoices(const QStringList &choices);
QString describe(const Rule &r);
int editDistance(const QString &a0, const QString &b0);
QString closest(const QString &word, const QStringList &candidates);
bool isValidName(const QString &name);

} // namespace hs::parsing
