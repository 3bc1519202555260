"""Locate files that ship with PostureGuard: the knowledge base, the pose model and the guide's models.

An installed wheel carries them inside the package (``postureguard/data``, ``postureguard/models``);
a source checkout keeps them at the top of the repository. Both are looked up, package first.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import weakref
import zipfile
from pathlib import Path

from postureguard.errors import ModelError
from postureguard.i18n import N_, _

_PACKAGE_DIR = Path(__file__).resolve().parents[1]  # postureguard/ (data/ and models/ beside files/)
_REPO_ROOT = _PACKAGE_DIR.parent.parent

POSE_MODEL_NAME = "pose_landmarker_lite.task"
#: SHA-256 of Google's official pose_landmarker_lite.task (Apache-2.0), as shipped in models/.
POSE_MODEL_SHA256 = "59929e1d1ee95287735ddd833b19cf4ac46d29bc7afddbbf6753c459690d574a"

RESTORE_HINT = N_(
    "restore it with 'git checkout -- models/' in a source checkout, or reinstall PostureGuard "
    "('pip install --force-reinstall postureguard'); models/README.md says where the official file "
    "comes from"
)


def _first_existing(*candidates: Path) -> Path:
    for path in candidates:
        if path.exists():
            return path
    return candidates[0]


def acupoints_path() -> Path:
    """Path of the bundled knowledge base (data/acupoints.json)."""
    return _first_existing(_PACKAGE_DIR / "data" / "acupoints.json", _REPO_ROOT / "data" / "acupoints.json")


def app_icon_path() -> Path:
    """Path of the application icon (data/postureguard.svg, scalable, for the hicolor icon theme)."""
    return _first_existing(
        _PACKAGE_DIR / "data" / "postureguard.svg", _REPO_ROOT / "data" / "postureguard.svg"
    )


def bundled_model_path() -> Path:
    """Path of the bundled pose model (which may be missing; see :func:`verified_model_path`)."""
    return _first_existing(_PACKAGE_DIR / "models" / POSE_MODEL_NAME, _REPO_ROOT / "models" / POSE_MODEL_NAME)


#: The camera guide's models (Google's official MediaPipe task bundles, Apache-2.0): name -> SHA-256.
HAND_MODEL_NAME = "hand_landmarker.task"
HAND_MODEL_SHA256 = "fbc2a30080c3c557093b5ddfc334698132eb341044ccee322ccf8bcf3607cde1"
FACE_MODEL_NAME = "face_landmarker.task"
FACE_MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
GUIDE_MODELS: dict[str, tuple[str, str]] = {
    "hand": (HAND_MODEL_NAME, HAND_MODEL_SHA256),
    "face": (FACE_MODEL_NAME, FACE_MODEL_SHA256),
}


def bundled_guide_model_path(kind: str) -> Path:
    """Path of the bundled ``"hand"`` or ``"face"`` landmarker (which may be missing)."""
    name = GUIDE_MODELS[kind][0]
    return _first_existing(_PACKAGE_DIR / "models" / name, _REPO_ROOT / "models" / name)


def verified_guide_model_path(kind: str) -> Path:
    """The bundled ``"hand"`` or ``"face"`` landmarker, checked against its SHA-256.

    Raises :class:`ModelError` (one line naming the file) when it is missing or altered.
    """
    name, expected = GUIDE_MODELS[kind]
    path = bundled_guide_model_path(kind)
    if not path.is_file():
        text = _("the {kind} model is missing: {path}; {hint}")
        raise ModelError(text.format(kind=kind, path=path, hint=_(RESTORE_HINT)))
    actual = sha256_of(path)
    if actual != expected:
        text = _(
            "the {kind} model {path} has been altered (SHA-256 {actual}…, expected {expected}…); {hint}"
        )
        hint, short = _(RESTORE_HINT), expected[:12]
        raise ModelError(text.format(kind=kind, path=path, actual=actual[:12], expected=short, hint=hint))
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class SealedModel:
    """A model file's bytes, copied once into sealed memory that MediaPipe loads by path.

    On Linux the copy is a memfd sealed against every change (``F_SEAL_WRITE``, ``SHRINK``, ``GROW``,
    ``SEAL``): from then on nobody, this process included, can alter it, so the SHA-256 taken of it
    (:attr:`sha256`) is the SHA-256 of the bytes MediaPipe reads through :attr:`path`
    (``/proc/self/fd/N``). MediaPipe maps a file it is given by path instead of copying it, so the
    model is in memory once (about 6 MB for the lite pose model) where a ``bytes`` buffer was there
    twice: Python's object and MediaPipe's copy of it. Where memfd or ``/proc`` is missing (another
    system), :attr:`path` is ``None`` and :attr:`data` holds the bytes, checked the same way.

    The memfd stays open until :meth:`close` (or until the object is collected): a landmarker built
    later from the same options (a switch between one pose and several) opens it again.
    """

    def __init__(self, source: Path):
        self.source = source
        self.path: str | None = None
        self.data: bytes | None = None
        self._fd: int | None = None
        try:
            fd = self._sealed_copy(source)
        except (AttributeError, OSError):  # no memfd or sealing here: keep the bytes instead
            self.data = source.read_bytes()
            self.sha256 = hashlib.sha256(self.data).hexdigest()
            return
        self._fd = fd
        self._finalizer = weakref.finalize(self, os.close, fd)
        self.path = f"/proc/self/fd/{fd}"
        digest = hashlib.sha256()
        for offset in range(0, os.fstat(fd).st_size, 1 << 20):
            digest.update(os.pread(fd, 1 << 20, offset))
        self.sha256 = digest.hexdigest()

    @staticmethod
    def _sealed_copy(source: Path) -> int:
        import fcntl

        fd = os.memfd_create(source.name, os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        try:
            with open(source, "rb") as fh, open(os.dup(fd), "wb") as out:
                shutil.copyfileobj(fh, out)
            seals = fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL
            fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
            if not os.path.exists(f"/proc/self/fd/{fd}"):
                raise OSError("no /proc to name the sealed copy by")
        except BaseException:
            os.close(fd)
            raise
        return fd

    def base_options(self) -> dict[str, object]:
        """The keyword arguments of MediaPipe's ``BaseOptions`` that load this model."""
        return {"model_asset_path": self.path} if self.path else {"model_asset_buffer": self.data}

    def close(self) -> None:
        """Let the sealed copy go (landmarkers already built keep their own mapping of it)."""
        if self._fd is not None:
            self._finalizer()
            self._fd = None


def verified_model(custom: str | Path | None = None) -> SealedModel:
    """The pose model as :func:`verified_model_path` finds and checks it, sealed in memory
    (:class:`SealedModel`) and, for the bundled model, checked again against :data:`POSE_MODEL_SHA256`
    on that sealed copy: the bytes checked are the bytes MediaPipe loads, even if the file on disk
    changes meanwhile. Raises :class:`ModelError` as :func:`verified_model_path` does."""
    path = verified_model_path(custom)
    model = SealedModel(path)
    if custom is None and model.sha256 != POSE_MODEL_SHA256:
        model.close()
        text = _("the pose model {path} has been altered (SHA-256 {actual}…, expected {expected}…); {hint}")
        raise ModelError(text.format(path=path, actual=model.sha256[:12], expected=POSE_MODEL_SHA256[:12],
                                     hint=_(RESTORE_HINT)))  # fmt: skip
    return model


def verified_model_path(custom: str | Path | None = None) -> Path:
    """Return a pose model path that is safe to load.

    The bundled lite model must match :data:`POSE_MODEL_SHA256`. A ``custom`` path (for the full or
    heavy variants) has no hash we could know in advance, so it is only checked to exist and to be a
    MediaPipe task bundle (a zip archive); MediaPipe itself rejects anything else when loading.
    """
    if custom is not None:
        path = Path(custom).expanduser()
        if not path.is_file():
            raise ModelError(
                _("pose model not found: {path} (--model expects a MediaPipe .task file)").format(path=path)
            )
        if not zipfile.is_zipfile(path):
            text = _("pose model {path} is not a MediaPipe .task bundle (expected a zip archive)")
            raise ModelError(text.format(path=path))
        return path

    path = bundled_model_path()
    if not path.is_file():
        text = _("the pose model is missing: {path}; {hint}")
        raise ModelError(text.format(path=path, hint=_(RESTORE_HINT)))
    actual = sha256_of(path)
    if actual != POSE_MODEL_SHA256:
        text = _("the pose model {path} has been altered (SHA-256 {actual}…, expected {expected}…); {hint}")
        raise ModelError(
            text.format(path=path, actual=actual[:12], expected=POSE_MODEL_SHA256[:12], hint=_(RESTORE_HINT))
        )
    return path
