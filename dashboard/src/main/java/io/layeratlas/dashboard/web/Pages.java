package io.layeratlas.dashboard.web;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.javalin.http.Context;

import java.util.Map;

/**
 * Renders the precompiled jte templates ({@code src/main/jte}, compiled by jte-maven-plugin into
 * {@code gg.jte.generated.precompiled}). HTML content type: every {@code ${}} is escaped for its context.
 */
final class Pages {
    private final TemplateEngine engine = TemplateEngine.createPrecompiled(ContentType.Html);

    void render(Context ctx, String template, Map<String, Object> params) {
        StringOutput out = new StringOutput();
        engine.render(template, params, out);
        ctx.html(out.toString());
    }
}
