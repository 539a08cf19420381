// The live per-class table: figures from synthetic frames (throughput, P50, P99, SLA met or
// missed against each class's own SLA, rejected and failed), "–" where there is nothing to show,
// coalesced updates (at most one per 50 ms however fast frames come), phase columns that exist
// only once fed, and the view sized for its rows. Every model change runs under
// QAbstractItemModelTester.

#include "classtable.h"
#include "classtablemodel.h"
#include "enginetest.h"

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QHeaderView>
#include <QSignalSpy>
#include <QTest>

using namespace hs;

namespace {
Scenario threeClasses()
{
    QString error;
    const auto s = test::scenarioFromYaml(R"(
name: Three classes
duration: 1s
sla: { p99: 40ms }
classes:
  - name: web
    arrival: { process: poisson, rate: 100/s }
    stages: [ { name: get, work: block, time: 1ms, domain: threads } ]
  - name: batch
    arrival: { process: constant, rate: 10/s }
    sla: { p99: 200ms }
    stages: [ { name: crunch, work: cpu, time: 1ms, domain: tbb } ]
  - name: idle
    arrival: { process: constant, rate: 1/s }
    stages: [ { name: wait, work: async, time: 1ms, domain: loop } ]
)",
        &error);
    if (!s)
        qFatal("%s", qPrintable(error));
    return *s;
}

ClassFrame classFrame(double thru, double p50, double p99, std::uint64_t rejected, std::uint64_t failed)
{
    ClassFrame c;
    c.throughput = thru;
    c.p50Ms = p50;
    c.p99Ms = p99;
    c.naiveP99Ms = p99 / 10; // a closed-loop tester's figure, far below (coordinated omission)
    c.rejected = rejected;
    c.failed = failed;
    c.completed = 100;
    c.submitted = 100 + rejected + failed;
    return c;
}

Frame frameAt(double t, std::vector<ClassFrame> classes)
{
    Frame f;
    f.t = t;
    f.classes = std::move(classes);
    return f;
}

QString cell(const ClassTableModel &m, int row, int column, int role = Qt::DisplayRole)
{
    return m.data(m.index(row, column), role).toString();
}
} // namespace

class TestClassTable : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void figuresFromFrames()
    {
        ClassTableModel m;
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        m.setScenario(threeClasses());
        QCOMPARE(m.rowCount(), 3);
        QCOMPARE(m.columnCount(), int(ClassTableModel::kWindowColumns));
        QCOMPARE(cell(m, 0, ClassTableModel::ClassColumn), QStringLiteral("web"));
        // Before any frame: no figures, and no invented ones.
        for (int c = ClassTableModel::ThroughputColumn; c < ClassTableModel::kWindowColumns; ++c) {
            QCOMPARE(cell(m, 0, c), QStringLiteral("–"));
            QVERIFY(!m.data(m.index(0, c), ClassTableModel::ValueRole).isValid());
        }

        // web: P99 45 ms against the scenario's 40 ms → missed; batch: 150 ms against its own 200 ms
        // → met; idle: nothing completed in the window → no latency, no verdict.
        m.addFrame(frameAt(
            2.0, { classFrame(98.5, 3.25, 45.0, 7, 2), classFrame(10, 120, 150, 0, 0), classFrame(0, 0, 0, 0, 1) }));
        m.flush();
        QCOMPARE(m.updates(), 1);
        QCOMPARE(m.shownTime(), 2.0);
        QCOMPARE(cell(m, 0, ClassTableModel::ThroughputColumn), QStringLiteral("98.5/s"));
        QCOMPARE(cell(m, 0, ClassTableModel::P50Column), QStringLiteral("3.25 ms"));
        QCOMPARE(cell(m, 0, ClassTableModel::P99Column), QStringLiteral("45.0 ms"));
        QCOMPARE(m.data(m.index(0, ClassTableModel::P99Column), ClassTableModel::ValueRole).toDouble(), 45.0);
        // The naive P99 beside it (DESIGN §15), its header explaining the difference.
        QCOMPARE(cell(m, 0, ClassTableModel::NaiveP99Column), QStringLiteral("4.50 ms"));
        QCOMPARE(m.data(m.index(0, ClassTableModel::NaiveP99Column), ClassTableModel::ValueRole).toDouble(), 4.5);
        QVERIFY(m.headerData(ClassTableModel::NaiveP99Column, Qt::Horizontal, Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("coordinated omission")));
        QCOMPARE(cell(m, 0, ClassTableModel::SlaColumn), QStringLiteral("✗ missed"));
        QCOMPARE(m.data(m.index(0, ClassTableModel::SlaColumn), ClassTableModel::ValueRole).toInt(), 0);
        QVERIFY(cell(m, 0, ClassTableModel::SlaColumn, Qt::ToolTipRole).contains(QStringLiteral("40")));
        QCOMPARE(cell(m, 0, ClassTableModel::RejectedColumn), QStringLiteral("7"));
        QCOMPARE(cell(m, 0, ClassTableModel::FailedColumn), QStringLiteral("2"));

        QCOMPARE(cell(m, 1, ClassTableModel::P99Column), QStringLiteral("150 ms"));
        QCOMPARE(cell(m, 1, ClassTableModel::SlaColumn), QStringLiteral("✓ met"));
        QCOMPARE(m.data(m.index(1, ClassTableModel::SlaColumn), ClassTableModel::ValueRole).toInt(), 1);

        QCOMPARE(cell(m, 2, ClassTableModel::ThroughputColumn), QStringLiteral("0.0/s"));
        QCOMPARE(cell(m, 2, ClassTableModel::P50Column), QStringLiteral("–"));
        QCOMPARE(cell(m, 2, ClassTableModel::P99Column), QStringLiteral("–"));
        QCOMPARE(cell(m, 2, ClassTableModel::NaiveP99Column), QStringLiteral("–"));
        QCOMPARE(cell(m, 2, ClassTableModel::SlaColumn), QStringLiteral("–"));
        QCOMPARE(cell(m, 2, ClassTableModel::FailedColumn), QStringLiteral("1"));

        // The window moves on: web recovers.
        m.addFrame(frameAt(
            2.05, { classFrame(101, 2.0, 12.5, 7, 2), classFrame(10, 120, 250, 0, 0), classFrame(1, 1.5, 1.5, 0, 1) }));
        m.flush();
        QCOMPARE(cell(m, 0, ClassTableModel::SlaColumn), QStringLiteral("✓ met"));
        QCOMPARE(cell(m, 1, ClassTableModel::SlaColumn), QStringLiteral("✗ missed"));
        // idle has no SLA of its own and the scenario's applies.
        QCOMPARE(cell(m, 2, ClassTableModel::SlaColumn), QStringLiteral("✓ met"));

        // A new scenario (or run) empties the figures.
        m.setScenario(threeClasses());
        QCOMPARE(cell(m, 0, ClassTableModel::P99Column), QStringLiteral("–"));
        QCOMPARE(m.shownTime(), -1.0);
    }

    void noSlaShowsDash()
    {
        Scenario s = threeClasses();
        s.slaP99.reset();
        ClassTableModel m;
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        m.setScenario(s);
        m.addFrame(
            frameAt(1, { classFrame(1, 1, 999, 0, 0), classFrame(1, 1, 999, 0, 0), classFrame(1, 1, 999, 0, 0) }));
        m.flush();
        QCOMPARE(cell(m, 0, ClassTableModel::SlaColumn), QStringLiteral("–")); // no SLA at all
        QCOMPARE(cell(m, 1, ClassTableModel::SlaColumn), QStringLiteral("✗ missed")); // its own 200 ms
    }

    /// However fast frames come, the rows change at most once per kRefreshMs, from the newest frame.
    void coalescesFrames()
    {
        ClassTableModel m;
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        m.setScenario(threeClasses());
        QSignalSpy changed(&m, &QAbstractItemModel::dataChanged);
        for (int i = 1; i <= 50; ++i)
            m.addFrame(frameAt(
                i * 0.001, { classFrame(i, 1, i, 0, 0), classFrame(1, 1, 1, 0, 0), classFrame(1, 1, 1, 0, 0) }));
        QCOMPARE(m.updates(), 0); // nothing applied synchronously
        QVERIFY(changed.wait(2000));
        QCOMPARE(m.updates(), 1);
        QCOMPARE(m.framesReceived(), 50);
        QCOMPARE(m.shownTime(), 0.05);
        QCOMPARE(cell(m, 0, ClassTableModel::P99Column), QStringLiteral("50.0 ms"));

        // A frame every event-loop turn for 400 ms: at most one update per 50 ms (plus the edge).
        QElapsedTimer clock;
        clock.start();
        const int before = m.updates();
        QTimer feeder;
        feeder.setInterval(2);
        int fed = 0;
        connect(&feeder, &QTimer::timeout, &m, [&] {
            ++fed;
            m.addFrame(frameAt(1 + fed * 0.002,
                { classFrame(fed, 1, 1, 0, 0), classFrame(1, 1, 1, 0, 0), classFrame(1, 1, 1, 0, 0) }));
        });
        feeder.start();
        QVERIFY(QTest::qWaitFor([&] { return clock.elapsed() >= 400; }, 5000));
        feeder.stop();
        const qint64 elapsed = clock.elapsed();
        const int updates = m.updates() - before;
        QVERIFY2(fed > updates, qPrintable(QStringLiteral("fed %1 frames, %2 updates").arg(fed).arg(updates)));
        QVERIFY2(updates <= elapsed / ClassTableModel::kRefreshMs + 1,
            qPrintable(QStringLiteral("%1 updates in %2 ms").arg(updates).arg(elapsed)));
        QVERIFY(updates >= 1);
    }

    /// Phase columns do not exist until the phase figures come; then they show them, "–" for a class
    /// whose phase figure is not known yet.
    void phaseColumnsOnlyOnceFed()
    {
        ClassTableModel m;
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        m.setScenario(threeClasses());
        QVERIFY(!m.hasPhaseColumns());
        QCOMPARE(m.columnCount(), int(ClassTableModel::kWindowColumns));
        QVERIFY(!m.index(0, ClassTableModel::PhaseP99Column).isValid());

        QSignalSpy inserted(&m, &QAbstractItemModel::columnsInserted);
        ClassTableModel::PhaseFigures web { 99.0, 2.5, 30.0, true };
        ClassTableModel::PhaseFigures batch { 10.0, 100.0, 250.0, false };
        m.setPhaseFigures(QStringLiteral("since the change at 6.2 s"), { web, batch, std::nullopt });
        QCOMPARE(inserted.size(), 1);
        QCOMPARE(m.columnCount(), int(ClassTableModel::ColumnCount));
        QCOMPARE(cell(m, 0, ClassTableModel::PhaseP99Column), QStringLiteral("30.0 ms"));
        QCOMPARE(cell(m, 0, ClassTableModel::PhaseSlaColumn), QStringLiteral("✓ met"));
        QCOMPARE(cell(m, 1, ClassTableModel::PhaseSlaColumn), QStringLiteral("✗ missed"));
        QCOMPARE(cell(m, 2, ClassTableModel::PhaseP99Column), QStringLiteral("–"));
        QVERIFY(m.headerData(ClassTableModel::PhaseP99Column, Qt::Horizontal, Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("6.2 s")));
        // Fed again: no second insertion.
        m.setPhaseFigures(QStringLiteral("since 9 s"), { std::nullopt, batch, web });
        QCOMPARE(inserted.size(), 1);
        QCOMPARE(cell(m, 0, ClassTableModel::PhaseP99Column), QStringLiteral("–"));
        QCOMPARE(cell(m, 2, ClassTableModel::PhaseP99Column), QStringLiteral("30.0 ms"));

        m.clearPhaseFigures();
        QCOMPARE(m.columnCount(), int(ClassTableModel::kWindowColumns));
        m.setPhaseFigures(QString(), { web });
        m.setScenario(threeClasses()); // a new run starts without phase columns
        QCOMPARE(m.columnCount(), int(ClassTableModel::kWindowColumns));
    }

    void viewFitsItsRows()
    {
        ClassTable table;
        table.classModel()->setScenario(threeClasses());
        table.resize(900, table.sizeHint().height());
        table.show();
        QVERIFY(QTest::qWaitForWindowExposed(&table));
        // Three rows fit without a vertical scroll bar; every window column is visible.
        const int rowsHeight = table.horizontalHeader()->height() + 3 * table.verticalHeader()->defaultSectionSize();
        QVERIFY2(table.sizeHint().height() >= rowsHeight,
            qPrintable(QStringLiteral("%1 < %2").arg(table.sizeHint().height()).arg(rowsHeight)));
        QCOMPARE(table.horizontalHeader()->count(), int(ClassTableModel::kWindowColumns));
        for (int c = 0; c < ClassTableModel::kWindowColumns; ++c)
            QVERIFY(table.columnWidth(c)
                > table.fontMetrics().horizontalAdvance(table.model()->headerData(c, Qt::Horizontal).toString()));
        table.classModel()->setPhaseFigures(QString(), { ClassTableModel::PhaseFigures { 1, 1, 1, true } });
        QCOMPARE(table.horizontalHeader()->count(), int(ClassTableModel::ColumnCount));
        QVERIFY(table.columnWidth(ClassTableModel::PhaseP99Column) > 20);
    }
};

QTEST_MAIN(TestClassTable)
#include "tst_classtable.moc"
