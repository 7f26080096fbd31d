package io.layeratlas.app;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.lang.reflect.Field;
import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code defaultValue} of each option as written in the annotation, before picocli interpolates {@code ${env:…}}. */
final class OptionDefaults {
    private OptionDefaults() {
    }

    /** Longest option name → raw default, for a command class and its mixins. */
    static Map<String, String> of(Class<?> command) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Field f : command.getDeclaredFields()) {
            Option o = f.getAnnotation(Option.class);
            if (o != null) {
                String longest = o.names()[0];
                for (String n : o.names()) {
                    longest = n.length() > longest.length() ? n : longest;
                }
                out.put(longest, o.defaultValue());
            }
            if (f.getAnnotation(Mixin.class) != null) {
                out.putAll(of(f.getType()));
            }
        }
        return out;
    }
}
