#pragma once

// ThreadSanitizer sees the synchronization of instrumented code only. Qt and oneTBB are not built with
// it, so a task handed to a QThreadPool or a oneTBB arena reaches its worker through a queue whose
// release and acquire it cannot see, and every later access to the task looks like a race. Pool
// domains announce that hand-off with these; in other builds they compile to nothing.
//
//     tsanHandOff(job.task.get());   // before the job goes into the executor's queue
//     ...                            // on the worker, before the job is touched:
//     tsanTakeOver(job.task.get());

#if defined(__SANITIZE_THREAD__)
#define HS_TSAN_HANDOFF 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HS_TSAN_HANDOFF 1
#endif
#endif

#ifdef HS_TSAN_HANDOFF
#include <sanitizer/tsan_interface.h>
#endif

namespace hs {

/// The object at `key` (may be null) is about to be handed to another thread through an uninstrumented queue.
inline void tsanHandOff(const void *key) noexcept
{
#ifdef HS_TSAN_HANDOFF
    if (key)
        __tsan_release(const_cast<void *>(key));
#else
    (void)key;
#endif
}

/// The receiving thread takes over the object at `key` (may be null) handed over with tsanHandOff().
inline void tsanTakeOver(const void *key) noexcept
{
#ifdef HS_TSAN_HANDOFF
    if (key)
        __tsan_acquire(const_cast<void *>(key));
#else
    (void)key;
#endif
}

} // namespace hs
