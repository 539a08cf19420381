#include "serve/liveprotocol.h"

#include "scenario/scenarioparser.h"
#include "scenario/units.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QSet>

#include <cmath>
#include <limits>

namespace hs {

namespace {

// Counters travel as JSON numbers: exact up to 2^53.
constexpr double kMaxExactCount = 9007199254740992.0;

QString quotedKey(const QString &path)
{
    return path.isEmpty() ? QStringLiteral("message") : path;
}

// What a JSON value is, for "expected X, got Y".
QString kindOf(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null: return QStringLiteral("null");
    case QJsonValue::Bool: return QStringLiteral("a boolean");
    case QJsonValue::Double: return QStringLiteral("the number ") + formatNumber(v.toDouble());
    case QJsonValue::String: return QStringLiteral("a string");
    case QJsonValue::Array: return QStringLiteral("an array");
    case QJsonValue::Object: return QStringLiteral("an object");
    case QJsonValue::Undefined: return QStringLiteral("nothing");
    }
    return {};
}

/**
 * Reads the fields of one JSON object with their path in every error ("domains.threads.queue:
 * expected a whole number, got a string"). The first error sticks; later reads are no-ops.
 */
class Reader {
public:
    Reader(const QJsonObject &o, QString path, QString *error)
        : m_o(o)
        , m_path(std::move(path))
        , m_error(error)
    { }

    bool ok() const { return m_ok; }
    QString path(const QString &key) const { return m_path.isEmpty() ? key : m_path + QLatin1Char('.') + key; }
    bool fail(const QString &key, const QString &what)
    {
        if (m_ok && m_error)
            *m_error = quotedKey(path(key)) + QStringLiteral(": ") + what;
        m_ok = false;
        return false;
    }
    // Fails with a message that already names its place (a nested reader's, with its full path).
    bool failWith(const QString &message)
    {
        if (m_ok && m_error)
            *m_error = message;
        m_ok = false;
        return false;
    }
    // A reader of a nested object whose errors carry this one's path; its failure must be passed
    // on with failedBelow().
    Reader child(const QJsonObject &o, const QString &key) const { return Reader(o, path(key), m_error); }
    bool failedBelow()
    {
        m_ok = false;
        return false;
    }
    bool has(const QString &key) const { return m_o.contains(key); }
    /// Fields added after protocol 1 was first published (issue 18): absent, they keep their
    /// defaults (a server of an earlier build), present, they are checked like the others.
    template<typename Read> bool optional(const QString &key, Read read) { return !has(key) || read(); }

    // The value at `key`, or a "missing" error.
    bool value(const QString &key, QJsonValue *v)
    {
        if (!m_ok)
            return false;
        const auto it = m_o.constFind(key);
        if (it == m_o.constEnd())
            return fail(key, QStringLiteral("missing"));
        *v = it.value();
        return true;
    }

    bool number(const QString &key, double *out)
    {
        QJsonValue v;
        if (!value(key, &v))
            return false;
        if (!v.isDouble() || !std::isfinite(v.toDouble()))
            return fail(key, QStringLiteral("expected a number, got ") + kindOf(v));
        *out = v.toDouble();
        return true;
    }
    bool nonNegative(const QString &key, double *out)
    {
        if (!number(key, out))
            return false;
        return *out >= 0 ? true : fail(key, QStringLiteral("expected a number >= 0, got ") + formatNumber(*out));
    }
    bool integer(const QString &key, double lo, double hi, double *out)
    {
        QJsonValue v;
        if (!value(key, &v))
            return false;
        const double d = v.toDouble();
        if (!v.isDouble() || !std::isfinite(d) || d != std::floor(d))
            return fail(key, QStringLiteral("expected a whole number, got ") + kindOf(v));
        if (d < lo || d > hi)
            return fail(key,
                QStringLiteral("expected a whole number from %1 to %2, got %3")
                    .arg(formatNumber(lo), formatNumber(hi), formatNumber(d)));
        *out = d;
        return true;
    }
    bool toInt(const QString &key, int *out, double lo = std::numeric_limits<int>::min(),
        double hi = std::numeric_limits<int>::max())
    {
        double d = 0;
        if (!integer(key, lo, hi, &d))
            return false;
        *out = int(d);
        return true;
    }
    bool count(const QString &key, std::uint64_t *out)
    {
        double d = 0;
        if (!integer(key, 0, kMaxExactCount, &d))
            return false;
        *out = std::uint64_t(d);
        return true;
    }
    bool boolean(const QString &key, bool *out)
    {
        QJsonValue v;
        if (!value(key, &v))
            return false;
        if (!v.isBool())
            return fail(key, QStringLiteral("expected true or false, got ") + kindOf(v));
        *out = v.toBool();
        return true;
    }
    bool string(const QString &key, QString *out)
    {
        QJsonValue v;
        if (!value(key, &v))
            return false;
        if (!v.isString())
            return fail(key, QStringLiteral("expected a string, got ") + kindOf(v));
        *out = v.toString();
        return true;
    }
    bool object(const QString &key, QJsonObject *out)
    {
        QJsonValue v;
        if (!value(key, &v))
            return false;
        if (!v.isObject())
            return fail(key, QStringLiteral("expected an object, got ") + kindOf(v));
        *out = v.toObject();
        return true;
    }
    bool array(const QString &key, QJsonArray *out)
    {
        QJsonValue v;
        if (!value(key, &v))
            return false;
        if (!v.isArray())
            return fail(key, QStringLiteral("expected an array, got ") + kindOf(v));
        *out = v.toArray();
        return true;
    }
    bool domain(const QString &key, DomainKind *out)
    {
        QString name;
        if (!string(key, &name))
            return false;
        const auto d = domainFromName(name);
        if (!d)
            return fail(
                key, QStringLiteral("unknown domain \"%1\"; expected loop, threads, tbb or procs").arg(name.left(40)));
        *out = *d;
        return true;
    }
    // Refuses keys outside `allowed`, naming the first one found.
    bool onlyKeys(const QStringList &allowed)
    {
        if (!m_ok)
            return false;
        for (auto it = m_o.constBegin(); it != m_o.constEnd(); ++it)
            if (!allowed.contains(it.key()))
                return fail(it.key().left(40),
                    QStringLiteral("unknown field; expected %1").arg(allowed.join(QStringLiteral(", "))));
        return true;
    }

private:
    const QJsonObject &m_o;
    QString m_path;
    QString *m_error;
    bool m_ok = true;
};

QJsonArray keyCountsJson(const std::array<KeyCount, kTopKeys> &keys)
{
    QJsonArray a;
    for (const KeyCount &k : keys)
        a.append(QJsonObject { { QStringLiteral("class"), k.cls }, { QStringLiteral("stage"), k.stage },
            { QStringLiteral("count"), k.count } });
    return a;
}

bool keyCountsFromJson(Reader &r, const QString &key, std::array<KeyCount, kTopKeys> *out)
{
    QJsonArray a;
    if (!r.array(key, &a))
        return false;
    if (a.size() != qsizetype(kTopKeys))
        return r.fail(key, QStringLiteral("expected %1 entries, got %2").arg(kTopKeys).arg(a.size()));
    for (qsizetype i = 0; i < a.size(); ++i) {
        const QString at = key + QStringLiteral("[%1]").arg(i);
        if (!a[i].isObject())
            return r.fail(at, QStringLiteral("expected an object, got ") + kindOf(a[i]));
        const QJsonObject o = a[i].toObject();
        KeyCount &kc = (*out)[std::size_t(i)];
        Reader kr = r.child(o, at);
        if (!kr.toInt(QStringLiteral("class"), &kc.cls, -1) || !kr.toInt(QStringLiteral("stage"), &kc.stage, -1)
            || !kr.toInt(QStringLiteral("count"), &kc.count, 0))
            return r.failedBelow();
    }
    return true;
}

QJsonObject domainFrameJson(const DomainFrame &d)
{
    return QJsonObject {
        { QStringLiteral("queue"), d.queue },
        { QStringLiteral("inflight"), d.inflight },
        { QStringLiteral("busy"), d.busy },
        { QStringLiteral("workers"), d.workers },
        { QStringLiteral("done"), double(d.done) },
        { QStringLiteral("p99_ms"), d.p99Ms },
        { QStringLiteral("starved"), d.starved },
        { QStringLiteral("utilization"), d.utilization },
        { QStringLiteral("throughput"), d.throughput },
        { QStringLiteral("cpu_running"), d.cpuRunning },
        { QStringLiteral("rejected"), double(d.rejected) },
        { QStringLiteral("crashes"), double(d.crashes) },
        { QStringLiteral("bounded"), d.bounded },
        { QStringLiteral("queued_top"), keyCountsJson(d.queuedTop) },
        { QStringLiteral("rejected_top"), keyCountsJson(d.rejectedTop) },
    };
}

QJsonObject keyCountJson(const KeyCount &k)
{
    return QJsonObject { { QStringLiteral("class"), k.cls }, { QStringLiteral("stage"), k.stage },
        { QStringLiteral("count"), k.count } };
}

bool keyCountFromJson(Reader &r, const QString &key, KeyCount *kc)
{
    QJsonObject o;
    if (!r.object(key, &o))
        return false;
    Reader kr = r.child(o, key);
    if (!kr.toInt(QStringLiteral("class"), &kc->cls, -1) || !kr.toInt(QStringLiteral("stage"), &kc->stage, -1)
        || !kr.toInt(QStringLiteral("count"), &kc->count, 0))
        return r.failedBelow();
    return true;
}

QJsonObject lockFrameJson(const LockFrame &l)
{
    return QJsonObject {
        { QStringLiteral("acquisitions"), double(l.acquisitions) },
        { QStringLiteral("contended"), double(l.contended) },
        { QStringLiteral("timeouts"), double(l.timeouts) },
        { QStringLiteral("recovered"), double(l.recovered) },
        { QStringLiteral("waiting"), l.waiting },
        { QStringLiteral("wait_p99_ms"), l.waitP99Ms },
        { QStringLiteral("updates_expected"), double(l.updatesExpected) },
        { QStringLiteral("updates_seen"), double(l.updatesSeen) },
        { QStringLiteral("top_waiter"), keyCountJson(l.topWaiter) },
        { QStringLiteral("top_holder"), keyCountJson(l.topHolder) },
        { QStringLiteral("waiter_domain"), l.waiterDomain },
        { QStringLiteral("holder_domain"), l.holderDomain },
    };
}

bool lockFrameFromJson(Reader &r, LockFrame *l)
{
    return r.count(QStringLiteral("acquisitions"), &l->acquisitions)
        && r.count(QStringLiteral("contended"), &l->contended) && r.count(QStringLiteral("timeouts"), &l->timeouts)
        && r.count(QStringLiteral("recovered"), &l->recovered) && r.toInt(QStringLiteral("waiting"), &l->waiting, 0)
        && r.nonNegative(QStringLiteral("wait_p99_ms"), &l->waitP99Ms)
        && r.count(QStringLiteral("updates_expected"), &l->updatesExpected)
        && r.count(QStringLiteral("updates_seen"), &l->updatesSeen)
        && keyCountFromJson(r, QStringLiteral("top_waiter"), &l->topWaiter)
        && keyCountFromJson(r, QStringLiteral("top_holder"), &l->topHolder)
        && r.toInt(QStringLiteral("waiter_domain"), &l->waiterDomain, -1, kDomainCount - 1)
        && r.toInt(QStringLiteral("holder_domain"), &l->holderDomain, -1, kDomainCount - 1);
}

QJsonObject classFrameJson(const ClassFrame &c)
{
    return QJsonObject {
        { QStringLiteral("submitted"), double(c.submitted) },
        { QStringLiteral("completed"), double(c.completed) },
        { QStringLiteral("failed"), double(c.failed) },
        { QStringLiteral("rejected"), double(c.rejected) },
        { QStringLiteral("cancelled"), double(c.cancelled) },
        { QStringLiteral("p50_ms"), c.p50Ms },
        { QStringLiteral("p99_ms"), c.p99Ms },
        { QStringLiteral("naive_p99_ms"), c.naiveP99Ms },
        { QStringLiteral("throughput"), c.throughput },
        { QStringLiteral("gil_wait_p99_ms"), c.gilWaitP99Ms },
        { QStringLiteral("procs_ipc_ms"), c.procsIpcMs },
        { QStringLiteral("procs_service_ms"), c.procsServiceMs },
        { QStringLiteral("procs_stages"), double(c.procsStages) },
    };
}

// A nested object's fields, reported with the nested path; `outer` fails along with it.
template<typename Fn> bool nested(Reader &outer, const QString &key, const QJsonObject &o, Fn &&read)
{
    Reader r = outer.child(o, key);
    return read(r) ? true : outer.failedBelow();
}

bool domainFrameFromJson(Reader &r, DomainFrame *d)
{
    return r.toInt(QStringLiteral("queue"), &d->queue, 0) && r.toInt(QStringLiteral("inflight"), &d->inflight, 0)
        && r.toInt(QStringLiteral("busy"), &d->busy, 0) && r.toInt(QStringLiteral("workers"), &d->workers, 0)
        && r.count(QStringLiteral("done"), &d->done) && r.nonNegative(QStringLiteral("p99_ms"), &d->p99Ms)
        && r.toInt(QStringLiteral("starved"), &d->starved, 0)
        && r.nonNegative(QStringLiteral("utilization"), &d->utilization)
        && r.nonNegative(QStringLiteral("throughput"), &d->throughput)
        && r.toInt(QStringLiteral("cpu_running"), &d->cpuRunning, 0)
        && r.count(QStringLiteral("rejected"), &d->rejected) && r.count(QStringLiteral("crashes"), &d->crashes)
        && r.boolean(QStringLiteral("bounded"), &d->bounded)
        && keyCountsFromJson(r, QStringLiteral("queued_top"), &d->queuedTop)
        && keyCountsFromJson(r, QStringLiteral("rejected_top"), &d->rejectedTop);
}

bool classFrameFromJson(Reader &r, ClassFrame *c)
{
    return r.count(QStringLiteral("submitted"), &c->submitted) && r.count(QStringLiteral("completed"), &c->completed)
        && r.count(QStringLiteral("failed"), &c->failed) && r.count(QStringLiteral("rejected"), &c->rejected)
        && r.count(QStringLiteral("cancelled"), &c->cancelled) && r.nonNegative(QStringLiteral("p50_ms"), &c->p50Ms)
        && r.nonNegative(QStringLiteral("p99_ms"), &c->p99Ms)
        && r.optional(QStringLiteral("naive_p99_ms"),
            [&] { return r.nonNegative(QStringLiteral("naive_p99_ms"), &c->naiveP99Ms); })
        && r.nonNegative(QStringLiteral("throughput"), &c->throughput)
        && r.nonNegative(QStringLiteral("gil_wait_p99_ms"), &c->gilWaitP99Ms)
        && r.nonNegative(QStringLiteral("procs_ipc_ms"), &c->procsIpcMs)
        && r.nonNegative(QStringLiteral("procs_service_ms"), &c->procsServiceMs)
        && r.count(QStringLiteral("procs_stages"), &c->procsStages);
}

// The scenario rules' messages start with the field's name; the reader adds its own.
QString ruleMessage(const QString &why, const QString &key)
{
    const QString prefix = key + QStringLiteral(": ");
    return why.startsWith(prefix) ? why.mid(prefix.size()) : why;
}

// A duration field of a command: a number of seconds or a text the scenario format reads ("250ms"),
// checked by the scenario's rule at `rulePath`.
bool durationField(Reader &r, const QString &key, const QString &rulePath, double *out)
{
    QJsonValue v;
    if (!r.value(key, &v))
        return false;
    QString text;
    if (v.isDouble() && std::isfinite(v.toDouble()))
        text = formatNumber(v.toDouble()) + QLatin1Char('s');
    else if (v.isString())
        text = v.toString();
    else
        return r.fail(key, QStringLiteral("expected a duration (seconds, or a text like \"250ms\"), got ") + kindOf(v));
    if (const QString why = ScenarioParser::checkField(rulePath, text); !why.isEmpty())
        return r.fail(key, ruleMessage(why, key));
    const auto s = parseDuration(text);
    if (!s)
        return r.fail(key, QStringLiteral("expected a duration like \"250ms\""));
    *out = *s;
    return true;
}

// An integer field of a command, checked by the scenario's rule at `rulePath` (its range and note).
bool ruleInt(Reader &r, const QString &key, const QString &rulePath, int *out)
{
    QJsonValue v;
    if (!r.value(key, &v))
        return false;
    const double d = v.toDouble();
    if (!v.isDouble() || !std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 1e15)
        return r.fail(key, QStringLiteral("expected a whole number, got ") + kindOf(v));
    if (const QString why = ScenarioParser::checkField(rulePath, formatNumber(d)); !why.isEmpty())
        return r.fail(key, ruleMessage(why, key));
    *out = int(d);
    return true;
}

bool ruleChoice(Reader &r, const QString &key, const QString &rulePath, QString *out)
{
    if (!r.string(key, out))
        return false;
    if (const QString why = ScenarioParser::checkField(rulePath, *out); !why.isEmpty() || out->trimmed() != *out)
        return r.fail(key,
            why.isEmpty() ? QStringLiteral("expected the value without spaces around it, got %1").arg(quotedValue(*out))
                          : ruleMessage(why, key));
    return true;
}

} // namespace

QString hybridscopeVersion()
{
    return QStringLiteral(HS_VERSION);
}

QJsonObject liveFrameJson(const Frame &f)
{
    QJsonObject domains;
    for (DomainKind d : kAllDomains)
        domains.insert(domainName(d), domainFrameJson(f.domains[std::size_t(d)]));
    QJsonArray classes;
    for (const ClassFrame &c : f.classes)
        classes.append(classFrameJson(c));
    QJsonArray locks;
    for (const LockFrame &l : f.locks)
        locks.append(lockFrameJson(l));
    return QJsonObject {
        { QStringLiteral("t"), f.t },
        { QStringLiteral("loop_lag_ms"), f.loopLagMs },
        { QStringLiteral("gil"), f.gil },
        { QStringLiteral("gil_waiting"), f.gilWaiting },
        { QStringLiteral("loop_block"),
            QJsonObject { { QStringLiteral("class"), f.loopBlockClass }, { QStringLiteral("stage"), f.loopBlockStage },
                { QStringLiteral("ms"), f.loopBlockMs } } },
        { QStringLiteral("loop_busy"),
            QJsonObject {
                { QStringLiteral("ms"), f.loopBusyMs }, { QStringLiteral("top"), keyCountsJson(f.loopBusyTop) } } },
        { QStringLiteral("domains"), domains },
        { QStringLiteral("classes"), classes },
        { QStringLiteral("locks"), locks },
    };
}

bool liveFrameFromJson(const QJsonObject &o, Frame *frame, QString *error)
{
    Frame f;
    Reader r(o, QString(), error);
    QJsonObject block, domains;
    QJsonArray classes;
    if (!r.nonNegative(QStringLiteral("t"), &f.t) || !r.nonNegative(QStringLiteral("loop_lag_ms"), &f.loopLagMs)
        || !r.boolean(QStringLiteral("gil"), &f.gil) || !r.toInt(QStringLiteral("gil_waiting"), &f.gilWaiting, 0)
        || !r.object(QStringLiteral("loop_block"), &block) || !r.object(QStringLiteral("domains"), &domains)
        || !r.array(QStringLiteral("classes"), &classes))
        return false;
    if (!nested(r, QStringLiteral("loop_block"), block, [&](Reader &b) {
            return b.toInt(QStringLiteral("class"), &f.loopBlockClass, -1)
                && b.toInt(QStringLiteral("stage"), &f.loopBlockStage, -1)
                && b.nonNegative(QStringLiteral("ms"), &f.loopBlockMs);
        }))
        return false;
    if (!r.optional(QStringLiteral("loop_busy"), [&] {
            QJsonObject busy;
            return r.object(QStringLiteral("loop_busy"), &busy)
                && nested(r, QStringLiteral("loop_busy"), busy, [&](Reader &b) {
                       return b.nonNegative(QStringLiteral("ms"), &f.loopBusyMs)
                           && keyCountsFromJson(b, QStringLiteral("top"), &f.loopBusyTop);
                   });
        }))
        return false;
    if (!r.optional(QStringLiteral("locks"), [&] {
            QJsonArray locks;
            if (!r.array(QStringLiteral("locks"), &locks))
                return false;
            f.locks.resize(std::size_t(locks.size()));
            for (qsizetype i = 0; i < locks.size(); ++i) {
                const QString at = QStringLiteral("locks[%1]").arg(i);
                if (!locks[i].isObject())
                    return r.fail(at, QStringLiteral("expected an object, got ") + kindOf(locks[i]));
                const QJsonObject one = locks[i].toObject();
                if (!nested(r, at, one, [&](Reader &x) { return lockFrameFromJson(x, &f.locks[std::size_t(i)]); }))
                    return false;
            }
            return true;
        }))
        return false;
    for (auto it = domains.constBegin(); it != domains.constEnd(); ++it)
        if (!domainFromName(it.key()))
            return r.fail(QStringLiteral("domains.") + it.key().left(40),
                QStringLiteral("unknown domain; expected loop, threads, tbb and procs"));
    Reader dreader = r.child(domains, QStringLiteral("domains"));
    for (DomainKind d : kAllDomains) {
        QJsonObject one;
        if (!dreader.object(domainName(d), &one) || !nested(dreader, domainName(d), one, [&](Reader &x) {
                return domainFrameFromJson(x, &f.domains[std::size_t(d)]);
            }))
            return r.failedBelow();
    }
    f.classes.resize(std::size_t(classes.size()));
    for (qsizetype i = 0; i < classes.size(); ++i) {
        const QString at = QStringLiteral("classes[%1]").arg(i);
        if (!classes[i].isObject())
            return r.fail(at, QStringLiteral("expected an object, got ") + kindOf(classes[i]));
        const QJsonObject c = classes[i].toObject();
        if (!nested(r, at, c, [&](Reader &x) { return classFrameFromJson(x, &f.classes[std::size_t(i)]); }))
            return false;
    }
    *frame = std::move(f);
    return true;
}

QJsonObject liveEventJson(const RunEvent &e)
{
    return QJsonObject { { QStringLiteral("t"), e.t }, { QStringLiteral("label"), e.label },
        { QStringLiteral("kind"), e.kind } };
}

bool liveEventFromJson(const QJsonObject &o, RunEvent *event, QString *error)
{
    RunEvent e;
    Reader r(o, QString(), error);
    if (!r.nonNegative(QStringLiteral("t"), &e.t) || !r.string(QStringLiteral("label"), &e.label)
        || !r.string(QStringLiteral("kind"), &e.kind))
        return false;
    *event = std::move(e);
    return true;
}

QString liveCommandName(LiveCommand::Type type)
{
    switch (type) {
    case LiveCommand::Type::Resize: return QStringLiteral("resize");
    case LiveCommand::Type::Reassign: return QStringLiteral("reassign");
    case LiveCommand::Type::Backpressure: return QStringLiteral("backpressure");
    case LiveCommand::Type::Autoscale: return QStringLiteral("autoscale");
    case LiveCommand::Type::Gil: return QStringLiteral("gil");
    case LiveCommand::Type::Stop: return QStringLiteral("stop");
    }
    return {};
}

QJsonObject liveCommandJson(const LiveCommand &c)
{
    QJsonObject o { { QStringLiteral("type"), liveCommandName(c.type) } };
    switch (c.type) {
    case LiveCommand::Type::Resize:
        o.insert(QStringLiteral("domain"), domainName(c.domain));
        o.insert(QStringLiteral("workers"), c.workers);
        break;
    case LiveCommand::Type::Reassign:
        o.insert(QStringLiteral("key"), c.key);
        o.insert(QStringLiteral("domain"), domainName(c.domain));
        break;
    case LiveCommand::Type::Backpressure:
        o.insert(QStringLiteral("domain"), domainName(c.domain));
        o.insert(QStringLiteral("queue"), c.backpressure.queue);
        o.insert(QStringLiteral("max_inflight"), c.backpressure.maxInflight);
        o.insert(QStringLiteral("on_full"), onFullName(c.backpressure.onFull));
        break;
    case LiveCommand::Type::Autoscale:
        o.insert(QStringLiteral("domain"), domainName(c.domain));
        o.insert(QStringLiteral("policy"), autoscalePolicyName(c.autoscale.policy));
        o.insert(QStringLiteral("min"), c.autoscale.min);
        if (c.autoscale.max > 0)
            o.insert(QStringLiteral("max"), c.autoscale.max);
        o.insert(QStringLiteral("interval"), c.autoscale.interval);
        if (c.autoscale.targetP99 > 0)
            o.insert(QStringLiteral("target_p99"), c.autoscale.targetP99);
        break;
    case LiveCommand::Type::Gil: o.insert(QStringLiteral("enabled"), c.gilEnabled); break;
    case LiveCommand::Type::Stop: break;
    }
    if (!c.id.isUndefined())
        o.insert(QStringLiteral("id"), c.id);
    return o;
}

bool parseLiveCommand(const QByteArray &text, LiveCommand *out, QString *error, QString *commandName)
{
    QString dummy;
    QString &name = commandName ? *commandName : dummy;
    name.clear();
    out->id = QJsonValue(QJsonValue::Undefined);
    const auto fail = [error](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    if (text.size() > kLiveMaxMessageBytes)
        return fail(QStringLiteral("message too big: %1 bytes, at most %2").arg(text.size()).arg(kLiveMaxMessageBytes));
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(text, &pe);
    if (pe.error != QJsonParseError::NoError)
        return fail(QStringLiteral("not JSON: %1 at offset %2").arg(pe.errorString()).arg(pe.offset));
    if (!doc.isObject())
        return fail(QStringLiteral("not a JSON object: every message is {\"type\": ..., ...}"));
    const QJsonObject o = doc.object();
    Reader r(o, QString(), error);
    // The id first, so that even a refused message's ack carries it.
    if (r.has(QStringLiteral("id"))) {
        const QJsonValue id = o.value(QStringLiteral("id"));
        if (!id.isString() && !(id.isDouble() && std::isfinite(id.toDouble())))
            return r.fail(QStringLiteral("id"), QStringLiteral("expected a number or a string, got ") + kindOf(id));
        if (id.isString() && id.toString().size() > 256)
            return r.fail(QStringLiteral("id"), QStringLiteral("at most 256 characters"));
        out->id = id;
    }
    QString type;
    if (!r.string(QStringLiteral("type"), &type))
        return false;
    static const QHash<QString, LiveCommand::Type> kTypes {
        { QStringLiteral("resize"), LiveCommand::Type::Resize },
        { QStringLiteral("reassign"), LiveCommand::Type::Reassign },
        { QStringLiteral("backpressure"), LiveCommand::Type::Backpressure },
        { QStringLiteral("autoscale"), LiveCommand::Type::Autoscale },
        { QStringLiteral("gil"), LiveCommand::Type::Gil },
        { QStringLiteral("stop"), LiveCommand::Type::Stop },
    };
    const auto t = kTypes.constFind(type);
    if (t == kTypes.constEnd())
        return r.fail(QStringLiteral("type"),
            QStringLiteral("unknown type \"%1\"; expected resize, reassign, backpressure, autoscale, gil or stop")
                .arg(type.left(40)));
    name = type;
    LiveCommand c;
    c.type = *t;
    c.id = out->id;
    const QString common = QStringLiteral("type,id,");
    const auto allowed = [&](const char *fields) {
        return r.onlyKeys(QString(common + QLatin1String(fields)).split(QLatin1Char(','), Qt::SkipEmptyParts));
    };
    const auto domainPath = [&](const char *field) -> QString {
        return QStringLiteral("domains.") + domainName(c.domain) + QLatin1Char('.') + QLatin1String(field);
    };
    switch (c.type) {
    case LiveCommand::Type::Resize:
        if (!allowed("domain,workers") || !r.domain(QStringLiteral("domain"), &c.domain)
            || !ruleInt(r, QStringLiteral("workers"), domainPath("workers"), &c.workers))
            return false;
        break;
    case LiveCommand::Type::Reassign: {
        if (!allowed("key,domain") || !r.string(QStringLiteral("key"), &c.key)
            || !r.domain(QStringLiteral("domain"), &c.domain))
            return false;
        // The same check as --route CLASS.STAGE=DOMAIN; whether the stage exists is the engine's answer.
        QString why;
        if (!ScenarioParser::parseRouteArgument(c.key + QLatin1Char('=') + domainName(c.domain), &why))
            return r.fail(QStringLiteral("key"),
                QStringLiteral("expected CLASS.STAGE, like api.fetch; got %1").arg(quotedValue(c.key)));
        break;
    }
    case LiveCommand::Type::Backpressure: {
        // As in a scenario's domain block: a field left out takes its default (0, 0, reject).
        if (!allowed("domain,queue,max_inflight,on_full") || !r.domain(QStringLiteral("domain"), &c.domain))
            return false;
        if (r.has(QStringLiteral("queue"))
            && !ruleInt(r, QStringLiteral("queue"), domainPath("queue"), &c.backpressure.queue))
            return false;
        if (r.has(QStringLiteral("max_inflight"))
            && !ruleInt(r, QStringLiteral("max_inflight"), domainPath("max_inflight"), &c.backpressure.maxInflight))
            return false;
        if (r.has(QStringLiteral("on_full"))) {
            QString v;
            if (!ruleChoice(r, QStringLiteral("on_full"), domainPath("on_full"), &v))
                return false;
            const auto onFull = onFullFromName(v);
            if (!onFull)
                return r.fail(QStringLiteral("on_full"), QStringLiteral("expected reject, block or drop_oldest"));
            c.backpressure.onFull = *onFull;
        }
        break;
    }
    case LiveCommand::Type::Autoscale: {
        // As in a scenario's autoscale block: policy is required here, the rest takes its default.
        if (!allowed("domain,policy,min,max,interval,target_p99") || !r.domain(QStringLiteral("domain"), &c.domain))
            return false;
        if (c.domain == DomainKind::Loop)
            return r.fail(QStringLiteral("domain"),
                QStringLiteral("autoscale applies to the pools (threads, tbb, procs): the loop always runs on one "
                               "thread"));
        const auto path = [&](const char *field) -> QString {
            return QStringLiteral("domains.") + domainName(c.domain) + QStringLiteral(".autoscale.")
                + QLatin1String(field);
        };
        QString policy;
        if (!ruleChoice(r, QStringLiteral("policy"), path("policy"), &policy))
            return false;
        const auto p = autoscalePolicyFromName(policy);
        if (!p)
            return r.fail(QStringLiteral("policy"), QStringLiteral("expected off, queue, aimd, gradient or vegas"));
        c.autoscale.policy = *p;
        if (r.has(QStringLiteral("min")) && !ruleInt(r, QStringLiteral("min"), path("min"), &c.autoscale.min))
            return false;
        if (r.has(QStringLiteral("max")) && !ruleInt(r, QStringLiteral("max"), path("max"), &c.autoscale.max))
            return false;
        if (c.autoscale.max > 0 && c.autoscale.max < c.autoscale.min)
            return r.fail(QStringLiteral("max"),
                QStringLiteral("must be at least min (%1), got %2").arg(c.autoscale.min).arg(c.autoscale.max));
        if (r.has(QStringLiteral("interval"))
            && !durationField(r, QStringLiteral("interval"), path("interval"), &c.autoscale.interval))
            return false;
        if (r.has(QStringLiteral("target_p99"))
            && !durationField(r, QStringLiteral("target_p99"), path("target_p99"), &c.autoscale.targetP99))
            return false;
        break;
    }
    case LiveCommand::Type::Gil:
        if (!allowed("enabled") || !r.boolean(QStringLiteral("enabled"), &c.gilEnabled))
            return false;
        break;
    case LiveCommand::Type::Stop:
        if (!allowed(""))
            return false;
        break;
    }
    *out = std::move(c);
    return true;
}

QJsonObject liveHelloJson(const LiveHello &h, const QJsonObject &config)
{
    QJsonArray classes;
    for (const QString &c : h.classes)
        classes.append(c);
    QJsonArray frames;
    for (const Frame &f : h.frames)
        frames.append(liveFrameJson(f));
    QJsonArray events;
    for (const RunEvent &e : h.events)
        events.append(liveEventJson(e));
    return QJsonObject {
        { QStringLiteral("type"), QStringLiteral("hello") },
        { QStringLiteral("protocol"), h.protocol },
        { QStringLiteral("version"), h.version },
        { QStringLiteral("scenario"), h.scenarioYaml },
        { QStringLiteral("config"), config },
        { QStringLiteral("name"), h.name },
        { QStringLiteral("elapsed_s"), h.elapsedS },
        { QStringLiteral("duration_s"), h.durationS },
        { QStringLiteral("classes"), classes },
        { QStringLiteral("frames"), frames },
        { QStringLiteral("events"), events },
    };
}

bool parseLiveHello(const QJsonObject &o, LiveHello *hello, QString *error)
{
    LiveHello h;
    Reader r(o, QString(), error);
    QString type;
    if (!r.string(QStringLiteral("type"), &type))
        return false;
    if (type != QLatin1String("hello"))
        return r.fail(QStringLiteral("type"), QStringLiteral("expected \"hello\", got \"%1\"").arg(type.left(40)));
    if (!r.toInt(QStringLiteral("protocol"), &h.protocol))
        return false;
    if (h.protocol != kLiveProtocol)
        return r.fail(QStringLiteral("protocol"),
            QStringLiteral("the server speaks /live protocol %1; this build speaks %2")
                .arg(h.protocol)
                .arg(kLiveProtocol));
    QJsonObject config;
    QJsonArray classes, frames, events;
    if (!r.string(QStringLiteral("version"), &h.version) || !r.string(QStringLiteral("name"), &h.name)
        || !r.string(QStringLiteral("scenario"), &h.scenarioYaml) || !r.object(QStringLiteral("config"), &config)
        || !r.nonNegative(QStringLiteral("elapsed_s"), &h.elapsedS)
        || !r.nonNegative(QStringLiteral("duration_s"), &h.durationS) || !r.array(QStringLiteral("classes"), &classes)
        || !r.array(QStringLiteral("frames"), &frames) || !r.array(QStringLiteral("events"), &events))
        return false;
    for (qsizetype i = 0; i < classes.size(); ++i) {
        if (!classes[i].isString())
            return r.fail(
                QStringLiteral("classes[%1]").arg(i), QStringLiteral("expected a string, got ") + kindOf(classes[i]));
        h.classes << classes[i].toString();
    }
    h.frames.resize(std::size_t(frames.size()));
    for (qsizetype i = 0; i < frames.size(); ++i) {
        const QString at = QStringLiteral("frames[%1]").arg(i);
        if (!frames[i].isObject())
            return r.fail(at, QStringLiteral("expected an object, got ") + kindOf(frames[i]));
        QString why;
        if (!liveFrameFromJson(frames[i].toObject(), &h.frames[std::size_t(i)], &why))
            return r.failWith(at + QLatin1Char('.') + why);
        if (h.frames[std::size_t(i)].classes.size() != std::size_t(h.classes.size()))
            return r.fail(at + QStringLiteral(".classes"),
                QStringLiteral("expected %1 entries (one per class), got %2")
                    .arg(h.classes.size())
                    .arg(h.frames[std::size_t(i)].classes.size()));
    }
    h.events.resize(std::size_t(events.size()));
    for (qsizetype i = 0; i < events.size(); ++i) {
        const QString at = QStringLiteral("events[%1]").arg(i);
        if (!events[i].isObject())
            return r.fail(at, QStringLiteral("expected an object, got ") + kindOf(events[i]));
        QString why;
        if (!liveEventFromJson(events[i].toObject(), &h.events[std::size_t(i)], &why))
            return r.failWith(at + QLatin1Char('.') + why);
    }
    *hello = std::move(h);
    return true;
}

QJsonObject liveAckJson(bool ok, const QString &error, const QString &command, const QJsonValue &id)
{
    QJsonObject o { { QStringLiteral("type"), QStringLiteral("ack") }, { QStringLiteral("ok"), ok },
        { QStringLiteral("error"), error }, { QStringLiteral("command"), command } };
    if (!id.isUndefined() && !id.isNull())
        o.insert(QStringLiteral("id"), id);
    return o;
}

QJsonObject liveEndJson(const QString &reason, double elapsedS)
{
    return QJsonObject { { QStringLiteral("type"), QStringLiteral("end") }, { QStringLiteral("reason"), reason },
        { QStringLiteral("elapsed_s"), elapsedS } };
}

} // namespace hs
