"""Duban without its durable inbox, for bench/throughput.py --inbox only.

The same Application as `python -m bot` (handlers, database, outbox), fed by PTB's own
Updater (which confirms a batch before handling it) instead of bot/intake's receiver
and worker: the difference in throughput is what the inbox costs per update.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update
from telegram.ext import Updater

from bot.app import build_application
from bot.logs import setup_logging
from runtime.config import load_settings


async def main() -> None:
    settings = load_settings()
    setup_logging(settings.log_level, [settings.token or ""])
    app = build_application(settings)
    updater = Updater(app.bot, app.update_queue)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await updater.initialize()
    await updater.start_polling(poll_interval=0, timeout=10, allowed_updates=Update.ALL_TYPES)
    await app.start()
    await stop.wait()
    await updater.stop()
    await app.stop()
    await updater.shutdown()
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)


if __name__ == "__main__":
    asyncio.run(main())
