#pragma once

// The scenario parser's own YAML tree (internal to scenario/): exact 1-based positions on every
// key and value, duplicate keys kept visible, aliases expanded under a budget, and a record of
// which --set made a node. Built from yaml-cpp's events by buildTree; read by the Validator.

#include <QByteArray>
#include <QString>
#include <QStringView>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace hs::parsing {

/// Errors kept per parse (tree, unknown keys, validation); the rest are counted as truncated.
inline constexpr int kMaxErrors = 50;

/// A value in quotes for messages (quotedValue of units.h).
QString quoted(const QString &text);

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

/// Marks `n` and everything under it as made by the `origin`-th --set (no file position).
void setOrigin(YNode &n, int origin);
/// "nothing", "a list", "a mapping" or the quoted scalar: what was found where something else was expected.
QString nodeKind(const YNode &n);

/// A problem at a 1-based position of the text.
struct TreeProblem {
    int line = 0;
    int column = 0;
    QString message;
};

struct BuildOutcome {
    YNodePtr root;
    std::vector<TreeProblem> errors;
    bool noDocument = false;
};

/// Parses one YAML document into a tree. Every yaml-cpp exception becomes an error at its mark.
BuildOutcome buildTree(const QByteArray &yaml);

/// Binary data must never reach yaml-cpp: NUL bytes, other control bytes and broken UTF-8 are refused
/// with the position of the first offending byte.
std::optional<TreeProblem> checkText(const QByteArray &bytes);

} // namespace hs::parsing
