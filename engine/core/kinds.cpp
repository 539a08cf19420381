#include "core/kinds.h"

namespace hs {

QString domainName(DomainKind d)
{
    switch (d) {
    case DomainKind::Loop: return QStringLiteral("loop");
    case DomainKind::Threads: return QStringLiteral("threads");
    case DomainKind::Tbb: return QStringLiteral("tbb");
    case DomainKind::Procs: return QStringLiteral("procs");
    }
    return {};
}

std::optional<DomainKind> domainFromName(const QString &name)
{
    for (DomainKind d : kAllDomains)
        if (domainName(d) == name)
            return d;
    return std::nullopt;
}

QString workName(WorkKind w)
{
    switch (w) {
    case WorkKind::Cpu: return QStringLiteral("cpu");
    case WorkKind::Block: return QStringLiteral("block");
    case WorkKind::Async: return QStringLiteral("async");
    case WorkKind::Net: return QStringLiteral("net");
    case WorkKind::Disk: return QStringLiteral("disk");
    }
    return {};
}

} // namespace hs
