#include "autoscale/autoscale.h"

namespace hs {

QString AutoscaleEvents::resized(double t, DomainKind d, AutoscalePolicy p, int from, int to, const QString &reason)
{
    if (m_count == 0)
        m_from = from;
    m_domain = d;
    m_policy = p;
    m_to = to;
    m_reason = reason;
    ++m_count;
    return due(t);
}

QString AutoscaleEvents::due(double t, bool force)
{
    if (m_count == 0 || (!force && t - m_lastToldS < 1.0))
        return {};
    const QString text = label();
    m_count = 0;
    m_lastToldS = t;
    return text;
}

QString AutoscaleEvents::label() const
{
    const QString head = QStringLiteral("%1 autoscale (%2): %3 → %4 workers")
                             .arg(domainName(m_domain), autoscalePolicyName(m_policy))
                             .arg(m_from)
                             .arg(m_to);
    if (m_count == 1)
        return head + QStringLiteral(", ") + m_reason;
    return head + QStringLiteral(" in %1 resizes, last: %2").arg(m_count).arg(m_reason);
}

} // namespace hs
