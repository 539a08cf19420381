#pragma once

#include "core/frame.h"
#include "domains/domain.h"
#include "scenario/scenario.h"

#include <QElapsedTimer>
#include <QFrame>
#include <QTimer>

#include <vector>

class QCheckBox;
class QComboBox;
class QGridLayout;
class QLabel;
class QSlider;
class QSpinBox;

namespace hs {

class LiveTheory;

/**
 * The controls and current figures of one domain: pool size (spin box and slider, kept in step),
 * backpressure (queue, max in flight, policy when full) and the latest frame's queue, in flight,
 * busy workers, utilization, throughput, P99 and starved stages. A change is announced once the
 * control has been still for kCoalesceMs (or at once when the slider is released), so dragging
 * the slider resizes the engine once, not once per step. A domain the engine does not run is
 * shown as unavailable; one no stage of the scenario uses is greyed and says so (its controls stay
 * live, so it can be set up before a stage is routed to it). "Unlimited" queue and max in flight
 * are a check box each (the format's 0); a control that differs from the scenario file shows a
 * dot, a bold label and the file's value as its tooltip. Under the figures, the theory overlay
 * (LiveTheory): the model's name and measured / predicted utilization, P(wait) and mean wait over
 * the last seconds, or, where no model applies, why.
 *
 * A pool's card (not the loop's) also has the Auto switch of adaptive pool sizing (DESIGN §13)
 * beside the workers slider; switched on, a row with its policy and min / max workers shows, the header says "auto ·
 * gradient 1–32", the workers controls follow the controller's size from the frames, and a resize by hand is still
 * announced (the controller goes on from there). The switch is announced at once, the policy and
 * bounds once still; interval and target_p99 come from the scenario file and are kept.
 *
 *     DomainCard card(DomainKind::Threads);
 *     card.setConfig(scenario.domain(DomainKind::Threads));
 *     connect(&card, &DomainCard::workersRequested, &controller, &EngineController::resize);
 *     connect(&card, &DomainCard::autoscaleRequested, &controller, &EngineController::setAutoscale);
 */
class DomainCard : public QFrame {
    Q_OBJECT
public:
    static constexpr int kCoalesceMs = 250;
    static constexpr int kSliderMax = 64;

    explicit DomainCard(DomainKind domain, QWidget *parent = nullptr);

    DomainKind domain() const { return m_domain; }
    /// Shows a scenario's configuration of this domain; announces nothing.
    void setConfig(const DomainConfig &config);
    /// The configuration as the controls show it now.
    DomainConfig config() const;
    Backpressure backpressure() const;

    /// The scenario file's configuration of this domain: controls that differ from it are marked.
    void setFileConfig(const DomainConfig &config);
    /// Names of the controls that differ from the file ("workers", "queue", "max_inflight", "on_full",
    /// "autoscale").
    QStringList changedFromFile() const;
    /// Used: some stage is routed to this domain. An unused card is greyed, "not used by this scenario".
    void setUsed(bool used);
    bool isUsed() const { return m_used; }
    /// Resource warnings that concern this domain (empty: none), shown on the card.
    void setWarnings(const QStringList &warnings);
    QStringList warnings() const { return m_warningLines; }
    /// The status shown at the top right ("running", "not used by this scenario", ...).
    QString statusText() const;

    /// Available: the engine runs this domain (or no run yet). Unavailable greys the card out.
    void setAvailable(bool available, const QString &reason = {});
    bool isAvailable() const { return m_available; }
    /// Locks the controls (a simulated run is a replay: nothing to change), saying `why` on each;
    /// an empty `why` unlocks them. The figures stay readable, the status says "simulated".
    void setControlsLocked(const QString &why);
    bool controlsLocked() const { return !m_lockedWhy.isEmpty(); }
    void setFigures(const DomainFrame &frame, double loopLagMs);
    /// The run ended: the last figures stay, marked as such.
    void setFinished();
    void clearFigures();
    /// Text of the figures, for tests ("queue 3, in flight 11, ...").
    QString figuresText() const;
    /// Shows this domain's part of the live theory overlay (measured / predicted, or why not).
    void setTheory(const LiveTheory &theory);
    /// No theory for this run, and `why` (an attached run: its phases are not sent).
    void setNoTheory(const QString &why) { clearTheory(why); }
    /// Text of the theory section, for tests ("theory M/M/c (Erlang C): measured/predicted: util %
    /// 64/64, P(wait) ..." or the reason no model applies); empty when hidden (an unused domain).
    QString theoryText() const;

    /// Announces a pending change now instead of after the coalescing delay.
    void flushPending();

    QSpinBox *workersSpinBox() const { return m_workers; }
    QSlider *workersSlider() const { return m_slider; }
    QSpinBox *queueSpinBox() const { return m_queue; }
    QSpinBox *maxInflightSpinBox() const { return m_maxInflight; }
    QComboBox *onFullComboBox() const { return m_onFull; }
    QCheckBox *queueUnlimitedCheckBox() const { return m_queueUnlimited; }
    QCheckBox *maxInflightUnlimitedCheckBox() const { return m_maxInflightUnlimited; }
    /// The autoscale controls; null on the loop's card.
    QCheckBox *autoCheckBox() const { return m_auto; }
    QComboBox *policyComboBox() const { return m_policy; }
    QSpinBox *autoMinSpinBox() const { return m_autoMin; }
    QSpinBox *autoMaxSpinBox() const { return m_autoMax; }
    /// The autoscale configuration as the controls show it now (policy off while Auto is off).
    AutoscaleConfig autoscale() const;
    /// "auto · gradient 1–32" while Auto is on, else empty (the header's text).
    QString autoscaleText() const;

Q_SIGNALS:
    void workersRequested(hs::DomainKind domain, int workers);
    void backpressureRequested(hs::DomainKind domain, const hs::Backpressure &backpressure);
    /// Auto switched, or its policy or bounds changed while on (policy off: switched off).
    void autoscaleRequested(hs::DomainKind domain, const hs::AutoscaleConfig &autoscale);

protected:
    void paintEvent(QPaintEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void onWorkersEdited(int workers);
    void onBackpressureEdited();
    void announceWorkers();
    void announceBackpressure();
    void buildAutoscaleRow(QGridLayout *grid, int row);
    void onAutoscaleEdited();
    void announceAutoscale();
    void updateAutoscaleText();
    void updateSwatch();
    void updateLook();
    void updateChangedMarks();
    void setUnlimited(QSpinBox *spin, QCheckBox *check, bool unlimited);
    /// Enables the controls as availability, the lock and the "unlimited" boxes allow.
    void enableControls();
    void setFigure(int index, const QString &text);
    void clearTheory(const QString &why);

    const DomainKind m_domain;
    QLabel *m_swatch = nullptr;
    QLabel *m_status = nullptr;
    QSpinBox *m_workers = nullptr;
    QSlider *m_slider = nullptr;
    QSpinBox *m_queue = nullptr;
    QSpinBox *m_maxInflight = nullptr;
    QComboBox *m_onFull = nullptr;
    QCheckBox *m_queueUnlimited = nullptr;
    QCheckBox *m_maxInflightUnlimited = nullptr;
    QLabel *m_name = nullptr;
    QLabel *m_caption = nullptr;
    QLabel *m_workersLabel = nullptr;
    QLabel *m_queueLabel = nullptr;
    QLabel *m_maxInflightLabel = nullptr;
    QLabel *m_onFullLabel = nullptr;
    QLabel *m_warning = nullptr;
    QLabel *m_unusedNote = nullptr;
    QLabel *m_transfer = nullptr;
    QCheckBox *m_auto = nullptr;
    QLabel *m_autoLabel = nullptr; ///< "Autoscale", heading the policy and bounds row
    QComboBox *m_policy = nullptr;
    QSpinBox *m_autoMin = nullptr;
    QSpinBox *m_autoMax = nullptr;
    QLabel *m_autoText = nullptr; ///< "auto · gradient 1–32" in the header
    std::vector<QLabel *> m_figureNames;
    std::vector<QLabel *> m_figures;
    QWidget *m_theoryBox = nullptr;
    QLabel *m_theoryTitle = nullptr; ///< "theory  M/M/c (Erlang C)  measured/predicted"
    QWidget *m_theoryFigures = nullptr; ///< the three pairs, shown while a model applies
    std::vector<QLabel *> m_theoryNames;
    std::vector<QLabel *> m_theoryValues;
    QLabel *m_theoryWhy = nullptr; ///< why no model applies (or no figures yet), instead of the pairs
    QTimer m_workersTimer;
    QTimer m_backpressureTimer;
    QTimer m_autoscaleTimer;
    int m_announcedWorkers = 0;
    /// The configured size (the file's or the user's last resize): with Auto on, the controls show
    /// the controller's size instead, and this is what config() and the changed marks use.
    int m_setWorkers = 2;
    QElapsedTimer m_userResized; ///< since the user's last resize: frames leave the control alone a moment
    Backpressure m_announcedBackpressure;
    /// The file's autoscale block as set (interval and target_p99 are kept from it); max 0 (the
    /// default) stays 0 until the user touches the autoscale controls.
    AutoscaleConfig m_autoscaleBase;
    bool m_autoMaxExplicit = false;
    AutoscaleConfig m_announcedAutoscale;
    Transfer m_transferMode = Transfer::Copy;
    bool m_available = true;
    bool m_used = true;
    bool m_hasFileConfig = false;
    DomainConfig m_fileConfig;
    QStringList m_warningLines;
    QString m_lockedWhy;
    std::vector<std::pair<QWidget *, QString>> m_unlockedTips; ///< the controls' own tooltips while locked
};

} // namespace hs
