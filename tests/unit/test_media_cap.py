"""A report holds at most MAX_IMAGES_PER_REPORT images; the rest are left out with one warning naming them."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from cml_action.media import MAX_IMAGES_PER_REPORT, MediaSet, prepare_inputs, prepare_referenced


def _pngs(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        Image.new("RGB", (4, 4), (n % 256, n // 256, 7)).save(folder / f"p{n:04d}.png")


def test_images_beyond_the_cap_are_left_out_with_one_warning(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _pngs(ws / "plots", MAX_IMAGES_PER_REPORT + 12)
    media = MediaSet()
    prepare_inputs(ws, ("plots/*.png",), 1600, tmp_path / "out", media)
    assert len(media.inputs) == MAX_IMAGES_PER_REPORT
    (warning,) = media.warnings
    assert warning.startswith(f"12 images left out: a report holds at most {MAX_IMAGES_PER_REPORT} images (")
    assert f"plots/p{MAX_IMAGES_PER_REPORT:04d}.png" in warning and "… and 2 more" in warning


def test_referenced_images_count_towards_the_same_cap(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _pngs(ws / "plots", MAX_IMAGES_PER_REPORT + 1)
    media = MediaSet()
    prepare_inputs(ws, ("plots/p000*.png",), 1600, tmp_path / "out", media)  # 10 images
    doc = ws / "report.md"
    text = "".join(f"![p](plots/p{n:04d}.png)\n" for n in range(MAX_IMAGES_PER_REPORT + 1))
    doc.write_text(text)
    prepare_referenced(ws, 0, doc, text, media, max_width=1600, out_dir=tmp_path / "out")
    assert len(media.all()) == MAX_IMAGES_PER_REPORT
    (warning,) = media.warnings
    assert warning.startswith("1 image left out:") and f"plots/p{MAX_IMAGES_PER_REPORT:04d}.png" in warning
