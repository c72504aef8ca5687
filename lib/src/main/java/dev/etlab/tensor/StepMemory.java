package dev.etlab.tensor;

import java.util.function.Supplier;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs one training step's array work in an ND4J workspace: a block of native memory, sized on
 * the first step, that every array of the step is carved from and that is reused by the next step.
 *
 * <p>Why: profiled on the notebook-00 model, three quarters of an eager step went to allocating
 * fresh native buffers (each one page-faulted in by the kernel, then freed by the garbage
 * collector), not to arithmetic (lib/PERFORMANCE.md). Inside a workspace an allocation is a pointer
 * bump.
 *
 * <p>The rule that comes with it: no array created inside may be used after the step. What must
 * outlive it (optimizer state, parameters, anything cached) is created outside, or inside
 * {@link #outside}; results leave as Java numbers or as {@code detach()}ed copies.
 */
public final class StepMemory {
    private static final WorkspaceConfiguration CONFIG = WorkspaceConfiguration.builder()
        .initialSize(0)
        .policyAllocation(AllocationPolicy.STRICT)
        .policyLearning(LearningPolicy.FIRST_LOOP)
        .policyReset(ResetPolicy.BLOCK_LEFT)
        .policySpill(SpillPolicy.REALLOCATE)
        .build();

    private StepMemory() {}

    /** Runs {@code step} inside the named workspace (one per thread and name), which is reset when it returns. */
    public static <R> R run(String name, Supplier<R> step) {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIG, name)) {
            return step.get();
        }
    }

    /**
     * Runs {@code work} in a workspace of its own, nested in whatever is active: for the scratch
     * arrays of one tile of a loop, reset at every call. Results must leave by being written in
     * place into arrays made outside (accumulators), never as arrays made inside.
     */
    public static void scratch(String name, Runnable work) {
        run(name, () -> {
            work.run();
            return null;
        });
    }

    /** Runs {@code work} with no workspace active: for arrays that must outlive the step (optimizer state). */
    public static <R> R outside(Supplier<R> work) {
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return work.get();
        }
    }
}
