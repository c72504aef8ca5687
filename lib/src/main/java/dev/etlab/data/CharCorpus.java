package dev.etlab.data;

import dev.etlab.Check;
import dev.etlab.nn.Head;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A character-level text corpus for language modelling: public-domain texts (Carroll's Alice,
 * Shakespeare's As You Like It, Milton's Paradise Lost) that {@code environment/setup.sh} fetches
 * from a PyPI package into {@code data/corpus/} — see {@code data/README.md}.
 *
 * <p>Line endings are normalised to \n and the files joined with a blank line. The text is cut into
 * contiguous splits: the first 90 % for training, the next 5 % validation, the last 5 % test.
 */
public final class CharCorpus {
    /** The corpus files, in the order they are joined. */
    public static final List<String> FILES = List.of("alice29.txt", "asyoulik.txt", "plrabn12.txt");
    static final String HOW_TO_FETCH = "fetch them with environment/setup.sh (see data/README.md)";

    private final String text;
    private final char[] alphabet;
    private final int[] index = new int[65536];

    private CharCorpus(String text) {
        this.text = text;
        TreeSet<Character> chars = new TreeSet<>();
        for (char c : text.toCharArray()) chars.add(c);
        alphabet = new char[chars.size()];
        int i = 0;
        java.util.Arrays.fill(index, -1);
        for (char c : chars) {
            index[c] = i;
            alphabet[i++] = c;
        }
    }

    /** The corpus from {@link #defaultDirectory()}. */
    public static CharCorpus load() {
        return load(defaultDirectory());
    }

    /** Reads {@link #FILES} from a directory. */
    public static CharCorpus load(Path dir) {
        Check.arg(Files.isDirectory(dir), "corpus directory", dir.toAbsolutePath().toString(),
            "a directory holding " + FILES + "; " + HOW_TO_FETCH);
        StringBuilder sb = new StringBuilder();
        for (String f : FILES) {
            Path p = dir.resolve(f);
            Check.arg(Files.isRegularFile(p), "corpus file", p.toAbsolutePath().toString(), "an existing file; " + HOW_TO_FETCH);
            try {
                String content = Files.readString(p, StandardCharsets.ISO_8859_1).replace("\r\n", "\n").replace('\r', '\n');
                Check.arg(!content.isBlank(), "corpus file", p.toAbsolutePath().toString(), "a non-empty text file; " + HOW_TO_FETCH);
                if (sb.length() > 0) sb.append("\n\n");
                sb.append(content.strip());
            } catch (IOException e) {
                throw new IllegalArgumentException("corpus file = " + p.toAbsolutePath() + ": expected a readable file (" + e.getMessage() + ")", e);
            }
        }
        return new CharCorpus(sb.toString());
    }

    /**
     * {@code $ETLAB_DATA/corpus} if set, else {@code data/corpus} under {@code $ETLAB_ROOT} or the
     * nearest parent of the working directory that has one (notebooks run in {@code notebooks/}, tests in {@code lib/}).
     */
    public static Path defaultDirectory() {
        return DataDirectory.of("corpus");
    }

    public String text() { return text; }
    public int length() { return text.length(); }
    public int vocabSize() { return alphabet.length; }

    public int[] encode(String s) {
        int[] out = new int[s.length()];
        for (int i = 0; i < out.length; i++) {
            int id = index[s.charAt(i)];
            Check.arg(id >= 0, "character", "'" + s.charAt(i) + "'", "one of the corpus's " + alphabet.length + " characters");
            out[i] = id;
        }
        return out;
    }

    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder(ids.length);
        for (int id : ids) sb.append(alphabet[id]);
        return sb.toString();
    }

    /** Character range [from, to) of a split. */
    int[] range(Split split) {
        int n = text.length();
        int trainEnd = (int) (n * 0.90), valEnd = (int) (n * 0.95);
        return switch (split) {
            case TRAIN -> new int[] {0, trainEnd};
            case VALIDATION -> new int[] {trainEnd, valEnd};
            case TEST -> new int[] {valEnd, n};
        };
    }

    /** Next-character prediction on windows of T characters. */
    public Task languageModelling(int seqLen, long seed) {
        return new CorpusTask(seqLen, seed);
    }

    private final class CorpusTask implements Task {
        private final int seqLen;
        private final long seed;
        private final int[] ids;

        CorpusTask(int seqLen, long seed) {
            Check.positive("seqLen", seqLen);
            int[] val = range(Split.VALIDATION);
            int valLength = val[1] - val[0];
            if (seqLen + 1 > valLength) {
                String size = "the corpus has " + text.length() + " characters, its validation split (5 %) " + valLength
                    + ", and a window needs seqLen + 1";
                Check.arg(false, "seqLen", seqLen, valLength >= 2
                    ? "at most " + (valLength - 1) + ": the corpus is too short for this length (" + size + ")"
                    : "a longer corpus: this one is too short for any window length (" + size + ")");
            }
            this.seqLen = seqLen;
            this.seed = seed;
            this.ids = encode(text);
        }

        @Override public String name() { return "chars-" + seqLen; }
        @Override public Head head() { return Head.CAUSAL_LM; }
        @Override public int vocabSize() { return alphabet.length; }
        @Override public int numClasses() { return 0; }
        @Override public int seqLen() { return seqLen; }
        @Override public boolean padded() { return false; }

        @Override
        public Batch trainBatch(int batchSize, long index) {
            Check.positive("batchSize", batchSize);
            int[] r = range(Split.TRAIN);
            Random rng = new Random(SyntheticTask.mix(seed, 0xC4A5L, index));
            int[] starts = new int[batchSize];
            for (int i = 0; i < batchSize; i++) starts[i] = r[0] + rng.nextInt(r[1] - r[0] - seqLen);
            return windows(starts);
        }

        @Override
        public List<Batch> heldOut(Split split, int batchSize) {
            Check.arg(split != Split.TRAIN, "split", split, "VALIDATION or TEST (training batches come from trainBatch)");
            Check.positive("batchSize", batchSize);
            int[] r = range(split);
            List<Integer> starts = new ArrayList<>();
            for (int s = r[0]; s + seqLen + 1 <= r[1]; s += seqLen) starts.add(s); // non-overlapping windows
            List<Batch> out = new ArrayList<>();
            for (int i = 0; i < starts.size(); i += batchSize) {
                out.add(windows(starts.subList(i, Math.min(starts.size(), i + batchSize)).stream().mapToInt(Integer::intValue).toArray()));
            }
            return out;
        }

        private Batch windows(int[] starts) {
            int b = starts.length;
            int[] tok = new int[b * seqLen], tgt = new int[b * seqLen];
            for (int i = 0; i < b; i++) {
                System.arraycopy(ids, starts[i], tok, i * seqLen, seqLen);
                System.arraycopy(ids, starts[i] + 1, tgt, i * seqLen, seqLen);
            }
            return new Batch(Nd4j.createFromArray(tok).reshape(b, seqLen), Nd4j.createFromArray(tgt).reshape(b, seqLen),
                Nd4j.ones(DataType.FLOAT, b, seqLen), null);
        }

        @Override
        public String decode(int[] tokens) {
            return CharCorpus.this.decode(tokens);
        }

        @Override
        public double majorityBaseline(Split split) {
            int[] r = range(split);
            int[] counts = new int[alphabet.length];
            for (int i = r[0] + 1; i < r[1]; i++) counts[ids[i]]++;
            return java.util.Arrays.stream(counts).max().orElse(0) / (double) (r[1] - r[0] - 1);
        }
    }
}
