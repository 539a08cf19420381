#include "cli.h"
#include "scenario/builtins.h"

#include <QCoreApplication>
#include <QDir>

#ifdef HS_WITH_GUI
#include "guimain.h"

#include <QApplication>
#endif

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <memory>

#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    // A closed stdout or stderr (`hybridscope run … | head`, a GUI started from a terminal that is
    // gone) must not kill the program mid-run: a write to it fails with EPIPE instead. Worker
    // processes get the default action back when they are spawned (engine/procs/workerprocess.cpp).
    std::signal(SIGPIPE, SIG_IGN);
    QStringList args;
    for (int i = 1; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);

    const bool subcommand = !args.isEmpty()
        && (args.first() == QLatin1String("run") || args.first() == QLatin1String("validate")
            || args.first() == QLatin1String("list") || args.first() == QLatin1String("help")
            || args.first() == QLatin1String("report") || args.first() == QLatin1String("sweep")
            || args.first() == QLatin1String("tune") || args.first() == QLatin1String("simulate")
            || args.first() == QLatin1String("calibrate") || args.first() == QLatin1String("--help")
            || args.first() == QLatin1String("-h"));
#ifdef HS_WITH_GUI
    if (!subcommand && hs::guiAvailable())
        return hs::guiMain(argc, argv);
#endif
#ifdef HS_WITH_GUI
    // Reports render the GUI's plots, which needs a QApplication; without a display it draws offscreen.
    const bool reports = !subcommand || args.first() == QLatin1String("report")
        || ((args.first() == QLatin1String("run") || args.first() == QLatin1String("sweep")
                || args.first() == QLatin1String("tune") || args.first() == QLatin1String("simulate")
                || args.first() == QLatin1String("calibrate"))
            && args.contains(QStringLiteral("--report")));
    if (reports && !hs::guiAvailable()) {
        qputenv("QT_QPA_PLATFORM", "offscreen");
        // Without a session (a server, cron, CI) XDG_RUNTIME_DIR is unset and Qt warns on every
        // report; give it the private directory it would fall back to, made as it expects (0700).
        if (qEnvironmentVariableIsEmpty("XDG_RUNTIME_DIR")) {
            const QByteArray dir = QDir::tempPath().toLocal8Bit() + "/runtime-" + QByteArray::number(::getuid());
            if (::mkdir(dir.constData(), 0700) == 0 || errno == EEXIST) {
                struct stat st = {};
                if (::lstat(dir.constData(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::getuid()
                    && (st.st_mode & 0777) == 0700)
                    qputenv("XDG_RUNTIME_DIR", dir);
            }
        }
    }
    const std::unique_ptr<QCoreApplication> app
        = reports ? std::make_unique<QApplication>(argc, argv) : std::make_unique<QCoreApplication>(argc, argv);
#else
    const auto app = std::make_unique<QCoreApplication>(argc, argv);
#endif
    QCoreApplication::setApplicationName(QStringLiteral("hybridscope"));
    if (subcommand)
        return *hs::runCli(args);
    if (args.contains(QStringLiteral("--attach"))) {
        // Following a served run is the window's job; there is nothing to run here.
        std::fprintf(stderr,
            "hybridscope: --attach needs the GUI and a display (DISPLAY or WAYLAND_DISPLAY); "
            "without one, read the served run's /metrics (docs/serve.md)\n");
        return 2;
    }
    // No display (or no GUI built): the main job is a headless run that writes a report.
    // `hybridscope [SCENARIO] [run options]`: only a first argument that is not an option names the
    // scenario; later words are option values (`--duration 2s`).
    QString scenario = QStringLiteral("default");
    QStringList rest;
    for (int i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        if (a == QLatin1String("--run") || a == QLatin1String("--verbose"))
            continue; // GUI options: without a display the run is headless anyway
        if (i == 0 && !a.startsWith(QLatin1String("--")))
            scenario = a;
        else
            rest << a;
    }
    std::fprintf(stderr, "hybridscope: no display; running %s headless\n", qPrintable(scenario));
    if (!rest.contains(QStringLiteral("--json")))
        rest << QStringLiteral("--json") << QStringLiteral("hybridscope-report.json");
#ifdef HS_WITH_GUI
    if (!rest.contains(QStringLiteral("--report")))
        rest << QStringLiteral("--report") << QStringLiteral("hybridscope-report.html");
#endif
    return hs::runHeadless(scenario, rest);
}
