"""The first-run walk-through (``postureguard setup``; "Set up again" in the settings window and tray).

Four steps in one window:

1. the "not medical advice" notice from the knowledge base, acknowledged with a tick, and two safety
   questions that must be answered (pregnant or trying to conceive; blood thinners or a bleeding
   disorder), saved only in the local settings as ``pregnancy_mode`` and ``blood_thinners``;
2. the camera: the cameras found, with a live preview that draws the pose landmarks PostureGuard sees
   (``--source`` feeds a video or photos instead, for demonstrations and tests);
3. calibration: "sit upright, look at your screen", a countdown, then a few seconds of frames whose
   measurements become the upright reference (:func:`postureguard.engine.calibration.calibrate`), saved to
   :func:`postureguard.files.paths.calibration_file`;
4. the main settings: sensitivity, the sitting reminder, what a suggestion offers (desk exercises,
   preselected for a new user because exercise is what changes forward-head posture in the trials;
   acupressure points, which may ease how the neck feels; or either) and start at login.

Finishing saves those settings and the two answers, installs or removes the login entry and records that
setup is done in ``setup.json`` beside the settings (:func:`is_done`, :func:`mark_done`), which the tray app
reads to decide whether to open this window on its first start.

Frames stay in memory: they are read, measured, drawn into the preview and dropped; no image is written.
A worker thread owns the source and the pose model; the Tk thread only shows what it hands over.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from postureguard.engine.calibration import MIN_CALIBRATION_SAMPLES, CalibrationProgress, CalibrationSession
from postureguard.engine.settings import SENSITIVITY_THRESHOLDS_DEG
from postureguard.errors import UserError
from postureguard.files import paths
from postureguard.i18n import N_, _, ngettext

log = logging.getLogger(__name__)

WINDOW_TITLE = N_("PostureGuard setup")
STATE_VERSION = 1
#: Sitting-reminder choices offered in step 4, minutes (0 = off).
SITTING_CHOICES = (30, 45, 60, 90, 0)
#: Seconds each still photo is shown when photos stand in for a camera.
PHOTO_INTERVAL_S = 0.5
#: The safety questions of step 1: (setting, question). Answered "yes", the setting is switched on.
SAFETY_QUESTIONS = (
    ("pregnancy_mode", N_("Are you pregnant or trying to conceive?")),
    # Short enough for one line at 200 %: the routines' first screens spell out which medicines.
    ("blood_thinners", N_("Do you take blood thinners, or have a bleeding disorder?")),
)
#: What a suggestion may offer (the ``routine_kind`` setting's values) and how step 4 words each.
ROUTINE_KIND_CHOICES = (
    ("exercises", N_("desk exercises (about 2 min)")),
    ("points", N_("acupressure points")),
    ("either", N_("either")),
)
#: A question's value before it is answered (not "": ttk shows "" as a half-set button).
UNANSWERED = "unanswered"


def known_answer(value: bool, asked_before: bool) -> str:
    """The answer to show for a setting: 'yes' when it is on, 'no' when it is off and setup was
    completed before (the question was answered then), otherwise :data:`UNANSWERED`."""
    if value:
        return "yes"
    return "no" if asked_before else UNANSWERED


@dataclass(frozen=True)
class SetupOptions:
    """What ``postureguard setup`` was asked to do.

    ``source`` replaces the camera (video file or photos); ``countdown_s`` is the wait before recording
    (seconds, >= 0); ``frames`` the frames showing a person to calibrate on (>= 3).
    """

    source: tuple[str, ...] = ()
    countdown_s: int = 5
    frames: int = 10
    model: str | None = None


# ----- "setup done" state --------------------------------------------------------------


def state_file() -> Path:
    """Where completion of the first-run setup is recorded."""
    return paths.config_dir() / "setup.json"


def is_done(path: Path | None = None) -> bool:
    """Whether the first-run setup was completed (a missing or unreadable file means no)."""
    path = path or state_file()
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and bool(doc.get("completed"))


def mark_done(now: datetime, calibrated: bool, path: Path | None = None) -> Path:
    """Record that setup finished at ``now`` (aware datetime); written atomically, mode 0600."""
    path = path or state_file()
    paths.ensure_private_dir(path.parent)
    doc = {"version": STATE_VERSION, "completed": now.isoformat(timespec="seconds"), "calibrated": calibrated}
    return paths.write_atomic(path, (json.dumps(doc) + "\n").encode("utf-8"))


# ----- pure helpers --------------------------------------------------------------

#: Upper-body landmark pairs drawn in the preview (BlazePose indices): the face outline, ears to
#: shoulders (the line PostureGuard measures), the shoulder line, arms and trunk.
_CONNECTIONS = (
    (7, 2),
    (2, 0),
    (0, 5),
    (5, 8),
    (11, 12),
    (11, 13),
    (13, 15),
    (12, 14),
    (14, 16),
    (11, 23),
    (12, 24),
    (23, 24),
)
_MEASURED = ((7, 11), (8, 12))
_DRAWN_POINTS = (0, 2, 5, 7, 8, 11, 12, 13, 14)


def draw_pose(image_bgr: Any, pose: Any) -> Any:
    """A copy of ``image_bgr`` with ``pose``'s upper-body landmarks drawn (``pose`` None: unchanged copy).

    Landmarks with visibility below 0.5 are left out; ear-to-shoulder lines are drawn in amber because
    they are what the head-forward angle is measured from.
    """
    import cv2

    out = image_bgr.copy()
    if pose is None:
        return out
    h, w = out.shape[:2]
    thick = max(2, round(min(w, h) / 160))

    def xy(i: int) -> tuple[int, int] | None:
        p = pose.image[i]
        if p.visibility < 0.5:
            return None
        return (round(p.x * w), round(p.y * h))

    for pairs, colour in ((_CONNECTIONS, (230, 230, 230)), (_MEASURED, (0, 190, 255))):
        for a, b in pairs:
            pa, pb = xy(a), xy(b)
            if pa and pb:
                cv2.line(out, pa, pb, colour, thick + (1 if pairs is _MEASURED else 0), cv2.LINE_AA)
    for i in _DRAWN_POINTS:
        p = xy(i)
        if p:
            cv2.circle(out, p, thick * 2, (40, 40, 40), -1, cv2.LINE_AA)
            cv2.circle(out, p, thick * 2 - 1, (80, 220, 80), -1, cv2.LINE_AA)
    return out


def fit_size(width: int, height: int, box_w: int, box_h: int) -> tuple[int, int]:
    """The largest size with ``width:height``'s aspect that fits ``box_w`` x ``box_h`` (pixels, >= 1)."""
    scale = min(box_w / max(1, width), box_h / max(1, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def sitting_text(minutes: int) -> str:
    """Short radio-button text for a sitting-reminder choice (minutes; 0 = off); 30 is the stand-up nudge,
    50-60 the break reminder (see :data:`postureguard.ui.tray.SITTING_CHOICES`)."""
    if minutes == 0:
        return _("Off")
    if minutes == 30:
        return _("{n} minutes (stand-up nudge)").format(n=minutes)
    if minutes in (50, 60):
        return _("{n} minutes (break)").format(n=minutes)
    return ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)


def sitting_choices(current: int) -> list[int]:
    """The offered choices (:data:`SITTING_CHOICES`) plus ``current`` in its place by length, off last."""
    minutes = sorted({m for m in (*SITTING_CHOICES, current) if m > 0})
    return [*minutes, 0]


# ----- the worker: source -> pose -> preview ------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """One analysed frame for the window: RGB pixels already drawn and sized, plus what was found."""

    rgb: Any
    person: bool
    message: str = ""


class FrameWorker:
    """Reads frames on a thread of its own, finds the pose, and offers previews and calibration samples.

    ``open_source`` returns a fresh frame source each call (a recording is re-opened when it ends, so the
    preview keeps running). ``box`` is the preview size in pixels.
    """

    def __init__(self, open_source: Callable[[], Any], box: tuple[int, int], model: str | None = None):
        self._open_source = open_source
        self._box = box
        self._model_path = model
        self.previews: queue.Queue[Preview] = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._collect: CalibrationSession | None = None
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, name="setup-frames", daemon=True)
        self._thread.start()

    # called from the Tk thread
    def start_collecting(self, wanted: int) -> None:
        """Start a calibration session wanting ``wanted`` frames with a person.

        The preview plays recordings and photos in real time and in a loop, as a camera delivers
        frames, so the session follows a camera's rules (spacing, and a look limit: a loop never ends).
        """
        with self._lock:
            self._collect = CalibrationSession.for_input(wanted, stream=True, live=True)

    def progress(self) -> CalibrationProgress | None:
        """How far the session of :meth:`start_collecting` is (``None`` when none is running)."""
        with self._lock:
            return self._collect.progress() if self._collect is not None else None

    def stop_collecting(self) -> CalibrationSession | None:
        """End the session and hand it over (``None`` when none was running)."""
        with self._lock:
            session, self._collect = self._collect, None
            return session

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    # the thread
    def _offer(self, preview: Preview) -> None:
        try:
            self.previews.put_nowait(preview)
        except queue.Full:  # the window is behind: drop the older frame, keep the newest
            with contextlib.suppress(queue.Empty):
                self.previews.get_nowait()
            self.previews.put_nowait(preview)

    def _run(self) -> None:
        from postureguard.vision.analyzer import open_model

        source = None
        model = None
        try:
            source = self._open_source()
            model = open_model(source, self._model_path)
            clock = 0.0  # model time, seconds: grows across re-opened recordings
            while not self._stop.is_set():
                live = source.is_live
                start_wall, first_t, prev_t = time.monotonic(), None, None
                for frame in source:
                    if self._stop.is_set():
                        break
                    if not live:  # play recordings and photos at their own pace, not as fast as possible
                        if first_t is None:
                            first_t = frame.t
                        due = start_wall + (frame.t - first_t)
                        if source.is_stream is False:
                            due = start_wall + frame.index * PHOTO_INTERVAL_S
                        delay = due - time.monotonic()
                        if delay > 0 and self._stop.wait(delay):
                            break
                    step = (frame.t - prev_t) if prev_t is not None and frame.t > prev_t else 0.05
                    prev_t = frame.t
                    clock += step
                    self._analyse(model, frame.image, clock)
                if live:
                    break  # a camera that ends has failed; CameraSource raises before this
                source.close()
                if not self._stop.is_set():
                    source = self._open_source()
        except UserError as exc:
            self.error = str(exc)
            log.info("setup preview stopped: %s", exc)
        except Exception as exc:  # noqa: BLE001 - the window must show the failure, not die silently
            log.exception("setup preview failed")
            self.error = _("the preview stopped: {error}").format(error=f"{type(exc).__name__}: {exc}")
        finally:
            if model is not None:
                model.close()
            if source is not None:
                source.close()

    def _analyse(self, model: Any, image: Any, t: float) -> None:
        import cv2

        from postureguard.engine.geometry import measure

        pose = model.detect(image, t)
        features = measure(pose)
        with self._lock:
            if self._collect is not None:
                self._collect.add(pose, t)
        drawn = draw_pose(image, pose)
        h, w = drawn.shape[:2]
        size = fit_size(w, h, *self._box)
        rgb = cv2.cvtColor(cv2.resize(drawn, size, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
        if features is not None:
            message = _("You are in view: head and both shoulders found.")
        elif pose is not None:
            message = _("Partly in view: make sure your head and both shoulders are visible.")
        else:
            message = _("No one in view: sit facing the camera with your shoulders visible.")
        self._offer(Preview(rgb, features is not None, message))


# ----- the window --------------------------------------------------------------


class FirstRunWindow:
    """The four-step Tk window."""

    STEPS = (N_("Before you start"), N_("Camera"), N_("Calibration"), N_("Main settings"))

    def __init__(self, options: SetupOptions, on_finish: Callable[[], None] | None = None) -> None:
        from postureguard.settings.config import load_settings
        from postureguard.ui.tk_support import bring_to_front, import_tk, make_root

        tk = import_tk()
        from tkinter import ttk

        self.tk, self.ttk = tk, ttk
        self.options = options
        self.root, self.scale = make_root(_(WINDOW_TITLE))
        self.fonts = self.root.pg_fonts
        self.settings = load_settings().settings
        self.step = 0
        self.worker: FrameWorker | None = None
        self.calibrated = False
        self.finished = False
        self._on_finish = on_finish
        self._focus_target: Any = None
        self._photo = None
        self._countdown_job = None
        self._cameras: list | None = None  # None until the camera probe answers
        self._camera_queue: queue.Queue = queue.Queue()
        self.camera_var = tk.IntVar(value=self.settings.camera)
        self.ack_var = tk.BooleanVar(value=False)
        asked_before = is_done()
        self.safety_vars = {
            key: tk.StringVar(value=known_answer(getattr(self.settings, key), asked_before))
            for key, _ in SAFETY_QUESTIONS
        }
        self.sensitivity_var = tk.StringVar(value=self.settings.sensitivity)
        self.sitting_var = tk.IntVar(value=self.settings.sitting_limit_minutes)
        self.login_var = tk.BooleanVar(value=self.settings.start_at_login)
        # A new user gets the exercises preselected (see the module docstring); a setup run again
        # shows the current choice.
        self.kind_var = tk.StringVar(value=self.settings.routine_kind if asked_before else "exercises")

        sw, sh = self.root.winfo_screenwidth(), self.root.winfo_screenheight()
        self.wrap = min(round(620 * self.scale), sw - 80)
        # Steps 2 and 3 put the preview beside the text, so the window stays within the screen at 200 %.
        self.box = (
            min(round(400 * self.scale), round(sw * 0.4)),
            min(round(300 * self.scale), round(sh * 0.5)),
        )
        self.col_wrap = max(round(240 * self.scale), min(round(380 * self.scale), sw - self.box[0] - 120))
        self._wrap_now = self.wrap

        pad = round(10 * self.scale)
        self.header = ttk.Label(self.root, style="Title.TLabel", padding=(pad, pad, pad, 0))
        self.header.pack(side="top", anchor="w")
        self.footer = ttk.Frame(self.root, padding=pad)
        self.footer.pack(side="bottom", fill="x")
        ttk.Separator(self.root).pack(side="bottom", fill="x")
        self.content = ttk.Frame(self.root, padding=(pad, round(pad / 2), pad, pad))
        self.content.pack(side="top", fill="both", expand=True)
        self.back_button = ttk.Button(self.footer, text=_("Back"), command=self.back)
        self.back_button.pack(side="left")
        self.next_button = ttk.Button(self.footer, text=_("Next"), command=self.next)
        self.next_button.pack(side="right")
        self.root.bind("<Return>", lambda e: self.primary())
        self.root.bind("<KP_Enter>", lambda e: self.primary())
        self.root.bind("<Escape>", lambda e: self.close())
        self.root.protocol("WM_DELETE_WINDOW", self.close)
        if not options.source:
            self._probe_cameras()
        self.show(0)
        self.root.geometry(f"+{max(0, (sw - self.wrap) // 3)}+{round(sh * 0.05)}")
        bring_to_front(self.root, self.root.focus_get() or self._focus_target)
        self.root.after(50, self._pump)

    # -- navigation ------------------------------------------------------------------------------------
    def primary(self) -> None:
        """What Return does: start calibrating on that step, otherwise Next."""
        if self.step == 2 and not self.calibrated and self._countdown_job is None and self._can_calibrate():
            self.start_calibration()
        elif str(self.next_button["state"]) != "disabled":
            self.next()

    def back(self) -> None:
        if self.step > 0:
            self.show(self.step - 1)

    def _step_one_complete(self) -> bool:
        answered = all(var.get() in ("yes", "no") for var in self.safety_vars.values())
        return bool(self.ack_var.get()) and answered

    def next(self) -> None:
        if self.step == 0 and not self._step_one_complete():
            return
        if self.step < len(self.STEPS) - 1:
            self.show(self.step + 1)
        else:
            self.finish()

    def show(self, step: int) -> None:
        self._cancel_calibration()
        for child in self.content.winfo_children():
            child.destroy()
        self.step = step
        header = _("Step {n} of {total}: {title}")
        title = _(self.STEPS[step])
        self.header.configure(text=header.format(n=step + 1, total=len(self.STEPS), title=title))
        self.back_button.state(["!disabled"] if step > 0 else ["disabled"])
        self.next_button.configure(text=_("Finish") if step == len(self.STEPS) - 1 else _("Next"))
        self.next_button.state(["!disabled"])
        self.preview_label = None
        self._wrap_now = self.col_wrap if step in (1, 2) else self.wrap
        [self._notice, self._camera, self._calibration, self._main_settings][step]()
        if step in (1, 2):
            self._ensure_worker()
        else:
            self._stop_worker()
        log.info("setup step %d: %s", step + 1, self.STEPS[step])

    def _text(self, parent: Any, text: str, style: str = "TLabel") -> Any:
        label = self.ttk.Label(parent, text=text, wraplength=self._wrap_now, justify="left", style=style)
        label.pack(anchor="w", pady=(0, round(6 * self.scale)))
        return label

    # -- step 1 ------------------------------------------------------------------------------------------
    def _notice(self) -> None:
        from postureguard.knowledge.loader import load_knowledge

        try:
            kb = load_knowledge()
            disclaimer = kb.disclaimer
            # Two examples leave room for the safety questions at 200 %; the player lists them all.
            flags = [f"• {flag.text}" for flag in kb.red_flags][:2]
        except UserError as exc:
            disclaimer = _(
                "PostureGuard gives general self-care suggestions, not medical advice, diagnosis or "
                "treatment. If pain is severe or lasting, see a doctor."
            )
            flags = []
            log.warning("knowledge base unavailable for the notice: %s", exc)
        self._text(self.content, _("Please read this once:"), "Heading.TLabel")
        self._text(self.content, disclaimer)
        flags_label = None
        if flags:
            self._text(self.content, _("See a doctor instead of pressing points when, for example:"))
            flags_label = self._text(self.content, "\n".join(flags), "Muted.TLabel")
        box = self.ttk.Checkbutton(
            self.content,
            text=_("I understand: PostureGuard is not medical advice."),
            variable=self.ack_var,
            command=self._ack_changed,
        )
        box.pack(anchor="w", pady=(round(8 * self.scale), 0))
        box.focus_set()
        self._focus_target = box
        gap = round(8 * self.scale)
        self._text(
            self.content,
            _("Two safety questions (answers stay on this computer; change them in Settings):"),
        ).pack_configure(pady=(gap, 0))
        # Created after the tick box, so Tab goes tick box, then Yes/No of each question, in order.
        grid = self.ttk.Frame(self.content)
        grid.pack(anchor="w", fill="x")
        for row, (key, question) in enumerate(SAFETY_QUESTIONS):
            self.ttk.Label(grid, text=_(question), wraplength=round(self.wrap * 0.75), justify="left").grid(
                row=row, column=0, sticky="w"
            )
            for column, (answer, text) in enumerate((("yes", _("Yes")), ("no", _("No"))), start=1):
                self.ttk.Radiobutton(
                    grid, text=text, value=answer, variable=self.safety_vars[key],
                    command=self._ack_changed,
                ).grid(row=row, column=column, sticky="w", padx=(gap, 0))
        if flags_label is not None:
            self._fit_examples(flags_label, flags)
        self._ack_changed()

    def _fit_examples(self, label: Any, flags: list[str]) -> None:
        """Fewer red-flag examples rather than a window taller than the screen (a language's longer
        wording at 200 %, where the buttons would fall off the bottom); the player lists them all."""
        self.root.update_idletasks()
        screen_h = self.root.winfo_screenheight()
        room = screen_h - round(screen_h * 0.05)  # the window's top is placed 5 % down the screen
        while len(flags) > 1 and self.root.winfo_reqheight() > room:
            flags = flags[:-1]
            label.configure(text="\n".join(flags))
            self.root.update_idletasks()
            log.info("setup notice: %d red-flag example(s) shown to fit the screen", len(flags))

    def _ack_changed(self) -> None:
        if self.step == 0:
            self.next_button.state(["!disabled"] if self._step_one_complete() else ["disabled"])
            log.info(
                "setup answers: %s",
                ", ".join(f"{key}={var.get()}" for key, var in self.safety_vars.items()),
            )

    # -- step 2 ------------------------------------------------------------------------------------------
    def _camera(self) -> None:
        left = self._two_columns()
        if self.options.source:
            source = ", ".join(self.options.source)[:120]
            self._text(left, _("Using {source} instead of a camera.").format(source=source))
        else:
            self._text(left, _("Choose the camera that looks at you from your screen:"))
            self.camera_list = self.ttk.Frame(left)
            self.camera_list.pack(anchor="w", fill="x")
            self._fill_camera_list()
        self._text(
            left, _("The picture stays on this computer: nothing is recorded or sent."), "Muted.TLabel"
        )

    def _probe_cameras(self) -> None:
        from postureguard.platform.cameras import probe_cameras

        threading.Thread(
            target=lambda: self._camera_queue.put(probe_cameras()), daemon=True, name="camera-probe"
        ).start()

    def _fill_camera_list(self) -> None:
        if self.step != 1 or self.options.source:
            return
        for child in self.camera_list.winfo_children():
            child.destroy()
        if self._cameras is None:
            self._text(self.camera_list, _("Looking for cameras…"), "Muted.TLabel")
        elif not self._cameras:
            self._text(
                self.camera_list,
                _(
                    "No camera found. You can finish setup now and calibrate later "
                    "from the tray (Calibrate now) once a camera is connected."
                ),
                "Error.TLabel",
            )
        else:
            for cam in self._cameras:
                self.ttk.Radiobutton(
                    self.camera_list,
                    text=cam.label(),
                    value=cam.index,
                    variable=self.camera_var,
                    command=self._camera_changed,
                ).pack(anchor="w")

    def _camera_changed(self) -> None:
        self._stop_worker()
        self._ensure_worker()

    def _has_source(self) -> bool:
        return bool(self.options.source) or any(
            c.index == self.camera_var.get() for c in (self._cameras or ())
        )

    def _two_columns(self) -> Any:
        """Split the content into a text column (returned) and the preview on the right."""
        gap = round(12 * self.scale)
        left = self.ttk.Frame(self.content)
        left.pack(side="left", fill="y", anchor="n", padx=(0, gap))
        right = self.ttk.Frame(self.content)
        right.pack(side="left", anchor="n")
        w, h = self.box
        frame = self.tk.Frame(right, width=w, height=h, background="#202020")
        frame.pack(anchor="w", pady=(round(4 * self.scale), 0))
        frame.pack_propagate(False)
        self.preview_label = self.tk.Label(
            frame,
            background="#202020",
            foreground="#f0f0f0",
            text=_("Starting the camera…"),
            font=self.fonts["body"],
            wraplength=w - 20,
        )
        self.preview_label.pack(fill="both", expand=True)
        self.preview_status = self.ttk.Label(
            right, text="", style="Muted.TLabel", wraplength=w, justify="left"
        )
        self.preview_status.pack(anchor="w", pady=(round(4 * self.scale), 0))
        return left

    # -- step 3 ------------------------------------------------------------------------------------------
    def _can_calibrate(self) -> bool:
        return self._has_source() and (self.worker is None or self.worker.error is None)

    def _calibration(self) -> None:
        left = self._two_columns()
        self._text(
            left, _("Sit upright and look at your screen, the way you would like to sit."), "Heading.TLabel"
        )
        self._text(
            left,
            _(
                "After a {n}-second countdown PostureGuard records a few "
                "seconds and remembers this as your upright posture. Hold still."
            ).format(n=self.options.countdown_s),
        )
        row = self.ttk.Frame(left)
        row.pack(anchor="w", fill="x")
        self.count_label = self.ttk.Label(row, text="", style="Huge.TLabel", width=3, anchor="center")
        self.count_label.pack(side="left")
        self.start_button = self.ttk.Button(row, text=_("Start"), command=self.start_calibration)
        self.start_button.pack(side="left", padx=round(10 * self.scale))
        self.calib_status = self._text(left, "", "TLabel")
        if self.calibrated:
            self.calib_status.configure(
                text=_("Already calibrated in this setup. Start again to redo it."), style="Ok.TLabel"
            )
        elif not self._has_source():
            self.start_button.state(["disabled"])
            self.calib_status.configure(
                text=_("No camera: you can calibrate later from the tray."), style="Error.TLabel"
            )
        self.next_button.configure(text=_("Next") if self.calibrated else _("Skip for now"))

    def start_calibration(self) -> None:
        if self.step != 2 or self.worker is None:
            return
        self.start_button.state(["disabled"])
        self.calib_status.configure(text=_("Get ready: sit upright, look at your screen."), style="TLabel")
        log.info("setup calibration: countdown of %d s", self.options.countdown_s)
        self._tick(self.options.countdown_s)

    def _tick(self, remaining: int) -> None:
        if remaining > 0:
            self.count_label.configure(text=str(remaining))
            self._countdown_job = self.root.after(1000, lambda: self._tick(remaining - 1))
            return
        self.count_label.configure(text="●")
        self.calib_status.configure(text=_("Recording… hold still."))
        log.info("setup calibration: recording")
        self.worker.start_collecting(self.options.frames)  # type: ignore[union-attr]
        self._countdown_job = self.root.after(200, self._watch_collection)

    def _watch_collection(self) -> None:
        worker = self.worker
        if worker is None:
            return
        progress = worker.progress()
        if progress is None:
            return
        self.calib_status.configure(
            text=_("Recording… hold still ({seen} of {wanted} frames).").format(
                seen=progress.with_person, wanted=progress.wanted
            )
        )
        if not (progress.done or worker.error is not None):
            self._countdown_job = self.root.after(200, self._watch_collection)
            return
        self._countdown_job = None
        session = worker.stop_collecting()
        if session is not None:
            self._save_calibration(session)

    def _save_calibration(self, session: CalibrationSession) -> None:
        from postureguard.settings.config import load_settings
        from postureguard.settings.profiles import profile_path, save_profile

        self.start_button.state(["!disabled"])
        self.start_button.configure(text=_("Calibrate again"))
        self.count_label.configure(text="")
        profile = load_settings(backup=False).settings.profile  # "default" unless the user named one
        target = profile_path(profile)
        try:
            cal = session.finish()
            note = f"first-run setup, {cal.samples} of {session.looked_at} frames"
            save_profile(profile, cal, note=note)
        except UserError as exc:
            self.calib_status.configure(
                text=_("Not calibrated: {reason}").format(reason=exc), style="Error.TLabel"
            )
            log.info("setup calibration failed: %s", exc)
            return
        except OSError as exc:
            self.calib_status.configure(
                text=_("Cannot save {path}: {reason}").format(path=target, reason=exc.strerror or exc),
                style="Error.TLabel",
            )
            return
        self.calibrated = True
        self.count_label.configure(text="✓")
        self.calib_status.configure(
            text=_("Calibrated on {n} frames and saved. Press Next.").format(n=cal.samples), style="Ok.TLabel"
        )
        self.next_button.configure(text=_("Next"))
        log.info("setup calibration saved to %s (%d frames)", target, cal.samples)

    def _cancel_calibration(self) -> None:
        if self._countdown_job is not None:
            self.root.after_cancel(self._countdown_job)
            self._countdown_job = None
        if self.worker is not None:
            self.worker.stop_collecting()

    # -- step 4 ------------------------------------------------------------------------------------------
    def _main_settings(self) -> None:
        from postureguard.ui.settings_window import sensitivity_text

        ttk = self.ttk
        gap = round(8 * self.scale)
        self._text(self.content, _("Sensitivity"), "Heading.TLabel")
        for level in SENSITIVITY_THRESHOLDS_DEG:
            ttk.Radiobutton(
                self.content, text=sensitivity_text(level), value=level, variable=self.sensitivity_var
            ).pack(anchor="w")
        self._text(self.content, _("Sitting reminder"), "Heading.TLabel").pack_configure(pady=(gap, 0))
        self._text(self.content, _("Remind me to stand up and move after sitting for:"))
        grid = ttk.Frame(self.content)
        grid.pack(anchor="w")
        # Three to a row: six choices in two short rows keep the window within the screen at 200 %.
        for i, minutes in enumerate(sitting_choices(self.settings.sitting_limit_minutes)):
            ttk.Radiobutton(grid, text=sitting_text(minutes), value=minutes, variable=self.sitting_var).grid(
                row=i // 3, column=i % 3, sticky="w", padx=(0, gap * 3)
            )
        # One row, so the step still fits a 1280 x 800 screen at 200 %.
        kinds = ttk.Frame(self.content)
        kinds.pack(anchor="w", pady=(gap, 0))
        ttk.Label(kinds, text=_("Suggest:"), style="Heading.TLabel").pack(side="left", padx=(0, gap))
        for value, label in ROUTINE_KIND_CHOICES:
            ttk.Radiobutton(kinds, text=_(label), value=value, variable=self.kind_var).pack(
                side="left", padx=(0, gap * 2)
            )
        # No heading of its own: the box says what it does, and the step keeps to 800 pixels at 200 %.
        ttk.Checkbutton(
            self.content, text=_("Start PostureGuard when I log in"), variable=self.login_var
        ).pack(anchor="w", pady=(gap, 0))
        self.finish_status = self._text(
            self.content, _("All other settings are in Settings… in the tray menu."), "Muted.TLabel"
        )
        self.finish_status.pack_configure(pady=(gap, 0))

    def finish(self) -> None:
        from postureguard.platform import autostart
        from postureguard.settings.config import load_settings, save_settings

        current = load_settings().settings  # re-read: keep anything changed elsewhere meanwhile
        updated = replace(
            current,
            sensitivity=self.sensitivity_var.get(),
            sitting_limit_minutes=int(self.sitting_var.get()),
            start_at_login=bool(self.login_var.get()),
            routine_kind=self.kind_var.get(),
            pregnancy_mode=self.safety_vars["pregnancy_mode"].get() == "yes",
            blood_thinners=self.safety_vars["blood_thinners"].get() == "yes",
            camera=int(self.camera_var.get()) if not self.options.source else current.camera,
        )
        try:
            autostart.set_enabled(updated.start_at_login)
            save_settings(updated)
            mark_done(datetime.now(timezone.utc), self.calibrated)
        except (UserError, OSError) as exc:
            self.finish_status.configure(
                text=_("Not finished: {reason}").format(reason=exc), style="Error.TLabel"
            )
            return
        self.finished = True
        log.info("setup finished (calibrated: %s)", self.calibrated)
        if self._on_finish:
            self._on_finish()
        self.close()

    # -- background work ---------------------------------------------------------------------------------
    def _source_factory(self) -> Callable[[], Any]:
        from postureguard.vision.sources import CameraSource, open_source

        if self.options.source:
            specs = list(self.options.source)
            return lambda: open_source(specs, interval=PHOTO_INTERVAL_S)
        index = int(self.camera_var.get())
        width, height = self.settings.camera_width, self.settings.camera_height
        return lambda: CameraSource(index, width, height)

    def _ensure_worker(self) -> None:
        if self.worker is None and self._has_source():
            self.worker = FrameWorker(self._source_factory(), self.box, self.options.model)

    def _stop_worker(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None

    def _pump(self) -> None:
        """Move the newest preview and camera answers from the worker threads into the window."""
        try:
            report = self._camera_queue.get_nowait()
        except queue.Empty:
            pass
        else:
            self._cameras = list(report.usable) or list(report.cameras)
            if self._cameras and self.camera_var.get() not in {c.index for c in self._cameras}:
                self.camera_var.set(self._cameras[0].index)
            self._fill_camera_list()
            if self.step in (1, 2):
                self._ensure_worker()
        worker = self.worker
        if worker is not None and self.preview_label is not None:
            latest = None
            while True:
                try:
                    latest = worker.previews.get_nowait()
                except queue.Empty:
                    break
            if latest is not None:
                self._show_preview(latest)
            elif worker.error and self.preview_label.winfo_exists():
                self.preview_label.configure(image="", text=worker.error, wraplength=self.box[0] - 20)
                self.preview_status.configure(text="")
        self.root.after(40, self._pump)

    def _show_preview(self, preview: Preview) -> None:
        from PIL import Image, ImageTk

        if not self.preview_label.winfo_exists():
            return
        if self._photo is None:
            log.info("setup preview: first frame shown (%s)", preview.message)
        self._photo = ImageTk.PhotoImage(Image.fromarray(preview.rgb), master=self.root)
        self.preview_label.configure(image=self._photo, text="")
        self.preview_status.configure(
            text=preview.message, style="Ok.TLabel" if preview.person else "Muted.TLabel"
        )

    def close(self) -> None:
        self._cancel_calibration()
        self._stop_worker()
        self.root.destroy()

    def run(self) -> None:
        self.root.mainloop()


def open_first_run(options: SetupOptions) -> int:
    """Run the walk-through until it is finished or closed; 0 when finished, 1 when closed early."""
    if options.frames < MIN_CALIBRATION_SAMPLES:
        raise UserError(_("--frames must be at least {n}").format(n=MIN_CALIBRATION_SAMPLES))
    if options.countdown_s < 0:
        raise UserError(_("--countdown must not be negative"))
    window = FirstRunWindow(options)
    window.run()
    if not window.finished:
        log.info("setup closed before it was finished; it will be offered again")
        return 1
    return 0
