#include "scenario/yamltree.h"

#include "scenario/scenarioparser.h"
#include "scenario/units.h"

#include <QHash>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <map>
#include <sstream>

namespace hs::parsing {

QString quoted(const QString &text)
{
    return quotedValue(text);
}

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

namespace {

/// Turns yaml-cpp parser events into a YNode tree; stops at the first fatal problem.
class TreeBuilder final : public YAML::EventHandler {
public:
    using Problem = TreeProblem;

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

} // namespace

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

std::optional<TreeProblem> checkText(const QByteArray &bytes)
{
    int line = 1;
    int column = 1;
    const auto *p = reinterpret_cast<const unsigned char *>(bytes.constData());
    const qsizetype n = bytes.size();
    const auto problem = [&](const QString &what, unsigned char byte) {
        return TreeProblem { line, column,
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

} // namespace hs::parsing
