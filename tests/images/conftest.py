"""Container image tests: run only where the images were built (CI: .ci/run → scripts/build-images)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.images.container import CPU_IMAGE, GPU_IMAGE, WorkingContainer, buildah, images_enabled, working_container


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if images_enabled():
        return
    skip = pytest.mark.skip(reason="image tests need CML_IMAGE_TESTS=1 and buildah (scripts/build-images first)")
    for item in items:
        if item.get_closest_marker("images") is not None:
            item.add_marker(skip)


def _container(image: str) -> Iterator[WorkingContainer]:
    if buildah("inspect", "--type", "image", image, check=False).returncode != 0:
        pytest.fail(f"image {image} is not built: run scripts/build-images")
    with working_container(image) as container:
        yield container


@pytest.fixture(scope="session")
def cpu_container() -> Iterator[WorkingContainer]:
    yield from _container(CPU_IMAGE)


@pytest.fixture(scope="session")
def gpu_container() -> Iterator[WorkingContainer]:
    yield from _container(GPU_IMAGE)
