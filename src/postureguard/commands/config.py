"""``postureguard config``: show, read and change settings (validated, saved atomically)."""

from __future__ import annotations

import contextlib
import sys

from postureguard.i18n import _


def register(sub) -> None:
    p = sub.add_parser(
        "config",
        help=_("show or change settings"),
        description=_("Show or change PostureGuard's settings. Keys may be given bare (sensitivity) or with "
                      "their section (posture.sensitivity)."),
    )
    actions = p.add_subparsers(dest="config_action", metavar="ACTION")
    show = actions.add_parser("show", help=_("list every setting, marking those changed from the default"))
    show.add_argument("--explain", action="store_true", help=_("also say what each key means and allows"))
    show.set_defaults(func=run_show)
    get = actions.add_parser("get", help=_("print one setting's value"))
    get.add_argument("key", metavar="KEY")
    get.set_defaults(func=run_get)
    set_ = actions.add_parser("set", help=_("change one setting (validated, saved at once)"))
    set_.add_argument("key", metavar="KEY")
    set_.add_argument("value", metavar="VALUE", help=_("new value; for lists, codes separated by commas"))
    set_.set_defaults(func=run_set)
    path = actions.add_parser("path", help=_("print where the settings file is"))
    path.set_defaults(func=run_path)
    # `postureguard config` alone shows the settings.
    p.set_defaults(func=run_show)


def _load():
    from postureguard.settings.config import load_settings

    result = load_settings()
    for warning in result.warnings:
        sys.stderr.write("postureguard: " + _("warning: {warning}").format(warning=warning) + "\n")
    return result


def run_show(args) -> int:
    from postureguard.settings.config import DEFAULTS, SECTIONS, SPECS, allowed_text, format_value

    result = _load()
    out = [f"# {result.path}" + ("" if result.path.exists() else _(" (not created yet: all defaults)"))]
    if not getattr(args, "explain", False):
        out.append("# " + _("'postureguard config show --explain' says what each key means and allows"))
    for section in SECTIONS:
        out.append(f"[{section}]")
        for spec in (s for s in SPECS if s.section == section):
            value = getattr(result.settings, spec.name)
            line = f"{spec.name} = " + (format_value(value) or _("(empty)"))
            if value != DEFAULTS[spec.name]:
                line += "    * " + _("changed (default: {default})").format(
                    default=format_value(DEFAULTS[spec.name]) or _("empty"))
            out.append(line)
            if getattr(args, "explain", False):
                out.append(f"    # {_(spec.help)}; {allowed_text(spec)}")
    sys.stdout.write("\n".join(out) + "\n")
    return 0


def run_get(args) -> int:
    from postureguard.settings.config import format_value, resolve_key

    spec = resolve_key(args.key)
    settings = _load().settings
    sys.stdout.write(format_value(getattr(settings, spec.name)) + "\n")
    return 0


def run_set(args) -> int:
    from postureguard.errors import DataError
    from postureguard.files import paths
    from postureguard.settings.config import format_value, resolve_key, save_settings, with_value

    spec = resolve_key(args.key)
    target = paths.settings_file()
    with contextlib.ExitStack() as stack:
        try:
            paths.ensure_private_dir(target.parent)
            # Read, change and save under the settings file's lock: two `config set` at once would
            # otherwise both read the old file and the second save would undo the first one's change.
            stack.enter_context(paths.output_lock(target, wait=True))
        except OSError as exc:
            raise DataError(_("cannot save settings to {path}: {reason}").format(
                path=target, reason=exc.strerror or exc)) from None
        result = _load()
        updated = with_value(result.settings, spec.name, args.value)
        path = save_settings(updated, result.path)
    saved = _("(saved to {path})").format(path=path)
    sys.stdout.write(f"{spec.name} = {format_value(getattr(updated, spec.name))} {saved}\n")
    return 0


def run_path(args) -> int:
    from postureguard.files import paths

    sys.stdout.write(f"{paths.settings_file()}\n")
    return 0
