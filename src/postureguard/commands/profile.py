"""``postureguard profile``: list, choose, rename and delete the named profiles (setups).

A profile is one calibration with a name ("laptop", "desk"); ``postureguard calibrate --profile NAME``
makes one, the tray's Profile menu chooses one, and the running app switches by itself when the
camera or where the user sits shows another (see :mod:`postureguard.engine.profiles`).
"""

from __future__ import annotations

import sys

from postureguard.i18n import _


def register(sub) -> None:
    p = sub.add_parser(
        "profile",
        help=_("list, choose, rename or delete profiles (named setups with their own calibration)"),
        description=_("A profile is a way of working (e.g. laptop, desk) with its own calibration. Make one "
                      "with 'postureguard calibrate --profile NAME'; the tray app switches to the profile "
                      "whose camera is in use or whose place you sit in."),
    )
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    verbs.add_parser("list", help=_("every profile, the one in use marked with *"))
    use = verbs.add_parser("use", help=_("use the profile NAME (the running app follows)"))
    use.add_argument("name", metavar="NAME")
    rename = verbs.add_parser("rename", help=_("give the profile OLD the name NEW"))
    rename.add_argument("old", metavar="OLD")
    rename.add_argument("new", metavar="NEW")
    delete = verbs.add_parser("delete", help=_("delete the profile NAME and its calibration"))
    delete.add_argument("name", metavar="NAME")
    p.set_defaults(func=run)


def run(args) -> int:
    from dataclasses import replace

    from postureguard.errors import DataError
    from postureguard.files import paths
    from postureguard.settings.config import load_settings, save_settings
    from postureguard.settings.profiles import (
        check_name,
        delete_profile,
        read_profile,
        rename_profile,
        same_name,
        with_active,
    )

    loaded = load_settings()
    settings = loaded.settings
    verb = args.verb or "list"
    if verb == "list":
        for p in with_active(settings.profile):
            mark = "*" if same_name(p.name, settings.profile) else " "
            if p.problem:
                state = _("unusable: {reason}").format(reason=p.problem)
            elif p.calibration is None:
                state = _("not calibrated yet")
            else:
                state = _("calibrated")
            camera = _(", camera {index}: {name}").format(index=p.camera, name=p.camera_name or "?") \
                if p.camera is not None else ""
            sys.stdout.write(f"{mark} {p.name}  ({state}{camera})  {p.path}\n")
        return 0
    if verb == "use":
        name = check_name(args.name)
        chosen = read_profile(name)
        save_settings(replace(settings, profile=chosen.name), paths.settings_file())
        if chosen.calibration is None:
            text = _("profile {name} is in use; it has no calibration yet: the tray app calibrates it when "
                     "it runs, or run 'postureguard calibrate --profile {name} --source 0'")
        else:
            text = _("profile {name} is in use")
        sys.stderr.write(text.format(name=chosen.name) + "\n")
        return 0
    if verb == "rename":
        old = read_profile(args.old)
        path = rename_profile(old.name, args.new)
        new = check_name(args.new)
        if same_name(settings.profile, old.name):
            save_settings(replace(settings, profile=new), paths.settings_file())
        text = _("profile {old} is now {new} ({path})")
        sys.stderr.write(text.format(old=old.name, new=new, path=path) + "\n")
        return 0
    name = check_name(args.name)
    if same_name(name, settings.profile):
        raise DataError(_("profile {name} is in use; choose another with 'postureguard profile use' first")
                        .format(name=name))  # fmt: skip
    path = delete_profile(name)
    sys.stderr.write(_("profile {name} deleted ({path})").format(name=name, path=path) + "\n")
    return 0
