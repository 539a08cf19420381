#pragma once

#include "reportplots.h"

#include <QImage>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

namespace hs {

/// Where a report's HTML is read: a browser (the .html file: images inlined as data: URIs, a
/// print stylesheet) or QTextDocument (the .pdf path: the CSS subset it knows, images as
/// document resources).
enum class ReportMedium { Browser, Print };

/// The HTML of a report and, for ReportMedium::Print, the images it refers to by name.
struct ReportHtml {
    QString html;
    QList<QPair<QString, QImage>> resources;
};

/**
 * Writes well-formed (XHTML-compatible) HTML5 for the reports: every element closed, attributes
 * quoted, no named entities beyond XML's; every user string goes through esc(). Cells are given
 * as HTML, so callers escape text with esc() and may add markup.
 *
 *     HtmlBuilder b(ReportMedium::Browser);
 *     b.begin(tr("Report"));
 *     b.heading(2, QStringLiteral("classes"), tr("Classes"));
 *     b.tableBegin({tr("Class"), tr("P99 ms")});
 *     b.row({HtmlBuilder::esc(name), HtmlBuilder::ms(12.5)});
 *     b.tableEnd();
 *     QString html = b.finish().html;
 */
class HtmlBuilder {
public:
    explicit HtmlBuilder(ReportMedium medium);

    static QString esc(const QString &text);
    /// Milliseconds with a precision that suits their size ("0.052", "4.31", "250.0").
    static QString ms(double v);
    static QString number(double v, int decimals = 1);
    static QString count(qint64 v);
    static QString percent(double share);

    ReportMedium medium() const { return m_medium; }
    void begin(const QString &title);
    void heading(int level, const QString &id, const QString &text);
    /// A paragraph of HTML (escape text with esc()).
    void paragraph(const QString &html, const QString &cssClass = {});
    void raw(const QString &html);
    /// A table whose first `leftColumns` columns are text (left-aligned), the rest numbers.
    void tableBegin(const QStringList &headers, int leftColumns = 1, const QString &cssClass = {});
    void row(const QStringList &cells, const QString &rowClass = {});
    void tableEnd();
    /// A key/value table (both given as HTML).
    void keyValues(const QList<QPair<QString, QString>> &rows);
    void figure(const ReportPlot &plot);
    ReportHtml finish();

private:
    QString cellAttributes(int column, bool header) const;
    void openTable(const QString &cssClass);

    ReportMedium m_medium;
    QString m_html;
    int m_leftColumns = 1;
    QList<QPair<QString, QImage>> m_resources;
};

} // namespace hs
