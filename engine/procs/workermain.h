#pragma once

#include <QString>

namespace hs {

/// Exit codes of hybridscope-worker; the engine turns them into readable reasons.
enum class WorkerExitCode : int {
    Clean = 0, ///< the engine closed the connection
    Usage = 64, ///< bad command line
    ProtocolError = 65, ///< the engine sent a malformed frame
    ConnectionLost = 66, ///< the connection broke mid-frame
    SharedMemory = 67, ///< the shared-memory segment could not be opened or mapped
    ParentGone = 68, ///< the engine died before the worker was up
    OutOfMemory = 69, ///< no memory for a stage's payload
};

/// "protocol error" for 65 and so on; empty for codes that are not WorkerExitCode values.
QString workerExitCodeText(int code);

/**
 * The worker process's whole life, as a library function so tests can reach it: say hello on the
 * connection, then read stages, run their work for real (work.h), and reply, until the engine
 * closes the connection. Payloads arrive inline or in the shared-memory segment named by --shm.
 * The worker dies with the engine (PR_SET_PDEATHSIG) and exits with a WorkerExitCode.
 *
 *     int main(int argc, char **argv) { return hs::workerMain(argc, argv); }
 *
 * Command line: --fd N (the connection, default 3), --parent PID, --shm NAME; hidden test modes:
 * --selftest-crash=abort|segv|exit3 (how an injected crash dies, default abort),
 * --selftest-garbage=magic|oversized|fields (answer every stage with a malformed frame),
 * --selftest-ignore-sigterm, --selftest-die-mid-result, --selftest-no-hello.
 */
int workerMain(int argc, char **argv);

} // namespace hs
