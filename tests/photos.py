"""Real photos that ship inside installed packages, as BGR arrays (OpenCV's layout)."""

from __future__ import annotations

import numpy as np


def _bgr(rgb_or_grey: np.ndarray) -> np.ndarray:
    img = np.asarray(rgb_or_grey)
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    img = img[:, :, :3]
    if img.dtype != np.uint8:
        img = (np.clip(img, 0, 1) * 255).astype(np.uint8) if img.max() <= 1.0 else img.astype(np.uint8)
    return np.ascontiguousarray(img[:, :, ::-1])


def photo(name: str) -> np.ndarray:
    """``astronaut``, ``camera``, ``coffee``, ``rocket`` (scikit-image) or ``grace_hopper`` (matplotlib)."""
    if name == "grace_hopper":
        import matplotlib.cbook
        import matplotlib.image

        with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as fh:
            return _bgr(matplotlib.image.imread(fh, format="jpg"))
    import skimage.data

    return _bgr(getattr(skimage.data, name)())


PEOPLE = ("astronaut", "camera", "grace_hopper")
NO_PEOPLE = ("coffee", "rocket")
