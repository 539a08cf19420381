#include "sim/calibration.h"

#include "core/clock.h"
#include "core/parallelprobe.h"
#include "core/safefile.h"
#include "domains/latencyserver.h"
#include "domains/work.h"
#include "procs/procsdomain.h"
#include "procs/workerprocess.h"
#include "results/report.h"
#include "run/engine.h"
#include "scenario/scenarioparser.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QStandardPaths>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QThread>

#include <algorithm>
#include <cmath>
#include <limits>

namespace hs {

namespace {

// Two-sided 95 % quantile of Student's t with `df` degrees of freedom.
double t975(int df)
{
    static constexpr std::array<double, 30> table { 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262,
        2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060,
        2.056, 2.052, 2.048, 2.045, 2.042 };
    if (df < 1)
        return std::numeric_limits<double>::infinity();
    if (df <= 30)
        return table[std::size_t(df - 1)];
    // Cornish-Fisher's first term: within 0.001 of the table above 30 degrees of freedom.
    constexpr double z = 1.959964;
    return z + (z * z * z + z) / (4.0 * df);
}

Measured fromMoments(double mean, double var, std::uint64_t n)
{
    Measured m;
    m.mean = mean;
    m.n = int(std::min<std::uint64_t>(n, std::uint64_t(std::numeric_limits<int>::max())));
    const double half = n >= 2 ? t975(int(n) - 1) * std::sqrt(var / double(n)) : 0.0;
    m.lo = mean - half;
    m.hi = mean + half;
    return m;
}

// The difference of two independent means (fsync: with it minus without), normal approximation.
Measured difference(const Measured &a, const Measured &b)
{
    Measured m;
    m.mean = a.mean - b.mean;
    const double half = std::hypot(a.halfWidth(), b.halfWidth());
    m.lo = m.mean - half;
    m.hi = m.mean + half;
    m.n = std::min(a.n, b.n);
    return m;
}

// Timed repetitions of `f` (seconds each); the first `warm` are discarded (connections, page cache).
template<typename F> std::optional<Measured> timed(int n, int warm, F &&f, QString *error)
{
    std::vector<double> s;
    for (int i = 0; i < n + warm; ++i) {
        const std::int64_t t0 = nowNs();
        if (!f(error))
            return std::nullopt;
        if (i >= warm)
            s.push_back(double(nowNs() - t0) / 1e9);
    }
    return Measured::of(s);
}

// `f(bytes, error)` timed `n` times per size, the sizes taken in turn so that a burst of load
// elsewhere falls on all of them alike; the first round is discarded (connection, page cache).
template<typename F>
std::optional<std::vector<SizePoint>> timedBySize(const std::vector<std::int64_t> &sizes, int n, F &&f, QString *error)
{
    std::vector<std::vector<double>> samples(sizes.size());
    for (int round = 0; round <= n; ++round)
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            const std::int64_t t0 = nowNs();
            if (!f(sizes[i], error))
                return std::nullopt;
            if (round > 0)
                samples[i].push_back(double(nowNs() - t0) / 1e9);
        }
    std::vector<SizePoint> out;
    for (std::size_t i = 0; i < sizes.size(); ++i)
        out.push_back({ double(sizes[i]), Measured::of(samples[i]) });
    return out;
}

// The scenario on the engine; its figures from kWarmupS on (RunResult::phases), so that first
// touches (threads made, a connection opened, a shared-memory segment grown) are not counted.
constexpr double kWarmupS = 0.3;

std::optional<PhaseResult> runOnEngine(const QByteArray &yaml, QString *error)
{
    const ParseResult parsed = ScenarioParser::parseText(yaml, QStringLiteral("calibration"));
    if (!parsed.ok()) {
        *error = QStringLiteral("calibration scenario: ") + parsed.errors.front().toString();
        return std::nullopt;
    }
    EngineOptions options(1.0);
    options.trace = false;
    options.warmupSeconds = kWarmupS;
    Engine engine(*parsed.scenario, options);
    QEventLoop loop;
    QObject::connect(&engine, &Engine::finished, &loop, &QEventLoop::quit);
    if (!engine.start(error))
        return std::nullopt;
    loop.exec();
    const RunResult r = engine.result();
    if (!r.conserved()) {
        *error = QStringLiteral("calibration run lost tasks (conservation violated)");
        return std::nullopt;
    }
    if (r.phases.empty() || !r.phases.front().settled) {
        *error = QStringLiteral("calibration run ended before its warm-up did");
        return std::nullopt;
    }
    return r.phases.front();
}

const ClassResult *classNamed(const PhaseResult &r, const QString &name)
{
    for (const ClassResult &c : r.classes)
        if (c.name == name)
            return &c;
    return nullptr;
}

Measured ofSnapshot(const HistogramSnapshot &h)
{
    return Measured::ofHistogram(h.mean(), h.variance(), h.count());
}

QString cpuModel()
{
    QFile f(QStringLiteral("/proc/cpuinfo"));
    if (f.open(QIODevice::ReadOnly))
        for (const QByteArray &line : f.readAll().split('\n'))
            if (line.startsWith("model name")) {
                const int colon = line.indexOf(':');
                if (colon >= 0)
                    return QString::fromUtf8(line.mid(colon + 1).trimmed());
            }
    return QSysInfo::currentCpuArchitecture();
}

// How long each engine run lasts, its rates, the sizes measured and the samples of each.
struct Plan {
    double wakeS, ipcS, highRateS;
    double lowRate, ipcRate, highRate;
    std::vector<std::int64_t> payloads, netSizes, diskSizes;
    int ioSamples, fsyncSamples, workerStarts, coreProbes;
};

Plan planFor(bool quick)
{
    if (quick)
        return Plan { 1.5, 1.5, 0.5, 40, 25, 800, { 0, 4096, 65536, 1 << 20 }, { 0, 65536, 1 << 20 },
            { 4096, 65536, 1 << 20 }, 60, 4, 5, 2 };
    return Plan { 8, 5, 1.5, 25, 20, 2000, { 0, 4096, 65536, 262144, 1 << 20 }, { 0, 4096, 65536, 262144, 1 << 20 },
        { 4096, 65536, 262144, 1 << 20 }, 150, 12, 6, 5 };
}

QJsonObject measuredJson(const Measured &m)
{
    return QJsonObject { { QStringLiteral("mean"), m.mean }, { QStringLiteral("lo"), m.lo },
        { QStringLiteral("hi"), m.hi }, { QStringLiteral("n"), m.n } };
}

QJsonArray pointsJson(const std::vector<SizePoint> &pts)
{
    QJsonArray a;
    for (const SizePoint &p : pts) {
        QJsonObject o = measuredJson(p.s);
        o[QStringLiteral("bytes")] = p.bytes;
        a.append(o);
    }
    return a;
}

QJsonObject fitJson(const LineFit &f)
{
    return QJsonObject { { QStringLiteral("intercept_s"), QJsonArray { f.intercept, f.interceptLo, f.interceptHi } },
        { QStringLiteral("slope_s_per_byte"), QJsonArray { f.slope, f.slopeLo, f.slopeHi } } };
}

// A lower bound that admits every finite number (an interval's end may be below 0).
constexpr double kAnyNumber = -std::numeric_limits<double>::max();

// Reading a profile: every problem names the file and the key.
class Reader {
public:
    Reader(const QString &file, QString *error)
        : m_file(file)
        , m_error(error)
    { }
    bool failed() const { return m_failed; }
    void fail(const QString &key, const QString &what)
    {
        if (!m_failed)
            *m_error = QStringLiteral("%1: key %2: %3").arg(m_file, key, what);
        m_failed = true;
    }
    QJsonObject object(const QJsonObject &o, const QString &path, const QString &key)
    {
        const QJsonValue v = o.value(key);
        if (!v.isObject())
            fail(path + key, v.isUndefined() ? QStringLiteral("missing") : QStringLiteral("expected an object"));
        return v.toObject();
    }
    double number(const QJsonObject &o, const QString &path, const QString &key, double min, bool exclusive = false)
    {
        const QJsonValue v = o.value(key);
        if (v.isUndefined()) {
            fail(path + key, QStringLiteral("missing"));
            return 0;
        }
        const double x = v.toDouble(std::numeric_limits<double>::quiet_NaN());
        if (!v.isDouble() || !std::isfinite(x) || x < min || (exclusive && x <= min))
            fail(path + key,
                min == kAnyNumber ? QStringLiteral("expected a number")
                                  : QStringLiteral("expected a number %1 %2")
                                        .arg(exclusive ? QStringLiteral(">") : QStringLiteral("≥"))
                                        .arg(min));
        return x;
    }
    QString text(const QJsonObject &o, const QString &path, const QString &key)
    {
        const QJsonValue v = o.value(key);
        if (!v.isString() || v.toString().isEmpty())
            fail(path + key, v.isUndefined() ? QStringLiteral("missing") : QStringLiteral("expected a text"));
        return v.toString();
    }
    Measured measured(const QJsonObject &o, const QString &path, const QString &key)
    {
        const QJsonObject m = object(o, path, key);
        const QString p = path + key + QLatin1Char('.');
        Measured r;
        r.mean = number(m, p, QStringLiteral("mean"), kAnyNumber);
        r.lo = number(m, p, QStringLiteral("lo"), kAnyNumber);
        r.hi = number(m, p, QStringLiteral("hi"), kAnyNumber);
        r.n = int(number(m, p, QStringLiteral("n"), 0));
        return r;
    }
    std::vector<SizePoint> points(const QJsonObject &o, const QString &path, const QString &key)
    {
        std::vector<SizePoint> out;
        const QJsonValue v = o.value(key);
        if (!v.isArray()) {
            fail(path + key, v.isUndefined() ? QStringLiteral("missing") : QStringLiteral("expected an array"));
            return out;
        }
        const QJsonArray a = v.toArray();
        for (int i = 0; i < a.size(); ++i) {
            const QString p = QStringLiteral("%1%2[%3].").arg(path, key).arg(i);
            const QJsonObject e = a[i].toObject();
            SizePoint sp;
            sp.bytes = number(e, p, QStringLiteral("bytes"), 0);
            sp.s.mean = number(e, p, QStringLiteral("mean"), 0);
            sp.s.lo = number(e, p, QStringLiteral("lo"), kAnyNumber);
            sp.s.hi = number(e, p, QStringLiteral("hi"), 0);
            sp.s.n = int(number(e, p, QStringLiteral("n"), 1));
            out.push_back(sp);
        }
        return out;
    }

private:
    QString m_file;
    QString *m_error;
    bool m_failed = false;
};

QString verdictName(BreakEven::Verdict v)
{
    switch (v) {
    case BreakEven::Verdict::Below: return QStringLiteral("procs wins below");
    case BreakEven::Verdict::Never: return QStringLiteral("never");
    case BreakEven::Verdict::Always: return QStringLiteral("always");
    }
    return {};
}

} // namespace

Measured Measured::of(const std::vector<double> &samples)
{
    if (samples.empty())
        return {};
    double sum = 0;
    for (double x : samples)
        sum += x;
    const double mean = sum / double(samples.size());
    double ss = 0;
    for (double x : samples)
        ss += (x - mean) * (x - mean);
    const double var = samples.size() >= 2 ? ss / double(samples.size() - 1) : 0.0;
    return fromMoments(mean, var, samples.size());
}

Measured Measured::ofHistogram(double meanNs, double varianceNs2, std::uint64_t count)
{
    // The histogram's variance is the population's; the interval wants the sample's.
    const double var = count >= 2 ? varianceNs2 * double(count) / double(count - 1) : 0.0;
    return fromMoments(meanNs / 1e9, var / 1e18, count);
}

std::optional<LineFit> LineFit::fit(const std::vector<SizePoint> &points)
{
    if (points.size() < 2)
        return std::nullopt;
    // Weighted least squares: w = 1 / se²; a floor on se keeps a point with no spread from
    // taking all the weight.
    double sw = 0, swx = 0, swy = 0, swxx = 0, swxy = 0;
    for (const SizePoint &p : points) {
        const double t = p.s.n >= 2 ? t975(p.s.n - 1) : 1.96;
        const double se = std::max(p.s.halfWidth() / t, std::max(1e-9, 1e-3 * std::abs(p.s.mean)));
        const double w = 1.0 / (se * se);
        sw += w;
        swx += w * p.bytes;
        swy += w * p.s.mean;
        swxx += w * p.bytes * p.bytes;
        swxy += w * p.bytes * p.s.mean;
    }
    const double det = sw * swxx - swx * swx;
    if (!(det > 0))
        return std::nullopt;
    LineFit f;
    f.slope = (sw * swxy - swx * swy) / det;
    f.intercept = (swxx * swy - swx * swxy) / det;
    // Covariance of the estimates is (XᵀWX)⁻¹ with the weights as inverse variances.
    const double seSlope = std::sqrt(sw / det), seIntercept = std::sqrt(swxx / det);
    f.slopeLo = f.slope - 1.96 * seSlope;
    f.slopeHi = f.slope + 1.96 * seSlope;
    f.interceptLo = f.intercept - 1.96 * seIntercept;
    f.interceptHi = f.intercept + 1.96 * seIntercept;
    return f;
}

QString calibrationPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)
        + QStringLiteral("/hybridscope/calibration.json");
}

std::optional<CalibrationProfile> calibrate(const CalibrationOptions &options, QString *error)
{
    QElapsedTimer wall;
    wall.start();
    const Plan plan = planFor(options.quick);
    const auto step = [&](const QString &what) {
        if (options.progress && !options.progress(what)) {
            *error = QStringLiteral("cancelled");
            return false;
        }
        return true;
    };
    CalibrationProfile p;
    p.quick = options.quick;
    p.hostname = QSysInfo::machineHostName();
    p.cpuModel = cpuModel();
    p.vcpus = std::max(1, QThread::idealThreadCount());
    p.date = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);

    // 1. Dispatch and wake-up per domain, and a hop, at a low rate on idle pools; the loop's
    //    heartbeat lateness is the timer's. Wake-up times are skewed: one stage delayed by the
    //    machine can leave a figure's interval reaching below 0 on a short run. Such a figure is
    //    measured again, with another seed, and the samples merged, up to kWakeRounds runs; one
    //    still unresolved after them stays so in the profile (its interval says it).
    {
        constexpr int kWakeRounds = 3;
        std::array<HistogramSnapshot, kDomainCount> wait;
        HistogramSnapshot hopH, lagH;
        QStringList unresolved;
        for (int round = 0; round < kWakeRounds && (round == 0 || !unresolved.isEmpty()); ++round) {
            const QString what = round == 0
                ? QStringLiteral("wake-up per domain and hop (%1 s on the engine)").arg(plan.wakeS)
                : QStringLiteral("wake-up again, %1 not resolved (%2 s on the engine)")
                      .arg(unresolved.join(QStringLiteral(", ")))
                      .arg(plan.wakeS);
            if (!step(what))
                return std::nullopt;
            QByteArray y = QStringLiteral("name: calibration wake-up\nduration: %1s\nseed: %2\n"
                                          "domains:\n  threads: { workers: 2 }\n  tbb: { workers: 2 }\n"
                                          "  procs: { workers: 1, transfer: copy }\nclasses:\n")
                               .arg(plan.wakeS + kWarmupS)
                               .arg(1 + round * 100)
                               .toUtf8();
            for (DomainKind d : kAllDomains)
                y += QStringLiteral("  - name: %1\n    arrival: { process: poisson, rate: %2/s }\n"
                                    "    stages: [ { name: s, work: cpu, time: 1us, domain: %1 } ]\n")
                         .arg(domainName(d))
                         .arg(plan.lowRate)
                         .toUtf8();
            y += QStringLiteral("  - name: hop\n    arrival: { process: poisson, rate: %1/s }\n"
                                "    stages:\n      - { name: a, work: cpu, time: 1us, domain: threads }\n"
                                "      - { name: b, work: cpu, time: 1us, domain: tbb }\n")
                     .arg(plan.lowRate)
                     .toUtf8();
            const std::optional<PhaseResult> r = runOnEngine(y, error);
            if (!r)
                return std::nullopt;
            unresolved.clear();
            for (DomainKind d : kAllDomains) {
                wait[std::size_t(d)].merge(r->domains[std::size_t(d)].totals.wait);
                if (wait[std::size_t(d)].count() < 2) {
                    *error = QStringLiteral("calibration: %1 ran fewer than two stages").arg(domainName(d));
                    return std::nullopt;
                }
                p.wake[std::size_t(d)] = ofSnapshot(wait[std::size_t(d)]);
                p.costs.wakeS[std::size_t(d)] = p.wake[std::size_t(d)].mean;
                if (p.wake[std::size_t(d)].lo <= 0)
                    unresolved << QStringLiteral("wake-up on %1").arg(domainName(d));
            }
            const ClassResult *hop = classNamed(*r, QStringLiteral("hop"));
            if (hop)
                hopH.merge(hop->hop);
            if (hopH.count() < 2) {
                *error = QStringLiteral("calibration: no hops were measured");
                return std::nullopt;
            }
            p.hop = ofSnapshot(hopH);
            p.costs.hopS = p.hop.mean;
            if (p.hop.lo <= 0)
                unresolved << QStringLiteral("hop");
            lagH.merge(r->loopLag);
            p.timerLateness = ofSnapshot(lagH);
            p.costs.timerLatenessS = p.timerLateness.mean;
            if (p.timerLateness.lo <= 0)
                unresolved << QStringLiteral("timer lateness");
        }
    }

    // 2. A procs stage's transfer against its payload, for copy and for shm: one worker, so no
    //    two calls overlap, at a rate that leaves it idle most of the time. A slope whose interval
    //    still takes in 0 (a stalled machine widens the large payloads' spread) is measured once
    //    more and the two runs pooled, so the per-byte cost is resolved when the machine allows.
    for (const Transfer transfer : { Transfer::Copy, Transfer::Shm }) {
        const QString name = transfer == Transfer::Copy ? QStringLiteral("copy") : QStringLiteral("shm");
        std::vector<HistogramSnapshot> pooled(plan.payloads.size());
        std::optional<LineFit> f;
        std::vector<SizePoint> pts;
        for (int attempt = 0; attempt < 2 && !(f && f->slopeLo > 0); ++attempt) {
            const QString what = attempt == 0
                ? QStringLiteral("procs transfer: %1 (%2 s on the engine)").arg(name).arg(plan.ipcS)
                : QStringLiteral("procs transfer: %1 again, its per-byte cost was not resolved (%2 s on the engine)")
                      .arg(name)
                      .arg(plan.ipcS);
            if (!step(what))
                return std::nullopt;
            QByteArray y = QStringLiteral("name: calibration %1\nduration: %2s\nseed: %3\n"
                                          "domains:\n  procs: { workers: 1, transfer: %1 }\nclasses:\n")
                               .arg(name)
                               .arg(plan.ipcS + kWarmupS)
                               .arg(2 + 10 * attempt)
                               .toUtf8();
            for (std::int64_t b : plan.payloads)
                y += QStringLiteral("  - name: p%1\n    arrival: { process: poisson, rate: %2/s }\n"
                                    "    stages: [ { name: s, work: cpu, time: 1us, payload_in: %1, payload_out: %1, "
                                    "domain: procs } ]\n")
                         .arg(b)
                         .arg(plan.ipcRate)
                         .toUtf8();
            const std::optional<PhaseResult> r = runOnEngine(y, error);
            if (!r)
                return std::nullopt;
            pts.clear();
            for (std::size_t i = 0; i < plan.payloads.size(); ++i) {
                const std::int64_t b = plan.payloads[i];
                const ClassResult *c = classNamed(*r, QStringLiteral("p%1").arg(b));
                if (c)
                    pooled[i].merge(c->ipc);
                if (pooled[i].count() < 2) {
                    *error = QStringLiteral("calibration: procs %1 with %2 bytes ran fewer than two stages")
                                 .arg(name)
                                 .arg(b);
                    return std::nullopt;
                }
                pts.push_back({ 2.0 * double(b), ofSnapshot(pooled[i]) });
            }
            f = LineFit::fit(pts);
            if (!f) {
                *error = QStringLiteral("calibration: the %1 points do not fit a line").arg(name);
                return std::nullopt;
            }
        }
        (transfer == Transfer::Copy ? p.copy : p.shm) = pts;
        (transfer == Transfer::Copy ? p.copyFit : p.shmFit) = *f;
    }
    p.costs.procsCallS = std::max(0.0, (p.copyFit.intercept + p.shmFit.intercept) / 2);
    p.costs.copyPerByteS = std::max(0.0, p.copyFit.slope);
    p.costs.shmPerByteS = std::max(0.0, p.shmFit.slope);

    // 3. The highest arrival rate measured: one class of empty stages on threads.
    if (!step(QStringLiteral("arrivals at %1/s (%2 s on the engine)").arg(plan.highRate).arg(plan.highRateS)))
        return std::nullopt;
    {
        const QByteArray y = QStringLiteral("name: calibration rate\nduration: %1s\nseed: 3\n"
                                            "domains:\n  threads: { workers: 2 }\nclasses:\n"
                                            "  - name: fast\n    arrival: { process: poisson, rate: %2/s }\n"
                                            "    stages: [ { name: s, work: cpu, time: 1us, domain: threads } ]\n")
                                 .arg(plan.highRateS + kWarmupS)
                                 .arg(plan.highRate)
                                 .toUtf8();
        const std::optional<PhaseResult> r = runOnEngine(y, error);
        if (!r)
            return std::nullopt;
        p.highRate = plan.highRate;
        p.highRateThroughput = r->classes.front().throughput;
        p.highRateWait = ofSnapshot(r->domains[std::size_t(DomainKind::Threads)].totals.wait);
    }

    // 4. net and disk service by size, on the calling thread as a threads worker would do them.
    if (!step(QStringLiteral("net and disk by size")))
        return std::nullopt;
    {
        LatencyServer server;
        if (!server.start(error))
            return std::nullopt;
        const std::uint16_t port = server.port();
        const QTemporaryDir dir(QDir::tempPath() + QStringLiteral("/hybridscope-calibrate-XXXXXX"));
        if (!dir.isValid()) {
            *error = QStringLiteral("calibration: cannot create a temporary directory: ") + dir.errorString();
            return std::nullopt;
        }
        const auto net = [&](std::int64_t b, QString *why) {
            const WorkResult w = runNetBlocking(port, 0.0, b, {});
            if (w.status != WorkStatus::Ok)
                *why = QStringLiteral("calibration: net %1 bytes: %2").arg(b).arg(w.reason);
            return w.status == WorkStatus::Ok;
        };
        const auto disk = [&](std::int64_t b, bool sync, QString *why) {
            const WorkResult w = runDisk(dir.path(), b, sync, {});
            if (w.status != WorkStatus::Ok)
                *why = QStringLiteral("calibration: disk %1 bytes: %2").arg(b).arg(w.reason);
            return w.status == WorkStatus::Ok;
        };
        // Each size in turn, then the line; a slope whose interval still takes in 0 (a burst of
        // load on a short calibration) is measured once more with twice the samples.
        const auto bySize = [&](const QString &what, const std::vector<std::int64_t> &sizes, const auto &f,
                                std::vector<SizePoint> *points, LineFit *fit) {
            for (int attempt = 0; attempt < 2; ++attempt) {
                if (attempt == 1 && !step(QStringLiteral("%1 again, its per-byte cost was not resolved").arg(what)))
                    return false;
                const auto measured = timedBySize(sizes, plan.ioSamples * (attempt + 1), f, error);
                if (!measured)
                    return false;
                const std::optional<LineFit> line = LineFit::fit(*measured);
                if (!line) {
                    *error = QStringLiteral("calibration: the %1 points do not fit a line").arg(what);
                    return false;
                }
                *points = *measured;
                *fit = *line;
                if (line->slopeLo > 0)
                    break;
            }
            return true;
        };
        if (!bySize(QStringLiteral("net"), plan.netSizes, net, &p.net, &p.netFit)
            || !bySize(
                QStringLiteral("disk"), plan.diskSizes,
                [&](std::int64_t b, QString *why) { return disk(b, false, why); }, &p.disk, &p.diskFit))
            return std::nullopt;
        const auto synced = timedBySize(
            { plan.diskSizes.front() }, plan.fsyncSamples,
            [&](std::int64_t b, QString *why) { return disk(b, true, why); }, error);
        if (!synced)
            return std::nullopt;
        p.fsync = difference(synced->front().s, p.disk.front().s);
        p.costs.netS = std::max(0.0, p.netFit.intercept);
        p.costs.netPerByteS = std::max(0.0, p.netFit.slope);
        p.costs.diskS = std::max(0.0, p.diskFit.intercept);
        p.costs.diskPerByteS = std::max(0.0, p.diskFit.slope);
        p.costs.fsyncS = std::max(0.0, p.fsync.mean);
    }

    // 5. A worker process from spawn to its hello.
    if (!step(QStringLiteral("worker process start")))
        return std::nullopt;
    {
        WorkerLaunch launch;
        launch.program = ProcsDomain::defaultWorkerPath();
        const auto m = timed(
            plan.workerStarts, 0,
            [&](QString *why) {
                WorkerProcess w;
                if (!w.start(launch, why)) {
                    *why = QStringLiteral("calibration: worker %1: %2").arg(launch.program, *why);
                    return false;
                }
                w.terminate();
                return true;
            },
            error);
        if (!m)
            return std::nullopt;
        p.workerStart = *m;
        p.costs.workerStartS = m->mean;
    }

    // 6. Cores that several busy threads get.
    if (!step(QStringLiteral("parallel cores")))
        return std::nullopt;
    // Several probes: on a shared machine one probe's answer moves with its neighbours' load.
    std::vector<double> cores;
    int threads = 1;
    for (int i = 0; i < plan.coreProbes; ++i) {
        const ParallelProbeResult probe = measureParallelCores(0, 240);
        cores.push_back(probe.effectiveCores);
        threads = probe.threads;
    }
    p.effectiveCoresMeasured = Measured::of(cores);
    p.effectiveCores = p.effectiveCoresMeasured.mean;
    p.costs.effectiveCores = p.effectiveCores;

    p.costs.ranges.cores = threads;
    p.costs.ranges.maxPayloadBytes = p.copy.back().bytes;
    p.costs.ranges.maxRatePerS = p.highRateThroughput;
    p.costs.ranges.maxNetBytes = p.net.back().bytes;
    p.costs.ranges.maxDiskBytes = p.disk.back().bytes;
    p.costs.builtin = false;
    p.costs.source = QStringLiteral("calibration of %1, %2").arg(p.hostname, p.date);
    p.wallS = double(wall.nsecsElapsed()) / 1e9;
    return p;
}

std::vector<double> breakEvenStages()
{
    return { 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1 };
}

double closedLoopThroughput(
    const SimCosts &c, double cores, int clients, double stageS, DomainKind domain, Transfer transfer, double bytes)
{
    const double n = std::max(1, clients);
    if (domain == DomainKind::Procs) {
        // Each client's cycle: a worker's wake-up, then the stage and its transfer, both CPU work
        // of the two processes, stretched when more run than there are cores.
        const double perByte = transfer == Transfer::Shm ? c.shmPerByteS : c.copyPerByteS;
        const double work = stageS + c.procsCallS + bytes * perByte;
        return n / (c.wakeS[std::size_t(DomainKind::Procs)] + work * std::max(1.0, n / cores));
    }
    // Under the GIL the threads' cpu stages run one at a time, on at most one core; with two or
    // more clients a stage's wake-up overlaps the running one's work.
    const double rate = std::min(1.0, cores);
    if (n >= 2)
        return rate / stageS;
    return 1.0 / (c.wakeS[std::size_t(DomainKind::Threads)] + stageS / rate);
}

BreakEven breakEven(const SimCosts &c, double cores, int clients, double stageS, Transfer transfer)
{
    BreakEven b;
    b.stageS = stageS;
    const double n = std::max(1, clients);
    const double threads = closedLoopThroughput(c, cores, clients, stageS, DomainKind::Threads, transfer, 0);
    // procs wins while n / (wake + (L + call + P·b) · stretch) > threads, i.e. for P below:
    const double perByte = transfer == Transfer::Shm ? c.shmPerByteS : c.copyPerByteS;
    const double stretch = std::max(1.0, n / cores);
    const double room = (n / threads - c.wakeS[std::size_t(DomainKind::Procs)]) / stretch - stageS - c.procsCallS;
    if (room <= 0) {
        b.verdict = BreakEven::Verdict::Never;
    } else if (perByte <= 0) {
        b.verdict = BreakEven::Verdict::Always;
    } else {
        b.verdict = BreakEven::Verdict::Below;
        b.bytes = room / perByte;
    }
    return b;
}

QJsonObject calibrationToJson(const CalibrationProfile &p)
{
    const SimCosts &c = p.costs;
    QJsonObject wake, wakeMeasured;
    for (DomainKind d : kAllDomains) {
        wake[domainName(d)] = c.wakeS[std::size_t(d)];
        wakeMeasured[domainName(d)] = measuredJson(p.wake[std::size_t(d)]);
    }
    QJsonArray be;
    for (double L : breakEvenStages()) {
        QJsonObject row { { QStringLiteral("stage_ms"), L * 1e3 } };
        for (const Transfer t : { Transfer::Copy, Transfer::Shm }) {
            const QString k = t == Transfer::Copy ? QStringLiteral("copy") : QStringLiteral("shm");
            const BreakEven b = breakEven(c, p.effectiveCores, p.vcpus, L, t);
            row[k + QStringLiteral("_bytes")]
                = b.verdict == BreakEven::Verdict::Below ? QJsonValue(std::round(b.bytes)) : QJsonValue();
            row[k] = verdictName(b.verdict);
        }
        be.append(row);
    }
    return QJsonObject {
        { QStringLiteral("schema"), QString::fromLatin1(kCalibrationSchema) },
        { QStringLiteral("machine"),
            QJsonObject { { QStringLiteral("hostname"), p.hostname }, { QStringLiteral("cpu"), p.cpuModel },
                { QStringLiteral("vcpus"), p.vcpus }, { QStringLiteral("effective_cores"), p.effectiveCores } } },
        { QStringLiteral("date"), p.date },
        { QStringLiteral("quick"), p.quick },
        { QStringLiteral("wall_s"), std::round(p.wallS * 100) / 100 },
        { QStringLiteral("costs"),
            QJsonObject {
                { QStringLiteral("hop_s"), c.hopS },
                { QStringLiteral("wake_s"), wake },
                { QStringLiteral("procs_call_s"), c.procsCallS },
                { QStringLiteral("copy_per_byte_s"), c.copyPerByteS },
                { QStringLiteral("shm_per_byte_s"), c.shmPerByteS },
                { QStringLiteral("net_s"), c.netS },
                { QStringLiteral("net_per_byte_s"), c.netPerByteS },
                { QStringLiteral("disk_s"), c.diskS },
                { QStringLiteral("disk_per_byte_s"), c.diskPerByteS },
                { QStringLiteral("fsync_s"), c.fsyncS },
                { QStringLiteral("worker_start_s"), c.workerStartS },
                { QStringLiteral("timer_lateness_s"), c.timerLatenessS },
            } },
        { QStringLiteral("measured"),
            QJsonObject {
                { QStringLiteral("wake_s"), wakeMeasured },
                { QStringLiteral("hop_s"), measuredJson(p.hop) },
                { QStringLiteral("timer_lateness_s"), measuredJson(p.timerLateness) },
                { QStringLiteral("worker_start_s"), measuredJson(p.workerStart) },
                { QStringLiteral("fsync_s"), measuredJson(p.fsync) },
                { QStringLiteral("effective_cores"), measuredJson(p.effectiveCoresMeasured) },
                { QStringLiteral("high_rate"),
                    QJsonObject { { QStringLiteral("rate_per_s"), p.highRate },
                        { QStringLiteral("throughput"), p.highRateThroughput },
                        { QStringLiteral("wait_s"), measuredJson(p.highRateWait) } } },
                { QStringLiteral("copy"), pointsJson(p.copy) },
                { QStringLiteral("shm"), pointsJson(p.shm) },
                { QStringLiteral("net"), pointsJson(p.net) },
                { QStringLiteral("disk"), pointsJson(p.disk) },
                { QStringLiteral("fits"),
                    QJsonObject { { QStringLiteral("copy"), fitJson(p.copyFit) },
                        { QStringLiteral("shm"), fitJson(p.shmFit) }, { QStringLiteral("net"), fitJson(p.netFit) },
                        { QStringLiteral("disk"), fitJson(p.diskFit) } } },
            } },
        { QStringLiteral("ranges"),
            QJsonObject { { QStringLiteral("cores"), c.ranges.cores },
                { QStringLiteral("max_payload_bytes"), c.ranges.maxPayloadBytes },
                { QStringLiteral("max_rate_per_s"), c.ranges.maxRatePerS },
                { QStringLiteral("max_net_bytes"), c.ranges.maxNetBytes },
                { QStringLiteral("max_disk_bytes"), c.ranges.maxDiskBytes } } },
        { QStringLiteral("break_even"), be },
    };
}

std::optional<CalibrationProfile> calibrationFromJson(const QJsonObject &o, const QString &file, QString *error)
{
    Reader rd(file, error);
    const QString schema = o.value(QStringLiteral("schema")).toString();
    if (schema != QLatin1String(kCalibrationSchema)) {
        rd.fail(QStringLiteral("schema"),
            QStringLiteral("expected \"%1\", found %2")
                .arg(QLatin1String(kCalibrationSchema),
                    o.contains(QStringLiteral("schema")) ? QStringLiteral("\"%1\"").arg(schema)
                                                         : QStringLiteral("none")));
        return std::nullopt;
    }
    CalibrationProfile p;
    const QString top;
    const QJsonObject machine = rd.object(o, top, QStringLiteral("machine"));
    p.hostname = rd.text(machine, QStringLiteral("machine."), QStringLiteral("hostname"));
    p.cpuModel = machine.value(QStringLiteral("cpu")).toString();
    p.vcpus = int(rd.number(machine, QStringLiteral("machine."), QStringLiteral("vcpus"), 1));
    p.effectiveCores = rd.number(machine, QStringLiteral("machine."), QStringLiteral("effective_cores"), 0, true);
    p.date = rd.text(o, top, QStringLiteral("date"));
    p.quick = o.value(QStringLiteral("quick")).toBool();
    p.wallS = o.value(QStringLiteral("wall_s")).toDouble();
    const QString cp = QStringLiteral("costs.");
    const QJsonObject costs = rd.object(o, top, QStringLiteral("costs"));
    SimCosts &c = p.costs;
    c.hopS = rd.number(costs, cp, QStringLiteral("hop_s"), 0);
    const QJsonObject wake = rd.object(costs, cp, QStringLiteral("wake_s"));
    for (DomainKind d : kAllDomains)
        c.wakeS[std::size_t(d)] = rd.number(wake, cp + QStringLiteral("wake_s."), domainName(d), 0);
    c.procsCallS = rd.number(costs, cp, QStringLiteral("procs_call_s"), 0);
    c.copyPerByteS = rd.number(costs, cp, QStringLiteral("copy_per_byte_s"), 0);
    c.shmPerByteS = rd.number(costs, cp, QStringLiteral("shm_per_byte_s"), 0);
    c.netS = rd.number(costs, cp, QStringLiteral("net_s"), 0);
    c.netPerByteS = rd.number(costs, cp, QStringLiteral("net_per_byte_s"), 0);
    c.diskS = rd.number(costs, cp, QStringLiteral("disk_s"), 0);
    c.diskPerByteS = rd.number(costs, cp, QStringLiteral("disk_per_byte_s"), 0);
    c.fsyncS = rd.number(costs, cp, QStringLiteral("fsync_s"), 0);
    c.workerStartS = rd.number(costs, cp, QStringLiteral("worker_start_s"), 0);
    c.timerLatenessS = rd.number(costs, cp, QStringLiteral("timer_lateness_s"), 0);
    const QString rp = QStringLiteral("ranges.");
    const QJsonObject ranges = rd.object(o, top, QStringLiteral("ranges"));
    c.ranges.cores = rd.number(ranges, rp, QStringLiteral("cores"), 0, true);
    c.ranges.maxPayloadBytes = rd.number(ranges, rp, QStringLiteral("max_payload_bytes"), 0, true);
    c.ranges.maxRatePerS = rd.number(ranges, rp, QStringLiteral("max_rate_per_s"), 0, true);
    c.ranges.maxNetBytes = rd.number(ranges, rp, QStringLiteral("max_net_bytes"), 0, true);
    c.ranges.maxDiskBytes = rd.number(ranges, rp, QStringLiteral("max_disk_bytes"), 0, true);
    // The measured points and intervals: kept for the report, read when present.
    if (o.contains(QStringLiteral("measured"))) {
        const QString mp = QStringLiteral("measured.");
        const QJsonObject m = rd.object(o, top, QStringLiteral("measured"));
        const QJsonObject mw = rd.object(m, mp, QStringLiteral("wake_s"));
        for (DomainKind d : kAllDomains)
            p.wake[std::size_t(d)] = rd.measured(mw, mp + QStringLiteral("wake_s."), domainName(d));
        p.hop = rd.measured(m, mp, QStringLiteral("hop_s"));
        p.timerLateness = rd.measured(m, mp, QStringLiteral("timer_lateness_s"));
        p.workerStart = rd.measured(m, mp, QStringLiteral("worker_start_s"));
        p.fsync = rd.measured(m, mp, QStringLiteral("fsync_s"));
        p.effectiveCoresMeasured = rd.measured(m, mp, QStringLiteral("effective_cores"));
        p.copy = rd.points(m, mp, QStringLiteral("copy"));
        p.shm = rd.points(m, mp, QStringLiteral("shm"));
        p.net = rd.points(m, mp, QStringLiteral("net"));
        p.disk = rd.points(m, mp, QStringLiteral("disk"));
        const QJsonObject hr = m.value(QStringLiteral("high_rate")).toObject();
        p.highRate = hr.value(QStringLiteral("rate_per_s")).toDouble();
        p.highRateThroughput = hr.value(QStringLiteral("throughput")).toDouble();
        p.highRateWait = rd.measured(hr, mp + QStringLiteral("high_rate."), QStringLiteral("wait_s"));
        for (auto [pts, fit] : { std::pair { &p.copy, &p.copyFit }, std::pair { &p.shm, &p.shmFit },
                 std::pair { &p.net, &p.netFit }, std::pair { &p.disk, &p.diskFit } })
            if (const auto f = LineFit::fit(*pts))
                *fit = *f;
    }
    if (rd.failed())
        return std::nullopt;
    c.effectiveCores = p.effectiveCores;
    c.builtin = false;
    c.source = QStringLiteral("calibration of %1, %2").arg(p.hostname, p.date);
    return p;
}

namespace {

QString us(const Measured &m)
{
    return QStringLiteral("%1 µs [%2, %3]")
        .arg(m.mean * 1e6, 0, 'f', 1)
        .arg(m.lo * 1e6, 0, 'f', 1)
        .arg(m.hi * 1e6, 0, 'f', 1);
}

QString bytesText(double b)
{
    if (b >= 1024.0 * 1024 * 1024)
        return QStringLiteral("%1 GiB").arg(b / (1024.0 * 1024 * 1024), 0, 'g', 3);
    if (b >= 1024.0 * 1024)
        return QStringLiteral("%1 MiB").arg(b / (1024.0 * 1024), 0, 'g', 3);
    if (b >= 1024)
        return QStringLiteral("%1 KiB").arg(b / 1024, 0, 'g', 3);
    return QStringLiteral("%1 B").arg(b, 0, 'f', 0);
}

QString perGiB(double lo, double mid, double hi)
{
    constexpr double g = 1024.0 * 1024 * 1024;
    return QStringLiteral("%1 ms/GiB [%2, %3]")
        .arg(mid * g * 1e3, 0, 'f', 1)
        .arg(lo * g * 1e3, 0, 'f', 1)
        .arg(hi * g * 1e3, 0, 'f', 1);
}

} // namespace

QString calibrationSummary(const CalibrationProfile &p)
{
    QString s;
    s += QStringLiteral("calibration of %1 (%2, %3 vCPUs, %4 effective cores [%5, %6]), %7%8, %9 s\n")
             .arg(p.hostname, p.cpuModel)
             .arg(p.vcpus)
             .arg(p.effectiveCores, 0, 'f', 2)
             .arg(p.effectiveCoresMeasured.lo, 0, 'f', 2)
             .arg(p.effectiveCoresMeasured.hi, 0, 'f', 2)
             .arg(p.date, p.quick ? QStringLiteral(" (quick)") : QString())
             .arg(p.wallS, 0, 'f', 1);
    s += QStringLiteral("  means with 95 % intervals\n");
    for (DomainKind d : kAllDomains)
        s += QStringLiteral("  wake-up %1: %2 (%3 stages)\n")
                 .arg(domainName(d), -8)
                 .arg(us(p.wake[std::size_t(d)]))
                 .arg(p.wake[std::size_t(d)].n);
    s += QStringLiteral("  hop: %1   timer lateness: %2\n").arg(us(p.hop), us(p.timerLateness));
    s += QStringLiteral("  procs call: %1 µs (intercepts: copy %2 µs [%3, %4], shm %5 µs [%6, %7])\n")
             .arg(p.costs.procsCallS * 1e6, 0, 'f', 1)
             .arg(p.copyFit.intercept * 1e6, 0, 'f', 1)
             .arg(p.copyFit.interceptLo * 1e6, 0, 'f', 1)
             .arg(p.copyFit.interceptHi * 1e6, 0, 'f', 1)
             .arg(p.shmFit.intercept * 1e6, 0, 'f', 1)
             .arg(p.shmFit.interceptLo * 1e6, 0, 'f', 1)
             .arg(p.shmFit.interceptHi * 1e6, 0, 'f', 1);
    s += QStringLiteral("  payload (in + out): copy %1; shm %2\n")
             .arg(perGiB(p.copyFit.slopeLo, p.copyFit.slope, p.copyFit.slopeHi),
                 perGiB(p.shmFit.slopeLo, p.shmFit.slope, p.shmFit.slopeHi));
    s += QStringLiteral("  net: %1 µs + %2   disk: %3 µs + %4, fsync %5\n")
             .arg(p.netFit.intercept * 1e6, 0, 'f', 1)
             .arg(perGiB(p.netFit.slopeLo, p.netFit.slope, p.netFit.slopeHi))
             .arg(p.diskFit.intercept * 1e6, 0, 'f', 1)
             .arg(perGiB(p.diskFit.slopeLo, p.diskFit.slope, p.diskFit.slopeHi), us(p.fsync));
    s += QStringLiteral("  worker start: %1 ms [%2, %3]\n")
             .arg(p.workerStart.mean * 1e3, 0, 'f', 1)
             .arg(p.workerStart.lo * 1e3, 0, 'f', 1)
             .arg(p.workerStart.hi * 1e3, 0, 'f', 1);
    s += QStringLiteral("  ranges: %1 cores, payload %2, %3 arrivals/s (threads wait %4 at %5/s), net %6, disk %7\n")
             .arg(p.costs.ranges.cores)
             .arg(bytesText(p.costs.ranges.maxPayloadBytes))
             .arg(p.costs.ranges.maxRatePerS, 0, 'f', 0)
             .arg(us(p.highRateWait))
             .arg(p.highRate, 0, 'f', 0)
             .arg(bytesText(p.costs.ranges.maxNetBytes), bytesText(p.costs.ranges.maxDiskBytes));
    s += QStringLiteral("  threads vs procs under the GIL, %1 clients on %2 cores: procs wins for payloads below\n")
             .arg(p.vcpus)
             .arg(p.effectiveCores, 0, 'f', 2);
    for (double L : breakEvenStages()) {
        QStringList cells;
        for (const Transfer t : { Transfer::Copy, Transfer::Shm }) {
            const BreakEven b = breakEven(p.costs, p.effectiveCores, p.vcpus, L, t);
            cells << QStringLiteral("%1 %2").arg(t == Transfer::Copy ? QStringLiteral("copy") : QStringLiteral("shm"),
                b.verdict == BreakEven::Verdict::Below ? bytesText(b.bytes) : verdictName(b.verdict));
        }
        s += QStringLiteral("    %1 ms stage: %2\n").arg(L * 1e3, 6, 'g', 3).arg(cells.join(QStringLiteral(", ")));
    }
    return s;
}

bool writeCalibration(const CalibrationProfile &p, const QString &path, QString *error)
{
    const QString dir = QFileInfo(path).absolutePath();
    if (!QDir().mkpath(dir)) {
        *error = QStringLiteral("cannot create the directory %1").arg(dir);
        return false;
    }
    return writeFileAtomically(path, QJsonDocument(calibrationToJson(p)).toJson(QJsonDocument::Indented), error);
}

std::optional<SimCosts> loadSimCosts(QString *error, const QString &path)
{
    const QString file = path.isEmpty() ? calibrationPath() : path;
    if (!QFileInfo::exists(file))
        return SimCosts {};
    QByteArray bytes;
    QString why;
    if (!readRegularFile(file, 16 * 1024 * 1024, &bytes, &why)) {
        *error = QStringLiteral("%1: %2").arg(file, why);
        return std::nullopt;
    }
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
        *error
            = QStringLiteral("%1: not a JSON object (%2 at offset %3)")
                  .arg(file, pe.error != QJsonParseError::NoError ? pe.errorString() : QStringLiteral("not an object"))
                  .arg(pe.offset);
        return std::nullopt;
    }
    const std::optional<CalibrationProfile> p = calibrationFromJson(doc.object(), file, error);
    if (!p)
        return std::nullopt;
    return p->costs;
}

} // namespace hs
