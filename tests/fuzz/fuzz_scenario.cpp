// Fuzz target: a scenario file. The bytes are parsed as `validate`, `run`, `list` and the GUI
// parse them (ScenarioParser::parseText); when they are accepted and hold a lesson, the lesson is
// also applied as the GUI and the lesson tests apply it (every step's overrides on top of the
// file) and rendered as `list` shows it. Whatever the input: no crash, no leak, no hang, an
// answer that is either a scenario or errors, and every error on one line with a message.
#include "scenario/lesson.h"
#include "scenario/scenarioparser.h"

#include <cstdint>
#include <cstdlib>

namespace {

void check(bool ok)
{
    if (!ok)
        std::abort(); // the fuzzer reports the input
}

void checkResult(const hs::ParseResult &r)
{
    check(r.ok() == r.errors.empty());
    for (const hs::ScenarioError &e : r.errors) {
        check(!e.message.isEmpty() && e.line >= 0 && e.column >= 0);
        check(!e.toString().contains(QLatin1Char('\n')));
        // Only what concerns the whole file may go without a line and column.
        if (e.line == 0 && e.file != QLatin1String("--set") && e.file != QLatin1String("--route"))
            check(e.message.startsWith(QLatin1String("the scenario is empty"))
                || e.message.startsWith(QLatin1String("too many errors"))
                || e.message.startsWith(QLatin1String("the file is larger than")));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size > std::size_t(hs::ScenarioParser::kMaxFileBytes) + 1)
        return 0;
    const QByteArray yaml(reinterpret_cast<const char *>(data), qsizetype(size));
    const QString source = QStringLiteral("fuzz.yaml");
    const hs::ParseResult r = hs::ScenarioParser::parseText(yaml, source);
    checkResult(r);
    if (!r.ok() || !r.scenario->lesson)
        return 0;
    const hs::Lesson &lesson = *r.scenario->lesson;
    check(!hs::lessonText(lesson).isEmpty());
    // The whole lesson applied, as the GUI parses the scenario at its last step. (Its steps are then
    // checked once more on top, which a step that renames what it changes may not survive, so
    // only the answer's consistency is checked.)
    std::vector<hs::Override> sets;
    std::vector<hs::RouteOverride> routes;
    hs::lessonOverrides(lesson, int(lesson.steps.size()), &sets, &routes);
    checkResult(hs::ScenarioParser::parseText(yaml, source, sets, routes));
    return 0;
}
