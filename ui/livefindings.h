#pragma once

#include "core/frame.h"
#include "results/diagnostics.h"
#include "scenario/scenario.h"

#include <vector>

namespace hs {

/**
 * The findings the GUI shows while a run goes on: the engine's Diagnoser fed frame by frame, so
 * the live panel applies exactly the rules (and thresholds) of the final diagnosis. At the end of
 * a run the window replaces these with the run's own findings (hs::diagnose(), which adds the
 * rules over totals).
 *
 *     LiveFindings live;
 *     live.reset(scenario);
 *     if (live.addFrame(frame))
 *         panel->setFindings(live.findings(), FindingsPanel::Live);
 */
class LiveFindings {
public:
    void reset(const Scenario &scenario) { m_diagnoser.reset(scenario); }
    /// Evaluates the rules on one more frame; true when the findings changed.
    bool addFrame(const Frame &frame) { return m_diagnoser.addFrame(frame); }
    const std::vector<Finding> &findings() const { return m_diagnoser.findings(); }

private:
    Diagnoser m_diagnoser;
};

} // namespace hs
