// File ▸ Save Scenario As… and the duration field: the controls' current configuration (pool
// sizes, backpressure, routes, GIL, duration) is written as a scenario file that
// `hybridscope validate` accepts and that, opened again, gives the same controls. Also the
// duration field beside Run: typed durations set the run's duration, bad ones are refused.

#include "domaincard.h"
#include "durationfield.h"
#include "enginecontroller.h"
#include "mainwindow.h"
#include "routingmodel.h"
#include "scenario/builtins.h"
#include "testutil.h"

#include <QAction>
#include <QComboBox>
#include <QProcess>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace hs;

class TestSaveAs : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;

    static QString controlsOf(MainWindow &w, const QStringList &keys)
    {
        QStringList out;
        for (DomainKind d : kAllDomains) {
            const DomainConfig c = w.domainCard(d)->config();
            out << QStringLiteral("%1: workers %2 queue %3 max_inflight %4 on_full %5")
                       .arg(domainName(d))
                       .arg(c.workers)
                       .arg(c.queue)
                       .arg(c.maxInflight)
                       .arg(onFullName(c.onFull));
        }
        for (const QString &k : keys)
            out << k + QStringLiteral(" → ") + domainName(w.routingModel()->routeOf(k).value_or(DomainKind::Loop));
        out << QStringLiteral("gil %1").arg(w.gilAction()->isChecked());
        out << QStringLiteral("duration %1 (%2)").arg(w.durationField()->seconds()).arg(w.durationField()->text());
        return out.join(QLatin1Char('\n'));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("HybridscopeTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_saveas"));
        QSettings().clear();
        QVERIFY(m_dir.isValid());
    }

    void durationField()
    {
        DurationField f;
        QCOMPARE(f.text(), QStringLiteral("until stopped"));
        QSignalSpy changed(&f, &DurationField::secondsChanged);
        QVERIFY(f.setText(QStringLiteral("45s")));
        QCOMPARE(f.seconds(), 45.0);
        QCOMPARE(changed.size(), 1);
        QVERIFY(f.setText(QStringLiteral("1.5m")));
        QCOMPARE(f.seconds(), 90.0);
        QCOMPARE(f.text(), QStringLiteral("90s"));
        // Wrong text: refused, says why, keeps the value.
        QVERIFY(!f.setText(QStringLiteral("soon")));
        QVERIFY(!f.error().isEmpty());
        QCOMPARE(f.seconds(), 90.0);
        QVERIFY(!f.setText(QStringLiteral("25h"))); // beyond the format's 24 h
        QCOMPARE(f.seconds(), 90.0);
        QVERIFY(f.setText(QStringLiteral("until stopped")));
        QCOMPARE(f.seconds(), 0.0);
        QVERIFY(f.setText(QStringLiteral("0")));
        QCOMPARE(f.seconds(), 0.0);
        QCOMPARE(f.text(), QStringLiteral("until stopped"));
        QCOMPARE(changed.size(), 3);
        f.setSeconds(20);
        QCOMPARE(f.text(), QStringLiteral("20s"));
        QCOMPARE(changed.size(), 3); // set by the program: no signal
    }

    void saveAsThenReopenGivesTheSameControls()
    {
        MainWindow w;
        QVERIFY(w.openScenario(QStringLiteral("default")));
        QCOMPARE(w.durationField()->seconds(), 20.0);
        QVERIFY(w.saveAsAction()->isEnabled());

        // Change every kind of control, as a user does.
        DomainCard *threads = w.domainCard(DomainKind::Threads);
        Q_EMIT threads->workersRequested(DomainKind::Threads, 5);
        Q_EMIT threads->backpressureRequested(DomainKind::Threads, Backpressure { 0, 12, OnFull::DropOldest });
        DomainCard *tbb = w.domainCard(DomainKind::Tbb);
        Q_EMIT tbb->workersRequested(DomainKind::Tbb, 3);
        Q_EMIT w.domainCard(DomainKind::Procs)
            ->backpressureRequested(DomainKind::Procs, Backpressure { 0, 0, OnFull::Reject });
        const QString key = QStringLiteral("fetch.get");
        RoutingModel *routing = w.routingModel();
        QVERIFY(
            routing->setData(routing->index(routing->rowOf(key), RoutingModel::DomainColumn), int(DomainKind::Tbb)));
        w.gilAction()->setChecked(true);
        QVERIFY(w.durationField()->setText(QStringLiteral("45s")));
        QCOMPARE(w.scenario().duration, 45.0);
        QCOMPARE(w.scenario().domain(DomainKind::Threads).workers, 5);
        w.domainCard(DomainKind::Threads)->setConfig(w.scenario().domain(DomainKind::Threads));
        w.domainCard(DomainKind::Tbb)->setConfig(w.scenario().domain(DomainKind::Tbb));
        w.domainCard(DomainKind::Procs)->setConfig(w.scenario().domain(DomainKind::Procs));

        const QStringList keys = w.scenario().routingKeys();
        const QString before = controlsOf(w, keys);
        const QString path = m_dir.filePath(QStringLiteral("saved.yaml"));
        QString error;
        QVERIFY2(w.saveScenarioAs(path, &error), qPrintable(error));

        // The command line accepts it.
        QProcess validate;
        validate.start(test::appPath(), { QStringLiteral("validate"), path });
        QVERIFY(validate.waitForFinished(60000));
        QVERIFY2(validate.exitStatus() == QProcess::NormalExit && validate.exitCode() == 0,
            qPrintable(QString::fromUtf8(validate.readAllStandardError())));
        QVERIFY(QString::fromUtf8(validate.readAllStandardOutput()).contains(QStringLiteral("ok")));

        // Reopened, in another window: the same controls, and the lesson is still there.
        MainWindow again;
        QVERIFY(again.openScenario(path));
        QCOMPARE(controlsOf(again, keys), before);
        QCOMPARE(again.scenario().domain(DomainKind::Threads).maxInflight, 12);
        QCOMPARE(again.scenario().domain(DomainKind::Procs).maxInflight, 0);
        QCOMPARE(again.scenario().lesson.has_value(), w.scenario().lesson.has_value());
        QCOMPARE(again.scenario().classes.size(), w.scenario().classes.size());

        // Until stopped is saved as no duration, and reads back as such.
        QVERIFY(again.durationField()->setText(QStringLiteral("until stopped")));
        const QString open = m_dir.filePath(QStringLiteral("open-ended.yaml"));
        QVERIFY2(again.saveScenarioAs(open, &error), qPrintable(error));
        MainWindow third;
        QVERIFY(third.openScenario(open));
        QCOMPARE(third.scenario().duration, 0.0);
        QCOMPARE(third.durationField()->text(), QStringLiteral("until stopped"));
    }

    void revertPutsTheFilesDurationBack()
    {
        MainWindow w;
        QVERIFY(w.openScenario(QStringLiteral("default")));
        QVERIFY(w.durationField()->setText(QStringLiteral("3s")));
        QCOMPARE(w.scenario().duration, 3.0);
        w.revertControls();
        QCOMPARE(w.scenario().duration, 20.0);
        QCOMPARE(w.durationField()->text(), QStringLiteral("20s"));
    }
};

QTEST_MAIN(TestSaveAs)
#include "tst_saveas.moc"
