"""Telegram, and Telegram-compatible messengers such as Bale (بله), through aiogram's Bot API client.

In: ``POST /webhooks/<name>`` or long polling → ``channel.TelegramChannel.receive`` → the inbound queue.
Out: the outbox → ``sender.TelegramSender``. ``plugin.make_plugins`` builds one channel per configured
messenger. Nothing is imported here, so ``pishkhan`` commands that never talk to Telegram start
without aiogram.
"""
