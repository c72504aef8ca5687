package dev.etlab.bench;

import dev.etlab.io.ConfigCodec;
import java.util.Optional;

/**
 * The line protocol between the benchmark and its child JVMs.
 *
 * <p>Parent to child (stdin), one command a line:
 * <pre>
 * run⇥FORWARD⇥1024⇥&lt;native limit bytes&gt;⇥&lt;setup as one ConfigCodec line&gt;
 * exit
 * </pre>
 * Child to parent (stdout): lines starting with {@link #MARKER}, found anywhere in a line so that
 * ND4J's own output (native code prints to the same stdout, not always ending its lines) cannot
 * hide them; every other line is chatter:
 * <pre>
 * @@etlab-bench ready &lt;what the child measures with&gt;
 * @@etlab-bench point &lt;one CSV row, see BenchmarkCsv&gt;
 * </pre>
 */
final class ChildProtocol {
    private ChildProtocol() {}

    static final String MARKER = "@@etlab-bench ";
    static final String EXIT = "exit";

    /** A request to measure one point. */
    record Run(BenchmarkSetup setup, Mode mode, int length, long nativeLimitBytes) {}

    /** A reply line from the child. */
    record Reply(String kind, String body) {}

    static String runCommand(Run run) {
        return String.join("\t", "run", run.mode().name(), Integer.toString(run.length()), Long.toString(run.nativeLimitBytes()),
            encodeSetup(run.setup()));
    }

    static Run parseRun(String line) {
        String[] f = line.split("\t", 5);
        if (f.length != 5 || !f[0].equals("run")) {
            throw new IllegalArgumentException("command \"" + line + "\": expected run⇥MODE⇥length⇥limit⇥setup or exit");
        }
        return new Run(decodeSetup(f[4]), Mode.parse(f[1]), Integer.parseInt(f[2]), Long.parseLong(f[3]));
    }

    static String encodeSetup(BenchmarkSetup setup) {
        return ConfigCodec.encodeLine(setup);
    }

    static BenchmarkSetup decodeSetup(String line) {
        return ConfigCodec.decode(line, BenchmarkSetup.class);
    }

    static String ready(String info) {
        return MARKER + "ready " + info;
    }

    static String point(BenchmarkPoint p) {
        return MARKER + "point " + BenchmarkCsv.row(p);
    }

    /** The reply in a line of child output, or empty for chatter (including a damaged reply). */
    static Optional<Reply> parseReply(String line) {
        int at = line.indexOf(MARKER);
        if (at < 0) return Optional.empty();
        String rest = line.substring(at + MARKER.length());
        int space = rest.indexOf(' ');
        String kind = space < 0 ? rest : rest.substring(0, space);
        String body = space < 0 ? "" : rest.substring(space + 1);
        if (kind.equals("point")) {
            try {
                BenchmarkCsv.parseRow(body);
            } catch (RuntimeException damaged) {
                return Optional.empty();
            }
        }
        return Optional.of(new Reply(kind, body));
    }
}
