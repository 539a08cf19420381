#include "scenario/validator.h"

#include "scenario/lesson.h"
#include "scenario/units.h"

#include <QSet>
#include <QThread>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace hs::parsing {

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
    checkLockScopes(s);
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
            QStringLiteral("expected"), QStringLiteral("why"), QStringLiteral("check_duration"),
            QStringLiteral("needs_parallel_cpu") },
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
    if (auto v = field(n, QStringLiteral("needs_parallel_cpu"), QStringLiteral("lesson.needs_parallel_cpu")))
        l.needsParallelCpu = v->flag;

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
                QStringLiteral("when"), QStringLiteral("check") },
            where);
        LessonStep step;
        step.loc = { st.line, st.column };
        require(st, QStringLiteral("title"), where, QStringLiteral("title: Move the CPU work to tbb"));
        if (auto v = field(st, QStringLiteral("title"), QStringLiteral("lesson.steps.*.title")))
            step.title = v->text;
        if (auto v = field(st, QStringLiteral("expect"), QStringLiteral("lesson.steps.*.expect")))
            step.expect = v->text.trimmed();
        if (auto v = field(st, QStringLiteral("when"), QStringLiteral("lesson.steps.*.when")))
            step.when = v->text.trimmed();
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
        } else if (head == QLatin1String("locks")) { // DESIGN §15
            namedPart(sharedResourceNames(s), QStringLiteral("lock or counter"));
        } else if (head != QLatin1String("loop") && head != QLatin1String("totals")) {
            error(*n.value(QStringLiteral("metric")),
                where + QStringLiteral(".metric: ") + quoted(c.metric)
                    + QStringLiteral(": expected a JSON report path starting with classes, domains, locks, loop or "
                                     "totals"));
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
        if (*kind != DomainKind::Loop)
            known << QStringLiteral("autoscale");
        for (const YEntry &k : d.entries)
            if (*kind == DomainKind::Loop && k.key == QLatin1String("autoscale"))
                error(k,
                    QStringLiteral("autoscale applies to the pools (threads, tbb, procs): the loop always runs on "
                                   "one thread"));
        for (const YEntry &k : d.entries)
            if (!isProcs && k.key == QLatin1String("transfer"))
                error(k, QStringLiteral("transfer applies only to the procs domain, not to ") + e.key);
        QStringList checked = known;
        if (!isProcs)
            checked << QStringLiteral("transfer"); // reported above with a better message
        if (*kind == DomainKind::Loop)
            checked << QStringLiteral("autoscale");
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
        if (const YNode *a = d.value(QStringLiteral("autoscale")); a && *kind != DomainKind::Loop)
            readAutoscale(*a, p + QStringLiteral("autoscale"), cfg);
    }
}

void Validator::readAutoscale(const YNode &a, const QString &where, DomainConfig &cfg)
{
    if (!isSection(a, where, QStringLiteral("like { policy: queue, min: 1, max: 32, interval: 250ms }")))
        return;
    checkKeys(a,
        { QStringLiteral("policy"), QStringLiteral("min"), QStringLiteral("max"), QStringLiteral("interval"),
            QStringLiteral("target_p99") },
        where);
    const QString p = where + QLatin1Char('.');
    AutoscaleConfig &c = cfg.autoscale;
    if (auto v = field(a, QStringLiteral("policy"), p + QStringLiteral("policy")))
        c.policy = autoscalePolicyFromName(v->text).value_or(AutoscalePolicy::Off);
    if (auto v = field(a, QStringLiteral("min"), p + QStringLiteral("min")))
        c.min = int(v->integer);
    if (auto v = field(a, QStringLiteral("max"), p + QStringLiteral("max")))
        c.max = int(v->integer);
    if (auto v = field(a, QStringLiteral("interval"), p + QStringLiteral("interval")))
        c.interval = v->number;
    if (auto v = field(a, QStringLiteral("target_p99"), p + QStringLiteral("target_p99")))
        c.targetP99 = v->number;
    if (c.max > 0 && c.max < c.min)
        error(*a.value(QStringLiteral("max")),
            p + QStringLiteral("max: %1 is below min (%2); expected max >= min").arg(c.max).arg(c.min));
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
            { ArrivalProcess::Closed, { QStringLiteral("clients") },
                { QStringLiteral("think"), QStringLiteral("rate") },
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
            QStringLiteral("domain"), QStringLiteral("lock"), QStringLiteral("update") },
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
    readLocks(n, label, st);
    if (auto v = field(n, QStringLiteral("update"), p + QStringLiteral("update")))
        st.update = v->text;
    c.stages.push_back(std::move(st));
}

} // namespace hs::parsing

namespace hs::parsing {

// DESIGN §15: `lock:` is one { name, scope, timeout } or a list of them, taken in that order.
void Validator::readLocks(const YNode &n, const QString &label, Stage &st)
{
    const YNode *lock = n.value(QStringLiteral("lock"));
    if (!lock)
        return;
    const QString p = QStringLiteral("classes.*.stages.*.lock.");
    const QString example = QStringLiteral("like { name: ledger, scope: process, timeout: 2s }");
    std::vector<const YNode *> items;
    if (lock->type == YNode::Type::Map) {
        items.push_back(lock);
    } else if (lock->type == YNode::Type::Sequence && !lock->items.empty()) {
        for (const auto &item : lock->items)
            items.push_back(item.get());
    } else {
        error(*lock,
            label + QStringLiteral(": lock: expected a mapping ") + example + QStringLiteral(" or a list of them; got ")
                + (lock->type == YNode::Type::Sequence ? QStringLiteral("an empty list") : nodeKind(*lock)));
        return;
    }
    for (const YNode *item : items) {
        if (item->type != YNode::Type::Map) {
            error(*item,
                label + QStringLiteral(": lock: expected a mapping ") + example + QStringLiteral("; got ")
                    + nodeKind(*item));
            continue;
        }
        checkKeys(*item, { QStringLiteral("name"), QStringLiteral("scope"), QStringLiteral("timeout") },
            QStringLiteral("a lock"));
        LockUse use;
        use.loc = { item->line, item->column };
        use.timeout = kDefaultLockTimeout;
        require(*item, QStringLiteral("name"), label + QStringLiteral(": lock"), QStringLiteral("name: ledger"));
        require(*item, QStringLiteral("scope"), label + QStringLiteral(": lock"),
            QStringLiteral("scope: thread (or process)"));
        bool ok = true;
        if (auto v = field(*item, QStringLiteral("name"), p + QStringLiteral("name")))
            use.name = v->text;
        else
            ok = false;
        if (auto v = field(*item, QStringLiteral("scope"), p + QStringLiteral("scope")))
            use.scope = lockScopeFromName(v->text).value_or(LockScope::Thread);
        else
            ok = false;
        if (auto v = field(*item, QStringLiteral("timeout"), p + QStringLiteral("timeout")))
            use.timeout = v->number;
        if (!ok)
            continue;
        const auto twice
            = std::find_if(st.locks.begin(), st.locks.end(), [&](const LockUse &l) { return l.name == use.name; });
        if (twice != st.locks.end()) {
            error(*item->value(QStringLiteral("name")),
                label + QStringLiteral(": lock ") + quoted(use.name)
                    + QStringLiteral(" is listed twice; a stage takes each lock once"));
            continue;
        }
        st.locks.push_back(use);
    }
}

// A lock name means one lock: thread scope in one stage and process scope in another would be two.
void Validator::checkLockScopes(const Scenario &s)
{
    QHash<QString, std::pair<LockScope, QString>> first;
    for (const TaskClass &c : s.classes)
        for (const Stage &st : c.stages)
            for (const LockUse &l : st.locks) {
                const QString where = c.name + QLatin1Char('.') + st.name;
                const auto it = first.constFind(l.name);
                if (it == first.cend()) {
                    first.insert(l.name, { l.scope, where });
                } else if (it->first != l.scope) {
                    error(l.loc.line, l.loc.column, 0,
                        QStringLiteral("lock ") + quoted(l.name) + QStringLiteral(" has scope ")
                            + lockScopeName(l.scope) + QStringLiteral(" here but ") + lockScopeName(it->first)
                            + QStringLiteral(" in ") + it->second
                            + QStringLiteral("; a lock name has one scope (use another name for another lock)"));
                }
            }
}

} // namespace hs::parsing
