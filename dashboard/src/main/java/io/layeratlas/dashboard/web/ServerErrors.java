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
 * or control character or ambiguous segment in the path, a URI or headers over its limits): a short plain-text
 * message saying what was wrong, instead of Jetty's bare "Bad Message 400 / reason: Bad Request" page. Never the
 * request itself, never a stack trace. Everything that reaches a route is {@link ErrorMapping}'s.
 */
final class ServerErrors extends ErrorHandler {

    ServerErrors() {
        setShowStacks(false);
        setShowServlet(false);
        setShowMessageInTitle(false);
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        fields.put("X-Content-Type-Options", "nosniff");
        return BufferUtil.toBuffer(text(status, reason), StandardCharsets.UTF_8);
    }

    @Override
    protected void generateAcceptableResponse(Request baseRequest, HttpServletRequest request, HttpServletResponse response,
                                              int code, String message) throws IOException {
        baseRequest.setHandled(true);
        response.setContentType("text/plain; charset=utf-8");
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.getWriter().write(text(code, message));
    }

    /** {@code "400 Bad Request: <why>"}; Jetty's reason when it says more than the status phrase. */
    static String text(int status, String reason) {
        String phrase = HttpStatus.getMessage(status);
        String why = reason == null || reason.isBlank() || reason.equalsIgnoreCase(phrase) ? explain(status) : reason;
        return status + " " + phrase + ": " + why + "\n";
    }

    private static String explain(int status) {
        return switch (status) {
            case 400 -> "the request cannot be read (an encoded NUL or control character, broken percent-encoding, "
                    + "or an ambiguous path segment such as an encoded slash)";
            case 414 -> "the request URI is longer than this server accepts";
            case 431 -> "the request headers are larger than this server accepts";
            default -> "the request was refused";
        };
    }
}
