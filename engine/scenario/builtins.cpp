#include "scenario/builtins.h"

#include <QDir>
#include <QFileInfo>

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
