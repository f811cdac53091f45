"""Training data helpers: where each image came from and under which licence."""

from __future__ import annotations

from pathlib import Path

from painterly.training.data import licence_counts, provenance


def _data(tmp_path: Path) -> Path:
    (tmp_path / "data" / "styles").mkdir(parents=True)
    for name in ("wave.jpg", "fuji.jpg", "bridge.jpg"):
        (tmp_path / "data" / "styles" / name).write_bytes(b"x")
    (tmp_path / "data" / "manifest.csv").write_text(
        "file,width,height,source,repo,path,license\n"
        "styles/wave.jpg,1,1,met,o/r,img/wave.jpg,CC0\n"
        "styles/fuji.jpg,1,1,met,o/r,img/fuji.jpg,CC0\n"
        "styles/bridge.jpg,1,1,wikiart,o/r,img/bridge.jpg,varies\n"
    )
    return tmp_path / "data" / "styles"


def test_provenance_from_manifest(tmp_path: Path) -> None:
    info = provenance(str(_data(tmp_path) / "wave.jpg"))
    assert info["licence"] == "CC0" and info["source"] == "met" and info["file"] == "styles/wave.jpg"
    assert "unknown" in provenance(str(tmp_path / "elsewhere.jpg"))["licence"]


def test_licence_counts_most_common_first(tmp_path: Path) -> None:
    styles = _data(tmp_path)
    (tmp_path / "stray.jpg").write_bytes(b"x")
    counts = licence_counts([*sorted(styles.iterdir()), tmp_path / "stray.jpg"])
    assert list(counts.items())[:2] == [("CC0", 2), ("varies", 1)]
    assert sum(counts.values()) == 4 and any(key.startswith("unknown") for key in counts)
