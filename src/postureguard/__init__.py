"""PostureGuard: a posture companion that suggests self-acupressure routines."""

__version__ = "0.1.0"
