#include "scenario/builtins.h"
#include "scenario/scenarioparser.h"
#include "tuning/sweepplan.h"
#include "tuning/sweeprunner.h"

#include <QTest>

#include <cmath>

using hs::SweepPlan;
using hs::VaryAxis;

class TestSweepPlan : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void grammar_data();
    void grammar();
    void errors_data();
    void errors();
    void grid();
    void gridTooLarge();
    void samePathTwice();
    void poolDomain();
    void loadScalesRatesAndClients();
    void loadOutOfRange();
    void pointOverrides();
    void studentT();
};

void TestSweepPlan::grammar_data()
{
    QTest::addColumn<QString>("arg");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QStringList>("values");
    const auto l = [](std::initializer_list<const char *> v) {
        QStringList out;
        for (const char *s : v)
            out << QString::fromLatin1(s);
        return out;
    };
    QTest::newRow("list") << "domains.threads.workers=1,2,4,8"
                          << "domains.threads.workers" << l({ "1", "2", "4", "8" });
    QTest::newRow("list spaces") << "domains.tbb.workers= 1, 3 "
                                 << "domains.tbb.workers" << l({ "1", "3" });
    QTest::newRow("one value") << "domains.threads.workers=6"
                               << "domains.threads.workers" << l({ "6" });
    QTest::newRow("range") << "domains.threads.workers=1..5"
                           << "domains.threads.workers" << l({ "1", "2", "3", "4", "5" });
    QTest::newRow("range of one") << "domains.threads.workers=3..3"
                                  << "domains.threads.workers" << l({ "3" });
    QTest::newRow("geometric") << "domains.threads.workers=1..64x2"
                               << "domains.threads.workers" << l({ "1", "2", "4", "8", "16", "32", "64" });
    QTest::newRow("geometric stops below the end") << "domains.threads.workers=2..12x2"
                                                   << "domains.threads.workers" << l({ "2", "4", "8" });
    QTest::newRow("geometric x3") << "domains.procs.workers=1..30x3"
                                  << "domains.procs.workers" << l({ "1", "3", "9", "27" });
    QTest::newRow("step") << "load=0.5..2:0.25"
                          << "load" << l({ "0.5", "0.75", "1", "1.25", "1.5", "1.75", "2" });
    QTest::newRow("step keeps the end despite rounding") << "load=0.1..0.5:0.1"
                                                         << "load" << l({ "0.1", "0.2", "0.3", "0.4", "0.5" });
    QTest::newRow("step with units") << "sla.p99=10ms..30ms:10ms"
                                     << "sla.p99" << l({ "10ms", "20ms", "30ms" });
    QTest::newRow("list of words") << "domains.threads.on_full=reject,block"
                                   << "domains.threads.on_full" << l({ "reject", "block" });
    QTest::newRow("class path") << "classes.io.arrival.rate=100/s,200/s"
                                << "classes.io.arrival.rate" << l({ "100/s", "200/s" });
    QTest::newRow("load list") << "load=0.5,1,1.5"
                               << "load" << l({ "0.5", "1", "1.5" });
}

void TestSweepPlan::grammar()
{
    QFETCH(QString, arg);
    QFETCH(QString, path);
    QFETCH(QStringList, values);
    QString why;
    const auto axis = hs::parseVaryArgument(arg, &why);
    QVERIFY2(axis, qPrintable(why));
    QCOMPARE(axis->path, path);
    QCOMPARE(axis->values, values);
}

void TestSweepPlan::errors_data()
{
    QTest::addColumn<QString>("arg");
    QTest::addColumn<QString>("expected"); // a part of the message
    QTest::newRow("unknown path") << "domains.threads.wrokers=1..4"
                                  << "unknown field";
    QTest::newRow("unknown path suggests") << "domains.threads.wrokers=1..4"
                                           << "domains.threads.workers";
    QTest::newRow("no =") << "domains.threads.workers"
                          << "PATH=VALUES";
    QTest::newRow("missing values") << "domains.threads.workers="
                                    << "missing values";
    QTest::newRow("reversed range") << "domains.threads.workers=8..4"
                                    << "empty range";
    QTest::newRow("range without end") << "domains.threads.workers=4.."
                                       << "empty range";
    QTest::newRow("range without start") << "domains.threads.workers=..4"
                                         << "empty range";
    QTest::newRow("too many") << "domains.threads.workers=1..1000"
                              << "at most 200";
    QTest::newRow("too many steps") << "load=0.001..10:0.001"
                                    << "at most 200";
    QTest::newRow("huge range") << "domains.threads.workers=1..1e300"
                                << "at most 200";
    QTest::newRow("list too long") << QStringLiteral("load=") + [] {
        QStringList v;
        for (int i = 1; i <= 201; ++i)
            v << QString::number(i);
        return v.join(QLatin1Char(','));
    }() << "at most 200";
    QTest::newRow("factor 1") << "domains.threads.workers=1..64x1"
                              << "bad factor";
    QTest::newRow("factor below 1") << "domains.threads.workers=1..64x0.5"
                                    << "bad factor";
    QTest::newRow("factor not a number") << "domains.threads.workers=1..64xq"
                                         << "bad factor";
    QTest::newRow("geometric from 0") << "domains.threads.workers=0..64x2"
                                      << "above 0";
    QTest::newRow("step 0") << "load=0.5..2:0"
                            << "bad step";
    QTest::newRow("negative step") << "load=0.5..2:-0.5"
                                   << "bad step";
    QTest::newRow("fractional integer range") << "load=0.5..2"
                                              << "integers";
    QTest::newRow("units differ") << "sla.p99=10ms..1s:10ms"
                                  << "different units";
    QTest::newRow("not a range") << "domains.threads.workers=a..b"
                                 << "expected a range";
    QTest::newRow("empty list item") << "domains.threads.workers=1,,2"
                                     << "empty value";
    QTest::newRow("duplicate value") << "domains.threads.workers=2,4,2"
                                     << "twice";
    QTest::newRow("field refuses 0 workers") << "domains.threads.workers=0..4"
                                             << "value \"0\"";
    QTest::newRow("field refuses a word") << "domains.threads.workers=2,many"
                                          << "value \"many\"";
    QTest::newRow("field refuses the policy") << "domains.threads.on_full=reject,panic"
                                              << "value \"panic\"";
    QTest::newRow("load 0") << "load=0,1"
                            << "load \"0\"";
    QTest::newRow("load too high") << "load=1,5000"
                                   << "at most";
    QTest::newRow("duration is the sweep's") << "duration=1s,2s"
                                             << "--duration";
}

void TestSweepPlan::errors()
{
    QFETCH(QString, arg);
    QFETCH(QString, expected);
    QString why;
    const auto axis = hs::parseVaryArgument(arg, &why);
    QVERIFY2(!axis, qPrintable(axis ? axis->values.join(QLatin1Char(',')) : QString()));
    QVERIFY2(why.contains(expected), qPrintable(why));
}

void TestSweepPlan::grid()
{
    QString why;
    const auto a = hs::parseVaryArgument(QStringLiteral("domains.threads.workers=1..3"), &why);
    const auto b = hs::parseVaryArgument(QStringLiteral("load=0.5,1"), &why);
    QVERIFY(a && b);
    const auto plan = SweepPlan::make({ *a, *b }, &why);
    QVERIFY2(plan, qPrintable(why));
    QCOMPARE(plan->size(), 6);
    // The first axis outermost.
    const hs::SweepValues first = plan->points().front();
    QCOMPARE(first.size(), std::size_t(2));
    QCOMPARE(first[0].second, QStringLiteral("1"));
    QCOMPARE(first[1].second, QStringLiteral("0.5"));
    QCOMPARE(plan->points()[1][0].second, QStringLiteral("1"));
    QCOMPARE(plan->points()[1][1].second, QStringLiteral("1"));
    QCOMPARE(plan->points()[2][0].second, QStringLiteral("2"));
    QCOMPARE(plan->points().back()[0].second, QStringLiteral("3"));
    QCOMPARE(plan->points().back()[1].second, QStringLiteral("1"));
}

void TestSweepPlan::gridTooLarge()
{
    QString why;
    const auto a = hs::parseVaryArgument(QStringLiteral("domains.threads.workers=1..20"), &why);
    const auto b = hs::parseVaryArgument(QStringLiteral("domains.tbb.workers=1..11"), &why);
    QVERIFY(a && b);
    QVERIFY(!SweepPlan::make({ *a, *b }, &why));
    QVERIFY2(
        why.contains(QStringLiteral("220 points")) && why.contains(QStringLiteral("at most 200")), qPrintable(why));
    const auto c = hs::parseVaryArgument(QStringLiteral("domains.tbb.workers=1..10"), &why);
    QVERIFY(SweepPlan::make({ *a, *c }, &why)); // 200 exactly
    QVERIFY(!SweepPlan::make({}, &why));
    QVERIFY(!SweepPlan::make({ *a, *c, *b }, &why));
}

void TestSweepPlan::samePathTwice()
{
    QString why;
    const auto a = hs::parseVaryArgument(QStringLiteral("load=1,2"), &why);
    QVERIFY(a);
    QVERIFY(!SweepPlan::make({ *a, *a }, &why));
    QVERIFY2(why.contains(QStringLiteral("twice")), qPrintable(why));
}

void TestSweepPlan::poolDomain()
{
    const auto pool = [](const char *path) { return VaryAxis { QString::fromLatin1(path), {} }.poolDomain(); };
    QCOMPARE(pool("domains.tbb.workers"), std::optional(hs::DomainKind::Tbb));
    QCOMPARE(pool("domains.procs.workers"), std::optional(hs::DomainKind::Procs));
    QCOMPARE(pool("domains.threads.workers"), std::optional(hs::DomainKind::Threads));
    QVERIFY(!pool("domains.loop.workers"));
    QVERIFY(!pool("domains.threads.queue"));
    QVERIFY(!pool("load"));
}

void TestSweepPlan::loadScalesRatesAndClients()
{
    const QByteArray yaml = R"(
name: t
duration: 2s
domains: { threads: { workers: 2 } }
classes:
  - name: a
    arrival: { process: poisson, rate: 100/s }
    stages: [ { name: s, work: block, time: 1ms, domain: threads } ]
  - name: b
    arrival: { process: closed, clients: 3, think: 10ms }
    stages: [ { name: s, work: block, time: 1ms, domain: threads } ]
  - name: c
    arrival: { process: ramp, from: 10/s, to: 50/s }
    stages: [ { name: s, work: block, time: 1ms, domain: threads } ]
  - name: d
    arrival: { process: closed, clients: 2, rate: 200/s }
    stages: [ { name: s, work: block, time: 1ms, domain: threads } ]
)";
    const auto r = hs::ScenarioParser::parseText(yaml, QStringLiteral("t.yaml"));
    QVERIFY(r.ok());
    hs::Scenario s = *r.scenario;
    QString why;
    QVERIFY2(hs::scaleLoad(s, 1.5, &why), qPrintable(why));
    // A closed class with a rate (DESIGN §15): both scale, so each client's period stays ~10 ms.
    QCOMPARE(s.classes[3].arrival.rate, 300.0);
    QCOMPARE(s.classes[3].arrival.clients, 3);
    QCOMPARE(s.classes[1].arrival.rate, 0.0); // without a rate it stays without one
    QCOMPARE(s.classes[0].arrival.rate, 150.0);
    QCOMPARE(s.classes[1].arrival.clients, 5); // 4.5 rounds up
    QCOMPARE(s.classes[2].arrival.from, 15.0);
    QCOMPARE(s.classes[2].arrival.to, 75.0);
    hs::Scenario t = *r.scenario;
    QVERIFY(hs::scaleLoad(t, 0.1, &why));
    QCOMPARE(t.classes[1].arrival.clients, 1); // never below one client
    QCOMPARE(t.classes[0].arrival.rate, 10.0);
}

void TestSweepPlan::loadOutOfRange()
{
    const QByteArray yaml = R"(
name: t
duration: 2s
classes:
  - name: a
    arrival: { process: poisson, rate: 900000/s }
    stages: [ { name: s, work: block, time: 1ms, domain: threads } ]
)";
    const auto r = hs::ScenarioParser::parseText(yaml, QStringLiteral("t.yaml"));
    QVERIFY(r.ok());
    hs::Scenario s = *r.scenario;
    QString why;
    QVERIFY(!hs::scaleLoad(s, 2, &why));
    QVERIFY2(why.contains(QStringLiteral("classes.a.arrival.rate")), qPrintable(why));
}

void TestSweepPlan::pointOverrides()
{
    const hs::SweepValues v { { QStringLiteral("domains.threads.workers"), QStringLiteral("4") },
        { QStringLiteral("load"), QStringLiteral("1.5") } };
    const auto o = hs::pointOverrides(v);
    QCOMPARE(o.size(), std::size_t(1));
    QCOMPARE(o[0].path, QStringLiteral("domains.threads.workers"));
    QCOMPARE(o[0].value, QStringLiteral("4"));
    QCOMPARE(hs::pointLoad(v), 1.5);
    QCOMPARE(hs::pointLoad({}), 1.0);
    // The override parses into the scenario like a --set.
    const auto r = hs::ScenarioParser::parseFile(hs::builtinScenarioPath(QStringLiteral("littles-law")), o);
    QVERIFY(r.ok());
    QCOMPARE(r.scenario->domain(hs::DomainKind::Threads).workers, 4);
}

void TestSweepPlan::studentT()
{
    // Published two-sided 95 % values.
    QCOMPARE(hs::studentT975(1), 12.706);
    QCOMPARE(hs::studentT975(4), 2.776);
    QCOMPARE(hs::studentT975(30), 2.042);
    QVERIFY(std::abs(hs::studentT975(60) - 2.000) < 2e-3);
    QVERIFY(std::abs(hs::studentT975(120) - 1.980) < 2e-3);
    QVERIFY(std::isinf(hs::studentT975(0)));
}

QTEST_GUILESS_MAIN(TestSweepPlan)
#include "tst_sweepplan.moc"
