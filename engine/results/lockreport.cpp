#include "results/lockreport.h"

#include <QJsonArray>
#include <QTextStream>

#include <algorithm>
#include <cmath>

namespace hs {

namespace {
double ms(double ns)
{
    return ns / 1e6;
}

QString num(double v, int prec)
{
    return QString::number(v, 'f', prec);
}

// A total wait as a person says it: "850 ms", "1.2 s".
QString totalWait(double waitMs)
{
    if (waitMs >= 1000)
        return num(waitMs / 1000, waitMs >= 10000 ? 0 : 1) + QStringLiteral(" s");
    return num(waitMs, waitMs >= 10 ? 0 : 1) + QStringLiteral(" ms");
}

QString share(std::uint64_t part, std::uint64_t whole)
{
    return whole ? num(100.0 * double(part) / double(whole), 0) + QStringLiteral(" %") : QStringLiteral("-");
}

QString edgeText(const QString &waiter, const QString &waiterDomain, const QString &holder, const QString &holderDomain,
    const QString &lock, double waitMs, qint64 waits)
{
    const QString who = holder.isEmpty()
        ? QStringLiteral("a holder not seen from here (a copy of the lock in another process)")
        : holder + (holderDomain.isEmpty() ? QString() : QStringLiteral(" on ") + holderDomain);
    return QStringLiteral("%1 on %2 waited %3 in total (%4 waits) for %5 held by %6")
        .arg(waiter, waiterDomain, totalWait(waitMs))
        .arg(waits)
        .arg(lock, who);
}

QString pad(const QString &s, int w)
{
    if (w < 0)
        return s.leftJustified(-w);
    return s.size() >= w ? QLatin1Char(' ') + s : s.rightJustified(w);
}
} // namespace

QString lockKeyName(const Scenario &s, int cls, int stage)
{
    if (cls < 0 || std::size_t(cls) >= s.classes.size())
        return QStringLiteral("?");
    const TaskClass &c = s.classes[std::size_t(cls)];
    if (stage < 0 || std::size_t(stage) >= c.stages.size())
        return c.name;
    return c.name + QLatin1Char('.') + c.stages[std::size_t(stage)].name;
}

QString lockEdgeText(const RunResult &r, const QString &lock, const LockWaitEdge &e)
{
    const bool holderKnown = e.holderClass >= 0;
    return edgeText(lockKeyName(r.scenario, e.waiterClass, e.waiterStage), domainName(e.waiterDomain),
        holderKnown ? lockKeyName(r.scenario, e.holderClass, e.holderStage) : QString(),
        holderKnown && e.holderDomain ? domainName(*e.holderDomain) : QString(), lock, e.waitMs, qint64(e.waits));
}

QString lockEdgeText(const QString &lock, const QJsonObject &e)
{
    return edgeText(e.value(QLatin1String("waiter")).toString(), e.value(QLatin1String("waiter_domain")).toString(),
        e.value(QLatin1String("holder")).toString(), e.value(QLatin1String("holder_domain")).toString(), lock,
        e.value(QLatin1String("wait_ms")).toDouble(), e.value(QLatin1String("waits")).toInteger());
}

QString lostUpdatesExplanation(const QString &scope)
{
    if (scope == QLatin1String("thread"))
        return QStringLiteral("a thread-scope lock is a mutex of the engine process: stages in worker processes "
                              "each take their own copy, so it does not guard them (use scope: process, or route "
                              "every update to one owner)");
    if (scope == QLatin1String("process"))
        return QStringLiteral("updates were lost although a process-scope lock guards them: a holder died mid-update "
                              "or a stage updates the counter without taking the lock");
    return QStringLiteral("the counter is updated without a lock of its name: concurrent read-modify-writes "
                          "overwrite each other");
}

QString lockSummary(const RunResult &r)
{
    if (r.locks.empty())
        return {};
    QString out;
    QTextStream s(&out);
    s << "\nlocks and shared counters:\n";
    s << pad(QStringLiteral("NAME"), -14) << pad(QStringLiteral("SCOPE"), -8) << pad(QStringLiteral("ACQUIRED"), 10)
      << pad(QStringLiteral("CONTENDED"), 16) << pad(QStringLiteral("WAIT p50"), 10) << pad(QStringLiteral("p99 ms"), 9)
      << pad(QStringLiteral("TIMEOUTS"), 10) << pad(QStringLiteral("RECOVERED"), 11) << '\n';
    for (const LockResult &l : r.locks) {
        s << pad(l.name.left(13), -14);
        if (l.scope)
            s << pad(lockScopeName(*l.scope), -8) << pad(QString::number(l.acquisitions), 10)
              << pad(QStringLiteral("%1 (%2)").arg(l.contended).arg(share(l.contended, l.acquisitions)), 16)
              << pad(l.wait.isEmpty() ? QStringLiteral("-") : num(ms(l.wait.percentile(0.5)), 2), 10)
              << pad(l.wait.isEmpty() ? QStringLiteral("-") : num(ms(l.wait.percentile(0.99)), 2), 9)
              << pad(QString::number(l.timeouts), 10)
              << pad(*l.scope == LockScope::Process ? QString::number(l.recovered) : QStringLiteral("-"), 11);
        else
            s << pad(QStringLiteral("-"), -8) << "  (a counter only: no lock of this name)";
        s << '\n';
        if (l.counter) {
            s << "              counter: updates expected " << l.updatesExpected << ", seen " << l.updatesSeen;
            if (l.lostUpdates() > 0)
                s << ", LOST " << l.lostUpdates() << " ("
                  << num(100.0 * double(l.lostUpdates()) / double(std::max<std::uint64_t>(l.updatesExpected, 1)), 1)
                  << " %)  <<< LOST UPDATES\n              why: "
                  << lostUpdatesExplanation(l.scope ? lockScopeName(*l.scope) : QString()) << '\n';
            else
                s << ", lost 0\n";
        }
        if (l.timeouts > 0)
            s << "              " << l.timeouts << " lock timeout(s): possible deadlock\n";
    }
    // The edge that cost most across all locks: who waited on whom.
    const LockResult *top = nullptr;
    for (const LockResult &l : r.locks)
        if (!l.edges.empty() && (!top || l.edges.front().waitMs > top->edges.front().waitMs))
            top = &l;
    if (top)
        s << "most waited: " << lockEdgeText(r, top->name, top->edges.front()) << '\n';
    return out;
}

QString locksCsv(const RunResult &r)
{
    if (r.locks.empty())
        return {};
    QString out;
    QTextStream s(&out);
    const char *mode = r.simulated() ? "simulated" : "engine";
    s << "\nt,lock,scope,acquisitions,contended,timeouts,recovered,waiting,wait_p99_ms,updates_expected,updates_seen,"
         "lost_updates,mode\n";
    for (const Frame &f : r.frames)
        for (std::size_t i = 0; i < f.locks.size() && i < r.locks.size(); ++i) {
            const LockFrame &lf = f.locks[i];
            const LockResult &l = r.locks[i];
            const std::uint64_t lost = lf.updatesExpected > lf.updatesSeen ? lf.updatesExpected - lf.updatesSeen : 0;
            s << num(f.t, 3) << ',' << l.name << ',' << (l.scope ? lockScopeName(*l.scope) : QString()) << ','
              << lf.acquisitions << ',' << lf.contended << ',' << lf.timeouts << ',' << lf.recovered << ','
              << lf.waiting << ',' << num(lf.waitP99Ms, 3) << ',' << lf.updatesExpected << ',' << lf.updatesSeen << ','
              << lost << ',' << mode << '\n';
        }
    return out;
}

} // namespace hs
