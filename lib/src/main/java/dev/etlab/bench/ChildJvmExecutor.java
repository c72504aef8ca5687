package dev.etlab.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Runs points in child JVMs: a fresh one per point ({@link Isolation#FRESH_PROCESS}), or one that
 * lives across points and is restarted only if it dies ({@link Isolation#SERIES}). A child that
 * crashes, is killed (the kernel's out-of-memory killer, say) or exceeds the point timeout gives a
 * skipped point saying so, with the last lines it printed.
 */
final class ChildJvmExecutor implements PointExecutor {
    private static final String DIED = "\u0000died";
    private static final int TAIL_LINES = 20;

    private final ChildJvm jvm;
    private final boolean freshPerPoint;
    private final long nativeLimitBytes;
    private final Duration startTimeout;
    private final Duration pointTimeout;
    private final PrintStream echo;
    private Child child;

    /**
     * @param nativeLimitBytes libnd4j allocation limit set in the child (a guard behind the memory
     *                         cap's predictions); 0 for none
     * @param echo             where children's own output is copied as it arrives; null to keep it
     *                         only for failure reports
     */
    ChildJvmExecutor(ChildJvm jvm, boolean freshPerPoint, long nativeLimitBytes, Duration pointTimeout, PrintStream echo) {
        this.jvm = jvm;
        this.freshPerPoint = freshPerPoint;
        this.nativeLimitBytes = nativeLimitBytes;
        this.startTimeout = Duration.ofMinutes(3);
        this.pointTimeout = pointTimeout;
        this.echo = echo;
    }

    @Override
    public BenchmarkPoint run(BenchmarkSetup setup, Mode mode, int length) {
        try {
            if (child == null) child = new Child();
            String failure = child.awaitReady(startTimeout);
            if (failure != null) return fail(setup, mode, length, "child JVM did not start: " + failure);
            child.send(ChildProtocol.runCommand(new ChildProtocol.Run(setup, mode, length, nativeLimitBytes)));
            ChildProtocol.Reply reply = child.next("point", pointTimeout);
            if (reply == null) return fail(setup, mode, length, child.deathReport(pointTimeout));
            BenchmarkPoint point = BenchmarkCsv.parseRow(reply.body());
            if (freshPerPoint) closeChild();
            return point;
        } catch (IOException e) {
            return fail(setup, mode, length, "child JVM I/O failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeChild();
            throw new IllegalStateException("interrupted while benchmarking " + setup.label() + " " + mode.label() + " T=" + length, e);
        }
    }

    private BenchmarkPoint fail(BenchmarkSetup setup, Mode mode, int length, String reason) {
        if (child != null) child.kill();
        child = null;
        return BenchmarkPoint.skipped(setup, mode, length, PointMeasurer.oneLine(reason));
    }

    @Override
    public void close() {
        closeChild();
    }

    private void closeChild() {
        if (child != null) child.exit();
        child = null;
    }

    /** One running child JVM with threads reading its stdout and stderr. */
    private final class Child {
        private final Process process;
        private final Writer stdin;
        private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
        private final Deque<String> tail = new ArrayDeque<>();
        private final Thread stderrReader;
        private boolean ready;

        Child() throws IOException {
            process = jvm.start();
            stdin = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            reader(process.getInputStream(), true, "etlab-bench-child-stdout").start();
            stderrReader = reader(process.getErrorStream(), false, "etlab-bench-child-stderr");
            stderrReader.start();
        }

        private Thread reader(InputStream stream, boolean protocol, String name) {
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                    for (String line = r.readLine(); line != null; line = r.readLine()) {
                        var reply = protocol ? ChildProtocol.parseReply(line) : java.util.Optional.<ChildProtocol.Reply>empty();
                        if (reply.isPresent()) {
                            replies.add(reply.get().kind() + " " + reply.get().body());
                        } else {
                            remember(line);
                        }
                    }
                } catch (IOException ignored) {
                    // the child went away; the stdout reader reports that below
                }
                if (protocol) replies.add(DIED);
            }, name);
            t.setDaemon(true);
            return t;
        }

        private void remember(String line) {
            if (echo != null) echo.println("[child] " + line);
            synchronized (tail) {
                tail.addLast(line);
                while (tail.size() > TAIL_LINES) tail.removeFirst();
            }
        }

        /** Null once the child said it is ready, else why it did not. */
        String awaitReady(Duration timeout) throws InterruptedException {
            if (ready) return null;
            ChildProtocol.Reply r = next("ready", timeout);
            if (r == null) return deathReport(timeout);
            ready = true;
            return null;
        }

        void send(String line) throws IOException {
            stdin.write(line);
            stdin.write('\n');
            stdin.flush();
        }

        /** The next reply of this kind, or null if the child died or the timeout passed. */
        ChildProtocol.Reply next(String kind, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                String item = replies.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (item == null || item.equals(DIED)) {
                    if (item != null) replies.add(DIED);
                    return null;
                }
                int space = item.indexOf(' ');
                String k = space < 0 ? item : item.substring(0, space);
                if (k.equals(kind)) return new ChildProtocol.Reply(k, space < 0 ? "" : item.substring(space + 1));
            }
        }

        /** Why no reply came: exit status or timeout, and the last lines the child printed. */
        String deathReport(Duration timeout) throws InterruptedException {
            boolean exited = process.waitFor(2, TimeUnit.SECONDS);
            if (exited) stderrReader.join(2000);
            String what;
            if (!exited) {
                what = "no answer within " + timeout.toSeconds() + " s (killed)";
            } else {
                int code = process.exitValue();
                what = code == 137 || code == 128 + 9
                    ? "child JVM was killed (exit 137, SIGKILL: most likely the kernel's out-of-memory killer)"
                    : "child JVM exited with code " + code;
            }
            String last;
            synchronized (tail) {
                last = String.join(" | ", tail.stream().skip(Math.max(0, tail.size() - 3)).toList());
            }
            return what + (last.isBlank() ? "" : "; last output: " + last);
        }

        void exit() {
            try {
                send(ChildProtocol.EXIT);
                stdin.close();
                if (!process.waitFor(10, TimeUnit.SECONDS)) kill();
            } catch (IOException e) {
                kill();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                kill();
            }
        }

        void kill() {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
