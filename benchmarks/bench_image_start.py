"""Benchmark: what a step with the prebuilt image costs before and while it reports (README, "How fast").

A released action names its image (`image: docker://ghcr.io/...:vX.Y.Z`), so a job pulls instead of building.
A pull is download + decompress + unpack. The download depends on the runner's network and cannot be measured
here (no registry is reachable), so this prints the compressed size (the layers gzip-compressed, as a registry
stores them: `buildah push` to an oci-archive) and measures the rest on this machine:

- unpack: decompressing and extracting every layer of that archive into a folder, what the runner's container
  engine does after the download;
- run: `buildah run` of the image's entrypoint with a report on a small project (`cml report --forge local`),
  i.e. container start, interpreter start, the report, container exit.

Needs the images built by scripts/build-images and root (buildah's storage). Skips otherwise.
Run: sudo .venv/bin/python benchmarks/bench_image_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.gitutil import commit_files, init_repo  # noqa: E402
from tests.images.container import CPU_IMAGE, Mount, buildah, working_container  # noqa: E402

MB = 1000 * 1000


def image_present(image: str) -> bool:
    return shutil.which("buildah") is not None and os.geteuid() == 0 and buildah(
        "inspect", "--type", "image", image, check=False).returncode == 0  # fmt: skip


def compressed_archive(image: str, folder: Path) -> Path:
    archive = folder / "image.tar"
    buildah("push", "--quiet", "--compression-format", "gzip", image, f"oci-archive:{archive}")
    return archive


def layer_blobs(archive: Path, folder: Path) -> list[Path]:
    """The gzip layer blobs of an oci-archive, in order (index -> manifest -> layers)."""
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    index = json.loads((folder / "index.json").read_text())
    manifest_digest = index["manifests"][0]["digest"].split(":", 1)[1]
    manifest = json.loads((folder / "blobs" / "sha256" / manifest_digest).read_text())
    return [folder / "blobs" / "sha256" / layer["digest"].split(":", 1)[1] for layer in manifest["layers"]]


def unpack_seconds(layers: list[Path], into: Path) -> float:
    started = time.perf_counter()
    for layer in layers:
        subprocess.run(["tar", "-xzf", str(layer), "-C", str(into)], check=True, capture_output=True)
    return time.perf_counter() - started


def project(folder: Path) -> Path:
    ws = init_repo(folder / "ws")
    commit_files(ws, {"metrics.json": '{"accuracy": 0.8, "loss": 0.3}\n', "report.md": "## Training\n\nOne epoch.\n"})
    (ws / "metrics.json").write_text('{"accuracy": 0.9, "loss": 0.2}\n')
    return ws


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--image", default=CPU_IMAGE)
    args = parser.parse_args()
    if not image_present(args.image):
        print(f"skipped: needs root and the image {args.image} (scripts/build-images)")
        return 0
    with tempfile.TemporaryDirectory(prefix="cml-image-") as tmp:
        folder = Path(tmp)
        archive = compressed_archive(args.image, folder)
        layers = layer_blobs(archive, folder / "oci")
        size = sum(layer.stat().st_size for layer in layers)
        unpacks = []
        for run in range(3):
            target = folder / f"rootfs-{run}"
            target.mkdir()
            unpacks.append(unpack_seconds(layers, target))
            shutil.rmtree(target)
        ws = project(folder)
        command = ["cml", "report", "--forge", "local", "--report", "report.md", "--metrics", "metrics.json"]
        runs = []
        with working_container(args.image) as container:
            for _ in range(args.runs):
                started = time.perf_counter()
                mounts = [Mount(str(ws), "/github/workspace")]
                done = container.exec(command, mounts=mounts, workdir="/github/workspace")
                runs.append(time.perf_counter() - started)
                if done.returncode != 0:
                    raise SystemExit(f"the report failed in the container:\n{done.stdout}\n{done.stderr}")
        unpack, report = statistics.median(unpacks), statistics.median(runs)
        print(f"{args.image}: {len(layers)} layers, {size / MB:.1f} MB compressed (gzip, as a registry stores it)")
        print(f"  unpack (decompress + extract every layer): median {unpack:.1f} s of 3")
        print(f"  run (container start + a report + exit):   median {report:.2f} s of {args.runs}")
        for bandwidth in (50, 200):  # MB/s: a slow and a typical pull from ghcr.io on hosted runners (not measured)
            print(f"  download at {bandwidth} MB/s would add {size / MB / bandwidth:.1f} s "
                  f"(step ~{size / MB / bandwidth + unpack + report:.0f} s)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
