// Fuzz target: command-line overrides on top of a built-in scenario (pipeline, which has a
// lesson). Each input line is one argument as `run` takes it: "--route CLASS.STAGE=DOMAIN",
// "--duration D", or "--set PATH=VALUE" (a line without a flag is a --set argument). Arguments go
// through the CLI's own checks (ScenarioParser::parseSetArgument/parseRouteArgument), then into
// ScenarioParser::parseText as `run` passes them. No crash, no hang, consistent answers, every
// error on one line and, for an override, naming the flag.
#include "scenario/builtins.h"
#include "scenario/scenarioparser.h"

#include <QFile>

#include <cstdint>
#include <cstdlib>

namespace {

void check(bool ok)
{
    if (!ok)
        std::abort(); // the fuzzer reports the input
}

const QByteArray &baseScenario()
{
    static const QByteArray bytes = [] {
        QFile f(hs::builtinScenarioPath(QStringLiteral("pipeline")));
        check(f.open(QIODevice::ReadOnly));
        return f.readAll();
    }();
    return bytes;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size > 65536)
        return 0;
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    std::vector<hs::Override> sets;
    std::vector<hs::RouteOverride> routes;
    const QLatin1String routeFlag("--route "), durationFlag("--duration "), setFlag("--set ");
    for (const QString &line : text.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        QString error;
        if (line.startsWith(routeFlag)) {
            if (auto r = hs::ScenarioParser::parseRouteArgument(line.mid(routeFlag.size()), &error))
                routes.push_back(*r);
            else
                check(!error.isEmpty());
        } else if (line.startsWith(durationFlag)) {
            const QString value = line.mid(durationFlag.size());
            if (hs::ScenarioParser::checkField(QStringLiteral("duration"), value).isEmpty())
                sets.push_back({ QStringLiteral("duration"), value });
        } else {
            const QString arg = line.startsWith(setFlag) ? line.mid(setFlag.size()) : line;
            if (auto o = hs::ScenarioParser::parseSetArgument(arg, &error))
                sets.push_back(*o);
            else
                check(!error.isEmpty());
        }
    }
    const QString source = QStringLiteral(":/scenarios/pipeline.yaml");
    const hs::ParseResult r = hs::ScenarioParser::parseText(baseScenario(), source, sets, routes);
    check(r.ok() == r.errors.empty());
    for (const hs::ScenarioError &e : r.errors) {
        check(!e.message.isEmpty() && !e.toString().contains(QLatin1Char('\n')));
        // The built-in file is valid: an error is the overrides' doing and says which one, or it
        // is at a place in the file (a rule that relates a key there to an overridden one).
        check(e.file == QLatin1String("--set") || e.file == QLatin1String("--route") || e.line > 0
            || e.message.startsWith(QLatin1String("too many errors")));
    }
    return 0;
}
