#include "liveplot.h"

#include <qcustomplot.h>

#include <QHBoxLayout>
#include <QLabel>
#include <QResizeEvent>
#include <QToolButton>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <functional>

namespace hs {

namespace {
// Pens no wider than 1 px take the raster engine's fast cosmetic path (also antialiased and dashed);
// wider ones go through the general stroker, which costs several times more per replot.
QPen seriesPen(const QColor &color, Qt::PenStyle style)
{
    QPen pen(color, 1.0, style);
    pen.setCosmetic(true);
    return pen;
}

// QCustomPlot computes where everything goes in updateLayout(), for the widget and for images
// alike; marker labels are placed in pixels right after it, so they are placed for the size drawn.
class PlotCanvas : public QCustomPlot {
public:
    using QCustomPlot::QCustomPlot;
    std::function<void()> beforeLayout;
    std::function<void()> afterLayout;

protected:
    void updateLayout() override
    {
        if (beforeLayout)
            beforeLayout();
        QCustomPlot::updateLayout();
        if (afterLayout)
            afterLayout();
    }
};

QString formatValue(double v)
{
    if (v != 0 && std::abs(v) < 0.01)
        return QString::number(v, 'g', 3);
    if (std::abs(v) >= 1000 || v == std::floor(v))
        return QString::number(v, 'f', 0);
    return QString::number(v, 'f', std::abs(v) < 10 ? 2 : 1);
}
} // namespace

LivePlot::LivePlot(const QString &title, const QString &leftLabel, QWidget *parent)
    : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    auto *header = new QHBoxLayout;
    header->setContentsMargins(6, 2, 2, 0);
    m_fullTitle = title;
    m_title = new QLabel(title, this);
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);
    // A narrow plot elides its title (whole in the tooltip) rather than cutting it under "Live".
    m_title->setMinimumWidth(40);
    m_title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_title->setToolTip(title);
    m_title->installEventFilter(this);
    header->addWidget(m_title, 1);
    m_badge = new QLabel(this);
    m_badge->setObjectName(QStringLiteral("plotBadge"));
    m_badge->setFont(bold);
    // Amber with dark text in either theme: a mark, not data (the series colours are never amber).
    m_badge->setStyleSheet(QStringLiteral("QLabel { background: #ffd43b; color: #212529; border-radius: 3px; "
                                          "padding: 0px 6px; }"));
    m_badge->hide();
    header->addWidget(m_badge);
    m_liveButton = new QToolButton(this);
    m_liveButton->setText(tr("Live"));
    m_liveButton->setCheckable(true);
    m_liveButton->setChecked(true);
    m_liveButton->setAutoRaise(true);
    m_liveButton->setToolTip(tr("Follow the run. Drag or scroll the plot to look at its history (the run goes on); "
                                "click here or double-click the plot to follow it again."));
    header->addWidget(m_liveButton);
    layout->addLayout(header);

    auto *canvas = new PlotCanvas(this);
    canvas->beforeLayout = [this] { fitLegend(); };
    canvas->afterLayout = [this] { placeMarkerLabels(); };
    m_plot = canvas;
    // Below this the tick labels of both axes and the legend leave no room for data.
    m_plot->setMinimumSize(260, 120);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->axisRect()->setRangeDrag(Qt::Horizontal);
    m_plot->axisRect()->setRangeZoom(Qt::Horizontal);
    m_plot->setNotAntialiasedElements(QCP::aeAxes | QCP::aeGrid | QCP::aeSubGrid | QCP::aeZeroLine);
    m_plot->yAxis->setLabel(leftLabel);
    m_plot->xAxis->setRange(0, m_window);
    m_plot->yAxis->setRange(0, 1);
    m_right2 = m_plot->axisRect()->addAxis(QCPAxis::atRight);
    m_right2->setVisible(false);
    m_right2->setLowerEnding(QCPLineEnding::esNone); // no half bars: it reads as an axis of its own
    m_right2->setUpperEnding(QCPLineEnding::esNone);
    m_right2->setRange(0, 1);
    QFont small = font();
    small.setPointSizeF(font().pointSizeF() * 0.85);
    for (QCPAxis *a : { m_plot->xAxis, m_plot->yAxis, m_plot->yAxis2, m_right2 }) {
        a->setTickLabelFont(small);
        a->setLabelFont(small);
        a->setPadding(2);
    }
    // The legend goes in a row of its own under the plot, so it never hides data.
    m_plot->legend->setVisible(true);
    m_plot->legend->setFont(small);
    m_plot->legend->setIconSize(16, 8);
    m_plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    m_plot->legend->setWrap(5);
    m_plot->legend->setColumnSpacing(10);
    m_plot->legend->setRowSpacing(0);
    m_plot->legend->setMargins(QMargins(4, 0, 4, 2));
    m_plot->axisRect()->insetLayout()->take(m_plot->legend);
    m_plot->plotLayout()->addElement(1, 0, m_plot->legend);
    m_plot->plotLayout()->setRowStretchFactor(1, 0.001);
    m_plot->plotLayout()->setRowSpacing(0);

    m_cursor = new QCPItemStraightLine(m_plot);
    m_cursor->setVisible(false);
    m_cursor->setSelectable(false);
    layout->addWidget(m_plot, 1);

    m_replotTimer.setSingleShot(true);
    m_replotTimer.setInterval(kReplotMs);
    connect(&m_replotTimer, &QTimer::timeout, this, &LivePlot::replotNow);
    connect(m_liveButton, &QToolButton::toggled, this, &LivePlot::setLive);
    connect(m_plot, &QCustomPlot::mouseMove, this, &LivePlot::onMouseMove);
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this] { setLive(true); });
    connect(m_plot->xAxis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this, [this] {
        if (m_settingRange)
            return;
        // A drag or a zoom by the user: hold the view where it is, fit the values to it.
        setLive(false);
        fitValueAxes();
    });
    m_plot->installEventFilter(this);
    applyPalette();
}

LivePlot::~LivePlot() = default;

QCPAxis *LivePlot::valueAxis(Axis axis) const
{
    switch (axis) {
    case Axis::Left: return m_plot->yAxis;
    case Axis::Right: return m_plot->yAxis2;
    case Axis::Right2: return m_right2;
    }
    return m_plot->yAxis;
}

QString LivePlot::title() const
{
    return m_fullTitle;
}

void LivePlot::setRightAxisLabel(const QString &label, Axis axis)
{
    if (axis == Axis::Left)
        return;
    m_rightAxis = true;
    valueAxis(axis)->setVisible(true);
    valueAxis(axis)->setLabel(label);
}

void LivePlot::setFixedRange(Axis axis, double lower, double upper)
{
    AxisFit &f = m_fit[int(axis)];
    f.fixed = true;
    f.lower = lower;
    f.upper = upper;
    m_settingRange = true;
    valueAxis(axis)->setRange(lower, upper);
    m_settingRange = false;
}

void LivePlot::setLogScale(Axis axis, double floor)
{
    AxisFit &f = m_fit[int(axis)];
    f.log = true;
    f.floor = floor;
    QCPAxis *a = valueAxis(axis);
    a->setScaleType(QCPAxis::stLogarithmic);
    a->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    a->setNumberFormat(QStringLiteral("g"));
    a->setNumberPrecision(6);
    m_settingRange = true;
    a->setRange(floor, std::max(floor * 10, f.minimumUpper));
    m_settingRange = false;
}

void LivePlot::setHeadroom(Axis axis, double factor)
{
    m_fit[int(axis)].headroom = std::max(1.0, factor);
}

void LivePlot::setMinimumUpper(Axis axis, double upper)
{
    m_fit[int(axis)].minimumUpper = upper;
}

void LivePlot::setReplotDelay(int ms)
{
    m_replotTimer.setInterval(std::max(0, ms));
}

void LivePlot::setTimeWindow(double seconds)
{
    m_window = std::max(1.0, seconds);
    requestReplot();
}

int LivePlot::addSeries(const QString &name, const QColor &color, Axis axis, Qt::PenStyle style, bool inLegend)
{
    Series s;
    s.graph = m_plot->addGraph(m_plot->xAxis, valueAxis(axis));
    s.graph->setName(name);
    s.graph->setSelectable(QCP::stNone);
    s.name = name;
    s.color = color;
    s.style = style;
    s.axis = axis;
    s.graph->setPen(seriesPen(color, style));
    if (!inLegend)
        s.graph->removeFromLegend();
    m_series.push_back(s);
    return int(m_series.size()) - 1;
}

void LivePlot::setSeriesColor(int series, const QColor &color)
{
    if (series < 0 || series >= seriesCount())
        return;
    Series &s = m_series[std::size_t(series)];
    s.color = color;
    s.graph->setPen(s.filled ? QPen(Qt::NoPen) : seriesPen(color, s.style));
    if (s.filled) {
        QColor fill = color;
        fill.setAlpha(70);
        s.graph->setBrush(fill);
    }
    requestReplot();
}

void LivePlot::addPoint(int series, double t, double value)
{
    if (series < 0 || series >= seriesCount())
        return;
    Series &s = m_series[std::size_t(series)];
    const AxisFit &fit = m_fit[int(s.axis)];
    s.graph->addData(t, fit.log ? std::max(value, fit.floor) : value);
    if (s.graph->data()->size() > kMaxPointsPerSeries)
        compact(s);
    if (m_live)
        requestReplot();
}

void LivePlot::compact(Series &s)
{
    // Halve the resolution of the old history, keeping the larger value of each pair: a spike
    // of loop lag or queue depth must survive downsampling.
    const QSharedPointer<QCPGraphDataContainer> points = s.graph->data();
    const int n = points->size();
    if (n < 4)
        return;
    const double lastKey = (points->constEnd() - 1)->key;
    int old = int(points->findBegin(lastKey - kFullResolutionSeconds, false) - points->constBegin());
    old = std::max(old, n - kMaxPointsPerSeries / 2); // always gain room, whatever the frame rate
    old -= old % 2;
    QVector<QCPGraphData> out;
    out.reserve(n - old / 2);
    auto it = points->constBegin();
    for (int i = 0; i < old; i += 2, it += 2) {
        const QCPGraphData &a = *it;
        const QCPGraphData &b = *(it + 1);
        out.append(QCPGraphData(a.key, std::max(a.value, b.value)));
    }
    for (; it != points->constEnd(); ++it)
        out.append(*it);
    points->set(out, true);
}

void LivePlot::addReferenceLine(double value, const QColor &color, const QString &label, Axis axis)
{
    Reference r;
    r.value = value;
    r.axis = axis;
    r.color = color;
    QCPAxis *y = valueAxis(axis);
    r.line = new QCPItemStraightLine(m_plot);
    r.line->setSelectable(false);
    for (QCPItemPosition *p : { r.line->point1, r.line->point2 })
        p->setAxes(m_plot->xAxis, y);
    r.line->point1->setCoords(0, value);
    r.line->point2->setCoords(1, value);
    r.line->setPen(seriesPen(color, Qt::DashLine));
    r.text = new QCPItemText(m_plot);
    r.text->setSelectable(false);
    r.text->position->setAxes(m_plot->xAxis, y);
    r.text->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
    r.text->position->setTypeY(QCPItemPosition::ptPlotCoords);
    r.text->position->setCoords(0.995, value);
    r.text->setPositionAlignment(Qt::AlignRight | Qt::AlignBottom);
    r.text->setText(label);
    r.text->setColor(color);
    QFont small = font();
    small.setPointSizeF(font().pointSizeF() * 0.8);
    r.text->setFont(small);
    m_references.push_back(r);
    requestReplot();
}

double LivePlot::referenceValue(int i) const
{
    return i >= 0 && i < referenceLineCount() ? m_references[std::size_t(i)].value : 0.0;
}

void LivePlot::addMarker(double t, const QString &label, const QString &detail)
{
    if (int(m_markers.size()) >= kMaxMarkers) {
        m_plot->removeItem(m_markers.front().line);
        m_plot->removeItem(m_markers.front().text);
        m_markers.erase(m_markers.begin());
    }
    Marker m;
    m.t = t;
    m.label = label;
    m.detail = detail;
    m.line = new QCPItemStraightLine(m_plot);
    m.line->setSelectable(false);
    m.line->point1->setCoords(t, 0);
    m.line->point2->setCoords(t, 1);
    m.text = new QCPItemText(m_plot);
    m.text->setSelectable(false);
    m.text->position->setType(QCPItemPosition::ptAbsolute); // placed in pixels at each layout
    m.text->setVisible(false);
    m.text->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
    m.text->setText(label);
    m.text->setPadding(QMargins(2, 0, 2, 0));
    QFont small = font();
    small.setPointSizeF(font().pointSizeF() * 0.8);
    m.text->setFont(small);
    m_markers.push_back(m);
    applyPalette();
    requestReplot();
}

void LivePlot::placeMarkerLabels()
{
    // Labels go in rows from the top of the plot: each in the first row where it overlaps no other
    // label (marker or reference line), right of its line, or left of it near the right edge. A
    // label with no free row is not drawn; hovering its line still tells it.
    const QRect area = m_plot->axisRect()->rect();
    // A reference label sits above its line, or below it when the line runs near the top or when
    // above it would cover an earlier reference's label; with no room either side it is not drawn.
    std::vector<QRectF> taken;
    const auto textRect = [](const QCPItemText *t) {
        return QRectF(t->topLeft->pixelPosition(), t->bottomRight->pixelPosition()).normalized();
    };
    for (const Reference &r : m_references) {
        const double y = valueAxis(r.axis)->coordToPixel(r.value);
        const double h = QFontMetricsF(r.text->font()).height();
        r.text->setVisible(y >= area.top() && y <= area.bottom());
        if (!r.text->visible())
            continue;
        bool placed = false;
        for (const Qt::Alignment side : { y - h < area.top() ? Qt::AlignTop : Qt::AlignBottom, Qt::AlignTop }) {
            r.text->setPositionAlignment(Qt::AlignRight | side);
            const QRectF rect = textRect(r.text);
            const bool inside = rect.top() >= area.top() - 1 && rect.bottom() <= area.bottom() + 1;
            if (inside
                && std::none_of(taken.begin(), taken.end(), [&](const QRectF &o) { return o.intersects(rect); })) {
                taken.push_back(rect);
                placed = true;
                break;
            }
        }
        r.text->setVisible(placed);
    }
    const QCPRange keys = m_plot->xAxis->range();
    for (Marker &m : m_markers) {
        m.rect = {};
        m.text->setVisible(false);
        if (!keys.contains(m.t) || area.isEmpty())
            continue;
        const QFontMetricsF fm(m.text->font());
        const QMargins pad = m.text->padding();
        const double w = fm.horizontalAdvance(m.label) + pad.left() + pad.right() + 1;
        const double h = fm.height() + pad.top() + pad.bottom();
        const double x = m_plot->xAxis->coordToPixel(m.t);
        double left = x + 2;
        if (left + w > area.right() - 1)
            left = x - 2 - w;
        left = std::max(left, double(area.left()) + 1);
        if (left + w > area.right() - 1)
            continue; // wider than the plot
        for (double top = area.top() + 2; top + h <= area.bottom() - 2; top += h + 2) {
            const QRectF rect(left, top, w, h);
            const bool free = std::none_of(
                taken.begin(), taken.end(), [&](const QRectF &o) { return o.adjusted(-2, -1, 2, 1).intersects(rect); });
            if (!free)
                continue;
            m.rect = rect;
            taken.push_back(rect);
            m.text->position->setCoords(rect.topLeft());
            m.text->setVisible(true);
            break;
        }
    }
}

void LivePlot::fitLegend()
{
    // As many legend columns as the width takes, so that a narrow plot wraps its legend to more
    // rows instead of clipping it; a plot too short for the legend's rows drops the legend (the
    // class table and the domain cards carry the same colours) rather than cutting it off.
    QCPLegend *legend = m_plot->legend;
    std::vector<int> widths;
    int rowHeight = 0;
    for (int i = 0; i < legend->elementCount(); ++i) // a wrapped grid has empty cells
        if (QCPLayoutElement *e = legend->elementAt(i)) {
            const QSize hint = e->minimumOuterSizeHint();
            widths.push_back(hint.width());
            rowHeight = std::max(rowHeight, hint.height());
        }
    const int n = int(widths.size());
    const int available = m_plot->viewport().width() - legend->margins().left() - legend->margins().right() - 4;
    int columns = 1;
    for (int c = n; c >= 1; --c) {
        int total = (c - 1) * legend->columnSpacing();
        for (int col = 0; col < c; ++col) {
            int widest = 0;
            for (int i = col; i < n; i += c)
                widest = std::max(widest, widths[std::size_t(i)]);
            total += widest;
        }
        if (total <= available) {
            columns = c;
            break;
        }
    }
    const int rows = n == 0 ? 0 : (n + columns - 1) / columns;
    const int legendHeight
        = rows * rowHeight + (rows - 1) * legend->rowSpacing() + legend->margins().top() + legend->margins().bottom();
    // The axis rect keeps 80 px of data and its tick labels (about 40 px) before the legend gets any.
    constexpr int kAxisRoom = 120;
    const bool show = n > 0 && m_plot->viewport().height() - legendHeight >= kAxisRoom;
    // An empty legend grid reports a maximum width of its margins, and QCustomPlot 2.1 narrows the
    // whole column to it: the axes shrink to a sliver. Out of the layout unless it is shown.
    QCPLayoutGrid *layout = m_plot->plotLayout();
    const bool inLayout = layout->hasElement(1, 0) && layout->element(1, 0) == legend;
    if (!show && inLayout) {
        layout->take(legend);
        layout->simplify();
        legend->setVisible(false);
    } else if (show && !inLayout) {
        layout->addElement(1, 0, legend);
        layout->setRowStretchFactor(1, 0.001);
        legend->setVisible(true);
    }
    if (!show)
        return;
    if (columns != m_legendColumns || legend->columnCount() > columns) {
        m_legendColumns = columns;
        legend->setWrap(columns);
        legend->setFillOrder(legend->fillOrder(), true);
    }
}

QString LivePlot::markerToolTip(int i) const
{
    if (i < 0 || i >= int(m_markers.size()))
        return {};
    const Marker &m = m_markers[std::size_t(i)];
    return tr("%1 s: %2").arg(m.t, 0, 'f', 2).arg(m.detail.isEmpty() ? m.label : m.detail);
}

QRectF LivePlot::markerLabelRect(int i) const
{
    return i >= 0 && i < int(m_markers.size()) ? m_markers[std::size_t(i)].rect : QRectF();
}

QRectF LivePlot::referenceLabelRect(int i) const
{
    if (i < 0 || i >= referenceLineCount())
        return {};
    const QCPItemText *text = m_references[std::size_t(i)].text;
    if (!text->visible())
        return {}; // no room for it
    return QRectF(text->topLeft->pixelPosition(), text->bottomRight->pixelPosition());
}

QRect LivePlot::axisRectGeometry() const
{
    return m_plot->axisRect()->rect();
}

void LivePlot::setSeriesSteps(int series, bool filled)
{
    if (series < 0 || series >= seriesCount())
        return;
    Series &s = m_series[std::size_t(series)];
    s.steps = true;
    s.filled = filled;
    s.graph->setLineStyle(QCPGraph::lsStepLeft);
    if (!filled) {
        requestReplot();
        return;
    }
    s.graph->setPen(Qt::NoPen); // shaded areas, no outline: nothing to mistake for a line
    QColor fill = s.color;
    fill.setAlpha(70);
    s.graph->setBrush(fill);
    requestReplot();
}

void LivePlot::setIntegerTicks(Axis axis)
{
    QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
    ticker->setTickStep(1);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    valueAxis(axis)->setTicker(ticker);
}

QStringList LivePlot::markerLabels() const
{
    QStringList out;
    for (const Marker &m : m_markers)
        out << m.label;
    return out;
}

std::vector<double> LivePlot::markerTimes() const
{
    std::vector<double> out;
    for (const Marker &m : m_markers)
        out.push_back(m.t);
    return out;
}

void LivePlot::addLightMark(double t, const QColor &color, const QString &detail)
{
    if (int(m_lightMarks.size()) >= kMaxLightMarks) {
        m_plot->removeItem(m_lightMarks.front().line);
        m_lightMarks.erase(m_lightMarks.begin());
    }
    LightMark m;
    m.t = t;
    m.detail = detail;
    // A tick up from the time axis over the lowest 6 % of the plot, whatever the value axes do.
    m.line = new QCPItemLine(m_plot);
    m.line->setSelectable(false);
    for (QCPItemPosition *p : { m.line->start, m.line->end }) {
        p->setTypeX(QCPItemPosition::ptPlotCoords);
        p->setTypeY(QCPItemPosition::ptAxisRectRatio);
    }
    m.line->start->setCoords(t, 1.0);
    m.line->end->setCoords(t, 0.94);
    QColor c = color;
    c.setAlpha(150);
    m.line->setPen(seriesPen(c, Qt::SolidLine));
    m_lightMarks.push_back(m);
    requestReplot();
}

std::vector<double> LivePlot::lightMarkTimes() const
{
    std::vector<double> out;
    for (const LightMark &m : m_lightMarks)
        out.push_back(m.t);
    return out;
}

QString LivePlot::lightMarkToolTip(int i) const
{
    if (i < 0 || i >= int(m_lightMarks.size()))
        return {};
    const LightMark &m = m_lightMarks[std::size_t(i)];
    return tr("%1 s: %2").arg(m.t, 0, 'f', 2).arg(m.detail);
}

int LivePlot::lightMarkAt(const QPointF &pos) const
{
    const QRect area = m_plot->axisRect()->rect();
    if (pos.y() < area.bottom() - area.height() * 0.06 - 3)
        return -1; // the ticks stand at the foot of the plot only
    for (int i = int(m_lightMarks.size()) - 1; i >= 0; --i)
        if (std::abs(m_plot->xAxis->coordToPixel(m_lightMarks[std::size_t(i)].t) - pos.x()) <= 3)
            return i;
    return -1;
}

void LivePlot::setNow(double t)
{
    m_now = t;
    if (m_live)
        requestReplot();
}

void LivePlot::setPhaseStarts(const std::vector<double> &starts)
{
    if (starts == m_phaseStarts)
        return;
    m_phaseStarts = starts;
    for (QCPItemRect *r : m_phaseShades)
        m_plot->removeItem(r);
    m_phaseShades.clear();
    // Phases 2, 4, ...: from their start to the next phase's (or far right while open). Full height
    // whatever the value axis does: x in plot coordinates, y as a share of the axis rect.
    for (std::size_t i = 0; i < starts.size(); i += 2) {
        auto *r = new QCPItemRect(m_plot);
        r->setSelectable(false);
        r->setLayer(QStringLiteral("background"));
        r->topLeft->setTypeX(QCPItemPosition::ptPlotCoords);
        r->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
        r->bottomRight->setTypeX(QCPItemPosition::ptPlotCoords);
        r->bottomRight->setTypeY(QCPItemPosition::ptAxisRectRatio);
        r->topLeft->setCoords(starts[i], 0);
        r->bottomRight->setCoords(i + 1 < starts.size() ? starts[i + 1] : 1e9, 1);
        r->setPen(Qt::NoPen);
        QColor shade = palette().color(QPalette::Text);
        shade.setAlpha(14);
        r->setBrush(shade);
        m_phaseShades.push_back(r);
    }
    requestReplot();
}

void LivePlot::clear()
{
    setPhaseStarts({});
    m_plot->clearGraphs();
    m_series.clear();
    for (const Reference &r : m_references) {
        m_plot->removeItem(r.line);
        m_plot->removeItem(r.text);
    }
    m_references.clear();
    for (const Marker &m : m_markers) {
        m_plot->removeItem(m.line);
        m_plot->removeItem(m.text);
    }
    m_markers.clear();
    for (const LightMark &m : m_lightMarks)
        m_plot->removeItem(m.line);
    m_lightMarks.clear();
    m_now = 0;
    setLive(true);
    requestReplot();
}

void LivePlot::setBadge(const QString &text, const QString &tip)
{
    m_badgeText = text;
    m_badge->setToolTip(tip.isEmpty() ? text : tip);
    fitBadge();
}

QString LivePlot::badgeText() const
{
    return m_badgeText;
}

void LivePlot::fitBadge()
{
    if (m_badgeText.isEmpty()) {
        m_badge->hide();
        return;
    }
    // The longest leading parts that leave the title whole (up to 320 px of it) and "Live" its
    // room: the mark's first part always shows; the hover and the status bar have it whole.
    const QString sep = QStringLiteral(" · ");
    QStringList parts = m_badgeText.split(sep);
    const QFontMetrics fm(m_badge->font());
    const int title = std::min(m_title->fontMetrics().horizontalAdvance(m_fullTitle), 320);
    const int room = width() - m_liveButton->sizeHint().width() - title - 30;
    while (parts.size() > 1 && fm.horizontalAdvance(parts.join(sep)) + 12 > room)
        parts.removeLast();
    m_badge->setText(parts.join(sep));
    m_badge->show();
}

void LivePlot::setLive(bool live)
{
    if (m_live == live)
        return;
    m_live = live;
    {
        const QSignalBlocker block(m_liveButton);
        m_liveButton->setChecked(live);
    }
    if (live)
        requestReplot();
    Q_EMIT liveChanged(live);
}

void LivePlot::showTimeRange(double lower, double upper)
{
    // Goes through the same path as a drag or zoom: the range change pauses the view.
    m_plot->xAxis->setRange(lower, upper);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

QWidget *LivePlot::plotWidget() const
{
    return m_plot;
}

int LivePlot::pointCount(int series, double from, double to) const
{
    if (pointCount(series) == 0)
        return 0;
    const auto points = m_series[std::size_t(series)].graph->data();
    return int(points->findEnd(to, false) - points->findBegin(from, false));
}

QString LivePlot::seriesName(int series) const
{
    return series >= 0 && series < seriesCount() ? m_series[std::size_t(series)].name : QString();
}

QColor LivePlot::seriesColor(int series) const
{
    return series >= 0 && series < seriesCount() ? m_series[std::size_t(series)].color : QColor();
}

int LivePlot::pointCount(int series) const
{
    return series >= 0 && series < seriesCount() ? m_series[std::size_t(series)].graph->data()->size() : 0;
}

double LivePlot::maxValue(int series) const
{
    if (pointCount(series) == 0)
        return 0;
    bool found = false;
    const QCPRange r = m_series[std::size_t(series)].graph->getValueRange(found);
    return found ? r.upper : 0.0;
}

double LivePlot::lastValue(int series) const
{
    if (pointCount(series) == 0)
        return 0;
    const auto points = m_series[std::size_t(series)].graph->data();
    return (points->constEnd() - 1)->value;
}

std::pair<double, double> LivePlot::timeRange() const
{
    return { m_plot->xAxis->range().lower, m_plot->xAxis->range().upper };
}

QString LivePlot::valuesAt(double t) const
{
    QStringList lines;
    lines << tr("t %1 s").arg(t, 0, 'f', 2);
    for (const Series &s : m_series) {
        const auto points = s.graph->data();
        auto it = points->findEnd(t, false); // first point after t
        if (it == points->constBegin())
            continue;
        --it;
        lines << QStringLiteral("%1: %2").arg(s.name, formatValue(it->value));
    }
    return lines.join(QLatin1Char('\n'));
}

void LivePlot::requestReplot()
{
    if (!m_replotTimer.isActive())
        m_replotTimer.start();
}

void LivePlot::followNow()
{
    const double upper = std::max(m_window, m_now);
    m_settingRange = true;
    m_plot->xAxis->setRange(std::max(0.0, upper - m_window), upper);
    m_settingRange = false;
}

void LivePlot::fitValueAxes()
{
    const QCPRange keys = m_plot->xAxis->range();
    for (Axis axis : { Axis::Left, Axis::Right, Axis::Right2 }) {
        const AxisFit &f = m_fit[int(axis)];
        if (f.fixed)
            continue;
        double upper = 0;
        for (const Series &s : m_series) {
            if (s.axis != axis)
                continue;
            bool found = false;
            const QCPRange r = s.graph->getValueRange(found, QCP::sdBoth, keys);
            if (found)
                upper = std::max(upper, r.upper);
        }
        for (const Reference &r : m_references)
            if (r.axis == axis)
                upper = std::max(upper, r.value);
        m_settingRange = true;
        if (f.log) // a decade of headroom would waste the plot; a factor 2 reads well on a log axis
            valueAxis(axis)->setRange(f.floor, std::max({ upper * 2.0, f.minimumUpper, f.floor * 10 }));
        else
            valueAxis(axis)->setRange(0, std::max(upper * f.headroom, f.minimumUpper));
        m_settingRange = false;
    }
}

void LivePlot::replotNow()
{
    if (m_live)
        followNow();
    fitValueAxes();
    m_plot->replot();
    ++m_replots;
}

QImage LivePlot::renderImage(const QSize &size, double scale)
{
    if (m_live)
        followNow();
    fitValueAxes();
    // On paper hairlines fade and an unlabelled time axis reads badly: wider pens and a time label,
    // for this picture only.
    const QString xLabel = m_plot->xAxis->label();
    m_plot->xAxis->setLabel(tr("time since the run started (s)"));
    for (const Series &s : m_series) {
        if (s.filled)
            continue;
        QPen pen(s.color, 1.4, s.style);
        pen.setCosmetic(false);
        s.graph->setPen(pen);
    }
    const QImage image = m_plot->toPixmap(size.width(), size.height(), scale).toImage();
    for (const Series &s : m_series)
        if (!s.filled)
            s.graph->setPen(seriesPen(s.color, s.style));
    m_plot->xAxis->setLabel(xLabel);
    return image;
}

void LivePlot::onMouseMove(QMouseEvent *event)
{
    const QPointF pos = event->position();
    if (!m_plot->axisRect()->rect().contains(pos.toPoint()) || m_series.empty()) {
        if (m_cursor->visible()) {
            m_cursor->setVisible(false);
            m_plot->replot(QCustomPlot::rpQueuedReplot);
        }
        QToolTip::hideText();
        return;
    }
    for (int i = int(m_markers.size()) - 1; i >= 0; --i)
        if (m_markers[std::size_t(i)].rect.contains(pos)) {
            QToolTip::showText(event->globalPosition().toPoint(), markerToolTip(i), m_plot);
            return;
        }
    if (const int light = lightMarkAt(pos); light >= 0) {
        QToolTip::showText(event->globalPosition().toPoint(), lightMarkToolTip(light), m_plot);
        return;
    }
    const double t = m_plot->xAxis->pixelToCoord(pos.x());
    m_cursor->point1->setCoords(t, 0);
    m_cursor->point2->setCoords(t, 1);
    m_cursor->setVisible(true);
    QToolTip::showText(event->globalPosition().toPoint(), valuesAt(t), m_plot);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

bool LivePlot::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_title && event->type() == QEvent::Resize) {
        const QString shown = m_title->fontMetrics().elidedText(m_fullTitle, Qt::ElideRight, m_title->width());
        if (shown != m_title->text())
            m_title->setText(shown);
    }
    if (watched == m_plot && event->type() == QEvent::Leave && m_cursor->visible()) {
        m_cursor->setVisible(false);
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    }
    return QWidget::eventFilter(watched, event);
}

void LivePlot::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    if (!m_badgeText.isEmpty())
        fitBadge();
}

void LivePlot::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange)
        applyPalette();
    QWidget::changeEvent(event);
}

void LivePlot::applyPalette()
{
    const QPalette pal = palette();
    const QColor fg = pal.color(QPalette::Text);
    QColor axisColor = fg;
    axisColor.setAlpha(150);
    QColor gridColor = fg;
    gridColor.setAlpha(35);
    m_plot->setBackground(pal.brush(QPalette::Base));
    for (QCPAxis *a : { m_plot->xAxis, m_plot->yAxis, m_plot->yAxis2, m_right2 }) {
        a->setBasePen(QPen(axisColor));
        a->setTickPen(QPen(axisColor));
        a->setSubTickPen(QPen(axisColor));
        a->setTickLabelColor(fg);
        a->setLabelColor(fg);
        a->grid()->setPen(QPen(gridColor, 0, Qt::DotLine));
        a->grid()->setZeroLinePen(QPen(gridColor));
    }
    m_plot->yAxis2->grid()->setVisible(false);
    m_right2->grid()->setVisible(false);
    m_plot->legend->setBrush(Qt::NoBrush);
    m_plot->legend->setBorderPen(Qt::NoPen);
    m_plot->legend->setTextColor(fg);
    QColor markerColor = fg;
    markerColor.setAlpha(140);
    QColor labelBack = pal.color(QPalette::Base);
    labelBack.setAlpha(200);
    for (const Marker &m : m_markers) {
        m.line->setPen(seriesPen(markerColor, Qt::DashLine));
        m.text->setColor(fg);
        m.text->setBrush(labelBack);
    }
    QColor cursorColor = fg;
    cursorColor.setAlpha(90);
    m_cursor->setPen(seriesPen(cursorColor, Qt::DotLine));
    requestReplot();
}

} // namespace hs
