package dev.etlab.train;

/**
 * Loss and accuracy on held-out data.
 *
 * @param loss        mean cross-entropy (nats) per counted prediction
 * @param accuracy    fraction of counted predictions whose arg-max is right
 * @param predictions how many predictions were counted
 */
public record Evaluation(double loss, double accuracy, long predictions) {

    /** Loss in bits per prediction (bits per character for a character model). */
    public double bits() {
        return loss / Math.log(2);
    }
}
