#pragma once

#include "scenario/scenario.h"
#include "sim/simulator.h"

#include <QSet>
#include <QString>
#include <QStringList>

#include <optional>
#include <utility>
#include <vector>

namespace hs::cli {

/// The flags `sweep` and `tune` share (DESIGN §8): what each point runs and where results go.
struct PointArgs {
    QString scenario;
    std::vector<Override> sets;
    std::vector<RouteOverride> routes;
    double duration = 5.0; ///< each point's run, warm-up included
    double warmup = 1.0;
    int reps = 1;
    QString json, csv, report;
    bool quiet = false;
    bool sim = false; ///< --sim: points in virtual time (DESIGN §12)
    int cores = 0; ///< --cores N with --sim: the simulated machine's (0: this one's)
    int confirm = 0; ///< --confirm K (tune --sim): the K best re-run on the engine
};

/**
 * Reads the shared flag at args[*i] (and its value, advancing *i) into *pa for subcommand `cmd`.
 * Returns 1 when it was one and is good, 0 when it was one and is bad (the message is written to
 * stderr, naming the flag), -1 when it is not a shared flag (the caller reads it). `seen` keeps
 * the flags given once already.
 *
 *     for (int i = 0; i < args.size(); ++i)
 *         if (const int r = parsePointFlag("sweep", args, &i, &pa, &seen); r == 0) return false;
 *         else if (r < 0) ... // the command's own flags
 */
int parsePointFlag(const char *cmd, const QStringList &args, int *i, PointArgs *pa, QSet<QString> *seen);

/// A word that is not a flag names the scenario: 1 when `a` did (into *scenario), 0 when it is
/// bad (empty, or a second scenario; the message is written), -1 when `a` is a flag.
int scenarioArgument(const char *cmd, const QString &a, QString *scenario);
/// After every argument was read: a scenario was named (else a message listing the built-ins).
bool checkScenarioGiven(const char *cmd, const QString &scenario);

/// The value after flag args[*i] into *v (advancing *i); false and a message when there is none.
bool flagValue(const char *cmd, const QStringList &args, int *i, QString *v);

/// After every flag was read: a scenario was named and the warm-up leaves time to measure.
bool checkPointArgs(const char *cmd, const PointArgs &pa);

/// Each output file can be written and no two flags name the same file; checked before the first
/// point, so that minutes of measuring never end in "cannot write". Pairs of (flag, path).
bool checkOutputs(const char *cmd, const std::vector<std::pair<const char *, QString>> &outputs);

/// This machine's costs for a simulation (loadSimCosts): the calibration profile, or the built-in
/// default when there is none. A profile that is there but unreadable is refused with the reason
/// (nullopt): silently simulating with the default would present another machine's costs as this one's.
std::optional<SimCosts> simCostsOrExplain(const char *cmd);

/// "1:05" or "1:02:03": a time left, for a progress line.
QString clockText(double seconds);

} // namespace hs::cli
