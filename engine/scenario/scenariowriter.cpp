#include "scenario/scenariowriter.h"

#include "scenario/units.h"

#include <QRegularExpression>
#include <QStringList>

namespace hs {

namespace {

constexpr int kWrapColumn = 96;

QString durationText(double s)
{
    return formatDuration(s);
}

QString distText(const Distribution &d, Quantity q)
{
    return ScenarioWriter::scalar(formatDistribution(d, q));
}

QString doubleQuoted(const QString &text)
{
    QString out = QStringLiteral("\"");
    for (const QChar c : text) {
        switch (c.unicode()) {
        case '"': out += QStringLiteral("\\\""); break;
        case '\\': out += QStringLiteral("\\\\"); break;
        case '\n': out += QStringLiteral("\\n"); break;
        case '\t': out += QStringLiteral("\\t"); break;
        case '\r': out += QStringLiteral("\\r"); break;
        case 0x85:
        case 0x2028:
        case 0x2029: out += QStringLiteral("\\u%1").arg(c.unicode(), 4, 16, QLatin1Char('0')); break;
        default:
            if (c.unicode() < 0x20 || c.unicode() == 0x7f)
                out += QStringLiteral("\\x%1").arg(c.unicode(), 2, 16, QLatin1Char('0'));
            else
                out += c;
        }
    }
    return out + QLatin1Char('"');
}

bool hasControl(const QString &text, bool newlineAllowed)
{
    for (const QChar c : text)
        if ((c.unicode() < 0x20 && !(newlineAllowed && c == u'\n')) || c.unicode() == 0x7f || c.unicode() == 0x85
            || c.unicode() == 0x2028 || c.unicode() == 0x2029 || c == u'\uFEFF')
            return true;
    return false;
}

/**
 * Prose (descriptions, lesson text) as a block scalar a person can read and edit: a single line
 * folded at spaces (`>-`), several lines literally (`|-`). Only when the block reads back as the
 * same text; otherwise a quoted scalar on the key's line. `indent` is the key's indentation.
 */
QString prose(const QString &text, int indent)
{
    const QString pad(indent + 2, QLatin1Char(' '));
    const bool trimmed = text == text.trimmed() && !text.isEmpty();
    if (trimmed && !hasControl(text, true)) {
        const QStringList lines = text.split(QLatin1Char('\n'));
        bool clean = true;
        for (const QString &l : lines)
            clean = clean && l == l.trimmed();
        if (lines.size() > 1 && clean) {
            QString out = QStringLiteral("|-\n");
            for (const QString &l : lines)
                out += (l.isEmpty() ? QString() : pad + l) + QLatin1Char('\n');
            out.chop(1);
            return out;
        }
        // Folding joins lines with one space: fold only at single spaces.
        if (lines.size() == 1 && text.size() > kWrapColumn - indent && !text.contains(QStringLiteral("  "))) {
            QString out = QStringLiteral(">-\n");
            QString line;
            for (const QString &word : text.split(QLatin1Char(' '))) {
                if (!line.isEmpty() && pad.size() + line.size() + 1 + word.size() > kWrapColumn) {
                    out += pad + line + QLatin1Char('\n');
                    line.clear();
                }
                line += (line.isEmpty() ? QString() : QStringLiteral(" ")) + word;
            }
            out += pad + line;
            return out;
        }
    }
    return ScenarioWriter::scalar(text);
}

QString flow(const QStringList &pairs)
{
    return pairs.isEmpty() ? QStringLiteral("{}")
                           : QStringLiteral("{ ") + pairs.join(QStringLiteral(", ")) + QStringLiteral(" }");
}

QString pair(const char *key, const QString &value)
{
    return QLatin1String(key) + QStringLiteral(": ") + value;
}

QString conditionText(const Condition &c)
{
    static const char *const ops[] = { "<", "<=", ">", ">=" };
    // Condition::toString() rounds to 6 digits; a file keeps the exact value.
    return ScenarioWriter::scalar(QLatin1String(ops[int(c.op)]) + QLatin1Char(' ') + formatNumber(c.value));
}

QString arrivalText(const Arrival &a)
{
    QStringList p { pair("process", arrivalName(a.process)) };
    switch (a.process) {
    case ArrivalProcess::Poisson:
    case ArrivalProcess::Constant: p << pair("rate", formatRate(a.rate)); break;
    case ArrivalProcess::Burst:
        p << pair("rate", formatRate(a.rate)) << pair("on", durationText(a.on)) << pair("off", durationText(a.off));
        break;
    case ArrivalProcess::Ramp:
        p << pair("from", formatRate(a.from)) << pair("to", formatRate(a.to));
        if (a.over > 0)
            p << pair("over", durationText(a.over));
        break;
    case ArrivalProcess::Closed:
        p << pair("clients", QString::number(a.clients));
        if (!a.think.isZero())
            p << pair("think", distText(a.think, Quantity::Duration));
        if (a.rate > 0) // wrk2's model (DESIGN §15)
            p << pair("rate", formatRate(a.rate));
        break;
    }
    return flow(p);
}

QString stageText(const Stage &st)
{
    QStringList p { pair("name", ScenarioWriter::scalar(st.name)), pair("work", workName(st.work)) };
    if (st.work == WorkKind::Cpu && st.kernel != CpuKernel::Spin)
        p << pair("kernel", kernelName(st.kernel));
    if (st.work != WorkKind::Disk)
        p << pair("time", distText(st.time, Quantity::Duration));
    if (st.work == WorkKind::Disk || (st.work == WorkKind::Net && !st.bytes.isZero()))
        p << pair("bytes", distText(st.bytes, Quantity::Size));
    if (st.work == WorkKind::Disk && st.fsync)
        p << pair("fsync", QStringLiteral("true"));
    if (!st.payloadIn.isZero())
        p << pair("payload_in", distText(st.payloadIn, Quantity::Size));
    if (!st.payloadOut.isZero())
        p << pair("payload_out", distText(st.payloadOut, Quantity::Size));
    if (st.timeout > 0)
        p << pair("timeout", durationText(st.timeout));
    if (st.fail > 0)
        p << pair("fail", formatProbability(st.fail));
    if (st.crash > 0)
        p << pair("crash", formatProbability(st.crash));
    if (!st.locks.empty()) {
        // DESIGN §15: one lock as a mapping, several as a list (the order they are taken in).
        QStringList locks;
        for (const LockUse &l : st.locks)
            locks << flow({ pair("name", ScenarioWriter::scalar(l.name)), pair("scope", lockScopeName(l.scope)),
                pair("timeout", durationText(l.timeout)) });
        p << pair("lock",
            locks.size() == 1 ? locks.front()
                              : QStringLiteral("[") + locks.join(QStringLiteral(", ")) + QStringLiteral("]"));
    }
    if (!st.update.isEmpty())
        p << pair("update", ScenarioWriter::scalar(st.update));
    p << pair("domain", domainName(st.domain));
    return flow(p);
}

void writeLesson(const Lesson &l, QString &out)
{
    out += QStringLiteral("lesson:\n");
    out += QStringLiteral("  title: ") + prose(l.title, 2) + QLatin1Char('\n');
    out += QStringLiteral("  goal: ") + prose(l.goal, 2) + QLatin1Char('\n');
    out += QStringLiteral("  watch: ") + prose(l.watch, 2) + QLatin1Char('\n');
    if (l.checkDuration != Lesson {}.checkDuration)
        out += QStringLiteral("  check_duration: ") + durationText(l.checkDuration) + QLatin1Char('\n');
    out += QStringLiteral("  steps:\n");
    for (const LessonStep &st : l.steps) {
        out += QStringLiteral("    - title: ") + prose(st.title, 6) + QLatin1Char('\n');
        if (st.routes.size() == 1) {
            out += QStringLiteral("      route: ")
                + ScenarioWriter::scalar(st.routes.front().key + QLatin1Char('=') + st.routes.front().domain)
                + QLatin1Char('\n');
        } else if (!st.routes.empty()) {
            QStringList items;
            for (const RouteOverride &r : st.routes)
                items << ScenarioWriter::scalar(r.key + QLatin1Char('=') + r.domain);
            out += QStringLiteral("      route: [ ") + items.join(QStringLiteral(", ")) + QStringLiteral(" ]\n");
        }
        if (!st.sets.empty()) {
            QStringList items;
            for (const Override &o : st.sets)
                items << ScenarioWriter::scalar(o.path) + QStringLiteral(": ") + ScenarioWriter::scalar(o.value);
            out += QStringLiteral("      set: ") + flow(items) + QLatin1Char('\n');
        }
        if (!st.expect.isEmpty())
            out += QStringLiteral("      expect: ") + prose(st.expect, 6) + QLatin1Char('\n');
        if (!st.checks.empty()) {
            out += QStringLiteral("      check:\n");
            for (const LessonCheck &c : st.checks) {
                QStringList p { pair("metric", ScenarioWriter::scalar(c.metric)) };
                if (c.before)
                    p << pair("before", conditionText(*c.before));
                if (c.after)
                    p << pair("after", conditionText(*c.after));
                if (c.ratio)
                    p << pair("ratio", conditionText(*c.ratio));
                out += QStringLiteral("        - ") + flow(p) + QLatin1Char('\n');
            }
        }
    }
    out += QStringLiteral("  expected: ") + prose(l.expected, 2) + QLatin1Char('\n');
    out += QStringLiteral("  why: ") + prose(l.why, 2) + QLatin1Char('\n');
}

} // namespace

QString ScenarioWriter::scalar(const QString &text)
{
    // Plain only for text YAML cannot read as anything but itself, inside a flow mapping too: no
    // indicator first, no ",[]{}:#" anywhere, no space at either end.
    static const QRegularExpression safe(QStringLiteral(
        "^[\\p{L}\\p{N}_.(/](?:[\\p{L}\\p{N}_./()=+%;!?'&*<>→–— -]*[\\p{L}\\p{N}_./()=+%;!?'&*<>→–—-])?$"));
    static const QRegularExpression special(
        QStringLiteral("^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|"
                       "OFF|y|Y|n|N|\\.inf|\\.Inf|\\.INF|\\.nan|\\.NaN|\\.NAN)$"));
    if (!text.isEmpty() && safe.match(text).hasMatch() && !special.match(text).hasMatch())
        return text;
    return doubleQuoted(text);
}

QByteArray ScenarioWriter::toYaml(const Scenario &s)
{
    QString out;
    out += QStringLiteral("# Hybridscope scenario, format v1 (docs/scenarios.md)\n");
    out += QStringLiteral("name: ") + scalar(s.name) + QLatin1Char('\n');
    if (!s.description.isEmpty())
        out += QStringLiteral("description: ") + prose(s.description, 0) + QLatin1Char('\n');
    if (s.duration > 0)
        out += QStringLiteral("duration: ") + durationText(s.duration) + QLatin1Char('\n');
    else
        out += QStringLiteral("# no duration: runs until stopped\n");
    out += QStringLiteral("seed: ") + QString::number(s.seed) + QLatin1Char('\n');
    if (s.slaP99)
        out += QStringLiteral("sla: ") + flow({ pair("p99", durationText(*s.slaP99)) }) + QLatin1Char('\n');
    out += QStringLiteral("starvation: ")
        + flow({ pair("threshold", durationText(s.starvationThreshold)), pair("heartbeat", durationText(s.heartbeat)) })
        + QLatin1Char('\n');
    out += QStringLiteral("gil: ")
        + flow({ pair("enabled", s.gilEnabled ? QStringLiteral("true") : QStringLiteral("false")),
            pair("switch_interval", durationText(s.gilSwitchInterval)) })
        + QLatin1Char('\n');

    QString domains;
    for (DomainKind d : kAllDomains) {
        const DomainConfig &c = s.domain(d);
        if (!c.declared)
            continue;
        QStringList p;
        if (d != DomainKind::Loop)
            p << pair("workers", QString::number(c.workers));
        if (c.queue != 0)
            p << pair("queue", QString::number(c.queue));
        if (c.maxInflight != 0)
            p << pair("max_inflight", QString::number(c.maxInflight));
        if (c.onFull != OnFull::Reject)
            p << pair("on_full", onFullName(c.onFull));
        if (d == DomainKind::Procs && c.transfer != Transfer::Copy)
            p << pair("transfer", transferName(c.transfer));
        if (d != DomainKind::Loop && c.autoscale != AutoscaleConfig {}) {
            const AutoscaleConfig &a = c.autoscale;
            QStringList ap { pair("policy", autoscalePolicyName(a.policy)), pair("min", QString::number(a.min)) };
            if (a.max > 0)
                ap << pair("max", QString::number(a.max));
            ap << pair("interval", durationText(a.interval));
            if (a.targetP99 > 0)
                ap << pair("target_p99", durationText(a.targetP99));
            p << pair("autoscale", flow(ap));
        }
        domains += QStringLiteral("  ") + domainName(d) + QStringLiteral(": ") + flow(p) + QLatin1Char('\n');
    }
    if (!domains.isEmpty())
        out += QStringLiteral("domains:\n") + domains;

    out += QStringLiteral("classes:\n");
    for (const TaskClass &c : s.classes) {
        out += QStringLiteral("  - name: ") + scalar(c.name) + QLatin1Char('\n');
        out += QStringLiteral("    arrival: ") + arrivalText(c.arrival) + QLatin1Char('\n');
        if (c.slaP99)
            out += QStringLiteral("    sla: ") + flow({ pair("p99", durationText(*c.slaP99)) }) + QLatin1Char('\n');
        out += QStringLiteral("    stages:\n");
        for (const Stage &st : c.stages)
            out += QStringLiteral("      - ") + stageText(st) + QLatin1Char('\n');
    }
    if (s.lesson)
        writeLesson(*s.lesson, out);
    return out.toUtf8();
}

} // namespace hs
