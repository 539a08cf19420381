#include "signalwatcher.h"

#include <QString>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <utility>

#include <sys/socket.h>
#include <unistd.h>

namespace hs {

namespace {

int g_signalPipe[2] = { -1, -1 }; // written by the signal handler, read by a SignalWatcher

void onSignal(int)
{
    const int saved = errno;
    const char c = 1;
    [[maybe_unused]] const auto n = ::write(g_signalPipe[1], &c, 1);
    errno = saved;
}

} // namespace

SignalWatcher::SignalWatcher(const char *command, std::function<void(int count)> onSignalCount)
    : m_onSignal(std::move(onSignalCount))
{
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, g_signalPipe) != 0) {
        std::fputs(QStringLiteral("hybridscope %1: cannot watch for Ctrl+C: %2\n")
                       .arg(QString::fromLatin1(command), QString::fromLocal8Bit(std::strerror(errno)))
                       .toUtf8()
                       .constData(),
            stderr);
        return;
    }
    m_thread = std::thread([this] { watch(); });
    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

SignalWatcher::~SignalWatcher()
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (m_thread.joinable()) {
        const char quit = 0;
        [[maybe_unused]] const auto n = ::write(g_signalPipe[1], &quit, 1);
        m_thread.join();
    }
    for (int &fd : g_signalPipe)
        if (fd >= 0)
            ::close(std::exchange(fd, -1));
}

void SignalWatcher::watch()
{
    int count = 0;
    for (;;) {
        char buf[16];
        const ssize_t n = ::read(g_signalPipe[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        for (ssize_t i = 0; i < n; ++i) {
            if (buf[i] == 0)
                return;
            m_onSignal(++count);
        }
    }
}

} // namespace hs
