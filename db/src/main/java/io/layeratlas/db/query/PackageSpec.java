package io.layeratlas.db.query;

import io.layeratlas.db.versions.VersionOrdering;
import io.layeratlas.events.PackageEcosystem;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A package question: a name and the versions wanted. Syntax: {@code NAME[CONSTRAINT{,CONSTRAINT}]}, a constraint
 * being an operator ({@code =}, {@code !=}, {@code <}, {@code <=}, {@code >}, {@code >=}) and a version, e.g.
 * {@code openssl}, {@code openssl=3.0.7-1~deb12u1}, {@code openssl<3.0.8}, {@code openssl>=1.1.1,<1.1.1w}. Blanks
 * around names, operators and versions are ignored. A version matches when it meets every constraint under its own
 * ecosystem's ordering ({@link VersionOrdering}). Immutable.
 *
 * @param name        the binary package name, exact
 * @param constraints all must hold; empty: any version
 */
public record PackageSpec(String name, List<Constraint> constraints) {

    /** Longest accepted question, in characters. */
    public static final int MAX_LENGTH = 512;

    /** One {@code op version} condition. */
    public record Constraint(String op, String version) {
        public Constraint {
            Objects.requireNonNull(op, "op");
            Objects.requireNonNull(version, "version");
        }

        boolean holds(int cmp) {
            return switch (op) {
                case "=" -> cmp == 0;
                case "!=" -> cmp != 0;
                case "<" -> cmp < 0;
                case "<=" -> cmp <= 0;
                case ">" -> cmp > 0;
                case ">=" -> cmp >= 0;
                default -> throw new IllegalStateException(op);
            };
        }

        @Override
        public String toString() {
            return op + version;
        }
    }

    public PackageSpec {
        Objects.requireNonNull(name, "name");
        constraints = List.copyOf(constraints);
    }

    /** Whether {@code version}, of a package of {@code ecosystem}, meets every constraint. */
    public boolean matches(PackageEcosystem ecosystem, String version) {
        var order = VersionOrdering.of(ecosystem);
        for (Constraint c : constraints) {
            if (!c.holds(order.compare(version, c.version()))) {
                return false;
            }
        }
        return true;
    }

    /** The question as it is written back: name, then the constraints joined by commas. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name);
        for (int i = 0; i < constraints.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(constraints.get(i));
        }
        return sb.toString();
    }

    /**
     * Whether {@code text} is meant as a package question (a name followed by an operator); {@link #parse} still
     * judges its syntax. A bare word is a package question only where the caller says so.
     */
    public static boolean looksLikeOne(String text) {
        if (text == null) {
            return false;
        }
        String t = text.strip();
        int op = firstOperator(t);
        return op > 0 && isName(t.substring(0, op).strip());
    }

    /**
     * Parses a question.
     *
     * @throws QueryException.InvalidParameter naming what is wrong and where (character offset from 1)
     */
    public static PackageSpec parse(String text) {
        if (text == null || text.isBlank()) {
            throw new QueryException.InvalidParameter("empty package question: want NAME, NAME=VERSION, NAME<VERSION or"
                    + " NAME>=VERSION,<VERSION");
        }
        if (text.length() > MAX_LENGTH) {
            throw new QueryException.InvalidParameter("package question longer than " + MAX_LENGTH + " characters");
        }
        String t = text.strip();
        int op = firstOperator(t);
        String name = (op < 0 ? t : t.substring(0, op)).strip();
        if (name.isEmpty()) {
            throw new QueryException.InvalidParameter("'" + t + "': no package name before the operator");
        }
        if (!isName(name)) {
            throw new QueryException.InvalidParameter("'" + name + "' is not a package name (letters, digits and"
                    + " + - . _ @, starting with a letter or digit)");
        }
        List<Constraint> constraints = new ArrayList<>();
        if (op >= 0) {
            int start = op;
            for (String part : t.substring(op).split(",", -1)) {
                constraints.add(constraint(part, start + 1));
                start += part.length() + 1;
            }
        }
        return new PackageSpec(name, constraints);
    }

    private static Constraint constraint(String part, int at) {
        String p = part.strip();
        if (p.isEmpty()) {
            throw new QueryException.InvalidParameter("empty version constraint at character " + at
                    + " (constraints are separated by one comma)");
        }
        String op;
        if (p.startsWith("<=") || p.startsWith(">=") || p.startsWith("!=")) {
            op = p.substring(0, 2);
        } else if (p.startsWith("==")) {
            throw new QueryException.InvalidParameter("'==' at character " + at + ": the operator is '='");
        } else if (p.startsWith("<") || p.startsWith(">") || p.startsWith("=")) {
            op = p.substring(0, 1);
        } else {
            throw new QueryException.InvalidParameter("'" + p + "' at character " + at
                    + " does not start with an operator (=, !=, <, <=, >, >=)");
        }
        String version = p.substring(op.length()).strip();
        if (version.isEmpty()) {
            throw new QueryException.InvalidParameter("no version after '" + op + "' at character " + at);
        }
        for (int i = 0; i < version.length(); i++) {
            char c = version.charAt(i);
            if (c <= ' ' || c == '<' || c == '>' || c == '=' || c == '!' || c == ',' || c > '~') {
                throw new QueryException.InvalidParameter("version '" + version + "' after '" + op + "' at character " + at
                        + " has an invalid character '" + c + "'");
            }
        }
        return new Constraint(op, version);
    }

    private static int firstOperator(String t) {
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c == '<' || c == '>' || c == '=' || c == '!' || c == ',') {
                return i;
            }
        }
        return -1;
    }

    /** Package names as dpkg, apk and rpm allow them, printable ASCII without operators or blanks. */
    static boolean isName(String s) {
        if (s.isEmpty() || s.length() > 200 || !Character.isLetterOrDigit(s.charAt(0)) || s.charAt(0) > 'z') {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '+' || c == '-' || c == '.' || c == '_' || c == '@' || c == '~';
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
