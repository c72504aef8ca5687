package dev.etlab.data;

import dev.etlab.Check;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Spoken digit strings synthesised by eSpeak NG ({@code environment/make_speech.py}, run by
 * {@code environment/setup.sh}): 2,016 utterances of 1 to 4 English digit words ("three one four") by 48
 * speakers — 8 English accents × 6 voice variants, each with its own rate and pitch, jittered per utterance —
 * at 22,050 Hz, read from {@code data/speech/} (source, licence and checksums in {@code data/README.md}).
 *
 * <p>Targets are characters for CTC (Graves et al. 2006): label 0 is the blank, label k ≥ 1 is
 * {@code ALPHABET.charAt(k - 1)}: the space and the 15 letters the words zero … nine use, {@link #VOCAB_SIZE} = 17
 * labels in all. The train / validation / test speakers are in {@link SpeakerSplit}.
 */
public final class SpokenDigits {
    static final String HOW_TO_MAKE = "run environment/setup.sh (or environment/.venv/bin/python environment/make_speech.py) to generate it";
    static final String HEADER = "id\tspeaker\taccent\tvariant\trate\tpitch\trange\toffset_samples\tlength_samples\ttranscript";

    /** The words, in digit order. */
    public static final List<String> WORDS = List.of("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine");
    /** Label k ≥ 1 is ALPHABET.charAt(k − 1): space, then the letters of the digit words in alphabetical order. */
    public static final String ALPHABET = " efghinorstuvwxz";
    /** The CTC blank's label. */
    public static final int BLANK = 0;
    /** Labels in all: the blank, the space, 15 letters. */
    public static final int VOCAB_SIZE = ALPHABET.length() + 1;

    private final int sampleRate;
    private final List<Utterance> utterances;
    private final SpeakerSplit split;

    private SpokenDigits(int sampleRate, List<Utterance> utterances) {
        this.sampleRate = sampleRate;
        this.utterances = List.copyOf(utterances);
        this.split = SpeakerSplit.of(utterances);
    }

    /** The corpus in {@link #defaultDirectory()}. */
    public static SpokenDigits load() {
        return load(defaultDirectory());
    }

    /** Reads {@code MANIFEST} (for the sample rate), {@code digits.tsv} and {@code digits.pcm} from a folder. */
    public static SpokenDigits load(Path dir) {
        Check.arg(Files.isDirectory(dir), "speech directory", dir.toAbsolutePath().toString(),
            "a directory holding MANIFEST, digits.tsv and digits.pcm; " + HOW_TO_MAKE);
        int rate = Integer.parseInt(manifest(dir).getOrDefault("sample_rate", "0"));
        Check.arg(rate > 0, "sample_rate in " + dir.resolve("MANIFEST"), rate, "a positive rate; " + HOW_TO_MAKE);
        List<String> rows = lines(dir.resolve("digits.tsv"));
        Check.arg(!rows.isEmpty() && rows.get(0).equals(HEADER), "header of " + dir.resolve("digits.tsv"),
            rows.isEmpty() ? "(empty file)" : rows.get(0), HEADER.replace('\t', ' ') + " (tab-separated)");
        ShortBuffer pcm = readPcm(dir.resolve("digits.pcm"));
        List<Utterance> out = new ArrayList<>(rows.size() - 1);
        for (String row : rows.subList(1, rows.size())) {
            if (row.isBlank()) continue;
            String[] f = row.split("\t", -1);
            Check.arg(f.length == 10, "row of digits.tsv", row, "10 tab-separated fields");
            int offset = Integer.parseInt(f[7]), length = Integer.parseInt(f[8]);
            Check.arg(offset >= 0 && length > 0 && (long) offset + length <= pcm.capacity(), "samples of " + f[0],
                offset + " + " + length, "a range inside digits.pcm (" + pcm.capacity() + " samples)");
            checkTranscript(f[9]);
            ShortBuffer slice = pcm.duplicate().position(offset).limit(offset + length).slice().asReadOnlyBuffer();
            out.add(new Utterance(out.size(), f[0], f[1], f[2], f[3], Integer.parseInt(f[4]), Integer.parseInt(f[5]), f[9], slice));
        }
        Check.arg(!out.isEmpty(), "speech corpus", dir.toAbsolutePath().toString(), "at least one utterance; " + HOW_TO_MAKE);
        return new SpokenDigits(rate, out);
    }

    /** {@code $ETLAB_DATA/speech}, else {@code data/speech} under {@code $ETLAB_ROOT} or the nearest ancestor folder that has one. */
    public static Path defaultDirectory() {
        return DataDirectory.of("speech");
    }

    public int sampleRate() {
        return sampleRate;
    }

    public List<Utterance> utterances() {
        return utterances;
    }

    public SpeakerSplit split() {
        return split;
    }

    /** The utterances of one part of the {@link SpeakerSplit}, in corpus order. */
    public List<Utterance> utterances(Split part) {
        Set<String> speakers = Set.copyOf(split.speakers(part));
        return utterances.stream().filter(u -> speakers.contains(u.speaker())).toList();
    }

    /** Total duration in seconds. */
    public double seconds() {
        return utterances.stream().mapToLong(Utterance::length).sum() / (double) sampleRate;
    }

    /** The labels of a transcript: each character's index in {@link #ALPHABET} plus 1. */
    public static int[] encode(String text) {
        int[] y = new int[text.length()];
        for (int i = 0; i < y.length; i++) {
            int k = ALPHABET.indexOf(text.charAt(i));
            Check.arg(k >= 0, "character", "'" + text.charAt(i) + "' in \"" + text + "\"", "one of \"" + ALPHABET + "\" (space and the letters of zero … nine)");
            y[i] = k + 1;
        }
        return y;
    }

    /** The text of labels; blanks (label 0) are skipped, so decode(encode(s)) = s. */
    public static String decode(int[] labels) {
        StringBuilder s = new StringBuilder(labels.length);
        for (int k : labels) {
            Check.arg(k >= 0 && k < VOCAB_SIZE, "label", k, "a label in [0, " + VOCAB_SIZE + ")");
            if (k != BLANK) s.append(ALPHABET.charAt(k - 1));
        }
        return s.toString();
    }

    /** CTC's collapse of a best path (one label per frame): repeats merged, then blanks removed. */
    public static int[] collapse(int[] path) {
        int[] out = new int[path.length];
        int n = 0, previous = -1;
        for (int k : path) {
            if (k != previous && k != BLANK) out[n++] = k;
            previous = k;
        }
        return java.util.Arrays.copyOf(out, n);
    }

    static void checkTranscript(String t) {
        String[] words = t.split(" ", -1);
        for (String w : words) Check.arg(WORDS.contains(w), "transcript", "\"" + t + "\"", "digit words zero … nine separated by single spaces");
    }

    private static Map<String, String> manifest(Path dir) {
        Map<String, String> m = new HashMap<>();
        for (String line : lines(dir.resolve("MANIFEST"))) {
            int tab = line.indexOf('\t');
            if (tab > 0) m.put(line.substring(0, tab), line.substring(tab + 1));
        }
        return m;
    }

    private static List<String> lines(Path p) {
        Check.arg(Files.isRegularFile(p), "speech file", p.toAbsolutePath().toString(), "an existing file; " + HOW_TO_MAKE);
        try {
            return Files.readAllLines(p);
        } catch (IOException e) {
            throw new IllegalArgumentException("speech file = " + p.toAbsolutePath() + ": expected a readable file (" + e.getMessage() + ")", e);
        }
    }

    private static ShortBuffer readPcm(Path p) {
        Check.arg(Files.isRegularFile(p), "speech file", p.toAbsolutePath().toString(), "an existing file; " + HOW_TO_MAKE);
        try {
            byte[] bytes = Files.readAllBytes(p);
            Check.arg(bytes.length % 2 == 0, "size of " + p.toAbsolutePath(), bytes.length, "an even number of bytes (int16 samples)");
            short[] s = new short[bytes.length / 2];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(s);
            return ShortBuffer.wrap(s);
        } catch (IOException e) {
            throw new IllegalArgumentException("speech file = " + p.toAbsolutePath() + ": expected a readable file (" + e.getMessage() + ")", e);
        }
    }
}
