#include "sim/simulator.h"

#include "autoscale/autoscale.h"
#include "core/clock.h"
#include "results/diagnostics.h"
#include "run/arrivalschedule.h"

#include <QElapsedTimer>
#include <QStringList>
#include <QThread>

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <queue>

namespace hs {

namespace {

constexpr double kFrameS = 0.05; // 20 Hz, as the engine's monitor
constexpr double kInf = std::numeric_limits<double>::infinity();

std::int64_t ns(double s)
{
    return std::int64_t(std::llround(s * 1e9));
}

enum class Ev : std::uint8_t {
    Arrival, // a = class, b = client (-1: open)
    Start, // a = job: its worker is awake
    Submit, // a = task: its next stage reaches its domain after the hop
    StageEnd, // a = job: a non-cpu stage's time is up
    CpuCheck, // a = generation: the earliest cpu completion, if nothing changed since
    WorkerBack, // a = domain: a procs worker restarted after a crash, or started by a growth
    Timeout, // a = job
    Frame,
    ArrivalsEnd,
    DrainEnd,
    Mark, // the warm-up ends: the phase's figures start
};

// Every counter and histogram at one moment: a phase's figures are the difference of two.
struct Mark {
    double t = 0;
    struct Cls {
        std::uint64_t submitted = 0, completed = 0, failed = 0, rejected = 0, cancelled = 0;
        HistogramSnapshot latency, hop, ipc, gilWait, latencyNaive;
    };
    struct Dom {
        double busy = 0, queue = 0, capacity = 0;
        std::uint64_t admitted = 0, waited = 0, completed = 0, starved = 0, crashes = 0, restarts = 0;
        double starvedS = 0;
        HistogramSnapshot wait, service;
    };
    std::vector<Cls> classes;
    std::array<Dom, kDomainCount> domains {};
};

struct Event {
    double t = 0;
    std::uint64_t seq = 0;
    Ev kind = Ev::Frame;
    std::int64_t a = 0, b = 0;
    bool operator>(const Event &o) const { return t != o.t ? t > o.t : seq > o.seq; }
};

struct SimTask {
    int cls = 0;
    int client = -1;
    double intended = 0;
    double dispatched = 0; // its first stage admitted to a domain (naive latency, DESIGN §15)
    double lastEnd = 0;
    int stage = 0;
    std::vector<StagePlan> plan;
    bool ended = false;
    int refs = 0; // pending hand-overs and jobs that still refer to it: recycled at 0 once ended
    bool freed = false;
};

// A stage of a task in a domain.
struct Job {
    std::int64_t task = 0;
    int stage = 0;
    DomainKind domain = DomainKind::Threads;
    WorkKind work = WorkKind::Cpu;
    double enqueued = 0, started = 0, deadline = 0;
    bool running = false, done = false, holdsWorker = false, waited = false, waking = false;
    double work_ = 0; // cpu seconds (cpu stages) or wall seconds (the rest)
    bool gil = false;
    double cpuFinish = 0; // virtual finish among the free runners; under the GIL, the work left
    double gilHeld = 0; // under the GIL: how long it held it
    int pending = 0; // events that still name it (stage end, timeout): recycled at 0 once done
    bool freed = false;
};

struct SimDomain {
    DomainKind kind = DomainKind::Threads;
    DomainConfig cfg;
    bool used = false;
    int workers = 1;
    int busy = 0; // workers held by a stage
    int waking = 0; // workers taken for a stage that has not started yet (dispatch, wake-up)
    int restarting = 0; // procs workers coming back from a crash
    std::deque<std::int64_t> queue; // jobs waiting
    struct Blocked {
        std::int64_t task = 0;
        bool generator = false; // the generator waits (every later arrival behind it)
        int holds = -1; // else the domain whose worker (or loop thread) waits in the hand-over
    };
    std::deque<Blocked> blocked; // on_full: block
    int running = 0; // stages in flight past the queue (held or not)
    LatencyHistogram wait, service, sojourn;
    double busyIntegral = 0, queueIntegral = 0, capacityIntegral = 0, lastT = 0;
    std::uint64_t admitted = 0, waitedCount = 0, completed = 0, rejected = 0, crashes = 0, restarts = 0;
    std::uint64_t starved = 0;
    double starvedS = 0;
    int queueMax = 0;
    int cpuRunning = 0;
    // frames
    double frameBusyIntegral = 0;
    std::deque<std::pair<double, std::uint64_t>> doneTimes; // sliding-window throughput
    SlidingWindow window;

    void integrate(double t)
    {
        const double dt = t - lastT;
        if (dt > 0) {
            busyIntegral += busy * dt;
            queueIntegral += double(queue.size()) * dt;
            capacityIntegral += workers * dt;
            lastT = t;
        }
    }
    int free() const { return workers - busy - restarting - waking; }
    bool full() const
    {
        const int queued = int(queue.size());
        const bool freeWorker = free() > 0 && queue.empty();
        const bool queueFull = cfg.queue > 0 && queued >= cfg.queue && !freeWorker;
        const bool inflightFull = cfg.maxInflight > 0 && running >= cfg.maxInflight; // running: queued + running
        return queueFull || inflightFull;
    }
};

struct ClassState {
    std::uint64_t submitted = 0, completed = 0, failed = 0, rejected = 0, cancelled = 0;
    LatencyHistogram latency, hop, ipc, gilWait;
    LatencyHistogram latencyNaive; // from the dispatch (DESIGN §15)
    QMap<QString, std::uint64_t> reasons;
    SlidingWindow window, naiveWindow;
    std::vector<double> nextIntended; // closed with a rate: each client's next intended request
    std::deque<double> doneTimes;
};

// Processor sharing of the cores among cpu stages in flight. Under the GIL, the stages that need it
// take turns as the engine's Gil hands it over: one holder at a time, the others waiting in FIFO
// order; the holder keeps it until its stage ends or, once someone waits, until the switch
// interval has passed since the later of the first waiter's arrival and the last hand-over (a
// forced switch: the holder queues behind everyone). The holder counts as one runner on the cores.
class CpuShare {
public:
    double cores = 1; // fractional with a calibration's effective cores
    double switchInterval = 0.005;
    double handOverS = 0; // a waiter handed the GIL must be woken first: no work meanwhile
    bool handedOver = false; // the holder was handed the GIL by another (not taken when free)
    double v = 0; // virtual work done by each free runner since the start
    std::priority_queue<std::pair<double, std::int64_t>, std::vector<std::pair<double, std::int64_t>>,
        std::greater<>>
        heap; // free runners: (virtual finish, job)
    int n = 0; // free runners
    struct Turn {
        std::int64_t job = -1;
        double since = 0; // when it joined the queue
    };
    std::deque<Turn> gil; // the front holds the GIL
    double gilDone = 0; // work the holder did since it took the GIL
    double lastSwitch = 0;
    double lastT = 0;
    std::uint64_t generation = 0;

    int runners() const { return n + (gil.empty() ? 0 : 1); }
    double share() const { return runners() == 0 ? 1.0 : std::min(1.0, cores / runners()); }

    void advance(double t)
    {
        const double dt = t - lastT;
        if (dt > 0) {
            v += dt * share();
            if (!gil.empty())
                gilDone += dt * share();
            lastT = t;
        }
    }
    void add(Job &j, std::int64_t id, double now)
    {
        if (j.gil) {
            j.cpuFinish = j.work_; // what is left of it
            if (gil.empty()) {
                gilDone = 0;
                lastSwitch = now;
                handedOver = false;
            }
            gil.push_back({ id, now });
        } else {
            j.cpuFinish = v + j.work_;
            heap.push({ j.cpuFinish, id });
            ++n;
        }
        ++generation;
    }
    // When the GIL's holder lets go, forced, if it has not finished by then; kInf when nobody waits.
    double dropAt() const { return gil.size() < 2 ? kInf : std::max(gil[1].since, lastSwitch) + switchInterval; }
    // The earliest change from now (a stage done or a forced switch) and the job; -1 when none.
    std::pair<double, std::int64_t> next(double now, const std::vector<Job> &jobs) const
    {
        std::pair<double, std::int64_t> best { kInf, -1 };
        const double rate = share();
        if (!heap.empty())
            best = { now + std::max(0.0, heap.top().first - v) / rate, heap.top().second };
        if (!gil.empty()) {
            const Job &h = jobs[std::size_t(gil.front().job)];
            const double t = std::min(now + std::max(0.0, h.cpuFinish - gilDone) / rate, dropAt());
            if (t < best.first)
                best = { t, gil.front().job };
        }
        return best;
    }
    // The GIL's holder at a change: true when its stage is done (and it left), false when the
    // switch interval forced it to the back of the queue.
    bool holderStep(std::vector<Job> &jobs, double now)
    {
        Job &h = jobs[std::size_t(gil.front().job)];
        Turn turn = gil.front();
        gil.pop_front();
        const bool done = h.cpuFinish - gilDone <= 1e-12;
        h.gilHeld += now - lastSwitch - (handedOver ? handOverS : 0.0); // waking counts as waiting
        if (!done) {
            h.cpuFinish -= gilDone;
            turn.since = now;
            gil.push_back(turn);
        }
        handedOver = !gil.empty();
        gilDone = handedOver ? -handOverS : 0.0;
        lastSwitch = now;
        ++generation;
        return done;
    }
    void removeFree(std::int64_t id)
    {
        // Only the head is ever removed (the earliest finisher).
        if (!heap.empty() && heap.top().second == id) {
            heap.pop();
            --n;
            ++generation;
        }
    }
};

class Sim {
public:
    Sim(const Scenario &s, const SimOptions &o)
        : m_s(s)
        , m_o(o)
    {
        m_cpu.cores = simCores(o);
        m_cpu.switchInterval = std::max(1e-6, s.gilSwitchInterval);
        m_cpu.handOverS = o.costs.wakeS[std::size_t(DomainKind::Threads)];
        for (DomainKind d : kAllDomains) {
            SimDomain &sd = m_domains[std::size_t(d)];
            sd.kind = d;
            sd.cfg = s.domain(d);
            sd.workers = d == DomainKind::Loop ? 1 : std::max(1, sd.cfg.workers);
        }
        for (const TaskClass &c : s.classes)
            for (const Stage &st : c.stages)
                m_domains[std::size_t(st.domain)].used = true;
        for (std::size_t i = 0; i < s.classes.size(); ++i)
            m_classes.emplace_back();
        for (int i = 0; i < int(s.classes.size()); ++i)
            m_schedules.push_back(std::make_unique<ArrivalSchedule>(s, i));
        m_threshold = s.starvationThreshold;
        m_nextHeartbeat = s.heartbeat;
        for (SimDomain &d : m_domains) {
            const AutoscaleConfig &a = d.cfg.autoscale;
            if (d.kind == DomainKind::Loop || !a.enabled())
                continue;
            const double target = tightestSlaIn(
                s, d.kind, [&s](int c, int st) { return s.classes[std::size_t(c)].stages[std::size_t(st)].domain; });
            Scaler &sc = m_scalers[std::size_t(d.kind)];
            sc.ctl = makeAutoscaleController(a, d.kind, d.workers, target);
            sc.workersMin = sc.workersMax = d.workers;
        }
    }

    RunResult run(SimStats *stats);

private:
    void push(double t, Ev kind, std::int64_t a = 0, std::int64_t b = 0)
    {
        m_events.push(Event { t, m_seq++, kind, a, b });
    }
    void arrival(int cls, int client, double intended);
    void submit(std::int64_t task, bool fromGenerator);
    void admit(std::int64_t task, SimDomain &d);
    void startNext(SimDomain &d);
    void startJob(std::int64_t job);
    void finishJob(std::int64_t job, bool failed, const QString &reason);
    void endTask(std::int64_t task, Outcome o, const QString &reason);
    void stageDone(std::int64_t job);
    void rescheduleCpu();
    void frame();
    void integrateAll(double t);
    void heartbeatsUntil(double t);
    // The loop thread let go (a stage or a blocked hand-over): the heartbeat due first ran now,
    // late; the ones due after it in that time were one missed tick.
    void loopLetGo();
    Mark mark();
    PhaseResult phaseBetween(const Mark &a, const Mark &b) const;
    /// Drops one reference to a task (or job) and recycles its slot once nothing refers to it.
    void releaseTask(std::int64_t id);
    void releaseJob(std::int64_t id);
    double stageCost(const Stage &st, const StagePlan &p, DomainKind d) const;
    void unblock(SimDomain &d);
    DomainTotals totalsOf(SimDomain &d);
    // DESIGN §13 in virtual time: each autoscaled pool's controller decides at the frames, once
    // per its interval, as the engine's monitor does; a resize takes effect as the engine's does
    // (procs workers start after the calibration's worker start time).
    void autoscaleTick(const Frame &f);
    void resizePool(SimDomain &d, int workers);

    struct Scaler {
        std::unique_ptr<AutoscaleController> ctl;
        DomainTotals last;
        std::uint64_t lastRejected = 0;
        double next = -1; // the next decision; -1: take the first totals at the next frame
        int resizes = 0, workersMin = 0, workersMax = 0;
        AutoscaleEvents events;
    };
    std::array<Scaler, kDomainCount> m_scalers;
    std::vector<RunEvent> m_runEvents;

    const Scenario &m_s;
    const SimOptions &m_o;
    std::priority_queue<Event, std::vector<Event>, std::greater<>> m_events;
    std::uint64_t m_seq = 0;
    std::uint64_t m_processed = 0;
    double m_now = 0;
    std::vector<SimTask> m_tasks;
    std::vector<Job> m_jobs;
    std::vector<std::int64_t> m_freeTasks, m_freeJobs;
    std::array<SimDomain, kDomainCount> m_domains;
    std::deque<ClassState> m_classes; // not movable (atomics): built in place
    std::vector<std::unique_ptr<ArrivalSchedule>> m_schedules;
    CpuShare m_cpu;
    bool m_arrivalsOpen = true;
    bool m_draining = false;
    bool m_generatorHeld = false;
    std::deque<Event> m_heldArrivals;
    std::uint64_t m_live = 0; // tasks not ended
    std::vector<Frame> m_frames;
    std::optional<Mark> m_warm, m_arrivalsEnd;
    double m_threshold = 0.1;
    LatencyHistogram m_loopLag;
    double m_frameLag = 0; // worst heartbeat lateness since the previous frame
    double m_nextHeartbeat = 0;
    std::int64_t m_loopHolder = -1; // the job holding the loop thread
    int m_loopHandOvers = 0; // hand-overs from the loop blocked by a full domain (on_full: block)
    double m_frameBlockMs = 0;
    int m_frameBlockClass = -1, m_frameBlockStage = -1;
    // The loop thread's time in stage code since the previous frame, by (class, stage), as the
    // engine's frame has it (Frame::loopBusyMs, loopBusyTop); time before m_busyFromS is counted.
    std::map<std::pair<int, int>, double> m_frameBusy;
    double m_busyFromS = 0;
    void creditLoopBusy(const Job &j);
};

double Sim::stageCost(const Stage &st, const StagePlan &p, DomainKind d) const
{
    const SimCosts &c = m_o.costs;
    double t = 0;
    switch (st.work) {
    case WorkKind::Cpu:
    case WorkKind::Block: t = p.time; break;
    case WorkKind::Async: t = p.time + c.timerLatenessS; break;
    case WorkKind::Net: t = p.time + c.netS + double(p.bytes) * c.netPerByteS; break;
    case WorkKind::Disk: t = c.diskS + double(p.bytes) * c.diskPerByteS + (st.fsync ? c.fsyncS : 0.0); break;
    }
    if (d == DomainKind::Procs && st.work != WorkKind::Cpu) {
        const double perByte = m_s.domain(DomainKind::Procs).transfer == Transfer::Shm ? c.shmPerByteS : c.copyPerByteS;
        t += c.procsCallS + double(p.payloadIn + p.payloadOut) * perByte;
    }
    return t;
}

void Sim::arrival(int cls, int client, double intended)
{
    ArrivalSchedule &a = *m_schedules[std::size_t(cls)];
    if (!m_arrivalsOpen)
        return;
    std::int64_t id;
    if (!m_freeTasks.empty()) {
        id = m_freeTasks.back();
        m_freeTasks.pop_back();
    } else {
        id = std::int64_t(m_tasks.size());
        m_tasks.emplace_back();
    }
    SimTask &t = m_tasks[std::size_t(id)];
    t.cls = cls;
    t.client = client;
    // An open arrival held behind a blocked generator keeps its intended time, as in the engine; a
    // closed client with a rate may be sent after its intended time (its previous response was late).
    if (client >= 0 && a.closedPeriod() > 0)
        intended = m_classes[std::size_t(cls)].nextIntended[std::size_t(client)];
    t.intended = std::min(intended, m_now);
    t.dispatched = m_now;
    t.lastEnd = m_now;
    t.stage = 0;
    t.ended = false;
    t.freed = false;
    t.refs = 1; // this arrival's own, dropped once it is submitted
    a.planTask(t.plan);
    ++m_classes[std::size_t(cls)].submitted;
    ++m_live;
    if (client < 0) {
        const double next = a.next();
        if (next < m_s.duration)
            push(next, Ev::Arrival, cls, -1);
    }
    submit(id, true);
    releaseTask(id);
}

void Sim::submit(std::int64_t task, bool fromGenerator)
{
    SimTask &t = m_tasks[std::size_t(task)];
    const Stage &st = m_s.classes[std::size_t(t.cls)].stages[std::size_t(t.stage)];
    SimDomain &d = m_domains[std::size_t(st.domain)];
    if (d.full()) {
        switch (d.cfg.onFull) {
        case OnFull::Reject:
            ++d.rejected;
            endTask(task, Outcome::Rejected, QStringLiteral("rejected: %1 full").arg(domainName(d.kind)));
            return;
        case OnFull::DropOldest:
            if (d.queue.empty()) {
                ++d.rejected;
                endTask(task, Outcome::Rejected, QStringLiteral("rejected: %1 full").arg(domainName(d.kind)));
                return;
            }
            while (d.full() && !d.queue.empty()) {
                d.integrate(m_now);
                const std::int64_t old = d.queue.front();
                d.queue.pop_front();
                --d.running;
                ++d.rejected;
                m_jobs[std::size_t(old)].done = true;
                endTask(m_jobs[std::size_t(old)].task, Outcome::Rejected,
                    QStringLiteral("dropped: %1 full (drop_oldest)").arg(domainName(d.kind)));
                releaseJob(old);
            }
            break;
        case OnFull::Block: {
            // The submitter waits for room: the generator (every later arrival waits behind it) or,
            // for a later stage, the thread that ran the previous one, as in the engine, where the
            // hand-over is a call on that thread: a pool's worker, or the loop itself (an async
            // stage's completion runs on the loop). A worker of this very domain is admitted over
            // the limit instead (it would wait for itself).
            SimTask &bt = m_tasks[std::size_t(task)];
            int holds = -1;
            if (!fromGenerator) {
                const DomainKind prev = m_s.classes[std::size_t(bt.cls)].stages[std::size_t(bt.stage - 1)].domain;
                if (prev == d.kind)
                    break;
                SimDomain &pd = m_domains[std::size_t(prev)];
                pd.integrate(m_now);
                ++pd.busy;
                holds = int(prev);
                if (prev == DomainKind::Loop)
                    ++m_loopHandOvers;
            }
            ++bt.refs;
            d.blocked.push_back({ task, fromGenerator, holds });
            if (fromGenerator)
                m_generatorHeld = true;
            return;
        }
        }
    }
    admit(task, d);
}

void Sim::admit(std::int64_t task, SimDomain &d)
{
    SimTask &t = m_tasks[std::size_t(task)];
    const Stage &st = m_s.classes[std::size_t(t.cls)].stages[std::size_t(t.stage)];
    const StagePlan &p = t.plan[std::size_t(t.stage)];
    Job j;
    ++t.refs;
    j.task = task;
    j.stage = t.stage;
    j.domain = d.kind;
    j.work = st.work;
    j.enqueued = m_now;
    if (t.stage == 0)
        t.dispatched = m_now;
    j.deadline = st.timeout > 0 ? m_now + st.timeout : 0;
    j.gil = m_s.gilEnabled && st.work == WorkKind::Cpu && (d.kind == DomainKind::Loop || d.kind == DomainKind::Threads);
    j.work_ = st.work == WorkKind::Cpu ? p.time : stageCost(st, p, d.kind);
    if (st.work == WorkKind::Cpu && d.kind == DomainKind::Procs) {
        const double perByte = d.cfg.transfer == Transfer::Shm ? m_o.costs.shmPerByteS : m_o.costs.copyPerByteS;
        const double ipc = m_o.costs.procsCallS + double(p.payloadIn + p.payloadOut) * perByte;
        m_classes[std::size_t(t.cls)].ipc.record(ns(ipc));
        j.work_ += ipc; // serialisation is CPU work of the two processes
    }
    std::int64_t id;
    if (!m_freeJobs.empty()) {
        id = m_freeJobs.back();
        m_freeJobs.pop_back();
        m_jobs[std::size_t(id)] = j;
    } else {
        id = std::int64_t(m_jobs.size());
        m_jobs.push_back(j);
    }
    d.integrate(m_now);
    ++d.admitted;
    ++d.running;
    const bool freeNow = d.free() > 0 && d.queue.empty();
    if (!freeNow) {
        ++d.waitedCount;
        m_jobs[std::size_t(id)].waited = true;
    }
    d.queue.push_back(id);
    d.queueMax = std::max(d.queueMax, int(d.queue.size()));
    if (j.deadline > 0) {
        ++m_jobs[std::size_t(id)].pending;
        push(j.deadline, Ev::Timeout, id);
    }
    startNext(d);
}

void Sim::startNext(SimDomain &d)
{
    while (d.free() > 0 && !d.queue.empty()) {
        const std::int64_t id = d.queue.front();
        d.integrate(m_now);
        d.queue.pop_front();
        // A free worker is woken for it: the worker is taken now, the stage starts after the
        // domain's dispatch and wake-up time.
        const double wake = m_o.costs.wakeS[std::size_t(d.kind)];
        if (wake > 0) {
            ++d.waking;
            ++m_jobs[std::size_t(id)].pending;
            m_jobs[std::size_t(id)].waking = true;
            push(m_now + wake, Ev::Start, id);
        } else {
            startJob(id);
        }
    }
}

void Sim::startJob(std::int64_t id)
{
    Job &j = m_jobs[std::size_t(id)];
    SimDomain &d = m_domains[std::size_t(j.domain)];
    SimTask &t = m_tasks[std::size_t(j.task)];
    j.running = true;
    j.started = m_now;
    const double waitS = m_now - j.enqueued;
    d.wait.record(ns(waitS));
    if (waitS > m_threshold) {
        ++d.starved;
        d.starvedS += waitS - m_threshold;
    }
    if (j.stage > 0)
        m_classes[std::size_t(t.cls)].hop.record(ns(m_o.costs.hopS));
    // async and net on the loop do not hold it; everything else holds its worker.
    j.holdsWorker = !(d.kind == DomainKind::Loop && (j.work == WorkKind::Async || j.work == WorkKind::Net));
    if (j.holdsWorker)
        ++d.busy;
    if (d.kind == DomainKind::Loop && j.holdsWorker) {
        heartbeatsUntil(m_now); // those due before it took the loop were on time
        m_loopHolder = id;
    }
    if (j.work == WorkKind::Cpu) {
        ++d.cpuRunning;
        m_cpu.advance(m_now);
        m_cpu.add(j, id, m_now);
        rescheduleCpu();
    } else {
        ++j.pending;
        push(m_now + j.work_, Ev::StageEnd, id);
    }
}

void Sim::rescheduleCpu()
{
    const auto [t, job] = m_cpu.next(m_now, m_jobs);
    if (job >= 0)
        push(t, Ev::CpuCheck, std::int64_t(m_cpu.generation));
}

void Sim::stageDone(std::int64_t id)
{
    Job &j = m_jobs[std::size_t(id)];
    if (j.done)
        return;
    SimTask &t = m_tasks[std::size_t(j.task)];
    const StagePlan &p = t.plan[std::size_t(j.stage)];
    if (t.ended) { // a timeout failed the task while this stage ran: the worker is free now
        finishJob(id, false, {});
        return;
    }
    if (p.crash && j.domain == DomainKind::Procs) {
        SimDomain &d = m_domains[std::size_t(j.domain)];
        ++d.crashes;
        ++d.restarts;
        ++d.restarting;
        push(m_now + m_o.costs.workerStartS, Ev::WorkerBack, std::int64_t(j.domain));
        finishJob(id, true, QStringLiteral("worker crashed"));
        return;
    }
    finishJob(id, p.fail, QStringLiteral("stage raised (fail)"));
}

void Sim::creditLoopBusy(const Job &j)
{
    const double from = std::max(j.started, m_busyFromS);
    if (m_now > from)
        m_frameBusy[{ m_tasks[std::size_t(j.task)].cls, j.stage }] += m_now - from;
    // Counted up to now: a later credit of the same hold (its end, the next frame) starts here.
    m_busyFromS = std::max(m_busyFromS, m_now);
}

void Sim::finishJob(std::int64_t id, bool failed, const QString &reason)
{
    Job &j = m_jobs[std::size_t(id)];
    j.done = true;
    j.running = false;
    SimDomain &d = m_domains[std::size_t(j.domain)];
    d.integrate(m_now);
    if (j.holdsWorker)
        --d.busy;
    if (j.work == WorkKind::Cpu)
        --d.cpuRunning;
    if (j.gil)
        m_classes[std::size_t(m_tasks[std::size_t(j.task)].cls)].gilWait.record(
            ns(std::max(0.0, m_now - j.started - j.gilHeld)));
    if (id == m_loopHolder) {
        creditLoopBusy(j);
        // The heartbeat due first while the stage held the loop ran when it let go; the ones due
        // after it in that time were one missed tick.
        m_loopHolder = -1;
        loopLetGo();
        const double held = m_now - j.started;
        if (held * 1e3 > m_frameBlockMs) {
            m_frameBlockMs = held * 1e3;
            m_frameBlockClass = m_tasks[std::size_t(j.task)].cls;
            m_frameBlockStage = j.stage;
        }
    }
    --d.running;
    ++d.completed;
    d.service.record(ns(m_now - j.started));
    d.sojourn.record(ns(m_now - j.enqueued));
    d.doneTimes.push_back({ m_now, 1 });
    SimTask &t = m_tasks[std::size_t(j.task)];
    if (!t.ended) {
        if (failed) {
            endTask(j.task, Outcome::Failed, reason);
        } else if (t.stage + 1 >= int(t.plan.size())) {
            endTask(j.task, Outcome::Completed, {});
        } else {
            ++t.stage;
            t.lastEnd = m_now;
            ++t.refs;
            push(m_now + m_o.costs.hopS, Ev::Submit, j.task);
        }
    }
    releaseJob(id);
    unblock(d);
    startNext(d);
}

void Sim::unblock(SimDomain &d)
{
    std::vector<int> letGo;
    while (!d.blocked.empty() && !d.full()) {
        const SimDomain::Blocked b = d.blocked.front();
        d.blocked.pop_front();
        if (b.generator)
            m_generatorHeld = false;
        if (!m_tasks[std::size_t(b.task)].ended)
            admit(b.task, d);
        releaseTask(b.task);
        if (b.holds >= 0) {
            SimDomain &hd = m_domains[std::size_t(b.holds)];
            hd.integrate(m_now);
            --hd.busy;
            if (hd.kind == DomainKind::Loop && --m_loopHandOvers == 0)
                loopLetGo();
            letGo.push_back(b.holds);
        }
    }
    for (int h : letGo)
        startNext(m_domains[std::size_t(h)]);
    // Arrivals that came due while the generator waited, in order.
    while (!m_generatorHeld && !m_heldArrivals.empty()) {
        const Event e = m_heldArrivals.front();
        m_heldArrivals.pop_front();
        arrival(int(e.a), int(e.b), e.t);
    }
}

void Sim::endTask(std::int64_t task, Outcome o, const QString &reason)
{
    SimTask &t = m_tasks[std::size_t(task)];
    if (t.ended)
        return;
    t.ended = true;
    --m_live;
    ClassState &c = m_classes[std::size_t(t.cls)];
    switch (o) {
    case Outcome::Completed:
        ++c.completed;
        c.latency.record(ns(m_now - t.intended));
        c.latencyNaive.record(ns(m_now - t.dispatched));
        c.doneTimes.push_back(m_now);
        break;
    case Outcome::Failed: ++c.failed; break;
    case Outcome::Rejected: ++c.rejected; break;
    case Outcome::Cancelled: ++c.cancelled; break;
    }
    if (!reason.isEmpty())
        ++c.reasons[reason];
    if (t.client >= 0 && m_arrivalsOpen) {
        double next = m_now + m_schedules[std::size_t(t.cls)]->thinkTime();
        if (const double period = m_schedules[std::size_t(t.cls)]->closedPeriod(); period > 0) {
            // wrk2's model (DESIGN §15): intended one period after the previous intended request.
            double &intended = c.nextIntended[std::size_t(t.client)];
            intended = t.intended + period;
            next = std::max(next, intended);
        }
        if (next < m_s.duration)
            push(next, Ev::Arrival, t.cls, t.client);
    }
}

void Sim::loopLetGo()
{
    if (m_loopHolder >= 0 || m_loopHandOvers > 0 || m_nextHeartbeat > m_now)
        return; // still held, or no heartbeat came due meanwhile
    const double late = m_now - m_nextHeartbeat + m_o.costs.timerLatenessS;
    m_loopLag.record(ns(late));
    m_frameLag = std::max(m_frameLag, late);
    while (m_nextHeartbeat <= m_now)
        m_nextHeartbeat += m_s.heartbeat;
}

void Sim::heartbeatsUntil(double t)
{
    const SimDomain &loop = m_domains[std::size_t(DomainKind::Loop)];
    if (!loop.used || m_s.heartbeat <= 0)
        return;
    for (; m_nextHeartbeat <= t; m_nextHeartbeat += m_s.heartbeat) {
        m_loopLag.record(ns(m_o.costs.timerLatenessS));
        m_frameLag = std::max(m_frameLag, m_o.costs.timerLatenessS);
    }
}

void Sim::releaseTask(std::int64_t id)
{
    SimTask &t = m_tasks[std::size_t(id)];
    if (t.refs > 0)
        --t.refs;
    if (t.ended && t.refs == 0 && !t.freed) {
        t.freed = true;
        m_freeTasks.push_back(id);
    }
}

void Sim::releaseJob(std::int64_t id)
{
    Job &j = m_jobs[std::size_t(id)];
    if (!j.done || j.pending > 0 || j.freed)
        return;
    j.freed = true;
    m_freeJobs.push_back(id);
    releaseTask(j.task);
}

Mark Sim::mark()
{
    integrateAll(m_now);
    Mark m;
    m.t = m_now;
    for (const ClassState &c : m_classes)
        m.classes.push_back(
            Mark::Cls { c.submitted, c.completed, c.failed, c.rejected, c.cancelled, c.latency.snapshot(),
                c.hop.snapshot(), c.ipc.snapshot(), c.gilWait.snapshot(), c.latencyNaive.snapshot() });
    for (const SimDomain &d : m_domains)
        m.domains[std::size_t(d.kind)]
            = Mark::Dom { d.busyIntegral, d.queueIntegral, d.capacityIntegral, d.admitted, d.waitedCount, d.completed,
                  d.starved, d.crashes, d.restarts, d.starvedS, d.wait.snapshot(), d.service.snapshot() };
    return m;
}

PhaseResult Sim::phaseBetween(const Mark &a, const Mark &b) const
{
    PhaseResult p;
    p.fromS = 0;
    p.settleS = a.t;
    p.toS = b.t;
    p.settled = b.t > a.t;
    p.change = QStringLiteral("start");
    p.config = std::make_shared<const Scenario>(m_s);
    const double span = std::max(1e-9, b.t - a.t);
    for (std::size_t i = 0; i < m_classes.size(); ++i) {
        const Mark::Cls &x = a.classes[i], &y = b.classes[i];
        ClassResult c;
        c.name = m_s.classes[i].name;
        c.submitted = y.submitted - x.submitted;
        c.completed = y.completed - x.completed;
        c.failed = y.failed - x.failed;
        c.rejected = y.rejected - x.rejected;
        c.cancelled = y.cancelled - x.cancelled;
        c.throughput = double(c.completed) / span;
        c.latency = y.latency.since(x.latency);
        c.latencyNaive = y.latencyNaive.since(x.latencyNaive);
        c.hop = y.hop.since(x.hop);
        c.ipc = y.ipc.since(x.ipc);
        c.gilWait = y.gilWait.since(x.gilWait);
        if (auto sla = m_s.slaFor(int(i)))
            c.slaP99Ms = *sla * 1e3;
        p.classes.push_back(std::move(c));
    }
    for (const SimDomain &d : m_domains) {
        const Mark::Dom &x = a.domains[std::size_t(d.kind)], &y = b.domains[std::size_t(d.kind)];
        DomainResult &dr = p.domains[std::size_t(d.kind)];
        dr.kind = d.kind;
        dr.used = d.used;
        DomainTotals &t = dr.totals;
        t.workers = d.workers;
        t.completed = y.completed - x.completed;
        t.spanNs = span * 1e9;
        t.busyNs = (y.busy - x.busy) * 1e9;
        t.capacityNs = (y.capacity - x.capacity) * 1e9;
        t.queueNs = (y.queue - x.queue) * 1e9;
        t.utilization = t.busyNs / t.capacityNs;
        t.queueMean = (y.queue - x.queue) / span;
        t.queueMax = d.queueMax;
        t.wait = y.wait.since(x.wait);
        t.service = y.service.since(x.service);
        t.admitted = y.admitted - x.admitted;
        t.waited = y.waited - x.waited;
        t.pWait = t.admitted ? double(t.waited) / double(t.admitted) : 0.0;
        t.starved = y.starved - x.starved;
        t.starvedMs = (y.starvedS - x.starvedS) * 1e3;
        t.crashes = y.crashes - x.crashes;
        t.restarts = y.restarts - x.restarts;
    }
    return p;
}

DomainTotals Sim::totalsOf(SimDomain &d)
{
    d.integrate(m_now);
    DomainTotals t;
    t.workers = d.workers;
    t.completed = d.completed;
    t.spanNs = m_now * 1e9;
    t.busyNs = d.busyIntegral * 1e9;
    t.capacityNs = d.capacityIntegral * 1e9;
    t.queueNs = d.queueIntegral * 1e9;
    t.utilization = t.capacityNs > 0 ? t.busyNs / t.capacityNs : 0.0;
    t.queueMean = m_now > 0 ? d.queueIntegral / m_now : 0.0;
    t.queueMax = d.queueMax;
    t.wait = d.wait.snapshot();
    t.service = d.service.snapshot();
    t.admitted = d.admitted;
    t.waited = d.waitedCount;
    t.pWait = d.admitted > 0 ? double(d.waitedCount) / double(d.admitted) : 0.0;
    t.starved = d.starved;
    t.starvedMs = d.starvedS * 1e3;
    t.crashes = d.crashes;
    t.restarts = d.restarts;
    return t;
}

void Sim::resizePool(SimDomain &d, int workers)
{
    d.integrate(m_now);
    const int delta = workers - d.workers;
    d.workers = workers;
    if (delta > 0 && d.kind == DomainKind::Procs) {
        // A new worker process serves once it has started, as the engine's do.
        d.restarting += delta;
        for (int k = 0; k < delta; ++k)
            push(m_now + m_o.costs.workerStartS, Ev::WorkerBack, std::int64_t(d.kind));
    }
    unblock(d);
    startNext(d);
}

void Sim::autoscaleTick(const Frame &f)
{
    for (SimDomain &d : m_domains) {
        Scaler &sc = m_scalers[std::size_t(d.kind)];
        if (!sc.ctl)
            continue;
        const DomainFrame &df = f.domains[std::size_t(d.kind)];
        sc.workersMin = std::min(sc.workersMin, d.workers);
        sc.workersMax = std::max(sc.workersMax, d.workers);
        if (const QString label = sc.events.due(m_now); !label.isEmpty())
            m_runEvents.push_back(RunEvent { m_now, label, QStringLiteral("scale") });
        const double interval = d.cfg.autoscale.interval;
        if (sc.next < 0) {
            sc.last = totalsOf(d);
            sc.lastRejected = df.rejected;
            sc.next = m_now + interval;
            continue;
        }
        if (m_now < sc.next - 1e-9)
            continue;
        sc.next += interval;
        if (sc.next <= m_now)
            sc.next = m_now + interval;
        DomainTotals now = totalsOf(d);
        const AutoscaleSample sample = autoscaleSample(sc.last, now, m_now, d.workers, df.queue,
            df.rejected >= sc.lastRejected ? df.rejected - sc.lastRejected : 0);
        sc.last = std::move(now);
        sc.lastRejected = df.rejected;
        const AutoscaleDecision decision = sc.ctl->step(sample);
        if (decision.workers == d.workers || decision.workers < 1)
            continue;
        resizePool(d, decision.workers);
        ++sc.resizes;
        sc.workersMin = std::min(sc.workersMin, decision.workers);
        sc.workersMax = std::max(sc.workersMax, decision.workers);
        const QString label = sc.events.resized(
            m_now, d.kind, d.cfg.autoscale.policy, sample.workers, decision.workers, decision.reason);
        if (!label.isEmpty())
            m_runEvents.push_back(RunEvent { m_now, label, QStringLiteral("scale") });
    }
}

void Sim::integrateAll(double t)
{
    for (SimDomain &d : m_domains)
        d.integrate(t);
}

void Sim::frame()
{
    Frame f;
    f.t = m_now;
    f.gil = m_s.gilEnabled;
    integrateAll(m_now);
    for (SimDomain &d : m_domains) {
        DomainFrame &df = f.domains[std::size_t(d.kind)];
        df.queue = int(d.queue.size());
        df.inflight = d.running;
        df.busy = d.busy;
        df.workers = d.workers;
        df.done = d.completed;
        df.utilization = d.workers > 0 ? (d.busyIntegral - d.frameBusyIntegral) / (kFrameS * d.workers) : 0.0;
        d.frameBusyIntegral = d.busyIntegral;
        while (!d.doneTimes.empty() && d.doneTimes.front().first < m_now - 1.0)
            d.doneTimes.pop_front();
        df.throughput = double(d.doneTimes.size());
        d.window.tick(ns(m_now), d.sojourn.snapshot());
        df.p99Ms = d.window.window().percentile(0.99) / 1e6;
        int starved = 0;
        for (std::int64_t id : d.queue)
            if (m_now - m_jobs[std::size_t(id)].enqueued > m_threshold)
                ++starved;
        df.starved = starved;
        df.cpuRunning = d.cpuRunning;
        df.rejected = d.rejected;
        df.crashes = d.crashes;
        df.bounded = d.cfg.queue > 0 || d.cfg.maxInflight > 0;
    }
    for (int i = 0; i < int(m_classes.size()); ++i) {
        ClassState &c = m_classes[std::size_t(i)];
        ClassFrame cf;
        cf.submitted = c.submitted;
        cf.completed = c.completed;
        cf.failed = c.failed;
        cf.rejected = c.rejected;
        cf.cancelled = c.cancelled;
        c.window.tick(ns(m_now), c.latency.snapshot());
        const HistogramSnapshot w = c.window.window();
        cf.p50Ms = w.percentile(0.5) / 1e6;
        cf.p99Ms = w.percentile(0.99) / 1e6;
        c.naiveWindow.tick(ns(m_now), c.latencyNaive.snapshot());
        cf.naiveP99Ms = c.naiveWindow.window().percentile(0.99) / 1e6;
        while (!c.doneTimes.empty() && c.doneTimes.front() < m_now - 1.0)
            c.doneTimes.pop_front();
        cf.throughput = double(c.doneTimes.size());
        f.classes.push_back(cf);
    }
    // The loop's heartbeat (due every `heartbeat`): on time while the loop is free; a stage
    // holding it now counts with its time so far, as the engine's frame does.
    if (m_loopHolder < 0 && m_loopHandOvers == 0)
        heartbeatsUntil(m_now);
    else if (m_loopHolder < 0) {
        if (m_nextHeartbeat <= m_now)
            m_frameLag = std::max(m_frameLag, m_now - m_nextHeartbeat);
    } else {
        const Job &j = m_jobs[std::size_t(m_loopHolder)];
        creditLoopBusy(j);
        const double held = m_now - j.started;
        if (held * 1e3 > m_frameBlockMs) {
            m_frameBlockMs = held * 1e3;
            m_frameBlockClass = m_tasks[std::size_t(j.task)].cls;
            m_frameBlockStage = j.stage;
        }
        if (m_nextHeartbeat <= m_now)
            m_frameLag = std::max(m_frameLag, m_now - m_nextHeartbeat);
    }
    f.loopLagMs = m_frameLag * 1e3;
    f.loopBlockClass = m_frameBlockClass;
    f.loopBlockStage = m_frameBlockStage;
    f.loopBlockMs = m_frameBlockMs;
    {
        std::vector<std::pair<double, std::pair<int, int>>> busy;
        for (const auto &[key, secs] : m_frameBusy) {
            busy.emplace_back(secs, key);
            f.loopBusyMs += secs * 1e3;
        }
        std::sort(busy.begin(), busy.end(), std::greater<>());
        for (std::size_t i = 0; i < busy.size() && i < kTopKeys; ++i)
            f.loopBusyTop[i] = KeyCount { busy[i].second.first, busy[i].second.second,
                int(std::min(busy[i].first * 1e6, double(std::numeric_limits<int>::max()))) };
        m_frameBusy.clear();
        m_busyFromS = m_now;
    }
    m_frameLag = 0;
    m_frameBlockMs = 0;
    m_frameBlockClass = m_frameBlockStage = -1;
    autoscaleTick(f);
    m_frames.push_back(std::move(f));
}

RunResult Sim::run(SimStats *stats)
{
    QElapsedTimer wall;
    wall.start();
    for (int c = 0; c < int(m_schedules.size()); ++c) {
        ArrivalSchedule &a = *m_schedules[std::size_t(c)];
        if (a.isClosed()) {
            if (a.closedPeriod() > 0)
                m_classes[std::size_t(c)].nextIntended.assign(std::size_t(a.clients()), 0.0);
            for (int k = 0; k < a.clients(); ++k) {
                const double first = a.closedFirst(k);
                if (a.closedPeriod() > 0)
                    m_classes[std::size_t(c)].nextIntended[std::size_t(k)] = first;
                if (first < m_s.duration)
                    push(first, Ev::Arrival, c, k);
            }
        } else {
            const double first = a.next();
            if (first < m_s.duration)
                push(first, Ev::Arrival, c, -1);
        }
    }
    push(m_s.duration, Ev::ArrivalsEnd);
    if (m_o.warmupS > 0 && m_o.warmupS < m_s.duration)
        push(m_o.warmupS, Ev::Mark);
    else
        m_warm = mark();
    push(kFrameS, Ev::Frame);
    double endAt = kInf;
    while (!m_events.empty()) {
        const Event e = m_events.top();
        if (e.t > endAt)
            break;
        m_events.pop();
        m_now = e.t;
        ++m_processed;
        switch (e.kind) {
        case Ev::Arrival:
            if (m_generatorHeld && e.b < 0)
                m_heldArrivals.push_back(e);
            else
                arrival(int(e.a), int(e.b), e.t);
            break;
        case Ev::Submit:
            if (!m_tasks[std::size_t(e.a)].ended)
                submit(e.a, false);
            releaseTask(e.a);
            break;
        case Ev::Start: {
            Job &j = m_jobs[std::size_t(e.a)];
            --j.pending;
            j.waking = false;
            --m_domains[std::size_t(j.domain)].waking;
            if (j.done) { // timed out while its worker woke
                SimDomain &d = m_domains[std::size_t(j.domain)];
                releaseJob(e.a);
                startNext(d);
            } else {
                startJob(e.a);
            }
            break;
        }
        case Ev::StageEnd:
            --m_jobs[std::size_t(e.a)].pending;
            stageDone(e.a);
            releaseJob(e.a);
            break;
        case Ev::CpuCheck: {
            if (std::uint64_t(e.a) != m_cpu.generation)
                break; // something changed since: a newer check is queued
            m_cpu.advance(m_now);
            const auto [t, job] = m_cpu.next(m_now, m_jobs);
            if (job < 0)
                break;
            if (t > m_now + 1e-12) {
                push(t, Ev::CpuCheck, std::int64_t(m_cpu.generation));
                break;
            }
            if (m_jobs[std::size_t(job)].gil) {
                if (m_cpu.holderStep(m_jobs, m_now))
                    stageDone(job);
            } else {
                m_cpu.removeFree(job);
                stageDone(job);
            }
            rescheduleCpu();
            break;
        }
        case Ev::WorkerBack: {
            SimDomain &d = m_domains[std::size_t(e.a)];
            --d.restarting;
            startNext(d);
            break;
        }
        case Ev::Timeout: {
            Job &j = m_jobs[std::size_t(e.a)];
            --j.pending;
            if (j.done || m_tasks[std::size_t(j.task)].ended) {
                releaseJob(e.a);
                break;
            }
            SimDomain &d = m_domains[std::size_t(j.domain)];
            if (j.waking) { // its worker is waking: the start finds it done
                --d.running;
                j.done = true;
                endTask(j.task, Outcome::Failed, QStringLiteral("timeout"));
                break;
            }
            if (!j.running) { // still queued: leaves the queue
                d.integrate(m_now);
                d.queue.erase(std::find(d.queue.begin(), d.queue.end(), e.a));
                --d.running;
                j.done = true;
                endTask(j.task, Outcome::Failed, QStringLiteral("timeout"));
                releaseJob(e.a);
                startNext(d);
                break;
            }
            endTask(j.task, Outcome::Failed, QStringLiteral("timeout"));
            break;
        }
        case Ev::Frame:
            frame();
            if (m_now < endAt)
                push(m_now + kFrameS, Ev::Frame);
            break;
        case Ev::Mark: m_warm = mark(); break;
        case Ev::ArrivalsEnd:
            m_arrivalsEnd = mark();
            m_arrivalsOpen = false;
            m_draining = true;
            m_heldArrivals.clear();
            endAt = m_now + m_o.drainS;
            push(endAt, Ev::DrainEnd);
            break;
        case Ev::DrainEnd: break;
        }
        if (!m_arrivalsOpen && m_live == 0 && m_heldArrivals.empty()) {
            endAt = m_now;
            break;
        }
    }
    // Whatever is left after the drain is cancelled.
    m_now = std::min(m_now, endAt);
    for (std::int64_t i = 0; i < std::int64_t(m_tasks.size()); ++i)
        if (!m_tasks[std::size_t(i)].ended)
            endTask(i, Outcome::Cancelled, QStringLiteral("cancelled at the end of the drain"));
    frame();

    RunResult r;
    r.scenario = m_s;
    r.durationS = m_now;
    for (int i = 0; i < int(m_classes.size()); ++i) {
        const ClassState &c = m_classes[std::size_t(i)];
        ClassResult cr;
        cr.name = m_s.classes[std::size_t(i)].name;
        cr.submitted = c.submitted;
        cr.completed = c.completed;
        cr.failed = c.failed;
        cr.rejected = c.rejected;
        cr.cancelled = c.cancelled;
        cr.throughput = r.durationS > 0 ? double(cr.completed) / r.durationS : 0.0;
        cr.latency = c.latency.snapshot();
        cr.latencyNaive = c.latencyNaive.snapshot();
        cr.hop = c.hop.snapshot();
        cr.ipc = c.ipc.snapshot();
        cr.gilWait = c.gilWait.snapshot();
        if (auto sla = m_s.slaFor(i))
            cr.slaP99Ms = *sla * 1e3;
        cr.failureReasons = c.reasons;
        r.classes.push_back(std::move(cr));
    }
    for (SimDomain &d : m_domains) {
        DomainResult &dr = r.domains[std::size_t(d.kind)];
        dr.kind = d.kind;
        dr.used = d.used;
        dr.totals = totalsOf(d);
        const Scaler &sc = m_scalers[std::size_t(d.kind)];
        if (d.used && sc.ctl)
            dr.autoscale = AutoscaleResult { d.cfg.autoscale.policy, sc.resizes, sc.workersMin, sc.workersMax };
    }
    for (Scaler &sc : m_scalers)
        if (const QString label = sc.events.due(m_now, true); !label.isEmpty())
            m_runEvents.push_back(RunEvent { m_now, label, QStringLiteral("scale") });
    r.events = std::move(m_runEvents);
    r.loopLag = m_loopLag.snapshot();
    r.loopLag = m_loopLag.snapshot();
    r.frames = std::move(m_frames);
    r.gilUsed = m_s.gilEnabled;
    r.gilEnabled = m_s.gilEnabled;
    if (!m_arrivalsEnd)
        m_arrivalsEnd = mark();
    PhaseResult p = phaseBetween(m_warm ? *m_warm : *m_arrivalsEnd, *m_arrivalsEnd);
    p.loopLag = r.loopLag;
    r.phases.push_back(std::move(p));
    r.findings = diagnose(r, std::max(1, int(std::lround(m_cpu.cores))));
    if (stats) {
        stats->events = m_processed;
        stats->wallS = double(wall.nsecsElapsed()) / 1e9;
    }
    return r;
}

} // namespace

RunResult simulate(const Scenario &scenario, const SimOptions &options, SimStats *stats)
{
    Sim sim(scenario, options);
    SimStats own;
    RunResult r = sim.run(&own);
    r.simulation = simulationJson(scenario, options, own, 1);
    if (stats)
        *stats = own;
    return r;
}

double simCores(const SimOptions &options)
{
    if (options.cores > 0)
        return options.cores;
    if (options.costs.effectiveCores > 0)
        return options.costs.effectiveCores;
    return std::max(1, QThread::idealThreadCount());
}

std::vector<Extrapolation> simulationExtrapolations(const Scenario &scenario, const SimOptions &options)
{
    const SimRanges &m = options.costs.ranges;
    std::vector<Extrapolation> out;
    const auto check = [&out](const QString &what, double value, double measured) {
        if (value > 2 * measured)
            out.push_back({ what, value, measured });
    };
    check(QStringLiteral("cores"), simCores(options), m.cores);
    for (const TaskClass &c : scenario.classes) {
        const Arrival &a = c.arrival;
        double rate = 0;
        switch (a.process) {
        case ArrivalProcess::Poisson:
        case ArrivalProcess::Constant:
        case ArrivalProcess::Burst: rate = a.rate; break;
        case ArrivalProcess::Ramp: rate = std::max(a.from, a.to); break;
        case ArrivalProcess::Closed: rate = a.rate; break; // 0 without a rate: as fast as its stages allow
        }
        check(QStringLiteral("arrival rate of %1 (/s)").arg(c.name), rate, m.maxRatePerS);
        for (const Stage &st : c.stages) {
            const QString where = c.name + QLatin1Char('.') + st.name;
            if (st.domain == DomainKind::Procs)
                check(QStringLiteral("payload of %1 (bytes)").arg(where), st.payloadIn.mean() + st.payloadOut.mean(),
                    m.maxPayloadBytes);
            if (st.work == WorkKind::Net)
                check(QStringLiteral("net answer of %1 (bytes)").arg(where), st.bytes.mean(), m.maxNetBytes);
            if (st.work == WorkKind::Disk)
                check(QStringLiteral("disk file of %1 (bytes)").arg(where), st.bytes.mean(), m.maxDiskBytes);
        }
    }
    return out;
}

void mergeExtrapolations(std::vector<Extrapolation> *into, const std::vector<Extrapolation> &more)
{
    for (const Extrapolation &e : more) {
        const auto it
            = std::find_if(into->begin(), into->end(), [&e](const Extrapolation &x) { return x.what == e.what; });
        if (it == into->end())
            into->push_back(e);
        else
            it->value = std::max(it->value, e.value);
    }
}

QJsonArray extrapolationJson(const std::vector<Extrapolation> &e)
{
    QJsonArray a;
    for (const Extrapolation &x : e)
        a.append(QJsonObject { { QStringLiteral("what"), x.what }, { QStringLiteral("value"), x.value },
            { QStringLiteral("measured_max"), x.measuredMax } });
    return a;
}

QString extrapolationText(const std::vector<Extrapolation> &e)
{
    if (e.empty())
        return {};
    QStringList parts;
    for (const Extrapolation &x : e)
        parts << QStringLiteral("%1 %2 (measured up to %3)")
                     .arg(x.what)
                     .arg(x.value, 0, 'g', 6)
                     .arg(x.measuredMax, 0, 'g', 6);
    return QStringLiteral("EXTRAPOLATION: beyond twice the calibration's range: ") + parts.join(QStringLiteral("; "));
}

QString simulationLockNote(const Scenario &scenario)
{
    QStringList keys;
    for (const TaskClass &c : scenario.classes)
        for (const Stage &st : c.stages)
            if (!st.locks.empty() || !st.update.isEmpty())
                keys << c.name + QLatin1Char('.') + st.name;
    if (keys.isEmpty())
        return {};
    return QStringLiteral("the simulator does not model locks or shared counters: %1 ran as if they took no lock "
                          "(no lock waits, no lost updates); run it on the engine to see them")
        .arg(keys.join(QStringLiteral(", ")));
}

QJsonObject simulationJson(const Scenario &scenario, const SimOptions &options, const SimStats &stats, int reps)
{
    QJsonObject o {
        { QStringLiteral("cores"), simCores(options) },
        { QStringLiteral("reps"), reps },
        { QStringLiteral("events"), qint64(stats.events) },
        { QStringLiteral("events_per_s"), std::round(stats.eventsPerS()) },
        { QStringLiteral("wall_s"), std::round(stats.wallS * 1e4) / 1e4 },
        { QStringLiteral("calibration"), options.costs.source },
        { QStringLiteral("extrapolation"), extrapolationJson(simulationExtrapolations(scenario, options)) },
    };
    if (const QString note = simulationLockNote(scenario); !note.isEmpty())
        o[QStringLiteral("locks_ignored")] = note; // DESIGN §15: not modelled, said so
    return o;
}

} // namespace hs
