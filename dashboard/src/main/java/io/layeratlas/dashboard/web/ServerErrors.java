package io.layeratlas.dashboard.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.BufferUtil;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Answers for requests Jetty refuses before they reach a route (a request line it cannot parse, an encoded NUL
 * or control character in the path, a URI or headers over its limits): the API's JSON error body
 * ({@code {"status":400,"error":"…"}}, as {@link ErrorMapping} answers) saying what was wrong, instead of Jetty's bare
 * "Bad Message 400 / reason: Bad Request" page. Jetty cannot tell an API client from a browser this early (the
 * request line may not even parse), so every such answer is JSON. Never the request itself, never a stack trace.
 * Everything that reaches a route is {@link ErrorMapping}'s.
 */
final class ServerErrors extends ErrorHandler {

    ServerErrors() {
        setShowStacks(false);
        setShowServlet(false);
        setShowMessageInTitle(false);
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        fields.put("X-Content-Type-Options", "nosniff");
        return BufferUtil.toBuffer(json(status, reason), StandardCharsets.UTF_8);
    }

    @Override
    protected void generateAcceptableResponse(Request baseRequest, HttpServletRequest request, HttpServletResponse response,
                                              int code, String message) throws IOException {
        baseRequest.setHandled(true);
        response.setContentType("application/json");
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.getWriter().write(json(code, message));
    }

    /** {@code {"status":400,"error":"<why>"}}; Jetty's reason when it says more than the status phrase. */
    static String json(int status, String reason) {
        String phrase = HttpStatus.getMessage(status);
        String why = reason == null || reason.isBlank() || reason.equalsIgnoreCase(phrase) ? explain(status)
                : phrase + ": " + reason;
        return "{\"status\":" + status + ",\"error\":\"" + escape(why) + "\"}\n";
    }

    /** A JSON string's content (RFC 8259 section 7), escaped by Jackson. */
    private static String escape(String s) {
        return new String(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(s));
    }

    private static String explain(int status) {
        return switch (status) {
            case 400 -> "the request cannot be read (an encoded NUL or control character, broken percent-encoding, "
                    + "or an ambiguous path segment such as an encoded dot segment)";
            case 414 -> "the request URI is longer than this server accepts";
            case 431 -> "the request headers are larger than this server accepts";
            default -> "the request was refused";
        };
    }
}
