"""The camera guide inside the routine player: a live mirror with the current point drawn on the user.

The player (:mod:`postureguard.ui.player`) embeds one :class:`GuideView` when the ``guide`` setting is
on. It claims the camera (:mod:`postureguard.runtime.camera_claim`, so the monitor pauses its own
use), reads frames from the same sources as the monitor (:func:`postureguard.vision.sources.open_source`:
a camera index, or a recording, which is paced in real time and looped like a camera), and runs the
landmarkers in a worker thread (:class:`postureguard.vision.guide.session.GuideSession`). The worker
hands each analysed frame to Tk through a one-slot queue that the Tk loop polls with ``after()``, so
inference never blocks the window; frames stay in memory and the newest replaces an unshown one.

The picture is mirrored (as a mirror: the user's left hand appears on the left) while sides are
named as the user's own ("your left hand"). With ``guide_press_timer`` on, a guided point's clock
runs only while a fingertip of the other hand is on it; :meth:`GuideView.gate` is the player's hook.
The seconds actually pressed are summed per point for the history (:attr:`GuideView.pressed`).
When the camera cannot be opened or a model is missing the view says so in one line and the player
behaves as without a guide.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from postureguard.errors import UserError
from postureguard.i18n import _
from postureguard.knowledge.loader import Point, Step

log = logging.getLogger(__name__)

#: How often the Tk loop looks for a new frame (ms): 30 ms allows up to 33 frames a second.
POLL_MS = 30
#: A press still counts this long (s) after the last frame that saw it, so one frame in which the
#: hand model blinks (two hands touching are harder to see) does not stop the clock.
PRESS_GRACE_S = 0.6
#: With no frame for this long (s), the guide counts as not running and the clock runs as without it.
STALE_S = 2.0
#: The clock waits this long (s) at most for the guide's first analysed frame (the models loading).
STARTUP_S = 15.0
#: Largest size of the mirror on screen in logical pixels (at 100 %); the frame's shape is kept.
MIRROR_WIDTH = 400
MIRROR_HEIGHT = 300
#: The mirror shows at most this many frames a second.
MAX_FPS = 15.0
#: The models analyse at most this many frames a second, the newest each time: a press is a matter of
#: seconds, and this is most of the guide's CPU (bench/guide.py measures it).
ANALYSE_FPS = 10.0
#: Set by ``postureguard run --source N`` (a camera index) for the players it starts: their guide's
#: camera. A recording given to the tray app is not passed on (``routine play --camera`` takes one).
GUIDE_SOURCE_ENV = "POSTUREGUARD_GUIDE_SOURCE"
#: How long (s) a busy camera is retried at the start (the monitor is releasing it).
OPEN_RETRY_S = 3.0
#: How often (s) the shown frame rate is written to the log.
FPS_LOG_S = 2.0

COLOURS = {"target": "#d1345b", "pressed": "#2da44e", "behind": "#f0b429", "text": "#ffffff",
           "shade": "#1f2328"}  # fmt: skip


def format_clock(seconds: float) -> str:
    """Whole seconds pressed so far, as m:ss (rounded down: the player's countdown rounds up)."""
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def press_status(pressing: bool, done: float, total: float) -> str:
    """``"pressing 0:42 of 1:30"`` or ``"not pressing: 0:42 of 1:30"`` (seconds pressed of the phase)."""
    values = {"done": format_clock(done), "total": format_clock(total)}
    if pressing:
        return _("pressing {done} of {total}").format(**values)
    return _("not pressing: {done} of {total}").format(**values)


def target_label(side: str, point: Point) -> str:
    """The side in the user's own words, by body part ("your left hand", "your right shoulder")."""
    region = point.region
    if side not in ("left", "right"):
        return _("the middle")
    if region in ("hand", "wrist"):
        return _("your left hand") if side == "left" else _("your right hand")
    if region == "forearm":
        return _("your left forearm") if side == "left" else _("your right forearm")
    if region == "face":
        return _("your left side") if side == "left" else _("your right side")
    return _("your left shoulder") if side == "left" else _("your right shoulder")


@dataclass
class _Shown:
    """What the worker hands to Tk: the mirrored RGB picture and the reading of that frame."""

    rgb: Any
    reading: Any
    code: str


class GuideWorker(threading.Thread):
    """Reads frames and hands every one, mirrored, to Tk (``out``); a second thread analyses the
    newest frame for the point set by :meth:`set_point` whenever it is free, so the mirror stays
    smooth however long inference takes, and each shown frame carries the newest reading.

    ``open_frames`` opens the frame source; ``make_session`` creates the landmarkers (in the analysis
    thread, so the window appears at once). ``size`` is the mirror's largest (width, height) in screen
    pixels.
    """

    def __init__(self, open_frames: Callable[[], Any], make_session: Callable[[], Any], size: tuple[int, int],
                 out: queue.Queue, max_fps: float = MAX_FPS) -> None:  # fmt: skip
        super().__init__(name="camera-guide-frames", daemon=True)
        self.open_frames, self.make_session = open_frames, make_session
        self.size = size
        self.out = out
        self.min_gap = 1.0 / max_fps
        self.stop_event = threading.Event()
        self._point: tuple[Point | None, str] = (None, "center")
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pending: tuple[Any, float] | None = None  # the newest frame not yet analysed
        self._reading: Any = None
        self._reading_code = ""
        self.error = ""
        self.analysed = 0
        self.shown = 0
        self._analyser = threading.Thread(target=self._analyse_loop, name="camera-guide-models", daemon=True)

    def set_point(self, point: Point | None, side: str) -> None:
        with self._lock:
            self._point = (point, side)
            self._reading = None  # a reading for another point must not be drawn for this one

    def stop(self) -> None:
        self.stop_event.set()
        with self._wake:
            self._wake.notify_all()

    def join(self, timeout: float | None = None) -> None:
        super().join(timeout)
        if self._analyser.is_alive():
            self._analyser.join(timeout)

    def _publish(self, item: Any) -> None:
        with contextlib.suppress(queue.Empty):
            self.out.get_nowait()  # the newest frame replaces one Tk has not shown yet
        self.out.put_nowait(item)

    def _fail(self, exc: Exception) -> None:
        if not self.error:
            self.error = str(exc)
            log.warning("camera guide: %s", exc)
            self._publish(self.error)
        self.stop()

    # ----- the analysis thread ------------------------------------------------------------------

    def _analyse_loop(self) -> None:
        try:
            session = self.make_session()
        except (UserError, OSError, RuntimeError) as exc:
            self._fail(exc)
            return
        try:
            while True:
                with self._wake:
                    while self._pending is None and not self.stop_event.is_set():
                        self._wake.wait()
                    if self.stop_event.is_set():
                        return
                    assert self._pending is not None
                    (image, t), self._pending = self._pending, None
                    point, side = self._point
                began = time.monotonic()
                reading = session.analyse(image, t, point, side)
                with self._lock:
                    if self._point == (point, side):
                        self._reading, self._reading_code = reading, point.code if point else ""
                self.analysed += 1
                rest = 1.0 / ANALYSE_FPS - (time.monotonic() - began)
                if rest > 0:
                    self.stop_event.wait(rest)
        except (UserError, OSError, RuntimeError) as exc:
            self._fail(exc)
        finally:
            session.close()

    # ----- the frame thread ---------------------------------------------------------------------

    def run(self) -> None:
        self._analyser.start()
        try:
            while not self.stop_event.is_set():
                if not self._one_pass():
                    break
        except (UserError, OSError, RuntimeError) as exc:
            self._fail(exc)

    def _one_pass(self) -> bool:
        """Read the source once through (a camera: until stopped); False when it cannot loop."""
        import cv2
        import numpy as np

        source = self.open_frames()
        try:
            start = time.monotonic()
            first_t: float | None = None
            last = 0.0
            for frame in source.frames():
                if self.stop_event.is_set():
                    return False
                now = time.monotonic()
                if not source.is_live:
                    # A recording stands in for a camera: show it at its own pace, skip late frames.
                    first_t = frame.t if first_t is None else first_t
                    due = start + (frame.t - first_t)
                    if due < now - 0.1:
                        continue
                    if due > now:
                        self.stop_event.wait(due - now)
                now = time.monotonic()
                if now - last < 0.8 * self.min_gap:  # a frame a little early is not one too many
                    continue
                last = now
                with self._wake:
                    self._pending = (frame.image, now)  # analysed when the models are free
                    self._wake.notify()
                    reading, code = self._reading, self._reading_code
                height, width = frame.image.shape[:2]
                scale = min(self.size[0] / width, self.size[1] / height)
                small = cv2.resize(frame.image, (max(1, int(width * scale)), max(1, int(height * scale))),
                                   interpolation=cv2.INTER_AREA)  # fmt: skip
                rgb = np.ascontiguousarray(small[:, ::-1, ::-1])  # mirrored, BGR -> RGB
                self.shown += 1
                self._publish(_Shown(rgb, reading, code))
        finally:
            source.close()
        return not source.is_live


class GuideView:
    """The mirror, its hint and its press status, inside the player's diagram panel.

    ``win`` is the :class:`~postureguard.ui.player.PlayerWindow`; ``open_frames`` opens the frame
    source; ``press_timer`` is the ``guide_press_timer`` setting; ``claim`` the camera claim (with
    ``acquire()``/``release()``), ``make_session`` the landmarkers' factory.
    """

    def __init__(self, win, open_frames: Callable[[], Any], *, press_timer: bool, claim,
                 make_session: Callable[[], Any] | None = None,
                 now: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.win = win
        self.press_timer = press_timer
        self.claim = claim
        self.now = now
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        if make_session is None:
            from postureguard.vision.guide.session import GuideSession

            make_session = GuideSession
        self.worker: GuideWorker | None = None
        self._open_frames, self._make_session = open_frames, make_session
        self.point: Point | None = None
        self.side = "center"
        self.step_seconds = 0.0
        self.phase_pressed = 0.0
        #: Seconds actually pressed per point code, over the whole routine.
        self.pressed: dict[str, float] = {}
        self._last_frame_t = -1e9
        self._started_t = 0.0
        self._last_press_t = -1e9
        self._pressing_shown: bool | None = None
        self._photo: Any = None
        self._poll_job = None
        self._frames_shown = 0
        self._fps_since = now()
        self.fps = 0.0
        self.message = ""
        self.canvas: Any = None
        self.w_hint: Any = None
        self.w_status: Any = None
        self._closed = False

    # ----- lifetime ---------------------------------------------------------------------------

    def start(self) -> None:
        """Claim the camera and start the worker (the window is already up)."""
        if self.worker is not None or self._closed:
            return
        if not self.claim.acquire():
            self.message = _("Camera guide off: another routine window is using the camera.")
            log.warning("camera guide: the camera is claimed by another player")
            return
        size = (self.win.px(MIRROR_WIDTH), self.win.px(MIRROR_HEIGHT))
        self.worker = GuideWorker(self._open_frames, self._make_session, size, self.queue)
        self.worker.set_point(self.point, self.side)
        self._started_t = self.now()
        self.worker.start()
        log.info("camera guide: started")

    def turn_off(self) -> None:
        """The user turned the camera off in the player: stop, give the camera back, show the figure.

        The clock then runs as without a guide; the seconds pressed so far are kept for the history.
        """
        if self._closed:
            return
        self.close()
        self._hide()
        self.point = None
        log.info("camera guide: turned off by the user")

    def close(self) -> None:
        """Stop the worker and give the camera back (the player closes)."""
        if self._closed:
            return
        self._closed = True
        if self._poll_job is not None:
            self.win.root.after_cancel(self._poll_job)
            self._poll_job = None
        if self.worker is not None:
            self.worker.stop()
            self.worker.join(timeout=3.0)
        self.claim.release()
        log.info("camera guide: stopped, pressed %s", {k: round(v, 1) for k, v in self.pressed.items()})

    # ----- widgets ----------------------------------------------------------------------------

    def attach(self, parent, before=None) -> None:
        """Build the mirror, hint and status inside ``parent`` (the player's diagram panel)."""
        tk, px = self.win.tk, self.win.px
        self.frame = tk.Frame(parent, bg="#000000")
        # The press status first (it is what the user watches), then the mirror, then the hint.
        self.w_status = self.win.label(self.frame, "", "PGHeading", fg="#ffffff", wrap=False, anchor="center")
        self.w_status.configure(bg="#000000")
        self.w_status.pack(fill="x")
        self.canvas = tk.Canvas(self.frame, bg="#000000", highlightthickness=0, width=px(MIRROR_WIDTH),
                                height=px(MIRROR_HEIGHT))  # fmt: skip
        self.canvas.pack()
        self.w_hint = self.win.label(self.frame, "", "PGSmall", fg="#ffffff", anchor="center")
        self.w_hint.configure(bg="#000000")
        self.w_hint.pack(fill="x")
        off = self.win.button(self.frame, _("Camera off (C)"), self.turn_off)
        off.pack(anchor="e", padx=px(6), pady=px(6))
        self.win.root.bind("<KeyPress-c>", lambda _event: self.turn_off())
        self._before = before
        self._figure_pack: dict[str, Any] = {}
        self._image_item = self.canvas.create_image(0, 0, anchor="nw")
        self._shown = False
        self._schedule_poll()

    def _schedule_poll(self) -> None:
        if self._poll_job is not None:
            self.win.root.after_cancel(self._poll_job)
            self._poll_job = None
        if not self._closed:
            self._poll_job = self.win.root.after(POLL_MS, self._poll)

    def show(self, point: Point | None, step: Step, side: str, seconds: float) -> None:
        """The player moved to a new phase: ``point`` (None for a step without one) on ``side``."""
        guided = point is not None and point.guide is not None and step.action == "press"
        self.point = point if guided else None
        self.side = side
        self.step_seconds = seconds
        self.phase_pressed = 0.0
        self._pressing_shown = None
        if self.worker is not None:
            self.worker.set_point(self.point, side)
        if self.canvas is None:
            return
        if self.point is None:
            self._hide()
        elif not self._shown:
            # The mirror takes the figure's place while it shows the point on the user.
            if self._before is not None:
                self._figure_pack = self._before.pack_info()
                self._before.pack_forget()
            self.frame.pack(side="top", fill="both", expand=True)
            self._shown = True
        log.info("camera guide: point %s side %s", self.point.code if self.point else "none", side)

    def hide(self) -> None:
        """The routine finished: take the mirror away (the camera is released on close)."""
        self._hide()
        self.point = None

    def _hide(self) -> None:
        if self.canvas is not None and self._shown:
            self.frame.pack_forget()
            if self._before is not None and self._figure_pack:
                info = {k: v for k, v in self._figure_pack.items() if k != "in"}
                self._before.pack(**info)
            self._shown = False

    # ----- the press clock ----------------------------------------------------------------------

    @property
    def live(self) -> bool:
        """True while the guide works: frames arrive (a camera, or a recording standing in for one),
        or it is still starting (the models load for a second or two: the clock waits for them)."""
        if self.worker is None or self.worker.error:
            return False
        now = self.now()
        starting = self.worker.analysed == 0 and now - self._started_t < STARTUP_S
        return starting or now - self._last_frame_t < STALE_S

    @property
    def pressing(self) -> bool:
        return self.now() - self._last_press_t <= PRESS_GRACE_S

    def gate(self, elapsed: float, paused: bool) -> float:
        """How much of ``elapsed`` (s) the player's clock may count down.

        The pressed time is summed whenever the current guided point is pressed; with the press timer
        on and the guide live, only pressed time counts down. Otherwise the clock runs as usual.
        """
        if self.point is None or paused or elapsed <= 0:
            return elapsed
        pressed = self.pressing and self.live
        if pressed:
            self.phase_pressed += elapsed
            self.pressed[self.point.code] = self.pressed.get(self.point.code, 0.0) + elapsed
        self._update_status()
        if self.press_timer and self.live:
            return elapsed if pressed else 0.0
        return elapsed

    def _update_status(self) -> None:
        if self.w_status is None or self.point is None:
            return
        pressing = self.pressing and self.live
        if pressing != self._pressing_shown:
            self._pressing_shown = pressing
            log.info("camera guide: %s %s", "pressing" if pressing else "not pressing", self.point.code)
        total = self.step_seconds
        self.w_status.configure(text=press_status(pressing, min(self.phase_pressed, total), total))

    # ----- frames -----------------------------------------------------------------------------

    def _poll(self) -> None:
        self._poll_job = None
        if self._closed:
            return
        try:
            item = self.queue.get_nowait()
        except queue.Empty:
            item = None
        if isinstance(item, str):
            self.claim.release()  # the monitor may use the camera again at once
            self.message = _("Camera guide off: {reason}").format(reason=item)
            if self.w_hint is not None:
                self.w_hint.configure(text=self.message)
            log.warning("camera guide: off (%s)", item)
            self._hide()
            return  # the worker has ended; the player goes on as without a guide
        if item is not None:
            self._draw(item)
        self._schedule_poll()

    def _draw(self, shown: _Shown) -> None:
        from PIL import Image, ImageTk

        now = self.now()
        self._last_frame_t = now
        reading = shown.reading
        current = self.point.code if self.point else ""
        if reading is not None and reading.pressed and shown.code == current and current:
            self._last_press_t = now
        if self.canvas is None or not self._shown:
            return
        height, width = shown.rgb.shape[:2]
        self._photo = ImageTk.PhotoImage(Image.fromarray(shown.rgb))
        canvas = self.canvas
        if (int(canvas.cget("width")), int(canvas.cget("height"))) != (width, height):
            canvas.configure(width=width, height=height)
        canvas.itemconfigure(self._image_item, image=self._photo)
        canvas.delete("marker")
        location = reading.location if reading is not None and shown.code == current else None
        hint = ""
        if location is not None and self.point is not None:
            scale = width / reading.seen.width
            hint = location.hint
            for target in location.targets:
                self._marker(target, scale, width, reading.pressed)
        self.w_hint.configure(text=hint)
        self._frames_shown += 1
        if now - self._fps_since >= FPS_LOG_S:
            self.fps = self._frames_shown / (now - self._fps_since)
            log.info("camera guide: %.1f frames a second shown", self.fps)
            self._frames_shown, self._fps_since = 0, now
        self._update_status()

    def _marker(self, target, scale: float, width: int, pressed: bool) -> None:
        """Draw one target on the mirrored picture: a ring of the press radius and a dot."""
        assert self.point is not None
        x, y = width - target.x * scale, target.y * scale  # mirrored like the picture
        r = max(6.0, target.radius * scale)
        colour = COLOURS["pressed"] if pressed else COLOURS["behind"] if target.behind else COLOURS["target"]
        dash: Sequence[int] = (4, 3) if target.behind else ()
        c, px = self.canvas, self.win.px
        c.create_oval(x - r, y - r, x + r, y + r, outline=colour, width=px(3), dash=dash, tags="marker")
        c.create_oval(x - px(4), y - px(4), x + px(4), y + px(4), fill=colour, outline="", tags="marker")
        label = f"{self.point.code}: {target_label(target.side, self.point)}"
        if target.behind:
            label += " " + _("(behind)")
        c.create_text(x + 1, y - r - px(8) + 1, text=label, fill=COLOURS["shade"], font="PGSmall",
                      tags="marker")  # fmt: skip
        c.create_text(x, y - r - px(8), text=label, fill=COLOURS["text"], font="PGSmall", tags="marker")
        log.debug("camera guide: marker %s %s at %.0f,%.0f r %.0f", self.point.code, target.side, x, y, r)


def guide_factory(settings, kb, choice, camera: str | None) -> Callable[[Any], GuideView] | None:
    """What the player calls to build its guide, or None: the ``guide`` setting is off, or the
    routine has no point the guide covers. ``camera`` is a frame-source spec (camera index or
    recording), by default the tray app's ``--source`` (:data:`GUIDE_SOURCE_ENV`), else the ``camera``
    setting."""
    if not settings.guide or choice.playable is None:
        return None
    routine = choice.playable.routine
    if not any(kb.point(code).guide is not None for code in routine.point_codes):
        log.info("camera guide: routine %s has no point the guide covers", routine.id)
        return None
    # The tray app started with --source N passes its camera on, so both read the same camera.
    spec = camera if camera is not None else os.environ.get(GUIDE_SOURCE_ENV) or str(settings.camera)
    if spec.isdigit() and sys.platform.startswith("linux") and not Path(f"/dev/video{spec}").exists():
        log.info("camera guide: off, there is no camera %s", spec)
        return None  # without a camera the player stays as it was
    size = (settings.camera_width, settings.camera_height)

    def open_frames():
        from postureguard.errors import SourceError
        from postureguard.vision.sources import open_source

        # The monitor lets go of the camera within a second of the claim: a busy camera is retried.
        deadline = time.monotonic() + (OPEN_RETRY_S if spec.isdigit() else 0.0)
        while True:
            try:
                return open_source([spec], camera_size=size)
            except SourceError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.25)

    def build(win) -> GuideView:
        from postureguard.runtime.camera_claim import CameraClaim

        timer = "on" if settings.guide_press_timer else "off"
        log.info("camera guide: source %s, press timer %s", spec, timer)
        return GuideView(win, open_frames, press_timer=settings.guide_press_timer, claim=CameraClaim())

    return build
