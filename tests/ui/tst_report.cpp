// Reports: the HTML parses as XML and has every section, user strings are escaped, plots are
// inlined PNGs; the PDF renders to non-blank pages; the comparison marks exactly the changed
// setting; the CLI's --report and `report` (and their errors); atomic writes; the GUI's export.

#include "comparereport.h"
#include "enginecontroller.h"
#include "enginetest.h"
#include "htmlreport.h"
#include "reportexporter.h"
#include "reportwriter.h"
#include "results/report.h"
#include "testutil.h"

#include <QDir>
#include <QElapsedTimer>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QWidget>
#include <QXmlStreamReader>

#include <climits>
#include <sys/stat.h>

using namespace hs;

namespace {
// A name and a description a careless report would break on.
const QString kNastyName = QStringLiteral("Esc <b>&amp; \"q\" 'x'</b>");

QByteArray scenarioYaml(int threadsWorkers, const char *duration = "1s")
{
    // Not a raw string: moc misreads the quote characters inside one.
    return QStringLiteral("name: \"Esc <b>&amp; \\\"q\\\" 'x'</b>\"\n"
                          "description: \"Checks <script>alert(1)</script> & friends\"\n"
                          "duration: %2\n"
                          "seed: 5\n"
                          "sla: { p99: 200ms }\n"
                          "domains:\n"
                          "  threads: { workers: %1, queue: 100, on_full: reject }\n"
                          "  tbb: { workers: 1 }\n"
                          "classes:\n"
                          "  - name: io\n"
                          "    arrival: { process: constant, rate: 150/s }\n"
                          "    stages:\n"
                          "      - { name: get, work: block, time: 2ms, domain: threads }\n"
                          "  - name: crunch\n"
                          "    arrival: { process: poisson, rate: 50/s }\n"
                          "    sla: { p99: 30ms }\n"
                          "    stages:\n"
                          "      - { name: hash, work: cpu, time: 1ms, domain: tbb }\n")
        .arg(threadsWorkers)
        .arg(QString::fromLatin1(duration))
        .toUtf8();
}

QJsonObject runOnce(int threadsWorkers)
{
    const auto s = test::scenarioFromYaml(scenarioYaml(threadsWorkers));
    if (!s)
        return {};
    test::EngineRun run(*s);
    if (!run.start() || !run.waitFinished(20000))
        return {};
    return runToJson(run.engine().result());
}

struct Parsed {
    QString error;
    QStringList ids;
    QStringList imgSources;
    QString title;
    QString h1;
    int changedRows = 0;
    QStringList changedText;
};

// Reads the whole document with QXmlStreamReader: any well-formedness error is reported.
Parsed parseHtml(const QByteArray &html)
{
    Parsed p;
    QXmlStreamReader xml(html);
    QString currentTag;
    bool inChanged = false;
    QString rowText;
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isStartElement()) {
            const QString name = xml.name().toString();
            const auto attrs = xml.attributes();
            if (attrs.hasAttribute(QStringLiteral("id")))
                p.ids << attrs.value(QStringLiteral("id")).toString();
            if (name == QLatin1String("img"))
                p.imgSources << attrs.value(QStringLiteral("src")).toString();
            if (name == QLatin1String("tr") && attrs.value(QStringLiteral("class")) == QLatin1String("changed")) {
                ++p.changedRows;
                inChanged = true;
                rowText.clear();
            }
            if (name == QLatin1String("title"))
                p.title = xml.readElementText(QXmlStreamReader::IncludeChildElements);
            else if (name == QLatin1String("h1"))
                p.h1 = xml.readElementText(QXmlStreamReader::IncludeChildElements);
        } else if (xml.isCharacters() && inChanged) {
            rowText += xml.text();
        } else if (xml.isEndElement() && xml.name() == QLatin1String("tr") && inChanged) {
            p.changedText << rowText;
            inChanged = false;
        }
    }
    if (xml.hasError())
        p.error = QStringLiteral("line %1: %2").arg(xml.lineNumber()).arg(xml.errorString());
    return p;
}

bool hasInk(const QImage &image)
{
    const QImage img = image.convertToFormat(QImage::Format_RGB32);
    int dark = 0;
    for (int y = 0; y < img.height(); y += 2)
        for (int x = 0; x < img.width(); x += 2)
            if (qGray(img.pixel(x, y)) < 200)
                ++dark;
    return dark > 50;
}

struct Proc {
    int exitCode = -1;
    QString out, err;
};

Proc runApp(const QStringList &args, int timeoutMs = 90000)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    env.remove(QStringLiteral("QT_QPA_PLATFORM")); // the app must pick offscreen by itself
    p.setProcessEnvironment(env);
    p.start(test::appPath(), args);
    Proc r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QString writeText(const QTemporaryDir &dir, const QString &name, const QByteArray &data)
{
    const QString path = dir.filePath(name);
    QFile f(path);
    f.open(QIODevice::WriteOnly);
    f.write(data);
    return path;
}

// A report with the right schema and `classes` × `frames` of nothing: what drove `hybridscope
// report` to 3.6 GB (every frame allocated and plotted a point for every class).
QByteArray blowUpReport(int classes, int frames)
{
    QByteArray j = R"({"schema": "hybridscope.run/1", "scenario": {"name": "x"}, "duration_s": 1,
"totals": {}, "domains": {}, "classes": {)";
    for (int i = 0; i < classes; ++i)
        j += (i ? ",\"c" : "\"c") + QByteArray::number(i) + "\":{}";
    j += "},\n\"frames\": [";
    for (int i = 0; i < frames; ++i)
        j += i ? ",{}" : "{}";
    return j + "]}\n";
}

const QByteArray kMinimalHead = R"({"schema": "hybridscope.run/1", "scenario": {"name": "x"},
"duration_s": 1, "totals": {}, "classes": {}, "domains": {},
)";
} // namespace

class TestReport : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QJsonObject m_a; // threads: 2 workers
    QJsonObject m_b; // threads: 4 workers
    QString m_aPath, m_bPath;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_a = runOnce(2);
        m_b = runOnce(4);
        QVERIFY2(!m_a.isEmpty() && !m_b.isEmpty(), "the engine runs did not finish");
        QVERIFY(m_a.value(QStringLiteral("frames")).toArray().size() >= 10);
        m_aPath = writeText(m_dir, QStringLiteral("a.json"), QJsonDocument(m_a).toJson());
        m_bPath = writeText(m_dir, QStringLiteral("b.json"), QJsonDocument(m_b).toJson());
    }

    void jsonHasConfigAndDescription()
    {
        const QJsonObject config = m_a.value(QStringLiteral("config")).toObject();
        QCOMPARE(config[QStringLiteral("domains")]
                     .toObject()[QStringLiteral("threads")]
                     .toObject()[QStringLiteral("workers")]
                     .toInt(),
            2);
        QCOMPARE(config[QStringLiteral("classes")].toArray().size(), 2);
        QCOMPARE(config[QStringLiteral("classes")].toArray()[0].toObject()[QStringLiteral("name")].toString(),
            QStringLiteral("io"));
        QVERIFY(m_a[QStringLiteral("scenario")].toObject()[QStringLiteral("description")].toString().contains(
            QStringLiteral("<script>")));
        const QJsonObject frame = m_a[QStringLiteral("frames")].toArray().last().toObject();
        QVERIFY(frame[QStringLiteral("domains")].toObject()[QStringLiteral("threads")].toObject().contains(
            QStringLiteral("throughput")));
    }

    void htmlParsesAndHasEverySection()
    {
        const QByteArray html = ReportWriter::renderRun(m_a, ReportWriter::Format::Html);
        const Parsed p = parseHtml(html);
        QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
        for (const QString &id : HtmlReport::sectionIds())
            QVERIFY2(p.ids.contains(id), qPrintable(id));
        // Escaped in the file, the exact string once parsed.
        QVERIFY(p.h1.contains(kNastyName));
        QVERIFY(p.title.contains(kNastyName));
        QVERIFY(!html.contains("<b>&amp; \"q\""));
        QVERIFY(!html.contains("<script>"));
        QVERIFY(html.contains("&lt;script&gt;"));
        // The theory overlay per domain (DESIGN §11): measured against predicted, the model named.
        QVERIFY(html.contains("Theory: measured / predicted"));
        const QJsonObject theory
            = m_a[QStringLiteral("domains")][QStringLiteral("threads")][QStringLiteral("theory")].toObject();
        QVERIFY(!theory.isEmpty());
        QVERIFY(html.contains(HtmlBuilder::esc(theory[QStringLiteral("model")].toString()).toUtf8()));
        // An older report without it renders without the table.
        QJsonObject old = m_a;
        QJsonObject domains = old[QStringLiteral("domains")].toObject();
        for (const QString &k : domains.keys()) {
            QJsonObject d = domains[k].toObject();
            d.remove(QStringLiteral("theory"));
            domains[k] = d;
        }
        old[QStringLiteral("domains")] = domains;
        QVERIFY(!ReportWriter::renderRun(old, ReportWriter::Format::Html).contains("Theory: measured"));
    }

    void plotsAreInlinedPngs()
    {
        const QByteArray html = ReportWriter::renderRun(m_a, ReportWriter::Format::Html);
        const Parsed p = parseHtml(html);
        QCOMPARE(p.imgSources.size(), 4);
        for (const QString &src : p.imgSources) {
            const QString prefix = QStringLiteral("data:image/png;base64,");
            QVERIFY2(src.startsWith(prefix), qPrintable(src.left(40)));
            const QByteArray png = QByteArray::fromBase64(src.mid(prefix.size()).toLatin1());
            QVERIFY(png.startsWith("\x89PNG"));
            const QImage image = QImage::fromData(png, "PNG");
            QVERIFY(!image.isNull());
            QVERIFY(image.width() >= 600);
            QVERIFY(hasInk(image));
        }
    }

    void pdfRendersToPages()
    {
        const QString pdftoppm = QStandardPaths::findExecutable(QStringLiteral("pdftoppm"));
        if (pdftoppm.isEmpty())
            QSKIP("pdftoppm (poppler-utils) is not installed");
        const QString pdf = m_dir.filePath(QStringLiteral("r.pdf"));
        QString error;
        QVERIFY2(ReportWriter::writeRun(m_a, pdf, &error), qPrintable(error));
        QProcess p;
        p.start(pdftoppm,
            { QStringLiteral("-png"), QStringLiteral("-r"), QStringLiteral("40"), pdf,
                m_dir.filePath(QStringLiteral("page")) });
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 0);
        const QStringList pages = QDir(m_dir.path()).entryList({ QStringLiteral("page*.png") });
        QVERIFY2(pages.size() >= 2, qPrintable(pages.join(QLatin1Char(','))));
        for (const QString &page : pages) {
            const QImage img(m_dir.filePath(page));
            QVERIFY(!img.isNull());
            QVERIFY2(hasInk(img), qPrintable(page));
        }
    }

    void comparisonMarksTheChangedSetting()
    {
        QCOMPARE(
            ComparisonReport::changedSettings(m_a, m_b), QStringList { QStringLiteral("domains.threads.workers") });
        const QByteArray html = ReportWriter::renderComparison(m_a, m_b, ReportWriter::Format::Html);
        const Parsed p = parseHtml(html);
        QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
        for (const QString &id : ComparisonReport::sectionIds())
            QVERIFY2(p.ids.contains(id), qPrintable(id));
        QCOMPARE(p.changedRows, 1);
        QVERIFY(p.changedText.first().contains(QStringLiteral("domains.threads.workers")));
        QVERIFY(p.changedText.first().contains(QStringLiteral("changed")));
        QCOMPARE(p.imgSources.size(), 4);
        // The deltas: per class, absolute and relative.
        const QString text = QString::fromUtf8(html);
        const qsizetype deltas = text.indexOf(QStringLiteral("id=\"classes-delta\""));
        QVERIFY(deltas > 0);
        const QString section = text.mid(deltas, text.indexOf(QStringLiteral("id=\"domains-delta\"")) - deltas);
        QVERIFY(section.contains(QStringLiteral(">io<")));
        QVERIFY(section.contains(QStringLiteral(">crunch<")));
        QVERIFY(section.contains(QLatin1Char('%')));
        // The same run twice: nothing changed.
        QVERIFY(ComparisonReport::changedSettings(m_a, m_a).isEmpty());
    }

    void failedWriteLeavesNoFile()
    {
        // Running as root defeats permission bits; a regular file where a directory should be does not.
        const QString notADir = writeText(m_dir, QStringLiteral("plain-file"), "x");
        const QString target = notADir + QStringLiteral("/r.html");
        QString error;
        QVERIFY(!ReportWriter::writeRun(m_a, target, &error));
        QVERIFY2(error.contains(target), qPrintable(error));
        QVERIFY(!QFileInfo::exists(target));
        QVERIFY(!ReportWriter::writeRun(m_a, m_dir.filePath(QStringLiteral("r.txt")), &error));
        QVERIFY(!QFileInfo::exists(m_dir.filePath(QStringLiteral("r.txt"))));
    }

    void cliRunWritesAReport()
    {
        const QString yaml = writeText(m_dir, QStringLiteral("s.yaml"), scenarioYaml(2));
        const QString html = m_dir.filePath(QStringLiteral("cli.html"));
        const Proc r
            = runApp({ QStringLiteral("run"), yaml, QStringLiteral("--quiet"), QStringLiteral("--report"), html });
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QFile f(html);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const Parsed p = parseHtml(f.readAll());
        QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
        QVERIFY(p.ids.contains(QStringLiteral("plots")));

        const Proc bad = runApp({ QStringLiteral("run"), yaml, QStringLiteral("--quiet"), QStringLiteral("--report"),
            m_dir.filePath(QStringLiteral("x.docx")) });
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains(QStringLiteral("--report")), qPrintable(bad.err));
        QVERIFY(!QFileInfo::exists(m_dir.filePath(QStringLiteral("x.docx"))));
    }

    void cliComparison()
    {
        const QString out = m_dir.filePath(QStringLiteral("diff.html"));
        const Proc r = runApp({ QStringLiteral("report"), m_aPath, m_bPath, QStringLiteral("--report"), out });
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const Parsed p = parseHtml(f.readAll());
        QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
        QCOMPARE(p.changedRows, 1);
    }

    void cliBadInput_data()
    {
        QTest::addColumn<QString>("file"); // a bad input, named in the error
        QTest::addColumn<QByteArray>("content"); // empty: the file does not exist
        QTest::newRow("missing") << QStringLiteral("missing.json") << QByteArray();
        QTest::newRow("not json") << QStringLiteral("notjson.json") << QByteArray("name: a yaml file\n");
        QTest::newRow("wrong schema") << QStringLiteral("schema.json") << QByteArray(R"({"schema": "other/2"})");
    }

    void cliBadInput()
    {
        QFETCH(QString, file);
        QFETCH(QByteArray, content);
        const QString path = content.isEmpty() ? m_dir.filePath(file) : writeText(m_dir, file, content);
        const QString out = m_dir.filePath(QStringLiteral("bad.html"));
        const Proc r = runApp({ QStringLiteral("report"), m_aPath, path, QStringLiteral("--report"), out });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(path), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(out));
    }

    void cliUnwritableTarget()
    {
        const QString notADir = writeText(m_dir, QStringLiteral("plain-file-2"), "x");
        const QString out = notADir + QStringLiteral("/d.pdf");
        const Proc r = runApp({ QStringLiteral("report"), m_aPath, QStringLiteral("--report"), out });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(out), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(out));
    }

    // Issue 11 #7: a report to read back must be a regular file: a FIFO is refused without
    // blocking, a directory and a device without reading them.
    void cliInputThatIsNotAFile_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("why");
        const QString fifo = m_dir.filePath(QStringLiteral("in-fifo.json"));
        QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
        QTest::newRow("FIFO") << fifo << QStringLiteral("a FIFO");
        QTest::newRow("directory") << m_dir.path() << QStringLiteral("a directory");
    }

    void cliInputThatIsNotAFile()
    {
        QFETCH(QString, path);
        QFETCH(QString, why);
        const QString out = m_dir.filePath(QStringLiteral("notafile.html"));
        const Proc r = runApp({ QStringLiteral("report"), path, QStringLiteral("--report"), out }, 30000);
        QCOMPARE(r.exitCode, 2); // -1: it hung reading the FIFO
        QVERIFY2(r.err.contains(path + QStringLiteral(": ") + why), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(out));
    }

    void loadRefusesDevicesAndHugeFiles()
    {
        QJsonObject run;
        QString error;
        QVERIFY(!loadRunJson(QStringLiteral("/dev/zero"), &run, &error)); // never read: it has no end
        QVERIFY2(error.contains(QStringLiteral("/dev/zero: a character device")), qPrintable(error));
        QVERIFY(!loadRunJson(QString(), &run, &error));
        QVERIFY2(error.contains(QStringLiteral("empty path")), qPrintable(error));
        // Larger than the limit: refused from its size, before it is read.
        const QString huge = m_dir.filePath(QStringLiteral("huge.json"));
        QFile f(huge);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QVERIFY(f.resize(RunJsonLimits::kMaxBytes + 1)); // sparse: no disk used
        f.close();
        QElapsedTimer timer;
        timer.start();
        QVERIFY(!loadRunJson(huge, &run, &error));
        QVERIFY2(error.contains(QStringLiteral("larger than 256 MiB")), qPrintable(error));
        QVERIFY(timer.elapsed() < 5000);
        QFile::remove(huge);
    }

    // Issue 11 #7: a JSON of the right schema but the wrong shape, or with numbers the plots
    // cannot draw, is refused with the file, the line and column and the key; it is not rendered.
    void cliWrongShapeIsRefused_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("message"); // after "FILE:"
        QTest::newRow("frames not an array") << kMinimalHead + R"("frames": "many"})"
                                             << QStringLiteral("3:11: frames: expected an array, found a string");
        QTest::newRow("absurd time") << kMinimalHead + R"("frames": [{"t": 0}, {"t": 1e300}]})"
                                     << QStringLiteral("3:28: frames[1].t: 1e+300 is out of range");
        QTest::newRow("absurd workers") << kMinimalHead
                + "\"frames\": [{\"t\": 0, \"domains\": {\"threads\":\n  {\"workers\": 1e12}}}]}"
                                        << QStringLiteral(
                                               "4:15: frames[0].domains.threads.workers: 1e+12 is out of range");
        QTest::newRow("classes times frames")
            << blowUpReport(200, 25000) << QStringLiteral("3:11: frames: 25000 frames of 200 classes");
        QTest::newRow("too many classes")
            << blowUpReport(7000, 10) << QStringLiteral("2:41: classes: 7000 classes; at most 200");
        QTest::newRow("missing frames") << kMinimalHead + R"("events": []})"
                                        << QStringLiteral("1:1: (the document): missing key \"frames\"");
    }

    void cliWrongShapeIsRefused()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, message);
        const QString path = writeText(m_dir, QStringLiteral("shape.json"), json);
        const QString out = m_dir.filePath(QStringLiteral("shape.html"));
        const Proc r = runApp({ QStringLiteral("report"), path, QStringLiteral("--report"), out }, 60000);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(path + QLatin1Char(':') + message), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(out));
    }

    // Every number the renderers use is range-checked: a report at the limits of every range
    // (the longest times, the largest figures, the most classes) still renders, in bounded time.
    void reportAtTheLimitsRendersInBoundedTime()
    {
        QJsonObject run = m_a;
        const double tMax = RunJsonLimits::kMaxSeconds;
        QJsonArray frames = run.value(QStringLiteral("frames")).toArray();
        const qsizetype n = frames.size();
        for (qsizetype i = 0; i < n; ++i) {
            QJsonObject f = frames[i].toObject();
            f[QStringLiteral("t")] = tMax * double(i + 1) / double(n);
            f[QStringLiteral("loop_lag_ms")] = RunJsonLimits::kMaxMs;
            QJsonObject doms = f[QStringLiteral("domains")].toObject();
            for (auto it = doms.begin(); it != doms.end(); ++it)
                it.value() = QJsonObject { { QStringLiteral("queue"), INT_MAX },
                    { QStringLiteral("inflight"), INT_MAX }, { QStringLiteral("busy"), INT_MAX },
                    { QStringLiteral("workers"), RunJsonLimits::kMaxWorkers },
                    { QStringLiteral("done"), RunJsonLimits::kMaxCount },
                    { QStringLiteral("p99_ms"), RunJsonLimits::kMaxMs }, { QStringLiteral("starved"), INT_MAX },
                    { QStringLiteral("utilization"), 100 }, { QStringLiteral("throughput"), RunJsonLimits::kMaxRate } };
            f[QStringLiteral("domains")] = doms;
            frames[i] = f;
        }
        run[QStringLiteral("frames")] = frames;
        run[QStringLiteral("duration_s")] = tMax;
        run[QStringLiteral("events")] = QJsonArray { QJsonObject {
            { QStringLiteral("t"), tMax }, { QStringLiteral("label"), QStringLiteral("late") } } };
        // The most classes a report may have, each with an SLA line and a legend entry.
        QJsonObject classes;
        QJsonArray configClasses;
        for (int i = 0; i < RunJsonLimits::kMaxClasses; ++i) {
            const QString name = QStringLiteral("class%1").arg(i);
            classes[name] = QJsonObject { { QStringLiteral("sla_p99_ms"), RunJsonLimits::kMaxMs - i },
                { QStringLiteral("throughput"), RunJsonLimits::kMaxRate } };
            configClasses.append(QJsonObject { { QStringLiteral("name"), name } });
        }
        run[QStringLiteral("classes")] = classes;
        QJsonObject config = run[QStringLiteral("config")].toObject();
        config[QStringLiteral("classes")] = configClasses;
        run[QStringLiteral("config")] = config;

        const QByteArray bytes = QJsonDocument(run).toJson();
        QJsonObject checked;
        QString error;
        QVERIFY2(parseRunJson(bytes, QStringLiteral("limits.json"), &checked, &error), qPrintable(error));
        QElapsedTimer timer;
        timer.start();
        const QByteArray html = ReportWriter::renderRun(checked, ReportWriter::Format::Html);
        QVERIFY(!html.isEmpty());
        QVERIFY(parseHtml(html).error.isEmpty());
        const QByteArray diff = ReportWriter::renderComparison(checked, m_a, ReportWriter::Format::Html);
        QVERIFY(!diff.isEmpty());
        qInfo("rendered a report and a comparison at the limits in %lld ms", timer.elapsed());
        QVERIFY(timer.elapsed() < 120000);
    }

    // Issue 11 #2, the GUI side: an export (or any report) into a FIFO fails cleanly and leaves it a FIFO.
    void exportIntoAFifoFails()
    {
        const QString fifo = m_dir.filePath(QStringLiteral("export-fifo.html"));
        QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
        QString error;
        QVERIFY(!ReportWriter::writeRun(m_a, fifo, &error));
        QVERIFY2(error.contains(fifo) && error.contains(QStringLiteral("FIFO")), qPrintable(error));
        QVERIFY(!writeFileAtomically(fifo, "{}", &error));
        QVERIFY2(error.contains(QStringLiteral("FIFO")), qPrintable(error));
        struct stat st = {};
        QVERIFY(::lstat(QFile::encodeName(fifo).constData(), &st) == 0 && S_ISFIFO(st.st_mode));
        // A directory is not replaced either.
        QVERIFY(!writeFileAtomically(m_dir.path(), "{}", &error));
        QVERIFY(QFileInfo(m_dir.path()).isDir());
    }

    void guiExportFinishedAndMidRun()
    {
        QWidget window;
        EngineController controller;
        const auto finishedScenario = test::scenarioFromYaml(scenarioYaml(2));
        QVERIFY(finishedScenario);
        Scenario current = *finishedScenario;
        ReportExporter exporter(
            &controller, [&current] { return current; }, &window);
        QVERIFY(!exporter.hasRun());
        QCOMPARE(int(ReportExporter::formats().size()), 5);

        QSignalSpy finished(&controller, &EngineController::finished);
        QSignalSpy released(&controller, &EngineController::engineReleased);
        QVERIFY(controller.start(current));
        QVERIFY(finished.wait(20000));
        QString error;
        const QString html = m_dir.filePath(QStringLiteral("gui.html"));
        QVERIFY2(exporter.exportTo(html, ReportExporter::Format::Html, &error), qPrintable(error));
        QFile f(html);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(parseHtml(f.readAll()).error.isEmpty());
        const QString csv = m_dir.filePath(QStringLiteral("gui.csv"));
        QVERIFY2(exporter.exportTo(csv, ReportExporter::Format::Csv, &error), qPrintable(error));
        QVERIFY(QFileInfo(csv).size() > 100);
        // The trace of the finished run: Chrome trace events, a complete span per stage.
        const QString trace = m_dir.filePath(QStringLiteral("gui.trace.json"));
        QVERIFY2(exporter.exportTo(trace, ReportExporter::Format::Trace, &error), qPrintable(error));
        QFile tf(trace);
        QVERIFY(tf.open(QIODevice::ReadOnly));
        const QJsonArray events
            = QJsonDocument::fromJson(tf.readAll()).object().value(QStringLiteral("traceEvents")).toArray();
        qsizetype spans = 0;
        for (const QJsonValue &e : events)
            spans += e.toObject().value(QStringLiteral("ph")).toString() == QLatin1String("X");
        std::uint64_t stages = 0;
        for (const DomainResult &d : controller.lastResult().domains)
            stages += d.totals.completed;
        QCOMPARE(std::uint64_t(spans), stages);
        QTRY_VERIFY_WITH_TIMEOUT(released.count() > 0 || !controller.hasEngine(), 20000);

        // Mid-run: a snapshot of the frames so far.
        const auto longer = test::scenarioFromYaml(scenarioYaml(2, "20s"));
        QVERIFY(longer);
        current = *longer;
        QVERIFY(controller.start(current));
        QTRY_VERIFY_WITH_TIMEOUT(exporter.currentRun().frames.size() >= 10, 20000);
        const QString json = m_dir.filePath(QStringLiteral("snapshot.json"));
        QVERIFY2(exporter.exportTo(json, ReportExporter::Format::Json, &error), qPrintable(error));
        QJsonObject snap;
        QVERIFY2(loadRunJson(json, &snap, &error), qPrintable(error));
        QVERIFY(snap.value(QStringLiteral("snapshot")).toBool());
        QVERIFY(snap[QStringLiteral("totals")].toObject()[QStringLiteral("submitted")].toInteger() > 0);
        const QString pdf = m_dir.filePath(QStringLiteral("snapshot.pdf"));
        QVERIFY2(exporter.exportTo(pdf, ReportExporter::Format::Pdf, &error), qPrintable(error));
        QVERIFY(QFileInfo(pdf).size() > 1000);
        // A run still going has no trace yet: the export says so and writes nothing.
        const QString midTrace = m_dir.filePath(QStringLiteral("mid.trace.json"));
        QVERIFY(!exporter.exportTo(midTrace, ReportExporter::Format::Trace, &error));
        QVERIFY2(error.contains(QStringLiteral("finished")), qPrintable(error));
        QVERIFY(!QFileInfo::exists(midTrace));
        controller.cancelNow();
        QTRY_VERIFY_WITH_TIMEOUT(!controller.hasEngine(), 20000);
    }
};

QTEST_MAIN(TestReport)
#include "tst_report.moc"
