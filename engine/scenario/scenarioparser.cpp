#include "scenario/scenarioparser.h"

#include "core/safefile.h"
#include "scenario/lesson.h"
#include "scenario/units.h"
#include "scenario/validator.h"
#include "scenario/yamltree.h"

#include <QFile>
#include <QHash>
#include <QRegularExpression>
#include <QSet>
#include <QThread>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <utility>

namespace hs {

QString ScenarioError::toString() const
{
    // One error, one line: a line break inside a message (a multi-line title or --set value) would
    // print a line without the file:line:column that every error line starts with.
    QString text = message;
    text.replace(QLatin1Char('\r'), QStringLiteral("\\r")).replace(QLatin1Char('\n'), QStringLiteral("\\n"));
    QString where = file;
    if (line > 0) {
        where += QLatin1Char(':') + QString::number(line);
        if (column > 0)
            where += QLatin1Char(':') + QString::number(column);
    }
    if (where.isEmpty())
        return text;
    return where + QStringLiteral(": ") + text;
}

namespace {

using namespace parsing;

// ---------------------------------------------------------------------------------------------
// Overrides

/// The node an override puts in the tree: a flow collection when the value starts with { or [,
/// else one plain scalar (so "a: b" stays text), and nothing for an empty value.
YNodePtr overrideValue(const QString &value, int origin, QString *why)
{
    const QString t = value.trimmed();
    YNodePtr node;
    if (t.startsWith(QLatin1Char('{')) || t.startsWith(QLatin1Char('['))) {
        const QByteArray utf8 = t.toUtf8();
        if (const auto bad = checkText(utf8)) {
            *why = bad->message;
            return nullptr;
        }
        BuildOutcome b = buildTree(utf8);
        if (!b.errors.empty() || !b.root) {
            *why = b.errors.empty() ? QStringLiteral("not a YAML value") : b.errors.front().message;
            return nullptr;
        }
        node = std::move(b.root);
    } else {
        node = std::make_shared<YNode>();
        if (!t.isEmpty()) {
            node->type = YNode::Type::Scalar;
            node->text = t;
        }
    }
    setOrigin(*node, origin);
    return node;
}

QString itemNames(const YNode &seq)
{
    QStringList names;
    for (const auto &item : seq.items)
        if (const YNode *name = item->isMap() ? item->value(QStringLiteral("name")) : nullptr;
            name && name->type == YNode::Type::Scalar)
            names << name->text;
    return names.isEmpty() ? QStringLiteral("none") : names.join(QStringLiteral(", "));
}

void applyOverride(YNode &root, const Override &o, int origin, Validator &v)
{
    QString why;
    YNodePtr value = overrideValue(o.value, origin, &why);
    if (!value) {
        v.error(0, 0, origin, why);
        return;
    }
    const QStringList segs = o.path.split(QLatin1Char('.'));
    YNode *cur = &root;
    for (qsizetype i = 0; i < segs.size(); ++i) {
        const QString &seg = segs[i];
        const bool last = i == segs.size() - 1;
        if (cur->type == YNode::Type::Null)
            cur->type = YNode::Type::Map; // an empty section such as "loop:"
        if (cur->type == YNode::Type::Map) {
            YEntry *e = cur->entry(seg);
            if (last) {
                if (e) {
                    e->value = std::move(value);
                    e->origin = origin; // errors about the key itself now concern the override
                } else {
                    cur->entries.push_back(YEntry { seg, 0, 0, origin, std::move(value) });
                }
                return;
            }
            if (!e) {
                auto section = std::make_shared<YNode>();
                section->type = YNode::Type::Map;
                section->origin = origin;
                cur->entries.push_back(YEntry { seg, 0, 0, origin, std::move(section) });
                e = &cur->entries.back();
            }
            cur = e->value.get();
        } else if (cur->type == YNode::Type::Sequence) {
            const QString what = i > 0 && segs[i - 1] == QLatin1String("classes") ? QStringLiteral("class")
                : i > 0 && segs[i - 1] == QLatin1String("stages")                 ? QStringLiteral("stage")
                                                                                  : QStringLiteral("item");
            YNodePtr *found = nullptr;
            for (auto &item : cur->items) {
                const YNode *name = item->isMap() ? item->value(QStringLiteral("name")) : nullptr;
                if (name && name->type == YNode::Type::Scalar && name->text == seg) {
                    found = &item;
                    break;
                }
            }
            if (!found) {
                v.error(0, 0, origin,
                    QStringLiteral("no ") + what + QStringLiteral(" named ") + quoted(seg) + QStringLiteral(" in ")
                        + segs.mid(0, i).join(QLatin1Char('.')) + QStringLiteral(" (there are: ") + itemNames(*cur)
                        + QLatin1Char(')'));
                return;
            }
            if (last) {
                *found = std::move(value);
                return;
            }
            cur = found->get();
        } else {
            v.error(0, 0, origin,
                quoted(segs.mid(0, i).join(QLatin1Char('.')))
                    + QStringLiteral(" is a single value, not a section with ") + quoted(seg));
            return;
        }
    }
}

bool sortsBefore(const ScenarioError &a, const ScenarioError &b)
{
    const auto group = [](const ScenarioError &e) {
        if (e.file == QLatin1String("--set"))
            return 1;
        if (e.file == QLatin1String("--route"))
            return 2;
        return 0;
    };
    const int ga = group(a);
    const int gb = group(b);
    if (ga != gb)
        return ga < gb;
    if (a.line != b.line)
        return a.line < b.line;
    return a.column < b.column;
}

} // namespace

// ---------------------------------------------------------------------------------------------

ParseResult ScenarioParser::parseFile(
    const QString &path, const std::vector<Override> &sets, const std::vector<RouteOverride> &routes)
{
    // Only a regular file (or a built-in): a FIFO or a device given as the scenario must not block or flood.
    QByteArray bytes;
    QString why;
    if (!readRegularFile(path, kMaxFileBytes + 1, &bytes, &why)) {
        ParseResult r;
        r.errors.push_back({ path, 0, 0, QStringLiteral("cannot open the scenario: ") + why });
        return r;
    }
    return parseText(bytes, path, sets, routes);
}

namespace {
using namespace parsing;

// The scenario with its overrides, without checking a lesson's steps (parseText does that with this).
ParseResult parseScenarioText(const QByteArray &yaml, const QString &sourceName, const std::vector<Override> &sets,
    const std::vector<RouteOverride> &routes, YNodePtr *treeOut)
{
    ParseResult result;
    const auto fail = [&](int line, int column, const QString &message) {
        result.errors.push_back({ sourceName, line, column, message });
        return result;
    };
    if (yaml.size() > ScenarioParser::kMaxFileBytes)
        return fail(0, 0, QStringLiteral("the file is larger than 1 MiB; a scenario is a small text file"));
    if (const auto bad = checkText(yaml))
        return fail(bad->line, bad->column, bad->message);
    const QString emptyMessage
        = QStringLiteral("the scenario is empty; expected a YAML mapping with at least name and classes");
    if (yaml.trimmed().isEmpty())
        return fail(0, 0, emptyMessage);

    BuildOutcome tree = buildTree(yaml);
    for (const auto &p : tree.errors)
        result.errors.push_back({ sourceName, p.line, p.column, p.message });
    if (!tree.root) {
        if (result.errors.empty())
            return fail(0, 0, emptyMessage);
        return result;
    }
    if (tree.root->type == YNode::Type::Null) {
        result.errors.push_back({ sourceName, 0, 0, emptyMessage });
        return result;
    }

    Validator v(sourceName, sets);
    if (tree.root->isMap()) {
        for (std::size_t i = 0; i < sets.size(); ++i)
            applyOverride(*tree.root, sets[i], int(i) + 1, v);
    }
    Scenario s = v.validate(*tree.root);

    for (const RouteOverride &route : routes) {
        const auto routeError = [&](const QString &message) {
            result.errors.push_back({ QStringLiteral("--route"), 0, 0,
                QStringLiteral("--route ") + route.key + QLatin1Char('=') + route.domain + QStringLiteral(": ")
                    + message });
        };
        const auto domain = domainFromName(route.domain);
        if (!domain) {
            routeError(QStringLiteral("unknown domain ") + quoted(route.domain) + QStringLiteral("; expected ")
                + joinChoices(domainNames()));
            continue;
        }
        if (!v.errors.empty())
            continue; // class and stage names cannot be trusted yet
        const qsizetype dot = route.key.indexOf(QLatin1Char('.'));
        const QString className = route.key.left(dot);
        const QString stageName = dot < 0 ? QString() : route.key.mid(dot + 1);
        Stage *stage = nullptr;
        for (TaskClass &c : s.classes)
            if (c.name == className)
                for (Stage &st : c.stages)
                    if (st.name == stageName)
                        stage = &st;
        if (!stage) {
            routeError(QStringLiteral("no stage ") + quoted(route.key) + QStringLiteral("; routing keys are: ")
                + s.routingKeys().join(QStringLiteral(", ")));
            continue;
        }
        stage->domain = *domain;
    }

    result.errors.insert(result.errors.end(), v.errors.begin(), v.errors.end());
    std::stable_sort(result.errors.begin(), result.errors.end(), sortsBefore);
    if (v.truncated())
        result.errors.push_back({ sourceName, 0, 0,
            QStringLiteral("too many errors; only the first ") + QString::number(kMaxErrors)
                + QStringLiteral(" are shown") });
    if (result.errors.empty()) {
        result.scenario = std::move(s);
        *treeOut = std::move(tree.root);
    }
    return result;
}

/// `node` and everything under it, without the root's lesson block.
qint64 countNodes(const YNode &node, bool isRoot)
{
    qint64 n = 1;
    for (const auto &item : node.items)
        n += countNodes(*item, false);
    for (const YEntry &e : node.entries)
        if (!(isRoot && e.key == QLatin1String("lesson")))
            n += 1 + countNodes(*e.value, false);
    return n;
}

/**
 * Checks that each lesson step applies cleanly on top of the ones before it, as the GUI and the
 * lesson tests apply them (the file's overrides, then steps 0..i). One tree takes the steps' changes
 * in turn and is validated after each, without its lesson block: the work is steps × the size of
 * the scenario, not steps² × the size of the file. Checking stops at the first step that fails,
 * since every later one builds on it.
 */
void checkLessonSteps(YNode &root, const QString &sourceName, std::vector<Override> &sets,
    const std::vector<RouteOverride> &routes, ParseResult &result)
{
    const std::vector<LessonStep> &steps = result.scenario->lesson->steps;
    const YNode *lesson = root.value(QStringLiteral("lesson"));
    const YNode *stepsNode = lesson ? lesson->value(QStringLiteral("steps")) : nullptr;
    const auto limitError = [&](const QString &message) {
        result.errors.push_back({ sourceName, stepsNode ? stepsNode->line : 0, stepsNode ? stepsNode->column : 0,
            QStringLiteral("lesson.steps: ") + message });
    };
    if (steps.size() > std::size_t(ScenarioParser::kMaxLessonSteps)) {
        limitError(
            QStringLiteral("%1 steps; a lesson has at most %2").arg(steps.size()).arg(ScenarioParser::kMaxLessonSteps));
        return;
    }
    const qint64 nodes = countNodes(root, true);
    if (qint64(steps.size()) * nodes > ScenarioParser::kMaxLessonWork) {
        limitError(QStringLiteral("%1 steps on a scenario of %2 YAML nodes are too many to check (steps × nodes "
                                  "must stay within %3); use fewer steps or a smaller scenario")
                       .arg(steps.size())
                       .arg(nodes)
                       .arg(ScenarioParser::kMaxLessonWork));
        return;
    }
    std::vector<RouteOverride> cumulativeRoutes = routes;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const LessonStep &step = steps[i];
        Validator v(sourceName, sets);
        for (const Override &o : step.sets) {
            sets.push_back(o);
            const int origin = int(sets.size());
            if (o.path == QLatin1String("lesson") || o.path.startsWith(QLatin1String("lesson.")))
                v.error(0, 0, origin, QStringLiteral("a step changes the scenario, not the lesson"));
            else
                applyOverride(root, o, origin, v);
        }
        const Scenario s = v.validate(root, false);
        std::vector<ScenarioError> errors = v.errors;
        cumulativeRoutes.insert(cumulativeRoutes.end(), step.routes.begin(), step.routes.end());
        if (errors.empty()) {
            const QStringList keyList = s.routingKeys();
            const QSet<QString> keys(keyList.begin(), keyList.end());
            for (const RouteOverride &route : cumulativeRoutes) {
                if (keys.contains(route.key))
                    continue;
                errors.push_back({ QStringLiteral("--route"), 0, 0,
                    QStringLiteral("--route ") + route.key + QLatin1Char('=') + route.domain
                        + QStringLiteral(": no stage ") + quoted(route.key) + QStringLiteral("; routing keys are: ")
                        + keyList.join(QStringLiteral(", ")) });
            }
        }
        std::stable_sort(errors.begin(), errors.end(), sortsBefore);
        for (const ScenarioError &e : errors) {
            // The step's changes were applied as --set/--route; say "set"/"route" as the file does.
            const QString what = e.message.startsWith(QLatin1String("--")) ? e.message.mid(2) : e.message;
            result.errors.push_back({ sourceName, step.loc.line, step.loc.column,
                QStringLiteral("lesson.steps[%1] (%2): ").arg(i).arg(step.title) + what });
        }
        if (v.truncated())
            result.errors.push_back({ sourceName, step.loc.line, step.loc.column,
                QStringLiteral("lesson.steps[%1] (%2): ").arg(i).arg(step.title)
                    + QStringLiteral("too many errors; only the first %1 are shown").arg(kMaxErrors) });
        if (!errors.empty())
            return; // the steps after it build on a step that does not apply
    }
}
} // namespace

ParseResult ScenarioParser::parseText(const QByteArray &yaml, const QString &sourceName,
    const std::vector<Override> &sets, const std::vector<RouteOverride> &routes)
{
    YNodePtr tree;
    ParseResult result = parseScenarioText(yaml, sourceName, sets, routes, &tree);
    if (!result.ok() || !result.scenario->lesson)
        return result;
    // Each step must apply cleanly on top of the ones before it.
    std::vector<Override> allSets = sets;
    checkLessonSteps(*tree, sourceName, allSets, routes, result);
    if (!result.errors.empty())
        result.scenario.reset();
    return result;
}

std::optional<Override> ScenarioParser::parseSetArgument(const QString &arg, QString *error)
{
    const qsizetype eq = arg.indexOf(QLatin1Char('='));
    const QString path = arg.left(eq).trimmed();
    const QString expected = QStringLiteral("expected PATH=VALUE, like domains.threads.workers=16; got ") + quoted(arg);
    if (eq < 0 || path.isEmpty()) {
        if (error)
            *error = expected;
        return std::nullopt;
    }
    const QStringList segs = path.split(QLatin1Char('.'));
    for (const QString &seg : segs) {
        if (seg.trimmed().isEmpty() || seg.trimmed() != seg) {
            if (error)
                *error = QStringLiteral("the path ") + quoted(path) + QStringLiteral(" has an empty or padded part; ")
                    + expected;
            return std::nullopt;
        }
    }
    return Override { path, arg.mid(eq + 1).trimmed() };
}

std::optional<RouteOverride> ScenarioParser::parseRouteArgument(const QString &arg, QString *error)
{
    const qsizetype eq = arg.indexOf(QLatin1Char('='));
    const QString key = arg.left(eq).trimmed();
    const QString domain = arg.mid(eq + 1).trimmed();
    const QStringList parts = key.split(QLatin1Char('.'));
    if (eq < 0 || parts.size() != 2 || !isValidName(parts[0]) || !isValidName(parts[1]) || domain.isEmpty()) {
        if (error)
            *error = QStringLiteral("expected CLASS.STAGE=DOMAIN, like pipeline.transform=tbb; got ") + quoted(arg);
        return std::nullopt;
    }
    if (!domainFromName(domain)) {
        if (error)
            *error = QStringLiteral("unknown domain ") + quoted(domain) + QStringLiteral(" in ") + quoted(arg)
                + QStringLiteral("; expected ") + joinChoices(domainNames());
        return std::nullopt;
    }
    return RouteOverride { key, domain };
}

QString ScenarioParser::checkField(const QString &path, const QString &value)
{
    QStringList segs = path.split(QLatin1Char('.'));
    if (segs.size() >= 2 && segs[0] == QLatin1String("classes"))
        segs[1] = QStringLiteral("*");
    if (segs.size() >= 4 && segs[0] == QLatin1String("classes") && segs[2] == QLatin1String("stages"))
        segs[3] = QStringLiteral("*");
    // A list of locks is addressed by the lock's name: classes.C.stages.S.lock.NAME.scope.
    if (segs.size() == 7 && segs[2] == QLatin1String("stages") && segs[4] == QLatin1String("lock"))
        segs.removeAt(5);
    const QString generic = segs.join(QLatin1Char('.'));
    const auto it = rules().constFind(generic);
    if (it == rules().cend()) {
        QString message = QStringLiteral("unknown field ") + quoted(path);
        const QString guess = closest(generic, rules().keys());
        if (!guess.isEmpty())
            message += QStringLiteral("; did you mean ") + quoted(guess) + QLatin1Char('?');
        return message;
    }
    const std::vector<Override> none;
    Validator v(QString(), none);
    YNode node;
    if (!value.trimmed().isEmpty()) {
        node.type = YNode::Type::Scalar;
        node.text = value.trimmed();
    }
    v.readLeaf(node, segs.last(), *it);
    return v.errors.empty() ? QString() : v.errors.front().message;
}

} // namespace hs
