package dev.etlab.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ProgressTest {

    @AfterEach
    void reset() {
        System.clearProperty("etlab.progress");
        Notebook.redetect();
    }

    @Test
    void notebookBarIsOneOutputUpdatedAFewTimesASecond() {
        RecordingSink sink = new RecordingSink();
        AtomicLong clock = new AtomicLong();
        int steps = 10_000;
        ProgressBars.NotebookProgress p = new ProgressBars.NotebookProgress("training standard", steps, sink, clock::get);
        for (int i = 1; i <= steps; i++) {
            clock.addAndGet(1_000_000L); // 1 ms per step: 10 s in all
            p.update(i, String.format("loss %.3f", 3.0 / i));
        }
        p.close();
        assertEquals(1, sink.messages.stream().filter(m -> m.kind().equals("display_data")).count());
        assertTrue(sink.messages.stream().allMatch(m -> m.id().equals("id-1")));
        int n = sink.messages.size();
        assertTrue(n >= 40 && n <= 10 * 4 + 3, "renders: " + n);
        String last = sink.last().bundle().get("text/html");
        assertTrue(last.contains("✓ done"), last);
        assertTrue(last.contains("100%"));
        assertTrue(last.contains("10000/10000"));
        assertTrue(last.contains("loss 0.000"));
        assertTrue(last.contains("1000 it/s"), last);
        assertTrue(sink.last().bundle().get("text/plain").startsWith("training standard 100% 10000/10000"));
    }

    @Test
    void notebookBarShowsEtaAndStoppedState() {
        RecordingSink sink = new RecordingSink();
        AtomicLong clock = new AtomicLong();
        ProgressBars.NotebookProgress p = new ProgressBars.NotebookProgress("bench <standard>", 100, sink, clock::get);
        clock.addAndGet(10_000_000_000L);
        p.update(25, "n=1024");
        String html = sink.last().bundle().get("text/html");
        assertTrue(html.contains("ETA 0:30"), html);
        assertTrue(html.contains("25%"));
        assertTrue(html.contains("bench &lt;standard&gt;"));
        assertTrue(html.contains("2.5 it/s"));
        p.close();
        assertTrue(sink.last().bundle().get("text/html").contains("stopped"));
        int before = sink.messages.size();
        p.update(50, "after close");
        p.close();
        assertEquals(before, sink.messages.size());
    }

    @Test
    void unknownTotalInANotebook() {
        RecordingSink sink = new RecordingSink();
        AtomicLong clock = new AtomicLong();
        ProgressBars.NotebookProgress p = new ProgressBars.NotebookProgress("scan", 0, sink, clock::get);
        clock.addAndGet(2_000_000_000L);
        p.update(7, null);
        assertTrue(sink.last().bundle().get("text/html").contains("repeating-linear-gradient"));
        p.close();
        assertTrue(sink.last().bundle().get("text/html").contains("✓ done"));
    }

    @Test
    void plainLinesAtMostTenPerBar() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        AtomicLong clock = new AtomicLong();
        ProgressBars.PlainProgress p = new ProgressBars.PlainProgress("training", 1000, new PrintStream(buf, true, StandardCharsets.UTF_8), clock::get);
        for (int i = 1; i <= 1000; i++) {
            clock.addAndGet(5_000_000L);
            p.update(i, "loss " + i);
        }
        p.close();
        String out = buf.toString(StandardCharsets.UTF_8);
        String[] lines = out.split("\n");
        assertEquals(10, lines.length, out);
        assertTrue(lines[0].startsWith("training  10% 100/1000 [elapsed 0:01, ETA 0:05, 200 it/s] loss 100"), lines[0]);
        assertTrue(lines[9].startsWith("training 100% 1000/1000 [elapsed 0:05"), lines[9]);
    }

    @Test
    void plainLinesReportAnEarlyStop() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        AtomicLong clock = new AtomicLong();
        ProgressBars.PlainProgress p = new ProgressBars.PlainProgress("bench", 10, new PrintStream(buf, true, StandardCharsets.UTF_8), clock::get);
        p.update(3, "n=512");
        p.close();
        String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(2, lines.length, "one line for the jump to 30%, one for the stop");
        assertTrue(lines[1].endsWith("n=512 (stopped)"), lines[1]);
    }

    @Test
    void plainLinesWithUnknownTotalAreTimed() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        AtomicLong clock = new AtomicLong();
        ProgressBars.PlainProgress p = new ProgressBars.PlainProgress("scan", -1, new PrintStream(buf, true, StandardCharsets.UTF_8), clock::get);
        for (int i = 1; i <= 120; i++) {
            clock.addAndGet(1_000_000_000L);
            p.update(i, null);
        }
        p.close();
        assertEquals(5, buf.toString(StandardCharsets.UTF_8).split("\n").length);
    }

    @Test
    void offSilencesAndConsoleFallsBackToPlainLines() {
        System.setProperty("etlab.progress", "off");
        assertSame(ProgressBars.SILENT, Progress.start("x", 10));
        System.setProperty("etlab.progress", "auto");
        Notebook.useSink(null);
        try (Progress p = Progress.start("x", 10)) {
            // surefire: no terminal, no kernel
            assertInstanceOf(ProgressBars.PlainProgress.class, p);
        }
        RecordingSink sink = new RecordingSink();
        Notebook.useSink(sink);
        try (Progress p = Progress.start("x", 10)) {
            assertInstanceOf(ProgressBars.NotebookProgress.class, p);
        }
        System.setProperty("etlab.progress", "plain");
        try (Progress p = Progress.start("x", 10)) {
            assertInstanceOf(ProgressBars.PlainProgress.class, p);
        }
    }

    @Test
    void formatting() {
        assertEquals("1:15", ProgressBars.duration(75));
        assertEquals("1:02:05", ProgressBars.duration(3725));
        assertEquals("?", ProgressBars.duration(Double.NaN));
        assertEquals("33.1 it/s", ProgressBars.rateText(33.12));
        assertEquals("5.0 s/it", ProgressBars.rateText(0.2));
        assertEquals("", ProgressBars.rateText(Double.NaN));
    }
}
