package dev.etlab.compress;

import dev.etlab.data.CharCorpus;
import dev.etlab.data.Task;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** A small character corpus written into a test's directory, and its language-modelling task. */
final class Fixtures {
    private Fixtures() {}

    static Task task(Path dir, int seqLen) throws IOException {
        Random r = new Random(11);
        String[] words = {"the", "queen", "said", "alice", "and", "of", "to", "rabbit", "garden", "king", "hatter", "tea"};
        for (String f : CharCorpus.FILES) {
            StringBuilder sb = new StringBuilder();
            while (sb.length() < 6000) sb.append(words[r.nextInt(words.length)]).append(r.nextInt(9) == 0 ? ".\n" : " ");
            Files.writeString(dir.resolve(f), sb.toString());
        }
        return CharCorpus.load(dir).languageModelling(seqLen, 1);
    }
}
