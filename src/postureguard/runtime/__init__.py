"""The running tray app: the monitor thread that owns the engine, the messages between threads
(commands in, frozen events out, the tray state reducer), the controller that turns events into
history, notifications and tray state, and the one way child processes are started.
"""
