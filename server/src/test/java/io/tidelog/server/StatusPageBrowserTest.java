package io.tidelog.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.tidelog.client.ClusterStatus;
import io.tidelog.client.StreamingClient;
import io.tidelog.proto.SegmentInfo;
import io.tidelog.proto.SegmentState;
import io.tidelog.testing.Await;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The status page in a real browser: Debian's headless Chromium, driven through its chromedriver by Selenium, against a
 * standalone with a token file and traffic. The page, given a read token once, shows every pchannel with its owner and
 * term, draws its append rate as a live chart whose latest value is above zero, and lists a collection's flushed and
 * growing segments with the rows the server counts. A screenshot is left in {@code target/status-page.png}.
 *
 * <p>Chromium and chromedriver come from Debian ({@code scripts/test} installs them); without them the test fails in CI
 * ({@code CI=true}) and is skipped elsewhere. Nothing is downloaded: the driver and the browser are named explicitly,
 * so Selenium Manager is never asked.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StatusPageBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SCREENSHOT = Path.of("target", "status-page.png");
    static final Duration PATIENCE = Duration.ofSeconds(60);
    static final String COLLECTION = "events";

    @TempDir
    Path dir;
    StandaloneServer server;
    StreamingClient admin;
    StreamingClient writer;
    ScheduledExecutorService traffic;
    WebDriver browser;

    @BeforeEach
    void checkTheBrowserIsInstalled() {
        String missing = !Files.isExecutable(CHROMIUM) ? CHROMIUM.toString()
                : !Files.isExecutable(CHROMEDRIVER) ? CHROMEDRIVER.toString() : null;
        if (missing != null) {
            String why = missing + " is missing: install Debian's chromium and chromium-driver (./scripts/test does)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail(why);
            }
            Assumptions.abort(why);
        }
    }

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (traffic != null) {
            traffic.shutdownNow();
        }
        for (StreamingClient c : new StreamingClient[] {writer, admin}) {
            if (c != null) {
                c.close();
            }
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theStatusPageShowsLivePchannelsWithARateChartAndTheSegmentsOfACollection() throws Exception {
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, TokenFileTest.lines("dash read " + TokenFileTest.READ,
                "ingest write " + TokenFileTest.WRITE, "ops admin " + TokenFileTest.ADMIN));
        server = TestStandalone.start(dir.resolve("data"), Map.of("server.port", "0", "coord.pchannel.count", "3",
                "wal.local.segment.bytes", "4MiB", "wal.local.spare.segments", "1", "message.max.bytes", "1MiB",
                "security.tokens.file", tokens.toString()));
        admin = StreamingClient.builder().target(server.address()).token(TokenFileTest.ADMIN).build();
        writer = StreamingClient.builder().target(server.address()).token(TokenFileTest.WRITE).build();
        List<SegmentInfo> segments = collectionWithAFlushedAndAGrowingSegment();
        startTraffic();

        browser = chromium();
        // The page redraws its collections at every poll: an element read across a redraw is stale, read again.
        WebDriverWait wait = new WebDriverWait(browser, PATIENCE, Duration.ofMillis(200));
        wait.ignoring(StaleElementReferenceException.class);
        try {
            browser.get(server.httpUrl() + "/?token=" + TokenFileTest.READ);
            assertThat(browser.getCurrentUrl()).as("the token left the address").doesNotContain("token");

            ClusterStatus status = admin.statusBlocking();
            assertThat(status.pchannels()).hasSize(3);
            for (ClusterStatus.PchannelStatus p : status.pchannels()) {
                wait.withMessage("the row of " + p.pchannel() + " with owner " + p.nodeId() + " and term " + p.term())
                        .until(d -> rowShows(d, p));
            }
            wait.withMessage("a rate chart of pchannel-0 plotting an append rate above 0 (a line of 3 points drawn)")
                    .until(d -> {
                        List<WebElement> rows = d.findElements(By.cssSelector("tr[data-pchannel='pchannel-0']"));
                        return !rows.isEmpty() && rateOf(rows.get(0)) > 0 && pointsOf(rows.get(0)) >= 3
                                && drawnPixels(d, "tr[data-pchannel='pchannel-0'] td.rate-chart canvas") > 0;
                    });

            Set<String> expected = described(segments);
            wait.withMessage("the segments of " + COLLECTION + ": " + expected)
                    .until(d -> shownSegments(d).equals(expected));
            assertThat(expected).anyMatch(s -> s.contains(":flushed:")).anyMatch(s -> s.contains(":growing:"));
            assertThat(browser.findElement(By.cssSelector("div.collection[data-collection='" + COLLECTION + "']"))
                    .getDomAttribute("data-rows")).isEqualTo(Long.toString(rows(segments)));
        } finally {
            screenshot();
        }
    }

    /** Creates the collection, inserts and flushes 30 rows (awaiting them in object storage), then 7 growing rows. */
    private List<SegmentInfo> collectionWithAFlushedAndAGrowingSegment() throws Exception {
        admin.collections().createBlocking(COLLECTION, HistoricalDataKillNineTest.SCHEMA, 1);
        insert(1, 30);
        admin.collections().flushBlocking(COLLECTION);
        Await.until("the flushed segment in object storage", PATIENCE, () -> admin.collections()
                .segmentsBlocking(COLLECTION).stream().anyMatch(s -> s.getState() == SegmentState.SEGMENT_FLUSHED));
        insert(31, 37);
        Await.until("the growing rows counted", PATIENCE, () -> rows(admin.collections()
                .segmentsBlocking(COLLECTION)) == 37);
        return admin.collections().segmentsBlocking(COLLECTION);
    }

    private void insert(long from, long to) throws Exception {
        List<Map<String, Object>> rows = LongStream.rangeClosed(from, to).mapToObj(HistoricalDataKillNineTest::row)
                .collect(Collectors.toList());
        assertThat(writer.insert(COLLECTION, rows).get(30, TimeUnit.SECONDS).rows()).isEqualTo(rows.size());
    }

    /** Raw messages to pchannel-0, one every 20 ms, until the test ends: its append rate stays above zero. */
    private void startTraffic() {
        traffic = Executors.newSingleThreadScheduledExecutor();
        traffic.scheduleAtFixedRate(() -> writer.appendRaw("pchannel-0_traffic", new byte[64]), 0, 20,
                TimeUnit.MILLISECONDS);
    }

    private static WebDriver chromium() {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,1000",
                "--user-data-dir=" + tempProfile());
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    private static String tempProfile() {
        try {
            File profile = Files.createTempDirectory("tidelog-chromium").toFile();
            profile.deleteOnExit();
            return profile.getAbsolutePath();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static boolean rowShows(WebDriver d, ClusterStatus.PchannelStatus p) {
        List<WebElement> rows = d.findElements(By.cssSelector("tr[data-pchannel='" + p.pchannel() + "']"));
        return !rows.isEmpty()
                && rows.get(0).findElement(By.cssSelector("td.owner")).getText().equals(p.nodeId())
                && rows.get(0).findElement(By.cssSelector("td.term")).getText().equals(Long.toString(p.term()));
    }

    private static double rateOf(WebElement row) {
        String rate = row.getDomAttribute("data-rate");
        return rate == null || rate.isEmpty() ? 0 : Double.parseDouble(rate);
    }

    private static int pointsOf(WebElement row) {
        String points = row.getDomAttribute("data-points");
        return points == null || points.isEmpty() ? 0 : Integer.parseInt(points);
    }

    /** How many pixels of the canvas {@code selector} names are painted (not transparent); 0 if there is none. */
    private static long drawnPixels(WebDriver d, String selector) {
        Object n = ((JavascriptExecutor) d).executeScript("const c = document.querySelector(arguments[0]);"
                + " if (!c) return 0;"
                + " const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                + " let n = 0; for (let i = 3; i < px.length; i += 4) { if (px[i] > 0) n++; } return n;", selector);
        return n instanceof Number num ? num.longValue() : 0;
    }

    /** The segments the page lists for the collection, as "id:state:rows". */
    private static Set<String> shownSegments(WebDriver d) {
        Set<String> out = new TreeSet<>();
        for (WebElement row : d.findElements(By.cssSelector(
                "div.collection[data-collection='" + COLLECTION + "'] tr[data-segment]"))) {
            out.add(row.getDomAttribute("data-segment") + ":" + row.getDomAttribute("data-state") + ":"
                    + row.getDomAttribute("data-rows"));
        }
        return out;
    }

    private static Set<String> described(List<SegmentInfo> segments) {
        Set<String> out = new TreeSet<>();
        for (SegmentInfo s : segments) {
            String state = s.getState() == SegmentState.SEGMENT_FLUSHED ? "flushed"
                    : s.getState() == SegmentState.SEGMENT_GROWING ? "growing" : "delete-log";
            out.add(s.getSegmentId() + ":" + state + ":" + s.getRows());
        }
        return out;
    }

    private static long rows(List<SegmentInfo> segments) {
        return segments.stream().filter(s -> s.getState() != SegmentState.SEGMENT_DELETE_LOG)
                .mapToLong(SegmentInfo::getRows).sum();
    }

    private void screenshot() throws java.io.IOException {
        if (browser instanceof TakesScreenshot t) {
            File png = t.getScreenshotAs(OutputType.FILE);
            Files.createDirectories(SCREENSHOT.getParent());
            Files.copy(png.toPath(), SCREENSHOT, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
