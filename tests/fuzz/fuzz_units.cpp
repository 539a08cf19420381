// Fuzz target: the unit-bearing values of the scenario format (durations, sizes, rates,
// probabilities, distributions). Whatever is accepted must be finite, non-negative, and sample
// to finite non-negative values; the human-readable form of an accepted distribution must parse
// back.
#include "scenario/units.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>

namespace {

void check(bool ok)
{
    if (!ok)
        std::abort(); // the fuzzer reports the input
}

void checkValue(const std::optional<double> &v)
{
    if (v)
        check(std::isfinite(*v) && *v >= 0);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size > 4096)
        return 0;
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    QString error;
    checkValue(hs::parseDuration(text, &error));
    checkValue(hs::parseSize(text, &error));
    checkValue(hs::parseRate(text, &error));
    if (const auto p = hs::parseProbability(text, &error))
        check(*p >= 0 && *p <= 1);
    for (const hs::Quantity q : { hs::Quantity::Duration, hs::Quantity::Size }) {
        const auto d = hs::parseDistribution(text, q, &error);
        if (!d)
            continue;
        check(std::isfinite(d->a) && std::isfinite(d->b) && std::isfinite(d->mean()) && d->mean() >= 0);
        std::mt19937_64 rng(size);
        for (int i = 0; i < 16; ++i) {
            const double s = d->sample(rng);
            check(std::isfinite(s) && s >= 0);
        }
        const QString unit = q == hs::Quantity::Duration ? QStringLiteral("s") : QStringLiteral("B");
        check(hs::parseDistribution(d->toString(unit), q, &error).has_value());
    }
    return 0;
}
