package dev.etlab.data;

import dev.etlab.nn.Head;
import dev.etlab.nn.ModelConfig;
import java.util.List;

/**
 * A supervised task a model trains on, with deterministic train / validation / test splits:
 * the same seed gives the same data, and no validation or test example appears in training.
 */
public interface Task {

    /** Short name for tables and legends. */
    String name();

    /** Language modelling (per-token targets) or classification (one label per sequence). */
    Head head();

    int vocabSize();

    /** C for classification, 0 for language modelling. */
    int numClasses();

    /** Length T of every batch's sequences (shorter examples are padded, and say so in the pad mask). */
    int seqLen();

    /** Whether batches carry a pad mask. */
    boolean padded();

    /** Training batch number {@code index}: a pure function of (task seed, batchSize, index). */
    Batch trainBatch(int batchSize, long index);

    /** The fixed validation or test set, in batches of {@code batchSize} (the last may be smaller). */
    List<Batch> heldOut(Split split, int batchSize);

    /** Human-readable form of a token sequence. */
    String decode(int[] tokens);

    /** Accuracy of always predicting the most frequent answer on a split — the floor a model must beat. */
    double majorityBaseline(Split split);

    /** A small model sized for this task (2 layers, D = 64, standard attention); change what you need with its with-methods. */
    default ModelConfig smallModel() {
        return head() == Head.CAUSAL_LM
            ? ModelConfig.languageModel(vocabSize(), seqLen())
            : ModelConfig.classifier(vocabSize(), numClasses(), seqLen());
    }
}
