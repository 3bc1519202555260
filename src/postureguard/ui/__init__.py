"""User-interface pieces that do not depend on a particular toolkit (icons, texts)."""
