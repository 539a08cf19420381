#include "results/phases.h"

#include <cmath>

namespace hs {

std::uint64_t RunCumulative::ended() const
{
    std::uint64_t n = 0;
    for (const ClassResult &c : classes)
        n += c.completed + c.failed + c.rejected + c.cancelled;
    return n;
}

std::uint64_t RunCumulative::submitted() const
{
    std::uint64_t n = 0;
    for (const ClassResult &c : classes)
        n += c.submitted;
    return n;
}

namespace {
std::uint64_t minus(std::uint64_t a, std::uint64_t b)
{
    return a > b ? a - b : 0;
}
} // namespace

PhaseResult phaseFigures(
    const RunCumulative &start, const RunCumulative &end, const std::array<int, kDomainCount> &queueMax)
{
    PhaseResult p;
    p.settled = true;
    const double span = std::max(0.0, end.t - start.t);
    for (std::size_t i = 0; i < end.classes.size(); ++i) {
        const ClassResult &b = end.classes[i];
        const ClassResult a = i < start.classes.size() ? start.classes[i] : ClassResult {};
        ClassResult c;
        c.name = b.name;
        c.slaP99Ms = b.slaP99Ms;
        c.submitted = minus(b.submitted, a.submitted);
        c.completed = minus(b.completed, a.completed);
        c.failed = minus(b.failed, a.failed);
        c.rejected = minus(b.rejected, a.rejected);
        c.cancelled = minus(b.cancelled, a.cancelled);
        c.throughput = span > 0 ? double(c.completed) / span : 0.0;
        c.latency = b.latency.since(a.latency);
        c.latencyNaive = b.latencyNaive.since(a.latencyNaive);
        c.hop = b.hop.since(a.hop);
        c.ipc = b.ipc.since(a.ipc);
        c.gilWait = b.gilWait.since(a.gilWait);
        for (auto it = b.failureReasons.cbegin(); it != b.failureReasons.cend(); ++it) {
            const std::uint64_t n = minus(it.value(), a.failureReasons.value(it.key()));
            if (n > 0)
                c.failureReasons.insert(it.key(), n);
        }
        p.classes.push_back(std::move(c));
    }
    for (DomainKind dk : kAllDomains) {
        const std::size_t k = std::size_t(dk);
        const DomainTotals &a = start.domains[k].totals;
        const DomainTotals &b = end.domains[k].totals;
        DomainResult &r = p.domains[k];
        r.kind = dk;
        r.used = end.domains[k].used;
        DomainTotals &t = r.totals;
        t.workers = a.workers; // the phase's own: the end is taken just after the next change
        t.completed = minus(b.completed, a.completed);
        const double busy = b.busyNs - a.busyNs;
        const double cap = b.capacityNs - a.capacityNs;
        const double dt = b.spanNs - a.spanNs;
        t.utilization = cap > 0 ? std::clamp(busy / cap, 0.0, 1.0) : 0.0;
        t.queueMean = dt > 0 ? std::max(0.0, (b.queueNs - a.queueNs) / dt) : 0.0;
        t.queueMax = queueMax[k];
        t.wait = b.wait.since(a.wait);
        t.service = b.service.since(a.service);
        t.admitted = minus(b.admitted, a.admitted);
        t.waited = minus(b.waited, a.waited);
        t.pWait = t.admitted ? double(t.waited) / double(t.admitted) : 0.0;
        t.starved = minus(b.starved, a.starved);
        t.starvedMs = std::max(0.0, b.starvedMs - a.starvedMs);
        t.crashes = minus(b.crashes, a.crashes);
        t.restarts = minus(b.restarts, a.restarts);
        t.busyNs = busy;
        t.capacityNs = cap;
        t.queueNs = b.queueNs - a.queueNs;
        t.spanNs = dt;
    }
    p.loopLag = end.loopLag.since(start.loopLag);
    return p;
}

std::optional<QuantileInterval> quantileInterval(const HistogramSnapshot &h, double q, double confidence)
{
    const std::uint64_t n = h.count();
    if (n == 0 || q <= 0 || q >= 1 || confidence <= 0 || confidence >= 1)
        return std::nullopt;
    const double tail = (1 - confidence) / 2;
    const double nd = double(n);
    const double sd = std::sqrt(nd * q * (1 - q));
    // Binomial(n, q) probabilities, summed from far enough below the mean that what lies below
    // is negligible (40 standard deviations), in logs so that large n does not overflow.
    const std::uint64_t from = std::uint64_t(std::max(0.0, std::floor(nd * q - 40 * sd - 10)));
    const double lq = std::log(q), lp = std::log1p(-q), lnFact = std::lgamma(nd + 1);
    const auto pmf = [&](std::uint64_t k) {
        const double kd = double(k);
        return std::exp(lnFact - std::lgamma(kd + 1) - std::lgamma(nd - kd + 1) + kd * lq + (nd - kd) * lp);
    };
    // F(k) = P(B <= k). Coverage of [X(l), X(u)] is F(u-1) - F(l-1): l is the largest rank with
    // F(l-1) <= tail, u the smallest with F(u-1) >= 1 - tail.
    // Below `from`, F is negligible: rank `from` qualifies (0: none does, the minimum is used).
    std::uint64_t l = from;
    std::optional<std::uint64_t> u;
    double cdf = 0;
    for (std::uint64_t k = from; k <= n; ++k) {
        cdf += pmf(k); // F(k)
        if (cdf <= tail)
            l = k + 1; // F(l - 1) <= tail
        if (cdf >= 1 - tail) {
            u = k + 1;
            break;
        }
    }
    const auto at = [&](std::uint64_t rank) { return h.percentile((double(rank) - 0.5) / nd); };
    QuantileInterval out;
    out.lo = l >= 1 ? at(l) : double(h.min());
    if (u && *u <= n)
        out.hi = at(*u);
    return out;
}

QString slaVerdict(const ClassResult &c)
{
    if (!c.slaP99Ms || c.latency.isEmpty())
        return QStringLiteral("none");
    const auto ci = quantileInterval(c.latency, 0.99);
    const double sla = *c.slaP99Ms * 1e6;
    if (ci && ci->hi && *ci->hi <= sla)
        return QStringLiteral("met");
    if (ci && ci->lo > sla)
        return QStringLiteral("missed");
    return QStringLiteral("uncertain");
}

} // namespace hs
