#include "phasetable.h"

#include "results/phases.h"

#include <QBrush>
#include <QColor>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace hs {

namespace {
QString ms(double ns)
{
    const double v = ns / 1e6;
    return QString::number(v, 'f', v < 10 ? 2 : v < 100 ? 1 : 0);
}

QString seconds(double s)
{
    return QString::number(s, 'f', 1);
}
} // namespace

PhaseTableModel::PhaseTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{ }

void PhaseTableModel::setPhases(std::vector<PhaseResult> phases)
{
    QStringList classes;
    if (!phases.empty())
        for (const ClassResult &c : phases.front().classes)
            classes << c.name;
    const bool reshape = classes != m_classes || phases.size() != m_phases.size();
    if (reshape) {
        beginResetModel();
        m_classes = classes;
        m_phases = std::move(phases);
        endResetModel();
        return;
    }
    m_phases = std::move(phases);
    if (!m_phases.empty())
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
}

void PhaseTableModel::clear()
{
    beginResetModel();
    m_phases.clear();
    m_classes.clear();
    endResetModel();
}

int PhaseTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_phases.size());
}

int PhaseTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : domainsColumn() + 1;
}

QString PhaseTableModel::classCell(const PhaseResult &p, std::size_t classIndex)
{
    if (!p.settled)
        return p.open ? QStringLiteral("settling…") : QStringLiteral("did not settle");
    if (classIndex >= p.classes.size())
        return {};
    const ClassResult &c = p.classes[classIndex];
    if (c.latency.isEmpty())
        return QStringLiteral("no completions");
    QString text = ms(c.latency.percentile(0.99)) + QStringLiteral(" ms");
    if (const auto ci = quantileInterval(c.latency, 0.99))
        text += QStringLiteral(" [%1, %2]").arg(ms(ci->lo), ci->hi ? ms(*ci->hi) : QStringLiteral("?"));
    const QString verdict = slaVerdict(c);
    if (verdict == QLatin1String("met"))
        text += QStringLiteral(" ✓");
    else if (verdict == QLatin1String("missed"))
        text += QStringLiteral(" ✗");
    else if (verdict == QLatin1String("uncertain"))
        text += QStringLiteral(" ?");
    return text;
}

QVariant PhaseTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= columnCount())
        return {};
    const PhaseResult &p = m_phases[std::size_t(index.row())];
    const int col = index.column();
    const bool classCol = col >= kFirstClassColumn && col < domainsColumn();
    const std::size_t ci = classCol ? std::size_t(col - kFirstClassColumn) : 0;
    if (role == Qt::DisplayRole) {
        switch (col) {
        case PhaseColumn: return index.row() + 1;
        case TimeColumn:
            return p.open ? seconds(p.fromS) + QStringLiteral(" s – now")
                          : QStringLiteral("%1–%2 s").arg(seconds(p.fromS), seconds(p.toS));
        case ChangeColumn: return p.change == QLatin1String("start") ? tr("start of the run") : p.change;
        case SettleColumn:
            if (p.settled)
                return tr("%1 s, measured %2 s").arg(seconds(p.settleS), seconds(p.measuredS()));
            return p.open ? tr("settling (%1 s)").arg(seconds(p.settleS)) : tr("did not settle");
        default: break;
        }
        if (classCol)
            return classCell(p, ci);
        if (!p.settled)
            return {};
        QStringList parts;
        for (const DomainResult &d : p.domains)
            if (d.used && d.totals.completed > 0)
                parts << tr("%1 %2×, %3 % busy")
                             .arg(domainName(d.kind))
                             .arg(d.totals.workers)
                             .arg(qRound(d.totals.utilization * 100));
        return parts.join(QStringLiteral("; "));
    }
    if (role == Qt::ToolTipRole && classCol && p.settled && ci < p.classes.size()) {
        const ClassResult &c = p.classes[ci];
        QString tip = tr("%1 in phase %2: %3 completed (%4/s over %5 s measured)")
                          .arg(c.name)
                          .arg(index.row() + 1)
                          .arg(c.completed)
                          .arg(c.throughput, 0, 'f', 1)
                          .arg(seconds(p.measuredS()));
        tip += tr("\nP50 %1 ms, P99 %2 ms; the 95 % interval of the P99 is in brackets (? above: too few "
                  "samples to bound it)")
                   .arg(ms(c.latency.percentile(0.5)), ms(c.latency.percentile(0.99)));
        if (c.slaP99Ms)
            tip += tr("\nSLA P99 %1 ms: %2").arg(c.slaP99Ms.value()).arg(slaVerdict(c));
        if (c.failed + c.rejected)
            tip += tr("\n%1 failed, %2 rejected").arg(c.failed).arg(c.rejected);
        return tip;
    }
    if (role == Qt::ToolTipRole && col == SettleColumn)
        return tr("A phase's figures start 1 s after its change, once as many tasks have ended as had "
                  "arrived before it: the backlog of the previous configuration is not charged to this one.");
    if (role == Qt::BackgroundRole && classCol && p.settled && ci < p.classes.size()) {
        const QString verdict = slaVerdict(p.classes[ci]);
        if (verdict == QLatin1String("met"))
            return QBrush(QColor(0xe3, 0xf4, 0xe1));
        if (verdict == QLatin1String("missed"))
            return QBrush(QColor(0xfb, 0xe2, 0xe0));
        if (verdict == QLatin1String("uncertain"))
            return QBrush(QColor(0xfd, 0xf3, 0xd6));
    }
    if (role == Qt::TextAlignmentRole && col == PhaseColumn)
        return int(Qt::AlignCenter);
    return {};
}

QVariant PhaseTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case PhaseColumn: return tr("#");
    case TimeColumn: return tr("Time");
    case ChangeColumn: return tr("Change");
    case SettleColumn: return tr("Settled after");
    default: break;
    }
    if (section >= kFirstClassColumn && section < domainsColumn())
        return tr("%1 P99 [95 % CI]").arg(m_classes[section - kFirstClassColumn]);
    if (section == domainsColumn())
        return tr("Domains");
    return {};
}

PhaseTable::PhaseTable(QWidget *parent)
    : QWidget(parent)
    , m_model(new PhaseTableModel(this))
    , m_view(new QTableView)
    , m_compare(new QPushButton(tr("Compare two phases…")))
    , m_note(new QLabel)
{
    m_note->setText(defaultNote());
    m_note->setWordWrap(true);
    m_view->setModel(m_model);
    m_view->verticalHeader()->hide();
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setWordWrap(false);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_compare->setToolTip(tr("Select two settled phases (Ctrl+click) and write a report comparing them: the "
                             "configuration in effect in each, P99 with its interval, throughput, the domains"));
    m_compare->setEnabled(false);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &PhaseTable::updateCompare);
    connect(m_model, &QAbstractItemModel::modelReset, this, &PhaseTable::updateCompare);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &PhaseTable::updateCompare);
    connect(m_compare, &QPushButton::clicked, this, [this] {
        if (const auto pair = selectedPair())
            Q_EMIT compareRequested(pair->first, pair->second);
    });
    auto *top = new QHBoxLayout;
    top->addWidget(m_note, 1);
    top->addWidget(m_compare, 0, Qt::AlignTop);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(top);
    layout->addWidget(m_view, 1);
}

std::optional<std::pair<int, int>> PhaseTable::selectedPair() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.size() != 2)
        return std::nullopt;
    int a = rows[0].row(), b = rows[1].row();
    if (a > b)
        std::swap(a, b);
    const auto &phases = m_model->phases();
    if (b >= int(phases.size()) || !phases[std::size_t(a)].settled || !phases[std::size_t(b)].settled)
        return std::nullopt;
    return std::pair { a, b };
}

void PhaseTable::updateCompare()
{
    m_compare->setEnabled(selectedPair().has_value());
}

void PhaseTable::setPhases(const std::vector<PhaseResult> &phases)
{
    m_model->setPhases(phases);
}

void PhaseTable::clear()
{
    m_model->clear();
}

QString PhaseTable::defaultNote()
{
    return tr("A new phase starts at every live change; each row holds the figures of one configuration, measured "
              "after it settled.");
}

void PhaseTable::setNote(const QString &note)
{
    m_note->setText(note.isEmpty() ? defaultNote() : note);
}

QString PhaseTable::noteText() const
{
    return m_note->text();
}

} // namespace hs
