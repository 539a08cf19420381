// File ▸ Export…: the format follows the typed extension ("run-a.pdf" is a PDF even with the HTML
// filter selected, never "run-a.pdf.html"), an unknown extension gets the selected filter's, the
// dialog opens where the last export went with the last format selected, and the status bar says
// where the file went. The run is a snapshot of frames relayed by the controller (no engine).

#include "enginecontroller.h"
#include "enginetest.h"
#include "reportexporter.h"

#include <QFile>
#include <QMainWindow>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>

using namespace hs;
using Format = ReportExporter::Format;

Q_DECLARE_METATYPE(hs::ReportExporter::Format)

namespace {
Scenario oneClass()
{
    QString error;
    const auto s = test::scenarioFromYaml(R"(
name: Export me
duration: 1s
classes:
  - name: web
    arrival: { process: constant, rate: 10/s }
    stages: [ { name: get, work: block, time: 1ms, domain: threads } ]
)",
        &error);
    if (!s)
        qFatal("%s", qPrintable(error));
    return *s;
}

QByteArray head(const QString &path, int n = 8)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.read(n);
}
} // namespace

class TestReportExporter : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("HybridscopeTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_reportexporter"));
        QSettings().clear();
        QVERIFY(m_dir.isValid());
    }

    void resolvePath_data()
    {
        QTest::addColumn<QString>("typed");
        QTest::addColumn<Format>("selected");
        QTest::addColumn<QString>("path");
        QTest::addColumn<Format>("format");
        QTest::newRow("pdf typed, html selected") << "run-a.pdf" << Format::Html << "run-a.pdf" << Format::Pdf;
        QTest::newRow("PDF upper case") << "RUN.PDF" << Format::Html << "RUN.PDF" << Format::Pdf;
        QTest::newRow("html typed, pdf selected") << "r.html" << Format::Pdf << "r.html" << Format::Html;
        QTest::newRow("htm") << "r.htm" << Format::Json << "r.htm" << Format::Html;
        QTest::newRow("csv typed") << "frames.csv" << Format::Html << "frames.csv" << Format::Csv;
        QTest::newRow("json: report") << "run.json" << Format::Pdf << "run.json" << Format::Json;
        QTest::newRow("json: trace filter") << "t.json" << Format::Trace << "t.json" << Format::Trace;
        QTest::newRow("no extension") << "run-a" << Format::Pdf << "run-a.pdf" << Format::Pdf;
        QTest::newRow("unknown extension") << "run.v2" << Format::Csv << "run.v2.csv" << Format::Csv;
        QTest::newRow("dot in folder") << "/tmp/a.b/run" << Format::Html << "/tmp/a.b/run.html" << Format::Html;
    }

    void resolvePath()
    {
        QFETCH(QString, typed);
        QFETCH(Format, selected);
        QFETCH(QString, path);
        QFETCH(Format, format);
        Format got = Format::Csv;
        QCOMPARE(ReportExporter::resolvePath(typed, selected, &got), path);
        QCOMPARE(got, format);
    }

    /// Through the dialog: the typed .pdf wins over the selected HTML filter; the next dialog opens
    /// in that folder with PDF selected; the status bar names the file.
    void dialogFollowsExtensionAndRemembers()
    {
        QMainWindow window;
        EngineController controller;
        const Scenario scenario = oneClass();
        ReportExporter exporter(
            &controller, [scenario] { return scenario; }, &window);
        // A run as the controller relays it: started, then frames.
        Q_EMIT controller.started();
        for (int i = 1; i <= 5; ++i) {
            Frame f;
            f.t = i * 0.05;
            ClassFrame c;
            c.submitted = c.completed = quint64(i);
            c.throughput = 10;
            f.classes.push_back(c);
            f.domains[std::size_t(DomainKind::Threads)].workers = 2;
            Q_EMIT controller.frameReady(f);
        }
        QVERIFY(exporter.hasRun());

        const QString folder = m_dir.filePath(QStringLiteral("exports"));
        QVERIFY(QDir().mkpath(folder));
        QStringList suggestions;
        QStringList selectedIn;
        QString answer;
        QString answerFilter;
        exporter.setFileChooser([&](const QString &suggested, const QStringList &, QString *selected) {
            suggestions << suggested;
            selectedIn << *selected;
            if (!answerFilter.isEmpty())
                *selected = answerFilter;
            return answer;
        });
        const QStringList filters = [] {
            QStringList f;
            for (const auto &e : ReportExporter::formats())
                f << e.filter;
            return f;
        }();

        answer = QDir(folder).filePath(QStringLiteral("run-a.pdf"));
        answerFilter = ReportExporter::entry(Format::Html).filter;
        exporter.exportDialog();
        const QString pdf = QDir(folder).filePath(QStringLiteral("run-a.pdf"));
        QVERIFY2(QFile::exists(pdf), "run-a.pdf not written");
        QVERIFY(!QFile::exists(pdf + QStringLiteral(".html")));
        QCOMPARE(head(pdf, 5), QByteArray("%PDF-"));
        QVERIFY2(window.statusBar()->currentMessage().contains(pdf), qPrintable(window.statusBar()->currentMessage()));
        QVERIFY(window.statusBar()->currentMessage().contains(QStringLiteral("PDF")));

        // The next dialog: in that folder, PDF selected.
        answer = QDir(folder).filePath(QStringLiteral("frames"));
        answerFilter = ReportExporter::entry(Format::Csv).filter;
        exporter.exportDialog();
        QCOMPARE(QFileInfo(suggestions.last()).absolutePath(), QFileInfo(folder).absoluteFilePath());
        QVERIFY2(suggestions.last().endsWith(QStringLiteral(".pdf")), qPrintable(suggestions.last()));
        QCOMPARE(selectedIn.last(), ReportExporter::entry(Format::Pdf).filter);
        // No extension: the selected filter's.
        QVERIFY(QFile::exists(QDir(folder).filePath(QStringLiteral("frames.csv"))));
        QCOMPARE(head(QDir(folder).filePath(QStringLiteral("frames.csv")), 2), QByteArray("t,"));

        // Remembered across windows (QSettings): a new exporter starts there with CSV selected.
        ReportExporter second(
            &controller, [scenario] { return scenario; }, &window);
        Q_EMIT controller.started();
        Q_EMIT controller.frameReady(Frame {});
        second.setFileChooser([&](const QString &suggested, const QStringList &, QString *selected) {
            suggestions << suggested;
            selectedIn << *selected;
            return QString(); // cancelled
        });
        second.exportDialog();
        QCOMPARE(QFileInfo(suggestions.last()).absolutePath(), QFileInfo(folder).absoluteFilePath());
        QCOMPARE(selectedIn.last(), ReportExporter::entry(Format::Csv).filter);
        QVERIFY(filters.contains(selectedIn.last()));
    }
};

QTEST_MAIN(TestReportExporter)
#include "tst_reportexporter.moc"
