#include "procs/workermain.h"

// hybridscope-worker: a process of the `procs` pool, started by the engine (never by hand).
int main(int argc, char **argv)
{
    return hs::workerMain(argc, argv);
}
