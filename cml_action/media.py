"""Gather every image a report needs: the `images` input, local and data: images referenced inside the report
markdown, and rendered plots. Each becomes a PreparedImage (validated, downscaled, optimised, hashed)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from cml_action import workspace
from cml_action.errors import CmlError
from cml_action.forges.base import PreparedImage

# Images one report may hold (inputs and markdown references together; plots count but are never cut). Each
# image costs preparing and one upload; 20 000 images used to take hours. The rest are left out with a warning.
MAX_IMAGES_PER_REPORT = 100
_LEFT_OUT_NAMED = 10  # names listed in the warning; the rest are counted


@dataclass
class MediaSet:
    """Prepared images by purpose; `by_target[(doc_index, target)]` maps a markdown reference to its image."""

    inputs: list[PreparedImage] = field(default_factory=list)
    plots: list[PreparedImage] = field(default_factory=list)
    by_target: dict[tuple[int, str], PreparedImage] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # images not taken because of MAX_IMAGES_PER_REPORT

    def all(self) -> list[PreparedImage]:
        unique: dict[str, PreparedImage] = {}
        for image in [*self.inputs, *self.by_target.values(), *self.plots]:
            unique.setdefault(image.sha256, image)
        return list(unique.values())

    def only(self, shas: Collection[str]) -> MediaSet:
        """The images whose sha256 is in `shas` (the published ones); the others are dropped from the report."""
        return MediaSet(
            inputs=[image for image in self.inputs if image.sha256 in shas],
            plots=[image for image in self.plots if image.sha256 in shas],
            by_target={ref: image for ref, image in self.by_target.items() if image.sha256 in shas},
            warnings=list(self.warnings),
            left_out=list(self.left_out),
        )

    def room(self) -> int:
        return max(0, MAX_IMAGES_PER_REPORT - len(self.all()))

    def leave_out(self, names: list[str]) -> None:
        """Record images over the cap; the report keeps ONE warning that names them (updated in place)."""
        if not names:
            return
        known = _left_out_warning(self.left_out) if self.left_out else None
        self.left_out.extend(names)
        text = _left_out_warning(self.left_out)
        if known in self.warnings:
            self.warnings[self.warnings.index(known)] = text
        else:
            self.warnings.append(text)


def _left_out_warning(names: list[str]) -> str:
    count = len(names)
    shown = ", ".join(names[:_LEFT_OUT_NAMED])
    more = f" … and {count - _LEFT_OUT_NAMED} more" if count > _LEFT_OUT_NAMED else ""
    noun = "image" if count == 1 else "images"
    return (f"{count} {noun} left out: a report holds at most {MAX_IMAGES_PER_REPORT} images ({shown}{more}); "
            "publish fewer, or combine plots into one figure")  # fmt: skip


def prepare_inputs(ws: Path, patterns: tuple[str, ...], max_width: int, out_dir: Path, media: MediaSet) -> None:
    """Prepare the `images` input into `media.inputs`, at most its room left (the rest is recorded as left out).
    Images are this run's data: one that is missing or broken is left out with a warning naming it, and the rest
    of the report goes on (docs/report.md, "Sections that fail independently")."""
    seen: set[Path] = set()  # a file two patterns match is shown once, as before
    for pattern in patterns:
        try:
            paths = workspace.resolve_paths(ws, (pattern,), "images")
        except CmlError as exc:
            media.warnings.append(f"image left out: {exc}")
            continue
        for path in paths:
            if path in seen:
                continue
            seen.add(path)
            if media.room() == 0:
                media.leave_out([workspace.relative_to_repo(ws, path)])
                continue
            try:
                media.inputs.append(prepare_as_input(path, max_width, out_dir, "images", ws))
            except CmlError as exc:
                media.warnings.append(f"image left out: {exc}")


def prepare_as_input(
    path: Path, max_width: int, out_dir: Path, input_name: str, ws: Path | None = None
) -> PreparedImage:
    """Prepare an image named by an input; a bad image fails the run naming that input."""
    from cml_action.images import prepare_image

    try:
        return prepare_image(path, max_width=max_width, out_dir=out_dir, workspace=ws)
    except CmlError as exc:
        from cml_action.surface import current

        raise CmlError(f"{current().setting(input_name)}: {exc}", file=exc.file, line=exc.line) from None


def _decode_data_uri(target: str) -> bytes | None:
    header, _, payload = target.partition(",")
    if ";base64" not in header:
        return unquote(payload).encode()
    try:
        return base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError):
        return None


def prepare_referenced(ws: Path, doc_index: int, doc_path: Path, markdown: str, media: MediaSet, *,
                       max_width: int, out_dir: Path) -> None:  # fmt: skip
    """Prepare the local and data: images a report file references; missing ones become warnings."""
    from cml_action.report.mdimages import find_image_refs

    shown_doc = workspace.relative_to_repo(ws, doc_path)
    for ref in find_image_refs(markdown):
        if ref.kind == "remote" or (doc_index, ref.target) in media.by_target:
            continue
        if media.room() == 0:
            media.leave_out([f"{shown_doc}: {_short(ref.target)}"])
            continue
        # Pillow is imported only when a report really references a local image (start-up time).
        from cml_action.images import prepare_image, prepare_image_bytes

        try:
            if ref.kind == "data":
                data = _decode_data_uri(ref.target)
                if data is None:
                    media.warnings.append(f"{shown_doc}: an embedded data: image is not valid base64; left as is")
                    continue
                image = prepare_image_bytes(data, name_hint=f"{doc_path.stem}-embedded", max_width=max_width,
                                            out_dir=out_dir)  # fmt: skip
            else:
                path = _local_path(ws, doc_path, ref.target)
                if not isinstance(path, Path):
                    media.warnings.append(f"{shown_doc}: image '{ref.target}' {path}")
                    continue
                image = prepare_image(path, max_width=max_width, out_dir=out_dir, workspace=ws)
        except CmlError as exc:
            media.warnings.append(f"{shown_doc}: image '{_short(ref.target)}' skipped: {exc}")
            continue
        media.by_target[(doc_index, ref.target)] = image


def _short(target: str) -> str:
    return target if len(target) <= 60 else target[:40] + "…"


def _local_path(ws: Path, doc_path: Path, target: str) -> Path | str:
    """The file a local link names, or why it is not read (completing "image 'x' …")."""
    clean = unquote(target.split("#", 1)[0].split("?", 1)[0])
    if clean.startswith("file://"):
        clean = clean[len("file://") :]
    candidate = Path(clean)
    if not candidate.is_absolute():
        candidate = doc_path.parent / candidate
    if workspace.points_outside(ws, candidate):
        # Never read, never published, and said in the words an input's path gets. Decided before looking at the
        # file: whether something exists out there is not for a report to learn.
        return f"{workspace.OUTSIDE}; its link is left as is ({workspace.OUTSIDE_FIX})"
    if not candidate.is_file() or not workspace.inside(ws, candidate):
        return "was not found; its link is left as is"
    return candidate
