"""Service fixtures: an app on a temporary data folder, and image uploads made in memory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from painterly.service.app import create_app
from painterly.service.config import ServiceConfig


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Any]:
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        config = ServiceConfig(data_dir=str(tmp_path / "service"), **overrides)
        client = TestClient(create_app(config), base_url="http://127.0.0.1:8000")  # a Host the guard accepts
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Any) -> TestClient:
    return make_client()  # type: ignore[no-any-return]
