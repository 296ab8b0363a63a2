"""The privacy actions and the one-time-code validators with a Tracker built by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.context import TurnContext, bind_turn
from actions.privacy import (
    ActionPrivacy,
    ActionSubmitPrivacy,
    ActionSubmitPrivacyDelete,
    ValidatePrivacyForm,
)
from actions.verification import VERIFIED, ValidateOtpForm
from bot.config import PROJECT_ROOT, Settings
from bot.dialogue.domain import load_domain
from bot.services import conversations, identity, signed_links
from bot.storage.models import Customer, Identity, Outbox, OutboxKind, VerificationMethod
from tests.shop import SARA_PHONE, KnownShop, load_known_shop

DOMAIN = load_domain(PROJECT_ROOT / "nlu_data" / "domain.yml").as_rasa_dict()


@pytest.fixture
async def known(session: AsyncSession) -> KnownShop:
    return await load_known_shop(session)


@pytest.fixture
async def turn(session: AsyncSession, settings: Settings, known: KnownShop) -> AsyncIterator[Any]:
    """``with turn(verified=…):`` binds a turn of a REST customer: Sara (verified by a code) or a stranger."""
    sara = await identity.resolve_identity(session, channel="rest", external_id="sara")
    await identity.verify_with_phone(
        session, identity=sara, phone=SARA_PHONE, method=VerificationMethod.SMS_OTP
    )
    stranger = await identity.resolve_identity(session, channel="rest", external_id="stranger")
    ids = {}
    for who in (sara, stranger):
        ids[who.id] = (await conversations.open_conversation(session, who)).id

    @contextmanager
    def bind(*, verified: bool = True) -> Iterator[TurnContext]:
        who = sara if verified else stranger
        context = TurnContext(session, settings, who.customer_id, ids[who.id], who.id, "rest")
        with bind_turn(context):
            yield context

    yield bind


def tracker(
    slots: dict[str, Any] | None = None,
    *,
    intent: str = "privacy_request",
    text: str = "/privacy_request",
    loop: str | None = None,
    events: list[dict[str, Any]] | None = None,
) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    user = {"event": "user", "text": text, "parse_data": latest}
    return Tracker(
        "1",
        {"requested_slot": None, **(slots or {})},
        latest,
        [user, *(events or [])],
        False,
        None,
        {"name": loop} if loop else {},
        None,
    )


async def run(action: Any, track: Tracker) -> tuple[list[str], list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, track, DOMAIN)
    return [m["response"] for m in dispatcher.messages], events, dispatcher.messages


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def followup(events: list[dict[str, Any]]) -> str | None:
    return next((e["name"] for e in events if e["event"] == "followup"), None)


async def validate(slot: str, value: Any, track: Tracker) -> tuple[list[str], dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    result = await getattr(ValidateOtpForm(), f"validate_{slot}")(value, dispatcher, track, DOMAIN)
    return [m["response"] for m in dispatcher.messages], result


# -- action_privacy --------------------------------------------------------------------------------------


async def test_a_stranger_is_sent_to_the_code_form_with_a_fresh_phone(turn: Any) -> None:
    with turn(verified=False):
        said, events, _ = await run(
            ActionPrivacy(), tracker({"phone": "09350000000"}, loop="order_access_form")
        )
    assert said == ["utter_privacy_needs_verification"]
    assert events[0] == {"event": "active_loop", "timestamp": None, "name": None}
    assert slots_of(events) == {"requested_slot": None, "task": "privacy", "phone": None, "otp_code": None}
    assert followup(events) == "otp_form"


async def test_after_the_code_form_stopped_nothing_more_is_said(turn: Any) -> None:
    ran = [{"event": "action", "name": "otp_form"}]
    with turn(verified=False):
        said, events, _ = await run(ActionPrivacy(), tracker(intent="inform", text="123456", events=ran))
    assert (said, events) == ([], [])


async def test_a_verified_customer_chooses_in_the_privacy_form(turn: Any) -> None:
    with turn():
        said, events, _ = await run(ActionPrivacy(), tracker({"privacy_choice": "delete"}))
    assert said == [] and followup(events) == "privacy_form"
    assert slots_of(events)["privacy_choice"] is None  # an earlier choice is not this request's
    chosen_now = [{"event": "slot", "name": "privacy_choice", "value": "export"}]
    with turn():
        _, events, _ = await run(ActionPrivacy(), tracker({"privacy_choice": "export"}, events=chosen_now))
    assert "privacy_choice" not in slots_of(events)


async def test_order_phone_is_not_enough(turn: Any, session: AsyncSession) -> None:
    with turn(verified=False) as ctx:
        user = await session.get(Identity, ctx.identity_id)
        assert user is not None
        user.verified, user.method = True, VerificationMethod.ORDER_PHONE
        said, _, _ = await run(ActionPrivacy(), tracker())
    assert said == ["utter_privacy_needs_verification"]


async def test_only_export_or_delete_is_a_choice() -> None:
    form = ValidatePrivacyForm()
    dispatcher = CollectingDispatcher()
    assert await form.validate_privacy_choice("export", dispatcher, tracker(), DOMAIN) == {
        "privacy_choice": "export"
    }
    assert await form.validate_privacy_choice("all", dispatcher, tracker(), DOMAIN) == {
        "privacy_choice": None
    }


# -- submitting ------------------------------------------------------------------------------------------


async def test_export_gives_a_signed_link_of_its_own_kind(turn: Any, known: KnownShop) -> None:
    with turn() as ctx:
        said, events, messages = await run(ActionSubmitPrivacy(), tracker({"privacy_choice": "export"}))
    assert said == ["utter_privacy_export"] and slots_of(events) == {"privacy_choice": None}
    token = messages[0]["link"].rsplit("/", 1)[1]
    assert signed_links.open_link(ctx.settings, token, kind=signed_links.PRIVACY_EXPORT).subject == str(
        known.sara_id
    )


async def test_deletion_is_asked_twice_then_done(turn: Any, known: KnownShop, session: AsyncSession) -> None:
    with turn():
        said, events, _ = await run(ActionSubmitPrivacy(), tracker({"privacy_choice": "delete"}))
    assert said == ["utter_ask_confirm_privacy_delete"]
    assert slots_of(events) == {"confirmed": None, "pending_action": "privacy_delete"}
    assert followup(events) == "confirm_form"
    with turn():
        said, events, _ = await run(
            ActionSubmitPrivacyDelete(), tracker({"confirmed": True, "pending_action": "privacy_delete"})
        )
    assert said == ["utter_ask_confirm_privacy_delete_again"]
    assert slots_of(events)["pending_action"] == "privacy_delete_final" and followup(events) == "confirm_form"
    sara = await session.get(Customer, known.sara_id)
    assert sara is not None and sara.erased_at is None  # nothing happens before the second yes
    with turn():
        said, events, _ = await run(
            ActionSubmitPrivacyDelete(),
            tracker({"confirmed": True, "pending_action": "privacy_delete_final"}),
        )
    assert said == ["utter_privacy_deleted"]
    assert events == [{"event": "reset_slots", "timestamp": None}]
    await session.refresh(sara)
    assert sara.erased_at is not None and sara.name is None


@pytest.mark.parametrize("pending", ["privacy_delete", "privacy_delete_final"])
async def test_no_at_either_question_keeps_everything(
    turn: Any, known: KnownShop, session: AsyncSession, pending: str
) -> None:
    with turn():
        said, events, _ = await run(
            ActionSubmitPrivacyDelete(), tracker({"confirmed": False, "pending_action": pending})
        )
    assert said == ["utter_kept"]
    assert slots_of(events) == {"pending_action": None, "confirmed": None, "privacy_choice": None}
    sara = await session.get(Customer, known.sara_id)
    assert sara is not None and sara.erased_at is None


async def test_a_stranger_cannot_reach_the_final_step(
    turn: Any, known: KnownShop, session: AsyncSession
) -> None:
    with turn(verified=False):
        said, _, _ = await run(
            ActionSubmitPrivacyDelete(),
            tracker({"confirmed": True, "pending_action": "privacy_delete_final"}),
        )
    assert said == ["utter_privacy_needs_verification"]
    sara = await session.get(Customer, known.sara_id)
    assert sara is not None and sara.erased_at is None


# -- the one-time-code form ------------------------------------------------------------------------------


async def test_a_phone_that_is_not_one_is_refused(turn: Any) -> None:
    with turn(verified=False):
        said, result = await validate("phone", "12345", tracker())
    assert (said, result) == (["utter_invalid_phone"], {"phone": None})


async def test_a_phone_gets_a_code_and_the_form_asks_for_it(turn: Any, session: AsyncSession) -> None:
    with turn(verified=False):
        said, result = await validate("phone", "+98 912 123 4567", tracker())
    assert (said, result) == ([], {"phone": SARA_PHONE, "otp_code": None})
    row = await session.scalar(select(Outbox).where(Outbox.kind == OutboxKind.SMS))
    assert row is not None and row.body["to"] == SARA_PHONE


async def test_too_many_codes_stop_the_form(turn: Any) -> None:
    with turn(verified=False):
        for _ in range(3):
            await validate("phone", SARA_PHONE, tracker())
        said, result = await validate("phone", SARA_PHONE, tracker())
    assert said == ["utter_otp_too_many"]
    assert result == {"phone": None, "otp_code": None, "requested_slot": None}


async def test_the_right_code_links_the_stranger_and_keeps_their_order_number(
    turn: Any, known: KnownShop, session: AsyncSession
) -> None:
    with turn(verified=False) as ctx:
        await validate("phone", SARA_PHONE, tracker())
        sms = await session.scalar(select(Outbox.body).where(Outbox.kind == OutboxKind.SMS))
        assert sms is not None
        code = next(w for w in sms["text"].split() if w.isdigit())
        earlier = [{"event": "slot", "name": "order_id", "value": "1000002"}]
        now = [
            {"event": "slot", "name": "order_id", "value": code},
            {"event": "slot", "name": "otp_code", "value": code},
        ]
        track = tracker(
            {"phone": SARA_PHONE, "otp_code": code, "order_id": code}, intent="inform", text=code, events=now
        )
        track.events = [*earlier, *track.events]
        said, result = await validate("otp_code", code, track)
        assert ctx.customer_id == known.sara_id  # the rest of the turn acts for Sara
    assert said == ["utter_verified"]
    assert result == {"otp_code": VERIFIED, "order_id": "1000002"}


async def test_a_wrong_code_is_asked_again(turn: Any) -> None:
    with turn(verified=False):
        await validate("phone", SARA_PHONE, tracker())
        said, result = await validate(
            "otp_code", "۰۱۲ ۳۴۵", tracker({"phone": SARA_PHONE, "otp_code": "۰۱۲ ۳۴۵"})
        )
    assert (said, result) == (["utter_otp_wrong"], {"otp_code": None})
