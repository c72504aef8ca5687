package dev.etlab.data;

import dev.etlab.Check;
import dev.etlab.nn.Head;
import java.util.Random;

/**
 * Copy (or reverse) a random string: the model reads x₁…xₙ, a separator, and must then produce
 * x₁…xₙ (or xₙ…x₁) one token at a time. A causal language-modelling task whose answer lies n
 * positions back — attention must reach across the whole sequence. Loss and accuracy count only
 * the n copied tokens.
 *
 * <p>Ids: 0 = padding (unused here), 1 = separator, 2… = symbols. T = 2n: the input is
 * [x₁…xₙ, SEP, x₁…xₙ₋₁] and the targets are the same sequence shifted by one.
 */
public final class CopyTask extends SyntheticTask {
    public static final int SEP = 1, FIRST_SYMBOL = 2;

    private final int symbols;
    private final boolean reverse;

    /**
     * @param seqLen  T, even (n = T / 2 symbols are copied)
     * @param symbols alphabet size (e.g. 8)
     * @param reverse reverse instead of copy
     */
    public CopyTask(int seqLen, int symbols, boolean reverse, long seed) {
        super(seqLen, seed, 256);
        Check.arg(seqLen >= 4 && seqLen % 2 == 0, "seqLen", seqLen, "an even length >= 4 (n = T/2 symbols copied)");
        Check.arg(symbols >= 2, "symbols", symbols, "an alphabet of at least 2 symbols");
        this.symbols = symbols;
        this.reverse = reverse;
    }

    public static CopyTask copy(int seqLen, long seed) {
        return new CopyTask(seqLen, 8, false, seed);
    }

    public static CopyTask reverse(int seqLen, long seed) {
        return new CopyTask(seqLen, 8, true, seed);
    }

    @Override public String name() { return (reverse ? "reverse" : "copy") + "-" + seqLen; }
    @Override public Head head() { return Head.CAUSAL_LM; }
    @Override public int vocabSize() { return FIRST_SYMBOL + symbols; }
    @Override public int numClasses() { return 0; }
    @Override public boolean padded() { return false; }

    @Override
    protected Example generate(Random rng) {
        int n = seqLen / 2;
        int[] full = new int[2 * n + 1]; // x, SEP, answer
        for (int i = 0; i < n; i++) full[i] = FIRST_SYMBOL + rng.nextInt(symbols);
        full[n] = SEP;
        for (int i = 0; i < n; i++) full[n + 1 + i] = full[reverse ? n - 1 - i : i];
        int[] tokens = java.util.Arrays.copyOfRange(full, 0, 2 * n);
        int[] targets = java.util.Arrays.copyOfRange(full, 1, 2 * n + 1);
        float[] loss = new float[2 * n];
        for (int i = n; i < 2 * n; i++) loss[i] = 1f; // predictions made after the separator
        return new Example(tokens, targets, loss, -1);
    }

    @Override
    public String decode(int[] tokens) {
        StringBuilder sb = new StringBuilder();
        for (int t : tokens) sb.append(t == 0 ? "_" : t == SEP ? "|" : String.valueOf((char) ('a' + t - FIRST_SYMBOL)));
        return sb.toString();
    }
}
