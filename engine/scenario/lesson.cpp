#include "scenario/lesson.h"

#include <QJsonValue>
#include <QRegularExpression>

namespace hs {

bool Condition::holds(double x) const
{
    switch (op) {
    case Op::Less: return x < value;
    case Op::LessEqual: return x <= value;
    case Op::Greater: return x > value;
    case Op::GreaterEqual: return x >= value;
    }
    return false;
}

QString Condition::toString() const
{
    static const char *const ops[] = { "<", "<=", ">", ">=" };
    return QLatin1String(ops[int(op)]) + QLatin1Char(' ') + QString::number(value, 'g', 6);
}

std::optional<Condition> parseCondition(const QString &text)
{
    static const QRegularExpression re(
        QStringLiteral("^\\s*(<=|>=|<|>)\\s*([-+]?[0-9]*\\.?[0-9]+([eE][-+]?[0-9]+)?)\\s*$"));
    const auto m = re.match(text);
    if (!m.hasMatch())
        return std::nullopt;
    Condition c;
    const QString op = m.captured(1);
    c.op = op == QLatin1String("<") ? Condition::Op::Less
        : op == QLatin1String("<=") ? Condition::Op::LessEqual
        : op == QLatin1String(">")  ? Condition::Op::Greater
                                    : Condition::Op::GreaterEqual;
    c.value = m.captured(2).toDouble();
    return c;
}

std::optional<double> reportValue(const QJsonObject &report, const QString &path)
{
    QJsonValue v = report;
    for (const QString &part : path.split(QLatin1Char('.'))) {
        if (!v.isObject())
            return std::nullopt;
        v = v.toObject().value(part);
    }
    if (v.isBool())
        return v.toBool() ? 1.0 : 0.0;
    if (!v.isDouble())
        return std::nullopt;
    return v.toDouble();
}

bool isLiveSetting(const QString &path)
{
    static const QRegularExpression re(
        QStringLiteral("^domains\\.(loop|threads|tbb|procs)\\.(workers|queue|max_inflight|on_full|"
                       "autoscale\\.(policy|min|max|interval|target_p99))$"));
    return path == QLatin1String("gil.enabled") || re.match(path).hasMatch();
}

bool isLiveStep(const LessonStep &step)
{
    return std::all_of(step.sets.begin(), step.sets.end(), [](const Override &o) { return isLiveSetting(o.path); });
}

void lessonOverrides(
    const Lesson &lesson, int stepsApplied, std::vector<Override> *sets, std::vector<RouteOverride> *routes)
{
    for (int i = 0; i < stepsApplied && i < int(lesson.steps.size()); ++i) {
        const LessonStep &s = lesson.steps[std::size_t(i)];
        sets->insert(sets->end(), s.sets.begin(), s.sets.end());
        routes->insert(routes->end(), s.routes.begin(), s.routes.end());
    }
}

CheckOutcome evaluateCheck(const LessonCheck &check, const QJsonObject &before, const QJsonObject &after)
{
    CheckOutcome out { true, check.metric + QLatin1Char(':') };
    const auto b = reportValue(before, check.metric);
    const auto a = reportValue(after, check.metric);
    const auto part = [&](const QString &label, std::optional<double> v, const std::optional<Condition> &c) {
        if (!c)
            return;
        const bool ok = v && c->holds(*v);
        out.ok = out.ok && ok;
        out.text += QStringLiteral(" %1 %2 (%3 %4)")
                        .arg(label, v ? QString::number(*v, 'g', 4) : QStringLiteral("missing"), c->toString(),
                            ok ? QStringLiteral("ok") : QStringLiteral("FAILED"));
    };
    part(QStringLiteral("before"), b, check.before);
    part(QStringLiteral("after"), a, check.after);
    std::optional<double> ratio;
    if (a && b && *b != 0)
        ratio = *a / *b;
    part(QStringLiteral("after/before"), ratio, check.ratio);
    return out;
}

QString lessonText(const Lesson &lesson)
{
    QString t = lesson.title + QLatin1Char('\n');
    t += QStringLiteral("  goal: ") + lesson.goal + QLatin1Char('\n');
    t += QStringLiteral("  watch: ") + lesson.watch + QLatin1Char('\n');
    if (lesson.needsParallelCpu)
        t += QStringLiteral("  needs parallel CPU: a claim needs two cores computing at once\n");
    for (std::size_t i = 0; i < lesson.steps.size(); ++i) {
        const LessonStep &s = lesson.steps[i];
        QStringList changes;
        for (const RouteOverride &r : s.routes)
            changes << QStringLiteral("route %1=%2").arg(r.key, r.domain);
        for (const Override &o : s.sets)
            changes << QStringLiteral("set %1=%2").arg(o.path, o.value);
        t += QStringLiteral("  step %1: %2 [%3%4]\n")
                 .arg(i + 1)
                 .arg(s.title, changes.join(QStringLiteral(", ")),
                     isLiveStep(s) ? QString() : QStringLiteral("; restarts the run"));
        if (!s.when.isEmpty())
            t += QStringLiteral("          when: ") + s.when + QLatin1Char('\n');
        if (!s.expect.isEmpty())
            t += QStringLiteral("          expect: ") + s.expect + QLatin1Char('\n');
    }
    t += QStringLiteral("  expected: ") + lesson.expected + QLatin1Char('\n');
    t += QStringLiteral("  why: ") + lesson.why + QLatin1Char('\n');
    return t;
}

} // namespace hs
