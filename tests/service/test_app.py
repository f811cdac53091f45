"""The REST API: a job end to end, and every error code with its body."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from images import make_photo
from PIL import Image
from service_helpers import FAST_SETTINGS, job_files, png_bytes, wait_for


class TestJobLifecycle:
    def test_submit_progress_result(self, client) -> None:  # type: ignore[no-untyped-def]
        response = client.post("/api/jobs", files=job_files(), data={"method": "optimize", "settings": FAST_SETTINGS})
        assert response.status_code == 201, response.text
        job = response.json()
        assert job["state"] in ("queued", "running") and len(job["id"]) == 32
        done = wait_for(client, job["id"])
        assert done["state"] == "done" and done["progress"] == 1.0
        result = client.get(f"/api/jobs/{job['id']}/result")
        assert result.status_code == 200 and result.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(result.content)).size == (32, 24)
        preview = client.get(f"/api/jobs/{job['id']}/preview")
        assert preview.status_code == 404  # 2 steps: no preview (every 10 steps by default)
        events = client.get(f"/api/jobs/{job['id']}/events")
        assert events.headers["content-type"].startswith("text/event-stream")
        assert '"state": "done"' in events.text

    def test_previews_of_long_optimizations(self, client) -> None:  # type: ignore[no-untyped-def]
        settings = '{"size": 32, "scales": [1.0], "steps": [12]}'
        job = client.post("/api/jobs", files=job_files(), data={"settings": settings}).json()
        assert wait_for(client, job["id"])["state"] == "done"
        preview = client.get(f"/api/jobs/{job['id']}/preview")
        assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"

    def test_two_styles_with_weights(self, client) -> None:  # type: ignore[no-untyped-def]
        files = job_files(styles=[png_bytes(make_photo(seed=3)), png_bytes(make_photo(seed=4))])
        response = client.post("/api/jobs", files=files, data={"settings": FAST_SETTINGS, "style_weights": "0.7,0.3"})
        assert response.status_code == 201, response.text
        assert wait_for(client, response.json()["id"])["state"] == "done"

    def test_models(self, client) -> None:  # type: ignore[no-untyped-def]
        methods = client.get("/api/models").json()["methods"]
        assert {"optimize", "adain"} <= set(methods)
        names = {field["name"] for field in methods["optimize"]["settings"]}
        assert {"style_weight", "size", "quality", "preserve_color"} <= names
        trained = {model["name"]: model for model in client.get("/api/models").json()["models"]}
        painting = trained["the_scream"]["paintings"][0]
        assert (painting["title"], painting["painter"], painting["year"]) == ("The Scream", "Edvard Munch", "1893")

    def test_models_state_the_largest_size(self, make_client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        import painterly.memory

        client = make_client(workers=0, max_size=8192)
        methods = client.get("/api/models").json()["methods"]
        assert all(16 <= method["max_size"] <= 8192 for method in methods.values())
        # The limit follows the memory free; with tiles, 3 GB is enough for 4096 px by every method.
        sizes = {}
        for gigabytes in (1.2, 3):
            monkeypatch.setattr(painterly.memory, "available_memory", lambda free=gigabytes: int(free * 1024**3))
            sizes[gigabytes] = {name: m["max_size"] for name, m in client.get("/api/models").json()["methods"].items()}
        assert all(sizes[3][name] >= 4096 for name in ("adain", "wct", "optimize"))
        assert all(512 <= sizes[1.2][name] < sizes[3][name] for name in ("adain", "wct", "optimize"))

    def test_enlarged_and_bounded_results_are_noted(self, make_client) -> None:  # type: ignore[no-untyped-def]
        client = make_client(workers=0, max_size=40)
        enlarged = client.post("/api/jobs", files=job_files(), data={"method": "adain", "settings": '{"size": 128}'})
        assert enlarged.status_code == 422  # over this server's 40 px
        bounded = client.post("/api/jobs", files=job_files(photo=png_bytes(make_photo(80, 60))),
                              data={"method": "adain"}).json()  # fmt: skip
        assert bounded["settings"]["size"] == 40 and "limit" in bounded["notes"][0]
        small = client.post("/api/jobs", files=job_files(photo=png_bytes(make_photo(20, 16))),
                            data={"method": "adain", "settings": '{"size": 40}'}).json()  # fmt: skip
        assert small["notes"] == ["the result is enlarged 2.0× from the photo's 20×16"]
        assert client.get(f"/api/jobs/{small['id']}").json()["notes"] == small["notes"]

    def test_page_and_openapi(self, client) -> None:  # type: ignore[no-untyped-def]
        assert "<form" in client.get("/").text
        paths = client.get("/openapi.json").json()["paths"]
        assert "/api/jobs" in paths
        for path, operations in paths.items():  # every call says what it does
            for verb, operation in operations.items():
                assert operation.get("description"), f"{verb.upper()} {path} has no description"
        submitted = paths["/api/jobs"]["post"]["responses"]["201"]["content"]["application/json"]["example"]
        assert submitted["state"] == "queued"
        listed = paths["/api/jobs"]["get"]["responses"]["200"]["content"]["application/json"]["example"]
        assert listed["jobs"][0]["settings"]["model"] == "starry_night"

    @pytest.mark.parametrize(("path", "assets"), [
        ("/docs", ["/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css", "/static/favicon.svg"]),
        ("/redoc", ["/docs/assets/redoc.standalone.js", "/static/favicon.svg"]),
    ])  # fmt: skip
    def test_api_docs_load_nothing_from_elsewhere(self, client, path: str, assets: list[str]) -> None:  # type: ignore[no-untyped-def]
        page = client.get(path)
        assert page.status_code == 200 and "/openapi.json" in page.text
        assert "cdn." not in page.text and "https://" not in page.text  # every asset from this server
        for asset in assets:
            assert asset in page.text
            response = client.get(asset)
            assert response.status_code == 200 and len(response.content) > 100, asset


class TestPhoto:
    def test_the_photo_comes_back_as_sent(self, make_client) -> None:  # type: ignore[no-untyped-def]
        client = make_client(workers=0)
        files = job_files()
        sent = files[0][1][1]
        job = client.post("/api/jobs", files=files, data={"settings": FAST_SETTINGS}).json()
        response = client.get(f"/api/jobs/{job['id']}/photo")
        assert response.status_code == 200 and response.content == sent
        assert response.headers["content-type"] == "image/png"
        assert client.get("/api/jobs/0123456789abcdef0123456789abcdef/photo").status_code == 404


class TestHistory:
    def test_newest_first_in_pages_with_filters(self, make_client) -> None:  # type: ignore[no-untyped-def]
        client = make_client(workers=0)  # nothing runs: the jobs stay queued unless cancelled
        ids = [client.post("/api/jobs", files=job_files(), data={"settings": FAST_SETTINGS}).json()["id"]
               for _ in range(5)]  # fmt: skip
        client.delete(f"/api/jobs/{ids[1]}")  # cancelled
        first = client.get("/api/jobs", params={"limit": 2}).json()
        assert first["total"] == 5 and [job["id"] for job in first["jobs"]] == ids[::-1][:2]
        second = client.get("/api/jobs", params={"limit": 2, "offset": 2}).json()
        assert [job["id"] for job in second["jobs"]] == ids[::-1][2:4]
        cancelled = client.get("/api/jobs", params={"state": "cancelled"}).json()
        assert cancelled["total"] == 1 and cancelled["jobs"][0]["id"] == ids[1]
        assert cancelled["jobs"][0]["settings"]["size"] == 32  # the settings that made it, to run it again
        assert client.get("/api/jobs", params={"method": "adain"}).json()["total"] == 0
        assert client.get("/api/jobs", params={"kind": "video"}).json()["jobs"] == []

    @pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"state": "lost"},
                                        {"kind": "audio"}])  # fmt: skip
    def test_bad_paging_and_filters_are_422(self, client, params) -> None:  # type: ignore[no-untyped-def]
        response = client.get("/api/jobs", params=params)
        assert response.status_code == 422 and next(iter(params)) in response.json()["detail"]


class TestCancelAndDelete:
    def test_cancel_queued(self, make_client) -> None:  # type: ignore[no-untyped-def]
        client = make_client(workers=0)
        job = client.post("/api/jobs", files=job_files(), data={"settings": FAST_SETTINGS}).json()
        cancelled = client.delete(f"/api/jobs/{job['id']}").json()
        assert cancelled["state"] == "cancelled"
        assert client.get(f"/api/jobs/{job['id']}/result").status_code == 409

    def test_cancel_running(self, client) -> None:  # type: ignore[no-untyped-def]
        slow = '{"size": 64, "scales": [1.0], "steps": [400]}'
        job = client.post("/api/jobs", files=job_files(), data={"settings": slow}).json()
        for _ in range(100):
            if client.get(f"/api/jobs/{job['id']}").json()["state"] == "running":
                break
            import time

            time.sleep(0.05)
        client.delete(f"/api/jobs/{job['id']}")
        finished = wait_for(client, job["id"])
        assert finished["state"] == "cancelled" and finished["progress"] < 1.0

    def test_delete_finished_removes_files(self, client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        job = client.post("/api/jobs", files=job_files(), data={"settings": FAST_SETTINGS}).json()
        wait_for(client, job["id"])
        assert client.delete(f"/api/jobs/{job['id']}").json() == {"id": job["id"], "deleted": True}
        assert client.get(f"/api/jobs/{job['id']}").status_code == 404
        assert not (tmp_path / "service" / "jobs" / job["id"]).exists()


class TestErrors:
    def test_413_upload_too_large(self, make_client) -> None:  # type: ignore[no-untyped-def]
        client = make_client(max_upload_bytes=2000)
        response = client.post("/api/jobs", files=job_files(photo=png_bytes(make_photo(200, 200))))
        assert response.status_code == 413 and "larger than 2,000 bytes" in response.json()["detail"]

    def test_413_too_many_pixels(self, make_client) -> None:  # type: ignore[no-untyped-def]
        client = make_client(max_pixels=1000)
        response = client.post("/api/jobs", files=job_files())
        assert response.status_code == 413 and "over the limit" in response.json()["detail"]

    def test_415_not_an_image_whatever_the_name(self, client) -> None:  # type: ignore[no-untyped-def]
        response = client.post("/api/jobs", files=job_files(photo=b"GIF89a but really just text"))
        assert response.status_code == 415 and "not an image" in response.json()["detail"]

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"settings": '{"style_weight": -1}'}, "style_weight", "finite number ≥ 0"),
            ({"settings": '{"quality": "ultra"}'}, "quality", "not one of draft, normal, high"),
            ({"settings": '{"colour": 1}'}, "colour", "unknown setting"),
            ({"settings": "not json"}, "settings", "JSON object"),
            ({"settings": '{"init": "/etc/passwd"}'}, "init", "does not open files named by clients"),
            ({"method": "adain", "settings": '{"alpha": 2}'}, "alpha", "within 0..1"),
            ({"style_weights": "1,2"}, "style_weights", "2 weights for 1 styles"),
        ],
    )
    def test_422_names_the_field(self, client, data, field: str, message: str) -> None:  # type: ignore[no-untyped-def]
        response = client.post("/api/jobs", files=job_files(), data=data)
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["field"] == field and message in body["detail"]

    def test_422_unknown_method(self, client) -> None:  # type: ignore[no-untyped-def]
        response = client.post("/api/jobs", files=job_files(), data={"method": "magic"})
        assert response.status_code == 422 and "unknown method 'magic'" in response.json()["detail"]

    def test_429_queue_full(self, make_client) -> None:  # type: ignore[no-untyped-def]
        client = make_client(workers=0, max_queued=2)
        for _ in range(2):
            assert client.post("/api/jobs", files=job_files()).status_code == 201
        response = client.post("/api/jobs", files=job_files())
        assert response.status_code == 429 and "queue is full" in response.json()["detail"]

    def test_404_and_no_traversal(self, client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        assert client.get("/api/jobs/0123456789abcdef0123456789abcdef").status_code == 404
        assert client.get("/api/jobs/..%2F..%2Fjobs.sqlite3/result").status_code == 404
        files = [("photo", ("../../escape.png", png_bytes(make_photo()), "image/png")),
                 ("styles", ("../../../style.png", png_bytes(make_photo()), "image/png"))]  # fmt: skip
        job = client.post("/api/jobs", files=files, data={"settings": FAST_SETTINGS}).json()
        stored = sorted(p.name for p in (tmp_path / "service" / "jobs" / job["id"]).iterdir())
        assert "photo.png" in stored and "style_0.png" in stored
        assert not (tmp_path / "escape.png").exists() and not (tmp_path / "service" / "escape.png").exists()

    def test_result_before_done_is_409(self, make_client) -> None:  # type: ignore[no-untyped-def]
        client = make_client(workers=0)
        job = client.post("/api/jobs", files=job_files()).json()
        response = client.get(f"/api/jobs/{job['id']}/result")
        assert response.status_code == 409 and "queued" in response.json()["detail"]


class TestTrainedModelJobs:
    @pytest.fixture
    def with_model(self, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
        from painterly.model_files import save_model
        from painterly.nets.transformer import StyleNet

        monkeypatch.setenv("PAINTERLY_HOME", str(tmp_path / "home"))
        metadata = {"kind": "stylenet", "width": 8, "blocks": 1, "styles": [{"name": "a"}],
                    "previews": ["data:image/jpeg;base64,AAAA"]}  # fmt: skip
        save_model(tmp_path / "home" / "models" / "tiny.safetensors", StyleNet(1, width=8, blocks=1), metadata)

    def test_model_by_name_without_style_images(self, with_model, client) -> None:  # type: ignore[no-untyped-def]
        listing = client.get("/api/models").json()
        assert {"name": "tiny", "origin": "user", "kind": "stylenet", "styles": ["a"],
                "paintings": [{"style": "a", "title": "a"}],
                "previews": ["data:image/jpeg;base64,AAAA"]} in listing["models"]  # fmt: skip
        files = [("photo", ("p.png", png_bytes(make_photo()), "image/png"))]
        job = client.post("/api/jobs", files=files, data={"method": "feedforward", "settings": '{"model": "tiny"}'})
        assert job.status_code == 201, job.text
        assert wait_for(client, job.json()["id"])["state"] == "done"

    def test_model_paths_refused(self, with_model, client, tmp_path) -> None:  # type: ignore[no-untyped-def]
        settings = '{"model": "' + str(tmp_path / "home" / "models" / "tiny.safetensors") + '"}'
        files = [("photo", ("p.png", png_bytes(make_photo()), "image/png"))]
        response = client.post("/api/jobs", files=files, data={"method": "feedforward", "settings": settings})
        assert response.status_code == 422 and response.json()["field"] == "model"


class TestLoadedOnce:
    def test_worker_reuses_a_loaded_model(self, client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        from painterly import loading
        from painterly.methods import feedforward

        loading.clear_cache()
        loads = []
        original = feedforward.load_stylenet
        monkeypatch.setattr(feedforward, "load_stylenet", lambda name: loads.append(name) or original(name))
        ids = []
        for strength in (1.0, 0.5, 0.8):  # per-call options differ; the model is the same
            settings = f'{{"model": "cliff_walk", "size": 32, "strength": {strength}}}'
            response = client.post("/api/jobs", files=job_files(styles=[]), data={"method": "feedforward",
                                                                                  "settings": settings})  # fmt: skip
            ids.append(response.json()["id"])
        assert [wait_for(client, job_id)["state"] for job_id in ids] == ["done"] * 3
        assert loads == ["cliff_walk"]


def test_a_database_from_before_notes_still_opens(tmp_path: Path) -> None:
    import sqlite3

    from painterly.service.store import JobStore

    database = tmp_path / "jobs.sqlite3"
    old = sqlite3.connect(database)
    old.executescript(
        "CREATE TABLE jobs (id TEXT PRIMARY KEY, state TEXT NOT NULL, method TEXT NOT NULL, settings TEXT NOT NULL,"
        " style_weights TEXT, style_count INTEGER NOT NULL, created REAL NOT NULL, started REAL, finished REAL,"
        " progress REAL NOT NULL DEFAULT 0, stage TEXT NOT NULL DEFAULT '', error TEXT,"
        " attempts INTEGER NOT NULL DEFAULT 0);"
        "INSERT INTO jobs (id, state, method, settings, style_count, created)"
        " VALUES ('a', 'done', 'adain', '{}', 1, 0);"
    )
    old.commit()
    old.close()
    store = JobStore(database, tmp_path / "jobs")
    job = store.get("a")
    assert job is not None and job.notes == [] and job.state == "done"
    store.close()
