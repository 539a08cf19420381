#include "scenario/scenario.h"

#include <cmath>

namespace hs {

QString kernelName(CpuKernel k)
{
    switch (k) {
    case CpuKernel::Spin: return QStringLiteral("spin");
    case CpuKernel::Sha256: return QStringLiteral("sha256");
    case CpuKernel::Matmul: return QStringLiteral("matmul");
    case CpuKernel::Sort: return QStringLiteral("sort");
    }
    return {};
}

QString lockScopeName(LockScope s)
{
    return s == LockScope::Process ? QStringLiteral("process") : QStringLiteral("thread");
}

std::optional<LockScope> lockScopeFromName(const QString &name)
{
    for (LockScope s : { LockScope::Thread, LockScope::Process })
        if (lockScopeName(s) == name)
            return s;
    return std::nullopt;
}

QStringList sharedResourceNames(const Scenario &s)
{
    QStringList names;
    const auto add = [&](const QString &n) {
        if (!n.isEmpty() && !names.contains(n))
            names << n;
    };
    for (const TaskClass &c : s.classes)
        for (const Stage &st : c.stages) {
            for (const LockUse &l : st.locks)
                add(l.name);
            add(st.update);
        }
    return names;
}

QString onFullName(OnFull p)
{
    switch (p) {
    case OnFull::Reject: return QStringLiteral("reject");
    case OnFull::Block: return QStringLiteral("block");
    case OnFull::DropOldest: return QStringLiteral("drop_oldest");
    }
    return {};
}

std::optional<OnFull> onFullFromName(const QString &name)
{
    for (OnFull p : { OnFull::Reject, OnFull::Block, OnFull::DropOldest })
        if (onFullName(p) == name)
            return p;
    return std::nullopt;
}

QString transferName(Transfer t)
{
    return t == Transfer::Copy ? QStringLiteral("copy") : QStringLiteral("shm");
}

QString autoscalePolicyName(AutoscalePolicy p)
{
    switch (p) {
    case AutoscalePolicy::Off: return QStringLiteral("off");
    case AutoscalePolicy::Queue: return QStringLiteral("queue");
    case AutoscalePolicy::Aimd: return QStringLiteral("aimd");
    case AutoscalePolicy::Gradient: return QStringLiteral("gradient");
    case AutoscalePolicy::Vegas: return QStringLiteral("vegas");
    }
    return {};
}

std::optional<AutoscalePolicy> autoscalePolicyFromName(const QString &name)
{
    for (AutoscalePolicy p : kAllAutoscalePolicies)
        if (autoscalePolicyName(p) == name)
            return p;
    return std::nullopt;
}

QString arrivalName(ArrivalProcess a)
{
    switch (a) {
    case ArrivalProcess::Poisson: return QStringLiteral("poisson");
    case ArrivalProcess::Constant: return QStringLiteral("constant");
    case ArrivalProcess::Burst: return QStringLiteral("burst");
    case ArrivalProcess::Ramp: return QStringLiteral("ramp");
    case ArrivalProcess::Closed: return QStringLiteral("closed");
    }
    return {};
}

double Distribution::sample(std::mt19937_64 &rng) const
{
    const double v = sampleUncapped(rng);
    return v < cap ? v : cap; // also for a NaN or an infinity, never expected
}

double Distribution::sampleUncapped(std::mt19937_64 &rng) const
{
    switch (kind) {
    case Kind::Fixed: return a;
    case Kind::Exp: return a <= 0 ? 0.0 : std::exponential_distribution<double>(1.0 / a)(rng);
    case Kind::Uniform: return std::uniform_real_distribution<double>(a, b)(rng);
    case Kind::Normal: {
        // Truncated at 0 by resampling (a few tries), then clamped.
        std::normal_distribution<double> n(a, b);
        for (int i = 0; i < 16; ++i) {
            const double v = n(rng);
            if (v >= 0)
                return v;
        }
        return 0.0;
    }
    case Kind::LogNormal: return std::lognormal_distribution<double>(std::log(a), b)(rng);
    }
    return a;
}

double Distribution::mean() const
{
    switch (kind) {
    case Kind::Fixed:
    case Kind::Exp:
    case Kind::Normal: // ignoring truncation
        return a;
    case Kind::Uniform: return (a + b) / 2;
    case Kind::LogNormal: return a * std::exp(b * b / 2);
    }
    return a;
}

namespace {
QString formatValue(double v, const QString &unit)
{
    if (unit == QLatin1String("s")) {
        if (v == 0)
            return QStringLiteral("0s");
        if (v < 1e-3)
            return QString::number(v * 1e6, 'g', 4) + QStringLiteral("us");
        if (v < 1)
            return QString::number(v * 1e3, 'g', 4) + QStringLiteral("ms");
        return QString::number(v, 'g', 4) + QStringLiteral("s");
    }
    if (unit == QLatin1String("B")) {
        if (v >= 1024.0 * 1024 * 1024)
            return QString::number(v / (1024.0 * 1024 * 1024), 'g', 4) + QStringLiteral("GiB");
        if (v >= 1024.0 * 1024)
            return QString::number(v / (1024.0 * 1024), 'g', 4) + QStringLiteral("MiB");
        if (v >= 1024.0)
            return QString::number(v / 1024.0, 'g', 4) + QStringLiteral("KiB");
        return QString::number(v, 'g', 6) + QStringLiteral("B");
    }
    return QString::number(v, 'g', 6) + unit;
}
} // namespace

QString Distribution::toString(const QString &unit) const
{
    switch (kind) {
    case Kind::Fixed: return formatValue(a, unit);
    case Kind::Exp: return QStringLiteral("exp(") + formatValue(a, unit) + QLatin1Char(')');
    case Kind::Uniform:
        return QStringLiteral("uniform(") + formatValue(a, unit) + QLatin1Char(',') + formatValue(b, unit)
            + QLatin1Char(')');
    case Kind::Normal:
        return QStringLiteral("normal(") + formatValue(a, unit) + QLatin1Char(',') + formatValue(b, unit)
            + QLatin1Char(')');
    case Kind::LogNormal:
        return QStringLiteral("lognormal(") + formatValue(a, unit) + QLatin1Char(',') + QString::number(b)
            + QLatin1Char(')');
    }
    return {};
}

std::optional<double> Scenario::slaFor(int classIndex) const
{
    const auto &c = classes.at(std::size_t(classIndex));
    return c.slaP99 ? c.slaP99 : slaP99;
}

QStringList Scenario::routingKeys() const
{
    QStringList keys;
    for (const auto &c : classes)
        for (const auto &s : c.stages)
            keys << c.name + QLatin1Char('.') + s.name;
    return keys;
}

} // namespace hs
