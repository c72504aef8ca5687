package dev.etlab.data;

import dev.etlab.Check;
import dev.etlab.nn.Head;
import java.util.Random;

/**
 * Needle retrieval, a long-range classification probe: [CLS], then T − 1 random digits of which
 * exactly one, anywhere, is a <em>marked</em> digit (its own ten token ids); the label is the
 * marked digit's value.
 * <pre>[CLS] 4 1 7 0 3̂ 9 2 …  →  3</pre>
 * A classifier that reads only position 0 ({@code Pooling.FIRST}) must bring the needle from
 * wherever it fell to the [CLS]: with a sliding window of w keys per side, L layers reach only the
 * first L·w positions, so the task tells a global [CLS] (Longformer, Section 3.1) from a window
 * alone; a compressed sequence (Linformer with small k) or an approximate kernel must keep the one
 * position that matters. One attention hop solves it (the [CLS] finds the token whose id is a
 * marked one), so small budgets separate mechanisms, unlike ListOps.
 *
 * <p>Ids: 0 = padding (unused), 1 = [CLS], 2–11 = digits 0–9, 12–21 = marked digits 0–9. Not padded.
 */
public final class NeedleRetrieval extends SyntheticTask {
    public static final int CLS = 1, DIGIT0 = 2, MARKED0 = 12;
    private static final String[] NAMES = {"_", "[CLS]", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
        "0̂", "1̂", "2̂", "3̂", "4̂", "5̂", "6̂", "7̂", "8̂", "9̂"};

    /** @param seqLen T ≥ 3 ([CLS], the needle and at least one other digit) */
    public NeedleRetrieval(int seqLen, long seed) {
        super(seqLen, seed, 256);
        Check.arg(seqLen >= 3, "seqLen", seqLen, "at least 3 ([CLS], the marked digit, one more digit)");
    }

    public static NeedleRetrieval of(int seqLen, long seed) {
        return new NeedleRetrieval(seqLen, seed);
    }

    @Override public String name() { return "needle-" + seqLen; }
    @Override public Head head() { return Head.CLASSIFIER; }
    @Override public int vocabSize() { return NAMES.length; }
    @Override public int numClasses() { return 10; }
    @Override public boolean padded() { return false; }

    @Override
    protected Example generate(Random rng) {
        int[] tokens = new int[seqLen];
        tokens[0] = CLS;
        for (int i = 1; i < seqLen; i++) tokens[i] = DIGIT0 + rng.nextInt(10);
        int needle = 1 + rng.nextInt(seqLen - 1);           // anywhere after the [CLS]
        tokens[needle] += MARKED0 - DIGIT0;
        return new Example(tokens, null, null, tokens[needle] - MARKED0);
    }

    /** The label of a token sequence of this task: the value of its (first) marked digit. */
    public static int answer(int[] tokens) {
        for (int t : tokens)
            if (t >= MARKED0 && t < MARKED0 + 10) return t - MARKED0;
        throw new IllegalArgumentException("tokens: expected a marked digit (ids " + MARKED0 + "–" + (MARKED0 + 9) + ")");
    }

    @Override
    public String decode(int[] tokens) {
        StringBuilder sb = new StringBuilder();
        for (int t : tokens) if (t != 0) sb.append(sb.length() == 0 ? "" : " ").append(NAMES[t]);
        return sb.toString();
    }
}
