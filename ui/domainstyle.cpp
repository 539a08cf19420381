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
constexpr std::array<QRgb, 8> kClassRgb{
    0xd6336c, // pink
    0x0c8599, // teal
    0x8d6e63, // brown
    0x5c7cfa, // indigo
    0xc99700, // ochre
    0x495057, // slate
    0x74b816, // lime
    0xf06595, // rose
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
    return adjusted(kClassRgb[i], palette);
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
