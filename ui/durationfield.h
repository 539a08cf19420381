#pragma once

#include <QWidget>

class QComboBox;
class QLabel;

namespace hs {

/**
 * How long the next run lasts, beside Run: an editable list ("until stopped", 10s, 30s, 1m, 5m,
 * or any duration typed as in a scenario file: "45s", "1.5m"). A value is taken when the editing
 * ends and checked with the scenario format's rules for `duration`; a wrong one is shown in red
 * with what was expected and leaves the duration as it was.
 *
 *     auto *d = new DurationField(toolbar);
 *     d->setSeconds(scenario.duration);     // 0: until stopped
 *     connect(d, &DurationField::secondsChanged, this, [&](double s) { working.duration = s; });
 */
class DurationField : public QWidget {
    Q_OBJECT
public:
    explicit DurationField(QWidget *parent = nullptr);

    /// Shows `seconds` (0: until stopped) without emitting secondsChanged.
    void setSeconds(double seconds);
    double seconds() const { return m_seconds; }
    /// What the field shows ("until stopped", "20s").
    QString text() const;
    /// Takes `text` as if typed and confirmed; false (and the field marked) when it is not a duration.
    bool setText(const QString &text);
    /// What was wrong with the last text typed, empty when it was taken.
    QString error() const { return m_error; }
    QComboBox *comboBox() const { return m_combo; }

Q_SIGNALS:
    void secondsChanged(double seconds);

private:
    void commit();
    void showValue();

    QLabel *m_label;
    QComboBox *m_combo;
    double m_seconds = 0;
    QString m_error;
    QString m_tip;
};

} // namespace hs
