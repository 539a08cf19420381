#pragma once

#include "core/frame.h"
#include "results/phases.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>
#include <vector>

// `GET /metrics` (DESIGN §14, docs/serve.md): the run's counters, gauges and histograms in the
// Prometheus text format 0.0.4 or in OpenMetrics 1.0, whichever the scraper's Accept header prefers.
namespace hs {

enum class MetricsFormat { Text004, OpenMetrics };

/// OpenMetrics 1.0 when `accept` ranks it at least as high as the text format (Prometheus asks for
/// it first); otherwise, and for an empty or unparsable header, text 0.0.4.
MetricsFormat negotiateMetricsFormat(const QByteArray &accept);
/// "text/plain; version=0.0.4; charset=utf-8" or
/// "application/openmetrics-text; version=1.0.0; charset=utf-8".
QByteArray metricsContentType(MetricsFormat format);

/**
 * The upper bounds of every exported histogram, in ns, ascending (then +Inf): the rounded R10
 * series, 1 1.25 1.6 2 2.5 3.2 4 5 6.3 8 per decade, from 10 µs to 100 s (71 bounds). Adjacent
 * bounds differ by at most metricsBucketRatio() (1.28), so histogram_quantile's estimate lies in
 * the same bucket as the true quantile: within a factor 1.28 of it.
 */
const std::vector<std::int64_t> &metricsBucketBoundsNs();
double metricsBucketRatio();
/// A bound in seconds as an `le` label: a plain decimal with at least one fraction digit ("0.0000125",
/// "1.0", "100.0"), the same in both formats.
QByteArray metricsLe(std::int64_t boundNs);

/// What one scrape exports.
struct MetricsInput {
    QString version;
    QStringList classes; ///< class names, index order
    RunCumulative totals; ///< counters and histograms since the start (Engine::cumulative)
    std::optional<Frame> frame; ///< the latest frame: the gauges (none before the first frame)
    int liveClients = 0;
    std::uint64_t liveFramesDropped = 0;
};

/**
 * The exposition of `in`: HELP and TYPE for every family, label values escaped, histograms as
 * cumulative `_bucket{le}` (with +Inf), `_count` and `_sum` in seconds; OpenMetrics names counter
 * families without `_total`, adds UNIT for seconds and ends with `# EOF`.
 *
 *     QByteArray body = formatMetrics(in, negotiateMetricsFormat(request.header("accept")));
 */
QByteArray formatMetrics(const MetricsInput &in, MetricsFormat format);

} // namespace hs
