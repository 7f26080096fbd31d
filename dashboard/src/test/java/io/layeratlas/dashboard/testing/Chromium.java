package io.layeratlas.dashboard.testing;

import io.layeratlas.testing.Requires;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

/**
 * Debian's headless Chromium driven by Selenium through {@code /usr/bin/chromedriver} (override with
 * {@code -Dlayeratlas.chromium=} / {@code -Dlayeratlas.chromedriver=}). Selenium Manager never downloads anything:
 * both paths are given. Skipped off CI when the packages are missing ({@link Requires}).
 */
public final class Chromium implements AutoCloseable {
    private final ChromeDriver driver;
    private final Path profile;

    private Chromium(ChromeDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    public static Chromium start() {
        String chromium = System.getProperty("layeratlas.chromium", "/usr/bin/chromium");
        String chromedriver = System.getProperty("layeratlas.chromedriver", "/usr/bin/chromedriver");
        Requires.executable(chromium, "chromium");
        Requires.executable(chromedriver, "chromium-driver");
        try {
            Path profile = Files.createTempDirectory("layeratlas-chromium-");
            ChromeOptions options = new ChromeOptions();
            options.setBinary(chromium);
            // No background networking: this machine's closed network refuses it, many connections at a time.
            options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                    "--user-data-dir=" + profile, "--window-size=1440,1600", "--hide-scrollbars");
            ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(chromedriver))
                    .usingAnyFreePort().build();
            ChromeDriver driver = new ChromeDriver(service, options);
            driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
            return new Chromium(driver, profile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public ChromeDriver driver() {
        return driver;
    }

    /** Saves what the browser shows as {@code dir/name.png}, for review. */
    public void screenshot(Path dir, String name) {
        try {
            Files.createDirectories(dir);
            Files.copy(driver.getScreenshotAs(OutputType.FILE).toPath(), dir.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        driver.quit();
        try {
            new ProcessBuilder("rm", "-rf", profile.toString()).start().waitFor();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
