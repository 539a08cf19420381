#pragma once

#include "results/runresult.h"
#include "run/engine.h"
#include "scenario/scenario.h"

#include <QByteArray>
#include <QSignalSpy>
#include <QString>

#include <optional>
#include <vector>

namespace hs::test {

/// Parses a scenario written inline in a test; on failure returns nullopt and puts every error in *error
/// (or, without `error`, prints them with qWarning so the failing test shows why).
std::optional<Scenario> scenarioFromYaml(const QByteArray &yaml, QString *error = nullptr);

/**
 * One engine run driven by a test: start it, act on it while it runs (waiting on the run's own
 * clock, never a fixed sleep), then wait for finished() with a bound.
 *
 *     EngineRun run(scenario);
 *     QVERIFY2(run.start(), qPrintable(run.error()));
 *     QVERIFY(run.waitUntil(0.5, 5000));
 *     run.engine().resize(DomainKind::Threads, 8);
 *     QVERIFY(run.waitFinished(10000));
 *     const RunResult r = run.engine().result();
 */
class EngineRun {
public:
    explicit EngineRun(Scenario scenario, EngineOptions options = {});

    bool start();
    QString error() const { return m_error; }
    Engine &engine() { return m_engine; }
    /// Processes events until the run is `seconds` old. False when the bound passed or the run finished first.
    bool waitUntil(double seconds, int boundMs);
    /// Waits for finished(), bounded; also true when it came earlier.
    bool waitFinished(int boundMs);
    bool finished() const { return m_finished.count() > 0; }

private:
    Engine m_engine;
    QSignalSpy m_finished;
    QString m_error;
};

/// The built-in `name` with the first `steps` steps of its lesson applied, for the lesson's check
/// duration: what tst_lessons runs on the engine and tst_lessons_sim simulates. nullopt with *error.
std::optional<Scenario> lessonScenario(const QString &name, const Lesson &lesson, int steps, QString *error);

/// "req: submitted 10 = completed 7 + failed 1 + rejected 1 + cancelled 1; double ends 0", for failure messages.
QString countsText(const RunResult &r);
/// The frames with from <= t < to.
std::vector<Frame> framesBetween(const std::vector<Frame> &frames, double from, double to);
/// How many failed, rejected or cancelled tasks of `c` ended with a reason containing `needle`.
std::uint64_t reasonCount(const ClassResult &c, const QString &needle);
/// Every reason of `c` with its count, for failure messages.
QString reasonsText(const ClassResult &c);

} // namespace hs::test
