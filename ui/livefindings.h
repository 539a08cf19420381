#pragma once

#include "diagnostics.h"
#include "frame.h"
#include "scenario.h"

#include <array>
#include <vector>

namespace hs {

/**
 * The alerts the GUI raises while a run goes on, evaluated frame by frame with the thresholds of
 * DESIGN §6: loop lag above the scenario's starvation threshold, and a domain's queue deeper than
 * 2 × its workers for a sustained second. An alert stays one finding while its condition holds
 * (or pauses for less than kMergeGapS); its span and peak grow with it. At the end of a run the
 * window replaces these with hs::diagnose() over the whole run.
 *
 *     LiveFindings live;
 *     live.reset(scenario);
 *     if (live.addFrame(frame))
 *         panel->setFindings(live.findings(), FindingsPanel::Live);
 */
class LiveFindings {
public:
    /// Queue depth must stay above 2 × workers this long to count (DESIGN §6 "sustained").
    static constexpr double kSustainedS = 1.0;
    /// A condition that returns within this gap extends the same finding.
    static constexpr double kMergeGapS = 1.0;
    /// Older findings are dropped beyond this count (a long run with intermittent lag).
    static constexpr std::size_t kMaxFindings = 200;

    void reset(const Scenario &scenario);
    /// Evaluates the rules on one more frame; true when the findings changed.
    bool addFrame(const Frame &frame);
    const std::vector<Finding> &findings() const { return m_findings; }

private:
    struct Track {
        double candidateSince = -1; ///< condition true since (queue rule: before it counts)
        double lastTrue = -1;
        int index = -1;             ///< open finding, or -1
        double peak = 0;
    };
    Finding *open(Track &t);
    void push(Finding f, Track &t);

    double m_thresholdMs = 100;
    Track m_loop;
    std::array<Track, kDomainCount> m_queue;
    std::vector<Finding> m_findings;
};

} // namespace hs
