// The rules on the loop thread and the cores: gil_contention, loop_lag, oversubscription.
#include "results/diagnostics.h"
#include "results/diagnostics_p.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace hs {

using namespace diagnostics_detail;

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

// loop_lag: the heartbeat late by more than starvation.threshold: the loop thread was held. One
// long cpu/block/disk stage is blamed by its hold; many short ones by their share of the loop's time
// over the last second (a loop 92 % busy with 4 ms stages is late without any single long hold);
// lateness while the loop was mostly idle is the machine's (the thread was not scheduled).
void Diagnoser::loopLag(const Frame &f, bool &changed)
{
    // The hold and the lateness it causes may land in adjacent frames: blame the longer of the two.
    KeyCount blame { f.loopBlockClass, f.loopBlockStage, int(f.loopBlockMs * 1e3) };
    const KeyCount previous = m_prevBlock;
    m_prevBlock = blame;
    if (previous.cls >= 0 && previous.count > blame.count)
        blame = previous;
    const bool blamed = blame.cls >= 0 && blame.count >= kBlameShare * m_thresholdMs * 1e3;

    // The loop's time in stage code over the last second, by key.
    LoopBusy b;
    b.t = f.t;
    b.spanMs = m_prevFrameT >= 0 ? std::max(0.0, (f.t - m_prevFrameT) * 1e3) : 0.0;
    b.busyMs = f.loopBusyMs;
    b.top = f.loopBusyTop;
    m_prevFrameT = f.t;
    m_loopBusy.push_back(b);
    while (!m_loopBusy.empty() && m_loopBusy.front().t <= f.t - kSustainedS)
        m_loopBusy.pop_front();
    double spanMs = 0;
    double busyMs = 0;
    std::map<std::pair<int, int>, double> byKey;
    for (const LoopBusy &x : m_loopBusy) {
        spanMs += x.spanMs;
        busyMs += x.busyMs;
        for (const KeyCount &k : x.top)
            if (k.cls >= 0)
                byKey[{ k.cls, k.stage }] += k.count / 1e3;
    }
    const double busyShare = spanMs > 0 ? std::min(1.0, busyMs / spanMs) : 0.0;

    const bool cond = f.loopLagMs > m_thresholdMs;
    if (cond && (m_loop.index < 0 || f.t - m_loop.lastTrue > kMergeGapS)) {
        // A new episode (as step() decides): no busy culprits of the previous one.
        m_loopBusyPeak = 0;
        m_loopBusyKeys.clear();
    }
    Finding *out = step(
        m_loop, cond, f.t, f.t, 0, kMergeGapS, proto("loop_lag", Severity::Warning, DomainKind::Loop), [&](Track &t) {
            t.peak = std::max(t.peak, f.loopLagMs);
            if (blamed) {
                double &w = t.keys[{ blame.cls, blame.stage }];
                w = std::max(w, blame.count / 1e3);
            }
            if (busyShare >= kLoopBusyShare) {
                m_loopBusyPeak = std::max(m_loopBusyPeak, busyShare);
                for (const auto &[key, ms] : byKey) {
                    double &share = m_loopBusyKeys[key];
                    share = std::max(share, spanMs > 0 ? ms / spanMs : 0.0);
                }
            }
        });
    if (!out)
        return;
    changed = true;
    auto [cls, stage] = topKey(m_loop);
    // The stages that filled a busy loop, largest share first (empty when it was not busy).
    std::vector<std::pair<double, std::pair<int, int>>> shares;
    for (const auto &[key, share] : m_loopBusyKeys)
        shares.emplace_back(share, key);
    std::sort(shares.begin(), shares.end(), std::greater<>());
    QStringList busyWho;
    for (const auto &[share, key] : shares)
        if (busyWho.size() < 3 && share >= 0.05)
            busyWho << QStringLiteral("%1 %2 %").arg(keyName(key.first, key.second), num(share * 100));
    const QString busy = QStringLiteral("stage code kept the loop busy %1 % of a second (%2)")
                             .arg(num(m_loopBusyPeak * 100), busyWho.join(QStringLiteral(", ")));
    QString held;
    if (cls >= 0) {
        QStringList who;
        for (const auto &[key, ms] : m_loop.keys)
            who << QStringLiteral("%1 (%2 ms)").arg(keyName(key.first, key.second), num(ms));
        held = QStringLiteral(": held by ") + who.join(QStringLiteral(", "));
        if (!shares.empty())
            held += QStringLiteral("; ") + busy;
    } else if (!shares.empty()) {
        // No long hold, but a busy loop: each beat waited behind the stages queued before it.
        cls = shares.front().second.first;
        stage = shares.front().second.second;
        held = QStringLiteral(": no single stage held it that long, but ") + busy
            + QStringLiteral(", so each beat waited behind the stages queued before it");
    } else {
        held = QStringLiteral(": the loop was not busy with stages (under %1 % of the last second), so the loop "
                              "thread itself was delayed: a loaded machine?")
                   .arg(num(kLoopBusyShare * 100));
    }
    if (out->className.isEmpty() && cls >= 0)
        out->className = m_scenario.classes[std::size_t(cls)].name;
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

} // namespace hs
