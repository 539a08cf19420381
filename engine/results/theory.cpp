#include "results/theory.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>

namespace hs::theory {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

QString fmt(double v, int decimals = 2)
{
    return QString::number(v, 'f', decimals);
}

const QString kErlangC = QStringLiteral("M/M/c (Erlang C)");
const QString kAllenCunneen = QStringLiteral("G/G/c (Allen–Cunneen)");
const QString kPollaczek = QStringLiteral("M/G/1 (Pollaczek–Khinchine)");
const QString kMmck = QStringLiteral("M/M/c/K");

// A prediction that does not apply: the offered utilization is still reported, the rest stays 0.
Prediction notApplicable(const QString &model, double utilization, const QString &why)
{
    Prediction p;
    p.model = model;
    p.applies = false;
    p.why = why;
    p.utilization = utilization;
    return p;
}

// The common start of every open model: λ, E[S] and c must be positive and finite.
std::optional<Prediction> invalidInput(const QString &model, double lambda, double meanS, int c)
{
    if (!(lambda > 0) || !std::isfinite(lambda))
        return notApplicable(model, 0, QStringLiteral("too few samples: no arrivals measured"));
    if (!(meanS > 0) || !std::isfinite(meanS))
        return notApplicable(model, 0, QStringLiteral("too few samples: no service time measured"));
    if (c < 1)
        return notApplicable(model, 0, QStringLiteral("no workers"));
    return std::nullopt;
}

Prediction overloaded(const QString &model, double rho)
{
    return notApplicable(model, rho,
        QStringLiteral("overloaded: U = %1 ≥ 1 (arrivals exceed what the workers serve; the queue grows "
                       "without bound and no steady state exists)")
            .arg(fmt(rho)));
}

// P(W + S > t) for W ~ Exp(theta), S ~ Exp(mu), written so that theta → mu stays exact:
// e^{−μt}·(1 + μ·(1 − e^{−(θ−μ)t})/(θ−μ)).
double hypoexpTail(double theta, double mu, double t)
{
    const double d = theta - mu;
    const double g = d == 0 ? t : -std::expm1(-d * t) / d;
    return std::exp(-mu * t) * (1 + mu * g);
}

// P(T > t), T the response time of FCFS M/M/c: no wait with probability 1 − C, else an
// Exp(cμ − λ) wait before the Exp(μ) service.
double mmcResponseTail(double lambda, double mu, int c, double pWait, double t)
{
    const double theta = c * mu - lambda;
    return (1 - pWait) * std::exp(-mu * t) + pWait * hypoexpTail(theta, mu, t);
}

} // namespace

double erlangB(int c, double a)
{
    if (c < 1)
        return 1;
    if (!(a > 0))
        return 0;
    // B(k) = a·B(k−1) / (k + a·B(k−1)), B(0) = 1: every step stays in [0, 1], no factorials.
    double b = 1;
    for (int k = 1; k <= c; ++k)
        b = a * b / (k + a * b);
    return b;
}

double erlangC(int c, double a)
{
    if (c < 1 || a >= c)
        return 1;
    if (!(a > 0))
        return 0;
    const double b = erlangB(c, a);
    return c * b / (c - a * (1 - b));
}

Prediction mmc(double lambda, double meanS, int c)
{
    if (auto bad = invalidInput(kErlangC, lambda, meanS, c))
        return *bad;
    const double a = lambda * meanS;
    const double rho = a / c;
    if (rho >= 1)
        return overloaded(kErlangC, rho);
    Prediction p;
    p.model = kErlangC;
    p.applies = true;
    p.utilization = rho;
    p.pWait = erlangC(c, a);
    p.waitMeanS = p.pWait * meanS / (c - a); // C / (cμ − λ)
    p.queueMean = lambda * p.waitMeanS;
    p.responseMeanS = p.waitMeanS + meanS;
    return p;
}

Prediction allenCunneen(double lambda, double meanS, double ca2, double cs2, int c)
{
    Prediction p = mmc(lambda, meanS, c);
    p.model = kAllenCunneen;
    if (!p.applies)
        return p;
    const double factor = (std::max(0.0, ca2) + std::max(0.0, cs2)) / 2;
    p.waitMeanS *= factor;
    p.queueMean = lambda * p.waitMeanS;
    p.responseMeanS = p.waitMeanS + meanS;
    // P(wait) stays Erlang C's: the approximation corrects the mean, not the probability.
    return p;
}

Prediction pollaczekKhinchine(double lambda, double meanS, double cs2)
{
    if (auto bad = invalidInput(kPollaczek, lambda, meanS, 1))
        return *bad;
    const double rho = lambda * meanS;
    if (rho >= 1)
        return overloaded(kPollaczek, rho);
    Prediction p;
    p.model = kPollaczek;
    p.applies = true;
    p.utilization = rho;
    p.pWait = rho; // Poisson arrivals see time averages: the server is busy a share ρ of the time
    const double es2 = (1 + std::max(0.0, cs2)) * meanS * meanS;
    p.waitMeanS = lambda * es2 / (2 * (1 - rho));
    p.queueMean = lambda * p.waitMeanS;
    p.responseMeanS = p.waitMeanS + meanS;
    return p;
}

Prediction mmck(double lambda, double meanS, int c, int K)
{
    if (auto bad = invalidInput(kMmck, lambda, meanS, c))
        return *bad;
    K = std::max(K, c);
    const double a = lambda * meanS;
    // p(n) ∝ a^n / n! up to c, then a^c / c! · (a/c)^(n−c): built in logs and normalized by the
    // largest term, so that large K or a neither overflow nor underflow.
    std::vector<double> logTerm(std::size_t(K) + 1);
    logTerm[0] = 0;
    for (int n = 1; n <= K; ++n)
        logTerm[std::size_t(n)] = logTerm[std::size_t(n) - 1] + std::log(a / std::min(n, c));
    const double top = *std::max_element(logTerm.begin(), logTerm.end());
    std::vector<double> pn(logTerm.size());
    double total = 0;
    for (std::size_t n = 0; n < pn.size(); ++n)
        total += pn[n] = std::exp(logTerm[n] - top);
    for (double &v : pn)
        v /= total;
    const double pBlock = pn[std::size_t(K)];
    double lq = 0, busy = 0, waitOnArrival = 0;
    for (int n = 0; n <= K; ++n) {
        const double v = pn[std::size_t(n)];
        lq += std::max(0, n - c) * v;
        busy += std::min(n, c) * v;
        if (n >= c && n < K)
            waitOnArrival += v;
    }
    const double admitted = lambda * (1 - pBlock);
    Prediction p;
    p.model = kMmck;
    p.applies = true;
    p.utilization = busy / c; // = λ(1 − P_K)·E[S]/c
    p.pBlock = pBlock;
    p.pWait = pBlock < 1 ? waitOnArrival / (1 - pBlock) : 1; // of the admitted arrivals
    p.queueMean = lq;
    p.waitMeanS = admitted > 0 ? lq / admitted : 0; // Little on the admitted stream
    p.responseMeanS = p.waitMeanS + meanS;
    return p;
}

double mmcResponseQuantile(double lambda, double meanS, int c, double q)
{
    if (!(meanS > 0) || c < 1)
        return std::numeric_limits<double>::quiet_NaN();
    if (q <= 0)
        return 0;
    if (q >= 1)
        return kInf;
    const double mu = 1 / meanS;
    const double a = std::max(0.0, lambda) * meanS;
    if (a >= c)
        return kInf;
    const double pWait = erlangC(c, a);
    const double target = 1 - q;
    // P(T > t) falls from 1 to 0: bracket the answer by doubling, then bisect to 1e-12 relative.
    double lo = 0, hi = meanS;
    while (mmcResponseTail(lambda, mu, c, pWait, hi) > target) {
        lo = hi;
        hi *= 2;
        if (!std::isfinite(hi))
            return kInf;
    }
    for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; ++i) {
        const double mid = (lo + hi) / 2;
        (mmcResponseTail(lambda, mu, c, pWait, mid) > target ? lo : hi) = mid;
    }
    return (lo + hi) / 2;
}

std::optional<int> smallestServersFor(double lambda, double meanS, double q, double target)
{
    if (!(meanS > 0) || !(q > 0) || !(q < 1) || !(target > 0))
        return std::nullopt;
    // With unlimited servers nobody waits and the response time is the service time alone: its
    // q-quantile −ln(1 − q)·E[S] is the floor no c gets under.
    if (target <= -std::log1p(-q) * meanS)
        return std::nullopt;
    const auto meets = [&](int c) { return mmcResponseQuantile(lambda, meanS, c, q) <= target; };
    // The quantile falls as c grows: double from the least stable c, then bisect.
    constexpr int kMaxServers = 1 << 20;
    int lo = std::max(0, int(std::floor(std::max(0.0, lambda) * meanS))); // lo misses (or is 0)
    if (lo >= kMaxServers)
        return std::nullopt;
    int hi = std::max(1, lo + 1);
    while (!meets(hi)) {
        lo = hi;
        if (hi >= kMaxServers)
            return std::nullopt;
        hi = std::min(kMaxServers, hi * 2);
    }
    while (hi - lo > 1) {
        const int mid = lo + (hi - lo) / 2;
        (meets(mid) ? hi : lo) = mid;
    }
    return hi;
}

Prediction predictDomain(const DomainMeasure &m)
{
    const bool loop = m.kind == DomainKind::Loop;
    const int c = loop ? 1 : std::max(1, m.workers);
    const bool bounded = !loop && m.queueCapacity > 0 && m.rejectWhenFull;
    const bool exponential = std::abs(m.serviceScv - 1) <= kScvTolerance && std::abs(m.arrivalScv - 1) <= kScvTolerance;
    const QString model = loop ? kPollaczek : bounded ? kMmck : exponential ? kErlangC : kAllenCunneen;
    const double offered = m.arrivalRate > 0 && m.serviceMeanS > 0 ? m.arrivalRate * m.serviceMeanS / c : 0;

    if (!(m.arrivalRate > 0) || !(m.serviceMeanS > 0))
        return notApplicable(model, 0,
            !(m.arrivalRate > 0) ? QStringLiteral("too few samples: no arrivals measured")
                                 : QStringLiteral("too few samples: no service time measured"));
    if (m.closedLoop)
        return notApplicable(model, offered,
            QStringLiteral("closed-loop arrivals: clients wait for their answer before sending again, so the "
                           "arrival rate falls as the response time grows (a closed network, not an open queue)"));
    if (m.workersChangedMean > 0)
        return notApplicable(model, offered,
            QStringLiteral("the pool's size changed in this span (%1 workers on average, %2 now: autoscale or a "
                           "resize), and every model here is of a fixed number of servers")
                .arg(m.workersChangedMean, 0, 'f', 1)
                .arg(c));
    if (m.gilContended)
        return notApplicable(model, offered,
            QStringLiteral("GIL contention: the cpu stages take turns on one emulated interpreter lock, so the "
                           "workers are not independent servers"));
    const int cpuWorkers = std::max(loop ? 1 : c, m.cpuWorkers);
    if (m.cpuBound && cpuWorkers > m.cores)
        return notApplicable(model, offered,
            (cpuWorkers > (loop ? 1 : c)
                    ? QStringLiteral("CPU oversubscribed: %1 cpu workers across the domains on %2 cores")
                    : QStringLiteral("CPU oversubscribed: %1 workers on %2 cores"))
                    .arg(cpuWorkers)
                    .arg(m.cores)
                + QStringLiteral(" share the CPU, so a stage's service time grows with the load instead of staying "
                                 "independent of it"));
    if (loop)
        return pollaczekKhinchine(m.arrivalRate, m.serviceMeanS, m.serviceScv);
    if (bounded)
        return mmck(m.arrivalRate, m.serviceMeanS, c, c + m.queueCapacity);
    if (exponential)
        return mmc(m.arrivalRate, m.serviceMeanS, c);
    return allenCunneen(m.arrivalRate, m.serviceMeanS, m.arrivalScv, m.serviceScv, c);
}

double littleMismatch(double queueMean, double arrivalRate, double waitMeanS)
{
    const double l = std::max(0.0, queueMean);
    const double lw = std::max(0.0, arrivalRate) * std::max(0.0, waitMeanS);
    const double scale = std::max(l, lw);
    return scale > 1e-12 ? std::abs(l - lw) / scale : 0.0;
}

// ---- Universal Scalability Law ----

double UslFit::at(double n) const
{
    return lambda * n / (1 + sigma * (n - 1) + kappa * n * (n - 1));
}

namespace {

using Points = std::vector<std::pair<double, double>>;

// For fixed σ, κ the model is linear in λ: the best λ and the resulting sum of squares.
std::pair<double, double> profileLambda(const Points &pts, double sigma, double kappa)
{
    double sff = 0, sxf = 0;
    for (const auto &[n, x] : pts) {
        const double f = n / (1 + sigma * (n - 1) + kappa * n * (n - 1));
        sff += f * f;
        sxf += x * f;
    }
    const double lambda = sff > 0 ? sxf / sff : 0;
    double sse = 0;
    for (const auto &[n, x] : pts) {
        const double r = x - lambda * n / (1 + sigma * (n - 1) + kappa * n * (n - 1));
        sse += r * r;
    }
    return { lambda, sse };
}

// Nelder–Mead on (u, v) with σ = u², κ = v², so that the bounds σ, κ >= 0 hold by construction.
std::array<double, 2> minimizeUsl(const Points &pts, std::array<double, 2> start)
{
    const auto f = [&](const std::array<double, 2> &p) { return profileLambda(pts, p[0] * p[0], p[1] * p[1]).second; };
    std::array<std::array<double, 2>, 3> s { start, start, start };
    s[1][0] += std::max(0.05, 0.2 * std::abs(start[0]));
    s[2][1] += std::max(0.01, 0.2 * std::abs(start[1]));
    std::array<double, 3> fv { f(s[0]), f(s[1]), f(s[2]) };
    for (int it = 0; it < 2000; ++it) {
        std::array<int, 3> idx { 0, 1, 2 };
        std::sort(idx.begin(), idx.end(), [&](int a, int b) { return fv[std::size_t(a)] < fv[std::size_t(b)]; });
        const auto best = s[std::size_t(idx[0])], mid = s[std::size_t(idx[1])], worst = s[std::size_t(idx[2])];
        const double fb = fv[std::size_t(idx[0])], fm = fv[std::size_t(idx[1])], fw = fv[std::size_t(idx[2])];
        if (fw - fb <= 1e-14 * std::max(1e-300, std::abs(fb)) + 1e-300)
            break;
        const std::array<double, 2> cen { (best[0] + mid[0]) / 2, (best[1] + mid[1]) / 2 };
        const auto along = [&](double t) {
            return std::array<double, 2> { cen[0] + t * (worst[0] - cen[0]), cen[1] + t * (worst[1] - cen[1]) };
        };
        const auto refl = along(-1);
        const double fr = f(refl);
        std::array<double, 2> next = refl;
        double fn = fr;
        if (fr < fb) {
            const auto exp = along(-2);
            const double fe = f(exp);
            if (fe < fr) {
                next = exp;
                fn = fe;
            }
        } else if (fr >= fm) {
            const auto con = fr < fw ? along(-0.5) : along(0.5);
            const double fc = f(con);
            if (fc < std::min(fr, fw)) {
                next = con;
                fn = fc;
            } else {
                // Shrink towards the best vertex.
                for (int k : { idx[1], idx[2] }) {
                    auto &v = s[std::size_t(k)];
                    v = { best[0] + 0.5 * (v[0] - best[0]), best[1] + 0.5 * (v[1] - best[1]) };
                    fv[std::size_t(k)] = f(v);
                }
                continue;
            }
        }
        s[std::size_t(idx[2])] = next;
        fv[std::size_t(idx[2])] = fn;
    }
    const auto it = std::min_element(fv.begin(), fv.end());
    return s[std::size_t(it - fv.begin())];
}

} // namespace

std::optional<UslFit> fitUsl(const std::vector<std::pair<double, double>> &points)
{
    if (points.size() < 5)
        return std::nullopt;
    for (const auto &[n, x] : points)
        if (!(n >= 1) || !(x > 0) || !std::isfinite(n) || !std::isfinite(x))
            return std::nullopt;
    std::vector<double> ns;
    for (const auto &p : points)
        ns.push_back(p.first);
    std::sort(ns.begin(), ns.end());
    if (std::unique(ns.begin(), ns.end()) - ns.begin() < 3)
        return std::nullopt; // two distinct N cannot separate σ from κ
    const double meanX = std::accumulate(points.begin(), points.end(), 0.0, [](double s, const auto &p) {
        return s + p.second;
    }) / double(points.size());
    double ssTot = 0;
    for (const auto &p : points)
        ssTot += (p.second - meanX) * (p.second - meanX);
    if (!(ssTot > 0))
        return std::nullopt;

    // Start from the linearized fit N/X = (1 + σ(N−1) + κN(N−1))/λ, a linear least squares in
    // (1/λ, σ/λ, κ/λ) solved on each face of σ, κ >= 0; then minimize the error in X itself.
    std::array<double, 2> start { 0, 0 };
    double bestLin = kInf;
    for (int mask = 0; mask < 4; ++mask) {
        const bool useS = mask & 1, useK = mask & 2;
        // Normal equations for y = a + b·u + c·w on the chosen columns (3×3 at most).
        std::array<std::array<double, 4>, 3> m {};
        std::vector<std::array<double, 3>> rows;
        for (const auto &[n, x] : points) {
            rows.push_back({ 1.0, useS ? n - 1 : 0.0, useK ? n * (n - 1) : 0.0 });
            const double y = n / x;
            for (int i = 0; i < 3; ++i) {
                for (int j = 0; j < 3; ++j)
                    m[std::size_t(i)][std::size_t(j)] += rows.back()[std::size_t(i)] * rows.back()[std::size_t(j)];
                m[std::size_t(i)][3] += rows.back()[std::size_t(i)] * y;
            }
        }
        if (!useS)
            m[1] = { 0, 1, 0, 0 };
        if (!useK)
            m[2] = { 0, 0, 1, 0 };
        // Gaussian elimination with partial pivoting.
        bool singular = false;
        for (int col = 0; col < 3 && !singular; ++col) {
            int piv = col;
            for (int r = col + 1; r < 3; ++r)
                if (std::abs(m[std::size_t(r)][std::size_t(col)]) > std::abs(m[std::size_t(piv)][std::size_t(col)]))
                    piv = r;
            std::swap(m[std::size_t(col)], m[std::size_t(piv)]);
            const double d = m[std::size_t(col)][std::size_t(col)];
            if (std::abs(d) < 1e-300) {
                singular = true;
                break;
            }
            for (int r = 0; r < 3; ++r)
                if (r != col) {
                    const double k = m[std::size_t(r)][std::size_t(col)] / d;
                    for (int j = col; j < 4; ++j)
                        m[std::size_t(r)][std::size_t(j)] -= k * m[std::size_t(col)][std::size_t(j)];
                }
        }
        if (singular)
            continue;
        const double a = m[0][3] / m[0][0], b = m[1][3] / m[1][1], c = m[2][3] / m[2][2];
        if (!(a > 0) || b < 0 || c < 0)
            continue;
        const double sigma = b / a, kappa = c / a;
        const double sse = profileLambda(points, sigma, kappa).second;
        if (sse < bestLin) {
            bestLin = sse;
            start = { std::sqrt(sigma), std::sqrt(kappa) };
        }
    }
    // Polish from the linearized start and from the corners, keep the best.
    UslFit best;
    double bestSse = kInf;
    for (const std::array<double, 2> &s0 :
        { start, std::array<double, 2> { 0, 0 }, std::array<double, 2> { 0.3, 0.03 } }) {
        const auto uv = minimizeUsl(points, s0);
        const double sigma = uv[0] * uv[0], kappa = uv[1] * uv[1];
        const auto [lambda, sse] = profileLambda(points, sigma, kappa);
        if (sse < bestSse) {
            bestSse = sse;
            best.sigma = sigma;
            best.kappa = kappa;
            best.lambda = lambda;
        }
    }
    if (!(best.lambda > 0) || !std::isfinite(bestSse))
        return std::nullopt;
    best.r2 = 1 - bestSse / ssTot;
    // dX/dN = 0 where κN² = 1 − σ; with σ >= 1 throughput only falls after N = 1.
    best.nStar = best.kappa > 0 ? std::max(1.0, std::sqrt(std::max(0.0, 1 - best.sigma) / best.kappa))
        : best.sigma < 1        ? kInf
                                : 1.0;
    return best;
}

// ---- Knee ----

namespace {

// The curve on axes scaled to [0, 1] each, against the chord between its ends: the point farthest
// from it (vertically, which on these axes orders points as the perpendicular distance does) and
// that distance.
std::pair<int, double> farthestFromChord(std::vector<double> u, std::vector<double> v)
{
    const auto scale = [](std::vector<double> &z) {
        const auto [lo, hi] = std::minmax_element(z.begin(), z.end());
        const double from = *lo, span = *hi - *lo;
        for (double &x : z)
            x = span > 0 ? (x - from) / span : 0;
    };
    scale(u);
    scale(v);
    const std::size_t n = u.size();
    int best = -1;
    double bestDistance = -1;
    for (std::size_t i = 1; i + 1 < n; ++i) {
        const double t = (u[i] - u.front()) / (u.back() - u.front());
        const double distance = std::abs(v[i] - (v.front() + t * (v.back() - v.front())));
        if (distance > bestDistance + 1e-12) {
            bestDistance = distance;
            best = int(i);
        }
    }
    return { best, bestDistance };
}

// True when the x look geometric (1, 2, 4, 8...): their log gaps are more even than their gaps.
bool logSpaced(const std::vector<double> &x)
{
    if (x.front() <= 0 || x.back() / x.front() < 4)
        return false;
    const auto unevenness = [](const std::vector<double> &z) {
        std::vector<double> gaps;
        for (std::size_t i = 1; i < z.size(); ++i)
            gaps.push_back(z[i] - z[i - 1]);
        const double mean = std::accumulate(gaps.begin(), gaps.end(), 0.0) / double(gaps.size());
        double var = 0;
        for (double g : gaps)
            var += (g - mean) * (g - mean);
        return std::sqrt(var / double(gaps.size())) / mean;
    };
    std::vector<double> logs;
    for (double v : x)
        logs.push_back(std::log(v));
    return unevenness(logs) < unevenness(x);
}

} // namespace

std::optional<Knee> findKnee(const std::vector<std::pair<double, double>> &points)
{
    if (points.size() < 4)
        return std::nullopt;
    std::vector<std::pair<double, double>> pts = points;
    std::sort(pts.begin(), pts.end());
    for (std::size_t i = 0; i < pts.size(); ++i)
        if (!std::isfinite(pts[i].first) || !std::isfinite(pts[i].second)
            || (i > 0 && pts[i].first == pts[i - 1].first))
            return std::nullopt;
    std::vector<double> x, y;
    for (const auto &[a, b] : pts) {
        x.push_back(a);
        y.push_back(b);
    }
    const auto [ylo, yhi] = std::minmax_element(y.begin(), y.end());
    const double yAbs = std::max(std::abs(*ylo), std::abs(*yhi));
    if (!(yAbs > 0) || (*yhi - *ylo) < kKneeMinRelativeRange * yAbs)
        return std::nullopt; // flat: noise has no knee

    const bool xCanLog = x.front() > 0, yCanLog = *ylo > 0;
    std::vector<double> logX, logY;
    for (double v : x)
        logX.push_back(xCanLog ? std::log(v) : v);
    for (double v : y)
        logY.push_back(yCanLog ? std::log(v) : v);

    // A curve that is straight on linear or logarithmic axes (a line, a power law, an exponential)
    // has one regime throughout and so no knee: on those axes no point leaves the chord.
    for (int axes = 0; axes < 4; ++axes) {
        const bool onLogX = axes & 1, onLogY = axes & 2;
        if ((onLogX && !xCanLog) || (onLogY && !yCanLog))
            continue;
        if (farthestFromChord(onLogX ? logX : x, onLogY ? logY : y).second < kKneeMinDistance)
            return std::nullopt;
    }
    // Located on the axes a sweep is read on: latency (and throughput) on a log axis, where a
    // doubling weighs the same at 10 ms as at 1 s and the last, exploding point cannot flatten the
    // rest; x on a log axis when the sweep steps geometrically.
    const bool onLogX = xCanLog && logSpaced(x);
    const auto [index, distance] = farthestFromChord(onLogX ? logX : x, yCanLog ? logY : y);
    if (index < 0)
        return std::nullopt;
    Knee k;
    k.x = x[std::size_t(index)];
    k.method = QStringLiteral("farthest from the chord (%1 x, %2 y)")
                   .arg(onLogX ? QStringLiteral("log") : QStringLiteral("linear"),
                       yCanLog ? QStringLiteral("log") : QStringLiteral("linear"));
    return k;
}

} // namespace hs::theory
