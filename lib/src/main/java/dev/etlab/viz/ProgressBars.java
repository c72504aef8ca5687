package dev.etlab.viz;

/** Chooses the progress bar implementation. (Interim: plain console lines; the notebook display comes with dev.etlab.viz.) */
final class ProgressBars {
    private ProgressBars() {}

    static Progress start(String label, long total) {
        return new Progress() {
            long last = -1;

            @Override
            public void update(long done, String status) {
                if (done == total || done - last >= Math.max(1, total / 10)) {
                    System.err.println(label + " " + done + "/" + total + " " + status);
                    last = done;
                }
            }

            @Override
            public void close() {}
        };
    }
}
