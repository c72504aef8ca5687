package dev.etlab.data;

import dev.etlab.Check;
import dev.etlab.nn.Head;
import java.util.Random;

/**
 * Needle retrieval, a long-range classification probe: [CLS], then T − 1 random digits with one
 * marker somewhere among them; the label is the digit right after the marker.
 * <pre>[CLS] 4 1 7 0 ▸ 3 9 2 …  →  3</pre>
 * A classifier that reads only position 0 ({@code Pooling.FIRST}) must bring the answer from
 * wherever the marker fell to the [CLS]: with a sliding window of w keys per side, L layers reach
 * only the first L·w positions, so the task tells a global [CLS] (Longformer, Section 3.1) from a
 * window alone; a compressed sequence (Linformer with small k) or an approximate kernel must keep
 * the one position that matters. Learnable by two layers (the marker's neighbour tells the
 * marker, the [CLS] finds the marker), so small budgets separate mechanisms, unlike ListOps.
 *
 * <p>Ids: 0 = padding (unused), 1 = [CLS], 2–11 = digits 0–9, 12 = marker. Not padded.
 */
public final class NeedleRetrieval extends SyntheticTask {
    public static final int CLS = 1, DIGIT0 = 2, MARK = 12;
    private static final String[] NAMES = {"_", "[CLS]", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "▸"};

    /** @param seqLen T ≥ 4 ([CLS], the marker, the needle and at least one other digit) */
    public NeedleRetrieval(int seqLen, long seed) {
        super(seqLen, seed, 256);
        Check.arg(seqLen >= 4, "seqLen", seqLen, "at least 4 ([CLS], the marker, the digit after it, one more digit)");
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
        int mark = 1 + rng.nextInt(seqLen - 2);            // the marker at 1 … T−2, the needle right after it
        tokens[mark] = MARK;
        return new Example(tokens, null, null, tokens[mark + 1] - DIGIT0);
    }

    /** The label of a token sequence of this task: the digit after the (first) marker. */
    public static int answer(int[] tokens) {
        for (int i = 0; i + 1 < tokens.length; i++)
            if (tokens[i] == MARK) return tokens[i + 1] - DIGIT0;
        throw new IllegalArgumentException("tokens: expected a marker (id " + MARK + ") followed by a digit");
    }

    @Override
    public String decode(int[] tokens) {
        StringBuilder sb = new StringBuilder();
        for (int t : tokens) if (t != 0) sb.append(sb.length() == 0 ? "" : " ").append(NAMES[t]);
        return sb.toString();
    }
}
