#include "domainstyle.h"

#include <QPainter>
#include <QPixmap>

#include <array>

static void initIconResources()
{
    // Resources compiled into a static library must be registered explicitly.
    Q_INIT_RESOURCE(hybridscope);
}

namespace hs {

namespace {
// Hues picked to stay apart from each other and from the class palette below, and to read on
// both light and dark backgrounds once lightened (see adjusted()).
constexpr std::array<QRgb, kDomainCount> kDomainRgb{
    0xe8590c, // loop: orange
    0x1c7ed6, // threads: blue
    0x2f9e44, // tbb: green
    0xae3ec9, // procs: purple
};
// Task classes: Okabe & Ito's colour-blind safe set (without its yellow, too pale on white) in
// their order, then four picked to stay apart from them. The first colours are the most distinct:
// most scenarios have two to four classes. Every pair stays >= 15 CIEDE2000 apart for normal vision
// and >= 8 under simulated protanopia and deuteranopia (tst_roughedges checks it).
constexpr std::array<QRgb, kClassColorCount> kClassRgb {
    0x0072b2, // blue
    0xe69f00, // orange
    0x009e73, // bluish green
    0xcc79a7, // reddish purple
    0xd55e00, // vermillion
    0x56b4e9, // sky blue
    0x000000, // black
    0x0000ee, // ultramarine
    0x006622, // dark green
    0x664466, // plum
};

QColor adjusted(QRgb rgb, const QPalette &palette)
{
    QColor c(rgb);
    if (isDarkPalette(palette))
        c = c.lighter(135);
    return c;
}
} // namespace

bool isDarkPalette(const QPalette &palette)
{
    return palette.color(QPalette::Window).lightness() < 110;
}

QColor domainColor(DomainKind d, const QPalette &palette)
{
    return adjusted(kDomainRgb[std::size_t(d)], palette);
}

QColor classColor(int classIndex, const QPalette &palette)
{
    const auto i = std::size_t(std::max(0, classIndex)) % kClassRgb.size();
    QColor c(kClassRgb[i]);
    if (isDarkPalette(palette)) // black and the dark ones would vanish on a dark theme
        c = c.lightness() < 60 ? QColor::fromHsl(c.hslHue(), c.hslSaturation(), 170) : c.lighter(135);
    return c;
}

QIcon colorSwatch(const QColor &color, int size)
{
    QPixmap pm(size, size);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(color.darker(130));
    p.setBrush(color);
    p.drawRoundedRect(QRectF(0.5, 0.5, size - 1, size - 1), 2, 2);
    return QIcon(pm);
}

QIcon applicationIcon()
{
    initIconResources();
    QIcon icon;
    icon.addFile(QStringLiteral(":/icons/hybridscope-48.png"), QSize(48, 48));
    icon.addFile(QStringLiteral(":/icons/hybridscope-256.png"), QSize(256, 256));
    return icon;
}

} // namespace hs
