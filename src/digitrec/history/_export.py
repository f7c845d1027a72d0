"""Corrected digits as an image-folder dataset in a zip file."""

from __future__ import annotations

import logging
import re
import zipfile
from collections.abc import Iterable
from typing import BinaryIO

logger = logging.getLogger(__name__)

LABELS_FILE = "labels.txt"
_DIGIT = re.compile(r"[0-9]")  # ASCII only: str.isdigit would take "²"


def write_dataset_zip(out: BinaryIO, items: Iterable[tuple[int, str, bytes]]) -> int:
    """Write `<label>/<id>.png` per (id, label, png) plus `labels.txt`; return the count.

    A row whose label is not one digit 0-9 is left out (with a warning).

    `labels.txt` has one `path label` line per image, in the order written.
    `out` need not be seekable (zipfile then writes data descriptors).
    """
    lines: list[str] = []
    # PNG is already compressed; deflating it again only costs time.
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for item_id, label, png in items:
            # The names come from the database, which the API fills with digits only; a row written
            # by other means could hold "../x" or an absolute path, which unzip would write outside.
            if not (isinstance(item_id, int) and isinstance(label, str) and _DIGIT.fullmatch(label)):
                logger.warning("export: skipping history item %r, whose label %.20r is not one digit", item_id, label)
                continue
            path = f"{label}/{item_id}.png"
            archive.writestr(path, png)
            lines.append(f"{path} {label}\n")
        archive.writestr(LABELS_FILE, "".join(lines), compress_type=zipfile.ZIP_DEFLATED)
    return len(lines)
