#include "tuneview.h"

#include "domainstyle.h"
#include "qcustomplot.h"
#include "reportwriter.h"
#include "results/report.h"
#include "run/engine.h"
#include "scenario/scenarioparser.h"
#include "sim/calibration.h"
#include "simplayer.h"
#include "tuning/simpoint.h"
#include "tuning/sweepreport.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollBar>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTableView>
#include <QTextBrowser>
#include <QThread>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace hs {

namespace {

// A field of seconds: its name for tests, range, decimals, start value and what it means.
QDoubleSpinBox *secondsBox(
    QWidget *parent, const QString &name, double lo, double hi, int decimals, double value, const QString &tip)
{
    auto *box = new QDoubleSpinBox(parent);
    box->setObjectName(name);
    box->setRange(lo, hi);
    box->setDecimals(decimals);
    box->setSuffix(QCoreApplication::translate("hs::TuneView", " s"));
    box->setValue(value);
    box->setToolTip(tip);
    return box;
}

constexpr int kMaxSimCores = SimPlayer::kMaxCores;
constexpr double kDrainGuessS = 1.3; // a point's start, drain and teardown beyond its duration, about

QString clockText(double s)
{
    s = std::max(0.0, s);
    const int m = int(s / 60);
    return QStringLiteral("%1:%2").arg(m).arg(int(s) % 60, 2, 10, QLatin1Char('0'));
}

QString axisLabel(const QString &path)
{
    if (path == QLatin1String("load"))
        return TuneView::tr("load (× arrival rates)");
    const QStringList parts = path.split(QLatin1Char('.'));
    if (parts.size() == 3 && parts[0] == QLatin1String("domains") && parts[2] == QLatin1String("workers"))
        return TuneView::tr("%1 workers").arg(parts[1]);
    return path;
}

QString valueOf(const SweepValues &values, const QString &path)
{
    for (const auto &[p, v] : values)
        if (p == path)
            return v;
    return {};
}

// "threads workers = 5, load (× arrival rates) = 1.2"
QString valuesLabel(const SweepValues &values)
{
    QStringList parts;
    for (const auto &[path, value] : values)
        parts << QStringLiteral("%1 = %2").arg(axisLabel(path), value);
    return parts.join(QStringLiteral(", "));
}

double numberOf(const SweepValues &values, const QString &path)
{
    bool ok = false;
    const double v = valueOf(values, path).toDouble(&ok);
    return ok ? v : std::numeric_limits<double>::quiet_NaN();
}

// A sweep point's scenario: the pools' workers set, every arrival rate scaled by the load.
std::optional<Scenario> pointScenario(const Scenario &base, const SweepValues &values, QString *error)
{
    Scenario s = base;
    for (const auto &[path, value] : values) {
        if (path == QLatin1String("load"))
            continue;
        VaryAxis axis { path, {} };
        const auto d = axis.poolDomain();
        bool ok = false;
        const int workers = value.toInt(&ok);
        if (!d || !ok) {
            *error = TuneView::tr("%1=%2 cannot be applied here").arg(path, value);
            return std::nullopt;
        }
        s.domain(*d).workers = workers;
        s.domain(*d).declared = true;
    }
    if (!scaleLoad(s, pointLoad(values), error))
        return std::nullopt;
    return s;
}

QString msText(double ms)
{
    return ms >= 100 ? QString::number(ms, 'f', 0)
        : ms >= 10   ? QString::number(ms, 'f', 1)
                     : QString::number(ms, 'g', 3);
}

QString p99Text(const SweepClassFigures &c)
{
    if (!c.p99Ms)
        return QStringLiteral("—");
    QString t = msText(*c.p99Ms);
    t += QStringLiteral(" [%1, %2]")
             .arg(c.ciLoMs ? msText(*c.ciLoMs) : QStringLiteral("?"),
                 c.ciHiMs ? msText(*c.ciHiMs) : QStringLiteral("?"));
    if (c.slaP99Ms)
        t += c.slaMet ? QStringLiteral(" ✓") : QStringLiteral(" ✗");
    return t;
}

// Plots follow the window's palette (a dark theme too).
void stylePlot(QCustomPlot *p, const QString &xLabel, const QString &yLabel)
{
    const QPalette pal = p->palette();
    p->setBackground(pal.color(QPalette::Base));
    const QColor text = pal.color(QPalette::Text);
    for (QCPAxis *a : { p->xAxis, p->yAxis }) {
        a->setBasePen(QPen(text));
        a->setTickPen(QPen(text));
        a->setSubTickPen(QPen(text));
        a->setTickLabelColor(text);
        a->setLabelColor(text);
        a->grid()->setPen(QPen(pal.color(QPalette::Mid), 0, Qt::DotLine));
    }
    p->xAxis->setLabel(xLabel);
    p->yAxis->setLabel(yLabel);
    p->legend->setVisible(true);
    p->legend->setBrush(QBrush(pal.color(QPalette::Base)));
    p->legend->setTextColor(text);
    p->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
}

// What a text item on a plot labels; placeLabels() puts it where it overlaps no other label.
enum class LabelKind { Sla, Recommendation, Knee };

// At each layout, in pixels, labels in order of kind: an SLA's at the right edge above its line,
// else below it (then the left edge); the recommendation in rows from the top of the axes, knees
// in rows from the bottom, right of their line (left near the right edge). Each goes in the first
// place inside the axes that no earlier label covers; a label with no room is not drawn (the
// table and the details pane tell the same). As LivePlot::placeMarkerLabels does for a run.
void placeLabels(QCustomPlot *p)
{
    const QRectF area = p->axisRect()->rect();
    std::vector<QRectF> taken;
    const auto fits = [&](const QRectF &r) {
        return area.adjusted(-1, -1, 1, 1).contains(r)
            && std::none_of(
                taken.begin(), taken.end(), [&](const QRectF &o) { return o.adjusted(-2, -1, 2, 1).intersects(r); });
    };
    for (const LabelKind kind : { LabelKind::Sla, LabelKind::Recommendation, LabelKind::Knee }) {
        for (int i = 0; i < p->itemCount(); ++i) {
            auto *text = qobject_cast<QCPItemText *>(p->item(i));
            if (!text || text->property("labelKind").toInt() != int(kind) || !text->property("labelAt").isValid())
                continue;
            text->setVisible(false);
            const double at = text->property("labelAt").toDouble();
            const QMargins pad = text->padding();
            const QSizeF size
                = QSizeF(QFontMetricsF(text->font())
                             .boundingRect(QRectF(), Qt::TextDontClip | text->textAlignment(), text->text())
                             .size())
                + QSizeF(pad.left() + pad.right(), pad.top() + pad.bottom());
            std::vector<QRectF> places;
            if (kind == LabelKind::Sla) {
                const double y = p->yAxis->coordToPixel(at);
                if (!std::isfinite(y) || y < area.top() || y > area.bottom())
                    continue;
                for (const double left : { area.right() - 3 - size.width(), area.left() + 3 })
                    for (const double top : { y - 1 - size.height(), y + 1 })
                        places.emplace_back(QPointF(left, top), size);
            } else {
                const double x = p->xAxis->coordToPixel(at);
                if (!std::isfinite(x) || x < area.left() || x > area.right())
                    continue;
                double left = x + 3;
                if (left + size.width() > area.right() - 1)
                    left = std::max(area.left() + 1, x - 3 - size.width());
                const double step = size.height() + 2;
                for (int row = 0; (row + 1) * step <= area.height(); ++row)
                    places.emplace_back(
                        QPointF(left,
                            kind == LabelKind::Recommendation ? area.top() + 2 + row * step
                                                              : area.bottom() - 2 - size.height() - row * step),
                        size);
            }
            for (const QRectF &r : places)
                if (fits(r)) {
                    text->position->setType(QCPItemPosition::ptAbsolute);
                    text->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
                    text->position->setCoords(r.topLeft());
                    text->setVisible(true);
                    taken.push_back(r);
                    break;
                }
        }
    }
}

// Once per plot: the legend in a row under the axes, never over the points.
void placeLegend(QCustomPlot *p)
{
    QFont f = p->legend->font();
    f.setPointSizeF(f.pointSizeF() * 0.85);
    p->legend->setFont(f);
    p->legend->setBorderPen(Qt::NoPen);
    p->axisRect()->insetLayout()->take(p->legend);
    p->plotLayout()->addElement(1, 0, p->legend);
    p->plotLayout()->setRowStretchFactor(1, 0.001);
    p->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    p->legend->setWrap(3);
    p->legend->setMargins(QMargins(4, 0, 4, 2));
    p->plotLayout()->setRowSpacing(0);
    QObject::connect(p, &QCustomPlot::afterLayout, p, [p] { placeLabels(p); });
}

void resetPlot(QCustomPlot *p)
{
    p->clearItems();
    p->clearPlottables();
    p->clearGraphs();
    p->xAxis->setScaleType(QCPAxis::stLinear);
    p->xAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    p->yAxis->setScaleType(QCPAxis::stLinear);
    p->yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
}

// x axis over the varied values: log when they step geometrically, ticks at the values.
void setXAxis(QCustomPlot *p, const std::vector<double> &xs)
{
    if (xs.empty())
        return;
    const auto [lo, hi] = std::minmax_element(xs.begin(), xs.end());
    bool geometric = xs.size() >= 3 && xs.front() > 0 && xs[1] / xs[0] >= 1.5;
    for (std::size_t i = 2; geometric && i < xs.size(); ++i)
        geometric = std::abs(xs[i] / xs[i - 1] - xs[1] / xs[0]) <= 0.05 * xs[1] / xs[0];
    if (geometric) {
        p->xAxis->setScaleType(QCPAxis::stLogarithmic);
        p->xAxis->setRange(*lo / 1.2, *hi * 1.2);
    } else {
        const double pad = *hi > *lo ? (*hi - *lo) * 0.06 : 0.5;
        p->xAxis->setRange(*lo - pad, *hi + pad);
    }
    if (xs.size() <= 12) {
        auto ticker = QSharedPointer<QCPAxisTickerText>::create();
        for (double v : xs)
            ticker->addTick(v, QString::number(v, 'g', 6));
        p->xAxis->setTicker(ticker);
    }
}

void horizontalLine(QCustomPlot *p, double y, const QColor &color, const QString &label)
{
    auto *line = new QCPItemStraightLine(p);
    line->point1->setCoords(0, y);
    line->point2->setCoords(1, y);
    line->setPen(QPen(color, 1.2, Qt::DashLine));
    auto *text = new QCPItemText(p);
    text->setProperty("labelKind", int(LabelKind::Sla));
    text->setProperty("labelAt", y);
    text->setVisible(false); // placed at each layout (placeLabels)
    text->setPadding(QMargins(2, 0, 2, 0));
    text->setText(label);
    text->setColor(color);
}

void verticalLine(
    QCustomPlot *p, double x, const QColor &color, Qt::PenStyle style, const QString &label, LabelKind kind)
{
    auto *line = new QCPItemStraightLine(p);
    line->point1->setCoords(x, 1);
    line->point2->setCoords(x, 2);
    line->setPen(QPen(color, 1.4, style));
    auto *text = new QCPItemText(p);
    text->setProperty("labelKind", int(kind));
    text->setProperty("labelAt", x);
    text->setVisible(false); // placed at each layout (placeLabels)
    text->setPadding(QMargins(2, 0, 2, 0));
    text->setText(label);
    text->setColor(color);
}

QCPGraph *series(QCustomPlot *p, const QString &name, const QColor &color, Qt::PenStyle style, bool dots)
{
    QCPGraph *g = p->addGraph();
    g->setName(name);
    g->setPen(QPen(color, 1.6, style));
    if (dots)
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, color, color, 7));
    return g;
}

} // namespace

TuneView::TuneView(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("tuneView"));
    buildUi();
    checkSetup();
}

TuneView::~TuneView()
{
    // The window does not close while a sweep runs (it cancels first); this is the last resort.
    if (m_runner)
        m_runner->stopNow();
    if (m_tuner)
        m_tuner->stopNow();
}

void TuneView::buildUi()
{
    auto *top = new QVBoxLayout(this);
    top->setContentsMargins(4, 4, 4, 4);
    top->setSpacing(4);

    // --- What to vary, how long each point runs -------------------------------------------
    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setContentsMargins(0, 0, 0, 0);
    form->setVerticalSpacing(3);
    const QString rangeTip = tr("Values in the --vary grammar: a list 1,2,4,8; every integer 1..16; geometric "
                                "1..64x2; stepped 0.5..2:0.25");
    for (int a = 0; a < 2; ++a) {
        m_vary[a] = new QComboBox(this);
        m_vary[a]->setObjectName(a == 0 ? QStringLiteral("varyCombo") : QStringLiteral("varyCombo2"));
        m_vary[a]->setToolTip(a == 0 ? tr("What the sweep varies: a pool's workers or the load (every class's "
                                          "arrival rate times a factor)")
                                     : tr("A second variable makes a grid (at most 200 points in all)"));
        m_range[a] = new QLineEdit(this);
        m_range[a]->setObjectName(a == 0 ? QStringLiteral("rangeEdit") : QStringLiteral("rangeEdit2"));
        m_range[a]->setToolTip(rangeTip);
        m_range[a]->setPlaceholderText(QStringLiteral("1..16, 1..64x2, 0.5..2:0.25, 1,2,4"));
        auto *row = new QHBoxLayout;
        row->setSpacing(4);
        row->addWidget(m_vary[a], 1);
        row->addWidget(m_range[a], 1);
        form->addRow(a == 0 ? tr("Vary") : tr("and"), row);
        connect(m_vary[a], &QComboBox::activated, this, [this, a] {
            // A sensible range for what was picked: around the pool's size, or 0.5 to 1.5 × the load.
            const QString path = m_vary[a]->currentData().toString();
            VaryAxis axis { path, {} };
            if (path.isEmpty())
                m_range[a]->clear();
            else if (axis.isLoad())
                m_range[a]->setText(QStringLiteral("0.5..1.5:0.25"));
            else if (const auto d = axis.poolDomain()) {
                const int w = std::max(1, m_scenario.domain(*d).workers);
                const int lo = std::max(1, w / 2), hi = std::max(lo + 3, w * 2);
                const int step = std::max(1, (hi - lo) / 5);
                m_range[a]->setText(step == 1 ? QStringLiteral("%1..%2").arg(lo).arg(hi)
                                              : QStringLiteral("%1..%2:%3").arg(lo).arg(hi).arg(step));
            }
            checkSetup();
        });
        connect(m_range[a], &QLineEdit::textChanged, this, &TuneView::checkSetup);
    }

    m_duration = secondsBox(this, QStringLiteral("durationBox"), 1, 3600, 1, 5,
        tr("Each point is a full run this long, its warm-up included"));
    m_warmup = secondsBox(this, QStringLiteral("warmupBox"), 0, 3600, 1, 1,
        tr("The start of each run not measured (empty queues, cold pools)"));
    m_reps = new QSpinBox(this);
    m_reps->setObjectName(QStringLiteral("repsBox"));
    m_reps->setRange(1, 20);
    m_reps->setToolTip(tr("Runs per point with seeds seed, seed+1, …: 2 or more give the P99's interval from the "
                          "replications (docs/tuning.md)"));
    auto *timeRow = new QHBoxLayout;
    timeRow->setSpacing(4);
    timeRow->addWidget(m_duration);
    timeRow->addWidget(new QLabel(tr("warm-up"), this));
    timeRow->addWidget(m_warmup);
    timeRow->addWidget(new QLabel(tr("reps"), this));
    timeRow->addWidget(m_reps);
    timeRow->addStretch(1);
    form->addRow(tr("Per point"), timeRow);

    m_budget = secondsBox(this, QStringLiteral("budgetBox"), 10, 24 * 3600, 0, 120,
        tr("Tune: wall time for the whole search, its measuring run included"));
    m_load = new QDoubleSpinBox(this);
    m_load->setObjectName(QStringLiteral("loadBox"));
    m_load->setRange(0.01, kMaxLoadFactor);
    m_load->setDecimals(2);
    m_load->setPrefix(QStringLiteral("× "));
    m_load->setValue(1);
    m_load->setToolTip(tr("Tune: at the scenario's load times this factor"));
    auto *tuneRow = new QHBoxLayout;
    tuneRow->setSpacing(4);
    tuneRow->addWidget(m_budget);
    tuneRow->addWidget(new QLabel(tr("load"), this));
    tuneRow->addWidget(m_load);
    tuneRow->addStretch(1);
    form->addRow(tr("Tune budget"), tuneRow);

    m_simulate = new QCheckBox(tr("Simulate first"), this);
    m_simulate->setObjectName(QStringLiteral("simulateBox"));
    m_simulate->setToolTip(tr("Sweep: every point simulated in virtual time (sweep --sim), in a fraction of a "
                              "second each. Tune: the search runs in virtual time, then the K cheapest "
                              "configurations that met every SLA run on the engine (tune --sim --confirm K); the "
                              "answer is the cheapest the engine confirmed. Simulated points say “sim”."));
    m_simCores = new QSpinBox(this);
    m_simCores->setObjectName(QStringLiteral("simCoresBox"));
    m_simCores->setRange(1, kMaxSimCores);
    m_simCores->setValue(std::max(1, QThread::idealThreadCount()));
    m_simCores->setToolTip(tr("The simulated machine's cores (1 to %1; this machine has %2)")
                               .arg(kMaxSimCores)
                               .arg(std::max(1, QThread::idealThreadCount())));
    m_confirm = new QSpinBox(this);
    m_confirm->setObjectName(QStringLiteral("confirmBox"));
    m_confirm->setRange(0, 20);
    m_confirm->setValue(3);
    m_confirm->setSpecialValueText(tr("none"));
    m_confirm->setToolTip(tr("Tune: how many of the cheapest configurations that met every SLA in simulation run "
                             "again on the engine (none: the answer stays a simulated one, not confirmed)"));
    // Two short rows rather than one long one: the panel stays usable in a narrow dock.
    m_simCores->setSuffix(tr(" cores"));
    m_confirm->setSuffix(tr(" on the engine"));
    auto *simRow = new QHBoxLayout;
    simRow->setSpacing(4);
    simRow->addWidget(m_simulate);
    simRow->addWidget(m_simCores);
    simRow->addStretch(1);
    form->addRow(tr("Virtual time"), simRow);
    auto *confirmRow = new QHBoxLayout;
    confirmRow->setSpacing(4);
    confirmRow->addWidget(m_confirm);
    confirmRow->addStretch(1);
    form->addRow(tr("Confirm"), confirmRow);
    const auto simEnabled = [this] {
        m_simCores->setEnabled(m_simulate->isChecked() && !m_busy);
        m_confirm->setEnabled(m_simulate->isChecked() && !m_busy);
    };
    connect(m_simulate, &QCheckBox::toggled, this, simEnabled);
    connect(this, &TuneView::busyChanged, this, simEnabled);
    simEnabled();
    top->addLayout(form);
    for (QDoubleSpinBox *b : { m_duration, m_warmup })
        connect(b, &QDoubleSpinBox::valueChanged, this, &TuneView::checkSetup);
    connect(m_reps, &QSpinBox::valueChanged, this, &TuneView::checkSetup);

    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("setupError"));
    m_error->setWordWrap(true);

    auto *buttons = new QHBoxLayout;
    buttons->setSpacing(4);
    m_runButton = new QPushButton(tr("Run sweep"), this);
    m_runButton->setToolTip(tr("Run the scenario once per point on the real engine, one point after another"));
    m_tuneButton = new QPushButton(tr("Tune"), this);
    m_tuneButton->setToolTip(tr("Find the fewest workers in the scenario's pools that meet every class's P99 SLA, "
                                "within the budget (starts from the queueing theory's prediction)"));
    m_cancelButton = new QPushButton(tr("Cancel"), this);
    m_cancelButton->setToolTip(tr("Stop after the point in progress; again to stop that point now"));
    m_cancelButton->setEnabled(false);
    buttons->addWidget(m_runButton);
    buttons->addWidget(m_tuneButton);
    buttons->addWidget(m_cancelButton);
    // The setup's verdict beside the buttons it enables: a line of height left to the plots and table.
    buttons->addSpacing(6);
    buttons->addWidget(m_error, 1);
    top->addLayout(buttons);
    connect(m_runButton, &QPushButton::clicked, this, &TuneView::runSweep);
    connect(m_tuneButton, &QPushButton::clicked, this, &TuneView::runTune);
    connect(m_cancelButton, &QPushButton::clicked, this, &TuneView::cancel);

    m_progress = new QProgressBar(this);
    m_progress->setTextVisible(false);
    m_progress->setMaximumHeight(8);
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progressText = new QLabel(tr("Set what to vary, then Run sweep; or Tune."), this);
    m_progressText->setObjectName(QStringLiteral("progressText"));
    m_progressText->setWordWrap(true);
    top->addWidget(m_progress);
    top->addWidget(m_progressText);

    // --- The result -------------------------------------------------------------------------
    m_recommendation = new QLabel(this);
    m_recommendation->setObjectName(QStringLiteral("recommendation"));
    m_recommendation->setWordWrap(true);
    m_recommendation->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *resultButtons = new QHBoxLayout;
    resultButtons->setSpacing(4);
    m_applyButton = new QPushButton(tr("Apply"), this);
    m_applyButton->setToolTip(tr("Put the recommended pool sizes into the open scenario (the domain cards; the "
                                 "running engine too)"));
    m_saveButton = new QPushButton(tr("Save scenario as…"), this);
    m_saveButton->setToolTip(tr("Write the open scenario, with the controls as they are, as a scenario file"));
    m_exportButton = new QPushButton(tr("Export…"), this);
    m_exportButton->setToolTip(tr("A sweep: its report (HTML, PDF), JSON or CSV. A tune: its JSON"));
    resultButtons->addWidget(m_recommendation, 1); // the answer, and beside it what to do with it
    for (QPushButton *b : { m_applyButton, m_saveButton, m_exportButton }) {
        b->setEnabled(false);
        resultButtons->addWidget(b);
    }
    top->addLayout(resultButtons);
    connect(m_applyButton, &QPushButton::clicked, this, &TuneView::apply);
    connect(m_saveButton, &QPushButton::clicked, this, &TuneView::saveAsRequested);
    connect(m_exportButton, &QPushButton::clicked, this, &TuneView::exportDialog);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->setChildrenCollapsible(false);
    m_tabs = new QTabWidget(split);
    m_tabs->setDocumentMode(true);
    const auto makePlot = [this](const QString &name) {
        auto *p = new QCustomPlot(m_tabs);
        p->setObjectName(name);
        p->setMinimumHeight(140);
        placeLegend(p);
        return p;
    };
    m_p99 = makePlot(QStringLiteral("tuneP99Plot"));
    m_throughput = makePlot(QStringLiteral("tuneThroughputPlot"));
    m_utilization = makePlot(QStringLiteral("tuneUtilizationPlot"));
    m_map = makePlot(QStringLiteral("tuneMapPlot"));
    m_tabs->addTab(m_p99, tr("P99"));
    m_tabs->addTab(m_throughput, tr("Throughput"));
    m_tabs->addTab(m_utilization, tr("Utilization"));
    m_tabs->addTab(m_map, tr("SLA map"));
    m_tabs->setTabToolTip(3, tr("A grid sweep: where every class meets its SLA"));
    m_tabs->setTabEnabled(3, false);

    auto *tableHost = new QWidget(split);
    auto *tv = new QVBoxLayout(tableHost);
    tv->setContentsMargins(0, 0, 0, 0);
    tv->setSpacing(2);
    m_model = new QStandardItemModel(this);
    m_table = new QTableView(tableHost);
    m_table->setObjectName(QStringLiteral("tunePoints"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(true);
    fitTableMinimum();
    m_table->setToolTip(tr("Click a point to see its figures, and its run on the live plots"));
    connect(
        m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex &current) {
            showPoint(current.isValid() ? current.row() : -1);
            if (current.isValid())
                showPointRun(current.row());
        });
    // A click on the chosen row again brings its run back (after a run of the window's, say).
    connect(m_table, &QTableView::clicked, this, [this](const QModelIndex &index) {
        if (index.isValid() && index.row() != m_shownRun)
            showPointRun(index.row());
    });
    m_runLabel = new QLabel(tableHost);
    m_runLabel->setObjectName(QStringLiteral("pointRunLabel"));
    m_runLabel->setWordWrap(true);
    m_runLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_runLabel->hide();
    m_details = new QTextBrowser(tableHost);
    m_details->setObjectName(QStringLiteral("pointDetails"));
    m_details->setFrameShape(QFrame::NoFrame);
    m_details->setMaximumHeight(m_details->fontMetrics().lineSpacing() * 5 + 8);
    m_details->setMinimumHeight(m_details->fontMetrics().lineSpacing() * 2 + 8);
    m_details->viewport()->setAutoFillBackground(false);
    tv->addWidget(m_runLabel);
    tv->addWidget(m_table, 1);
    tv->addWidget(m_details);
    split->addWidget(m_tabs);
    split->addWidget(tableHost);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    // Scaled to the room there is: most of it to the plots, five or six points to the table.
    split->setSizes({ 550, 350 });
    top->addWidget(split, 1);

    clearPlots();
}

void TuneView::setScenarioSource(std::function<Scenario()> source)
{
    m_source = std::move(source);
}

void TuneView::setScenario(const Scenario &scenario)
{
    m_scenario = scenario;
    fillVaryCombos(scenario);
    if (m_busy)
        return; // it finishes on the scenario it started with
    m_mode = Mode::None;
    m_sweep.reset();
    m_tune.reset();
    m_selected = -1;
    m_runs.clear();
    m_shownRun = -1;
    setRunText({});
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progressText->setText(tr("Set what to vary, then Run sweep; or Tune."));
    showResult();
}

void TuneView::fillVaryCombos(const Scenario &scenario)
{
    const std::vector<DomainKind> pools = Tuner::usedPools(scenario);
    for (int a = 0; a < 2; ++a) {
        const QSignalBlocker block(m_vary[a]);
        m_vary[a]->clear();
        if (a == 1)
            m_vary[a]->addItem(tr("— (one variable)"), QString());
        for (DomainKind d : pools) {
            const QString path = QStringLiteral("domains.%1.workers").arg(domainName(d));
            m_vary[a]->addItem(colorSwatch(domainColor(d, palette())), axisLabel(path), path);
        }
        m_vary[a]->addItem(tr("load (× every arrival rate)"), QStringLiteral("load"));
        m_vary[a]->setCurrentIndex(0);
    }
    // First: the first pool around its size; the second: nothing.
    m_range[1]->clear();
    m_range[0]->clear();
    Q_EMIT m_vary[0]->activated(0);
    checkSetup();
}

std::optional<SweepPlan> TuneView::planFromSetup(QString *error) const
{
    std::vector<VaryAxis> axes;
    for (int a = 0; a < 2; ++a) {
        const QString path = m_vary[a]->currentData().toString();
        if (path.isEmpty())
            continue;
        const QString text = m_range[a]->text().trimmed();
        if (text.isEmpty()) {
            *error = tr("%1: type the values to try, like 1..16 or 2,4,8").arg(axisLabel(path));
            return std::nullopt;
        }
        QString why;
        auto axis = parseVaryArgument(path + QLatin1Char('=') + text, &why);
        if (!axis) {
            *error = tr("%1: %2").arg(axisLabel(path), why);
            return std::nullopt;
        }
        axes.push_back(std::move(*axis));
    }
    if (axes.empty()) {
        *error = tr("Pick what to vary");
        return std::nullopt;
    }
    if (axes.size() == 2 && axes[0].path == axes[1].path) {
        *error = tr("The two variables are the same: pick another second one, or none");
        return std::nullopt;
    }
    QString why;
    auto plan = SweepPlan::make(axes, &why);
    if (!plan) {
        *error = why;
        return std::nullopt;
    }
    // A load that takes a class's rate out of its range is refused before anything runs.
    for (const VaryAxis &a : plan->axes())
        if (a.isLoad())
            for (const QString &v : a.values) {
                Scenario s = m_scenario;
                if (!scaleLoad(s, v.toDouble(), &why)) {
                    *error = tr("%1: %2").arg(axisLabel(a.path), why);
                    return std::nullopt;
                }
            }
    return plan;
}

void TuneView::checkSetup()
{
    QString error;
    const bool timesOk = m_warmup->value() < m_duration->value();
    const auto plan = planFromSetup(&error);
    if (!timesOk)
        error = tr("The warm-up (%1 s) must be shorter than the time per point (%2 s)")
                    .arg(m_warmup->value())
                    .arg(m_duration->value());
    m_setupError = plan && timesOk ? QString() : error;
    if (!m_setupError.isEmpty()) {
        m_error->setStyleSheet(QStringLiteral("color: #e03131;"));
        m_error->setText(m_setupError);
    } else {
        m_error->setStyleSheet(QString());
        const double each = m_reps->value() * (m_duration->value() + kDrainGuessS);
        m_error->setText((plan->size() == 1 ? tr("1 point, about %2") : tr("%1 points, about %2"))
                             .arg(plan->size())
                             .arg(clockText(plan->size() * each)));
    }
    if (m_windowRunning && m_setupError.isEmpty()) {
        m_error->setStyleSheet(QString());
        m_error->setText(tr("The window's run is going: stop it first (a sweep measures the engine alone)"));
    }
    m_runButton->setEnabled(!m_busy && !m_windowRunning && m_setupError.isEmpty());
    m_tuneButton->setEnabled(!m_busy && !m_windowRunning && timesOk && !Tuner::usedPools(m_scenario).empty());
}

void TuneView::setWindowRunning(bool running)
{
    if (running != m_windowRunning && m_mode != Mode::None && !m_busy) {
        m_shownRun = -1;
        setRunText(running ? tr("The live plots show the window's run.")
                           : tr("The live plots show the window's last run; click a point to see its run again."));
    }
    m_windowRunning = running;
    checkSetup();
}

void TuneView::setBusy(bool busy)
{
    m_busy = busy;
    m_cancels = 0;
    for (QWidget *w : std::initializer_list<QWidget *> {
             m_vary[0], m_vary[1], m_range[0], m_range[1], m_duration, m_warmup, m_reps, m_budget, m_load, m_simulate })
        w->setEnabled(!busy);
    m_cancelButton->setEnabled(busy);
    m_cancelButton->setText(tr("Cancel"));
    checkSetup();
    Q_EMIT busyChanged(busy);
}

void TuneView::setProgress(int done, int total, const QString &text)
{
    m_progress->setRange(0, std::max(1, total));
    m_progress->setValue(std::clamp(done, 0, std::max(1, total)));
    m_progressText->setText(text);
    Q_EMIT progressed(text);
}

void TuneView::runSweep()
{
    if (m_busy || m_windowRunning || !m_setupError.isEmpty())
        return;
    QMetaObject::invokeMethod(this, &TuneView::doSweep, Qt::QueuedConnection);
}

void TuneView::runTune()
{
    if (m_busy || m_windowRunning)
        return;
    QMetaObject::invokeMethod(this, &TuneView::doTune, Qt::QueuedConnection);
}

void TuneView::cancel()
{
    if (!m_busy)
        return;
    ++m_cancels;
    if (m_cancels == 1) {
        if (m_tuner)
            m_tuner->stop();
        m_cancelButton->setText(tr("Stop now"));
        m_progressText->setText(tr("Stopping after this point (Stop now: stop it now; it is then not reported)…"));
    } else {
        if (m_runner)
            m_runner->stopNow();
        if (m_tuner)
            m_tuner->stopNow();
        m_cancelButton->setEnabled(false);
        m_progressText->setText(tr("Stopping this point now…"));
    }
}

void TuneView::doSweep()
{
    if (m_busy || m_windowRunning)
        return;
    QString why;
    const auto plan = planFromSetup(&why);
    if (!plan || !m_setupError.isEmpty())
        return;
    const Scenario base = m_source ? m_source() : m_scenario;
    // Every point is checked before the first runs, as on the command line.
    std::vector<Scenario> scenarios;
    for (const SweepValues &values : plan->points()) {
        auto s = pointScenario(base, values, &why);
        if (!s) {
            m_error->setStyleSheet(QStringLiteral("color: #e03131;"));
            m_error->setText(tr("%1: %2").arg(sweepValuesText(values), why));
            return;
        }
        s->duration = m_duration->value(); // as SweepRunner runs it: the live plots span the point
        scenarios.push_back(std::move(*s));
    }
    const double duration = m_duration->value(), warmup = m_warmup->value();
    const int reps = m_reps->value();

    SweepResult result;
    result.scenarioName = base.name;
    result.scenarioSource = base.source;
    result.axes = plan->axes();
    result.plannedPoints = plan->size();
    result.durationS = duration;
    result.warmupS = warmup;
    result.reps = reps;
    const bool simulated = m_simulate->isChecked();
    SimOptions sim;
    sim.cores = m_simCores->value();
    if (simulated) { // as sweep --sim: every point in virtual time on these cores, this machine's costs
        QString profileError;
        const std::optional<SimCosts> costs = loadSimCosts(&profileError);
        if (!costs) {
            setRunText(tr("Cannot simulate: %1").arg(profileError));
            return;
        }
        sim.costs = *costs;
        result.mode = QStringLiteral("simulated");
        result.simCores = simCores(sim);
        result.cores = sim.cores;
        result.calibration = costs->source;
    }
    m_sweep = std::move(result);
    m_tune.reset();
    m_mode = Mode::Sweep;
    m_selected = -1;
    m_runs.clear();
    m_shownRun = -1;
    setRunText(simulated ? tr("Simulated points have no run on the engine to show on the live plots.")
                         : tr("The live plots follow the point being measured."));
    showResult();
    setBusy(true);
    m_runner = std::make_unique<SweepRunner>();
    std::vector<Frame> firstRep; // the point's first rep's frames, kept with the point
    m_runner->onEngineFinished = [&](int rep, Engine &e) {
        if (rep == 0)
            firstRep = e.frames();
    };

    QPointer<TuneView> self(this);
    QElapsedTimer wall;
    wall.start();
    const int n = plan->size();
    const double perPointGuess = reps * (duration + kDrainGuessS);
    QString failure;
    for (int i = 0; i < n && m_cancels == 0 && !m_runner->stopped(); ++i) {
        const SweepValues &values = plan->points()[std::size_t(i)];
        const double startedAt = double(wall.nsecsElapsed()) / 1e9;
        const auto perPoint = [&] { return i > 0 ? startedAt / i : perPointGuess; };
        const auto report = [&](int rep, double t) {
            const double inPoint = rep * (duration + kDrainGuessS) + std::min(t, duration);
            const double eta = (n - i) * perPoint() - inPoint;
            setProgress(i * 100 + int(100 * inPoint / std::max(1e-9, perPointGuess)), n * 100,
                tr("Point %1/%2: %3 · rep %4/%5 · %6 s of %7 s · ETA %8")
                    .arg(i + 1)
                    .arg(n)
                    .arg(sweepValuesText(values))
                    .arg(rep + 1)
                    .arg(reps)
                    .arg(std::min(t, duration), 0, 'f', 1)
                    .arg(duration, 0, 'f', 1)
                    .arg(clockText(eta)));
        };
        report(0, 0);
        m_runner->onProgress = report;
        m_runner->onEngineStarted = [&, i](Engine &e) { Q_EMIT pointEngineStarted(&e, scenarios[std::size_t(i)]); };
        firstRep.clear();
        std::optional<SweepPointResult> point;
        if (simulated) {
            point = simulatePoint(scenarios[std::size_t(i)], values, duration, warmup, reps, sim);
            QCoreApplication::processEvents(); // the progress and Cancel between points (no event loop runs)
        } else {
            point = m_runner->runPoint(scenarios[std::size_t(i)], values, duration, warmup, reps, &why);
        }
        if (!self)
            return;
        if (!point) {
            failure = tr("Point %1 (%2) could not start: %3").arg(i + 1).arg(sweepValuesText(values), why);
            break;
        }
        if (!point->complete)
            break; // stopped now: not reported
        m_sweep->points.push_back(std::move(*point));
        if (!simulated)
            keepRun(int(m_sweep->points.size()) - 1, scenarios[std::size_t(i)], std::move(firstRep));
        m_sweep->wallS = double(wall.nsecsElapsed()) / 1e9;
        analyzeSweep(*m_sweep);
        showResult();
        Q_EMIT pointAdded(i);
    }
    m_sweep->wallS = double(wall.nsecsElapsed()) / 1e9;
    m_sweep->interrupted = int(m_sweep->points.size()) < n;
    analyzeSweep(*m_sweep);
    m_runner.reset();
    setBusy(false);
    if (!m_runs.empty())
        setRunText(tr("The live plots show the last run measured; click a point to see its run."));
    showResult();
    const int got = int(m_sweep->points.size());
    if (!failure.isEmpty())
        m_progressText->setText(failure);
    else
        setProgress(got, n,
            got == n ? tr("Sweep done: %1 points in %2").arg(n).arg(clockText(m_sweep->wallS))
                     : tr("Sweep stopped after %1 of %2 points (%3)").arg(got).arg(n).arg(clockText(m_sweep->wallS)));
    Q_EMIT finished();
}

void TuneView::doTune()
{
    if (m_busy || m_windowRunning)
        return;
    Scenario base = m_source ? m_source() : m_scenario;
    QString why;
    const double load = m_load->value();
    if (!scaleLoad(base, load, &why)) {
        m_error->setStyleSheet(QStringLiteral("color: #e03131;"));
        m_error->setText(tr("Load × %1: %2").arg(load).arg(why));
        return;
    }
    TuneOptions options;
    options.budgetS = m_budget->value();
    options.durationS = m_duration->value();
    options.warmupS = m_warmup->value();
    options.reps = m_reps->value();
    options.simulate = m_simulate->isChecked();
    options.sim.cores = m_simCores->value();
    options.confirm = options.simulate ? m_confirm->value() : 0;
    if (options.simulate) { // as tune --sim: this machine's costs, or the built-in default
        const std::optional<SimCosts> costs = loadSimCosts(&why);
        if (!costs) {
            m_error->setStyleSheet(QStringLiteral("color: #e03131;"));
            m_error->setText(tr("Cannot simulate: %1").arg(why));
            return;
        }
        options.sim.costs = *costs;
    }

    m_sweep.reset();
    m_tune = TuneResult {};
    m_tune->scenarioName = base.name;
    m_tune->load = load;
    m_tune->budgetS = options.budgetS;
    m_mode = Mode::Tune;
    m_selected = -1;
    m_runs.clear();
    m_shownRun = -1;
    setRunText(tr("The live plots follow the point being measured."));
    showResult();
    setBusy(true);
    m_tuner = std::make_unique<Tuner>();
    Scenario running; // the point's, as its engine runs it
    std::vector<Frame> firstRep; // its first rep's frames (of the last measurement: a point may be measured again)

    QPointer<TuneView> self(this);
    QElapsedTimer wall;
    wall.start();
    int current = 0;
    QString currentWhy;
    const auto report = [&](double t) {
        const double elapsed = double(wall.nsecsElapsed()) / 1e9;
        setProgress(int(elapsed), int(options.budgetS),
            tr("Tune point %1: %2 · %3 s of %4 s · budget left %5")
                .arg(current)
                .arg(currentWhy)
                .arg(std::min(t, options.durationS), 0, 'f', 1)
                .arg(options.durationS, 0, 'f', 1)
                .arg(clockText(options.budgetS - elapsed)));
    };
    m_tuner->onPointStart = [&](int point, const Workers &workers, const QString &pointWhy) {
        current = point;
        currentWhy = sweepValuesText(Tuner::workerValues(workers)) + QStringLiteral(" (") + pointWhy + QLatin1Char(')');
        report(0);
    };
    m_tuner->onProgress = [&](int, double t) { report(t); };
    m_tuner->onEngineStarted = [&](Engine &e, const Scenario &s) {
        running = s;
        running.duration = options.durationS;
        Q_EMIT pointEngineStarted(&e, running);
    };
    m_tuner->onEngineFinished = [&](int rep, Engine &e) {
        if (rep == 0)
            firstRep = e.frames();
    };
    m_tuner->onPoint = [&](const TunePoint &p) {
        m_tune->evaluated.push_back(p);
        if (p.source == QLatin1String("engine")) // a simulated point ran no engine: no run to show
            keepRun(int(m_tune->evaluated.size()) - 1, running, std::move(firstRep));
        firstRep.clear();
        showResult();
        Q_EMIT pointAdded(int(m_tune->evaluated.size()) - 1);
        if (p.source == QLatin1String("sim"))
            QCoreApplication::processEvents(); // simulated points run here without an event loop
    };
    const auto result = m_tuner->run(base, load, options, &why);
    if (!self)
        return;
    m_tuner.reset();
    if (result)
        m_tune = *result;
    setBusy(false);
    if (!m_runs.empty())
        setRunText(tr("The live plots show the last run measured; click a point to see its run."));
    showResult();
    if (!result)
        m_progressText->setText(tr("The tune could not start: %1").arg(why));
    else
        setProgress(1, 1,
            tr("Tune %1 after %2 points in %3: %4")
                .arg(result->cancelled ? tr("cancelled") : tr("done"))
                .arg(result->evaluated.size())
                .arg(clockText(result->wallS), result->stopReason));
    Q_EMIT finished();
}

SweepValues TuneView::recommendedValues() const
{
    SweepValues out;
    if (m_mode == Mode::Sweep && m_sweep && m_sweep->recommendation) {
        for (const auto &[path, value] : m_sweep->recommendation->values)
            if (VaryAxis { path, {} }.poolDomain())
                out.emplace_back(path, value);
    } else if (m_mode == Mode::Tune && m_tune && m_tune->best) {
        out = Tuner::workerValues(m_tune->evaluated[*m_tune->best].workers);
    }
    return out;
}

void TuneView::apply()
{
    const SweepValues values = recommendedValues();
    if (!values.empty())
        Q_EMIT applyRequested(values);
}

bool TuneView::exportTo(const QString &path, QString *error)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (m_mode == Mode::Sweep && m_sweep) {
        if (suffix == QLatin1String("json"))
            return writeFileAtomically(
                path, QJsonDocument(sweepToJson(*m_sweep)).toJson(QJsonDocument::Indented), error);
        if (suffix == QLatin1String("csv"))
            return writeFileAtomically(path, sweepToCsv(*m_sweep).toUtf8(), error);
        if (ReportWriter::formatOf(path) != ReportWriter::Format::Unknown)
            return ReportWriter::writeSweep(sweepToJson(*m_sweep), path, error);
        *error = tr("%1: the file name should end in .html, .pdf, .json or .csv").arg(QFileInfo(path).fileName());
        return false;
    }
    if (m_mode == Mode::Tune && m_tune) {
        if (suffix == QLatin1String("json"))
            return writeFileAtomically(path, QJsonDocument(tuneToJson(*m_tune)).toJson(QJsonDocument::Indented), error);
        *error
            = tr("%1: a tune is exported as JSON: the file name should end in .json").arg(QFileInfo(path).fileName());
        return false;
    }
    *error = tr("there is no result to export yet");
    return false;
}

void TuneView::exportDialog()
{
    if (m_mode == Mode::None)
        return;
    QSettings settings;
    const QString dir = settings.value(QStringLiteral("export/dir"), QDir::homePath()).toString();
    const bool sweep = m_mode == Mode::Sweep;
    const QString stem = (sweep ? QStringLiteral("sweep") : QStringLiteral("tune"));
    const QString filters = sweep ? tr("Report (*.html *.pdf);;JSON (*.json);;CSV (*.csv)") : tr("JSON (*.json)");
    const QString path = QFileDialog::getSaveFileName(this, sweep ? tr("Export the sweep") : tr("Export the tune"),
        QDir(dir).filePath(stem + (sweep ? QStringLiteral(".html") : QStringLiteral(".json"))), filters);
    if (path.isEmpty())
        return;
    settings.setValue(QStringLiteral("export/dir"), QFileInfo(path).absolutePath());
    QString error;
    if (exportTo(path, &error))
        m_progressText->setText(tr("Wrote %1").arg(QDir::toNativeSeparators(path)));
    else
        QMessageBox::warning(this, tr("Export"), tr("Nothing was written: %1").arg(error));
}

// --- Showing the result --------------------------------------------------------------------------

void TuneView::showResult()
{
    if (m_mode == Mode::Sweep)
        plotSweep();
    else if (m_mode == Mode::Tune)
        plotTune();
    else
        clearPlots();
    fillTable(); // after the plots: it rings the chosen point on them

    // A one-line headline; the reason, the knee and the fit below the table (m_details).
    QString text;
    QStringList summary;
    if (m_mode == Mode::Sweep && m_sweep) {
        const SweepResult &r = *m_sweep;
        QStringList shown;
        if (r.recommendation)
            for (const auto &[path, value] : r.recommendation->values)
                shown << QStringLiteral("%1 = %2").arg(axisLabel(path), value);
        if (r.recommendation) {
            const SweepRecommendation &rec = *r.recommendation;
            text = (rec.allSlaMet ? tr("<b>Recommended:</b> %1 · every SLA met")
                                  : tr("<b>Closest:</b> %1 · an SLA missed"))
                       .arg(shown.join(QStringLiteral(", ")).toHtmlEscaped());
            summary << rec.reason.toHtmlEscaped();
        } else if (!r.points.empty() && !m_busy) {
            text = tr("<b>No recommendation</b>");
            summary << r.recommendationWhy.toHtmlEscaped();
        }
        if (r.mode == QLatin1String("simulated") && !text.isEmpty())
            text = tr("<b>SIMULATED</b> (virtual time, %1 cores) · %2").arg(r.cores).arg(text);
        if (r.knee)
            summary << tr("Knee: %1 = %2 (%3).")
                           .arg(axisLabel(r.knee->path).toHtmlEscaped())
                           .arg(r.knee->value, 0, 'g', 6)
                           .arg(r.knee->className.toHtmlEscaped());
        else if (!r.kneeWhy.isEmpty() && !m_busy)
            summary << tr("No knee: %1.").arg(r.kneeWhy.toHtmlEscaped());
        if (r.usl)
            summary << tr("USL: σ = %1, κ = %2, N* = %3, R² = %4.")
                           .arg(r.usl->fit.sigma, 0, 'g', 3)
                           .arg(r.usl->fit.kappa, 0, 'g', 3)
                           .arg(std::isfinite(r.usl->fit.nStar) ? QString::number(r.usl->fit.nStar, 'g', 3)
                                                                : QStringLiteral("∞"))
                           .arg(r.usl->fit.r2, 0, 'f', 3);
    } else if (m_mode == Mode::Tune && m_tune) {
        const TuneResult &r = *m_tune;
        const bool simFirst = std::any_of(r.evaluated.begin(), r.evaluated.end(),
            [](const TunePoint &p) { return p.source == QLatin1String("sim"); });
        const bool metInSim = std::any_of(r.evaluated.begin(), r.evaluated.end(),
            [](const TunePoint &p) { return p.source == QLatin1String("sim") && p.verdict.allMet; });
        const bool confirming = simFirst && r.confirm > 0;
        if (r.best && confirming)
            text = tr("<b>Recommended:</b> %1 · every SLA met · confirmed on the engine")
                       .arg(sweepValuesText(Tuner::workerValues(r.evaluated[*r.best].workers)).toHtmlEscaped());
        else if (r.best && simFirst)
            text = tr("<b>Recommended (simulated, not confirmed on the engine):</b> %1 · every SLA met in virtual time")
                       .arg(sweepValuesText(Tuner::workerValues(r.evaluated[*r.best].workers)).toHtmlEscaped());
        else if (r.best)
            text = tr("<b>Recommended:</b> %1 · every SLA met")
                       .arg(sweepValuesText(Tuner::workerValues(r.evaluated[*r.best].workers)).toHtmlEscaped());
        else if (!m_busy && confirming && metInSim)
            text = tr("<b>No answer: the engine did not confirm</b> what met every SLA in simulation");
        else if (!m_busy && !r.evaluated.empty())
            text = tr("<b>No configuration met every SLA</b>%1").arg(simFirst ? tr(" in simulation") : QString());
        if (!m_busy && !r.stopReason.isEmpty())
            summary << r.stopReason.toHtmlEscaped();
        for (const QString &why : r.infeasibleWhy)
            summary << why.toHtmlEscaped();
    }
    m_summary = summary.join(QStringLiteral("<br>"));
    showPoint(m_selected);
    m_recommendation->setText(text);
    const bool done = !m_busy && m_mode != Mode::None;
    m_applyButton->setEnabled(done && !recommendedValues().empty());
    m_applyButton->setToolTip(recommendedValues().empty() && done
            ? tr("Nothing to apply: no pool size is recommended (a load is a finding, not a setting)")
            : tr("Put the recommended pool sizes into the open scenario (the domain cards; the running engine too)"));
    m_saveButton->setEnabled(!m_busy);
    m_exportButton->setEnabled(done);
}

const SweepPointResult *TuneView::pointAt(int row) const
{
    if (row < 0)
        return nullptr;
    if (m_mode == Mode::Sweep && m_sweep && row < int(m_sweep->points.size()))
        return &m_sweep->points[std::size_t(row)];
    if (m_mode == Mode::Tune && m_tune && row < int(m_tune->evaluated.size()))
        return &m_tune->evaluated[std::size_t(row)].point;
    return nullptr;
}

void TuneView::fitTableMinimum()
{
    // At least four points in view beside the plots, under the header and over the sideways
    // scroll bar (the splitter gives the table more when there is room).
    const int header = std::max(m_table->horizontalHeader()->sizeHint().height(), m_table->fontMetrics().height() + 8);
    m_table->setMinimumHeight(header + 4 * m_table->verticalHeader()->defaultSectionSize()
        + m_table->horizontalScrollBar()->sizeHint().height() + 2 * m_table->frameWidth() + 2);
}

void TuneView::setSweepResult(const SweepResult &result)
{
    if (m_busy)
        return;
    m_sweep = result;
    m_tune.reset();
    m_mode = Mode::Sweep;
    m_selected = -1;
    m_runs.clear();
    m_shownRun = -1;
    setRunText({});
    showResult();
}

void TuneView::keepRun(int row, Scenario scenario, std::vector<Frame> frames)
{
    if (frames.empty())
        return;
    const std::size_t n = frames.size(), keep = kMaxFramesPerRun;
    if (n > keep) {
        // Evenly thinned, the first and the last kept: the run still spans its whole time.
        std::vector<Frame> thin;
        thin.reserve(keep);
        for (std::size_t k = 0; k < keep; ++k)
            thin.push_back(std::move(frames[k * (n - 1) / (keep - 1)]));
        frames = std::move(thin);
    }
    m_runs.push_back({ row, std::move(scenario), std::move(frames) });
    while (m_runs.size() > std::size_t(kMaxKeptRuns))
        m_runs.pop_front();
}

const std::vector<Frame> *TuneView::pointFrames(int row) const
{
    const auto it = std::find_if(m_runs.begin(), m_runs.end(), [row](const KeptRun &r) { return r.row == row; });
    return it == m_runs.end() ? nullptr : &it->frames;
}

void TuneView::setRunText(const QString &text)
{
    m_runLabel->setText(text);
    m_runLabel->setVisible(!text.isEmpty());
}

void TuneView::showPointRun(int row)
{
    const SweepPointResult *p = pointAt(row);
    if (!p)
        return;
    const QString name = m_mode == Mode::Tune ? tr("tune point %1 (%2)").arg(row + 1).arg(valuesLabel(p->values))
                                              : valuesLabel(p->values);
    if (m_busy) {
        setRunText(tr("The live plots follow the point being measured: click %1 again when the %2 has ended to see "
                      "its run.")
                       .arg(name, m_mode == Mode::Tune ? tr("tune") : tr("sweep")));
        return;
    }
    if (m_windowRunning) {
        setRunText(tr("The window's run holds the live plots: stop it to see the run of %1.").arg(name));
        return;
    }
    const auto it = std::find_if(m_runs.begin(), m_runs.end(), [row](const KeptRun &r) { return r.row == row; });
    if (it == m_runs.end() && pointSimulated(row)) {
        setRunText(tr("%1 was simulated in virtual time: it has no run on the engine to show.").arg(name));
        return;
    }
    if (it == m_runs.end()) {
        setRunText(tr("The run of %1 was not kept (the last %2 points' are).").arg(name).arg(kMaxKeptRuns));
        return;
    }
    m_shownRun = row;
    const QString caption = p->reps > 1 ? tr("%1, its first of %2 reps").arg(name).arg(p->reps) : name;
    setRunText(tr("<b>Live plots:</b> %1 · %2 s, the warm-up (%3 s) shaded")
                   .arg(caption.toHtmlEscaped())
                   .arg(it->frames.back().t, 0, 'f', 1)
                   .arg(p->warmupS, 0, 'g', 3));
    Q_EMIT pointRunRequested(it->scenario, it->frames, p->warmupS, caption);
}

bool TuneView::pointSimulated(int row) const
{
    if (m_mode == Mode::Sweep && m_sweep)
        return m_sweep->mode == QLatin1String("simulated");
    if (m_mode == Mode::Tune && m_tune && row >= 0 && row < int(m_tune->evaluated.size()))
        return m_tune->evaluated[std::size_t(row)].source == QLatin1String("sim");
    return false;
}

void TuneView::fillTable()
{
    m_model->clear();
    std::vector<const SweepPointResult *> points;
    QStringList headers;
    if (m_mode == Mode::Sweep && m_sweep) {
        for (const VaryAxis &a : m_sweep->axes)
            headers << axisLabel(a.path);
        if (m_sweep->mode == QLatin1String("simulated"))
            headers << tr("source");
        for (const SweepPointResult &p : m_sweep->points)
            points.push_back(&p);
    } else if (m_mode == Mode::Tune && m_tune) {
        headers << tr("#") << tr("source") << tr("workers") << tr("why");
        for (const TunePoint &p : m_tune->evaluated)
            points.push_back(&p.point);
    }
    if (points.empty() && headers.isEmpty()) {
        m_details->clear();
        return;
    }
    QStringList classes;
    for (const SweepPointResult *p : points)
        for (const SweepClassFigures &c : p->classes)
            if (!classes.contains(c.name))
                classes << c.name;
    if (classes.isEmpty())
        for (const TaskClass &c : m_scenario.classes)
            classes << c.name;
    const int fixed = int(headers.size());
    for (const QString &c : classes)
        headers << tr("%1 P99 ms [95 %]").arg(c) << tr("%1 /s").arg(c);
    headers << tr("all SLAs");
    m_model->setHorizontalHeaderLabels(headers);
    for (std::size_t i = 0; i < points.size(); ++i) {
        const SweepPointResult &p = *points[i];
        QList<QStandardItem *> row;
        // Where a point's figures come from: simulated in virtual time, or measured on the engine.
        const auto sourceItem = [](bool simulated) {
            auto *item = new QStandardItem(simulated ? tr("sim") : tr("engine"));
            item->setToolTip(simulated ? tr("Simulated in virtual time (not measured)") : tr("Measured on the engine"));
            if (simulated)
                item->setBackground(QColor(0xff, 0xd4, 0x3b, 90));
            return item;
        };
        if (m_mode == Mode::Sweep) {
            for (const VaryAxis &a : m_sweep->axes)
                row << new QStandardItem(valueOf(p.values, a.path));
            if (m_sweep->mode == QLatin1String("simulated"))
                row << sourceItem(true);
        } else {
            const TunePoint &tp = m_tune->evaluated[i];
            row << new QStandardItem(QString::number(i + 1));
            row << sourceItem(tp.source == QLatin1String("sim"));
            row << new QStandardItem(sweepValuesText(Tuner::workerValues(tp.workers)));
            row << new QStandardItem(tp.why);
            row.back()->setToolTip(tp.why);
        }
        Q_ASSERT(row.size() == fixed);
        for (const QString &name : classes) {
            const auto it = std::find_if(
                p.classes.begin(), p.classes.end(), [&](const SweepClassFigures &c) { return c.name == name; });
            if (it == p.classes.end()) {
                row << new QStandardItem << new QStandardItem;
                continue;
            }
            auto *p99 = new QStandardItem(p99Text(*it));
            if (it->slaP99Ms)
                p99->setForeground(it->slaMet ? QColor(0x2b, 0x8a, 0x3e) : QColor(0xe0, 0x31, 0x31));
            p99->setToolTip(it->slaP99Ms ? tr("SLA %1 ms; %2").arg(msText(*it->slaP99Ms), it->ciMethod) : it->ciMethod);
            row << p99 << new QStandardItem(QString::number(it->throughput, 'f', 1));
        }
        const bool met = p.allSlasMet();
        auto *all = new QStandardItem(met ? tr("✓ met") : tr("✗ missed"));
        all->setForeground(met ? QColor(0x2b, 0x8a, 0x3e) : QColor(0xe0, 0x31, 0x31));
        row << all;
        m_model->appendRow(row);
    }
    m_table->resizeColumnsToContents();
    fitTableMinimum(); // the header's height is known once it has sections
    if (m_selected >= 0 && m_selected < m_model->rowCount()) {
        const QSignalBlocker block(m_table->selectionModel());
        m_table->selectRow(m_selected);
    }
    showPoint(m_selected < m_model->rowCount() ? m_selected : -1);
}

QString TuneView::pointDetailsText(const SweepPointResult &p) const
{
    QStringList lines;
    lines << tr("<b>%1</b> · %2 s measured × %3 rep(s)%4")
                 .arg(sweepValuesText(p.values).toHtmlEscaped())
                 .arg(p.measuredS, 0, 'f', 1)
                 .arg(p.reps)
                 .arg(p.conserved ? QString() : tr(" · <b>conservation broken</b>"));
    QStringList classes;
    for (const SweepClassFigures &c : p.classes)
        classes << tr("%1: P99 %2 ms, %3/s%4")
                       .arg(c.name.toHtmlEscaped(), p99Text(c).toHtmlEscaped())
                       .arg(c.throughput, 0, 'f', 1)
                       .arg(c.lost ? tr(", %1 of %2 lost").arg(c.lost).arg(c.submitted) : QString());
    lines << classes.join(QStringLiteral(" · "));
    QStringList domains;
    for (const SweepDomainFigures &d : p.domains) {
        QString t = tr("%1 (%2 workers): utilization %3 %, wait %4 ms")
                        .arg(domainName(d.kind))
                        .arg(d.workers)
                        .arg(d.utilization * 100, 0, 'f', 0)
                        .arg(msText(d.waitMeanMs));
        if (d.predicted.applies)
            t += tr(" (%1 predicts %2 %, %3 ms)")
                     .arg(d.predicted.model)
                     .arg(d.predicted.utilization * 100, 0, 'f', 0)
                     .arg(msText(d.predicted.waitMeanS * 1e3));
        domains << t.toHtmlEscaped();
    }
    lines << domains.join(QStringLiteral(" · "));
    if (!p.findings.isEmpty())
        lines << tr("Findings: %1").arg(p.findings.join(QStringLiteral(", ")).toHtmlEscaped());
    return lines.join(QStringLiteral("<br>"));
}

void TuneView::showPoint(int row)
{
    m_selected = row;
    const SweepPointResult *p = pointAt(row);
    QStringList html;
    if (p)
        html << pointDetailsText(*p);
    if (!m_summary.isEmpty())
        html << m_summary;
    m_details->setHtml(html.join(QStringLiteral("<hr>")));
    // The chosen point ringed on the P99 plot.
    for (int i = 0; i < m_p99->graphCount(); ++i)
        if (m_p99->graph(i)->objectName() == QLatin1String("selected")) {
            m_p99->removeGraph(i);
            break;
        }
    if (p && m_mode == Mode::Sweep && m_sweep && !m_sweep->axes.empty()) {
        const double x = numberOf(p->values, m_sweep->axes.front().path);
        QVector<double> xs, ys;
        for (const SweepClassFigures &c : p->classes)
            if (c.p99Ms && *c.p99Ms > 0)
                xs << x, ys << *c.p99Ms;
        QCPGraph *g = m_p99->addGraph();
        g->setObjectName(QStringLiteral("selected"));
        g->removeFromLegend();
        g->setLineStyle(QCPGraph::lsNone);
        g->setScatterStyle(
            QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(palette().color(QPalette::Text), 2), Qt::NoBrush, 16));
        g->setData(xs, ys);
    }
    m_p99->replot(QCustomPlot::rpQueuedReplot);
}

void TuneView::clearPlots()
{
    for (QCustomPlot *p : { m_p99, m_throughput, m_utilization, m_map }) {
        resetPlot(p);
        stylePlot(p, QString(), QString());
    }
    m_p99->yAxis->setLabel(tr("P99 (ms)"));
    m_throughput->yAxis->setLabel(tr("completions/s"));
    m_utilization->yAxis->setLabel(tr("utilization (%)"));
    m_utilization->yAxis->setRange(0, 105);
    m_tabs->setTabEnabled(3, false);
    for (QCustomPlot *p : { m_p99, m_throughput, m_utilization, m_map })
        p->replot(QCustomPlot::rpQueuedReplot);
}

void TuneView::plotSweep()
{
    clearPlots();
    if (!m_sweep || m_sweep->axes.empty())
        return;
    const SweepResult &r = *m_sweep;
    const VaryAxis &xa = r.axes.front();
    const bool grid = r.axes.size() > 1;
    std::vector<double> xs;
    for (const QString &v : xa.values)
        xs.push_back(v.toDouble());
    const QString xLabel = axisLabel(xa.path);
    const QColor ink = palette().color(QPalette::Text);

    // P99 per class (one line per value of the second variable in a grid), with the interval as a bar.
    {
        QCustomPlot *p = m_p99;
        stylePlot(p, xLabel, tr("P99 (ms, log)"));
        setXAxis(p, xs);
        p->yAxis->setScaleType(QCPAxis::stLogarithmic);
        p->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
        std::vector<QString> seconds = grid ? std::vector<QString>(r.axes[1].values.begin(), r.axes[1].values.end())
                                            : std::vector<QString> { QString() };
        const Qt::PenStyle styles[] = { Qt::SolidLine, Qt::DashLine, Qt::DotLine, Qt::DashDotLine };
        double yLo = std::numeric_limits<double>::infinity(), yHi = 0;
        std::map<double, QStringList> slas;
        QStringList names;
        if (!r.points.empty())
            for (const SweepClassFigures &k : r.points.front().classes)
                names << k.name;
        else
            for (const TaskClass &k : m_scenario.classes)
                names << k.name;
        for (std::size_t c = 0; c < std::size_t(names.size()); ++c) {
            const QString &name = names[qsizetype(c)];
            const QColor color = classColor(int(c), palette());
            for (std::size_t s = 0; s < seconds.size(); ++s) {
                QVector<double> px, py, down, up;
                for (const SweepPointResult &pt : r.points) {
                    if (grid && valueOf(pt.values, r.axes[1].path) != seconds[s])
                        continue;
                    if (c >= pt.classes.size())
                        continue;
                    const SweepClassFigures &k = pt.classes[c];
                    if (k.slaP99Ms && s == 0 && !slas[*k.slaP99Ms].contains(k.name))
                        slas[*k.slaP99Ms] << k.name;
                    if (!k.p99Ms || *k.p99Ms <= 0)
                        continue;
                    const double y = *k.p99Ms;
                    px << numberOf(pt.values, xa.path);
                    py << y;
                    const double lo = k.ciLoMs ? std::min(*k.ciLoMs, y) : y;
                    down << y - lo;
                    up << (k.ciHiMs ? std::max(*k.ciHiMs, y) - y : 1e12); // no upper end: to the top
                    yLo = std::min(yLo, lo);
                    yHi = std::max(yHi, k.ciHiMs ? std::max(*k.ciHiMs, y) : y);
                }
                const QString label
                    = grid ? tr("%1 at %2 = %3").arg(name, axisLabel(r.axes[1].path), seconds[s]) : name;
                QCPGraph *g = series(p, label, color, styles[s % 4], true);
                g->setData(px, py, true);
                if (px.isEmpty())
                    continue;
                auto *bars = new QCPErrorBars(p->xAxis, p->yAxis);
                bars->removeFromLegend();
                bars->setDataPlottable(g);
                bars->setPen(QPen(color, 1.2));
                bars->setData(down, up);
            }
        }
        for (const auto &[sla, slaClasses] : slas) {
            horizontalLine(p, sla, ink, tr("SLA %1 ms: %2").arg(msText(sla), slaClasses.join(QStringLiteral(", "))));
            yLo = std::min(yLo, sla);
            yHi = std::max(yHi, sla);
        }
        if (!std::isfinite(yLo) || yLo <= 0)
            yLo = 0.1;
        if (yHi <= 0)
            yHi = 100;
        p->yAxis->setRange(yLo / 2, std::max(yHi * 2, yLo * 10));
    }

    // Throughput per class and in all, with the USL fit.
    {
        QCustomPlot *p = m_throughput;
        stylePlot(p, xLabel, tr("completions/s"));
        setXAxis(p, xs);
        double yHi = 1;
        std::map<double, double> total;
        for (std::size_t c = 0; !r.points.empty() && c < r.points[0].classes.size(); ++c) {
            QVector<double> px, py;
            for (const SweepPointResult &pt : r.points) {
                if (grid && valueOf(pt.values, r.axes[1].path) != r.axes[1].values.front())
                    continue;
                if (c >= pt.classes.size())
                    continue;
                px << numberOf(pt.values, xa.path);
                py << pt.classes[c].throughput;
                total[px.back()] += py.back();
                yHi = std::max(yHi, py.back());
            }
            series(p, r.points[0].classes[c].name, classColor(int(c), palette()), Qt::SolidLine, true)
                ->setData(px, py, true);
        }
        if (r.points.size() > 0 && r.points[0].classes.size() > 1) {
            QVector<double> px, py;
            for (const auto &[x, t] : total)
                px << x, py << t, yHi = std::max(yHi, t);
            series(p, tr("all classes"), ink, Qt::SolidLine, true)->setData(px, py, true);
        }
        if (r.usl && r.usl->path == xa.path) {
            const theory::UslFit &f = r.usl->fit;
            QVector<double> ux, uy;
            const double lo = xs.empty() ? 1 : *std::min_element(xs.begin(), xs.end());
            const double hi = xs.empty() ? 1 : *std::max_element(xs.begin(), xs.end());
            for (int i = 0; i <= 100; ++i) {
                const double n = lo + (hi - lo) * i / 100.0;
                ux << n;
                uy << f.at(n);
                yHi = std::max(yHi, uy.back());
            }
            series(
                p, tr("USL fit (σ %1, κ %2)").arg(f.sigma, 0, 'g', 2).arg(f.kappa, 0, 'g', 2), ink, Qt::DashLine, false)
                ->setData(ux, uy, true);
        }
        p->yAxis->setRange(0, yHi * 1.15);
    }

    // Utilization per domain, measured, and the model's prediction dashed.
    {
        QCustomPlot *p = m_utilization;
        stylePlot(p, xLabel, tr("utilization (%)"));
        setXAxis(p, xs);
        double yHi = 100;
        for (DomainKind d : kAllDomains) {
            QVector<double> mx, my, qx, qy;
            for (const SweepPointResult &pt : r.points) {
                if (grid && valueOf(pt.values, r.axes[1].path) != r.axes[1].values.front())
                    continue;
                for (const SweepDomainFigures &df : pt.domains) {
                    if (df.kind != d)
                        continue;
                    const double x = numberOf(pt.values, xa.path);
                    mx << x, my << df.utilization * 100;
                    yHi = std::max(yHi, my.back());
                    if (df.predicted.applies)
                        qx << x, qy << df.predicted.utilization * 100;
                }
            }
            if (mx.isEmpty())
                continue;
            const QColor color = domainColor(d, palette());
            series(p, tr("%1 measured").arg(domainName(d)), color, Qt::SolidLine, true)->setData(mx, my, true);
            if (!qx.isEmpty())
                series(p, tr("%1 predicted").arg(domainName(d)), color, Qt::DashLine, false)->setData(qx, qy, true);
        }
        p->yAxis->setRange(0, yHi * 1.05);
    }

    // Knee and recommendation on every plot against the first variable.
    for (QCustomPlot *p : { m_p99, m_throughput, m_utilization }) {
        if (r.recommendation) {
            const double x = numberOf(r.recommendation->values, xa.path);
            if (std::isfinite(x))
                verticalLine(p, x, QColor(0x2b, 0x8a, 0x3e), Qt::SolidLine,
                    (r.recommendation->allSlaMet ? tr("recommended %1") : tr("closest %1")).arg(x, 0, 'g', 6),
                    LabelKind::Recommendation);
        }
        for (const SweepKnee &k : r.knees)
            if (k.path == xa.path)
                verticalLine(p, k.value, ink, Qt::DotLine, tr("knee (%1)").arg(k.className), LabelKind::Knee);
    }

    // A grid: where every SLA is met, over the two variables (cells by index: values need not be even).
    if (grid) {
        m_tabs->setTabEnabled(3, true);
        QCustomPlot *p = m_map;
        stylePlot(p, xLabel, axisLabel(r.axes[1].path));
        p->legend->setVisible(false);
        const int nx = int(r.axes[0].values.size()), ny = int(r.axes[1].values.size());
        auto *map = new QCPColorMap(p->xAxis, p->yAxis);
        map->data()->setSize(nx, ny);
        map->data()->setRange(QCPRange(0, nx - 1), QCPRange(0, ny - 1));
        for (int ix = 0; ix < nx; ++ix)
            for (int iy = 0; iy < ny; ++iy)
                map->data()->setCell(ix, iy, 0.5); // not measured
        for (const SweepPointResult &pt : r.points) {
            const int ix = int(r.axes[0].values.indexOf(valueOf(pt.values, r.axes[0].path)));
            const int iy = int(r.axes[1].values.indexOf(valueOf(pt.values, r.axes[1].path)));
            if (ix < 0 || iy < 0)
                continue;
            const bool met = pt.allSlasMet();
            map->data()->setCell(ix, iy, met ? 1.0 : 0.0);
            auto *mark = new QCPItemText(p);
            mark->position->setCoords(ix, iy);
            mark->setText(met ? QStringLiteral("✓") : QStringLiteral("✗"));
            mark->setColor(Qt::white);
            QFont f = mark->font();
            f.setBold(true);
            mark->setFont(f);
        }
        QCPColorGradient g;
        g.setColorStopAt(0.0, QColor(0xe0, 0x31, 0x31));
        g.setColorStopAt(0.5, QColor(0xad, 0xb5, 0xbd));
        g.setColorStopAt(1.0, QColor(0x2b, 0x8a, 0x3e));
        g.setLevelCount(3);
        map->setGradient(g);
        map->setDataRange(QCPRange(0, 1));
        map->setInterpolate(false);
        for (int a = 0; a < 2; ++a) {
            QCPAxis *axis = a == 0 ? p->xAxis : p->yAxis;
            auto ticker = QSharedPointer<QCPAxisTickerText>::create();
            for (int i = 0; i < int(r.axes[std::size_t(a)].values.size()); ++i)
                ticker->addTick(i, r.axes[std::size_t(a)].values[i]);
            axis->setTicker(ticker);
            axis->setRange(-0.5, (a == 0 ? nx : ny) - 0.5);
            axis->grid()->setVisible(false);
        }
        if (r.recommendation) {
            const int ix = int(r.axes[0].values.indexOf(valueOf(r.recommendation->values, r.axes[0].path)));
            const int iy = int(r.axes[1].values.indexOf(valueOf(r.recommendation->values, r.axes[1].path)));
            if (ix >= 0 && iy >= 0) {
                auto *box = new QCPItemRect(p);
                box->topLeft->setCoords(ix - 0.5, iy + 0.5);
                box->bottomRight->setCoords(ix + 0.5, iy - 0.5);
                box->setPen(QPen(ink, 3));
            }
        }
        p->setInteractions({});
    }
    for (QCustomPlot *p : { m_p99, m_throughput, m_utilization, m_map })
        p->replot(QCustomPlot::rpQueuedReplot);
}

void TuneView::plotTune()
{
    clearPlots();
    if (!m_tune)
        return;
    // A tune's points are configurations, not values of one variable: P99 and throughput per point
    // in the order they ran, the answer marked.
    const TuneResult &r = *m_tune;
    const QColor ink = palette().color(QPalette::Text);
    std::vector<double> xs;
    for (std::size_t i = 0; i < r.evaluated.size(); ++i)
        xs.push_back(double(i + 1));
    for (QCustomPlot *p : { m_p99, m_throughput, m_utilization }) {
        stylePlot(p, tr("tune point"), p->yAxis->label());
        setXAxis(p, xs);
    }
    m_p99->yAxis->setLabel(tr("P99 (ms, log)"));
    m_p99->yAxis->setScaleType(QCPAxis::stLogarithmic);
    m_p99->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    double yLo = std::numeric_limits<double>::infinity(), yHi = 0, tHi = 1;
    std::map<double, QStringList> slas;
    const std::size_t classes = r.evaluated.empty() ? 0 : r.evaluated.front().point.classes.size();
    for (std::size_t c = 0; c < classes; ++c) {
        QVector<double> px, py, down, up, tx, ty;
        const QColor color = classColor(int(c), palette());
        QString name;
        for (std::size_t i = 0; i < r.evaluated.size(); ++i) {
            const auto &cls = r.evaluated[i].point.classes;
            if (c >= cls.size())
                continue;
            const SweepClassFigures &k = cls[c];
            name = k.name;
            if (k.slaP99Ms && !slas[*k.slaP99Ms].contains(k.name))
                slas[*k.slaP99Ms] << k.name;
            tx << double(i + 1), ty << k.throughput;
            tHi = std::max(tHi, k.throughput);
            if (!k.p99Ms || *k.p99Ms <= 0)
                continue;
            px << double(i + 1), py << *k.p99Ms;
            const double lo = k.ciLoMs ? std::min(*k.ciLoMs, *k.p99Ms) : *k.p99Ms;
            down << *k.p99Ms - lo;
            up << (k.ciHiMs ? std::max(*k.ciHiMs, *k.p99Ms) - *k.p99Ms : 1e12);
            yLo = std::min(yLo, lo);
            yHi = std::max(yHi, k.ciHiMs ? *k.ciHiMs : *k.p99Ms);
        }
        QCPGraph *g = series(m_p99, name, color, Qt::NoPen, true);
        g->setLineStyle(QCPGraph::lsNone);
        g->setData(px, py, true);
        auto *bars = new QCPErrorBars(m_p99->xAxis, m_p99->yAxis);
        bars->removeFromLegend();
        bars->setDataPlottable(g);
        bars->setPen(QPen(color, 1.2));
        bars->setData(down, up);
        series(m_throughput, name, color, Qt::SolidLine, true)->setData(tx, ty, true);
    }
    for (const auto &[sla, names] : slas) {
        horizontalLine(m_p99, sla, ink, tr("SLA %1 ms: %2").arg(msText(sla), names.join(QStringLiteral(", "))));
        yLo = std::min(yLo, sla);
        yHi = std::max(yHi, sla);
    }
    if (!std::isfinite(yLo) || yLo <= 0)
        yLo = 0.1;
    m_p99->yAxis->setRange(yLo / 2, std::max(yHi * 2, yLo * 10));
    m_throughput->yAxis->setRange(0, tHi * 1.15);
    for (DomainKind d : kAllDomains) {
        QVector<double> mx, my;
        for (std::size_t i = 0; i < r.evaluated.size(); ++i)
            for (const SweepDomainFigures &df : r.evaluated[i].point.domains)
                if (df.kind == d)
                    mx << double(i + 1), my << df.utilization * 100;
        if (!mx.isEmpty())
            series(m_utilization, domainName(d), domainColor(d, palette()), Qt::SolidLine, true)->setData(mx, my, true);
    }
    m_utilization->yAxis->setRange(0, 105);
    // Simulate first: the points in virtual time, then those on the engine (the confirmations).
    const auto firstEngine = std::find_if(
        r.evaluated.begin(), r.evaluated.end(), [](const TunePoint &p) { return p.source == QLatin1String("engine"); });
    const bool simFirst = !r.evaluated.empty() && r.evaluated.front().source == QLatin1String("sim");
    if (simFirst) {
        const double edge = double(firstEngine - r.evaluated.begin()) + 0.5;
        for (QCustomPlot *p : { m_p99, m_throughput, m_utilization }) {
            p->xAxis->setLabel(firstEngine == r.evaluated.end() ? tr("tune point (all simulated)")
                                                                : tr("tune point (sim ← | → engine)"));
            if (firstEngine != r.evaluated.end())
                verticalLine(p, edge, QColor(0xf0, 0x8c, 0x00), Qt::DashLine, tr("on the engine →"), LabelKind::Knee);
        }
    }
    if (r.best)
        for (QCustomPlot *p : { m_p99, m_throughput, m_utilization })
            verticalLine(p, double(*r.best + 1), QColor(0x2b, 0x8a, 0x3e), Qt::SolidLine, tr("recommended"),
                LabelKind::Recommendation);
    for (QCustomPlot *p : { m_p99, m_throughput, m_utilization })
        p->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace hs
