"""Refuse internet sockets in the kernel, for this process, all its threads and every child.

PostureGuard needs no network: frames, landmarks and history never leave the machine. Promising that
in Python is not enough, because native libraries open sockets from their own threads (MediaPipe
0.10.35 and later ship a usage logger that posts to a Google host). So, on Linux, every PostureGuard
process installs a seccomp filter (through libseccomp, Debian's ``libseccomp2``, and its ctypes binding
``pyseccomp``) before any native library is loaded. With it, ``socket()`` fails with ``EPERM``
("Operation not permitted") for every address family except:

* ``AF_UNIX`` (1): the X server and D-Bus (tray, notifications, screen lock) are local sockets;
* ``AF_NETLINK`` (16): kernel-only messages (network interface lists, device hot-plug); they cannot
  reach another host.

``io_uring_setup`` fails with ``ENOSYS`` too, because an io_uring can create sockets without the
``socket()`` system call. The filter is inherited by threads started later, by threads already running
(TSYNC) and across ``fork``/``exec``, and can never be removed by the process it is in.

What it does not cover, on purpose or because the kernel cannot tell: a local socket to another
program that itself reaches the network (a name-service daemon such as nscd or systemd-resolved answers
host-name lookups over a Unix socket, so a lookup can still be *asked*; no internet socket can be
opened to use the answer), and other operating systems, where nothing is installed and the status
says so.

The filter is skipped, with the reason recorded for the log and ``postureguard doctor``, when:
the platform is not Linux; libseccomp cannot be loaded; ``DISPLAY`` or the session bus address names a
TCP endpoint (SSH X forwarding, a remote bus), which the filter would cut off; the environment variable
``POSTUREGUARD_NETWORK_FILTER=off`` or the setting ``network_filter = false`` (section ``[privacy]``)
turns it off.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from postureguard.i18n import _

#: The only address families a PostureGuard process may create sockets in (see the module docstring).
ALLOWED_FAMILIES = (socket.AF_UNIX, 16)  # 16 = AF_NETLINK (not defined on every platform's socket)
#: Families are small numbers (AF_MAX is 46 in Linux 6.x); every value from here up is refused as one
#: range, so a family added to a future kernel is refused too.
_FAMILY_RANGE_END = 64

ENV_SWITCH = "POSTUREGUARD_NETWORK_FILTER"


@dataclass(frozen=True)
class FilterStatus:
    """Whether internet sockets are refused in this process, and in words why or why not.

    ``switched_off``: the user turned the filter off (environment or setting), which is no cause for a
    warning; told apart here because ``reason`` is in the user's language.
    """

    active: bool
    reason: str
    switched_off: bool = False

    def line(self) -> str:
        """The one-line summary ``doctor`` prints."""
        if self.active:
            return _("internet sockets refused by a kernel filter (seccomp)")
        return _("internet sockets NOT refused: {reason}").format(reason=self.reason)


_status: FilterStatus | None = None


def tcp_endpoint(env: Mapping[str, str]) -> str | None:
    """The variable (``DISPLAY=...``) that names a TCP endpoint the filter would cut off, else None.

    ``DISPLAY`` is ``[host]:display[.screen]``: an empty host, ``unix`` or a path (macOS's launchd
    form) is a local socket; any other host name (``localhost:10.0`` from ``ssh -X`` included) is TCP.
    A D-Bus address is a ``;``-separated list of ``transport:key=value,...``; tcp and nonce-tcp are TCP.
    """
    display = env.get("DISPLAY", "")
    if display:
        host = display.rpartition(":")[0]
        if host.startswith("unix/"):
            host = ""
        if host not in ("", "unix") and not host.startswith("/"):
            return f"DISPLAY={display}"
    for name in ("DBUS_SESSION_BUS_ADDRESS", "DBUS_SYSTEM_BUS_ADDRESS"):
        for address in env.get(name, "").split(";"):
            if address.split(":", 1)[0] in ("tcp", "nonce-tcp"):
                return f"{name}={address}"
    return None


def _switched_off(env: Mapping[str, str], settings_path: Path | None) -> str | None:
    value = env.get(ENV_SWITCH, "").strip().lower()
    if value in ("0", "off", "no", "false"):
        return _("turned off by {switch}").format(switch=f"{ENV_SWITCH}={env[ENV_SWITCH]}")
    if settings_path is None:
        return None
    try:
        from postureguard.settings.config import network_filter_setting

        if network_filter_setting(settings_path) is False:
            return _("turned off by network_filter = false in {path}").format(path=settings_path)
    except Exception:  # noqa: BLE001 - a broken settings file must never turn the filter off
        return None
    return None


def _build_and_load() -> None:
    import pyseccomp as seccomp

    refuse = seccomp.ERRNO(errno.EPERM)
    flt = seccomp.SyscallFilter(seccomp.ALLOW)
    # Apply to every thread that already runs (a library may have started one at import time).
    flt.set_attr(seccomp.Attr.CTL_TSYNC, 1)
    for family in range(_FAMILY_RANGE_END):
        if family not in ALLOWED_FAMILIES:
            flt.add_rule(refuse, "socket", seccomp.Arg(0, seccomp.EQ, family))
    # The comparison is on the whole 64-bit register, so a value with high bits set (which the kernel
    # would truncate to a small int) is >= the range end and refused as well.
    flt.add_rule(refuse, "socket", seccomp.Arg(0, seccomp.GE, _FAMILY_RANGE_END))
    flt.add_rule(seccomp.ERRNO(errno.ENOSYS), "io_uring_setup")
    flt.load()


def install(env: Mapping[str, str] | None = None, settings_path: Path | None = None) -> FilterStatus:
    """Install the filter in this process (once; later calls return the first result).

    Call it before importing MediaPipe, OpenCV or any other native library. Never raises: when the
    filter cannot be installed, the returned status says why, and the caller logs it.
    """
    global _status
    if _status is not None:
        return _status
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux"):
        _status = FilterStatus(False, _("the kernel filter is Linux-only (this is {platform})").format(
            platform=sys.platform
        ))  # fmt: skip
        return _status
    off = _switched_off(env, settings_path)
    if off:
        _status = FilterStatus(False, off, switched_off=True)
        return _status
    remote = tcp_endpoint(env)
    if remote:
        _status = FilterStatus(
            False, _("{endpoint} is a network endpoint that the filter would cut off").format(endpoint=remote)
        )
        return _status
    try:
        _build_and_load()
    except ImportError as exc:
        _status = FilterStatus(
            False, _("the seccomp binding is not available ({error}); install pyseccomp").format(error=exc)
        )
    except (OSError, RuntimeError, ValueError) as exc:
        # RuntimeError: pyseccomp finds no libseccomp; OSError: the kernel refused the filter.
        _status = FilterStatus(False, _("the kernel did not accept the filter ({error})").format(error=exc))
    else:
        _status = FilterStatus(True, _("installed at start-up"))
    return _status


def probe() -> FilterStatus:
    """Ask the kernel: can this process create an internet socket? (Creates and closes one if so.)

    Unlike :func:`install`'s record, this also sees a filter inherited from a parent process.
    """
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock = socket.socket(family, socket.SOCK_DGRAM)
        except PermissionError:
            continue
        except OSError:
            continue  # e.g. IPv6 not built into the kernel: that family cannot be used either
        sock.close()
        recorded = _status.reason if _status and not _status.active else _("no filter in this process")
        return FilterStatus(False, recorded)
    return FilterStatus(True, _("refused by the kernel"))


def status() -> FilterStatus:
    """What :func:`install` did in this process, or, if it was not called, what :func:`probe` finds."""
    return _status if _status is not None else probe()
