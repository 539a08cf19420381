#pragma once

// The scenario validator (internal to scenario/): walks a YAML tree, collects errors with their
// positions (or the --set that caused them), and fills a Scenario.

#include "scenario/fieldrules.h"
#include "scenario/scenario.h"
#include "scenario/scenarioparser.h"
#include "scenario/units.h"
#include "scenario/yamltree.h"

#include <QHash>
#include <QRegularExpression>
#include <QString>

#include <optional>
#include <vector>

namespace hs::parsing {

/// Walks the tree, collects errors, and fills a Scenario.
class Validator {
public:
    Validator(QString file, const std::vector<Override> &sets)
        : m_file(std::move(file))
        , m_sets(sets)
    { }

    std::vector<ScenarioError> errors;

    void error(int line, int column, int origin, const QString &message)
    {
        if (int(errors.size()) >= kMaxErrors) {
            m_truncated = true;
            return;
        }
        if (origin > 0 && std::size_t(origin) <= m_sets.size()) {
            const Override &o = m_sets[std::size_t(origin - 1)];
            errors.push_back({ QStringLiteral("--set"), 0, 0,
                QStringLiteral("--set ") + o.path + QLatin1Char('=') + o.value + QStringLiteral(": ") + message });
            return;
        }
        errors.push_back({ m_file, line, column, message });
    }
    void error(const YNode &n, const QString &message) { error(n.line, n.column, n.origin, message); }
    /// An error at the file's `at` that a --set caused by changing `cause` (a stage's work, an
    /// arrival's process): it names that --set, and the file's line, rather than blaming the file.
    void error(const YEntry &at, const YNode &cause, const QString &message)
    {
        if (cause.origin > 0 && at.origin == 0)
            error(
                0, 0, cause.origin, message + QStringLiteral(" (line ") + QString::number(at.line) + QLatin1Char(')'));
        else
            error(at, message);
    }
    void error(const YNode &at, const YNode &cause, const QString &message)
    {
        if (cause.origin > 0 && at.origin == 0)
            error(
                0, 0, cause.origin, message + QStringLiteral(" (line ") + QString::number(at.line) + QLatin1Char(')'));
        else
            error(at, message);
    }
    /// A name used twice: blamed on the second use, unless only the first came from a --set (a
    /// rename onto a name the file uses later), which is then the one to blame.
    void duplicateName(const YNode &first, const YNode &second, const QString &what, const QString &rule)
    {
        if (first.origin > 0 && second.origin == 0) {
            error(0, 0, first.origin,
                QStringLiteral("duplicate ") + what + QStringLiteral(" (the file uses it at line ")
                    + QString::number(second.line) + QStringLiteral("); ") + rule);
            return;
        }
        QString where;
        if (first.origin > 0 && std::size_t(first.origin) <= m_sets.size()) {
            const Override &o = m_sets[std::size_t(first.origin - 1)];
            where = QStringLiteral("first set by --set ") + o.path + QLatin1Char('=') + o.value;
        } else {
            where = QStringLiteral("first at line ") + QString::number(first.line);
        }
        error(
            second, QStringLiteral("duplicate ") + what + QStringLiteral(" (") + where + QStringLiteral("); ") + rule);
    }
    void error(const YEntry &e, const QString &message) { error(e.line, e.column, e.origin, message); }

    bool truncated() const { return m_truncated; }

    std::optional<LeafValue> readLeaf(const YNode &n, const QString &key, const Rule &r)
    {
        if (n.type == YNode::Type::Null && r.leaf == Leaf::Text)
            return LeafValue {};
        if (n.type == YNode::Type::Null && r.leaf == Leaf::NonEmptyText) {
            error(n, key + QStringLiteral(": must not be empty"));
            return std::nullopt;
        }
        if (n.type != YNode::Type::Scalar) {
            error(n, key + QStringLiteral(": expected ") + describe(r) + QStringLiteral("; got ") + nodeKind(n));
            return std::nullopt;
        }
        const QString text = n.text.trimmed();
        LeafValue v;
        QString why;
        switch (r.leaf) {
        case Leaf::Text: v.text = n.text; return v;
        case Leaf::NonEmptyText:
            if (text.isEmpty()) {
                error(n, key + QStringLiteral(": must not be empty"));
                return std::nullopt;
            }
            v.text = text;
            return v;
        case Leaf::Name:
            if (!isValidName(text)) {
                error(n,
                    key + QStringLiteral(": ") + quoted(n.text)
                        + QStringLiteral(" is not a valid name; use only letters, digits, '_' and '-'"));
                return std::nullopt;
            }
            v.text = text;
            return v;
        case Leaf::Int: {
            static const QRegularExpression re(QStringLiteral("^[+-]?[0-9]+$"));
            if (!re.match(text).hasMatch()) {
                error(n, key + QStringLiteral(": expected ") + describe(r) + QStringLiteral("; got ") + quoted(n.text));
                return std::nullopt;
            }
            bool ok = false;
            const qint64 i = text.toLongLong(&ok);
            if (!ok || double(i) < r.min || double(i) > r.max) {
                QString message = key + QStringLiteral(": ") + text + QStringLiteral(" is out of range; expected ")
                    + QString::number(qint64(r.min));
                if (r.max > r.min)
                    message += QStringLiteral(" to ") + QString::number(qint64(r.max));
                if (!r.note.isEmpty())
                    message += QStringLiteral(" (") + r.note + QLatin1Char(')');
                error(n, message);
                return std::nullopt;
            }
            v.integer = i;
            return v;
        }
        case Leaf::Seed: {
            static const QRegularExpression re(QStringLiteral("^[0-9]+$"));
            bool ok = false;
            const quint64 s = text.toULongLong(&ok);
            if (!re.match(text).hasMatch() || !ok) {
                error(n, key + QStringLiteral(": expected ") + describe(r) + QStringLiteral("; got ") + quoted(n.text));
                return std::nullopt;
            }
            v.seed = s;
            return v;
        }
        case Leaf::Bool:
            if (text == QLatin1String("true") || text == QLatin1String("True") || text == QLatin1String("TRUE")) {
                v.flag = true;
                return v;
            }
            if (text == QLatin1String("false") || text == QLatin1String("False") || text == QLatin1String("FALSE")) {
                v.flag = false;
                return v;
            }
            error(n, key + QStringLiteral(": expected true or false; got ") + quoted(n.text));
            return std::nullopt;
        case Leaf::Probability: {
            const auto p = parseProbability(text, &why);
            if (!p) {
                error(n, key + QStringLiteral(": ") + why);
                return std::nullopt;
            }
            v.number = *p;
            return v;
        }
        case Leaf::Duration: {
            const auto d = parseDuration(text, &why);
            if (!d) {
                error(n, key + QStringLiteral(": ") + why);
                return std::nullopt;
            }
            if (!checkRange(n, key, *d, r, formatDuration))
                return std::nullopt;
            v.number = *d;
            return v;
        }
        case Leaf::Rate: {
            const auto rate = parseRate(text, &why);
            if (!rate) {
                error(n, key + QStringLiteral(": ") + why);
                return std::nullopt;
            }
            if (!checkRange(n, key, *rate, r, formatRate))
                return std::nullopt;
            v.number = *rate;
            return v;
        }
        case Leaf::DurationDist:
        case Leaf::SizeDist: {
            const bool isDuration = r.leaf == Leaf::DurationDist;
            const auto d = parseDistribution(text, isDuration ? Quantity::Duration : Quantity::Size, &why);
            if (!d) {
                error(n, key + QStringLiteral(": ") + why);
                return std::nullopt;
            }
            if (!checkDistribution(n, key, *d, r, isDuration ? formatDuration : formatSize))
                return std::nullopt;
            v.dist = *d;
            v.dist.cap = r.max;
            return v;
        }
        case Leaf::Choice:
            if (!r.choices.contains(text)) {
                QString message = key + QStringLiteral(": expected ") + joinChoices(r.choices)
                    + QStringLiteral("; got ") + quoted(n.text);
                const QString guess = closest(text, r.choices);
                if (!guess.isEmpty())
                    message += QStringLiteral(" (did you mean ") + quoted(guess) + QStringLiteral("?)");
                error(n, message);
                return std::nullopt;
            }
            v.text = text;
            return v;
        }
        return std::nullopt;
    }

    /// The scenario in `root`; with `withLesson` false the lesson block is skipped (lesson steps
    /// are checked against the rest of the scenario, each in turn).
    Scenario validate(const YNode &root, bool withLesson = true);

private:
    QString m_file;
    const std::vector<Override> &m_sets;
    bool m_truncated = false;

    bool checkRange(const YNode &n, const QString &key, double value, const Rule &r, QString (*format)(double))
    {
        if (r.zeroAllowed && value == 0)
            return true;
        if (r.leaf == Leaf::Duration && value > 0 && value < kMinPositiveDuration) {
            error(n,
                key + QStringLiteral(": ") + quoted(n.text.trimmed())
                    + QStringLiteral(" is below 1ns, the resolution of the clock; use 0 or at least 1ns"));
            return false;
        }
        const QString note = r.note.isEmpty() ? QString() : QStringLiteral(" (") + r.note + QLatin1Char(')');
        if (r.leaf == Leaf::Rate && value <= 0 && !r.zeroAllowed) {
            error(n, key + QStringLiteral(": must be above 0/s; got ") + quoted(n.text.trimmed()));
            return false;
        }
        if (r.minExclusive && value <= r.min) {
            error(n,
                key + QStringLiteral(": must be above ") + format(r.min) + QStringLiteral("; got ")
                    + quoted(n.text.trimmed()));
            return false;
        }
        if (value < r.min) {
            error(n,
                key + QStringLiteral(": must be at least ") + format(r.min) + note + QStringLiteral("; got ")
                    + quoted(n.text.trimmed()));
            return false;
        }
        if (value > r.max) {
            error(n,
                key + QStringLiteral(": ") + quoted(n.text.trimmed()) + QStringLiteral(" is too large; at most ")
                    + format(r.max));
            return false;
        }
        return true;
    }

    bool checkDistribution(
        const YNode &n, const QString &key, const Distribution &d, const Rule &r, QString (*format)(double))
    {
        using K = Distribution::Kind;
        const bool twoValues = d.kind == K::Uniform || d.kind == K::Normal;
        const bool isDuration = r.leaf == Leaf::DurationDist;
        const auto tooFine = [](double x) { return x > 0 && x < kMinPositiveDuration; };
        if (isDuration && (tooFine(d.a) || (twoValues && tooFine(d.b)))) {
            error(n,
                key + QStringLiteral(": ") + quoted(n.text.trimmed())
                    + QStringLiteral(" has a value below 1ns, the resolution of the clock; use 0 or at least 1ns"));
            return false;
        }
        if (d.a > r.max || (twoValues && d.b > r.max)) {
            error(n,
                key + QStringLiteral(": ") + quoted(n.text.trimmed())
                    + QStringLiteral(" is too large; values must be at most ") + format(r.max));
            return false;
        }
        if (r.minExclusive) {
            // The quantity must be able to be positive: a time of 0 or exp(0) does nothing.
            const double top = d.kind == K::Uniform ? d.b : d.a;
            if (top <= 0) {
                error(n, key + QStringLiteral(": must be above 0; got ") + quoted(n.text.trimmed()));
                return false;
            }
        }
        return true;
    }

    std::optional<LeafValue> field(const YNode &map, const QString &key, const QString &rulePath)
    {
        const YNode *v = map.value(key);
        if (!v)
            return std::nullopt;
        return readLeaf(*v, key, rule(rulePath));
    }

    /// A mapping section; nothing (`loop:`) counts as an empty one.
    bool isSection(const YNode &n, const QString &key, const QString &expected)
    {
        if (n.type == YNode::Type::Map || n.type == YNode::Type::Null)
            return true;
        error(n, key + QStringLiteral(": expected a mapping ") + expected + QStringLiteral("; got ") + nodeKind(n));
        return false;
    }

    void checkKeys(const YNode &map, const QStringList &known, const QString &where)
    {
        for (const YEntry &e : map.entries) {
            if (known.contains(e.key))
                continue;
            if (int(errors.size()) >= kMaxErrors) {
                m_truncated = true; // and no suggestions worked out for errors nobody sees
                return;
            }
            if (e.key == QLatin1String("<<")) {
                error(e, QStringLiteral("YAML merge keys (<<) are not supported; write the keys out"));
                continue;
            }
            if (e.value->type == YNode::Type::Null && e.key.endsWith(QLatin1Char(')'))
                && !e.key.contains(QLatin1Char('('))) {
                // The tail of "uniform(1ms, 2ms)" cut off by a comma inside { ... }.
                error(e,
                    QStringLiteral("stray ") + quoted(e.key) + QStringLiteral(" in ") + where
                        + QStringLiteral(": a comma inside { ... } ended the previous value early; put a "
                                         "distribution with a comma in quotes, like \"uniform(1ms, 5ms)\""));
                continue;
            }
            QString message = QStringLiteral("unknown key ") + quoted(e.key) + QStringLiteral(" in ") + where;
            const QString guess = closest(e.key, known);
            if (!guess.isEmpty())
                message += QStringLiteral("; did you mean ") + quoted(guess) + QLatin1Char('?');
            else
                message += QStringLiteral("; expected one of: ") + known.join(QStringLiteral(", "));
            error(e, message);
        }
    }

    void require(const YNode &map, const QString &key, const QString &where, const QString &example)
    {
        if (!map.entry(key))
            error(map, where + QStringLiteral(": missing ") + quoted(key) + QStringLiteral(", like ") + example);
    }

    void readSla(const YNode &parent, const QString &rulePath, std::optional<double> &out);
    void readDomains(const YNode &n, Scenario &s);
    void readAutoscale(const YNode &a, const QString &where, DomainConfig &cfg);
    void readLesson(const YNode &n, Scenario &s);
    void readLessonCheck(const YNode &n, const QString &where, const Scenario &s, LessonStep &step);
    void readClass(const YNode &n, int index, Scenario &s, QHash<QString, const YNode *> &classNames);
    void readArrival(const YNode &n, const QString &className, Arrival &a);
    void readLocks(const YNode &n, const QString &label, Stage &st);
    void checkLockScopes(const Scenario &s);
    void readStage(
        const YNode &n, int index, const QString &className, TaskClass &c, QHash<QString, const YNode *> &stageNames);
};

} // namespace hs::parsing
