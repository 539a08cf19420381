#pragma once

namespace hs {

/// True when a GUI can be shown: DISPLAY, WAYLAND_DISPLAY or QT_QPA_PLATFORM is set.
bool guiAvailable();

/**
 * The GUI's main(): `hybridscope [SCENARIO] [--run] [--verbose]`, or `hybridscope --attach
 * HOST:PORT [--token-file F]` to follow a served run (docs/serve.md). SCENARIO is a file or a
 * built-in name (else the last session's scenario, else the default); --run starts it at once;
 * --verbose logs the GUI's own event-loop lag to stderr every 5 s. SIGTERM and SIGINT close the
 * window the graceful way (the run is cancelled and the engine shut down); a second one quits.
 */
int guiMain(int argc, char **argv);

} // namespace hs
