#include "htmlbuilder.h"

#include <QBuffer>
#include <QLocale>

namespace hs {

namespace {
// The browser's stylesheet, print rules included. No '<' or '&' in it: the file stays XML.
const char *kBrowserCss = R"(
body { font-family: "DejaVu Sans", "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #212529;
       max-width: 980px; margin: 1.5em auto; padding: 0 1em; line-height: 1.4; font-size: 15px; }
h1 { font-size: 1.6em; margin: 0 0 0.2em; }
h2 { font-size: 1.25em; border-bottom: 2px solid #dee2e6; padding-bottom: 0.15em; margin-top: 1.6em; }
h3 { font-size: 1.05em; margin: 1em 0 0.3em; }
table { border-collapse: collapse; margin: 0.4em 0 0.8em; font-size: 0.88em; }
table.wide { width: 100%; }
th, td { border: 1px solid #ced4da; padding: 3px 7px; text-align: right; vertical-align: top; }
th { background: #f1f3f5; }
.l { text-align: left; }
tr.changed td { background: #fff3bf; }
tr.lost td { background: #ffe3e3; }
.marker { color: #c92a2a; font-weight: bold; white-space: nowrap; }
.ok { color: #2b8a3e; font-weight: bold; }
.bad { color: #c92a2a; font-weight: bold; }
.muted { color: #6c757d; }
.lead { font-size: 1.05em; }
.finding { border-left: 4px solid #adb5bd; background: #f8f9fa; padding: 0.35em 0.8em; margin: 0.6em 0; }
.finding.error { border-left-color: #c92a2a; }
.finding.warning { border-left-color: #f08c00; }
.advice { margin: 0.2em 0 0; }
.figure { margin: 0.8em 0 1.2em; }
.figure p { margin: 0.2em 0; }
.figure img { width: 100%; height: auto; border: 1px solid #e9ecef; }
.caption { font-size: 0.85em; color: #495057; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.92em; }
@page { size: A4; margin: 14mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 9.5pt; }
  h2 { page-break-after: avoid; break-after: avoid; }
  table, .figure, .finding { page-break-inside: avoid; break-inside: avoid; }
  thead { display: table-header-group; }
  tr { page-break-inside: avoid; break-inside: avoid; }
  #plots { page-break-before: always; break-before: page; }
}
)";

// The subset QTextDocument understands (no selectors beyond type and class, no margins on tables).
const char *kPrintCss = R"(
body { font-family: "DejaVu Sans"; font-size: 8.5pt; color: #212529; }
h1 { font-size: 15pt; }
h2 { font-size: 11.5pt; margin-top: 14px; color: #1c3d6e; }
h3 { font-size: 9.5pt; }
th { background-color: #e9ecef; font-weight: bold; }
.changed { background-color: #fff3bf; }
.lost { background-color: #ffe3e3; }
.marker { color: #c92a2a; font-weight: bold; }
.ok { color: #2b8a3e; font-weight: bold; }
.bad { color: #c92a2a; font-weight: bold; }
.muted { color: #6c757d; }
.caption { font-size: 7.5pt; color: #495057; }
.advice { color: #1c3d6e; }
)";

// Width of a plot on an A4 page in QTextDocument's pixels (96 per inch): the text width there.
constexpr int kPrintImageWidth = 640;
} // namespace

HtmlBuilder::HtmlBuilder(ReportMedium medium)
    : m_medium(medium)
{ }

QString HtmlBuilder::esc(const QString &text)
{
    return text.toHtmlEscaped().replace(QLatin1Char('\''), QLatin1String("&#39;"));
}

QString HtmlBuilder::ms(double v)
{
    const double a = std::abs(v);
    return QString::number(v, 'f', a < 1 ? 3 : a < 100 ? 2 : 1);
}

QString HtmlBuilder::number(double v, int decimals)
{
    return QString::number(v, 'f', decimals);
}

QString HtmlBuilder::count(qint64 v)
{
    return QString::number(v);
}

QString HtmlBuilder::percent(double share)
{
    return QString::number(share * 100.0, 'f', 0) + QLatin1Char('%');
}

void HtmlBuilder::begin(const QString &title)
{
    m_html += QStringLiteral("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
                             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
                             "<meta name=\"generator\" content=\"Hybridscope\"/>\n<title>")
        + esc(title) + QStringLiteral("</title>\n<style>")
        + QString::fromUtf8(m_medium == ReportMedium::Browser ? kBrowserCss : kPrintCss)
        + QStringLiteral("</style>\n</head>\n<body>\n");
}

void HtmlBuilder::heading(int level, const QString &id, const QString &text)
{
    const QString tag = QStringLiteral("h%1").arg(level);
    m_html += QLatin1Char('<') + tag + (id.isEmpty() ? QString() : QStringLiteral(" id=\"%1\"").arg(id))
        + QLatin1Char('>') + esc(text) + QStringLiteral("</") + tag + QStringLiteral(">\n");
}

void HtmlBuilder::paragraph(const QString &html, const QString &cssClass)
{
    m_html += (cssClass.isEmpty() ? QStringLiteral("<p>") : QStringLiteral("<p class=\"%1\">").arg(cssClass)) + html
        + QStringLiteral("</p>\n");
}

void HtmlBuilder::raw(const QString &html)
{
    m_html += html;
}

QString HtmlBuilder::cellAttributes(int column, bool header) const
{
    const bool left = column < m_leftColumns;
    QString a;
    if (left)
        a += QStringLiteral(" class=\"l\"");
    if (m_medium == ReportMedium::Print) // QTextDocument reads align, not text-align on cells
        a += left ? QStringLiteral(" align=\"left\"") : QStringLiteral(" align=\"right\"");
    if (header && m_medium == ReportMedium::Print)
        a += QStringLiteral(" bgcolor=\"#e9ecef\"");
    return a;
}

void HtmlBuilder::openTable(const QString &cssClass)
{
    m_html += QStringLiteral("<table");
    if (!cssClass.isEmpty())
        m_html += QStringLiteral(" class=\"%1\"").arg(cssClass);
    if (m_medium == ReportMedium::Print)
        m_html += QStringLiteral(" border=\"1\" cellspacing=\"0\" cellpadding=\"3\" style=\"border-collapse: collapse; "
                                 "border-color: #adb5bd\"")
            + (cssClass == QLatin1String("wide") ? QStringLiteral(" width=\"100%\"") : QString());
    m_html += QStringLiteral(">\n");
}

void HtmlBuilder::tableBegin(const QStringList &headers, int leftColumns, const QString &cssClass)
{
    m_leftColumns = leftColumns;
    openTable(cssClass);
    m_html += QStringLiteral("<thead><tr>");
    for (int i = 0; i < headers.size(); ++i)
        m_html += QStringLiteral("<th") + cellAttributes(i, true) + QLatin1Char('>') + esc(headers[i])
            + QStringLiteral("</th>");
    m_html += QStringLiteral("</tr></thead>\n<tbody>\n");
}

void HtmlBuilder::row(const QStringList &cells, const QString &rowClass)
{
    m_html += rowClass.isEmpty() ? QStringLiteral("<tr>") : QStringLiteral("<tr class=\"%1\">").arg(rowClass);
    for (int i = 0; i < cells.size(); ++i) {
        QString attrs = cellAttributes(i, false);
        if (!rowClass.isEmpty() && m_medium == ReportMedium::Print && rowClass == QLatin1String("changed"))
            attrs += QStringLiteral(" bgcolor=\"#fff3bf\"");
        else if (m_medium == ReportMedium::Print && rowClass == QLatin1String("lost")) // lost updates (§15)
            attrs += QStringLiteral(" bgcolor=\"#ffe3e3\"");
        m_html += QStringLiteral("<td") + attrs + QLatin1Char('>') + cells[i] + QStringLiteral("</td>");
    }
    m_html += QStringLiteral("</tr>\n");
}

void HtmlBuilder::tableEnd()
{
    m_html += QStringLiteral("</tbody>\n</table>\n");
}

void HtmlBuilder::keyValues(const QList<QPair<QString, QString>> &rows)
{
    m_leftColumns = 2;
    openTable(QStringLiteral("kv"));
    m_html += QStringLiteral("<tbody>\n");
    for (const auto &r : rows)
        row({ QStringLiteral("<b>") + r.first + QStringLiteral("</b>"), r.second });
    tableEnd();
}

void HtmlBuilder::figure(const ReportPlot &plot)
{
    QString src;
    QString size;
    if (m_medium == ReportMedium::Browser) {
        QByteArray png;
        QBuffer buffer(&png);
        buffer.open(QIODevice::WriteOnly);
        plot.image.save(&buffer, "PNG");
        src = QStringLiteral("data:image/png;base64,") + QString::fromLatin1(png.toBase64());
        const QSize logical = ReportPlots::plotSize();
        size = QStringLiteral(" width=\"%1\" height=\"%2\"").arg(logical.width()).arg(logical.height());
    } else {
        src = plot.id + QStringLiteral(".png");
        m_resources.append({ src, plot.image });
        size = QStringLiteral(" width=\"%1\"").arg(kPrintImageWidth);
    }
    if (m_medium == ReportMedium::Browser) {
        // Plain blocks rather than <figure>: simpler viewers (mail, QTextBrowser) lay those out too.
        m_html += QStringLiteral("<div class=\"figure\" id=\"%1\">\n<h3>").arg(plot.id) + esc(plot.title)
            + QStringLiteral("</h3>\n<p><img src=\"%1\"%2 alt=\"%3\"/></p>\n").arg(src, size, esc(plot.title))
            + QStringLiteral("<p class=\"caption\">") + esc(plot.caption) + QStringLiteral("</p>\n</div>\n");
    } else {
        // PdfReport keeps the title with the image that follows it on one page.
        m_html += QStringLiteral("<h3 id=\"%1\">").arg(plot.id) + esc(plot.title) + QStringLiteral("</h3>\n")
            + QStringLiteral("<p><img src=\"%1\"%2 alt=\"%3\"/></p>\n").arg(src, size, esc(plot.title))
            + QStringLiteral("<p class=\"caption\">") + esc(plot.caption) + QStringLiteral("</p>\n");
    }
}

ReportHtml HtmlBuilder::finish()
{
    m_html += QStringLiteral("</body>\n</html>\n");
    return ReportHtml { m_html, m_resources };
}

} // namespace hs
