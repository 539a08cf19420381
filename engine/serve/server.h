#pragma once

#include "serve/serveoptions.h"

#include <QString>

#include <cstdint>
#include <memory>

namespace hs {

class Engine;

/// What the server did so far (any thread; the bench reads it).
struct ServeStats {
    int clients = 0; ///< WebSocket clients attached now
    std::uint64_t framesSent = 0; ///< frame messages written to clients, all clients
    std::uint64_t framesDropped = 0; ///< frames a slow client lost to newer ones, all clients
    std::uint64_t scrapes = 0; ///< /metrics answered
    std::uint64_t refused = 0; ///< requests answered 401
};

/**
 * `hybridscope run --serve` (DESIGN §14, docs/serve.md): serves `GET /metrics` (Prometheus) and
 * `/live` (a WebSocket of frames, events and commands, serve/liveprotocol.h) on a thread of its
 * own, `hs-serve`, with its own event loop. It reads what the engine publishes (frames and events
 * from the engine's signals, copied into a mailbox its thread empties; counters and histograms
 * with Engine::cumulative() at scrape time) and never touches the engine's hot path; a client's
 * commands run on the engine's thread through the engine's own command functions, and their
 * results come back as acks.
 *
 *     Engine engine(scenario);
 *     Server server(engine, options);     // before start(): sees every frame and event
 *     if (!server.listen(&error)) ...     // binds now: a port in use fails before the run
 *     engine.start(&error);
 *     server.attach();                    // from now on the endpoints answer
 *     app.exec();                         // ... engine finished
 *     server.finish(QStringLiteral("finished"), seconds);   // "end" to every client, bounded 2 s
 */
class Server {
public:
    /// Connects to `engine`'s signals; create it on the engine's thread, before Engine::start().
    Server(Engine &engine, ServeOptions options);
    ~Server();
    Server(const Server &) = delete;
    Server &operator=(const Server &) = delete;

    /// Binds the address (blocking): false with *error ("address in use") when it cannot.
    bool listen(QString *error);
    /// The port it listens on (the one chosen when the options said 0).
    quint16 port() const;
    /// "http://127.0.0.1:9400".
    QString url() const;
    /// The engine has started: /metrics and /live answer from now on (before: 503).
    void attach();
    /// A /live client asked the run to stop.
    bool stopRequested() const;
    /// The run is over: every client gets {"type":"end"} after what was queued for it, then a
    /// close (1000); returns once every client has gone, at most 2 s later. No new connections.
    void finish(const QString &reason, double elapsedS);
    ServeStats stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace hs
