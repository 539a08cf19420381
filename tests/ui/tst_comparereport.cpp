// The comparison report as people read it: only the settings that differ are listed by default
// (with a line saying how many are the same; in the browser they sit collapsed in a <details>),
// an unbounded queue or unlimited in-flight count reads ∞ rather than 0, a run of no set length
// reads "until stopped", and a built-in scenario's source reads "built-in NAME" rather than a
// resource path.

#include "comparereport.h"
#include "core/latencyhistogram.h"
#include "results/report.h"
#include "results/runresult.h"
#include "scenario/builtins.h"
#include "scenario/scenarioparser.h"

#include <QJsonArray>
#include <QTest>
#include <QXmlStreamReader>

using namespace hs;

namespace {
QJsonObject runJson(const Scenario &s)
{
    RunResult r;
    r.scenario = s;
    r.durationS = 2;
    return runToJson(r);
}

Scenario builtin(const QString &name)
{
    const ParseResult p = ScenarioParser::parseFile(builtinScenarioPath(name));
    if (!p.ok())
        qFatal("built-in %s does not parse", qPrintable(name));
    return *p.scenario;
}

struct ConfigSection {
    QString visible; ///< the section's text outside <details>
    QString collapsed; ///< inside <details>
    int changedRows = 0;
    bool wellFormed = false;
};

ConfigSection configSection(const QString &html)
{
    ConfigSection out;
    QXmlStreamReader xml(html);
    bool inSection = false;
    int detailsDepth = 0;
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isStartElement()) {
            const auto id = xml.attributes().value(QStringLiteral("id"));
            if (xml.name() == QLatin1String("h2"))
                inSection = id == QLatin1String("config-diff");
            if (inSection && xml.name() == QLatin1String("details"))
                ++detailsDepth;
            if (inSection && xml.name() == QLatin1String("tr")
                && xml.attributes().value(QStringLiteral("class")) == QLatin1String("changed"))
                ++out.changedRows;
        } else if (xml.isEndElement() && xml.name() == QLatin1String("details") && inSection) {
            --detailsDepth;
        } else if (xml.isCharacters() && inSection) {
            (detailsDepth > 0 ? out.collapsed : out.visible) += xml.text() + QLatin1Char(' ');
        }
    }
    out.wellFormed = !xml.hasError();
    return out;
}
// A snapshot of n values: `share` of them at `highNs`, the rest at `lowNs`.
HistogramSnapshot twoLevels(int n, double share, std::int64_t lowNs, std::int64_t highNs)
{
    LatencyHistogram h;
    for (int i = 0; i < n; ++i)
        h.record(i < int(n * share) ? highNs : lowNs);
    return h.snapshot();
}

// The text of the table under the section `id` (empty when there is none), cells separated by |.
QString sectionTable(const QString &html, const QString &id)
{
    QXmlStreamReader xml(html);
    bool inSection = false;
    QString out;
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isStartElement() && xml.name() == QLatin1String("h2"))
            inSection = xml.attributes().value(QStringLiteral("id")) == id;
        else if (inSection && xml.isStartElement() && xml.name() == QLatin1String("tr"))
            out += QLatin1Char('\n');
        else if (inSection && xml.isCharacters() && !xml.isWhitespace())
            out += xml.text() + QLatin1Char('|');
    }
    return out;
}
} // namespace

class TestCompareReport : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void showsOnlyDifferencesAsPeopleReadThem()
    {
        Scenario a = builtin(QStringLiteral("default"));
        Scenario b = a;
        QCOMPARE(a.domain(DomainKind::Threads).queue, 1000);
        QCOMPARE(a.domain(DomainKind::Procs).maxInflight, 64);
        b.domain(DomainKind::Threads).queue = 0; // unbounded
        b.domain(DomainKind::Procs).maxInflight = 0; // unlimited
        b.duration = 0; // until stopped
        const QJsonObject ja = runJson(a), jb = runJson(b);

        const QList<ComparisonReport::Setting> settings = ComparisonReport::settings(ja, jb);
        QStringList changed;
        for (const auto &s : settings)
            if (s.changed())
                changed << s.key + QStringLiteral(": ") + s.a + QStringLiteral(" → ") + s.b;
        changed.sort();
        QCOMPARE(changed,
            QStringList({ QStringLiteral("domains.procs.max_inflight: 64 → ∞ (unlimited)"),
                QStringLiteral("domains.threads.queue: 1000 → ∞ (unbounded)"),
                QStringLiteral("duration: 20 s → until stopped") }));
        // Units on the settings that stayed the same too.
        bool sawSla = false;
        for (const auto &s : settings)
            if (s.key == QLatin1String("sla.p99")) {
                QCOMPARE(s.a, QStringLiteral("250 ms"));
                sawSla = true;
            }
        QVERIFY(sawSla);

        const QString html = ComparisonReport::build(ja, jb, {}, ReportMedium::Browser).html;
        const ConfigSection c = configSection(html);
        QVERIFY(c.wellFormed);
        QCOMPARE(c.changedRows, 3);
        QVERIFY2(c.visible.contains(QStringLiteral("∞ (unbounded)")), qPrintable(c.visible));
        const int equal = int(settings.size()) - 3;
        QVERIFY2(c.visible.contains(QStringLiteral("%1 settings are the same").arg(equal)), qPrintable(c.visible));
        // Equal settings are collapsed: not in the visible table, but one click away.
        QVERIFY2(!c.visible.contains(QStringLiteral("starvation.threshold")), qPrintable(c.visible));
        QVERIFY(c.collapsed.contains(QStringLiteral("starvation.threshold")));
        QVERIFY(!c.visible.contains(QStringLiteral("max_inflight 0")));

        // Print (PDF): no <details>; the equal settings are counted, not listed.
        const QString print = ComparisonReport::build(ja, jb, {}, ReportMedium::Print).html;
        const ConfigSection p = configSection(print);
        QVERIFY(p.wellFormed);
        QCOMPARE(p.changedRows, 3);
        QVERIFY(p.collapsed.isEmpty());
        QVERIFY(!p.visible.contains(QStringLiteral("starvation.threshold")));
        QVERIFY(p.visible.contains(QStringLiteral("%1 settings that are the same").arg(equal)));
    }

    void builtinSourceReadsAsBuiltin()
    {
        Scenario a = builtin(QStringLiteral("default"));
        Scenario b = builtin(QStringLiteral("gil"));
        QVERIFY(a.source.startsWith(QStringLiteral(":/")));
        const QString html = ComparisonReport::build(runJson(a), runJson(b), {}, ReportMedium::Browser).html;
        QVERIFY(html.contains(QStringLiteral("built-in default")));
        QVERIFY(html.contains(QStringLiteral("built-in gil")));
        QVERIFY2(!html.contains(QStringLiteral(":/scenarios/")), "a resource path is shown");
        // A file keeps its path.
        b.source = QStringLiteral("/tmp/my scenario.yaml");
        const QString files = ComparisonReport::build(runJson(a), runJson(b), {}, ReportMedium::Browser).html;
        QVERIFY(files.contains(QStringLiteral("/tmp/my scenario.yaml")));
    }

    void sameConfigurationSaysSo()
    {
        const QJsonObject a = runJson(builtin(QStringLiteral("default")));
        QVERIFY(ComparisonReport::changedSettings(a, a).isEmpty());
        const ConfigSection c = configSection(ComparisonReport::build(a, a, {}, ReportMedium::Browser).html);
        QVERIFY(c.wellFormed);
        QCOMPARE(c.changedRows, 0);
        QVERIFY(c.visible.contains(QStringLiteral("same configuration")));
    }

    // A phase as a run: its figures in the run's shape, its configuration, its frames on its own
    // clock, only the findings that held while it was measured; an unsettled or missing phase is
    // refused by name.
    void phaseAsRunTakesThePhasesOwn()
    {
        Scenario s = builtin(QStringLiteral("default"));
        RunResult r;
        r.scenario = s;
        r.durationS = 10;
        for (int i = 0; i < 100; ++i) {
            Frame f;
            f.t = i * 0.1;
            r.frames.push_back(f);
        }
        r.events.push_back(RunEvent { 4.0, QStringLiteral("threads workers → 2"), QStringLiteral("resize") });
        r.events.push_back(RunEvent { 8.0, QStringLiteral("GIL on"), QStringLiteral("gil") });
        Scenario second = s;
        second.domain(DomainKind::Threads).workers = 2;
        Scenario third = second;
        third.gilEnabled = true;
        const Scenario *configs[3] = { &s, &second, &third };
        const double bounds[4] = { 0, 4, 8, 8.5 };
        for (int i = 0; i < 3; ++i) {
            PhaseResult p;
            p.fromS = bounds[i];
            p.toS = bounds[i + 1];
            p.settleS = 1;
            p.settled = i < 2; // the last lasted 0.5 s: too short to settle
            p.change = i == 0 ? QStringLiteral("start") : r.events[std::size_t(i - 1)].label;
            p.config = std::make_shared<const Scenario>(*configs[i]);
            r.phases.push_back(p);
        }
        const QJsonObject run = runToJson(r);
        QJsonObject withFindings = run;
        QJsonArray findings;
        // Held from 0.5 s until 4.6 s: while phase 2 settled (4–5 s), not while it was measured.
        findings.append(QJsonObject { { QStringLiteral("rule"), QStringLiteral("loop_lag") },
            { QStringLiteral("from_s"), 0.5 }, { QStringLiteral("to_s"), 4.6 } });
        findings.append(QJsonObject { { QStringLiteral("rule"), QStringLiteral("queue_depth") },
            { QStringLiteral("from_s"), 6.0 }, { QStringLiteral("to_s"), 7.0 } });
        withFindings[QStringLiteral("findings")] = findings;

        QString error;
        const auto p1 = ComparisonReport::phaseAsRun(withFindings, 1, &error);
        QVERIFY2(p1, qPrintable(error));
        const QJsonObject config = p1->value(QStringLiteral("config")).toObject();
        QCOMPARE(config.value(QStringLiteral("domains"))
                     .toObject()
                     .value(QStringLiteral("threads"))
                     .toObject()
                     .value(QStringLiteral("workers"))
                     .toInt(),
            2);
        const QJsonArray frames = p1->value(QStringLiteral("frames")).toArray();
        QVERIFY(frames.size() >= 40 && frames.size() <= 41);
        QCOMPARE(frames.first().toObject().value(QStringLiteral("t")).toDouble(), 0.0);
        const QJsonArray kept = p1->value(QStringLiteral("findings")).toArray();
        QCOMPARE(kept.size(), 1);
        QCOMPARE(kept[0].toObject().value(QStringLiteral("rule")).toString(), QStringLiteral("queue_depth"));
        QVERIFY(p1->value(QStringLiteral("events")).toArray().isEmpty()); // its own change is its t = 0

        const auto p0 = ComparisonReport::phaseAsRun(withFindings, 0, &error);
        QVERIFY(p0);
        QCOMPARE(p0->value(QStringLiteral("findings")).toArray().size(), 1);
        QCOMPARE(
            ComparisonReport::changedSettings(*p0, *p1), QStringList { QStringLiteral("domains.threads.workers") });
        const QString html = ComparisonReport::buildPhases(*p0, *p1, {}, ReportMedium::Browser).html;
        QVERIFY(html.contains(QStringLiteral("phase 1 vs phase 2")));
        const ConfigSection c = configSection(html);
        QVERIFY(c.wellFormed);
        QCOMPARE(c.changedRows, 1);

        QVERIFY(!ComparisonReport::phaseAsRun(run, 2, &error));
        QVERIFY2(
            error.contains(QStringLiteral("phase 3")) && error.contains(QStringLiteral("settled")), qPrintable(error));
        QVERIFY(!ComparisonReport::phaseAsRun(run, 3, &error));
        QVERIFY2(error.contains(QStringLiteral("no phase 4")), qPrintable(error));

        // The two-run comparison shows each run's configuration per phase.
        const QString both = ComparisonReport::build(run, run, {}, ReportMedium::Browser).html;
        QVERIFY(both.contains(QStringLiteral("Run A: the configuration in effect per phase")));
        QVERIFY(both.contains(QStringLiteral("<code>gil.enabled</code>")));
    }

    // DESIGN §15: the naive P99 beside the corrected one, both runs, and the factor the naive one
    // hides; a run without naive figures (older JSON) leaves the section out rather than showing 0.
    void naiveBesideCorrected()
    {
        RunResult a;
        a.scenario = builtin(QStringLiteral("default"));
        a.durationS = 2;
        ClassResult c;
        c.name = QStringLiteral("tester");
        c.submitted = c.completed = 1000;
        c.latency = twoLevels(1000, 0.05, 1'000'000, 300'000'000); // P99 300 ms: stalls counted
        c.latencyNaive = twoLevels(1000, 0.0, 1'000'000, 1'000'000); // P99 1 ms: stalls hidden
        a.classes.push_back(c);
        RunResult b = a;
        b.classes[0].latency = twoLevels(1000, 0.0, 2'000'000, 2'000'000);
        b.classes[0].latencyNaive = twoLevels(1000, 0.0, 2'000'000, 2'000'000);
        const QString html = ComparisonReport::build(runToJson(a), runToJson(b), {}, ReportMedium::Browser).html;
        const QString table = sectionTable(html, QStringLiteral("naive-delta"));
        QVERIFY2(table.contains(QStringLiteral("tester|")), qPrintable(table));
        // Hidden: 300 / 1 for A (the histogram's buckets are within 0.4 %), 1 for B.
        QVERIFY2(table.contains(QStringLiteral("×300.")) || table.contains(QStringLiteral("×299.")), qPrintable(table));
        QVERIFY2(table.contains(QStringLiteral("×1.0")), qPrintable(table));
        QVERIFY2(table.contains(QStringLiteral("+100.")) || table.contains(QStringLiteral("+99.")), qPrintable(table));

        QJsonObject older = runToJson(a);
        QJsonObject classes = older.value(QStringLiteral("classes")).toObject();
        QJsonObject tester = classes.value(QStringLiteral("tester")).toObject();
        tester.remove(QStringLiteral("latency_naive_ms"));
        classes[QStringLiteral("tester")] = tester;
        older[QStringLiteral("classes")] = classes;
        const QString without = ComparisonReport::build(older, older, {}, ReportMedium::Browser).html;
        QVERIFY(!without.contains(QStringLiteral("naive-delta")));
        // One side with it: the other side's cells are dashes, not zeros.
        const QString oneSide
            = sectionTable(ComparisonReport::build(older, runToJson(b), {}, ReportMedium::Browser).html,
                QStringLiteral("naive-delta"));
        QVERIFY2(oneSide.contains(QStringLiteral("tester|—|")), qPrintable(oneSide));
    }
};

QTEST_MAIN(TestCompareReport)
#include "tst_comparereport.moc"
