package io.layeratlas.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * The dashboard's JSON API ({@code /api/v1/…}) for the query commands, over {@link HttpClient}, read with Jackson.
 * Lists are followed page by page through their {@code next} cursors, so a command sees every item. Not thread-safe.
 */
final class DashboardApi {
    /** The API's own limit per page; larger pages mean fewer round trips for a long list. */
    private static final int PAGE = 500;

    /** The dashboard answered with an error (its JSON {@code error}), or could not be reached. */
    static final class ApiException extends RuntimeException {
        ApiException(String message) {
            super(message);
        }
    }

    private final String base;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    DashboardApi(String url) {
        this.base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** {@code label=k=v} parameters, each prefixed by {@code &}. */
    static String labelParams(List<String> labels) {
        StringBuilder sb = new StringBuilder();
        for (String l : labels == null ? List.<String>of() : labels) {
            sb.append("&label=").append(enc(l));
        }
        return sb.toString();
    }

    /**
     * {@code GET path}'s JSON.
     *
     * @throws ApiException with the API's error message for a non-200 answer, or why the dashboard was not reached
     */
    JsonNode get(String path) {
        HttpResponse<String> r;
        try {
            r = http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                    .header("Accept", "application/json").GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException | IllegalArgumentException e) {
            throw new ApiException("cannot reach the dashboard at " + base + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException("interrupted");
        }
        JsonNode body;
        try {
            body = json.readTree(r.body());
        } catch (IOException e) {
            throw new ApiException(base + path + " answered " + r.statusCode() + " with no JSON");
        }
        if (r.statusCode() != 200) {
            String why = body.path("error").isTextual() ? body.path("error").asText() : body.toString();
            throw new ApiException(r.statusCode() + ": " + why);
        }
        return body;
    }

    /**
     * Every item of a paged list: {@code path} (which must already have a {@code ?}) with {@code cursorParam} set
     * from each answer's {@code nextField}, items from {@code itemsField}; {@code first} is told the first answer.
     */
    ArrayNode all(String path, String cursorParam, String itemsField, String nextField, Consumer<JsonNode> first) {
        ArrayNode out = json.createArrayNode();
        String cursor = null;
        boolean isFirst = true;
        do {
            JsonNode page = get(path + "&limit=" + PAGE + (cursor == null ? "" : "&" + cursorParam + "=" + enc(cursor)));
            if (isFirst && first != null) {
                first.accept(page);
            }
            isFirst = false;
            page.path(itemsField).forEach(out::add);
            JsonNode next = nextField.contains(".") ? page.at("/" + nextField.replace('.', '/')) : page.path(nextField);
            cursor = next.isTextual() ? next.asText() : null;
        } while (cursor != null);
        return out;
    }

    ObjectMapper mapper() {
        return json;
    }
}
