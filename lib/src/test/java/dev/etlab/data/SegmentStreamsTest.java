package dev.etlab.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentStreamsTest {

    @Test
    void eachSegmentContinuesWhereTheLastEndedAndTheStreamsStartOver(@TempDir Path dir) throws Exception {
        CharCorpus c = CharCorpus.load(CharCorpusTest.fakeCorpus(dir));
        SegmentStreams streams = new SegmentStreams(c, Split.TRAIN, 3, 16);
        int[] r = c.range(Split.TRAIN);
        int streamLength = (r[1] - r[0] - 1) / 3;
        assertEquals(streamLength / 16, streams.segments());
        String train = c.text().substring(r[0], r[1]);
        for (int s = 0; s < 3; s++) {
            Batch b = streams.segment(s);
            for (int stream = 0; stream < 3; stream++) {
                int start = stream * streamLength + s * 16;
                assertEquals(train.substring(start, start + 16), c.decode(b.tokens().getRow(stream).toIntVector()));
                assertEquals(train.substring(start + 1, start + 17), c.decode(b.targets().getRow(stream).toIntVector()));
                assertEquals(streams.text(s, stream), train.substring(start, start + 16));
            }
        }
        assertTrue(streams.startsOver(0) && !streams.startsOver(1) && streams.startsOver(streams.segments()));
        assertEquals(streams.text(0, 1), streams.text(streams.segments(), 1));
    }

    @Test
    void impossibleSizesAreRejectedWithAMessageNamingThem(@TempDir Path dir) throws Exception {
        CharCorpus c = CharCorpus.load(CharCorpusTest.fakeCorpus(dir));
        int[] r = c.range(Split.VALIDATION);
        int most = (r[1] - r[0] - 1) / 4;
        var tooLong = assertThrows(IllegalArgumentException.class, () -> new SegmentStreams(c, Split.VALIDATION, 4, most + 1));
        assertEquals("segmentLength = " + (most + 1) + ": expected at most " + most + ": the VALIDATION split has " + (r[1] - r[0])
            + " characters for 4 streams, and each stream needs one whole segment", tooLong.getMessage());
        var streams = assertThrows(IllegalArgumentException.class, () -> new SegmentStreams(c, Split.TRAIN, 0, 8));
        assertEquals("streams = 0: expected a positive integer", streams.getMessage());
        var index = assertThrows(IllegalArgumentException.class, () -> new SegmentStreams(c, Split.TRAIN, 2, 8).segment(-1));
        assertEquals("index = -1: expected 0 or more", index.getMessage());
    }
}
