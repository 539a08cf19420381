#pragma once

#include <functional>
#include <thread>

namespace hs {

/**
 * SIGINT/SIGTERM for a headless command: the handler only writes a byte; a thread of its own reads
 * them, one signal a byte, and calls `onSignal` with how many have come so far (1, 2, ...), so that
 * a signal acts even while the main thread is busy (Engine::start() bearing thousands of worker
 * processes) and two quick signals count as two. The default handlers are back once it is gone.
 *
 *     SignalWatcher w([&](int n) { n == 1 ? engine.requestStop() : engine.cancelNow(); });
 */
class SignalWatcher {
public:
    /// `onSignal` runs on the watcher's thread; `command` names the command in messages.
    SignalWatcher(const char *command, std::function<void(int count)> onSignal);
    ~SignalWatcher();
    SignalWatcher(const SignalWatcher &) = delete;
    SignalWatcher &operator=(const SignalWatcher &) = delete;

private:
    void watch();

    std::function<void(int)> m_onSignal;
    std::thread m_thread;
};

} // namespace hs
