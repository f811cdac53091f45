"""Live camera stylization over a WebSocket: the page sends camera frames, and gets each one back stylized.

The first message names the model, ``{"model": "hokusai_wave_stable", "size": 640}``; then every
binary message is one JPEG frame, answered by one JPEG. The page keeps one frame in flight, so a
slower machine lowers the frame rate rather than building a queue. Each frame is held to the one
before along the optical flow, exactly as ``painterly video`` does (``video/flow.py``), so the
picture does not flicker. Work runs in a thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import torch
from fastapi import WebSocket, WebSocketDisconnect

from ..errors import PainterlyError
from ..loading import load
from ..methods.base import Stylizer
from ..video.flow import FlowEstimator, blend_previous, estimate_motion
from .config import ServiceConfig

__all__ = ["LiveSession", "serve_live"]

MAX_FRAME_BYTES = 4 * 1024 * 1024  # one camera JPEG
JPEG_QUALITY = 85


class LiveSession:
    """One camera's stream: a loaded feed-forward model, and the previous frame for the flow."""

    def __init__(self, stylizer: Stylizer, long_side: int) -> None:
        self.stylizer, self.long_side = stylizer, long_side
        self.flow = FlowEstimator("fast")
        self.previous_output: np.ndarray | None = None
        self.previous_grey: np.ndarray | None = None

    def stylize(self, jpeg: bytes) -> bytes:
        """One camera JPEG → the stylized frame as JPEG (at most ``long_side`` px long).

        Raises:
            PainterlyError: not a decodable image.
        """
        import cv2

        frame = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        if frame is None:
            raise PainterlyError("a live frame was not a decodable image")
        frame = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        height, width = frame.shape[:2]
        scale = min(1.0, self.long_side / max(width, height))
        size = (max(16, round(width * scale)) // 2 * 2, max(16, round(height * scale)) // 2 * 2)
        if size != (width, height):
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        photo = torch.from_numpy(frame).permute(2, 0, 1)[None].float().div_(255)
        output = self.stylizer.stylize_tensor(photo, self.stylizer.prepare_styles())[0].permute(1, 2, 0).numpy()
        grey = self.flow.grey(frame)
        if self.previous_output is not None and self.previous_output.shape == output.shape:
            motion = estimate_motion(self.flow, self.previous_grey, grey, size)  # type: ignore[arg-type]
            output = blend_previous(output, self.previous_output, motion, self.stylizer.video_blend)
        self.previous_output, self.previous_grey = np.ascontiguousarray(output, dtype=np.float32), grey
        encoded = cv2.cvtColor((np.clip(output, 0, 1) * 255 + 0.5).astype(np.uint8), cv2.COLOR_RGB2BGR)
        ok, data = cv2.imencode(".jpg", encoded, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        assert ok
        return data.tobytes()


async def serve_live(websocket: WebSocket, config: ServiceConfig) -> None:
    """Run one live session until the page closes it; setup errors are sent as ``{"error": …}``, then closed."""
    await websocket.accept()
    try:
        setup: dict[str, Any] = await websocket.receive_json()
        long_side = int(setup.get("size", config.max_live_size))
        if not 16 <= long_side <= config.max_live_size:
            raise PainterlyError(f"size must be within 16..{config.max_live_size} px for live frames")
        stylizer = await asyncio.to_thread(load, "feedforward", device=config.device, model=str(setup.get("model")))
        session = LiveSession(stylizer, long_side)
        await websocket.send_json({"ready": True, "model": setup.get("model"), "size": long_side})
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("bytes")
            if not data or len(data) > MAX_FRAME_BYTES:
                raise PainterlyError(f"send each frame as one JPEG of at most {MAX_FRAME_BYTES:,} bytes")
            await websocket.send_bytes(await asyncio.to_thread(session.stylize, data))
    except WebSocketDisconnect:
        return
    except (PainterlyError, ValueError, TypeError) as error:
        await websocket.send_json({"error": str(error).splitlines()[0]})
        await websocket.close(code=1008)
