"""The return actions, each run on a rasa-sdk Tracker built by hand, against the known shop's data."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.context import TurnContext, bind_turn
from actions.returns import (
    ActionAskConfirmReturn,
    ActionAskItemId,
    ActionReturnPolicy,
    ActionStartReturn,
    ActionSubmitReturn,
    ValidateReturnForm,
)
from bot.config import PROJECT_ROOT, Settings
from bot.dialogue.domain import load_domain
from bot.services import conversations, identity, orders
from bot.storage.base import utcnow
from bot.storage.models import ReturnRequest, VerificationMethod
from tests.shop import SARA_PHONE, load_known_shop

DOMAIN = load_domain(PROJECT_ROOT / "nlu_data" / "domain.yml")
NO_SLOTS = {name: None for name in DOMAIN.slots} | {"requested_slot": None}


def make_tracker(
    *,
    slots: dict[str, Any] | None = None,
    text: str = "/return_request",
    intent: str = "return_request",
    entities: dict[str, str] | None = None,
    after: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
) -> Tracker:
    """A tracker as the engine sends it: the latest user message, then whatever ran since."""
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
    }
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": message},
    ]
    loop = {"name": active_loop} if active_loop else {}
    slots = {**NO_SLOTS, **(entities or {}), **(slots or {})}
    return Tracker("test", slots, message, [*events, *(after or [])], False, None, loop, None)


async def turn_context(session: AsyncSession, settings: Settings, *, verified: bool) -> TurnContext:
    await load_known_shop(session)
    found = await identity.resolve_identity(session, channel="rest", external_id="customer-1")
    if verified:
        await identity.verify_with_phone(
            session, identity=found, phone=SARA_PHONE, method=VerificationMethod.SMS_OTP
        )
    conversation = await conversations.open_conversation(session, found)
    return TurnContext(
        session=session,
        settings=settings,
        customer_id=found.customer_id,
        conversation_id=conversation.id,
        identity_id=found.id,
        channel="rest",
        now=utcnow(),
    )


async def run(
    action: Action, tracker: Tracker, ctx: TurnContext
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The action's events and messages, with the turn bound as the engine binds it."""
    dispatcher = CollectingDispatcher()
    with bind_turn(ctx):
        events = await action.run(dispatcher, tracker, DOMAIN.as_rasa_dict())
    return events, dispatcher.messages


def slots_set(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def followup(events: list[dict[str, Any]]) -> str | None:
    return next((e["name"] for e in events if e["event"] == "followup"), None)


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [m["response"] for m in messages]


@pytest.fixture
async def sara(session: AsyncSession, settings: Settings) -> TurnContext:
    return await turn_context(session, settings, verified=True)


@pytest.fixture
async def stranger(session: AsyncSession, settings: Settings) -> TurnContext:
    return await turn_context(session, settings, verified=False)


async def item_ids(session: AsyncSession, number: str) -> dict[str, str]:
    order = await orders.get_order(session, number)
    assert order is not None
    return {item.title: str(item.id) for item in order.items}


# -- policy --------------------------------------------------------------------------------------------


async def test_the_policy_is_told_from_the_settings(stranger: TurnContext) -> None:
    stranger.settings = stranger.settings.model_copy(
        update={
            "return_window_days": 10,
            "return_excluded_categories": "کارت هدیه,لباس زیر",
            "shop_name": "دیجی‌نمونه",
        }
    )
    _events, messages = await run(ActionReturnPolicy(), make_tracker(intent="return_policy"), stranger)
    assert responses(messages) == ["utter_return_policy"]
    assert messages[0]["return_days_fa"] == "۱۰"
    assert messages[0]["excluded_fa"] == "کارت هدیه و لباس زیر"
    assert messages[0]["shop_name"] == "دیجی‌نمونه"


# -- starting ------------------------------------------------------------------------------------------


async def test_a_verified_customer_chooses_among_delivered_orders(sara: TurnContext) -> None:
    events, messages = await run(ActionStartReturn(), make_tracker(slots={"order_id": "1000001"}), sara)
    assert responses(messages) == ["utter_ask_return_order"]
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        '/choose{"order_id":"1000002"}',
        '/choose{"order_id":"1000003"}',
    ]
    assert slots_set(events)["task"] == "return"
    assert followup(events) is None


async def test_a_returnable_order_starts_the_form_with_no_item_chosen(sara: TurnContext) -> None:
    tracker = make_tracker(entities={"order_id": "1000002"})
    events, messages = await run(ActionStartReturn(), tracker, sara)
    assert messages == []
    assert slots_set(events)["order_id"] == "1000002"
    assert slots_set(events)["item_id"] is None
    assert followup(events) == "return_form"


@pytest.mark.parametrize(
    ("number", "reason"),
    [("1000003", "مهلت ۷ روزهٔ مرجوعی در "), ("1000001", "سفارش هنوز تحویل نشده")],
)
async def test_an_order_that_cannot_be_returned_says_why_and_offers_a_person(
    sara: TurnContext, number: str, reason: str
) -> None:
    events, messages = await run(ActionStartReturn(), make_tracker(entities={"order_id": number}), sara)
    assert responses(messages) == ["utter_return_not_eligible"]
    assert messages[0]["reason_fa"].startswith(reason)
    assert slots_set(events)["handoff_reason"] == "not_eligible"
    assert followup(events) is None


async def test_another_customers_order_is_not_found(sara: TurnContext) -> None:
    events, messages = await run(ActionStartReturn(), make_tracker(entities={"order_id": "2000001"}), sara)
    assert responses(messages) == ["utter_order_not_found"]
    assert slots_set(events)["order_id"] is None


async def test_an_unverified_customer_opens_the_order_first(stranger: TurnContext) -> None:
    events, messages = await run(
        ActionStartReturn(), make_tracker(entities={"order_id": "1000002"}), stranger
    )
    assert messages == []
    assert followup(events) == "order_access_form"


async def test_an_opened_order_goes_on_to_the_form(stranger: TurnContext) -> None:
    tracker = make_tracker(slots={"order_id": "1000002", "unlocked_orders": ["1000002"]})
    events, _messages = await run(ActionStartReturn(), tracker, stranger)
    assert followup(events) == "return_form"


async def test_starting_a_return_leaves_the_form_the_customer_was_in(sara: TurnContext) -> None:
    tracker = make_tracker(entities={"order_id": "1000002"}, active_loop="warranty_claim_form")
    events, _messages = await run(ActionStartReturn(), tracker, sara)
    assert events[0] == {"event": "active_loop", "name": None, "timestamp": None}
    assert followup(events) == "return_form"


# -- the form ------------------------------------------------------------------------------------------


async def test_only_returnable_items_are_offered(sara: TurnContext) -> None:
    ids = await item_ids(sara.session, "1000002")
    tracker = make_tracker(
        slots={"order_id": "1000002", "requested_slot": "item_id"}, active_loop="return_form"
    )
    _events, messages = await run(ActionAskItemId(), tracker, sara)
    assert responses(messages) == ["utter_ask_return_item"]
    assert messages[0]["buttons"] == [
        {"title": "تی\u200cشرت نخی (۲ عدد)", "payload": f'/choose{{"item_id":"{ids["تی‌شرت نخی"]}"}}'},
        {"title": "کتری برقی", "payload": f'/choose{{"item_id":"{ids["کتری برقی"]}"}}'},
    ]


async def test_a_form_whose_order_changed_starts_over_from_it(sara: TurnContext) -> None:
    tracker = make_tracker(
        text="1000003",
        intent="inform",
        slots={"order_id": "1000003", "requested_slot": "item_id"},
        active_loop="return_form",
    )
    events, messages = await run(ActionAskItemId(), tracker, sara)
    assert messages == []
    assert events[0] == {"event": "active_loop", "name": None, "timestamp": None}
    assert followup(events) == "action_start_return"


async def test_the_form_validates_items_by_button_or_by_title(sara: TurnContext) -> None:
    ids = await item_ids(sara.session, "1000002")
    tracker = make_tracker(slots={"order_id": "1000002"}, active_loop="return_form")
    form = ValidateReturnForm()
    dispatcher = CollectingDispatcher()
    with bind_turn(sara):
        assert await form.validate_item_id(ids["کتری برقی"], dispatcher, tracker, {}) == {
            "item_id": ids["کتری برقی"]
        }
        assert await form.validate_item_id("تیشرت", dispatcher, tracker, {}) == {"item_id": ids["تی‌شرت نخی"]}
        assert await form.validate_item_id("یه چیز دیگه", dispatcher, tracker, {}) == {"item_id": None}
        assert dispatcher.messages == []
        assert await form.validate_item_id("رژ لب", dispatcher, tracker, {}) == {"item_id": None}
    assert responses(dispatcher.messages) == ["utter_return_not_eligible"]
    assert dispatcher.messages[0]["reason_fa"] == "«رژ لب» از کالاهای غیرقابل مرجوع است (آرایشی و بهداشتی)"


async def test_the_form_maps_typed_reasons_and_refuses_unclear_ones(sara: TurnContext) -> None:
    form, dispatcher, tracker = ValidateReturnForm(), CollectingDispatcher(), make_tracker()
    assert await form.validate_return_reason("damaged", dispatcher, tracker, {}) == {
        "return_reason": "damaged"
    }
    assert await form.validate_return_reason("سایزش بزرگه", dispatcher, tracker, {}) == {
        "return_reason": "wrong_size"
    }
    assert await form.validate_return_reason("همینطوری", dispatcher, tracker, {}) == {"return_reason": None}
    assert responses(dispatcher.messages) == ["utter_invalid_return_reason"]


async def test_the_form_validation_runs_as_the_engine_calls_it(sara: TurnContext) -> None:
    """rasa-sdk validates the trailing slot events, which the engine appends after the form's action."""
    ids = await item_ids(sara.session, "1000002")
    tracker = make_tracker(
        slots={"order_id": "1000002", "requested_slot": "item_id", "item_id": "کتری برقی"},
        text="کتری برقی",
        intent="nlu_fallback",
        active_loop="return_form",
        after=[
            {"event": "slot", "name": "requested_slot", "value": "item_id"},
            {"event": "action", "name": "return_form"},
            {"event": "slot", "name": "item_id", "value": "کتری برقی"},
        ],
    )
    events, _messages = await run(ValidateReturnForm(), tracker, sara)
    assert slots_set(events) == {"item_id": ids["کتری برقی"]}


# -- confirming and submitting -------------------------------------------------------------------------


def _collected(ids: dict[str, str], **slots: Any) -> Tracker:
    return make_tracker(
        slots={"order_id": "1000002", "item_id": ids["کتری برقی"], "return_reason": "damaged", **slots},
        text="/affirm",
        intent="affirm",
    )


async def test_the_confirmation_names_item_order_and_reason(sara: TurnContext) -> None:
    ids = await item_ids(sara.session, "1000002")
    events, messages = await run(ActionAskConfirmReturn(), _collected(ids, confirmed=True), sara)
    assert responses(messages) == ["utter_ask_confirm_return"]
    assert (messages[0]["item_title"], messages[0]["order_id_fa"], messages[0]["reason_fa"]) == (
        "کتری برقی",
        "۱۰۰۰۰۰۲",
        "آسیب‌دیده یا معیوب رسید",
    )
    # a stale answer must not confirm this question by itself
    assert slots_set(events) == {"confirmed": None, "pending_action": "return"}
    assert followup(events) == "confirm_form"


async def test_a_confirmed_return_is_stored_and_told_with_its_reference(sara: TurnContext) -> None:
    ids = await item_ids(sara.session, "1000002")
    events, messages = await run(ActionSubmitReturn(), _collected(ids, confirmed=True), sara)
    assert responses(messages) == ["utter_return_created"]
    stored = await sara.session.scalar(select(ReturnRequest))
    assert stored is not None
    assert messages[0]["reference"] == stored.reference
    assert (str(stored.order_item_id), stored.reason, stored.customer_id, stored.conversation_id) == (
        ids["کتری برقی"],
        "damaged",
        sara.customer_id,
        sara.conversation_id,
    )
    assert slots_set(events) == {
        "item_id": None,
        "return_reason": None,
        "confirmed": None,
        "pending_action": None,
    }


async def test_a_declined_return_stores_nothing(sara: TurnContext) -> None:
    ids = await item_ids(sara.session, "1000002")
    events, messages = await run(ActionSubmitReturn(), _collected(ids, confirmed=False), sara)
    assert responses(messages) == ["utter_kept"]
    assert await sara.session.scalar(select(func.count()).select_from(ReturnRequest)) == 0
    assert slots_set(events)["pending_action"] is None


async def test_the_same_item_is_not_returned_twice(sara: TurnContext) -> None:
    ids = await item_ids(sara.session, "1000002")
    await run(ActionSubmitReturn(), _collected(ids, confirmed=True), sara)
    _events, messages = await run(ActionSubmitReturn(), _collected(ids, confirmed=True), sara)
    assert responses(messages) == ["utter_return_not_eligible"]
    assert "قبلاً درخواست مرجوعی" in messages[0]["reason_fa"]
    assert await sara.session.scalar(select(func.count()).select_from(ReturnRequest)) == 1
