// The sweep report (hybridscope.sweep/1 → HTML/PDF): what was measured, the recommendation and the
// knee, the plots against the varied value, the grid map, the table of points with each P99's
// interval; well-formed HTML; a PDF that renders.

#include "reportwriter.h"
#include "results/report.h"
#include "sweepreport.h"
#include "testutil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

using namespace hs;

namespace {
QJsonObject classFigures(double p99, QJsonValue lo, QJsonValue hi, double sla, bool met, double thru)
{
    return { { QStringLiteral("throughput"), thru }, { QStringLiteral("p50_ms"), p99 / 3 },
        { QStringLiteral("p99_ms"), p99 }, { QStringLiteral("p99_ci_ms"), QJsonArray { lo, hi } },
        { QStringLiteral("sla_p99_ms"), sla }, { QStringLiteral("sla_met"), met } };
}

QJsonObject domainFigures(int workers, double util, double wait, QJsonValue predicted)
{
    return { { QStringLiteral("workers"), workers }, { QStringLiteral("utilization"), util },
        { QStringLiteral("queue_mean"), wait / 10 }, { QStringLiteral("wait_mean_ms"), wait },
        { QStringLiteral("p_wait"), util / 2 }, { QStringLiteral("predicted"), predicted } };
}

// threads 1, 2, 4, 8: P99 falls from far above the 50 ms SLA to under it at 4; at 8 too few tasks
// finished to bound the P99 from above (null), so the SLA is not claimed there.
QJsonObject oneDimensional()
{
    const QString path = QStringLiteral("domains.threads.workers");
    const double workers[] = { 1, 2, 4, 8 };
    const double p99[] = { 900, 120, 30, 25 };
    QJsonArray points;
    for (int i = 0; i < 4; ++i) {
        const bool unknown = i == 3;
        const bool met = p99[i] * 1.2 < 50 && !unknown;
        QJsonObject p;
        p[QStringLiteral("values")] = QJsonObject { { path, workers[i] } };
        p[QStringLiteral("duration_s")] = 3;
        p[QStringLiteral("reps")] = 2;
        p[QStringLiteral("conserved")] = true;
        p[QStringLiteral("classes")] = QJsonObject { { QStringLiteral("io"),
            classFigures(p99[i], p99[i] * 0.8, unknown ? QJsonValue() : QJsonValue(p99[i] * 1.2), 50, met,
                40 * std::min(workers[i], 3.0)) } };
        const double util = std::min(0.99, 2.0 / workers[i]);
        p[QStringLiteral("domains")] = QJsonObject { { QStringLiteral("threads"),
            domainFigures(int(workers[i]), util, p99[i] / 4,
                util < 0.95 ? QJsonValue(QJsonObject { { QStringLiteral("model"), QStringLiteral("M/M/c (Erlang C)") },
                    { QStringLiteral("utilization"), util * 1.02 }, { QStringLiteral("p_wait"), util / 2 },
                    { QStringLiteral("wait_mean_ms"), p99[i] / 4.5 } })
                            : QJsonValue()) } };
        p[QStringLiteral("findings")] = i == 0 ? QJsonArray { QStringLiteral("queue_depth") } : QJsonArray {};
        points.append(p);
    }
    QJsonObject s;
    s[QStringLiteral("schema")] = QStringLiteral("hybridscope.sweep/1");
    s[QStringLiteral("scenario")] = QJsonObject { { QStringLiteral("name"), QStringLiteral("tuning") },
        { QStringLiteral("source"), QStringLiteral("<builtin:tuning>") } };
    s[QStringLiteral("mode")] = QStringLiteral("engine");
    s[QStringLiteral("vary")] = QJsonArray { QJsonObject {
        { QStringLiteral("path"), path }, { QStringLiteral("values"), QJsonArray { 1, 2, 4, 8 } } } };
    s[QStringLiteral("wall_s")] = 25.5;
    s[QStringLiteral("points")] = points;
    s[QStringLiteral("knee")] = QJsonObject { { QStringLiteral("path"), path }, { QStringLiteral("value"), 4 },
        { QStringLiteral("method"), QStringLiteral("two-segment fit in log–log") } };
    s[QStringLiteral("usl")] = QJsonObject { { QStringLiteral("path"), path }, { QStringLiteral("sigma"), 0.05 },
        { QStringLiteral("kappa"), 0.02 }, { QStringLiteral("lambda"), 40 }, { QStringLiteral("n_star"), 6.9 },
        { QStringLiteral("r2"), 0.97 } };
    s[QStringLiteral("recommendation")] = QJsonObject { { QStringLiteral("values"), QJsonObject { { path, 4 } } },
        { QStringLiteral("cost"), 4 }, { QStringLiteral("all_sla_met"), true },
        { QStringLiteral("reason"), QStringLiteral("the fewest workers whose P99 interval is under every SLA") } };
    return s;
}

QString textOf(const QString &html, bool *wellFormed)
{
    QXmlStreamReader xml(html);
    QString text;
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isCharacters())
            text += xml.text() + QLatin1Char(' ');
    }
    *wellFormed = !xml.hasError();
    return text;
}
} // namespace

class TestSweepReport : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void oneVariable()
    {
        const QJsonObject sweep = oneDimensional();
        const std::vector<ReportPlot> plots = SweepReport::plots(sweep);
        QCOMPARE(int(plots.size()), 4); // P99, throughput, utilization, wait
        for (const ReportPlot &p : plots) {
            QVERIFY2(!p.image.isNull() && p.image.width() >= ReportPlots::plotSize().width(), qPrintable(p.id));
            QVERIFY(!p.caption.isEmpty());
        }
        QVERIFY(plots[1].caption.contains(QStringLiteral("σ = 0.05")));
        const QString html = SweepReport::build(sweep, plots, ReportMedium::Browser).html;
        // HS_SCREENSHOT_DIR=DIR: the report as a file to look at in a browser.
        if (const QString dir = qEnvironmentVariable("HS_SCREENSHOT_DIR"); !dir.isEmpty()) {
            QString error;
            QVERIFY2(
                ReportWriter::writeSweep(sweep, dir + QStringLiteral("/sweep-report.html"), &error), qPrintable(error));
        }
        bool ok = false;
        const QString text = textOf(html, &ok);
        QVERIFY(ok);
        for (const QString &id : { QStringLiteral("sweep"), QStringLiteral("recommendation"), QStringLiteral("plots"),
                 QStringLiteral("points") })
            QVERIFY2(html.contains(QStringLiteral("id=\"%1\"").arg(id)), qPrintable(id));
        QVERIFY(!html.contains(QStringLiteral("id=\"grid\""))); // one variable: no map
        QVERIFY(text.contains(QStringLiteral("domains.threads.workers = 4")));
        QVERIFY(text.contains(QStringLiteral("every SLA met")));
        QVERIFY(text.contains(QStringLiteral("knee of the P99 curve at domains.threads.workers = 4")));
        QVERIFY(text.contains(QStringLiteral("built-in tuning")));
        QVERIFY(text.contains(QStringLiteral("the real engine")));
        // The interval of every P99, "?" where the sample cannot bound it; SLA marks.
        QVERIFY2(text.contains(QStringLiteral("[24.00, 36.00]")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("[20.00, ?]")), qPrintable(text));
        // Rows of points that miss an SLA are marked: 1, 2 and 8 workers (8: upper end unknown).
        QCOMPARE(html.count(QStringLiteral("<tr class=\"missed\">")), 3);
        QVERIFY(text.contains(QStringLiteral("queue_depth")));
        QVERIFY(text.contains(QStringLiteral("(model 51%)")));
    }

    void gridMap()
    {
        QJsonObject sweep = oneDimensional();
        const QString a = QStringLiteral("domains.threads.workers"), b = QStringLiteral("load");
        QJsonArray points;
        for (double w : { 2.0, 4.0 })
            for (double l : { 1.0, 2.0 }) {
                QJsonObject p;
                p[QStringLiteral("values")] = QJsonObject { { a, w }, { b, l } };
                p[QStringLiteral("conserved")] = true;
                const double p99 = 40 * l * l / w; // met (interval under 25 ms) at load 1 only: 20 and 10 ms
                p[QStringLiteral("classes")] = QJsonObject { { QStringLiteral("io"),
                    classFigures(p99, p99 * 0.9, p99 * 1.1, 25, p99 * 1.1 < 25, 10) } };
                points.append(p);
            }
        sweep[QStringLiteral("points")] = points;
        sweep[QStringLiteral("vary")] = QJsonArray { QJsonObject { { QStringLiteral("path"), a },
                                                         { QStringLiteral("values"), QJsonArray { 2, 4 } } },
            QJsonObject { { QStringLiteral("path"), b }, { QStringLiteral("values"), QJsonArray { 1, 2 } } } };
        sweep.remove(QStringLiteral("usl"));
        sweep.remove(QStringLiteral("knee"));
        const std::vector<ReportPlot> plots = SweepReport::plots(sweep);
        QCOMPARE(int(plots.size()), 1); // a grid: the P99 plot, a line per value of the second variable
        const QString html = SweepReport::build(sweep, plots, ReportMedium::Browser).html;
        bool ok = false;
        const QString text = textOf(html, &ok);
        QVERIFY(ok);
        QVERIFY(html.contains(QStringLiteral("id=\"grid\"")));
        // Two cells of the map and the same two rows of the table of points.
        QCOMPARE(html.count(QStringLiteral("<span class=\"ok\">✓</span>")), 2 + 2);
        QVERIFY(text.contains(QStringLiteral("✗ 80.0"))); // 2 workers at load 2: the worst P99
        QVERIFY(text.contains(QStringLiteral("✗ 40.0")));
        QVERIFY(text.contains(QStringLiteral("No knee")));
    }

    void writesHtmlAndPdf()
    {
        QTemporaryDir dir;
        QString error;
        const QString pdf = dir.filePath(QStringLiteral("s.pdf"));
        QVERIFY2(ReportWriter::writeSweep(oneDimensional(), pdf, &error), qPrintable(error));
        QFile f(pdf);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(f.read(5) == "%PDF-");
        QVERIFY(!ReportWriter::writeSweep(oneDimensional(), dir.filePath(QStringLiteral("s.txt")), &error));
        QVERIFY(error.contains(QStringLiteral(".html or .pdf")));
    }

    // `hybridscope report SWEEP.json --report F` writes the sweep's report; a malformed sweep is
    // refused with the file, line, column and key path, and no file is written.
    void reportCommandReadsASweep()
    {
        QTemporaryDir dir;
        const QString json = dir.filePath(QStringLiteral("sweep.json"));
        {
            QFile f(json);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QJsonDocument(oneDimensional()).toJson());
        }
        const QString html = dir.filePath(QStringLiteral("sweep.html"));
        const test::AppRun ok = test::runApp({ QStringLiteral("report"), json, QStringLiteral("--report"), html });
        QVERIFY2(ok.exitCode == 0, qPrintable(ok.describe()));
        QFile out(html);
        QVERIFY(out.open(QIODevice::ReadOnly));
        QVERIFY(out.readAll().contains("Hybridscope sweep: tuning"));

        QJsonObject bad = oneDimensional();
        QJsonArray points = bad.value(QStringLiteral("points")).toArray();
        QJsonObject p = points[1].toObject();
        p[QStringLiteral("values")]
            = QJsonObject { { QStringLiteral("domains.threads.workers"), QStringLiteral("two") } };
        points[1] = p;
        bad[QStringLiteral("points")] = points;
        const QByteArray bytes = QJsonDocument(bad).toJson();
        QJsonObject parsed;
        QString error;
        QVERIFY(!parseSweepJson(bytes, QStringLiteral("s.json"), &parsed, &error));
        QVERIFY2(
            error.contains(QStringLiteral("points[1].values")) && error.contains(QStringLiteral("expected a number")),
            qPrintable(error));
        QVERIFY2(error.startsWith(QStringLiteral("s.json:")), qPrintable(error));
        {
            QFile f(json);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write(bytes);
        }
        const QString none = dir.filePath(QStringLiteral("none.html"));
        const test::AppRun refused = test::runApp({ QStringLiteral("report"), json, QStringLiteral("--report"), none });
        QCOMPARE(refused.exitCode, 2);
        QVERIFY2(refused.err.contains(QStringLiteral("points[1].values")), qPrintable(refused.err));
        QVERIFY(!QFile::exists(none));
        // A run's report reader names both schemas when given something else.
        QVERIFY(!parseReportJson(R"({"schema": "other/1"})", QStringLiteral("x.json"), &parsed, nullptr, &error));
        QVERIFY2(error.contains(QStringLiteral("hybridscope.run/1"))
                && error.contains(QStringLiteral("hybridscope.sweep/1")),
            qPrintable(error));
    }

    void noPoints()
    {
        QJsonObject sweep = oneDimensional();
        sweep[QStringLiteral("points")] = QJsonArray {};
        sweep.remove(QStringLiteral("recommendation"));
        QVERIFY(SweepReport::plots(sweep).empty());
        const QString html = SweepReport::build(sweep, {}, ReportMedium::Print).html;
        QVERIFY(html.contains(QStringLiteral("No points were measured")));
        QVERIFY(html.contains(QStringLiteral("no point of the sweep meets every class")));
    }
};

QTEST_MAIN(TestSweepReport)
#include "tst_sweepreport.moc"
