package dev.etlab.bench;

import java.util.List;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.IntColumn;
import tech.tablesaw.api.LongColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Benchmark points as a Tablesaw table for notebooks: the {@link BenchmarkCsv#COLUMNS} (missing
 * values where a point was skipped or a figure not measured), plus {@code series}
 * ("standard forward", one line per series in a plot) and the three peaks in MiB
 * ({@code peak_rss_mib}, {@code peak_heap_mib}, {@code peak_native_mib}).
 */
public final class BenchmarkTable {
    private BenchmarkTable() {}

    public static Table of(List<BenchmarkPoint> points) {
        return of("benchmark", points);
    }

    public static Table of(String name, List<BenchmarkPoint> points) {
        int n = points.size();
        StringColumn mechanism = StringColumn.create("mechanism");
        StringColumn mode = StringColumn.create("mode");
        StringColumn series = StringColumn.create("series");
        StringColumn skipped = StringColumn.create("skipped");
        IntColumn length = IntColumn.create("length", n);
        IntColumn batch = IntColumn.create("batch", n);
        IntColumn dModel = IntColumn.create("d_model", n);
        IntColumn heads = IntColumn.create("heads", n);
        IntColumn repeats = IntColumn.create("repeats", n);
        DoubleColumn median = DoubleColumn.create("median_ms", n);
        DoubleColumn min = DoubleColumn.create("min_ms", n);
        LongColumn rss = LongColumn.create("peak_rss_bytes", n);
        LongColumn heap = LongColumn.create("peak_heap_bytes", n);
        LongColumn nativeBytes = LongColumn.create("peak_native_bytes", n);
        DoubleColumn rssMib = DoubleColumn.create("peak_rss_mib", n);
        DoubleColumn heapMib = DoubleColumn.create("peak_heap_mib", n);
        DoubleColumn nativeMib = DoubleColumn.create("peak_native_mib", n);
        for (int i = 0; i < n; i++) {
            BenchmarkPoint p = points.get(i);
            mechanism.append(p.mechanism());
            mode.append(p.mode().label());
            series.append(p.mechanism() + " " + p.mode().label());
            skipped.append(p.skipped() == null ? "" : p.skipped());
            length.set(i, p.length());
            batch.set(i, p.batch());
            dModel.set(i, p.dModel());
            heads.set(i, p.heads());
            repeats.set(i, p.repeats());
            median.set(i, p.medianMillis());
            min.set(i, p.minMillis());
            setBytes(rss, rssMib, i, p.peakRssBytes());
            setBytes(heap, heapMib, i, p.peakHeapBytes());
            setBytes(nativeBytes, nativeMib, i, p.peakNativeBytes());
        }
        return Table.create(name, mechanism, mode, length, batch, dModel, heads, median, min, repeats,
            rss, heap, nativeBytes, skipped, series, rssMib, heapMib, nativeMib);
    }

    private static void setBytes(LongColumn bytes, DoubleColumn mib, int i, long value) {
        if (value < 0) {
            bytes.setMissing(i);
            mib.setMissing(i);
        } else {
            bytes.set(i, value);
            mib.set(i, Bytes.mib(value));
        }
    }
}
