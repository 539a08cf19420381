#include "enginetest.h"

#include "scenario/builtins.h"
#include "scenario/lesson.h"
#include "scenario/scenarioparser.h"

#include <QDebug>
#include <QStringList>
#include <QTest>

namespace hs::test {

std::optional<Scenario> lessonScenario(const QString &name, const Lesson &lesson, int steps, QString *error)
{
    std::vector<Override> sets;
    std::vector<RouteOverride> routes;
    lessonOverrides(lesson, steps, &sets, &routes);
    sets.push_back({ QStringLiteral("duration"), QString::number(lesson.checkDuration) + QLatin1Char('s') });
    ParseResult pr = ScenarioParser::parseFile(builtinScenarioPath(name), sets, routes);
    if (!pr.ok()) {
        *error = pr.errors.front().toString();
        return std::nullopt;
    }
    return std::move(*pr.scenario);
}

std::optional<Scenario> scenarioFromYaml(const QByteArray &yaml, QString *error)
{
    ParseResult r = ScenarioParser::parseText(yaml, QStringLiteral("<test>"));
    if (!r.ok()) {
        QStringList lines;
        for (const ScenarioError &e : r.errors)
            lines << e.toString();
        if (error)
            *error = lines.join(QLatin1Char('\n'));
        else
            qWarning().noquote() << lines.join(QLatin1Char('\n'));
        return std::nullopt;
    }
    return std::move(r.scenario);
}

EngineRun::EngineRun(Scenario scenario, EngineOptions options)
    : m_engine(std::move(scenario), options)
    , m_finished(&m_engine, &Engine::finished)
{ }

bool EngineRun::start()
{
    return m_engine.start(&m_error);
}

bool EngineRun::waitUntil(double seconds, int boundMs)
{
    const bool reached = QTest::qWaitFor([&] { return finished() || m_engine.elapsed() >= seconds; }, boundMs);
    return reached && !finished();
}

bool EngineRun::waitFinished(int boundMs)
{
    // finished() is queued to this thread, so it can only have arrived while events were processed.
    return finished() || m_finished.wait(boundMs);
}

QString countsText(const RunResult &r)
{
    QStringList parts;
    for (const ClassResult &c : r.classes)
        parts << QStringLiteral("%1: submitted %2 = completed %3 + failed %4 + rejected %5 + cancelled %6")
                     .arg(c.name)
                     .arg(c.submitted)
                     .arg(c.completed)
                     .arg(c.failed)
                     .arg(c.rejected)
                     .arg(c.cancelled);
    parts << QStringLiteral("double ends %1").arg(r.doubleEnds);
    return parts.join(QStringLiteral("; "));
}

std::vector<Frame> framesBetween(const std::vector<Frame> &frames, double from, double to)
{
    std::vector<Frame> out;
    for (const Frame &f : frames)
        if (f.t >= from && f.t < to)
            out.push_back(f);
    return out;
}

std::uint64_t reasonCount(const ClassResult &c, const QString &needle)
{
    std::uint64_t n = 0;
    for (auto it = c.failureReasons.cbegin(); it != c.failureReasons.cend(); ++it)
        if (it.key().contains(needle))
            n += it.value();
    return n;
}

QString reasonsText(const ClassResult &c)
{
    QStringList parts;
    for (auto it = c.failureReasons.cbegin(); it != c.failureReasons.cend(); ++it)
        parts << QStringLiteral("\"%1\" x%2").arg(it.key()).arg(it.value());
    return parts.isEmpty() ? QStringLiteral("(none)") : parts.join(QStringLiteral(", "));
}

} // namespace hs::test
