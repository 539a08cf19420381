#include "results/diagnostics.h"

#include "results/diagnostics_p.h"
#include "results/phases.h"
#include "results/runresult.h"

#include <QThread>

#include <algorithm>
#include <cmath>
#include <limits>

namespace hs {

QString severityName(Severity s)
{
    switch (s) {
    case Severity::Info: return QStringLiteral("info");
    case Severity::Warning: return QStringLiteral("warning");
    case Severity::Error: return QStringLiteral("error");
    }
    return {};
}

using namespace diagnostics_detail;

void Diagnoser::reset(const Scenario &scenario, int cores)
{
    m_scenario = scenario;
    m_cores = cores > 0 ? cores : std::max(1, QThread::idealThreadCount());
    m_thresholdMs = scenario.starvationThreshold * 1e3;
    m_findings.clear();
    m_loop = {};
    m_oversub = {};
    m_gil = {};
    m_gilWaiters.clear();
    m_queue.fill({});
    m_unbounded.fill({});
    m_rejected.fill({});
    m_crash.fill({});
    const std::size_t n = scenario.classes.size();
    m_sla.assign(n, {});
    m_serial.assign(n, {});
    m_ipc.assign(n, {});
    for (auto &ring : m_queueTrend)
        ring.clear();
    m_cpu.clear();
    m_lastRejected.fill(0);
    m_lastCrashes.fill(0);
    m_lastDone.fill(0);
    m_prevBlock = {};
    m_loopBusy.clear();
    m_prevFrameT = -1;
    m_loopBusyPeak = 0;
    m_loopBusyKeys.clear();
    m_lockNames = sharedResourceNames(scenario);
    m_locks.clear();
    m_locks.resize(std::size_t(m_lockNames.size()));
    m_oversubPeak.fill(0);
    m_oversubWorkers.fill(0);
}

template<class Fn> void Diagnoser::forEachTrack(Fn fn)
{
    fn(m_loop);
    fn(m_oversub);
    fn(m_gil);
    for (auto *group : { &m_queue, &m_unbounded, &m_rejected, &m_crash })
        for (Track &t : *group)
            fn(t);
    for (auto *group : { &m_sla, &m_serial })
        for (Track &t : *group)
            fn(t);
    for (LockTrack &l : m_locks) {
        fn(l.track);
        fn(l.lost);
        fn(l.timedOut);
    }
}

Finding *Diagnoser::at(const Track &t)
{
    return t.index >= 0 && t.index < int(m_findings.size()) ? &m_findings[std::size_t(t.index)] : nullptr;
}

void Diagnoser::push(Finding f, Track &t)
{
    if (m_findings.size() >= kMaxFindings) {
        m_findings.erase(m_findings.begin());
        forEachTrack([](Track &o) { o.index = o.index > 0 ? o.index - 1 : -1; });
    }
    m_findings.push_back(std::move(f));
    t.index = int(m_findings.size()) - 1;
}

void Diagnoser::keep(std::deque<Sample> &ring, const Sample &s, double windowS)
{
    ring.push_back(s);
    while (ring.size() > 1 && s.t - ring.front().t > windowS + 1e-9)
        ring.pop_front();
}

QString Diagnoser::keyName(int cls, int stage) const
{
    if (cls < 0 || std::size_t(cls) >= m_scenario.classes.size())
        return QStringLiteral("?");
    const TaskClass &c = m_scenario.classes[std::size_t(cls)];
    if (stage < 0 || std::size_t(stage) >= c.stages.size())
        return c.name;
    return c.name + QLatin1Char('.') + c.stages[std::size_t(stage)].name;
}

std::pair<int, int> Diagnoser::topKey(const Track &t) const
{
    std::pair<int, int> best { -1, -1 };
    double weight = 0;
    for (const auto &[key, w] : t.keys)
        if (w > weight) {
            weight = w;
            best = key;
        }
    return best;
}

std::pair<int, int> Diagnoser::blame(Finding &f, const Track &t) const
{
    const std::pair<int, int> key = topKey(t);
    if (f.className.isEmpty() && key.first >= 0)
        f.className = m_scenario.classes[std::size_t(key.first)].name;
    return key;
}

void Diagnoser::addKeys(Track &t, const std::array<KeyCount, kTopKeys> &top)
{
    for (const KeyCount &k : top)
        if (k.cls >= 0)
            t.keys[{ k.cls, k.stage }] += k.count;
}

QString Diagnoser::culprits(const Track &t, int limit) const
{
    std::vector<std::pair<double, std::pair<int, int>>> byWeight;
    double total = 0;
    for (const auto &[key, w] : t.keys) {
        byWeight.emplace_back(w, key);
        total += w;
    }
    if (total <= 0)
        return {};
    std::sort(byWeight.begin(), byWeight.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
    QStringList parts;
    for (const auto &[w, key] : byWeight) {
        // The top one always; others only when they matter.
        if (int(parts.size()) >= limit || (!parts.isEmpty() && w < 0.2 * total))
            break;
        const auto [cls, stage] = key;
        QString work;
        if (cls >= 0 && std::size_t(cls) < m_scenario.classes.size() && stage >= 0
            && std::size_t(stage) < m_scenario.classes[std::size_t(cls)].stages.size())
            work
                = workName(m_scenario.classes[std::size_t(cls)].stages[std::size_t(stage)].work) + QStringLiteral(", ");
        parts << QStringLiteral("%1 (%2%3 %)").arg(keyName(cls, stage), work, num(100.0 * w / total));
    }
    return parts.join(QStringLiteral(", "));
}

QString Diagnoser::moveAdvice(DomainKind d, int cls, int stage) const
{
    if (cls < 0 || std::size_t(cls) >= m_scenario.classes.size())
        return {};
    const TaskClass &c = m_scenario.classes[std::size_t(cls)];
    if (stage < 0 || std::size_t(stage) >= c.stages.size())
        return {};
    const QString key = keyName(cls, stage);
    const QString here = domainName(d);
    switch (c.stages[std::size_t(stage)].work) {
    case WorkKind::Cpu:
        if (d == DomainKind::Loop)
            return QStringLiteral("route %1 to tbb or procs: CPU work on the loop stalls every task waiting on it")
                .arg(key);
        if (d == DomainKind::Threads)
            return QStringLiteral("route %1 to tbb or procs: CPU work belongs in a pool sized to the cores").arg(key);
        return {};
    case WorkKind::Block:
    case WorkKind::Disk:
        if (d == DomainKind::Loop)
            return QStringLiteral("route %1 to threads: a blocking call on the loop stalls every task waiting on it")
                .arg(key);
        if (d == DomainKind::Tbb || d == DomainKind::Procs)
            return QStringLiteral("route %1 to threads: its blocking wait holds a %2 worker that CPU work needs")
                .arg(key, here);
        return {};
    case WorkKind::Async:
    case WorkKind::Net:
        if (d != DomainKind::Loop)
            return QStringLiteral("route %1 to loop: its wait blocks a %2 worker there, on the loop it waits for free")
                .arg(key, here);
        return {};
    }
    return {};
}

bool Diagnoser::addFrame(const Frame &f)
{
    bool changed = false;
    for (DomainKind d : kAllDomains) {
        queueDepth(f, d, changed);
        unboundedQueue(f, d, changed);
        rejected(f, d, changed);
        workerCrash(f, d, changed);
    }
    loopLag(f, changed);
    oversubscription(f, changed);
    gilContention(f, changed);
    lockContention(f, changed);
    lockEvents(f, changed);
    for (std::size_t c = 0; c < m_scenario.classes.size() && c < f.classes.size(); ++c)
        classRules(f, c, changed);
    return changed;
}

void Diagnoser::finish(const RunResult &r)
{
    const auto has = [this](const char *rule, const auto &match) {
        std::vector<Finding *> out;
        for (Finding &f : m_findings)
            if (f.rule == QLatin1String(rule) && match(f))
                out.push_back(&f);
        return out;
    };
    const double end = std::max(r.durationS, r.frames.empty() ? 0.0 : r.frames.back().t);
    Track detached; // findings of the whole run: no frame extends them

    // sla: with live changes, per phase (the whole run mixes configurations); else the whole run.
    for (std::size_t ci = 0; r.phases.size() > 1 && ci < r.classes.size(); ++ci)
        slaByPhase(r, ci, end, detached);
    for (const ClassResult &c : r.classes) {
        if (c.slaMet() || !c.slaP99Ms || r.phases.size() > 1)
            continue;
        const QString whole = QStringLiteral("%1: P99 %2 ms over the whole run is above its SLA of %3 ms")
                                  .arg(c.name, num(c.latency.percentile(0.99) / 1e6, 1), num(*c.slaP99Ms, 1));
        const auto live = has("sla", [&](const Finding &f) { return f.className == c.name; });
        for (Finding *f : live) {
            f->severity = Severity::Error;
            f->message = whole
                + QStringLiteral(" (over 1 s windows it was above from %1 s to %2 s)")
                      .arg(num(f->fromS, 1), num(f->toS, 1));
        }
        if (live.empty())
            push(Finding { QStringLiteral("sla"), Severity::Error, std::nullopt, c.name, 0, end, whole,
                     QStringLiteral("find the stage of %1 that waits (the domains' queue depth and wait P99) and "
                                    "move it or add workers there; or relax sla.p99 if that latency is acceptable")
                         .arg(c.name) },
                detached);
    }

    // worker_crash: the totals are authoritative (a crash in the last instant misses every frame).
    for (const DomainResult &d : r.domains) {
        if (!d.used || d.totals.crashes == 0)
            continue;
        QString victim;
        std::uint64_t most = 0;
        for (const ClassResult &c : r.classes) {
            std::uint64_t n = 0;
            for (auto it = c.failureReasons.cbegin(); it != c.failureReasons.cend(); ++it)
                if (it.key().contains(QLatin1String("crashed")))
                    n += it.value();
            if (n > most) {
                most = n;
                victim = c.name;
            }
        }
        const QString message = QStringLiteral("%1: %2 worker crashes; each failed the stage it was running%3")
                                    .arg(domainName(d.kind))
                                    .arg(d.totals.crashes)
                                    .arg(victim.isEmpty() ? QString() : QStringLiteral(" (mostly %1)").arg(victim));
        auto live = has("worker_crash", [&](const Finding &f) { return f.domain == d.kind; });
        if (live.empty()) {
            Track &t = m_crash[std::size_t(d.kind)];
            push(proto("worker_crash", Severity::Error, d.kind), t);
            at(t)->toS = end;
            live.push_back(at(t));
            live.back()->advice = QStringLiteral("a worker process died mid-stage and was replaced: fix the fault (see "
                                                 "the failure reasons) or lower the injected crash: probability");
        }
        live.back()->message = message;
        if (live.back()->className.isEmpty())
            live.back()->className = victim;
    }

    little(r, end, detached);
    lockTotals(r, end, detached);
    annotatePhases(r);

    // serialization: the whole run's share, for runs too short or too uneven for the live window.
    if (!r.frames.empty())
        for (std::size_t c = 0; c < r.frames.back().classes.size() && c < m_scenario.classes.size(); ++c) {
            const ClassFrame &cf = r.frames.back().classes[c];
            const QString name = m_scenario.classes[c].name;
            if (!carriesPayload(c) || cf.procsStages < 2 * kMinProcsStages || cf.procsServiceMs <= 0
                || cf.procsIpcMs / cf.procsServiceMs <= kSerializationShare
                || !has("serialization", [&](const Finding &f) { return f.className == name; }).empty())
                continue;
            push(proto("serialization", Severity::Warning, DomainKind::Procs, name), detached);
            Finding *f = at(detached);
            f->toS = end;
            f->message
                = QStringLiteral("%1: serialization and transfer took %2 % of its procs service time over the run")
                      .arg(name, num(100 * cf.procsIpcMs / cf.procsServiceMs));
            f->advice = m_scenario.domain(DomainKind::Procs).transfer == Transfer::Copy
                ? QStringLiteral("set domains.procs.transfer: shm, or shrink the payloads of %1").arg(name)
                : QStringLiteral("shrink the payloads of %1, or run the stage in-process (tbb)").arg(name);
        }
}

namespace {
QString phaseSpan(const PhaseResult &p)
{
    return QStringLiteral("%1–%2 s").arg(num(p.fromS, 1), num(p.toS, 1));
}
} // namespace

void Diagnoser::slaByPhase(const RunResult &r, std::size_t ci, double end, Track &detached)
{
    const ClassResult &whole = r.classes[ci];
    if (!whole.slaP99Ms)
        return;
    QStringList missed;
    int lastSettled = -1;
    for (std::size_t i = 0; i < r.phases.size(); ++i) {
        const PhaseResult &p = r.phases[i];
        if (!p.settled || ci >= p.classes.size() || p.classes[ci].latency.isEmpty())
            continue;
        lastSettled = int(i);
        if (slaVerdict(p.classes[ci]) == QLatin1String("missed"))
            missed << QStringLiteral("phase %1 (%2, %3): P99 %4 ms")
                          .arg(i + 1)
                          .arg(phaseSpan(p), p.change, num(p.classes[ci].latency.percentile(0.99) / 1e6, 1));
    }
    // The live window findings of this class stay as they are; this one says which configuration missed.
    for (Finding &f : m_findings)
        if (f.rule == QLatin1String("sla") && f.className == whole.name)
            f.severity = Severity::Warning;
    if (missed.isEmpty())
        return;
    const PhaseResult &last = r.phases.back();
    const bool lastMissed
        = lastSettled == int(r.phases.size()) - 1 && slaVerdict(last.classes[ci]) == QLatin1String("missed");
    QString tail;
    if (lastMissed)
        tail = QStringLiteral("; the last configuration misses it too");
    else if (!last.settled)
        tail = QStringLiteral("; the last phase (from %1 s, %2) had not settled, so its P99 is unknown")
                   .arg(num(last.fromS, 1), last.change);
    else if (lastSettled >= 0 && ci < r.phases[std::size_t(lastSettled)].classes.size())
        tail = QStringLiteral("; after the change at %1 s (%2) it meets it (P99 %3 ms)")
                   .arg(num(last.fromS, 1), last.change,
                       num(r.phases[std::size_t(lastSettled)].classes[ci].latency.percentile(0.99) / 1e6, 1));
    push(Finding { QStringLiteral("sla"), lastMissed ? Severity::Error : Severity::Warning, std::nullopt, whole.name, 0,
             lastMissed ? end : r.phases[std::size_t(std::max(0, lastSettled))].fromS,
             QStringLiteral("%1: above its P99 SLA of %2 ms in %3%4")
                 .arg(whole.name, num(*whole.slaP99Ms, 1), missed.join(QStringLiteral(", ")), tail),
             QStringLiteral("find the stage of %1 that waits (the domains' queue depth and wait P99) and move it or "
                            "add workers there; or relax sla.p99 if that latency is acceptable")
                 .arg(whole.name) },
        detached);
}

void Diagnoser::annotatePhases(const RunResult &r)
{
    if (r.phases.size() < 2)
        return;
    for (Finding &f : m_findings) {
        if (f.rule == QLatin1String("sla") && f.fromS == 0 && f.message.contains(QLatin1String(" in phase ")))
            continue; // the per-phase SLA finding says it already
        // The phase the finding ended in.
        std::size_t i = 0;
        while (i + 1 < r.phases.size() && f.toS > r.phases[i].toS)
            ++i;
        const PhaseResult &p = r.phases[i];
        // Ended while that phase settled (or about a second later): the change that started it ended it.
        if (i > 0 && f.toS <= p.fromS + std::max(p.settleS, kSettleMinS) + kMergeGapS && f.fromS < p.fromS) {
            f.message += QStringLiteral(" (until the change at %1 s: %2)").arg(num(p.fromS, 1), p.change);
            continue;
        }
        if (i + 1 < r.phases.size())
            f.message += QStringLiteral(" (in phase %1, before the change at %2 s)").arg(i + 1).arg(num(p.toS, 1));
    }
}

std::vector<Finding> diagnose(const RunResult &r, int cores)
{
    Diagnoser d;
    d.reset(r.scenario, cores);
    for (const Frame &f : r.frames)
        d.addFrame(f);
    d.finish(r);
    return d.findings();
}

} // namespace hs
