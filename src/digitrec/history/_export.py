"""Corrected digits as an image-folder dataset in a zip file."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from typing import BinaryIO

LABELS_FILE = "labels.txt"


def write_dataset_zip(out: BinaryIO, items: Iterable[tuple[int, str, bytes]]) -> int:
    """Write `<label>/<id>.png` per (id, label, png) plus `labels.txt`; return the count.

    `labels.txt` has one `path label` line per image, in the order written.
    `out` need not be seekable (zipfile then writes data descriptors).
    """
    lines: list[str] = []
    # PNG is already compressed; deflating it again only costs time.
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for item_id, label, png in items:
            path = f"{label}/{item_id}.png"
            archive.writestr(path, png)
            lines.append(f"{path} {label}\n")
        archive.writestr(LABELS_FILE, "".join(lines), compress_type=zipfile.ZIP_DEFLATED)
    return len(lines)
