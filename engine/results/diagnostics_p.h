#pragma once

// Helpers shared by the files of the rule engine (diagnostics*.cpp); not for other code.

#include "results/diagnostics.h"

#include <limits>

namespace hs::diagnostics_detail {

inline constexpr double kNever = std::numeric_limits<double>::infinity();

inline Finding proto(const char *rule, Severity s, std::optional<DomainKind> d, const QString &cls = {})
{
    Finding f;
    f.rule = QString::fromLatin1(rule);
    f.severity = s;
    f.domain = d;
    f.className = cls;
    return f;
}

inline QString num(double v, int decimals = 0)
{
    return QString::number(v, 'f', decimals);
}

} // namespace hs::diagnostics_detail

namespace hs {

// Every rule advances its tracks through step(), so its definition is shared here.
template<class Add>
Finding *Diagnoser::step(
    Track &t, bool cond, double now, double from, double sustainS, double gapS, const Finding &proto, Add add)
{
    const bool ended = t.index >= 0 && now - t.lastTrue > gapS;
    if (ended || (!cond && t.index < 0)) {
        // A new episode starts from nothing: no culprits or peaks of the previous one.
        t.index = -1;
        t.peak = 0;
        t.count = 0;
        t.taken = 0;
        t.keys.clear();
    }
    if (!cond) {
        t.since = -1;
        return nullptr;
    }
    if (t.since < 0)
        t.since = from;
    t.lastTrue = now;
    add(t);
    if (t.index < 0) {
        if (now - t.since < sustainS)
            return nullptr;
        Finding f = proto;
        f.fromS = t.since;
        push(std::move(f), t);
    }
    Finding *f = at(t);
    f->toS = now;
    return f;
}

} // namespace hs
