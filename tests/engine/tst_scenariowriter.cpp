// ScenarioWriter: every built-in scenario survives parse → write → parse with every field equal
// (lesson included), the written file passes the parser's full checks, edits made as the GUI makes
// them survive, awkward text and exact numbers come back the same, and units are written the way
// people type them.

#include "scenario/builtins.h"
#include "scenario/scenarioparser.h"
#include "scenario/scenariowriter.h"
#include "scenario/units.h"

#include <QTest>

using namespace hs;

namespace {

QString distText(const Distribution &d)
{
    return QStringLiteral("%1(%2, %3)").arg(int(d.kind)).arg(d.a, 0, 'g', 17).arg(d.b, 0, 'g', 17);
}

/// The first difference between two scenarios, as "path: a != b"; empty when they are equal in every
/// field the format carries (source and file positions are not part of a scenario's content).
QString firstDifference(const Scenario &a, const Scenario &b)
{
    QStringList diffs;
    const auto cmp = [&](const QString &path, const auto &x, const auto &y, const QString &xs, const QString &ys) {
        if (!(x == y))
            diffs << path + QStringLiteral(": ") + xs + QStringLiteral(" != ") + ys;
    };
    const auto num = [&](const QString &path, double x, double y) {
        cmp(path, x, y, QString::number(x, 'g', 17), QString::number(y, 'g', 17));
    };
    const auto text = [&](const QString &path, const QString &x, const QString &y) { cmp(path, x, y, x, y); };
    const auto dist = [&](const QString &path, const Distribution &x, const Distribution &y) {
        cmp(path, x, y, distText(x), distText(y));
    };
    const auto optNum = [&](const QString &path, const std::optional<double> &x, const std::optional<double> &y) {
        cmp(path, x, y, x ? QString::number(*x, 'g', 17) : QStringLiteral("none"),
            y ? QString::number(*y, 'g', 17) : QStringLiteral("none"));
    };
    text(QStringLiteral("name"), a.name, b.name);
    text(QStringLiteral("description"), a.description, b.description);
    num(QStringLiteral("duration"), a.duration, b.duration);
    num(QStringLiteral("seed"), double(a.seed), double(b.seed));
    cmp(QStringLiteral("seed (exact)"), a.seed, b.seed, QString::number(a.seed), QString::number(b.seed));
    optNum(QStringLiteral("sla.p99"), a.slaP99, b.slaP99);
    num(QStringLiteral("starvation.threshold"), a.starvationThreshold, b.starvationThreshold);
    num(QStringLiteral("starvation.heartbeat"), a.heartbeat, b.heartbeat);
    num(QStringLiteral("gil.enabled"), a.gilEnabled, b.gilEnabled);
    num(QStringLiteral("gil.switch_interval"), a.gilSwitchInterval, b.gilSwitchInterval);
    for (DomainKind d : kAllDomains) {
        const DomainConfig &x = a.domain(d), &y = b.domain(d);
        const QString p = QStringLiteral("domains.") + domainName(d) + QLatin1Char('.');
        num(p + QStringLiteral("declared"), x.declared, y.declared);
        num(p + QStringLiteral("workers"), x.workers, y.workers);
        num(p + QStringLiteral("queue"), x.queue, y.queue);
        num(p + QStringLiteral("max_inflight"), x.maxInflight, y.maxInflight);
        text(p + QStringLiteral("on_full"), onFullName(x.onFull), onFullName(y.onFull));
        text(p + QStringLiteral("transfer"), transferName(x.transfer), transferName(y.transfer));
    }
    num(QStringLiteral("classes (count)"), double(a.classes.size()), double(b.classes.size()));
    for (std::size_t i = 0; i < std::min(a.classes.size(), b.classes.size()); ++i) {
        const TaskClass &x = a.classes[i], &y = b.classes[i];
        const QString p = QStringLiteral("classes.") + x.name + QLatin1Char('.');
        text(p + QStringLiteral("name"), x.name, y.name);
        optNum(p + QStringLiteral("sla.p99"), x.slaP99, y.slaP99);
        text(p + QStringLiteral("arrival.process"), arrivalName(x.arrival.process), arrivalName(y.arrival.process));
        num(p + QStringLiteral("arrival.rate"), x.arrival.rate, y.arrival.rate);
        num(p + QStringLiteral("arrival.on"), x.arrival.on, y.arrival.on);
        num(p + QStringLiteral("arrival.off"), x.arrival.off, y.arrival.off);
        num(p + QStringLiteral("arrival.from"), x.arrival.from, y.arrival.from);
        num(p + QStringLiteral("arrival.to"), x.arrival.to, y.arrival.to);
        num(p + QStringLiteral("arrival.over"), x.arrival.over, y.arrival.over);
        num(p + QStringLiteral("arrival.clients"), x.arrival.clients, y.arrival.clients);
        dist(p + QStringLiteral("arrival.think"), x.arrival.think, y.arrival.think);
        num(p + QStringLiteral("stages (count)"), double(x.stages.size()), double(y.stages.size()));
        for (std::size_t j = 0; j < std::min(x.stages.size(), y.stages.size()); ++j) {
            const Stage &s = x.stages[j], &t = y.stages[j];
            const QString q = p + QStringLiteral("stages.") + s.name + QLatin1Char('.');
            text(q + QStringLiteral("name"), s.name, t.name);
            text(q + QStringLiteral("work"), workName(s.work), workName(t.work));
            dist(q + QStringLiteral("time"), s.time, t.time);
            dist(q + QStringLiteral("bytes"), s.bytes, t.bytes);
            text(q + QStringLiteral("kernel"), kernelName(s.kernel), kernelName(t.kernel));
            num(q + QStringLiteral("fsync"), s.fsync, t.fsync);
            dist(q + QStringLiteral("payload_in"), s.payloadIn, t.payloadIn);
            dist(q + QStringLiteral("payload_out"), s.payloadOut, t.payloadOut);
            num(q + QStringLiteral("timeout"), s.timeout, t.timeout);
            num(q + QStringLiteral("fail"), s.fail, t.fail);
            num(q + QStringLiteral("crash"), s.crash, t.crash);
            text(q + QStringLiteral("domain"), domainName(s.domain), domainName(t.domain));
            text(q + QStringLiteral("update"), s.update, t.update);
            num(q + QStringLiteral("lock (count)"), double(s.locks.size()), double(t.locks.size()));
            for (std::size_t k = 0; k < s.locks.size() && k < t.locks.size(); ++k) {
                const QString l = q + QStringLiteral("lock.") + QString::number(k) + QLatin1Char('.');
                text(l + QStringLiteral("name"), s.locks[k].name, t.locks[k].name);
                text(l + QStringLiteral("scope"), lockScopeName(s.locks[k].scope), lockScopeName(t.locks[k].scope));
                num(l + QStringLiteral("timeout"), s.locks[k].timeout, t.locks[k].timeout);
            }
        }
    }
    num(QStringLiteral("lesson (present)"), a.lesson.has_value(), b.lesson.has_value());
    if (a.lesson && b.lesson) {
        const Lesson &x = *a.lesson, &y = *b.lesson;
        text(QStringLiteral("lesson.title"), x.title, y.title);
        text(QStringLiteral("lesson.goal"), x.goal, y.goal);
        text(QStringLiteral("lesson.watch"), x.watch, y.watch);
        text(QStringLiteral("lesson.expected"), x.expected, y.expected);
        text(QStringLiteral("lesson.why"), x.why, y.why);
        num(QStringLiteral("lesson.check_duration"), x.checkDuration, y.checkDuration);
        num(QStringLiteral("lesson.steps (count)"), double(x.steps.size()), double(y.steps.size()));
        for (std::size_t i = 0; i < std::min(x.steps.size(), y.steps.size()); ++i) {
            const LessonStep &s = x.steps[i], &t = y.steps[i];
            const QString p = QStringLiteral("lesson.steps[%1].").arg(i);
            text(p + QStringLiteral("title"), s.title, t.title);
            text(p + QStringLiteral("expect"), s.expect, t.expect);
            const auto routes = [](const LessonStep &st) {
                QStringList out;
                for (const RouteOverride &r : st.routes)
                    out << r.key + QLatin1Char('=') + r.domain;
                return out.join(QLatin1Char(' '));
            };
            const auto sets = [](const LessonStep &st) {
                QStringList out;
                for (const Override &o : st.sets)
                    out << o.path + QLatin1Char('=') + o.value;
                return out.join(QLatin1Char(' '));
            };
            const auto checks = [](const LessonStep &st) {
                QStringList out;
                const auto c = [](const std::optional<Condition> &k) {
                    return k ? QStringLiteral("%1 %2").arg(int(k->op)).arg(k->value, 0, 'g', 17) : QStringLiteral("-");
                };
                for (const LessonCheck &k : st.checks)
                    out << k.metric + QLatin1Char('/') + c(k.before) + QLatin1Char('/') + c(k.after) + QLatin1Char('/')
                            + c(k.ratio);
                return out.join(QLatin1Char(' '));
            };
            text(p + QStringLiteral("route"), routes(s), routes(t));
            text(p + QStringLiteral("set"), sets(s), sets(t));
            text(p + QStringLiteral("check"), checks(s), checks(t));
        }
    }
    return diffs.join(QLatin1Char('\n'));
}

/// Parses `yaml` or fails the test with every error.
Scenario parseOrFail(const QByteArray &yaml, const QString &name, bool *ok)
{
    const ParseResult r = ScenarioParser::parseText(yaml, name);
    *ok = r.ok();
    if (!r.ok()) {
        QStringList errors;
        for (const ScenarioError &e : r.errors)
            errors << e.toString();
        qWarning().noquote() << errors.join(QLatin1Char('\n')) << "\n--- in ---\n" << QString::fromUtf8(yaml);
        return {};
    }
    return *r.scenario;
}
} // namespace

class TestScenarioWriter : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void builtinsRoundTrip_data()
    {
        QTest::addColumn<QString>("name");
        const QStringList names = builtinScenarioNames();
        QVERIFY(names.size() >= 5);
        for (const QString &n : names)
            QTest::newRow(qPrintable(n)) << n;
    }

    void builtinsRoundTrip()
    {
        QFETCH(QString, name);
        const ParseResult original = ScenarioParser::parseFile(builtinScenarioPath(name));
        QVERIFY(original.ok());
        const QByteArray yaml = ScenarioWriter::toYaml(*original.scenario);
        bool ok = false;
        const Scenario again = parseOrFail(yaml, name + QStringLiteral(".yaml"), &ok);
        QVERIFY2(ok, "the written scenario does not parse");
        const QString diff = firstDifference(*original.scenario, again);
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
        // Writing is deterministic: the second write is the first.
        QCOMPARE(QString::fromUtf8(ScenarioWriter::toYaml(again)), QString::fromUtf8(yaml));
        QCOMPARE(original.scenario->lesson.has_value(), again.lesson.has_value());
    }

    /// What the GUI changes (pool sizes, backpressure, routes, GIL, duration) is what is written.
    void editsSurvive()
    {
        ParseResult r = ScenarioParser::parseFile(builtinScenarioPath(QStringLiteral("default")));
        QVERIFY(r.ok());
        Scenario s = *r.scenario;
        s.duration = 0; // until stopped
        s.gilEnabled = true;
        DomainConfig &threads = s.domain(DomainKind::Threads);
        threads.workers = 4096;
        threads.queue = 0;
        threads.maxInflight = 37;
        threads.onFull = OnFull::DropOldest;
        DomainConfig &tbb = s.domain(DomainKind::Tbb);
        tbb.declared = true;
        tbb.workers = 3;
        s.domain(DomainKind::Procs).transfer = Transfer::Shm;
        s.classes.front().stages.front().domain = DomainKind::Tbb;
        // DESIGN §15: a list of locks, in order, and a counter.
        s.classes.front().stages.front().locks = { LockUse { QStringLiteral("a"), LockScope::Process, 0.25, {} },
            LockUse { QStringLiteral("b"), LockScope::Process, 2.0, {} } };
        s.classes.front().stages.front().update = QStringLiteral("ledger");
        bool ok = false;
        const Scenario again = parseOrFail(ScenarioWriter::toYaml(s), QStringLiteral("edited.yaml"), &ok);
        QVERIFY(ok);
        const QString diff = firstDifference(s, again);
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
        QCOMPARE(again.duration, 0.0);
        QCOMPARE(again.domain(DomainKind::Threads).workers, 4096);
    }

    /// Text that YAML would otherwise read differently, and numbers no unit writes exactly.
    void awkwardValues_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("yes") << QStringLiteral("yes");
        QTest::newRow("colon") << QStringLiteral("a: b # not a comment");
        QTest::newRow("quotes") << QStringLiteral("say \"hi\" \\ back");
        QTest::newRow("leading dash") << QStringLiteral("- item");
        QTest::newRow("number") << QStringLiteral("1.50");
        QTest::newRow("flow characters") << QStringLiteral("a, b [c] {d}");
        QTest::newRow("alias and anchor") << QStringLiteral("*star &anchor");
        QTest::newRow("question") << QStringLiteral("? key");
        QTest::newRow("apostrophe") << QStringLiteral("the ticker's P99 > 20 ms; why?");
        QTest::newRow("unicode") << QStringLiteral("Fetch → transform, µs and “quotes”");
        QTest::newRow("lines") << QStringLiteral("first line\n\nthird line: with a colon");
        QTest::newRow("long") << QString(QStringLiteral("word ")).repeated(60).trimmed();
        QTest::newRow("indented second line") << QStringLiteral("one\n  two");
    }

    void awkwardValues()
    {
        QFETCH(QString, text);
        ParseResult r = ScenarioParser::parseFile(builtinScenarioPath(QStringLiteral("default")));
        QVERIFY(r.ok());
        Scenario s = *r.scenario;
        s.name = text.contains(QLatin1Char('\n')) ? QStringLiteral("n") : text;
        s.description = text;
        s.seed = 18446744073709551615ull;
        s.slaP99 = 0.1234567890123;
        s.classes.front().arrival.rate = 1.0 / 3.0;
        s.classes.front().stages.front().time = Distribution { Distribution::Kind::LogNormal, 0.0033, 1.25 };
        s.classes.front().stages.front().timeout = 1e-9 * 7;
        s.classes.front().stages.front().fail = 0.0125;
        bool ok = false;
        const Scenario again = parseOrFail(ScenarioWriter::toYaml(s), QStringLiteral("awkward.yaml"), &ok);
        QVERIFY(ok);
        const QString diff = firstDifference(s, again);
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
    }

    void unitsAsPeopleWriteThem_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<double>("value");
        QTest::addColumn<QString>("text");
        QTest::newRow("5ms") << "duration" << 0.005 << "5ms";
        QTest::newRow("1.5s") << "duration" << 1.5 << "1.5s";
        QTest::newRow("100us") << "duration" << 100e-6 << "100us";
        QTest::newRow("90s") << "duration" << 90.0 << "90s";
        QTest::newRow("2m") << "duration" << 120.0 << "2m";
        QTest::newRow("1h") << "duration" << 3600.0 << "1h";
        QTest::newRow("0") << "duration" << 0.0 << "0";
        QTest::newRow("64KiB") << "size" << 65536.0 << "64KiB";
        QTest::newRow("1.5MiB") << "size" << 1572864.0 << "1.5MiB";
        QTest::newRow("100B") << "size" << 100.0 << "100B";
        QTest::newRow("300/s") << "rate" << 300.0 << "300/s";
        QTest::newRow("1/h") << "rate" << 1.0 / 3600.0 << "1/h";
        QTest::newRow("60/m") << "rate" << 1.0 << "1/s";
        QTest::newRow("100ms") << "duration" << 0.1 << "100ms";
        QTest::newRow("30/m") << "rate" << 0.5 << "30/m";
    }

    void unitsAsPeopleWriteThem()
    {
        QFETCH(QString, kind);
        QFETCH(double, value);
        QFETCH(QString, text);
        const QString got = kind == QLatin1String("duration") ? formatDuration(value)
            : kind == QLatin1String("size")                   ? formatSize(value)
                                                              : formatRate(value);
        QCOMPARE(got, text);
    }

    void distributions()
    {
        QCOMPARE(formatDistribution(Distribution::exp(0.005), Quantity::Duration), QStringLiteral("exp(5ms)"));
        const Distribution u { Distribution::Kind::Uniform, 0.001, 0.01 };
        QCOMPARE(formatDistribution(u, Quantity::Duration), QStringLiteral("uniform(1ms, 10ms)"));
        QCOMPARE(ScenarioWriter::scalar(formatDistribution(u, Quantity::Duration)),
            QStringLiteral("\"uniform(1ms, 10ms)\"")); // a comma inside { } must be quoted
        const Distribution l { Distribution::Kind::LogNormal, 4096, 0.5 };
        QCOMPARE(formatDistribution(l, Quantity::Size), QStringLiteral("lognormal(4KiB, 0.5)"));
    }
};

QTEST_GUILESS_MAIN(TestScenarioWriter)
#include "tst_scenariowriter.moc"
