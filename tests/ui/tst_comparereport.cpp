// The comparison report as people read it: only the settings that differ are listed by default
// (with a line saying how many are the same; in the browser they sit collapsed in a <details>),
// an unbounded queue or unlimited in-flight count reads ∞ rather than 0, a run of no set length
// reads "until stopped", and a built-in scenario's source reads "built-in NAME" rather than a
// resource path.

#include "comparereport.h"
#include "results/report.h"
#include "results/runresult.h"
#include "scenario/builtins.h"
#include "scenario/scenarioparser.h"

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
};

QTEST_MAIN(TestCompareReport)
#include "tst_comparereport.moc"
