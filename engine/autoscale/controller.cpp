// The autoscale controllers (DESIGN §13, docs/autoscale.md): what every policy shares (bounds,
// the no-gain guard, idle intervals) and the four laws. The published rules each law follows are
// named where it is defined; the figures and the changes we made are listed in docs/autoscale.md.

#include "autoscale/autoscale.h"

#include <algorithm>
#include <cmath>

namespace hs {

namespace {

// --- Shared figures ----------------------------------------------------------------------------

/// A queue that is more than a stage passing through (time-averaged depth).
constexpr double kQueueEps = 0.1;
/// Intervals with no completion and no queue before an idle pool is halved.
constexpr int kIdleIntervals = 8;
/// Low use (aimd, gradient, vegas; our change): utilization under this with no queue...
constexpr double kLowUse = 0.40;
/// ...for this many intervals shrinks the pool to busy / kLowUseTarget (at most halving it). The
/// target sits between kLowUse and the published "in use" line (busy ≥ limit / 2), so a steady
/// load lands inside the band and stays there.
constexpr int kLowUseIntervals = 8;
constexpr double kLowUseTarget = 0.45;
/// Fewer service records than this in an interval: no RTT figure from it.
constexpr std::uint64_t kMinServiced = 3;

// The no-gain guard.
constexpr double kGuardGainShare = 0.5; ///< a growth n → m must bring this share of m/n − 1
constexpr std::uint64_t kGuardMinCompleted = 5; ///< completions needed before and after to judge
constexpr int kGuardMaxIntervals = 12; ///< the check waits at most this long for a clear verdict
constexpr int kGuardHoldIntervals = 2; ///< no further growth for this long after one (then a chain)
constexpr double kCapHoldS = 30; ///< how long a reverted growth is not tried again
constexpr double kCapHoldMaxS = 240; ///< the hold doubles while the same growth keeps failing

bool hasQueue(const AutoscaleSample &s)
{
    return s.queueMean >= kQueueEps;
}

/// Every worker busy and stages waiting: more workers can only help if there is capacity behind them.
/// (Stages still waiting at the end: a backlog drained within the interval says nothing of capacity.)
bool saturated(const AutoscaleSample &s)
{
    return hasQueue(s) && s.queueNow > 0 && s.busyMean >= 0.9 * s.workersMean;
}

QString ms(double seconds)
{
    return QString::number(seconds * 1e3, 'f', seconds < 0.01 ? 2 : 1) + QStringLiteral(" ms");
}
QString num(double v, int decimals = 1)
{
    return QString::number(v, 'f', decimals);
}
QString pct(double share)
{
    return QString::number(share * 100, 'f', 0) + QStringLiteral(" %");
}

/// Our shrink for the limiters that never shrink an unused limit (aimd, gradient, vegas): after
/// kLowUseIntervals intervals under kLowUse with no queue, the size that puts utilization at
/// kLowUseTarget, never less than half. `streak` is the policy's counter.
int lowUseShrink(const AutoscaleSample &s, int &streak, QString &reason)
{
    if (hasQueue(s) || s.utilization() >= kLowUse) {
        streak = 0;
        return s.workers;
    }
    if (++streak < kLowUseIntervals)
        return s.workers;
    streak = 0;
    const int to = std::max({ 1, int(std::ceil(s.busyMean / kLowUseTarget)), (s.workers + 1) / 2 });
    if (to < s.workers)
        reason = QStringLiteral("utilization %1 < %2 for %3 intervals: %4 workers for %5 busy")
                     .arg(pct(s.utilization()), pct(kLowUse))
                     .arg(kLowUseIntervals)
                     .arg(to)
                     .arg(num(s.busyMean));
    return to;
}

/// The "drop" that makes aimd and vegas back off, with its reason (empty: none). Published: a
/// rejection, or wait + service P99 over the target (a timed-out reply). Ours: only the service
/// P99 over the target, i.e. contention that more workers make worse (docs/autoscale.md).
QString dropReason(const AutoscaleSample &s, double targetP99S, bool published)
{
    if (published) {
        if (s.rejected > 0)
            return QStringLiteral("%1 rejected").arg(s.rejected);
        if (targetP99S > 0 && s.serviced > 0 && s.waitP99S + s.serviceP99S > targetP99S)
            return QStringLiteral("wait + service P99 %1 > target %2")
                .arg(ms(s.waitP99S + s.serviceP99S), ms(targetP99S));
        return {};
    }
    if (targetP99S > 0 && s.serviced > 0 && s.serviceP99S > targetP99S)
        return QStringLiteral("service P99 %1 > target %2").arg(ms(s.serviceP99S), ms(targetP99S));
    return {};
}

} // namespace

// --- What every policy shares ------------------------------------------------------------------

AutoscaleController::AutoscaleController(
    const AutoscaleConfig &cfg, DomainKind d, int workers, double targetP99S, const AutoscaleVariant &variant)
    : m_cfg(cfg)
    , m_domain(d)
    , m_min(std::max(1, cfg.min))
    , m_max(std::max(m_min, cfg.maxFor(workers)))
    , m_targetP99S(cfg.targetP99 > 0 ? cfg.targetP99 : std::max(0.0, targetP99S))
    , m_variant(variant)
    , m_satWorkers(workers)
{ }

void AutoscaleController::forgetGrowth()
{
    m_grewFrom = m_grewTo = 0;
    m_rateBefore = 0;
    m_beforeS = 0;
    m_afterCompleted = 0;
    m_afterS = 0;
    m_afterIntervals = 0;
}

void AutoscaleController::resizedByUser(int workers)
{
    // The user's size is the new starting point: no growth of ours to judge, no cap from before.
    forgetGrowth();
    m_cap = 0;
    m_lastCapped = 0;
    m_capHoldS = 0;
    m_satWorkers = workers;
    m_satCompleted = 0;
    m_satS = 0;
    m_idleIntervals = 0;
}

AutoscaleDecision AutoscaleController::step(const AutoscaleSample &s)
{
    const int now = s.workers;
    if (m_cap > 0 && s.t >= m_capSetAtS + m_capHoldS)
        m_cap = 0;

    // The saturated throughput at this size: what a growth from here has to beat.
    if (now != m_satWorkers) {
        m_satWorkers = now;
        m_satCompleted = 0;
        m_satS = 0;
    }
    if (saturated(s)) {
        m_satCompleted += s.completed;
        m_satS += s.intervalS;
    } else {
        m_satCompleted = 0;
        m_satS = 0;
    }

    // The no-gain guard: did the last growth raise the saturated throughput?
    bool checkPending = false;
    if (m_grewTo > 0) {
        if (now != m_grewTo || !saturated(s)) {
            forgetGrowth(); // resized by someone else, or the queue is gone: the growth met the load
        } else {
            m_afterCompleted += s.completed;
            m_afterS += s.intervalS;
            ++m_afterIntervals;
            const double gain = double(m_grewTo) / m_grewFrom - 1;
            // A verdict only once the counts tell: completions are counts, so each rate has a
            // standard error of about √n / t. "No gain" when the rate after is below the one
            // wanted by more than two standard errors of the difference; "gain" when above it by
            // as much; neither by kGuardMaxIntervals: no verdict (the growth stands).
            const double after = m_afterS > 0 ? double(m_afterCompleted) / m_afterS : 0;
            const double factor = 1 + kGuardGainShare * gain;
            const double needed = m_rateBefore * factor;
            const double seAfter = m_afterS > 0 ? std::sqrt(double(m_afterCompleted)) / m_afterS : 0;
            const double seBefore = m_beforeS > 0 ? std::sqrt(m_rateBefore * m_beforeS) / m_beforeS : 0;
            const double se = std::sqrt(seAfter * seAfter + factor * factor * seBefore * seBefore);
            const bool enough = m_afterCompleted >= kGuardMinCompleted;
            const bool noGain = enough && after + 2 * se < needed;
            const bool gained = enough && after - 2 * se >= needed;
            if (noGain || gained || m_afterIntervals >= kGuardMaxIntervals) {
                if (noGain) {
                    // Back to the size the measured gain paid for: n × after / before, rounded
                    // (n when nothing was gained; 4 after 2 → 8 on 4 cores).
                    const double ratio = m_rateBefore > 0 ? after / m_rateBefore : 1;
                    const int back = std::clamp(int(std::lround(m_grewFrom * ratio)), m_grewFrom, m_grewTo - 1);
                    m_capHoldS
                        = (back == m_lastCapped && m_capHoldS > 0) ? std::min(2 * m_capHoldS, kCapHoldMaxS) : kCapHoldS;
                    m_cap = back;
                    m_lastCapped = back;
                    m_capSetAtS = s.t;
                    AutoscaleDecision d;
                    d.workers = std::clamp(back, m_min, m_max);
                    d.reason = QStringLiteral("no gain: %1/s after growing %2 → %3 (%4/s before, %5/s expected); "
                                              "back to %6, no growth past it for %7 s")
                                   .arg(num(after), QString::number(m_grewFrom), QString::number(m_grewTo),
                                       num(m_rateBefore), num(needed), QString::number(back), num(m_capHoldS, 0));
                    forgetGrowth();
                    return d;
                }
                forgetGrowth();
            } else {
                checkPending = true;
            }
        }
    }

    // Too little to go on: no completion and no queue. Only an idle pool is shrunk (halved).
    if (s.completed == 0 && !hasQueue(s) && s.queueNow == 0 && !decidesWhenIdle()) {
        AutoscaleDecision d { now, {} };
        if (++m_idleIntervals >= kIdleIntervals) {
            m_idleIntervals = 0;
            d.workers = std::max(int(std::ceil(2 * s.busyMean)), (now + 1) / 2);
            if (d.workers < now)
                d.reason
                    = QStringLiteral("idle for %1 intervals (no completion, no queue): halved").arg(kIdleIntervals);
        }
        return guardAndBound(s, d);
    }
    m_idleIntervals = 0;

    AutoscaleDecision d = propose(s);
    if (checkPending && d.workers > now && m_afterIntervals < kGuardHoldIntervals)
        return { now, {} }; // the last growth is still being judged
    return guardAndBound(s, d);
}

AutoscaleDecision AutoscaleController::guardAndBound(const AutoscaleSample &s, AutoscaleDecision d)
{
    const int now = s.workers;
    const int wanted = d.workers;
    if (d.workers > now && m_cap > 0)
        d.workers = std::min(d.workers, std::max(now, m_cap));
    d.workers = std::clamp(d.workers, m_min, m_max);

    if (d.workers == now) {
        d.reason.clear();
        return d;
    }
    if (d.reason.isEmpty())
        d.reason = QStringLiteral("kept within [%1, %2]").arg(m_min).arg(m_max);
    else if (d.workers != wanted)
        d.reason += d.workers == m_cap ? QStringLiteral(" (held at %1 by the no-gain guard)").arg(m_cap)
                                       : QStringLiteral(" (bounded to [%1, %2])").arg(m_min).arg(m_max);

    if (d.workers > now && m_variant.noGainGuard && m_grewTo == now && m_grewTo > 0) {
        // Growing again while the last growth is judged: the chain is judged as one growth from
        // where it started, against the rate measured there (a larger gain is told sooner).
        m_grewTo = d.workers;
        m_afterCompleted = 0;
        m_afterS = 0;
        m_afterIntervals = 0;
    } else if (d.workers > now && m_variant.noGainGuard && saturated(s) && m_satCompleted >= kGuardMinCompleted
        && m_satS > 0) {
        forgetGrowth();
        m_grewFrom = now;
        m_grewTo = d.workers;
        m_rateBefore = double(m_satCompleted) / m_satS;
        m_beforeS = m_satS;
    } else if (d.workers < now) {
        forgetGrowth();
    }
    return d;
}

// --- queue: the blueprint's rule (DESIGN §13) ----------------------------------------------------

namespace {

/// Grow once the time-averaged queue has stayed above 2 × workers for 2 intervals (or for one, in
/// a surge: the queue at its end above 4 × that), by 50 % (at least one worker) or to the size
/// the measured demand needs if that is more; shrink to the size that puts utilization at 70 % once it has stayed under
/// 50 % with no queue for 4 intervals. The gap between 50 % and 70 %, and between "no queue" and "2 × workers", is the
/// hysteresis: a steady load settles between them.
class QueueController final : public AutoscaleController {
public:
    QueueController(const AutoscaleConfig &cfg, DomainKind d, int workers, double target, const AutoscaleVariant &v)
        : AutoscaleController(cfg, d, workers, target, v)
    { }
    void resizedByUser(int workers) override
    {
        AutoscaleController::resizedByUser(workers);
        m_pressure = m_low = 0;
    }
    // Its shrink rule reads utilization alone: an idle interval (0 %) counts towards it.
    bool decidesWhenIdle() const override { return true; }

    static constexpr double kQueueFactor = 2.0;
    static constexpr int kGrowIntervals = 2;
    static constexpr double kGrowth = 1.5;
    static constexpr double kLowUtil = 0.5;
    static constexpr int kShrinkIntervals = 4;
    static constexpr double kShrinkTarget = 0.7;
    static constexpr int kSurgeFactor = 4;
    static constexpr double kDrainIntervals = 5;
    static constexpr double kGrowUtil = 0.8;

protected:
    AutoscaleDecision propose(const AutoscaleSample &s) override
    {
        const int w = s.workers;
        m_pressure = s.queueMean > kQueueFactor * w ? m_pressure + 1 : 0;
        m_low = (!hasQueue(s) && s.utilization() < kLowUtil) ? m_low + 1 : 0;
        // A surge (the queue at the end already kSurgeFactor × the threshold) does not wait for a
        // second interval: at a burst's start every interval waited adds its arrivals to the wait.
        const bool surge = m_pressure >= 1 && s.queueNow > kSurgeFactor * kQueueFactor * w;
        if (m_pressure >= kGrowIntervals || surge) {
            m_pressure = m_low = 0;
            // +50 %, or what the measured demand needs when that is more: the interval's arrivals
            // times the mean service time, plus the backlog served within kDrainIntervals, at
            // kGrowUtil utilization.
            double demand = 0;
            if (s.serviceMeanS > 0 && s.intervalS > 0)
                demand = (double(s.admitted) / s.intervalS * s.serviceMeanS
                             + s.queueNow * s.serviceMeanS / (kDrainIntervals * s.intervalS))
                    / kGrowUtil;
            const int step = std::max(w + 1, int(std::ceil(kGrowth * w)));
            const int to = std::max(step, int(std::ceil(demand)));
            const QString why = surge && m_pressure < kGrowIntervals
                ? QStringLiteral("queue %1 > %2 × 2 × %3 workers (a surge)").arg(s.queueNow).arg(kSurgeFactor).arg(w)
                : QStringLiteral("queue %1 > 2 × %2 workers for %3 intervals")
                      .arg(num(s.queueMean))
                      .arg(w)
                      .arg(kGrowIntervals);
            return { to,
                why
                    + (to > step ? QStringLiteral(": demand %1 workers (%2 busy offered + backlog)")
                                       .arg(num(demand))
                                       .arg(num(double(s.admitted) / s.intervalS * s.serviceMeanS))
                                 : QStringLiteral(": +50 %")) };
        }
        if (m_low >= kShrinkIntervals) {
            m_low = 0;
            const int to = std::max(1, int(std::ceil(s.busyMean / kShrinkTarget)));
            if (to < w)
                return { to,
                    QStringLiteral("utilization %1 < 50 % for %2 intervals: %3 workers keep it ≤ 70 %")
                        .arg(pct(s.utilization()))
                        .arg(kShrinkIntervals)
                        .arg(to) };
        }
        return { w, {} };
    }

private:
    int m_pressure = 0; ///< consecutive intervals with queue > 2 × workers
    int m_low = 0; ///< consecutive intervals under 50 % utilization with no queue
};

// --- aimd: Netflix concurrency-limits AIMDLimit --------------------------------------------------

/// Published: +1 while the limit is in use (inflight ≥ limit / 2), on a drop the limit times the
/// backoff ratio 0.9 (at least one less, at least 1). Here "in use" is busy ≥ workers / 2 or a
/// queue. A drop: published, a rejection or a reply slower than the timeout (here the target P99 on
/// wait + service P99). Ours: the pool's size gates nothing at admission, stages wait in a queue
/// and a rejection means the queue was full, i.e. too few workers; a longer wait is what a smaller
/// pool causes. So a rejection counts as use (grow) and the drop is the part more workers make
/// worse: the interval's service P99 above the target (contention). Plus the low-use shrink.
class AimdController final : public AutoscaleController {
public:
    AimdController(const AutoscaleConfig &cfg, DomainKind d, int workers, double target, const AutoscaleVariant &v)
        : AutoscaleController(cfg, d, workers, target, v)
    { }
    void resizedByUser(int workers) override
    {
        AutoscaleController::resizedByUser(workers);
        m_low = 0;
    }

    static constexpr double kBackoff = 0.9;

protected:
    AutoscaleDecision propose(const AutoscaleSample &s) override
    {
        const int w = s.workers;
        const QString why = dropReason(s, m_targetP99S, m_variant.publishedRules);
        if (!why.isEmpty()) {
            m_low = 0;
            const int to = std::max(1, std::min(w - 1, int(w * kBackoff)));
            return { to, why + QStringLiteral(": × %1").arg(kBackoff) };
        }
        const bool inUse = s.busyMean >= w / 2.0 || hasQueue(s) || s.rejected > 0;
        if (inUse) {
            m_low = 0;
            return { w + 1,
                QStringLiteral("in use (busy %1 of %2, queue %3%4): +1")
                    .arg(num(s.busyMean))
                    .arg(w)
                    .arg(num(s.queueMean),
                        s.rejected > 0 ? QStringLiteral(", %1 rejected").arg(s.rejected) : QString()) };
        }
        if (m_variant.publishedRules)
            return { w, {} };
        QString reason;
        const int to = lowUseShrink(s, m_low, reason);
        return { to, reason };
    }

private:
    int m_low = 0;
};

// --- gradient: Netflix concurrency-limits Gradient2Limit ------------------------------------------

/// Published (Gradient2Limit): long RTT an exponential average (window 600 samples, the first 10
/// averaged), short RTT the latest; when long / short > 2 the long one is cut by 10 %; no change
/// while app-limited (inflight < limit / 2); gradient = clamp(tolerance · long / short, 0.5, 1)
/// with tolerance 1.5 (rttTolerance of earlier releases); newLimit = limit · gradient + queueSize,
/// smoothed: limit · 0.8 + newLimit · 0.2. Here one sample is one interval, the window 100
/// intervals, queueSize √limit (GradientLimit's default; Gradient2's constant 4 is large for a pool
/// of 2 to 16). Ours: the RTT is the interval's mean service time, not wait + service (queue wait
/// made the long average follow the overload and the limit creep); the long average learns only
/// from intervals without a queue (after its warm-up), so a sustained overload cannot become the
/// baseline; the low-use shrink (Gradient2 never shrinks an idle limit).
class GradientController final : public AutoscaleController {
public:
    GradientController(const AutoscaleConfig &cfg, DomainKind d, int workers, double target, const AutoscaleVariant &v)
        : AutoscaleController(cfg, d, workers, target, v)
        , m_limit(workers)
    { }
    void resizedByUser(int workers) override
    {
        AutoscaleController::resizedByUser(workers);
        m_limit = workers;
        m_low = 0;
    }

    static constexpr int kLongWindow = 100;
    static constexpr int kWarmup = 10;
    static constexpr double kTolerance = 1.5;
    static constexpr double kSmoothing = 0.2;

protected:
    AutoscaleDecision propose(const AutoscaleSample &s) override
    {
        const int w = s.workers;
        if (int(m_limit) != w)
            m_limit = w; // resized by the guard, the bounds or the idle rule: go on from there
        const bool published = m_variant.publishedRules;
        const double rtt = published ? s.waitMeanS + s.serviceMeanS : s.serviceMeanS;

        QString reason;
        if (!published) {
            const int to = lowUseShrink(s, m_low, reason);
            if (to < w) {
                m_limit = to;
                return { to, reason };
            }
        }
        if (s.serviced < kMinServiced || rtt <= 0)
            return { w, {} };

        if (m_samples < kWarmup || published || !hasQueue(s)) {
            ++m_samples;
            m_long = m_samples <= kWarmup ? m_long + (rtt - m_long) / m_samples
                                          : m_long + (rtt - m_long) * 2.0 / (kLongWindow + 1);
        }
        if (m_long / rtt > 2)
            m_long *= 0.9; // back from a long overload: do not wait for the average
        if (s.busyMean < m_limit / 2)
            return { w, {} }; // app-limited: a limit nobody reaches proves nothing

        const double gradient = std::clamp(kTolerance * m_long / rtt, 0.5, 1.0);
        const double queueSize = std::sqrt(m_limit);
        const double next = m_limit * gradient + queueSize;
        m_limit = m_limit * (1 - kSmoothing) + next * kSmoothing;
        m_limit = std::clamp(m_limit, double(m_min), double(m_max));
        const int to = int(m_limit);
        if (to == w)
            return { w, {} };
        return { to,
            QStringLiteral("gradient %1 (long RTT %2, short %3), queue allowance %4: limit %5")
                .arg(num(gradient, 2), ms(m_long), ms(rtt), num(queueSize), num(m_limit)) };
    }

private:
    double m_limit;
    double m_long = 0; ///< long-term RTT, seconds
    int m_samples = 0;
    int m_low = 0;
};

// --- vegas: Netflix concurrency-limits VegasLimit -------------------------------------------------

/// Published (VegasLimit): rtt_noload the smallest RTT seen, re-probed (set to the current RTT)
/// every probeMultiplier (30) × limit samples (× a jitter); queue = ceil(limit · (1 − noload / rtt));
/// a drop: limit − log10(limit); app-limited (inflight < limit / 2): no change; queue ≤ log10:
/// + beta; queue < alpha: + log10; queue > beta: − log10; alpha 3·log10, beta 6·log10, with log10
/// at least 1 (so 3 and 6 below a limit of 100; we use max(3, 10 % of the limit) and max(6, 20 %),
/// the scaled form the class describes, equal below 30). Here one sample is one interval and the
/// RTT of the published variant is the interval's wait + service mean.
/// Ours: the RTT is the interval's serviceLowS (the 10th percentile of service: no queue wait, and
/// one fast reply cannot set it) against a no-load figure of the same kind; a lower no-load must be
/// seen in two intervals in a row (one unusual interval cannot collapse the limit); it is re-probed
/// every 40 intervals or 10 s. With service time as RTT a pool of I/O stages shows no rise, so
/// the estimate alone would keep growing whenever busy ≥ workers / 2: the + beta step is taken
/// only with a queue (saturated), + 1 without; and the low-use shrink.
class VegasController final : public AutoscaleController {
public:
    VegasController(const AutoscaleConfig &cfg, DomainKind d, int workers, double target, const AutoscaleVariant &v)
        : AutoscaleController(cfg, d, workers, target, v)
    { }
    void resizedByUser(int workers) override
    {
        AutoscaleController::resizedByUser(workers);
        m_low = 0;
        m_probeAge = 0;
    }

    static constexpr int kProbeMultiplier = 30; // published
    static constexpr int kProbeIntervals = 40; // ours
    static constexpr double kProbeS = 10; // ours

    static int log10Of(int limit) { return std::max(1, int(std::log10(std::max(1, limit)))); }

protected:
    AutoscaleDecision propose(const AutoscaleSample &s) override
    {
        const int w = s.workers;
        const bool published = m_variant.publishedRules;
        const int step = log10Of(w);

        const QString why = dropReason(s, m_targetP99S, published);
        if (!why.isEmpty()) {
            m_low = 0;
            return { w - step, why + QStringLiteral(": −%1").arg(step) };
        }

        const double rtt = published ? s.waitMeanS + s.serviceMeanS : s.serviceLowS;
        const bool haveRtt = s.serviced >= kMinServiced && rtt > 0;
        if (haveRtt && updateNoLoad(s, rtt, w))
            return { w, {} }; // a new no-load figure: judge from the next interval

        const bool inUse = s.busyMean >= w / 2.0 || hasQueue(s);
        if (!inUse) {
            if (published)
                return { w, {} };
            QString reason;
            const int to = lowUseShrink(s, m_low, reason);
            return { to, reason };
        }
        m_low = 0;
        if (!haveRtt || m_noload <= 0)
            return { w, {} };

        const int queue = std::max(0, int(std::ceil(w * (1 - m_noload / rtt))));
        const int alpha = std::max(3 * step, int(0.1 * w));
        const int beta = std::max(6 * step, int(0.2 * w));
        const QString est
            = QStringLiteral("queue estimate %1 (no-load %2, RTT %3)").arg(queue).arg(ms(m_noload), ms(rtt));
        if (queue <= step) {
            const int by = (published || hasQueue(s)) ? beta : 1;
            return { w + by, est + QStringLiteral(" ≤ %1: +%2").arg(step).arg(by) };
        }
        if (queue < alpha)
            return { w + step, est + QStringLiteral(" < alpha %1: +%2").arg(alpha).arg(step) };
        if (queue > beta)
            return { w - step, est + QStringLiteral(" > beta %1: −%2").arg(beta).arg(step) };
        return { w, {} };
    }

private:
    /// Tracks the no-load RTT; true when this interval only set it (a probe or the first figure).
    bool updateNoLoad(const AutoscaleSample &s, double rtt, int limit)
    {
        ++m_probeAge;
        if (m_variant.publishedRules) {
            if (m_noload <= 0 || m_probeAge >= kProbeMultiplier * limit) {
                m_noload = rtt;
                m_probeAge = 0;
                return true;
            }
            if (rtt < m_noload) {
                m_noload = rtt;
                return true;
            }
            return false;
        }
        if (m_noload <= 0 || m_probeAge >= kProbeIntervals || s.t - m_probeT >= kProbeS) {
            m_noload = rtt;
            m_pendingLow = 0;
            m_probeAge = 0;
            m_probeT = s.t;
            return true;
        }
        if (rtt < m_noload) {
            // A lower figure counts once the next interval confirms it; both bound it from above.
            if (m_pendingLow > 0) {
                m_noload = std::max(rtt, m_pendingLow);
                m_pendingLow = 0;
                return true;
            }
            m_pendingLow = rtt;
            return false;
        }
        m_pendingLow = 0;
        return false;
    }

    double m_noload = 0; ///< seconds
    double m_pendingLow = 0; ///< a lower figure seen once, waiting for a second interval
    int m_probeAge = 0; ///< intervals since the no-load figure was last set from scratch
    double m_probeT = 0;
    int m_low = 0;
};

} // namespace

std::unique_ptr<AutoscaleController> makeAutoscaleController(
    const AutoscaleConfig &cfg, DomainKind d, int workers, double targetP99S, const AutoscaleVariant &variant)
{
    switch (cfg.policy) {
    case AutoscalePolicy::Off: return nullptr;
    case AutoscalePolicy::Queue: return std::make_unique<QueueController>(cfg, d, workers, targetP99S, variant);
    case AutoscalePolicy::Aimd: return std::make_unique<AimdController>(cfg, d, workers, targetP99S, variant);
    case AutoscalePolicy::Gradient: return std::make_unique<GradientController>(cfg, d, workers, targetP99S, variant);
    case AutoscalePolicy::Vegas: return std::make_unique<VegasController>(cfg, d, workers, targetP99S, variant);
    }
    return nullptr;
}

std::unique_ptr<AutoscaleController> makeAutoscaleController(
    const AutoscaleConfig &cfg, DomainKind d, int workers, double targetP99S)
{
    return makeAutoscaleController(cfg, d, workers, targetP99S, AutoscaleVariant {});
}

} // namespace hs
