// DESIGN §15: the rules about locks and shared counters (lock_contention, lost_updates,
// lock_timeout).

#include "results/diagnostics_p.h"
#include "results/runresult.h"

#include <algorithm>
#include <set>

namespace hs {

using namespace diagnostics_detail;

namespace {
QString onDomain(int d)
{
    return d >= 0 && d < kDomainCount ? QStringLiteral(" on ") + domainName(DomainKind(d)) : QString();
}
} // namespace

void Diagnoser::lockContention(const Frame &f, bool &changed)
{
    for (std::size_t i = 0; i < m_locks.size() && i < f.locks.size(); ++i) {
        LockTrack &lt = m_locks[i];
        const LockFrame &lf = f.locks[i];
        Sample s;
        s.t = f.t;
        s.a = double(lf.acquisitions);
        s.b = double(lf.contended);
        keep(lt.ring, s, kSustainedS);
        const Sample &first = lt.ring.front();
        const double acquired = s.a - first.a;
        const double contended = s.b - first.b;
        const double share = acquired > 0 ? contended / acquired : 0;
        const double minWaitMs = kLockWaitShare * m_thresholdMs;
        const bool cond = lt.ring.size() >= 5 && f.t - first.t >= 0.9 * kSustainedS
            && acquired >= double(kLockMinAcquisitions) && share >= kLockContendedShare && lf.waitP99Ms >= minWaitMs;
        if (!cond && lt.track.index < 0 && lt.track.since < 0) {
            lt.waiters.clear();
            lt.holders.clear();
        }
        Finding *out = step(lt.track, cond, f.t, first.t, 0, kMergeGapS,
            proto("lock_contention", Severity::Warning, std::nullopt), [&](Track &t) {
                t.peak = std::max(t.peak, share);
                t.count = std::max(t.count, lf.waitP99Ms);
                if (lf.topWaiter.cls >= 0)
                    lt.waiters[{ lf.topWaiter.cls, lf.topWaiter.stage, lf.waiterDomain }] += lf.topWaiter.count;
                if (lf.topHolder.cls >= 0)
                    lt.holders[{ lf.topHolder.cls, lf.topHolder.stage, lf.holderDomain }] += lf.topHolder.count;
            });
        if (!out)
            continue;
        changed = true;
        const auto top = [](const std::map<std::array<int, 3>, double> &m) {
            const auto best = std::max_element(
                m.begin(), m.end(), [](const auto &a, const auto &b) { return a.second < b.second; });
            return best == m.end() ? std::array<int, 3> { -1, -1, -1 } : best->first;
        };
        const auto waiter = top(lt.waiters);
        const auto holder = top(lt.holders);
        const QString name = m_lockNames[qsizetype(i)];
        if (waiter[0] >= 0) // the finding follows the episode's top waiter
            out->className = m_scenario.classes[std::size_t(waiter[0])].name;
        if (waiter[2] >= 0 && waiter[2] < kDomainCount)
            out->domain = DomainKind(waiter[2]);
        QString who;
        if (waiter[0] >= 0)
            who = QStringLiteral("; %1%2 waits on %3")
                      .arg(keyName(waiter[0], waiter[1]), onDomain(waiter[2]),
                          holder[0] >= 0 ? keyName(holder[0], holder[1]) + onDomain(holder[2])
                                         : QStringLiteral("its holder"));
        out->message = QStringLiteral("lock '%1': %2 % of acquisitions found it held, wait P99 %3 ms (over 1 s)%4")
                           .arg(name, num(100 * lt.track.peak), num(lt.track.count, 1), who);
        const bool acrossProcs = waiter[2] >= 0 && holder[2] >= 0 && waiter[2] != holder[2]
            && (waiter[2] == int(DomainKind::Procs) || holder[2] == int(DomainKind::Procs));
        out->advice = QStringLiteral("shorten the critical section (hold '%1' for less of the stage); ").arg(name)
            + (acrossProcs ? QStringLiteral("a process lock shared across domains serializes the procs workers "
                                            "with the others, so they add waiting, not throughput; ")
                           : QString())
            + QStringLiteral("or give the shared state one owner: route every stage that updates it to one "
                             "single-worker domain (message passing) instead of locking it");
    }
}

void Diagnoser::lockTotals(const RunResult &r, double end, Track &detached)
{
    for (const LockResult &l : r.locks) {
        // lock_contention, seen live frame by frame, gets the whole run's who-waits-on-whom: the
        // edges that waited longest, the ones across domains first among equals.
        if (!l.edges.empty()) {
            std::vector<LockWaitEdge> edges = l.edges;
            std::stable_sort(edges.begin(), edges.end(),
                [](const LockWaitEdge &a, const LockWaitEdge &b) { return a.waitMs > b.waitMs; });
            QStringList parts;
            bool acrossProcs = false;
            for (const LockWaitEdge &e : edges) {
                if (parts.size() == 3)
                    break;
                const QString holder = e.holderClass >= 0
                    ? keyName(e.holderClass, e.holderStage) + onDomain(e.holderDomain ? int(*e.holderDomain) : -1)
                    : QStringLiteral("a holder not known here (a thread lock's copy in a worker)");
                parts << QStringLiteral("%1%2 on %3 (%4 ms in %5 waits)")
                             .arg(keyName(e.waiterClass, e.waiterStage), onDomain(int(e.waiterDomain)), holder,
                                 num(e.waitMs, 0))
                             .arg(e.waits);
                acrossProcs = acrossProcs
                    || (e.holderDomain && *e.holderDomain != e.waiterDomain
                        && (e.waiterDomain == DomainKind::Procs || *e.holderDomain == DomainKind::Procs));
            }
            const QString prefix = QStringLiteral("lock '%1':").arg(l.name);
            for (Finding &f : m_findings)
                if (f.rule == QLatin1String("lock_contention") && f.message.startsWith(prefix)) {
                    f.message
                        += QStringLiteral("; over the run, who waited on whom: ") + parts.join(QStringLiteral(", "));
                    if (acrossProcs && !f.advice.contains(QLatin1String("serializes the procs workers")))
                        f.advice.replace(QStringLiteral("; or give"),
                            QStringLiteral("; a process lock shared across domains serializes the procs workers "
                                           "with the others, so they add waiting, not throughput; or give"));
                }
        }
        const auto track = std::find(m_lockNames.begin(), m_lockNames.end(), l.name);
        LockTrack *lt = track == m_lockNames.end() ? nullptr : &m_locks[std::size_t(track - m_lockNames.begin())];
        // The finding the frames opened, completed with the totals; or a new one over the run.
        const auto liveOrNew = [&](Track LockTrack::*live, const char *rule) {
            Track &t = lt ? lt->*live : detached;
            if (!lt || !at(t)) {
                push(proto(rule, Severity::Error, std::nullopt), t);
                at(t)->fromS = 0;
            }
            Finding *f = at(t);
            f->toS = end;
            return f;
        };
        // lost_updates: the totals are authoritative (the last updates may come after the last frame).
        if (l.counter && l.lostUpdates() > 0)
            describeLostUpdates(*liveOrNew(&LockTrack::lost, "lost_updates"), l.name, l.updatesExpected, l.updatesSeen);
        // lock_timeout: waits past the timeout failed their stage (a possible deadlock). The
        // failure reasons give an example and the class that lost most stages to it.
        if (l.timeouts > 0) {
            QString example;
            QString victim;
            std::uint64_t most = 0;
            for (const ClassResult &c : r.classes) {
                std::uint64_t n = 0;
                for (auto it = c.failureReasons.cbegin(); it != c.failureReasons.cend(); ++it)
                    if (it.key().startsWith(QLatin1String("lock timeout"))
                        && it.key().contains(QLatin1Char('\'') + l.name + QLatin1Char('\''))) {
                        n += it.value();
                        if (example.isEmpty())
                            example = it.key();
                    }
                if (n > most) {
                    most = n;
                    victim = c.name;
                }
            }
            Finding *f = liveOrNew(&LockTrack::timedOut, "lock_timeout");
            if (!victim.isEmpty())
                f->className = victim;
            describeLockTimeouts(*f, l.name, l.timeouts, example);
        }
    }
}

// Live: the counter seen below the updates done can only be updates lost (sample() reads the
// count before the counter, and an update is written before it is counted), and a lock timeout
// is a stage that already failed. Both open at the frame that first shows them and stay open.
void Diagnoser::lockEvents(const Frame &f, bool &changed)
{
    for (std::size_t i = 0; i < m_locks.size() && i < f.locks.size(); ++i) {
        LockTrack &lt = m_locks[i];
        const LockFrame &lf = f.locks[i];
        const QString name = m_lockNames[qsizetype(i)];
        const bool lost = lf.updatesExpected > lf.updatesSeen;
        if (Finding *out = step(lt.lost, lost, f.t, f.t, 0, kNever,
                proto("lost_updates", Severity::Error, std::nullopt), [](Track &) {})) {
            const QString before = out->message;
            describeLostUpdates(*out, name, lf.updatesExpected, lf.updatesSeen);
            changed = changed || out->message != before;
        }
        const std::uint64_t newTimeouts = lf.timeouts > lt.lastTimeouts ? lf.timeouts - lt.lastTimeouts : 0;
        lt.lastTimeouts = std::max(lt.lastTimeouts, lf.timeouts);
        if (Finding *out = step(lt.timedOut, newTimeouts > 0, f.t, f.t, 0, kNever,
                proto("lock_timeout", Severity::Error, std::nullopt), [](Track &) {})) {
            changed = true;
            // The stage that waited longest meanwhile is the likeliest victim.
            if (lf.topWaiter.cls >= 0 && std::size_t(lf.topWaiter.cls) < m_scenario.classes.size())
                out->className = m_scenario.classes[std::size_t(lf.topWaiter.cls)].name;
            describeLockTimeouts(*out, name, lf.timeouts, QString());
        }
    }
}

void Diagnoser::describeLostUpdates(Finding &f, const QString &name, std::uint64_t done, std::uint64_t seen) const
{
    std::set<DomainKind> domains;
    QStringList updaters;
    bool threadLockOnly = false;
    bool unguarded = false;
    for (const TaskClass &c : m_scenario.classes)
        for (const Stage &st : c.stages) {
            if (st.update != name)
                continue;
            domains.insert(st.domain);
            updaters << c.name + QLatin1Char('.') + st.name + QStringLiteral(" on ") + domainName(st.domain);
            if (f.className.isEmpty())
                f.className = c.name;
            const bool guarded = std::any_of(
                st.locks.begin(), st.locks.end(), [](const LockUse &u) { return u.scope == LockScope::Process; });
            if (!guarded && st.locks.empty())
                unguarded = true;
            else if (!guarded)
                threadLockOnly = true;
        }
    QStringList domainList;
    for (DomainKind d : domains)
        domainList << domainName(d);
    f.message = QStringLiteral("counter '%1': %2 updates done, %3 seen: %4 lost (silent corruption); updated from %5 "
                               "by %6")
                    .arg(name)
                    .arg(done)
                    .arg(seen)
                    .arg(done - std::min(done, seen))
                    .arg(domainList.join(QStringLiteral(", ")), updaters.join(QStringLiteral(", ")));
    if (threadLockOnly && domains.count(DomainKind::Procs))
        f.advice = QStringLiteral("a thread lock does not guard worker processes (each has its own copy): use "
                                  "scope: process for the lock around '%1', or route every update to one owner")
                       .arg(name);
    else if (unguarded)
        f.advice = QStringLiteral("the update of '%1' is not guarded: take a lock (scope: process when procs "
                                  "updates it) around it, or route every update to one owner")
                       .arg(name);
    else
        f.advice = QStringLiteral("guard every update of '%1' with one lock of scope process, or route every "
                                  "update to one owner")
                       .arg(name);
}

void Diagnoser::describeLockTimeouts(
    Finding &f, const QString &name, std::uint64_t timeouts, const QString &example) const
{
    f.message = QStringLiteral("lock '%1': %2 waits timed out, each failed its stage (possible deadlock)%3")
                    .arg(name)
                    .arg(timeouts)
                    .arg(example.isEmpty() ? QString() : QStringLiteral("; e.g. ") + example);
    f.advice = QStringLiteral("stages that take several locks must take them in one global order (two classes "
                              "taking two locks in opposite order deadlock); or hold one lock at a time, or give "
                              "the state one owner");
}

} // namespace hs
