#include "scenario/fieldrules.h"

#include "scenario/units.h"
#include "scenario/yamltree.h"

#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <limits>

namespace hs::parsing {

const QStringList &domainNames()
{
    static const QStringList names { QStringLiteral("loop"), QStringLiteral("threads"), QStringLiteral("tbb"),
        QStringLiteral("procs") };
    return names;
}

const QHash<QString, Rule> &rules()
{
    static const QHash<QString, Rule> table = [] {
        QHash<QString, Rule> t;
        const auto duration = [](double lo, bool exclusive, double hi) {
            return Rule { Leaf::Duration, lo, hi, exclusive, {}, {} };
        };
        const auto integer = [](double lo, double hi, const QString &note = {}) {
            return Rule { Leaf::Int, lo, hi, false, {}, note };
        };
        const auto choice = [](const QStringList &c) { return Rule { Leaf::Choice, 0, 0, false, c, {} }; };

        t.insert(QStringLiteral("name"), Rule { Leaf::NonEmptyText, 0, 0, false, {}, {} });
        t.insert(QStringLiteral("description"), Rule { Leaf::Text, 0, 0, false, {}, {} });
        t.insert(QStringLiteral("duration"), duration(0, false, 24 * kHour));
        t.insert(QStringLiteral("seed"), Rule { Leaf::Seed, 0, 0, false, {}, {} });
        t.insert(QStringLiteral("sla.p99"), duration(0, true, kHour));
        t.insert(QStringLiteral("starvation.threshold"), duration(0, true, kHour));
        t.insert(QStringLiteral("starvation.heartbeat"), duration(100e-6, false, kHour));
        t.insert(QStringLiteral("gil.enabled"), Rule { Leaf::Bool, 0, 0, false, {}, {} });
        t.insert(QStringLiteral("gil.switch_interval"), duration(1e-6, false, kHour));

        for (const QString &d : domainNames()) {
            const QString p = QStringLiteral("domains.") + d + QLatin1Char('.');
            if (d == QLatin1String("loop"))
                t.insert(
                    p + QStringLiteral("workers"), integer(1, 1, QStringLiteral("the loop always runs on one thread")));
            else
                t.insert(p + QStringLiteral("workers"), integer(1, 4096));
            t.insert(p + QStringLiteral("queue"), integer(0, 1e7, QStringLiteral("0 means unbounded")));
            t.insert(p + QStringLiteral("max_inflight"), integer(0, 1e7, QStringLiteral("0 means unlimited")));
            t.insert(p + QStringLiteral("on_full"),
                choice({ QStringLiteral("reject"), QStringLiteral("block"), QStringLiteral("drop_oldest") }));
        }
        for (const QString &d : domainNames()) {
            if (d == QLatin1String("loop"))
                continue;
            const QString p = QStringLiteral("domains.") + d + QStringLiteral(".autoscale.");
            t.insert(p + QStringLiteral("policy"),
                choice({ QStringLiteral("off"), QStringLiteral("queue"), QStringLiteral("aimd"),
                    QStringLiteral("gradient"), QStringLiteral("vegas") }));
            t.insert(p + QStringLiteral("min"), integer(1, 4096));
            t.insert(p + QStringLiteral("max"), integer(1, 4096));
            t.insert(p + QStringLiteral("interval"), duration(0.05, false, 60));
            t.insert(p + QStringLiteral("target_p99"), duration(0, true, kHour));
        }
        t.insert(QStringLiteral("domains.procs.transfer"), choice({ QStringLiteral("copy"), QStringLiteral("shm") }));

        t.insert(QStringLiteral("classes.*.name"), Rule { Leaf::Name, 0, 0, false, {}, {} });
        t.insert(QStringLiteral("classes.*.sla.p99"), duration(0, true, kHour));
        t.insert(QStringLiteral("classes.*.arrival.process"),
            choice({ QStringLiteral("poisson"), QStringLiteral("constant"), QStringLiteral("burst"),
                QStringLiteral("ramp"), QStringLiteral("closed") }));
        const QString perDay = QStringLiteral("one a day");
        t.insert(QStringLiteral("classes.*.arrival.rate"), Rule { Leaf::Rate, kMinRate, kMaxRate, false, {}, perDay });
        t.insert(QStringLiteral("classes.*.arrival.on"), duration(0, true, kHour));
        t.insert(QStringLiteral("classes.*.arrival.off"), duration(0, true, kHour));
        t.insert(QStringLiteral("classes.*.arrival.from"),
            Rule { Leaf::Rate, kMinRate, kMaxRate, false, {}, perDay + QStringLiteral(", or 0"), true });
        t.insert(QStringLiteral("classes.*.arrival.to"),
            Rule { Leaf::Rate, kMinRate, kMaxRate, false, {}, perDay + QStringLiteral(", or 0"), true });
        t.insert(QStringLiteral("classes.*.arrival.over"),
            Rule { Leaf::Duration, 0, 24 * kHour, false, {}, QStringLiteral("0 means the run's duration") });
        t.insert(QStringLiteral("classes.*.arrival.clients"), integer(1, 100000));
        t.insert(QStringLiteral("classes.*.arrival.think"), Rule { Leaf::DurationDist, 0, kHour, false, {}, {} });

        const QString s = QStringLiteral("classes.*.stages.*.");
        t.insert(s + QStringLiteral("name"), Rule { Leaf::Name, 0, 0, false, {}, {} });
        t.insert(s + QStringLiteral("work"),
            choice({ QStringLiteral("cpu"), QStringLiteral("block"), QStringLiteral("async"), QStringLiteral("net"),
                QStringLiteral("disk") }));
        t.insert(s + QStringLiteral("time"), Rule { Leaf::DurationDist, 0, kHour, true, {}, {} });
        t.insert(s + QStringLiteral("bytes"), Rule { Leaf::SizeDist, 0, kGiB, false, {}, {} });
        t.insert(s + QStringLiteral("kernel"),
            choice({ QStringLiteral("spin"), QStringLiteral("sha256"), QStringLiteral("matmul"),
                QStringLiteral("sort") }));
        t.insert(s + QStringLiteral("fsync"), Rule { Leaf::Bool, 0, 0, false, {}, {} });
        t.insert(s + QStringLiteral("payload_in"), Rule { Leaf::SizeDist, 0, kGiB, false, {}, {} });
        t.insert(s + QStringLiteral("payload_out"), Rule { Leaf::SizeDist, 0, kGiB, false, {}, {} });
        t.insert(s + QStringLiteral("timeout"), duration(0, true, kHour));
        t.insert(s + QStringLiteral("fail"), Rule { Leaf::Probability, 0, 1, false, {}, {} });
        t.insert(s + QStringLiteral("crash"), Rule { Leaf::Probability, 0, 1, false, {}, {} });
        t.insert(s + QStringLiteral("domain"), choice(domainNames()));
        // DESIGN §15: locks held while the stage works, and the shared counter it updates.
        t.insert(s + QStringLiteral("lock.name"), Rule { Leaf::Name, 0, 0, false, {}, {} });
        t.insert(s + QStringLiteral("lock.scope"), choice({ QStringLiteral("thread"), QStringLiteral("process") }));
        t.insert(s + QStringLiteral("lock.timeout"), duration(0, true, kHour));
        t.insert(s + QStringLiteral("update"), Rule { Leaf::Name, 0, 0, false, {}, {} });

        for (const char *k : { "title", "goal", "watch", "expected", "why" })
            t.insert(QStringLiteral("lesson.") + QLatin1String(k), Rule { Leaf::Text, 0, 0, false, {}, {} });
        t.insert(QStringLiteral("lesson.check_duration"), duration(0.2, false, 120));
        t.insert(QStringLiteral("lesson.steps.*.title"), Rule { Leaf::NonEmptyText, 0, 0, false, {}, {} });
        t.insert(QStringLiteral("lesson.needs_parallel_cpu"), Rule { Leaf::Bool, 0, 0, false, {}, {} });
        t.insert(QStringLiteral("lesson.steps.*.expect"), Rule { Leaf::Text, 0, 0, false, {}, {} });
        t.insert(QStringLiteral("lesson.steps.*.when"), Rule { Leaf::NonEmptyText, 0, 0, false, {}, {} });
        t.insert(QStringLiteral("lesson.steps.*.check.*.metric"), Rule { Leaf::NonEmptyText, 0, 0, false, {}, {} });
        for (const char *k : { "before", "after", "ratio" })
            t.insert(QStringLiteral("lesson.steps.*.check.*.") + QLatin1String(k),
                Rule { Leaf::NonEmptyText, 0, 0, false, {}, {} });
        return t;
    }();
    return table;
}

const Rule &rule(const QString &path)
{
    const auto it = rules().constFind(path);
    Q_ASSERT_X(it != rules().cend(), "rule", "every leaf read has a rule");
    static const Rule fallback;
    return it == rules().cend() ? fallback : *it;
}

QString formatDuration(double s)
{
    if (s >= kHour && std::fmod(s, kHour) == 0)
        return QString::number(s / kHour, 'g', 6) + QLatin1Char('h');
    if (s >= 60 && std::fmod(s, 60.0) == 0)
        return QString::number(s / 60, 'g', 6) + QLatin1Char('m');
    return Distribution::fixed(s).toString(QStringLiteral("s"));
}

QString formatSize(double b)
{
    return Distribution::fixed(b).toString(QStringLiteral("B"));
}

QString formatRate(double r)
{
    return QString::number(r, 'g', 7) + QStringLiteral("/s");
}

QString joinChoices(const QStringList &choices)
{
    if (choices.size() <= 1)
        return choices.join(QString());
    return choices.mid(0, choices.size() - 1).join(QStringLiteral(", ")) + QStringLiteral(" or ") + choices.last();
}

QString describe(const Rule &r)
{
    switch (r.leaf) {
    case Leaf::Text:
    case Leaf::NonEmptyText: return QStringLiteral("a text");
    case Leaf::Name: return QStringLiteral("a name of letters, digits, '_' and '-'");
    case Leaf::Int:
        return QStringLiteral("a whole number from ") + QString::number(qint64(r.min)) + QStringLiteral(" to ")
            + QString::number(qint64(r.max));
    case Leaf::Seed: return QStringLiteral("a whole number from 0 to 18446744073709551615");
    case Leaf::Bool: return QStringLiteral("true or false");
    case Leaf::Probability: return QStringLiteral("a probability from 0 to 1, like 0.01 or 1%");
    case Leaf::Duration: return QStringLiteral("a duration like 5ms, 200us, 1.5s");
    case Leaf::DurationDist: return QStringLiteral("a duration like 5ms or a distribution like exp(5ms)");
    case Leaf::SizeDist: return QStringLiteral("a size like 64KiB or a distribution like exp(64KiB)");
    case Leaf::Rate: return QStringLiteral("a rate like 300/s, 5/ms, 60/m");
    case Leaf::Choice: return joinChoices(r.choices);
    }
    return {};
}

// Optimal string alignment distance (a swap of two letters counts once), case-insensitive.
int editDistance(const QString &a0, const QString &b0)
{
    const QString a = a0.toLower();
    const QString b = b0.toLower();
    const qsizetype n = a.size();
    const qsizetype m = b.size();
    std::vector<std::vector<int>> d(std::size_t(n + 1), std::vector<int>(std::size_t(m + 1)));
    for (qsizetype i = 0; i <= n; ++i)
        d[std::size_t(i)][0] = int(i);
    for (qsizetype j = 0; j <= m; ++j)
        d[0][std::size_t(j)] = int(j);
    for (qsizetype i = 1; i <= n; ++i) {
        for (qsizetype j = 1; j <= m; ++j) {
            const auto ui = std::size_t(i);
            const auto uj = std::size_t(j);
            const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[ui][uj] = std::min({ d[ui - 1][uj] + 1, d[ui][uj - 1] + 1, d[ui - 1][uj - 1] + cost });
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[ui][uj] = std::min(d[ui][uj], d[ui - 2][uj - 2] + 1);
        }
    }
    return d[std::size_t(n)][std::size_t(m)];
}

/// The closest candidate when it is an obvious typo, else an empty string.
QString closest(const QString &word, const QStringList &candidates)
{
    if (word.size() > 64)
        return {};
    QString best;
    int bestDistance = std::numeric_limits<int>::max();
    for (const QString &c : candidates) {
        const int dist = editDistance(word, c);
        if (dist < bestDistance) {
            bestDistance = dist;
            best = c;
        }
    }
    const int allowed = word.size() <= 3 ? 1 : 2;
    return bestDistance <= allowed && bestDistance < word.size() ? best : QString();
}

bool isValidName(const QString &name)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9_-]+$"));
    return re.match(name).hasMatch();
}

} // namespace hs::parsing
