package io.splitguard.schemas.checkpoint;

import java.util.List;

/**
 * The variables a checkpoint never keeps by default: transient UI and IVR state that a flow in another
 * region must not resume from (the reference guide keeps only what routing needs: queue, CRM record,
 * authentication status, retry counters). Names are matched exactly against the top-level members of
 * {@code variables}. The gateway and the checkpoint topology both drop them; each takes its list from
 * configuration with this default, so a deployment can extend it.
 */
public final class TransientVariables {

    /**
     * IVR menu selections, typing indicators, on-hold music positions and UI state: valid for the
     * moment they were captured, misleading after a failover.
     */
    public static final List<String> DEFAULTS = List.of(
            "last_menu_selection",
            "ivr_menu_selection",
            "typing_indicator",
            "agent_typing_indicator",
            "hold_music_position",
            "ui_state");

    private TransientVariables() {}
}
