// End to end: `hybridscope run --serve` (issue 17, DESIGN §14). One served run with a token is
// scraped by promtool and by a real Prometheus (whose P99 is compared with the run's own), attached
// by /live clients (hello, 20 Hz frames, a resize seen in frames and in /metrics, garbage answered
// with error acks), and refused without the token; two short endless runs end by a /live stop and by
// SIGINT; bad --serve arguments exit 2.
#include "testutil.h"

#include "serve/metrics.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>
#include <QWebSocket>

#include <algorithm>
#include <csignal>
#include <map>
#include <optional>

#include <sys/types.h>

namespace {

// Two classes of blocking stages on a pool far from saturation (0.9 busy workers of 8, then 12):
// the latency distribution is the stage's own and does not change with the resize, so a window of it
// and the run's last phase sample one population.
const char *kScenario = "name: served\n"
                        "seed: 5\n"
                        "duration: 8s\n"
                        "domains:\n"
                        "  threads: { workers: 8 }\n"
                        "classes:\n"
                        "  - name: api\n"
                        "    arrival: { process: poisson, rate: 200/s }\n"
                        "    stages:\n"
                        "      - { name: fetch, work: block, time: \"uniform(1ms, 3ms)\", domain: threads }\n"
                        "  - name: batch\n"
                        "    arrival: { process: constant, rate: 100/s }\n"
                        "    stages:\n"
                        "      - { name: crunch, work: block, time: \"uniform(4ms, 6ms)\", domain: threads }\n";

const char *kEndless = "name: endless\n"
                       "domains:\n"
                       "  threads: { workers: 2 }\n"
                       "classes:\n"
                       "  - name: io\n"
                       "    arrival: { process: poisson, rate: 100/s }\n"
                       "    stages:\n"
                       "      - { name: call, work: block, time: 1ms, domain: threads }\n";

const QByteArray kToken = "s3rve-test-token-0123456789abcdef";

struct HttpResult {
    int status = 0;
    QByteArray body;
    QByteArray contentType;
    QByteArray wwwAuthenticate;
};

HttpResult httpGet(
    QNetworkAccessManager &nam, const QUrl &url, const QList<QPair<QByteArray, QByteArray>> &headers = {})
{
    QNetworkRequest req(url);
    for (const auto &[k, v] : headers)
        req.setRawHeader(k, v);
    QNetworkReply *reply = nam.get(req);
    QSignalSpy done(reply, &QNetworkReply::finished);
    HttpResult r;
    if (reply->isFinished() || done.wait(10000)) {
        r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        r.body = reply->readAll();
        r.contentType = reply->rawHeader("Content-Type");
        r.wwwAuthenticate = reply->rawHeader("WWW-Authenticate");
    }
    reply->deleteLater();
    return r;
}

// A /live client that keeps every message, and when each frame arrived.
class LiveClient : public QObject {
public:
    QWebSocket ws;
    std::vector<QJsonObject> messages;
    std::vector<qint64> frameArrivalMs;
    QElapsedTimer clock;
    bool connected = false, disconnected = false, failed = false;
    QString errorText;

    LiveClient()
    {
        clock.start();
        connect(&ws, &QWebSocket::connected, this, [this] { connected = true; });
        connect(&ws, &QWebSocket::disconnected, this, [this] { disconnected = true; });
        connect(&ws, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this, [this] {
            failed = true;
            errorText = ws.errorString();
        });
        connect(&ws, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
            const QJsonObject o = QJsonDocument::fromJson(text.toUtf8()).object();
            if (o.value(QStringLiteral("type")).toString() == QLatin1String("frame"))
                frameArrivalMs.push_back(clock.elapsed());
            messages.push_back(o);
        });
    }
    void open(quint16 port, const QByteArray &token)
    {
        QNetworkRequest req(QUrl(QStringLiteral("ws://127.0.0.1:%1/live").arg(port)));
        if (!token.isEmpty())
            req.setRawHeader("Authorization", "Bearer " + token);
        ws.open(req);
    }
    std::vector<QJsonObject> ofType(const char *type) const
    {
        std::vector<QJsonObject> out;
        for (const QJsonObject &m : messages)
            if (m.value(QStringLiteral("type")).toString() == QLatin1String(type))
                out.push_back(m);
        return out;
    }
    std::optional<QJsonObject> ackFor(const QJsonValue &id) const
    {
        for (const QJsonObject &m : ofType("ack"))
            if (m.value(QStringLiteral("id")) == id)
                return m;
        return std::nullopt;
    }
    void send(const QJsonObject &o)
    {
        ws.sendTextMessage(QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact)));
    }
    double lastFrameT() const
    {
        const auto frames = ofType("frame");
        return frames.empty() ? 0.0 : frames.back().value(QStringLiteral("t")).toDouble();
    }
};

quint16 freePort()
{
    QTcpServer s;
    return s.listen(QHostAddress::LocalHost, 0) ? s.serverPort() : 0;
}

// Reads the served port from the run's stderr line `hybridscope: serving http://ADDR:PORT (...)`.
quint16 waitForServing(QProcess &p, QByteArray *err)
{
    static const QRegularExpression line(
        QStringLiteral("hybridscope: serving http://127\\.0\\.0\\.1:(\\d+) \\(/metrics, /live\\)"));
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 20000 && p.state() == QProcess::Running) {
        p.waitForReadyRead(200);
        *err += p.readAllStandardError();
        const auto m = line.match(QString::fromUtf8(*err));
        if (m.hasMatch())
            return quint16(m.captured(1).toUInt());
    }
    return 0;
}

} // namespace

class TestServeCli : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QNetworkAccessManager m_nam;
    QProcess m_run;
    QProcess m_prometheus;
    quint16 m_port = 0;
    quint16 m_promPort = 0;
    QByteArray m_runErr;
    LiveClient m_client;
    QString m_json;
    std::map<QString, double> m_promP99Ms; // class → histogram_quantile at the last scrape

    QUrl url(const char *path) const
    {
        return QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(m_port).arg(QLatin1String(path)));
    }
    QList<QPair<QByteArray, QByteArray>> auth() const { return { { "Authorization", "Bearer " + kToken } }; }
    QJsonObject promQuery(const QString &query, double time)
    {
        QUrl u(QStringLiteral("http://127.0.0.1:%1/api/v1/query").arg(m_promPort));
        QUrlQuery q;
        q.addQueryItem(QStringLiteral("query"), query);
        if (time > 0)
            q.addQueryItem(QStringLiteral("time"), QString::number(time, 'f', 3));
        u.setQuery(q);
        return QJsonDocument::fromJson(httpGet(m_nam, u).body).object();
    }

private Q_SLOTS:
    void initTestCase();
    void badServeArguments_data();
    void badServeArguments();
    void refusedWithoutToken();
    void helloThenResize();
    void framesAt20Hz();
    void garbageGetsErrorAcks();
    void promtoolAcceptsMetrics();
    void prometheusScrapes();
    void runEndsAndAgrees();
    void liveStopEndsEndlessRun();
    void sigintEndsEndlessRun();
    void cleanupTestCase();
};

void TestServeCli::initTestCase()
{
    if (QStandardPaths::findExecutable(QStringLiteral("promtool")).isEmpty()
        || QStandardPaths::findExecutable(QStringLiteral("prometheus")).isEmpty())
        QSKIP("promtool and prometheus are not installed (Debian: apt install prometheus)");
    QVERIFY(m_dir.isValid());
    const QString scenario = hs::test::writeFile(m_dir, QStringLiteral("served.yaml"), kScenario);
    const QString tokenFile = hs::test::writeFile(m_dir, QStringLiteral("token"), kToken + '\n');
    QVERIFY(QFile::setPermissions(tokenFile, QFile::ReadOwner | QFile::WriteOwner));
    m_json = m_dir.filePath(QStringLiteral("served.json"));
    m_run.start(hs::test::appPath(),
        { QStringLiteral("run"), scenario, QStringLiteral("--serve"), QStringLiteral("127.0.0.1:0"),
            QStringLiteral("--token-file"), tokenFile, QStringLiteral("--json"), m_json, QStringLiteral("--quiet") });
    QVERIFY(m_run.waitForStarted(10000));
    m_port = waitForServing(m_run, &m_runErr);
    QVERIFY2(m_port != 0, m_runErr.constData());

    // A real Prometheus on loopback, scraping every second with the token.
    m_promPort = freePort();
    QVERIFY(m_promPort != 0);
    const QByteArray config = "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n"
                              "scrape_configs:\n  - job_name: hs\n    authorization:\n      type: Bearer\n"
                              "      credentials_file: "
        + tokenFile.toUtf8() + "\n    static_configs:\n      - targets: ['127.0.0.1:" + QByteArray::number(m_port)
        + "']\n";
    const QString configFile = hs::test::writeFile(m_dir, QStringLiteral("prometheus.yml"), config);
    m_prometheus.setProcessChannelMode(QProcess::MergedChannels);
    m_prometheus.start(QStringLiteral("prometheus"),
        { QStringLiteral("--config.file=") + configFile,
            QStringLiteral("--storage.tsdb.path=") + m_dir.filePath(QStringLiteral("tsdb")),
            QStringLiteral("--web.listen-address=127.0.0.1:%1").arg(m_promPort), QStringLiteral("--log.level=warn") });
    QVERIFY(m_prometheus.waitForStarted(10000));
    const QUrl ready(QStringLiteral("http://127.0.0.1:%1/-/ready").arg(m_promPort));
    QTRY_VERIFY_WITH_TIMEOUT(httpGet(m_nam, ready).status == 200, 15000);
}

// Refused before any run starts, exit 2, the message naming the flag.
void TestServeCli::badServeArguments_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::newRow("not loopback") << QStringList { QStringLiteral("--serve"), QStringLiteral("0.0.0.0:0") }
                                  << "0.0.0.0 is not a loopback address, and without --token-file";
    QTest::newRow("bad port") << QStringList { QStringLiteral("--serve"), QStringLiteral("70000") }
                              << "--serve 70000: the port";
    QTest::newRow("host name") << QStringList { QStringLiteral("--serve"), QStringLiteral("example.com:1") }
                               << "is not an IP address";
    QTest::newRow("token without serve") << QStringList { QStringLiteral("--token-file"),
        QStringLiteral("/nonexistent") } << "give --serve";
    QTest::newRow("missing token file") << QStringList { QStringLiteral("--serve"), QStringLiteral("0"),
        QStringLiteral("--token-file"), QStringLiteral("/nonexistent/t") }
                                        << "--token-file /nonexistent/t:";
    QTest::newRow("port in use") << QStringList { QStringLiteral("--serve"), QStringLiteral("IN_USE") }
                                 << "cannot listen on 127.0.0.1:";
}

void TestServeCli::badServeArguments()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    QTcpServer busy;
    QVERIFY(busy.listen(QHostAddress::LocalHost, 0));
    args.replaceInStrings(QStringLiteral("IN_USE"), QString::number(busy.serverPort()));
    const QString scenario = hs::test::writeFile(m_dir, QStringLiteral("endless.yaml"), kEndless);
    const auto r
        = hs::test::runApp(QStringList { QStringLiteral("run"), scenario, QStringLiteral("--quiet") } + args, 20000);
    QVERIFY2(r.finished && r.exitCode == 2, qPrintable(r.describe()));
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
    QVERIFY2(!r.out.contains(QLatin1String("conservation")), qPrintable(r.out)); // no run happened
}

// A missing or wrong token: 401 with a Bearer challenge on /metrics, no upgrade on /live.
void TestServeCli::refusedWithoutToken()
{
    const HttpResult none = httpGet(m_nam, url("/metrics"));
    QCOMPARE(none.status, 401);
    QVERIFY2(none.wwwAuthenticate.startsWith("Bearer realm="), none.wwwAuthenticate.constData());
    const HttpResult wrong
        = httpGet(m_nam, url("/metrics"), { { "Authorization", "Bearer " + kToken.left(kToken.size() - 1) + 'X' } });
    QCOMPARE(wrong.status, 401);
    QVERIFY(wrong.wwwAuthenticate.contains("invalid_token"));
    QCOMPARE(httpGet(m_nam, url("/nothing-here"), auth()).status, 404);
    for (const QByteArray &token : { QByteArray(), QByteArray("not-the-token-0123456789") }) {
        LiveClient c;
        c.open(m_port, token);
        QTRY_VERIFY_WITH_TIMEOUT(c.failed || c.connected, 10000);
        QVERIFY2(!c.connected && c.errorText.contains(QLatin1String("401")), qPrintable(c.errorText));
        QVERIFY(c.messages.empty());
    }
}

void TestServeCli::helloThenResize()
{
    m_client.open(m_port, kToken);
    QTRY_VERIFY_WITH_TIMEOUT(!m_client.messages.empty() || m_client.failed, 10000);
    QVERIFY2(!m_client.failed, qPrintable(m_client.errorText));
    const QJsonObject hello = m_client.messages.front();
    QCOMPARE(hello.value(QStringLiteral("type")).toString(), QStringLiteral("hello"));
    QCOMPARE(hello.value(QStringLiteral("protocol")).toInt(), 1);
    QCOMPARE(hello.value(QStringLiteral("name")).toString(), QStringLiteral("served"));
    QCOMPARE(hello.value(QStringLiteral("duration_s")).toDouble(), 8.0);
    QCOMPARE(hello.value(QStringLiteral("classes")).toArray(),
        (QJsonArray { QStringLiteral("api"), QStringLiteral("batch") }));
    QVERIFY(hello.value(QStringLiteral("scenario")).toString().contains(QLatin1String("uniform(1ms, 3ms)")));
    QVERIFY(hello.value(QStringLiteral("config")).toObject().contains(QStringLiteral("domains")));
    QVERIFY(hello.value(QStringLiteral("version")).toString() == QLatin1String("0.1.0"));

    m_client.send(
        { { QStringLiteral("type"), QStringLiteral("resize") }, { QStringLiteral("domain"), QStringLiteral("threads") },
            { QStringLiteral("workers"), 12 }, { QStringLiteral("id"), QStringLiteral("grow") } });
    QTRY_VERIFY_WITH_TIMEOUT(m_client.ackFor(QStringLiteral("grow")).has_value(), 10000);
    const QJsonObject ack = *m_client.ackFor(QStringLiteral("grow"));
    QVERIFY2(ack.value(QStringLiteral("ok")).toBool(), qPrintable(ack.value(QStringLiteral("error")).toString()));
    QCOMPARE(ack.value(QStringLiteral("command")).toString(), QStringLiteral("resize"));
    // The next frames carry it, and so does /metrics (its gauges come from the latest frame).
    const auto threadsWorkers = [](const QJsonObject &frame) {
        return frame[QStringLiteral("domains")][QStringLiteral("threads")][QStringLiteral("workers")].toInt();
    };
    QTRY_VERIFY_WITH_TIMEOUT(threadsWorkers(m_client.ofType("frame").back()) == 12, 5000);
    const HttpResult metrics = httpGet(m_nam, url("/metrics"), auth());
    QCOMPARE(metrics.status, 200);
    QCOMPARE(metrics.contentType, QByteArray("text/plain; version=0.0.4; charset=utf-8"));
    QVERIFY2(metrics.body.contains("\nhybridscope_domain_workers{domain=\"threads\"} 12\n"), metrics.body.constData());
    QTRY_VERIFY_WITH_TIMEOUT(!m_client.ofType("event").empty(), 5000);
    QCOMPARE(m_client.ofType("event").back().value(QStringLiteral("kind")).toString(), QStringLiteral("resize"));
}

// Frames come on the engine's 20 Hz grid: over a wall interval W, 20·W of them, give or take one at
// each end of the interval (the grid's phase and the delivery jitter).
void TestServeCli::framesAt20Hz()
{
    const qint64 from = m_client.clock.elapsed();
    constexpr qint64 kWindowMs = 3000;
    QTRY_VERIFY_WITH_TIMEOUT(m_client.clock.elapsed() >= from + kWindowMs + 200, kWindowMs + 2000);
    const auto n = std::count_if(m_client.frameArrivalMs.begin(), m_client.frameArrivalMs.end(),
        [&](qint64 t) { return t >= from && t < from + kWindowMs; });
    QVERIFY2(std::abs(double(n) - 20.0 * kWindowMs / 1000.0) <= 2, qPrintable(QString::number(n)));
    for (const QJsonObject &f : m_client.ofType("frame"))
        QCOMPARE(f.value(QStringLiteral("dropped")).toInt(-1), 0); // a client that reads loses none
}

void TestServeCli::garbageGetsErrorAcks()
{
    const std::size_t before = m_client.ofType("ack").size();
    const QList<QByteArray> garbage = { "not json at all", "[1,2,3]", R"({"type":"explode"})",
        R"({"type":"resize","domain":"threads"})", R"({"type":"resize","domain":"gpu","workers":2})",
        R"({"type":"resize","domain":"threads","workers":100000})",
        R"({"type":"backpressure","domain":"threads","queue":"big"})",
        R"({"type":"reassign","key":"nope.nothing","domain":"tbb"})", R"({"type":"gil","enabled":"yes"})",
        "{\"type\":\"stop\",\"pad\":\"" + QByteArray(100 * 1024, 'x') + "\"}" };
    for (const QByteArray &g : garbage)
        m_client.ws.sendTextMessage(QString::fromUtf8(g));
    m_client.ws.sendBinaryMessage(QByteArray("\x01\x02\x03", 3));
    const std::size_t expected = before + std::size_t(garbage.size()) + 1;
    QTRY_VERIFY_WITH_TIMEOUT(m_client.ofType("ack").size() >= expected, 10000);
    const auto acks = m_client.ofType("ack");
    for (std::size_t i = before; i < acks.size(); ++i) {
        QVERIFY2(!acks[i].value(QStringLiteral("ok")).toBool(true), QJsonDocument(acks[i]).toJson().constData());
        QVERIFY(!acks[i].value(QStringLiteral("error")).toString().isEmpty());
    }
    // The run goes on: frames keep coming, the connection stays.
    const std::size_t frames = m_client.frameArrivalMs.size();
    QTRY_VERIFY_WITH_TIMEOUT(m_client.frameArrivalMs.size() > frames + 2, 2000);
    QVERIFY(!m_client.disconnected);
}

void TestServeCli::promtoolAcceptsMetrics()
{
    const HttpResult metrics = httpGet(m_nam, url("/metrics"), auth());
    QCOMPARE(metrics.status, 200);
    QProcess promtool;
    promtool.setProcessChannelMode(QProcess::MergedChannels);
    promtool.start(QStringLiteral("promtool"), { QStringLiteral("check"), QStringLiteral("metrics") });
    QVERIFY(promtool.waitForStarted(10000));
    promtool.write(metrics.body);
    promtool.closeWriteChannel();
    QVERIFY(promtool.waitForFinished(20000));
    const QByteArray said = promtool.readAll();
    QVERIFY2(promtool.exitStatus() == QProcess::NormalExit && promtool.exitCode() == 0, said.constData());
    QVERIFY2(said.trimmed().isEmpty(), said.constData()); // not even a lint warning
    // promtool 2.42 reads only the text format; the OpenMetrics variant is what Prometheus asks for
    // and is checked by its scrapes (prometheusScrapes).
    const HttpResult om = httpGet(m_nam, url("/metrics"),
        auth() + QList<QPair<QByteArray, QByteArray>> { { "Accept", "application/openmetrics-text; version=1.0.0" } });
    QCOMPARE(om.contentType, QByteArray("application/openmetrics-text; version=1.0.0; charset=utf-8"));
    QVERIFY(om.body.endsWith("# EOF\n"));
}

// Near the end of the run, Prometheus's P99 over the last 10 s at its last scrape, per class.
void TestServeCli::prometheusScrapes()
{
    QTRY_VERIFY_WITH_TIMEOUT(m_client.lastFrameT() >= 7.3, 15000);
    const QJsonObject stamp = promQuery(QStringLiteral("timestamp(hybridscope_build_info)"), 0);
    const QJsonArray result = stamp[QStringLiteral("data")][QStringLiteral("result")].toArray();
    QVERIFY2(result.size() == 1, QJsonDocument(stamp).toJson().constData());
    const double lastScrape = result[0][QStringLiteral("value")][1].toString().toDouble();
    // Its scrapes succeeded in the format it asked for (OpenMetrics).
    const QJsonObject up = promQuery(QStringLiteral("up{job=\"hs\"}"), lastScrape);
    QCOMPARE(up[QStringLiteral("data")][QStringLiteral("result")][0][QStringLiteral("value")][1].toString(),
        QStringLiteral("1"));
    const QJsonObject q = promQuery(
        QStringLiteral(
            "histogram_quantile(0.99, sum by (le, class) (rate(hybridscope_task_latency_seconds_bucket[10s])))"),
        lastScrape);
    for (const QJsonValue &series : q[QStringLiteral("data")][QStringLiteral("result")].toArray()) {
        const QString cls = series[QStringLiteral("metric")][QStringLiteral("class")].toString();
        m_promP99Ms[cls] = series[QStringLiteral("value")][1].toString().toDouble() * 1e3;
    }
    QCOMPARE(m_promP99Ms.size(), std::size_t(2));
}

void TestServeCli::runEndsAndAgrees()
{
    // The end message, then a normal close, then the process exits.
    QTRY_VERIFY_WITH_TIMEOUT(!m_client.ofType("end").empty(), 15000);
    QCOMPARE(m_client.ofType("end").back().value(QStringLiteral("reason")).toString(), QStringLiteral("finished"));
    QTRY_VERIFY_WITH_TIMEOUT(m_client.disconnected, 5000);
    QCOMPARE(m_client.ws.closeCode(), QWebSocketProtocol::CloseCodeNormal);
    QVERIFY(m_run.state() == QProcess::NotRunning || m_run.waitForFinished(15000));
    QCOMPARE(m_run.exitStatus(), QProcess::NormalExit);
    QCOMPARE(m_run.exitCode(), 0);
    const QJsonObject run = hs::test::readJson(m_json);
    const QJsonObject totals = run[QStringLiteral("totals")].toObject();
    QVERIFY(totals[QStringLiteral("conserved")].toBool());
    QCOMPARE(totals[QStringLiteral("submitted")].toInteger(),
        totals[QStringLiteral("completed")].toInteger() + totals[QStringLiteral("failed")].toInteger()
            + totals[QStringLiteral("rejected")].toInteger() + totals[QStringLiteral("cancelled")].toInteger());
    QVERIFY(totals[QStringLiteral("submitted")].toInteger() > 1000);
    // Prometheus's P99 against the run's own, from the phase after the resize (the window of the
    // query lies in it but for its first second or so). histogram_quantile interpolates inside the
    // exported bucket where the P99's rank falls, and so does the exact P99 (its bucket counted by
    // its representative value, within 0.4 %): the two differ by at most one bucket's ratio (1.28).
    // The window and the phase are two samples of one distribution: each P99 lies within the
    // phase's 95 % interval of the true one, hence the two within twice its relative half-width.
    const QJsonArray phases = run[QStringLiteral("phases")].toArray();
    const QJsonObject last = phases.last().toObject()[QStringLiteral("classes")].toObject();
    for (const auto &[cls, prom] : m_promP99Ms) {
        const QJsonObject c = last[cls].toObject();
        const double p99 = c[QStringLiteral("p99_ms")].toDouble();
        const QJsonArray ci = c[QStringLiteral("p99_ci_ms")].toArray();
        QVERIFY2(p99 > 0 && ci.size() == 2 && ci[1].isDouble(), QJsonDocument(c).toJson().constData());
        const double halfWidth = std::max(ci[1].toDouble() / p99 - 1, 1 - ci[0].toDouble() / p99);
        const double allowed = hs::metricsBucketRatio() * (1 + 2 * halfWidth) * 1.004;
        const double ratio = std::max(prom / p99, p99 / prom);
        QVERIFY2(ratio <= allowed,
            qPrintable(QStringLiteral("%1: Prometheus P99 %2 ms, run %3 ms (95 %% interval %4..%5): ratio %6 > %7")
                           .arg(cls)
                           .arg(prom)
                           .arg(p99)
                           .arg(ci[0].toDouble())
                           .arg(ci[1].toDouble())
                           .arg(ratio)
                           .arg(allowed)));
        qInfo("%s: Prometheus P99 %.3f ms, run's last phase %.3f ms (ratio %.3f, allowed %.3f)", qPrintable(cls), prom,
            p99, ratio, allowed);
    }
}

// `--duration 0` runs until stopped; a /live stop ends it gracefully: ack, end "stopped", exit 0.
void TestServeCli::liveStopEndsEndlessRun()
{
    const QString scenario = hs::test::writeFile(m_dir, QStringLiteral("endless.yaml"), kEndless);
    QProcess p;
    p.start(hs::test::appPath(),
        { QStringLiteral("run"), scenario, QStringLiteral("--duration"), QStringLiteral("0"), QStringLiteral("--serve"),
            QStringLiteral("0"), QStringLiteral("--quiet") });
    QVERIFY(p.waitForStarted(10000));
    QByteArray err;
    const quint16 port = waitForServing(p, &err);
    QVERIFY2(port != 0, err.constData());
    LiveClient c;
    c.open(port, {});
    QTRY_VERIFY_WITH_TIMEOUT(!c.ofType("frame").empty() || c.failed, 10000);
    QVERIFY2(!c.failed, qPrintable(c.errorText));
    QCOMPARE(c.messages.front().value(QStringLiteral("duration_s")).toDouble(), 0.0);
    c.send({ { QStringLiteral("type"), QStringLiteral("stop") }, { QStringLiteral("id"), 1 } });
    QTRY_VERIFY_WITH_TIMEOUT(!c.ofType("end").empty(), 15000);
    QVERIFY(c.ackFor(1) && c.ackFor(1)->value(QStringLiteral("ok")).toBool());
    QCOMPARE(c.ofType("end").back().value(QStringLiteral("reason")).toString(), QStringLiteral("stopped"));
    QVERIFY(p.state() == QProcess::NotRunning || p.waitForFinished(15000));
    QCOMPARE(p.exitCode(), 0);
    QVERIFY(p.readAllStandardOutput().contains("conservation"));
}

// Ctrl+C on an endless served run: it drains, tells its clients ("stopped"), and exits 0.
void TestServeCli::sigintEndsEndlessRun()
{
    const QString scenario = hs::test::writeFile(m_dir, QStringLiteral("endless.yaml"), kEndless);
    QProcess p;
    p.start(hs::test::appPath(),
        { QStringLiteral("run"), scenario, QStringLiteral("--duration"), QStringLiteral("0"), QStringLiteral("--serve"),
            QStringLiteral("0"), QStringLiteral("--quiet") });
    QVERIFY(p.waitForStarted(10000));
    QByteArray err;
    const quint16 port = waitForServing(p, &err);
    QVERIFY2(port != 0, err.constData());
    LiveClient c;
    c.open(port, {});
    QTRY_VERIFY_WITH_TIMEOUT(!c.ofType("frame").empty() || c.failed, 10000);
    ::kill(pid_t(p.processId()), SIGINT);
    QTRY_VERIFY_WITH_TIMEOUT(!c.ofType("end").empty(), 15000);
    QCOMPARE(c.ofType("end").back().value(QStringLiteral("reason")).toString(), QStringLiteral("stopped"));
    QTRY_VERIFY_WITH_TIMEOUT(c.disconnected, 5000);
    QVERIFY(p.state() == QProcess::NotRunning || p.waitForFinished(15000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 0);
}

void TestServeCli::cleanupTestCase()
{
    for (QProcess *p : { &m_prometheus, &m_run }) {
        if (p->state() == QProcess::NotRunning)
            continue;
        p->terminate();
        if (!p->waitForFinished(10000))
            p->kill(), p->waitForFinished(5000);
    }
}

QTEST_GUILESS_MAIN(TestServeCli)
#include "tst_serve_cli.moc"
