#pragma once

#include "scenario/scenario.h"

#include <QByteArray>
#include <QString>

#include <optional>
#include <vector>

namespace hs {

/// One problem found in a scenario: where it is and what was expected instead.
struct ScenarioError {
    QString file; ///< file path, or "--set" / "--route" for command-line overrides
    int line = 0; ///< 1-based; 0 when not applicable
    int column = 0; ///< 1-based
    QString message; ///< what was wrong and what was expected
    /// "file:line:column: message", or "file: message" without a position.
    QString toString() const;
};

struct ParseResult {
    std::optional<Scenario> scenario; ///< set only when there are no errors
    std::vector<ScenarioError> errors;
    bool ok() const { return scenario.has_value(); }
};

/**
 * Reads scenario format v1 (DESIGN §4) into a validated hs::Scenario. Every problem becomes a
 * ScenarioError naming the file, the 1-based line and column of the offending node and what was
 * expected; nothing throws, and hostile input (binary data, alias bombs, huge files) is refused
 * quickly. Overrides are applied to the YAML tree before validation, so they obey the same rules.
 *
 *     const ParseResult r = ScenarioParser::parseFile(path, {{QStringLiteral("seed"), QStringLiteral("7")}});
 *     if (!r.ok()) {
 *         for (const ScenarioError &e : r.errors)
 *             qWarning().noquote() << e.toString();
 *         return 2;
 *     }
 *     const Scenario &s = *r.scenario;
 */
class ScenarioParser {
public:
    /// Files larger than this are refused before any parsing.
    static constexpr qint64 kMaxFileBytes = 1024 * 1024;
    /// YAML nodes a document may expand to, counting every use of an alias.
    static constexpr int kMaxNodes = 100000;
    /// Steps a lesson may have.
    static constexpr int kMaxLessonSteps = 1000;
    /// Lesson steps × YAML nodes of the scenario (without its lesson): each step is checked against
    /// the whole scenario, and this keeps that well under a second.
    static constexpr qint64 kMaxLessonWork = 300000;
    /// Characters of text that aliases may copy, in all.
    static constexpr qint64 kMaxAliasText = 1024 * 1024;

    static ParseResult parseFile(
        const QString &path, const std::vector<Override> &sets = {}, const std::vector<RouteOverride> &routes = {});
    static ParseResult parseText(const QByteArray &yaml, const QString &sourceName,
        const std::vector<Override> &sets = {}, const std::vector<RouteOverride> &routes = {});
    /// "a.b.c=v" -> Override; on a malformed argument returns nullopt and sets *error.
    static std::optional<Override> parseSetArgument(const QString &arg, QString *error);
    /// "class.stage=domain" -> RouteOverride; on a malformed argument returns nullopt and sets *error.
    static std::optional<RouteOverride> parseRouteArgument(const QString &arg, QString *error);
    /**
     * Checks a single field value typed in a GUI (e.g. path "domains.threads.workers", value "16") with
     * the same rules as a file. Returns an empty string when the value is acceptable, else what was
     * expected. Classes and stages are addressed by name ("classes.pipeline.stages.fetch.time"); rules
     * that relate one field to another (e.g. `time` is not allowed on a disk stage) are checked only
     * when a whole scenario is parsed.
     */
    static QString checkField(const QString &path, const QString &value);
};

} // namespace hs
