package io.layeratlas.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * The query benchmark's GETs of the dashboard's API, sent as a blocking HTTP/1.1 client sends them (curl, a script's
 * client): over {@link HttpURLConnection}, the request written and the answer read by the calling thread, on a
 * connection kept alive between requests (the JDK's keep-alive cache holds up to {@code http.maxConnections}, 5 by
 * default, idle connections per destination: one for each of the bench's 4 clients). So an API request is timed as its
 * bare SQL is, by a thread reading its own socket (PgJDBC's).
 *
 * <p>Until 2026-12-06 the bench sent them with {@code java.net.http.HttpClient}, which reads on its selector thread and
 * completes each response on an executor thread: two more threads to wake for every request, time the client spends
 * and no client of the API has to. On this 2-core box with three busy loops standing in for the churn rounds' load,
 * 4 clients asking for a small answer (fleet-main's web-01, {@code /api/v1/layers/{digest}/hosts}), 2,000 requests a
 * round, the two clients in turn: p50 7.9–10.3 ms and p99 118–127 ms a round through {@code HttpClient}, 5.1–5.4 and
 * 28–38 through this class; idle, 4.2–5.8 / 27–46 against 3.2–4.1 / 23–34 (bench/results/bench-http-client.txt).
 */
final class HttpGet {
    /** What the bench's results name as their API client ({@code context.apiClient}). */
    static final String CLIENT = "HttpURLConnection: blocking, in the calling thread, kept alive";

    private static final int CONNECT_TIMEOUT_MS = 5_000;
    private static final int READ_TIMEOUT_MS = 60_000;

    private HttpGet() {
    }

    /**
     * GETs {@code uri} and reads its whole body, keeping none of it, as a client streaming an export to a file does
     * (until 2026-12-05 the timed exports were decoded into one {@code String}, ~MBs at 10,000 hosts, and the JSON one
     * parsed, in the bench JVM, on the two cores the dashboard and PostgreSQL answer on).
     *
     * @return the body's length in bytes
     * @throws IllegalStateException when the answer is not 200 OK (its status and the start of its body)
     * @throws IOException           when the connection fails or times out (5 s to connect, 60 s between reads)
     */
    static long discard(URI uri) throws IOException {
        HttpURLConnection c = open(uri);
        try (InputStream in = c.getInputStream()) {
            byte[] buffer = new byte[64 * 1024];
            long total = 0;
            for (int n; (n = in.read(buffer)) >= 0; ) {
                total += n;
            }
            return total;
        }
    }

    /**
     * GETs {@code uri} and returns its body as text (UTF-8, what the dashboard sends).
     *
     * @throws IllegalStateException, IOException as {@link #discard}
     */
    static String text(URI uri) throws IOException {
        HttpURLConnection c = open(uri);
        try (InputStream in = c.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Sends the GET and checks the status; the body is the caller's to read (and close, for keep-alive). */
    private static HttpURLConnection open(URI uri) throws IOException {
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
        c.setConnectTimeout(CONNECT_TIMEOUT_MS);
        c.setReadTimeout(READ_TIMEOUT_MS);
        c.setRequestProperty("Accept", "*/*"); // curl's; the JDK's default names image types
        int status = c.getResponseCode();
        if (status != HttpURLConnection.HTTP_OK) {
            String body;
            try (InputStream err = c.getErrorStream()) { // read whole, so that the connection can be kept
                body = err == null ? "" : new String(err.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IOException("GET " + uri + " answered " + status + ", then reading its body failed", e);
            }
            throw new IllegalStateException("GET " + uri + " answered " + status + ": "
                    + body.substring(0, Math.min(200, body.length())));
        }
        return c;
    }
}
