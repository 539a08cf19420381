// Reading a JSON report back (`hybridscope report`, the GUI, the fuzz target): the shape check
// that bounds what the renderers do with it, and the scanner that turns the key path of a
// problem into a line and column (QJsonDocument keeps no positions).

#include "results/report.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <climits>
#include <cmath>
#include <vector>

namespace hs {

namespace {

using L = RunJsonLimits;

// One step of a key path: a key of an object, or (index >= 0) an element of an array.
struct Step {
    QString key;
    int index = -1;
};
using Path = std::vector<Step>;

bool plainKey(const QString &key)
{
    if (key.isEmpty())
        return false;
    for (const QChar c : key)
        if (!(c.isLetterOrNumber() && c.unicode() < 128) && c != QLatin1Char('_') && c != QLatin1Char('-'))
            return false;
    return true;
}

// frames[3].domains.tbb.queue; a key that is not a plain word is quoted: classes["a b"].
QString pathText(const Path &path)
{
    QString s;
    for (const Step &st : path) {
        if (st.index >= 0) {
            s += QLatin1Char('[') + QString::number(st.index) + QLatin1Char(']');
        } else if (plainKey(st.key)) {
            if (!s.isEmpty())
                s += QLatin1Char('.');
            s += st.key;
        } else {
            QString k = st.key.left(60);
            k.replace(QLatin1Char('\\'), QLatin1String("\\\\")).replace(QLatin1Char('"'), QLatin1String("\\\""));
            s += QStringLiteral("[\"%1%2\"]").arg(k, st.key.size() > 60 ? QStringLiteral("…") : QString());
        }
    }
    return s.isEmpty() ? QStringLiteral("(the document)") : s;
}

// Finds where a key path's value starts in JSON text that QJsonDocument accepted. One pass down
// the path: each level scans its object or array once (skipping the other values without
// recursion), so the cost is linear in the text times the (short) path's depth.
class JsonLocator {
public:
    explicit JsonLocator(const QByteArray &text)
        : m_begin(text.constData())
        , m_end(text.constData() + text.size())
    { }

    // The offset of the value at `path`, or of the deepest enclosing value that exists.
    qsizetype offsetOf(const Path &path) const
    {
        const char *p = m_begin;
        skipSpace(p);
        for (const Step &st : path) {
            const char *found = st.index >= 0 ? element(p, st.index) : member(p, st.key.toUtf8());
            if (!found)
                break;
            p = found;
        }
        return p - m_begin;
    }

private:
    const char *m_begin;
    const char *m_end;

    void skipSpace(const char *&p) const
    {
        while (p < m_end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
            ++p;
    }

    static int hexValue(char c)
    {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    }

    // \uXXXX at p (after the backslash and 'u'); -1 when malformed.
    int codeUnit(const char *&p) const
    {
        if (m_end - p < 4)
            return -1;
        int v = 0;
        for (int i = 0; i < 4; ++i) {
            const int h = hexValue(p[i]);
            if (h < 0)
                return -1;
            v = v * 16 + h;
        }
        p += 4;
        return v;
    }

    static void appendUtf8(QByteArray *out, char32_t cp)
    {
        const QString s = QString::fromUcs4(&cp, 1);
        out->append(s.toUtf8());
    }

    // p at the opening quote: moves past the closing one; decodes the string into *out if given.
    void string(const char *&p, QByteArray *out) const
    {
        ++p;
        while (p < m_end && *p != '"') {
            if (*p != '\\') {
                if (out)
                    out->append(*p);
                ++p;
                continue;
            }
            if (p + 1 >= m_end) {
                p = m_end;
                return;
            }
            const char e = p[1];
            p += 2;
            if (!out)
                continue; // the escaped character is never a quote that ends the string
            switch (e) {
            case 'b': out->append('\b'); break;
            case 'f': out->append('\f'); break;
            case 'n': out->append('\n'); break;
            case 'r': out->append('\r'); break;
            case 't': out->append('\t'); break;
            case 'u': {
                int cu = codeUnit(p);
                if (cu < 0)
                    break;
                char32_t cp = char32_t(cu);
                if (cu >= 0xD800 && cu < 0xDC00 && m_end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                    const char *q = p + 2;
                    const int low = codeUnit(q);
                    if (low >= 0xDC00 && low < 0xE000) {
                        cp = 0x10000 + ((char32_t(cu) - 0xD800) << 10) + (char32_t(low) - 0xDC00);
                        p = q;
                    }
                }
                appendUtf8(out, cp);
                break;
            }
            default: out->append(e); break; // \" \\ \/
            }
        }
        if (p < m_end)
            ++p;
    }

    void skipValue(const char *&p) const
    {
        if (p >= m_end)
            return;
        if (*p == '"') {
            string(p, nullptr);
            return;
        }
        if (*p == '{' || *p == '[') {
            int depth = 0;
            while (p < m_end) {
                const char c = *p;
                if (c == '"') {
                    string(p, nullptr);
                    continue;
                }
                ++p;
                if (c == '{' || c == '[')
                    ++depth;
                else if ((c == '}' || c == ']') && --depth == 0)
                    return;
            }
            return;
        }
        while (p < m_end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            ++p;
    }

    // The value of `key` in the object at p (the last one when the key repeats, as QJsonDocument keeps).
    const char *member(const char *p, const QByteArray &key) const
    {
        if (p >= m_end || *p != '{')
            return nullptr;
        ++p;
        const char *found = nullptr;
        QByteArray k;
        for (;;) {
            skipSpace(p);
            if (p >= m_end || *p != '"')
                return found;
            k.clear();
            string(p, &k);
            skipSpace(p);
            if (p < m_end && *p == ':')
                ++p;
            skipSpace(p);
            if (k == key)
                found = p;
            skipValue(p);
            skipSpace(p);
            if (p >= m_end || *p != ',')
                return found;
            ++p;
        }
    }

    const char *element(const char *p, int index) const
    {
        if (p >= m_end || *p != '[')
            return nullptr;
        ++p;
        for (int i = 0;; ++i) {
            skipSpace(p);
            if (p >= m_end || *p == ']')
                return nullptr;
            if (i == index)
                return p;
            skipValue(p);
            skipSpace(p);
            if (p >= m_end || *p != ',')
                return nullptr;
            ++p;
        }
    }
};

// 1-based line and column (in characters) of a byte offset.
QString lineColumn(const QByteArray &text, qsizetype offset)
{
    offset = std::clamp<qsizetype>(offset, 0, text.size());
    int line = 1;
    qsizetype lineStart = 0;
    for (qsizetype i = 0; i < offset; ++i)
        if (text[i] == '\n') {
            ++line;
            lineStart = i + 1;
        }
    qsizetype column = 1;
    for (qsizetype i = lineStart; i < offset; ++i)
        column += (uchar(text[i]) & 0xC0) != 0x80 ? 1 : 0; // count UTF-8 lead bytes only
    return QStringLiteral("%1:%2").arg(line).arg(column);
}

QString typeName(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null: return QStringLiteral("null");
    case QJsonValue::Bool: return QStringLiteral("true or false");
    case QJsonValue::Double: return QStringLiteral("a number");
    case QJsonValue::String: return QStringLiteral("a string");
    case QJsonValue::Array: return QStringLiteral("an array");
    case QJsonValue::Object: return QStringLiteral("an object");
    case QJsonValue::Undefined: break;
    }
    return QStringLiteral("nothing");
}

QString numberText(double v)
{
    return QString::number(v, 'g', 10);
}

enum class Num { Real, Integer };

// A key to look up: a literal of the format, or a name read from the report.
struct Key {
    QString s;
    Key(const char *k)
        : s(QLatin1String(k))
    { }
    Key(const QString &k)
        : s(k)
    { }
};

// Walks a report, remembering the key path, and keeps the first problem with its path.
class Checker {
public:
    Path path;
    Path failedPath;
    QString problem;

    bool failed() const { return !problem.isEmpty(); }

    void fail(const QString &what)
    {
        if (failed())
            return;
        problem = what;
        failedPath = path;
    }

    // Enters a key or an element for the lifetime of the guard.
    struct Enter {
        Checker &c;
        Enter(Checker &checker, const QString &key)
            : c(checker)
        {
            c.path.push_back(Step { key, -1 });
        }
        Enter(Checker &checker, int index)
            : c(checker)
        {
            c.path.push_back(Step { QString(), index });
        }
        ~Enter() { c.path.pop_back(); }
        Enter(const Enter &) = delete;
        Enter &operator=(const Enter &) = delete;
    };

    // The value of `key`, checked to be of `type` (or absent unless required; null counts as absent
    // when `nullable`). Undefined when absent or wrong (then a problem is recorded).
    QJsonValue get(const QJsonObject &o, const Key &key, QJsonValue::Type type, bool required, bool nullable = false)
    {
        const QString &k = key.s;
        const auto it = o.constFind(k);
        if (it == o.constEnd()) {
            if (required)
                fail(QStringLiteral("missing key \"%1\"").arg(k));
            return QJsonValue(QJsonValue::Undefined);
        }
        const QJsonValue v = it.value();
        if (v.type() == type)
            return v;
        if (nullable && v.isNull())
            return QJsonValue(QJsonValue::Undefined);
        Enter e(*this, k);
        fail(QStringLiteral("expected %1, found %2").arg(typeName(QJsonValue(type)), typeName(v)));
        return QJsonValue(QJsonValue::Undefined);
    }

    QJsonObject object(const QJsonObject &o, const Key &key, bool required = false)
    {
        return get(o, key, QJsonValue::Object, required).toObject();
    }

    QJsonArray array(const QJsonObject &o, const Key &key, bool required = false)
    {
        return get(o, key, QJsonValue::Array, required).toArray();
    }

    void boolean(const QJsonObject &o, const Key &key) { get(o, key, QJsonValue::Bool, false, true); }

    void string(const QJsonObject &o, const Key &key, bool required = false)
    {
        const QJsonValue v = get(o, key, QJsonValue::String, required, !required);
        if (v.isString() && v.toString().size() > L::kMaxStringChars) {
            Enter e(*this, key.s);
            fail(QStringLiteral("a string of %1 characters; at most %2")
                     .arg(v.toString().size())
                     .arg(L::kMaxStringChars));
        }
    }

    // A number in [min, max] (an integer when kind is Integer); null is allowed unless required
    // (the renderers read it as 0; a run writes null for a figure it could not compute).
    double number(
        const QJsonObject &o, const Key &key, double min, double max, Num kind = Num::Real, bool required = false)
    {
        const QJsonValue v = get(o, key, QJsonValue::Double, required, !required);
        if (!v.isDouble())
            return 0;
        const double d = v.toDouble();
        Enter e(*this, key.s);
        if (!std::isfinite(d) || d < min || d > max)
            fail(QStringLiteral("%1 is out of range; expected %2 to %3")
                     .arg(numberText(d), numberText(min), numberText(max)));
        else if (kind == Num::Integer && d != std::floor(d))
            fail(QStringLiteral("%1 is not a whole number").arg(numberText(d)));
        return d;
    }

    void count(const QJsonObject &o, const Key &key) { number(o, key, 0, L::kMaxCount, Num::Integer); }
    void ms(const QJsonObject &o, const Key &key) { number(o, key, 0, L::kMaxMs); }
    void seconds(const QJsonObject &o, const Key &key) { number(o, key, 0, L::kMaxSeconds); }
    void rate(const QJsonObject &o, const Key &key) { number(o, key, 0, L::kMaxRate); }
    // A figure the plots read into an int.
    void smallCount(const QJsonObject &o, const Key &key) { number(o, key, 0, INT_MAX, Num::Integer); }
    void workers(const QJsonObject &o, const Key &key) { number(o, key, 0, L::kMaxWorkers, Num::Integer); }

    // Each entry of an object of at most `limit` entries is an object, checked by `f`.
    template<typename F>
    void objectsOf(
        const QJsonObject &o, const Key &key, qsizetype limit, const QString &what, F f, bool required = false)
    {
        const QJsonObject map = object(o, key, required);
        Enter e(*this, key.s);
        if (map.size() > limit) {
            fail(QStringLiteral("%1 %2; at most %3").arg(map.size()).arg(what).arg(limit));
            return;
        }
        for (auto it = map.constBegin(); it != map.constEnd() && !failed(); ++it) {
            if (it.key().size() > L::kMaxStringChars) {
                fail(QStringLiteral("a key of %1 characters; at most %2").arg(it.key().size()).arg(L::kMaxStringChars));
                return;
            }
            Enter k(*this, it.key());
            if (!it.value().isObject()) {
                fail(QStringLiteral("expected an object, found %1").arg(typeName(it.value())));
                return;
            }
            f(it.key(), it.value().toObject());
        }
    }

    // Each element of an array of at most `limit` elements is an object, checked by `f`.
    template<typename F>
    void arrayOf(const QJsonObject &o, const Key &key, qsizetype limit, const QString &what, F f, bool required = false)
    {
        const QJsonArray arr = array(o, key, required);
        Enter e(*this, key.s);
        if (arr.size() > limit) {
            fail(QStringLiteral("%1 %2; at most %3").arg(arr.size()).arg(what).arg(limit));
            return;
        }
        for (qsizetype i = 0; i < arr.size() && !failed(); ++i) {
            Enter k(*this, int(i));
            const QJsonValue v = arr.at(i);
            if (!v.isObject()) {
                fail(QStringLiteral("expected an object, found %1").arg(typeName(v)));
                return;
            }
            f(int(i), v.toObject());
        }
    }

    // [low, high] in ms, either end null (unknown); absent is allowed.
    void msInterval(const QJsonObject &o, const Key &key)
    {
        const QJsonArray ci = array(o, key);
        Enter e(*this, key.s);
        if (ci.size() > 2)
            fail(QStringLiteral("%1 values; expected [low, high]").arg(ci.size()));
        for (const QJsonValue &v : ci)
            if (!failed() && !v.isNull() && (!v.isDouble() || v.toDouble() < 0 || v.toDouble() > L::kMaxMs))
                fail(QStringLiteral("expected a time in ms or null"));
    }

    void knownDomain(const QString &name)
    {
        if (!domainFromName(name))
            fail(QStringLiteral("unknown domain \"%1\"; expected loop, threads, tbb or procs").arg(name.left(60)));
    }

    void stats(const QJsonObject &o, const Key &key)
    {
        const QJsonObject s = object(o, key);
        Enter e(*this, key.s);
        for (const char *k : { "mean", "p50", "p90", "p99", "p999", "max" })
            ms(s, k);
    }

    // Counts the leaves of a configuration value (each one a row of a comparison).
    void countLeaves(const QJsonValue &v, int depth, int *leaves)
    {
        if (failed())
            return;
        if (depth > 16) {
            fail(QStringLiteral("nested more than 16 levels deep"));
            return;
        }
        if (v.isObject()) {
            const QJsonObject o = v.toObject();
            for (auto it = o.constBegin(); it != o.constEnd() && !failed(); ++it) {
                Enter e(*this, it.key());
                countLeaves(it.value(), depth + 1, leaves);
            }
        } else if (v.isArray()) {
            const QJsonArray a = v.toArray();
            for (qsizetype i = 0; i < a.size() && !failed(); ++i) {
                Enter e(*this, int(i));
                countLeaves(a.at(i), depth + 1, leaves);
            }
        } else if (++*leaves > L::kMaxConfigValues) {
            fail(QStringLiteral("more than %1 settings in the configuration").arg(L::kMaxConfigValues));
        } else if (v.isString() && v.toString().size() > L::kMaxStringChars) {
            fail(QStringLiteral("a string of %1 characters; at most %2")
                     .arg(v.toString().size())
                     .arg(L::kMaxStringChars));
        }
    }
};

void checkConfig(Checker &c, const QJsonObject &run)
{
    const QJsonValue value = run.value(QStringLiteral("config"));
    const QJsonObject config = c.object(run, "config");
    if (c.failed() || config.isEmpty())
        return; // reports of older runs have no configuration record
    Checker::Enter e(c, QStringLiteral("config"));
    int leaves = 0;
    c.countLeaves(value, 0, &leaves);
    c.seconds(config, "duration_s");
    c.number(config, "seed", -18446744073709551616.0, 18446744073709551616.0, Num::Integer);
    const QJsonObject sla = c.get(config, "sla", QJsonValue::Object, false, true).toObject();
    {
        Checker::Enter s(c, QStringLiteral("sla"));
        c.ms(sla, "p99_ms");
    }
    const QJsonObject starvation = c.object(config, "starvation");
    {
        Checker::Enter s(c, QStringLiteral("starvation"));
        c.ms(starvation, "threshold_ms");
        c.ms(starvation, "heartbeat_ms");
    }
    const QJsonObject gil = c.object(config, "gil");
    {
        Checker::Enter s(c, QStringLiteral("gil"));
        c.boolean(gil, "enabled");
        c.ms(gil, "switch_interval_ms");
    }
    c.objectsOf(config, "domains", 4, QStringLiteral("domains"), [&](const QString &name, const QJsonObject &d) {
        c.knownDomain(name);
        c.boolean(d, "declared");
        c.workers(d, "workers");
        c.count(d, "queue");
        c.count(d, "max_inflight");
        c.string(d, "on_full");
        c.string(d, "transfer");
    });
    int stages = 0;
    c.arrayOf(config, "classes", L::kMaxClasses, QStringLiteral("classes"), [&](int, const QJsonObject &cl) {
        c.string(cl, "name");
        c.number(cl, "sla_p99_ms", 0, L::kMaxMs);
        const QJsonObject arrival = c.object(cl, "arrival");
        {
            Checker::Enter a(c, QStringLiteral("arrival"));
            c.string(arrival, "process");
            for (const char *k : { "rate", "from", "to" })
                c.rate(arrival, k);
            for (const char *k : { "on_s", "off_s", "over_s" })
                c.seconds(arrival, k);
            c.count(arrival, "clients");
            c.string(arrival, "think");
        }
        c.arrayOf(cl, "stages", L::kMaxStages, QStringLiteral("stages"), [&](int, const QJsonObject &st) {
            if (++stages > L::kMaxStages) {
                c.fail(QStringLiteral("more than %1 stages in all classes").arg(L::kMaxStages));
                return;
            }
            for (const char *k : { "name", "work", "domain", "time", "kernel", "bytes", "payload_in", "payload_out" })
                c.string(st, k);
            c.boolean(st, "fsync");
            c.ms(st, "timeout_ms");
            c.number(st, "fail", 0, 1);
            c.number(st, "crash", 0, 1);
            c.string(st, "update");
            c.arrayOf(st, "lock", 64, QStringLiteral("locks"), [&](int, const QJsonObject &l) {
                c.string(l, "name", true);
                c.string(l, "scope");
                c.ms(l, "timeout_ms");
            });
        });
    });
}

void checkRun(Checker &c, const QJsonObject &run)
{
    c.boolean(run, "snapshot");
    const QJsonObject scenario = c.object(run, "scenario", true);
    {
        Checker::Enter e(c, QStringLiteral("scenario"));
        for (const char *k : { "name", "source", "description" })
            c.string(scenario, k);
    }
    checkConfig(c, run);
    c.number(run, "duration_s", 0, L::kMaxSeconds, Num::Real, true);
    const QJsonObject env = c.object(run, "environment");
    {
        Checker::Enter e(c, QStringLiteral("environment"));
        c.workers(env, "cores");
        for (const char *k : { "cpu", "os", "kernel", "qt", "tbb" })
            c.string(env, k);
    }
    const QJsonObject totals = c.object(run, "totals", true);
    {
        Checker::Enter e(c, QStringLiteral("totals"));
        for (const char *k : { "submitted", "completed", "failed", "rejected", "cancelled" })
            c.count(totals, k);
        c.boolean(totals, "conserved");
    }
    c.objectsOf(
        run, "classes", L::kMaxClasses, QStringLiteral("classes"),
        [&](const QString &, const QJsonObject &cl) {
            for (const char *k : { "submitted", "completed", "failed", "rejected", "cancelled" })
                c.count(cl, k);
            c.rate(cl, "throughput");
            for (const char *k : { "latency_ms", "latency_naive_ms", "hop_ms", "ipc_ms", "gil_wait_ms" })
                c.stats(cl, k);
            c.ms(cl, "sla_p99_ms");
            c.boolean(cl, "sla_met");
            const QJsonObject reasons = c.object(cl, "reasons");
            Checker::Enter r(c, QStringLiteral("reasons"));
            if (reasons.size() > L::kMaxFindings) {
                c.fail(QStringLiteral("%1 reasons; at most %2").arg(reasons.size()).arg(L::kMaxFindings));
                return;
            }
            for (auto it = reasons.constBegin(); it != reasons.constEnd() && !c.failed(); ++it) {
                if (it.key().size() > L::kMaxStringChars) {
                    c.fail(QStringLiteral("a reason of %1 characters; at most %2")
                               .arg(it.key().size())
                               .arg(L::kMaxStringChars));
                    return;
                }
                c.count(reasons, it.key());
            }
        },
        true);
    const QJsonObject gil = c.object(run, "gil");
    {
        Checker::Enter e(c, QStringLiteral("gil"));
        c.boolean(gil, "enabled");
        c.boolean(gil, "used");
        c.ms(gil, "switch_interval_ms");
        for (const char *k : { "acquisitions", "contended", "switches" })
            c.count(gil, k);
        c.ms(gil, "wait_ms");
    }
    // DESIGN §15 (docs/locks.md): absent when the run took no lock and updated no counter.
    c.objectsOf(run, "locks", L::kMaxStages, QStringLiteral("locks"), [&](const QString &, const QJsonObject &l) {
        const QJsonValue scope = c.get(l, "scope", QJsonValue::String, true);
        if (scope.isString() && scope.toString() != QLatin1String("thread")
            && scope.toString() != QLatin1String("process") && scope.toString() != QLatin1String("none")) {
            Checker::Enter e(c, QStringLiteral("scope"));
            c.fail(QStringLiteral("\"%1\"; expected thread, process or none").arg(scope.toString().left(60)));
        }
        for (const char *k : { "acquisitions", "contended", "timeouts", "recovered", "updates_expected", "updates_seen",
                 "lost_updates" })
            c.count(l, k);
        c.boolean(l, "counter");
        c.stats(l, "wait_ms");
        c.arrayOf(
            l, "waits_on", L::kMaxStages * L::kMaxStages, QStringLiteral("edges"), [&](int, const QJsonObject &e) {
                c.string(e, "waiter");
                c.string(e, "holder");
                for (const char *k : { "waiter_domain", "holder_domain" }) {
                    const QJsonValue d = c.get(e, k, QJsonValue::String, false, true);
                    if (d.isString()) {
                        Checker::Enter in(c, QLatin1String(k));
                        c.knownDomain(d.toString());
                    }
                }
                c.count(e, "waits");
                c.ms(e, "wait_ms");
            });
    });
    c.objectsOf(
        run, "domains", 4, QStringLiteral("domains"),
        [&](const QString &name, const QJsonObject &d) {
            c.knownDomain(name);
            c.workers(d, "workers");
            for (const char *k : { "completed", "starved", "crashes", "restarts" })
                c.count(d, k);
            c.number(d, "utilization", 0, 100);
            c.number(d, "p_wait", 0, 1);
            c.ms(d, "starved_ms");
            c.stats(d, "wait_ms");
            c.stats(d, "service_ms");
            // DESIGN §13; reports written before it have neither.
            c.number(d, "worker_seconds", 0, L::kMaxCount);
            if (const QJsonObject as = c.object(d, "autoscale"); !as.isEmpty()) {
                Checker::Enter e(c, QStringLiteral("autoscale"));
                c.string(as, "policy", true);
                c.count(as, "resizes");
                c.number(as, "worker_seconds", 0, L::kMaxCount);
                c.workers(as, "workers_min");
                c.workers(as, "workers_max");
            }
            {
                const QJsonObject q = c.object(d, "queue_depth");
                Checker::Enter e(c, QStringLiteral("queue_depth"));
                c.number(q, "mean", 0, L::kMaxCount);
                c.count(q, "max");
            }
            // The theory overlay (DESIGN §11); reports written before it have none.
            const QJsonObject th = c.object(d, "theory");
            if (th.isEmpty())
                return;
            Checker::Enter e(c, QStringLiteral("theory"));
            c.string(th, "model", true);
            c.get(th, "applies", QJsonValue::Bool, true);
            c.string(th, "why");
            const auto figures = [&](const QJsonObject &f, const char *key) {
                Checker::Enter k(c, QString::fromLatin1(key));
                c.number(f, "utilization", 0, 100);
                c.number(f, "p_wait", 0, 1);
                c.ms(f, "wait_mean_ms");
                c.number(f, "queue_mean", 0, L::kMaxCount);
            };
            const QJsonObject predicted = c.get(th, "predicted", QJsonValue::Object, true, true).toObject();
            if (!predicted.isEmpty()) {
                figures(predicted, "predicted");
                Checker::Enter k(c, QStringLiteral("predicted"));
                c.number(predicted, "p_block", 0, 1);
            }
            figures(c.object(th, "measured", true), "measured");
            {
                const QJsonObject in = c.object(th, "inputs");
                Checker::Enter k(c, QStringLiteral("inputs"));
                c.rate(in, "arrival_rate");
                c.ms(in, "service_mean_ms");
                c.number(in, "service_scv", 0, L::kMaxCount);
                c.number(in, "arrival_scv", 0, L::kMaxCount);
                c.workers(in, "workers");
                c.workers(in, "cores");
            }
            const QJsonObject little = c.object(th, "little", true);
            Checker::Enter k(c, QStringLiteral("little"));
            c.number(little, "l", 0, L::kMaxCount);
            c.number(little, "lambda_w", 0, L::kMaxCount);
            c.number(little, "mismatch", 0, 1);
        },
        true);
    const QJsonObject loop = c.object(run, "loop");
    {
        Checker::Enter e(c, QStringLiteral("loop"));
        const QJsonObject lag = c.object(loop, "lag_ms");
        Checker::Enter f(c, QStringLiteral("lag_ms"));
        for (const char *k : { "p50", "p99", "max" })
            c.ms(lag, k);
    }
    c.arrayOf(run, "findings", L::kMaxFindings, QStringLiteral("findings"), [&](int, const QJsonObject &f) {
        for (const char *k : { "rule", "severity", "domain", "class", "message", "advice" })
            c.string(f, k);
        c.seconds(f, "from_s");
        c.seconds(f, "to_s");
    });
    c.arrayOf(run, "events", L::kMaxEvents, QStringLiteral("events"), [&](int, const QJsonObject &ev) {
        c.number(ev, "t", 0, L::kMaxSeconds, Num::Real, true);
        c.string(ev, "label");
        c.string(ev, "kind");
        c.string(ev, "text");
    });
    // One phase per configuration: at most one more than the changes.
    c.arrayOf(run, "phases", L::kMaxEvents + 1, QStringLiteral("phases"), [&](int, const QJsonObject &ph) {
        for (const char *k : { "from_s", "to_s", "settle_s", "measured_s" })
            c.seconds(ph, k);
        c.boolean(ph, "settled");
        c.string(ph, "change");
        checkConfig(c, ph); // the configuration in effect during the phase
        c.objectsOf(
            ph, "classes", L::kMaxClasses, QStringLiteral("classes"), [&](const QString &, const QJsonObject &k) {
                c.rate(k, "throughput");
                for (const char *n : { "completed", "failed", "rejected", "samples" })
                    c.count(k, n);
                for (const char *n : { "p50_ms", "p99_ms", "naive_p99_ms", "sla_p99_ms" })
                    c.ms(k, n);
                c.boolean(k, "sla_met");
                c.string(k, "sla_verdict");
                c.msInterval(k, "p99_ci_ms");
            });
        c.objectsOf(ph, "domains", 4, QStringLiteral("domains"), [&](const QString &name, const QJsonObject &d) {
            c.knownDomain(name);
            c.workers(d, "workers");
            c.number(d, "utilization", 0, 100);
            c.number(d, "queue_mean", 0, L::kMaxCount);
            c.count(d, "queue_max");
            c.ms(d, "wait_mean_ms");
            c.number(d, "p_wait", 0, 1);
        });
    });
    if (c.failed())
        return;

    // The plots hold a point per frame and class: bound their product, not only each.
    const QJsonArray frames = c.array(run, "frames", true);
    if (c.failed())
        return;
    qsizetype classCount
        = run.value(QStringLiteral("config")).toObject().value(QStringLiteral("classes")).toArray().size();
    if (classCount == 0)
        classCount = run.value(QStringLiteral("classes")).toObject().size();
    {
        Checker::Enter e(c, QStringLiteral("frames"));
        if (frames.size() > L::kMaxFrames) {
            c.fail(QStringLiteral("%1 frames; at most %2").arg(frames.size()).arg(L::kMaxFrames));
            return;
        }
        if (qint64(frames.size()) * qint64(std::max<qsizetype>(classCount, 1)) > L::kMaxFrameCells) {
            c.fail(QStringLiteral("%1 frames of %2 classes: more than %3 points per plot")
                       .arg(frames.size())
                       .arg(classCount)
                       .arg(L::kMaxFrameCells));
            return;
        }
    }
    double previous = 0;
    c.arrayOf(run, "frames", L::kMaxFrames, QStringLiteral("frames"), [&](int, const QJsonObject &f) {
        const double t = c.number(f, "t", 0, L::kMaxSeconds, Num::Real, true);
        if (!c.failed() && t < previous) {
            Checker::Enter e(c, QStringLiteral("t"));
            c.fail(QStringLiteral("%1 is before the previous frame's %2; frames are in time order")
                       .arg(numberText(t), numberText(previous)));
        }
        previous = t;
        c.ms(f, "loop_lag_ms");
        c.boolean(f, "gil");
        c.smallCount(f, "gil_waiting");
        c.objectsOf(f, "domains", 4, QStringLiteral("domains"), [&](const QString &name, const QJsonObject &d) {
            c.knownDomain(name);
            for (const char *k : { "queue", "inflight", "busy", "starved" })
                c.smallCount(d, k);
            c.workers(d, "workers");
            c.count(d, "done");
            c.ms(d, "p99_ms");
            c.number(d, "utilization", 0, 100);
            c.rate(d, "throughput");
        });
        c.objectsOf(
            f, "classes", L::kMaxClasses, QStringLiteral("classes"), [&](const QString &, const QJsonObject &cl) {
                c.count(cl, "completed");
                c.ms(cl, "p99_ms");
                c.ms(cl, "naive_p99_ms");
                c.rate(cl, "throughput");
                c.ms(cl, "gil_wait_p99_ms");
            });
        // DESIGN §15, docs/locks.md: per lock or counter name.
        c.objectsOf(f, "locks", L::kMaxStages, QStringLiteral("locks"), [&](const QString &, const QJsonObject &l) {
            for (const char *k : { "acquisitions", "contended", "timeouts", "lost_updates" })
                c.count(l, k);
            c.smallCount(l, "waiting");
            c.ms(l, "wait_p99_ms");
        });
    });
}

} // namespace

namespace {
// hybridscope.sweep/1 (DESIGN §10), as the sweep report reads it.
void checkSweep(Checker &c, const QJsonObject &sweep)
{
    constexpr int kMaxVary = 2;
    constexpr int kMaxValues = 1000;
    constexpr int kMaxPoints = 10'000;
    // A varied value: a number (workers, a load factor, a time in seconds), or on an axis of
    // texts (an autoscale policy, a backpressure rule) one of its texts.
    const auto checkNumber = [&](const QJsonValue &v) {
        if (!v.isDouble() || !std::isfinite(v.toDouble()) || std::abs(v.toDouble()) > 1e12)
            c.fail(QStringLiteral("expected a number, found %1").arg(typeName(v)));
    };
    const auto checkText = [&](const QJsonValue &v) {
        if (!v.isString())
            c.fail(QStringLiteral("expected a text (the axis's values are texts), found %1").arg(typeName(v)));
        else if (v.toString().isEmpty() || v.toString().size() > L::kMaxStringChars)
            c.fail(QStringLiteral("a text of %1 characters; expected 1 to %2")
                       .arg(v.toString().size())
                       .arg(L::kMaxStringChars));
    };
    const QJsonValue scenario = sweep.value(QStringLiteral("scenario"));
    if (scenario.isObject()) {
        Checker::Enter e(c, QStringLiteral("scenario"));
        for (const char *k : { "name", "source", "description" })
            c.string(scenario.toObject(), k);
    } else {
        c.string(sweep, "scenario");
    }
    c.string(sweep, "mode");
    c.seconds(sweep, "wall_s");
    QStringList paths;
    std::vector<std::optional<QStringList>> texts; // per axis: its texts when its values are texts
    c.arrayOf(
        sweep, "vary", kMaxVary, QStringLiteral("varied settings"),
        [&](int, const QJsonObject &v) {
            c.string(v, "path", true);
            paths << v.value(QStringLiteral("path")).toString();
            const QJsonArray values = c.array(v, "values", true);
            Checker::Enter e(c, QStringLiteral("values"));
            if (values.size() > kMaxValues)
                c.fail(QStringLiteral("%1 values; at most %2").arg(values.size()).arg(kMaxValues));
            const bool text = !values.isEmpty() && values[0].isString();
            texts.push_back(text ? std::optional<QStringList>(QStringList {}) : std::nullopt);
            for (qsizetype i = 0; i < values.size() && !c.failed(); ++i) {
                Checker::Enter k(c, int(i));
                if (text) {
                    checkText(values[i]);
                    texts.back()->append(values[i].toString());
                } else {
                    checkNumber(values[i]);
                }
            }
        },
        true);
    if (c.failed())
        return;
    const auto valuesOf = [&](const QJsonObject &o) {
        const QJsonObject values = c.object(o, "values", true);
        Checker::Enter e(c, QStringLiteral("values"));
        for (std::size_t i = 0; i < texts.size() && !c.failed(); ++i) {
            const QString &p = paths[qsizetype(i)];
            if (!values.contains(p)) {
                c.fail(QStringLiteral("missing key \"%1\"").arg(p.left(60)));
                return;
            }
            Checker::Enter k(c, p);
            const QJsonValue v = values.value(p);
            if (!texts[i]) {
                checkNumber(v);
            } else {
                checkText(v);
                if (!c.failed() && !texts[i]->contains(v.toString()))
                    c.fail(QStringLiteral("\"%1\" is not among the axis's values").arg(v.toString().left(60)));
            }
        }
    };
    // A policy bake-off's figures at a fixed size: each class's P99 with its interval and verdict.
    const auto slaClasses = [&](const QJsonObject &o) {
        c.objectsOf(
            o, "classes", L::kMaxClasses, QStringLiteral("classes"), [&](const QString &, const QJsonObject &k) {
                for (const char *n : { "p99_ms", "sla_p99_ms" })
                    c.ms(k, n);
                c.msInterval(k, "p99_ci_ms");
                c.boolean(k, "met");
            });
    };
    c.arrayOf(sweep, "points", kMaxPoints, QStringLiteral("points"), [&](int, const QJsonObject &p) {
        valuesOf(p);
        c.seconds(p, "duration_s");
        c.count(p, "reps");
        c.boolean(p, "conserved");
        c.objectsOf(
            p, "classes", L::kMaxClasses, QStringLiteral("classes"), [&](const QString &, const QJsonObject &k) {
                c.rate(k, "throughput");
                for (const char *n : { "p50_ms", "p99_ms", "sla_p99_ms" })
                    c.ms(k, n);
                c.boolean(k, "sla_met");
                c.msInterval(k, "p99_ci_ms");
            });
        c.objectsOf(p, "domains", 4, QStringLiteral("domains"), [&](const QString &name, const QJsonObject &d) {
            c.knownDomain(name);
            c.workers(d, "workers");
            c.number(d, "utilization", 0, 100);
            c.number(d, "queue_mean", 0, L::kMaxCount);
            c.ms(d, "wait_mean_ms");
            c.number(d, "p_wait", 0, 1);
            const QJsonObject predicted = c.get(d, "predicted", QJsonValue::Object, false, true).toObject();
            {
                Checker::Enter e(c, QStringLiteral("predicted"));
                c.string(predicted, "model");
                c.number(predicted, "utilization", 0, 100);
                c.number(predicted, "p_wait", 0, 1);
                c.ms(predicted, "wait_mean_ms");
            }
            c.number(d, "worker_seconds", 0, L::kMaxCount);
            c.number(d, "workers_mean", 0, L::kMaxWorkers);
            const QJsonObject as = c.object(d, "autoscale");
            Checker::Enter a(c, QStringLiteral("autoscale"));
            if (d.contains(QStringLiteral("autoscale"))) {
                c.string(as, "policy", true);
                if (!c.failed() && !autoscalePolicyFromName(as.value(QStringLiteral("policy")).toString())) {
                    Checker::Enter k(c, QStringLiteral("policy"));
                    c.fail(QStringLiteral("unknown policy; expected off, queue, aimd, gradient or vegas"));
                }
            }
            c.count(as, "resizes");
            c.workers(as, "workers_min");
            c.workers(as, "workers_max");
            if (as.value(QStringLiteral("workers_min")).toDouble() > as.value(QStringLiteral("workers_max")).toDouble())
                c.fail(QStringLiteral("workers_min is above workers_max"));
        });
        c.number(p, "cost_ratio", 0, 1e12);
        const QJsonArray findings = c.array(p, "findings");
        Checker::Enter e(c, QStringLiteral("findings"));
        if (findings.size() > L::kMaxFindings)
            c.fail(QStringLiteral("%1 findings; at most %2").arg(findings.size()).arg(L::kMaxFindings));
    });
    if (c.failed())
        return;
    // knee: {path, value, method, class} or null; knees: one per class, {value, method}.
    const QJsonObject knee = c.get(sweep, "knee", QJsonValue::Object, false, true).toObject();
    {
        Checker::Enter e(c, QStringLiteral("knee"));
        for (const char *k : { "path", "method", "class" })
            c.string(knee, k);
        c.number(knee, "value", -1e12, 1e12);
    }
    c.objectsOf(sweep, "knees", L::kMaxClasses, QStringLiteral("knees"), [&](const QString &, const QJsonObject &k) {
        c.string(k, "method");
        c.number(k, "value", -1e12, 1e12);
    });
    const QJsonObject usl = c.get(sweep, "usl", QJsonValue::Object, false, true).toObject();
    {
        Checker::Enter e(c, QStringLiteral("usl"));
        c.string(usl, "path");
        for (const char *k : { "sigma", "kappa", "n_star" })
            c.number(usl, k, 0, 1e12);
        c.number(usl, "lambda", 0, L::kMaxRate);
        c.number(usl, "r2", -1e6, 1);
    }
    const QJsonObject rec = c.get(sweep, "recommendation", QJsonValue::Object, false, true).toObject();
    {
        Checker::Enter e(c, QStringLiteral("recommendation"));
        if (!rec.isEmpty())
            valuesOf(rec);
        c.number(rec, "cost", 0, 1e12);
        c.boolean(rec, "all_sla_met");
        c.string(rec, "reason");
    }
    // A policy bake-off: the cheapest fixed size that meets every SLA, or null and why.
    const QJsonObject baseline = c.get(sweep, "fixed_baseline", QJsonValue::Object, false, true).toObject();
    {
        Checker::Enter e(c, QStringLiteral("fixed_baseline"));
        if (!baseline.isEmpty()) {
            c.string(baseline, "domain", true);
            if (!c.failed()) {
                Checker::Enter k(c, QStringLiteral("domain"));
                c.knownDomain(baseline.value(QStringLiteral("domain")).toString());
            }
            c.number(baseline, "workers", 1, L::kMaxWorkers, Num::Integer, true);
            c.number(baseline, "worker_seconds", 0, L::kMaxCount, Num::Real, true);
            c.number(baseline, "workers_mean", 0, L::kMaxWorkers);
            c.seconds(baseline, "measured_s");
            slaClasses(baseline);
            c.string(baseline, "source");
            c.seconds(baseline, "budget_s");
            c.string(baseline, "search");
        }
    }
    c.string(sweep, "fixed_baseline_reason");
}

using CheckFn = void (*)(Checker &, const QJsonObject &);
struct Schema {
    const char *name;
    const char *writtenBy;
    CheckFn check;
};
const Schema kRunSchema { "hybridscope.run/1", "hybridscope run --json", checkRun };
const Schema kSweepSchema { "hybridscope.sweep/1", "hybridscope sweep --json", checkSweep };

// The document of `bytes` when it is an object of one of `schemas`, checked by its check.
bool parseDocument(const QByteArray &bytes, const QString &name, std::initializer_list<Schema> schemas,
    QJsonObject *out, QString *schemaFound, QString *error)
{
    if (bytes.size() > L::kMaxBytes) {
        *error = QStringLiteral("%1: larger than %2 MiB, the limit for a report").arg(name).arg(L::kMaxBytes >> 20);
        return false;
    }
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &pe);
    if (pe.error != QJsonParseError::NoError) {
        *error
            = QStringLiteral("%1:%2: not a JSON report: %3").arg(name, lineColumn(bytes, pe.offset), pe.errorString());
        return false;
    }
    if (!doc.isObject()) {
        *error = QStringLiteral("%1:%2: not a JSON report: expected an object, found %3")
                     .arg(name, lineColumn(bytes, JsonLocator(bytes).offsetOf({})),
                         doc.isArray() ? QStringLiteral("an array") : QStringLiteral("nothing"));
        return false;
    }
    const QJsonObject root = doc.object();
    const QJsonValue found = root.value(QStringLiteral("schema"));
    const Schema *schema = nullptr;
    QStringList expected;
    for (const Schema &s : schemas) {
        if (found.toString() == QLatin1String(s.name))
            schema = &s;
        expected << QStringLiteral("\"%1\" (a file from %2)").arg(QLatin1String(s.name), QLatin1String(s.writtenBy));
    }
    if (!schema) {
        const Path at = found.isUndefined() ? Path {} : Path { Step { QStringLiteral("schema"), -1 } };
        *error = QStringLiteral("%1:%2: schema is \"%3\", expected %4")
                     .arg(name, lineColumn(bytes, JsonLocator(bytes).offsetOf(at)), found.toString().left(60),
                         expected.join(QStringLiteral(" or ")));
        return false;
    }
    Checker c;
    schema->check(c, root);
    if (c.failed()) {
        *error = QStringLiteral("%1:%2: %3: %4")
                     .arg(name, lineColumn(bytes, JsonLocator(bytes).offsetOf(c.failedPath)), pathText(c.failedPath),
                         c.problem);
        return false;
    }
    *out = root;
    if (schemaFound)
        *schemaFound = QLatin1String(schema->name);
    return true;
}
} // namespace

bool parseRunJson(const QByteArray &bytes, const QString &name, QJsonObject *run, QString *error)
{
    return parseDocument(bytes, name, { kRunSchema }, run, nullptr, error);
}

bool parseSweepJson(const QByteArray &bytes, const QString &name, QJsonObject *sweep, QString *error)
{
    return parseDocument(bytes, name, { kSweepSchema }, sweep, nullptr, error);
}

bool parseReportJson(const QByteArray &bytes, const QString &name, QJsonObject *doc, QString *schema, QString *error)
{
    return parseDocument(bytes, name, { kRunSchema, kSweepSchema }, doc, schema, error);
}

} // namespace hs
