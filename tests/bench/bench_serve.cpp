// What serving a run costs the engine (issue 17): one scenario run in turns, in one process,
//
//   none     the engine alone;
//   serve    the engine with the server listening (frames and events reach its thread, nobody asks);
//   clients  the server with two /live clients attached (each parses every message, as the GUI
//            does) and a /metrics scrape every second,
//
// reporting per configuration the engine's completed tasks per second and its loop lag P99 (the
// whole run's), with the ratios against `none` measured in the same invocation. The configurations
// take turns rep by rep, so a load spike on the machine hits all of them alike.
//
//   bench_serve [--seconds S] [--reps R]       (defaults: 5 s, 3 reps)
//
// The scenario keeps one core busy with a closed loop of 100 us `cpu` stages on one tbb worker
// (throughput shows CPU taken by anything else) and runs 1 ms `async` stages on the loop at 500/s
// (loop lag shows a thread that competes with the loop's).

#include "results/runresult.h"
#include "run/engine.h"
#include "scenario/scenarioparser.h"
#include "serve/server.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTimer>
#include <QWebSocket>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

namespace {

const char *kScenario = "name: serve bench\n"
                        "seed: 1\n"
                        "domains:\n"
                        "  tbb: { workers: 1 }\n"
                        "classes:\n"
                        "  - name: crunch\n"
                        "    arrival: { process: closed, clients: 4, think: 0 }\n"
                        "    stages:\n"
                        "      - { name: work, work: cpu, time: 100us, domain: tbb }\n"
                        "  - name: tick\n"
                        "    arrival: { process: poisson, rate: 500/s }\n"
                        "    stages:\n"
                        "      - { name: wait, work: async, time: 1ms, domain: loop }\n";

enum class Config { None, Serve, Clients };
const char *name(Config c)
{
    return c == Config::None ? "none" : c == Config::Serve ? "serve" : "clients";
}

struct Sample {
    double throughput = 0; // completed tasks per second
    double lagP99Ms = 0;
    double framesPerClientPerS = 0;
    std::uint64_t dropped = 0;
    std::uint64_t scrapes = 0;
    bool conserved = false;
};

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

Sample runOnce(const hs::Scenario &scenario, Config config)
{
    hs::Engine engine(scenario);
    std::unique_ptr<hs::Server> server;
    if (config != Config::None) {
        server = std::make_unique<hs::Server>(engine, hs::ServeOptions {});
        QString why;
        if (!server->listen(&why)) {
            std::fprintf(stderr, "bench_serve: %s\n", qPrintable(why));
            std::exit(1);
        }
    }
    QString error;
    if (!engine.start(&error)) {
        std::fprintf(stderr, "bench_serve: %s\n", qPrintable(error));
        std::exit(1);
    }
    std::vector<std::unique_ptr<QWebSocket>> clients;
    std::vector<std::uint64_t> framesSeen;
    QNetworkAccessManager nam;
    QTimer scrape;
    if (server) {
        server->attach();
        if (config == Config::Clients) {
            framesSeen.assign(2, 0);
            for (std::size_t i = 0; i < 2; ++i) {
                auto ws = std::make_unique<QWebSocket>();
                QObject::connect(ws.get(), &QWebSocket::textMessageReceived, [&framesSeen, i](const QString &text) {
                    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8()); // as a client would
                    if (doc.object().value(QStringLiteral("type")).toString() == QLatin1String("frame"))
                        ++framesSeen[i];
                });
                ws->open(QUrl(QStringLiteral("ws://127.0.0.1:%1/live").arg(server->port())));
                clients.push_back(std::move(ws));
            }
            QObject::connect(&scrape, &QTimer::timeout, &nam, [&] {
                QNetworkReply *r = nam.get(QNetworkRequest(QUrl(server->url() + QStringLiteral("/metrics"))));
                QObject::connect(r, &QNetworkReply::finished, r, [r] {
                    r->readAll();
                    r->deleteLater();
                });
            });
            scrape.start(1000);
        }
    }
    QEventLoop loop;
    QObject::connect(&engine, &hs::Engine::finished, &loop, &QEventLoop::quit);
    loop.exec();
    scrape.stop();
    const hs::RunResult r = engine.result();
    Sample s;
    if (server) {
        server->finish(QStringLiteral("finished"), r.durationS);
        const hs::ServeStats st = server->stats();
        s.dropped = st.framesDropped;
        s.scrapes = st.scrapes;
        server.reset();
    }
    s.throughput = double(r.completed()) / std::max(1e-9, r.durationS);
    s.lagP99Ms = r.loopLag.percentile(0.99) / 1e6;
    s.conserved = r.conserved();
    std::uint64_t frames = 0;
    for (std::uint64_t f : framesSeen)
        frames += f;
    if (!framesSeen.empty())
        s.framesPerClientPerS = double(frames) / double(framesSeen.size()) / std::max(1e-9, r.durationS);
    return s;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    double seconds = 5;
    int reps = 3;
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); ++i) {
        if (args[i] == QLatin1String("--seconds"))
            seconds = args[++i].toDouble();
        else if (args[i] == QLatin1String("--reps"))
            reps = args[++i].toInt();
    }
    if (seconds <= 0 || reps < 1) {
        std::fprintf(stderr, "usage: bench_serve [--seconds S] [--reps R]\n");
        return 2;
    }
    const hs::ParseResult parsed = hs::ScenarioParser::parseText(kScenario, QStringLiteral("<bench>"),
        { hs::Override { QStringLiteral("duration"), QString::number(seconds) + QLatin1Char('s') } });
    if (!parsed.ok()) {
        std::fprintf(stderr, "bench_serve: %s\n", qPrintable(parsed.errors.front().toString()));
        return 1;
    }
    const Config configs[] = { Config::None, Config::Serve, Config::Clients };
    std::vector<std::vector<Sample>> samples(3);
    std::printf("bench_serve: %d reps x 3 configurations x %.1f s\n", reps, seconds);
    for (int rep = 0; rep < reps; ++rep)
        for (std::size_t c = 0; c < 3; ++c) {
            samples[c].push_back(runOnce(*parsed.scenario, configs[c]));
            const Sample &s = samples[c].back();
            std::printf("  rep %d %-8s %9.0f tasks/s  loop lag P99 %7.3f ms%s\n", rep + 1, name(configs[c]),
                s.throughput, s.lagP99Ms, s.conserved ? "" : "  NOT CONSERVED");
            std::fflush(stdout);
        }
    const auto col = [&](std::size_t c, auto field) {
        std::vector<double> v;
        for (const Sample &s : samples[c])
            v.push_back(double(field(s)));
        return v;
    };
    const double baseTp = median(col(0, [](const Sample &s) { return s.throughput; }));
    const double baseLag = median(col(0, [](const Sample &s) { return s.lagP99Ms; }));
    std::printf("\n%-8s %14s %7s %16s %7s %16s %8s %8s\n", "config", "tasks/s (med)", "ratio", "lag P99 ms (med)",
        "ratio", "frames/s/client", "dropped", "scrapes");
    for (std::size_t c = 0; c < 3; ++c) {
        const double tp = median(col(c, [](const Sample &s) { return s.throughput; }));
        const double lag = median(col(c, [](const Sample &s) { return s.lagP99Ms; }));
        const double fps = median(col(c, [](const Sample &s) { return s.framesPerClientPerS; }));
        const auto tpv = col(c, [](const Sample &s) { return s.throughput; });
        std::uint64_t dropped = 0, scrapes = 0;
        for (const Sample &s : samples[c])
            dropped += s.dropped, scrapes += s.scrapes;
        std::printf("%-8s %9.0f [%.0f..%.0f] %5.3f %16.3f %7.2f %16.1f %8llu %8llu\n", name(configs[c]), tp,
            *std::min_element(tpv.begin(), tpv.end()), *std::max_element(tpv.begin(), tpv.end()), tp / baseTp, lag,
            lag / baseLag, fps, static_cast<unsigned long long>(dropped), static_cast<unsigned long long>(scrapes));
    }
    std::printf("\nratio = configuration / none, medians of %d reps taken in turns.\n", reps);
    return 0;
}
