"""Local stand-in of the Telegram Bot API, for tests and benchmarks (no internet).

Main entry points:

- :class:`BotApiStandIn` (``bot_api.py``): the HTTP server PTB talks to, with call recording,
  waiting, update injection (getUpdates or webhook) and scripted failures.
- ``updates.py``: factories for incoming update dicts.
"""

from .bot_api import BotApiStandIn, free_port
from .objects import BOT_USER, Upload
from .recording import SEND_METHODS, Call

__all__ = ["BOT_USER", "SEND_METHODS", "BotApiStandIn", "Call", "Upload", "free_port"]
