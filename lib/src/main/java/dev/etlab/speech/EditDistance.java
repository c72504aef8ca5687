package dev.etlab.speech;

import dev.etlab.Check;
import java.util.Arrays;
import java.util.List;

/**
 * Levenshtein distance (Levenshtein 1966): the fewest substitutions, insertions and deletions that turn a
 * hypothesis into its reference, by the usual dynamic programme over prefixes (two rows kept). Character and
 * word error rates are the total edits over a set divided by the total reference units — not the mean of
 * per-utterance rates, so long utterances weigh more, as in the standard scoring tools (NIST sclite).
 */
public final class EditDistance {
    private EditDistance() {}

    /** Edits over a set and the reference units they are counted against. */
    public record ErrorRate(long edits, long referenceUnits) {
        public ErrorRate {
            Check.arg(edits >= 0, "edits", edits, "0 or more");
            Check.arg(referenceUnits >= 0, "referenceUnits", referenceUnits, "0 or more");
        }

        /** edits / reference units (may exceed 1 when the hypotheses insert much); NaN for an empty reference set. */
        public double rate() {
            return referenceUnits == 0 ? Double.NaN : edits / (double) referenceUnits;
        }

        public ErrorRate plus(ErrorRate other) {
            return new ErrorRate(edits + other.edits, referenceUnits + other.referenceUnits);
        }
    }

    /** Levenshtein distance between two integer sequences (labels, say). */
    public static int distance(int[] reference, int[] hypothesis) {
        int[] previous = new int[hypothesis.length + 1], current = new int[hypothesis.length + 1];
        for (int j = 0; j <= hypothesis.length; j++) previous[j] = j;                   // j insertions
        for (int i = 1; i <= reference.length; i++) {
            current[0] = i;                                                             // i deletions
            for (int j = 1; j <= hypothesis.length; j++) {
                int substitute = previous[j - 1] + (reference[i - 1] == hypothesis[j - 1] ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[hypothesis.length];
    }

    /** Levenshtein distance between two sequences of any units compared with equals (words, say). */
    public static <E> int distance(List<E> reference, List<E> hypothesis) {
        Object[] vocabulary = java.util.stream.Stream.concat(reference.stream(), hypothesis.stream()).distinct().toArray();
        List<Object> index = Arrays.asList(vocabulary);
        return distance(reference.stream().mapToInt(index::indexOf).toArray(), hypothesis.stream().mapToInt(index::indexOf).toArray());
    }

    /** Words of a transcript: split on runs of white space, none empty. */
    public static List<String> words(String text) {
        String trimmed = text.strip();
        return trimmed.isEmpty() ? List.of() : Arrays.asList(trimmed.split("\\s+"));
    }

    /** Character error rate over a set: Σ edits between the strings' characters (spaces included) / Σ reference characters. */
    public static ErrorRate characterErrors(List<String> references, List<String> hypotheses) {
        checkPairs(references, hypotheses);
        long edits = 0, units = 0;
        for (int i = 0; i < references.size(); i++) {
            edits += distance(references.get(i).chars().toArray(), hypotheses.get(i).chars().toArray());
            units += references.get(i).length();
        }
        return new ErrorRate(edits, units);
    }

    /** Word error rate over a set: Σ edits between the word lists ({@link #words}) / Σ reference words. */
    public static ErrorRate wordErrors(List<String> references, List<String> hypotheses) {
        checkPairs(references, hypotheses);
        long edits = 0, units = 0;
        for (int i = 0; i < references.size(); i++) {
            List<String> ref = words(references.get(i));
            edits += distance(ref, words(hypotheses.get(i)));
            units += ref.size();
        }
        return new ErrorRate(edits, units);
    }

    private static void checkPairs(List<String> references, List<String> hypotheses) {
        Check.arg(references.size() == hypotheses.size(), "hypotheses", hypotheses.size() + " transcripts",
            references.size() + " (one per reference)");
    }
}
