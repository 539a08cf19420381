#include "run/router.h"

namespace hs {

Router::Router(const Scenario &s)
{
    int n = 0;
    for (const auto &c : s.classes) {
        m_offsets.push_back(n);
        n += int(c.stages.size());
    }
    m_routes = std::make_unique<std::atomic<int>[]>(std::size_t(n));
    int i = 0;
    for (const auto &c : s.classes)
        for (const auto &st : c.stages) {
            m_routes[std::size_t(i++)].store(int(st.domain));
            m_keys.push_back(c.name + QLatin1Char('.') + st.name);
        }
}

std::optional<std::pair<int, int>> Router::find(const QString &key) const
{
    for (std::size_t i = 0; i < m_keys.size(); ++i) {
        if (m_keys[i] != key)
            continue;
        int cls = 0;
        while (cls + 1 < int(m_offsets.size()) && m_offsets[std::size_t(cls + 1)] <= int(i))
            ++cls;
        return std::make_pair(cls, int(i) - m_offsets[std::size_t(cls)]);
    }
    return std::nullopt;
}

} // namespace hs
