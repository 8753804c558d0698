"""Serves localstripe on the loopback address only: its own entry point
listens on every interface. Usage: serve.py PORT"""

import sys

from aiohttp import web
from localstripe.server import app

web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
