#include "scenario/scenarioparser.h"

#include "core/safefile.h"
#include "scenario/lesson.h"
#include "scenario/units.h"

#include <QFile>
#include <QHash>
#include <QRegularExpression>
#include <QSet>
#include <QThread>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

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

constexpr int kMaxErrors = 50;
constexpr double kHour = 3600.0;
constexpr double kMaxRate = 1e6;
// Below one arrival a day a rate means a gap between arrivals far beyond any run (24 h at most):
// such tiny rates overflowed the arrival clock. 0 stays allowed where it means "none" (ramp ends).
constexpr double kMinRate = 1.0 / (24 * kHour);
// The engine's clock counts whole nanoseconds: a positive duration below 1 ns would become 0.
constexpr double kMinPositiveDuration = 1e-9;
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

QString quoted(const QString &text)
{
    return quotedValue(text);
}

// ---------------------------------------------------------------------------------------------
// A small YAML tree of our own: exact 1-based positions on every key and value, duplicate keys
// kept visible, aliases expanded under a node budget, and a record of which --set made a node.

struct YNode;
// Shared so that the anchor table can own what it refers to: a node an anchor names may be
// dropped from the tree (a duplicate key's value) while a later alias still copies it.
using YNodePtr = std::shared_ptr<YNode>;

struct YEntry {
    QString key;
    int line = 0;
    int column = 0;
    int origin = 0; ///< 0: the file; n > 0: the n-th --set
    YNodePtr value;
};

struct YNode {
    enum class Type { Null, Scalar, Sequence, Map };
    Type type = Type::Null;
    QString text;
    int line = 0;
    int column = 0;
    int origin = 0;
    std::vector<YNodePtr> items;
    std::vector<YEntry> entries;

    bool isMap() const { return type == Type::Map; }
    const YEntry *entry(QStringView key) const
    {
        for (const YEntry &e : entries)
            if (e.key == key)
                return &e;
        return nullptr;
    }
    YEntry *entry(QStringView key) { return const_cast<YEntry *>(std::as_const(*this).entry(key)); }
    const YNode *value(QStringView key) const
    {
        const YEntry *e = entry(key);
        return e ? e->value.get() : nullptr;
    }
};

void setOrigin(YNode &n, int origin)
{
    n.origin = origin;
    n.line = 0;
    n.column = 0;
    for (auto &item : n.items)
        setOrigin(*item, origin);
    for (auto &e : n.entries) {
        e.origin = origin;
        e.line = 0;
        e.column = 0;
        setOrigin(*e.value, origin);
    }
}

QString nodeKind(const YNode &n)
{
    switch (n.type) {
    case YNode::Type::Null: return QStringLiteral("nothing");
    case YNode::Type::Scalar: return quoted(n.text);
    case YNode::Type::Sequence: return QStringLiteral("a list");
    case YNode::Type::Map: return QStringLiteral("a mapping");
    }
    return {};
}

/// Turns yaml-cpp parser events into a YNode tree; stops at the first fatal problem.
class TreeBuilder final : public YAML::EventHandler {
public:
    struct Problem {
        int line = 0;
        int column = 0;
        QString message;
    };

    /// Thrown through yaml-cpp to stop parsing at the first fatal problem (yaml-cpp unwinds cleanly
    /// from its own exceptions, so it does from this one).
    struct Abort { };

    YNodePtr root;
    std::optional<Problem> fatal; ///< the tree is unusable
    std::vector<Problem> problems; ///< the tree is usable, but these are errors

    void OnDocumentStart(const YAML::Mark &) override { }
    void OnDocumentEnd() override { }

    void OnNull(const YAML::Mark &mark, YAML::anchor_t anchor) override
    {
        if (auto n = make(mark, YNode::Type::Null))
            finish(std::move(n), anchor);
    }

    void OnScalar(const YAML::Mark &mark, const std::string &, YAML::anchor_t anchor, const std::string &value) override
    {
        if (auto n = make(mark, YNode::Type::Scalar)) {
            n->text = QString::fromStdString(value);
            finish(std::move(n), anchor);
        }
    }

    void OnAlias(const YAML::Mark &mark, YAML::anchor_t anchor) override
    {
        if (fatal)
            return;
        const auto it = m_anchors.find(anchor);
        if (it == m_anchors.end()) {
            // Anchors are registered when their node is complete, so this is an alias inside its own anchor.
            fail(mark, QStringLiteral("an alias refers to a node that contains it; recursive aliases are not allowed"));
        }
        YNodePtr copy = copyWithinBudget(*it->second, mark);
        if (copy)
            finish(std::move(copy), YAML::NullAnchor);
    }

    void OnSequenceStart(
        const YAML::Mark &mark, const std::string &, YAML::anchor_t anchor, YAML::EmitterStyle::value) override
    {
        if (auto n = make(mark, YNode::Type::Sequence))
            m_stack.push_back(Frame { std::move(n), anchor, {}, false, {} });
    }

    void OnSequenceEnd() override { closeCollection(); }

    void OnMapStart(
        const YAML::Mark &mark, const std::string &, YAML::anchor_t anchor, YAML::EmitterStyle::value) override
    {
        if (auto n = make(mark, YNode::Type::Map))
            m_stack.push_back(Frame { std::move(n), anchor, {}, false, {} });
    }

    void OnMapEnd() override { closeCollection(); }

private:
    struct Frame {
        YNodePtr node;
        YAML::anchor_t anchor = YAML::NullAnchor;
        YEntry pendingKey;
        bool haveKey = false;
        QHash<QString, int> keyLines; ///< for duplicate detection without quadratic scans
    };

    std::vector<Frame> m_stack;
    std::map<YAML::anchor_t, std::shared_ptr<const YNode>> m_anchors;
    int m_nodes = 0;
    qint64 m_aliasText = 0; ///< characters copied by aliases

    [[noreturn]] void fail(const YAML::Mark &mark, const QString &message)
    {
        if (!fatal)
            fatal = Problem { mark.line + 1, mark.column + 1, message };
        throw Abort {};
    }

    bool spend(const YAML::Mark &mark)
    {
        if (++m_nodes <= ScenarioParser::kMaxNodes)
            return true;
        fail(mark,
            QStringLiteral("the document expands to more than ") + QString::number(ScenarioParser::kMaxNodes)
                + QStringLiteral(" YAML nodes (counting every use of an alias); refusing it"));
    }

    YNodePtr make(const YAML::Mark &mark, YNode::Type type)
    {
        if (fatal || !spend(mark))
            return nullptr;
        auto n = std::make_shared<YNode>();
        n->type = type;
        n->line = mark.line + 1;
        n->column = mark.column + 1;
        return n;
    }

    YNodePtr copyWithinBudget(const YNode &src, const YAML::Mark &mark)
    {
        if (!spend(mark))
            return nullptr;
        // Copies of a text are cheap (shared), but every later look at them is not: a long scalar
        // used as a key by many aliases would be hashed and compared once per use.
        m_aliasText += src.text.size();
        if (m_aliasText > ScenarioParser::kMaxAliasText)
            fail(mark,
                QStringLiteral("aliases repeat more than ") + QString::number(ScenarioParser::kMaxAliasText)
                    + QStringLiteral(" characters of text; refusing it"));
        auto n = std::make_shared<YNode>();
        n->type = src.type;
        n->text = src.text;
        n->line = src.line;
        n->column = src.column;
        for (const auto &item : src.items) {
            auto c = copyWithinBudget(*item, mark);
            if (!c)
                return nullptr;
            n->items.push_back(std::move(c));
        }
        for (const auto &e : src.entries) {
            auto c = copyWithinBudget(*e.value, mark);
            if (!c)
                return nullptr;
            n->entries.push_back(YEntry { e.key, e.line, e.column, 0, std::move(c) });
        }
        return n;
    }

    void closeCollection()
    {
        if (fatal || m_stack.empty())
            return;
        Frame f = std::move(m_stack.back());
        m_stack.pop_back();
        finish(std::move(f.node), f.anchor);
    }

    void finish(YNodePtr n, YAML::anchor_t anchor)
    {
        if (anchor != YAML::NullAnchor)
            m_anchors[anchor] = n;
        if (m_stack.empty()) {
            root = std::move(n);
            return;
        }
        Frame &top = m_stack.back();
        if (top.node->type == YNode::Type::Sequence) {
            top.node->items.push_back(std::move(n));
            return;
        }
        if (!top.haveKey) {
            top.haveKey = true;
            top.pendingKey = YEntry { n->text, n->line, n->column, 0, nullptr };
            if (n->type != YNode::Type::Scalar) {
                if (int(problems.size()) < kMaxErrors)
                    problems.push_back(
                        { n->line, n->column, QStringLiteral("a key must be a plain word; got ") + nodeKind(*n) });
                top.pendingKey.key.clear();
                top.pendingKey.line = -1; // marks the entry to drop
            }
            return;
        }
        top.haveKey = false;
        YEntry e = std::move(top.pendingKey);
        if (e.line < 0)
            return;
        const auto seen = top.keyLines.constFind(e.key);
        if (seen != top.keyLines.cend()) {
            if (int(problems.size()) < kMaxErrors)
                problems.push_back({ e.line, e.column,
                    QStringLiteral("duplicate key ") + quoted(e.key) + QStringLiteral(" (first at line ")
                        + QString::number(*seen) + QLatin1Char(')') });
            return;
        }
        top.keyLines.insert(e.key, e.line);
        e.value = std::move(n);
        top.node->entries.push_back(std::move(e));
    }
};

/// Records only that a document started; the parser still reads it whole.
class DocumentProbe final : public YAML::EventHandler {
public:
    std::optional<YAML::Mark> start;
    void OnDocumentStart(const YAML::Mark &mark) override
    {
        if (!start)
            start = mark;
    }
    void OnDocumentEnd() override { }
    void OnNull(const YAML::Mark &, YAML::anchor_t) override { }
    void OnAlias(const YAML::Mark &, YAML::anchor_t) override { }
    void OnScalar(const YAML::Mark &, const std::string &, YAML::anchor_t, const std::string &) override { }
    void OnSequenceStart(const YAML::Mark &, const std::string &, YAML::anchor_t, YAML::EmitterStyle::value) override {
    }
    void OnSequenceEnd() override { }
    void OnMapStart(const YAML::Mark &, const std::string &, YAML::anchor_t, YAML::EmitterStyle::value) override { }
    void OnMapEnd() override { }
};

struct BuildOutcome {
    YNodePtr root;
    std::vector<TreeBuilder::Problem> errors;
    bool noDocument = false;
};

// Parses one YAML document into a tree. Every yaml-cpp exception becomes an error at its mark.
BuildOutcome buildTree(const QByteArray &yaml)
{
    BuildOutcome out;
    std::istringstream stream(std::string(yaml.constData(), std::size_t(yaml.size())));
    TreeBuilder builder;
    try {
        YAML::Parser parser(stream);
        if (!parser.HandleNextDocument(builder)) {
            out.noDocument = true;
            return out;
        }
        if (builder.fatal) {
            out.errors.push_back(*builder.fatal);
            return out;
        }
        out.errors = std::move(builder.problems);
        out.root = std::move(builder.root);
        DocumentProbe probe;
        if (parser.HandleNextDocument(probe)) {
            const YAML::Mark m = probe.start.value_or(YAML::Mark());
            out.errors.push_back({ m.line + 1, m.column + 1,
                QStringLiteral("a second YAML document starts here; a scenario file holds one") });
        }
    } catch (const TreeBuilder::Abort &) {
        out.errors.push_back(*builder.fatal);
        out.root.reset();
    } catch (const YAML::DeepRecursion &e) {
        out.errors.push_back({ e.mark.line + 1, e.mark.column + 1,
            QStringLiteral("the YAML nests too deeply (") + QString::number(e.depth())
                + QStringLiteral(" levels); a scenario needs a handful") });
        out.root.reset();
    } catch (const YAML::Exception &e) {
        const int line = e.mark.is_null() ? 0 : e.mark.line + 1;
        const int column = e.mark.is_null() ? 0 : e.mark.column + 1;
        out.errors.push_back({ line, column, QStringLiteral("YAML syntax error: ") + QString::fromStdString(e.msg) });
        out.root.reset();
    } catch (const std::exception &e) {
        out.errors.push_back({ 0, 0, QStringLiteral("cannot read the YAML: ") + QString::fromLocal8Bit(e.what()) });
        out.root.reset();
    }
    return out;
}

// Binary data must never reach yaml-cpp: NUL bytes, other control bytes and broken UTF-8 are refused
// with the position of the first offending byte.
std::optional<TreeBuilder::Problem> checkText(const QByteArray &bytes)
{
    int line = 1;
    int column = 1;
    const auto *p = reinterpret_cast<const unsigned char *>(bytes.constData());
    const qsizetype n = bytes.size();
    const auto problem = [&](const QString &what, unsigned char byte) {
        return TreeBuilder::Problem { line, column,
            QStringLiteral("not a text file: ") + what + QStringLiteral(" 0x")
                + QString::number(byte, 16).rightJustified(2, QLatin1Char('0'))
                + QStringLiteral("; expected a YAML scenario in UTF-8") };
    };
    for (qsizetype i = 0; i < n;) {
        const unsigned char c = p[i];
        if (c < 0x80) {
            if (c == '\n') {
                ++line;
                column = 1;
            } else if (c == 0) {
                return problem(QStringLiteral("NUL byte"), c);
            } else if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
                return problem(QStringLiteral("control byte"), c);
            } else {
                ++column;
            }
            ++i;
            continue;
        }
        int len = 0;
        unsigned int cp = 0;
        if ((c & 0xe0) == 0xc0) {
            len = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return problem(QStringLiteral("invalid UTF-8 byte"), c);
        }
        if (i + len > n)
            return problem(QStringLiteral("truncated UTF-8 sequence at byte"), c);
        for (int k = 1; k < len; ++k) {
            const unsigned char cc = p[i + k];
            if ((cc & 0xc0) != 0x80)
                return problem(QStringLiteral("invalid UTF-8 sequence at byte"), c);
            cp = (cp << 6) | (cc & 0x3f);
        }
        const bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
        if (overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return problem(QStringLiteral("invalid UTF-8 sequence at byte"), c);
        i += len;
        ++column;
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Leaf rules: one table serves whole-file validation and ScenarioParser::checkField alike.

enum class Leaf {
    Text,
    NonEmptyText,
    Name,
    Int,
    Seed,
    Bool,
    Probability,
    Duration,
    DurationDist,
    SizeDist,
    Rate,
    Choice
};

struct Rule {
    Leaf leaf = Leaf::Text;
    double min = 0;
    double max = 0;
    bool minExclusive = false; ///< the value must be above `min`
    QStringList choices;
    QString note; ///< why a limit exists, appended to range errors
    bool zeroAllowed = false; ///< 0 is accepted as well (it means "none"), though below `min`
};

struct LeafValue {
    QString text;
    double number = 0;
    qint64 integer = 0;
    quint64 seed = 0;
    bool flag = false;
    Distribution dist;
};

const QStringList &domainNames()
{
    static const QStringList names { QStringLiteral("loop"), QStringLiteral("threads"), QStringLiteral("tbb"),
        QStringLiteral("procs") };
    return names;
}

const QHash<QString, Rule> &rules()
{
    static const QHash<QString, Rule> table = [] {
        QHash<QString, Rule> t;
        const auto duration = [](double lo, bool exclusive, double hi) {
            return Rule { Leaf::Duration, lo, hi, exclusive, {}, {} };
        };
        const auto integer = [](double lo, double hi, const QString &note = {}) {
            return Rule { Leaf::Int, lo, hi, false, {}, note };
        };
        const auto choice = [](const QStringList &c) { return Rule { Leaf::Choice, 0, 0, false, c, {} }; };

        t.insert(QStringLiteral("name"), Rule { Leaf::NonEmptyText, 0, 0, false, {}, {} });
        t.insert(QStringLiteral("description"), Rule { Leaf::Text, 0, 0, false, {}, {} });
        t.insert(QStringLiteral("duration"), duration(0, false, 24 * kHour));
        t.insert(QStringLiteral("seed"), Rule { Leaf::Seed, 0, 0, false, {}, {} });
        t.insert(QStringLiteral("sla.p99"), duration(0, true, kHour));
        t.insert(QStringLiteral("starvation.threshold"), duration(0, true, kHour));
        t.insert(QStringLiteral("starvation.heartbeat"), duration(100e-6, false, kHour));
        t.insert(QStringLiteral("gil.enabled"), Rule { Leaf::Bool, 0, 0, false, {}, {} });
        t.insert(QStringLiteral("gil.switch_interval"), duration(1e-6, false, kHour));

        for (const QString &d : domainNames()) {
            const QString p = QStringLiteral("domains.") + d + QLatin1Char('.');
            if (d == QLatin1String("loop"))
                t.insert(
                    p + QStringLiteral("workers"), integer(1, 1, QStringLiteral("the loop always runs on one thread")));
            else
                t.insert(p + QStringLiteral("workers"), integer(1, 4096));
            t.insert(p + QStringLiteral("queue"), integer(0, 1e7, QStringLiteral("0 means unbounded")));
            t.insert(p + QStringLiteral("max_inflight"), integer(0, 1e7, QStringLiteral("0 means unlimited")));
            t.insert(p + QStringLiteral("on_full"),
                choice({ QStringLiteral("reject"), QStringLiteral("block"), QStringLiteral("drop_oldest") }));
        }
        t.insert(QStringLiteral("domains.procs.transfer"), choice({ QStringLiteral("copy"), QStringLiteral("shm") }));

        t.insert(QStringLiteral("classes.*.name"), Rule { Leaf::Name, 0, 0, false, {}, {} });
        t.insert(QStringLiteral("classes.*.sla.p99"), duration(0, true, kHour));
        t.insert(QStringLiteral("classes.*.arrival.process"),
            choice({ QStringLiteral("poisson"), QStringLiteral("constant"), QStringLiteral("burst"),
                QStringLiteral("ramp"), QStringLiteral("closed") }));
        const QString perDay = QStringLiteral("one a day");
        t.insert(QStringLiteral("classes.*.arrival.rate"), Rule { Leaf::Rate, kMinRate, kMaxRate, false, {}, perDay });
        t.insert(QStringLiteral("classes.*.arrival.on"), duration(0, true, kHour));
        t.insert(QStringLiteral("classes.*.arrival.off"), duration(0, true, kHour));
        t.insert(QStringLiteral("classes.*.arrival.from"),
            Rule { Leaf::Rate, kMinRate, kMaxRate, false, {}, perDay + QStringLiteral(", or 0"), true });
        t.insert(QStringLiteral("classes.*.arrival.to"),
            Rule { Leaf::Rate, kMinRate, kMaxRate, false, {}, perDay + QStringLiteral(", or 0"), true });
        t.insert(QStringLiteral("classes.*.arrival.over"),
            Rule { Leaf::Duration, 0, 24 * kHour, false, {}, QStringLiteral("0 means the run's duration") });
        t.insert(QStringLiteral("classes.*.arrival.clients"), integer(1, 100000));
        t.insert(QStringLiteral("classes.*.arrival.think"), Rule { Leaf::DurationDist, 0, kHour, false, {}, {} });

        const QString s = QStringLiteral("classes.*.stages.*.");
        t.insert(s + QStringLiteral("name"), Rule { Leaf::Name, 0, 0, false, {}, {} });
        t.insert(s + QStringLiteral("work"),
            choice({ QStringLiteral("cpu"), QStringLiteral("block"), QStringLiteral("async"), QStringLiteral("net"),
                QStringLiteral("disk") }));
        t.insert(s + QStringLiteral("time"), Rule { Leaf::DurationDist, 0, kHour, true, {}, {} });
        t.insert(s + QStringLiteral("bytes"), Rule { Leaf::SizeDist, 0, kGiB, false, {}, {} });
        t.insert(s + QStringLiteral("kernel"),
            choice({ QStringLiteral("spin"), QStringLiteral("sha256"), QStringLiteral("matmul"),
                QStringLiteral("sort") }));
        t.insert(s + QStringLiteral("fsync"), Rule { Leaf::Bool, 0, 0, false, {}, {} });
        t.insert(s + QStringLiteral("payload_in"), Rule { Leaf::SizeDist, 0, kGiB, false, {}, {} });
        t.insert(s + QStringLiteral("payload_out"), Rule { Leaf::SizeDist, 0, kGiB, false, {}, {} });
        t.insert(s + QStringLiteral("timeout"), duration(0, true, kHour));
        t.insert(s + QStringLiteral("fail"), Rule { Leaf::Probability, 0, 1, false, {}, {} });
        t.insert(s + QStringLiteral("crash"), Rule { Leaf::Probability, 0, 1, false, {}, {} });
        t.insert(s + QStringLiteral("domain"), choice(domainNames()));

        for (const char *k : { "title", "goal", "watch", "expected", "why" })
            t.insert(QStringLiteral("lesson.") + QLatin1String(k), Rule { Leaf::Text, 0, 0, false, {}, {} });
        t.insert(QStringLiteral("lesson.check_duration"), duration(0.2, false, 120));
        t.insert(QStringLiteral("lesson.steps.*.title"), Rule { Leaf::NonEmptyText, 0, 0, false, {}, {} });
        t.insert(QStringLiteral("lesson.steps.*.expect"), Rule { Leaf::Text, 0, 0, false, {}, {} });
        t.insert(QStringLiteral("lesson.steps.*.check.*.metric"), Rule { Leaf::NonEmptyText, 0, 0, false, {}, {} });
        for (const char *k : { "before", "after", "ratio" })
            t.insert(QStringLiteral("lesson.steps.*.check.*.") + QLatin1String(k),
                Rule { Leaf::NonEmptyText, 0, 0, false, {}, {} });
        return t;
    }();
    return table;
}

const Rule &rule(const QString &path)
{
    const auto it = rules().constFind(path);
    Q_ASSERT_X(it != rules().cend(), "rule", "every leaf read has a rule");
    static const Rule fallback;
    return it == rules().cend() ? fallback : *it;
}

QString formatDuration(double s)
{
    if (s >= kHour && std::fmod(s, kHour) == 0)
        return QString::number(s / kHour, 'g', 6) + QLatin1Char('h');
    if (s >= 60 && std::fmod(s, 60.0) == 0)
        return QString::number(s / 60, 'g', 6) + QLatin1Char('m');
    return Distribution::fixed(s).toString(QStringLiteral("s"));
}

QString formatSize(double b)
{
    return Distribution::fixed(b).toString(QStringLiteral("B"));
}

QString formatRate(double r)
{
    return QString::number(r, 'g', 7) + QStringLiteral("/s");
}

QString joinChoices(const QStringList &choices)
{
    if (choices.size() <= 1)
        return choices.join(QString());
    return choices.mid(0, choices.size() - 1).join(QStringLiteral(", ")) + QStringLiteral(" or ") + choices.last();
}

QString describe(const Rule &r)
{
    switch (r.leaf) {
    case Leaf::Text:
    case Leaf::NonEmptyText: return QStringLiteral("a text");
    case Leaf::Name: return QStringLiteral("a name of letters, digits, '_' and '-'");
    case Leaf::Int:
        return QStringLiteral("a whole number from ") + QString::number(qint64(r.min)) + QStringLiteral(" to ")
            + QString::number(qint64(r.max));
    case Leaf::Seed: return QStringLiteral("a whole number from 0 to 18446744073709551615");
    case Leaf::Bool: return QStringLiteral("true or false");
    case Leaf::Probability: return QStringLiteral("a probability from 0 to 1, like 0.01 or 1%");
    case Leaf::Duration: return QStringLiteral("a duration like 5ms, 200us, 1.5s");
    case Leaf::DurationDist: return QStringLiteral("a duration like 5ms or a distribution like exp(5ms)");
    case Leaf::SizeDist: return QStringLiteral("a size like 64KiB or a distribution like exp(64KiB)");
    case Leaf::Rate: return QStringLiteral("a rate like 300/s, 5/ms, 60/m");
    case Leaf::Choice: return joinChoices(r.choices);
    }
    return {};
}

// Optimal string alignment distance (a swap of two letters counts once), case-insensitive.
int editDistance(const QString &a0, const QString &b0)
{
    const QString a = a0.toLower();
    const QString b = b0.toLower();
    const qsizetype n = a.size();
    const qsizetype m = b.size();
    std::vector<std::vector<int>> d(std::size_t(n + 1), std::vector<int>(std::size_t(m + 1)));
    for (qsizetype i = 0; i <= n; ++i)
        d[std::size_t(i)][0] = int(i);
    for (qsizetype j = 0; j <= m; ++j)
        d[0][std::size_t(j)] = int(j);
    for (qsizetype i = 1; i <= n; ++i) {
        for (qsizetype j = 1; j <= m; ++j) {
            const auto ui = std::size_t(i);
            const auto uj = std::size_t(j);
            const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[ui][uj] = std::min({ d[ui - 1][uj] + 1, d[ui][uj - 1] + 1, d[ui - 1][uj - 1] + cost });
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[ui][uj] = std::min(d[ui][uj], d[ui - 2][uj - 2] + 1);
        }
    }
    return d[std::size_t(n)][std::size_t(m)];
}

/// The closest candidate when it is an obvious typo, else an empty string.
QString closest(const QString &word, const QStringList &candidates)
{
    if (word.size() > 64)
        return {};
    QString best;
    int bestDistance = std::numeric_limits<int>::max();
    for (const QString &c : candidates) {
        const int dist = editDistance(word, c);
        if (dist < bestDistance) {
            bestDistance = dist;
            best = c;
        }
    }
    const int allowed = word.size() <= 3 ? 1 : 2;
    return bestDistance <= allowed && bestDistance < word.size() ? best : QString();
}

bool isValidName(const QString &name)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9_-]+$"));
    return re.match(name).hasMatch();
}

// ---------------------------------------------------------------------------------------------

/// Walks the tree, collects errors, and fills a Scenario.
class Validator {
public:
    Validator(QString file, const std::vector<Override> &sets)
        : m_file(std::move(file))
        , m_sets(sets)
    { }

    std::vector<ScenarioError> errors;

    void error(int line, int column, int origin, const QString &message)
    {
        if (int(errors.size()) >= kMaxErrors) {
            m_truncated = true;
            return;
        }
        if (origin > 0 && std::size_t(origin) <= m_sets.size()) {
            const Override &o = m_sets[std::size_t(origin - 1)];
            errors.push_back({ QStringLiteral("--set"), 0, 0,
                QStringLiteral("--set ") + o.path + QLatin1Char('=') + o.value + QStringLiteral(": ") + message });
            return;
        }
        errors.push_back({ m_file, line, column, message });
    }
    void error(const YNode &n, const QString &message) { error(n.line, n.column, n.origin, message); }
    /// An error at the file's `at` that a --set caused by changing `cause` (a stage's work, an
    /// arrival's process): it names that --set, and the file's line, rather than blaming the file.
    void error(const YEntry &at, const YNode &cause, const QString &message)
    {
        if (cause.origin > 0 && at.origin == 0)
            error(
                0, 0, cause.origin, message + QStringLiteral(" (line ") + QString::number(at.line) + QLatin1Char(')'));
        else
            error(at, message);
    }
    void error(const YNode &at, const YNode &cause, const QString &message)
    {
        if (cause.origin > 0 && at.origin == 0)
            error(
                0, 0, cause.origin, message + QStringLiteral(" (line ") + QString::number(at.line) + QLatin1Char(')'));
        else
            error(at, message);
    }
    /// A name used twice: blamed on the second use, unless only the first came from a --set (a
    /// rename onto a name the file uses later), which is then the one to blame.
    void duplicateName(const YNode &first, const YNode &second, const QString &what, const QString &rule)
    {
        if (first.origin > 0 && second.origin == 0) {
            error(0, 0, first.origin,
                QStringLiteral("duplicate ") + what + QStringLiteral(" (the file uses it at line ")
                    + QString::number(second.line) + QStringLiteral("); ") + rule);
            return;
        }
        QString where;
        if (first.origin > 0 && std::size_t(first.origin) <= m_sets.size()) {
            const Override &o = m_sets[std::size_t(first.origin - 1)];
            where = QStringLiteral("first set by --set ") + o.path + QLatin1Char('=') + o.value;
        } else {
            where = QStringLiteral("first at line ") + QString::number(first.line);
        }
        error(
            second, QStringLiteral("duplicate ") + what + QStringLiteral(" (") + where + QStringLiteral("); ") + rule);
    }
    void error(const YEntry &e, const QString &message) { error(e.line, e.column, e.origin, message); }

    bool truncated() const { return m_truncated; }

    std::optional<LeafValue> readLeaf(const YNode &n, const QString &key, const Rule &r)
    {
        if (n.type == YNode::Type::Null && r.leaf == Leaf::Text)
            return LeafValue {};
        if (n.type == YNode::Type::Null && r.leaf == Leaf::NonEmptyText) {
            error(n, key + QStringLiteral(": must not be empty"));
            return std::nullopt;
        }
        if (n.type != YNode::Type::Scalar) {
            error(n, key + QStringLiteral(": expected ") + describe(r) + QStringLiteral("; got ") + nodeKind(n));
            return std::nullopt;
        }
        const QString text = n.text.trimmed();
        LeafValue v;
        QString why;
        switch (r.leaf) {
        case Leaf::Text: v.text = n.text; return v;
        case Leaf::NonEmptyText:
            if (text.isEmpty()) {
                error(n, key + QStringLiteral(": must not be empty"));
                return std::nullopt;
            }
            v.text = text;
            return v;
        case Leaf::Name:
            if (!isValidName(text)) {
                error(n,
                    key + QStringLiteral(": ") + quoted(n.text)
                        + QStringLiteral(" is not a valid name; use only letters, digits, '_' and '-'"));
                return std::nullopt;
            }
            v.text = text;
            return v;
        case Leaf::Int: {
            static const QRegularExpression re(QStringLiteral("^[+-]?[0-9]+$"));
            if (!re.match(text).hasMatch()) {
                error(n, key + QStringLiteral(": expected ") + describe(r) + QStringLiteral("; got ") + quoted(n.text));
                return std::nullopt;
            }
            bool ok = false;
            const qint64 i = text.toLongLong(&ok);
            if (!ok || double(i) < r.min || double(i) > r.max) {
                QString message = key + QStringLiteral(": ") + text + QStringLiteral(" is out of range; expected ")
                    + QString::number(qint64(r.min));
                if (r.max > r.min)
                    message += QStringLiteral(" to ") + QString::number(qint64(r.max));
                if (!r.note.isEmpty())
                    message += QStringLiteral(" (") + r.note + QLatin1Char(')');
                error(n, message);
                return std::nullopt;
            }
            v.integer = i;
            return v;
        }
        case Leaf::Seed: {
            static const QRegularExpression re(QStringLiteral("^[0-9]+$"));
            bool ok = false;
            const quint64 s = text.toULongLong(&ok);
            if (!re.match(text).hasMatch() || !ok) {
                error(n, key + QStringLiteral(": expected ") + describe(r) + QStringLiteral("; got ") + quoted(n.text));
                return std::nullopt;
            }
            v.seed = s;
            return v;
        }
        case Leaf::Bool:
            if (text == QLatin1String("true") || text == QLatin1String("True") || text == QLatin1String("TRUE")) {
                v.flag = true;
                return v;
            }
            if (text == QLatin1String("false") || text == QLatin1String("False") || text == QLatin1String("FALSE")) {
                v.flag = false;
                return v;
            }
            error(n, key + QStringLiteral(": expected true or false; got ") + quoted(n.text));
            return std::nullopt;
        case Leaf::Probability: {
            const auto p = parseProbability(text, &why);
            if (!p) {
                error(n, key + QStringLiteral(": ") + why);
                return std::nullopt;
            }
            v.number = *p;
            return v;
        }
        case Leaf::Duration: {
            const auto d = parseDuration(text, &why);
            if (!d) {
                error(n, key + QStringLiteral(": ") + why);
                return std::nullopt;
            }
            if (!checkRange(n, key, *d, r, formatDuration))
                return std::nullopt;
            v.number = *d;
            return v;
        }
        case Leaf::Rate: {
            const auto rate = parseRate(text, &why);
            if (!rate) {
                error(n, key + QStringLiteral(": ") + why);
                return std::nullopt;
            }
            if (!checkRange(n, key, *rate, r, formatRate))
                return std::nullopt;
            v.number = *rate;
            return v;
        }
        case Leaf::DurationDist:
        case Leaf::SizeDist: {
            const bool isDuration = r.leaf == Leaf::DurationDist;
            const auto d = parseDistribution(text, isDuration ? Quantity::Duration : Quantity::Size, &why);
            if (!d) {
                error(n, key + QStringLiteral(": ") + why);
                return std::nullopt;
            }
            if (!checkDistribution(n, key, *d, r, isDuration ? formatDuration : formatSize))
                return std::nullopt;
            v.dist = *d;
            v.dist.cap = r.max;
            return v;
        }
        case Leaf::Choice:
            if (!r.choices.contains(text)) {
                QString message = key + QStringLiteral(": expected ") + joinChoices(r.choices)
                    + QStringLiteral("; got ") + quoted(n.text);
                const QString guess = closest(text, r.choices);
                if (!guess.isEmpty())
                    message += QStringLiteral(" (did you mean ") + quoted(guess) + QStringLiteral("?)");
                error(n, message);
                return std::nullopt;
            }
            v.text = text;
            return v;
        }
        return std::nullopt;
    }

    /// The scenario in `root`; with `withLesson` false the lesson block is skipped (lesson steps
    /// are checked against the rest of the scenario, each in turn).
    Scenario validate(const YNode &root, bool withLesson = true);

private:
    QString m_file;
    const std::vector<Override> &m_sets;
    bool m_truncated = false;

    bool checkRange(const YNode &n, const QString &key, double value, const Rule &r, QString (*format)(double))
    {
        if (r.zeroAllowed && value == 0)
            return true;
        if (r.leaf == Leaf::Duration && value > 0 && value < kMinPositiveDuration) {
            error(n,
                key + QStringLiteral(": ") + quoted(n.text.trimmed())
                    + QStringLiteral(" is below 1ns, the resolution of the clock; use 0 or at least 1ns"));
            return false;
        }
        const QString note = r.note.isEmpty() ? QString() : QStringLiteral(" (") + r.note + QLatin1Char(')');
        if (r.leaf == Leaf::Rate && value <= 0 && !r.zeroAllowed) {
            error(n, key + QStringLiteral(": must be above 0/s; got ") + quoted(n.text.trimmed()));
            return false;
        }
        if (r.minExclusive && value <= r.min) {
            error(n,
                key + QStringLiteral(": must be above ") + format(r.min) + QStringLiteral("; got ")
                    + quoted(n.text.trimmed()));
            return false;
        }
        if (value < r.min) {
            error(n,
                key + QStringLiteral(": must be at least ") + format(r.min) + note + QStringLiteral("; got ")
                    + quoted(n.text.trimmed()));
            return false;
        }
        if (value > r.max) {
            error(n,
                key + QStringLiteral(": ") + quoted(n.text.trimmed()) + QStringLiteral(" is too large; at most ")
                    + format(r.max));
            return false;
        }
        return true;
    }

    bool checkDistribution(
        const YNode &n, const QString &key, const Distribution &d, const Rule &r, QString (*format)(double))
    {
        using K = Distribution::Kind;
        const bool twoValues = d.kind == K::Uniform || d.kind == K::Normal;
        const bool isDuration = r.leaf == Leaf::DurationDist;
        const auto tooFine = [](double x) { return x > 0 && x < kMinPositiveDuration; };
        if (isDuration && (tooFine(d.a) || (twoValues && tooFine(d.b)))) {
            error(n,
                key + QStringLiteral(": ") + quoted(n.text.trimmed())
                    + QStringLiteral(" has a value below 1ns, the resolution of the clock; use 0 or at least 1ns"));
            return false;
        }
        if (d.a > r.max || (twoValues && d.b > r.max)) {
            error(n,
                key + QStringLiteral(": ") + quoted(n.text.trimmed())
                    + QStringLiteral(" is too large; values must be at most ") + format(r.max));
            return false;
        }
        if (r.minExclusive) {
            // The quantity must be able to be positive: a time of 0 or exp(0) does nothing.
            const double top = d.kind == K::Uniform ? d.b : d.a;
            if (top <= 0) {
                error(n, key + QStringLiteral(": must be above 0; got ") + quoted(n.text.trimmed()));
                return false;
            }
        }
        return true;
    }

    std::optional<LeafValue> field(const YNode &map, const QString &key, const QString &rulePath)
    {
        const YNode *v = map.value(key);
        if (!v)
            return std::nullopt;
        return readLeaf(*v, key, rule(rulePath));
    }

    /// A mapping section; nothing (`loop:`) counts as an empty one.
    bool isSection(const YNode &n, const QString &key, const QString &expected)
    {
        if (n.type == YNode::Type::Map || n.type == YNode::Type::Null)
            return true;
        error(n, key + QStringLiteral(": expected a mapping ") + expected + QStringLiteral("; got ") + nodeKind(n));
        return false;
    }

    void checkKeys(const YNode &map, const QStringList &known, const QString &where)
    {
        for (const YEntry &e : map.entries) {
            if (known.contains(e.key))
                continue;
            if (int(errors.size()) >= kMaxErrors) {
                m_truncated = true; // and no suggestions worked out for errors nobody sees
                return;
            }
            if (e.key == QLatin1String("<<")) {
                error(e, QStringLiteral("YAML merge keys (<<) are not supported; write the keys out"));
                continue;
            }
            if (e.value->type == YNode::Type::Null && e.key.endsWith(QLatin1Char(')'))
                && !e.key.contains(QLatin1Char('('))) {
                // The tail of "uniform(1ms, 2ms)" cut off by a comma inside { ... }.
                error(e,
                    QStringLiteral("stray ") + quoted(e.key) + QStringLiteral(" in ") + where
                        + QStringLiteral(": a comma inside { ... } ended the previous value early; put a "
                                         "distribution with a comma in quotes, like \"uniform(1ms, 5ms)\""));
                continue;
            }
            QString message = QStringLiteral("unknown key ") + quoted(e.key) + QStringLiteral(" in ") + where;
            const QString guess = closest(e.key, known);
            if (!guess.isEmpty())
                message += QStringLiteral("; did you mean ") + quoted(guess) + QLatin1Char('?');
            else
                message += QStringLiteral("; expected one of: ") + known.join(QStringLiteral(", "));
            error(e, message);
        }
    }

    void require(const YNode &map, const QString &key, const QString &where, const QString &example)
    {
        if (!map.entry(key))
            error(map, where + QStringLiteral(": missing ") + quoted(key) + QStringLiteral(", like ") + example);
    }

    void readSla(const YNode &parent, const QString &rulePath, std::optional<double> &out);
    void readDomains(const YNode &n, Scenario &s);
    void readLesson(const YNode &n, Scenario &s);
    void readLessonCheck(const YNode &n, const QString &where, const Scenario &s, LessonStep &step);
    void readClass(const YNode &n, int index, Scenario &s, QHash<QString, const YNode *> &classNames);
    void readArrival(const YNode &n, const QString &className, Arrival &a);
    void readStage(
        const YNode &n, int index, const QString &className, TaskClass &c, QHash<QString, const YNode *> &stageNames);
};

void Validator::readSla(const YNode &parent, const QString &rulePath, std::optional<double> &out)
{
    const YNode *sla = parent.value(QStringLiteral("sla"));
    if (!sla || !isSection(*sla, QStringLiteral("sla"), QStringLiteral("like { p99: 250ms }")))
        return;
    checkKeys(*sla, { QStringLiteral("p99") }, QStringLiteral("sla"));
    if (auto v = field(*sla, QStringLiteral("p99"), rulePath))
        out = v->number;
}

Scenario Validator::validate(const YNode &root, bool withLesson)
{
    Scenario s;
    s.source = m_file;
    s.domain(DomainKind::Loop).workers = 1;
    s.domain(DomainKind::Threads).workers = 8;
    // Asked once: it is a system call with a buffer, and lesson checks validate a scenario per step.
    static const int cores = std::clamp(QThread::idealThreadCount(), 1, 4096);
    s.domain(DomainKind::Tbb).workers = cores;
    s.domain(DomainKind::Procs).workers = 2;

    if (root.type != YNode::Type::Map) {
        error(root,
            QStringLiteral("expected a scenario: a mapping with at least name and classes; got ") + nodeKind(root));
        return s;
    }
    checkKeys(root,
        { QStringLiteral("name"), QStringLiteral("description"), QStringLiteral("duration"), QStringLiteral("seed"),
            QStringLiteral("sla"), QStringLiteral("starvation"), QStringLiteral("gil"), QStringLiteral("domains"),
            QStringLiteral("classes"), QStringLiteral("lesson") },
        QStringLiteral("the scenario"));

    require(root, QStringLiteral("name"), QStringLiteral("the scenario"), QStringLiteral("name: My scenario"));
    if (auto v = field(root, QStringLiteral("name"), QStringLiteral("name")))
        s.name = v->text;
    if (auto v = field(root, QStringLiteral("description"), QStringLiteral("description")))
        s.description = v->text.trimmed();
    if (auto v = field(root, QStringLiteral("duration"), QStringLiteral("duration")))
        s.duration = v->number;
    if (auto v = field(root, QStringLiteral("seed"), QStringLiteral("seed")))
        s.seed = v->seed;
    readSla(root, QStringLiteral("sla.p99"), s.slaP99);

    if (const YNode *st = root.value(QStringLiteral("starvation")); st
        && isSection(*st, QStringLiteral("starvation"), QStringLiteral("like { threshold: 100ms, heartbeat: 10ms }"))) {
        checkKeys(*st, { QStringLiteral("threshold"), QStringLiteral("heartbeat") }, QStringLiteral("starvation"));
        if (auto v = field(*st, QStringLiteral("threshold"), QStringLiteral("starvation.threshold")))
            s.starvationThreshold = v->number;
        if (auto v = field(*st, QStringLiteral("heartbeat"), QStringLiteral("starvation.heartbeat")))
            s.heartbeat = v->number;
    }
    if (const YNode *gil = root.value(QStringLiteral("gil"));
        gil && isSection(*gil, QStringLiteral("gil"), QStringLiteral("like { enabled: true, switch_interval: 5ms }"))) {
        checkKeys(*gil, { QStringLiteral("enabled"), QStringLiteral("switch_interval") }, QStringLiteral("gil"));
        if (auto v = field(*gil, QStringLiteral("enabled"), QStringLiteral("gil.enabled")))
            s.gilEnabled = v->flag;
        if (auto v = field(*gil, QStringLiteral("switch_interval"), QStringLiteral("gil.switch_interval")))
            s.gilSwitchInterval = v->number;
    }
    if (const YNode *domains = root.value(QStringLiteral("domains")))
        readDomains(*domains, s);

    const YNode *classes = root.value(QStringLiteral("classes"));
    if (!classes) {
        require(root, QStringLiteral("classes"), QStringLiteral("the scenario"),
            QStringLiteral("classes: [ { name: web, arrival: ..., stages: [...] } ]"));
        return s;
    }
    if (classes->type != YNode::Type::Sequence || classes->items.empty()) {
        error(*classes,
            QStringLiteral("classes: expected a list of at least one task class; got ")
                + (classes->type == YNode::Type::Sequence ? QStringLiteral("an empty list") : nodeKind(*classes)));
        return s;
    }
    QHash<QString, const YNode *> classNames;
    for (std::size_t i = 0; i < classes->items.size(); ++i)
        readClass(*classes->items[i], int(i), s, classNames);
    if (const YNode *lesson = root.value(QStringLiteral("lesson")); lesson && withLesson)
        readLesson(*lesson, s);
    return s;
}

void Validator::readLesson(const YNode &n, Scenario &s)
{
    if (!isSection(n, QStringLiteral("lesson"), QStringLiteral("with title, goal, watch, steps, expected and why")))
        return;
    checkKeys(n,
        { QStringLiteral("title"), QStringLiteral("goal"), QStringLiteral("watch"), QStringLiteral("steps"),
            QStringLiteral("expected"), QStringLiteral("why"), QStringLiteral("check_duration") },
        QStringLiteral("lesson"));
    Lesson l;
    const auto text = [&](const char *key, QString &out) {
        const QString k = QLatin1String(key);
        require(n, k, QStringLiteral("lesson"), QStringLiteral("%1: ...").arg(k));
        if (auto v = field(n, k, QStringLiteral("lesson.") + k))
            out = v->text.trimmed();
    };
    text("title", l.title);
    text("goal", l.goal);
    text("watch", l.watch);
    text("expected", l.expected);
    text("why", l.why);
    if (auto v = field(n, QStringLiteral("check_duration"), QStringLiteral("lesson.check_duration")))
        l.checkDuration = v->number;

    const YNode *steps = n.value(QStringLiteral("steps"));
    if (!steps || steps->type != YNode::Type::Sequence || steps->items.empty()) {
        error(steps ? *steps : n,
            QStringLiteral("lesson.steps: expected a list of at least one step, like "
                           "- { title: Move it, route: crunch.work=tbb }"));
        s.lesson = std::move(l);
        return;
    }
    for (std::size_t i = 0; i < steps->items.size(); ++i) {
        const YNode &st = *steps->items[i];
        const QString where = QStringLiteral("lesson.steps[%1]").arg(i);
        if (st.type != YNode::Type::Map) {
            error(st,
                where + QStringLiteral(": expected a step mapping with title and route or set; got ") + nodeKind(st));
            continue;
        }
        checkKeys(st,
            { QStringLiteral("title"), QStringLiteral("route"), QStringLiteral("set"), QStringLiteral("expect"),
                QStringLiteral("check") },
            where);
        LessonStep step;
        step.loc = { st.line, st.column };
        require(st, QStringLiteral("title"), where, QStringLiteral("title: Move the CPU work to tbb"));
        if (auto v = field(st, QStringLiteral("title"), QStringLiteral("lesson.steps.*.title")))
            step.title = v->text;
        if (auto v = field(st, QStringLiteral("expect"), QStringLiteral("lesson.steps.*.expect")))
            step.expect = v->text.trimmed();
        if (const YNode *route = st.value(QStringLiteral("route"))) {
            std::vector<const YNode *> items;
            if (route->type == YNode::Type::Sequence)
                for (const auto &it : route->items)
                    items.push_back(it.get());
            else
                items.push_back(route);
            for (const YNode *it : items) {
                QString why;
                std::optional<RouteOverride> r;
                if (it->type == YNode::Type::Scalar)
                    r = ScenarioParser::parseRouteArgument(it->text.trimmed(), &why);
                else
                    why = QStringLiteral("expected CLASS.STAGE=DOMAIN; got ") + nodeKind(*it);
                if (r)
                    step.routes.push_back(*r);
                else
                    error(*it, where + QStringLiteral(".route: ") + why);
            }
        }
        if (const YNode *set = st.value(QStringLiteral("set"))) {
            if (set->type != YNode::Type::Map)
                error(*set,
                    where
                        + QStringLiteral(".set: expected a mapping of setting paths to values, like "
                                         "{ domains.threads.workers: 8 }; got ")
                        + nodeKind(*set));
            else
                for (const YEntry &e : set->entries) {
                    if (e.value->type != YNode::Type::Scalar) {
                        error(*e.value,
                            where + QStringLiteral(".set.") + e.key + QStringLiteral(": expected a value; got ")
                                + nodeKind(*e.value));
                        continue;
                    }
                    step.sets.push_back({ e.key, e.value->text.trimmed() });
                }
        }
        if (step.routes.empty() && step.sets.empty() && st.value(QStringLiteral("route")) == nullptr
            && st.value(QStringLiteral("set")) == nullptr)
            error(
                st, where + QStringLiteral(": a step needs a change: route (CLASS.STAGE=DOMAIN) or set (PATH: VALUE)"));
        if (const YNode *checks = st.value(QStringLiteral("check"))) {
            if (checks->type != YNode::Type::Sequence) {
                error(*checks,
                    where + QStringLiteral(".check: expected a list of { metric, before, after, ratio }; got ")
                        + nodeKind(*checks));
            } else {
                for (const auto &c : checks->items)
                    readLessonCheck(*c, where + QStringLiteral(".check"), s, step);
            }
        }
        l.steps.push_back(std::move(step));
    }
    s.lesson = std::move(l);
}

void Validator::readLessonCheck(const YNode &n, const QString &where, const Scenario &s, LessonStep &step)
{
    if (n.type != YNode::Type::Map) {
        error(n,
            where + QStringLiteral(": expected { metric: PATH, before: \"> 50\", after: \"< 10\" }; got ")
                + nodeKind(n));
        return;
    }
    checkKeys(n,
        { QStringLiteral("metric"), QStringLiteral("before"), QStringLiteral("after"), QStringLiteral("ratio") },
        where);
    LessonCheck c;
    c.loc = { n.line, n.column };
    require(n, QStringLiteral("metric"), where, QStringLiteral("metric: loop.lag_ms.p99"));
    if (auto v = field(n, QStringLiteral("metric"), QStringLiteral("lesson.steps.*.check.*.metric"))) {
        c.metric = v->text;
        const QStringList parts = c.metric.split(QLatin1Char('.'));
        const QString head = parts.value(0);
        const auto namedPart = [&](const QStringList &names, const QString &kind) {
            if (parts.size() < 3 || !names.contains(parts[1]))
                error(*n.value(QStringLiteral("metric")),
                    where + QStringLiteral(".metric: ") + quoted(c.metric) + QStringLiteral(": no ") + kind
                        + QStringLiteral(" named ") + quoted(parts.value(1)) + QStringLiteral("; expected one of ")
                        + names.join(QStringLiteral(", ")));
        };
        if (head == QLatin1String("classes")) {
            QStringList names;
            for (const TaskClass &tc : s.classes)
                names << tc.name;
            namedPart(names, QStringLiteral("class"));
        } else if (head == QLatin1String("domains")) {
            namedPart(domainNames(), QStringLiteral("domain"));
        } else if (head != QLatin1String("loop") && head != QLatin1String("totals")) {
            error(*n.value(QStringLiteral("metric")),
                where + QStringLiteral(".metric: ") + quoted(c.metric)
                    + QStringLiteral(": expected a JSON report path starting with classes, domains, loop or totals"));
        }
    }
    const auto cond = [&](const char *key, std::optional<Condition> &out) {
        const QString k = QLatin1String(key);
        auto v = field(n, k, QStringLiteral("lesson.steps.*.check.*.") + k);
        if (!v)
            return;
        out = parseCondition(v->text);
        if (!out)
            error(*n.value(k),
                where + QLatin1Char('.') + k
                    + QStringLiteral(": expected a comparison like \"< 10\" or \">= 1.4\"; got ") + quoted(v->text));
    };
    cond("before", c.before);
    cond("after", c.after);
    cond("ratio", c.ratio);
    if (!n.entry(QStringLiteral("before")) && !n.entry(QStringLiteral("after")) && !n.entry(QStringLiteral("ratio")))
        error(n, where + QStringLiteral(": a check needs before, after or ratio"));
    step.checks.push_back(std::move(c));
}

void Validator::readDomains(const YNode &n, Scenario &s)
{
    if (!isSection(n, QStringLiteral("domains"), QStringLiteral("of domain names (loop, threads, tbb, procs)")))
        return;
    for (const YEntry &e : n.entries) {
        const auto kind = domainFromName(e.key);
        if (!kind) {
            QString message = QStringLiteral("unknown domain ") + quoted(e.key) + QStringLiteral("; expected ")
                + joinChoices(domainNames());
            const QString guess = closest(e.key, domainNames());
            if (!guess.isEmpty())
                message += QStringLiteral(" (did you mean ") + quoted(guess) + QStringLiteral("?)");
            error(e, message);
            continue;
        }
        const YNode &d = *e.value;
        const QString where = QStringLiteral("domains.") + e.key;
        if (!isSection(d, where, QStringLiteral("like { workers: 8, queue: 1000, on_full: reject }")))
            continue;
        DomainConfig &cfg = s.domain(*kind);
        cfg.declared = true;
        const bool isProcs = *kind == DomainKind::Procs;
        QStringList known { QStringLiteral("workers"), QStringLiteral("queue"), QStringLiteral("max_inflight"),
            QStringLiteral("on_full") };
        if (isProcs)
            known << QStringLiteral("transfer");
        for (const YEntry &k : d.entries)
            if (!isProcs && k.key == QLatin1String("transfer"))
                error(k, QStringLiteral("transfer applies only to the procs domain, not to ") + e.key);
        QStringList checked = known;
        if (!isProcs)
            checked << QStringLiteral("transfer"); // reported above with a better message
        checkKeys(d, checked, where);

        const QString p = where + QLatin1Char('.');
        if (auto v = field(d, QStringLiteral("workers"), p + QStringLiteral("workers")))
            cfg.workers = int(v->integer);
        if (auto v = field(d, QStringLiteral("queue"), p + QStringLiteral("queue")))
            cfg.queue = int(v->integer);
        if (auto v = field(d, QStringLiteral("max_inflight"), p + QStringLiteral("max_inflight")))
            cfg.maxInflight = int(v->integer);
        if (auto v = field(d, QStringLiteral("on_full"), p + QStringLiteral("on_full")))
            cfg.onFull = onFullFromName(v->text).value_or(OnFull::Reject);
        if (isProcs) {
            if (auto v = field(d, QStringLiteral("transfer"), p + QStringLiteral("transfer")))
                cfg.transfer = v->text == QLatin1String("shm") ? Transfer::Shm : Transfer::Copy;
        }
    }
}

void Validator::readClass(const YNode &n, int index, Scenario &s, QHash<QString, const YNode *> &classNames)
{
    const QString fallbackLabel = QStringLiteral("classes[") + QString::number(index) + QLatin1Char(']');
    if (n.type != YNode::Type::Map) {
        error(n,
            fallbackLabel + QStringLiteral(": expected a task class mapping with name, arrival and stages; got ")
                + nodeKind(n));
        return;
    }
    TaskClass c;
    c.loc = { n.line, n.column };
    checkKeys(n, { QStringLiteral("name"), QStringLiteral("arrival"), QStringLiteral("stages"), QStringLiteral("sla") },
        QStringLiteral("a task class"));

    require(n, QStringLiteral("name"), fallbackLabel, QStringLiteral("name: fetch"));
    if (auto v = field(n, QStringLiteral("name"), QStringLiteral("classes.*.name"))) {
        c.name = v->text;
        const auto seen = classNames.constFind(c.name);
        if (seen != classNames.cend()) {
            duplicateName(**seen, *n.value(QStringLiteral("name")), QStringLiteral("class name ") + quoted(c.name),
                QStringLiteral("class names must be unique"));
        } else {
            classNames.insert(c.name, n.value(QStringLiteral("name")));
        }
    }
    const QString label = c.name.isEmpty() ? fallbackLabel : QStringLiteral("class ") + quoted(c.name);

    if (const YNode *arrival = n.value(QStringLiteral("arrival")))
        readArrival(*arrival, label, c.arrival);
    else
        require(n, QStringLiteral("arrival"), label, QStringLiteral("arrival: { process: poisson, rate: 100/s }"));
    readSla(n, QStringLiteral("classes.*.sla.p99"), c.slaP99);

    const YNode *stages = n.value(QStringLiteral("stages"));
    if (!stages) {
        error(n,
            label
                + QStringLiteral(" has no stages; expected stages: a list of at least one stage, like "
                                 "[ { name: work, work: cpu, time: 1ms, domain: threads } ]"));
    } else if (stages->type != YNode::Type::Sequence || stages->items.empty()) {
        error(*stages,
            label + QStringLiteral(" has no stages; expected a list of at least one stage; got ")
                + (stages->type == YNode::Type::Sequence ? QStringLiteral("an empty list") : nodeKind(*stages)));
    } else {
        QHash<QString, const YNode *> stageNames;
        for (std::size_t i = 0; i < stages->items.size(); ++i)
            readStage(*stages->items[i], int(i), label, c, stageNames);
    }
    s.classes.push_back(std::move(c));
}

void Validator::readArrival(const YNode &n, const QString &className, Arrival &a)
{
    const QString where = QStringLiteral("arrival of ") + className;
    if (n.type != YNode::Type::Map) {
        error(n,
            QStringLiteral("arrival: expected a mapping like { process: poisson, rate: 100/s }; got ") + nodeKind(n));
        return;
    }
    const QStringList all { QStringLiteral("process"), QStringLiteral("rate"), QStringLiteral("on"),
        QStringLiteral("off"), QStringLiteral("from"), QStringLiteral("to"), QStringLiteral("over"),
        QStringLiteral("clients"), QStringLiteral("think") };
    checkKeys(n, all, where);

    QString process = QStringLiteral("poisson");
    if (const YNode *p = n.value(QStringLiteral("process"))) {
        const auto v = readLeaf(*p, QStringLiteral("process"), rule(QStringLiteral("classes.*.arrival.process")));
        if (!v)
            return; // the other keys depend on the process
        process = v->text;
    }
    struct Shape {
        ArrivalProcess kind;
        QStringList required;
        QStringList optional;
        QString example;
    };
    static const QHash<QString, Shape> shapes {
        { QStringLiteral("poisson"),
            { ArrivalProcess::Poisson, { QStringLiteral("rate") }, {}, QStringLiteral("rate: 300/s") } },
        { QStringLiteral("constant"),
            { ArrivalProcess::Constant, { QStringLiteral("rate") }, {}, QStringLiteral("rate: 100/s") } },
        { QStringLiteral("burst"),
            { ArrivalProcess::Burst, { QStringLiteral("rate"), QStringLiteral("on"), QStringLiteral("off") }, {},
                QStringLiteral("{ process: burst, rate: 1000/s, on: 1s, off: 4s }") } },
        { QStringLiteral("ramp"),
            { ArrivalProcess::Ramp, { QStringLiteral("from"), QStringLiteral("to") }, { QStringLiteral("over") },
                QStringLiteral("{ process: ramp, from: 10/s, to: 500/s, over: 30s }") } },
        { QStringLiteral("closed"),
            { ArrivalProcess::Closed, { QStringLiteral("clients") }, { QStringLiteral("think") },
                QStringLiteral("{ process: closed, clients: 50, think: exp(100ms) }") } },
    };
    const Shape shape = shapes.value(process);
    a.process = shape.kind;

    // When a --set changed the process, the file's keys that no longer fit are its doing.
    const YNode &cause = n.value(QStringLiteral("process")) ? *n.value(QStringLiteral("process")) : n;
    bool complete = true;
    for (const YEntry &e : n.entries) {
        if (e.key == QLatin1String("process") || !all.contains(e.key))
            continue;
        if (!shape.required.contains(e.key) && !shape.optional.contains(e.key)) {
            error(e, cause,
                quoted(e.key) + QStringLiteral(" does not apply to ") + process + QStringLiteral(" arrivals; ")
                    + process + QStringLiteral(" takes ")
                    + (shape.required + shape.optional).join(QStringLiteral(", ")));
            complete = false;
        }
    }
    for (const QString &key : shape.required) {
        if (!n.entry(key)) {
            error(n, cause,
                where + QStringLiteral(": a ") + process + QStringLiteral(" arrival needs ") + quoted(key)
                    + QStringLiteral(", like ") + shape.example);
            complete = false;
        }
    }
    const QString p = QStringLiteral("classes.*.arrival.");
    const auto number = [&](const QString &key, double &out) {
        if (!shape.required.contains(key) && !shape.optional.contains(key))
            return;
        if (auto v = field(n, key, p + key))
            out = v->number;
        else if (n.entry(key))
            complete = false;
    };
    number(QStringLiteral("rate"), a.rate);
    number(QStringLiteral("on"), a.on);
    number(QStringLiteral("off"), a.off);
    number(QStringLiteral("from"), a.from);
    number(QStringLiteral("to"), a.to);
    number(QStringLiteral("over"), a.over);
    if (a.process == ArrivalProcess::Closed) {
        if (auto v = field(n, QStringLiteral("clients"), p + QStringLiteral("clients")))
            a.clients = int(v->integer);
        if (auto v = field(n, QStringLiteral("think"), p + QStringLiteral("think")))
            a.think = v->dist;
    }
    if (complete && a.process == ArrivalProcess::Ramp && a.from == 0 && a.to == 0)
        error(n, where + QStringLiteral(": a ramp needs from or to above 0/s"));
}

void Validator::readStage(
    const YNode &n, int index, const QString &className, TaskClass &c, QHash<QString, const YNode *> &stageNames)
{
    const QString fallbackLabel
        = QStringLiteral("stage ") + QString::number(index + 1) + QStringLiteral(" of ") + className;
    if (n.type != YNode::Type::Map) {
        error(n,
            fallbackLabel
                + QStringLiteral(": expected a stage mapping like { name: get, work: block, "
                                 "time: 5ms, domain: threads }; got ")
                + nodeKind(n));
        return;
    }
    Stage st;
    st.loc = { n.line, n.column };
    checkKeys(n,
        { QStringLiteral("name"), QStringLiteral("work"), QStringLiteral("time"), QStringLiteral("bytes"),
            QStringLiteral("kernel"), QStringLiteral("fsync"), QStringLiteral("payload_in"),
            QStringLiteral("payload_out"), QStringLiteral("timeout"), QStringLiteral("fail"), QStringLiteral("crash"),
            QStringLiteral("domain") },
        QStringLiteral("a stage"));
    const QString p = QStringLiteral("classes.*.stages.*.");

    require(n, QStringLiteral("name"), fallbackLabel, QStringLiteral("name: fetch"));
    if (auto v = field(n, QStringLiteral("name"), p + QStringLiteral("name"))) {
        st.name = v->text;
        const auto seen = stageNames.constFind(st.name);
        if (seen != stageNames.cend()) {
            duplicateName(**seen, *n.value(QStringLiteral("name")),
                QStringLiteral("stage name ") + quoted(st.name) + QStringLiteral(" in ") + className,
                QStringLiteral("stage names must be unique in a class"));
        } else {
            stageNames.insert(st.name, n.value(QStringLiteral("name")));
        }
    }
    const QString label = st.name.isEmpty() ? fallbackLabel : QStringLiteral("stage ") + quoted(st.name);

    require(n, QStringLiteral("work"), label, QStringLiteral("work: cpu (or block, async, net, disk)"));
    std::optional<WorkKind> work;
    if (auto v = field(n, QStringLiteral("work"), p + QStringLiteral("work"))) {
        for (WorkKind w : { WorkKind::Cpu, WorkKind::Block, WorkKind::Async, WorkKind::Net, WorkKind::Disk })
            if (workName(w) == v->text)
                work = w;
    }
    if (work)
        st.work = *work;

    require(n, QStringLiteral("domain"), label, QStringLiteral("domain: threads (or loop, tbb, procs)"));
    if (auto v = field(n, QStringLiteral("domain"), p + QStringLiteral("domain")))
        st.domain = domainFromName(v->text).value_or(DomainKind::Threads);

    // Keys that make sense only for some kinds of work: report them at the key (or at the --set
    // that changed the work).
    const YNode &workNode = n.value(QStringLiteral("work")) ? *n.value(QStringLiteral("work")) : n;
    const auto onlyFor = [&](const QString &key, bool allowed, const QString &why) {
        if (const YEntry *e = n.entry(key); e && work && !allowed) {
            error(*e, workNode,
                quoted(key) + QStringLiteral(" does not apply to a ") + workName(*work) + QStringLiteral(" stage; ")
                    + why);
            return false;
        }
        return true;
    };
    const bool isDisk = work == WorkKind::Disk;
    if (onlyFor(QStringLiteral("time"), !isDisk, QStringLiteral("a disk stage is sized by bytes"))) {
        if (auto v = field(n, QStringLiteral("time"), p + QStringLiteral("time")))
            st.time = v->dist;
        else if (work && !isDisk && !n.entry(QStringLiteral("time")))
            error(n, workNode,
                label + QStringLiteral(": a ") + workName(*work)
                    + QStringLiteral(" stage needs \"time\", like time: 5ms"));
    }
    if (onlyFor(QStringLiteral("bytes"), work == WorkKind::Net || isDisk,
            QStringLiteral("bytes is the response size of net and the file size of disk"))) {
        if (auto v = field(n, QStringLiteral("bytes"), p + QStringLiteral("bytes"))) {
            st.bytes = v->dist;
            if (isDisk && v->dist.mean() <= 0)
                error(*n.value(QStringLiteral("bytes")),
                    QStringLiteral("bytes: a disk stage must write more than 0 bytes"));
        } else if (isDisk && !n.entry(QStringLiteral("bytes"))) {
            error(n, workNode, label + QStringLiteral(": a disk stage needs \"bytes\", like bytes: 64KiB"));
        }
    }
    if (onlyFor(QStringLiteral("kernel"), work == WorkKind::Cpu, QStringLiteral("kernels are for cpu stages"))) {
        if (auto v = field(n, QStringLiteral("kernel"), p + QStringLiteral("kernel"))) {
            for (CpuKernel k : { CpuKernel::Spin, CpuKernel::Sha256, CpuKernel::Matmul, CpuKernel::Sort })
                if (kernelName(k) == v->text)
                    st.kernel = k;
        }
    }
    if (onlyFor(QStringLiteral("fsync"), isDisk, QStringLiteral("fsync is for disk stages"))) {
        if (auto v = field(n, QStringLiteral("fsync"), p + QStringLiteral("fsync")))
            st.fsync = v->flag;
    }
    if (auto v = field(n, QStringLiteral("payload_in"), p + QStringLiteral("payload_in")))
        st.payloadIn = v->dist;
    if (auto v = field(n, QStringLiteral("payload_out"), p + QStringLiteral("payload_out")))
        st.payloadOut = v->dist;
    if (auto v = field(n, QStringLiteral("timeout"), p + QStringLiteral("timeout")))
        st.timeout = v->number;
    if (auto v = field(n, QStringLiteral("fail"), p + QStringLiteral("fail")))
        st.fail = v->number;
    if (auto v = field(n, QStringLiteral("crash"), p + QStringLiteral("crash")))
        st.crash = v->number;
    c.stages.push_back(std::move(st));
}

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
