#pragma once

#include "htmlbuilder.h"

#include <QByteArray>

namespace hs {

/**
 * Paginates a report's print HTML (ReportMedium::Print) into an A4 PDF with QTextDocument:
 * tables break between rows and repeat their header row, each plot stays whole on a page, and
 * every page carries its number.
 *
 *     QByteArray pdf = PdfReport::render(HtmlReport::build(run, plots, ReportMedium::Print), title);
 */
class PdfReport {
public:
    static QByteArray render(const ReportHtml &html, const QString &title);
};

} // namespace hs
