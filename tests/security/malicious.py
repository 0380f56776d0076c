"""A hostile skops file, built by the tests themselves: its schema asks skops to call
``subprocess.Popen(["touch", MARKER])`` while loading. If any code path trusts the types the file
declares about itself, the marker file appears."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path


def popen_skops_file(marker: Path) -> bytes:
    """A valid skops archive whose top object is ``subprocess.Popen(["touch", marker])``."""
    import skops.io

    honest = skops.io.dumps((["touch", str(marker)],))  # the argument tuple, saved by skops
    with zipfile.ZipFile(io.BytesIO(honest)) as archive:
        schema = json.loads(archive.read("schema.json"))
        members = {n: archive.read(n) for n in archive.namelist() if n != "schema.json"}
    header = {key: schema.pop(key) for key in ("protocol", "_skops_version") if key in schema}
    evil = {
        **header,
        "__class__": "Popen",
        "__module__": "subprocess",
        "__loader__": "ConstructorFromReduceNode",  # skops calls the type with the content
        "content": schema,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("schema.json", json.dumps(evil))
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()
