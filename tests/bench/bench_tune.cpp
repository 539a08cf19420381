// How many engine points `tune` needs, and its wall time, against an exhaustive sweep of the same
// space that finds the same answer (issue 14). Both run on the real engine, in this one process,
// one after the other:
//
//   1. one pool: M/M/c on the thread pool (λ 350/s, exp(10 ms) blocking calls, P99 SLA 70 ms);
//      Erlang C says 5 workers. The sweep scans threads = LO..MAX (MAX from --max, default 16; the
//      tune's own space goes up to 64, so the sweep's space is the smaller one).
//   2. two pools: the same class on threads and a second class on procs (λ 250/s, exp(10 ms)
//      blocking calls in worker processes, SLA 75 ms: Erlang C says 4); the sweep is the grid
//      threads 4..8 × procs 3..7.
//
// The answer of a sweep is its cheapest point that met every SLA (fewest workers in all). The
// tune's answer should be the same; its points and wall time are reported as a ratio to the sweep's.
//
//   bench_tune [--duration S] [--max N]       (the worker: $HS_WORKER, else ../../app)

#include "scenario/scenarioparser.h"
#include "tuning/sweeprunner.h"
#include "tuning/tuner.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>

#include <cstdio>
#include <optional>

using namespace hs;

namespace {

const QByteArray kOnePool = R"(name: bench one pool
duration: 10s
seed: 5
sla: { p99: 70ms }
domains:
  threads: { workers: 16 }
classes:
  - name: call
    arrival: { process: poisson, rate: 350/s }
    stages:
      - { name: wait, work: block, time: exp(10ms), domain: threads }
)";

const QByteArray kTwoPools = R"(name: bench two pools
duration: 10s
seed: 5
domains:
  threads: { workers: 16 }
  procs: { workers: 8 }
classes:
  - name: call
    sla: { p99: 70ms }
    arrival: { process: poisson, rate: 350/s }
    stages:
      - { name: wait, work: block, time: exp(10ms), domain: threads }
  - name: render
    sla: { p99: 75ms }
    arrival: { process: poisson, rate: 250/s }
    stages:
      - { name: draw, work: block, time: exp(10ms), domain: procs }
)";

struct Answer {
    int points = 0;
    double wallS = 0;
    std::optional<Workers> best;
};

QString text(const std::optional<Workers> &w)
{
    if (!w)
        return QStringLiteral("none");
    return sweepValuesText(Tuner::workerValues(*w));
}

Answer exhaustive(const Scenario &s, const std::vector<std::pair<DomainKind, std::pair<int, int>>> &space,
    double duration, double warmup)
{
    Answer a;
    QElapsedTimer t;
    t.start();
    SweepRunner runner;
    // Every combination of the ranges, in order.
    std::vector<Workers> points { Workers {} };
    for (const auto &[d, range] : space) {
        std::vector<Workers> next;
        for (const Workers &w : points)
            for (int n = range.first; n <= range.second; ++n) {
                Workers x = w;
                x[std::size_t(d)] = n;
                next.push_back(x);
            }
        points = std::move(next);
    }
    for (const Workers &w : points) {
        QString error;
        const auto p = runner.runPoint(Tuner::withWorkers(s, w), Tuner::workerValues(w), duration, warmup, 1, &error);
        if (!p) {
            std::fprintf(stderr, "bench_tune: %s\n", qPrintable(error));
            std::exit(2);
        }
        ++a.points;
        std::fprintf(stderr, "  sweep %s: %s\n", qPrintable(text(w)), p->allSlasMet() ? "met" : "missed");
        if (p->allSlasMet() && (!a.best || TuneSearch::cost(w) < TuneSearch::cost(*a.best)))
            a.best = w;
    }
    a.wallS = double(t.nsecsElapsed()) / 1e9;
    return a;
}

Answer tune(const Scenario &s, double duration, double warmup)
{
    Answer a;
    Tuner tuner;
    TuneOptions o;
    o.budgetS = 3600;
    o.durationS = duration;
    o.warmupS = warmup;
    tuner.onPoint = [](const TunePoint &p) {
        std::fprintf(stderr, "  tune %s: %s (%s)\n", qPrintable(text(p.workers)), p.verdict.allMet ? "met" : "missed",
            qPrintable(p.why));
    };
    QString error;
    const auto r = tuner.run(s, 1.0, o, &error);
    if (!r) {
        std::fprintf(stderr, "bench_tune: %s\n", qPrintable(error));
        std::exit(2);
    }
    a.points = int(r->evaluated.size());
    a.wallS = r->wallS;
    if (r->best)
        a.best = r->evaluated[*r->best].workers;
    return a;
}

Scenario parse(const QByteArray &yaml)
{
    const ParseResult r = ScenarioParser::parseText(yaml, QStringLiteral("<bench>"));
    if (!r.ok()) {
        std::fprintf(stderr, "bench_tune: %s\n", qPrintable(r.errors.front().toString()));
        std::exit(2);
    }
    return *r.scenario;
}

void report(const char *name, const Answer &t, const Answer &s)
{
    std::printf("%-10s  tune: %2d points %6.1f s -> %-50s\n", name, t.points, t.wallS, qPrintable(text(t.best)));
    std::printf("%-10s  sweep: %2d points %6.1f s -> %-50s\n", "", s.points, s.wallS, qPrintable(text(s.best)));
    std::printf("%-10s  tune / sweep: points %.2f, wall %.2f; same answer: %s\n", "", double(t.points) / s.points,
        t.wallS / s.wallS, t.best == s.best ? "yes" : "NO");
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    double duration = 5.0; // 4 s measured: 1000+ tasks per class, enough to bound a P99 from above
    int max = 16;
    const QStringList args = app.arguments().mid(1);
    for (int i = 0; i + 1 < args.size(); i += 2) {
        if (args[i] == QLatin1String("--duration"))
            duration = args[i + 1].toDouble();
        else if (args[i] == QLatin1String("--max"))
            max = args[i + 1].toInt();
    }
    if (duration <= 0.5 || max < 6) {
        std::fprintf(stderr, "usage: bench_tune [--duration S (> 0.5)] [--max N (>= 6)]\n");
        return 2;
    }
    if (qEnvironmentVariableIsEmpty("HS_WORKER"))
        qputenv("HS_WORKER",
            QFileInfo(QCoreApplication::applicationDirPath() + QStringLiteral("/../../app/hybridscope-worker"))
                .absoluteFilePath()
                .toLocal8Bit());
    const double warmup = std::min(1.0, duration / 3);
    std::printf("bench_tune: each point %.1f s (first %.1f s discarded), 1 rep\n", duration, warmup);

    const Scenario one = parse(kOnePool);
    const Answer t1 = tune(one, duration, warmup);
    const Answer s1 = exhaustive(one, { { DomainKind::Threads, { 4, max } } }, duration, warmup);
    report("one pool", t1, s1);

    const Scenario two = parse(kTwoPools);
    const Answer t2 = tune(two, duration, warmup);
    const Answer s2 = exhaustive(
        two, { { DomainKind::Threads, { 4, std::min(max, 8) } }, { DomainKind::Procs, { 3, 7 } } }, duration, warmup);
    report("two pools", t2, s2);
    return t1.best == s1.best && t2.best == s2.best ? 0 : 1;
}
