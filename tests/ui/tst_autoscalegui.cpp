// Adaptive pool sizing in the GUI (issue 16, DESIGN §13): the domain card's Auto switch, policy and
// bounds (round trip through setConfig/config, changed marks, the lock of a replay, following the
// controller's size from the frames), the throughput plot's workers steps and the light marks of
// "scale" events, the report's worker-s column and autoscale row, then a real bursty run in the
// window where Auto is switched on from the card and the pool grows.

#include "domaincard.h"
#include "enginecontroller.h"
#include "htmlreport.h"
#include "liveplot.h"
#include "liveplots.h"
#include "mainwindow.h"
#include "results/report.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QJsonArray>
#include <QLabel>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>

using namespace hs;

namespace {
constexpr int kStartBoundMs = 20000;
constexpr int kGrowBoundMs = 8000;
constexpr int kFinishBoundMs = 30000;

// 400/s in one-second bursts on two workers of 10 ms calls (200/s): each burst builds a queue.
const char *const kBurstyYaml = R"(name: Autoscale bursts
duration: 4s
seed: 5
domains:
  threads: { workers: 2 }
classes:
  - name: api
    arrival: { process: burst, rate: 400/s, on: 1s, off: 1s }
    stages:
      - { name: handle, work: block, time: exp(10ms), domain: threads }
)";

// The same with the autoscale block in the file.
const char *const kAutoscaledYaml = R"(name: Autoscaled
duration: 4s
domains:
  threads: { workers: 4, autoscale: { policy: gradient, min: 1, max: 12, interval: 500ms } }
classes:
  - name: api
    arrival: { process: poisson, rate: 50/s }
    stages:
      - { name: handle, work: block, time: exp(10ms), domain: threads }
)";

QString writeFile(const QTemporaryDir &dir, const QString &name, const char *text)
{
    const QString path = dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return {};
    f.write(text);
    return path;
}

Frame frameWithThreads(double t, int workers)
{
    Frame f;
    f.t = t;
    DomainFrame &d = f.domains[std::size_t(DomainKind::Threads)];
    d.workers = workers;
    d.throughput = 100;
    f.domains[std::size_t(DomainKind::Tbb)].workers = 2; // the engine runs every pool
    return f;
}

// Clicks a check box where its indicator is (a click in the middle of a wide box may miss it).
void clickCheckBox(QCheckBox *box)
{
    QTest::mouseClick(box, Qt::LeftButton, {}, QPoint(8, box->height() / 2));
}
} // namespace

class TestAutoscaleGui : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cardRoundTrip_data();
    void cardRoundTrip();
    void cardAnnouncesAndFollows();
    void plotsWorkersLine();
    void reportRows();
    void liveRun();
};

void TestAutoscaleGui::cardRoundTrip_data()
{
    QTest::addColumn<int>("policy");
    QTest::addColumn<int>("min");
    QTest::addColumn<int>("max");
    QTest::addColumn<int>("workers");
    QTest::addColumn<int>("shownMax"); // what the max spin box shows
    QTest::addColumn<QString>("text");

    QTest::newRow("gradient 2–12") << int(AutoscalePolicy::Gradient) << 2 << 12 << 4 << 12
                                   << QStringLiteral("auto · gradient 2–12");
    // max absent (0): its default for the pool, 4 × workers, shown but kept as 0.
    QTest::newRow("queue, default max") << int(AutoscalePolicy::Queue) << 1 << 0 << 5 << 20
                                        << QStringLiteral("auto · queue 1–20");
    QTest::newRow("vegas, small pool") << int(AutoscalePolicy::Vegas) << 1 << 0 << 1 << 8
                                       << QStringLiteral("auto · vegas 1–8");
    QTest::newRow("off keeps its bounds") << int(AutoscalePolicy::Off) << 3 << 10 << 4 << 10 << QString();
}

void TestAutoscaleGui::cardRoundTrip()
{
    QFETCH(int, policy);
    QFETCH(int, min);
    QFETCH(int, max);
    QFETCH(int, workers);
    QFETCH(int, shownMax);
    QFETCH(QString, text);

    DomainCard card(DomainKind::Threads);
    QSignalSpy announced(&card, &DomainCard::autoscaleRequested);
    DomainConfig cfg;
    cfg.declared = true;
    cfg.workers = workers;
    cfg.autoscale = AutoscaleConfig { AutoscalePolicy(policy), min, max, 0.5, 0.04 };
    card.setConfig(cfg);
    card.setFileConfig(cfg);
    const DomainConfig back = card.config();
    QCOMPARE(back.workers, workers);
    QCOMPARE(back.autoscale, cfg.autoscale); // interval and target_p99 kept though not shown
    QCOMPARE(card.autoscale(), cfg.autoscale);
    QVERIFY(card.changedFromFile().isEmpty());
    QCOMPARE(card.autoCheckBox()->isChecked(), cfg.autoscale.enabled());
    QCOMPARE(card.autoMinSpinBox()->value(), min);
    QCOMPARE(card.autoMaxSpinBox()->value(), shownMax);
    QCOMPARE(card.autoscaleText(), text);
    QCOMPARE(card.policyComboBox()->isEnabled(), cfg.autoscale.enabled()); // nothing to choose while off
    if (cfg.autoscale.enabled())
        QCOMPARE(card.policyComboBox()->currentText(), autoscalePolicyName(cfg.autoscale.policy));
    QVERIFY(announced.isEmpty()); // setConfig shows, it never commands

    // Another file's setting differs: marked, the file's value on the switch's tooltip.
    DomainConfig file = cfg;
    file.autoscale.policy = cfg.autoscale.enabled() ? AutoscalePolicy::Off : AutoscalePolicy::Aimd;
    card.setFileConfig(file);
    QCOMPARE(card.changedFromFile(), QStringList { QStringLiteral("autoscale") });
    QVERIFY(card.autoCheckBox()->text().contains(QStringLiteral("●")));
    QVERIFY(card.autoCheckBox()->toolTip().contains(QStringLiteral("file: ")));
}

void TestAutoscaleGui::cardAnnouncesAndFollows()
{
    DomainCard loop(DomainKind::Loop);
    QVERIFY(!loop.autoCheckBox()); // the loop is one thread: no controller to switch on
    QCOMPARE(loop.config().autoscale, AutoscaleConfig {});

    DomainCard card(DomainKind::Tbb);
    card.resize(card.sizeHint());
    card.show();
    QVERIFY(QTest::qWaitForWindowExposed(&card));
    DomainConfig cfg;
    cfg.workers = 3;
    card.setConfig(cfg);
    card.setFileConfig(cfg);
    QSignalSpy announced(&card, &DomainCard::autoscaleRequested);
    QSignalSpy resized(&card, &DomainCard::workersRequested);

    // The switch acts at once, with what the card shows (the default max made explicit).
    clickCheckBox(card.autoCheckBox());
    QVERIFY(card.autoCheckBox()->isChecked());
    QCOMPARE(announced.count(), 1);
    auto a = announced.takeFirst().at(1).value<AutoscaleConfig>();
    QCOMPARE(a.policy, AutoscalePolicy::Queue);
    QCOMPARE(a.min, 1);
    QCOMPARE(a.max, 12); // 4 × 3 workers
    QCOMPARE(card.autoscaleText(), QStringLiteral("auto · queue 1–12"));
    QCOMPARE(card.findChild<QLabel *>(QStringLiteral("autoscaleText"))->text(), card.autoscaleText());
    QVERIFY(card.changedFromFile().contains(QStringLiteral("autoscale")));

    // Policy and bounds are announced once still, together.
    card.policyComboBox()->setCurrentIndex(card.policyComboBox()->findText(QStringLiteral("gradient")));
    card.autoMaxSpinBox()->setValue(32);
    QVERIFY(announced.isEmpty());
    QVERIFY(announced.wait(5 * DomainCard::kCoalesceMs));
    QCOMPARE(announced.count(), 1);
    a = announced.takeFirst().at(1).value<AutoscaleConfig>();
    QCOMPARE(a.policy, AutoscalePolicy::Gradient);
    QCOMPARE(a.max, 32);
    QCOMPARE(card.autoscaleText(), QStringLiteral("auto · gradient 1–32"));
    // min never passes max: raising it raises max along.
    card.autoMinSpinBox()->setValue(40);
    QCOMPARE(card.autoMaxSpinBox()->value(), 40);
    card.flushPending();
    QCOMPARE(announced.count(), 1);
    QCOMPARE(announced.takeFirst().at(1).value<AutoscaleConfig>().min, 40);
    card.autoMinSpinBox()->setValue(1);
    card.autoMaxSpinBox()->setValue(32);
    card.flushPending();
    announced.clear();

    // Auto on: the workers controls follow the controller's size; the configured size stays.
    DomainFrame f;
    f.workers = 7;
    card.setFigures(f, 0);
    QCOMPARE(card.workersSpinBox()->value(), 7);
    QCOMPARE(card.workersSlider()->value(), 7);
    QCOMPARE(card.config().workers, 3);
    QVERIFY(!card.changedFromFile().contains(QStringLiteral("workers")));
    QVERIFY(resized.isEmpty()); // following is not resizing
    // A resize by hand is announced against the size the pool has, and the frames let it be a moment.
    card.workersSpinBox()->setValue(9);
    card.flushPending();
    QCOMPARE(resized.count(), 1);
    QCOMPARE(resized.takeFirst().at(1).toInt(), 9);
    f.workers = 7; // a frame from before the engine took it
    card.setFigures(f, 0);
    QCOMPARE(card.workersSpinBox()->value(), 9);
    QCOMPARE(card.config().workers, 9);
    // A new run starts from the configured size.
    card.clearFigures();
    QCOMPARE(card.workersSpinBox()->value(), 9);

    // Locked for a replay: the switch too, saying why; unlocked, its own tooltip is back.
    const QString tip = card.autoCheckBox()->toolTip();
    card.setControlsLocked(QStringLiteral("a replay"));
    QVERIFY(!card.autoCheckBox()->isEnabled());
    QVERIFY(!card.autoMaxSpinBox()->isEnabled());
    QCOMPARE(card.autoCheckBox()->toolTip(), QStringLiteral("a replay"));
    card.setControlsLocked({});
    QVERIFY(card.autoCheckBox()->isEnabled());
    QVERIFY(card.autoMaxSpinBox()->isEnabled());
    QCOMPARE(card.autoCheckBox()->toolTip(), tip);

    // Off: announced once; the bounds grey out, the header text goes, the frames no longer steer.
    clickCheckBox(card.autoCheckBox());
    QCOMPARE(announced.count(), 1);
    QCOMPARE(announced.takeFirst().at(1).value<AutoscaleConfig>().policy, AutoscalePolicy::Off);
    QVERIFY(!card.autoMaxSpinBox()->isEnabled());
    QVERIFY(card.autoscaleText().isEmpty());
    f.workers = 2;
    card.setFigures(f, 0);
    QCOMPARE(card.workersSpinBox()->value(), 9);
}

void TestAutoscaleGui::plotsWorkersLine()
{
    Scenario s;
    s.duration = 10;
    TaskClass api;
    api.name = QStringLiteral("api");
    Stage handle;
    handle.name = QStringLiteral("handle");
    handle.domain = DomainKind::Threads;
    api.stages.push_back(handle);
    s.classes.push_back(api);
    LivePlots plots;
    plots.setScenario(s);
    const int sizes[] = { 2, 2, 5, 5, 3 };
    for (int i = 0; i < 5; ++i)
        plots.addFrame(frameWithThreads(0.05 * (i + 1), sizes[i]));
    LivePlot *tp = plots.throughputPlot();
    const int series = plots.workersSeries(DomainKind::Threads);
    QVERIFY(series >= 0);
    QCOMPARE(plots.workersSeries(DomainKind::Loop), -1); // not a pool
    QCOMPARE(plots.workersSeries(DomainKind::Tbb), -1); // running, but no stage goes there
    QVERIFY(plots.throughputSeries(DomainKind::Tbb) >= 0);
    QCOMPARE(tp->pointCount(series), 5);
    QCOMPARE(tp->maxValue(series), 5.0);
    QCOMPARE(tp->lastValue(series), 3.0);
    QCOMPARE(tp->seriesColor(series), tp->seriesColor(plots.throughputSeries(DomainKind::Threads)));

    // A policy set is a change: a labelled marker. The controller's resizes: light ticks only.
    plots.addEvent(
        RunEvent { 0.1, QStringLiteral("threads autoscale queue, 2–8 workers"), QStringLiteral("autoscale") });
    plots.addEvent(RunEvent {
        0.15, QStringLiteral("threads autoscale (queue): 2 → 5 workers, queue 9 > 2 × 2"), QStringLiteral("scale") });
    QCOMPARE(tp->markerLabels(), QStringList { QStringLiteral("threads: auto queue 2–8") });
    QCOMPARE(tp->lightMarkCount(), 1);
    QCOMPARE(tp->lightMarkTimes().front(), 0.15);
    QVERIFY(tp->lightMarkToolTip(0).contains(QStringLiteral("2 → 5 workers")));
    for (LivePlot *p : plots.plots())
        QCOMPARE(p->lightMarkCount(), 1);
    // A resize by hand afterwards reads from the controller's size.
    QCOMPARE(
        plots.describeEvent(RunEvent { 0.3, QStringLiteral("threads workers → 8"), QStringLiteral("resize") }).label,
        QStringLiteral("threads: 5 → 8 workers"));
    plots.setScenario(s); // a new run: no marks
    QCOMPARE(tp->lightMarkCount(), 0);
    QCOMPARE(plots.workersSeries(DomainKind::Threads), -1);
}

void TestAutoscaleGui::reportRows()
{
    QJsonObject threads { { QStringLiteral("workers"), 4 }, { QStringLiteral("completed"), 1000 },
        { QStringLiteral("worker_seconds"), 23.75 },
        { QStringLiteral("autoscale"),
            QJsonObject { { QStringLiteral("policy"), QStringLiteral("gradient") }, { QStringLiteral("resizes"), 14 },
                { QStringLiteral("worker_seconds"), 23.75 }, { QStringLiteral("workers_min"), 1 },
                { QStringLiteral("workers_max"), 12 } } } };
    QJsonObject tbb { { QStringLiteral("workers"), 2 }, { QStringLiteral("completed"), 10 },
        { QStringLiteral("worker_seconds"), 20.0 } };
    QJsonObject run { { QStringLiteral("schema"), QStringLiteral("hybridscope.run/1") },
        { QStringLiteral("duration_s"), 10.0 },
        { QStringLiteral("domains"),
            QJsonObject { { QStringLiteral("threads"), threads }, { QStringLiteral("tbb"), tbb } } } };
    const QString html = HtmlReport::build(run, {}, ReportMedium::Print).html;
    QVERIFY(html.contains(QStringLiteral("Worker-s")));
    // Domain, workers, then worker-s with one decimal.
    const auto cells = [](const QString &domain, const QString &workers, const QString &workerSeconds) {
        return QRegularExpression(QStringLiteral(">%1</td><td[^>]*>%2</td><td[^>]*>%3</td>")
                                      .arg(domain, workers, QRegularExpression::escape(workerSeconds)));
    };
    QVERIFY(html.contains(cells(QStringLiteral("threads"), QStringLiteral("4"), QStringLiteral("23.8"))));
    QVERIFY(html.contains(cells(QStringLiteral("tbb"), QStringLiteral("2"), QStringLiteral("20.0"))));
    QVERIFY(html.contains(QStringLiteral(">Autoscale<")));
    QVERIFY(html.contains(QStringLiteral("gradient · 14 resizes · 1–12 workers")));
    QCOMPARE(html.count(QStringLiteral("resizes ·")), 1); // tbb is not autoscaled
    QCOMPARE(HtmlReport::autoscaleText(
                 QJsonObject { { QStringLiteral("policy"), QStringLiteral("queue") }, { QStringLiteral("resizes"), 1 },
                     { QStringLiteral("workers_min"), 2 }, { QStringLiteral("workers_max"), 3 } }),
        QStringLiteral("queue · 1 resize · 2–3 workers"));
    // A report from before worker_seconds: a dash, no autoscale table.
    run[QStringLiteral("domains")] = QJsonObject { { QStringLiteral("tbb"),
        QJsonObject { { QStringLiteral("workers"), 2 }, { QStringLiteral("completed"), 10 } } } };
    const QString old = HtmlReport::build(run, {}, ReportMedium::Print).html;
    QVERIFY(old.contains(cells(QStringLiteral("tbb"), QStringLiteral("2"), QStringLiteral("—"))));
    QVERIFY(!old.contains(QStringLiteral("resizes ·")));
    QVERIFY(!old.contains(QStringLiteral(">Autoscale<")));
}

void TestAutoscaleGui::liveRun()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    MainWindow w;
    w.resize(1600, 1000);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    DomainCard *card = w.domainCard(DomainKind::Threads);

    // A scenario with an autoscale block: the card shows it.
    QVERIFY(w.openScenario(writeFile(dir, QStringLiteral("autoscaled.yaml"), kAutoscaledYaml)));
    QVERIFY(card->autoCheckBox()->isChecked());
    QCOMPARE(card->autoscaleText(), QStringLiteral("auto · gradient 1–12"));
    QCOMPARE(card->config().autoscale.interval, 0.5);
    QVERIFY(card->changedFromFile().isEmpty());

    // The bursty one without: Auto is off until switched on, during the run.
    QVERIFY(w.openScenario(writeFile(dir, QStringLiteral("bursty.yaml"), kBurstyYaml)));
    QVERIFY(!card->autoCheckBox()->isChecked());
    QVERIFY(card->autoscaleText().isEmpty());
    QSignalSpy started(w.controller(), &EngineController::started);
    QSignalSpy applied(w.controller(), &EngineController::autoscaleApplied);
    QSignalSpy failed(w.controller(), &EngineController::domainCommandFailed);
    QSignalSpy frames(w.controller(), &EngineController::frameReady);
    QSignalSpy events(w.controller(), &EngineController::eventAdded);
    QSignalSpy finished(w.controller(), &EngineController::finished);
    w.run();
    QVERIFY(started.wait(kStartBoundMs));

    QVERIFY(card->autoCheckBox()->isEnabled());
    clickCheckBox(card->autoCheckBox());
    QVERIFY(card->autoCheckBox()->isChecked());
    QCOMPARE(card->policyComboBox()->currentText(), QStringLiteral("queue"));
    QCOMPARE(w.scenario().domain(DomainKind::Threads).autoscale.policy, AutoscalePolicy::Queue);
    QTRY_VERIFY_WITH_TIMEOUT(!applied.isEmpty() || !failed.isEmpty(), kStartBoundMs);
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(1).toString()));
    const auto engineCfg = applied.first().at(1).value<AutoscaleConfig>();
    QCOMPARE(applied.first().at(0).value<DomainKind>(), DomainKind::Threads);
    QCOMPARE(engineCfg.policy, AutoscalePolicy::Queue);
    QCOMPARE(engineCfg.min, 1);
    QCOMPARE(engineCfg.max, 8); // the card's default for 2 workers, made explicit

    // The bursts make the controller grow the pool: frames, the card and the plot show it.
    const auto threadsWorkers = [](const QList<QVariant> &args) {
        return args.at(0).value<Frame>().domains[std::size_t(DomainKind::Threads)].workers;
    };
    const auto grew = [&] {
        return std::any_of(frames.cbegin(), frames.cend(), [&](const auto &args) { return threadsWorkers(args) > 2; });
    };
    QTRY_VERIFY_WITH_TIMEOUT(grew(), kGrowBoundMs);
    LivePlot *tp = w.plots()->throughputPlot();
    const int series = w.plots()->workersSeries(DomainKind::Threads);
    QVERIFY(series >= 0);
    QVERIFY(tp->pointCount(series) >= frames.count() - 2); // a point a frame (the last may be on its way)
    QVERIFY2(tp->maxValue(series) > 2, qPrintable(QString::number(tp->maxValue(series))));
    QTRY_VERIFY_WITH_TIMEOUT(tp->markerLabels().contains(QStringLiteral("threads: auto queue 1–8")), kGrowBoundMs);
    QCOMPARE(card->config().workers, 2); // the configured size; the controls show the controller's

    // HS_SCREENSHOT_DIR=DIR: the window with Auto on and the controller at work, at 1600×1000.
    if (const QString shots = qEnvironmentVariable("HS_SCREENSHOT_DIR"); !shots.isEmpty()) {
        w.resize(1600, 1000); // the offscreen screen may have held the first size smaller
        const qsizetype seen = frames.count();
        QTRY_VERIFY_WITH_TIMEOUT(frames.count() >= seen + 6, kGrowBoundMs); // laid out, the plots caught up
        QCOMPARE(w.size(), QSize(1600, 1000));
        QVERIFY(w.grab().save(QStringLiteral("%1/autoscale-1600x1000.png").arg(shots)));
    }

    QVERIFY(finished.wait(kFinishBoundMs));
    // The controller's resizes came as "scale" events: light ticks, not markers.
    const bool scaled = std::any_of(events.cbegin(), events.cend(),
        [](const auto &args) { return args.at(0).template value<RunEvent>().kind == QLatin1String("scale"); });
    QVERIFY(scaled);
    QVERIFY(tp->lightMarkCount() >= 1);
    for (const QString &label : tp->markerLabels())
        QVERIFY2(!label.contains(QStringLiteral("(auto)")), qPrintable(label));

    const RunResult &r = w.controller()->lastResult();
    const DomainResult &d = r.domains[std::size_t(DomainKind::Threads)];
    QVERIFY(d.autoscale);
    QCOMPARE(d.autoscale->policy, AutoscalePolicy::Queue);
    QVERIFY(d.autoscale->resizes >= 1);
    QVERIFY(d.autoscale->workersMax > 2);
    const QJsonObject run = runToJson(r);
    const QString html = HtmlReport::build(run, {}, ReportMedium::Browser).html;
    QVERIFY(html.contains(QStringLiteral("Worker-s")));
    const QString row = HtmlReport::autoscaleText(run.value(QStringLiteral("domains"))
                                                      .toObject()
                                                      .value(QStringLiteral("threads"))
                                                      .toObject()
                                                      .value(QStringLiteral("autoscale"))
                                                      .toObject());
    QVERIFY2(row.startsWith(QStringLiteral("queue · ")), qPrintable(row));
    QVERIFY2(html.contains(row), qPrintable(row));
}

QTEST_MAIN(TestAutoscaleGui)
#include "tst_autoscalegui.moc"
