#pragma once

#include <QColor>
#include <QStringList>
#include <QTimer>
#include <QWidget>

#include <vector>

class QCPAxis;
class QCPGraph;
class QCPItemLine;
class QCPItemRect;
class QCPItemStraightLine;
class QCPItemText;
class QCustomPlot;
class QLabel;
class QMouseEvent;
class QResizeEvent;
class QToolButton;

namespace hs {

/**
 * One live time plot: series that grow as frames arrive, horizontal reference lines (an SLA, a
 * threshold) and labelled vertical markers for changes made during the run. Replots are coalesced
 * by a single-shot timer (kReplotMs unless setReplotDelay() says otherwise), never one per point. While live, the time
 * axis follows the run's clock; dragging or zooming (mouse wheel) pauses the view while the data
 * keeps arriving, and "Live" (or a double click) follows the run again. Hovering shows the value
 * of every series at the pointer. Old history is downsampled so memory stays bounded.
 *
 *     LivePlot p(tr("Queue depth"), tr("stages"));
 *     const int s = p.addSeries(QStringLiteral("threads"), domainColor(DomainKind::Threads));
 *     p.addPoint(s, frame.t, frame.domains[1].queue);
 *     p.setNow(frame.t);
 *     p.addMarker(event.t, event.label);
 */
class LivePlot : public QWidget {
    Q_OBJECT
public:
    /// Right2: a second value axis right of the first (workers beside utilization %).
    enum class Axis { Left, Right, Right2 };

    /// Default coalescing delay of replots (PlotJuggler's habit: about 25 redraws a second at most).
    static constexpr int kReplotMs = 40;
    /// A series is downsampled once it holds more points than this.
    static constexpr int kMaxPointsPerSeries = 4000;
    /// The most recent seconds keep full resolution when a series is downsampled.
    static constexpr double kFullResolutionSeconds = 120.0;
    /// Markers beyond this count drop the oldest.
    static constexpr int kMaxMarkers = 200;
    /// Light marks beyond this count drop the oldest.
    static constexpr int kMaxLightMarks = 1000;

    explicit LivePlot(const QString &title, const QString &leftLabel, QWidget *parent = nullptr);
    ~LivePlot() override;

    /// Shows a right value axis (Right or Right2) with this label (e.g. "%" for utilization).
    void setRightAxisLabel(const QString &label, Axis axis = Axis::Right);
    /// Fixes an axis to [lower, upper] instead of fitting it to the visible data.
    void setFixedRange(Axis axis, double lower, double upper);
    /// The smallest upper bound of an auto-fitted axis (so that an idle series does not fill the plot with noise).
    void setMinimumUpper(Axis axis, double upper);
    /// Room above the largest value of a linear axis, as a factor (default 1.12). A large factor keeps a
    /// series in the lower part of the plot (a count under a log-scale lag line).
    void setHeadroom(Axis axis, double factor);
    /// A logarithmic axis from `floor` up (latency and lag span decades); smaller values are drawn at the floor.
    void setLogScale(Axis axis, double floor);
    /// The time span shown while live, in seconds.
    void setTimeWindow(double seconds);
    /// Coalescing delay of this plot's replots (default kReplotMs).
    void setReplotDelay(int ms);

    int addSeries(const QString &name, const QColor &color, Axis axis = Axis::Left, Qt::PenStyle style = Qt::SolidLine,
        bool inLegend = true);
    void addPoint(int series, double t, double value);
    /// A horizontal line across the plot, labelled at its right end.
    void addReferenceLine(double value, const QColor &color, const QString &label, Axis axis = Axis::Left);
    /// A labelled vertical marker at time `t` (a change made while running). `label` is short (it is
    /// drawn, staggered so that labels never overlap); `detail`, if any, is the hover text.
    void addMarker(double t, const QString &label, const QString &detail = {});
    /// A light mark at time `t`: a short tick in `color` at the foot of the plot, no label, `detail`
    /// as its hover text. For frequent events that change no configuration (an autoscale
    /// controller's resizes), which full markers would bury the plot under.
    void addLightMark(double t, const QColor &color, const QString &detail);
    int lightMarkCount() const { return int(m_lightMarks.size()); }
    std::vector<double> lightMarkTimes() const;
    /// Hover text of light mark i ("12.30 s: threads autoscale (queue): 2 → 4 workers, …").
    QString lightMarkToolTip(int i) const;
    /// The start times of the run's phases after the first (results/phases.h): every other phase
    /// is shaded lightly, so the plots show which configuration each stretch belongs to.
    void setPhaseStarts(const std::vector<double> &starts);
    int shadedPhaseCount() const { return int(m_phaseShades.size()); }
    /// Draws a series as steps (counts, such as starved stages) instead of a line: filled shaded
    /// areas with no outline, or, unfilled, a step line in the series' pen (a pool's size).
    void setSeriesSteps(int series, bool filled = true);
    /// Ticks at whole numbers only on this axis (counts).
    void setIntegerTicks(Axis axis);
    /// The run's clock: while live the time axis follows it.
    void setNow(double t);
    /// Removes every series, point, reference line and marker (a new run or scenario).
    void clear();
    /// A badge in the title row, beside "Live" (e.g. "SIMULATED · 64 cores"): what the plot's data
    /// is, kept apart from the data; empty hides it. `tip` is its hover text.
    void setBadge(const QString &text, const QString &tip = {});
    /// The badge's text, empty when hidden.
    QString badgeText() const;

    bool isLive() const { return m_live; }
    void setLive(bool live);
    /// Shows [lower, upper] and holds the view there, as a drag or zoom by the user does.
    void showTimeRange(double lower, double upper);
    /// The plot drawn into an image of `size` logical pixels at `scale` device pixels each, with the
    /// axes fitted as a replot would (reports; works on the offscreen platform, the widget unshown).
    QImage renderImage(const QSize &size, double scale = 2.0);
    /// Re-reads the palette (light or dark theme) and the series colours.
    void setSeriesColor(int series, const QColor &color);

    // Read access, for tests and the hover text.
    QCustomPlot *customPlot() const { return m_plot; }
    /// The plot area as a plain widget (mouse and wheel events go here).
    QWidget *plotWidget() const;
    QString title() const;
    int seriesCount() const { return int(m_series.size()); }
    QString seriesName(int series) const;
    QColor seriesColor(int series) const;
    int pointCount(int series) const;
    /// Points of a series with from <= t <= to.
    int pointCount(int series, double from, double to) const;
    /// Largest value of a series over its whole (downsampled) history; 0 when empty.
    double maxValue(int series) const;
    double lastValue(int series) const;
    int referenceLineCount() const { return int(m_references.size()); }
    double referenceValue(int i) const;
    QStringList markerLabels() const;
    /// Hover text of marker i (its detail, or its label).
    QString markerToolTip(int i) const;
    /// Where marker i's label was drawn at the last layout, in plot-widget pixels; empty when it
    /// was not drawn (its time is out of view, or no free row was left: the hover still tells it).
    QRectF markerLabelRect(int i) const;
    /// Where reference line i's label was drawn at the last layout.
    QRectF referenceLabelRect(int i) const;
    /// The area inside the axes at the last layout, in plot-widget pixels.
    QRect axisRectGeometry() const;
    /// Times of the markers, in the order they were added.
    std::vector<double> markerTimes() const;
    /// "t 12.30 s" then one "name: value" line per series, at time t (the hover text).
    QString valuesAt(double t) const;
    /// How many replots ran (coalescing check).
    int replotCount() const { return m_replots; }
    /// The visible time range [lower, upper].
    std::pair<double, double> timeRange() const;

Q_SIGNALS:
    void liveChanged(bool live);

public Q_SLOTS:
    /// Asks for a replot; several requests within kReplotMs become one.
    void requestReplot();

protected:
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    struct Series {
        QCPGraph *graph = nullptr;
        QString name;
        QColor color;
        Qt::PenStyle style = Qt::SolidLine;
        Axis axis = Axis::Left;
        bool steps = false;
        bool filled = false; ///< filled steps: shaded area, no pen
    };
    struct LightMark {
        QCPItemLine *line = nullptr;
        double t = 0;
        QString detail;
    };
    struct Reference {
        QCPItemStraightLine *line = nullptr;
        QCPItemText *text = nullptr;
        double value = 0;
        Axis axis = Axis::Left;
        QColor color;
    };
    struct Marker {
        QCPItemStraightLine *line = nullptr;
        QCPItemText *text = nullptr;
        double t = 0;
        QString label;
        QString detail;
        QRectF rect; ///< drawn label, empty when hidden
    };
    struct AxisFit {
        bool fixed = false;
        bool log = false;
        double lower = 0, upper = 1, minimumUpper = 1;
        double floor = 0; ///< log axes only
        double headroom = 1.12;
    };

    QCPAxis *valueAxis(Axis axis) const;
    /// The light mark whose tick is at `pos` (within a few pixels), or -1.
    int lightMarkAt(const QPointF &pos) const;
    void replotNow();
    void followNow();
    void fitValueAxes();
    void compact(Series &s);
    void applyPalette();
    void placeMarkerLabels();
    void fitLegend();
    void onMouseMove(QMouseEvent *event);
    void fitBadge();

    QLabel *m_title = nullptr;
    QString m_fullTitle;
    QToolButton *m_liveButton = nullptr;
    QLabel *m_badge = nullptr;
    QString m_badgeText; ///< whole; the badge drops its last " · " parts when the plot is narrow
    QCustomPlot *m_plot = nullptr;
    QCPItemStraightLine *m_cursor = nullptr;
    std::vector<Series> m_series;
    std::vector<Reference> m_references;
    std::vector<Marker> m_markers;
    std::vector<LightMark> m_lightMarks;
    QCPAxis *m_right2 = nullptr; ///< Axis::Right2, hidden until labelled
    std::vector<double> m_phaseStarts;
    std::vector<QCPItemRect *> m_phaseShades;
    AxisFit m_fit[3];
    QTimer m_replotTimer;
    double m_now = 0;
    double m_window = 60;
    bool m_live = true;
    bool m_settingRange = false; // our own range changes are not the user's
    bool m_rightAxis = false;
    int m_legendColumns = 5;
    int m_replots = 0;
};

} // namespace hs
