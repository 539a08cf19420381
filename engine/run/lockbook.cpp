#include "run/lockbook.h"

#include "core/clock.h"

#include <algorithm>

namespace hs {

LockBook::LockBook(const Scenario &s)
    : m_scenario(s)
    , m_names(sharedResourceNames(s))
{
    m_scopes.resize(std::size_t(m_names.size()));
    m_counters.resize(std::size_t(m_names.size()));
    for (qsizetype i = 0; i < m_names.size(); ++i)
        m_res.push_back(std::make_unique<Res>());
    for (const TaskClass &c : s.classes) {
        std::vector<std::vector<LockRequest>> locks;
        std::vector<int> updates;
        for (const Stage &st : c.stages) {
            std::vector<LockRequest> wanted;
            for (const LockUse &l : st.locks) {
                const int index = int(m_names.indexOf(l.name));
                wanted.push_back(LockRequest { index, l.scope, secondsToNs(l.timeout) });
                m_scopes[std::size_t(index)] = l.scope;
            }
            const int update = st.update.isEmpty() ? -1 : int(m_names.indexOf(st.update));
            if (update >= 0)
                m_counters[std::size_t(update)] = true;
            locks.push_back(std::move(wanted));
            updates.push_back(update);
        }
        m_locks.push_back(std::move(locks));
        m_update.push_back(std::move(updates));
    }
}

LockBook::~LockBook() = default;

bool LockBook::start(QString *error)
{
    if (!used())
        return true;
    QString why;
    m_shared = SharedLocks::create(int(m_names.size()), &why);
    if (!m_shared && error)
        *error = QStringLiteral("cannot create the run's lock segment: ") + why;
    return m_shared != nullptr;
}

void LockBook::finish()
{
    if (m_shared)
        m_shared->unlinkName();
}

void LockBook::forgetProcess(pid_t pid)
{
    if (m_shared)
        m_shared->forgetProcess(std::int32_t(pid));
}

QByteArray LockBook::segmentName() const
{
    return m_shared ? m_shared->name() : QByteArray();
}

bool LockBook::takesLocks(int cls, int stage) const
{
    if (!m_shared || cls < 0 || std::size_t(cls) >= m_locks.size())
        return false;
    return !m_locks[std::size_t(cls)][std::size_t(stage)].empty()
        || m_update[std::size_t(cls)][std::size_t(stage)] >= 0;
}

void LockBook::remotePlan(
    int cls, int stage, DomainKind dk, std::vector<LockRequest> *locks, int *update, LockKey *self) const
{
    if (!takesLocks(cls, stage))
        return;
    *locks = m_locks[std::size_t(cls)][std::size_t(stage)];
    *update = m_update[std::size_t(cls)][std::size_t(stage)];
    *self = LockKey { cls, stage, int(dk) };
}

WorkResult LockBook::run(int cls, int stage, DomainKind dk, const WorkControl &ctl,
    const std::function<WorkResult(int part, int parts)> &work)
{
    LockedRun done;
    WorkResult r = m_shared->run(m_locks[std::size_t(cls)][std::size_t(stage)],
        m_update[std::size_t(cls)][std::size_t(stage)], LockKey { cls, stage, int(dk) }, ctl, work, &done);
    if (QString why = record(cls, stage, dk, done); !why.isEmpty())
        r.reason = why;
    return r;
}

QString LockBook::keyText(std::uint64_t packed) const
{
    const LockKey k = LockKey::unpack(packed);
    if (!k.valid() || std::size_t(k.cls) >= m_scenario.classes.size()
        || std::size_t(k.stage) >= m_scenario.classes[std::size_t(k.cls)].stages.size())
        return {};
    const TaskClass &c = m_scenario.classes[std::size_t(k.cls)];
    QString t = c.name + QLatin1Char('.') + c.stages[std::size_t(k.stage)].name;
    if (k.domain >= 0 && k.domain < int(kDomainCount))
        t += QStringLiteral(" on ") + domainName(DomainKind(k.domain));
    return t;
}

QString LockBook::record(int cls, int stage, DomainKind dk, const LockedRun &run)
{
    QString reason;
    const std::uint64_t me = LockKey { cls, stage, int(dk) }.pack();
    for (const LockWait &w : run.waits) {
        if (w.index < 0 || w.index >= int(m_res.size()))
            continue;
        Res &r = *m_res[std::size_t(w.index)];
        if (w.acquired) {
            r.acquisitions.fetch_add(1, std::memory_order_relaxed);
            if (w.contended)
                r.contended.fetch_add(1, std::memory_order_relaxed);
        }
        if (w.acquired || w.timedOut)
            r.wait.record(w.waitNs);
        if (w.recovered)
            r.recovered.fetch_add(1, std::memory_order_relaxed);
        if (w.timedOut) {
            r.timeouts.fetch_add(1, std::memory_order_relaxed);
            reason = lockTimeoutReason(m_names[w.index], double(w.waitNs) / 1e6, keyText(w.holder));
        }
        if (w.contended) {
            std::lock_guard lk(r.m);
            Edge &e = r.edges[{ me, w.holder }];
            e.waits += 1;
            e.ns += w.waitNs;
            r.frameWaiters[me] += w.waitNs;
            if (w.holder)
                r.frameHolders[w.holder] += w.waitNs;
        }
    }
    if (run.updated) {
        const int u = m_update[std::size_t(cls)][std::size_t(stage)];
        if (u >= 0)
            // Release: a frame that counts this update also sees the counter's write before it
            // (sample() reads the count first), so "seen below done" is only ever lost updates.
            m_res[std::size_t(u)]->updates.fetch_add(1, std::memory_order_release);
    }
    return reason;
}

std::vector<LockFrame> LockBook::sample(std::int64_t now)
{
    std::vector<LockFrame> out;
    for (std::size_t i = 0; i < m_res.size(); ++i) {
        Res &r = *m_res[i];
        LockFrame f;
        f.acquisitions = r.acquisitions.load(std::memory_order_relaxed);
        f.contended = r.contended.load(std::memory_order_relaxed);
        f.timeouts = r.timeouts.load(std::memory_order_relaxed);
        f.recovered = r.recovered.load(std::memory_order_relaxed);
        f.updatesExpected = r.updates.load(std::memory_order_acquire); // before the counter: see record()
        f.updatesSeen = m_shared ? m_shared->counter(int(i)) : 0;
        f.waiting = m_shared ? m_shared->waiting(int(i)) : 0;
        r.window.tick(now, r.wait.snapshot());
        f.waitP99Ms = r.window.window().percentile(0.99) / 1e6;
        std::map<std::uint64_t, std::int64_t> waiters, holders;
        {
            std::lock_guard lk(r.m);
            waiters.swap(r.frameWaiters);
            holders.swap(r.frameHolders);
        }
        const auto top = [](const std::map<std::uint64_t, std::int64_t> &m, KeyCount *key, int *domain) {
            const auto best = std::max_element(
                m.begin(), m.end(), [](const auto &a, const auto &b) { return a.second < b.second; });
            if (best == m.end())
                return;
            const LockKey k = LockKey::unpack(best->first);
            if (!k.valid())
                return;
            *key = KeyCount { k.cls, k.stage, int(std::min<std::int64_t>(best->second / 1000, 1'000'000'000)) };
            *domain = k.domain;
        };
        top(waiters, &f.topWaiter, &f.waiterDomain);
        top(holders, &f.topHolder, &f.holderDomain);
        out.push_back(f);
    }
    return out;
}

std::vector<LockResult> LockBook::results() const
{
    std::vector<LockResult> out;
    for (std::size_t i = 0; i < m_res.size(); ++i) {
        const Res &r = *m_res[i];
        LockResult lr;
        lr.name = m_names[qsizetype(i)];
        lr.scope = m_scopes[i];
        lr.acquisitions = r.acquisitions.load();
        lr.contended = r.contended.load();
        lr.timeouts = r.timeouts.load();
        lr.recovered = r.recovered.load();
        lr.wait = r.wait.snapshot();
        lr.counter = m_counters[i];
        lr.updatesExpected = r.updates.load();
        lr.updatesSeen = m_shared ? m_shared->counter(int(i)) : 0;
        {
            std::lock_guard lk(r.m);
            for (const auto &[key, e] : r.edges) {
                const LockKey w = LockKey::unpack(key.first);
                const LockKey h = LockKey::unpack(key.second);
                LockWaitEdge edge;
                edge.waiterClass = w.cls;
                edge.waiterStage = w.stage;
                edge.waiterDomain = DomainKind(std::clamp(w.domain, 0, int(kDomainCount) - 1));
                if (h.valid()) {
                    edge.holderClass = h.cls;
                    edge.holderStage = h.stage;
                    if (h.domain >= 0 && h.domain < int(kDomainCount))
                        edge.holderDomain = DomainKind(h.domain);
                }
                edge.waits = e.waits;
                edge.waitMs = double(e.ns) / 1e6;
                lr.edges.push_back(edge);
            }
        }
        std::sort(lr.edges.begin(), lr.edges.end(),
            [](const LockWaitEdge &a, const LockWaitEdge &b) { return a.waitMs > b.waitMs; });
        out.push_back(std::move(lr));
    }
    return out;
}

} // namespace hs
