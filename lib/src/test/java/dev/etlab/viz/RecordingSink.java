package dev.etlab.viz;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A stand-in kernel that records what would have been sent. */
final class RecordingSink implements KernelBridge.Sink {
    record Msg(String kind, String id, Map<String, String> bundle) {}

    final List<Msg> messages = new ArrayList<>();
    private int next;

    @Override
    public synchronized String display(Map<String, String> bundle) {
        String id = "id-" + (++next);
        messages.add(new Msg("display_data", id, bundle));
        return id;
    }

    @Override
    public synchronized void update(String id, Map<String, String> bundle) {
        messages.add(new Msg("update_display_data", id, bundle));
    }

    @Override
    public String name() {
        return "recording";
    }

    Msg last() {
        return messages.get(messages.size() - 1);
    }
}
