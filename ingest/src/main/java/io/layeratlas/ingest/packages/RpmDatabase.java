package io.layeratlas.ingest.packages;

import io.layeratlas.events.InstalledPackage;

import io.layeratlas.events.Problem;
import io.layeratlas.ingest.internal.UnreadableItemException;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteOpenMode;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads RPM's sqlite database ({@code rpmdb.sqlite}, rpm 4.16 and later: rpm's {@code lib/backend/sqlite.c}): one
 * row per installed package in table {@code Packages(hnum, blob)}, the blob an rpm header ({@link RpmHeader}).
 *
 * <p>The file is opened read-only and immutable ({@code ?immutable=1}: no lock, no journal or WAL is touched or
 * created), so a database in a layer folder or a host's backup is never written. Per package: the version is
 * {@code [epoch:]version-release} as rpm prints {@code %{EVR}}; the source package is {@code SOURCERPM}
 * ({@code name-version-release.src.rpm}) split at its last two dashes; rpm's {@code gpg-pubkey} pseudo-packages
 * (imported keys, no architecture) are packages like any other, as {@code rpm -qa} lists them. A bad header is a
 * problem naming its row ({@code hnum}); the other rows are read. Memory: one blob at a time. Thread-safe
 * (stateless); the only class that imports the sqlite driver.
 */
public final class RpmDatabase {
    private RpmDatabase() {
    }

    /**
     * @param file     the {@code rpmdb.sqlite} on disk (a layer folder's file, or a spooled copy of a tar entry)
     * @param path     the database's path inside the layer, for problems
     * @param problems receives one problem per unreadable row
     * @return the packages, in {@code hnum} order
     * @throws UnreadableItemException if the file is not a sqlite database or has no {@code Packages} table
     */
    public static List<InstalledPackage> read(Path file, String path, List<Problem> problems) {
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        config.setOpenMode(SQLiteOpenMode.OPEN_URI);
        String url = "jdbc:sqlite:file:" + file.toAbsolutePath().toUri().getRawPath() + "?immutable=1";
        List<InstalledPackage> out = new ArrayList<>();
        try (Connection c = config.createConnection(url);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT hnum, blob FROM Packages ORDER BY hnum")) {
            while (rs.next()) {
                long hnum = rs.getLong(1);
                byte[] blob = rs.getBytes(2);
                try {
                    if (blob == null) {
                        throw new RpmHeader.BadHeaderException("no blob");
                    }
                    RpmHeader.Tags t = RpmHeader.parse(blob);
                    if (t.name() == null || t.version() == null) {
                        throw new RpmHeader.BadHeaderException("no NAME or VERSION tag");
                    }
                    out.add(toPackage(t));
                } catch (RpmHeader.BadHeaderException | IllegalArgumentException e) {
                    problems.add(new Problem(path, "Packages row hnum=" + hnum + ": " + e.getMessage() + "; left out"));
                }
            }
        } catch (SQLException e) {
            throw new UnreadableItemException(path, "not a readable rpm sqlite database: " + e.getMessage(), e);
        }
        return out;
    }

    static InstalledPackage toPackage(RpmHeader.Tags t) {
        String evr = (t.epoch() == null ? "" : t.epoch() + ":") + t.version()
                + (t.release() == null ? "" : "-" + t.release());
        String sourceName = null;
        String sourceVersion = null;
        if (t.sourceRpm() != null) {
            String nvr = t.sourceRpm().replaceFirst("\\.(no)?src\\.rpm$", "");
            int r = nvr.lastIndexOf('-');
            int v = r > 0 ? nvr.lastIndexOf('-', r - 1) : -1;
            if (v > 0) {
                sourceName = nvr.substring(0, v);
                sourceVersion = nvr.substring(v + 1);
            }
        }
        return new InstalledPackage(t.name(), evr, t.arch(), sourceName, sourceVersion);
    }
}
