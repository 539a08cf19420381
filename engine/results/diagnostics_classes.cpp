// The rules on one class: its SLA and the serialization share of its procs stages.
#include "results/diagnostics.h"
#include "results/diagnostics_p.h"

#include <algorithm>
#include <cmath>

namespace hs {

using namespace diagnostics_detail;

bool Diagnoser::carriesPayload(std::size_t c) const
{
    // Without payloads the transfer is the bare round trip (wake-ups, a few µs to a loaded
    // machine's ms): a hop cost, not serialization, and shm would not help.
    for (const Stage &st : m_scenario.classes[c].stages)
        if (!st.payloadIn.isZero() || !st.payloadOut.isZero())
            return true;
    return false;
}

void Diagnoser::classRules(const Frame &f, std::size_t c, bool &changed)
{
    const ClassFrame &cf = f.classes[c];
    const QString name = m_scenario.classes[c].name;

    // sla: the sliding-window P99 above the class's SLA for a sustained second.
    if (const auto sla = m_scenario.slaFor(int(c))) {
        const double slaMs = *sla * 1e3;
        Track &t = m_sla[c];
        Finding *out = step(t, cf.p99Ms > slaMs, f.t, f.t, kSustainedS, kMergeGapS,
            proto("sla", Severity::Warning, std::nullopt, name),
            [&](Track &tr) { tr.peak = std::max(tr.peak, cf.p99Ms); });
        if (out) {
            changed = true;
            QStringList domains;
            for (const Stage &st : m_scenario.classes[c].stages)
                if (!domains.contains(domainName(st.domain)))
                    domains << domainName(st.domain);
            out->message = QStringLiteral("%1: P99 over the last second up to %2 ms, above its SLA of %3 ms")
                               .arg(name, num(t.peak, 1), num(slaMs, 1));
            out->advice = QStringLiteral("find the stage of %1 that waits (queue depth and wait P99 of %2) and move it "
                                         "or add workers there; or relax sla.p99 if that latency is acceptable")
                              .arg(name, domains.join(QStringLiteral(", ")));
        }
    }

    // serialization: procs transfer above kSerializationShare of the class's procs service time.
    auto &ring = m_ipc[c];
    Sample s;
    s.t = f.t;
    s.a = cf.procsIpcMs;
    s.b = cf.procsServiceMs;
    s.c = double(cf.procsStages);
    keep(ring, s, kSustainedS);
    const Sample &first = ring.front();
    const double stages = s.c - first.c;
    const double ipc = s.a - first.a;
    const double service = s.b - first.b;
    const bool cond = carriesPayload(c) && f.t - first.t >= 0.9 * kSustainedS && stages >= double(kMinProcsStages)
        && service > 0 && ipc / service > kSerializationShare;
    Track &t = m_serial[c];
    Finding *out = step(t, cond, f.t, first.t, 0, kMergeGapS,
        proto("serialization", Severity::Warning, DomainKind::Procs, name), [&](Track &tr) {
            if (ipc / service > tr.peak) {
                tr.peak = ipc / service;
                tr.count = ipc / stages;
                tr.taken = service / stages;
            }
        });
    if (out) {
        changed = true;
        out->message = QStringLiteral("%1: serialization and transfer took up to %2 % of its procs service time "
                                      "(%3 of %4 ms per stage)")
                           .arg(name, num(100 * t.peak), num(t.count, 2), num(t.taken, 2));
        out->advice = [&] {
            QStringList payloads;
            for (const Stage &st : m_scenario.classes[c].stages) {
                if (!st.payloadIn.isZero())
                    payloads << QStringLiteral("%1.%2 payload_in %3")
                                    .arg(name, st.name, st.payloadIn.toString(QStringLiteral("B")));
                if (!st.payloadOut.isZero())
                    payloads << QStringLiteral("%1.%2 payload_out %3")
                                    .arg(name, st.name, st.payloadOut.toString(QStringLiteral("B")));
            }
            const QString what
                = payloads.isEmpty() ? QStringLiteral("its payloads") : payloads.join(QStringLiteral(", "));
            return m_scenario.domain(DomainKind::Procs).transfer == Transfer::Copy
                ? QStringLiteral("set domains.procs.transfer: shm (payloads in shared memory, not copied through the "
                                 "socket), or shrink %1")
                      .arg(what)
                : QStringLiteral("shrink %1, or run the stage in-process (tbb) so its payload does not move").arg(what);
        }();
    }
}

} // namespace hs
