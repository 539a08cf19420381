#pragma once

#include "domains/domain.h"

#include <atomic>
#include <memory>

class QThreadPool;

namespace hs {

/**
 * The `threads` domain: its own QThreadPool (never the global one); stages are started with
 * QtConcurrent::run and a worker keeps running queued stages until the queue is empty.
 *
 *     ThreadsDomain d(host, scenario.domain(DomainKind::Threads), thresholdNs);
 *     d.start(&error);
 */
class ThreadsDomain final : public Domain {
public:
    ThreadsDomain(StageHost &host, const DomainConfig &cfg, std::int64_t starvationThresholdNs);
    ~ThreadsDomain() override;

    bool start(QString *error) override;
    void stop() override;

protected:
    void launch(StageJob job) override;
    void applyWorkers(int workers) override;

private:
    void work(StageJob job);
    void abandonPool();
    std::unique_ptr<QThreadPool> m_pool;
    std::atomic<bool> m_stopped { false };
    std::atomic<bool> m_abandoned { false }; // m_pool was leaked (see abandonPool)
};

} // namespace hs
