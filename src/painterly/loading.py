"""Loading stylizers once per process: ``painterly.load(...)`` and the cache behind it.

What a stylizer loads (encoder weights, a decoder, a trained model, the precision, the
device) is its *load spec*; everything else is a per-call option. Stylizers are cached by
spec, so the CLI, the Python API, the service's workers and batch runs that ask for the
same thing share one loaded object, and a per-call option never reloads anything.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import torch

from ._settings import build_settings
from .devices import make_device
from .methods.base import LoadSpec, Stylizer, get_method

__all__ = ["clear_cache", "load"]

_CACHE_SIZE = 6  # a few models and encoders; each is 1–100 MB
_cache: OrderedDict[LoadSpec, Stylizer] = OrderedDict()
_lock = threading.Lock()


def load(method: str, *, device: torch.device | str = "cpu", **settings: Any) -> Stylizer:
    """A loaded stylizer for ``method``, shared with every other caller that loads the same thing.

    Args:
        method: a registered method name (``painterly.list_methods()``).
        device: where it computes; checked with a tiny allocation.
        **settings: load-time settings (``model=``, ``decoder=``, ``weights=``, ``precision=`` …) and,
            optionally, per-call defaults for this handle (``size=``, ``strength=`` …).

    Returns:
        A callable stylizer: ``stylizer(photo, styles, **options)``.

    Raises:
        ArgumentError: an unknown method or setting, or a value the method refuses.
        WeightsError: a model or weight file that cannot be loaded.
        DeviceError: a device this machine lacks.

    Example:
        >>> import painterly
        >>> stylizer = painterly.load("feedforward", model="hokusai_wave")  # doctest: +SKIP
        >>> stylizer("photo.jpg", size=512).save("out.png")  # doctest: +SKIP
    """
    stylizer_class = get_method(method)
    full = build_settings(stylizer_class.Settings, settings)  # validates everything, per-call values too
    load_names = stylizer_class.load_time_names()
    spec = stylizer_class.load_spec(full, make_device(device))
    with _lock:
        stylizer = _cache.get(spec)
        if stylizer is None:
            defaults = {name: value for name, value in settings.items() if name in load_names}
            stylizer = stylizer_class(build_settings(stylizer_class.Settings, defaults), device=device)
            _cache[spec] = stylizer
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
        _cache.move_to_end(spec)
    options = {name: value for name, value in settings.items() if name not in load_names}
    return stylizer.with_options(**options) if options else stylizer


def clear_cache() -> None:
    """Forget every loaded stylizer (tests; freeing memory in long-lived processes)."""
    with _lock:
        _cache.clear()
