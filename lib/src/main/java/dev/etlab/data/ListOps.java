package dev.etlab.data;

import dev.etlab.Check;
import dev.etlab.nn.Head;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * ListOps-style nested expressions, classified by their value 0–9 (Nangia and Bowman 2018;
 * the long-sequence version is a Long Range Arena task, Tay et al. 2020):
 * <pre>[MAX 4 3 [MIN 2 3 ] 1 0 [MED 1 5 8 9 2 ] ]  →  5</pre>
 * MAX, MIN, MED (lower median) and SM (sum modulo 10) over digits and sub-expressions. Expressions
 * are generated under a length budget drawn uniformly from [T/4, T−1] and mostly fill it, so long
 * and short examples both occur;
 * a [CLS] token at position 0 gives classifiers with global attention an anchor. Padded to T.
 *
 * <p>Ids: 0 = padding, 1 = [CLS], 2–11 = digits 0–9, 12 = [MAX, 13 = [MIN, 14 = [MED, 15 = [SM, 16 = ].
 */
public final class ListOps extends SyntheticTask {
    public static final int PAD = 0, CLS = 1, DIGIT0 = 2, MAX = 12, MIN = 13, MED = 14, SM = 15, CLOSE = 16;
    private static final String[] NAMES = {"_", "[CLS]", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "[MAX", "[MIN", "[MED", "[SM", "]"};

    private final int maxArgs;
    private final int maxDepth;

    /**
     * @param seqLen   T ≥ 8
     * @param maxArgs  most arguments per operator (LRA: 10)
     * @param maxDepth deepest nesting (LRA: 10)
     */
    public ListOps(int seqLen, int maxArgs, int maxDepth, long seed) {
        super(seqLen, seed, 256);
        Check.arg(seqLen >= 8, "seqLen", seqLen, "at least 8 (an operator, two arguments, a bracket and [CLS])");
        Check.arg(maxArgs >= 2, "maxArgs", maxArgs, "at least 2");
        Check.positive("maxDepth", maxDepth);
        this.maxArgs = maxArgs;
        this.maxDepth = maxDepth;
    }

    /** LRA's settings: up to 10 arguments, depth 10. */
    public static ListOps of(int seqLen, long seed) {
        return new ListOps(seqLen, 10, 10, seed);
    }

    @Override public String name() { return "listops-" + seqLen; }
    @Override public Head head() { return Head.CLASSIFIER; }
    @Override public int vocabSize() { return NAMES.length; }
    @Override public int numClasses() { return 10; }
    @Override public boolean padded() { return true; }

    @Override
    protected Example generate(Random rng) {
        int budget = seqLen / 4 + rng.nextInt(seqLen - seqLen / 4) - 1; // tokens after [CLS]: [T/4 − 1, T − 2]
        List<Integer> out = new ArrayList<>();
        out.add(CLS);
        int value = expression(rng, 1, Math.max(4, budget), out);
        return new Example(out.stream().mapToInt(Integer::intValue).toArray(), null, null, value);
    }

    /**
     * Appends an operator expression of at most {@code budget} (≥ 4) tokens; returns its value.
     * Arguments take turns at the remaining budget, so what a digit leaves unused goes to the
     * arguments after it and the expression fills most of its budget.
     */
    private int expression(Random rng, int depth, int budget, List<Integer> out) {
        int op = MAX + rng.nextInt(4);
        out.add(op);
        int remaining = budget - 2; // operator and closing bracket
        int args = Math.min(2 + rng.nextInt(maxArgs - 1), remaining);
        int[] values = new int[args];
        for (int i = 0; i < args; i++) {
            int reserve = args - i - 1; // one token at least for each later argument
            int share = i == args - 1 ? remaining : Math.max(1, Math.min(remaining - reserve,
                (int) Math.round(remaining / (double) (args - i) * (0.5 + rng.nextDouble()))));
            int before = out.size();
            boolean nest = depth < maxDepth && share >= 4 && rng.nextDouble() < 0.8;
            values[i] = nest ? expression(rng, depth + 1, share, out) : digit(rng, out);
            remaining -= out.size() - before;
        }
        out.add(CLOSE);
        return apply(op, values);
    }

    private static int digit(Random rng, List<Integer> out) {
        int d = rng.nextInt(10);
        out.add(DIGIT0 + d);
        return d;
    }

    static int apply(int op, int[] v) {
        return switch (op) {
            case MAX -> Arrays.stream(v).max().orElseThrow();
            case MIN -> Arrays.stream(v).min().orElseThrow();
            case MED -> Arrays.stream(v).sorted().toArray()[(v.length - 1) / 2];
            case SM -> Arrays.stream(v).sum() % 10;
            default -> throw new IllegalArgumentException("operator id = " + op + ": expected 12..15");
        };
    }

    /** Evaluates a token sequence as produced by this task (leading [CLS] and padding ignored). */
    public static int evaluate(int[] tokens) {
        int[] pos = {0};
        while (pos[0] < tokens.length && (tokens[pos[0]] == CLS || tokens[pos[0]] == PAD)) pos[0]++;
        return eval(tokens, pos);
    }

    private static int eval(int[] t, int[] pos) {
        int tok = t[pos[0]++];
        if (tok >= DIGIT0 && tok < DIGIT0 + 10) return tok - DIGIT0;
        if (tok < MAX || tok > SM) throw new IllegalArgumentException("token " + tok + " at " + (pos[0] - 1) + ": expected a digit or an operator");
        List<Integer> vals = new ArrayList<>();
        while (t[pos[0]] != CLOSE) vals.add(eval(t, pos));
        pos[0]++;
        return apply(tok, vals.stream().mapToInt(Integer::intValue).toArray());
    }

    @Override
    public String decode(int[] tokens) {
        StringBuilder sb = new StringBuilder();
        for (int t : tokens) if (t != PAD) sb.append(sb.length() == 0 ? "" : " ").append(NAMES[t]);
        return sb.toString();
    }
}
