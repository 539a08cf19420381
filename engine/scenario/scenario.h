#pragma once

#include "core/kinds.h"

#include <QString>
#include <QStringList>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <vector>

namespace hs {

enum class CpuKernel { Spin, Sha256, Matmul, Sort };
QString kernelName(CpuKernel k);

enum class OnFull { Reject, Block, DropOldest };
QString onFullName(OnFull p);
std::optional<OnFull> onFullFromName(const QString &name);

enum class Transfer { Copy, Shm };
QString transferName(Transfer t);

/// DESIGN §13: how a pool's size follows its load. docs/autoscale.md gives each policy's rules.
enum class AutoscalePolicy { Off, Queue, Aimd, Gradient, Vegas };
QString autoscalePolicyName(AutoscalePolicy p);
std::optional<AutoscalePolicy> autoscalePolicyFromName(const QString &name);
inline constexpr std::array<AutoscalePolicy, 5> kAllAutoscalePolicies { AutoscalePolicy::Off, AutoscalePolicy::Queue,
    AutoscalePolicy::Aimd, AutoscalePolicy::Gradient, AutoscalePolicy::Vegas };

/// A pool domain's `autoscale:` block (DESIGN §13).
struct AutoscaleConfig {
    AutoscalePolicy policy = AutoscalePolicy::Off;
    int min = 1; ///< never fewer workers
    int max = 0; ///< never more; 0 (absent): 4 × the configured workers, at least 8 (maxFor)
    double interval = 0.25; ///< seconds between two decisions
    double targetP99 = 0; ///< seconds, a stage's wait + service in this domain; 0: none given
    bool enabled() const { return policy != AutoscalePolicy::Off; }
    /// `max`, or its default for a pool configured with `workers`.
    int maxFor(int workers) const { return max > 0 ? max : std::max({ min, 4 * workers, 8 }); }
    bool operator==(const AutoscaleConfig &) const = default;
};

enum class ArrivalProcess { Poisson, Constant, Burst, Ramp, Closed };
QString arrivalName(ArrivalProcess a);

/// Where a value came from: a file position (1-based) or a command-line override.
struct SourceLoc {
    int line = 0;
    int column = 0;
};

/**
 * A random quantity (a duration in seconds or a size in bytes): a fixed value or one of the
 * distributions of DESIGN §4. Samples are never negative (normal is truncated at 0).
 *
 *     Distribution d = Distribution::exp(0.005);   // exp(5ms)
 *     double s = d.sample(rng);
 */
struct Distribution {
    enum class Kind { Fixed, Exp, Uniform, Normal, LogNormal };
    Kind kind = Kind::Fixed;
    double a = 0; ///< fixed value, mean (exp, normal), lo (uniform), median (lognormal)
    double b = 0; ///< hi (uniform), sd (normal), sigma (lognormal)
    /// Samples never exceed this: the largest value the field accepts and the engine can carry
    /// (1 h of stage time, 1 GiB of payload). The tail of exp, normal and lognormal is cut here
    /// rather than overflowing a clock or an allocation. Set by the parser; not part of ==.
    double cap = std::numeric_limits<double>::infinity();

    static Distribution fixed(double v) { return { Kind::Fixed, v, 0 }; }
    static Distribution exp(double mean) { return { Kind::Exp, mean, 0 }; }

    /// A value from 0 to `cap`.
    double sample(std::mt19937_64 &rng) const;
    double mean() const;
    bool isZero() const { return kind == Kind::Fixed && a == 0; }
    /// Human-readable form, e.g. "exp(5ms)"; `unit` is "s" for durations or "B" for sizes.
    QString toString(const QString &unit) const;

    bool operator==(const Distribution &o) const { return kind == o.kind && a == o.a && b == o.b; }

private:
    double sampleUncapped(std::mt19937_64 &rng) const;
};

/// DESIGN §15: a `thread` lock is a mutex of the engine process (each worker process has its own
/// copy, so it does not guard stages there); a `process` lock is a robust process-shared mutex in
/// shared memory that every process uses.
enum class LockScope { Thread, Process };
QString lockScopeName(LockScope s);
std::optional<LockScope> lockScopeFromName(const QString &name);

/// One lock a stage holds while it works (DESIGN §15 `lock: { name, scope, timeout }`).
struct LockUse {
    QString name;
    LockScope scope = LockScope::Thread;
    double timeout = 0; ///< seconds a wait may last before the stage fails ("lock timeout: possible deadlock")
    SourceLoc loc;
    bool operator==(const LockUse &o) const { return name == o.name && scope == o.scope && timeout == o.timeout; }
};

struct Scenario;
/// DESIGN §15: the names of the scenario's locks and shared counters (one entry per name), in the
/// order of their first use (classes, then stages, locks before the update). Frame::locks and
/// RunResult::locks follow this order.
QStringList sharedResourceNames(const Scenario &s);

/// One step of a task class's pipeline (DESIGN §3).
struct Stage {
    QString name;
    WorkKind work = WorkKind::Cpu;
    Distribution time; ///< seconds (cpu, block, async, net)
    Distribution bytes; ///< bytes (net response size, disk file size)
    CpuKernel kernel = CpuKernel::Spin;
    bool fsync = false; ///< disk only
    Distribution payloadIn; ///< bytes moved into the stage's domain
    Distribution payloadOut; ///< bytes produced by the stage
    double timeout = 0; ///< seconds from admission; 0: none
    double fail = 0; ///< probability that the stage raises
    double crash = 0; ///< probability that a procs worker aborts mid-stage
    DomainKind domain = DomainKind::Threads; ///< starting route
    /// DESIGN §15: locks taken in this order and held until the stage's work ends.
    std::vector<LockUse> locks;
    /// DESIGN §15: the shared counter this stage increments with a read–modify–write while it
    /// holds its locks; empty: none.
    QString update;
    SourceLoc loc;
};

struct Arrival {
    ArrivalProcess process = ArrivalProcess::Poisson;
    double rate = 0; ///< per second (poisson, constant, burst; closed: optional, see below)
    double on = 0; ///< burst: seconds on
    double off = 0; ///< burst: seconds off
    double from = 0; ///< ramp: start rate per second
    double to = 0; ///< ramp: end rate per second
    double over = 0; ///< ramp: seconds to go from `from` to `to` (0: the run's duration)
    int clients = 0; ///< closed: number of clients
    Distribution think; ///< closed: think time between a completion and the next request
    // closed: `rate` above 0 (DESIGN §15, wrk2's model): each client's requests are *intended*
    // one every clients/rate seconds; a client still waits for its previous response (and think),
    // and the latency counts from the intended time. 0: intended when sent (completion + think).
};

struct TaskClass {
    QString name;
    Arrival arrival;
    std::vector<Stage> stages;
    std::optional<double> slaP99; ///< seconds; falls back to Scenario::slaP99
    SourceLoc loc;
};

struct DomainConfig {
    bool declared = false; ///< present in the file's `domains:` map
    int workers = 2; ///< always 1 for loop
    int queue = 0; ///< waiting-queue capacity; 0: unbounded
    int maxInflight = 0; ///< queued + running; 0: unlimited
    OnFull onFull = OnFull::Reject;
    Transfer transfer = Transfer::Copy; ///< procs only
    AutoscaleConfig autoscale; ///< pools only (threads, tbb, procs)
};

/// `--set domains.threads.workers=16`: a value put into the YAML tree before validation.
struct Override {
    QString path;
    QString value;
};

/// `--route pipeline.transform=tbb`: the starting domain of one stage, applied after parsing.
struct RouteOverride {
    QString key;
    QString domain;
};

/// A comparison in a lesson check, like "> 50" or "<= 1.3".
struct Condition {
    enum class Op { Less, LessEqual, Greater, GreaterEqual };
    Op op = Op::Less;
    double value = 0;
    bool holds(double x) const;
    QString toString() const;
};

/**
 * A claim a lesson step makes, checked by the lesson tests: the JSON report value at `metric`
 * (a dotted path such as "loop.lag_ms.p99" or "classes.ticker.latency_ms.p99") before the step,
 * after it, and/or the ratio after / before.
 */
struct LessonCheck {
    QString metric;
    std::optional<Condition> before, after, ratio;
    SourceLoc loc;
};

/// One change a learner applies: routes and settings, live when the engine allows it.
struct LessonStep {
    QString title;
    std::vector<RouteOverride> routes;
    std::vector<Override> sets;
    QString expect; ///< what should happen, in words
    QString when; ///< when to apply it ("once the queue passes 200"); empty: any time
    std::vector<LessonCheck> checks;
    SourceLoc loc;
};

/// The `lesson:` block of a built-in scenario (issue 6): a guided experiment.
struct Lesson {
    QString title;
    QString goal;
    QString watch; ///< what to look at in the plots
    QString expected; ///< the overall effect
    QString why;
    double checkDuration = 3.0; ///< seconds each run of a lesson test lasts
    /// A claim compares CPU throughput that needs more than one core at once (`needs_parallel_cpu`).
    bool needsParallelCpu = false;
    std::vector<LessonStep> steps;
};

/**
 * A parsed, validated scenario (DESIGN §4): plain values, no YAML left in it.
 * Produced by ScenarioParser; the engine, GUI and reports all read it.
 */
struct Scenario {
    QString name;
    QString description;
    QString source; ///< file path, or "<builtin:NAME>"
    double duration = 0; ///< seconds; 0: until stopped
    std::uint64_t seed = 1;
    std::optional<double> slaP99; ///< default per-class SLA on end-to-end latency, seconds
    double starvationThreshold = 0.100;
    double heartbeat = 0.010;
    bool gilEnabled = false;
    double gilSwitchInterval = 0.005;
    std::array<DomainConfig, kDomainCount> domains;
    std::vector<TaskClass> classes;
    std::optional<Lesson> lesson;

    DomainConfig &domain(DomainKind d) { return domains[static_cast<int>(d)]; }
    const DomainConfig &domain(DomainKind d) const { return domains[static_cast<int>(d)]; }
    /// SLA of class `i`, its own or the scenario's default.
    std::optional<double> slaFor(int classIndex) const;
    /// "class.stage" routing keys, in class then stage order.
    QStringList routingKeys() const;
};

} // namespace hs
