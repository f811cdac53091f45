"""Real camera photos (6–9 MP from ``../shared/data/photos/highres``) through the CLI and the Python API.

The fast suite's tiny images decode and save in a millisecond; these exercise the same paths at the
sizes users send: full-resolution decoding, EXIF orientation, the memory check, writing large results.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import painterly
from painterly.cli import main
from painterly.provenance import record_from_image


def _largest(shared_data: Path, count: int = 1) -> list[Path]:
    photos = sorted((shared_data / "photos" / "highres").glob("*.jpg"), key=lambda p: -p.stat().st_size)
    if len(photos) < count:
        pytest.skip("need photos in photos/highres")
    return photos[:count]


@pytest.mark.slow
def test_cli_full_resolution_feedforward(tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 7–9 MP photo at its own size: the result has the photo's (upright) size and carries its record."""
    photo = _largest(shared_data)[0]
    output = tmp_path / "out.jpg"
    assert main(["stylize", str(photo), "--method", "feedforward", "--model", "cliff_walk", "-o", str(output),
                 "-q"]) == 0, capsys.readouterr().err  # fmt: skip
    with Image.open(photo) as original:
        upright = original.size if original.getexif().get(0x0112, 1) in (1, 2, 3, 4) else original.size[::-1]
    with Image.open(output) as result:
        assert result.size == upright and result.width * result.height > 5_000_000
        assert np.asarray(result.convert("L")).std() > 10  # a picture, not a blank
    assert record_from_image(output)["settings"]["model"] == "cliff_walk"  # type: ignore[index]


@pytest.mark.slow
def test_cli_several_real_photos_into_a_folder(tmp_path: Path, shared_data: Path) -> None:
    photos = _largest(shared_data, 3)
    folder = tmp_path / "out"
    folder.mkdir()
    argv = ["stylize", *map(str, photos), "--method", "feedforward", "--model", "starry_night", "--size", "1024",
            "-o", f"{folder}/", "-q"]  # fmt: skip
    assert main(argv) == 0
    results = sorted(folder.iterdir())
    assert [path.name for path in results] == sorted(f"{p.stem}_starry_night.png" for p in photos)
    for path in results:
        with Image.open(path) as result:
            assert max(result.size) == 1024


@pytest.mark.slow
def test_api_real_photo_and_painting(shared_data: Path) -> None:
    """The Python API on a camera photo and a real painting: AdaIN at 1024 px takes the painting's palette."""
    photo, painting = _largest(shared_data)[0], shared_data / "classic" / "the_scream.jpg"
    result = painterly.load("adain")(photo, [painting], size=1024)
    assert max(result.size) == 1024
    plain = painterly.load("adain")(photo, [painting], size=1024, style_colors=False)
    scream = np.asarray(Image.open(painting).convert("RGB"), dtype=np.float32).reshape(-1, 3).mean(0)

    def distance(image: Image.Image) -> float:
        return float(np.abs(np.asarray(image, dtype=np.float32).reshape(-1, 3).mean(0) - scream).sum())

    assert distance(result) < distance(plain)


@pytest.mark.slow
def test_batch_of_real_photos_at_full_size_then_resumed(tmp_path: Path, shared_data: Path) -> None:
    """`painterly batch` on a folder of three 7–9 MP photos at their own size (tiled), then rerun: all skipped."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for photo in _largest(shared_data, 3):
        (folder / photo.name).symlink_to(photo)
    argv = ["batch", str(folder), "-o", str(tmp_path / "out"), "-m", "feedforward", "--model", "udnie", "-q"]
    assert main(argv) == 0
    results = sorted((tmp_path / "out").glob("*.png"))
    assert len(results) == 3
    for path in results:
        with Image.open(path) as result:
            assert result.width * result.height > 5_000_000
    assert main(argv) == 0
    lines = (tmp_path / "out" / "report.jsonl").read_text().splitlines()
    assert [line.count('"skipped"') for line in lines[3:]] == [1, 1, 1]


@pytest.mark.slow
def test_adain_at_12_megapixels_in_tiles(tmp_path: Path, shared_data: Path) -> None:
    """A 12 MP result by adain runs in tiles (progress by tile) and keeps the photo's size."""
    with Image.open(_largest(shared_data)[0]) as original:
        photo = original.convert("RGB").resize((4032, 3024))
    events: list[painterly.ProgressEvent] = []
    result = painterly.load("adain")(photo, shared_data / "classic" / "starry_night.jpg", callback=events.append)
    assert result.size == (4032, 3024)
    assert sum("tile" in event.stage for event in events) > 20
    assert np.asarray(result.convert("L")).std() > 10


@pytest.mark.slow
def test_feedforward_tiles_of_a_real_photo_match_the_whole_result(shared_data: Path) -> None:
    """At 1632×1224 the 2048 px thumbnail is the photo itself, so its statistics are exact: tiles (the
    network with them folded into its convolutions) and one whole pass (norms measured per layer) differ
    by rounding only (bench/results/highres.md: mean 0.0023 in bfloat16)."""
    with Image.open(_largest(shared_data)[0]) as original:
        photo = original.convert("RGB").resize((1632, 1224))
    stylizer = painterly.load("feedforward", model="starry_night")
    whole = stylizer(photo, [], output="tensor", tile=-1)
    events: list[painterly.ProgressEvent] = []
    tiled = stylizer(photo, [], output="tensor", tile=560, callback=events.append)
    assert sum("tile" in event.stage for event in events) >= 9
    difference = (whole - tiled).abs()
    assert float(difference.mean()) < 0.005 and float(difference.max()) < 0.15
    assert float(whole.std()) > 0.05  # a picture, not a blank


@pytest.mark.slow
def test_batch_of_a_real_photo_and_a_real_clip(tmp_path: Path, shared_data: Path) -> None:
    """A 7–9 MP photo and a real clip with sound in one `painterly batch` manifest; a rerun skips both."""
    import av

    from painterly.provenance import record_from_video

    clip = shared_data / "videos" / "friday.mp4"  # 640×480, 30 frames/s, with audio
    if not clip.is_file():
        pytest.skip("need videos/friday.mp4 in the shared data")
    photo = _largest(shared_data)[0]
    manifest = tmp_path / "jobs.jsonl"
    manifest.write_text(f'{{"photo": "{photo}"}}\n{{"photo": "{clip}", "settings": {{"start": 1, "duration": 2}}}}\n')
    argv = ["batch", "--manifest", str(manifest), "-o", str(tmp_path / "out"), "-m", "feedforward",
            "--model", "udnie", "-q"]  # fmt: skip
    assert main(argv) == 0
    with Image.open(tmp_path / "out" / f"{photo.stem}_udnie.png") as result:
        assert result.width * result.height > 5_000_000  # the photo at its own size
    styled = tmp_path / "out" / "friday_udnie.mp4"
    with av.open(str(styled)) as container:
        frames = sum(1 for _ in container.decode(video=0))
        assert container.streams.audio, "the clip's sound is kept"
    assert 58 <= frames <= 61  # two seconds at 30 frames/s
    record = record_from_video(styled)
    assert record is not None and record["video"]["start"] == 1
    assert main(argv) == 0
    lines = (tmp_path / "out" / "report.jsonl").read_text().splitlines()
    assert [line.count('"skipped"') for line in lines[2:]] == [1, 1]


@pytest.mark.slow
def test_margin_model_on_a_real_photo_whole_and_in_tiles(shared_data: Path) -> None:
    """arlesiennes runs inside its 32 px margin: at 1632×1224 the result keeps the photo's size, its tiles
    (the margin taken around the whole photo, not each tile) match the whole pass, and the right edge is
    no brighter red than the strip beside it (the band its predecessor painted there)."""
    with Image.open(_largest(shared_data)[0]) as original:
        photo = original.convert("RGB").resize((1632, 1224))
    stylizer = painterly.load("feedforward", model="arlesiennes")
    assert stylizer.margin == 32
    whole = stylizer(photo, [], output="tensor", tile=-1)
    tiled = stylizer(photo, [], output="tensor", tile=560)
    assert whole.shape[-2:] == (1224, 1632)
    assert float((whole - tiled).abs().mean()) < 0.005
    redness = whole[..., 0, :, :] - whole[..., 1:, :, :].mean(dim=-3)
    assert float(redness[..., -12:].mean()) < float(redness[..., -60:-12].mean()) + 0.1


@pytest.mark.slow
def test_optimize_from_a_one_pass_start_on_a_real_photo(shared_data: Path) -> None:
    """optimize --init wct on a camera photo at 1024 px: the full-size one-pass start and its carried detail
    give a result of the right size that is closer to the painting's style than the photo."""
    from painterly.encoders import get_encoder
    from painterly.metrics import gram_ratio

    with Image.open(_largest(shared_data)[0]) as original:
        photo = original.convert("RGB")
    painting = Image.open(shared_data / "classic" / "starry_night.jpg").convert("RGB")
    result = painterly.load("optimize", init="wct", size=1024, scales=(0.5, 1.0), steps=(3, 2))(photo, [painting])
    assert max(result.size) == 1024
    assert gram_ratio(get_encoder(), result, photo, painting) < 0.5


@pytest.mark.slow
def test_cli_style_colors_real_photo(tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """arlesiennes takes its painting's palette by default and `--style-colors false` keeps the network's: at
    2048 px (in tiles, one colour transform for the whole) the default's RGB variances are the painting's."""
    from painterly.color import color_statistics
    from painterly.image_io import image_to_tensor
    from painterly.methods.feedforward import load_stylenet

    photo = _largest(shared_data)[0]
    variances = {}
    for choice in ("default", "false"):
        output = tmp_path / f"{choice}.png"
        extra = [] if choice == "default" else ["--style-colors", "false"]
        argv = ["stylize", str(photo), "-m", "feedforward", "--model", "arlesiennes", "--size", "2048", "--tile", "640",
                "-o", str(output), "-q", *extra]  # fmt: skip
        assert main(argv) == 0, capsys.readouterr().err
        with Image.open(output) as result:
            assert max(result.size) == 2048
            variances[choice] = color_statistics([image_to_tensor(result.convert("RGB"))], [1.0])[1].diagonal()
    painting = np.array(load_stylenet("arlesiennes")[1]["palettes"][0]["covariance"]).diagonal()
    assert np.allclose(variances["default"].numpy(), painting, rtol=0.05)
    assert (variances["false"].numpy() < 0.9 * painting).all()  # the network alone is flatter (measured ≈ 0.7×)
