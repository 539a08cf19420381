#include "guimain.h"

#include "attachdialog.h"
#include "domainstyle.h"
#include "mainwindow.h"
#include "remoterun.h"

#include <QApplication>
#include <QSocketNotifier>
#include <QTimer>

#include <csignal>
#include <cstdio>
#include <optional>
#include <sys/socket.h>
#include <unistd.h>

namespace hs {

namespace {
int g_signalFds[2] = { -1, -1 };

void onSignal(int)
{
    const char c = 1;
    // Only async-signal-safe work here: wake the event loop through the socket.
    [[maybe_unused]] const ssize_t n = ::write(g_signalFds[0], &c, 1);
}

bool installSignalHandlers()
{
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, g_signalFds) != 0)
        return false;
    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    return ::sigaction(SIGTERM, &sa, nullptr) == 0 && ::sigaction(SIGINT, &sa, nullptr) == 0;
}

bool envSet(const char *name)
{
    const char *v = std::getenv(name);
    return v && *v;
}
} // namespace

bool guiAvailable()
{
    return envSet("DISPLAY") || envSet("WAYLAND_DISPLAY") || envSet("QT_QPA_PLATFORM");
}

int guiMain(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("hybridscope"));
    QApplication::setOrganizationName(QStringLiteral("Hybridscope"));
    QApplication::setApplicationDisplayName(QStringLiteral("Hybridscope"));
    QApplication::setDesktopFileName(QStringLiteral("hybridscope"));
    QApplication::setWindowIcon(applicationIcon());

    QString scenario;
    bool runNow = false;
    bool verbose = false;
    std::optional<QString> attach;
    std::optional<QString> tokenFile;
    const QStringList args = QApplication::arguments().mid(1);
    const auto usage = [](const QString &why) {
        std::fprintf(stderr,
            "hybridscope: %s\n"
            "usage: hybridscope [SCENARIO] [--run] [--verbose]               (the GUI)\n"
            "       hybridscope --attach HOST:PORT [--token-file F] [--verbose] (the GUI, following a served run)\n"
            "       hybridscope help                                         (the command-line tools)\n",
            qPrintable(why));
        return 2;
    };
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        if (a == QLatin1String("--run"))
            runNow = true;
        else if (a == QLatin1String("--verbose") || a == QLatin1String("-v"))
            verbose = true;
        else if (a == QLatin1String("--attach") || a == QLatin1String("--token-file")) {
            if (i + 1 >= args.size())
                return usage(QStringLiteral("%1 needs a value").arg(a));
            (a == QLatin1String("--attach") ? attach : tokenFile) = args[++i];
        } else if (a.startsWith(QLatin1Char('-')) || !scenario.isEmpty())
            return usage(QStringLiteral("unexpected argument %1").arg(a));
        else
            scenario = a;
    }
    QString token;
    if (attach) {
        if (!scenario.isEmpty() || runNow)
            return usage(QStringLiteral("--attach follows a served run: it takes no SCENARIO and no --run"));
        QString error;
        if (!AttachTarget::parse(*attach, &error))
            return usage(QStringLiteral("--attach: %1").arg(error));
        if (tokenFile) {
            token = AttachDialog::readTokenFile(*tokenFile, &error);
            if (token.isEmpty())
                return usage(QStringLiteral("--token-file: %1").arg(error));
        }
    } else if (tokenFile) {
        return usage(QStringLiteral("--token-file goes with --attach"));
    }

    MainWindow window;
    window.setVerbose(verbose);
    int signalCount = 0;
    if (installSignalHandlers()) {
        auto *notifier = new QSocketNotifier(qintptr(g_signalFds[1]), QSocketNotifier::Read, &app);
        QObject::connect(notifier, &QSocketNotifier::activated, &app, [&window, &signalCount] {
            char buf[16];
            [[maybe_unused]] const ssize_t n = ::read(g_signalFds[1], buf, sizeof buf);
            if (++signalCount == 1) {
                std::fprintf(stderr, "hybridscope: stopping the run and closing\n");
                window.close();
            } else {
                QApplication::exit(130); // the window's controller still joins the engine (bounded)
            }
        });
    }
    window.show();
    if (attach) {
        window.attach(*attach, token); // checked above; a connection that fails says so in the window
    } else {
        const bool loaded = scenario.isEmpty() ? window.openLastScenario() : window.openScenario(scenario);
        if (runNow && loaded)
            QTimer::singleShot(0, &window, &MainWindow::run);
    }
    const int rc = app.exec();
    return rc;
}

} // namespace hs
