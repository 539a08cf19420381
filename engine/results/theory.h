#pragma once

#include "core/kinds.h"

#include <QString>

#include <optional>
#include <utility>
#include <vector>

namespace hs::theory {

/**
 * Queueing theory behind the measured figures (DESIGN §11, docs/tuning.md): per domain the model
 * that applies, its predictions, and when no model applies, why. All times in seconds.
 *
 *     Prediction p = mmc(90.0, 0.02, 2);          // λ = 90/s, E[S] = 20 ms, c = 2
 *     if (p.applies) use(p.utilization, p.pWait, p.waitMeanS);
 *     double c99 = mmcResponseQuantile(90.0, 0.02, 2, 0.99);
 */
struct Prediction {
    QString model; ///< "M/M/c (Erlang C)", "G/G/c (Allen–Cunneen)", "M/G/1 (Pollaczek–Khinchine)", "M/M/c/K"
    bool applies = false; ///< false: `why` says which assumption fails, the figures are not drawn
    QString why; ///< e.g. "overloaded: U = 1.3 ≥ 1", "CPU oversubscribed: 8 workers on 2 cores"
    double utilization = 0; ///< ρ = λ·E[S]/c (of the admitted load for M/M/c/K)
    double pWait = 0; ///< probability that an arrival waits
    double waitMeanS = 0; ///< mean time in the queue
    double queueMean = 0; ///< mean number waiting (Little: λ·Wq)
    double responseMeanS = 0; ///< waitMeanS + E[S]
    std::optional<double> pBlock; ///< M/M/c/K: probability an arrival is rejected
};

/// Erlang C: the probability that an arrival to an M/M/c queue with offered load a = λ·E[S]
/// (Erlangs) waits. 1 when a >= c.
double erlangC(int c, double a);
/// Erlang B: the blocking probability of M/M/c/c.
double erlangB(int c, double a);

Prediction mmc(double lambda, double meanS, int c);
/// G/G/c by Allen–Cunneen: Erlang C's wait scaled by (ca² + cs²)/2.
Prediction allenCunneen(double lambda, double meanS, double ca2, double cs2, int c);
/// M/G/1 by Pollaczek–Khinchine: Wq = λ·E[S²] / (2(1 − ρ)), E[S²] = (1 + cs²)·E[S]².
Prediction pollaczekKhinchine(double lambda, double meanS, double cs2);
/// M/M/c/K: c servers and room for K in the system (K >= c); arrivals beyond are rejected.
Prediction mmck(double lambda, double meanS, int c, int K);

/// The q-quantile of the response time (wait + service) of FCFS M/M/c; infinity when ρ >= 1.
double mmcResponseQuantile(double lambda, double meanS, int c, double q);
/// The fewest servers c >= 1 whose M/M/c response-time q-quantile is at most `target`; nullopt
/// when even a very large c cannot (the service time alone is too long).
std::optional<int> smallestServersFor(double lambda, double meanS, double q, double target);

/// What the engine measured of one domain over a span, the input of predictDomain().
struct DomainMeasure {
    DomainKind kind = DomainKind::Threads;
    int workers = 1;
    double arrivalRate = 0; ///< stages admitted per second
    double serviceMeanS = 0;
    double serviceScv = 1; ///< squared coefficient of variation of the service time
    double arrivalScv = 1; ///< of the inter-arrival times (1: Poisson)
    int queueCapacity = 0; ///< 0: unbounded
    bool rejectWhenFull = false;
    bool cpuBound = false; ///< the domain runs cpu stages
    int cores = 1; ///< the machine's
    /// Workers that can run cpu stages at once across every domain (loop 1, pools their workers);
    /// 0: only this domain's. More than `cores` oversubscribes every CPU-bound domain.
    int cpuWorkers = 0;
    bool gilContended = false; ///< cpu stages under the GIL
    bool closedLoop = false; ///< some class feeding it has closed-loop arrivals
    /// The pool's size changed within the measured span (autoscale, or a resize): its mean
    /// number of workers then. 0: the size stayed at `workers`.
    double workersChangedMean = 0;
};
/// Service or arrival SCVs within this of 1 count as exponential (Erlang C); beyond it the
/// variability is corrected (Allen–Cunneen). The sample SCV of n exponential times has a standard
/// error of about √(8/n): 0.09 at n = 1000, so 0.25 is about three of those.
inline constexpr double kScvTolerance = 0.25;

/// The model for the domain (P-K for the loop, M/M/c/K for a bounded queue with reject,
/// Allen–Cunneen when the service or arrivals are not exponential, else Erlang C), or why none
/// applies (oversubscribed CPU, GIL contention, closed-loop arrivals, U >= 1, too few samples).
Prediction predictDomain(const DomainMeasure &m);

/// Little's law, L = λ·W, on measured figures: the relative mismatch |L − λW| / max(L, λW)
/// (0 when both are ~0).
double littleMismatch(double queueMean, double arrivalRate, double waitMeanS);

/// Universal Scalability Law X(N) = λN / (1 + σ(N − 1) + κN(N − 1)), fitted by least squares with
/// σ, κ >= 0 on at least 5 points (N, X); N* = √((1 − σ)/κ) (infinite when κ = 0).
struct UslFit {
    double sigma = 0, kappa = 0, lambda = 0;
    double nStar = 0; ///< the N of peak throughput
    double r2 = 0;
    double at(double n) const;
};
std::optional<UslFit> fitUsl(const std::vector<std::pair<double, double>> &points);

/// The knee of a curve, rising (P99 against load) or falling (P99 against workers): the measured x
/// farthest from the chord between the curve's ends, with both axes scaled to [0, 1] (y on a log
/// axis when it is positive, x on a log axis when the sweep steps geometrically). Every x it can
/// answer is a point that was measured, there is no sensitivity parameter and no smoothing, so
/// short (4+ points) and log-spaced sweeps give a stable answer (docs/tuning.md says why not
/// Kneedle). nullopt for a curve with one regime: fewer than 4 points, flat (y varies by less than
/// kKneeMinRelativeRange of its size), or straight on linear or logarithmic axes (no point farther
/// than kKneeMinDistance from the chord on some pair of axes: a line, a power law, an
/// exponential). `method` names the method and its axes.
struct Knee {
    double x = 0;
    QString method;
};
inline constexpr double kKneeMinRelativeRange = 0.10;
inline constexpr double kKneeMinDistance = 0.10;
std::optional<Knee> findKnee(const std::vector<std::pair<double, double>> &points);

} // namespace hs::theory
