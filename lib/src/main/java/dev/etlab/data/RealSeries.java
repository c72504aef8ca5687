package dev.etlab.data;

import dev.etlab.Check;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A real public series for the forecasting notebook: the Mauna Loa weekly atmospheric CO2 record
 * (March 1958 – December 2001, Keeling and Whorf; public domain), as shipped in the statsmodels
 * package's datasets and fetched by {@code environment/fetch_series.py} into {@code data/series/co2.csv}
 * — source, checksum and licence in {@code data/README.md}.
 */
public final class RealSeries {
    private RealSeries() {}

    static final String HOW_TO_FETCH = "run environment/setup.sh (or python3 environment/fetch_series.py) to fetch it";

    /** Weeks in a year, rounded: the seasonal period given as covariate. */
    public static final int YEAR_IN_WEEKS = 52;

    /** The CO2 record (ppmv), weekly; the weeks without a measurement are filled by linear interpolation (see {@link #readCo2}). */
    public static TimeSeries co2() {
        return readCo2(defaultDirectory().resolve("co2.csv"));
    }

    /**
     * Reads a {@code date,co2} CSV (date as YYYYMMDD, one row per week, an empty value for a week without data).
     * Gaps are filled by linear interpolation between the neighbouring weeks — said here because it is a choice:
     * 59 of the 2,284 weeks are empty in the statsmodels file.
     */
    public static TimeSeries readCo2(Path csv) {
        Check.arg(Files.isRegularFile(csv), "series file", csv.toAbsolutePath().toString(), "an existing file; " + HOW_TO_FETCH);
        List<String> lines;
        try {
            lines = Files.readAllLines(csv);
        } catch (IOException e) {
            throw new IllegalArgumentException("series file = " + csv.toAbsolutePath() + ": expected a readable file (" + e.getMessage() + ")", e);
        }
        Check.arg(!lines.isEmpty() && lines.get(0).trim().equals("date,co2"), "series file header",
            lines.isEmpty() ? "(empty file)" : lines.get(0), "date,co2");
        List<Double> raw = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) continue;
            String[] f = line.split(",", -1);
            Check.arg(f.length == 2, "series line", line, "date,value");
            raw.add(f[1].isBlank() ? Double.NaN : Double.parseDouble(f[1]));
        }
        return new TimeSeries("Mauna Loa CO2 (weekly)", fillGaps(raw.stream().mapToDouble(Double::doubleValue).toArray()),
            new int[] {YEAR_IN_WEEKS});
    }

    /** NaN runs replaced by the straight line between their neighbours (the ends take the nearest value). */
    static double[] fillGaps(double[] v) {
        double[] out = v.clone();
        int n = out.length, i = 0;
        while (i < n) {
            if (!Double.isNaN(out[i])) { i++; continue; }
            int j = i;
            while (j < n && Double.isNaN(out[j])) j++;
            Check.arg(i > 0 || j < n, "series", "all missing", "at least one value");
            double left = i > 0 ? out[i - 1] : out[j], right = j < n ? out[j] : out[i - 1];
            for (int k = i; k < j; k++) out[k] = left + (right - left) * (k - i + 1) / (j - i + 1);
            i = j;
        }
        return out;
    }

    /** {@code $ETLAB_DATA/series}, else {@code data/series} under {@code $ETLAB_ROOT} or the nearest ancestor folder that has one. */
    public static Path defaultDirectory() {
        return DataDirectory.of("series");
    }
}
