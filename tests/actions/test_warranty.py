"""The warranty actions, each run on a rasa-sdk Tracker built by hand, against the known shop's data."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.context import TurnContext, bind_turn
from actions.warranty import (
    ActionAskConfirmWarrantyClaim,
    ActionAskFaultDescription,
    ActionStartWarrantyClaim,
    ActionSubmitWarrantyClaim,
    ActionWarrantyStatus,
    ValidateSerialForm,
    ValidateWarrantyClaimForm,
)
from bot.config import Settings
from bot.services import orders
from bot.storage.models import WarrantyClaim
from tests.actions.test_returns import followup, make_tracker, responses, run, slots_set, turn_context


@pytest.fixture
async def sara(session: AsyncSession, settings: Settings) -> TurnContext:
    return await turn_context(session, settings, verified=True)


@pytest.fixture
async def stranger(session: AsyncSession, settings: Settings) -> TurnContext:
    return await turn_context(session, settings, verified=False)


async def item_id(session: AsyncSession, number: str, title: str) -> str:
    order = await orders.get_order(session, number)
    assert order is not None
    return next(str(i.id) for i in order.items if i.title == title)


def status_request(text: str = "/warranty_status", **entities: str):  # type: ignore[no-untyped-def]
    return make_tracker(text=text, intent="warranty_status", entities=entities)


def claim_request(text: str = "/warranty_claim", **entities: str):  # type: ignore[no-untyped-def]
    return make_tracker(text=text, intent="warranty_claim", entities=entities)


# -- status --------------------------------------------------------------------------------------------


async def test_a_serial_tells_anyone_the_title_and_dates_only(stranger: TurnContext) -> None:
    events, messages = await run(ActionWarrantyStatus(), status_request(serial_number="KT77120QZ"), stranger)
    assert responses(messages) == ["utter_warranty_valid"]
    told = {k: v for k, v in messages[0].items() if k.endswith(("_fa", "_title"))}
    assert set(told) == {"item_title", "months_fa", "until_fa"}
    assert told["item_title"] == "کتری برقی" and told["months_fa"] == "۶"
    assert not any("۱۰۰۰۰۰۲" in str(v) or "1000002" in str(v) for v in messages[0].values())
    assert slots_set(events) == {"task": "warranty_status"}


async def test_an_expired_warranty_says_when_it_ended(stranger: TurnContext) -> None:
    _events, messages = await run(
        ActionWarrantyStatus(), status_request(serial_number="R58M41ABC2"), stranger
    )
    assert responses(messages) == ["utter_warranty_expired"]
    assert messages[0]["item_title"] == "گوشی سامسونگ A55"


async def test_an_unknown_serial_is_not_found(stranger: TurnContext) -> None:
    events, messages = await run(ActionWarrantyStatus(), status_request(serial_number="ZZ99999ZZ"), stranger)
    assert responses(messages) == ["utter_serial_not_found"]
    assert slots_set(events)["serial_number"] is None


async def test_without_a_serial_an_unverified_customer_is_asked_for_one(stranger: TurnContext) -> None:
    # a serial remembered from earlier is not taken for the answer to a new question
    tracker = make_tracker(intent="warranty_status", slots={"serial_number": "R58M41ABC2"})
    events, messages = await run(ActionWarrantyStatus(), tracker, stranger)
    assert messages == []
    assert slots_set(events)["serial_number"] is None
    assert followup(events) == "serial_form"


async def test_a_verified_customer_picks_from_their_items_with_warranty(sara: TurnContext) -> None:
    _events, messages = await run(ActionWarrantyStatus(), status_request(), sara)
    assert responses(messages) == ["utter_ask_warranty_item"]
    assert messages[0]["buttons"] == [
        {"title": "کتری برقی", "payload": '/choose{"serial_number":"KT77120QZ"}'},
        {"title": "گوشی سامسونگ A55", "payload": '/choose{"serial_number":"R58M41ABC2"}'},
    ]


async def test_an_item_without_warranty_says_so(sara: TurnContext) -> None:
    shirt = await item_id(sara.session, "1000002", "تی‌شرت نخی")
    _events, messages = await run(
        ActionWarrantyStatus(), status_request(f"/choose{shirt}", item_id=shirt), sara
    )
    assert responses(messages) == ["utter_warranty_none"]


async def test_another_customers_item_id_is_not_answered(sara: TurnContext) -> None:
    theirs = await item_id(sara.session, "2000001", "هدفون بی‌سیم شیائومی")
    _events, messages = await run(ActionWarrantyStatus(), status_request("/choose", item_id=theirs), sara)
    assert responses(messages) == ["utter_ask_warranty_item"]  # their own list instead


async def test_the_serial_form_normalises_what_was_typed() -> None:
    form = ValidateSerialForm()
    assert await form.validate_serial_number(" kt-77120qz ", None, make_tracker(), {}) == {
        "serial_number": "KT77120QZ"
    }  # type: ignore[arg-type]


# -- claim ---------------------------------------------------------------------------------------------


async def test_a_message_naming_the_item_and_the_fault_skips_both_questions(sara: TurnContext) -> None:
    kettle = await item_id(sara.session, "1000002", "کتری برقی")
    events, messages = await run(
        ActionStartWarrantyClaim(), claim_request("کتری برقی آب رو گرم نمیکنه"), sara
    )
    assert messages == []
    assert slots_set(events)["task"] == "warranty_claim"
    assert slots_set(events)["item_id"] == kettle
    assert slots_set(events)["fault_description"] == "کتری برقی آب رو گرم نمیکنه"
    assert followup(events) == "warranty_claim_form"


async def test_a_claim_without_a_description_leaves_the_form_to_ask(sara: TurnContext) -> None:
    tracker = claim_request("/choose", serial_number="KT77120QZ")
    events, _messages = await run(ActionStartWarrantyClaim(), tracker, sara)
    assert slots_set(events)["fault_description"] is None
    assert followup(events) == "warranty_claim_form"


async def test_an_expired_claim_offers_paid_repair_through_a_person(sara: TurnContext) -> None:
    events, messages = await run(ActionStartWarrantyClaim(), claim_request("گوشیم شارژ نمیگیره"), sara)
    assert responses(messages) == ["utter_warranty_claim_expired"]
    assert messages[0]["item_title"] == "گوشی سامسونگ A55" and messages[0]["until_fa"]
    assert slots_set(events)["handoff_reason"] == "not_eligible"
    assert followup(events) is None


async def test_a_claim_on_an_item_without_warranty_says_it_has_none(sara: TurnContext) -> None:
    shirt = await item_id(sara.session, "1000002", "تی‌شرت نخی")
    events, messages = await run(ActionStartWarrantyClaim(), claim_request("/choose", item_id=shirt), sara)
    assert responses(messages) == ["utter_warranty_none"]
    assert followup(events) is None


async def test_another_customers_serial_is_unknown_to_a_claim(sara: TurnContext) -> None:
    events, messages = await run(ActionStartWarrantyClaim(), claim_request(serial_number="XM5K11111"), sara)
    assert responses(messages) == ["utter_serial_not_found"]
    assert followup(events) is None


async def test_an_unverified_claim_opens_the_order_then_finds_the_serial(stranger: TurnContext) -> None:
    events, _messages = await run(
        ActionStartWarrantyClaim(), claim_request(serial_number="KT77120QZ"), stranger
    )
    assert followup(events) == "order_access_form"
    assert "serial_number" not in slots_set(events)  # kept for after the form
    opened = make_tracker(
        text="09121234567",
        intent="inform",
        slots={
            "serial_number": "KT77120QZ",
            "order_id": "1000002",
            "unlocked_orders": ["1000002"],
            "task": "warranty_claim",
        },
        after=[{"event": "action", "name": "order_access_form"}],
    )
    events, _messages = await run(ActionStartWarrantyClaim(), opened, stranger)
    assert followup(events) == "warranty_claim_form"


async def test_the_fault_question_names_the_item(sara: TurnContext) -> None:
    kettle = await item_id(sara.session, "1000002", "کتری برقی")
    tracker = make_tracker(slots={"item_id": kettle}, active_loop="warranty_claim_form")
    _events, messages = await run(ActionAskFaultDescription(), tracker, sara)
    assert responses(messages) == ["utter_ask_fault_description"]
    assert messages[0]["item_title"] == "کتری برقی"


async def test_the_claim_form_checks_the_item_and_the_description(sara: TurnContext) -> None:
    kettle = await item_id(sara.session, "1000002", "کتری برقی")
    phone = await item_id(sara.session, "1000003", "گوشی سامسونگ A55")
    form = ValidateWarrantyClaimForm()
    with bind_turn(sara):
        assert await form.validate_item_id(kettle, None, make_tracker(), {}) == {"item_id": kettle}  # type: ignore[arg-type]
        assert await form.validate_item_id(phone, None, make_tracker(), {}) == {"item_id": None}  # type: ignore[arg-type]
    assert await form.validate_fault_description(" no ", None, make_tracker(), {}) == {
        "fault_description": None
    }  # type: ignore[arg-type]
    assert await form.validate_fault_description(" روشن\n نمیشه ", None, make_tracker(), {}) == {  # type: ignore[arg-type]
        "fault_description": "روشن نمیشه"
    }


async def test_a_long_fault_is_shortened_in_the_question(sara: TurnContext) -> None:
    kettle = await item_id(sara.session, "1000002", "کتری برقی")
    fault = "آب رو گرم نمیکنه " * 10
    tracker = make_tracker(slots={"item_id": kettle, "fault_description": fault})
    events, messages = await run(ActionAskConfirmWarrantyClaim(), tracker, sara)
    assert len(messages[0]["fault_short"]) == 80 and messages[0]["fault_short"].endswith("…")
    assert slots_set(events) == {"confirmed": None, "pending_action": "warranty_claim"}
    assert followup(events) == "confirm_form"


async def test_a_confirmed_claim_is_stored_and_a_declined_one_is_not(sara: TurnContext) -> None:
    kettle = await item_id(sara.session, "1000002", "کتری برقی")
    slots = {"item_id": kettle, "fault_description": "آب رو گرم نمیکنه"}
    _events, declined = await run(
        ActionSubmitWarrantyClaim(), make_tracker(slots={**slots, "confirmed": False}), sara
    )
    assert responses(declined) == ["utter_kept"]
    assert await sara.session.scalar(select(func.count()).select_from(WarrantyClaim)) == 0
    events, messages = await run(
        ActionSubmitWarrantyClaim(), make_tracker(slots={**slots, "confirmed": True}), sara
    )
    claim = await sara.session.scalar(select(WarrantyClaim))
    assert claim is not None and responses(messages) == ["utter_warranty_claim_created"]
    assert messages[0]["reference"] == claim.reference
    assert (str(claim.order_item_id), claim.fault_description, claim.customer_id) == (
        kettle,
        "آب رو گرم نمیکنه",
        sara.customer_id,
    )
    assert slots_set(events) == {
        "item_id": None,
        "fault_description": None,
        "confirmed": None,
        "pending_action": None,
    }
