package dev.etlab.data;

/** Disjoint parts of a task's data. Training batches are drawn fresh; validation and test are fixed sets. */
public enum Split {
    TRAIN, VALIDATION, TEST
}
