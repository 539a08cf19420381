#include "scenario/builtins.h"

#include "scenario/scenarioparser.h"

#include <QDir>
#include <QFileInfo>

#include <algorithm>

static void initScenarioResources()
{
    // Resources compiled into a static library must be registered explicitly.
    Q_INIT_RESOURCE(scenarios);
}

namespace hs {

QStringList builtinScenarioNames()
{
    initScenarioResources();
    QStringList names;
    const auto entries
        = QDir(QStringLiteral(":/scenarios")).entryInfoList({ QStringLiteral("*.yaml") }, QDir::Files, QDir::Name);
    for (const QFileInfo &fi : entries)
        names << fi.completeBaseName();
    // The default first: it is what the GUI opens.
    if (names.removeOne(QStringLiteral("default")))
        names.prepend(QStringLiteral("default"));
    return names;
}

QStringList builtinLessonNames()
{
    static const QStringList kTeachingOrder = { QStringLiteral("blocking-loop"), QStringLiteral("littles-law"),
        QStringLiteral("oversubscription"), QStringLiteral("serialization"), QStringLiteral("backpressure"),
        QStringLiteral("pipeline"), QStringLiteral("gil"), QStringLiteral("mixed-primitives"),
        QStringLiteral("crash-isolation"), QStringLiteral("bursts"), QStringLiteral("tuning") };
    QStringList ordered, rest;
    for (const QString &name : builtinScenarioNames()) {
        const ParseResult r = ScenarioParser::parseFile(builtinScenarioPath(name));
        if (!r.ok() || !r.scenario->lesson)
            continue;
        (kTeachingOrder.contains(name) ? ordered : rest) << name;
    }
    std::sort(ordered.begin(), ordered.end(),
        [](const QString &a, const QString &b) { return kTeachingOrder.indexOf(a) < kTeachingOrder.indexOf(b); });
    return ordered + rest;
}

QString builtinScenarioPath(const QString &name)
{
    initScenarioResources();
    return QStringLiteral(":/scenarios/") + name + QStringLiteral(".yaml");
}

QString resolveScenarioPath(const QString &nameOrPath)
{
    if (QFileInfo::exists(nameOrPath) || nameOrPath.contains(QLatin1Char('/'))
        || nameOrPath.endsWith(QLatin1String(".yaml")))
        return nameOrPath;
    const QString builtin = builtinScenarioPath(nameOrPath);
    return QFileInfo::exists(builtin) ? builtin : nameOrPath;
}

} // namespace hs
