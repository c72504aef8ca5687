package dev.etlab.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class SyntheticTasksTest {

    static Set<String> rows(List<Batch> batches) {
        Set<String> s = new HashSet<>();
        for (Batch b : batches) {
            int[][] t = b.tokens().toIntMatrix();
            for (int i = 0; i < t.length; i++) {
                String target = b.targets().rank() == 1 ? String.valueOf(b.targets().getInt(i)) : java.util.Arrays.toString(b.targets().getRow(i).toIntVector());
                s.add(java.util.Arrays.toString(t[i]) + target);
            }
        }
        return s;
    }

    @Test
    void copyTaskAsksForTheFirstHalfAfterTheSeparator() {
        CopyTask task = CopyTask.copy(12, 3);
        Batch b = task.trainBatch(4, 0);
        assertArrayEquals(new long[] {4, 12}, b.tokens().shape());
        int[] tok = b.tokens().getRow(0).toIntVector(), tgt = b.targets().getRow(0).toIntVector();
        float[] mask = b.lossMask().getRow(0).toFloatVector();
        assertEquals(CopyTask.SEP, tok[6]);
        for (int i = 0; i < 6; i++) {
            assertEquals(tok[i], tgt[6 + i], "target after the separator is the copied symbol");
            assertEquals(i < 6 ? 0f : 1f, mask[i]);
            assertEquals(1f, mask[6 + i]);
        }
        for (int i = 0; i < 11; i++) assertEquals(tok[i + 1], tgt[i], "targets are the inputs shifted by one");
        assertNull(b.padMask());
    }

    @Test
    void reverseTaskAsksForTheFirstHalfBackwards() {
        Batch b = CopyTask.reverse(8, 3).trainBatch(1, 5);
        int[] tok = b.tokens().getRow(0).toIntVector(), tgt = b.targets().getRow(0).toIntVector();
        for (int i = 0; i < 4; i++) assertEquals(tok[3 - i], tgt[4 + i]);
    }

    @Test
    void associativeRecallTargetIsTheValueStoredUnderTheQueryKey() {
        AssociativeRecall task = AssociativeRecall.of(20, 4);
        for (Batch b : task.heldOut(Split.TEST, 64)) {
            for (int i = 0; i < b.size(); i++) {
                int[] tok = b.tokens().getRow(i).toIntVector();
                int query = tok[19];
                int expected = -1;
                Set<Integer> keys = new HashSet<>();
                for (int p = 0; p < 9; p++) {
                    keys.add(tok[2 * p]);
                    if (tok[2 * p] == query) expected = tok[2 * p + 1];
                }
                assertEquals(9, keys.size(), "keys within a sequence are distinct");
                assertEquals(expected, b.targets().getInt(i, 19));
                assertEquals(1f, b.lossMask().getFloat(i, 19));
                assertEquals(1f, b.lossMask().getRow(i).sumNumber().floatValue(), "only the answer counts");
            }
        }
    }

    @Test
    void listOpsLabelsAreTheExpressionsValuesAndLengthsSpanTheRange() {
        ListOps task = ListOps.of(64, 5);
        int shortest = Integer.MAX_VALUE, longest = 0;
        List<Integer> lengths = new java.util.ArrayList<>();
        int[] labelCounts = new int[10];
        for (Batch b : task.heldOut(Split.VALIDATION, 32)) {
            for (int i = 0; i < b.size(); i++) {
                int[] tok = b.tokens().getRow(i).toIntVector();
                int len = (int) b.padMask().getRow(i).sumNumber().intValue();
                assertEquals(ListOps.CLS, tok[0]);
                for (int j = len; j < 64; j++) assertEquals(ListOps.PAD, tok[j], "padding after the expression");
                assertEquals(ListOps.evaluate(tok), b.targets().getInt(i), task.decode(tok));
                lengths.add(len);
                shortest = Math.min(shortest, len);
                longest = Math.max(longest, len);
                labelCounts[b.targets().getInt(i)]++;
            }
        }
        java.util.Collections.sort(lengths);
        int median = lengths.get(lengths.size() / 2);
        assertTrue(shortest <= 24 && longest >= 56 && median >= 32, "lengths from " + shortest + " to " + longest + ", median " + median);
        assertTrue(java.util.Arrays.stream(labelCounts).filter(c -> c > 0).count() >= 8, "most labels occur: " + java.util.Arrays.toString(labelCounts));
    }

    @Test
    void needleLabelIsTheValueOfTheOneMarkedDigitWhichFallsAnywhere() {
        NeedleRetrieval task = NeedleRetrieval.of(64, 3);
        int[] needleCounts = new int[64];
        for (Batch b : task.heldOut(Split.VALIDATION, 32)) {
            assertNull(b.padMask(), "not padded");
            for (int i = 0; i < b.size(); i++) {
                int[] tok = b.tokens().getRow(i).toIntVector();
                assertEquals(NeedleRetrieval.CLS, tok[0]);
                int needles = 0;
                for (int j = 1; j < 64; j++) {
                    if (tok[j] >= NeedleRetrieval.MARKED0) { needles++; needleCounts[j]++; assertTrue(tok[j] < NeedleRetrieval.MARKED0 + 10); }
                    else assertTrue(tok[j] >= NeedleRetrieval.DIGIT0, task.decode(tok));
                }
                assertEquals(1, needles, task.decode(tok));
                assertEquals(NeedleRetrieval.answer(tok), b.targets().getInt(i), task.decode(tok));
            }
        }
        assertTrue(java.util.Arrays.stream(needleCounts, 32, 64).sum() > 64, "needles fall in the far half too: " + java.util.Arrays.toString(needleCounts));
        assertEquals(3, NeedleRetrieval.answer(new int[] {NeedleRetrieval.CLS, 6, NeedleRetrieval.MARKED0 + 3, 9}));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> NeedleRetrieval.answer(new int[] {1, 2, 3})).getMessage()
            .startsWith("tokens: expected a marked digit"));
    }

    @Test
    void listOpsEvaluatesKnownExpressions() {
        // [MAX 4 3 [MIN 2 3 ] 1 0 [MED 1 5 8 9 2 ] ] = max(4, 3, 2, 1, 0, 5) = 5
        int[] e = {ListOps.CLS, ListOps.MAX, 6, 5, ListOps.MIN, 4, 5, ListOps.CLOSE, 3, 2, ListOps.MED, 3, 7, 10, 11, 4, ListOps.CLOSE, ListOps.CLOSE};
        assertEquals(5, ListOps.evaluate(e));
        assertEquals(1, ListOps.evaluate(new int[] {ListOps.SM, 9, 6, ListOps.CLOSE})); // ids 9, 6 are digits 7, 4: (7 + 4) mod 10
        assertEquals(3, ListOps.evaluate(new int[] {ListOps.MED, 9, 6, 2, 5, ListOps.CLOSE})); // lower median of 0, 3, 4, 7
    }

    @Test
    void splitsAreDisjointAndDeterministic() {
        for (Task task : List.<Task>of(CopyTask.copy(10, 1), AssociativeRecall.of(12, 1), ListOps.of(32, 1), NeedleRetrieval.of(16, 1))) {
            Set<String> val = rows(task.heldOut(Split.VALIDATION, 50)), test = rows(task.heldOut(Split.TEST, 50));
            Set<String> train = rows(List.of(task.trainBatch(200, 0), task.trainBatch(200, 1)));
            assertEquals(256, val.size(), task.name() + " validation set");
            assertFalse(val.stream().anyMatch(test::contains), task.name() + ": validation and test overlap");
            assertFalse(train.stream().anyMatch(r -> val.contains(r) || test.contains(r)), task.name() + ": training overlaps held-out");
            INDArray a = task.trainBatch(8, 3).tokens(), b = task.trainBatch(8, 3).tokens();
            assertEquals(a, b, task.name() + ": same index, same batch");
            assertFalse(a.equals(task.trainBatch(8, 4).tokens()), task.name() + ": different index, different batch");
        }
    }

    @Test
    void badArgumentsAreNamed() {
        assertEquals("seqLen = 7: expected an even length >= 4 (n = T/2 symbols copied)",
            assertThrows(IllegalArgumentException.class, () -> CopyTask.copy(7, 1)).getMessage());
        assertEquals("keys = 3: expected at least the number of pairs (4) so keys can be distinct",
            assertThrows(IllegalArgumentException.class, () -> new AssociativeRecall(10, 3, 10, 1)).getMessage());
        assertEquals("seqLen = 6: expected at least 8 (an operator, two arguments, a bracket and [CLS])",
            assertThrows(IllegalArgumentException.class, () -> ListOps.of(6, 1)).getMessage());
        assertEquals("seqLen = 2: expected at least 3 ([CLS], the marked digit, one more digit)",
            assertThrows(IllegalArgumentException.class, () -> NeedleRetrieval.of(2, 1)).getMessage());
        assertEquals("batchSize = 0: expected a positive integer",
            assertThrows(IllegalArgumentException.class, () -> CopyTask.copy(8, 1).trainBatch(0, 0)).getMessage());
        assertEquals("split = TRAIN: expected VALIDATION or TEST (training batches come from trainBatch)",
            assertThrows(IllegalArgumentException.class, () -> CopyTask.copy(8, 1).heldOut(Split.TRAIN, 4)).getMessage());
    }

    @org.junit.jupiter.api.Test
    void duplicationTaskWritesZeroWZeroWAndScoresOnlyTheSecondCopy() {
        DuplicationTask task = new DuplicationTask(10, 20, 3);
        Batch b = task.trainBatch(2, 0);
        int[] tok = b.tokens().getRow(0).toIntVector(), tgt = b.targets().getRow(0).toIntVector();
        assertEquals(DuplicationTask.ZERO, tok[0]);
        assertEquals(DuplicationTask.ZERO, tok[5]);
        for (int i = 1; i < 5; i++) assertEquals(tok[i], i + 5 < 10 ? tok[i + 5] : tgt[9], "second copy equals the first at " + i);
        for (int i = 0; i < 9; i++) assertEquals(tok[i + 1], tgt[i], "targets are the inputs shifted by one");
        float[] loss = b.lossMask().getRow(0).toFloatVector();
        for (int i = 0; i < 10; i++) assertEquals(i >= 5 && i < 9 ? 1f : 0f, loss[i], "loss counts the predictions of the second w: " + i);
        assertThrows(IllegalArgumentException.class, () -> new DuplicationTask(9, 4, 1));
    }
}
