#include "domaincard.h"

#include "domainstyle.h"
#include "livetheory.h"

#include <QCheckBox>
#include <QComboBox>
#include <QEvent>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QSlider>
#include <QSpinBox>
#include <QVBoxLayout>

namespace hs {

namespace {
enum Figure { FQueue, FInflight, FBusy, FUtil, FThroughput, FP99, FStarved, FExtra, FCount };

QString caption(DomainKind d)
{
    switch (d) {
    case DomainKind::Loop: return DomainCard::tr("event loop, one thread");
    case DomainKind::Threads: return DomainCard::tr("QThreadPool");
    case DomainKind::Tbb: return DomainCard::tr("tbb::task_arena");
    case DomainKind::Procs: return DomainCard::tr("worker processes");
    }
    return {};
}

// The format's range of queue and max_inflight (engine/scenario/fieldrules.cpp); 0 is "unlimited",
// chosen with the check box only: the spin box starts at 1 while the check box is off.
constexpr int kLimitMax = 10000000;
constexpr int kLimitSuggestion = 100; // what an unticked "unlimited" offers first
constexpr int kWorkersMax = 4096; // fieldrules.cpp: domains.*.workers

QSpinBox *limitSpinBox(QWidget *parent, const QString &tip)
{
    auto *s = new QSpinBox(parent);
    s->setRange(1, kLimitMax);
    s->setSpecialValueText(QStringLiteral("∞"));
    s->setToolTip(tip);
    s->setAccelerated(true);
    s->setGroupSeparatorShown(true);
    return s;
}

QString limitText(int v)
{
    return v == 0 ? QStringLiteral("∞") : QString::number(v);
}

// A control's label: bold with a dot when its value differs from the file, the file's value as tooltip.
void markChanged(QLabel *label, const QString &text, bool changed, const QString &fileValue)
{
    QFont f = label->font();
    f.setBold(changed);
    label->setFont(f);
    label->setText(changed ? text + QStringLiteral(" ●") : text);
    label->setToolTip(changed ? DomainCard::tr("Changed from the scenario file (file: %1)").arg(fileValue) : QString());
}

QString figureName(DomainKind d, int i)
{
    switch (i) {
    case FQueue: return DomainCard::tr("queue");
    case FInflight: return DomainCard::tr("in flight");
    case FBusy: return DomainCard::tr("busy");
    case FUtil: return DomainCard::tr("util");
    case FThroughput: return DomainCard::tr("stages/s");
    case FP99: return DomainCard::tr("P99 ms");
    case FStarved: return DomainCard::tr("starved");
    case FExtra: return d == DomainKind::Loop ? DomainCard::tr("lag ms") : DomainCard::tr("done");
    default: return {};
    }
}

QString autoTip()
{
    return DomainCard::tr("Adaptive pool sizing (DESIGN §13): a controller resizes this pool while it runs, between "
                          "min and max workers, by the policy chosen. You may still resize it by hand: the "
                          "controller goes on from there.");
}

// The policies the Auto switch offers (off is the switch itself), with what each does.
constexpr AutoscalePolicy kCardPolicies[]
    = { AutoscalePolicy::Queue, AutoscalePolicy::Aimd, AutoscalePolicy::Gradient, AutoscalePolicy::Vegas };

QString policyToolTip(AutoscalePolicy p)
{
    switch (p) {
    case AutoscalePolicy::Queue:
        return DomainCard::tr("queue: grow while the queue is longer than 2 × workers, shrink while utilization is "
                              "below 50 %");
    case AutoscalePolicy::Aimd:
        return DomainCard::tr("aimd: add a worker at a time while the pool keeps up, cut by a factor when latency "
                              "passes its target (TCP's additive increase, multiplicative decrease)");
    case AutoscalePolicy::Gradient:
        return DomainCard::tr("gradient: size follows the ratio of the best latency seen to the latency now, plus "
                              "room for a queue (Netflix's concurrency-limits gradient)");
    case AutoscalePolicy::Vegas:
        return DomainCard::tr("vegas: estimates the stages queued from latency against its minimum and keeps that "
                              "queue small (TCP Vegas)");
    case AutoscalePolicy::Off: break;
    }
    return {};
}

QString num(double v, int decimals)
{
    return QString::number(v, 'f', decimals);
}

// Three significant figures or so: 0.123, 1.23, 12.3, 123.
QString ms(double v)
{
    return num(v, v < 10 ? 2 : v < 100 ? 1 : 0);
}

enum TheoryFigure { TUtil, TPWait, TWait, TCount };

QString theoryFigureName(int i)
{
    switch (i) {
    case TUtil: return DomainCard::tr("util %");
    case TPWait: return DomainCard::tr("P(wait)");
    case TWait: return DomainCard::tr("wait ms");
    default: return {};
    }
}

// The hover text of the theory section: what went in, how to read it.
QString theoryToolTip(const DomainTheory &t, double from, double to)
{
    const theory::DomainMeasure &in = t.input;
    const theory::Prediction &p = t.predicted;
    QString tip = DomainCard::tr("Queueing theory (DESIGN §11) from what the engine measured over %1–%2 s of the "
                                 "current phase: arrivals %3/s, service mean %4 ms (SCV %5), inter-arrival SCV %6, "
                                 "%7 worker(s), %8 cores.")
                      .arg(num(from, 1), num(to, 1), num(in.arrivalRate, 1), ms(in.serviceMeanS * 1e3),
                          num(in.serviceScv, 2), num(in.arrivalScv, 2))
                      .arg(in.workers)
                      .arg(in.cores);
    if (p.applies) {
        tip += QLatin1Char('\n')
            + DomainCard::tr("Model: %1. Each figure reads measured / predicted: util is U = λ·E[S]/c, P(wait) the "
                             "share of stages that find every worker busy, wait the mean time in the queue. The "
                             "dashed line on the Queue depth plot is the predicted mean queue (%2 now).")
                  .arg(p.model, num(p.queueMean, 2));
        if (p.pBlock)
            tip += QLatin1Char('\n')
                + DomainCard::tr("The model rejects %1 % of arrivals (bounded queue, on_full: reject).")
                      .arg(num(*p.pBlock * 100, 2));
    } else {
        tip += QLatin1Char('\n')
            + DomainCard::tr("%1 does not apply: %2. No prediction is drawn rather than a wrong one. Measured: util "
                             "%3 %, P(wait) %4, wait %5 ms.")
                  .arg(p.model, p.why, num(t.measuredUtilization * 100, 0), num(t.measuredPWait, 2),
                      ms(t.measuredWaitMeanS * 1e3));
    }
    tip += QLatin1Char('\n')
        + DomainCard::tr("Little's law on the measured figures: L = %1, λ·W = %2 (%3 % apart).")
              .arg(num(t.littleL, 2), num(t.littleLambdaW, 2), num(t.littleMismatch * 100, 0));
    return tip;
}
} // namespace

DomainCard::DomainCard(DomainKind domain, QWidget *parent)
    : QFrame(parent)
    , m_domain(domain)
{
    setObjectName(QStringLiteral("domainCard_") + domainName(domain));
    setFrameShape(QFrame::StyledPanel);
    auto *v = new QVBoxLayout(this);
    v->setContentsMargins(12, 6, 8, 6);
    v->setSpacing(4);

    auto *header = new QHBoxLayout;
    m_swatch = new QLabel(this);
    header->addWidget(m_swatch);
    m_name = new QLabel(domainName(domain), this);
    QFont bold = m_name->font();
    bold.setBold(true);
    m_name->setFont(bold);
    header->addWidget(m_name);
    m_caption = new QLabel(caption(domain), this);
    m_caption->setForegroundRole(QPalette::PlaceholderText);
    header->addWidget(m_caption);
    if (domain != DomainKind::Loop) {
        m_autoText = new QLabel(this);
        m_autoText->setObjectName(QStringLiteral("autoscaleText"));
        m_autoText->setTextFormat(Qt::PlainText);
        m_autoText->setVisible(false);
        header->addWidget(m_autoText);
    }
    header->addStretch(1);
    m_status = new QLabel(this);
    m_status->setForegroundRole(QPalette::PlaceholderText);
    m_status->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    int statusWidth = 0;
    for (const QString &t : { tr("unavailable"), tr("finished"), tr("running") })
        statusWidth = std::max(statusWidth, fontMetrics().horizontalAdvance(t));
    m_status->setFixedSize(statusWidth + 4, fontMetrics().height());
    header->addWidget(m_status);
    v->addLayout(header);
    m_unusedNote = new QLabel(tr("not used by this scenario: route a stage here (Routing) to use it"), this);
    m_unusedNote->setWordWrap(true);
    m_unusedNote->setForegroundRole(QPalette::PlaceholderText);
    QFont italic = m_unusedNote->font();
    italic.setItalic(true);
    m_unusedNote->setFont(italic);
    m_unusedNote->setVisible(false);
    v->addWidget(m_unusedNote);

    auto *grid = new QGridLayout;
    grid->setHorizontalSpacing(6);
    grid->setVerticalSpacing(3);
    m_workers = new QSpinBox(this);
    m_workers->setRange(1, kWorkersMax);
    m_workers->setAccelerated(true);
    m_slider = new QSlider(Qt::Horizontal, this);
    m_slider->setRange(1, kSliderMax);
    m_slider->setPageStep(4);
    m_workersLabel = new QLabel(tr("Workers"), this);
    grid->addWidget(m_workersLabel, 0, 0);
    grid->addWidget(m_workers, 0, 1);
    grid->addWidget(m_slider, 0, 2, 1, domain == DomainKind::Loop ? 2 : 1); // a pool's Auto switch goes beside it
    if (domain == DomainKind::Loop) {
        const QString tip = tr("The event loop is always one thread.");
        m_workers->setRange(1, 1);
        m_slider->setRange(1, 1);
        m_workers->setEnabled(false);
        m_slider->setEnabled(false);
        m_workers->setToolTip(tip);
        m_slider->setToolTip(tip);
    }
    m_queue = limitSpinBox(this, tr("Capacity of the waiting queue"));
    m_maxInflight = limitSpinBox(this, tr("Most stages queued and running at once"));
    m_queueUnlimited = new QCheckBox(tr("unlimited"), this);
    m_queueUnlimited->setToolTip(tr("No bound on the waiting queue (queue: 0 in the scenario file)"));
    m_maxInflightUnlimited = new QCheckBox(tr("unlimited"), this);
    m_maxInflightUnlimited->setToolTip(tr("No bound on stages queued and running (max_inflight: 0 in the file)"));
    m_queue->setValue(kLimitSuggestion);
    m_maxInflight->setValue(kLimitSuggestion);
    m_queueUnlimited->setChecked(true); // a DomainConfig's default
    m_maxInflightUnlimited->setChecked(true);
    setUnlimited(m_queue, m_queueUnlimited, true);
    setUnlimited(m_maxInflight, m_maxInflightUnlimited, true);
    m_queueLabel = new QLabel(tr("Queue"), this);
    m_maxInflightLabel = new QLabel(tr("Max in flight"), this);
    grid->addWidget(m_queueLabel, 1, 0);
    grid->addWidget(m_queue, 1, 1);
    grid->addWidget(m_queueUnlimited, 1, 2, 1, 2);
    grid->addWidget(m_maxInflightLabel, 2, 0);
    grid->addWidget(m_maxInflight, 2, 1);
    grid->addWidget(m_maxInflightUnlimited, 2, 2, 1, 2);
    m_onFull = new QComboBox(this);
    for (OnFull p : { OnFull::Reject, OnFull::Block, OnFull::DropOldest })
        m_onFull->addItem(onFullName(p), int(p));
    m_onFull->setToolTip(tr("What happens to a stage that arrives when the domain is full"));
    m_onFullLabel = new QLabel(tr("When full"), this);
    grid->addWidget(m_onFullLabel, 3, 0);
    grid->addWidget(m_onFull, 3, 1);
    if (domain == DomainKind::Procs) {
        m_transfer = new QLabel(this);
        m_transfer->setToolTip(tr("How payloads reach the worker processes (set in the scenario file)"));
        grid->addWidget(new QLabel(tr("Transfer"), this), 3, 2, Qt::AlignRight);
        grid->addWidget(m_transfer, 3, 3);
    }
    if (domain != DomainKind::Loop)
        buildAutoscaleRow(grid, 4);
    // Wide enough for the largest value the format allows, so no digit is ever cut.
    const int spinWidth = std::max(m_queue->sizeHint().width(), m_workers->sizeHint().width());
    for (QSpinBox *sb : { m_workers, m_queue, m_maxInflight })
        sb->setMinimumWidth(spinWidth);
    grid->setColumnStretch(2, 1);
    v->addLayout(grid);

    // Figures as name/value pairs of plain-text labels: they change 20 times a second, and a
    // rich-text label would build a text document on every change.
    auto *figures = new QGridLayout;
    figures->setHorizontalSpacing(4);
    figures->setVerticalSpacing(0);
    QFont small = font();
    small.setPointSizeF(font().pointSizeF() * 0.9);
    QFont smallBold = small;
    smallBold.setBold(true);
    for (int i = 0; i < FCount; ++i) {
        auto *label = new QLabel(figureName(domain, i), this);
        label->setFont(small);
        label->setForegroundRole(QPalette::PlaceholderText);
        auto *value = new QLabel(this);
        value->setFont(smallBold);
        value->setTextFormat(Qt::PlainText);
        // A fixed size keeps a changing value from asking the whole window to lay out again,
        // 20 times a second (a label's geometry change climbs to the top-level layout).
        const QFontMetrics fm(smallBold);
        value->setFixedSize(fm.horizontalAdvance(QStringLiteral("000/000")), fm.height());
        figures->addWidget(label, i / 4, (i % 4) * 2, Qt::AlignRight);
        figures->addWidget(value, i / 4, (i % 4) * 2 + 1);
        m_figureNames.push_back(label);
        m_figures.push_back(value);
    }
    for (int c = 1; c < 8; c += 2)
        figures->setColumnStretch(c, 1);
    v->addLayout(figures);

    // The theory overlay (LiveTheory, twice a second): a title line with the model, then measured /
    // predicted pairs styled like the figures, or in their place why no model applies.
    m_theoryBox = new QWidget(this);
    auto *theoryLayout = new QVBoxLayout(m_theoryBox);
    theoryLayout->setContentsMargins(0, 2, 0, 0);
    theoryLayout->setSpacing(0);
    m_theoryTitle = new QLabel(m_theoryBox);
    m_theoryTitle->setFont(small);
    m_theoryTitle->setForegroundRole(QPalette::PlaceholderText);
    m_theoryTitle->setTextFormat(Qt::PlainText);
    // A long model name is cut rather than widening the card (the hover has it all).
    m_theoryTitle->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
    m_theoryTitle->setMinimumHeight(QFontMetrics(small).height());
    theoryLayout->addWidget(m_theoryTitle);
    m_theoryFigures = new QWidget(m_theoryBox);
    auto *pairs = new QGridLayout(m_theoryFigures);
    pairs->setContentsMargins(0, 0, 0, 0);
    pairs->setHorizontalSpacing(4);
    pairs->setVerticalSpacing(0);
    for (int i = 0; i < TCount; ++i) {
        auto *label = new QLabel(theoryFigureName(i), m_theoryFigures);
        label->setFont(small);
        label->setForegroundRole(QPalette::PlaceholderText);
        auto *value = new QLabel(m_theoryFigures);
        value->setFont(smallBold);
        value->setTextFormat(Qt::PlainText);
        const QFontMetrics fm(smallBold);
        value->setFixedSize(fm.horizontalAdvance(QStringLiteral("000.0/000.0")), fm.height());
        pairs->addWidget(label, 0, i * 2, Qt::AlignRight);
        pairs->addWidget(value, 0, i * 2 + 1);
        m_theoryNames.push_back(label);
        m_theoryValues.push_back(value);
    }
    for (int c = 1; c < 2 * TCount; c += 2)
        pairs->setColumnStretch(c, 1);
    theoryLayout->addWidget(m_theoryFigures);
    m_theoryWhy = new QLabel(m_theoryBox);
    m_theoryWhy->setFont(small);
    m_theoryWhy->setTextFormat(Qt::PlainText);
    m_theoryWhy->setWordWrap(true);
    m_theoryWhy->setForegroundRole(QPalette::PlaceholderText);
    theoryLayout->addWidget(m_theoryWhy);
    v->addWidget(m_theoryBox);

    m_warning = new QLabel(this);
    m_warning->setWordWrap(true);
    m_warning->setTextFormat(Qt::PlainText);
    m_warning->setVisible(false);
    v->addWidget(m_warning);

    m_workersTimer.setSingleShot(true);
    m_workersTimer.setInterval(kCoalesceMs);
    m_backpressureTimer.setSingleShot(true);
    m_backpressureTimer.setInterval(kCoalesceMs);
    connect(&m_workersTimer, &QTimer::timeout, this, &DomainCard::announceWorkers);
    connect(&m_backpressureTimer, &QTimer::timeout, this, &DomainCard::announceBackpressure);
    m_autoscaleTimer.setSingleShot(true);
    m_autoscaleTimer.setInterval(kCoalesceMs);
    connect(&m_autoscaleTimer, &QTimer::timeout, this, &DomainCard::announceAutoscale);
    connect(m_workers, &QSpinBox::valueChanged, this, &DomainCard::onWorkersEdited);
    connect(m_slider, &QSlider::valueChanged, this, &DomainCard::onWorkersEdited);
    connect(m_slider, &QSlider::sliderReleased, this, &DomainCard::flushPending);
    connect(m_workers, &QSpinBox::editingFinished, this, &DomainCard::flushPending);
    connect(m_queue, &QSpinBox::valueChanged, this, &DomainCard::onBackpressureEdited);
    connect(m_maxInflight, &QSpinBox::valueChanged, this, &DomainCard::onBackpressureEdited);
    connect(m_onFull, &QComboBox::currentIndexChanged, this, &DomainCard::onBackpressureEdited);
    connect(m_queueUnlimited, &QCheckBox::toggled, this, [this](bool on) {
        setUnlimited(m_queue, m_queueUnlimited, on);
        onBackpressureEdited();
    });
    connect(m_maxInflightUnlimited, &QCheckBox::toggled, this, [this](bool on) {
        setUnlimited(m_maxInflight, m_maxInflightUnlimited, on);
        onBackpressureEdited();
    });
    updateSwatch();
    clearFigures();
}

void DomainCard::buildAutoscaleRow(QGridLayout *grid, int row)
{
    // The switch beside the workers slider; its policy and bounds ("min 1" "max 32") in a row of their
    // own, shown while it is on, so that a card without autoscale is no taller for it.
    m_auto = new QCheckBox(tr("Auto"), this);
    m_auto->setObjectName(QStringLiteral("autoSwitch"));
    m_auto->setToolTip(autoTip());
    m_policy = new QComboBox(this);
    for (AutoscalePolicy p : kCardPolicies) {
        m_policy->addItem(autoscalePolicyName(p), int(p));
        m_policy->setItemData(m_policy->count() - 1, policyToolTip(p), Qt::ToolTipRole);
    }
    m_policy->setToolTip(tr("How the controller decides the pool's size (hover an entry for its rule)"));
    m_autoMin = new QSpinBox(this);
    m_autoMax = new QSpinBox(this);
    m_autoMin->setRange(1, kWorkersMax);
    m_autoMax->setRange(1, kWorkersMax);
    m_autoMin->setPrefix(tr("min "));
    m_autoMax->setPrefix(tr("max "));
    m_autoMin->setToolTip(tr("The controller never goes below this many workers"));
    m_autoMax->setToolTip(tr("The controller never goes above this many workers"));
    for (QSpinBox *sb : { m_autoMin, m_autoMax })
        sb->setAccelerated(true);
    auto *bounds = new QHBoxLayout;
    bounds->setContentsMargins(0, 0, 0, 0);
    bounds->setSpacing(4);
    bounds->addWidget(m_autoMin);
    bounds->addWidget(m_autoMax);
    bounds->addStretch(1);
    m_autoLabel = new QLabel(tr("Autoscale"), this);
    grid->addWidget(m_auto, 0, 3);
    grid->addWidget(m_autoLabel, row, 0);
    grid->addWidget(m_policy, row, 1);
    grid->addLayout(bounds, row, 2, 1, 2);

    m_autoMax->setValue(m_autoscaleBase.maxFor(m_setWorkers));
    connect(m_auto, &QCheckBox::toggled, this, [this] {
        m_autoMaxExplicit = true; // what the card shows is what the engine gets
        enableControls();
        updateAutoscaleText();
        updateChangedMarks();
        m_autoscaleTimer.stop();
        announceAutoscale(); // a switch acts at once
    });
    connect(m_policy, &QComboBox::currentIndexChanged, this, &DomainCard::onAutoscaleEdited);
    connect(m_autoMin, &QSpinBox::valueChanged, this, [this](int min) {
        m_autoMax->setMinimum(min); // max >= min, always (may raise max: announced with it)
        onAutoscaleEdited();
    });
    connect(m_autoMax, &QSpinBox::valueChanged, this, &DomainCard::onAutoscaleEdited);
    connect(m_autoMin, &QSpinBox::editingFinished, this, &DomainCard::flushPending);
    connect(m_autoMax, &QSpinBox::editingFinished, this, &DomainCard::flushPending);
    enableControls(); // off: the policy and bounds greyed
}

AutoscaleConfig DomainCard::autoscale() const
{
    AutoscaleConfig a = m_autoscaleBase;
    if (!m_auto)
        return a;
    a.policy = m_auto->isChecked() ? AutoscalePolicy(m_policy->currentData().toInt()) : AutoscalePolicy::Off;
    a.min = m_autoMin->value();
    a.max = m_autoMaxExplicit ? m_autoMax->value() : m_autoscaleBase.max;
    return a;
}

QString DomainCard::autoscaleText() const
{
    if (!m_auto || !m_auto->isChecked())
        return {};
    return tr("auto · %1 %2–%3").arg(m_policy->currentText()).arg(m_autoMin->value()).arg(m_autoMax->value());
}

void DomainCard::updateAutoscaleText()
{
    if (!m_autoText)
        return;
    const QString text = autoscaleText();
    m_autoText->setText(text);
    m_autoText->setVisible(!text.isEmpty());
    const AutoscaleConfig a = autoscale();
    m_autoText->setToolTip(text.isEmpty()
            ? QString()
            : tr("%1, deciding every %2 ms%3")
                  .arg(policyToolTip(a.policy))
                  .arg(a.interval * 1e3, 0, 'f', 0)
                  .arg(a.targetP99 > 0 ? tr(", target P99 %1 ms").arg(a.targetP99 * 1e3, 0, 'f', 1) : QString()));
}

void DomainCard::onAutoscaleEdited()
{
    m_autoMaxExplicit = true;
    updateAutoscaleText();
    updateChangedMarks();
    m_autoscaleTimer.start(); // restarts: only still bounds are announced
}

void DomainCard::announceAutoscale()
{
    const AutoscaleConfig a = autoscale();
    // Off is off, whatever bounds it keeps: no command for a change the engine would not use.
    if (a == m_announcedAutoscale || (!a.enabled() && !m_announcedAutoscale.enabled()))
        return;
    m_announcedAutoscale = a;
    Q_EMIT autoscaleRequested(m_domain, a);
}

void DomainCard::setConfig(const DomainConfig &config)
{
    const QSignalBlocker b1(m_workers), b2(m_slider), b3(m_queue), b4(m_maxInflight), b5(m_onFull),
        b6(m_queueUnlimited), b7(m_maxInflightUnlimited);
    m_workersTimer.stop();
    m_backpressureTimer.stop();
    m_autoscaleTimer.stop();
    const int workers = m_domain == DomainKind::Loop ? 1 : config.workers;
    m_setWorkers = workers;
    m_workers->setValue(workers);
    m_slider->setValue(std::min(workers, m_slider->maximum()));
    m_queueUnlimited->setChecked(config.queue <= 0);
    setUnlimited(m_queue, m_queueUnlimited, config.queue <= 0);
    if (config.queue > 0)
        m_queue->setValue(config.queue);
    m_maxInflightUnlimited->setChecked(config.maxInflight <= 0);
    setUnlimited(m_maxInflight, m_maxInflightUnlimited, config.maxInflight <= 0);
    if (config.maxInflight > 0)
        m_maxInflight->setValue(config.maxInflight);
    m_onFull->setCurrentIndex(m_onFull->findData(int(config.onFull)));
    m_transferMode = config.transfer;
    if (m_transfer)
        m_transfer->setText(transferName(config.transfer));
    m_announcedWorkers = workers;
    m_announcedBackpressure = backpressure();
    if (m_auto) {
        const QSignalBlocker b8(m_auto), b9(m_policy), b10(m_autoMin), b11(m_autoMax);
        const AutoscaleConfig &a = config.autoscale;
        m_autoscaleBase = a;
        m_autoMaxExplicit = a.max > 0;
        m_auto->setChecked(a.enabled());
        // Off shows the first policy (queue), not whatever an earlier scenario had.
        m_policy->setCurrentIndex(a.enabled() ? m_policy->findData(int(a.policy)) : 0);
        m_autoMin->setValue(a.min);
        m_autoMax->setMinimum(a.min);
        m_autoMax->setValue(a.maxFor(workers));
        m_announcedAutoscale = autoscale();
        updateAutoscaleText();
        enableControls();
    }
    updateChangedMarks();
}

void DomainCard::setUnlimited(QSpinBox *spin, QCheckBox *check, bool unlimited)
{
    // Unlimited shows "∞" (the spin box's 0) in a disabled box; a bound starts at 1, so typing 0
    // can no longer mean "unlimited" by accident.
    const QSignalBlocker block(spin);
    if (unlimited) {
        if (spin->value() > 0)
            spin->setProperty("hsLastBound", spin->value());
        spin->setMinimum(0);
        spin->setValue(0);
    } else {
        spin->setMinimum(1);
        const int last = spin->property("hsLastBound").toInt();
        if (spin->value() < 1 || last > 0)
            spin->setValue(last > 0 ? last : kLimitSuggestion);
    }
    spin->setEnabled(!unlimited && m_available && m_lockedWhy.isEmpty());
    if (check->isChecked() != unlimited) {
        const QSignalBlocker b(check);
        check->setChecked(unlimited);
    }
}

void DomainCard::setFileConfig(const DomainConfig &config)
{
    m_fileConfig = config;
    m_hasFileConfig = true;
    updateChangedMarks();
}

QStringList DomainCard::changedFromFile() const
{
    QStringList out;
    if (!m_hasFileConfig)
        return out;
    const DomainConfig now = config();
    if (m_domain != DomainKind::Loop && now.workers != m_fileConfig.workers)
        out << QStringLiteral("workers");
    if (now.queue != m_fileConfig.queue)
        out << QStringLiteral("queue");
    if (now.maxInflight != m_fileConfig.maxInflight)
        out << QStringLiteral("max_inflight");
    if (now.onFull != m_fileConfig.onFull)
        out << QStringLiteral("on_full");
    // Bounds matter only while on; an absent max is its default for the file's pool size.
    const AutoscaleConfig &a = now.autoscale, &f = m_fileConfig.autoscale;
    const int w = m_fileConfig.workers;
    if (m_auto && (a.policy != f.policy || (a.enabled() && (a.min != f.min || a.maxFor(w) != f.maxFor(w)))))
        out << QStringLiteral("autoscale");
    return out;
}

void DomainCard::updateChangedMarks()
{
    const QStringList changed = changedFromFile();
    markChanged(m_workersLabel, tr("Workers"), changed.contains(QStringLiteral("workers")),
        QString::number(m_fileConfig.workers));
    markChanged(m_queueLabel, tr("Queue"), changed.contains(QStringLiteral("queue")), limitText(m_fileConfig.queue));
    markChanged(m_maxInflightLabel, tr("Max in flight"), changed.contains(QStringLiteral("max_inflight")),
        limitText(m_fileConfig.maxInflight));
    markChanged(
        m_onFullLabel, tr("When full"), changed.contains(QStringLiteral("on_full")), onFullName(m_fileConfig.onFull));
    if (m_auto) {
        // The switch is its row's label: marked the same way, the file's setting under its own tooltip.
        const bool autoChanged = changed.contains(QStringLiteral("autoscale"));
        const AutoscaleConfig &f = m_fileConfig.autoscale;
        QFont font = m_auto->font();
        font.setBold(autoChanged);
        m_auto->setFont(font);
        m_auto->setText(autoChanged ? tr("Auto") + QStringLiteral(" ●") : tr("Auto"));
        QString tip = autoTip();
        if (autoChanged)
            tip += QLatin1Char('\n')
                + tr("Changed from the scenario file (file: %1)")
                      .arg(f.enabled() ? QStringLiteral("%1 %2–%3")
                                             .arg(autoscalePolicyName(f.policy))
                                             .arg(f.min)
                                             .arg(f.maxFor(m_fileConfig.workers))
                                       : tr("off"));
        if (m_lockedWhy.isEmpty())
            m_auto->setToolTip(tip);
        else // locked: the reason shows now, this once unlocked
            for (auto &[w, saved] : m_unlockedTips)
                if (w == m_auto)
                    saved = tip;
    }
}

void DomainCard::setUsed(bool used)
{
    if (m_used == used)
        return;
    m_used = used;
    updateLook();
}

void DomainCard::setWarnings(const QStringList &warnings)
{
    if (warnings == m_warningLines)
        return;
    m_warningLines = warnings;
    QStringList lines;
    for (const QString &w : warnings)
        lines << QStringLiteral("⚠ ") + w;
    m_warning->setText(lines.join(QLatin1Char('\n')));
    m_warning->setVisible(!warnings.isEmpty());
}

QString DomainCard::statusText() const
{
    return m_available && !m_used ? tr("not used by this scenario") : m_status->text();
}

void DomainCard::updateLook()
{
    // Unused and unavailable cards read as such: greyed name, figures and colour bar.
    const bool active = m_available && m_used;
    m_name->setForegroundRole(active ? QPalette::WindowText : QPalette::PlaceholderText);
    for (QLabel *l : m_figures)
        l->setEnabled(active);
    for (QLabel *l : m_figureNames)
        l->setEnabled(active);
    m_theoryBox->setEnabled(active);
    m_theoryBox->setVisible(m_used); // no stage here: nothing to predict
    if (!m_available)
        m_status->setText(tr("unavailable"));
    else if (!m_used || m_status->text() == tr("unavailable"))
        m_status->setText(QString());
    m_unusedNote->setVisible(m_available && !m_used);
    update();
}

DomainConfig DomainCard::config() const
{
    DomainConfig c;
    c.declared = true;
    c.workers = m_domain == DomainKind::Loop ? 1 : m_setWorkers;
    const Backpressure bp = backpressure();
    c.queue = bp.queue;
    c.maxInflight = bp.maxInflight;
    c.onFull = bp.onFull;
    c.transfer = m_transferMode;
    c.autoscale = autoscale();
    return c;
}

Backpressure DomainCard::backpressure() const
{
    Backpressure bp;
    bp.queue = m_queue->value();
    bp.maxInflight = m_maxInflight->value();
    bp.onFull = OnFull(m_onFull->currentData().toInt());
    return bp;
}

void DomainCard::onWorkersEdited(int workers)
{
    {
        const QSignalBlocker b1(m_workers), b2(m_slider);
        m_workers->setValue(workers);
        m_slider->setValue(std::min(workers, m_slider->maximum()));
    }
    m_setWorkers = workers;
    if (m_autoMax && !m_autoMaxExplicit) { // the default max follows the pool's size
        const QSignalBlocker b(m_autoMax);
        m_autoMax->setValue(m_autoscaleBase.maxFor(workers));
        updateAutoscaleText();
    }
    updateChangedMarks();
    m_workersTimer.start(); // restarts: only a still control is announced
}

void DomainCard::onBackpressureEdited()
{
    // A bound set while "unlimited" is ticked (by a program: the box is disabled) unticks it.
    if (m_queue->value() > 0 && m_queueUnlimited->isChecked())
        setUnlimited(m_queue, m_queueUnlimited, false);
    if (m_maxInflight->value() > 0 && m_maxInflightUnlimited->isChecked())
        setUnlimited(m_maxInflight, m_maxInflightUnlimited, false);
    updateChangedMarks();
    m_backpressureTimer.start();
}

void DomainCard::flushPending()
{
    if (m_workersTimer.isActive()) {
        m_workersTimer.stop();
        announceWorkers();
    }
    if (m_backpressureTimer.isActive()) {
        m_backpressureTimer.stop();
        announceBackpressure();
    }
    if (m_autoscaleTimer.isActive()) {
        m_autoscaleTimer.stop();
        announceAutoscale();
    }
}

void DomainCard::announceWorkers()
{
    const int workers = m_workers->value();
    if (workers == m_announcedWorkers)
        return;
    m_announcedWorkers = workers;
    m_userResized.start();
    Q_EMIT workersRequested(m_domain, workers);
}

void DomainCard::announceBackpressure()
{
    const Backpressure bp = backpressure();
    const Backpressure &a = m_announcedBackpressure;
    if (bp.queue == a.queue && bp.maxInflight == a.maxInflight && bp.onFull == a.onFull)
        return;
    m_announcedBackpressure = bp;
    Q_EMIT backpressureRequested(m_domain, bp);
}

void DomainCard::setAvailable(bool available, const QString &reason)
{
    m_available = available;
    enableControls();
    m_status->setText(QString());
    m_status->setToolTip(reason);
    setToolTip(available ? QString() : tr("%1 is not running: %2").arg(domainName(m_domain), reason));
    if (!available)
        clearFigures();
    updateLook();
}

void DomainCard::enableControls()
{
    const bool on = m_available && m_lockedWhy.isEmpty();
    for (QWidget *w : std::initializer_list<QWidget *> { m_onFull, m_queueUnlimited, m_maxInflightUnlimited })
        w->setEnabled(on);
    m_queue->setEnabled(on && !m_queueUnlimited->isChecked());
    m_maxInflight->setEnabled(on && !m_maxInflightUnlimited->isChecked());
    if (m_domain != DomainKind::Loop) {
        m_workers->setEnabled(on);
        m_slider->setEnabled(on);
    }
    if (m_auto) {
        m_auto->setEnabled(on);
        // The policy and bounds of a switched-off controller would do nothing: shown once it is on.
        for (QWidget *w : std::initializer_list<QWidget *> { m_policy, m_autoMin, m_autoMax }) {
            w->setEnabled(on && m_auto->isChecked());
            w->setVisible(m_auto->isChecked());
        }
        m_autoLabel->setVisible(m_auto->isChecked());
    }
}

void DomainCard::setControlsLocked(const QString &why)
{
    if (why == m_lockedWhy)
        return;
    if (m_lockedWhy.isEmpty()) {
        m_unlockedTips.clear();
        for (QWidget *w : std::initializer_list<QWidget *> { m_workers, m_slider, m_queue, m_maxInflight, m_onFull,
                 m_queueUnlimited, m_maxInflightUnlimited, m_auto, m_policy, m_autoMin, m_autoMax })
            if (w)
                m_unlockedTips.emplace_back(w, w->toolTip());
    }
    m_lockedWhy = why;
    for (const auto &[w, tip] : m_unlockedTips)
        w->setToolTip(why.isEmpty() ? tip : why);
    if (why.isEmpty())
        m_unlockedTips.clear();
    enableControls();
}

void DomainCard::setFigure(int index, const QString &text)
{
    QLabel *l = m_figures[std::size_t(index)];
    if (l->text() != text) // frames come 20 times a second: relayout only on change
        l->setText(text);
}

void DomainCard::setFigures(const DomainFrame &f, double loopLagMs)
{
    const QString status = m_lockedWhy.isEmpty() ? tr("running") : tr("simulated");
    if (m_available && m_used && m_status->text() != status)
        m_status->setText(status);
    setFigure(FQueue, QString::number(f.queue));
    setFigure(FInflight, QString::number(f.inflight));
    setFigure(FBusy, QStringLiteral("%1/%2").arg(f.busy).arg(f.workers));
    setFigure(FUtil, num(f.utilization * 100, 0) + QStringLiteral(" %"));
    setFigure(FThroughput, num(f.throughput, 0));
    setFigure(FP99, num(f.p99Ms, f.p99Ms < 10 ? 2 : 1));
    setFigure(FStarved, QString::number(f.starved));
    setFigure(FExtra, m_domain == DomainKind::Loop ? num(loopLagMs, 2) : QString::number(f.done));
    // Auto on: the workers controls show the controller's size, except while the user is at them.
    const bool userAtIt = m_workersTimer.isActive() || m_workers->hasFocus() || m_slider->isSliderDown()
        || (m_userResized.isValid() && m_userResized.elapsed() < 2 * kCoalesceMs);
    if (m_auto && m_auto->isChecked() && f.workers > 0 && !userAtIt && m_workers->value() != f.workers) {
        const QSignalBlocker b1(m_workers), b2(m_slider);
        m_workers->setValue(f.workers);
        m_slider->setValue(std::min(f.workers, m_slider->maximum()));
        m_announcedWorkers = f.workers; // a resize by hand is compared with the size the pool has
    }
}

void DomainCard::setFinished()
{
    if (m_available && m_used)
        m_status->setText(tr("finished"));
}

void DomainCard::clearFigures()
{
    for (int i = 0; i < FCount; ++i)
        setFigure(i, QStringLiteral("–"));
    if (m_workers->value() != m_setWorkers && m_domain != DomainKind::Loop) {
        // A new run starts from the configured size, wherever a controller took the last one.
        const QSignalBlocker b1(m_workers), b2(m_slider);
        m_workers->setValue(m_setWorkers);
        m_slider->setValue(std::min(m_setWorkers, m_slider->maximum()));
        m_announcedWorkers = m_setWorkers;
    }
    if (m_available && m_used)
        m_status->setText(QString());
    clearTheory(tr("figures from the first seconds of the run"));
}

void DomainCard::clearTheory(const QString &why)
{
    if (m_theoryTitle->text() != tr("theory"))
        m_theoryTitle->setText(tr("theory"));
    for (QLabel *l : m_theoryValues)
        l->setText(QStringLiteral("–"));
    m_theoryFigures->setVisible(why.isEmpty());
    if (m_theoryWhy->text() != why)
        m_theoryWhy->setText(why);
    m_theoryWhy->setVisible(!why.isEmpty());
    m_theoryBox->setToolTip(tr("Queueing theory (DESIGN §11): from the arrival rate and service times measured over "
                               "the last %1 s of the current phase, the model predicts utilization, the probability "
                               "that a stage waits and its mean wait; shown as measured / predicted, or why no model "
                               "applies.")
                                .arg(LiveTheory::kWindowS));
}

void DomainCard::setTheory(const LiveTheory &theory)
{
    const std::optional<DomainTheory> &t = theory.domain(m_domain);
    if (!theory.hasWindow() || !t) {
        clearTheory(theory.hasWindow() ? tr("the engine does not run this domain") : theory.waiting());
        return;
    }
    const theory::Prediction &p = t->predicted;
    const QString title
        = p.applies ? tr("theory %1: measured/predicted").arg(p.model) : tr("theory: %1 does not apply").arg(p.model);
    if (m_theoryTitle->text() != title)
        m_theoryTitle->setText(title);
    if (p.applies) {
        const QString values[TCount] = {
            num(t->measuredUtilization * 100, 0) + QLatin1Char('/') + num(p.utilization * 100, 0),
            num(t->measuredPWait, 2) + QLatin1Char('/') + num(p.pWait, 2),
            ms(t->measuredWaitMeanS * 1e3) + QLatin1Char('/') + ms(p.waitMeanS * 1e3),
        };
        for (int i = 0; i < TCount; ++i)
            if (m_theoryValues[std::size_t(i)]->text() != values[i])
                m_theoryValues[std::size_t(i)]->setText(values[i]);
    } else if (m_theoryWhy->text() != p.why) {
        m_theoryWhy->setText(p.why);
    }
    m_theoryFigures->setVisible(p.applies);
    m_theoryWhy->setVisible(!p.applies);
    m_theoryBox->setToolTip(theoryToolTip(*t, theory.windowFrom(), theory.windowTo()));
}

QString DomainCard::theoryText() const
{
    if (!m_theoryBox->isVisibleTo(this))
        return {};
    if (m_theoryWhy->isVisibleTo(m_theoryBox))
        return m_theoryTitle->text() + QStringLiteral(": ") + m_theoryWhy->text();
    QStringList parts;
    for (std::size_t i = 0; i < m_theoryValues.size(); ++i)
        parts << m_theoryNames[i]->text() + QLatin1Char(' ') + m_theoryValues[i]->text();
    return m_theoryTitle->text() + QStringLiteral(": ") + parts.join(QStringLiteral(", "));
}

QString DomainCard::figuresText() const
{
    QStringList parts;
    for (std::size_t i = 0; i < m_figures.size(); ++i)
        parts << m_figureNames[i]->text() + QLatin1Char(' ') + m_figures[i]->text();
    return parts.join(QStringLiteral(", "));
}

void DomainCard::updateSwatch()
{
    m_swatch->setPixmap(colorSwatch(domainColor(m_domain, palette()), 12).pixmap(12, 12));
}

void DomainCard::paintEvent(QPaintEvent *event)
{
    QFrame::paintEvent(event);
    // The domain's colour as a bar down the left edge, the same colour as its plot series.
    QPainter p(this);
    QColor c = domainColor(m_domain, palette());
    if (!m_available || !m_used)
        c.setAlpha(70);
    p.fillRect(QRect(1, 1, 4, height() - 2), c);
}

void DomainCard::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange)
        updateSwatch();
    QFrame::changeEvent(event);
}

} // namespace hs
