#pragma once

#include "domains/domain.h"

#include <memory>

namespace hs {

/**
 * The `tbb` domain: a oneTBB task_arena of `workers` slots fed through a task_group. oneTBB
 * stays behind the pimpl. An arena's concurrency is fixed, so a resize opens a new arena for
 * new stages while the old one finishes what it runs.
 *
 *     TbbDomain d(host, scenario.domain(DomainKind::Tbb), thresholdNs);
 *     d.start(&error);
 */
class TbbDomain final : public Domain {
public:
    TbbDomain(StageHost &host, const DomainConfig &cfg, std::int64_t starvationThresholdNs);
    ~TbbDomain() override;

    bool start(QString *error) override;
    void stop() override;

protected:
    void launch(StageJob job) override;
    void applyWorkers(int workers) override;

private:
    void work(StageJob job);
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace hs
