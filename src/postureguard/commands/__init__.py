"""Sub-commands of the ``postureguard`` command line; each module has ``register(subparsers)``."""
