#pragma once

#include "scenario.h"

#include <QString>

#include <optional>
#include <vector>

namespace hs {

struct RunResult;

enum class Severity { Info, Warning, Error };
QString severityName(Severity s);

/// A diagnosis over the frames of a run (DESIGN §6): what, where, when, and what to do.
struct Finding {
    QString rule;
    Severity severity = Severity::Warning;
    std::optional<DomainKind> domain;
    QString className;
    double fromS = 0;
    double toS = 0;
    QString message;
    QString advice;
};

/**
 * Evaluates the rules of DESIGN §6 over a run's frames and totals: sustained queue depth above
 * 2 × workers, loop lag above the starvation threshold, unbounded queue growth without
 * backpressure, P99 above a class's SLA, worker crashes.
 *
 *     std::vector<Finding> f = diagnose(result);
 */
std::vector<Finding> diagnose(const RunResult &r);

} // namespace hs
