"""Write the real desk recordings of ``bench/scenarios/desk-video.json`` into a folder, hash-checked.

    python bench/desk_video.py [DEST] [--mirror DIR]

DEST defaults to ``../shared/data/posture/desk-video`` beside the checkout, where the manifest and
``tests/test_desk_video.py`` look. Each file is one blob of a public GitHub repository at the commit
listed in ``bench/scenarios/desk-video-files.json``, copied byte for byte (never re-encoded): from a
local bare mirror (``DIR/owner+name/repo``, as the tool library's ``fetch`` leaves them) when
``--mirror`` is given, else from ``raw.githubusercontent.com`` (the only command of the project that
goes online, and only when run by hand). A file whose SHA-256 differs from the table is refused and not
written; files already present with the right hash are kept. The licence text of each repository at
that commit is written beside the clips, and ``PROVENANCE.txt`` lists source, commit, blob and hash.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import subprocess
import sys
import urllib.request
from pathlib import Path

log = logging.getLogger("desk_video")
HERE = Path(__file__).resolve().parent
TABLE = HERE / "scenarios" / "desk-video-files.json"
DEFAULT_DEST = HERE.parent.parent / "shared" / "data" / "posture" / "desk-video"


def _blob(repository: str, commit: str, path: str, mirror: Path | None) -> bytes:
    if mirror is not None:
        git_dir = mirror / repository.replace("/", "+") / "repo"
        return subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{commit}:{path}"],
                              check=True, capture_output=True).stdout  # fmt: skip
    url = f"https://raw.githubusercontent.com/{repository}/{commit}/{path}"
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (a fixed https host)
        return response.read()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dest", nargs="?", type=Path, default=DEFAULT_DEST)
    ap.add_argument("--mirror", type=Path, help="folder of bare git mirrors named owner+name/repo")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    files = json.loads(TABLE.read_text(encoding="utf-8"))["files"]
    args.dest.mkdir(parents=True, exist_ok=True)
    bad = 0
    provenance = ["Real recordings of people for bench/scenarios/desk-video.json, each copied byte for",
                  "byte from one git blob (written by bench/desk_video.py from",
                  "bench/scenarios/desk-video-files.json).", ""]  # fmt: skip
    licences: dict[tuple[str, str], str] = {}
    for entry in files:
        target = args.dest / entry["file"]
        if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == entry["sha256"]:
            log.info("%s: already there", entry["file"])
        else:
            try:
                data = _blob(entry["repository"], entry["commit"], entry["path"], args.mirror)
            except (OSError, subprocess.CalledProcessError) as exc:
                log.error("%s: could not be read from %s: %s", entry["file"], entry["repository"], exc)
                bad += 1
                continue
            digest = hashlib.sha256(data).hexdigest()
            if digest != entry["sha256"]:
                log.error("%s: SHA-256 %s, expected %s; not written", entry["file"], digest, entry["sha256"])
                bad += 1
                continue
            partial = target.with_suffix(target.suffix + ".part")
            partial.write_bytes(data)
            partial.replace(target)
            log.info("%s: written (%d bytes)", entry["file"], len(data))
        key = (entry["repository"], entry["licence_path"])
        if key not in licences:
            name = (
                "LICENSE-"
                + entry["repository"].replace("/", "-")
                + ("-" + entry["licence_path"].split("/")[1] if entry["licence_path"].count("/") > 1 else "")
            )
            try:
                (args.dest / name).write_bytes(
                    _blob(entry["repository"], entry["commit"], entry["licence_path"], args.mirror)
                )
                licences[key] = name
            except (OSError, subprocess.CalledProcessError) as exc:
                log.warning("%s: licence text not read: %s", entry["repository"], exc)
                licences[key] = "(not read)"
        provenance.append(
            f"{entry['file']}\n  from {entry['repository']} {entry['path']}\n"
            f"  commit {entry['commit']} blob {entry['blob']}\n  sha256 {entry['sha256']}\n"
            f"  licence text: {licences[key]} ({entry['licence_path']} at that commit)"
        )
    (args.dest / "PROVENANCE.txt").write_text("\n".join(provenance) + "\n", encoding="utf-8")
    if bad:
        log.error("%d of %d files missing or refused", bad, len(files))
        return 1
    log.info("%d files in %s", len(files), args.dest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
