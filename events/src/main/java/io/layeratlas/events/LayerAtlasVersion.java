package io.layeratlas.events;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version of this build, as agents report it in snapshots and heartbeats. */
public final class LayerAtlasVersion {
    private static final String VERSION = load();

    private LayerAtlasVersion() {
    }

    public static String get() {
        return VERSION;
    }

    private static String load() {
        try (InputStream in = LayerAtlasVersion.class.getResourceAsStream("version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
