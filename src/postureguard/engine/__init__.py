"""The pure posture engine: landmarks and times in, frozen samples and events out.

Nothing in this package reads the clock, a camera, a file or a database, and it imports no cv2,
mediapipe, GUI toolkit or sqlite3 (``tests/test_engine_purity.py`` enforces that). Times are seconds
on any monotonic scale the caller chooses; angles are degrees.
"""
