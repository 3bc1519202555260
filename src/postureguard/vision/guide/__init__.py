"""The camera guide: hand and face landmarkers, the point locator and press detection."""
