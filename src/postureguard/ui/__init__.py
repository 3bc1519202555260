"""What the user sees: the tray icon and its menu (pystray), the Tk windows (routine player, settings,
first-run setup) and the drawings they share (body and hand figures, icons)."""
