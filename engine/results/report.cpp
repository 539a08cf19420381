#include "results/report.h"

#include "core/safefile.h"
#include "results/domaintheory.h"
#include "results/lockreport.h"
#include "results/phases.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QSysInfo>
#include <QTextStream>
#include <QThread>

#include <oneapi/tbb/version.h>

namespace hs {

namespace {
double ms(double ns)
{
    return ns / 1e6;
}

double round3(double v)
{
    return std::round(v * 1000.0) / 1000.0;
}

QJsonObject stats(const HistogramSnapshot &h)
{
    QJsonObject o;
    o[QStringLiteral("mean")] = round3(ms(h.mean()));
    o[QStringLiteral("p50")] = round3(ms(h.percentile(0.50)));
    o[QStringLiteral("p90")] = round3(ms(h.percentile(0.90)));
    o[QStringLiteral("p99")] = round3(ms(h.percentile(0.99)));
    o[QStringLiteral("p999")] = round3(ms(h.percentile(0.999)));
    o[QStringLiteral("max")] = round3(ms(double(h.max())));
    return o;
}

QJsonObject classJson(const ClassResult &c)
{
    QJsonObject o;
    o[QStringLiteral("submitted")] = qint64(c.submitted);
    o[QStringLiteral("completed")] = qint64(c.completed);
    o[QStringLiteral("failed")] = qint64(c.failed);
    o[QStringLiteral("rejected")] = qint64(c.rejected);
    o[QStringLiteral("cancelled")] = qint64(c.cancelled);
    o[QStringLiteral("throughput")] = round3(c.throughput);
    o[QStringLiteral("latency_ms")] = stats(c.latency);
    o[QStringLiteral("latency_naive_ms")] = stats(c.latencyNaive); // DESIGN §15: from the dispatch
    o[QStringLiteral("hop_ms")] = stats(c.hop);
    o[QStringLiteral("ipc_ms")] = stats(c.ipc);
    o[QStringLiteral("gil_wait_ms")] = stats(c.gilWait);
    o[QStringLiteral("sla_p99_ms")] = c.slaP99Ms ? QJsonValue(round3(*c.slaP99Ms)) : QJsonValue();
    o[QStringLiteral("sla_met")] = c.slaMet();
    QJsonObject reasons;
    for (auto it = c.failureReasons.begin(); it != c.failureReasons.end(); ++it)
        reasons[it.key()] = qint64(it.value());
    o[QStringLiteral("reasons")] = reasons;
    return o;
}

// DESIGN §15 `locks`: one entry per lock / shared counter name (docs/locks.md).
QJsonObject locksJson(const RunResult &r)
{
    const auto keyName = [&r](int cls, int stage) {
        if (cls < 0 || std::size_t(cls) >= r.scenario.classes.size() || stage < 0
            || std::size_t(stage) >= r.scenario.classes[std::size_t(cls)].stages.size())
            return QJsonValue();
        const TaskClass &c = r.scenario.classes[std::size_t(cls)];
        return QJsonValue(c.name + QLatin1Char('.') + c.stages[std::size_t(stage)].name);
    };
    QJsonObject locks;
    for (const LockResult &l : r.locks) {
        QJsonObject o;
        o[QStringLiteral("scope")] = l.scope ? lockScopeName(*l.scope) : QStringLiteral("none");
        o[QStringLiteral("acquisitions")] = qint64(l.acquisitions);
        o[QStringLiteral("contended")] = qint64(l.contended);
        o[QStringLiteral("wait_ms")] = stats(l.wait);
        o[QStringLiteral("timeouts")] = qint64(l.timeouts);
        o[QStringLiteral("recovered")] = qint64(l.recovered);
        o[QStringLiteral("counter")] = l.counter;
        o[QStringLiteral("updates_expected")] = qint64(l.updatesExpected);
        o[QStringLiteral("updates_seen")] = qint64(l.updatesSeen);
        o[QStringLiteral("lost_updates")] = qint64(l.lostUpdates());
        QJsonArray edges;
        for (const LockWaitEdge &e : l.edges)
            edges.append(QJsonObject { { QStringLiteral("waiter"), keyName(e.waiterClass, e.waiterStage) },
                { QStringLiteral("waiter_domain"), domainName(e.waiterDomain) },
                { QStringLiteral("holder"), keyName(e.holderClass, e.holderStage) },
                { QStringLiteral("holder_domain"),
                    e.holderDomain ? QJsonValue(domainName(*e.holderDomain)) : QJsonValue() },
                { QStringLiteral("waits"), qint64(e.waits) }, { QStringLiteral("wait_ms"), round3(e.waitMs) } });
        o[QStringLiteral("waits_on")] = edges;
        locks[l.name] = o;
    }
    return locks;
}

QJsonObject domainJson(const DomainResult &d)
{
    const DomainTotals &t = d.totals;
    QJsonObject o;
    o[QStringLiteral("workers")] = t.workers;
    o[QStringLiteral("completed")] = qint64(t.completed);
    o[QStringLiteral("utilization")] = round3(t.utilization);
    o[QStringLiteral("queue_depth")]
        = QJsonObject { { QStringLiteral("mean"), round3(t.queueMean) }, { QStringLiteral("max"), t.queueMax } };
    o[QStringLiteral("wait_ms")] = stats(t.wait);
    o[QStringLiteral("service_ms")] = stats(t.service);
    o[QStringLiteral("p_wait")] = round3(t.pWait);
    o[QStringLiteral("starved")] = qint64(t.starved);
    o[QStringLiteral("starved_ms")] = round3(t.starvedMs);
    o[QStringLiteral("crashes")] = qint64(t.crashes);
    o[QStringLiteral("restarts")] = qint64(t.restarts);
    o[QStringLiteral("worker_seconds")] = round3(d.workerSeconds());
    if (d.autoscale)
        o[QStringLiteral("autoscale")]
            = QJsonObject { { QStringLiteral("policy"), autoscalePolicyName(d.autoscale->policy) },
                  { QStringLiteral("resizes"), d.autoscale->resizes },
                  { QStringLiteral("worker_seconds"), round3(d.workerSeconds()) },
                  { QStringLiteral("workers_min"), d.autoscale->workersMin },
                  { QStringLiteral("workers_max"), d.autoscale->workersMax } };
    return o;
}

QJsonObject loopJson(const HistogramSnapshot &lag)
{
    return QJsonObject { { QStringLiteral("lag_ms"),
        QJsonObject { { QStringLiteral("p50"), round3(ms(lag.percentile(0.5))) },
            { QStringLiteral("p99"), round3(ms(lag.percentile(0.99))) },
            { QStringLiteral("max"), round3(ms(double(lag.max()))) } } } };
}

QString cpuModel()
{
    QFile f(QStringLiteral("/proc/cpuinfo"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const auto lines = f.readAll().split('\n');
    for (const QByteArray &l : lines)
        if (l.startsWith("model name")) {
            const int colon = l.indexOf(':');
            return QString::fromUtf8(l.mid(colon + 1).trimmed());
        }
    return {};
}
} // namespace

QJsonObject environmentJson()
{
    QJsonObject e;
    e[QStringLiteral("cores")] = QThread::idealThreadCount();
    e[QStringLiteral("cpu")] = cpuModel();
    e[QStringLiteral("os")] = QSysInfo::prettyProductName();
    e[QStringLiteral("kernel")] = QSysInfo::kernelVersion();
    e[QStringLiteral("qt")] = QString::fromLatin1(qVersion());
    e[QStringLiteral("tbb")] = QString::fromLatin1(TBB_VERSION_STRING);
    return e;
}

QJsonObject runToJson(const RunResult &r)
{
    QJsonObject root;
    root[QStringLiteral("schema")] = QStringLiteral("hybridscope.run/1");
    root[QStringLiteral("mode")] = r.simulated() ? QStringLiteral("simulated") : QStringLiteral("engine"); // DESIGN §12
    if (r.simulated())
        root[QStringLiteral("simulation")] = r.simulation;
    root[QStringLiteral("scenario")] = QJsonObject { { QStringLiteral("name"), r.scenario.name },
        { QStringLiteral("source"), r.scenario.source }, { QStringLiteral("description"), r.scenario.description } };
    root[QStringLiteral("config")] = scenarioConfigJson(r.scenario);
    root[QStringLiteral("duration_s")] = round3(r.durationS);
    root[QStringLiteral("environment")] = environmentJson();
    root[QStringLiteral("totals")] = QJsonObject { { QStringLiteral("submitted"), qint64(r.submitted()) },
        { QStringLiteral("completed"), qint64(r.completed()) }, { QStringLiteral("failed"), qint64(r.failed()) },
        { QStringLiteral("rejected"), qint64(r.rejected()) }, { QStringLiteral("cancelled"), qint64(r.cancelled()) },
        { QStringLiteral("conserved"), r.conserved() } };
    QJsonObject classes;
    for (const ClassResult &c : r.classes)
        classes[c.name] = classJson(c);
    root[QStringLiteral("classes")] = classes;
    root[QStringLiteral("gil")]
        = QJsonObject { { QStringLiteral("enabled"), r.scenario.gilEnabled }, { QStringLiteral("used"), r.gilUsed },
              { QStringLiteral("switch_interval_ms"), round3(r.scenario.gilSwitchInterval * 1e3) },
              { QStringLiteral("acquisitions"), qint64(r.gil.acquisitions) },
              { QStringLiteral("contended"), qint64(r.gil.contended) },
              { QStringLiteral("switches"), qint64(r.gil.forcedSwitches) },
              { QStringLiteral("wait_ms"), round3(ms(double(r.gil.waitNs))) } };
    if (!r.locks.empty())
        root[QStringLiteral("locks")] = locksJson(r);
    QJsonObject domains;
    for (const DomainResult &d : r.domains)
        if (d.used) {
            QJsonObject o = domainJson(d);
            o[QStringLiteral("theory")] = domainTheoryJson(domainTheory(r, d.kind, QThread::idealThreadCount()));
            domains[domainName(d.kind)] = o;
        }
    root[QStringLiteral("domains")] = domains;
    root[QStringLiteral("loop")] = loopJson(r.loopLag);
    QJsonArray findings;
    for (const Finding &f : r.findings) {
        QJsonObject o;
        o[QStringLiteral("rule")] = f.rule;
        o[QStringLiteral("severity")] = severityName(f.severity);
        if (f.domain)
            o[QStringLiteral("domain")] = domainName(*f.domain);
        if (!f.className.isEmpty())
            o[QStringLiteral("class")] = f.className;
        o[QStringLiteral("from_s")] = round3(f.fromS);
        o[QStringLiteral("to_s")] = round3(f.toS);
        o[QStringLiteral("message")] = f.message;
        o[QStringLiteral("advice")] = f.advice;
        findings.append(o);
    }
    root[QStringLiteral("findings")] = findings;
    QJsonArray frames;
    for (const Frame &f : r.frames) {
        QJsonObject fo;
        fo[QStringLiteral("t")] = round3(f.t);
        QJsonObject doms;
        for (const DomainResult &d : r.domains) {
            if (!d.used)
                continue;
            const DomainFrame &df = f.domains[std::size_t(d.kind)];
            doms[domainName(d.kind)] = QJsonObject { { QStringLiteral("queue"), df.queue },
                { QStringLiteral("inflight"), df.inflight }, { QStringLiteral("busy"), df.busy },
                { QStringLiteral("workers"), df.workers }, { QStringLiteral("done"), qint64(df.done) },
                { QStringLiteral("p99_ms"), round3(df.p99Ms) }, { QStringLiteral("starved"), df.starved },
                { QStringLiteral("utilization"), round3(df.utilization) },
                { QStringLiteral("throughput"), round3(df.throughput) } };
        }
        fo[QStringLiteral("domains")] = doms;
        QJsonObject cls;
        for (std::size_t i = 0; i < f.classes.size() && i < r.classes.size(); ++i) {
            QJsonObject co { { QStringLiteral("completed"), qint64(f.classes[i].completed) },
                { QStringLiteral("p50_ms"), round3(f.classes[i].p50Ms) },
                { QStringLiteral("p99_ms"), round3(f.classes[i].p99Ms) },
                { QStringLiteral("naive_p99_ms"), round3(f.classes[i].naiveP99Ms) },
                { QStringLiteral("throughput"), round3(f.classes[i].throughput) } };
            if (r.gilUsed)
                co[QStringLiteral("gil_wait_p99_ms")] = round3(f.classes[i].gilWaitP99Ms);
            cls[r.classes[i].name] = co;
        }
        fo[QStringLiteral("classes")] = cls;
        fo[QStringLiteral("loop_lag_ms")] = round3(f.loopLagMs);
        if (r.gilUsed) {
            fo[QStringLiteral("gil")] = f.gil;
            fo[QStringLiteral("gil_waiting")] = f.gilWaiting;
        }
        if (!f.locks.empty() && f.locks.size() == r.locks.size()) { // DESIGN §15, docs/locks.md
            QJsonObject locks;
            for (std::size_t i = 0; i < f.locks.size(); ++i) {
                const LockFrame &lf = f.locks[i];
                locks[r.locks[i].name] = QJsonObject { { QStringLiteral("acquisitions"), qint64(lf.acquisitions) },
                    { QStringLiteral("contended"), qint64(lf.contended) },
                    { QStringLiteral("timeouts"), qint64(lf.timeouts) }, { QStringLiteral("waiting"), lf.waiting },
                    { QStringLiteral("wait_p99_ms"), round3(lf.waitP99Ms) },
                    { QStringLiteral("lost_updates"),
                        qint64(lf.updatesExpected > lf.updatesSeen ? lf.updatesExpected - lf.updatesSeen : 0) } };
            }
            fo[QStringLiteral("locks")] = locks;
        }
        frames.append(fo);
    }
    root[QStringLiteral("frames")] = frames;
    QJsonArray events;
    for (const RunEvent &e : r.events)
        events.append(QJsonObject { { QStringLiteral("t"), round3(e.t) }, { QStringLiteral("kind"), e.kind },
            { QStringLiteral("text"), e.label }, { QStringLiteral("label"), e.label } });
    root[QStringLiteral("events")] = events;
    QJsonArray phases;
    for (const PhaseResult &p : r.phases)
        phases.append(phaseJson(p));
    root[QStringLiteral("phases")] = phases;
    return root;
}

QJsonObject phaseJson(const PhaseResult &p)
{
    QJsonObject o;
    o[QStringLiteral("from_s")] = round3(p.fromS);
    o[QStringLiteral("to_s")] = round3(p.toS);
    o[QStringLiteral("settle_s")] = round3(p.settleS);
    o[QStringLiteral("measured_s")] = round3(p.measuredS());
    o[QStringLiteral("settled")] = p.settled;
    o[QStringLiteral("change")] = p.change;
    if (p.config)
        o[QStringLiteral("config")] = scenarioConfigJson(*p.config);
    QJsonObject classes;
    QJsonObject domains;
    if (p.settled) {
        for (const ClassResult &c : p.classes) {
            QJsonObject co;
            co[QStringLiteral("throughput")] = round3(p.measuredS() > 0 ? double(c.completed) / p.measuredS() : 0.0);
            co[QStringLiteral("completed")] = qint64(c.completed);
            co[QStringLiteral("failed")] = qint64(c.failed);
            co[QStringLiteral("rejected")] = qint64(c.rejected);
            co[QStringLiteral("samples")] = qint64(c.latency.count());
            const bool any = !c.latency.isEmpty();
            co[QStringLiteral("p50_ms")] = any ? QJsonValue(round3(ms(c.latency.percentile(0.5)))) : QJsonValue();
            co[QStringLiteral("p99_ms")] = any ? QJsonValue(round3(ms(c.latency.percentile(0.99)))) : QJsonValue();
            co[QStringLiteral("naive_p99_ms")]
                = any ? QJsonValue(round3(ms(c.latencyNaive.percentile(0.99)))) : QJsonValue();
            const auto ci = quantileInterval(c.latency, 0.99);
            co[QStringLiteral("p99_ci_ms")] = ci
                ? QJsonArray { round3(ms(ci->lo)), ci->hi ? QJsonValue(round3(ms(*ci->hi))) : QJsonValue() }
                : QJsonValue();
            co[QStringLiteral("sla_p99_ms")] = c.slaP99Ms ? QJsonValue(round3(*c.slaP99Ms)) : QJsonValue();
            const QString verdict = slaVerdict(c);
            co[QStringLiteral("sla_met")] = verdict == QLatin1String("none") ? QJsonValue() : QJsonValue(c.slaMet());
            co[QStringLiteral("sla_verdict")] = verdict;
            classes[c.name] = co;
        }
        for (const DomainResult &d : p.domains) {
            if (!d.used)
                continue;
            const DomainTotals &t = d.totals;
            domains[domainName(d.kind)] = QJsonObject { { QStringLiteral("workers"), t.workers },
                { QStringLiteral("utilization"), round3(t.utilization) },
                { QStringLiteral("queue_mean"), round3(t.queueMean) }, { QStringLiteral("queue_max"), t.queueMax },
                { QStringLiteral("wait_mean_ms"), round3(ms(t.wait.mean())) },
                { QStringLiteral("p_wait"), round3(t.pWait) },
                { QStringLiteral("worker_seconds"), round3(d.workerSeconds()) } };
        }
        o[QStringLiteral("loop")] = loopJson(p.loopLag);
    }
    o[QStringLiteral("classes")] = classes;
    o[QStringLiteral("domains")] = domains;
    return o;
}

QJsonObject phaseReport(const PhaseResult &p)
{
    QJsonObject root;
    QJsonObject classes;
    for (ClassResult c : p.classes) {
        c.throughput = p.measuredS() > 0 ? double(c.completed) / p.measuredS() : 0.0;
        classes[c.name] = classJson(c);
    }
    root[QStringLiteral("classes")] = classes;
    QJsonObject domains;
    for (const DomainResult &d : p.domains)
        if (d.used)
            domains[domainName(d.kind)] = domainJson(d);
    root[QStringLiteral("domains")] = domains;
    root[QStringLiteral("loop")] = loopJson(p.loopLag);
    return root;
}

namespace {
QJsonValue durationMs(double seconds)
{
    return round3(seconds * 1e3);
}

QJsonObject arrivalJson(const Arrival &a)
{
    QJsonObject o { { QStringLiteral("process"), arrivalName(a.process) } };
    switch (a.process) {
    case ArrivalProcess::Poisson:
    case ArrivalProcess::Constant: o[QStringLiteral("rate")] = a.rate; break;
    case ArrivalProcess::Burst:
        o[QStringLiteral("rate")] = a.rate;
        o[QStringLiteral("on_s")] = a.on;
        o[QStringLiteral("off_s")] = a.off;
        break;
    case ArrivalProcess::Ramp:
        o[QStringLiteral("from")] = a.from;
        o[QStringLiteral("to")] = a.to;
        o[QStringLiteral("over_s")] = a.over;
        break;
    case ArrivalProcess::Closed:
        o[QStringLiteral("clients")] = a.clients;
        o[QStringLiteral("think")] = a.think.toString(QStringLiteral("s"));
        if (a.rate > 0)
            o[QStringLiteral("rate")] = a.rate;
        break;
    }
    return o;
}

QJsonObject stageJson(const Stage &st)
{
    const QString sec = QStringLiteral("s"), bytes = QStringLiteral("B");
    QJsonObject o { { QStringLiteral("name"), st.name }, { QStringLiteral("work"), workName(st.work) },
        { QStringLiteral("domain"), domainName(st.domain) } };
    // Only what the stage uses, so a diff of two configurations shows real differences.
    if (st.work != WorkKind::Disk)
        o[QStringLiteral("time")] = st.time.toString(sec);
    if (st.work == WorkKind::Cpu)
        o[QStringLiteral("kernel")] = kernelName(st.kernel);
    if (st.work == WorkKind::Net || st.work == WorkKind::Disk)
        o[QStringLiteral("bytes")] = st.bytes.toString(bytes);
    if (st.work == WorkKind::Disk)
        o[QStringLiteral("fsync")] = st.fsync;
    if (!st.payloadIn.isZero())
        o[QStringLiteral("payload_in")] = st.payloadIn.toString(bytes);
    if (!st.payloadOut.isZero())
        o[QStringLiteral("payload_out")] = st.payloadOut.toString(bytes);
    if (st.timeout > 0)
        o[QStringLiteral("timeout_ms")] = durationMs(st.timeout);
    if (st.fail > 0)
        o[QStringLiteral("fail")] = st.fail;
    if (st.crash > 0)
        o[QStringLiteral("crash")] = st.crash;
    if (!st.locks.empty()) { // DESIGN §15
        QJsonArray locks;
        for (const LockUse &l : st.locks)
            locks.append(
                QJsonObject { { QStringLiteral("name"), l.name }, { QStringLiteral("scope"), lockScopeName(l.scope) },
                    { QStringLiteral("timeout_ms"), durationMs(l.timeout) } });
        o[QStringLiteral("lock")] = locks;
    }
    if (!st.update.isEmpty())
        o[QStringLiteral("update")] = st.update;
    return o;
}
} // namespace

QJsonObject scenarioConfigJson(const Scenario &s)
{
    QJsonObject c;
    c[QStringLiteral("duration_s")] = round3(s.duration);
    c[QStringLiteral("seed")] = qint64(s.seed);
    c[QStringLiteral("sla")]
        = s.slaP99 ? QJsonValue(QJsonObject { { QStringLiteral("p99_ms"), durationMs(*s.slaP99) } }) : QJsonValue();
    c[QStringLiteral("starvation")]
        = QJsonObject { { QStringLiteral("threshold_ms"), durationMs(s.starvationThreshold) },
              { QStringLiteral("heartbeat_ms"), durationMs(s.heartbeat) } };
    c[QStringLiteral("gil")] = QJsonObject { { QStringLiteral("enabled"), s.gilEnabled },
        { QStringLiteral("switch_interval_ms"), durationMs(s.gilSwitchInterval) } };
    QJsonObject domains;
    for (DomainKind d : kAllDomains) {
        const DomainConfig &dc = s.domain(d);
        QJsonObject o { { QStringLiteral("declared"), dc.declared }, { QStringLiteral("workers"), dc.workers },
            { QStringLiteral("queue"), dc.queue }, { QStringLiteral("max_inflight"), dc.maxInflight },
            { QStringLiteral("on_full"), onFullName(dc.onFull) } };
        if (d == DomainKind::Procs)
            o[QStringLiteral("transfer")] = transferName(dc.transfer);
        domains[domainName(d)] = o;
    }
    c[QStringLiteral("domains")] = domains;
    QJsonArray classes;
    for (int i = 0; i < int(s.classes.size()); ++i) {
        const TaskClass &tc = s.classes[std::size_t(i)];
        QJsonArray stages;
        for (const Stage &st : tc.stages)
            stages.append(stageJson(st));
        const auto sla = s.slaFor(i);
        classes.append(
            QJsonObject { { QStringLiteral("name"), tc.name }, { QStringLiteral("arrival"), arrivalJson(tc.arrival) },
                { QStringLiteral("sla_p99_ms"), sla ? durationMs(*sla) : QJsonValue() },
                { QStringLiteral("stages"), stages } });
    }
    c[QStringLiteral("classes")] = classes;
    return c;
}

bool loadRunJson(const QString &path, QJsonObject *run, QString *error)
{
    QByteArray bytes;
    QString why;
    if (!readRegularFile(path, RunJsonLimits::kMaxBytes, &bytes, &why)) {
        *error = QStringLiteral("%1: %2").arg(path, why);
        return false;
    }
    return parseRunJson(bytes, path, run, error);
}

bool loadReportJson(const QString &path, QJsonObject *doc, QString *schema, QString *error)
{
    QByteArray bytes;
    QString why;
    if (!readRegularFile(path, RunJsonLimits::kMaxBytes, &bytes, &why)) {
        *error = QStringLiteral("%1: %2").arg(path, why);
        return false;
    }
    return parseReportJson(bytes, path, doc, schema, error);
}

QString runToCsv(const RunResult &r)
{
    QString out;
    QTextStream s(&out);
    // `mode` says on every row whether the frame was measured (engine) or simulated (DESIGN §12).
    const char *mode = r.simulated() ? "simulated" : "engine";
    s << "t,domain,queue,inflight,busy,workers,done,p99_ms,starved,utilization,loop_lag_ms,mode\n";
    for (const Frame &f : r.frames)
        for (const DomainResult &d : r.domains) {
            if (!d.used)
                continue;
            const DomainFrame &df = f.domains[std::size_t(d.kind)];
            s << QString::number(f.t, 'f', 3) << ',' << domainName(d.kind) << ',' << df.queue << ',' << df.inflight
              << ',' << df.busy << ',' << df.workers << ',' << df.done << ',' << QString::number(df.p99Ms, 'f', 3)
              << ',' << df.starved << ',' << QString::number(df.utilization, 'f', 3) << ','
              << QString::number(f.loopLagMs, 'f', 3) << ',' << mode << '\n';
        }
    // A second table after a blank line: one row per frame and class, the corrected P99 beside the
    // naive one (DESIGN §15) over the sliding second, and the counts so far.
    s << "\nt,class,submitted,completed,failed,rejected,cancelled,throughput,p50_ms,p99_ms,naive_p99_ms,mode\n";
    for (const Frame &f : r.frames)
        for (std::size_t i = 0; i < f.classes.size() && i < r.scenario.classes.size(); ++i) {
            const ClassFrame &c = f.classes[i];
            s << QString::number(f.t, 'f', 3) << ',' << r.scenario.classes[i].name << ',' << c.submitted << ','
              << c.completed << ',' << c.failed << ',' << c.rejected << ',' << c.cancelled << ','
              << QString::number(c.throughput, 'f', 3) << ',' << QString::number(c.p50Ms, 'f', 3) << ','
              << QString::number(c.p99Ms, 'f', 3) << ',' << QString::number(c.naiveP99Ms, 'f', 3) << ',' << mode
              << '\n';
        }
    s.flush();
    return out + locksCsv(r); // DESIGN §15: a third table, only when the run has locks or counters
}

namespace {
// A value wider than its column still gets a space before it, so large counts never run together.
QString pad(const QString &s, int w)
{
    if (w < 0)
        return s.leftJustified(-w);
    return s.size() >= w ? QLatin1Char(' ') + s : s.rightJustified(w);
}
QString num(double v, int prec = 1)
{
    return QString::number(v, 'f', prec);
}
} // namespace

QString runSummary(const RunResult &r)
{
    QString out;
    QTextStream s(&out);
    s << "Hybridscope — " << r.scenario.name << "  (" << r.scenario.source << ")\n";
    s << "ran " << num(r.durationS, 2) << " s on " << QThread::idealThreadCount() << " cores\n\n";
    s << pad(QStringLiteral("CLASS"), -14) << pad(QStringLiteral("SUBMIT"), 8) << pad(QStringLiteral("DONE"), 8)
      << pad(QStringLiteral("FAIL"), 6) << pad(QStringLiteral("REJ"), 6) << pad(QStringLiteral("CANC"), 6)
      << pad(QStringLiteral("THRU/s"), 9) << pad(QStringLiteral("P50 ms"), 9) << pad(QStringLiteral("P99 ms"), 9)
      << pad(QStringLiteral("NAIVE p99"), 10) // DESIGN §15: from the dispatch, as a closed-loop tester sees it
      << pad(QStringLiteral("P99.9 ms"), 10) << pad(QStringLiteral("HOP ms"), 8);
    if (r.gilUsed)
        s << pad(QStringLiteral("GIL p99"), 9);
    s << "  SLA P99\n";
    for (const ClassResult &c : r.classes) {
        s << pad(c.name.left(13), -14) << pad(QString::number(c.submitted), 8) << pad(QString::number(c.completed), 8)
          << pad(QString::number(c.failed), 6) << pad(QString::number(c.rejected), 6)
          << pad(QString::number(c.cancelled), 6) << pad(num(c.throughput), 9)
          << pad(num(ms(c.latency.percentile(0.5)), 2), 9) << pad(num(ms(c.latency.percentile(0.99)), 2), 9)
          << pad(num(ms(c.latencyNaive.percentile(0.99)), 2), 10) << pad(num(ms(c.latency.percentile(0.999)), 2), 10)
          << pad(num(ms(c.hop.mean()), 3), 8);
        if (r.gilUsed)
            s << pad(c.gilWait.isEmpty() ? QStringLiteral("-") : num(ms(c.gilWait.percentile(0.99)), 2), 9);
        s << "  ";
        if (c.slaP99Ms)
            s << num(*c.slaP99Ms, 0) << " ms " << (c.slaMet() ? "met" : "MISSED");
        else
            s << "-";
        s << '\n';
    }
    s << '\n'
      << pad(QStringLiteral("DOMAIN"), -9) << pad(QStringLiteral("WORKERS"), 8) << pad(QStringLiteral("STAGES"), 9)
      << pad(QStringLiteral("UTIL"), 7) << pad(QStringLiteral("QUEUE avg/max"), 15)
      << pad(QStringLiteral("WAIT p99"), 10) << pad(QStringLiteral("SERV p99"), 10) << pad(QStringLiteral("P(wait)"), 9)
      << pad(QStringLiteral("STARVED"), 9) << pad(QStringLiteral("WORKER-S"), 10) << '\n';
    for (const DomainResult &d : r.domains) {
        if (!d.used)
            continue;
        const DomainTotals &t = d.totals;
        const QString workers = d.autoscale
            ? QStringLiteral("%1-%2").arg(d.autoscale->workersMin).arg(d.autoscale->workersMax)
            : QString::number(t.workers);
        s << pad(domainName(d.kind), -9) << pad(workers, 8) << pad(QString::number(t.completed), 9)
          << pad(num(t.utilization * 100, 0) + QLatin1Char('%'), 7)
          << pad(num(t.queueMean, 1) + QLatin1Char('/') + QString::number(t.queueMax), 15)
          << pad(num(ms(t.wait.percentile(0.99)), 2), 10) << pad(num(ms(t.service.percentile(0.99)), 2), 10)
          << pad(num(t.pWait, 2), 9) << pad(QString::number(t.starved), 9) << pad(num(d.workerSeconds(), 1), 10)
          << '\n';
    }
    for (const DomainResult &d : r.domains)
        if (d.used && d.autoscale)
            s << "autoscale " << domainName(d.kind) << ": " << autoscalePolicyName(d.autoscale->policy) << ", "
              << d.autoscale->resizes << " resizes, " << d.autoscale->workersMin << "–" << d.autoscale->workersMax
              << " workers, " << num(d.workerSeconds(), 1) << " worker-seconds\n";
    s << "\nloop lag: p50 " << num(ms(r.loopLag.percentile(0.5)), 3) << " ms, p99 "
      << num(ms(r.loopLag.percentile(0.99)), 3) << " ms, max " << num(ms(double(r.loopLag.max())), 3) << " ms\n";
    if (r.gilUsed)
        s << "GIL (switch interval " << num(r.scenario.gilSwitchInterval * 1e3, 1) << " ms): " << r.gil.acquisitions
          << " acquisitions, " << r.gil.contended << " waited, " << r.gil.forcedSwitches << " forced switches, "
          << num(ms(double(r.gil.waitNs)), 1) << " ms waiting in total\n";
    s << lockSummary(r); // DESIGN §15; nothing without locks or counters
    if (r.phases.size() > 1) {
        // One line per phase and class: the figures of each configuration on its own.
        s << "\nphases (figures after each change settled; P99 with its 95 % interval):\n";
        for (std::size_t i = 0; i < r.phases.size(); ++i) {
            const PhaseResult &p = r.phases[i];
            s << "  " << (i + 1) << ". " << num(p.fromS, 1) << "–" << num(p.toS, 1) << " s  " << p.change;
            if (!p.settled) {
                s << "  (not settled: the previous backlog had not drained; no figures)\n";
                continue;
            }
            s << "  (settled after " << num(p.settleS, 1) << " s, measured " << num(p.measuredS(), 1) << " s)\n";
            for (const ClassResult &c : p.classes) {
                s << "       " << pad(c.name.left(13), -14) << pad(num(c.throughput, 1) + QStringLiteral("/s"), 10);
                if (c.latency.isEmpty()) {
                    s << "  no completions\n";
                    continue;
                }
                const auto ci = quantileInterval(c.latency, 0.99);
                s << "  P99 " << num(ms(c.latency.percentile(0.99)), 2) << " ms";
                if (ci)
                    s << " [" << num(ms(ci->lo), 2) << ", " << (ci->hi ? num(ms(*ci->hi), 2) : QStringLiteral("?"))
                      << "]";
                s << "  naive " << num(ms(c.latencyNaive.percentile(0.99)), 2) << " ms"; // DESIGN §15
                const QString verdict = slaVerdict(c);
                if (verdict != QLatin1String("none"))
                    s << "  SLA " << num(*c.slaP99Ms, 0) << " ms " << verdict;
                s << '\n';
            }
            QStringList doms;
            for (const DomainResult &d : p.domains)
                if (d.used && d.totals.completed > 0)
                    doms << QStringLiteral("%1 %2 workers %3% busy queue %4")
                                .arg(domainName(d.kind))
                                .arg(d.totals.workers)
                                .arg(num(d.totals.utilization * 100, 0), num(d.totals.queueMean, 1));
            if (!doms.isEmpty())
                s << "       " << doms.join(QStringLiteral("; ")) << '\n';
        }
    }
    if (!r.findings.empty()) {
        s << "\nfindings:\n";
        for (const Finding &f : r.findings)
            s << "  [" << severityName(f.severity) << "] " << num(f.fromS, 1) << "–" << num(f.toS, 1) << " s  "
              << f.message << "\n      → " << f.advice << '\n';
    }
    s << "\nconservation: submitted " << r.submitted() << " = completed " << r.completed() << " + failed " << r.failed()
      << " + rejected " << r.rejected() << " + cancelled " << r.cancelled() << (r.conserved() ? "  ✓" : "  ✗ VIOLATED")
      << '\n';
    // Why tasks did not complete, most frequent first.
    for (const ClassResult &c : r.classes)
        for (auto it = c.failureReasons.begin(); it != c.failureReasons.end(); ++it)
            s << "  " << c.name << ": " << it.value() << " × " << it.key() << '\n';
    return out;
}

bool writeFileAtomically(const QString &path, const QByteArray &data, QString *error)
{
    // QSaveFile renames its temporary file over whatever is at `path`: a device or a FIFO there
    // (as root, /dev/null) would be replaced by a regular file. Check before writing and again
    // right before the rename, since the data may take long to write.
    QString why;
    if (!checkOutputPath(path, &why)) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(path, why);
        return false;
    }
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size()) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(path, f.errorString());
        return false; // the destructor removes the temporary file
    }
    if (!checkOutputPath(path, &why)) {
        f.cancelWriting();
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(path, why);
        return false;
    }
    if (!f.commit()) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

} // namespace hs
