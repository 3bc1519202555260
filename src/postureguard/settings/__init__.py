"""The user's settings file (defaults, validation, a forgiving loader, atomic saves) and the saved
calibration.
"""
