#include "results/traceexport.h"

#include "results/report.h"

#include <algorithm>
#include <array>
#include <map>
#include <tuple>

namespace hs {

namespace {

// Chrome trace pids: one process per domain (1..4), then the run itself.
constexpr int kRunPid = kDomainCount + 1;
constexpr int kRunTid = kRunPid; // the run's own track (events, the sampling statement)
constexpr int kFirstWorkerTid = 10; // worker tids are numbered from here, unique across processes

int domainPid(DomainKind d)
{
    return int(d) + 1;
}

void appendJsonString(QByteArray &out, const QString &s)
{
    out += '"';
    const QByteArray u = s.toUtf8();
    for (const char c : u) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                static const char hex[] = "0123456789abcdef";
                out += "\\u00";
                out += hex[(c >> 4) & 0xf];
                out += hex[c & 0xf];
            } else {
                out += c;
            }
        }
    }
    out += '"';
}

QByteArray jsonString(const QString &s)
{
    QByteArray b;
    appendJsonString(b, s);
    return b;
}

// Microseconds with nanosecond digits, exact (no floating-point formatting).
void appendMicros(QByteArray &out, std::int64_t ns)
{
    if (ns < 0) {
        out += '-';
        ns = -ns;
    }
    out += QByteArray::number(qlonglong(ns / 1000));
    const int frac = int(ns % 1000);
    if (frac) {
        char buf[5] = { '.', char('0' + frac / 100), char('0' + frac / 10 % 10), char('0' + frac % 10), 0 };
        out += buf;
    }
}

struct Track {
    DomainKind domain;
    int worker; // StageSpan::kNoWorker: the domain's admission track
    int lane; // > 0: a span that overlapped lane 0 (the loop's concurrent awaits)
    auto key() const { return std::tuple(int(domain), worker, lane); }
    bool operator<(const Track &o) const { return key() < o.key(); }
};

QString trackName(const Track &t, int pid)
{
    const QString dn = domainName(t.domain);
    QString name;
    if (t.worker == StageSpan::kNoWorker)
        name = dn + QStringLiteral(" admission (refused stages)");
    else if (t.domain == DomainKind::Loop)
        name = QStringLiteral("loop thread");
    else
        name = QStringLiteral("%1 worker %2").arg(dn).arg(t.worker);
    if (t.domain == DomainKind::Procs && pid > 0)
        name += QStringLiteral(" (pid %1)").arg(pid);
    if (t.lane > 0)
        name += t.domain == DomainKind::Loop ? QStringLiteral(" · concurrent %1").arg(t.lane)
                                             : QStringLiteral(" · overlap %1").arg(t.lane);
    return name;
}

void appendMetadata(
    QByteArray &out, const char *what, int pid, int tid, const QByteArray &argKey, const QByteArray &argValue)
{
    out += "{\"ph\":\"M\",\"name\":\"";
    out += what;
    out += "\",\"pid\":";
    out += QByteArray::number(pid);
    out += ",\"tid\":";
    out += QByteArray::number(tid);
    out += ",\"args\":{\"";
    out += argKey;
    out += "\":";
    out += argValue;
    out += "}},\n";
}

void appendGlobalInstant(QByteArray &out, const QString &name, std::int64_t relNs, const QByteArray &args = {})
{
    out += "{\"ph\":\"i\",\"s\":\"g\",\"cat\":\"run\",\"name\":";
    appendJsonString(out, name);
    out += ",\"ts\":";
    appendMicros(out, relNs);
    out += ",\"pid\":";
    out += QByteArray::number(kRunPid);
    out += ",\"tid\":";
    out += QByteArray::number(kRunTid);
    if (!args.isEmpty()) {
        out += ",\"args\":";
        out += args;
    }
    out += "},\n";
}

QByteArray samplingObject(const TraceLog *log, const RunResult &r)
{
    QByteArray o = "{\"schema\":\"hybridscope.trace/1\",\"scenario\":";
    appendJsonString(o, r.scenario.name);
    o += ",\"source\":";
    appendJsonString(o, r.scenario.source);
    o += ",\"duration_s\":";
    o += QByteArray::number(r.durationS, 'g', 9);
    if (log) {
        o += ",\"sampled\":";
        o += log->sampled() ? "true" : "false";
        o += ",\"task_stride\":";
        o += QByteArray::number(qulonglong(log->stride));
        o += ",\"stages_kept\":";
        o += QByteArray::number(qulonglong(log->spans.size()));
        o += ",\"stages_total\":";
        o += QByteArray::number(qulonglong(log->totalStages));
        o += ",\"stage_bound\":";
        o += QByteArray::number(qulonglong(log->bound));
        o += ",\"sampling\":";
        appendJsonString(o, traceSamplingStatement(*log));
    } else {
        o += ",\"sampling\":\"no trace was recorded\"";
    }
    o += '}';
    return o;
}

} // namespace

QString traceSamplingStatement(const TraceLog &log)
{
    if (!log.sampled())
        return QStringLiteral("complete: all %1 stages").arg(log.totalStages);
    return QStringLiteral("sampled: 1 in %1 tasks kept (task id %2 %1 = 0), %3 of %4 stages (bound %5)")
        .arg(log.stride)
        .arg(QLatin1Char('%'))
        .arg(log.spans.size())
        .arg(log.totalStages)
        .arg(log.bound);
}

QByteArray chromeTraceJson(const RunResult &r)
{
    const TraceLog *log = r.trace.get();
    static const TraceLog kEmpty;
    const std::vector<StageSpan> &spans = log ? log->spans : kEmpty.spans;
    const std::int64_t origin = log ? log->originNs : 0;

    // Lanes: spans on one worker never overlap, but the loop's awaits do (they wait without the
    // thread). A slice must nest or follow on its track, so an overlapping span goes to a lane.
    std::array<QByteArray, kDomainCount> domainJson;
    for (DomainKind d : kAllDomains)
        domainJson[std::size_t(d)] = jsonString(domainName(d));
    std::vector<int> laneOf(spans.size(), 0);
    {
        std::map<std::pair<int, int>, std::vector<std::int64_t>> laneEnds;
        for (std::size_t i = 0; i < spans.size(); ++i) {
            const StageSpan &s = spans[i];
            if (s.refused)
                continue;
            auto &ends = laneEnds[{ int(s.domain), s.worker }];
            std::size_t lane = 0;
            while (lane < ends.size() && ends[lane] > s.startNs)
                ++lane;
            if (lane == ends.size())
                ends.push_back(s.endNs);
            else
                ends[lane] = s.endNs;
            laneOf[i] = int(lane);
        }
    }
    std::map<Track, int> tids; // ordered: domain, worker, lane
    std::map<Track, int> pids; // procs: the last worker process seen on the track
    for (std::size_t i = 0; i < spans.size(); ++i) {
        const Track t { spans[i].domain, spans[i].worker, laneOf[i] };
        tids.emplace(t, 0);
        if (spans[i].pid > 0)
            pids[t] = spans[i].pid;
    }
    int nextTid = kFirstWorkerTid;
    for (auto &[t, tid] : tids)
        tid = nextTid++;

    // "class.stage" names and their JSON forms, made once.
    std::vector<std::vector<QByteArray>> stageNames, stageOnly;
    std::vector<QByteArray> classNames;
    for (const TaskClass &c : r.scenario.classes) {
        stageNames.emplace_back();
        stageOnly.emplace_back();
        for (const Stage &st : c.stages) {
            stageNames.back().push_back(jsonString(c.name + QLatin1Char('.') + st.name));
            stageOnly.back().push_back(jsonString(st.name));
        }
        classNames.push_back(jsonString(c.name));
    }
    auto nameOf = [&](const StageSpan &s) -> QByteArray {
        if (s.cls >= 0 && std::size_t(s.cls) < stageNames.size() && s.stage >= 0
            && std::size_t(s.stage) < stageNames[std::size_t(s.cls)].size())
            return stageNames[std::size_t(s.cls)][std::size_t(s.stage)];
        return jsonString(QStringLiteral("class %1.stage %2").arg(s.cls).arg(s.stage));
    };
    auto classOf = [&](const StageSpan &s) -> QByteArray {
        if (s.cls >= 0 && std::size_t(s.cls) < classNames.size())
            return classNames[std::size_t(s.cls)];
        return jsonString(QString::number(s.cls));
    };
    auto stageOf = [&](const StageSpan &s) -> QByteArray {
        if (s.cls >= 0 && std::size_t(s.cls) < stageOnly.size() && s.stage >= 0
            && std::size_t(s.stage) < stageOnly[std::size_t(s.cls)].size())
            return stageOnly[std::size_t(s.cls)][std::size_t(s.stage)];
        return jsonString(QString::number(s.stage));
    };

    QByteArray out;
    out.reserve(qsizetype(spans.size()) * 330 + 4096);
    out += "{\"displayTimeUnit\":\"ms\",\n\"otherData\":";
    const QByteArray meta = samplingObject(log, r);
    out += meta;
    out += ",\n\"metadata\":";
    out += meta;
    out += ",\n\"traceEvents\":[\n";

    // Processes and threads.
    for (DomainKind d : kAllDomains) {
        const bool used = r.domains[std::size_t(d)].used
            || std::any_of(tids.begin(), tids.end(), [d](const auto &e) { return e.first.domain == d; });
        if (!used)
            continue;
        appendMetadata(out, "process_name", domainPid(d), 0, "name", jsonString(domainName(d)));
        appendMetadata(out, "process_sort_index", domainPid(d), 0, "sort_index", QByteArray::number(domainPid(d)));
    }
    QString runName = QStringLiteral("hybridscope run: %1").arg(r.scenario.name);
    if (log && log->sampled())
        runName += QStringLiteral(" [sampled 1 in %1 tasks]").arg(log->stride);
    appendMetadata(out, "process_name", kRunPid, 0, "name", jsonString(runName));
    appendMetadata(out, "process_sort_index", kRunPid, 0, "sort_index", QByteArray::number(0));
    appendMetadata(out, "thread_name", kRunPid, kRunTid, "name", jsonString(QStringLiteral("run events")));
    for (const auto &[t, tid] : tids) {
        const auto p = pids.find(t);
        appendMetadata(out, "thread_name", domainPid(t.domain), tid, "name",
            jsonString(trackName(t, p == pids.end() ? 0 : p->second)));
        appendMetadata(out, "thread_sort_index", domainPid(t.domain), tid, "sort_index", QByteArray::number(tid));
    }

    // What the file holds, visible on the timeline too.
    appendGlobalInstant(out, log ? traceSamplingStatement(*log) : QStringLiteral("no trace was recorded"), 0, meta);
    for (const RunEvent &e : r.events)
        appendGlobalInstant(out, e.label, std::int64_t(e.t * 1e9));

    // A slice per stage; an instant per refused stage.
    for (std::size_t i = 0; i < spans.size(); ++i) {
        const StageSpan &s = spans[i];
        const int pid = domainPid(s.domain);
        const int tid = tids.at(Track { s.domain, s.worker, laneOf[i] });
        out += s.refused ? "{\"ph\":\"i\",\"s\":\"t\"" : "{\"ph\":\"X\"";
        out += ",\"cat\":";
        out += domainJson[std::size_t(s.domain)];
        out += ",\"name\":";
        out += nameOf(s);
        out += ",\"ts\":";
        appendMicros(out, s.startNs - origin);
        if (!s.refused) {
            out += ",\"dur\":";
            appendMicros(out, std::max<std::int64_t>(0, s.endNs - s.startNs));
        }
        out += ",\"pid\":";
        out += QByteArray::number(pid);
        out += ",\"tid\":";
        out += QByteArray::number(tid);
        out += ",\"args\":{\"task\":";
        out += QByteArray::number(qulonglong(s.task));
        out += ",\"class\":";
        out += classOf(s);
        out += ",\"stage\":";
        out += stageOf(s);
        out += ",\"domain\":";
        out += domainJson[std::size_t(s.domain)];
        out += ",\"outcome\":\"";
        out += spanOutcomeName(s.outcome).toLatin1();
        out += "\",\"wait_us\":";
        appendMicros(out, std::max<std::int64_t>(0, s.startNs - s.enqueuedNs));
        out += ",\"bytes_in\":";
        out += QByteArray::number(qlonglong(s.bytesIn));
        out += ",\"bytes_out\":";
        out += QByteArray::number(qlonglong(s.bytesOut));
        if (s.worker >= 0) {
            out += ",\"worker\":";
            out += QByteArray::number(s.worker);
        }
        if (s.pid > 0) {
            out += ",\"worker_pid\":";
            out += QByteArray::number(s.pid);
        }
        if (!s.ran && !s.refused)
            out += ",\"ran\":false";
        out += "}},\n";
    }

    // Flow arrows: each task's stages in order, linked under its trace id. Every flow event sits
    // in the middle of its slice, so it binds to that slice and no neighbour ("s" and "t" bind
    // to the enclosing slice; "f" does so with bp "e"). Zero-length slices (a stage that ended
    // at its start) have no inside and are left out of the chain.
    std::vector<std::size_t> order;
    order.reserve(spans.size());
    for (std::size_t i = 0; i < spans.size(); ++i)
        if (!spans[i].refused && spans[i].endNs - spans[i].startNs >= 2) // a middle strictly inside
            order.push_back(i);
    std::sort(order.begin(), order.end(), [&spans](std::size_t a, std::size_t b) {
        const StageSpan &x = spans[a];
        const StageSpan &y = spans[b];
        return std::tie(x.task, x.stage, x.startNs) < std::tie(y.task, y.stage, y.startNs);
    });
    for (std::size_t from = 0; from < order.size();) {
        std::size_t to = from + 1;
        while (to < order.size() && spans[order[to]].task == spans[order[from]].task)
            ++to;
        if (to - from >= 2) {
            for (std::size_t k = from; k < to; ++k) {
                const StageSpan &s = spans[order[k]];
                const char *ph = k == from ? "s" : k + 1 == to ? "f" : "t";
                out += "{\"ph\":\"";
                out += ph;
                out += "\",\"cat\":\"task\",\"name\":\"task\",\"id\":";
                out += QByteArray::number(qulonglong(s.task));
                out += ",\"ts\":";
                appendMicros(out, s.startNs + (s.endNs - s.startNs) / 2 - origin);
                out += ",\"pid\":";
                out += QByteArray::number(domainPid(s.domain));
                out += ",\"tid\":";
                out += QByteArray::number(tids.at(Track { s.domain, s.worker, laneOf[order[k]] }));
                if (k + 1 == to)
                    out += ",\"bp\":\"e\"";
                out += "},\n";
            }
        }
        from = to;
    }

    out.chop(2); // the last event's ",\n" (there always is one: the run's metadata)
    out += "\n]}\n";
    return out;
}

bool writeChromeTrace(const RunResult &r, const QString &path, QString *error)
{
    if (!r.trace) {
        if (error)
            *error = QStringLiteral("cannot write %1: the run recorded no trace").arg(path);
        return false;
    }
    return writeFileAtomically(path, chromeTraceJson(r), error);
}

} // namespace hs
