#pragma once

#include "scenario/scenario.h"

#include <QColor>
#include <QIcon>
#include <QPalette>

namespace hs {

/**
 * The one colour of each domain, used by every plot, card, table and report of the GUI, and a
 * separate palette for task classes. Colours are adjusted for the palette they are shown on, so
 * that a dark system theme keeps them readable.
 *
 *     pen.setColor(domainColor(DomainKind::Tbb, widget->palette()));
 */
QColor domainColor(DomainKind d, const QPalette &palette = {});
/// Task classes with colours of their own; more classes reuse them from the first.
constexpr int kClassColorCount = 10;
/// Colour of the i-th task class of a scenario: a colour-blind safe palette (Okabe–Ito + 3),
/// distinct for up to kClassColorCount classes, then cycling.
QColor classColor(int classIndex, const QPalette &palette = {});
/// A small filled swatch of `color`, for combo boxes, legends and headings.
QIcon colorSwatch(const QColor &color, int size = 12);
/// True when the palette's window colour is dark (a dark system theme).
bool isDarkPalette(const QPalette &palette);
/// The application icon (from resources/).
QIcon applicationIcon();

} // namespace hs
