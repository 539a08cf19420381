#include "scenario/units.h"

#include <algorithm>
#include <cmath>

namespace hs {

namespace {

struct Unit {
    const char16_t *name;
    double factor; ///< multiplier to the base unit, or when below 1 the reciprocal of its divisor
};

/// `value` in the base unit. Sub-units divide by a whole number (100us is 100 / 1e6 s) rather than
/// multiply by an inexact fraction (100 * 1e-6 is 9.999999999999999e-05, just below 100e-6, the
/// smallest heartbeat allowed).
double inBaseUnit(double value, double factor)
{
    return factor < 1 ? value / std::round(1.0 / factor) : value * factor;
}

// µ typed as MICRO SIGN (U+00B5) or GREEK SMALL LETTER MU (U+03BC) both mean micro.
constexpr Unit kDurationUnits[] = { { u"ns", 1e-9 }, { u"us", 1e-6 }, { u"\u00b5s", 1e-6 }, { u"\u03bcs", 1e-6 },
    { u"ms", 1e-3 }, { u"s", 1.0 }, { u"m", 60.0 }, { u"min", 60.0 }, { u"h", 3600.0 } };
constexpr Unit kSizeUnits[] = { { u"B", 1.0 }, { u"KB", 1e3 }, { u"kB", 1e3 }, { u"MB", 1e6 }, { u"GB", 1e9 },
    { u"KiB", 1024.0 }, { u"MiB", 1048576.0 }, { u"GiB", 1073741824.0 } };
constexpr Unit kRateUnits[] = { { u"us", 1e-6 }, { u"\u00b5s", 1e-6 }, { u"\u03bcs", 1e-6 }, { u"ms", 1e-3 },
    { u"s", 1.0 }, { u"m", 60.0 }, { u"min", 60.0 }, { u"h", 3600.0 } };

QString quoted(QStringView text)
{
    return quotedValue(text);
}

void setError(QString *error, const QString &message)
{
    if (error)
        *error = message;
}

bool isAsciiDigit(QChar c)
{
    return c >= u'0' && c <= u'9';
}

struct Number {
    double value = 0;
    bool negative = false;
    bool integral = true; ///< written without a fraction or exponent
    qsizetype end = 0; ///< index just past the number
};

// A decimal number at the start of `s`: [+-]digits[.digits][e[+-]digits]. No inf, nan or hex.
std::optional<Number> leadingNumber(QStringView s)
{
    Number n;
    qsizetype i = 0;
    if (i < s.size() && (s[i] == u'+' || s[i] == u'-')) {
        n.negative = s[i] == u'-';
        ++i;
    }
    const qsizetype start = i;
    qsizetype digits = 0;
    while (i < s.size() && isAsciiDigit(s[i])) {
        ++i;
        ++digits;
    }
    if (i < s.size() && s[i] == u'.') {
        n.integral = false;
        ++i;
        while (i < s.size() && isAsciiDigit(s[i])) {
            ++i;
            ++digits;
        }
    }
    if (digits == 0)
        return std::nullopt;
    if (i < s.size() && (s[i] == u'e' || s[i] == u'E')) {
        qsizetype j = i + 1;
        if (j < s.size() && (s[j] == u'+' || s[j] == u'-'))
            ++j;
        if (j < s.size() && isAsciiDigit(s[j])) {
            while (j < s.size() && isAsciiDigit(s[j]))
                ++j;
            n.integral = false;
            i = j;
        }
    }
    bool ok = false;
    n.value = s.sliced(start, i - start).toDouble(&ok);
    if (!ok || !std::isfinite(n.value))
        return std::nullopt;
    n.end = i;
    return n;
}

template<std::size_t N> std::optional<double> unitFactor(const Unit (&units)[N], QStringView unit)
{
    for (const Unit &u : units)
        if (unit == QStringView(u.name))
            return u.factor;
    return std::nullopt;
}

// "5MS" is almost certainly "5ms": offer the unit whose spelling differs only in case.
template<std::size_t N> QString caseHint(const Unit (&units)[N], QStringView number, QStringView unit)
{
    for (const Unit &u : units)
        if (unit.compare(QStringView(u.name), Qt::CaseInsensitive) == 0)
            return QStringLiteral(" (did you mean ") + number.toString() + QStringView(u.name).toString()
                + QStringLiteral("?)");
    return {};
}

const QString &durationExpectation()
{
    static const QString s = QStringLiteral("expected a duration like 5ms, 200us, 1.5s");
    return s;
}

const QString &sizeExpectation()
{
    static const QString s = QStringLiteral("expected a size like 512B, 64KiB, 1MiB");
    return s;
}

const QString &rateExpectation()
{
    static const QString s = QStringLiteral("expected a rate like 300/s, 5/ms, 60/m");
    return s;
}

} // namespace

QString quotedValue(QStringView text)
{
    constexpr qsizetype kMaxShown = 80;
    QString out;
    out.reserve(std::min(text.size(), kMaxShown) + 8);
    out += QLatin1Char('"');
    qsizetype shown = 0;
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (shown == kMaxShown) {
            out += QStringLiteral("…");
            break;
        }
        const QChar c = text[i];
        ++shown;
        if (c.isHighSurrogate() && i + 1 < text.size() && text[i + 1].isLowSurrogate()) {
            out += c;
            out += text[++i];
        } else if (c == u'\n')
            out += QStringLiteral("\\n");
        else if (c == u'\r')
            out += QStringLiteral("\\r");
        else if (c == u'\t')
            out += QStringLiteral("\\t");
        else if (c.unicode() < 0x20 || c.unicode() == 0x7f || c == QChar::LineSeparator
            || c == QChar::ParagraphSeparator || c.unicode() == 0x85)
            out += QStringLiteral("\\x{%1}").arg(c.unicode(), 0, 16);
        else
            out += c;
    }
    out += QLatin1Char('"');
    return out;
}

std::optional<double> parseDuration(const QString &text, QString *error)
{
    const QStringView t = QStringView(text).trimmed();
    const auto n = leadingNumber(t);
    if (!n) {
        setError(error, durationExpectation() + QStringLiteral("; got ") + quoted(t));
        return std::nullopt;
    }
    if (n->negative && n->value != 0) {
        setError(error, QStringLiteral("a duration cannot be negative; got ") + quoted(t));
        return std::nullopt;
    }
    const QStringView unit = t.sliced(n->end).trimmed();
    if (unit.isEmpty()) {
        if (n->value == 0)
            return 0.0;
        setError(
            error, QStringLiteral("a duration needs a unit (ns, us, ms, s, m, h), like 5ms or 5s; got ") + quoted(t));
        return std::nullopt;
    }
    const auto factor = unitFactor(kDurationUnits, unit);
    if (!factor) {
        setError(error,
            durationExpectation() + QStringLiteral("; got ") + quoted(t)
                + QStringLiteral(" (units: ns, us, ms, s, m, h)") + caseHint(kDurationUnits, t.first(n->end), unit));
        return std::nullopt;
    }
    return inBaseUnit(n->value, *factor);
}

std::optional<double> parseSize(const QString &text, QString *error)
{
    const QStringView t = QStringView(text).trimmed();
    const auto n = leadingNumber(t);
    if (!n) {
        setError(error, sizeExpectation() + QStringLiteral("; got ") + quoted(t));
        return std::nullopt;
    }
    if (n->negative && n->value != 0) {
        setError(error, QStringLiteral("a size cannot be negative; got ") + quoted(t));
        return std::nullopt;
    }
    const QStringView unit = t.sliced(n->end).trimmed();
    if (unit.isEmpty()) {
        if (!n->integral) {
            setError(error,
                QStringLiteral("a size without a unit is a whole number of bytes; got ") + quoted(t)
                    + QStringLiteral(" (add a unit: B, KiB, MiB, GiB, KB, MB, GB)"));
            return std::nullopt;
        }
        return n->value;
    }
    const auto factor = unitFactor(kSizeUnits, unit);
    if (!factor) {
        setError(error,
            sizeExpectation() + QStringLiteral("; got ") + quoted(t)
                + QStringLiteral(" (units: B, KiB, MiB, GiB, KB, MB, GB)")
                + caseHint(kSizeUnits, t.first(n->end), unit));
        return std::nullopt;
    }
    return std::round(n->value * *factor);
}

std::optional<double> parseRate(const QString &text, QString *error)
{
    const QStringView t = QStringView(text).trimmed();
    const auto n = leadingNumber(t);
    if (!n) {
        setError(error, rateExpectation() + QStringLiteral("; got ") + quoted(t));
        return std::nullopt;
    }
    if (n->negative && n->value != 0) {
        setError(error, QStringLiteral("a rate cannot be negative; got ") + quoted(t));
        return std::nullopt;
    }
    QStringView rest = t.sliced(n->end).trimmed();
    if (rest.isEmpty()) {
        if (n->value == 0)
            return 0.0;
        setError(error,
            QStringLiteral("a rate needs a time unit, like ") + t.toString() + QStringLiteral("/s; got ") + quoted(t));
        return std::nullopt;
    }
    if (!rest.startsWith(u'/')) {
        setError(error, rateExpectation() + QStringLiteral("; got ") + quoted(t));
        return std::nullopt;
    }
    const QStringView unit = rest.sliced(1).trimmed();
    const auto factor = unitFactor(kRateUnits, unit);
    if (!factor) {
        setError(error,
            rateExpectation() + QStringLiteral("; got ") + quoted(t) + QStringLiteral(" (per us, ms, s, m or h)"));
        return std::nullopt;
    }
    // Per sub-unit: multiply by the whole number of them in a second (1000/ms is exactly 1e6/s).
    return *factor < 1 ? n->value * std::round(1.0 / *factor) : n->value / *factor;
}

std::optional<double> parseProbability(const QString &text, QString *error)
{
    const QStringView t = QStringView(text).trimmed();
    const auto n = leadingNumber(t);
    const QString expectation = QStringLiteral("expected a probability from 0 to 1, like 0.01 or 1%; got ") + quoted(t);
    if (!n) {
        setError(error, expectation);
        return std::nullopt;
    }
    const QStringView rest = t.sliced(n->end).trimmed();
    double v = n->negative ? -n->value : n->value;
    if (rest == u"%")
        v /= 100;
    else if (!rest.isEmpty()) {
        setError(error, expectation);
        return std::nullopt;
    }
    if (v < 0 || v > 1) {
        setError(error, expectation);
        return std::nullopt;
    }
    return v;
}

std::optional<Distribution> parseDistribution(const QString &text, Quantity q, QString *error)
{
    const QStringView t = QStringView(text).trimmed();
    const auto parseValue
        = [q](const QString &s, QString *e) { return q == Quantity::Duration ? parseDuration(s, e) : parseSize(s, e); };
    const qsizetype open = t.indexOf(u'(');
    if (open < 0) {
        const auto v = parseValue(t.toString(), error);
        if (!v)
            return std::nullopt;
        return Distribution::fixed(*v);
    }

    const QString name = t.first(open).trimmed().toString();
    struct Shape {
        const char16_t *name;
        Distribution::Kind kind;
        const char16_t *signature;
        int arity;
    };
    static constexpr Shape kShapes[] = {
        { u"exp", Distribution::Kind::Exp, u"exp(mean)", 1 },
        { u"uniform", Distribution::Kind::Uniform, u"uniform(lo,hi)", 2 },
        { u"normal", Distribution::Kind::Normal, u"normal(mean,sd)", 2 },
        { u"lognormal", Distribution::Kind::LogNormal, u"lognormal(median,sigma)", 2 },
    };
    const Shape *shape = nullptr;
    for (const Shape &s : kShapes)
        if (name == QStringView(s.name))
            shape = &s;
    if (!shape) {
        setError(error,
            QStringLiteral("unknown distribution ") + quoted(name)
                + QStringLiteral("; expected exp(mean), uniform(lo,hi), normal(mean,sd) or "
                                 "lognormal(median,sigma); got ")
                + quoted(t));
        return std::nullopt;
    }
    const QString signature = QStringView(shape->signature).toString();
    if (!t.endsWith(u')') || t.indexOf(u')') != t.size() - 1) {
        // A comma inside a flow mapping { ... } ends the plain scalar early, which leaves "uniform(1ms".
        setError(error,
            signature + QStringLiteral(": unbalanced parentheses in ") + quoted(t)
                + QStringLiteral("; inside { ... } put a distribution with a comma in quotes, like "
                                 "\"uniform(1ms, 5ms)\""));
        return std::nullopt;
    }
    const QStringView inner = t.sliced(open + 1, t.size() - open - 2);
    const QList<QStringView> args = inner.split(u',');
    if (args.size() != shape->arity || inner.trimmed().isEmpty()) {
        setError(error,
            signature + QStringLiteral(" takes ") + QString::number(shape->arity)
                + (shape->arity == 1 ? QStringLiteral(" value") : QStringLiteral(" values")) + QStringLiteral("; got ")
                + quoted(t));
        return std::nullopt;
    }

    QString innerError;
    Distribution d;
    d.kind = shape->kind;
    const auto a = parseValue(args[0].toString(), &innerError);
    if (!a) {
        setError(error, signature + QStringLiteral(": ") + innerError);
        return std::nullopt;
    }
    d.a = *a;
    if (shape->arity == 1)
        return d;

    if (shape->kind == Distribution::Kind::LogNormal) {
        const QStringView sigmaText = args[1].trimmed();
        const auto sigma = leadingNumber(sigmaText);
        if (!sigma || sigma->end != sigmaText.size() || sigma->negative || sigma->value > kMaxLogNormalSigma) {
            setError(error,
                signature + QStringLiteral(": sigma is a plain number from 0 to ") + QString::number(kMaxLogNormalSigma)
                    + QStringLiteral(", like 0.5; got ") + quoted(sigmaText));
            return std::nullopt;
        }
        if (d.a <= 0) {
            setError(error, signature + QStringLiteral(": the median must be above 0; got ") + quoted(t));
            return std::nullopt;
        }
        d.b = sigma->value;
        return d;
    }

    const auto b = parseValue(args[1].toString(), &innerError);
    if (!b) {
        setError(error, signature + QStringLiteral(": ") + innerError);
        return std::nullopt;
    }
    d.b = *b;
    if (shape->kind == Distribution::Kind::Uniform && d.a > d.b) {
        setError(error, signature + QStringLiteral(": lo must not exceed hi; got ") + quoted(t));
        return std::nullopt;
    }
    return d;
}

} // namespace hs
