#include "core/clock.h"

#include <cerrno>
#include <pthread.h>
#include <sys/prctl.h>

namespace hs {

void sleepUntilNs(std::int64_t deadlineNs) noexcept
{
    timespec ts;
    ts.tv_sec = deadlineNs / kNsPerSec;
    ts.tv_nsec = deadlineNs % kNsPerSec;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) { }
}

void prepareEngineThread(const char *name) noexcept
{
    // The default 50 us slack would be the floor of every lateness we measure.
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    char shortName[16] = {};
    for (int i = 0; i < 15 && name[i]; ++i)
        shortName[i] = name[i];
    pthread_setname_np(pthread_self(), shortName);
}

} // namespace hs
