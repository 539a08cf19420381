#include "tuning/sweepplan.h"

#include "scenario/scenarioparser.h"
#include "scenario/units.h"

#include <QRegularExpression>

#include <cmath>

namespace hs {

namespace {

// A range end or step: a number with an optional unit ("10ms", "0.5", "300/s").
struct Quantity {
    double value = 0;
    QString unit;
};

std::optional<Quantity> splitQuantity(const QString &text)
{
    static const QRegularExpression re(
        QStringLiteral(R"(^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S*)\s*$)"));
    const auto m = re.match(text);
    if (!m.hasMatch())
        return std::nullopt;
    bool ok = false;
    const double v = m.captured(1).toDouble(&ok);
    if (!ok || !std::isfinite(v))
        return std::nullopt;
    return Quantity { v, m.captured(2) };
}

// 12 significant digits: 0.1 + 0.2 reads "0.3", not "0.30000000000000004".
QString number(double v)
{
    return QString::number(v, 'g', 12);
}

// The values of a range "A..B", "A..BxF" or "A..B:S", or an error.
std::optional<QStringList> expandRange(const QString &text, QString *error)
{
    const qsizetype dots = text.indexOf(QLatin1String(".."));
    const QString loText = text.left(dots).trimmed();
    QString rest = text.mid(dots + 2).trimmed();
    enum class Kind { Integers, Geometric, Step } kind = Kind::Integers;
    QString modText;
    if (const qsizetype colon = rest.indexOf(QLatin1Char(':')); colon >= 0) {
        kind = Kind::Step;
        modText = rest.mid(colon + 1).trimmed();
        rest = rest.left(colon).trimmed();
    } else if (const qsizetype x = rest.lastIndexOf(QLatin1Char('x')); x >= 0) {
        kind = Kind::Geometric;
        modText = rest.mid(x + 1).trimmed();
        rest = rest.left(x).trimmed();
    }
    const QString shape
        = QStringLiteral("a range like 1..16, 1..64x2 (geometric) or 0.5..2:0.25 (step); got ") + quotedValue(text);
    if (loText.isEmpty() || rest.isEmpty()) {
        *error = QStringLiteral("empty range: both ends are needed, ") + shape;
        return std::nullopt;
    }
    const auto lo = splitQuantity(loText);
    const auto hi = splitQuantity(rest);
    if (!lo || !hi) {
        *error = QStringLiteral("expected ") + shape;
        return std::nullopt;
    }
    if (lo->unit != hi->unit) {
        *error = QStringLiteral("the ends of ") + quotedValue(text) + QStringLiteral(" have different units (")
            + quotedValue(lo->unit) + QStringLiteral(" and ") + quotedValue(hi->unit) + QStringLiteral(")");
        return std::nullopt;
    }
    if (hi->value < lo->value) {
        *error = QStringLiteral("empty range ") + quotedValue(text)
            + QStringLiteral(": it ends below its start (reversed ranges are refused; write the smaller end first)");
        return std::nullopt;
    }
    const QString unit = lo->unit;
    const auto tooMany = [&](double n) {
        *error = QStringLiteral("%1 has %2 values; a sweep has at most %3 points")
                     .arg(quotedValue(text))
                     .arg(n >= 1e15 ? QStringLiteral("too many") : number(std::floor(n)))
                     .arg(kMaxSweepPoints);
    };
    QStringList out;
    switch (kind) {
    case Kind::Integers: {
        if (lo->value != std::floor(lo->value) || hi->value != std::floor(hi->value)) {
            *error = QStringLiteral("the range ") + quotedValue(text)
                + QStringLiteral(" counts integers; give a step for fractions, like 0.5..2:0.25");
            return std::nullopt;
        }
        const double n = hi->value - lo->value + 1;
        if (n > kMaxSweepPoints) {
            tooMany(n);
            return std::nullopt;
        }
        for (double v = lo->value; v <= hi->value; v += 1)
            out << number(v) + unit;
        break;
    }
    case Kind::Step: {
        const auto step = splitQuantity(modText);
        if (!step || step->value <= 0 || (!step->unit.isEmpty() && step->unit != unit)) {
            *error = QStringLiteral("bad step ") + quotedValue(modText) + QStringLiteral(" in ") + quotedValue(text)
                + QStringLiteral(": expected a number above 0")
                + (unit.isEmpty() ? QString() : QStringLiteral(" in ") + unit);
            return std::nullopt;
        }
        // A relative tolerance, so that 0.5..2:0.1 ends at 2 despite rounding.
        const double n = std::floor((hi->value - lo->value) / step->value * (1 + 1e-9) + 1e-9) + 1;
        if (n > kMaxSweepPoints) {
            tooMany(n);
            return std::nullopt;
        }
        for (int i = 0; i < int(n); ++i)
            out << number(lo->value + i * step->value) + unit;
        break;
    }
    case Kind::Geometric: {
        const auto factor = splitQuantity(modText);
        if (!factor || !factor->unit.isEmpty() || factor->value <= 1) {
            *error = QStringLiteral("bad factor ") + quotedValue(modText) + QStringLiteral(" in ") + quotedValue(text)
                + QStringLiteral(": expected a plain number above 1, like 1..64x2");
            return std::nullopt;
        }
        if (lo->value <= 0) {
            *error = QStringLiteral("a geometric range starts above 0; got ") + quotedValue(text);
            return std::nullopt;
        }
        const double n = std::floor(std::log(hi->value / lo->value) / std::log(factor->value) + 1e-9) + 1;
        if (n > kMaxSweepPoints) {
            tooMany(n);
            return std::nullopt;
        }
        double v = lo->value;
        for (int i = 0; i < int(n); ++i, v *= factor->value)
            out << number(v) + unit;
        break;
    }
    }
    return out;
}

} // namespace

std::optional<DomainKind> VaryAxis::poolDomain() const
{
    const QStringList segs = path.split(QLatin1Char('.'));
    if (segs.size() != 3 || segs[0] != QLatin1String("domains") || segs[2] != QLatin1String("workers"))
        return std::nullopt;
    const auto d = domainFromName(segs[1]);
    if (!d || *d == DomainKind::Loop)
        return std::nullopt;
    return d;
}

std::optional<DomainKind> VaryAxis::autoscaleDomain() const
{
    const QStringList segs = path.split(QLatin1Char('.'));
    if (segs.size() != 4 || segs[0] != QLatin1String("domains") || segs[2] != QLatin1String("autoscale")
        || segs[3] != QLatin1String("policy"))
        return std::nullopt;
    const auto d = domainFromName(segs[1]);
    if (!d || *d == DomainKind::Loop)
        return std::nullopt;
    return d;
}

std::optional<VaryAxis> parseVaryArgument(const QString &arg, QString *error)
{
    const qsizetype eq = arg.indexOf(QLatin1Char('='));
    VaryAxis axis;
    axis.path = arg.left(eq).trimmed();
    if (eq < 0 || axis.path.isEmpty()) {
        *error = QStringLiteral("expected PATH=VALUES, like domains.threads.workers=1..16 or load=0.5..1.5:0.25; got ")
            + quotedValue(arg);
        return std::nullopt;
    }
    if (axis.path != QLatin1String("load")) {
        QString why;
        if (!ScenarioParser::parseSetArgument(arg, &why)) {
            *error = why;
            return std::nullopt;
        }
        if (axis.path == QLatin1String("duration") || axis.path == QLatin1String("seed")) {
            *error = QStringLiteral("%1 is the sweep's own (--duration, --reps); vary something else").arg(axis.path);
            return std::nullopt;
        }
        // An unknown path is named once, before any value.
        if (const QString e = ScenarioParser::checkField(axis.path, QStringLiteral("1"));
            e.startsWith(QLatin1String("unknown field"))) {
            *error = e + QStringLiteral(" (or load)");
            return std::nullopt;
        }
    }
    const QString text = arg.mid(eq + 1).trimmed();
    if (text.isEmpty()) {
        *error = QStringLiteral("missing values after %1=; like %1=1,2,4 or %1=1..16").arg(axis.path);
        return std::nullopt;
    }
    if (text.contains(QLatin1String(".."))) {
        auto values = expandRange(text, error);
        if (!values)
            return std::nullopt;
        axis.values = *values;
    } else {
        for (const QString &v : text.split(QLatin1Char(','))) {
            if (v.trimmed().isEmpty()) {
                *error = QStringLiteral("empty value in the list ") + quotedValue(text);
                return std::nullopt;
            }
            axis.values << v.trimmed();
        }
        if (axis.values.size() > kMaxSweepPoints) {
            *error = QStringLiteral("the list has %1 values; a sweep has at most %2 points")
                         .arg(axis.values.size())
                         .arg(kMaxSweepPoints);
            return std::nullopt;
        }
    }
    for (const QString &v : axis.values) {
        if (axis.values.count(v) > 1) {
            *error = QStringLiteral("%1 appears twice; each value once").arg(quotedValue(v));
            return std::nullopt;
        }
        if (axis.isLoad()) {
            bool ok = false;
            const double f = v.toDouble(&ok);
            if (!ok || !std::isfinite(f) || f <= 0 || f > kMaxLoadFactor) {
                *error = QStringLiteral("load %1: expected a factor above 0 and at most %2, like 0.5 or 1.5")
                             .arg(quotedValue(v))
                             .arg(kMaxLoadFactor);
                return std::nullopt;
            }
        } else if (const QString e = ScenarioParser::checkField(axis.path, v); !e.isEmpty()) {
            *error = QStringLiteral("value %1: %2").arg(quotedValue(v), e);
            return std::nullopt;
        }
    }
    return axis;
}

std::optional<SweepPlan> SweepPlan::make(std::vector<VaryAxis> axes, QString *error)
{
    if (axes.empty()) {
        *error = QStringLiteral("nothing to vary; give --vary PATH=VALUES");
        return std::nullopt;
    }
    if (axes.size() > 2) {
        *error = QStringLiteral("at most two --vary (a grid); got %1").arg(axes.size());
        return std::nullopt;
    }
    double total = 1;
    for (std::size_t i = 0; i < axes.size(); ++i) {
        total *= double(axes[i].values.size());
        for (std::size_t j = 0; j < i; ++j)
            if (axes[i].path == axes[j].path) {
                *error = QStringLiteral("%1 is varied twice; one --vary per path").arg(axes[i].path);
                return std::nullopt;
            }
    }
    if (total > kMaxSweepPoints) {
        *error = QStringLiteral("%1 points in all (%2); a sweep has at most %3")
                     .arg(total)
                     .arg(axes.size() == 2
                             ? QStringLiteral("%1 × %2").arg(axes[0].values.size()).arg(axes[1].values.size())
                             : QStringLiteral("one axis"))
                     .arg(kMaxSweepPoints);
        return std::nullopt;
    }
    SweepPlan plan;
    plan.m_axes = std::move(axes);
    std::vector<SweepValues> points { SweepValues {} };
    for (const VaryAxis &a : plan.m_axes) {
        std::vector<SweepValues> next;
        for (const SweepValues &p : points)
            for (const QString &v : a.values) {
                SweepValues q = p;
                q.emplace_back(a.path, v);
                next.push_back(std::move(q));
            }
        points = std::move(next);
    }
    plan.m_points = std::move(points);
    return plan;
}

QString sweepValuesText(const SweepValues &values)
{
    QStringList parts;
    for (const auto &[path, v] : values)
        parts << path + QLatin1Char('=') + v;
    return parts.join(QLatin1Char(' '));
}

std::vector<Override> pointOverrides(const SweepValues &values)
{
    std::vector<Override> out;
    for (const auto &[path, value] : values)
        if (path != QLatin1String("load"))
            out.push_back(Override { path, value });
    return out;
}

double pointLoad(const SweepValues &values)
{
    for (const auto &[path, value] : values)
        if (path == QLatin1String("load"))
            return value.toDouble();
    return 1.0;
}

bool scaleLoad(Scenario &scenario, double factor, QString *error)
{
    if (factor == 1.0)
        return true;
    for (TaskClass &c : scenario.classes) {
        Arrival &a = c.arrival;
        a.rate *= factor;
        a.from *= factor;
        a.to *= factor;
        if (a.process == ArrivalProcess::Closed)
            a.clients = std::max(1, int(std::lround(a.clients * factor)));
        const auto check = [&](const char *field, const QString &value) {
            const QString path = QStringLiteral("classes.%1.arrival.%2").arg(c.name, QLatin1String(field));
            if (const QString e = ScenarioParser::checkField(path, value); !e.isEmpty()) {
                *error = QStringLiteral("load %1 takes %2 out of its range: %3").arg(number(factor), path, e);
                return false;
            }
            return true;
        };
        bool ok = true;
        switch (a.process) {
        case ArrivalProcess::Poisson:
        case ArrivalProcess::Constant:
        case ArrivalProcess::Burst: ok = check("rate", formatRate(a.rate)); break;
        case ArrivalProcess::Ramp:
            ok = (a.from == 0 || check("from", formatRate(a.from))) && (a.to == 0 || check("to", formatRate(a.to)));
            break;
        case ArrivalProcess::Closed:
            // With a rate (DESIGN §15) both scale: each client's period clients/rate stays the same.
            ok = check("clients", QString::number(a.clients)) && (a.rate == 0 || check("rate", formatRate(a.rate)));
            break;
        }
        if (!ok)
            return false;
    }
    return true;
}

} // namespace hs
