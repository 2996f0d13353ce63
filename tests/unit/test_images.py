"""images.py: what a user sees for good, bad and hostile images."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, PngImagePlugin

from cml_action.errors import CmlError
from cml_action.images import prepare_image, prepare_image_bytes
from tests.denied import deny_reading


def png_bytes(image: Image.Image, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **options)
    return buffer.getvalue()


def few_colour_plot(size: tuple[int, int] = (300, 200), mode: str = "RGB") -> Image.Image:
    image = Image.new("RGBA", size, (255, 255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle([10, 10, 120, 90], fill=(31, 119, 180, 255))
    draw.line([0, 199, 299, 0], fill=(255, 127, 14, 255), width=3)
    draw.rectangle([150, 100, 200, 150], fill=(0, 0, 0, 0))
    return image.convert(mode) if mode != "RGBA" else image


def many_colour_image(size: tuple[int, int] = (64, 64)) -> Image.Image:
    image = Image.new("RGB", size)
    image.putdata([(x * 4, y * 4, (x + y) % 256) for y in range(size[1]) for x in range(size[0])])
    return image


def test_png_with_few_colours_becomes_an_exact_palette_image(tmp_path: Path) -> None:
    source = few_colour_plot(mode="RGBA")
    prepared = prepare_image_bytes(png_bytes(source), name_hint="plot.png", max_width=1600, out_dir=tmp_path)
    out = Image.open(prepared.path)
    assert out.mode == "P"
    assert out.convert("RGBA").tobytes() == source.tobytes()  # pixel-identical, transparency included
    assert (prepared.ext, prepared.width, prepared.height, prepared.alt) == ("png", 300, 200, "plot")


def test_png_with_more_than_256_colours_stays_full_colour_and_identical(tmp_path: Path) -> None:
    source = many_colour_image()
    assert len(source.getcolors(100_000) or []) > 256
    prepared = prepare_image_bytes(png_bytes(source), name_hint="grad.png", max_width=1600, out_dir=tmp_path)
    out = Image.open(prepared.path)
    assert out.mode == "RGB"
    assert out.tobytes() == source.tobytes()


def test_opaque_rgba_drops_its_alpha_channel_losslessly(tmp_path: Path) -> None:
    source = many_colour_image().convert("RGBA")
    prepared = prepare_image_bytes(png_bytes(source), name_hint="a.png", max_width=1600, out_dir=tmp_path)
    out = Image.open(prepared.path)
    assert out.mode == "RGB"
    assert out.convert("RGBA").tobytes() == source.tobytes()


def test_metadata_is_stripped_from_re_encoded_png(tmp_path: Path) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "secret-name")
    data = png_bytes(few_colour_plot(), pnginfo=info, dpi=(300, 300))
    prepared = prepare_image_bytes(data, name_hint="p.png", max_width=1600, out_dir=tmp_path)
    written = prepared.path.read_bytes()
    assert b"secret-name" not in written
    assert b"tEXt" not in written and b"pHYs" not in written


def test_wide_image_is_downscaled_keeping_aspect(tmp_path: Path) -> None:
    source = tmp_path / "wide.png"
    source.write_bytes(png_bytes(few_colour_plot((2000, 1001))))
    prepared = prepare_image(source, max_width=800, out_dir=tmp_path / "out")
    assert (prepared.width, prepared.height) == (800, 400)
    assert Image.open(prepared.path).size == (800, 400)


def test_narrow_jpeg_is_kept_byte_for_byte_and_wide_jpeg_is_re_encoded(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    many_colour_image((100, 50)).save(buffer, "JPEG", quality=80)
    kept = prepare_image_bytes(buffer.getvalue(), name_hint="photo.jpg", max_width=100, out_dir=tmp_path)
    assert kept.path.read_bytes() == buffer.getvalue()
    assert kept.ext == "jpg"
    scaled = prepare_image_bytes(buffer.getvalue(), name_hint="photo.jpg", max_width=40, out_dir=tmp_path)
    assert (scaled.ext, scaled.width, scaled.height) == ("jpg", 40, 20)


def test_animated_gif_is_kept_as_it_is(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (400, 40), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    prepared = prepare_image_bytes(buffer.getvalue(), name_hint="anim.gif", max_width=100, out_dir=tmp_path)
    assert prepared.path.read_bytes() == buffer.getvalue()
    assert (prepared.ext, prepared.width) == ("gif", 400)


def test_format_comes_from_content_not_extension(tmp_path: Path) -> None:
    source = tmp_path / "really-a-png.jpg"
    source.write_bytes(png_bytes(few_colour_plot()))
    assert prepare_image(source, max_width=1600, out_dir=tmp_path / "out").ext == "png"


def test_same_image_gives_same_hash_and_name(tmp_path: Path) -> None:
    data = png_bytes(few_colour_plot())
    first = prepare_image_bytes(data, name_hint="a.png", max_width=1600, out_dir=tmp_path / "one")
    second = prepare_image_bytes(data, name_hint="b.png", max_width=1600, out_dir=tmp_path / "two")
    assert first.sha256 == second.sha256
    assert first.name == f"{first.sha256}.png" == first.path.name
    other = prepare_image_bytes(png_bytes(many_colour_image()), name_hint="c.png", max_width=1600, out_dir=tmp_path)
    assert other.sha256 != first.sha256


def test_non_image_is_refused_with_the_file_name(tmp_path: Path) -> None:
    source = tmp_path / "x.txt"
    source.write_text("accuracy: 0.9\n")
    with pytest.raises(CmlError) as caught:
        prepare_image(source, max_width=1600, out_dir=tmp_path / "out")
    assert str(caught.value) == (
        f"image '{source}': not a PNG, JPEG, GIF, WebP or SVG file "
        "(export the plot as PNG or SVG, or remove it from the images)"
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "image 'p.png': the file is empty (re-generate the image)"),
        (b"%PDF-1.7\n", "image 'p.png': not a PNG, JPEG, GIF, WebP or SVG file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image 'p.png': the PNG file is corrupt"),
    ],
)
def test_empty_unknown_and_broken_headers(tmp_path: Path, data: bytes, expected: str) -> None:
    with pytest.raises(CmlError, match=f"^{expected}".replace("(", r"\(").replace(")", r"\)")):
        prepare_image_bytes(data, name_hint="p.png", max_width=1600, out_dir=tmp_path)


def test_truncated_png_is_refused(tmp_path: Path) -> None:
    data = png_bytes(many_colour_image((200, 200)))
    with pytest.raises(CmlError, match=r"^image 'cut.png': the PNG file is truncated or corrupt \("):
        prepare_image_bytes(data[: len(data) // 2], name_hint="cut.png", max_width=1600, out_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims a huge size; decoding it would need gigabytes."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    ihdr_chunk = struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    idat = zlib.compress(b"\x00" * 1000)
    idat_chunk = struct.pack(">I", len(idat)) + b"IDAT" + idat + struct.pack(">I", zlib.crc32(b"IDAT" + idat))
    return b"\x89PNG\r\n\x1a\n" + ihdr_chunk + idat_chunk


def test_decompression_bomb_is_refused_from_the_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    decoded: list[bool] = []
    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", lambda self: decoded.append(True))
    with pytest.raises(CmlError) as caught:
        prepare_image_bytes(_png_header_only(20_000, 20_000), name_hint="bomb.png", max_width=1600, out_dir=tmp_path)
    assert str(caught.value) == (
        "image 'bomb.png': 20000 × 20000 pixels is over the 64-megapixel limit "
        "(decompression-bomb guard; save the plot at a smaller size)"
    )
    assert decoded == []  # refused before any pixel was decoded


def test_symlink_out_of_the_workspace_is_refused(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    outside = tmp_path / "secret.png"
    outside.write_bytes(png_bytes(few_colour_plot()))
    (workspace / "plot.png").symlink_to(outside)
    with pytest.raises(CmlError, match=r"^image 'plot.png': refused, it leads outside the workspace"):
        prepare_image(Path("plot.png"), max_width=1600, out_dir=tmp_path / "out", workspace=workspace)


def test_device_or_directory_is_not_read(tmp_path: Path) -> None:
    with pytest.raises(CmlError, match=r"not a regular file"):
        prepare_image(tmp_path, max_width=1600, out_dir=tmp_path / "out")
    with pytest.raises(CmlError, match=r"^image '.*missing.png': file not found"):
        prepare_image(tmp_path / "missing.png", max_width=1600, out_dir=tmp_path / "out")


SAFE_SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80px"><rect/></svg>'


def test_static_svg_passes_through_unchanged(tmp_path: Path) -> None:
    prepared = prepare_image_bytes(SAFE_SVG, name_hint="plot.svg", max_width=50, out_dir=tmp_path)
    assert prepared.path.read_bytes() == SAFE_SVG
    assert (prepared.ext, prepared.width, prepared.height) == ("svg", 120, 80)


@pytest.mark.parametrize(
    ("svg", "why"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "contains a <script> element"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "has an event handler attribute 'onload'"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
            b'<image x:href="https://evil.example/t.png"/></svg>',
            "references an external resource (href='https://evil.example/t.png')",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(https://e.example/x)"/></svg>',
            "references an external resource in its 'style' attribute",
        ),
        (b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg>&a;</svg>', "declares a DOCTYPE or entities"),
    ],
)
def test_active_svg_is_refused_saying_why(tmp_path: Path, svg: bytes, why: str) -> None:
    with pytest.raises(CmlError) as caught:
        prepare_image_bytes(svg, name_hint="evil.svg", max_width=1600, out_dir=tmp_path)
    assert str(caught.value).startswith(f"image 'evil.svg': SVG refused, it {why}")
    assert "export the plot without scripts or links, or as PNG" in str(caught.value)


def test_svg_with_internal_reference_is_accepted(tmp_path: Path) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><defs><g id="a"/></defs><use href="#a"/></svg>'
    assert prepare_image_bytes(svg, name_hint="ok.svg", max_width=1600, out_dir=tmp_path).ext == "svg"


def test_xml_that_is_not_svg_is_not_an_image(tmp_path: Path) -> None:
    with pytest.raises(CmlError, match=r"^image 'a.xml': not a PNG"):
        prepare_image_bytes(b"<html><svg></svg></html>", name_hint="a.xml", max_width=1600, out_dir=tmp_path)


def _distinct_colours(count: int) -> Image.Image:
    image = Image.new("RGB", (count, 4))
    image.putdata([(i % 256, i // 256, 7) for _ in range(4) for i in range(count)])
    return image


@pytest.mark.parametrize(("count", "mode"), [(256, "P"), (257, "RGB")])
def test_palette_boundary_is_exactly_256_colours(tmp_path: Path, count: int, mode: str) -> None:
    source = _distinct_colours(count)
    prepared = prepare_image_bytes(png_bytes(source), name_hint="c.png", max_width=1600, out_dir=tmp_path)
    out = Image.open(prepared.path)
    assert out.mode == mode
    assert out.convert("RGB").tobytes() == source.tobytes()


def test_wide_static_gif_is_downscaled_to_png(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    few_colour_plot((400, 100)).convert("P").save(buffer, "GIF")
    prepared = prepare_image_bytes(buffer.getvalue(), name_hint="g.gif", max_width=200, out_dir=tmp_path)
    assert (prepared.ext, prepared.width, prepared.height) == ("png", 200, 50)


def test_webp_is_kept_unless_too_wide(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    few_colour_plot((120, 60)).save(buffer, "WEBP", lossless=True)
    kept = prepare_image_bytes(buffer.getvalue(), name_hint="w.webp", max_width=200, out_dir=tmp_path)
    assert kept.path.read_bytes() == buffer.getvalue()
    scaled = prepare_image_bytes(buffer.getvalue(), name_hint="w.webp", max_width=60, out_dir=tmp_path)
    assert (scaled.ext, scaled.width, scaled.height) == ("webp", 60, 30)


def test_symlink_inside_the_workspace_is_followed(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    (workspace / "plots").mkdir(parents=True)
    (workspace / "plots" / "real.png").write_bytes(png_bytes(few_colour_plot()))
    (workspace / "latest.png").symlink_to("plots/real.png")
    prepared = prepare_image(Path("latest.png"), max_width=1600, out_dir=tmp_path / "out", workspace=workspace)
    assert (prepared.ext, prepared.alt) == ("png", "latest")


def test_svg_size_falls_back_to_the_view_box(tmp_path: Path) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 640 480"><rect/></svg>'
    prepared = prepare_image_bytes(svg, name_hint="v.svg", max_width=1600, out_dir=tmp_path)
    assert (prepared.width, prepared.height) == (640, 480)


def test_an_unreadable_image_is_one_line_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    picture = tmp_path / "plot.png"
    Image.new("RGB", (4, 4)).save(picture)
    deny_reading(monkeypatch, picture)
    with pytest.raises(CmlError) as caught:
        prepare_image(picture, max_width=100, out_dir=tmp_path / "out", workspace=tmp_path)
    assert (
        str(caught.value) == f"image '{picture}': cannot be read (Permission denied) (check that the file is readable)"
    )


def test_a_fifo_image_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "plot.png"
    os.mkfifo(fifo)
    with pytest.raises(CmlError, match="is a named pipe \\(FIFO\\), not a regular file"):
        prepare_image(fifo, max_width=100, out_dir=tmp_path / "out", workspace=tmp_path)
