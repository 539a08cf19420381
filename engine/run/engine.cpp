#include "run/engine.h"

#include "autoscale/autoscale.h"
#include "core/clock.h"
#include "domains/gil.h"
#include "domains/latencyserver.h"
#include "domains/loopdomain.h"
#include "domains/resources.h"
#include "domains/tbbdomain.h"
#include "domains/threadsdomain.h"
#include "domains/trace.h"
#include "domains/work.h"
#include "procs/procsdomain.h"
#include "results/phases.h"
#include "run/generator.h"
#include "run/lockbook.h"
#include "run/router.h"

#include <QDir>
#include <QTemporaryDir>
#include <QThread>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>

namespace hs {

namespace {
constexpr std::int64_t kFrameNs = 50'000'000; // 20 Hz

struct ClassStats {
    // The generator writes `submitted`, workers the outcomes: separate cache lines.
    alignas(64) std::atomic<std::uint64_t> submitted { 0 };
    alignas(64) std::atomic<std::uint64_t> completed { 0 }, failed { 0 }, rejected { 0 }, cancelled { 0 };
    LatencyHistogram latency;
    LatencyHistogram hop;
    LatencyHistogram ipc; // procs stages: serialization + transfer, both ways
    LatencyHistogram gilWait; // cpu stages under the GIL: time spent waiting for it
    // procs stages: sums for the serialization share of service time (diagnostics)
    std::atomic<std::int64_t> procsIpcNs { 0 }, procsServiceNs { 0 };
    std::atomic<std::uint64_t> procsStages { 0 };
    SlidingWindow window;
    SlidingWindow gilWindow;
    // DESIGN §15: latency from the actual dispatch (Task::dispatchedNs), beside `latency`.
    LatencyHistogram latencyNaive;
    SlidingWindow naiveWindow;
    std::deque<std::pair<std::int64_t, std::uint64_t>> doneHistory; // monitor thread only
};

enum class Phase { Idle, Running, Draining, Cancelling, Finished };

// The bytes a stage takes in: what the task carries, cut or padded to `size`.
QByteArray payloadOfSize(const Task &t, std::int64_t size)
{
    QByteArray in(qsizetype(size), Qt::Uninitialized);
    const qsizetype carried = std::min<qsizetype>(t.payload.size(), in.size());
    if (carried > 0)
        std::memcpy(in.data(), t.payload.constData(), std::size_t(carried));
    if (carried < in.size())
        std::memset(in.data() + carried, int(t.id & 0xff), std::size_t(in.size() - carried));
    return in;
}
} // namespace

struct Engine::Impl final : StageHost, RemoteStageHost {
    Impl(Engine &owner, Scenario s, EngineOptions o)
        : q(owner)
        , scenario(std::move(s))
        , options(o)
        , router(scenario)
        , classes(scenario.classes.size())
        , gil(std::max<std::int64_t>(1, secondsToNs(scenario.gilSwitchInterval)))
        , gilOn(scenario.gilEnabled)
        , gilUsed(scenario.gilEnabled)
    {
        for (auto &c : classes)
            c = std::make_unique<ClassStats>();
        if (options.trace)
            tracer = std::make_unique<TraceRecorder>();
        lockBook = std::make_unique<LockBook>(scenario);
    }

    // --- StageHost -------------------------------------------------------------------
    void enterStage(StageJob &job) override
    {
        Task &t = *job.task;
        const StagePlan &p = t.plan[std::size_t(job.stage)];
        std::int64_t copyNs = 0;
        if (p.payloadIn > 0) {
            // The bytes moved into this domain: a real copy of what the task carries,
            // padded when the previous stage produced less.
            const std::int64_t begin = nowNs();
            t.payload = payloadOfSize(t, p.payloadIn);
            copyNs = nowNs() - begin;
        }
        if (job.stage > 0)
            classes[std::size_t(t.cls)]->hop.record(job.enqueuedNs - t.lastEndNs + copyNs);
    }

    WorkResult exitStage(StageJob &job, const WorkResult &workResult) override
    {
        if (workResult.status != WorkStatus::Ok)
            return workResult;
        Task &t = *job.task;
        const StagePlan &p = t.plan[std::size_t(job.stage)];
        if (p.fail)
            return WorkResult { WorkStatus::Failed, QStringLiteral("injected failure (fail)") };
        if (p.payloadOut > 0) {
            QByteArray out(qsizetype(p.payloadOut), Qt::Uninitialized);
            std::memset(out.data(), int((t.id + std::uint64_t(job.stage)) & 0xff), std::size_t(out.size()));
            t.payload = std::move(out);
        } else {
            t.payload.clear();
        }
        return workResult;
    }

    WorkResult runStage(StageJob &job, const WorkControl &ctl) override
    {
        enterStage(job);
        const Stage &st = scenario.classes[std::size_t(job.task->cls)].stages[std::size_t(job.stage)];
        const StagePlan &p = job.task->plan[std::size_t(job.stage)];
        const auto doWork = [&](double seconds) {
            switch (job.work) {
            case WorkKind::Cpu: {
                // DESIGN §3: cpu work on loop and threads holds the one GIL; tbb models native code.
                const Domain *dom = currentDomain();
                if (!gilOn.load(std::memory_order_relaxed) || !dom
                    || (dom->kind() != DomainKind::Loop && dom->kind() != DomainKind::Threads))
                    return runCpu(st.kernel, seconds, ctl);
                std::int64_t waited = 0;
                WorkControl underGil = ctl;
                underGil.gil = &gil;
                underGil.gilWaitNs = &waited;
                const WorkResult r = runCpu(st.kernel, seconds, underGil);
                classes[std::size_t(job.task->cls)]->gilWait.record(waited);
                return r;
            }
            case WorkKind::Block:
            case WorkKind::Async: // off the loop, an await degrades to a blocking wait
                return runBlock(seconds, ctl);
            case WorkKind::Net: return runNetBlocking(server.port(), seconds, p.bytes, ctl);
            case WorkKind::Disk: return runDisk(tempDir.path(), p.bytes, st.fsync, ctl);
            }
            return WorkResult {};
        };
        if (!lockBook->takesLocks(job.task->cls, job.stage))
            return exitStage(job, doWork(p.time));
        return exitStage(job, runLocked(job, ctl, p.time, doWork));
    }

    // DESIGN §15: the work under the stage's locks (and its counter update), split in one part per
    // lock for work that can be split; net and disk work runs whole once every lock is held.
    WorkResult runLocked(
        StageJob &job, const WorkControl &ctl, double seconds, const std::function<WorkResult(double)> &doWork)
    {
        const Domain *dom = currentDomain();
        const DomainKind dk = dom ? dom->kind() : router.route(job.task->cls, job.stage);
        const bool splittable = job.work == WorkKind::Cpu || job.work == WorkKind::Block || job.work == WorkKind::Async;
        return lockBook->run(job.task->cls, job.stage, dk, ctl, [&](int part, int parts) {
            if (splittable)
                return doWork(seconds / parts);
            return part == parts - 1 ? doWork(seconds) : WorkResult {};
        });
    }

    bool takesLocks(const StageJob &job) const override
    {
        return job.task && lockBook->takesLocks(job.task->cls, job.stage);
    }

    QString recordLocks(const StageJob &job, const LockedRun &run) override
    {
        return lockBook->record(job.task->cls, job.stage, DomainKind::Procs, run);
    }

    void workerGone(pid_t pid) override { lockBook->forgetProcess(pid); }

    std::uint16_t netPort() const override { return server.port(); }

    // --- RemoteStageHost (procs) ---------------------------------------------------------
    RemoteStage remoteStage(StageJob &job) override
    {
        const Task &t = *job.task;
        const Stage &st = scenario.classes[std::size_t(t.cls)].stages[std::size_t(job.stage)];
        const StagePlan &p = t.plan[std::size_t(job.stage)];
        RemoteStage r;
        r.work = job.work;
        r.kernel = st.kernel;
        r.fsync = st.fsync;
        r.crash = p.crash;
        r.time = p.time;
        r.bytes = p.bytes;
        r.payloadOut = p.payloadOut;
        r.gil = gilOn.load(std::memory_order_relaxed); // the worker's own GIL, with the same interval
        r.gilSwitchInterval = scenario.gilSwitchInterval;
        lockBook->remotePlan(t.cls, job.stage, DomainKind::Procs, &r.locks, &r.update, &r.self);
        r.outFill = std::uint8_t((t.id + std::uint64_t(job.stage)) & 0xff); // as exitStage makes it
        // No local copy: serializing the bytes to the worker is how they move into this domain.
        if (p.payloadIn > 0)
            r.payloadIn = t.payload.size() == p.payloadIn ? t.payload : payloadOfSize(t, p.payloadIn);
        return r;
    }

    WorkResult exitRemoteStage(StageJob &job, const WorkResult &workResult, QByteArray payloadOut) override
    {
        if (workResult.status != WorkStatus::Ok)
            return workResult;
        Task &t = *job.task;
        if (t.plan[std::size_t(job.stage)].fail)
            return WorkResult { WorkStatus::Failed, QStringLiteral("injected failure (fail)") };
        t.payload = std::move(payloadOut);
        return workResult;
    }

    void recordTransfer(const StageJob &job, std::int64_t sendNs, std::int64_t ipcNs) override
    {
        const Task &t = *job.task;
        ClassStats &c = *classes[std::size_t(t.cls)];
        c.ipc.record(ipcNs);
        c.procsIpcNs.fetch_add(ipcNs, std::memory_order_relaxed);
        if (job.startedNs > 0)
            c.procsServiceNs.fetch_add(std::max(ipcNs, nowNs() - job.startedNs), std::memory_order_relaxed);
        c.procsStages.fetch_add(1, std::memory_order_relaxed);
        // The hop into a worker includes serializing and sending the payload.
        if (job.stage > 0)
            c.hop.record(job.enqueuedNs - t.lastEndNs + sendNs);
    }

    void procsEvent(const QString &label) override { addEvent(label, QStringLiteral("procs")); }

    void recordGilWait(const StageJob &job, std::int64_t waitNs) override
    {
        classes[std::size_t(job.task->cls)]->gilWait.record(waitNs);
    }

    void stageEnded(StageJob &&job, const WorkResult &result) override
    {
        TaskPtr t = std::move(job.task);
        switch (result.status) {
        case WorkStatus::Ok:
            if (job.stage + 1 < int(t->plan.size()))
                admit(std::move(t), job.stage + 1);
            else
                finishTask(*t, Outcome::Completed, {});
            break;
        case WorkStatus::Failed: finishTask(*t, Outcome::Failed, result.reason); break;
        case WorkStatus::TimedOut:
            finishTask(*t, Outcome::Failed, result.reason.isEmpty() ? QStringLiteral("timeout") : result.reason);
            break;
        case WorkStatus::Cancelled: finishTask(*t, Outcome::Cancelled, QStringLiteral("cancelled")); break;
        }
    }

    void stageAborted(StageJob &&job, Outcome outcome, const QString &reason) override
    {
        finishTask(*job.task, outcome, reason);
    }

    // --- task flow ------------------------------------------------------------------
    void submitTask(TaskPtr t)
    {
        live.fetch_add(1, std::memory_order_relaxed);
        classes[std::size_t(t->cls)]->submitted.fetch_add(1, std::memory_order_relaxed);
        const StagePlan &p0 = t->plan.front();
        if (p0.payloadIn > 0) // the request's own payload, made by the producer
            t->payload = QByteArray(qsizetype(p0.payloadIn), char(t->id & 0xff));
        admit(std::move(t), 0);
    }

    void admit(TaskPtr t, int stage)
    {
        const DomainKind dk = router.route(t->cls, stage);
        Domain *dom = domains[std::size_t(dk)].get();
        if (!dom) {
            finishTask(*t, Outcome::Failed, QStringLiteral("domain %1 is not available").arg(domainName(dk)));
            return;
        }
        const Stage &st = scenario.classes[std::size_t(t->cls)].stages[std::size_t(stage)];
        StageJob job;
        job.task = t;
        job.stage = stage;
        job.work = st.work;
        job.timeoutNs = st.timeout > 0 ? secondsToNs(st.timeout) : 0;
        const Admission admission = dom->submit(std::move(job));
        if (admission != Admission::Accepted && tracer)
            tracer->recordRefused(
                dk, *t, stage, admission == Admission::Cancelled ? Outcome::Cancelled : Outcome::Rejected, nowNs());
        switch (admission) {
        case Admission::Accepted: break;
        case Admission::Rejected:
            finishTask(*t, Outcome::Rejected, QStringLiteral("rejected by %1 (full)").arg(domainName(dk)));
            break;
        case Admission::CapReached:
            finishTask(
                *t, Outcome::Rejected, QStringLiteral("engine queue cap reached (%1 queued stages)").arg(queueCap.cap));
            break;
        case Admission::Cancelled: finishTask(*t, Outcome::Cancelled, QStringLiteral("cancelled")); break;
        }
    }

    void finishTask(Task &t, Outcome o, const QString &reason)
    {
        if (t.ended.exchange(true, std::memory_order_acq_rel)) {
            doubleEnds.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        ClassStats &c = *classes[std::size_t(t.cls)];
        const std::int64_t now = nowNs();
        switch (o) {
        case Outcome::Completed:
            c.latency.record(now - t.intendedNs);
            c.latencyNaive.record(now - (t.dispatchedNs ? t.dispatchedNs : t.intendedNs));
            c.completed.fetch_add(1, std::memory_order_relaxed);
            break;
        case Outcome::Failed: c.failed.fetch_add(1, std::memory_order_relaxed); break;
        case Outcome::Rejected: c.rejected.fetch_add(1, std::memory_order_relaxed); break;
        case Outcome::Cancelled: c.cancelled.fetch_add(1, std::memory_order_relaxed); break;
        }
        if (o != Outcome::Completed) {
            std::lock_guard lk(reasonsMutex);
            reasons[std::size_t(t.cls)][reason] += 1;
        }
        if (t.client >= 0 && generator)
            generator->clientDone(t.cls, t.client, now);
        if (live.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            std::lock_guard lk(ctlMutex);
            ctlCv.notify_all();
        }
    }

    // --- resources ------------------------------------------------------------------
    // Descriptors and threads the pools need are checked before anything starts: a failure then
    // is a clear error, while mid-run Qt, glib and oneTBB treat it as fatal (docs/metrics.md).
    bool reserveResources(bool procsUsed, QString *error)
    {
        const int threadsW = scenario.domain(DomainKind::Threads).workers;
        const int tbbW = scenario.domain(DomainKind::Tbb).workers;
        const int procsW = procsUsed ? scenario.domain(DomainKind::Procs).workers : 0;
        const std::int64_t limit = raiseFileLimit();
        const std::int64_t open = openFileCount() - StageFds::inUse(); // another engine's stages are theirs
        // One descriptor per pool thread (its event dispatcher), the procs workers' and some slack.
        fdReserve = 64 + threadsW + 4 * std::int64_t(procsW);
        if (open + fdReserve > limit) {
            if (error)
                *error = QStringLiteral("not enough file descriptors: %1 are open and the workers need about %2 more "
                                        "(%3 threads, %4 procs workers); the limit (ulimit -n) is %5")
                             .arg(open)
                             .arg(fdReserve)
                             .arg(threadsW)
                             .arg(procsW)
                             .arg(limit);
            return false;
        }
        fdLimit = limit;
        fdOpenAtStart = open;
        StageFds::setLimit(limit - open - fdReserve);
        // Pool threads, procs owner threads and worker processes (RLIMIT_NPROC counts both), and
        // the engine's own: loop, generator, monitor, latency server.
        const int threadsNeeded = threadsW + tbbW + 2 * procsW + 4;
        QString why;
        if (!probeThreads(threadsNeeded, &why)) {
            if (error)
                *error = why
                    + QStringLiteral(" (%1 threads, %2 tbb, %3 procs workers)").arg(threadsW).arg(tbbW).arg(procsW);
            return false;
        }
        queueCap.cap = options.queueCap >= 0 ? options.queueCap : defaultQueueCap(scenario);
        return true;
    }

    // --- monitor --------------------------------------------------------------------
    Frame sampleFrame(std::int64_t now)
    {
        Frame f;
        f.t = double(now - t0) / 1e9;
        for (DomainKind dk : kAllDomains)
            if (auto &dom = domains[std::size_t(dk)])
                f.domains[std::size_t(dk)] = dom->sample(now);
        for (auto &cp : classes) {
            ClassStats &c = *cp;
            ClassFrame cf;
            cf.submitted = c.submitted.load(std::memory_order_relaxed);
            cf.completed = c.completed.load(std::memory_order_relaxed);
            cf.failed = c.failed.load(std::memory_order_relaxed);
            cf.rejected = c.rejected.load(std::memory_order_relaxed);
            cf.cancelled = c.cancelled.load(std::memory_order_relaxed);
            c.window.tick(now, c.latency.snapshot());
            const HistogramSnapshot latencyWindow = c.window.window();
            cf.p50Ms = latencyWindow.percentile(0.50) / 1e6;
            cf.p99Ms = latencyWindow.percentile(0.99) / 1e6;
            c.naiveWindow.tick(now, c.latencyNaive.snapshot());
            cf.naiveP99Ms = c.naiveWindow.window().percentile(0.99) / 1e6;
            c.doneHistory.emplace_back(now, cf.completed);
            while (c.doneHistory.size() > 2 && now - c.doneHistory[1].first >= kNsPerSec)
                c.doneHistory.pop_front();
            const auto &[ht, hd] = c.doneHistory.front();
            cf.throughput = now > ht ? double(cf.completed - hd) * 1e9 / double(now - ht) : 0.0;
            c.gilWindow.tick(now, c.gilWait.snapshot());
            cf.gilWaitP99Ms = c.gilWindow.window().percentile(0.99) / 1e6;
            cf.procsIpcMs = double(c.procsIpcNs.load(std::memory_order_relaxed)) / 1e6;
            cf.procsServiceMs = double(c.procsServiceNs.load(std::memory_order_relaxed)) / 1e6;
            cf.procsStages = c.procsStages.load(std::memory_order_relaxed);
            f.classes.push_back(cf);
        }
        if (loop) {
            f.loopLagMs = loop->takeFrameLagMs(now);
            const KeyCount block = loop->takeFrameBlock(now);
            f.loopBlockClass = block.cls;
            f.loopBlockStage = block.stage;
            f.loopBlockMs = double(block.count) / 1e3;
            const LoopDomain::FrameBusy busy = loop->takeFrameBusy(now);
            f.loopBusyMs = busy.busyMs;
            f.loopBusyTop = busy.top;
        }
        f.gil = gilOn.load(std::memory_order_relaxed);
        f.gilWaiting = gil.waiting();
        f.locks = lockBook->sample(now);
        return f;
    }

    void publish(Frame &&f)
    {
        {
            std::lock_guard lk(framesMutex);
            frames.push_back(f);
        }
        Q_EMIT q.frameReady(f);
    }

    void monitor()
    {
        prepareEngineThread("hs-monitor");
        std::int64_t next = t0 + kFrameNs;
        std::int64_t phaseDeadline = 0;
        for (;;) {
            {
                std::unique_lock lk(ctlMutex);
                ctlCv.wait_until(lk, std::chrono::steady_clock::time_point(std::chrono::nanoseconds(next)), [&] {
                    return nowNs() >= next || (phase == Phase::Running && stopRequested)
                        || (phase == Phase::Draining && (cancelRequested || live.load() == 0))
                        || (phase == Phase::Cancelling && live.load() == 0);
                });
            }
            const std::int64_t now = nowNs();
            if (now >= next) {
                Frame f = sampleFrame(now);
                bool scaling = false;
                {
                    std::lock_guard lk(ctlMutex);
                    scaling = phase == Phase::Running || phase == Phase::Draining;
                }
                if (scaling)
                    autoscaleTick(now, f);
                publish(std::move(f));
                trackPhases(now);
                next += kFrameNs;
                if (next <= now) // fell behind (a stalled machine): keep the grid, skip missed frames
                    next += ((now - next) / kFrameNs + 1) * kFrameNs;
            }
            bool stopArrivals = false;
            bool cancel = false;
            bool done = false;
            bool arrivalsEnded = false;
            // A task the generator created but has not handed over is not counted in `live` yet.
            const bool generatorQuiet = generator->quiescent();
            {
                std::lock_guard lk(ctlMutex);
                if (phase == Phase::Running && (stopRequested || cancelRequested || (endNs && now >= endNs))) {
                    phase = Phase::Draining;
                    arrivalsEnded = true;
                    phaseDeadline = now + secondsToNs(options.drainSeconds);
                }
                // At the natural end the generator still hands over arrivals that were due before
                // it (late ones, under on_full: block) and stops by itself; a stop request or a
                // cancellation stops it now.
                stopArrivals = stopRequested || cancelRequested;
                if (phase == Phase::Draining && (cancelRequested || now >= phaseDeadline)) {
                    phase = Phase::Cancelling;
                    phaseDeadline = now + 10 * kNsPerSec;
                    cancel = true;
                }
                if ((phase == Phase::Draining || phase == Phase::Cancelling) && live.load() == 0 && generatorQuiet)
                    done = true;
                else if (phase == Phase::Cancelling && !cancel && now >= phaseDeadline) {
                    qWarning(
                        "hybridscope: %lld tasks did not end after cancellation", static_cast<long long>(live.load()));
                    done = true;
                }
            }
            if (arrivalsEnded)
                closePhases(now);
            // Never with ctlMutex held: cancelling ends tasks, and ending a task notifies under it.
            if (stopArrivals || cancel)
                generator->stop();
            if (cancel)
                for (auto &dom : domains)
                    if (dom)
                        dom->cancelAll();
            if (done)
                break;
        }
        shutdown();
    }

    void shutdown()
    {
        generator->stop();
        generator->join();
        for (auto &dom : domains)
            if (dom)
                dom->cancelAll();
        // Stages that ended during cancel may have tried one more hop: all were refused.
        const std::int64_t end = nowNs();
        {
            std::lock_guard lk(scaleMutex);
            for (DomainKind dk : kAllDomains)
                flushScaleEvent(dk, end, true);
        }
        publish(sampleFrame(end));
        std::array<DomainTotals, kDomainCount> totals {};
        HistogramSnapshot lag;
        for (DomainKind dk : kAllDomains)
            if (auto &dom = domains[std::size_t(dk)]) {
                totals[std::size_t(dk)] = dom->totals(end);
                if (dk == DomainKind::Loop)
                    lag = loop->lag();
            }
        {
            // result() may be called from any thread, also while this runs.
            std::lock_guard lk(framesMutex);
            domainTotals = std::move(totals);
            loopLag = std::move(lag);
            endedNs = end;
        }
        for (auto &dom : domains)
            if (dom)
                dom->stop();
        lockBook->finish(); // no process uses the lock segment any more: its name goes
        if (tracer) {
            auto log = tracer->collect(t0);
            std::lock_guard lk(framesMutex);
            traceLog = std::move(log);
        }
        server.stop();
        {
            std::lock_guard lk(ctlMutex);
            phase = Phase::Finished;
        }
        QMetaObject::invokeMethod(
            &q, [this] { Q_EMIT q.finished(); }, Qt::QueuedConnection);
    }

    // Under scaleMutex: a controller for `cfg` on a pool of `workers` now (none when off).
    void armScaler(DomainKind dk, const AutoscaleConfig &cfg, int workers)
    {
        Scaler &sc = scalers[std::size_t(dk)];
        sc.cfg = cfg;
        sc.ctl = cfg.enabled() ? makeAutoscaleController(cfg, dk, workers,
                     tightestSlaIn(scenario, dk, [this](int c, int st) { return router.route(c, st); }))
                               : nullptr;
        sc.nextNs = 0;
        if (cfg.enabled()) {
            if (!sc.everOn)
                sc.workersMin = sc.workersMax = workers;
            sc.everOn = true;
            sc.lastPolicy = cfg.policy;
        }
    }

    // Growing needs threads (and processes, descriptors) that may not be there: checked first, a
    // failed thread start mid-run is fatal in oneTBB and loses the task in QThreadPool. The one
    // path of every resize: a user's, a lesson step's and an autoscale controller's.
    bool resizePool(DomainKind dk, int workers, QString *error)
    {
        Domain *dom = domains[std::size_t(dk)].get();
        if (!dom || dk == DomainKind::Loop || workers < 1 || workers > 4096) {
            if (error)
                *error = dk == DomainKind::Loop ? QStringLiteral("loop always has one thread")
                    : !dom                      ? QStringLiteral("domain %1 is not running").arg(domainName(dk))
                           : QStringLiteral("workers must be between 1 and 4096, got %1").arg(workers);
            return false;
        }
        const int delta = workers - dom->workers();
        if (delta > 0) {
            const std::int64_t fds = dk == DomainKind::Threads ? delta : dk == DomainKind::Procs ? 4 * delta : 0;
            std::lock_guard lk(resizeMutex);
            if (fds > 0 && fdOpenAtStart + fdReserve + fds > fdLimit) {
                if (error)
                    *error = QStringLiteral("cannot grow %1 to %2 workers: not enough file descriptors (limit %3)")
                                 .arg(domainName(dk))
                                 .arg(workers)
                                 .arg(fdLimit);
                return false;
            }
            QString why;
            if (!probeThreads(dk == DomainKind::Procs ? 2 * delta : delta, &why)) {
                if (error)
                    *error = QStringLiteral("cannot grow %1 to %2 workers: ").arg(domainName(dk)).arg(workers) + why;
                return false;
            }
            fdReserve += fds;
            StageFds::setLimit(fdLimit - fdOpenAtStart - fdReserve);
        }
        if (delta != 0)
            dom->resize(workers);
        return true;
    }

    // Under scaleMutex: the merged event of a domain's controller resizes, once due (or now).
    void flushScaleEvent(DomainKind dk, std::int64_t now, bool force = false)
    {
        const QString label = scalers[std::size_t(dk)].events.due(double(now - t0) / 1e9, force);
        if (!label.isEmpty())
            addEvent(label, QStringLiteral("scale"));
    }

    // The monitor thread, at each frame: each autoscaled pool's controller decides once per its
    // interval from the domain's totals since its previous decision.
    void autoscaleTick(std::int64_t now, const Frame &f)
    {
        std::lock_guard lk(scaleMutex);
        for (DomainKind dk : kAllDomains) {
            Scaler &sc = scalers[std::size_t(dk)];
            Domain *dom = domains[std::size_t(dk)].get();
            if (!dom || !sc.everOn)
                continue;
            const DomainFrame &df = f.domains[std::size_t(dk)];
            if (sc.ctl) {
                sc.workersMin = std::min(sc.workersMin, df.workers);
                sc.workersMax = std::max(sc.workersMax, df.workers);
            }
            flushScaleEvent(dk, now);
            if (!sc.ctl)
                continue;
            if (sc.nextNs == 0) {
                sc.last = dom->totals(now);
                sc.lastRejected = df.rejected;
                sc.nextNs = now + secondsToNs(sc.cfg.interval);
                continue;
            }
            if (now < sc.nextNs)
                continue;
            sc.nextNs += secondsToNs(sc.cfg.interval);
            if (sc.nextNs <= now) // fell behind: keep the grid
                sc.nextNs = now + secondsToNs(sc.cfg.interval);
            DomainTotals totals = dom->totals(now);
            const AutoscaleSample sample = autoscaleSample(sc.last, totals, double(now - t0) / 1e9, dom->workers(),
                df.queue, df.rejected >= sc.lastRejected ? df.rejected - sc.lastRejected : 0);
            sc.last = std::move(totals);
            sc.lastRejected = df.rejected;
            const AutoscaleDecision decision = sc.ctl->step(sample);
            if (decision.workers == sample.workers)
                continue;
            QString why;
            if (!resizePool(dk, decision.workers, &why)) {
                if (why != sc.lastError) {
                    sc.lastError = why;
                    addEvent(QStringLiteral("%1 autoscale: %2").arg(domainName(dk), why), QStringLiteral("scale"));
                }
                sc.ctl->resizedByUser(dom->workers());
                continue;
            }
            ++sc.resizes;
            sc.workersMin = std::min(sc.workersMin, decision.workers);
            sc.workersMax = std::max(sc.workersMax, decision.workers);
            const QString label
                = sc.events.resized(sample.t, dk, sc.lastPolicy, sample.workers, decision.workers, decision.reason);
            if (!label.isEmpty())
                addEvent(label, QStringLiteral("scale"));
        }
    }

    // `apply` records the change in the configuration the next phase runs with.
    void addEvent(const QString &label, const QString &kind, const std::function<void(Scenario &)> &apply = {})
    {
        const std::int64_t now = nowNs();
        RunEvent e { double(now - t0) / 1e9, label, kind };
        {
            std::lock_guard lk(framesMutex);
            events.push_back(e);
        }
        Q_EMIT q.eventAdded(e);
        if (e.isChange())
            phaseChange(label, now, apply);
    }

    // --- phases (results/phases.h) ---------------------------------------------------
    // The engine's counters and histograms since the start, at `now`.
    RunCumulative cumulative(std::int64_t now) const
    {
        RunCumulative c;
        c.t = double(now - t0) / 1e9;
        for (std::size_t i = 0; i < classes.size(); ++i) {
            const ClassStats &cs = *classes[i];
            ClassResult cr;
            cr.name = scenario.classes[i].name;
            cr.submitted = cs.submitted.load();
            cr.completed = cs.completed.load();
            cr.failed = cs.failed.load();
            cr.rejected = cs.rejected.load();
            cr.cancelled = cs.cancelled.load();
            cr.latency = cs.latency.snapshot();
            cr.latencyNaive = cs.latencyNaive.snapshot();
            cr.hop = cs.hop.snapshot();
            cr.ipc = cs.ipc.snapshot();
            cr.gilWait = cs.gilWait.snapshot();
            if (auto sla = scenario.slaFor(int(i)))
                cr.slaP99Ms = *sla * 1e3;
            {
                // A copy of its own: QMap shares its data and detaches on a write after checking its
                // reference count with a relaxed load, which orders nothing with this thread's reads.
                std::lock_guard lk(reasonsMutex);
                for (auto it = reasons[i].cbegin(); it != reasons[i].cend(); ++it)
                    cr.failureReasons.insert(it.key(), it.value());
            }
            c.classes.push_back(std::move(cr));
        }
        for (DomainKind dk : kAllDomains) {
            DomainResult &dr = c.domains[std::size_t(dk)];
            dr.kind = dk;
            if (const auto &dom = domains[std::size_t(dk)]) {
                dr.used = true;
                dr.totals = dom->totals(now);
            }
        }
        if (loop)
            c.loopLag = loop->lag();
        return c;
    }

    std::uint64_t submittedTasks() const
    {
        std::uint64_t n = 0;
        for (const auto &c : classes)
            n += c->submitted.load();
        return n;
    }

    std::uint64_t endedTasks() const
    {
        std::uint64_t n = 0;
        for (const auto &c : classes)
            n += c->completed.load() + c->failed.load() + c->rejected.load() + c->cancelled.load();
        return n;
    }

    // Each domain's largest queue in the frames from `fromS` on.
    std::array<int, kDomainCount> queueMaxSince(double fromS) const
    {
        std::array<int, kDomainCount> out {};
        std::lock_guard lk(framesMutex);
        for (auto it = frames.rbegin(); it != frames.rend() && it->t >= fromS; ++it)
            for (std::size_t k = 0; k < out.size(); ++k)
                out[k] = std::max(out[k], it->domains[k].queue);
        return out;
    }

    // The open phase's figures up to `now` (under phaseMutex).
    PhaseResult phaseUntil(std::int64_t now) const
    {
        const double t = double(now - t0) / 1e9;
        PhaseResult p;
        if (openPhase.start) {
            p = phaseFigures(*openPhase.start, cumulative(now), queueMaxSince(openPhase.start->t));
            p.settleS = openPhase.start->t - openPhase.fromS;
        } else {
            p.settleS = std::max(0.0, t - openPhase.fromS);
        }
        p.fromS = openPhase.fromS;
        p.toS = t;
        p.change = openPhase.change;
        p.config = openPhase.config;
        return p;
    }

    std::vector<PhaseResult> phasesUntil(std::int64_t now) const
    {
        std::vector<PhaseResult> out = closedPhases;
        if (!phasesClosed && t0) {
            out.push_back(phaseUntil(now));
            out.back().open = true;
        }
        return out;
    }

    void publishPhases(std::int64_t now)
    {
        const std::vector<PhaseResult> list = phasesUntil(now);
        Q_EMIT q.phasesUpdated(list);
    }

    // A live change at `now`: the open phase ends and a new one starts, unless the open phase
    // began with a change less than kJoinS ago (the parts of one lesson step make one phase).
    void phaseChange(const QString &label, std::int64_t now, const std::function<void(Scenario &)> &apply)
    {
        std::lock_guard lk(phaseMutex);
        if (apply && liveConfig) {
            auto next = std::make_shared<Scenario>(*liveConfig);
            apply(*next);
            liveConfig = std::move(next);
        }
        if (phasesClosed || !t0)
            return;
        const double t = double(now - t0) / 1e9;
        const std::uint64_t arrived = submittedTasks();
        if (openPhase.fromS > 0 && !openPhase.start && t - openPhase.lastChangeS < kJoinS) {
            openPhase.change += QStringLiteral("; ") + label;
            openPhase.lastChangeS = t;
        } else {
            closedPhases.push_back(phaseUntil(now));
            openPhase = OpenPhase {};
            openPhase.fromS = t;
            openPhase.change = label;
        }
        openPhase.config = liveConfig;
        openPhase.lastChangeS = t;
        openPhase.backlog = arrived;
        openPhase.roundFromS = t;
        openPhase.lastRoundS = -1;
        publishPhases(now);
    }

    // Each frame: starts the open phase's figures once it has settled; publishes twice a second.
    void trackPhases(std::int64_t now)
    {
        std::lock_guard lk(phaseMutex);
        if (phasesClosed)
            return;
        const double t = double(now - t0) / 1e9;
        // Drain rounds (results/phases.h): a round ends when every task that had arrived at its start
        // has ended; rounds go on while each is clearly shorter than the one before (a backlog
        // draining), and stop when one is not (the queue is at its own level, steady or growing).
        if (!openPhase.start && !openPhase.drained && endedTasks() >= openPhase.backlog) {
            const double round = t - openPhase.roundFromS;
            if (openPhase.lastRoundS < 0 || round < kSettleRoundShrink * openPhase.lastRoundS) {
                openPhase.lastRoundS = round;
                openPhase.roundFromS = t;
                openPhase.backlog = submittedTasks();
            } else {
                openPhase.drained = true;
            }
        }
        if (!openPhase.start && openPhase.drained && t >= openPhase.lastChangeS + openPhase.settleMinS)
            openPhase.start = cumulative(now);
        if (++framesSincePhases >= 10) {
            framesSincePhases = 0;
            publishPhases(now);
        }
    }

    // The end of arrivals ends the last phase: the drain that follows is no configuration's.
    void closePhases(std::int64_t now)
    {
        std::lock_guard lk(phaseMutex);
        if (phasesClosed || !t0)
            return;
        closedPhases.push_back(phaseUntil(now));
        phasesClosed = true;
        publishPhases(now);
    }

    Engine &q;
    Scenario scenario;
    EngineOptions options;
    Router router;
    std::vector<std::unique_ptr<ClassStats>> classes;
    std::unique_ptr<TraceRecorder> tracer; // null when options.trace is off; outlives the domains
    std::unique_ptr<LockBook> lockBook; // DESIGN §15: the run's locks and shared counters
    std::array<std::unique_ptr<Domain>, kDomainCount> domains;
    LoopDomain *loop = nullptr;
    std::unique_ptr<Generator> generator;
    Gil gil; // the engine's one GIL, for loop and threads (each worker process has its own)
    std::atomic<bool> gilOn; // cpu stages that start from now on take it
    std::atomic<bool> gilUsed; // it was on at some point of the run
    LatencyServer server;
    QueueCap queueCap; // every domain's queue counts here (memory bound)
    std::int64_t fdLimit = 0; // soft RLIMIT_NOFILE at start
    std::int64_t fdOpenAtStart = 0;
    std::int64_t fdReserve = 0; // for the pools' threads and processes (grows with resize)
    std::mutex resizeMutex; // fdReserve after start

    // Autoscale (DESIGN §13): one controller per pool domain whose policy is on. The monitor thread
    // steps it every `interval`; setAutoscale and resize reach it from other threads.
    struct Scaler {
        AutoscaleConfig cfg;
        std::unique_ptr<AutoscaleController> ctl;
        DomainTotals last; // the domain's totals at the previous decision
        std::uint64_t lastRejected = 0;
        std::int64_t nextNs = 0; // the next decision; 0: take the first totals now
        bool everOn = false;
        AutoscalePolicy lastPolicy = AutoscalePolicy::Off;
        int resizes = 0;
        int workersMin = 0, workersMax = 0;
        AutoscaleEvents events; // frequent resizes make one event a second
        QString lastError; // a failed growth, said once per new message
    };
    mutable std::mutex scaleMutex; // taken before a domain's lock and framesMutex, never after them
    std::array<Scaler, kDomainCount> scalers;
    QTemporaryDir tempDir { QDir::tempPath() + QStringLiteral("/hybridscope-XXXXXX") };
    std::thread monitorThread;

    std::atomic<std::int64_t> live { 0 };
    std::atomic<std::uint64_t> doubleEnds { 0 };
    mutable std::mutex reasonsMutex;
    std::vector<QMap<QString, std::uint64_t>> reasons;

    mutable std::mutex ctlMutex;
    std::condition_variable ctlCv;
    Phase phase = Phase::Idle;
    bool stopRequested = false;
    bool cancelRequested = false;
    ProcsDomain *startingProcs = nullptr; // while start() waits for the workers: a stop interrupts it
    std::int64_t t0 = 0;
    std::int64_t endNs = 0;
    std::int64_t endedNs = 0;

    // Phases: taken before framesMutex or a domain's lock, never after them.
    struct OpenPhase {
        double fromS = 0;
        double lastChangeS = 0; // the settle time counts from the last change joined into it
        QString change;
        std::uint64_t backlog = 0; // tasks that had arrived when the current drain round began
        double roundFromS = 0;
        double lastRoundS = -1; // the previous drain round's length; -1: none yet
        bool drained = false;
        double settleMinS = kSettleMinS; // the first phase: EngineOptions::warmupSeconds
        std::optional<RunCumulative> start; // set once settled
        std::shared_ptr<const Scenario> config;
    };
    mutable std::mutex phaseMutex;
    std::vector<PhaseResult> closedPhases;
    OpenPhase openPhase;
    std::shared_ptr<const Scenario> liveConfig; // the scenario with the live changes so far
    bool phasesClosed = false;
    int framesSincePhases = 0;

    mutable std::mutex framesMutex;
    std::vector<Frame> frames;
    std::vector<RunEvent> events;
    std::array<DomainTotals, kDomainCount> domainTotals {};
    HistogramSnapshot loopLag;
    std::shared_ptr<const TraceLog> traceLog; // under framesMutex, set at shutdown
};

Engine::Engine(Scenario scenario, EngineOptions options, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Impl>(*this, std::move(scenario), options))
{
    static const int registered = [] {
        qRegisterMetaType<hs::Frame>();
        qRegisterMetaType<hs::RunEvent>();
        qRegisterMetaType<std::vector<hs::PhaseResult>>();
        return 0;
    }();
    (void)registered;
    d->reasons.resize(d->scenario.classes.size());
}

Engine::~Engine()
{
    if (d->monitorThread.joinable()) {
        cancelNow();
        d->monitorThread.join();
    }
}

bool Engine::start(QString *error)
{
    if (d->phase != Phase::Idle) {
        if (error)
            *error = QStringLiteral("the engine has already run; create a new one");
        return false;
    }
    if (!d->tempDir.isValid()) {
        if (error)
            *error = QStringLiteral("cannot create a temporary directory: ") + d->tempDir.errorString();
        return false;
    }
    const Scenario &s = d->scenario;
    bool procsUsed = s.domain(DomainKind::Procs).declared;
    for (const TaskClass &c : s.classes)
        for (const Stage &st : c.stages)
            procsUsed = procsUsed || st.domain == DomainKind::Procs;
    if (!d->reserveResources(procsUsed, error))
        return false;
    if (!d->server.start(error))
        return false;
    if (!d->lockBook->start(error)) {
        d->server.stop();
        return false;
    }
    const std::int64_t threshold = secondsToNs(s.starvationThreshold);
    auto loop = std::make_unique<LoopDomain>(*d, s.domain(DomainKind::Loop), threshold, secondsToNs(s.heartbeat));
    d->loop = loop.get();
    d->domains[std::size_t(DomainKind::Loop)] = std::move(loop);
    d->domains[std::size_t(DomainKind::Threads)]
        = std::make_unique<ThreadsDomain>(*d, s.domain(DomainKind::Threads), threshold);
    d->domains[std::size_t(DomainKind::Tbb)] = std::make_unique<TbbDomain>(*d, s.domain(DomainKind::Tbb), threshold);
    {
        ProcsOptions po;
        po.workerPath = d->options.workerPath.isEmpty() ? ProcsDomain::defaultWorkerPath() : d->options.workerPath;
        po.workerArgs = d->options.workerArgs;
        if (d->lockBook->used()) // DESIGN §15: the workers map the run's lock segment
            po.workerArgs << QStringLiteral("--locks") << QString::fromUtf8(d->lockBook->segmentName());
        po.tempDir = d->tempDir.path();
        po.verifyPayloads = d->options.verifyPayloads;
        // Worker processes start with the run when it uses them; otherwise at the first stage routed there.
        po.eager = procsUsed;
        auto procs = std::make_unique<ProcsDomain>(*d, *d, s.domain(DomainKind::Procs), threshold, std::move(po));
        // From here a stop (Ctrl+C while thousands of workers are born) interrupts the start-up.
        bool stopped = false;
        {
            std::lock_guard lk(d->ctlMutex);
            d->startingProcs = procs.get();
            stopped = d->stopRequested;
        }
        if (stopped)
            procs->abortStart();
        d->domains[std::size_t(DomainKind::Procs)] = std::move(procs);
    }
    for (auto &dom : d->domains)
        if (dom) {
            dom->setTraceRecorder(d->tracer.get());
            dom->setQueueCap(&d->queueCap);
        }
    auto stopAll = [this] {
        for (auto &other : d->domains)
            if (other)
                other->stop();
        d->server.stop();
    };
    for (auto &dom : d->domains)
        if (dom && !dom->start(error)) {
            stopAll();
            return false;
        }
    // The run's clock starts once the worker processes are up: their birth is not the workload's.
    if (auto *procs = dynamic_cast<ProcsDomain *>(d->domains[std::size_t(DomainKind::Procs)].get()))
        procs->waitUntilStarted(15 * kNsPerSec);
    {
        std::lock_guard lk(d->scaleMutex);
        for (DomainKind dk : kAllDomains)
            if (dk != DomainKind::Loop && d->domains[std::size_t(dk)])
                d->armScaler(dk, s.domain(dk).autoscale, d->domains[std::size_t(dk)]->workers());
    }
    d->generator = std::make_unique<Generator>(s, [this](TaskPtr t) { d->submitTask(std::move(t)); });
    d->t0 = nowNs();
    d->endNs = s.duration > 0 ? d->t0 + secondsToNs(s.duration) : 0;
    {
        std::lock_guard lk(d->phaseMutex);
        d->openPhase = Impl::OpenPhase {};
        d->openPhase.change = QStringLiteral("start");
        d->liveConfig = std::make_shared<const Scenario>(d->scenario);
        d->openPhase.config = d->liveConfig;
        d->openPhase.drained = true; // nothing came before the start
        if (d->options.warmupSeconds > 0)
            d->openPhase.settleMinS = d->options.warmupSeconds; // taken by trackPhases at the first frame after it
        else
            d->openPhase.start = d->cumulative(d->t0);
    }
    bool stoppedEarly = false;
    {
        std::lock_guard lk(d->ctlMutex);
        d->startingProcs = nullptr;
        d->phase = Phase::Running;
        stoppedEarly = d->stopRequested;
    }
    auto failStart = [this, error, &stopAll](const QString &what, const std::system_error &e) {
        for (auto &dom : d->domains)
            if (dom)
                dom->cancelAll();
        stopAll();
        {
            std::lock_guard lk(d->ctlMutex);
            d->phase = Phase::Idle;
        }
        if (error)
            *error = what + QString::fromUtf8(e.what());
        return false;
    };
    // Stopped during start-up: no arrival at all; the monitor ends the run at once.
    if (!stoppedEarly) {
        try {
            d->generator->start(d->t0, d->endNs);
        } catch (const std::system_error &e) {
            d->generator.reset();
            return failStart(QStringLiteral("cannot start the load generator's thread: "), e);
        }
    }
    try {
        d->monitorThread = std::thread([this] { d->monitor(); });
    } catch (const std::system_error &e) {
        d->generator->stop();
        d->generator->join();
        return failStart(QStringLiteral("cannot start the engine's monitor thread: "), e);
    }
    return true;
}

void Engine::requestStop()
{
    ProcsDomain *starting = nullptr;
    {
        std::lock_guard lk(d->ctlMutex);
        d->stopRequested = true;
        starting = d->phase == Phase::Idle ? d->startingProcs : nullptr;
    }
    d->ctlCv.notify_all();
    // start() is still waiting for the worker processes (another thread: a signal handler's reader).
    if (starting)
        starting->abortStart();
}

void Engine::cancelNow()
{
    ProcsDomain *starting = nullptr;
    {
        std::lock_guard lk(d->ctlMutex);
        d->stopRequested = true;
        d->cancelRequested = true;
        starting = d->phase == Phase::Idle ? d->startingProcs : nullptr;
    }
    d->ctlCv.notify_all();
    if (starting)
        starting->abortStart();
}

bool Engine::isRunning() const
{
    std::lock_guard lk(d->ctlMutex);
    return d->phase == Phase::Running || d->phase == Phase::Draining || d->phase == Phase::Cancelling;
}

bool Engine::isFinished() const
{
    std::lock_guard lk(d->ctlMutex);
    return d->phase == Phase::Finished;
}

bool Engine::resize(DomainKind dk, int workers, QString *error)
{
    Domain *dom = d->domains[std::size_t(dk)].get();
    if (dom && dk != DomainKind::Loop && workers == dom->workers())
        return true; // nothing changes: no event, no phase
    if (!d->resizePool(dk, workers, error))
        return false;
    {
        std::lock_guard lk(d->scaleMutex);
        if (auto &ctl = d->scalers[std::size_t(dk)].ctl)
            ctl->resizedByUser(workers);
    }
    d->addEvent(QStringLiteral("%1 workers → %2").arg(domainName(dk)).arg(workers), QStringLiteral("resize"),
        [dk, workers](Scenario &s) { s.domain(dk).workers = workers; });
    return true;
}

bool Engine::setAutoscale(DomainKind dk, const AutoscaleConfig &cfg, QString *error)
{
    Domain *dom = d->domains[std::size_t(dk)].get();
    const auto fail = [error](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    if (dk == DomainKind::Loop)
        return fail(QStringLiteral("autoscale applies to the pools (threads, tbb, procs): the loop always runs on "
                                   "one thread"));
    if (!dom)
        return fail(QStringLiteral("domain %1 is not running").arg(domainName(dk)));
    if (cfg.min < 1 || cfg.min > 4096 || cfg.max < 0 || cfg.max > 4096 || (cfg.max > 0 && cfg.max < cfg.min))
        return fail(QStringLiteral("autoscale bounds must satisfy 1 <= min <= max <= 4096, got min %1, max %2")
                        .arg(cfg.min)
                        .arg(cfg.max));
    if (!(cfg.interval >= 0.05 && cfg.interval <= 60))
        return fail(QStringLiteral("autoscale interval must be between 50ms and 60s, got %1 s").arg(cfg.interval));
    if (!(cfg.targetP99 >= 0))
        return fail(QStringLiteral("autoscale target_p99 must be positive or 0 (none)"));
    QString label;
    {
        std::lock_guard lk(d->scaleMutex);
        if (d->scalers[std::size_t(dk)].cfg == cfg)
            return true; // nothing changes: no event, no phase
        d->flushScaleEvent(dk, nowNs(), true);
        d->armScaler(dk, cfg, dom->workers());
        label = cfg.enabled() ? QStringLiteral("%1 autoscale %2, %3–%4 workers")
                                    .arg(domainName(dk), autoscalePolicyName(cfg.policy))
                                    .arg(cfg.min)
                                    .arg(cfg.maxFor(dom->workers()))
                              : QStringLiteral("%1 autoscale off").arg(domainName(dk));
    }
    d->addEvent(label, QStringLiteral("autoscale"), [dk, cfg](Scenario &s) { s.domain(dk).autoscale = cfg; });
    return true;
}

AutoscaleConfig Engine::autoscale(DomainKind dk) const
{
    std::lock_guard lk(d->scaleMutex);
    return d->scalers[std::size_t(dk)].cfg;
}

bool Engine::setBackpressure(DomainKind dk, const Backpressure &bp, QString *error)
{
    Domain *dom = d->domains[std::size_t(dk)].get();
    if (!dom || bp.queue < 0 || bp.maxInflight < 0) {
        if (error)
            *error = !dom ? QStringLiteral("domain %1 is not running").arg(domainName(dk))
                          : QStringLiteral("queue and max_inflight must be 0 (unbounded) or positive");
        return false;
    }
    const Backpressure was = dom->backpressure();
    if (was.queue == bp.queue && was.maxInflight == bp.maxInflight && was.onFull == bp.onFull)
        return true; // nothing changes: no event, no phase
    dom->setBackpressure(bp);
    d->addEvent(QStringLiteral("%1 queue %2, max_inflight %3, on_full %4")
                    .arg(domainName(dk))
                    .arg(bp.queue)
                    .arg(bp.maxInflight)
                    .arg(onFullName(bp.onFull)),
        QStringLiteral("backpressure"), [dk, bp](Scenario &s) {
            DomainConfig &c = s.domain(dk);
            c.queue = bp.queue;
            c.maxInflight = bp.maxInflight;
            c.onFull = bp.onFull;
        });
    return true;
}

bool Engine::reassign(const QString &key, DomainKind dk, QString *error)
{
    const auto where = d->router.find(key);
    if (!where) {
        if (error)
            *error = QStringLiteral("no stage named %1 (expected class.stage)").arg(key);
        return false;
    }
    if (!d->domains[std::size_t(dk)]) {
        if (error)
            *error = QStringLiteral("domain %1 is not available").arg(domainName(dk));
        return false;
    }
    if (d->router.route(where->first, where->second) == dk)
        return true; // nothing changes: no event, no phase
    d->router.reassign(where->first, where->second, dk);
    d->addEvent(QStringLiteral("%1 → %2").arg(key, domainName(dk)), QStringLiteral("route"),
        [cls = where->first, stage = where->second, dk](
            Scenario &s) { s.classes[std::size_t(cls)].stages[std::size_t(stage)].domain = dk; });
    return true;
}

void Engine::setGil(bool enabled)
{
    if (d->gilOn.exchange(enabled) == enabled)
        return;
    if (enabled)
        d->gilUsed = true;
    // Stages already burning keep what they started with: the lock works the same either way.
    d->addEvent(enabled ? QStringLiteral("GIL on") : QStringLiteral("GIL off"), QStringLiteral("gil"),
        [enabled](Scenario &s) { s.gilEnabled = enabled; });
}

bool Engine::gilEnabled() const
{
    return d->gilOn.load();
}

DomainKind Engine::routeOf(const QString &key) const
{
    const auto where = d->router.find(key);
    return where ? d->router.route(where->first, where->second) : DomainKind::Threads;
}

const Scenario &Engine::scenario() const
{
    return d->scenario;
}

double Engine::elapsed() const
{
    return d->t0 ? double(nowNs() - d->t0) / 1e9 : 0.0;
}

std::vector<PhaseResult> Engine::phases() const
{
    std::lock_guard lk(d->phaseMutex);
    return d->phasesUntil(nowNs());
}

RunCumulative Engine::cumulative() const
{
    if (!d->t0)
        return {};
    std::int64_t end = 0;
    {
        std::lock_guard lk(d->framesMutex);
        end = d->endedNs;
    }
    return d->cumulative(end ? end : nowNs());
}

std::shared_ptr<const Scenario> Engine::currentConfig() const
{
    std::lock_guard lk(d->phaseMutex);
    return d->liveConfig ? d->liveConfig : std::make_shared<const Scenario>(d->scenario);
}

std::vector<Frame> Engine::frames() const
{
    std::lock_guard lk(d->framesMutex);
    return d->frames;
}

RunResult Engine::result() const
{
    // What the monitor thread stores when the run ends, read under the lock it stores them with.
    std::int64_t endedNs = 0;
    std::array<DomainTotals, kDomainCount> endTotals {};
    HistogramSnapshot endLag;
    {
        std::lock_guard lk(d->framesMutex);
        endedNs = d->endedNs;
        endTotals = d->domainTotals;
        endLag = d->loopLag;
    }
    RunResult r;
    r.scenario = d->scenario;
    const std::int64_t end = endedNs ? endedNs : nowNs();
    r.durationS = d->t0 ? double(end - d->t0) / 1e9 : 0.0;
    for (std::size_t i = 0; i < d->classes.size(); ++i) {
        const ClassStats &c = *d->classes[i];
        ClassResult cr;
        cr.name = d->scenario.classes[i].name;
        cr.submitted = c.submitted.load();
        cr.completed = c.completed.load();
        cr.failed = c.failed.load();
        cr.rejected = c.rejected.load();
        cr.cancelled = c.cancelled.load();
        cr.throughput = r.durationS > 0 ? double(cr.completed) / r.durationS : 0.0;
        cr.latency = c.latency.snapshot();
        cr.latencyNaive = c.latencyNaive.snapshot();
        cr.hop = c.hop.snapshot();
        cr.ipc = c.ipc.snapshot();
        cr.gilWait = c.gilWait.snapshot();
        if (auto sla = d->scenario.slaFor(int(i)))
            cr.slaP99Ms = *sla * 1e3;
        {
            std::lock_guard lk(d->reasonsMutex);
            cr.failureReasons = d->reasons[i];
        }
        r.classes.push_back(std::move(cr));
    }
    for (DomainKind dk : kAllDomains) {
        DomainResult &dr = r.domains[std::size_t(dk)];
        dr.kind = dk;
        dr.used = d->domains[std::size_t(dk)] != nullptr;
        if (endedNs)
            dr.totals = endTotals[std::size_t(dk)];
        else if (dr.used)
            dr.totals = d->domains[std::size_t(dk)]->totals(end);
        std::lock_guard lk(d->scaleMutex);
        const Impl::Scaler &sc = d->scalers[std::size_t(dk)];
        if (dr.used && sc.everOn)
            dr.autoscale = AutoscaleResult { sc.lastPolicy, sc.resizes, sc.workersMin, sc.workersMax };
    }
    r.loopLag = endedNs ? endLag : (d->loop ? d->loop->lag() : HistogramSnapshot {});
    {
        std::lock_guard lk(d->framesMutex);
        r.frames = d->frames;
        r.events = d->events;
        r.trace = d->traceLog;
    }
    r.doubleEnds = d->doubleEnds.load();
    r.gilUsed = d->gilUsed.load();
    r.gilEnabled = d->gilOn.load();
    r.gil = d->gil.stats();
    r.locks = d->lockBook->results();
    {
        std::lock_guard lk(d->phaseMutex);
        r.phases = d->phasesUntil(end);
    }
    r.findings = diagnose(r);
    return r;
}

} // namespace hs
