#include "results/diagnostics.h"

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

namespace {
constexpr double kNever = std::numeric_limits<double>::infinity();

Finding proto(const char *rule, Severity s, std::optional<DomainKind> d, const QString &cls = {})
{
    Finding f;
    f.rule = QString::fromLatin1(rule);
    f.severity = s;
    f.domain = d;
    f.className = cls;
    return f;
}

QString num(double v, int decimals = 0)
{
    return QString::number(v, 'f', decimals);
}
} // namespace

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

template<class Add>
Finding *Diagnoser::step(
    Track &t, bool cond, double now, double from, double sustainS, double gapS, const Finding &proto, Add add)
{
    const bool ended = t.index >= 0 && now - t.lastTrue > gapS;
    if (ended || (!cond && t.index < 0)) {
        // A new episode starts from nothing: no culprits or peaks of the previous one.
        t.index = -1;
        t.peak = 0;
        t.count = 0;
        t.taken = 0;
        t.keys.clear();
    }
    if (!cond) {
        t.since = -1;
        return nullptr;
    }
    if (t.since < 0)
        t.since = from;
    t.lastTrue = now;
    add(t);
    if (t.index < 0) {
        if (now - t.since < sustainS)
            return nullptr;
        Finding f = proto;
        f.fromS = t.since;
        push(std::move(f), t);
    }
    Finding *f = at(t);
    f->toS = now;
    return f;
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
    for (std::size_t c = 0; c < m_scenario.classes.size() && c < f.classes.size(); ++c)
        classRules(f, c, changed);
    return changed;
}

// gil_contention: with GIL emulation on, threads queue for the lock (1 s mean): CPU-bound code on
// threads that cannot run in parallel. Blames the class whose cpu stages wait longest for it.
void Diagnoser::gilContention(const Frame &f, bool &changed)
{
    Sample s;
    s.t = f.t;
    s.a = f.gil ? f.gilWaiting : 0;
    keep(m_gilWaiters, s, kSustainedS);
    double mean = 0;
    for (const Sample &x : m_gilWaiters)
        mean += x.a;
    mean /= double(std::max<std::size_t>(1, m_gilWaiters.size()));
    const bool cond
        = f.gil && m_gilWaiters.size() >= 5 && f.t - m_gilWaiters.front().t >= 0.9 * kSustainedS && mean >= kGilWaiters;
    int worst = -1;
    double worstMs = 0;
    for (std::size_t c = 0; c < f.classes.size(); ++c)
        if (f.classes[c].gilWaitP99Ms > worstMs) {
            worstMs = f.classes[c].gilWaitP99Ms;
            worst = int(c);
        }
    Finding *out = step(m_gil, cond, f.t, m_gilWaiters.front().t, 0, kMergeGapS,
        proto("gil_contention", Severity::Warning, DomainKind::Threads), [&](Track &t) {
            t.peak = std::max(t.peak, mean);
            t.count = std::max(t.count, worstMs);
            if (worst >= 0) {
                // Credit the class's cpu stages on loop and threads (the ones that take the GIL).
                const TaskClass &tc = m_scenario.classes[std::size_t(worst)];
                for (std::size_t st = 0; st < tc.stages.size(); ++st)
                    if (tc.stages[st].work == WorkKind::Cpu)
                        t.keys[{ worst, int(st) }] += worstMs;
            }
        });
    if (!out)
        return;
    changed = true;
    const auto [cls, stage] = blame(*out, m_gil);
    out->message = QStringLiteral("%1 threads waited for the GIL on average (switch interval %2 ms)%3")
                       .arg(num(m_gil.peak, 1), num(m_scenario.gilSwitchInterval * 1e3, 1))
                       .arg(cls >= 0 ? QStringLiteral("; %1 waits up to %2 ms for it (P99 over 1 s)")
                                           .arg(m_scenario.classes[std::size_t(cls)].name, num(m_gil.count, 1))
                                     : QString());
    out->advice = QStringLiteral("under the GIL only one thread runs Python code at a time, so more threads add "
                                 "waiting, not throughput: route %1 to procs (a GIL per process) or to code that "
                                 "releases the GIL (tbb); keep threads for blocking I/O")
                      .arg(cls >= 0 ? keyName(cls, stage) : QStringLiteral("the CPU-bound stages"));
}

// queue_depth: more than 2 × workers waiting for a sustained second: a misrouted class or a small pool.
void Diagnoser::queueDepth(const Frame &f, DomainKind d, bool &changed)
{
    const DomainFrame &df = f.domains[std::size_t(d)];
    const bool cond = df.workers > 0 && df.queue > kQueueFactor * std::max(1, df.workers);
    Finding *out = step(m_queue[std::size_t(d)], cond, f.t, f.t, kSustainedS, kMergeGapS,
        proto("queue_depth", Severity::Warning, d), [&](Track &t) {
            t.peak = std::max(t.peak, double(df.queue));
            addKeys(t, df.queuedTop);
        });
    if (!out)
        return;
    changed = true;
    const Track &t = m_queue[std::size_t(d)];
    const auto [cls, stage] = blame(*out, t);
    const QString who = culprits(t, 3);
    out->message = QStringLiteral("%1: queue depth above %2 × workers (up to %3 waiting for %4 %5)%6")
                       .arg(domainName(d))
                       .arg(kQueueFactor)
                       .arg(num(t.peak))
                       .arg(df.workers)
                       .arg(df.workers == 1 ? QStringLiteral("worker") : QStringLiteral("workers"))
                       .arg(who.isEmpty() ? QString() : QStringLiteral("; queued: ") + who);
    if (d == DomainKind::Loop) {
        // The loop cannot grow: what waits there is usually async work stuck behind a blocking stage.
        out->advice = QStringLiteral("the event loop has one thread and cannot grow: move the cpu, block and disk "
                                     "stages off it (threads for blocking I/O, tbb or procs for CPU) and keep only "
                                     "async and net stages on it");
        return;
    }
    const QString move = moveAdvice(d, cls, stage);
    out->advice = !move.isEmpty()
        ? move + QStringLiteral(", or add workers to %1 (now %2)").arg(domainName(d)).arg(df.workers)
        : cls >= 0
        ? QStringLiteral("add workers to %1 (now %2) or route %3 to a domain with room: arrivals exceed what %1 serves")
              .arg(domainName(d))
              .arg(df.workers)
              .arg(keyName(cls, stage))
        : QStringLiteral("add workers to %1 (now %2) or route a class away from it").arg(domainName(d)).arg(df.workers);
}

// unbounded_queue: a queue with no limit whose depth rises steadily over the trend window.
void Diagnoser::unboundedQueue(const Frame &f, DomainKind d, bool &changed)
{
    const DomainFrame &df = f.domains[std::size_t(d)];
    auto &ring = m_queueTrend[std::size_t(d)];
    if (df.workers <= 0)
        return;
    Sample s;
    s.t = f.t;
    s.a = df.queue;
    keep(ring, s, kTrendWindowS);
    bool cond = false;
    double slope = 0;
    if (!df.bounded && ring.size() >= 5 && f.t - ring.front().t >= 0.9 * kTrendWindowS) {
        double mt = 0, mq = 0;
        for (const Sample &x : ring) {
            mt += x.t;
            mq += x.a;
        }
        mt /= double(ring.size());
        mq /= double(ring.size());
        double sxx = 0, sxy = 0, syy = 0;
        for (const Sample &x : ring) {
            sxx += (x.t - mt) * (x.t - mt);
            sxy += (x.t - mt) * (x.a - mq);
            syy += (x.a - mq) * (x.a - mq);
        }
        slope = sxx > 0 ? sxy / sxx : 0;
        const double r = sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0;
        cond = slope >= kMinGrowthPerS && r >= kMinTrendCorrelation
            && df.queue >= std::max(kMinUnboundedDepth, kQueueFactor * df.workers);
    }
    Finding *out = step(m_unbounded[std::size_t(d)], cond, f.t, ring.front().t, 0, kMergeGapS,
        proto("unbounded_queue", Severity::Error, d), [&](Track &t) {
            t.peak = std::max(t.peak, slope);
            t.count = std::max(t.count, double(df.queue));
            addKeys(t, df.queuedTop);
        });
    if (!out)
        return;
    changed = true;
    const Track &t = m_unbounded[std::size_t(d)];
    const auto [cls, stage] = blame(*out, t);
    out->message = QStringLiteral("%1: the queue grew by up to %2 stages/s, to %3 waiting, with no queue or "
                                  "max_inflight limit (no backpressure)")
                       .arg(domainName(d), num(t.peak), num(t.count));
    out->advice
        = QStringLiteral("set domains.%1.queue or max_inflight with on_full: reject (shed load) or block (slow "
                         "the producers); arrivals exceed what %1 serves, so also add workers or route %2 elsewhere")
              .arg(domainName(d), cls >= 0 ? keyName(cls, stage) : QStringLiteral("a class"));
}

// rejected: stages refused (on_full: reject) or dropped (drop_oldest) by a full domain.
void Diagnoser::rejected(const Frame &f, DomainKind d, bool &changed)
{
    const DomainFrame &df = f.domains[std::size_t(d)];
    const std::size_t i = std::size_t(d);
    const double delta = df.rejected > m_lastRejected[i] ? double(df.rejected - m_lastRejected[i]) : 0.0;
    const double served = df.done > m_lastDone[i] ? double(df.done - m_lastDone[i]) : 0.0;
    m_lastRejected[i] = df.rejected;
    m_lastDone[i] = df.done;
    Track &track = m_rejected[i];
    if (delta <= 0 && track.index >= 0)
        track.taken += served;
    Finding *out
        = step(track, delta > 0, f.t, f.t, 0, kRejectGapS, proto("rejected", Severity::Info, d), [&](Track &t) {
              t.count += delta;
              t.taken += served;
              addKeys(t, df.rejectedTop);
          });
    if (!out)
        return;
    changed = true;
    const auto [cls, stage] = blame(*out, track);
    const double share = track.count / std::max(1.0, track.count + track.taken);
    out->severity = share >= kRejectWarnShare ? Severity::Warning : Severity::Info;
    const QString who = culprits(track, 3);
    out->message = QStringLiteral("%1: %2 stages rejected by backpressure (%3 % of what reached it)%4")
                       .arg(domainName(d), num(track.count), num(100.0 * share, 1),
                           who.isEmpty() ? QString() : QStringLiteral(": ") + who);
    out->advice = QStringLiteral("if every request matters, add workers to %1 (now %2) or route %3 to a domain with "
                                 "room; if this is deliberate load shedding, it works as designed")
                      .arg(domainName(d))
                      .arg(df.workers)
                      .arg(cls >= 0 ? keyName(cls, stage) : QStringLiteral("the rejected class"));
}

// worker_crash: worker processes that died mid-stage; one finding per domain for the whole run.
void Diagnoser::workerCrash(const Frame &f, DomainKind d, bool &changed)
{
    const DomainFrame &df = f.domains[std::size_t(d)];
    const std::size_t i = std::size_t(d);
    const double delta = df.crashes > m_lastCrashes[i] ? double(df.crashes - m_lastCrashes[i]) : 0.0;
    m_lastCrashes[i] = df.crashes;
    Finding *out = step(m_crash[i], delta > 0, f.t, f.t, 0, kNever, proto("worker_crash", Severity::Error, d),
        [&](Track &t) { t.count += delta; });
    if (!out)
        return;
    changed = true;
    out->message = QStringLiteral("%1: %2 worker crashes; each failed the stage it was running")
                       .arg(domainName(d), num(m_crash[i].count));
    out->advice = QStringLiteral("a worker process died mid-stage and was replaced: fix the fault (see the failure "
                                 "reasons) or lower the injected crash: probability");
}

// loop_lag: the heartbeat late by more than starvation.threshold: a blocking call held the loop.
void Diagnoser::loopLag(const Frame &f, bool &changed)
{
    // The hold and the lateness it causes may land in adjacent frames: blame the longer of the two.
    KeyCount blame { f.loopBlockClass, f.loopBlockStage, int(f.loopBlockMs * 1e3) };
    const KeyCount previous = m_prevBlock;
    m_prevBlock = blame;
    if (previous.cls >= 0 && previous.count > blame.count)
        blame = previous;
    const bool blamed = blame.cls >= 0 && blame.count >= kBlameShare * m_thresholdMs * 1e3;
    Finding *out = step(m_loop, f.loopLagMs > m_thresholdMs, f.t, f.t, 0, kMergeGapS,
        proto("loop_lag", Severity::Warning, DomainKind::Loop), [&](Track &t) {
            t.peak = std::max(t.peak, f.loopLagMs);
            if (blamed) {
                double &w = t.keys[{ blame.cls, blame.stage }];
                w = std::max(w, blame.count / 1e3);
            }
        });
    if (!out)
        return;
    changed = true;
    const auto [cls, stage] = topKey(m_loop);
    if (out->className.isEmpty() && cls >= 0)
        out->className = m_scenario.classes[std::size_t(cls)].name;
    QString held;
    if (cls >= 0) {
        QStringList who;
        for (const auto &[key, ms] : m_loop.keys)
            who << QStringLiteral("%1 (%2 ms)").arg(keyName(key.first, key.second), num(ms));
        held = QStringLiteral(": held by ") + who.join(QStringLiteral(", "));
    } else {
        held = QStringLiteral(": no stage held the loop that long (the loop thread itself was delayed; a loaded "
                              "machine?)");
    }
    // Lateness no stage explains is the machine's (the loop thread was not scheduled): worth
    // knowing, nothing to move.
    out->severity = cls >= 0 ? Severity::Warning : Severity::Info;
    out->message = QStringLiteral("loop lag up to %1 ms, above the %2 ms threshold%3")
                       .arg(num(m_loop.peak, 1), QString::number(m_thresholdMs, 'g', 4), held);
    const QString move = moveAdvice(DomainKind::Loop, cls, stage);
    out->advice = !move.isEmpty()
        ? move
        : QStringLiteral("route cpu, block and disk stages away from loop (threads for blocking I/O, tbb or procs "
                         "for CPU); keep only async and net stages on it");
}

// oversubscription: more cpu stages running at once, across domains, than there are cores (1 s mean).
void Diagnoser::oversubscription(const Frame &f, bool &changed)
{
    Sample s;
    s.t = f.t;
    for (DomainKind d : kAllDomains)
        s.perDomain[std::size_t(d)] = f.domains[std::size_t(d)].cpuRunning;
    if (f.gil) {
        // Under the emulated GIL only its holder burns CPU on loop and threads; the others wait for
        // the lock, which is the GIL's cost (gil_wait_ms), not oversubscription.
        double &loop = s.perDomain[std::size_t(DomainKind::Loop)];
        double &threads = s.perDomain[std::size_t(DomainKind::Threads)];
        const double held = std::min(1.0, loop + threads);
        const double total = loop + threads;
        loop = total > 0 ? held * loop / total : 0;
        threads = total > 0 ? held * threads / total : 0;
    }
    for (double v : s.perDomain)
        s.a += v;
    keep(m_cpu, s, kSustainedS);
    bool cond = false;
    double mean = 0;
    std::array<double, kDomainCount> perDomain {};
    if (m_cpu.size() >= 5 && f.t - m_cpu.front().t >= 0.9 * kSustainedS) {
        for (const Sample &x : m_cpu) {
            mean += x.a;
            for (std::size_t i = 0; i < perDomain.size(); ++i)
                perDomain[i] += x.perDomain[i];
        }
        mean /= double(m_cpu.size());
        for (double &v : perDomain)
            v /= double(m_cpu.size());
        cond = mean > m_cores;
    }
    const auto most = DomainKind(std::max_element(perDomain.begin(), perDomain.end()) - perDomain.begin());
    Finding *out = step(m_oversub, cond, f.t, m_cpu.front().t, 0, kMergeGapS,
        proto("oversubscription", Severity::Warning, most), [&](Track &t) {
            if (mean > t.peak) {
                t.peak = mean;
                m_oversubPeak = perDomain;
                for (DomainKind d : kAllDomains)
                    m_oversubWorkers[std::size_t(d)] = f.domains[std::size_t(d)].workers;
            }
        });
    if (!out)
        return;
    changed = true;
    QStringList where, pools;
    for (DomainKind d : kAllDomains) {
        const std::size_t i = std::size_t(d);
        if (m_oversubPeak[i] >= 0.05)
            where << QStringLiteral("%1 %2").arg(domainName(d), num(m_oversubPeak[i], 1));
        if (d != DomainKind::Loop && m_oversubPeak[i] >= 0.05)
            pools << QStringLiteral("%1 %2").arg(domainName(d)).arg(m_oversubWorkers[i]);
    }
    out->message = QStringLiteral("%1 cpu stages ran at once on average, on %2 cores (%3)")
                       .arg(num(m_oversub.peak, 1))
                       .arg(m_cores)
                       .arg(where.join(QStringLiteral(", ")));
    out->advice = QStringLiteral("shrink the pools so the CPU workers add up to at most %1 (now %2), and run the CPU "
                                 "stages in one pool (tbb): more CPU workers than cores only add switching and wait")
                      .arg(m_cores)
                      .arg(pools.join(QStringLiteral(", ")));
}

bool Diagnoser::carriesPayload(std::size_t c) const
{
    // Without payloads the transfer is the bare round trip (wake-ups, a few µs to a loaded
    // machine's ms): a hop cost, not serialization, and shm would not help.
    for (const Stage &st : m_scenario.classes[c].stages)
        if (!st.payloadIn.isZero() || !st.payloadOut.isZero())
            return true;
    return false;
}

void Diagnoser::classRules(const Frame &f, std::size_t c, bool &changed)
{
    const ClassFrame &cf = f.classes[c];
    const QString name = m_scenario.classes[c].name;

    // sla: the sliding-window P99 above the class's SLA for a sustained second.
    if (const auto sla = m_scenario.slaFor(int(c))) {
        const double slaMs = *sla * 1e3;
        Track &t = m_sla[c];
        Finding *out = step(t, cf.p99Ms > slaMs, f.t, f.t, kSustainedS, kMergeGapS,
            proto("sla", Severity::Warning, std::nullopt, name),
            [&](Track &tr) { tr.peak = std::max(tr.peak, cf.p99Ms); });
        if (out) {
            changed = true;
            QStringList domains;
            for (const Stage &st : m_scenario.classes[c].stages)
                if (!domains.contains(domainName(st.domain)))
                    domains << domainName(st.domain);
            out->message = QStringLiteral("%1: P99 over the last second up to %2 ms, above its SLA of %3 ms")
                               .arg(name, num(t.peak, 1), num(slaMs, 1));
            out->advice = QStringLiteral("find the stage of %1 that waits (queue depth and wait P99 of %2) and move it "
                                         "or add workers there; or relax sla.p99 if that latency is acceptable")
                              .arg(name, domains.join(QStringLiteral(", ")));
        }
    }

    // serialization: procs transfer above kSerializationShare of the class's procs service time.
    auto &ring = m_ipc[c];
    Sample s;
    s.t = f.t;
    s.a = cf.procsIpcMs;
    s.b = cf.procsServiceMs;
    s.c = double(cf.procsStages);
    keep(ring, s, kSustainedS);
    const Sample &first = ring.front();
    const double stages = s.c - first.c;
    const double ipc = s.a - first.a;
    const double service = s.b - first.b;
    const bool cond = carriesPayload(c) && f.t - first.t >= 0.9 * kSustainedS && stages >= double(kMinProcsStages)
        && service > 0 && ipc / service > kSerializationShare;
    Track &t = m_serial[c];
    Finding *out = step(t, cond, f.t, first.t, 0, kMergeGapS,
        proto("serialization", Severity::Warning, DomainKind::Procs, name), [&](Track &tr) {
            if (ipc / service > tr.peak) {
                tr.peak = ipc / service;
                tr.count = ipc / stages;
                tr.taken = service / stages;
            }
        });
    if (out) {
        changed = true;
        out->message = QStringLiteral("%1: serialization and transfer took up to %2 % of its procs service time "
                                      "(%3 of %4 ms per stage)")
                           .arg(name, num(100 * t.peak), num(t.count, 2), num(t.taken, 2));
        out->advice = [&] {
            QStringList payloads;
            for (const Stage &st : m_scenario.classes[c].stages) {
                if (!st.payloadIn.isZero())
                    payloads << QStringLiteral("%1.%2 payload_in %3")
                                    .arg(name, st.name, st.payloadIn.toString(QStringLiteral("B")));
                if (!st.payloadOut.isZero())
                    payloads << QStringLiteral("%1.%2 payload_out %3")
                                    .arg(name, st.name, st.payloadOut.toString(QStringLiteral("B")));
            }
            const QString what
                = payloads.isEmpty() ? QStringLiteral("its payloads") : payloads.join(QStringLiteral(", "));
            return m_scenario.domain(DomainKind::Procs).transfer == Transfer::Copy
                ? QStringLiteral("set domains.procs.transfer: shm (payloads in shared memory, not copied through the "
                                 "socket), or shrink %1")
                      .arg(what)
                : QStringLiteral("shrink %1, or run the stage in-process (tbb) so its payload does not move").arg(what);
        }();
    }
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

    // sla: the whole run's P99 against the SLA.
    for (const ClassResult &c : r.classes) {
        if (c.slaMet() || !c.slaP99Ms)
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
