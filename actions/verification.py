"""The one-time-code form (otp_form: phone, then the code sent to it), shared by flows that need a
verified customer. Whatever the phone, the answer is the same, so nobody learns whether it is known."""

from __future__ import annotations

from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import turn_scope
from actions.orders import phone_or_complain
from actions.support import hand_over
from bot.services import identity, otp
from bot.services.otp import CheckResult, SendResult
from bot.storage.models import Identity, VerificationMethod

STOP = {"requested_slot": None}  # a validator's way to end the form: nothing more will be asked
IDENTITY_CONFLICT = "identity_conflict"
VERIFIED = "verified"  # what otp_code holds once the form is done; the code itself is never kept


class ValidateOtpForm(FormValidationAction):
    def name(self) -> str:
        return "validate_otp_form"

    async def validate_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        phone = phone_or_complain(value, dispatcher)
        if phone is None:
            return {"phone": None}
        async with turn_scope(tracker) as ctx:
            sent = await otp.send_code(
                ctx.session,
                ctx.settings,
                identity_id=ctx.identity_id,
                phone=phone,
                conversation_id=ctx.conversation_id,
                now=ctx.now,
            )
        if sent is SendResult.RATE_LIMITED:
            dispatcher.utter_message(response="utter_otp_too_many")
            return {"phone": None, "otp_code": None, **STOP}
        return {"phone": phone, "otp_code": None}

    async def validate_otp_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = otp.read_code(str(value or ""))
        # A bare six-digit number is also read as an order number by NLU: keep the customer's order.
        kept = _restore_order_id(tracker, code)
        phone = tracker.get_slot("phone")
        if not phone or tracker.get_slot("otp_code") is None:
            # no phone yet, or validate_phone has just sent a code to a new one: ask for that code
            return {"otp_code": None, **kept}
        if code is None:
            dispatcher.utter_message(response="utter_otp_wrong")
            return {"otp_code": None, **kept}
        async with turn_scope(tracker) as ctx:
            result = await otp.check_code(
                ctx.session,
                ctx.settings,
                identity_id=ctx.identity_id,
                phone=str(phone),
                code=code,
                now=ctx.now,
            )
        linked = await _link(tracker, str(phone)) if result is CheckResult.OK else None
        if (
            result is CheckResult.OK and linked is None
        ):  # the identity belongs to someone else: a person decides
            events = await hand_over(dispatcher, tracker, IDENTITY_CONFLICT)
            slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
            return {"otp_code": None, **kept, **slots, **STOP}
        if result is CheckResult.OK:
            dispatcher.utter_message(response="utter_verified")
            return {"otp_code": VERIFIED, **kept}
        if result is CheckResult.LOCKED:
            dispatcher.utter_message(response="utter_otp_too_many")
            return {"otp_code": None, "phone": None, **kept, **STOP}
        dispatcher.utter_message(response="utter_otp_wrong")
        if result is CheckResult.EXPIRED:  # ask for the phone again, which sends a fresh code
            return {"otp_code": None, "phone": None, **kept}
        return {"otp_code": None, **kept}


async def _link(tracker: Tracker, phone: str) -> int | None:
    """Link the channel user to the owner of ``phone``; the customer id, or None on a conflict."""
    async with turn_scope(tracker) as ctx:
        channel_user = await ctx.session.get(Identity, ctx.identity_id)
        assert channel_user is not None
        try:
            linked = await identity.verify_with_phone(
                ctx.session, identity=channel_user, phone=phone, method=VerificationMethod.SMS_OTP
            )
        except identity.IdentityConflict:  # never moved silently (DESIGN §4)
            otp.record(ctx.session, "conflict", ctx.identity_id)
            return None
        ctx.customer_id = linked.customer_id  # the rest of this turn acts for the linked customer
        otp.record(ctx.session, "verified", ctx.identity_id, customer_id=linked.customer_id)
        return linked.customer_id


def _restore_order_id(tracker: Tracker, code: str | None) -> dict[str, Any]:
    """``{"order_id": previous}`` when NLU took the code for an order number, else ``{}``."""
    if code is None or tracker.get_slot("order_id") != code:
        return {}
    events = tracker.events
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=None)
    if last_user is None:
        return {}
    before = None
    for item in events[:last_user]:
        if item.get("event") == "slot" and item.get("name") == "order_id":
            before = item.get("value")
        elif item.get("event") in ("restart", "reset_slots"):
            before = None
    return {"order_id": before}
