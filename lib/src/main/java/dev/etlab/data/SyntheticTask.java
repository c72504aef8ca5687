package dev.etlab.data;

import dev.etlab.Check;
import dev.etlab.nn.Head;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A task whose examples come from a seeded generator, at any sequence length. Validation and test
 * sets are generated first from their own seeds; training examples that happen to equal one of
 * them are drawn again, so the splits are disjoint.
 */
public abstract class SyntheticTask implements Task {
    private static final int MAX_REDRAWS = 1000;

    protected final int seqLen;
    protected final long seed;
    private final int heldOutSize;
    private final Map<Split, List<Example>> heldOut = new HashMap<>();
    private final Set<Long> heldOutFingerprints = new HashSet<>();

    protected SyntheticTask(int seqLen, long seed, int heldOutSize) {
        this.seqLen = Check.positive("seqLen", seqLen);
        this.seed = seed;
        this.heldOutSize = Check.positive("heldOutSize", heldOutSize);
    }

    /** One example; must consume randomness only from {@code rng}. */
    protected abstract Example generate(Random rng);

    @Override public int seqLen() { return seqLen; }

    @Override
    public Batch trainBatch(int batchSize, long index) {
        Check.positive("batchSize", batchSize);
        Random rng = new Random(mix(seed, 0x7A11L, index));
        List<Example> out = new ArrayList<>(batchSize);
        for (int i = 0; i < batchSize; i++) out.add(fresh(rng));
        return batch(out);
    }

    private Example fresh(Random rng) {
        ensureHeldOut();
        for (int tries = 0; tries < MAX_REDRAWS; tries++) {
            Example e = generate(rng);
            if (!heldOutFingerprints.contains(e.fingerprint())) return e;
        }
        throw new IllegalStateException(name() + ": " + MAX_REDRAWS + " draws in a row equalled held-out examples;"
            + " the task is too small for disjoint splits (use a longer sequence or larger alphabet)");
    }

    @Override
    public List<Batch> heldOut(Split split, int batchSize) {
        Check.arg(split != Split.TRAIN, "split", split, "VALIDATION or TEST (training batches come from trainBatch)");
        Check.positive("batchSize", batchSize);
        ensureHeldOut();
        List<Example> all = heldOut.get(split);
        List<Batch> batches = new ArrayList<>();
        for (int i = 0; i < all.size(); i += batchSize) batches.add(batch(all.subList(i, Math.min(all.size(), i + batchSize))));
        return batches;
    }

    private synchronized void ensureHeldOut() {
        if (!heldOut.isEmpty()) return;
        for (Split s : new Split[] {Split.VALIDATION, Split.TEST}) {
            Random rng = new Random(mix(seed, 0xE7A1L, s.ordinal()));
            List<Example> examples = new ArrayList<>();
            for (int tries = 0; examples.size() < heldOutSize; tries++) {
                if (tries > MAX_REDRAWS + 10L * heldOutSize) {
                    throw new IllegalStateException(name() + ": could not draw " + heldOutSize + " distinct " + s
                        + " examples; the task has too few possible examples (use a longer sequence or larger alphabet)");
                }
                Example e = generate(rng);
                if (heldOutFingerprints.add(e.fingerprint())) examples.add(e); // unique across validation and test
            }
            heldOut.put(s, examples);
        }
    }

    @Override
    public double majorityBaseline(Split split) {
        Map<Integer, Integer> counts = new HashMap<>();
        int total = 0;
        for (Batch b : heldOut(split, 256)) {
            if (head() == Head.CLASSIFIER) {
                for (int label : b.targets().toIntVector()) { counts.merge(label, 1, Integer::sum); total++; }
            } else {
                int[][] t = b.targets().toIntMatrix();
                float[][] m = b.lossMask().toFloatMatrix();
                for (int i = 0; i < t.length; i++)
                    for (int j = 0; j < t[i].length; j++)
                        if (m[i][j] > 0) { counts.merge(t[i][j], 1, Integer::sum); total++; }
            }
        }
        return counts.values().stream().mapToInt(Integer::intValue).max().orElse(0) / (double) Math.max(1, total);
    }

    /** Pads examples to T and stacks them. */
    protected Batch batch(List<Example> examples) {
        int b = examples.size();
        int[] tokens = new int[b * seqLen];
        int[] targets = head() == Head.CAUSAL_LM ? new int[b * seqLen] : new int[b];
        float[] loss = head() == Head.CAUSAL_LM ? new float[b * seqLen] : null;
        float[] pad = padded() ? new float[b * seqLen] : null;
        for (int i = 0; i < b; i++) {
            Example e = examples.get(i);
            Check.arg(e.tokens().length <= seqLen, "example length", e.tokens().length, "at most seqLen = " + seqLen);
            if (!padded()) Check.arg(e.tokens().length == seqLen, "example length", e.tokens().length, "exactly seqLen = " + seqLen + " for an unpadded task");
            System.arraycopy(e.tokens(), 0, tokens, i * seqLen, e.tokens().length);
            if (head() == Head.CAUSAL_LM) {
                System.arraycopy(e.targets(), 0, targets, i * seqLen, e.targets().length);
                System.arraycopy(e.lossMask(), 0, loss, i * seqLen, e.lossMask().length);
            } else {
                targets[i] = e.label();
            }
            if (pad != null) for (int j = 0; j < e.tokens().length; j++) pad[i * seqLen + j] = 1f;
        }
        INDArray tok = Nd4j.createFromArray(tokens).reshape(b, seqLen);
        INDArray tgt = head() == Head.CAUSAL_LM ? Nd4j.createFromArray(targets).reshape(b, seqLen) : Nd4j.createFromArray(targets);
        INDArray lm = loss == null ? null : Nd4j.createFromArray(loss).reshape(b, seqLen).castTo(DataType.FLOAT);
        INDArray pm = pad == null ? null : Nd4j.createFromArray(pad).reshape(b, seqLen).castTo(DataType.FLOAT);
        return new Batch(tok, tgt, lm, pm);
    }

    /** SplitMix64-style mixing of a seed with stream identifiers. */
    static long mix(long seed, long stream, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + stream * 0xBF58476D1CE4E5B9L + index * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
