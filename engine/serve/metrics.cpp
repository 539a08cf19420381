#include "serve/metrics.h"

#include "core/kinds.h"

#include <QLocale>

#include <algorithm>
#include <cmath>

namespace hs {

namespace {

// The q of one media range ("1" when absent), or -1 when it cannot be read.
double qualityOf(const QList<QByteArray> &params)
{
    for (const QByteArray &p : params) {
        const QByteArray t = p.trimmed();
        if (t.startsWith("q=")) {
            bool ok = false;
            const double q = t.mid(2).toDouble(&ok);
            return ok && q >= 0 && q <= 1 ? q : -1;
        }
    }
    return 1;
}

QByteArray paramValue(const QList<QByteArray> &params, const QByteArray &name)
{
    for (const QByteArray &p : params) {
        const QByteArray t = p.trimmed();
        const qsizetype eq = t.indexOf('=');
        if (eq > 0 && t.left(eq).trimmed().toLower() == name)
            return t.mid(eq + 1).trimmed();
    }
    return {};
}

QByteArray number(double v)
{
    if (std::isinf(v))
        return v > 0 ? QByteArrayLiteral("+Inf") : QByteArrayLiteral("-Inf");
    if (std::isnan(v))
        return QByteArrayLiteral("NaN");
    return QString::number(v, 'g', QLocale::FloatingPointShortest).toLatin1();
}

QByteArray escapeLabel(const QString &v)
{
    QByteArray out;
    for (const char c : v.toUtf8()) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

using Labels = std::vector<std::pair<const char *, QString>>;

/// Writes families in either format; `name` is always the sample name of the text format
/// (counters with `_total`).
class Writer {
public:
    explicit Writer(MetricsFormat f)
        : m_om(f == MetricsFormat::OpenMetrics)
    { }

    enum class Type { Counter, Gauge, Histogram, Info };

    void family(const char *name, Type type, const char *help)
    {
        QByteArray family = name;
        const char *typeName = type == Type::Counter ? "counter" : type == Type::Histogram ? "histogram" : "gauge";
        if (m_om && type == Type::Counter && family.endsWith("_total"))
            family.chop(6);
        if (m_om && type == Type::Info) {
            family.chop(5); // "_info"
            typeName = "info";
        }
        m_out += "# HELP " + family + ' ' + help + '\n';
        m_out += "# TYPE " + family + ' ' + typeName + '\n';
        if (m_om && family.endsWith("_seconds"))
            m_out += "# UNIT " + family + " seconds\n";
    }

    void sample(const QByteArray &name, const Labels &labels, const QByteArray &value)
    {
        m_out += name;
        if (!labels.empty()) {
            m_out += '{';
            bool first = true;
            for (const auto &[k, v] : labels) {
                if (!first)
                    m_out += ',';
                first = false;
                m_out += k;
                m_out += "=\"" + escapeLabel(v) + '"';
            }
            m_out += '}';
        }
        m_out += ' ' + value + '\n';
    }

    // Cumulative buckets, count and sum (in seconds) of a histogram in ns.
    void histogram(const char *name, const Labels &labels, const HistogramSnapshot &h)
    {
        const auto &bounds = metricsBucketBoundsNs();
        const std::vector<std::uint64_t> counts = h.countsAtOrBelow(bounds);
        const QByteArray base = name;
        for (std::size_t i = 0; i < bounds.size(); ++i) {
            Labels l = labels;
            l.emplace_back("le", QString::fromLatin1(metricsLe(bounds[i])));
            sample(base + "_bucket", l, QByteArray::number(qulonglong(counts[i])));
        }
        Labels inf = labels;
        inf.emplace_back("le", QStringLiteral("+Inf"));
        sample(base + "_bucket", inf, QByteArray::number(qulonglong(h.count())));
        sample(base + "_count", labels, QByteArray::number(qulonglong(h.count())));
        sample(base + "_sum", labels, number(h.sum() / 1e9));
    }

    QByteArray finish()
    {
        if (m_om)
            m_out += "# EOF\n";
        return m_out;
    }

private:
    bool m_om;
    QByteArray m_out;
};

QByteArray count(std::uint64_t v)
{
    return QByteArray::number(qulonglong(v));
}

} // namespace

MetricsFormat negotiateMetricsFormat(const QByteArray &accept)
{
    double om = -1, text = -1;
    for (const QByteArray &range : accept.split(',')) {
        QList<QByteArray> parts = range.split(';');
        const QByteArray type = parts.takeFirst().trimmed().toLower();
        const double q = qualityOf(parts);
        if (q <= 0)
            continue;
        const QByteArray version = paramValue(parts, "version");
        if (type == "application/openmetrics-text" && (version.isEmpty() || version == "1.0.0"))
            om = std::max(om, q);
        else if ((type == "text/plain" && (version.isEmpty() || version == "0.0.4")) || type == "text/*"
            || type == "*/*")
            text = std::max(text, q);
    }
    return om > 0 && om >= text ? MetricsFormat::OpenMetrics : MetricsFormat::Text004;
}

QByteArray metricsContentType(MetricsFormat format)
{
    return format == MetricsFormat::OpenMetrics
        ? QByteArrayLiteral("application/openmetrics-text; version=1.0.0; charset=utf-8")
        : QByteArrayLiteral("text/plain; version=0.0.4; charset=utf-8");
}

const std::vector<std::int64_t> &metricsBucketBoundsNs()
{
    static const std::vector<std::int64_t> bounds = [] {
        // The R10 series in hundredths, from 10 µs (10^4 ns) up: mantissa × 10^k ns.
        static constexpr std::int64_t kR10[] = { 100, 125, 160, 200, 250, 320, 400, 500, 630, 800 };
        std::vector<std::int64_t> b;
        for (std::int64_t scale = 100; scale <= 100'000'000; scale *= 10) // 10 µs … 80 s
            for (std::int64_t m : kR10)
                b.push_back(m * scale);
        b.push_back(100'000'000'000); // 100 s
        return b;
    }();
    return bounds;
}

double metricsBucketRatio()
{
    const auto &b = metricsBucketBoundsNs();
    double worst = 1;
    for (std::size_t i = 1; i < b.size(); ++i)
        worst = std::max(worst, double(b[i]) / double(b[i - 1]));
    return worst;
}

QByteArray metricsLe(std::int64_t boundNs)
{
    QByteArray whole = QByteArray::number(qlonglong(boundNs / 1'000'000'000));
    QByteArray frac = QByteArray::number(qlonglong(boundNs % 1'000'000'000)).rightJustified(9, '0');
    while (frac.size() > 1 && frac.endsWith('0'))
        frac.chop(1);
    return whole + '.' + frac;
}

QByteArray formatMetrics(const MetricsInput &in, MetricsFormat format)
{
    Writer w(format);
    using T = Writer::Type;
    w.family("hybridscope_build_info", T::Info, "The hybridscope version serving this run (always 1).");
    w.sample("hybridscope_build_info", { { "version", in.version } }, "1");

    const RunCumulative &c = in.totals;
    const auto className = [&](std::size_t i) {
        return i < std::size_t(in.classes.size()) ? in.classes[qsizetype(i)] : c.classes[i].name;
    };
    w.family("hybridscope_tasks_submitted_total", T::Counter, "Tasks created by the load generator, by class.");
    for (std::size_t i = 0; i < c.classes.size(); ++i)
        w.sample("hybridscope_tasks_submitted_total", { { "class", className(i) } }, count(c.classes[i].submitted));
    w.family("hybridscope_tasks_total", T::Counter,
        "Tasks that ended, by class and outcome (completed, failed, rejected, cancelled).");
    for (std::size_t i = 0; i < c.classes.size(); ++i) {
        const ClassResult &cr = c.classes[i];
        const std::pair<const char *, std::uint64_t> outcomes[] = { { "completed", cr.completed },
            { "failed", cr.failed }, { "rejected", cr.rejected }, { "cancelled", cr.cancelled } };
        for (const auto &[outcome, n] : outcomes)
            w.sample("hybridscope_tasks_total", { { "class", className(i) }, { "outcome", QLatin1String(outcome) } },
                count(n));
    }
    w.family("hybridscope_task_latency_seconds", T::Histogram,
        "End-to-end latency of completed tasks, from their intended arrival, by class.");
    for (std::size_t i = 0; i < c.classes.size(); ++i)
        w.histogram("hybridscope_task_latency_seconds", { { "class", className(i) } }, c.classes[i].latency);

    std::vector<DomainKind> used;
    for (DomainKind d : kAllDomains)
        if (c.domains[std::size_t(d)].used)
            used.push_back(d);
    w.family("hybridscope_stage_wait_seconds", T::Histogram,
        "Time stages waited in a domain's queue for a worker (admission to start), by domain.");
    for (DomainKind d : used)
        w.histogram(
            "hybridscope_stage_wait_seconds", { { "domain", domainName(d) } }, c.domains[std::size_t(d)].totals.wait);
    if (in.frame) {
        const Frame &f = *in.frame;
        const auto gauge = [&](const char *name, const char *help, auto field) {
            w.family(name, T::Gauge, help);
            for (DomainKind d : used)
                w.sample(name, { { "domain", domainName(d) } }, QByteArray::number(field(f.domains[std::size_t(d)])));
        };
        gauge("hybridscope_domain_queue_depth", "Stages admitted and waiting for a worker, by domain (latest frame).",
            [](const DomainFrame &x) { return x.queue; });
        gauge("hybridscope_domain_workers", "Workers of the domain's pool (latest frame).",
            [](const DomainFrame &x) { return x.workers; });
        gauge("hybridscope_domain_busy_workers", "Workers running stage code now, by domain (latest frame).",
            [](const DomainFrame &x) { return x.busy; });
    }
    w.family("hybridscope_loop_lag_seconds", T::Histogram,
        "Lateness of the loop domain's heartbeat timer: how long the event loop was blocked.");
    if (c.domains[std::size_t(DomainKind::Loop)].used)
        w.histogram("hybridscope_loop_lag_seconds", {}, c.loopLag);
    w.family("hybridscope_worker_crashes_total", T::Counter, "Workers that died while running a stage, by domain.");
    for (DomainKind d : used)
        w.sample("hybridscope_worker_crashes_total", { { "domain", domainName(d) } },
            count(c.domains[std::size_t(d)].totals.crashes));
    double gilWaitNs = 0;
    for (const ClassResult &cr : c.classes)
        gilWaitNs += cr.gilWait.sum();
    w.family("hybridscope_gil_wait_seconds_total", T::Counter,
        "Time cpu stages spent waiting for the emulated GIL, all classes.");
    w.sample("hybridscope_gil_wait_seconds_total", {}, number(gilWaitNs / 1e9));
    w.family("hybridscope_live_clients", T::Gauge, "WebSocket clients attached to /live now.");
    w.sample("hybridscope_live_clients", {}, QByteArray::number(in.liveClients));
    w.family("hybridscope_live_frames_dropped_total", T::Counter,
        "Frames not sent to a /live client because it read too slowly (newer frames replaced them), all clients.");
    w.sample("hybridscope_live_frames_dropped_total", {}, count(in.liveFramesDropped));
    return w.finish();
}

} // namespace hs
