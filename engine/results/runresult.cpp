#include "results/runresult.h"

namespace hs {

bool ClassResult::slaMet() const
{
    if (!slaP99Ms)
        return true;
    return latency.percentile(0.99) / 1e6 <= *slaP99Ms;
}

namespace {
std::uint64_t sum(const std::vector<ClassResult> &classes, std::uint64_t ClassResult::*field)
{
    std::uint64_t n = 0;
    for (const auto &c : classes)
        n += c.*field;
    return n;
}
} // namespace

std::uint64_t RunResult::submitted() const
{
    return sum(classes, &ClassResult::submitted);
}
std::uint64_t RunResult::completed() const
{
    return sum(classes, &ClassResult::completed);
}
std::uint64_t RunResult::failed() const
{
    return sum(classes, &ClassResult::failed);
}
std::uint64_t RunResult::rejected() const
{
    return sum(classes, &ClassResult::rejected);
}
std::uint64_t RunResult::cancelled() const
{
    return sum(classes, &ClassResult::cancelled);
}

bool RunResult::conserved() const
{
    for (const auto &c : classes)
        if (c.submitted != c.completed + c.failed + c.rejected + c.cancelled)
            return false;
    return doubleEnds == 0;
}

bool RunResult::allSlasMet() const
{
    for (const auto &c : classes)
        if (!c.slaMet())
            return false;
    return true;
}

} // namespace hs
