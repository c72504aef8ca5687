package dev.etlab.data;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Training, validation and test speakers of {@link SpokenDigits}, decided from the utterances alone (not from file
 * layout), the same on every machine. A model is scored on voices it never heard:
 *
 * <ul>
 *   <li><b>test</b>: every speaker of the held-out accent {@link #HELD_OUT_ACCENT} (Caribbean English; no
 *       speaker of it is trained on), and, in every other accent with at least 2 speakers, its last speaker by id;</li>
 *   <li><b>validation</b>: in every other accent with at least 3 speakers, its second-to-last speaker by id;</li>
 *   <li><b>train</b>: everyone else.</li>
 * </ul>
 *
 * With the corpus of {@code environment/make_speech.py} (8 accents × 6 speakers × 42 utterances) that is 28 training,
 * 7 validation and 13 test speakers. Voice variants are drawn at random per speaker, so some test speakers also have
 * a variant that no training speaker has (see data/README.md).
 *
 * @param train      speaker ids, sorted
 * @param validation speaker ids, sorted
 * @param test       speaker ids, sorted
 */
public record SpeakerSplit(List<String> train, List<String> validation, List<String> test) {

    public static final String HELD_OUT_ACCENT = "en-029";

    public SpeakerSplit {
        train = List.copyOf(train);
        validation = List.copyOf(validation);
        test = List.copyOf(test);
    }

    public static SpeakerSplit of(Collection<Utterance> utterances) {
        Map<String, TreeSet<String>> byAccent = new TreeMap<>();
        for (Utterance u : utterances) byAccent.computeIfAbsent(u.accent(), a -> new TreeSet<>()).add(u.speaker());
        TreeSet<String> train = new TreeSet<>(), validation = new TreeSet<>(), test = new TreeSet<>();
        byAccent.forEach((accent, speakers) -> {
            if (accent.equals(HELD_OUT_ACCENT)) {
                test.addAll(speakers);
                return;
            }
            List<String> s = new ArrayList<>(speakers);
            int n = s.size();
            if (n >= 2) test.add(s.get(n - 1));
            if (n >= 3) validation.add(s.get(n - 2));
            train.addAll(s.subList(0, n - Math.min(n - 1, 2)));
        });
        return new SpeakerSplit(List.copyOf(train), List.copyOf(validation), List.copyOf(test));
    }

    /** The speakers of one part. */
    public List<String> speakers(Split split) {
        return switch (split) {
            case TRAIN -> train;
            case VALIDATION -> validation;
            case TEST -> test;
        };
    }
}
