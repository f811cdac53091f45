"""Print the golden checksums that tests/encoders/test_vgg.py asserts (run after a weights change)."""

from painterly.weights import load_vgg19_state_dict

state, spec = load_vgg19_state_dict()
print(f"# {spec.name}")
print(f"GOLDEN_SUM = {sum(float(v.double().sum()) for v in state.values())!r}")
print(f"GOLDEN_ABS_SUM = {sum(float(v.double().abs().sum()) for v in state.values())!r}")
