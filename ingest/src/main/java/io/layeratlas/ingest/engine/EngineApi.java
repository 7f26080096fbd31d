package io.layeratlas.ingest.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.transport.DockerHttpClient;
import io.layeratlas.ingest.internal.GoJson;
import io.layeratlas.ingest.internal.UnreadableItemException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * GET requests to one daemon, answers as JSON trees (decoded as Go decodes them: {@link GoJson}). A failed request (no answer, a status other than 200, a
 * body that is not JSON) throws {@link UnreadableItemException} whose path is the request
 * ({@code GET /images/sha256:…/json}) and whose reason quotes the daemon's {@code message} where it sent one.
 */
final class EngineApi {
    /** Error bodies are short JSON ({@code {"message":"No such image: …"}}); more is not worth quoting. */
    private static final int MAX_QUOTED = 300;

    private final DockerHttpClient http;

    EngineApi(DockerHttpClient http) {
        this.http = http;
    }

    /** {@code GET path} parsed as JSON. */
    JsonNode get(String path) {
        return GoJson.parse(fetch(path), request(path), "the answer");
    }

    /** {@code GET path}'s body as text (for {@code /_ping}, which answers {@code OK}). */
    String getText(String path) {
        return new String(fetch(path), StandardCharsets.UTF_8);
    }

    private byte[] fetch(String path) {
        DockerHttpClient.Request req = DockerHttpClient.Request.builder()
                .method(DockerHttpClient.Request.Method.GET).path(path).build();
        try (DockerHttpClient.Response res = http.execute(req)) {
            byte[] body;
            try (InputStream in = res.getBody()) {
                body = in.readAllBytes();
            }
            int status = res.getStatusCode();
            if (status != 200) {
                throw new UnreadableItemException(request(path), "HTTP " + status + ": " + message(body));
            }
            return body;
        } catch (UnreadableItemException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // docker-java wraps connection failures (refused, timed out, no socket) in RuntimeExceptions.
            throw new UnreadableItemException(request(path), "no answer from the daemon: " + rootCause(e), e);
        }
    }

    static String request(String path) {
        return "GET " + path;
    }

    private static String message(byte[] body) {
        try {
            JsonNode m = GoJson.field(GoJson.parse(body, "", "error body"), "message");
            if (m.isTextual()) {
                return m.textValue();
            }
        } catch (RuntimeException e) {
            // not the daemon's JSON error shape: quote the text
        }
        String text = new String(body, StandardCharsets.UTF_8).strip();
        return text.length() <= MAX_QUOTED ? text : text.substring(0, MAX_QUOTED) + "...";
    }

    static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String msg = t.getMessage();
        return t.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
    }
}
