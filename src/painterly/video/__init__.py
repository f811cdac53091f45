"""Video: ``stylize_video(stylizer, "clip.mp4", "out.mp4")`` with flicker correction, audio kept, resumable.

Example:
    >>> import painterly
    >>> from painterly.video import VideoSettings, stylize_video
    >>> stylizer = painterly.load("feedforward", model="hokusai_wave_stable")  # doctest: +SKIP
    >>> stylize_video(stylizer, "clip.mp4", "styled.mp4", settings=VideoSettings(duration=5))  # doctest: +SKIP
"""

from __future__ import annotations

from .pipeline import CONSISTENCY, VideoReport, VideoSettings, stylize_video

__all__ = ["CONSISTENCY", "VideoReport", "VideoSettings", "stylize_video"]
