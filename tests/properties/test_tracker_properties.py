"""The tracker's state is a pure function of its events: replaying stored events gives what the turn saw."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import PROJECT_ROOT
from bot.dialogue.domain import load_domain
from bot.dialogue.tracker import Tracker, action_event, event, slot_event

DOMAIN = load_domain(Path(PROJECT_ROOT) / "nlu_data" / "domain.yml")
SLOTS = sorted(DOMAIN.slots)
FORMS = sorted(DOMAIN.forms)

events = st.one_of(
    st.builds(
        lambda n, v: slot_event(n, v), st.sampled_from(SLOTS), st.one_of(st.none(), st.text(max_size=8))
    ),
    st.builds(lambda n: event("active_loop", name=n), st.one_of(st.none(), st.sampled_from(FORMS))),
    st.builds(
        lambda i: event("user", text="x", parse_data={"intent": {"name": i, "confidence": 1.0}}),
        st.sampled_from(list(DOMAIN.intents)),
    ),
    st.builds(
        lambda n: action_event(n), st.sampled_from(["action_listen", "utter_greet", "action_track_order"])
    ),
    st.builds(lambda n: event("followup", name=n), st.just("action_track_order")),
    st.sampled_from(
        [
            event("rewind"),
            event("undo"),
            event("reset_slots"),
            event("restart"),
            event("pause"),
            event("resume"),
        ]
    ),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(events, max_size=40))
def test_replaying_stored_events_gives_the_same_state(history: list[dict]) -> None:
    live = Tracker(sender_id="1", domain=DOMAIN)
    live.slots = live.initial_slots()
    for item in history:
        live.add(item)
    replayed = Tracker.from_events("1", DOMAIN, live.new_events)
    for attribute in (
        "slots",
        "active_loop",
        "latest_message",
        "latest_action_name",
        "followup_action",
        "paused",
        "events",
    ):
        assert getattr(replayed, attribute) == getattr(live, attribute), attribute
    assert replayed.turn_markers() == live.turn_markers()
