"""Platform adapters: the small, desktop-specific pieces (tray backend, notifications, ...).

Each concern lives in a module of its own, so pystray and desktop-notifier keep serving Windows and
macOS without Linux-only code standing in their way.
"""
