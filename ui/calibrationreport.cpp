#include "calibrationreport.h"

#include "qcustomplot.h"
#include "sim/calibration.h"

#include <QCoreApplication>
#include <QJsonArray>

#include <algorithm>
#include <cmath>
#include <limits>

namespace hs {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("hs::CalibrationReport", text);
}

using H = HtmlBuilder;

constexpr double kMiB = 1024.0 * 1024;

const QColor kCopy(200, 80, 40), kShm(40, 110, 190), kNet(60, 150, 80), kDisk(140, 90, 170);

// The profile read back (its own reader names a bad key); the report draws what it holds.
std::optional<CalibrationProfile> profileOf(const QJsonObject &o)
{
    QString error;
    return calibrationFromJson(o, QStringLiteral("calibration"), &error);
}

struct Plot {
    QCustomPlot plot;
    Plot(const QString &xLabel, const QString &yLabel)
    {
        plot.setBackground(Qt::white);
        plot.xAxis->setLabel(xLabel);
        plot.yAxis->setLabel(yLabel);
        plot.legend->setVisible(true);
        plot.legend->setBrush(QColor(255, 255, 255, 220));
        QFont f = plot.legend->font();
        f.setPointSizeF(f.pointSizeF() * 0.85);
        plot.legend->setFont(f);
        plot.axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignLeft);
    }
    // Measured means with their 95 % intervals as bars, in the units of `scaleX`, `scaleY`.
    void points(const QString &name, const QColor &color, const std::vector<SizePoint> &pts, double scaleX,
        double scaleY, double *yHi)
    {
        QVector<double> xs, ys, err;
        for (const SizePoint &p : pts) {
            xs << p.bytes * scaleX;
            ys << p.s.mean * scaleY;
            err << std::max(0.0, p.s.halfWidth() * scaleY);
            *yHi = std::max(*yHi, p.s.hi * scaleY);
        }
        QCPGraph *g = plot.addGraph();
        g->setName(name);
        g->setLineStyle(QCPGraph::lsNone);
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, color, color, 7));
        g->setData(xs, ys, true);
        auto *bars = new QCPErrorBars(plot.xAxis, plot.yAxis);
        bars->removeFromLegend();
        bars->setDataPlottable(g);
        bars->setPen(QPen(color, 1.2));
        bars->setData(err);
    }
    void line(const QString &name, const QColor &color, double intercept, double slope, double xMaxBytes, double scaleX,
        double scaleY)
    {
        QCPGraph *g = plot.addGraph();
        g->setName(name);
        g->setPen(QPen(color, 1.4, Qt::DashLine));
        g->setData({ 0.0, xMaxBytes * scaleX }, { intercept * scaleY, (intercept + slope * xMaxBytes) * scaleY });
    }
    QImage render()
    {
        const QSize size = ReportPlots::plotSize();
        return plot.toPixmap(size.width(), size.height(), 2.0).toImage();
    }
};

double maxBytes(const std::vector<SizePoint> &pts)
{
    double m = 0;
    for (const SizePoint &p : pts)
        m = std::max(m, p.bytes);
    return m;
}

ReportPlot transferPlot(const CalibrationProfile &p)
{
    Plot f(tr("payload in + out (MiB)"), tr("transfer time (ms)"));
    double yHi = 0;
    const double xMax = std::max(maxBytes(p.copy), maxBytes(p.shm));
    f.points(tr("copy, measured"), kCopy, p.copy, 1 / kMiB, 1e3, &yHi);
    f.line(tr("copy, fitted"), kCopy, p.copyFit.intercept, p.copyFit.slope, xMax, 1 / kMiB, 1e3);
    f.points(tr("shm, measured"), kShm, p.shm, 1 / kMiB, 1e3, &yHi);
    f.line(tr("shm, fitted"), kShm, p.shmFit.intercept, p.shmFit.slope, xMax, 1 / kMiB, 1e3);
    f.plot.xAxis->setRange(-0.03 * xMax / kMiB, 1.05 * xMax / kMiB);
    f.plot.yAxis->setRange(0, yHi * 1.1);
    return { QStringLiteral("plot-transfer"), tr("procs transfer against payload"),
        tr("The serialisation and transfer time of a procs stage (its ipc_ms: to the worker and back, the work "
           "itself excluded), against the bytes it moves in and out, for transfer: copy and shm. Dots: means with "
           "their 95 % intervals; dashed: the weighted least-squares lines whose intercepts give the call's cost "
           "and whose slopes give the cost per byte."),
        f.render() };
}

ReportPlot ioPlot(const CalibrationProfile &p)
{
    Plot f(tr("size (MiB)"), tr("service time (ms)"));
    double yHi = 0;
    const double xMax = std::max(maxBytes(p.net), maxBytes(p.disk));
    f.points(tr("net answer, measured"), kNet, p.net, 1 / kMiB, 1e3, &yHi);
    f.line(tr("net, fitted"), kNet, p.netFit.intercept, p.netFit.slope, xMax, 1 / kMiB, 1e3);
    f.points(tr("disk write + read, measured"), kDisk, p.disk, 1 / kMiB, 1e3, &yHi);
    f.line(tr("disk, fitted"), kDisk, p.diskFit.intercept, p.diskFit.slope, xMax, 1 / kMiB, 1e3);
    f.plot.xAxis->setRange(-0.03 * xMax / kMiB, 1.05 * xMax / kMiB);
    f.plot.yAxis->setRange(0, yHi * 1.1);
    return { QStringLiteral("plot-io"), tr("net and disk against size"),
        tr("A net request to the latency server (answering at once) against its answer's size, and a disk stage "
           "(write, read back, remove) against its file's size, timed on one thread. Dots: means with 95 % "
           "intervals; dashed: the fitted lines."),
        f.render() };
}

ReportPlot wakePlot(const CalibrationProfile &p)
{
    Plot f(QString(), tr("µs"));
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    QVector<double> xs, ys, err;
    std::vector<std::pair<QString, Measured>> rows;
    for (DomainKind d : kAllDomains)
        rows.push_back({ tr("wake-up %1").arg(domainName(d)), p.wake[std::size_t(d)] });
    rows.push_back({ tr("hop"), p.hop });
    rows.push_back({ tr("timer lateness"), p.timerLateness });
    double yHi = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        xs << double(i + 1);
        ys << rows[i].second.mean * 1e6;
        err << rows[i].second.halfWidth() * 1e6;
        yHi = std::max(yHi, rows[i].second.hi * 1e6);
        ticker->addTick(double(i + 1), rows[i].first);
    }
    f.plot.xAxis->setTicker(ticker);
    f.plot.xAxis->setRange(0.4, double(rows.size()) + 0.6);
    f.plot.yAxis->setRange(0, yHi * 1.15);
    auto *bars = new QCPBars(f.plot.xAxis, f.plot.yAxis);
    bars->setName(tr("mean"));
    bars->setBrush(QColor(120, 150, 200, 160));
    bars->setPen(QPen(QColor(60, 90, 150)));
    bars->setWidth(0.55);
    bars->setData(xs, ys, true);
    auto *eb = new QCPErrorBars(f.plot.xAxis, f.plot.yAxis);
    eb->setName(tr("95 % interval"));
    eb->setDataPlottable(bars);
    eb->setPen(QPen(Qt::black, 1.2));
    eb->setData(err);
    return { QStringLiteral("plot-wake"), tr("Wake-up per domain, hop and timer lateness"),
        tr("The mean wait of empty stages at a low rate on idle pools (dispatch and wake-up of a worker), the hop "
           "between a threads and a tbb stage, and the loop's heartbeat lateness, with their 95 % intervals."),
        f.render() };
}

ReportPlot breakEvenPlot(const CalibrationProfile &p)
{
    Plot f(tr("cpu stage length L (ms)"), tr("break-even payload in + out (bytes)"));
    f.plot.xAxis->setScaleType(QCPAxis::stLogarithmic);
    f.plot.xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    f.plot.yAxis->setScaleType(QCPAxis::stLogarithmic);
    f.plot.yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    f.plot.yAxis->setNumberFormat(QStringLiteral("eb"));
    f.plot.yAxis->setNumberPrecision(0);
    double yLo = std::numeric_limits<double>::infinity(), yHi = 0;
    for (const Transfer t : { Transfer::Copy, Transfer::Shm }) {
        QVector<double> xs, ys;
        for (int i = 0; i <= 60; ++i) {
            const double L = 1e-4 * std::pow(10.0, i / 20.0);
            const BreakEven b = breakEven(p.costs, p.effectiveCores, p.vcpus, L, t);
            if (b.verdict != BreakEven::Verdict::Below || b.bytes < 1)
                continue;
            xs << L * 1e3;
            ys << b.bytes;
            yLo = std::min(yLo, b.bytes);
            yHi = std::max(yHi, b.bytes);
        }
        QCPGraph *g = f.plot.addGraph();
        g->setName(t == Transfer::Copy ? tr("transfer: copy") : tr("transfer: shm"));
        g->setPen(QPen(t == Transfer::Copy ? kCopy : kShm, 1.8));
        g->setData(xs, ys, true);
        if (t == Transfer::Copy && !xs.isEmpty()) {
            g->setBrush(QColor(kCopy.red(), kCopy.green(), kCopy.blue(), 40));
            g->setChannelFillGraph(nullptr);
        }
    }
    f.plot.xAxis->setRange(0.08, 125);
    if (yHi > 0) {
        f.plot.yAxis->setRange(std::max(1.0, yLo / 3), yHi * 5);
        auto *below = new QCPItemText(&f.plot);
        below->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
        below->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
        below->position->setCoords(0.97, 0.9);
        below->setPositionAlignment(Qt::AlignRight | Qt::AlignBottom);
        below->setText(tr("procs wins below its line"));
        below->setFont(QFont(QStringLiteral("DejaVu Sans"), 11, QFont::Bold));
        auto *above = new QCPItemText(&f.plot);
        above->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
        above->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
        above->position->setCoords(0.5, 0.06);
        above->setPositionAlignment(Qt::AlignHCenter | Qt::AlignTop);
        above->setText(tr("threads win above it"));
        above->setFont(QFont(QStringLiteral("DejaVu Sans"), 11, QFont::Bold));
    } else {
        f.plot.yAxis->setRange(1, 1e9);
        auto *none = new QCPItemText(&f.plot);
        none->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
        none->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
        none->position->setCoords(0.5, 0.5);
        none->setText(tr("procs never beats threads here: %1 effective cores leave no parallel gain to pay for "
                         "a process call")
                          .arg(p.effectiveCores, 0, 'f', 2));
    }
    return { QStringLiteral("plot-break-even"), tr("Thread or process: the break-even payload"),
        tr("%1 closed-loop clients run a cpu stage of length L, on threads under the GIL (one stage at a time) or "
           "on %1 worker processes that pay the call and the payload's transfer as CPU work, on %2 effective "
           "cores. Below a line procs has the higher throughput; where the line is missing (short stages) the "
           "call alone costs more than the parallel gain and threads win at any payload.")
            .arg(p.vcpus)
            .arg(p.effectiveCores, 0, 'f', 2),
        f.render() };
}

QString usCell(const Measured &m)
{
    return QStringLiteral("%1 [%2, %3]")
        .arg(m.mean * 1e6, 0, 'f', 1)
        .arg(m.lo * 1e6, 0, 'f', 1)
        .arg(m.hi * 1e6, 0, 'f', 1);
}

QString perGiBCell(double v, double lo, double hi)
{
    constexpr double g = 1024.0 * 1024 * 1024 * 1e3;
    return QStringLiteral("%1 [%2, %3]").arg(v * g, 0, 'f', 1).arg(lo * g, 0, 'f', 1).arg(hi * g, 0, 'f', 1);
}

QString bytesText(double b)
{
    if (b >= 1024 * kMiB)
        return QStringLiteral("%1 GiB").arg(b / (1024 * kMiB), 0, 'g', 3);
    if (b >= kMiB)
        return QStringLiteral("%1 MiB").arg(b / kMiB, 0, 'g', 3);
    if (b >= 1024)
        return QStringLiteral("%1 KiB").arg(b / 1024, 0, 'g', 3);
    return QStringLiteral("%1 B").arg(b, 0, 'f', 0);
}

} // namespace

QStringList CalibrationReport::sectionIds()
{
    return { QStringLiteral("machine"), QStringLiteral("costs"), QStringLiteral("plots"),
        QStringLiteral("break-even") };
}

std::vector<ReportPlot> CalibrationReport::plots(const QJsonObject &profile)
{
    const std::optional<CalibrationProfile> p = profileOf(profile);
    if (!p)
        return {};
    return { wakePlot(*p), transferPlot(*p), ioPlot(*p), breakEvenPlot(*p) };
}

ReportHtml CalibrationReport::build(
    const QJsonObject &profile, const std::vector<ReportPlot> &plots, ReportMedium medium)
{
    H h(medium);
    QString error;
    const std::optional<CalibrationProfile> read = calibrationFromJson(profile, QStringLiteral("calibration"), &error);
    const QString title
        = read ? tr("Hybridscope calibration of %1").arg(read->hostname) : tr("Hybridscope calibration");
    h.begin(title);
    h.heading(1, {}, title);
    if (!read) {
        h.paragraph(H::esc(error), QStringLiteral("bad"));
        return h.finish();
    }
    const CalibrationProfile &p = *read;
    const SimCosts builtin;

    h.heading(2, QStringLiteral("machine"), tr("Machine"));
    h.keyValues({
        { tr("Host"), H::esc(p.hostname) },
        { tr("CPU"), H::esc(p.cpuModel) },
        { tr("vCPUs"), H::count(p.vcpus) },
        { tr("Effective cores"),
            H::esc(tr("%1 [%2, %3] (work rate of %4 busy threads against one's, %5 probes)")
                       .arg(p.effectiveCores, 0, 'f', 2)
                       .arg(p.effectiveCoresMeasured.lo, 0, 'f', 2)
                       .arg(p.effectiveCoresMeasured.hi, 0, 'f', 2)
                       .arg(p.vcpus)
                       .arg(p.effectiveCoresMeasured.n)) },
        { tr("Date"), H::esc(p.date) },
        { tr("Measured in"),
            H::esc(tr("%1 s%2")
                       .arg(p.wallS, 0, 'f', 1)
                       .arg(p.quick ? tr(" (--quick: fewer sizes and samples)") : QString())) },
        { tr("Simulations use"), H::esc(p.costs.source) },
    });

    h.heading(2, QStringLiteral("costs"), tr("Costs"));
    h.paragraph(H::esc(tr("Each measured figure is a mean with its 95 % interval. The last column is the built-in "
                          "default, which simulate uses only when there is no profile.")));
    h.tableBegin({ H::esc(tr("Cost")), H::esc(tr("Measured [95 % interval]")), H::esc(tr("Samples")),
                     H::esc(tr("Built-in default")) },
        1, QStringLiteral("wide"));
    for (DomainKind d : kAllDomains) {
        const Measured &m = p.wake[std::size_t(d)];
        h.row({ H::esc(tr("wake-up %1 (µs)").arg(domainName(d))), H::esc(usCell(m)), H::count(m.n),
            H::number(builtin.wakeS[std::size_t(d)] * 1e6) });
    }
    h.row({ H::esc(tr("hop (µs)")), H::esc(usCell(p.hop)), H::count(p.hop.n), H::number(builtin.hopS * 1e6) });
    h.row({ H::esc(tr("timer lateness (µs)")), H::esc(usCell(p.timerLateness)), H::count(p.timerLateness.n),
        H::number(builtin.timerLatenessS * 1e6) });
    const auto fitRows
        = [&](const QString &name, const LineFit &f, const std::vector<SizePoint> &pts, double call, double perByte) {
              int n = 0;
              for (const SizePoint &sp : pts)
                  n += sp.s.n;
              h.row({ H::esc(tr("%1: intercept (µs)").arg(name)),
                  H::esc(QStringLiteral("%1 [%2, %3]")
                             .arg(f.intercept * 1e6, 0, 'f', 1)
                             .arg(f.interceptLo * 1e6, 0, 'f', 1)
                             .arg(f.interceptHi * 1e6, 0, 'f', 1)),
                  H::count(n), call >= 0 ? H::number(call * 1e6) : QStringLiteral("—") });
              h.row({ H::esc(tr("%1: per GiB (ms)").arg(name)), H::esc(perGiBCell(f.slope, f.slopeLo, f.slopeHi)),
                  H::count(n), H::number(perByte * 1024.0 * 1024 * 1024 * 1e3) });
          };
    fitRows(tr("procs copy"), p.copyFit, p.copy, builtin.procsCallS, builtin.copyPerByteS);
    fitRows(tr("procs shm"), p.shmFit, p.shm, builtin.procsCallS, builtin.shmPerByteS);
    fitRows(tr("net"), p.netFit, p.net, builtin.netS, builtin.netPerByteS);
    fitRows(tr("disk"), p.diskFit, p.disk, builtin.diskS, builtin.diskPerByteS);
    h.row({ H::esc(tr("fsync (µs)")), H::esc(usCell(p.fsync)), H::count(p.fsync.n), H::number(builtin.fsyncS * 1e6) });
    h.row({ H::esc(tr("worker start (ms)")),
        H::esc(QStringLiteral("%1 [%2, %3]")
                   .arg(p.workerStart.mean * 1e3, 0, 'f', 1)
                   .arg(p.workerStart.lo * 1e3, 0, 'f', 1)
                   .arg(p.workerStart.hi * 1e3, 0, 'f', 1)),
        H::count(p.workerStart.n), H::number(builtin.workerStartS * 1e3) });
    h.tableEnd();
    h.paragraph(H::esc(tr("The simulator charges procs_call_s = the mean of the copy and shm intercepts (%1 µs). "
                          "Predictions beyond twice these ranges are flagged as extrapolation: %2 cores, payloads "
                          "(in + out) of %3, %4 arrivals a second in a class (threads waited %5 µs on average at "
                          "%6/s), net answers of %7, disk files of %8.")
                           .arg(p.costs.procsCallS * 1e6, 0, 'f', 1)
                           .arg(p.costs.ranges.cores)
                           .arg(bytesText(p.costs.ranges.maxPayloadBytes))
                           .arg(p.costs.ranges.maxRatePerS, 0, 'f', 0)
                           .arg(usCell(p.highRateWait))
                           .arg(p.highRate, 0, 'f', 0)
                           .arg(bytesText(p.costs.ranges.maxNetBytes), bytesText(p.costs.ranges.maxDiskBytes))));

    if (medium == ReportMedium::Print) // the plots start a page, their heading with them
        h.raw(QStringLiteral("<div style=\"page-break-before: always\"></div>\n"));
    h.heading(2, QStringLiteral("plots"), tr("Measurements"));
    for (const ReportPlot &pl : plots)
        if (pl.id != QLatin1String("plot-break-even"))
            h.figure(pl);

    h.heading(2, QStringLiteral("break-even"), tr("Thread or process"));
    for (const ReportPlot &pl : plots)
        if (pl.id == QLatin1String("plot-break-even"))
            h.figure(pl);
    h.tableBegin(
        { H::esc(tr("Stage L (ms)")), H::esc(tr("copy: procs wins below")), H::esc(tr("shm: procs wins below")) });
    for (double L : breakEvenStages()) {
        QStringList cells { H::number(L * 1e3, L < 1e-3 ? 1 : 0) };
        for (const Transfer t : { Transfer::Copy, Transfer::Shm }) {
            const BreakEven b = breakEven(p.costs, p.effectiveCores, p.vcpus, L, t);
            cells << (b.verdict == BreakEven::Verdict::Below ? H::esc(bytesText(b.bytes))
                    : b.verdict == BreakEven::Verdict::Never ? H::esc(tr("never"))
                                                             : H::esc(tr("any payload")));
        }
        h.row(cells);
    }
    h.tableEnd();
    return h.finish();
}

} // namespace hs
