package dev.etlab.data;

import dev.etlab.Check;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A corpus split read as B parallel streams of consecutive segments, the way a segment-recurrent model
 * (Transformer-XL) trains and evaluates: the split is cut into B contiguous streams, and segment s of the
 * batch holds characters [s·L, (s+1)·L) of every stream, so segment s + 1 continues exactly where s ended
 * and a memory carried between them sees real context. After the last whole segment the streams start over
 * ({@link #startsOver}): a memory must then be cleared.
 */
public final class SegmentStreams {
    private final CharCorpus corpus;
    private final Split split;
    private final int streams;
    private final int segmentLength;
    private final int[] ids;
    private final int streamLength;
    private final int segments;

    /**
     * @param streams       B, parallel streams (the batch size)
     * @param segmentLength L, characters per segment
     */
    public SegmentStreams(CharCorpus corpus, Split split, int streams, int segmentLength) {
        Check.arg(corpus != null, "corpus", null, "a CharCorpus");
        Check.arg(split != null, "split", null, "TRAIN, VALIDATION or TEST");
        Check.positive("streams", streams);
        Check.positive("segmentLength", segmentLength);
        int[] r = corpus.range(split);
        int usable = r[1] - r[0] - 1;                                   // the last character is only a target
        Check.arg(usable / streams >= segmentLength, "segmentLength", segmentLength,
            "at most " + Math.max(0, usable / streams) + ": the " + split + " split has " + (r[1] - r[0]) + " characters for "
                + streams + " streams, and each stream needs one whole segment");
        this.corpus = corpus;
        this.split = split;
        this.streams = streams;
        this.segmentLength = segmentLength;
        this.ids = corpus.encode(corpus.text().substring(r[0], r[1]));
        this.streamLength = usable / streams;
        this.segments = streamLength / segmentLength;
    }

    public Split split() { return split; }
    public int streams() { return streams; }
    public int segmentLength() { return segmentLength; }
    public int vocabSize() { return corpus.vocabSize(); }

    /** Whole segments per stream before the streams start over. */
    public int segments() { return segments; }

    /** Whether segment {@code index} begins the streams anew (index 0, segments(), 2·segments(), ...): clear the memory. */
    public boolean startsOver(long index) {
        return index % segments == 0;
    }

    /** Segment {@code index} (taken modulo {@link #segments()}): tokens and next-character targets, (B, L) each. */
    public Batch segment(long index) {
        Check.arg(index >= 0, "index", index, "0 or more");
        int s = (int) (index % segments);
        int[] tok = new int[streams * segmentLength], tgt = new int[streams * segmentLength];
        for (int b = 0; b < streams; b++) {
            int start = b * streamLength + s * segmentLength;
            System.arraycopy(ids, start, tok, b * segmentLength, segmentLength);
            System.arraycopy(ids, start + 1, tgt, b * segmentLength, segmentLength);
        }
        return new Batch(Nd4j.createFromArray(tok).reshape(streams, segmentLength), Nd4j.createFromArray(tgt).reshape(streams, segmentLength),
            Nd4j.ones(DataType.FLOAT, streams, segmentLength), null);
    }

    /** The characters of segment {@code index} in stream {@code stream}, as text (to show what a segment sees). */
    public String text(long index, int stream) {
        Check.arg(stream >= 0 && stream < streams, "stream", stream, "in [0, " + streams + ")");
        return corpus.decode(segment(index).tokens().getRow(stream).toIntVector());
    }
}
