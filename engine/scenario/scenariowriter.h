#pragma once

#include "scenario/scenario.h"

#include <QByteArray>
#include <QString>

namespace hs {

/**
 * Writes a Scenario as a YAML file of format v1 (DESIGN §4) that ScenarioParser reads back as the
 * same scenario: every field the parser reads, values as a person types them ("5ms", "exp(5ms)",
 * "64KiB", "300/s", through units.h, each checked to read back as the same number), the domains
 * the file declared and no others (an undeclared pool keeps its machine-dependent default), and the
 * lesson block. Settings at their default are left out, except pool sizes, seed, SLA, starvation
 * and GIL, which a reader of a saved configuration looks for.
 *
 *     Scenario s = *ScenarioParser::parseFile(path).scenario;
 *     s.domain(DomainKind::Threads).workers = 16;
 *     const QByteArray yaml = ScenarioWriter::toYaml(s);   // parses back to s
 */
class ScenarioWriter {
public:
    static QByteArray toYaml(const Scenario &scenario);
    /// A YAML scalar for `text`: plain when it reads back as the same text, else double-quoted.
    static QString scalar(const QString &text);
};

} // namespace hs
