"""``pishkhan demo-data``: deterministic, realistic Persian demo data for a support bot's shop.

``generate`` plans everything from one seed and one moment (``plan``: customers, orders, chats), then
stores it through the same services the shop feed and the channels use (``loader``); ``load_into`` is
the command's edge and commits once.
"""

from bot.demo.loader import DemoDataExists, generate, load_into
from bot.demo.summary import DemoSummary

__all__ = ["DemoDataExists", "DemoSummary", "generate", "load_into"]
