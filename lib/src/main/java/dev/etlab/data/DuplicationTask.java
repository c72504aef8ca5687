package dev.etlab.data;

import dev.etlab.Check;
import dev.etlab.nn.Head;
import java.util.Random;

/**
 * The Reformer's duplication task (Kitaev et al. 2020, Section 5): sequences 0w0w, a random string w
 * of n − 1 symbols written twice, each copy after a 0. A causal language model can only guess the
 * first w; the second is fully determined by the first, n positions back, so accuracy on it
 * measures whether attention finds the matching position. Loss and accuracy count the second w.
 *
 * <p>Ids: 1 = the paper's "0" separator (0 is this lab's padding id), 2… = symbols. T = 2n: the input is
 * 0w0w without its last symbol, the targets the same sequence shifted by one.
 */
public final class DuplicationTask extends SyntheticTask {
    public static final int ZERO = 1, FIRST_SYMBOL = 2;

    private final int symbols;

    /**
     * @param seqLen  T = 2n, even, ≥ 4 (w has n − 1 symbols; the paper uses T = 1024, n − 1 = 511)
     * @param symbols alphabet size of w (the paper's 127)
     */
    public DuplicationTask(int seqLen, int symbols, long seed) {
        super(seqLen, seed, 256);
        Check.arg(seqLen >= 4 && seqLen % 2 == 0, "seqLen", seqLen, "an even length ≥ 4 (0w0w with |w| = T/2 − 1)");
        Check.arg(symbols >= 2, "symbols", symbols, "an alphabet of at least 2 symbols");
        this.symbols = symbols;
    }

    @Override public String name() { return "duplication-" + seqLen; }
    @Override public Head head() { return Head.CAUSAL_LM; }
    @Override public int vocabSize() { return FIRST_SYMBOL + symbols; }
    @Override public int numClasses() { return 0; }
    @Override public boolean padded() { return false; }

    @Override
    protected Example generate(Random rng) {
        int n = seqLen / 2;
        int[] full = new int[2 * n + 1];                      // 0 w 0 w, plus the last symbol as the final target
        full[0] = ZERO;
        for (int i = 1; i < n; i++) full[i] = FIRST_SYMBOL + rng.nextInt(symbols);
        full[n] = ZERO;
        for (int i = 1; i < n; i++) full[n + i] = full[i];
        int[] tokens = java.util.Arrays.copyOfRange(full, 0, 2 * n);
        int[] targets = java.util.Arrays.copyOfRange(full, 1, 2 * n + 1);
        float[] loss = new float[2 * n];
        for (int i = n; i < 2 * n - 1; i++) loss[i] = 1f;       // predictions of the second w (made from position n on)
        return new Example(tokens, targets, loss, -1);
    }

    @Override
    public String decode(int[] tokens) {
        StringBuilder sb = new StringBuilder();
        for (int t : tokens) sb.append(t == 0 ? "_" : t == ZERO ? "0" : String.valueOf((char) ('a' + (t - FIRST_SYMBOL) % 26)));
        return sb.toString();
    }
}
