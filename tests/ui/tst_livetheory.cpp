// The live theory overlay (issue 14): LiveTheory on made-up phases (Erlang C figures, the reasons
// a model does not apply, the sliding window, settling, the GIL), the domain card's theory line and
// the queue plot's dashed predicted line, then a real run of the mm2 built-in in the window, and the
// theory table in the report the PDF is rendered from.

#include "core/latencyhistogram.h"
#include "domaincard.h"
#include "enginecontroller.h"
#include "htmlreport.h"
#include "liveplot.h"
#include "liveplots.h"
#include "livetheory.h"
#include "mainwindow.h"
#include "reportwriter.h"
#include "results/report.h"
#include "results/theory.h"

#include <QSignalSpy>
#include <QTest>

#include <cmath>
#include <memory>
#include <random>

using namespace hs;

namespace {
constexpr int kStartBoundMs = 20000;
constexpr int kFinishBoundMs = 40000;

// A domain's counters as the engine keeps them, fed segment by segment: Poisson arrivals at a rate,
// exponential (or fixed) service, each stage waiting or not by a coin with the given odds.
class DomainRecorder {
public:
    explicit DomainRecorder(int workers, std::uint64_t seed = 7)
        : m_rng(seed)
    {
        m_t.workers = workers;
    }
    void segment(double lambda, double meanS, double spanS, double pWait = 0.5, double waitS = 0.01)
    {
        std::exponential_distribution<double> service(1.0 / meanS), wait(1.0 / waitS);
        std::bernoulli_distribution waits(pWait);
        const auto n = std::uint64_t(std::llround(lambda * spanS));
        for (std::uint64_t i = 0; i < n; ++i) {
            const double s = service(m_rng);
            m_service.record(std::int64_t(s * 1e9));
            m_t.busyNs += s * 1e9;
            const bool w = waits(m_rng);
            const double q = w ? wait(m_rng) : 0.0;
            m_wait.record(std::int64_t(q * 1e9));
            m_t.queueNs += q * 1e9;
            m_t.waited += w ? 1 : 0;
        }
        m_t.admitted += n;
        m_t.completed += n;
        m_t.spanNs += spanS * 1e9;
        m_t.capacityNs += m_t.workers * spanS * 1e9;
    }
    // The totals since the phase's figures started (what an open PhaseResult carries).
    DomainTotals totals() const
    {
        DomainTotals t = m_t;
        t.service = m_service.snapshot();
        t.wait = m_wait.snapshot();
        t.utilization = t.capacityNs > 0 ? t.busyNs / t.capacityNs : 0;
        t.queueMean = t.spanNs > 0 ? t.queueNs / t.spanNs : 0;
        t.pWait = t.admitted ? double(t.waited) / double(t.admitted) : 0;
        return t;
    }

private:
    std::mt19937_64 m_rng;
    LatencyHistogram m_service, m_wait;
    DomainTotals m_t;
};

// One class feeding the threads pool with one stage.
Scenario scenario(WorkKind work, int workers, ArrivalProcess process = ArrivalProcess::Poisson, double rate = 150)
{
    Scenario s;
    s.name = QStringLiteral("synthetic");
    s.domain(DomainKind::Threads).workers = workers;
    TaskClass c;
    c.name = QStringLiteral("request");
    c.arrival.process = process;
    c.arrival.rate = rate;
    c.arrival.clients = process == ArrivalProcess::Closed ? 10 : 0;
    Stage st;
    st.name = QStringLiteral("serve");
    st.work = work;
    st.domain = DomainKind::Threads;
    c.stages.push_back(st);
    s.classes.push_back(c);
    return s;
}

// The open phase from `fromS`, settled after `settleS`, up to `toS`, with the threads pool's totals.
PhaseResult phase(const Scenario &config, double fromS, double settleS, double toS, const DomainTotals *threads)
{
    PhaseResult p;
    p.fromS = fromS;
    p.settleS = settleS;
    p.toS = toS;
    p.settled = threads != nullptr;
    p.open = true;
    p.change = fromS > 0 ? QStringLiteral("threads workers → 2") : QStringLiteral("start");
    p.config = std::make_shared<const Scenario>(config);
    for (DomainKind d : kAllDomains)
        p.domains[std::size_t(d)].kind = d;
    if (threads) {
        DomainResult &r = p.domains[std::size_t(DomainKind::Threads)];
        r.used = true;
        r.totals = *threads;
    }
    return p;
}

Frame frame(double t, int gilWaiting = 0)
{
    Frame f;
    f.t = t;
    f.gilWaiting = gilWaiting;
    f.domains[std::size_t(DomainKind::Threads)].workers = 2;
    return f;
}
} // namespace

class TestLiveTheory : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void predicts_data();
    void predicts();
    void slidingWindow();
    void settlingAfterChange();
    void gilContention();
    void cardAndPlot();
    void liveRun();
};

void TestLiveTheory::predicts_data()
{
    QTest::addColumn<double>("lambda");
    QTest::addColumn<int>("workers");
    QTest::addColumn<int>("work");
    QTest::addColumn<int>("process");
    QTest::addColumn<bool>("applies");
    QTest::addColumn<QString>("says"); // in the model's name when it applies, else in the reason

    const int block = int(WorkKind::Block), cpu = int(WorkKind::Cpu);
    const int poisson = int(ArrivalProcess::Poisson), closed = int(ArrivalProcess::Closed);
    QTest::newRow("M/M/2") << 150.0 << 2 << block << poisson << true << QStringLiteral("M/M/c (Erlang C)");
    QTest::newRow("overloaded") << 250.0 << 2 << block << poisson << false << QStringLiteral("overloaded: U = 1.");
    QTest::newRow("oversubscribed") << 50.0 << 8 << cpu << poisson << false
                                    << QStringLiteral("CPU oversubscribed: 8 workers on 2 cores");
    QTest::newRow("closed loop") << 50.0 << 2 << block << closed << false << QStringLiteral("closed-loop arrivals");
}

// λ and E[S] measured over the window give the model's figures: for 150/s, 10 ms and two workers
// Erlang C says 64 % wait, 12.9 ms on average (scenarios/mm2.yaml).
void TestLiveTheory::predicts()
{
    QFETCH(double, lambda);
    QFETCH(int, workers);
    QFETCH(int, work);
    QFETCH(int, process);
    QFETCH(bool, applies);
    QFETCH(QString, says);

    const Scenario cfg = scenario(WorkKind(work), workers, ArrivalProcess(process), lambda);
    DomainRecorder rec(workers);
    rec.segment(lambda, 0.010, 20.0);
    const DomainTotals t = rec.totals();
    LiveTheory theory(2);
    theory.addFrame(frame(20.0));
    QVERIFY(theory.addPhases({ phase(cfg, 0, 1.0, 21.0, &t) }));
    QVERIFY(theory.hasWindow());
    QVERIFY(theory.waiting().isEmpty());
    QCOMPARE(theory.windowFrom(), 1.0);
    QCOMPARE(theory.windowTo(), 21.0);
    QVERIFY(!theory.domain(DomainKind::Loop)); // not running
    const auto &d = theory.domain(DomainKind::Threads);
    QVERIFY(d);
    QCOMPARE(d->predicted.applies, applies);
    QCOMPARE(d->input.workers, workers);
    QCOMPARE(d->input.cores, 2);
    QVERIFY(std::abs(d->input.arrivalRate - lambda) < 0.01 * lambda);
    QVERIFY(std::abs(d->measuredUtilization - t.utilization) < 1e-9);
    if (applies) {
        QCOMPARE(d->predicted.model, says);
        QVERIFY2(std::abs(d->input.serviceScv - 1) < theory::kScvTolerance,
            qPrintable(QString::number(d->input.serviceScv)));
        // Exactly Erlang C on what was measured, and close to the textbook figures.
        const theory::Prediction e = theory::mmc(d->input.arrivalRate, d->input.serviceMeanS, workers);
        QCOMPARE(d->predicted.pWait, e.pWait);
        QCOMPARE(d->predicted.waitMeanS, e.waitMeanS);
        QVERIFY2(std::abs(d->predicted.pWait - 0.643) < 0.03, qPrintable(QString::number(d->predicted.pWait)));
        QVERIFY2(
            std::abs(d->predicted.waitMeanS - 0.0129) < 0.0015, qPrintable(QString::number(d->predicted.waitMeanS)));
        QVERIFY(std::abs(d->predicted.queueMean - d->input.arrivalRate * d->predicted.waitMeanS) < 1e-9);
    } else {
        QVERIFY2(d->predicted.why.contains(says), qPrintable(d->predicted.why));
    }
}

// Past kWindowS the figures are those of the last seconds only: a rate that tripled shows at once.
void TestLiveTheory::slidingWindow()
{
    const Scenario cfg = scenario(WorkKind::Block, 2);
    DomainRecorder rec(2);
    LiveTheory theory(2);
    theory.addFrame(frame(1.0));
    // Settled at 1 s; 50/s until 6.5 s, then 150/s; the engine publishes twice a second.
    double t = 1.0;
    while (t < 11.49) {
        const double next = t + 0.5;
        rec.segment(next <= 6.5 ? 50.0 : 150.0, 0.010, 0.5);
        t = next;
        const DomainTotals totals = rec.totals();
        // Figures once 1 s was measured, new ones at every snapshot from then on.
        QCOMPARE(theory.addPhases({ phase(cfg, 0, 1.0, t, &totals) }), t >= 2.0);
    }
    QCOMPARE(theory.windowTo(), 11.5);
    QCOMPARE(theory.windowFrom(), 6.5);
    const auto &d = theory.domain(DomainKind::Threads);
    QVERIFY(d);
    QVERIFY2(std::abs(d->input.arrivalRate - 150) < 1, qPrintable(QString::number(d->input.arrivalRate)));
    QVERIFY(std::abs(d->input.serviceMeanS - 0.010) < 0.001);
    QVERIFY(d->predicted.applies);
    // Over the whole phase the rate would be (5.5 s × 50 + 5 s × 150) / 10.5 s = 97.6/s.
    const DomainTotals whole = rec.totals();
    QVERIFY(std::abs(double(whole.admitted) / (whole.spanNs / 1e9) - 97.6) < 0.1);
}

// A live change starts a new phase: no figures (and no line) until it settles, then its own only.
void TestLiveTheory::settlingAfterChange()
{
    const Scenario cfg = scenario(WorkKind::Block, 2);
    DomainRecorder before(2), after(4, 11);
    before.segment(150, 0.010, 8.0);
    const DomainTotals b = before.totals();
    LiveTheory theory(2);
    theory.addFrame(frame(9.0));
    QVERIFY(theory.addPhases({ phase(cfg, 0, 1.0, 9.0, &b) }));
    QVERIFY(theory.hasWindow());
    PhaseResult closed = phase(cfg, 0, 1.0, 9.0, &b);
    closed.open = false;
    Scenario four = cfg;
    four.domain(DomainKind::Threads).workers = 4;
    QVERIFY(theory.addPhases({ closed, phase(four, 9.0, 0.6, 9.6, nullptr) })); // changed: figures gone
    QVERIFY(!theory.hasWindow());
    QVERIFY(!theory.domain(DomainKind::Threads));
    QVERIFY2(
        theory.waiting().contains(QStringLiteral("settling after the change at 9.0 s")), qPrintable(theory.waiting()));
    QVERIFY(!theory.addPhases({ closed, phase(four, 9.0, 0.6, 9.6, nullptr) })); // nothing new
    // Settled at 10.2 s: 0.3 s measured is too little, 2 s is enough.
    after.segment(150, 0.010, 0.3);
    DomainTotals a = after.totals();
    theory.addPhases({ closed, phase(four, 9.0, 1.2, 10.5, &a) });
    QVERIFY(!theory.hasWindow());
    QVERIFY2(theory.waiting().startsWith(QStringLiteral("collecting")), qPrintable(theory.waiting()));
    after.segment(150, 0.010, 1.7);
    a = after.totals();
    QVERIFY(theory.addPhases({ closed, phase(four, 9.0, 1.2, 12.2, &a) }));
    QVERIFY(theory.hasWindow());
    QCOMPARE(theory.windowFrom(), 10.2);
    const auto &d = theory.domain(DomainKind::Threads);
    QVERIFY(d);
    QCOMPARE(d->input.workers, 4);
    QVERIFY(d->predicted.applies);
    QVERIFY(d->predicted.utilization < 0.5); // 1.5 Erlangs on four workers, not two
}

// cpu stages on two threads under the GIL: contended when a frame of the window saw a waiter.
void TestLiveTheory::gilContention()
{
    Scenario cfg = scenario(WorkKind::Cpu, 2, ArrivalProcess::Poisson, 50);
    cfg.gilEnabled = true;
    DomainRecorder rec(2);
    rec.segment(50, 0.010, 4.0);
    const DomainTotals t = rec.totals();
    for (const int waiting : { 1, 0 }) {
        LiveTheory theory(8);
        theory.addFrame(frame(2.0, waiting));
        theory.addFrame(frame(4.0, 0));
        QVERIFY(theory.addPhases({ phase(cfg, 0, 1.0, 5.0, &t) }));
        const auto &d = theory.domain(DomainKind::Threads);
        QVERIFY(d);
        QCOMPARE(d->predicted.applies, waiting == 0);
        if (waiting)
            QVERIFY2(d->predicted.why.startsWith(QStringLiteral("GIL contention")), qPrintable(d->predicted.why));
    }
    // A waiter before the window does not count.
    LiveTheory theory(8);
    theory.addFrame(frame(0.5, 1));
    QVERIFY(theory.addPhases({ phase(cfg, 0, 1.0, 5.0, &t) }));
    QVERIFY(theory.domain(DomainKind::Threads)->predicted.applies);
}

// The card shows measured / predicted with the model, or the reason; the queue plot gets a dashed
// line in the domain's colour where the model applies and a gap where it stops applying.
void TestLiveTheory::cardAndPlot()
{
    const Scenario cfg = scenario(WorkKind::Block, 2);
    DomainCard card(DomainKind::Threads);
    LivePlots plots;
    plots.setScenario(cfg);
    QVERIFY(card.theoryText().startsWith(QStringLiteral("theory: ")));
    QVERIFY(!card.theoryText().contains(QLatin1Char('/')));

    DomainRecorder rec(2);
    rec.segment(150, 0.010, 20.0);
    const DomainTotals t = rec.totals();
    plots.addFrame(frame(21.0)); // the domain's series appear with its first frame
    QCOMPARE(plots.predictedQueueSeries(DomainKind::Threads), -1);
    plots.addPhases({ phase(cfg, 0, 1.0, 21.0, &t) });
    card.setTheory(plots.theory());
    const auto &d = plots.theory().domain(DomainKind::Threads);
    QVERIFY(d && d->predicted.applies);
    const QString text = card.theoryText();
    QVERIFY2(text.startsWith(QStringLiteral("theory M/M/c (Erlang C): measured/predicted: util % ")), qPrintable(text));
    const QString pWait
        = QStringLiteral("P(wait) %1/%2")
              .arg(QString::number(d->measuredPWait, 'f', 2), QString::number(d->predicted.pWait, 'f', 2));
    QVERIFY2(text.contains(pWait), qPrintable(text + QStringLiteral(" lacks ") + pWait));
    const auto ms = [](double s) { return QString::number(s * 1e3, 'f', s < 0.01 ? 2 : s < 0.1 ? 1 : 0); };
    QVERIFY2(text.contains(QStringLiteral("wait ms %1/%2").arg(ms(d->measuredWaitMeanS), ms(d->predicted.waitMeanS))),
        qPrintable(text));

    LivePlot *queue = plots.queuePlot();
    const int s = plots.predictedQueueSeries(DomainKind::Threads);
    QVERIFY(s >= 0);
    QCOMPARE(queue->seriesName(s), QStringLiteral("threads predicted"));
    QCOMPARE(queue->seriesColor(s), queue->seriesColor(plots.queueSeries(DomainKind::Threads)));
    QCOMPARE(queue->pointCount(s), 1);
    QCOMPARE(queue->lastValue(s), d->predicted.queueMean);
    QVERIFY(queue->title().contains(QStringLiteral("predicted")));
    QVERIFY(queue->valuesAt(21.0).contains(QStringLiteral("threads predicted")));
    QCOMPARE(plots.predictedQueueSeries(DomainKind::Tbb), -1);

    // Overloaded from 21 s on: the card says why instead of figures, the line has a gap.
    rec.segment(400, 0.010, 6.0);
    const DomainTotals over = rec.totals();
    plots.addPhases({ phase(cfg, 0, 1.0, 27.0, &over) });
    card.setTheory(plots.theory());
    QVERIFY2(card.theoryText().startsWith(QStringLiteral("theory: M/M/c (Erlang C) does not apply: overloaded: U = ")),
        qPrintable(card.theoryText()));
    QCOMPARE(queue->pointCount(s), 2);
    QVERIFY(std::isnan(queue->lastValue(s)));

    // A new run: no line, no figures.
    plots.setScenario(cfg);
    card.clearFigures();
    QCOMPARE(plots.predictedQueueSeries(DomainKind::Threads), -1);
    QVERIFY(!plots.theory().hasWindow());
    QVERIFY(!card.theoryText().contains(QLatin1Char('/')));
}

// The mm2 built-in for real: the threads card shows a predicted figure, the queue plot the dashed
// line; the finished run's report (the HTML the PDF is rendered from) has the theory table.
void TestLiveTheory::liveRun()
{
    MainWindow w;
    w.resize(1280, 720);
    w.show();
    QVERIFY(w.openScenario(QStringLiteral("mm2")));
    QSignalSpy phases(w.controller(), &EngineController::phasesUpdated);
    w.run();
    DomainCard *card = w.domainCard(DomainKind::Threads);
    LivePlots *plots = w.plots();
    // 3 s measured: about 450 stages, so the estimates below are within a few percent.
    QVERIFY2(QTest::qWaitFor(
                 [&] {
                     return plots->predictedQueueSeries(DomainKind::Threads) >= 0
                         && card->theoryText().contains(QLatin1Char('/'))
                         && plots->theory().windowTo() - plots->theory().windowFrom() >= 3;
                 },
                 kStartBoundMs),
        qPrintable(card->theoryText()));
    const QString text = card->theoryText();
    QVERIFY2(
        text.contains(QStringLiteral("Erlang C")) || text.contains(QStringLiteral("Allen–Cunneen")), qPrintable(text));
    const auto &d = plots->theory().domain(DomainKind::Threads);
    QVERIFY(d && d->predicted.applies);
    // 150/s of 10 ms on two workers: U = 0.75, give or take what 3 s measure (about 0.05).
    QVERIFY2(d->predicted.utilization > 0.6 && d->predicted.utilization < 0.9, qPrintable(text));
    QVERIFY2(std::abs(d->measuredUtilization - d->predicted.utilization) < 0.1, qPrintable(text));
    const int s = plots->predictedQueueSeries(DomainKind::Threads);
    QVERIFY(plots->queuePlot()->pointCount(s) >= 1);
    QVERIFY(plots->queuePlot()->lastValue(s) > 0);
    // No stage runs on the loop: its card has no theory line.
    QVERIFY(!w.domainCard(DomainKind::Loop)->isUsed());
    QVERIFY(w.domainCard(DomainKind::Loop)->theoryText().isEmpty());

    // HS_SCREENSHOT_DIR=DIR: the overlay a few seconds on, at two sizes (docs/images/theory-overlay.png).
    if (const QString shots = qEnvironmentVariable("HS_SCREENSHOT_DIR"); !shots.isEmpty()) {
        QSignalSpy frames(w.controller(), &EngineController::frameReady);
        QVERIFY(QTest::qWaitFor(
            [&] { return !frames.isEmpty() && frames.last().at(0).value<Frame>().t > 8; }, kStartBoundMs));
        for (const QSize size : { QSize(1600, 1000), QSize(1280, 720) }) {
            w.resize(size);
            QTest::qWait(600); // let a frame or two and the phases arrive at the new size
            w.grab().save(
                QStringLiteral("%1/theory-overlay-%2x%3.png").arg(shots).arg(size.width()).arg(size.height()));
        }
    }

    w.controller()->cancelNow();
    QTRY_VERIFY_WITH_TIMEOUT(!w.controller()->hasEngine(), kFinishBoundMs);
    QVERIFY(w.controller()->hasResult());
    const QJsonObject run = runToJson(w.controller()->lastResult());
    const ReportHtml print = HtmlReport::build(run, {}, ReportMedium::Print);
    QVERIFY(print.html.contains(QStringLiteral("Theory: measured / predicted")));
    QVERIFY(print.html.contains(QStringLiteral("M/M/c (Erlang C)"))
        || print.html.contains(QStringLiteral("Allen–Cunneen")));
    QVERIFY(ReportWriter::renderRun(run, ReportWriter::Format::Pdf).startsWith("%PDF"));
}

QTEST_MAIN(TestLiveTheory)
#include "tst_livetheory.moc"
