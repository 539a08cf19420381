#pragma once

#include "core/frame.h"
#include "scenario/scenario.h"

#include <QString>
#include <QStringList>

#include <array>
#include <deque>
#include <map>
#include <optional>
#include <vector>

namespace hs {

struct RunResult;

enum class Severity { Info, Warning, Error };
QString severityName(Severity s);

/// A diagnosis over the frames of a run (DESIGN §6): what, where, when, and what to do.
struct Finding {
    QString rule;
    Severity severity = Severity::Warning;
    std::optional<DomainKind> domain;
    QString className;
    double fromS = 0;
    double toS = 0;
    QString message;
    QString advice;
};

/**
 * The rule engine of DESIGN §6, fed one Frame at a time: the GUI shows its findings while a run
 * goes on, and finish() adds what needs the run's totals, so live and final findings come from the
 * same rules. A finding keeps one entry while its condition holds (its span grows; a pause shorter
 * than the rule's merge gap continues it); the oldest are dropped beyond kMaxFindings.
 *
 * Rules (lower_snake names): queue_depth, loop_lag, oversubscription, serialization,
 * unbounded_queue, sla, worker_crash, rejected, gil_contention, little, lock_contention,
 * lost_updates, lock_timeout — thresholds are the constants below.
 *
 *     Diagnoser d;
 *     d.reset(scenario);                 // cores: QThread::idealThreadCount()
 *     for (const Frame &f : frames)
 *         if (d.addFrame(f))
 *             show(d.findings());
 *     d.finish(result);
 */
class Diagnoser {
public:
    /// A condition must hold this long to count (queue depth, SLA window); also the window of
    /// the averaged rules (oversubscription, serialization).
    static constexpr double kSustainedS = 1.0;
    /// A condition that returns within this gap extends the same finding.
    static constexpr double kMergeGapS = 1.0;
    /// Rejections that pause for less than this are one episode.
    static constexpr double kRejectGapS = 2.0;
    static constexpr std::size_t kMaxFindings = 200;
    /// queue_depth: queue above this many times the workers.
    static constexpr int kQueueFactor = 2;
    /// serialization: share of a class's procs service time spent serializing and transferring.
    static constexpr double kSerializationShare = 0.30;
    /// serialization: procs stages a window needs before its share means anything.
    static constexpr std::uint64_t kMinProcsStages = 3;
    /// unbounded_queue: a least-squares trend over this window...
    static constexpr double kTrendWindowS = 2.0;
    /// ...rising at least this many stages per second, this steadily (correlation)...
    static constexpr double kMinGrowthPerS = 5.0;
    static constexpr double kMinTrendCorrelation = 0.8;
    /// ...to at least this depth.
    static constexpr int kMinUnboundedDepth = 20;
    /// rejected: below this share of what the domain took in, load shedding is only info.
    static constexpr double kRejectWarnShare = 0.05;
    /// gil_contention: threads waiting for the emulated GIL, on average over a sustained second.
    static constexpr double kGilWaiters = 0.5;
    /// loop_lag: a stage is blamed when it held the loop at least this share of the threshold.
    static constexpr double kBlameShare = 0.5;
    /// loop_lag: when no single stage held the loop that long, the stages are blamed by their share
    /// of the loop's time over the last second, provided the loop was busy at least this share of it;
    /// below it the lateness is the machine's (the loop thread was not scheduled).
    static constexpr double kLoopBusyShare = 0.5;
    /// little: L and λW (per domain, whole run) further apart than this share of the larger...
    static constexpr double kLittleMismatch = 0.10;
    /// ...on a domain that started at least this many stages...
    static constexpr std::uint64_t kLittleMinStages = 500;
    /// ...whose queue held at least this many on average (L or λW): below it the queue is mostly
    /// empty, and λW is dominated by the dispatch time every wait includes and L does not count...
    static constexpr double kLittleMinQueue = 1.0;
    /// ...and whose admitted stages nearly all left the queue to start (a stage dropped or
    /// cancelled while queued adds to L but has no wait).
    static constexpr double kLittleMaxUnstarted = 0.01;

    /// lock_contention (DESIGN §15): over a sustained second, at least this share of a lock's
    /// acquisitions found it held...
    static constexpr double kLockContendedShare = 0.25;
    /// ...with at least this many acquisitions in that second...
    static constexpr std::uint64_t kLockMinAcquisitions = 20;
    /// ...and a wait P99 (1 s window) of at least this share of starvation.threshold.
    static constexpr double kLockWaitShare = 0.02;

    /// Starts over for a run of `scenario`; `cores` <= 0 means QThread::idealThreadCount().
    void reset(const Scenario &scenario, int cores = 0);
    /// Evaluates the rules on one more frame; true when the findings changed.
    bool addFrame(const Frame &frame);
    /// Adds the rules over the run's totals (cumulative P99 against SLA, crash counts, the whole
    /// run's serialization share). Call once, after the last frame.
    void finish(const RunResult &r);
    const std::vector<Finding> &findings() const { return m_findings; }
    int cores() const { return m_cores; }

private:
    struct Track {
        double since = -1; ///< condition true since (before it counts), or -1
        double lastTrue = -1;
        int index = -1; ///< open finding, or -1
        double peak = 0;
        double count = 0; ///< events in the open finding (rejections, crashes)
        double taken = 0; ///< rejected: stages the domain took in meanwhile
        std::map<std::pair<int, int>, double> keys; ///< (class, stage) -> weight, the culprits
    };
    struct Sample {
        double t = 0;
        double a = 0, b = 0, c = 0;
        std::array<double, kDomainCount> perDomain {};
    };

    // Advances `t` by one frame: ends its finding after `gapS` without the condition, calls add(t)
    // while the condition holds, and opens a finding (a copy of `proto` from `from`, or from when
    // the condition began) once it held `sustainS`. Returns the open finding the frame extended.
    template<class Add>
    Finding *step(
        Track &t, bool cond, double now, double from, double sustainS, double gapS, const Finding &proto, Add add);
    template<class Fn> void forEachTrack(Fn fn);
    Finding *at(const Track &t);
    void push(Finding f, Track &t);
    static void keep(std::deque<Sample> &ring, const Sample &s, double windowS);

    void queueDepth(const Frame &f, DomainKind d, bool &changed);
    void unboundedQueue(const Frame &f, DomainKind d, bool &changed);
    void rejected(const Frame &f, DomainKind d, bool &changed);
    void workerCrash(const Frame &f, DomainKind d, bool &changed);
    void loopLag(const Frame &f, bool &changed);
    void oversubscription(const Frame &f, bool &changed);
    void gilContention(const Frame &f, bool &changed);
    void classRules(const Frame &f, std::size_t c, bool &changed);
    /// DESIGN §15 (diagnostics_locks.cpp): lock_contention, lost_updates and lock_timeout per
    /// frame; at the end, the whole run's who-waited-on-whom, counts and an example reason.
    void lockContention(const Frame &f, bool &changed);
    void lockEvents(const Frame &f, bool &changed);
    void lockTotals(const RunResult &r, double end, Track &detached);
    void describeLostUpdates(Finding &f, const QString &name, std::uint64_t done, std::uint64_t seen) const;
    void describeLockTimeouts(Finding &f, const QString &name, std::uint64_t timeouts, const QString &example) const;
    /// finish(): the SLA per phase when live changes split the run (results/phases.h).
    void slaByPhase(const RunResult &r, std::size_t classIndex, double end, Track &detached);
    /// finish(): Little's law L = λW on each domain's measured figures.
    void little(const RunResult &r, double end, Track &detached);
    /// finish(): a finding that ended in an earlier phase says which change ended it.
    void annotatePhases(const RunResult &r);
    bool carriesPayload(std::size_t c) const;

    QString keyName(int cls, int stage) const;
    QString culprits(const Track &t, int limit) const;
    std::pair<int, int> topKey(const Track &t) const;
    /// The track's top (class, stage); names its class on `f` when the finding has none yet.
    std::pair<int, int> blame(Finding &f, const Track &t) const;
    static void addKeys(Track &t, const std::array<KeyCount, kTopKeys> &top);
    QString moveAdvice(DomainKind d, int cls, int stage) const;

    Scenario m_scenario;
    int m_cores = 1;
    double m_thresholdMs = 100;
    std::vector<Finding> m_findings;

    Track m_loop, m_oversub, m_gil;
    std::deque<Sample> m_gilWaiters; ///< a: threads waiting for the GIL, per frame, over 1 s
    std::array<Track, kDomainCount> m_queue, m_unbounded, m_rejected, m_crash;
    std::vector<Track> m_sla, m_serial;
    /// lock_contention, per shared resource: a: acquisitions, b: contended (cumulative), per frame;
    /// who waited and who held, by (class, stage, domain) -> µs waited.
    struct LockTrack {
        Track track;
        Track lost; ///< lost_updates, live: the counter seen below the updates done
        Track timedOut; ///< lock_timeout, live: waits past the timeout
        std::uint64_t lastTimeouts = 0;
        std::deque<Sample> ring;
        std::map<std::array<int, 3>, double> waiters, holders;
    };
    std::vector<LockTrack> m_locks;
    QStringList m_lockNames;

    std::array<std::deque<Sample>, kDomainCount> m_queueTrend;
    std::deque<Sample> m_cpu;
    std::vector<std::deque<Sample>> m_ipc;
    std::array<std::uint64_t, kDomainCount> m_lastRejected {}, m_lastCrashes {}, m_lastDone {};
    KeyCount m_prevBlock; ///< the previous frame's longest loop hold (count: µs)
    struct LoopBusy {
        double t = 0;
        double spanMs = 0; ///< since the previous frame
        double busyMs = 0;
        std::array<KeyCount, kTopKeys> top {};
    };
    std::deque<LoopBusy> m_loopBusy; ///< the last second of frames: the loop's time in stage code
    double m_prevFrameT = -1;
    /// The open loop_lag episode: the highest share of the loop's time over a second, in total and
    /// per key, while the lag was above the threshold.
    double m_loopBusyPeak = 0;
    std::map<std::pair<int, int>, double> m_loopBusyKeys;
    std::array<double, kDomainCount> m_oversubPeak {}; ///< per-domain cpu stages at the worst second
    std::array<int, kDomainCount> m_oversubWorkers {};
};

/// The whole run's findings: every frame through a Diagnoser, then finish(). `cores` as in reset().
std::vector<Finding> diagnose(const RunResult &r, int cores = 0);

} // namespace hs
