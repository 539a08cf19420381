#include "sweepreport.h"

#include "domainstyle.h"
#include "htmlreport.h"
#include "qcustomplot.h"

#include <QCoreApplication>
#include <QJsonArray>

#include <algorithm>
#include <cmath>
#include <limits>

namespace hs {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("hs::SweepReport", text);
}

using H = HtmlBuilder;

QJsonObject obj(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toObject();
}

QString scenarioName(const QJsonObject &sweep)
{
    const QJsonValue s = sweep.value(QStringLiteral("scenario"));
    return s.isObject() ? s.toObject().value(QStringLiteral("name")).toString() : s.toString();
}

// A varied setting. A text one (an autoscale policy, a backpressure rule) is plotted as categories:
// its values at 0, 1, 2, ... in the order of `vary`, each labelled with its text.
struct Axis {
    QString path;
    std::vector<double> values; ///< in the order of `vary`; a text axis: 0, 1, 2, ...
    QStringList labels; ///< the values as text
    bool text = false;
    QString label(double v) const
    {
        if (text)
            return v >= 0 && v < double(labels.size()) ? labels[qsizetype(v)] : QString();
        return QString::number(v, 'g', 6);
    }
};

std::vector<Axis> axes(const QJsonObject &sweep)
{
    std::vector<Axis> out;
    for (const QJsonValue &v : sweep.value(QStringLiteral("vary")).toArray()) {
        Axis a;
        a.path = v.toObject().value(QStringLiteral("path")).toString();
        const QJsonArray values = v.toObject().value(QStringLiteral("values")).toArray();
        for (const QJsonValue &x : values)
            a.text = a.text || x.isString();
        for (qsizetype i = 0; i < values.size(); ++i) {
            a.values.push_back(a.text ? double(i) : values[i].toDouble());
            a.labels << SweepReport::valueText(values[i]);
        }
        out.push_back(a);
    }
    return out;
}

// The point's value on the axis (a text value: its index); NaN when the point has none.
double valueOf(const QJsonObject &point, const Axis &a)
{
    const QJsonValue v = obj(point, "values").value(a.path);
    if (a.text) {
        const qsizetype i = a.labels.indexOf(SweepReport::valueText(v));
        return i >= 0 ? double(i) : std::numeric_limits<double>::quiet_NaN();
    }
    return v.toDouble(std::numeric_limits<double>::quiet_NaN());
}

// Geometric spacing (each value a fixed ratio of the one before) reads best on a log axis.
bool geometric(const std::vector<double> &v)
{
    if (v.size() < 3 || v.front() <= 0)
        return false;
    const double r = v[1] / v[0];
    if (r < 1.5)
        return false;
    for (std::size_t i = 2; i < v.size(); ++i)
        if (std::abs(v[i] / v[i - 1] - r) > 0.05 * r)
            return false;
    return true;
}

QStringList classNames(const QJsonArray &points)
{
    QStringList names;
    for (const QJsonValue &p : points)
        for (const QString &n : obj(p.toObject(), "classes").keys())
            if (!names.contains(n))
                names << n;
    return names;
}

QStringList domainNames(const QJsonArray &points)
{
    QStringList names;
    for (const char *d : { "loop", "threads", "tbb", "procs" })
        for (const QJsonValue &p : points)
            if (obj(p.toObject(), "domains").contains(QLatin1String(d))) {
                names << QLatin1String(d);
                break;
            }
    return names;
}

DomainKind domainKindOf(const QString &name)
{
    for (DomainKind d : kAllDomains)
        if (domainName(d) == name)
            return d;
    return DomainKind::Threads;
}

// The knees of a sweep: one per class (`knees`, keyed by class; one-variable sweeps only), or
// else the single `knee` {path, value, method, class}.
struct KneeMark {
    QString cls, path, method;
    double value = 0;
};
std::vector<KneeMark> kneeMarks(const QJsonObject &sweep, const std::vector<Axis> &ax)
{
    std::vector<KneeMark> out;
    const QJsonObject perClass = obj(sweep, "knees");
    for (auto it = perClass.begin(); it != perClass.end(); ++it) {
        const QJsonObject k = it.value().toObject();
        if (k.value(QStringLiteral("value")).isDouble() && !ax.empty())
            out.push_back({ it.key(), ax.front().path, k.value(QStringLiteral("method")).toString(),
                k.value(QStringLiteral("value")).toDouble() });
    }
    const QJsonObject k = obj(sweep, "knee");
    if (out.empty() && k.value(QStringLiteral("value")).isDouble())
        out.push_back({ k.value(QStringLiteral("class")).toString(), k.value(QStringLiteral("path")).toString(),
            k.value(QStringLiteral("method")).toString(), k.value(QStringLiteral("value")).toDouble() });
    return out;
}

// Where the recommendation lies on the axis (valueOf), if it gives the axis a value.
std::optional<double> recommended(const QJsonObject &sweep, const Axis &a)
{
    const double x = valueOf(obj(sweep, "recommendation"), a);
    return std::isnan(x) ? std::nullopt : std::optional<double>(x);
}

QString valueList(const QJsonObject &values)
{
    QStringList parts;
    for (auto it = values.begin(); it != values.end(); ++it)
        parts << QStringLiteral("%1 = %2").arg(it.key(), SweepReport::valueText(it.value()));
    return parts.join(QStringLiteral(", "));
}

// --- plots ------------------------------------------------------------------------------------

struct PlotFrame {
    QCustomPlot plot;
    double xLo = 0, xHi = 1;
    explicit PlotFrame(const Axis &x, const QString &yLabel, bool logY)
    {
        plot.setBackground(Qt::white);
        plot.xAxis->setLabel(x.path);
        plot.yAxis->setLabel(yLabel);
        if (x.text) {
            auto text = QSharedPointer<QCPAxisTickerText>::create();
            for (std::size_t i = 0; i < x.values.size(); ++i)
                text->addTick(x.values[i], x.labels[qsizetype(i)]);
            plot.xAxis->setTicker(text);
        } else if (geometric(x.values)) {
            plot.xAxis->setScaleType(QCPAxis::stLogarithmic);
            plot.xAxis->setTicker(QSharedPointer<QCPAxisTickerText>::create()); // ticks at the values themselves
            auto text = qSharedPointerCast<QCPAxisTickerText>(plot.xAxis->ticker());
            for (double v : x.values)
                text->addTick(v, QString::number(v, 'g', 6));
        }
        if (logY) {
            plot.yAxis->setScaleType(QCPAxis::stLogarithmic);
            plot.yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
        }
        if (!x.values.empty()) {
            const auto [lo, hi] = std::minmax_element(x.values.begin(), x.values.end());
            xLo = *lo;
            xHi = *hi;
        }
        const bool logX = plot.xAxis->scaleType() == QCPAxis::stLogarithmic;
        const double pad = logX ? 1.15 : x.text ? 0.5 : std::max((xHi - xLo) * 0.05, 0.5);
        plot.xAxis->setRange(logX ? xLo / pad : xLo - pad, logX ? xHi * pad : xHi + pad);
        plot.legend->setVisible(true);
        plot.legend->setBrush(QColor(255, 255, 255, 220));
        QFont f = plot.legend->font();
        f.setPointSizeF(f.pointSizeF() * 0.85);
        plot.legend->setFont(f);
        // Under the axes, never over the points.
        plot.axisRect()->insetLayout()->take(plot.legend);
        plot.plotLayout()->addElement(1, 0, plot.legend);
        plot.plotLayout()->setRowStretchFactor(1, 0.001);
        plot.legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
        plot.legend->setWrap(4);
        plot.legend->setBorderPen(Qt::NoPen);
        plot.plotLayout()->simplify();
    }

    QCPGraph *series(const QString &name, const QColor &color, Qt::PenStyle style, bool dots)
    {
        QCPGraph *g = plot.addGraph();
        g->setName(name);
        QPen pen(color, 1.6, style);
        g->setPen(pen);
        if (dots)
            g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, color, color, 6));
        return g;
    }

    void vertical(double x, const QString &label, Qt::PenStyle style, int row)
    {
        auto *line = new QCPItemStraightLine(&plot);
        line->point1->setCoords(x, 1);
        line->point2->setCoords(x, 2);
        line->setPen(QPen(QColor(60, 60, 60), 1.2, style));
        auto *text = new QCPItemText(&plot);
        text->position->setTypeX(QCPItemPosition::ptPlotCoords);
        text->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
        text->position->setCoords(x, 0.02 + 0.08 * row);
        // Right of its line, or left of it in the right third, so that it never runs off the plot.
        const bool logX = plot.xAxis->scaleType() == QCPAxis::stLogarithmic;
        const double share = logX && xLo > 0 && xHi > xLo ? std::log(x / xLo) / std::log(xHi / xLo)
            : xHi > xLo                                   ? (x - xLo) / (xHi - xLo)
                                                          : 0.0;
        const bool left = share > 0.66;
        text->setPositionAlignment((left ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignTop);
        text->setPadding(left ? QMargins(0, 0, 3, 0) : QMargins(3, 0, 0, 0));
        text->setText(label);
        text->setColor(QColor(60, 60, 60));
    }

    void horizontal(double y, const QColor &color, const QString &label)
    {
        auto *line = new QCPItemStraightLine(&plot);
        line->point1->setCoords(0, y);
        line->point2->setCoords(1, y);
        line->setPen(QPen(color, 1.0, Qt::DashLine));
        auto *text = new QCPItemText(&plot);
        text->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
        text->position->setCoords(0.99, y);
        text->setPositionAlignment(Qt::AlignRight | Qt::AlignBottom);
        text->setText(label);
        text->setColor(color);
    }

    QImage render()
    {
        const QSize size = ReportPlots::plotSize();
        return plot.toPixmap(size.width(), size.height(), 2.0).toImage();
    }
};

void markKneesAndRecommendation(PlotFrame &f, const QJsonObject &sweep, const Axis &x)
{
    int row = 0;
    if (const auto r = recommended(sweep, x)) {
        const bool met = obj(sweep, "recommendation").value(QStringLiteral("all_sla_met")).toBool();
        f.vertical(
            *r, (met ? tr("recommended %1") : tr("closest %1 (SLA not met)")).arg(x.label(*r)), Qt::SolidLine, row++);
    }
    for (const KneeMark &k : kneeMarks(sweep, axes(sweep)))
        if (k.path == x.path)
            f.vertical(k.value, k.cls.isEmpty() ? tr("knee") : tr("knee (%1)").arg(k.cls), Qt::DotLine, row++);
}

ReportPlot p99Plot(const QJsonObject &sweep, const QJsonArray &points, const std::vector<Axis> &ax)
{
    const Axis &x = ax.front();
    PlotFrame f(x, tr("P99 (ms, log)"), true);
    const QStringList classes = classNames(points);
    const bool grid = ax.size() > 1;
    const std::vector<double> seconds = grid ? ax[1].values : std::vector<double> { 0.0 };
    const Qt::PenStyle styles[] = { Qt::SolidLine, Qt::DashLine, Qt::DotLine, Qt::DashDotLine };
    double yLo = std::numeric_limits<double>::infinity(), yHi = 0;
    QMap<double, QStringList> slas;
    for (int c = 0; c < classes.size(); ++c) {
        const QColor color = classColor(c);
        for (std::size_t s = 0; s < seconds.size(); ++s) {
            QVector<double> xs, ys, down, up;
            for (const QJsonValue &pv : points) {
                const QJsonObject p = pv.toObject();
                if (grid && valueOf(p, ax[1]) != seconds[s])
                    continue;
                const QJsonObject k = obj(obj(p, "classes"), classes[c].toUtf8().constData());
                const QJsonValue p99 = k.value(QStringLiteral("p99_ms"));
                if (!p99.isDouble() || p99.toDouble() <= 0)
                    continue;
                const QJsonArray ci = k.value(QStringLiteral("p99_ci_ms")).toArray();
                const double y = p99.toDouble();
                xs << valueOf(p, x);
                ys << y;
                const double lo = ci.size() == 2 && ci[0].isDouble() ? std::min(ci[0].toDouble(), y) : y;
                const double hi = ci.size() == 2 && ci[1].isDouble() ? std::max(ci[1].toDouble(), y)
                                                                     : std::numeric_limits<double>::quiet_NaN();
                down << y - lo;
                up << (std::isnan(hi) ? -1.0 : hi - y); // -1: no upper end, drawn to the top below
                yLo = std::min(yLo, lo);
                yHi = std::max(yHi, std::isnan(hi) ? y : hi);
                if (const QJsonValue sla = k.value(QStringLiteral("sla_p99_ms"));
                    sla.isDouble() && s == 0 && !slas[sla.toDouble()].contains(classes[c]))
                    slas[sla.toDouble()] << classes[c];
            }
            if (xs.isEmpty())
                continue;
            const QString name
                = grid ? tr("%1 at %2 = %3").arg(classes[c], ax[1].path, ax[1].label(seconds[s])) : classes[c];
            QCPGraph *g = f.series(name, color, styles[s % 4], true);
            g->setData(xs, ys, true);
            auto *bars = new QCPErrorBars(f.plot.xAxis, f.plot.yAxis);
            bars->removeFromLegend();
            bars->setDataPlottable(g);
            bars->setPen(QPen(color, 1.2));
            // An unknown upper end (too few samples to bound a P99 from above) runs to the top.
            QVector<double> plus = up;
            for (double &u : plus)
                if (u < 0)
                    u = 1e12;
            bars->setData(down, plus);
        }
    }
    for (auto it = slas.cbegin(); it != slas.cend(); ++it) {
        f.horizontal(it.key(), QColor(90, 90, 90),
            tr("SLA %1 ms: %2").arg(it.key(), 0, 'g', 4).arg(it.value().join(QStringLiteral(", "))));
        yLo = std::min(yLo, it.key());
        yHi = std::max(yHi, it.key());
    }
    if (!std::isfinite(yLo) || yLo <= 0)
        yLo = 0.1;
    f.plot.yAxis->setRange(yLo / 2, std::max(yHi * 2, yLo * 10));
    markKneesAndRecommendation(f, sweep, x);
    return { QStringLiteral("plot-p99"), tr("P99 latency per class against %1").arg(x.path),
        tr("Each point is the P99 over the measured part of its runs (warm-up discarded); the bar is its 95 % "
           "interval, running to the top where too few tasks finished to bound it. Dashed: the SLAs. A class "
           "meets its SLA at a point only when the whole bar is under the line."),
        f.render() };
}

ReportPlot throughputPlot(const QJsonObject &sweep, const QJsonArray &points, const Axis &x)
{
    PlotFrame f(x, tr("completions/s"), false);
    const QStringList classes = classNames(points);
    double yHi = 1;
    QVector<double> total(points.size(), 0.0), xs;
    for (int c = 0; c < classes.size(); ++c) {
        QVector<double> cx, cy;
        for (int i = 0; i < points.size(); ++i) {
            const QJsonObject p = points[i].toObject();
            const double t = obj(obj(p, "classes"), classes[c].toUtf8().constData())
                                 .value(QStringLiteral("throughput"))
                                 .toDouble();
            cx << valueOf(p, x);
            cy << t;
            total[i] += t;
            yHi = std::max(yHi, t);
        }
        f.series(classes[c], classColor(c), Qt::SolidLine, true)->setData(cx, cy, true);
    }
    const QJsonObject usl = obj(sweep, "usl");
    QString caption = tr("Completions per second per class over the measured part of each point.");
    if (!usl.isEmpty() && usl.value(QStringLiteral("path")).toString() == x.path) {
        const double sigma = usl.value(QStringLiteral("sigma")).toDouble();
        const double kappa = usl.value(QStringLiteral("kappa")).toDouble();
        const double lambda = usl.value(QStringLiteral("lambda")).toDouble();
        QVector<double> ux, uy;
        for (int i = 0; i <= 100; ++i) {
            const double n = f.xLo + (f.xHi - f.xLo) * i / 100.0;
            ux << n;
            uy << lambda * n / (1 + sigma * (n - 1) + kappa * n * (n - 1));
            yHi = std::max(yHi, uy.back());
        }
        if (classes.size() > 1) {
            for (int i = 0; i < points.size(); ++i)
                xs << valueOf(points[i].toObject(), x);
            f.series(tr("all classes"), QColor(40, 40, 40), Qt::SolidLine, true)->setData(xs, total, true);
            for (double t : total)
                yHi = std::max(yHi, t);
        }
        f.series(tr("USL fit"), QColor(40, 40, 40), Qt::DashLine, false)->setData(ux, uy, true);
        caption += QLatin1Char(' ')
            + tr("Dashed: the Universal Scalability Law fitted to the throughput, σ = %1, κ = %2, R² = %3; its peak is "
                 "at "
                 "N* = %4.")
                  .arg(sigma, 0, 'g', 3)
                  .arg(kappa, 0, 'g', 3)
                  .arg(usl.value(QStringLiteral("r2")).toDouble(), 0, 'f', 3)
                  .arg(usl.value(QStringLiteral("n_star")).isDouble()
                          ? QString::number(usl.value(QStringLiteral("n_star")).toDouble(), 'g', 3)
                          : tr("∞ (no contention term)"));
    }
    f.plot.yAxis->setRange(0, yHi * 1.15);
    markKneesAndRecommendation(f, sweep, x);
    return { QStringLiteral("plot-throughput"), tr("Throughput against %1").arg(x.path), caption, f.render() };
}

// Utilization (share) or mean wait (ms) per domain: measured as points, the model's prediction dashed.
ReportPlot domainPlot(const QJsonObject &sweep, const QJsonArray &points, const Axis &x, bool wait)
{
    PlotFrame f(x, wait ? tr("mean wait (ms, log)") : tr("utilization (%)"), wait);
    double yLo = std::numeric_limits<double>::infinity(), yHi = wait ? 1.0 : 100.0;
    const char *measuredKey = wait ? "wait_mean_ms" : "utilization";
    for (const QString &d : domainNames(points)) {
        const QColor color = domainColor(domainKindOf(d));
        QVector<double> mx, my, px, py;
        for (const QJsonValue &pv : points) {
            const QJsonObject p = pv.toObject();
            const QJsonObject dom = obj(obj(p, "domains"), d.toUtf8().constData());
            if (dom.isEmpty())
                continue;
            const double xv = valueOf(p, x);
            double m = dom.value(QLatin1String(measuredKey)).toDouble();
            if (!wait)
                m *= 100;
            if (!wait || m > 0) {
                mx << xv;
                my << m;
                yLo = std::min(yLo, m);
                yHi = std::max(yHi, m);
            }
            const QJsonObject pred = obj(dom, "predicted");
            if (pred.value(QLatin1String(measuredKey)).isDouble()) {
                double v = pred.value(QLatin1String(measuredKey)).toDouble();
                if (!wait)
                    v *= 100;
                if (!wait || v > 0) {
                    px << xv;
                    py << v;
                    yLo = std::min(yLo, v);
                    yHi = std::max(yHi, v);
                }
            }
        }
        if (!mx.isEmpty())
            f.series(tr("%1 measured").arg(d), color, Qt::SolidLine, true)->setData(mx, my, true);
        if (!px.isEmpty())
            f.series(tr("%1 predicted").arg(d), color, Qt::DashLine, false)->setData(px, py, true);
    }
    if (wait) {
        if (!std::isfinite(yLo))
            yLo = 0.01;
        f.plot.yAxis->setRange(yLo / 2, yHi * 2);
    } else {
        f.plot.yAxis->setRange(0, std::max(105.0, yHi * 1.05));
    }
    markKneesAndRecommendation(f, sweep, x);
    const QString caption = wait
        ? tr("Mean time a stage waited for a worker, per domain. Dashed: the queueing model's prediction from the "
             "measured arrival rate and service time (the model is named in the table below; none is drawn where "
             "no model applies).")
        : tr("Time-averaged share of the domain's workers that were busy. Dashed: the model's prediction, "
             "λ·E[S]/c.");
    return { wait ? QStringLiteral("plot-wait") : QStringLiteral("plot-utilization"),
        wait ? tr("Mean wait per domain against %1").arg(x.path) : tr("Utilization per domain against %1").arg(x.path),
        caption, f.render() };
}

// --- a policy bake-off -------------------------------------------------------------------------

// The pool of a `domains.D.autoscale.policy` axis of a one-axis sweep; empty otherwise.
QString bakeoffDomain(const std::vector<Axis> &ax)
{
    if (ax.size() != 1)
        return {};
    const QStringList segs = ax.front().path.split(QLatin1Char('.'));
    if (segs.size() == 4 && segs[0] == QLatin1String("domains") && segs[2] == QLatin1String("autoscale")
        && segs[3] == QLatin1String("policy"))
        return segs[1];
    return {};
}

// One row of the bake-off: a policy's point, or the fixed baseline.
struct BakeoffRow {
    QString label;
    bool baseline = false;
    QJsonObject classes; ///< NAME: {p99_ms, p99_ci_ms, sla_p99_ms, sla_met}
    std::optional<double> workerSeconds, ratio;
    QString resizes, workers;
};

std::vector<BakeoffRow> bakeoffRows(const QJsonObject &sweep, const Axis &axis, const QString &domain)
{
    std::vector<BakeoffRow> rows;
    const QJsonObject b = obj(sweep, "fixed_baseline");
    if (!b.isEmpty()) {
        BakeoffRow r;
        r.baseline = true;
        r.label = tr("fixed %1 workers").arg(b.value(QStringLiteral("workers")).toInt());
        const QJsonObject classes = obj(b, "classes");
        for (auto it = classes.begin(); it != classes.end(); ++it) {
            QJsonObject k = it.value().toObject();
            k[QStringLiteral("sla_met")] = k.value(QStringLiteral("met")).toBool();
            r.classes[it.key()] = k;
        }
        r.workerSeconds = b.value(QStringLiteral("worker_seconds")).toDouble();
        r.ratio = 1.0;
        r.resizes = QStringLiteral("—");
        r.workers = QString::number(b.value(QStringLiteral("workers")).toInt());
        rows.push_back(r);
    }
    for (const QJsonValue &pv : sweep.value(QStringLiteral("points")).toArray()) {
        const QJsonObject p = pv.toObject();
        const QJsonObject d = obj(obj(p, "domains"), domain.toUtf8().constData());
        BakeoffRow r;
        r.label = SweepReport::valueText(obj(p, "values").value(axis.path));
        r.classes = obj(p, "classes");
        if (d.value(QStringLiteral("worker_seconds")).isDouble())
            r.workerSeconds = d.value(QStringLiteral("worker_seconds")).toDouble();
        if (p.value(QStringLiteral("cost_ratio")).isDouble())
            r.ratio = p.value(QStringLiteral("cost_ratio")).toDouble();
        const QJsonObject as = obj(d, "autoscale");
        r.resizes = as.isEmpty() ? QStringLiteral("—") : QString::number(as.value(QStringLiteral("resizes")).toInt());
        r.workers = as.isEmpty() ? QString::number(d.value(QStringLiteral("workers")).toInt())
                                 : QStringLiteral("%1–%2 (mean %3)")
                                       .arg(as.value(QStringLiteral("workers_min")).toInt())
                                       .arg(as.value(QStringLiteral("workers_max")).toInt())
                                       .arg(H::number(d.value(QStringLiteral("workers_mean")).toDouble()));
        rows.push_back(r);
    }
    return rows;
}

// The class furthest from its SLA: its P99 and interval relative to the SLA (1 = at the SLA).
struct SlaShare {
    QString cls;
    double p99 = 0, lo = 0;
    std::optional<double> hi; ///< none: too few samples to bound it from above
};
std::optional<SlaShare> worstClass(const QJsonObject &classes)
{
    std::optional<SlaShare> worst;
    double worstAt = -1;
    for (auto it = classes.begin(); it != classes.end(); ++it) {
        const QJsonObject k = it.value().toObject();
        const double sla = k.value(QStringLiteral("sla_p99_ms")).toDouble();
        if (sla <= 0 || !k.value(QStringLiteral("p99_ms")).isDouble())
            continue;
        const QJsonArray ci = k.value(QStringLiteral("p99_ci_ms")).toArray();
        SlaShare s;
        s.cls = it.key();
        s.p99 = k.value(QStringLiteral("p99_ms")).toDouble() / sla;
        s.lo = ci.size() == 2 && ci[0].isDouble() ? std::min(s.p99, ci[0].toDouble() / sla) : s.p99;
        if (ci.size() == 2 && ci[1].isDouble())
            s.hi = std::max(s.p99, ci[1].toDouble() / sla);
        const double at = s.hi.value_or(s.p99 * 1.5);
        if (at > worstAt) {
            worstAt = at;
            worst = s;
        }
    }
    return worst;
}

// P99 of the worst class relative to its SLA against worker-seconds: one point per policy, the
// fixed baseline as a diamond, the SLA as the line at 1.
std::optional<ReportPlot> bakeoffPlot(const QJsonObject &sweep, const Axis &axis, const QString &domain)
{
    const std::vector<BakeoffRow> rows = bakeoffRows(sweep, axis, domain);
    QCustomPlot plot;
    plot.setBackground(Qt::white);
    plot.xAxis->setLabel(tr("%1 worker-seconds over the measured span").arg(domain));
    plot.yAxis->setLabel(tr("worst class's P99 / its SLA"));
    double xLo = std::numeric_limits<double>::infinity(), xHi = 0, yLo = 1, yHi = 1;
    int drawn = 0;
    const QColor policyColor = domainColor(domainKindOf(domain));
    double xMin = std::numeric_limits<double>::infinity(), xMax = 0;
    for (const BakeoffRow &r : rows)
        if (r.workerSeconds) {
            xMin = std::min(xMin, *r.workerSeconds);
            xMax = std::max(xMax, *r.workerSeconds);
        }
    std::vector<std::pair<double, double>> placed; // points already labelled
    for (const BakeoffRow &r : rows) {
        const auto w = worstClass(r.classes);
        if (!w || !r.workerSeconds)
            continue;
        // A point close to one already labelled (policies that end alike) has its label above or
        // below instead of to the right, where the two would overlap.
        const auto close = [&](double x, double y) {
            return std::abs(x - *r.workerSeconds) < 0.15 * std::max(xMax - xMin, 1e-9)
                && std::abs(std::log(std::max(y, 1e-6) / std::max(w->p99, 1e-6))) < 0.3;
        };
        int near = 0;
        for (const auto &[px, py] : placed)
            near += close(px, py) ? 1 : 0;
        placed.emplace_back(*r.workerSeconds, w->p99);
        // A close point to the right, labelled later: this label goes left of its point.
        bool rightOfIt = false;
        for (const BakeoffRow &o : rows) {
            const auto ow = &o == &r ? std::nullopt : worstClass(o.classes);
            rightOfIt = rightOfIt
                || (ow && o.workerSeconds && *o.workerSeconds >= *r.workerSeconds && &o > &r
                    && close(*o.workerSeconds, ow->p99));
        }
        const QColor color = r.baseline ? QColor(30, 30, 30) : policyColor;
        QCPGraph *g = plot.addGraph();
        g->setLineStyle(QCPGraph::lsNone);
        g->setScatterStyle(QCPScatterStyle(r.baseline ? QCPScatterStyle::ssDiamond : QCPScatterStyle::ssDisc, color,
            r.baseline ? QColor(Qt::white) : color, r.baseline ? 11 : 8));
        g->setData({ *r.workerSeconds }, { w->p99 });
        auto *bars = new QCPErrorBars(plot.xAxis, plot.yAxis);
        bars->setDataPlottable(g);
        bars->setPen(QPen(color, 1.2));
        bars->setData({ w->p99 - w->lo }, { w->hi ? *w->hi - w->p99 : 1e12 });
        auto *text = new QCPItemText(&plot);
        text->position->setCoords(*r.workerSeconds, w->p99);
        if (near == 0) {
            text->setPositionAlignment((rightOfIt ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter);
            text->setPadding(rightOfIt ? QMargins(0, 0, 8, 0) : QMargins(8, 0, 0, 0));
        } else {
            const bool above = near % 2 == 1;
            text->setPositionAlignment(Qt::AlignHCenter | (above ? Qt::AlignBottom : Qt::AlignTop));
            text->setPadding(above ? QMargins(0, 0, 0, 8 + 12 * (near / 2)) : QMargins(0, 8 + 12 * (near / 2), 0, 0));
        }
        text->setText(r.baseline ? tr("%1 (baseline, %2)").arg(r.label, w->cls) : tr("%1 (%2)").arg(r.label, w->cls));
        text->setColor(color);
        xLo = std::min(xLo, *r.workerSeconds);
        xHi = std::max(xHi, *r.workerSeconds);
        yLo = std::min(yLo, w->lo);
        yHi = std::max(yHi, w->hi.value_or(w->p99));
        ++drawn;
    }
    if (drawn == 0)
        return std::nullopt;
    auto *sla = new QCPItemStraightLine(&plot);
    sla->point1->setCoords(0, 1);
    sla->point2->setCoords(1, 1);
    sla->setPen(QPen(QColor(90, 90, 90), 1.0, Qt::DashLine));
    auto *slaText = new QCPItemText(&plot);
    slaText->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
    slaText->position->setCoords(0.99, 1);
    slaText->setPositionAlignment(Qt::AlignRight | Qt::AlignBottom);
    slaText->setText(tr("SLA"));
    slaText->setColor(QColor(90, 90, 90));
    // Room right of the rightmost point for its label.
    const double span = std::max(xHi - xLo, 0.2 * std::max(xHi, 1.0));
    plot.xAxis->setRange(std::max(0.0, xLo - 0.1 * span), xHi + 0.45 * span);
    if (yHi / std::max(yLo, 1e-3) > 5) {
        plot.yAxis->setScaleType(QCPAxis::stLogarithmic);
        plot.yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
        plot.yAxis->setRange(std::max(yLo, 1e-3) / 1.5, yHi * 1.5);
    } else {
        plot.yAxis->setRange(0, yHi * 1.15);
    }
    const QSize size = ReportPlots::plotSize();
    return ReportPlot { QStringLiteral("plot-bakeoff"), tr("P99 against cost, per policy"),
        tr("Each point is a policy's sweep point: across, the worker-seconds %1 cost over the measured span; up, the "
           "P99 of the class furthest from its SLA, divided by that SLA, with its 95 % interval (running to the top "
           "where too few tasks finished to bound it). The diamond is the cheapest fixed size that meets every SLA. "
           "Under the dashed line at 1 the SLA is met; a policy is better than the fixed size when it is both left "
           "of the diamond and under the line.")
            .arg(domain),
        plot.toPixmap(size.width(), size.height(), 2.0).toImage() };
}

// --- sections ---------------------------------------------------------------------------------

QString p99CellOf(const QJsonObject &k)
{
    const QJsonValue p99 = k.value(QStringLiteral("p99_ms"));
    if (!p99.isDouble())
        return QStringLiteral("—");
    const QJsonArray ci = k.value(QStringLiteral("p99_ci_ms")).toArray();
    QString cell = H::ms(p99.toDouble());
    if (ci.size() == 2)
        cell += QStringLiteral(" <small>[%1, %2]</small>")
                    .arg(ci[0].isDouble() ? H::ms(ci[0].toDouble()) : QStringLiteral("?"),
                        ci[1].isDouble() ? H::ms(ci[1].toDouble()) : QStringLiteral("?"));
    if (k.value(QStringLiteral("sla_p99_ms")).isDouble())
        cell += k.value(QStringLiteral("sla_met")).toBool() ? QStringLiteral(" <span class=\"ok\">✓</span>")
                                                            : QStringLiteral(" <span class=\"bad\">✗</span>");
    return cell;
}

bool allMet(const QJsonObject &point)
{
    const QJsonObject classes = obj(point, "classes");
    for (auto it = classes.begin(); it != classes.end(); ++it) {
        const QJsonObject k = it.value().toObject();
        if (k.value(QStringLiteral("sla_p99_ms")).isDouble() && !k.value(QStringLiteral("sla_met")).toBool())
            return false;
    }
    return true;
}

void sweepSection(H &h, const QJsonObject &sweep, const std::vector<Axis> &ax, const QJsonArray &points)
{
    h.heading(2, QStringLiteral("sweep"), tr("What was measured"));
    QList<QPair<QString, QString>> rows;
    const QJsonValue s = sweep.value(QStringLiteral("scenario"));
    rows.append({ tr("Scenario"), H::esc(scenarioName(sweep)) });
    if (s.isObject() && s.toObject().contains(QStringLiteral("source")))
        rows.append({ tr("Source"), HtmlReport::sourceHtml(s.toObject().value(QStringLiteral("source")).toString()) });
    for (const Axis &a : ax) {
        const QStringList vals = a.labels;
        rows.append({ tr("Varied"),
            QStringLiteral("<code>%1</code>: %2").arg(H::esc(a.path), H::esc(vals.join(QStringLiteral(", ")))) });
    }
    const QString mode = sweep.value(QStringLiteral("mode")).toString(QStringLiteral("engine"));
    rows.append({ tr("Measured on"),
        H::esc(mode == QLatin1String("simulated") ? tr("the simulator (virtual time)") : tr("the real engine")) });
    if (!points.isEmpty()) {
        const QJsonObject p = points[0].toObject();
        rows.append({ tr("Each point"),
            H::esc(tr("%1 s run(s), %2 rep(s) (different seeds), the warm-up discarded")
                       .arg(p.value(QStringLiteral("duration_s")).toDouble(), 0, 'g', 4)
                       .arg(p.value(QStringLiteral("reps")).toInt(1))) });
    }
    rows.append({ tr("Points"), H::esc(QString::number(points.size())) });
    rows.append(
        { tr("Wall time"), H::esc(tr("%1 s").arg(sweep.value(QStringLiteral("wall_s")).toDouble(), 0, 'f', 1)) });
    bool conserved = true;
    for (const QJsonValue &p : points)
        conserved = conserved && p.toObject().value(QStringLiteral("conserved")).toBool();
    rows.append({ tr("Conservation"),
        conserved ? QStringLiteral("<span class=\"ok\">✓ holds at every point</span>")
                  : QStringLiteral("<span class=\"bad\">✗ violated at some point (see the table)</span>") });
    h.keyValues(rows);
}

void recommendationSection(H &h, const QJsonObject &sweep)
{
    h.heading(2, QStringLiteral("recommendation"), tr("Recommendation"));
    const QJsonObject r = obj(sweep, "recommendation");
    if (r.isEmpty()) {
        h.paragraph(H::esc(tr("None: no point of the sweep meets every class's SLA.")), QStringLiteral("bad"));
    } else {
        h.paragraph(QStringLiteral("<b>%1</b>").arg(H::esc(valueList(obj(r, "values"))))
            + (r.value(QStringLiteral("all_sla_met")).toBool()
                    ? QStringLiteral(" <span class=\"ok\">✓ every SLA met</span>")
                    : QStringLiteral(" <span class=\"bad\">✗ not every SLA met</span>")));
        if (r.contains(QStringLiteral("reason")))
            h.paragraph(H::esc(r.value(QStringLiteral("reason")).toString()));
    }
    QStringList kneeLines;
    for (const KneeMark &k : kneeMarks(sweep, axes(sweep)))
        kneeLines << tr("knee of %1 at %2 = %3 (%4)")
                         .arg(k.cls.isEmpty() ? tr("the P99 curve") : k.cls, k.path)
                         .arg(k.value, 0, 'g', 6)
                         .arg(k.method);
    if (kneeLines.isEmpty())
        h.paragraph(H::esc(tr("No knee: the P99 curves bend nowhere more than elsewhere.")), QStringLiteral("muted"));
    else
        for (const QString &l : kneeLines)
            h.paragraph(H::esc(l));
}

// Two variables: where every SLA is met, as a map (rows: the second variable, columns: the first).
void gridSection(H &h, const std::vector<Axis> &ax, const QJsonArray &points)
{
    if (ax.size() < 2)
        return;
    h.heading(2, QStringLiteral("grid"), tr("Where every SLA is met"));
    h.paragraph(H::esc(tr("✓ every class meets its SLA (the whole 95 % interval under it); ✗ some class does not, "
                          "the figure is the worst class's P99 in ms.")),
        QStringLiteral("muted"));
    QStringList header { H::esc(ax[1].path + QStringLiteral(" \\ ") + ax[0].path) };
    for (double v : ax[0].values)
        header << H::esc(ax[0].label(v));
    h.tableBegin(header, 1, QStringLiteral("grid"));
    for (double y : ax[1].values) {
        QStringList cells { H::esc(ax[1].label(y)) };
        for (double x : ax[0].values) {
            QString cell = QStringLiteral("—");
            for (const QJsonValue &pv : points) {
                const QJsonObject p = pv.toObject();
                if (valueOf(p, ax[0]) != x || valueOf(p, ax[1]) != y)
                    continue;
                double worst = 0;
                const QJsonObject classes = obj(p, "classes");
                for (auto it = classes.begin(); it != classes.end(); ++it)
                    worst = std::max(worst, it.value().toObject().value(QStringLiteral("p99_ms")).toDouble());
                cell = allMet(p) ? QStringLiteral("<span class=\"ok\">✓</span>")
                                 : QStringLiteral("<span class=\"bad\">✗ %1</span>").arg(H::ms(worst));
            }
            cells << cell;
        }
        h.row(cells);
    }
    h.tableEnd();
}

void pointsSection(H &h, const std::vector<Axis> &ax, const QJsonArray &points)
{
    h.heading(2, QStringLiteral("points"), tr("Points"));
    h.paragraph(H::esc(tr("P99 in ms with its 95 % interval ([low, high]; ? where the sample cannot bound it); ✓/✗ "
                          "the SLA; throughput in completions/s; utilization measured, and predicted by the model "
                          "where one applies.")),
        QStringLiteral("muted"));
    const QStringList classes = classNames(points);
    const QStringList domains = domainNames(points);
    QStringList header;
    for (const Axis &a : ax)
        header << H::esc(a.path);
    for (const QString &c : classes)
        header << H::esc(tr("%1 P99").arg(c)) << H::esc(tr("%1 /s").arg(c));
    for (const QString &d : domains)
        header << H::esc(tr("%1 util").arg(d));
    header << H::esc(tr("Findings"));
    h.tableBegin(header, 0, QStringLiteral("wide"));
    for (const QJsonValue &pv : points) {
        const QJsonObject p = pv.toObject();
        QStringList cells;
        for (const Axis &a : ax)
            cells << H::esc(SweepReport::valueText(obj(p, "values").value(a.path)));
        for (const QString &c : classes) {
            const QJsonObject k = obj(obj(p, "classes"), c.toUtf8().constData());
            cells << p99CellOf(k)
                  << (k.isEmpty() ? QStringLiteral("—") : H::number(k.value(QStringLiteral("throughput")).toDouble()));
        }
        for (const QString &d : domains) {
            const QJsonObject dom = obj(obj(p, "domains"), d.toUtf8().constData());
            QString cell
                = dom.isEmpty() ? QStringLiteral("—") : H::percent(dom.value(QStringLiteral("utilization")).toDouble());
            const QJsonObject pred = obj(dom, "predicted");
            if (pred.value(QStringLiteral("utilization")).isDouble())
                cell += QStringLiteral(" <small>(%1 %2)</small>")
                            .arg(H::esc(tr("model")), H::percent(pred.value(QStringLiteral("utilization")).toDouble()));
            cells << cell;
        }
        QStringList findings;
        for (const QJsonValue &f : p.value(QStringLiteral("findings")).toArray())
            findings << (f.isString() ? f.toString() : f.toObject().value(QStringLiteral("rule")).toString());
        if (!p.value(QStringLiteral("conserved")).toBool(true))
            findings.prepend(tr("conservation violated"));
        cells << H::esc(findings.isEmpty() ? QStringLiteral("—") : findings.join(QStringLiteral(", ")));
        h.row(cells, allMet(p) ? QString() : QStringLiteral("missed"));
    }
    h.tableEnd();
}
void bakeoffSection(H &h, const QJsonObject &sweep, const std::vector<Axis> &ax, const QJsonArray &points,
    const std::vector<ReportPlot> &plots)
{
    const QString domain = bakeoffDomain(ax);
    if (domain.isEmpty())
        return;
    h.heading(2, QStringLiteral("bakeoff"), tr("Autoscale policies against the cheapest fixed size"));
    const QJsonObject b = obj(sweep, "fixed_baseline");
    if (b.isEmpty()) {
        h.paragraph(
            H::esc(
                tr("No fixed baseline: %1.")
                    .arg(sweep.value(QStringLiteral("fixed_baseline_reason")).toString(tr("none was searched for")))),
            QStringLiteral("bad"));
    } else {
        const bool sim = b.value(QStringLiteral("source")).toString() == QLatin1String("sim");
        h.paragraph(H::esc(tr("The fixed baseline is the fewest %1 workers, autoscale off, at which every class meets "
                              "its P99 SLA with 95 % confidence: %2 workers, found by the tune's search on %3 within "
                              "a budget of %4 s (10 × a point's runs). The search: %5.")
                               .arg(domain)
                               .arg(b.value(QStringLiteral("workers")).toInt())
                               .arg(sim ? tr("the simulator") : tr("the real engine"))
                               .arg(b.value(QStringLiteral("budget_s")).toDouble(), 0, 'f', 0)
                               .arg(b.value(QStringLiteral("search")).toString())));
    }
    h.paragraph(H::esc(tr("Per policy: each class's P99 in ms with its 95 % interval and ✓/✗ its SLA; the "
                          "worker-seconds %1 cost over the measured span (workers × seconds they existed); that cost "
                          "over the fixed baseline's (below 1: cheaper); the controller's resizes (whole runs, "
                          "warm-up included) and the sizes it took.")
                           .arg(domain)),
        QStringLiteral("muted"));
    const QStringList classes = classNames(points);
    QStringList header { H::esc(tr("Policy")) };
    for (const QString &c : classes) {
        QString head = tr("%1 P99").arg(c);
        for (const QJsonValue &pv : points) {
            const QJsonValue sla
                = obj(obj(pv.toObject(), "classes"), c.toUtf8().constData()).value(QStringLiteral("sla_p99_ms"));
            if (sla.isDouble()) {
                head += tr(" (SLA %1 ms)").arg(sla.toDouble(), 0, 'g', 4);
                break;
            }
        }
        header << H::esc(head);
    }
    header << H::esc(tr("Worker-seconds")) << H::esc(tr("× fixed")) << H::esc(tr("Resizes")) << H::esc(tr("Workers"));
    h.tableBegin(header, 1, QStringLiteral("bakeoff"));
    for (const BakeoffRow &r : bakeoffRows(sweep, ax.front(), domain)) {
        QStringList cells { r.baseline ? QStringLiteral("<b>%1</b>").arg(H::esc(r.label)) : H::esc(r.label) };
        bool met = true;
        for (const QString &c : classes) {
            const QJsonObject k = obj(r.classes, c.toUtf8().constData());
            cells << (k.isEmpty() ? QStringLiteral("—") : p99CellOf(k));
            met = met
                && (!k.value(QStringLiteral("sla_p99_ms")).isDouble() || k.value(QStringLiteral("sla_met")).toBool());
        }
        cells << (r.workerSeconds ? H::number(*r.workerSeconds) : QStringLiteral("—"))
              << (r.ratio ? H::number(*r.ratio, 2) : QStringLiteral("—")) << H::esc(r.resizes) << H::esc(r.workers);
        h.row(cells, met ? QString() : QStringLiteral("missed"));
    }
    h.tableEnd();
    for (const ReportPlot &p : plots)
        if (p.id == QLatin1String("plot-bakeoff"))
            h.figure(p);
}
} // namespace

QString SweepReport::p99Cell(const QJsonObject &pointClass)
{
    return p99CellOf(pointClass);
}

QString SweepReport::valueText(const QJsonValue &v)
{
    if (v.isDouble())
        return QString::number(v.toDouble(), 'g', 6);
    if (v.isString())
        return v.toString();
    if (v.isBool())
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    return QStringLiteral("—");
}

QStringList SweepReport::sectionIds()
{
    return { QStringLiteral("sweep"), QStringLiteral("recommendation"), QStringLiteral("bakeoff"),
        QStringLiteral("plots"), QStringLiteral("grid"), QStringLiteral("points") };
}

std::vector<ReportPlot> SweepReport::plots(const QJsonObject &sweep)
{
    const std::vector<Axis> ax = axes(sweep);
    const QJsonArray points = sweep.value(QStringLiteral("points")).toArray();
    if (ax.empty() || points.isEmpty())
        return {};
    std::vector<ReportPlot> out;
    out.push_back(p99Plot(sweep, points, ax));
    if (ax.size() == 1) {
        out.push_back(throughputPlot(sweep, points, ax.front()));
        out.push_back(domainPlot(sweep, points, ax.front(), false));
        out.push_back(domainPlot(sweep, points, ax.front(), true));
        if (const QString d = bakeoffDomain(ax); !d.isEmpty())
            if (auto p = bakeoffPlot(sweep, ax.front(), d))
                out.push_back(std::move(*p));
    }
    return out;
}

ReportHtml SweepReport::build(const QJsonObject &sweep, const std::vector<ReportPlot> &plots, ReportMedium medium)
{
    H h(medium);
    const std::vector<Axis> ax = axes(sweep);
    QStringList varied;
    for (const Axis &a : ax)
        varied << a.path;
    const bool simulated = sweep.value(QStringLiteral("mode")).toString() == QLatin1String("simulated");
    const QString title
        = tr("Hybridscope sweep: %1 over %2%3")
              .arg(scenarioName(sweep), varied.join(QStringLiteral(" × ")), simulated ? tr(" (simulated)") : QString());
    h.begin(title);
    h.heading(1, {}, title);
    if (const QString beyond = HtmlReport::extrapolationText(obj(sweep, "simulation")); !beyond.isEmpty())
        h.paragraph(QStringLiteral("<strong>%1</strong>").arg(H::esc(beyond)), QStringLiteral("bad"));
    const QJsonArray points = sweep.value(QStringLiteral("points")).toArray();
    sweepSection(h, sweep, ax, points);
    recommendationSection(h, sweep);
    bakeoffSection(h, sweep, ax, points, plots);
    h.heading(2, QStringLiteral("plots"), tr("Plots"));
    if (plots.empty())
        h.paragraph(H::esc(tr("No points were measured.")), QStringLiteral("muted"));
    for (const ReportPlot &p : plots)
        if (p.id != QLatin1String("plot-bakeoff"))
            h.figure(p);
    gridSection(h, ax, points);
    pointsSection(h, ax, points);
    return h.finish();
}

} // namespace hs
