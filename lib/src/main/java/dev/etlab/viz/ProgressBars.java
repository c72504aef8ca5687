package dev.etlab.viz;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.LinkedHashMap;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Chooses and implements the progress bars behind {@link Progress#start(String, long)}. */
final class ProgressBars {
    private ProgressBars() {}

    static final Progress SILENT = new Progress() {
        @Override
        public void update(long done, String status) {}

        @Override
        public void close() {}
    };

    /** Notebook updates are at least this far apart (except the final state). */
    static final long NOTEBOOK_INTERVAL_NANOS = 250_000_000L;
    /** Plain lines when the total is unknown: at most one per this interval. */
    static final long PLAIN_UNKNOWN_INTERVAL_NANOS = 30_000_000_000L;

    /** "off", "plain", "bar", "notebook" or "auto" from ETLAB_PROGRESS / -Detlab.progress. */
    static String setting() {
        String s = System.getProperty("etlab.progress");
        if (s == null || s.isBlank()) s = System.getenv("ETLAB_PROGRESS");
        if (s == null || s.isBlank()) return "auto";
        s = s.trim().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "off", "none", "0", "false", "no", "silent" -> "off";
            case "plain", "lines", "log" -> "plain";
            case "bar", "terminal", "console" -> "bar";
            case "notebook", "html" -> "notebook";
            default -> "auto";
        };
    }

    static Progress start(String label, long total) {
        String mode = setting();
        if (mode.equals("off")) return SILENT;
        if (!mode.equals("plain") && !mode.equals("bar")) {
            KernelBridge.Sink sink = Notebook.sink();
            if (sink != null) return new NotebookProgress(label, total, sink, System::nanoTime);
        }
        if (mode.equals("bar") || (mode.equals("auto") && System.console() != null)) {
            try {
                return new TerminalProgress(label, total);
            } catch (RuntimeException | LinkageError e) {
                // no usable terminal after all: plain lines
            }
        }
        return new PlainProgress(label, total, System.err, System::nanoTime);
    }

    // ------------------------------------------------------------------ shared state and formatting

    /** What every bar shows: done/total, elapsed, rate, ETA, status. */
    static final class State {
        final String label;
        final long total;
        final long startNanos;
        long done;
        String status = "";

        State(String label, long total, long startNanos) {
            this.label = label == null ? "" : label;
            this.total = total;
            this.startNanos = startNanos;
        }

        void set(long done, String status) {
            this.done = Math.max(0, done);
            if (status != null) this.status = status;
        }

        boolean known() {
            return total > 0;
        }

        double fraction() {
            return known() ? Math.min(1, done / (double) total) : Double.NaN;
        }

        double elapsedSeconds(long now) {
            return (now - startNanos) / 1e9;
        }

        /** Units per second, NaN before any progress. */
        double rate(long now) {
            double e = elapsedSeconds(now);
            return done > 0 && e > 0 ? done / e : Double.NaN;
        }

        double etaSeconds(long now) {
            double r = rate(now);
            return known() && r > 0 ? Math.max(0, (total - done) / r) : Double.NaN;
        }

        String counts() {
            return known() ? done + "/" + total : String.valueOf(done);
        }

        String percent() {
            return known() ? String.format(Locale.ROOT, "%.0f%%", 100 * fraction()) : "";
        }

        /** "elapsed 0:12 · ETA 0:18 · 33.1 it/s", with {@code sep} between parts. */
        String timing(long now, String sep, boolean finished) {
            StringBuilder sb = new StringBuilder("elapsed ").append(duration(elapsedSeconds(now)));
            double eta = etaSeconds(now);
            if (!finished && !Double.isNaN(eta)) sb.append(sep).append("ETA ").append(duration(eta));
            String r = rateText(rate(now));
            if (!r.isEmpty()) sb.append(sep).append(r);
            return sb.toString();
        }

        /** One line for logs and text/plain: "label  40% 400/1000 [elapsed …] status". */
        String line(long now, boolean finished) {
            StringBuilder sb = new StringBuilder(label);
            if (known()) sb.append(' ').append(String.format(Locale.ROOT, "%4s", percent()));
            sb.append(' ').append(counts()).append(" [").append(timing(now, ", ", finished)).append(']');
            if (!status.isEmpty()) sb.append(' ').append(status);
            return sb.toString();
        }
    }

    /** 75 → "1:15", 3725 → "1:02:05", NaN → "?". */
    static String duration(double seconds) {
        if (Double.isNaN(seconds) || Double.isInfinite(seconds)) return "?";
        long s = Math.round(seconds);
        long h = s / 3600, m = (s % 3600) / 60, sec = s % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, sec) : String.format(Locale.ROOT, "%d:%02d", m, sec);
    }

    /** 33.1 → "33.1 it/s"; slow loops read better as seconds per unit: 0.2 → "5.0 s/it". */
    static String rateText(double perSecond) {
        if (Double.isNaN(perSecond) || perSecond <= 0) return "";
        if (perSecond >= 1) return String.format(Locale.ROOT, perSecond >= 100 ? "%.0f it/s" : "%.1f it/s", perSecond);
        return String.format(Locale.ROOT, "%.1f s/it", 1 / perSecond);
    }

    // ------------------------------------------------------------------ notebook

    /** One HTML output, replaced in place at most every 250 ms, plus the final state on close. */
    static final class NotebookProgress implements Progress {
        private final State st;
        private final KernelBridge.Sink sink;
        private final LongSupplier clock;
        private String id;
        private long lastRender;
        private boolean closed, broken, finalShown;
        private int renders;

        NotebookProgress(String label, long total, KernelBridge.Sink sink, LongSupplier clock) {
            this.sink = sink;
            this.clock = clock;
            long now = clock.getAsLong();
            this.st = new State(label, total, now);
            try {
                id = sink.display(bundle(now, false, false));
                renders++;
                lastRender = now;
            } catch (RuntimeException e) {
                broken = true;
                System.err.println("progress display failed (" + e.getMessage() + "); continuing without a bar");
            }
        }

        @Override
        public synchronized void update(long done, String status) {
            if (closed || broken) return;
            st.set(done, status);
            long now = clock.getAsLong();
            boolean complete = st.known() && st.done >= st.total;
            if (complete || now - lastRender >= NOTEBOOK_INTERVAL_NANOS) {
                render(now, complete, false);
            }
        }

        private void render(long now, boolean complete, boolean closing) {
            if (broken || id == null) return;
            if (complete && finalShown && !closing) return;
            try {
                sink.update(id, bundle(now, complete, closing));
                renders++;
                lastRender = now;
                if (complete) finalShown = true;
            } catch (RuntimeException e) {
                broken = true;
            }
        }

        @Override
        public synchronized void close() {
            if (closed) return;
            closed = true;
            boolean complete = !st.known() || st.done >= st.total;
            render(clock.getAsLong(), complete, true);
        }

        /** How many times the output was drawn (display + updates); for tests. */
        synchronized int renders() {
            return renders;
        }

        String id() {
            return id;
        }

        private Map<String, String> bundle(long now, boolean complete, boolean closing) {
            Map<String, String> b = new LinkedHashMap<>();
            b.put("text/html", html(now, complete, closing));
            b.put("text/plain", st.line(now, complete && closing));
            return b;
        }

        private String html(long now, boolean complete, boolean closing) {
            boolean finished = closing && complete;
            boolean stopped = closing && !complete;
            double frac = st.known() ? st.fraction() : (finished ? 1 : Double.NaN);
            String color = finished ? "#2CA02C" : stopped ? "#D98C1F" : "#1F77B4";
            String esc = Tables.escape(st.label);
            StringBuilder sb = new StringBuilder(700);
            sb.append("<div style=\"font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:13px;"
                + "line-height:1.45;max-width:760px;margin:2px 0\">");
            sb.append("<div><b>").append(esc).append("</b>");
            if (finished) sb.append(" <span style=\"color:#2CA02C\">✓ done</span>");
            if (stopped) sb.append(" <span style=\"color:#D98C1F\">stopped</span>");
            if (!st.status.isEmpty()) {
                sb.append(" <span style=\"color:#444;font-variant-numeric:tabular-nums\">— ")
                    .append(Tables.escape(st.status)).append("</span>");
            }
            sb.append("</div>");
            sb.append("<div style=\"display:flex;align-items:center;gap:8px\">");
            sb.append("<div style=\"flex:1;height:12px;background:#E6E8EB;border-radius:6px;overflow:hidden\">");
            if (!Double.isNaN(frac)) {
                sb.append("<div style=\"width:").append(String.format(Locale.ROOT, "%.1f", 100 * frac))
                    .append("%;height:100%;background:").append(color).append("\"></div>");
            } else {
                // Unknown total: a striped bar that says "working".
                sb.append("<div style=\"width:100%;height:100%;background:repeating-linear-gradient(45deg,")
                    .append(color).append(" 0 8px,#9CC3E4 8px 16px)\"></div>");
            }
            sb.append("</div><span style=\"min-width:3.2em;text-align:right;font-variant-numeric:tabular-nums\">")
                .append(st.known() ? st.percent() : "").append("</span></div>");
            sb.append("<div style=\"color:#666;font-size:12px;font-variant-numeric:tabular-nums\">")
                .append(st.counts()).append(" · ").append(st.timing(now, " · ", finished)).append("</div></div>");
            return sb.toString();
        }
    }

    // ------------------------------------------------------------------ plain lines (logs)

    /** A line each time another tenth is done (at most ten), and a last one if it stops early. */
    static final class PlainProgress implements Progress {
        private final State st;
        private final PrintStream out;
        private final LongSupplier clock;
        private int lastDecile;
        private long lastLine;
        private boolean closed, printedFinal;
        private int lines;

        PlainProgress(String label, long total, PrintStream out, LongSupplier clock) {
            this.out = out;
            this.clock = clock;
            long now = clock.getAsLong();
            this.st = new State(label, total, now);
            this.lastLine = now;
        }

        @Override
        public synchronized void update(long done, String status) {
            if (closed) return;
            st.set(done, status);
            long now = clock.getAsLong();
            if (st.known()) {
                int decile = (int) Math.min(10, Math.floor(10 * st.fraction() + 1e-9));
                if (decile > lastDecile) {
                    lastDecile = decile;
                    print(now, decile == 10);
                }
            } else if (now - lastLine >= PLAIN_UNKNOWN_INTERVAL_NANOS) {
                print(now, false);
            }
        }

        private void print(long now, boolean finished) {
            out.println(st.line(now, finished));
            out.flush();
            lastLine = now;
            lines++;
            if (finished) printedFinal = true;
        }

        @Override
        public synchronized void close() {
            if (closed) return;
            closed = true;
            if (!printedFinal) {
                boolean complete = !st.known() || st.done >= st.total;
                if (!complete) st.status = (st.status.isEmpty() ? "" : st.status + " ") + "(stopped)";
                print(clock.getAsLong(), complete);
            }
        }

        synchronized int lines() {
            return lines;
        }
    }

    // ------------------------------------------------------------------ terminal

    /** me.tongfei progressbar on stderr, redrawn in place by the terminal. */
    static final class TerminalProgress implements Progress {
        private final ProgressBar bar;
        private boolean closed;

        TerminalProgress(String label, long total) {
            this.bar = new ProgressBarBuilder()
                .setTaskName(label)
                .setInitialMax(total > 0 ? total : -1)
                .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                .setUpdateIntervalMillis(250)
                .showSpeed()
                .build();
        }

        @Override
        public synchronized void update(long done, String status) {
            if (closed) return;
            bar.stepTo(done);
            if (status != null) bar.setExtraMessage(status.isEmpty() ? "" : " " + status);
        }

        @Override
        public synchronized void close() {
            if (closed) return;
            closed = true;
            bar.close();
        }
    }
}
