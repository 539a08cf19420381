#pragma once

#include "scenario/scenario.h"

#include <atomic>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace hs {

/**
 * Maps each routing key `class.stage` to a domain. Lookups are lock-free (one atomic load) and
 * a reassignment takes effect for stages admitted after it; admitted stages stay where they are.
 *
 *     Router r(scenario);
 *     DomainKind d = r.route(cls, stage);
 *     r.reassign(cls, stage, DomainKind::Tbb);
 */
class Router {
public:
    explicit Router(const Scenario &s);

    DomainKind route(int cls, int stage) const
    {
        return DomainKind(m_routes[std::size_t(m_offsets[std::size_t(cls)] + stage)].load(std::memory_order_acquire));
    }
    void reassign(int cls, int stage, DomainKind d)
    {
        m_routes[std::size_t(m_offsets[std::size_t(cls)] + stage)].store(int(d), std::memory_order_release);
    }
    /// (class, stage) of a key "class.stage", or nullopt.
    std::optional<std::pair<int, int>> find(const QString &key) const;

private:
    std::vector<int> m_offsets;
    std::vector<QString> m_keys;
    std::unique_ptr<std::atomic<int>[]> m_routes;
};

} // namespace hs
