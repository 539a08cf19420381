// editScenarioText (tune --write): values edited in place keep every other line; keys the file
// lacks are added under their parent; what cannot be edited in place is refused, never mangled.
#include "scenario/scenarioedit.h"
#include "scenario/scenarioparser.h"

#include <QTest>

using namespace hs;

namespace {

const QByteArray kBase = R"(# comment at the top
name: edit me   # trailing comment
duration: 5s
domains:
  # the pool
  threads:
    workers: 4    # four
    queue: 100
  tbb: {workers: 2}
classes:
  - name: a
    arrival: { process: poisson, rate: 10/s }
    stages:
      - { name: s, work: block, time: 1ms, domain: threads }
  - name: b
    arrival: { process: poisson, rate: 10/s }
    stages:
      - { name: t, work: cpu, time: 1ms, domain: tbb }
# comment at the end
)";

std::vector<Override> sets(std::initializer_list<std::pair<const char *, const char *>> l)
{
    std::vector<Override> out;
    for (const auto &[p, v] : l)
        out.push_back(Override { QString::fromLatin1(p), QString::fromLatin1(v) });
    return out;
}

} // namespace

class TestScenarioEdit : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void replacesInPlace()
    {
        QString why;
        const auto text = editScenarioText(kBase, sets({ { "domains.threads.workers", "12" } }), &why);
        QVERIFY2(text, qPrintable(why));
        QByteArray expected = kBase;
        expected.replace("    workers: 4    # four", "    workers: 12    # four");
        QCOMPARE(*text, expected);
    }

    void replacesInFlowMapping()
    {
        QString why;
        const auto text = editScenarioText(kBase, sets({ { "domains.tbb.workers", "3" } }), &why);
        QVERIFY2(text, qPrintable(why));
        QVERIFY(text->contains("  tbb: {workers: 3}\n"));
        QCOMPARE(text->size(), kBase.size());
    }

    void addsMissingKeyUnderItsParent()
    {
        QString why;
        const auto text = editScenarioText(
            kBase, sets({ { "domains.threads.max_inflight", "50" }, { "domains.procs.workers", "2" } }), &why);
        QVERIFY2(text, qPrintable(why));
        QVERIFY2(text->contains("    queue: 100\n    max_inflight: 50\n"), text->constData());
        QVERIFY2(text->contains("  procs:\n    workers: 2\n"), text->constData());
        QVERIFY(text->startsWith("# comment at the top\nname: edit me   # trailing comment\n"));
        QVERIFY(text->endsWith("# comment at the end\n"));
        const ParseResult r = ScenarioParser::parseText(*text, QStringLiteral("t"));
        QVERIFY(r.ok());
        QCOMPARE(r.scenario->domain(DomainKind::Threads).maxInflight, 50);
        QCOMPARE(r.scenario->domain(DomainKind::Procs).workers, 2);
    }

    void addsMissingTopLevelMap()
    {
        const QByteArray noDomains = "name: x\nclasses:\n  - name: a\n    arrival: { process: poisson, rate: 1/s }\n"
                                     "    stages:\n      - { name: s, work: block, time: 1ms, domain: threads }\n";
        QString why;
        const auto text = editScenarioText(noDomains, sets({ { "domains.threads.workers", "6" } }), &why);
        QVERIFY2(text, qPrintable(why));
        QVERIFY2(text->endsWith("domains:\n  threads:\n    workers: 6\n"), text->constData());
    }

    // A flow mapping cannot take a new key line by line: refused, so the caller writes afresh.
    void refusesWhatItCannotEditInPlace()
    {
        QString why;
        const auto text = editScenarioText(kBase, sets({ { "domains.tbb.queue", "10" } }), &why);
        QVERIFY(!text);
        QVERIFY2(why.contains(QStringLiteral("domains.tbb.queue")), qPrintable(why));
    }

    void refusesABadValue()
    {
        QString why;
        QVERIFY(!editScenarioText(kBase, sets({ { "domains.threads.workers", "0" } }), &why));
        QVERIFY2(why.contains(QStringLiteral("workers")), qPrintable(why));
    }
};

QTEST_GUILESS_MAIN(TestScenarioEdit)
#include "tst_scenarioedit.moc"
