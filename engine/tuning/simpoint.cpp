#include "tuning/simpoint.h"

#include <QElapsedTimer>
#include <QSet>
#include <QThread>

#include <algorithm>
#include <cmath>

namespace hs {

SweepPointResult simulatePoint(const Scenario &scenario, const SweepValues &values, double duration, double warmup,
    int reps, const SimOptions &options)
{
    QElapsedTimer wall;
    wall.start();
    SimOptions o = options;
    o.warmupS = warmup;
    std::vector<PhaseResult> measured;
    std::vector<DomainAutoscale> autoscale;
    QSet<QString> findings;
    bool conserved = true;
    for (int rep = 0; rep < reps; ++rep) {
        Scenario s = scenario;
        s.duration = duration;
        s.seed = scenario.seed + std::uint64_t(rep);
        const RunResult r = simulate(s, o);
        conserved = conserved && r.conserved();
        const PhaseResult &ph = r.phases.front();
        for (const Finding &f : r.findings)
            if (f.toS >= warmup && f.fromS <= ph.toS)
                findings.insert(f.rule);
        measured.push_back(ph);
        autoscale.push_back(domainAutoscale(r));
    }
    QStringList names = findings.values();
    names.sort();
    SweepPointResult p = pointFigures(scenario, measured, names, std::max(1, int(std::lround(simCores(o)))), autoscale);
    p.values = values;
    p.durationS = duration;
    p.warmupS = warmup;
    p.reps = reps;
    p.conserved = conserved;
    p.wallS = double(wall.nsecsElapsed()) / 1e9;
    return p;
}

} // namespace hs
