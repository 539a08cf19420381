#pragma once

#include "results/runresult.h"

#include <QJsonObject>
#include <QString>

namespace hs {

/// The machine a run was measured on (cores, CPU model, OS, library versions).
QJsonObject environmentJson();

/// The JSON report of DESIGN §9 (schema "hybridscope.run/1").
QJsonObject runToJson(const RunResult &r);

/// One phase as a `phases` entry of the run JSON (DESIGN §9, docs/metrics.md): its span, settle
/// time and change, and per class and domain the figures measured after it settled.
QJsonObject phaseJson(const PhaseResult &p);
/// One phase's figures in the shape of a whole run's report (`classes`, `domains`, `loop` with the
/// keys of runToJson), so that lesson checks (`classes.ticker.latency_ms.p99`) read a phase as
/// they read a run.
QJsonObject phaseReport(const PhaseResult &p);
/// The scenario's full starting configuration (the report's `config` key): duration_s, seed, sla,
/// starvation, gil, domains {NAME: {declared, workers, queue, max_inflight, on_full, transfer}} and
/// classes [{name, arrival, sla_p99_ms, stages [{name, work, time, …, domain}]}] in file order.
QJsonObject scenarioConfigJson(const Scenario &s);
/// Limits on the JSON reports `hybridscope report` (and the GUI) read back. A real report is far
/// inside them: a 10-minute run of `default` writes about 30 MB.
struct RunJsonLimits {
    static constexpr qint64 kMaxBytes = 256LL * 1024 * 1024; ///< the file
    static constexpr int kMaxFrames = 2'000'000; ///< frames (20 a second: 27 hours)
    static constexpr int kMaxClasses = 200; ///< task classes
    static constexpr qint64 kMaxFrameCells = 4'000'000; ///< frames × classes: each cell is a point to plot
    static constexpr int kMaxStages = 2000; ///< stages of all classes of the configuration
    static constexpr int kMaxConfigValues = 10'000; ///< settings in the configuration (rows of a comparison)
    static constexpr int kMaxEvents = 10'000; ///< live changes (rows of a table)
    static constexpr int kMaxFindings = 2000; ///< findings (paragraphs)
    static constexpr int kMaxStringChars = 65'536; ///< any string (a name, a description, a message)
    static constexpr double kMaxSeconds = 1e7; ///< a time in the run (t, duration_s, from_s; about 116 days)
    static constexpr double kMaxMs = 1e10; ///< a latency, lag or wait in ms (the longest time, in ms)
    static constexpr double kMaxCount = 1e15; ///< a count of tasks or stages
    static constexpr double kMaxRate = 1e12; ///< a throughput per second
    static constexpr int kMaxWorkers = 1'000'000; ///< a pool size
};

/// Parses the bytes of a JSON report written by runToJson and checks its shape: every key the
/// report renderers use has the right type, each number lies in a range they can draw and each
/// collection is within RunJsonLimits, so rendering any accepted report takes bounded time and
/// memory. False with *error "NAME:LINE:COLUMN: PATH: what is wrong" otherwise (NAME names the
/// input, PATH the key, e.g. frames[12].t). Needs no GUI (the fuzz target calls it).
bool parseRunJson(const QByteArray &bytes, const QString &name, QJsonObject *run, QString *error);
/// The same for a sweep's JSON (`hybridscope.sweep/1`, DESIGN §10): every key the sweep report
/// reads, within bounds (at most 2 varied settings, 1000 values each, 10 000 points).
bool parseSweepJson(const QByteArray &bytes, const QString &name, QJsonObject *sweep, QString *error);
/// A run's or a sweep's JSON, checked by its schema (*schema: "hybridscope.run/1" or
/// "hybridscope.sweep/1").
bool parseReportJson(const QByteArray &bytes, const QString &name, QJsonObject *doc, QString *schema, QString *error);
/// Reads a JSON document for `hybridscope report`: a regular file of at most
/// RunJsonLimits::kMaxBytes holding a run (hybridscope.run/1) or a sweep (hybridscope.sweep/1),
/// checked by parseRunJson or parseSweepJson by its schema; *schema says which.
bool loadReportJson(const QString &path, QJsonObject *doc, QString *schema, QString *error);
/// Reads a JSON report written by runToJson: a regular file (never a FIFO or a device) of at most
/// RunJsonLimits::kMaxBytes, checked by parseRunJson; false with *error naming the file otherwise.
bool loadRunJson(const QString &path, QJsonObject *run, QString *error);
/// One row per frame and domain: t, domain, queue, inflight, busy, workers, done, p99_ms, starved, utilization,
/// loop_lag_ms.
QString runToCsv(const RunResult &r);
/// The readable summary table printed by `hybridscope run`.
QString runSummary(const RunResult &r);

/// Writes `data` to `path` atomically (QSaveFile); on failure sets *error naming the file.
bool writeFileAtomically(const QString &path, const QByteArray &data, QString *error);

} // namespace hs
