"""Validate, downscale and losslessly optimise report images; name them by content hash.

The format is read from the bytes, never from the extension. Pixel sizes are checked from the header before any
pixel is decoded (decompression-bomb guard). PNGs are re-encoded without metadata and, when they use at most 256
distinct colours, stored as an exact palette image (pixel-identical). JPEG, WebP and GIF bytes are kept as they are
unless the image must be downscaled; animated images are never touched. SVG is passed through unchanged, but only
when it cannot run code or fetch anything.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

from PIL import GifImagePlugin, Image, ImageFile, ImageOps, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

from cml_action.errors import CmlError
from cml_action.forges.base import PreparedImage
from cml_action.workspace import UnreadableFile, read_regular

MAX_PIXELS = 64_000_000  # far above any plot; below Pillow's own bomb limit so the message is ours
MAX_FILE_BYTES = 50_000_000
ACCEPTED = "not a PNG, JPEG, GIF, WebP or SVG file"
FORMAT_FIX = "export the plot as PNG or SVG, or remove it from the images"
PLUGINS: dict[str, type[ImageFile.ImageFile]] = {
    "png": PngImagePlugin.PngImageFile,
    "jpg": JpegImagePlugin.JpegImageFile,
    "gif": GifImagePlugin.GifImageFile,
    "webp": WebPImagePlugin.WebPImageFile,
}
SVG_NS = "{http://www.w3.org/2000/svg}"
EXTERNAL_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)[^)\s]|@import", re.IGNORECASE)


def prepare_image(
    source: Path, *, max_width: int, out_dir: Path, alt: str | None = None, workspace: Path | None = None
) -> PreparedImage:
    """Prepare the image file `source`; with `workspace`, refuse a path (or symlink) that leads outside it."""
    name = str(source)
    data = _read_image_file(source, name, workspace)
    return _prepare(data, name=name, max_width=max_width, out_dir=out_dir, alt=alt or source.stem)


def prepare_image_bytes(
    data: bytes, *, name_hint: str, max_width: int, out_dir: Path, alt: str | None = None
) -> PreparedImage:
    """Prepare image bytes that have no file of their own (a `data:` URI in the markdown)."""
    return _prepare(data, name=name_hint, max_width=max_width, out_dir=out_dir, alt=alt or Path(name_hint).stem)


def _read_image_file(source: Path, name: str, workspace: Path | None) -> bytes:
    path = source
    if workspace is not None:
        # Read the resolved file itself, so the checked path is the one read (no second symlink lookup).
        path = Path(os.path.realpath(source if source.is_absolute() else workspace / source))
        if not path.is_relative_to(Path(os.path.realpath(workspace))):
            raise CmlError(f"image '{name}': refused, it leads outside the workspace (to {path})", file=name)
    if not path.exists():
        raise CmlError(f"image '{name}': file not found (check the path; it is relative to the workspace)")
    try:
        return read_regular(path, MAX_FILE_BYTES)
    except UnreadableFile as error:
        fix = f"the limit is {MAX_FILE_BYTES // 1_000_000} MB; save it smaller" if error.too_large else error.fix
        raise CmlError(f"image '{name}': {error.problem} ({fix})", file=name) from None


def _prepare(data: bytes, *, name: str, max_width: int, out_dir: Path, alt: str) -> PreparedImage:
    if not data:
        raise CmlError(f"image '{name}': the file is empty (re-generate the image)", file=name)
    kind = sniff_format(data)
    if kind is None:
        raise CmlError(f"image '{name}': {ACCEPTED} ({FORMAT_FIX})", file=name)
    if kind == "svg":
        width, height = check_svg(data, name)
        return _store(data, "svg", alt=alt, size=(width, height), out_dir=out_dir)
    image = _open_checked(data, kind, name)
    try:
        out, ext, size = _optimise(data, image, kind, max_width)
    except (OSError, ValueError) as error:  # a pixel mode Pillow reads but cannot write (rare 16/32-bit kinds)
        if image.width > max_width:
            raise CmlError(
                f"image '{name}': cannot downscale it ({error}; save it as an 8-bit PNG)", file=name
            ) from None
        out, ext, size = data, kind, image.size  # valid as it is: publish the original bytes
    return _store(out, ext, alt=alt, size=size, out_dir=out_dir)


def sniff_format(data: bytes) -> str | None:
    """'png', 'jpg', 'gif', 'webp' or 'svg' from the leading bytes; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<") and re.search(rb"<svg[\s>]", head):
        return "svg"
    return None


def _open_checked(data: bytes, kind: str, name: str) -> ImageFile.ImageFile:
    """Parse the header (size check first), then decode so a truncated file fails here, not in a browser."""
    label = kind.upper().replace("JPG", "JPEG").replace("WEBP", "WebP")
    try:
        # The plugin class parses only the header; Image.open would add Pillow's own, higher, bomb check.
        image = PLUGINS[kind](io.BytesIO(data))
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        message = f"image '{name}': the {label} file is corrupt ({error}; re-generate the image)"
        raise CmlError(message, file=name) from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise CmlError(
            f"image '{name}': {width} × {height} pixels is over the {MAX_PIXELS // 1_000_000}-megapixel limit "
            "(decompression-bomb guard; save the plot at a smaller size)",
            file=name,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise CmlError(
            f"image '{name}': the {label} file is truncated or corrupt ({error}; re-generate the image)", file=name
        ) from None
    return image


def _optimise(data: bytes, image: ImageFile.ImageFile, kind: str, max_width: int) -> tuple[bytes, str, tuple[int, int]]:
    animated = getattr(image, "n_frames", 1) > 1
    too_wide = image.width > max_width
    if animated or (kind != "png" and not too_wide):
        return data, kind, image.size  # animations and already-compressed formats are kept byte for byte
    picture: Image.Image = ImageOps.exif_transpose(image) if kind == "jpg" else image
    if too_wide:
        picture = _downscale(picture, max_width)
    if kind == "jpg":
        return _encode(picture.convert("RGB"), "JPEG", quality=90, optimize=True), "jpg", picture.size
    if kind == "webp":
        lossless = data[12:16] == b"VP8L"
        return _encode(picture, "WEBP", lossless=lossless, quality=100 if lossless else 90), "webp", picture.size
    return optimise_png(picture), "png", picture.size  # also a downscaled static GIF: PNG keeps it lossless


def _downscale(image: Image.Image, max_width: int) -> Image.Image:
    height = max(1, round(image.height * max_width / image.width))
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    working = image if image.mode in ("RGB", "RGBA", "L") else image.convert("RGBA" if has_alpha else "RGB")
    return working.resize((max_width, height), Image.Resampling.LANCZOS)


def optimise_png(image: Image.Image) -> bytes:
    """Lossless PNG: drop metadata and redundant channels; exact palette when <= 256 colours."""
    image = _drop_redundant_channels(image)
    if image.mode in ("RGB", "RGBA", "LA", "P", "PA"):
        palette = exact_palette(image)
        if palette is not None:
            image = palette
    # Text chunks, EXIF, ICC profile, gamma and dpi are not written; only transparency is pixel data.
    image.info = {key: value for key, value in image.info.items() if key == "transparency"}
    # Pillow's optimize (its own filter choice) and plain zlib level 9 each win on some plots: keep the smaller.
    return min(_encode(image, "PNG", optimize=True), _encode(image, "PNG", compress_level=9), key=len)


def _drop_redundant_channels(image: Image.Image) -> Image.Image:
    if image.mode == "P" and "transparency" not in image.info:
        return image
    if image.mode in ("P", "PA"):
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA") and image.getextrema()[-1] == (255, 255):
        image = image.convert("RGB" if image.mode == "RGBA" else "L")  # fully opaque: alpha carries nothing
    return image


def exact_palette(image: Image.Image) -> Image.Image | None:
    """The same pixels as a palette image, or None when there are more than 256 distinct colours."""
    rgba = image.convert("RGBA")
    counted = rgba.getcolors(maxcolors=256)
    if counted is None:
        return None
    if image.mode == "RGB":
        # Pillow's median cut keeps every colour when there are <= 256 (fast, in C); verified, never assumed.
        quantised = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        if quantised.convert("RGB").tobytes() == image.tobytes():
            return quantised
    colours: list[tuple[int, int, int, int]] = [
        colour  # type: ignore[misc]
        for _, colour in sorted(counted, key=lambda item: (-item[0], item[1]))  # type: ignore[operator]
    ]
    # One 32-bit word per RGBA pixel, looked up in C via map(): about 0.1 s for a 1600 x 1200 plot.
    index = {int.from_bytes(bytes(colour), sys.byteorder): i for i, colour in enumerate(colours)}
    pixels = memoryview(rgba.tobytes()).cast("I")
    palette_image = Image.frombytes("P", rgba.size, bytes(map(index.__getitem__, pixels)))
    if all(colour[3] == 255 for colour in colours):
        palette_image.putpalette(b"".join(bytes(colour[:3]) for colour in colours), rawmode="RGB")
    else:
        palette_image.putpalette(b"".join(bytes(colour) for colour in colours), rawmode="RGBA")
    return palette_image


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def check_svg(data: bytes, name: str) -> tuple[int, int]:
    """Refuse SVGs that could run code or load anything; return (width, height) in px, 0 when unknown."""

    def refuse(why: str) -> CmlError:
        return CmlError(
            f"image '{name}': SVG refused, it {why} (reports only publish static SVGs; "
            "export the plot without scripts or links, or as PNG)",
            file=name,
        )

    text = data.decode("utf-8", errors="replace")
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise refuse("declares a DOCTYPE or entities")
    try:
        root = ElementTree.fromstring(text.lstrip("\ufeff"))
    except ElementTree.ParseError as error:
        raise CmlError(f"image '{name}': the SVG file is not valid XML ({error}; re-generate the image)") from None
    if root.tag not in ("svg", SVG_NS + "svg"):
        raise CmlError(f"image '{name}': {ACCEPTED} (its XML root is not <svg>; {FORMAT_FIX})", file=name)
    for element in root.iter():
        _check_svg_element(element, refuse)
    width, height = _svg_length(root.get("width")), _svg_length(root.get("height"))
    box = re.split(r"[\s,]+", (root.get("viewBox") or "").strip())
    if not (width and height) and len(box) == 4:
        width, height = _svg_length(box[2]), _svg_length(box[3])  # no usable size: the viewBox is the size
    return width, height


def _check_svg_element(element: ElementTree.Element, refuse: Callable[[str], CmlError]) -> None:
    tag = element.tag.rsplit("}", 1)[-1].lower()
    if tag in ("script", "foreignobject", "iframe", "embed", "object"):
        raise refuse(f"contains a <{tag}> element")
    if tag == "style" and EXTERNAL_URL.search(element.text or ""):
        raise refuse("has a style sheet that loads an external resource")
    for raw_name, value in element.attrib.items():
        attribute = raw_name.rsplit("}", 1)[-1].lower()
        if attribute.startswith("on"):
            raise refuse(f"has an event handler attribute '{attribute}' on <{tag}>")
        if attribute in ("href", "src") and not _internal_reference(value):
            raise refuse(f"references an external resource ({attribute}='{value[:60]}')")
        if EXTERNAL_URL.search(value):
            raise refuse(f"references an external resource in its '{attribute}' attribute")


def _internal_reference(value: str) -> bool:
    value = value.strip().lower()
    return value.startswith("#") or re.match(r"data:image/(png|jpeg|gif|webp);", value) is not None


def _svg_length(value: str | None) -> int:
    match = re.fullmatch(r"\s*([0-9.]+)\s*(px)?\s*", value or "")
    return round(float(match.group(1))) if match else 0


def _store(data: bytes, ext: str, *, alt: str, size: tuple[int, int], out_dir: Path) -> PreparedImage:
    digest = hashlib.sha256(data).hexdigest()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{digest}.{ext}"
    if not path.exists():
        partial = path.with_suffix(f".{ext}.partial")
        partial.write_bytes(data)
        partial.replace(path)  # atomic: a concurrent reader never sees half a file
    return PreparedImage(path=path, sha256=digest, ext=ext, alt=alt, width=size[0], height=size[1])
