#include "pdfreport.h"

#include <QAbstractTextDocumentLayout>
#include <QBuffer>
#include <QPageLayout>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QRegularExpression>
#include <QSet>
#include <QTextBlock>
#include <QTextDocument>
#include <QUrl>

#include <cmath>

namespace hs {

namespace {
constexpr int kDpi = 300;
constexpr double kLayoutDpi = 96.0; // QTextDocument's pixels: what the HTML's widths mean
constexpr double kFooterMm = 8.0;
// A heading with less than this below it on its page starts the next page instead (no orphans).
constexpr double kKeepWithNextPx = 90.0;

double mmToLayout(double mm)
{
    return mm / 25.4 * kLayoutDpi;
}

// The heading of ordinal `n` (h1–h3, in document order) needs to start a new page when too little of
// its page is left for it and the start of what follows.
bool needsBreak(const QTextDocument &doc, const QTextBlock &b)
{
    const double pageHeight = doc.pageSize().height();
    const QRectF r = doc.documentLayout()->blockBoundingRect(b);
    // A plot's title keeps its image (the next block) on its page; a section's, a few lines.
    double needed = r.height() + kKeepWithNextPx;
    const QTextBlock next = b.next();
    if (next.isValid() && !QTextCursor(next).currentTable())
        needed = r.height() + doc.documentLayout()->blockBoundingRect(next).height() + kKeepWithNextPx / 3;
    const double remaining = pageHeight - std::fmod(r.top(), pageHeight);
    return remaining < needed && remaining < pageHeight * 0.9;
}

// The HTML with a page break before the headings of the given ordinals.
QString withBreaks(const QString &html, const QSet<int> &ordinals)
{
    static const QRegularExpression heading(QStringLiteral("<h[1-3]"));
    QString out = html;
    int ordinal = 0;
    qsizetype shift = 0;
    for (auto it = heading.globalMatch(html); it.hasNext(); ++ordinal) {
        const auto m = it.next();
        if (!ordinals.contains(ordinal))
            continue;
        const QString style = QStringLiteral(" style=\"page-break-before: always\"");
        out.insert(m.capturedEnd() + shift, style);
        shift += style.size();
    }
    return out;
}

// QTextDocument cannot keep a heading with what follows it: lay the document out, move the first
// heading that ends a page to the next one, and again (each move shifts what comes after).
void layOut(QTextDocument &doc, const ReportHtml &html, const QSizeF &pageSize)
{
    QSet<int> breaks;
    for (int pass = 0; pass < 64; ++pass) {
        doc.clear();
        doc.setDocumentMargin(0);
        for (const auto &r : html.resources)
            doc.addResource(QTextDocument::ImageResource, QUrl(r.first), r.second);
        doc.setHtml(withBreaks(html.html, breaks));
        doc.setPageSize(pageSize);
        int ordinal = -1;
        bool moved = false;
        for (QTextBlock b = doc.begin(); b.isValid() && !moved; b = b.next()) {
            if (b.blockFormat().headingLevel() == 0)
                continue;
            ++ordinal;
            if (!breaks.contains(ordinal) && needsBreak(doc, b)) {
                breaks.insert(ordinal);
                moved = true;
            }
        }
        if (!moved)
            return;
    }
}
} // namespace

QByteArray PdfReport::render(const ReportHtml &html, const QString &title)
{
    QByteArray pdf;
    QBuffer buffer(&pdf);
    buffer.open(QIODevice::WriteOnly);
    QPdfWriter writer(&buffer);
    writer.setTitle(title);
    writer.setCreator(QStringLiteral("Hybridscope"));
    writer.setResolution(kDpi);
    const QMarginsF margins(16, 14, 16, 10);
    writer.setPageLayout(
        QPageLayout(QPageSize(QPageSize::A4), QPageLayout::Portrait, margins, QPageLayout::Millimeter));
    const QSizeF page = QPageSize(QPageSize::A4).size(QPageSize::Millimeter);
    const double bodyWidthMm = page.width() - margins.left() - margins.right();
    const double bodyHeightMm = page.height() - margins.top() - margins.bottom() - kFooterMm;

    QTextDocument doc;
    layOut(doc, html, QSizeF(mmToLayout(bodyWidthMm), mmToLayout(bodyHeightMm)));

    QPainter painter(&writer);
    const double scale = kDpi / kLayoutDpi;
    painter.scale(scale, scale);
    const QSizeF body = doc.pageSize();
    const int pages = doc.pageCount();
    QFont footerFont(QStringLiteral("DejaVu Sans"));
    footerFont.setPixelSize(9); // layout pixels, like the document's: about 7 pt on paper
    for (int i = 0; i < pages; ++i) {
        if (i > 0)
            writer.newPage();
        painter.save();
        painter.translate(0, -i * body.height());
        doc.drawContents(&painter, QRectF(0, i * body.height(), body.width(), body.height()));
        painter.restore();
        painter.setFont(footerFont);
        painter.setPen(QColor(0x6c, 0x75, 0x7d));
        const QRectF footer(0, body.height() + mmToLayout(2), body.width(), mmToLayout(kFooterMm - 2));
        painter.drawText(footer, Qt::AlignLeft | Qt::AlignVCenter, title);
        painter.drawText(footer, Qt::AlignRight | Qt::AlignVCenter, QStringLiteral("%1 / %2").arg(i + 1).arg(pages));
    }
    painter.end();
    buffer.close();
    return pdf;
}

} // namespace hs
