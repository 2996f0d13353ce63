"""What the CML-compatible commands do (their flags are in cli_compat.py). Same context, forge and image code as
the action; only the body differs: CML posts the user's file as it is (local images published and their links
rewritten), followed by its watermark, and so do we, with our hidden marker in place of CML's watermark image.

CML behaviour matched (iterative/cml src/cml.js, src/commenttarget.js, src/watermark.js, bin/cml/*):
- comment: body = file + "\\n\\n" + watermark; `update` edits the newest comment with the same watermark title, else
  creates; `--commit-sha` (alias `--head-sha`) without `--target` comments on that commit; `--pr` means
  `--target=pr`; the comment URL is the only thing printed on stdout.
- check: name and output.title = `--title` (default "CML Report"), summary = the file as it is, status completed.
- asset publish: prints the URL, or with `--md` `![](URL "TITLE")`; `--file` writes it there instead. (CML also
  published any file, as `[TITLE](URL)`; the forges here publish images only, so anything else is refused.)
Everything else CML printed (warnings, progress) goes to stderr, so `cml-publish x.png --md >> report.md` works.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cml_action.cli_compat_flags import IgnoredFlag, announce_ignored, notice, warning
from cml_action.context import RunContext
from cml_action.errors import CmlError
from cml_action.forges.base import (
    CheckRequest,
    ChecksTargets,
    CommentRequest,
    Conclusion,
    Forge,
    ForgeOptions,
    Limits,
    PreparedImage,
    Target,
)

# The sticky key of `cml comment update` without --watermark-title: CML then updates its latest comment whose
# watermark has no title; one fixed key gives the same "one comment per repository thread" behaviour.
DEFAULT_KEY = "cml"
CHECK_KEY_PREFIX = "check:"  # GitLab: the note that carries a check's text, one per check title
# What the forge protocol can post for each conclusion CML accepts (GitHub's check-run conclusions).
CONCLUSION_POSTED: dict[str, Conclusion] = {
    "success": "success",
    "failure": "failure",
    "neutral": "neutral",
    "cancelled": "neutral",
    "skipped": "neutral",
    "timed_out": "failure",
    "action_required": "failure",
}


@dataclass(frozen=True)
class Session:
    """A resolved run: where we are, which forge, and a scratch folder for prepared images."""

    ctx: RunContext
    forge: Forge
    options: ForgeOptions
    max_image_width: int
    scratch: Path


def _flags(args: argparse.Namespace) -> dict[str, str]:
    given = {"forge": args.forge, "output-dir": args.output_dir, "max-image-width": args.max_image_width}
    return {name: str(value) for name, value in given.items() if value is not None}


def _pick_token(given: str | None, settings_token: str, env: Mapping[str, str]) -> str:
    """--token, then the action's input/CML_TOKEN, then CML's REPO_TOKEN / repo_token (GITHUB_TOKEN: context)."""
    for candidate in (given, settings_token, env.get("REPO_TOKEN"), env.get("repo_token")):
        if candidate and candidate.strip():
            return candidate.strip()
    return ""


def resolve_rev(workspace: Path, rev: str) -> str:
    """A full commit sha for `--commit-sha` (CML takes any git revision, `HEAD` included)."""
    import re

    from cml_action import gitrepo

    value = rev.strip()
    found = gitrepo.rev_parse(workspace, value) if gitrepo.is_git_repo(workspace) else None
    if found:
        return found
    if re.fullmatch(r"[0-9a-fA-F]{40}", value):
        return value.lower()  # not fetched here (shallow clone): the forge knows it
    raise CmlError(f"--commit-sha: '{value}' is not a commit of {workspace} (give a sha, or a ref such as HEAD)")


def open_session(args: argparse.Namespace, *, head_sha: str = "", env: Mapping[str, str] | None = None,
                 needs_repo: bool = True) -> Session:  # fmt: skip
    from cml_action.context import detect
    from cml_action.forges import make_forge
    from cml_action.inputs import parse_settings

    environ = os.environ if env is None else env
    settings = parse_settings(environ, _flags(args))
    token = _pick_token(args.token, settings.token, environ)
    if token:
        from cml_action.redact import add_secret

        # Never `::add-mask::<token>`: the runner already masks secrets, and that line is the token in clear text
        # for anyone who redirects stderr into the report (`cml-publish x.png --md >> report.md 2>&1`).
        add_secret(token)
    ctx = _local_outside_git(environ, settings.forge) if not needs_repo else None
    ctx = ctx or detect(environ, requested_forge=settings.forge, head_sha=head_sha, token=token)
    from cml_action.pipeline import forge_options

    # The action's own builder: the same assets branch, output folder and write pacing (CML_WRITE_INTERVAL).
    options = forge_options(settings, ctx)
    scratch = Path(tempfile.mkdtemp(prefix="cml-compat-"))
    # Prepared copies are only needed until they are published; a CI job may call these commands many times.
    atexit.register(shutil.rmtree, scratch, True)
    return Session(ctx, make_forge(ctx, options), options, settings.max_image_width, scratch)


def _head_sha(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> str:
    from cml_action.context import workspace_from_env

    if not args.commit_sha:
        return ""
    return resolve_rev(workspace_from_env(os.environ if env is None else env).resolve(), args.commit_sha)


def read_markdown(name: str) -> tuple[Path, str]:
    from cml_action.workspace import MAX_TEXT_BYTES, UnreadableFile, read_regular

    path = Path(name)
    if not path.exists():
        raise CmlError(f"'{name}' does not exist (give the markdown report file to post)")
    if path.is_dir():
        raise CmlError(f"'{name}' is a folder (give the markdown report file to post)")
    try:
        data = read_regular(path, MAX_TEXT_BYTES)  # a FIFO or device would block or never end
    except UnreadableFile as exc:
        fix = f"a report is limited to {MAX_TEXT_BYTES // 1048576} MiB" if exc.too_large else exc.fix
        raise CmlError(f"'{name}' {exc.problem} ({fix})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CmlError(f"'{name}' is not UTF-8 text (give a markdown file)") from None
    if not text.strip():  # GitHub answers a blank body with "422 Invalid request"; say what is wrong instead
        raise CmlError(f"'{name}' is empty: there is no report to post (write the report into it first)")
    return path.resolve(), text


def comment_target(args: argparse.Namespace, head_sha: str) -> Target:
    """CML's rules: `--pr` means pr; `--commit-sha` without `--target` means that commit; else --target or auto."""
    from cml_action.targets import parse_target

    if args.pr:
        if args.target:
            notice(f"--pr overrides --target={args.target} (as in CML); the comment goes to the pull request")
        return Target("pr")
    if head_sha and not args.target:
        return Target("commit", sha=head_sha)
    try:
        return parse_target(args.target or "auto")
    except CmlError:
        raise CmlError(
            f"--target: '{args.target}' is not a target (use auto, pr, commit, pr/N, issue/N or commit/SHA)"
        ) from None


def _size(text: str, unit: str) -> int:
    return len(text.encode("utf-8")) if unit == "bytes" else len(text)


def fitted_body(text: str, marker: str, limits: Limits, hint: str) -> str:
    """The file, cut to the forge's limit if it must be, then the marker (never cut: it makes `update` work).
    A marker-like line inside the file is defused, so a pasted report cannot pose as another key's comment."""
    from cml_action.report.assemble import defuse_markers
    from cml_action.report.limits import cut_notice, fit_to_limit

    tail = f"\n\n{marker}"
    room = limits.comment - _size(tail, limits.unit)
    full = defuse_markers(text.rstrip("\n"))
    fitted: str = fit_to_limit(full, room, unit=limits.unit, full_report_hint=hint)
    _announce(cut_notice("comment", full, fitted, limits.comment, limits.unit))
    return fitted + tail


def _announce(notice_line: str | None) -> None:
    if notice_line:
        warning(notice_line)


def _image_root(ws: Path, doc: Path) -> Path:
    """Images are read inside the workspace; a report kept outside it may use the images in its own folder (never a
    filesystem root: that would admit every file)."""
    from cml_action.workspace import inside

    if inside(ws, doc) or doc.parent == Path(doc.anchor):
        return ws
    return doc.parent


def publish_referenced(session: Session, doc: Path, text: str, *, wants_comment: bool, target: Target) -> str:
    """Preflight, then publish the local and data: images `text` references; returns text with links rewritten.
    Where the comment goes is settled first: a target that does not exist uploads nothing."""
    from cml_action.media import MediaSet, prepare_referenced
    from cml_action.report.mdimages import rewrite_image_refs

    media = MediaSet()
    root = _image_root(session.ctx.workspace, doc)
    prepare_referenced(root, 0, doc, text, media, max_width=session.max_image_width, out_dir=session.scratch)
    for message in media.warnings:
        warning(message)
    images = media.all()
    session.forge.preflight(wants_comment=wants_comment, wants_check=False, wants_images=bool(images))
    if not images:
        return text
    if isinstance(session.forge, ChecksTargets):
        session.forge.check_target(target)
    urls = session.forge.publish_images(images)
    mapping = {target: urls[image.sha256] for (_, target), image in media.by_target.items() if image.sha256 in urls}
    return rewrite_image_refs(text, mapping) if mapping else text


def _hint(doc: Path, ctx: RunContext) -> str:
    shown = doc.name
    return f"`{shown}` in the workspace of [this run]({ctx.run_url})" if ctx.run_url else f"`{shown}`"


def comment_command(args: argparse.Namespace, ignored: tuple[IgnoredFlag, ...]) -> int:
    announce_ignored(args, ignored)
    doc, text = read_markdown(args.markdown_file)
    head_sha = _head_sha(args)
    target = comment_target(args, head_sha)
    session = open_session(args, head_sha=head_sha)
    from cml_action.report.assemble import marker_for
    from cml_action.report.watermark import cml_watermark_pattern

    key = session.ctx.key(args.watermark_title) if args.watermark_title.strip() else DEFAULT_KEY
    marker = marker_for(key)
    if args.publish:
        text = publish_referenced(session, doc, text, wants_comment=True, target=target)
    else:
        session.forge.preflight(wants_comment=True, wants_check=False, wants_images=False)
    body = fitted_body(text, marker, session.forge.limits, _hint(doc, session.ctx))
    mode: Literal["update", "create"] = "update" if args.update else "create"
    # `update` takes over the comment CML itself left with the same watermark title: one report after switching.
    adopts = (cml_watermark_pattern(session.ctx.key(args.watermark_title).strip()),)
    published = session.forge.post_comment(CommentRequest(body, marker, target, mode, adopts))
    print(published.url, flush=True)
    return 0


def check_command(args: argparse.Namespace, ignored: tuple[IgnoredFlag, ...]) -> int:
    from cml_action.cli_compat import CHECK_CONCLUSIONS, CHECK_STATUSES

    announce_ignored(args, ignored)
    if args.conclusion not in CHECK_CONCLUSIONS:
        raise CmlError(f"--conclusion: unknown value '{args.conclusion}' (use one of: {', '.join(CHECK_CONCLUSIONS)})")
    if args.status not in CHECK_STATUSES:
        raise CmlError(f"--status: unknown value '{args.status}' (use one of: {', '.join(CHECK_STATUSES)})")
    if args.status != "completed":
        notice(f"--status={args.status} is accepted for CML compatibility; the check is posted completed")
    doc, text = read_markdown(args.markdown_file)
    session = open_session(args, head_sha=_head_sha(args))
    ctx, forge = session.ctx, session.forge
    posted = CONCLUSION_POSTED[args.conclusion]
    if posted != args.conclusion:
        notice(f"--conclusion={args.conclusion} is posted as '{posted}' (cml-action posts success, failure or neutral)")
    note_too = not forge.traits.check_holds_report
    forge.preflight(wants_comment=note_too, wants_check=True, wants_images=False)
    from cml_action.report.assemble import marker_for
    from cml_action.report.limits import cut_notice, fit_to_limit

    limits = forge.limits
    summary = fit_to_limit(text, limits.check, unit=limits.check_unit, full_report_hint=_hint(doc, ctx))
    _announce(cut_notice("check summary", text, summary, limits.check, limits.check_unit))
    # GitHub shows --title as the check's title, as CML does; a commit status (GitLab) has one line of text, which
    # says the conclusion the user gave (there are no gates here to speak of).
    headline = conclusion_headline(args.conclusion, posted) if note_too else ""
    check = forge.post_check(CheckRequest(args.title, summary, posted, ctx.head_sha, (), args.title, headline))
    if note_too:
        # A GitLab commit status holds 255 characters: the report itself goes in a note, as the action does.
        marker = marker_for(CHECK_KEY_PREFIX + args.title)
        note = forge.post_comment(CommentRequest(fitted_body(text, marker, limits, _hint(doc, ctx)), marker,
                                                 Target("auto"), "update"))  # fmt: skip
        print(f"Report note: {note.url}", file=sys.stderr)
    print(f"Check: {check.url}", file=sys.stderr)  # CML prints nothing on stdout for a check
    return 0


def conclusion_headline(given: str, posted: str) -> str:
    words = given.replace("_", " ")
    return words if given == posted else f"{words} (posted as {posted})"


def _read_asset(name: str | None) -> tuple[bytes | None, Path | None]:
    if name in (None, "-"):
        if sys.stdin.isatty():
            raise CmlError("no image given: name an image file, or pipe one on stdin ('-')")
        data = sys.stdin.buffer.read()
        if not data:
            raise CmlError("stdin is empty: pipe an image, or name an image file")
        return data, None
    path = Path(name)
    if not path.is_file():
        raise CmlError(f"'{name}' does not exist or is not a file (give an image to publish)")
    return None, path


def _local_outside_git(env: Mapping[str, str], requested_forge: str) -> RunContext | None:
    """Publishing an image locally needs no commit: `cml-publish` works in any folder (CML's did)."""
    from cml_action import gitrepo
    from cml_action.context import detect_forge, workspace_from_env

    workspace = workspace_from_env(env).resolve()
    if detect_forge(env, requested_forge) != "local" or gitrepo.is_git_repo(workspace):
        return None
    return RunContext(forge="local", workspace=workspace, head_sha="")


def prepare_asset(name: str | None, session: Session) -> PreparedImage:
    from cml_action.images import prepare_image, prepare_image_bytes
    from cml_action.workspace import OUTSIDE, OUTSIDE_FIX, points_outside

    if name not in (None, "-") and points_outside(session.ctx.workspace, Path(name).absolute()):
        raise CmlError(f"'{name}' {OUTSIDE} ({OUTSIDE_FIX})")  # the report's rule for the images it references
    data, path = _read_asset(name)
    chart = _vega_chart(data, path)
    if chart is not None:  # `dvc plots diff --show-vega main | cml-publish --md`: publish the chart, rendered
        hint = path.stem if path is not None else "chart"
        return prepare_image_bytes(chart, name_hint=hint, max_width=session.max_image_width, out_dir=session.scratch)
    if path is not None:
        return prepare_image(path, max_width=session.max_image_width, out_dir=session.scratch)
    assert data is not None
    return prepare_image_bytes(data, name_hint="stdin", max_width=session.max_image_width, out_dir=session.scratch)


def _vega_chart(data: bytes | None, path: Path | None) -> bytes | None:
    """PNG bytes when the asset is a Vega or Vega-Lite spec, else None."""
    from cml_action import vega

    if data is None and path is not None:
        with path.open("rb") as handle:
            if not handle.read(64).lstrip().startswith(b"{"):
                return None  # an image: no need to read it twice
        data = path.read_bytes()
    spec = vega.parse_spec(data) if data is not None else None
    return vega.render(spec, "png", scale=2.0) if spec is not None else None


def asset_markdown(url: str, title: str) -> str:
    """CML's `--md` form for an image: the title goes in the link title (CML leaves the alt text empty)."""
    if not title:
        return f"![]({url})"
    quoted = title.replace("\\", "\\\\").replace('"', '\\"')
    return f'![]({url} "{quoted}")'


def _usable_link(url: str, session: Session) -> str:
    """A printed link must work wherever it is pasted: the local forge links relative to its output folder, and
    GitLab answers `/uploads/…`, relative to the project (CML printed the project URL + that path too)."""
    return url if "://" in url else session.forge.shareable_url(url)


def publish_command(args: argparse.Namespace, ignored: tuple[IgnoredFlag, ...]) -> int:
    announce_ignored(args, ignored)
    session = open_session(args, needs_repo=False)
    image = prepare_asset(args.asset, session)
    session.forge.preflight(wants_comment=False, wants_check=False, wants_images=True)
    urls = session.forge.publish_images([image])
    url = _usable_link(urls[image.sha256], session)
    output = asset_markdown(url, args.title) if args.md else url
    _emit(output, args.file)
    return 0


def _emit(output: str, file: str | None) -> None:
    if file:
        try:
            Path(file).write_text(output + "\n", encoding="utf-8")
        except OSError as exc:
            raise CmlError(f"--file: cannot write '{file}': {exc.strerror or exc}") from None
        return
    print(output, flush=True)


def files_command(args: argparse.Namespace, ignored: tuple[IgnoredFlag, ...]) -> int:
    from cml_action.dvc.files import files_markdown_from_json

    if args.maxchars is not None:
        notice("--maxchars is accepted for CML compatibility and ignored: the list is capped at 100 rows per section")
    if args.metrics is not None:
        text = args.metrics
    elif sys.stdin.isatty():
        raise CmlError("cml-files reads 'dvc diff --json' on stdin: run 'dvc diff --json main | cml-files'")
    else:
        text = sys.stdin.read()
    if not text.strip():
        raise CmlError("cml-files: no input (pipe the output of 'dvc diff --json' into it)")
    # A blank line after </details>: markdown appended next (`>> report.md`) would otherwise stay inside the HTML
    # block and show as raw text.
    _emit(files_markdown_from_json(text).rstrip("\n") + "\n", args.file)
    return 0
