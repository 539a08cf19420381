#include "autoscale/autoscale.h"

#include <algorithm>

namespace hs {

AutoscaleSample autoscaleSample(const DomainTotals &earlier, const DomainTotals &later, double t, int workersNow,
    int queueNow, std::uint64_t rejected)
{
    AutoscaleSample s;
    s.t = t;
    const double span = later.spanNs - earlier.spanNs;
    s.intervalS = std::max(0.0, span / 1e9);
    s.workers = workersNow;
    s.queueNow = queueNow;
    s.rejected = rejected;
    if (span > 0) {
        s.workersMean = (later.capacityNs - earlier.capacityNs) / span;
        s.busyMean = (later.busyNs - earlier.busyNs) / span;
        s.queueMean = (later.queueNs - earlier.queueNs) / span;
    } else {
        s.workersMean = workersNow;
    }
    s.admitted = later.admitted >= earlier.admitted ? later.admitted - earlier.admitted : 0;
    s.completed = later.completed >= earlier.completed ? later.completed - earlier.completed : 0;
    const HistogramSnapshot service = later.service.since(earlier.service);
    s.serviced = service.count();
    if (!service.isEmpty()) {
        s.serviceMeanS = service.mean() / 1e9;
        s.serviceLowS = service.percentile(0.10) / 1e9;
        s.serviceP99S = service.percentile(0.99) / 1e9;
    }
    const HistogramSnapshot wait = later.wait.since(earlier.wait);
    if (!wait.isEmpty()) {
        s.waitMeanS = wait.mean() / 1e9;
        s.waitP99S = wait.percentile(0.99) / 1e9;
    }
    return s;
}

double tightestSlaIn(const Scenario &s, DomainKind d, const std::function<DomainKind(int, int)> &route)
{
    double best = 0;
    for (int i = 0; i < int(s.classes.size()); ++i) {
        const auto sla = s.slaFor(i);
        if (!sla)
            continue;
        for (int st = 0; st < int(s.classes[std::size_t(i)].stages.size()); ++st)
            if (route(i, st) == d && (best == 0 || *sla < best))
                best = *sla;
    }
    return best;
}

} // namespace hs
