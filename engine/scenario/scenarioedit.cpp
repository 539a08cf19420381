#include "scenario/scenarioedit.h"

#include "scenario/scenarioparser.h"
#include "scenario/scenariowriter.h"
#include "scenario/yamltree.h"

#include <QList>

#include <algorithm>

namespace hs {

namespace {

using parsing::YNode;

// The last line (1-based) anything under `n` starts on.
int lastLine(const YNode &n)
{
    int last = n.line;
    for (const auto &item : n.items)
        last = std::max(last, lastLine(*item));
    for (const auto &e : n.entries)
        last = std::max({ last, e.line, lastLine(*e.value) });
    return last;
}

// Replaces the scalar written at (line, column) of `lines` with `value`; false when the text
// there is not the scalar as read (a value over several lines, an alias, an escape).
bool replaceScalar(QList<QByteArray> &lines, const YNode &n, const QString &value)
{
    if (n.type != YNode::Type::Scalar || n.line < 1 || n.line > lines.size() || n.column < 1)
        return false;
    QByteArray &line = lines[n.line - 1];
    const int at = n.column - 1;
    if (at >= line.size())
        return false;
    const QByteArray text = n.text.toUtf8();
    int length = -1;
    const char first = line[at];
    if (first == '"' || first == '\'') {
        const int close = line.indexOf(first, at + 1);
        if (close < 0 || line.mid(at + 1, close - at - 1) != text)
            return false;
        length = close - at + 1;
    } else if (line.mid(at, text.size()) == text) {
        length = int(text.size());
    } else {
        return false;
    }
    line.replace(at, length, ScenarioWriter::scalar(value).toUtf8());
    return true;
}

// Adds `keys[from..]: value` as block lines after the subtree of `parent`, indented by `indent`.
void insertChain(
    QList<QByteArray> &lines, int afterLine, int indent, const QStringList &keys, int from, const QString &value)
{
    QList<QByteArray> added;
    for (int k = from; k < keys.size(); ++k) {
        QByteArray l(indent + 2 * (k - from), ' ');
        l += keys[k].toUtf8() + ':';
        if (k == keys.size() - 1)
            l += ' ' + ScenarioWriter::scalar(value).toUtf8();
        added << l;
    }
    const int at = std::clamp(afterLine, 0, int(lines.size()));
    for (int k = 0; k < added.size(); ++k)
        lines.insert(at + k, added[k]);
}

// One --set applied to `lines` using the tree of the same text; false when it cannot be in place.
bool applyOne(QList<QByteArray> &lines, const YNode &root, const Override &o)
{
    const QStringList keys = o.path.split(QLatin1Char('.'));
    const YNode *node = &root;
    int keyColumn = 0; // the column of the key whose value `node` is (0: the root)
    int keyLine = 0;
    for (int k = 0; k < keys.size(); ++k) {
        if (node->type == YNode::Type::Null) {
            // `threads:` with nothing under it: the chain goes on the lines after the key.
            if (keyLine == 0)
                return false;
            insertChain(lines, keyLine, keyColumn - 1 + 2, keys, k, o.value);
            return true;
        }
        if (!node->isMap())
            return false;
        const parsing::YEntry *e = node->entry(keys[k]);
        if (!e) {
            if (node->entries.empty() || node->entries.front().column < 1)
                return false;
            // A flow mapping ({a: 1}) keeps its entries on its key's line: not editable by lines.
            if (keyLine > 0 && node->entries.front().line == keyLine)
                return false;
            insertChain(lines, lastLine(*node), node->entries.front().column - 1, keys, k, o.value);
            return true;
        }
        keyLine = e->line;
        keyColumn = e->column;
        node = e->value.get();
    }
    return replaceScalar(lines, *node, o.value);
}

} // namespace

std::optional<QByteArray> editScenarioText(const QByteArray &yaml, const std::vector<Override> &sets, QString *error)
{
    const QString name = QStringLiteral("<edited>");
    const ParseResult expected = ScenarioParser::parseText(yaml, name, sets);
    if (!expected.ok()) {
        *error = expected.errors.front().toString();
        return std::nullopt;
    }
    QByteArray text = yaml;
    // One set at a time, each on the tree of the text as edited so far (line numbers move).
    for (const Override &o : sets) {
        const parsing::BuildOutcome tree = parsing::buildTree(text);
        if (!tree.root || !tree.errors.empty()) {
            *error = QStringLiteral("the file does not read as YAML after an edit");
            return std::nullopt;
        }
        const bool endsWithNewline = text.endsWith('\n');
        QList<QByteArray> lines = text.split('\n');
        if (endsWithNewline)
            lines.removeLast();
        if (!applyOne(lines, *tree.root, o)) {
            *error = QStringLiteral("%1 cannot be edited in place (written in flow style or over several lines)")
                         .arg(o.path);
            return std::nullopt;
        }
        text = lines.join('\n');
        if (endsWithNewline)
            text += '\n';
    }
    const ParseResult got = ScenarioParser::parseText(text, name);
    if (!got.ok() || ScenarioWriter::toYaml(*got.scenario) != ScenarioWriter::toYaml(*expected.scenario)) {
        *error = QStringLiteral("the file edited in place does not read back as the scenario with the new values");
        return std::nullopt;
    }
    return text;
}

} // namespace hs
