"""The local forge: the report as files in an output folder (report.md, report.html, images/, check.json).

Used when no CI is detected or with `--forge local`; it is what the README demo opens. Nothing is printed here:
the pipeline prints where the report went, from the returned `Published`.
"""

from __future__ import annotations

import html
import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cml_action.context import RunContext
from cml_action.forges.base import (
    CheckRequest,
    CommentRequest,
    ForgeOptions,
    Limits,
    PreparedImage,
    Published,
    Traits,
)
from cml_action.forges.local.html import page, render_markdown

if TYPE_CHECKING:
    from cml_action.store.branch import BranchFiles

# No API to reject a body; large enough that the pipeline never truncates a local report.
LOCAL_LIMIT = 10_000_000


class LocalForge:
    name = "local"
    limits = Limits(comment=LOCAL_LIMIT, check=LOCAL_LIMIT)
    traits = Traits(check_holds_report=True, run_link_label="Workflow run", job_summary=False, writes_files=True)

    def __init__(self, ctx: RunContext, options: ForgeOptions) -> None:
        self.ctx = ctx
        self.options = options
        self.output_dir = ctx.workspace / options.output_dir  # an absolute output_dir stays as given

    def preflight(self, *, wants_comment: bool, wants_check: bool, wants_images: bool) -> None:
        """Nothing to check: writing files needs no token (a bad folder fails on the first write)."""

    def publish_images(self, images: Sequence[PreparedImage]) -> Mapping[str, str]:
        folder = self.output_dir / "images"
        folder.mkdir(parents=True, exist_ok=True)
        links: dict[str, str] = {}
        for image in images:
            target = folder / image.name
            if not target.exists():  # content-addressed: an existing file is the same image
                shutil.copyfile(image.path, target)
            links[image.sha256] = f"images/{image.name}"
        return links

    def post_comment(self, request: CommentRequest) -> Published:
        self._write("report.md", request.body)
        path = self._write("report.html", page(self.options.title, render_markdown(request.body)))
        return Published(url=path.resolve().as_uri(), where="report.html")

    def post_check(self, request: CheckRequest) -> Published:
        record = {
            "title": request.title,
            "conclusion": request.conclusion,
            "summary": request.summary,
            "head_sha": request.head_sha,
            "external_id": request.external_id,
            "images": [{"alt": alt, "url": url} for alt, url in request.images],
        }
        self._write("check.json", json.dumps(record, indent=2, ensure_ascii=False) + "\n")
        banner = (
            f'<div class="check-banner check-{html.escape(request.conclusion)}">'
            f"{html.escape(request.title)}: {html.escape(request.conclusion)}</div>\n"
        )
        path = self._write("check.html", page(request.title, banner + render_markdown(request.summary)))
        return Published(url=path.resolve().as_uri(), where="check.html")

    def shareable_url(self, url: str) -> str:
        """Links are relative to the output folder: a printed one must work from anywhere."""
        if "://" in url or url.startswith("/"):
            return url
        return str((self.output_dir / url).resolve())

    def _write(self, name: str, text: str) -> Path:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        path = self.output_dir / name
        partial = path.with_name(name + ".partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)  # a reader (or a browser refresh) never sees half a report
        return path

    def results_branch(self) -> BranchFiles:
        """A branch of the workspace's repository (docs/store.md); nothing is read or written until the store asks."""
        from cml_action.forges.local.store import LocalStoreBranch

        return LocalStoreBranch(self.ctx.workspace, self.options.assets_branch)
