#pragma once

#include <QString>

#include <array>
#include <optional>

// The kinds every layer names: the execution domains and the kinds of work a stage does. They sit
// below the scenario format so that value types (task, frame) need not include it.
namespace hs {

/// The four execution domains of DESIGN §2, in a fixed order used as an index everywhere.
enum class DomainKind : int { Loop = 0, Threads = 1, Tbb = 2, Procs = 3 };
inline constexpr int kDomainCount = 4;
inline constexpr std::array<DomainKind, kDomainCount> kAllDomains { DomainKind::Loop, DomainKind::Threads,
    DomainKind::Tbb, DomainKind::Procs };

QString domainName(DomainKind d);
std::optional<DomainKind> domainFromName(const QString &name);

enum class WorkKind { Cpu, Block, Async, Net, Disk };
QString workName(WorkKind w);

} // namespace hs
