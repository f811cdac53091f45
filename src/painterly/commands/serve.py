"""``painterly serve``: the web app and REST API (default http://127.0.0.1:8000)."""

from __future__ import annotations

import argparse

from .._settings import setting_fields
from ._options import add_setting_options, settings_from_options

NAME = "serve"
HELP = "start the web app and REST API (default http://127.0.0.1:8000)"
ORDER = 30


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..service.config import ServiceConfig

    add_setting_options(parser, {NAME: setting_fields(ServiceConfig)})


def run(options: argparse.Namespace) -> int:
    import uvicorn

    from ..service.app import create_app
    from ..service.config import ServiceConfig

    config = settings_from_options(ServiceConfig, options)
    print(f"painterly serving on http://{config.host}:{config.port} (jobs in {config.root})", flush=True)
    uvicorn.run(create_app(config), host=config.host, port=config.port, log_level="warning")
    return 0
