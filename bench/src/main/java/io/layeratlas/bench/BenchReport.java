package io.layeratlas.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The figures of one run, printed as a table or written as {@code {"benchmarks":[{name,value,unit,baseline,ratio,note}…]}}. */
public final class BenchReport {
    private final List<BenchmarkResult> results = new ArrayList<>();
    private final Map<String, Object> context = new LinkedHashMap<>();

    public synchronized void add(BenchmarkResult r) {
        results.add(r);
    }

    public synchronized void addAll(List<BenchmarkResult> rs) {
        results.addAll(rs);
    }

    /** Facts about the run (scale, fleet size, machine) written beside the figures. */
    public synchronized void context(String key, Object value) {
        context.put(key, value);
    }

    public synchronized List<BenchmarkResult> results() {
        return List.copyOf(results);
    }

    public synchronized String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-38s %14s %-9s %14s %8s  %s%n", "benchmark", "value", "unit", "baseline", "ratio", "note"));
        for (BenchmarkResult r : results) {
            sb.append(String.format(Locale.ROOT, "%-38s %14s %-9s %14s %8s  %s%n", r.name(), num(r.value()), r.unit(),
                    num(r.baseline()), r.ratio() == null ? "" : String.format(Locale.ROOT, "%.2f", r.ratio()),
                    r.note() == null ? "" : r.note()));
        }
        return sb.toString();
    }

    public synchronized void writeJson(Path file) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("context", context);
        doc.put("benchmarks", results);
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), doc);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static String num(Double d) {
        if (d == null) {
            return "-";
        }
        return Math.abs(d) >= 100 ? String.format(Locale.ROOT, "%,.0f", d) : String.format(Locale.ROOT, "%.3f", d);
    }
}
