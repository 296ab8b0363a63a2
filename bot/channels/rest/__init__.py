"""Rasa's REST channel: ``POST /webhooks/rest/webhook`` answers with the bot's replies after the turn."""

from bot.channels.rest.adapter import RestChannel, RestMessageIn

__all__ = ["RestChannel", "RestMessageIn"]
