// Locks and shared counters as users see them (DESIGN §15), from a hand-built RunResult and
// hand-fed frames (no engine run: the figures are fixed, so each check is exact): the summary's
// block with LOST made loud and the top waits-on edge, the CSV's second table, the HTML report's
// section (well-formed, lost updates in red with their explanation) and the comparison's rows,
// the live locks panel's cells; and nothing of it for a run without locks.
// With HS_LOCKS_SHOTS=DIR set, the HTML, the PDF and a picture of the panel are written there
// to be looked at.

#include "classtable.h"
#include "classtablemodel.h"
#include "comparereport.h"
#include "htmlreport.h"
#include "lockstable.h"
#include "lockstablemodel.h"
#include "mainwindow.h"
#include "pdfreport.h"
#include "results/lockreport.h"
#include "results/report.h"

#include <QAbstractItemModelTester>
#include <QBuffer>
#include <QColor>
#include <QDir>
#include <QFile>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QSettings>
#include <QStandardPaths>
#include <QTableView>
#include <QTest>
#include <QVBoxLayout>
#include <QXmlStreamReader>

using namespace hs;

namespace {
Stage stage(const QString &name, DomainKind d, std::vector<LockUse> locks, const QString &update)
{
    Stage st;
    st.name = name;
    st.work = WorkKind::Cpu;
    st.domain = d;
    st.locks = std::move(locks);
    st.update = update;
    return st;
}

LockUse lockUse(const QString &name, LockScope scope)
{
    LockUse l;
    l.name = name;
    l.scope = scope;
    l.timeout = 2;
    return l;
}

// Two classes post to a ledger under a thread-scope lock (one on threads, one in worker
// processes: updates get lost) and both take a process-scope journal lock (contended).
Scenario lockScenario()
{
    Scenario s;
    s.name = QStringLiteral("ledger");
    TaskClass api;
    api.name = QStringLiteral("api");
    api.stages.push_back(stage(QStringLiteral("post"), DomainKind::Threads,
        { lockUse(QStringLiteral("ledger"), LockScope::Thread),
            lockUse(QStringLiteral("journal"), LockScope::Process) },
        QStringLiteral("ledger")));
    TaskClass batch;
    batch.name = QStringLiteral("batch");
    batch.stages.push_back(stage(QStringLiteral("post"), DomainKind::Procs,
        { lockUse(QStringLiteral("ledger"), LockScope::Thread),
            lockUse(QStringLiteral("journal"), LockScope::Process) },
        QStringLiteral("ledger")));
    s.classes = { api, batch };
    return s;
}

LockFrame lockFrame(std::uint64_t acq, std::uint64_t contended, int waiting, double p99, std::uint64_t expected,
    std::uint64_t seen, std::uint64_t timeouts = 0, std::uint64_t recovered = 0)
{
    LockFrame f;
    f.acquisitions = acq;
    f.contended = contended;
    f.waiting = waiting;
    f.waitP99Ms = p99;
    f.updatesExpected = expected;
    f.updatesSeen = seen;
    f.timeouts = timeouts;
    f.recovered = recovered;
    return f;
}

Frame frameAt(double t, std::vector<LockFrame> locks)
{
    Frame f;
    f.t = t;
    f.classes.resize(2);
    f.locks = std::move(locks);
    return f;
}

RunResult lockRun()
{
    RunResult r;
    r.scenario = lockScenario();
    r.durationS = 2;
    for (const TaskClass &c : r.scenario.classes) {
        ClassResult cr;
        cr.name = c.name;
        cr.submitted = cr.completed = 500;
        r.classes.push_back(cr);
    }
    for (DomainKind d : kAllDomains)
        r.domains[std::size_t(d)].kind = d;
    r.domains[std::size_t(DomainKind::Threads)].used = true;
    r.domains[std::size_t(DomainKind::Procs)].used = true;
    LockResult ledger;
    ledger.name = QStringLiteral("ledger");
    ledger.scope = LockScope::Thread;
    ledger.acquisitions = 1000;
    ledger.contended = 100;
    ledger.counter = true;
    ledger.updatesExpected = 1000;
    ledger.updatesSeen = 880;
    LatencyHistogram lw;
    for (int i = 0; i < 1000; ++i)
        lw.record(i < 900 ? 0 : 2'000'000);
    ledger.wait = lw.snapshot();
    ledger.edges.push_back({ 0, 0, DomainKind::Threads, 0, 0, DomainKind::Threads, 100, 250 });
    LockResult journal;
    journal.name = QStringLiteral("journal");
    journal.scope = LockScope::Process;
    journal.acquisitions = 500;
    journal.contended = 400;
    journal.timeouts = 2;
    journal.recovered = 1;
    LatencyHistogram jw;
    for (int i = 0; i < 500; ++i)
        jw.record(i < 100 ? 0 : 3'000'000);
    journal.wait = jw.snapshot();
    journal.edges.push_back({ 0, 0, DomainKind::Threads, 1, 0, DomainKind::Procs, 400, 1200 });
    r.locks = { ledger, journal };
    r.frames = { frameAt(0.05, { lockFrame(10, 1, 0, 0, 10, 10), lockFrame(5, 4, 1, 3, 0, 0) }),
        frameAt(0.10, { lockFrame(20, 2, 0, 2, 20, 17), lockFrame(10, 8, 2, 3, 0, 0) }) };
    return r;
}

// The run's JSON, `locks` included (the reports read them back from it).
QJsonObject lockJson(const RunResult &r)
{
    QJsonObject json = runToJson(r);
    Q_ASSERT(json.contains(QStringLiteral("locks")));
    return json;
}

QString xmlError(const QString &html)
{
    QXmlStreamReader xml(html);
    while (!xml.atEnd())
        xml.readNext();
    return xml.hasError() ? QStringLiteral("line %1: %2").arg(xml.lineNumber()).arg(xml.errorString()) : QString();
}

QString cell(const LocksTableModel &m, int row, int column, int role = Qt::DisplayRole)
{
    return m.data(m.index(row, column), role).toString();
}

void shoot(const QString &name, const QByteArray &bytes)
{
    const QString dir = qEnvironmentVariable("HS_LOCKS_SHOTS");
    if (dir.isEmpty())
        return;
    QFile f(QDir(dir).filePath(name));
    if (f.open(QIODevice::WriteOnly))
        f.write(bytes);
}
} // namespace

class TestLocksView : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("HybridscopeTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_locksview"));
        QSettings().clear();
    }

    void summaryBlock()
    {
        const QString s = runSummary(lockRun());
        shoot(QStringLiteral("summary.txt"), s.toUtf8());
        shoot(QStringLiteral("run.csv"), runToCsv(lockRun()).toUtf8());
        QVERIFY2(s.contains(QStringLiteral("locks and shared counters:")), qPrintable(s));
        QVERIFY2(s.contains(QStringLiteral("updates expected 1000, seen 880, LOST 120 (12.0 %)  <<< LOST UPDATES")),
            qPrintable(s));
        QVERIFY2(s.contains(QStringLiteral("does not guard")), qPrintable(s)); // why, for the thread scope
        QVERIFY2(s.contains(QStringLiteral("400 (80 %)")), qPrintable(s)); // journal's contended share
        QVERIFY2(s.contains(QStringLiteral("2 lock timeout(s): possible deadlock")), qPrintable(s));
        // The top edge is the journal's (1.2 s), not the ledger's (250 ms).
        QVERIFY2(s.contains(QStringLiteral("most waited: api.post on threads waited 1.2 s in total (400 waits) for "
                                           "journal held by batch.post on procs")),
            qPrintable(s));
        RunResult plain = lockRun();
        plain.locks.clear();
        QVERIFY(!runSummary(plain).contains(QStringLiteral("locks and shared counters")));
    }

    void csvTable()
    {
        const QStringList lines = runToCsv(lockRun()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        const int header = int(lines.indexOf(QStringLiteral(
            "t,lock,scope,acquisitions,contended,timeouts,recovered,waiting,wait_p99_ms,updates_expected,"
            "updates_seen,lost_updates,mode")));
        QVERIFY2(header > 0, qPrintable(lines.join(QLatin1Char('\n'))));
        QCOMPARE(lines.size() - header - 1, 4); // 2 frames × 2 names
        QCOMPARE(lines[header + 3], QStringLiteral("0.100,ledger,thread,20,2,0,0,0,2.000,20,17,3,engine"));
        QCOMPARE(lines[header + 4], QStringLiteral("0.100,journal,process,10,8,0,0,2,3.000,0,0,0,engine"));
        RunResult plain = lockRun();
        plain.locks.clear();
        QVERIFY(!runToCsv(plain).contains(QStringLiteral("t,lock,")));
    }

    void htmlSection()
    {
        const RunResult r = lockRun();
        const QString html = HtmlReport::build(lockJson(r), {}, ReportMedium::Browser).html;
        QCOMPARE(xmlError(html), QString());
        QVERIFY(html.contains(QStringLiteral("id=\"locks\"")));
        QVERIFY(html.contains(QStringLiteral("<tr class=\"lost\">")));
        QVERIFY(html.contains(QStringLiteral("<span class=\"bad\">120 LOST</span>")));
        QVERIFY(html.contains(QStringLiteral("120 of 1000 updates lost")));
        QVERIFY(html.contains(QStringLiteral("does not guard")));
        QVERIFY(html.contains(QStringLiteral("400 (80%)")));
        QVERIFY(html.contains(QStringLiteral("for journal held by batch.post on procs")));
        shoot(QStringLiteral("locks.html"), html.toUtf8());
        if (!qEnvironmentVariableIsEmpty("HS_LOCKS_SHOTS"))
            shoot(QStringLiteral("locks.pdf"),
                PdfReport::render(HtmlReport::build(lockJson(r), {}, ReportMedium::Print), QStringLiteral("locks")));

        // The configuration's stage text names its lock and counter.
        const QJsonObject stageJson { { QStringLiteral("work"), QStringLiteral("block") },
            { QStringLiteral("time"), QStringLiteral("1ms") },
            { QStringLiteral("lock"),
                QJsonArray { QJsonObject { { QStringLiteral("name"), QStringLiteral("ledger") },
                    { QStringLiteral("scope"), QStringLiteral("thread") } } } },
            { QStringLiteral("update"), QStringLiteral("ledger") } };
        const QString work = HtmlReport::workText(stageJson);
        QVERIFY2(
            work.contains(QStringLiteral("lock ledger (thread)")) && work.contains(QStringLiteral("update ledger")),
            qPrintable(work));

        RunResult plain = r;
        plain.locks.clear();
        const QString none = HtmlReport::build(runToJson(plain), {}, ReportMedium::Browser).html;
        QVERIFY(!none.contains(QStringLiteral("id=\"locks\"")));
    }

    void comparisonRows()
    {
        const RunResult r = lockRun();
        RunResult plain = r;
        plain.locks.clear();
        const QString html = ComparisonReport::build(lockJson(r), runToJson(plain), {}, ReportMedium::Browser).html;
        QCOMPARE(xmlError(html), QString());
        QVERIFY(html.contains(QStringLiteral("id=\"locks-delta\"")));
        QVERIFY(html.contains(QStringLiteral("<span class=\"bad\">120 LOST</span>")));
        const QString neither
            = ComparisonReport::build(runToJson(plain), runToJson(plain), {}, ReportMedium::Browser).html;
        QVERIFY(!neither.contains(QStringLiteral("locks-delta")));
    }

    void panelCells()
    {
        LocksTable table;
        LocksTableModel &m = *table.locksModel();
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        table.setScenario(lockScenario());
        QVERIFY(!table.isHidden());
        QCOMPARE(m.rowCount(), 2);
        // Columns fitted to their figures after the reset, not left at the default width.
        const QHeaderView *h = table.view()->horizontalHeader();
        QVERIFY(h->sectionSize(LocksTableModel::ScopeColumn) < h->defaultSectionSize());
        QVERIFY(h->sectionSize(LocksTableModel::NameColumn)
            > table.fontMetrics().horizontalAdvance(QStringLiteral("journal")));
        QCOMPARE(cell(m, 0, LocksTableModel::NameColumn), QStringLiteral("ledger"));
        QCOMPARE(cell(m, 1, LocksTableModel::ScopeColumn), QStringLiteral("process"));
        QCOMPARE(cell(m, 0, LocksTableModel::LostColumn), QStringLiteral("–")); // no frame yet
        // A frame without lock figures (a simulated replay, an attached run): nothing to show, hidden.
        m.addFrame(frameAt(0.05, {}));
        m.flush();
        QCOMPARE(cell(m, 0, LocksTableModel::AcquiredColumn), QStringLiteral("–"));
        QVERIFY(table.isHidden());
        m.addFrame(frameAt(0.10, { lockFrame(200, 20, 1, 2.5, 200, 188), lockFrame(100, 80, 3, 3, 0, 0, 2, 1) }));
        m.flush();
        QVERIFY(!table.isHidden()); // frames with lock figures: shown again
        QCOMPARE(cell(m, 0, LocksTableModel::AcquiredColumn), QStringLiteral("200"));
        QCOMPARE(cell(m, 0, LocksTableModel::ContendedColumn), QStringLiteral("20 (10 %)"));
        QCOMPARE(cell(m, 0, LocksTableModel::ExpectedColumn), QStringLiteral("200"));
        QCOMPARE(cell(m, 0, LocksTableModel::SeenColumn), QStringLiteral("188"));
        QCOMPARE(cell(m, 0, LocksTableModel::LostColumn), QStringLiteral("12 LOST"));
        QCOMPARE(m.data(m.index(0, LocksTableModel::LostColumn), Qt::ForegroundRole).value<QColor>(),
            QColor(0xe0, 0x31, 0x31));
        QCOMPARE(cell(m, 0, LocksTableModel::RecoveredColumn), QStringLiteral("–")); // a thread lock has none
        QCOMPARE(cell(m, 1, LocksTableModel::ContendedColumn), QStringLiteral("80 (80 %)"));
        QCOMPARE(cell(m, 1, LocksTableModel::WaitingColumn), QStringLiteral("3"));
        QCOMPARE(cell(m, 1, LocksTableModel::WaitP99Column), QStringLiteral("3.00 ms"));
        QCOMPARE(cell(m, 1, LocksTableModel::TimeoutsColumn), QStringLiteral("2"));
        QCOMPARE(cell(m, 1, LocksTableModel::RecoveredColumn), QStringLiteral("1"));
        QCOMPARE(cell(m, 1, LocksTableModel::LostColumn), QStringLiteral("–")); // not a counter
        QVERIFY(m.anyLost());
        QVERIFY(table.caption()->text().contains(QStringLiteral("UPDATES LOST")));

        if (!qEnvironmentVariableIsEmpty("HS_LOCKS_SHOTS")) {
            QWidget w;
            auto *v = new QVBoxLayout(&w);
            auto *classes = new ClassTable(&w);
            Scenario s = lockScenario();
            classes->classModel()->setScenario(s);
            auto *locks = new LocksTable(&w);
            locks->setScenario(s);
            locks->locksModel()->addFrame(
                frameAt(1, { lockFrame(200, 20, 1, 2.5, 200, 188), lockFrame(100, 80, 3, 3, 0, 0, 2, 1) }));
            locks->locksModel()->flush();
            v->addWidget(classes);
            v->addWidget(locks);
            w.resize(1100, 330);
            QByteArray png;
            QBuffer buf(&png);
            buf.open(QIODevice::WriteOnly);
            w.grab().save(&buf, "PNG");
            shoot(QStringLiteral("panel.png"), png);
        }

        // A scenario without locks: no rows, and the panel hides.
        table.setScenario(Scenario {});
        QVERIFY(table.isHidden());
        QCOMPARE(m.rowCount(), 0);
        m.addFrame(frameAt(0.15, {}));
        m.flush();
    }

    // The main window's panel: hidden for a scenario without locks, shown and fed through the
    // window's own frame path (a finished tune point's frames go where a run's go), hidden again.
    void mainWindowPanel()
    {
        MainWindow w;
        QVERIFY(w.openScenario(QStringLiteral("default")));
        auto *locks = w.findChild<LocksTable *>(QStringLiteral("locksTable"));
        QVERIFY(locks);
        QVERIFY(locks->isHidden());
        const RunResult r = lockRun();
        w.showTunePointRun(r.scenario, r.frames, 0, QStringLiteral("locks"));
        QVERIFY(!locks->isHidden());
        locks->locksModel()->flush();
        const LocksTableModel &m = *locks->locksModel();
        QCOMPARE(m.rowCount(), 2);
        QCOMPARE(cell(m, 0, LocksTableModel::LostColumn), QStringLiteral("3 LOST")); // 20 expected, 17 seen
        QCOMPARE(cell(m, 1, LocksTableModel::WaitingColumn), QStringLiteral("2"));
        if (!qEnvironmentVariableIsEmpty("HS_LOCKS_SHOTS")) {
            w.resize(1600, 1000);
            w.show();
            QVERIFY(QTest::qWaitForWindowExposed(&w));
            QTest::qWait(300); // let the queued splitter fit and the plots draw (pictures only)
            QByteArray png;
            QBuffer buf(&png);
            buf.open(QIODevice::WriteOnly);
            w.grab().save(&buf, "PNG");
            shoot(QStringLiteral("window.png"), png);
        }
        QVERIFY(w.openScenario(QStringLiteral("default")));
        QVERIFY(locks->isHidden());
    }
};

QTEST_MAIN(TestLocksView)
#include "tst_locksview.moc"
