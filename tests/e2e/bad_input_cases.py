"""The bad-input table: every case a user can get wrong, its documented outcome and the one line it prints.

docs/bad-input.md is generated from this table (tools/generate.py); a test keeps the two in step.
Each case runs the entrypoint as a subprocess in a fresh git repo. `files` are written before the run;
values starting with "@" are special: "@png:WxH" a real PNG, "@bomb" a 20 000 × 20 000 PNG header,
"@truncated" a cut PNG, "@binary" NUL bytes, "@huge" 9 MiB, "@latin1" non-UTF-8 text, "@link:TARGET" a symlink, "@fifo" a named pipe (made after the commit),
"@late-nul" text with a NUL byte after 20 KB, "@bigint:TEXT" TEXT with BIG replaced by a 5000-digit integer.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    id: str
    what: str  # the mistake, for the doc
    env: dict[str, str]  # INPUT_* / CML_* (and CI variables for forge cases)
    expect: str  # a substring of the one line printed (error or warning)
    exit_code: int = 1  # 1: error before publishing; 0: a warning and the report still made
    files: dict[str, str] = field(default_factory=dict)
    forge: str = "local"  # local, github, gitlab, none (no git repo)
    commit: bool = True  # commit the files as the baseline before the run


REPORT = {"report.md": "# Results\n"}
M = {"metrics.json": '{"acc": 0.9}'}


def _i(**inputs: str) -> dict[str, str]:
    return {"INPUT_" + name.upper().replace("_", "-"): value for name, value in inputs.items()}


CASES: tuple[Case, ...] = (
    # report files
    Case("report-missing", "report file does not exist", _i(report="nope.md"), "input 'report': 'nope.md' does not exist", exit_code=0),
    Case("report-binary", "report is a binary file", _i(report="r.md"), "'r.md' is a binary file", files={"r.md": "@binary"}, exit_code=0),
    Case("report-huge", "report over 8 MiB", _i(report="r.md"), "text inputs are limited to 8 MiB", files={"r.md": "@huge"}, exit_code=0),
    Case("report-latin1", "report not UTF-8", _i(report="r.md"), "is not UTF-8", files={"r.md": "@latin1"}, exit_code=0),
    Case("report-dir", "report is a directory", _i(report="docs"), "'docs' is a directory", files={"docs/a.md": "x"}, exit_code=0),
    Case("report-glob", "report glob matches nothing", _i(report="reports/*.md"), "the glob 'reports/*.md' matches no file", exit_code=0),
    Case("report-symlink", "report is a symlink out of the workspace", _i(report="r.md"),
         "'r.md' points outside the workspace", files={"r.md": "@link:/etc/passwd"}, exit_code=0),
    Case("report-fifo", "report is a named pipe (reading it blocked forever)", _i(report="r.md"),
         "'r.md' is a named pipe (FIFO), not a regular file", files={"r.md": "@fifo"}, exit_code=0),
    Case("report-late-nul", "report with a NUL byte after the first 8 KiB", _i(report="r.md"),
         "'r.md' is a binary file", files={"r.md": "@late-nul"}, exit_code=0),
    Case("report-empty", "report file is empty", _i(report="r.md"), "report file 'r.md' is empty", 0, files={"r.md": ""}),
    # metrics files
    Case("metrics-missing", "metrics file does not exist (training failed, not pulled)", _i(metrics="m.json"),
         "metrics file 'm.json' is missing in the working tree", 0),
    Case("metrics-json", "malformed JSON", _i(metrics="m.json"), "m.json", files={"m.json": '{"a": 1,\n "b": }'}, exit_code=0),
    Case("metrics-yaml", "malformed YAML", _i(metrics="m.yaml"), "m.yaml", files={"m.yaml": "a: 1\nb: [1, 2\n"}, exit_code=0),
    Case("metrics-toml", "malformed TOML", _i(metrics="m.toml"), "m.toml", files={"m.toml": "a = 1\nb = \n"}, exit_code=0),
    Case("metrics-csv", "CSV with a header only", _i(metrics="m.csv"), "'m.csv' holds no named metrics", 0, files={"m.csv": "acc,loss\n"}),
    Case("metrics-binary", "metrics file is binary", _i(metrics="m.json"), "is a binary file", files={"m.json": "@binary"}, exit_code=0),
    Case("metrics-environ", "metrics symlink to /proc/self/environ", _i(metrics="m.json"),
         "'m.json' points outside the workspace", files={"m.json": "@link:/proc/self/environ"}, exit_code=0),
    Case("metrics-ssh", "metrics symlink into ~/.ssh", _i(metrics="m.json"), "points outside the workspace",
         files={"m.json": "@link:~/.ssh/id_rsa"}, exit_code=0),
    Case("metrics-fifo", "metrics file is a named pipe", _i(metrics="m.json"),
         "'m.json' is a named pipe (FIFO), not a regular file", files={"m.json": "@fifo"}, exit_code=0),
    Case("metrics-bigint-json", "JSON integer beyond Python's 4300-digit limit", _i(metrics="m.json"),
         "metrics file 'm.json': a whole number has more than 4300 digits", files={"m.json": "@bigint:{\"a\": BIG}"}, exit_code=0),
    Case("metrics-bigint-toml", "TOML integer beyond Python's 4300-digit limit", _i(metrics="m.toml"),
         "metrics file 'm.toml': a whole number has more than 4300 digits", files={"m.toml": "@bigint:a = BIG\n"}, exit_code=0),
    Case("metrics-bigint-csv", "CSV integer beyond Python's 4300-digit limit", _i(metrics="m.csv"),
         "metrics file 'm.csv': a whole number has more than 4300 digits", files={"m.csv": "@bigint:a\nBIG\n"}, exit_code=0),
    Case("metrics-glob", "metrics glob matches nothing", _i(metrics="eval/*.json"), "matches no file", exit_code=0),
    Case("metrics-ext", "metrics file of unknown type (read as YAML, like DVC)", _i(metrics="m.txt"), "'m.txt' holds no named metrics", 0, files={"m.txt": "acc 1"}),
    Case("metrics-scalar", "metrics JSON that is not an object", _i(metrics="m.json"), "'m.json' holds no named metrics", 0, files={"m.json": "3"}),
    # images
    Case("image-text", "image that is not an image", _i(images="a.png"), "a.png", files={"a.png": "hello"}, exit_code=0),
    Case("image-truncated", "truncated PNG", _i(images="a.png"), "a.png", files={"a.png": "@truncated"}, exit_code=0),
    Case("image-bomb", "20 000 × 20 000 image (decompression bomb)", _i(images="a.png"), "a.png",
         files={"a.png": "@bomb"}, exit_code=0),
    Case("image-fifo", "image is a named pipe", _i(images="a.png"), "is a named pipe (FIFO), not a regular file",
         files={"a.png": "@fifo"}, exit_code=0),
    Case("image-missing", "image does not exist", _i(images="a.png"), "input 'images': 'a.png' does not exist", exit_code=0),
    Case("image-glob", "image glob matches nothing", _i(images="plots/*.png"), "the glob 'plots/*.png' matches no file", exit_code=0),
    Case("image-svg-script", "SVG with a script", _i(images="a.svg"), "a.svg",
         files={"a.svg": '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'}, exit_code=0),
    Case("image-symlink", "image symlink out of the workspace", _i(images="a.png"), "points outside the workspace",
         files={"a.png": "@link:/etc/hostname"}, exit_code=0),
    Case("image-dir", "images names a directory", _i(images="plots"), "'plots' is a directory",
         files={"plots/a.png": "@png:10x10"}, exit_code=0),
    # markdown references (warnings: the report is still made)
    Case("ref-missing", "markdown references a missing image", _i(report="r.md"), "image 'gone.png' was not found", 0,
         files={"r.md": "![x](gone.png)\n"}),
    Case("ref-outside", "markdown references an image outside the workspace", _i(report="r.md"),
         "image '/etc/hostname' points outside the workspace; its link is left as is", 0, files={"r.md": "![x](/etc/hostname)\n"}),
    Case("ref-bad-data", "markdown data: image that is not an image", _i(report="r.md"), "embedded", 0,
         files={"r.md": "![x](data:image/png;base64,aGVsbG8=)\n"}),
    # enums, numbers, booleans
    Case("send-as", "unknown send-as", _i(send_as="email"), "input 'send-as': unknown value 'email'"),
    Case("comment-mode", "unknown comment-mode", _i(comment_mode="append"), "input 'comment-mode': unknown value"),
    Case("target", "malformed target", _i(target="branch/main"), "input 'target': 'branch/main' is not a target"),
    Case("target-pr0", "pr/0 target", _i(target="pr/0"), "input 'target': 'pr/0' is not a target"),
    Case("precision-text", "non-integer metrics-precision", _i(metrics_precision="two"),
         "input 'metrics-precision': 'two' is not a whole number"),
    Case("precision-negative", "negative metrics-precision", _i(metrics_precision="-2"), "is below the minimum 0"),
    Case("width-text", "non-integer max-image-width", _i(max_image_width="wide"), "input 'max-image-width'"),
    Case("width-small", "max-image-width below 16", _i(max_image_width="8"), "is below the minimum 16"),
    Case("bool-metrics-all", "metrics-all not a boolean", _i(metrics_all="maybe"), "input 'metrics-all'"),
    Case("bool-fail", "fail-on-regression not a boolean", _i(fail_on_regression="sure"), "input 'fail-on-regression'"),
    Case("bool-publish", "publish-images not a boolean", _i(publish_images="2"), "input 'publish-images'"),
    Case("bool-summary", "summary not a boolean", _i(summary="nope!"), "input 'summary'"),
    Case("bool-fetch", "fetch-baseline not a boolean", _i(fetch_baseline="y"), "input 'fetch-baseline'"),
    Case("bool-dvc-diff", "dvc-diff not a boolean", _i(dvc_diff="t"), "input 'dvc-diff'"),
    Case("forge", "unknown forge (CLI env)", {"CML_FORGE": "bitbucket"}, "input 'forge': unknown value 'bitbucket'"),
    # thresholds
    Case("gate-kind", "unknown gate kind", {**_i(thresholds="acc above 0.9"), **_i(metrics="metrics.json")},
         "input 'thresholds'", files=M),
    Case("gate-number", "gate without a number", {**_i(thresholds="acc min"), **_i(metrics="metrics.json")},
         "input 'thresholds'", files=M),
    Case("gate-nan", "gate with a bad number", {**_i(thresholds="acc min high"), **_i(metrics="metrics.json")},
         "input 'thresholds'", files=M),
    Case("gate-extra", "gate with extra words", {**_i(thresholds="acc min 0.9 please"), **_i(metrics="metrics.json")},
         "input 'thresholds'", files=M),
    Case("gate-line2", "second gate line is bad", {**_i(thresholds="acc min 0.5\nloss maxx 1"),
         **_i(metrics="metrics.json")}, "line 2", files=M),
    Case("gate-unmatched", "gate that matches no metric", {**_i(thresholds="f1 min 0.5"), **_i(metrics="metrics.json")},
         "f1", 0, files=M),
    # git and baseline
    Case("baseline-missing", "baseline ref that does not exist", _i(baseline="v9.9"),
         "input 'baseline': 'v9.9' is not a commit in this repository"),
    Case("baseline-option", "baseline that git would read as an option (`--upload-pack=…` ran a command)",
         _i(baseline="--upload-pack=touch pwned;git-upload-pack"), "input 'baseline': '--upload-pack=touch pwned;git-upload-pack' cannot start with '-'"),
    Case("not-git", "workspace is not a git repository", {}, "is not a git repository", forge="none"),
    # monorepos and params
    Case("workdir-outside", "working-directory outside the workspace", _i(working_directory="../elsewhere"),
         "input 'working-directory': '../elsewhere' is outside the workspace"),
    Case("workdir-symlink", "working-directory is a symlink out of the workspace", _i(working_directory="proj"),
         "input 'working-directory': 'proj' is outside the workspace", files={"proj": "@link:/etc"}),
    Case("workdir-missing", "working-directory does not exist", _i(working_directory="services/x"),
         "input 'working-directory': 'services/x' is not a folder in the workspace"),
    Case("params-missing", "params file does not exist", _i(params="hp.yaml"), "input 'params': 'hp.yaml' does not exist", 0),
    Case("params-yaml", "params file that does not parse", _i(params="params.yaml"),
         "current: params file 'params.yaml' line", 0, files={"params.yaml": "lr: [0.1\n"}),
    Case("no-commits", "repository without commits", {}, "has no commits yet", commit=False),
    # plots
    Case("plots-missing", "plot data file does not exist", _i(plots="loss.csv"), "loss.csv", exit_code=0),
    # GitHub
    Case("gh-event-missing", "GITHUB_EVENT_PATH file missing", {"GITHUB_EVENT_PATH": "/nonexistent/event.json"},
         "event", forge="github"),
    Case("gh-event-malformed", "event payload is not JSON", {"GITHUB_EVENT_PATH": "@event:{not json"}, "event",
         forge="github"),
    Case("gh-event-device", "GITHUB_EVENT_PATH is an endless device (read until memory ran out)",
         {"GITHUB_EVENT_PATH": "/dev/zero"}, "the event payload /dev/zero is a character device", forge="github"),
    Case("gh-pr-number-true", "pull_request.number is `true` (a bool is an int in Python)",
         {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH":
          '@event:{"pull_request": {"number": true, "head": {"sha": "a"}, "base": {"sha": "b"}}}'},
         "lacks pull_request.number", forge="github"),
    Case("gh-no-token", "no token at all", {"INPUT_TOKEN": "", "GITHUB_TOKEN": ""}, "token", forge="github"),
    Case("gh-token-newline", "token with an embedded line break (was printed in an internal error)",
         {"INPUT_TOKEN": "ghs_first0123456789\nsecond0123456789"}, "the token from input 'token' contains a line break",
         forge="github"),
    Case("gh-personal-check", "personal token asked for a check run",
         {"INPUT_TOKEN": "ghp_" + "a" * 36, "INPUT_SEND-AS": "check"}, "check", forge="github"),
    Case("gh-assets-main", "assets-branch: main (an image commit fast-forwarded the default branch)",
         {"INPUT_ASSETS-BRANCH": "main"}, "input 'assets-branch': 'main' looks like a protected branch",
         forge="github"),
    Case("gh-assets-default", "assets-branch is the repository's default branch (from the event)",
         {"INPUT_ASSETS-BRANCH": "trunk", "GITHUB_EVENT_PATH": '@event:{"repository": {"default_branch": "trunk"}}'},
         "input 'assets-branch': 'trunk' is the repository's default branch", forge="github"),
    Case("gh-assets-invalid", "assets-branch is not a valid branch name", {"INPUT_ASSETS-BRANCH": "plots..v2"},
         "input 'assets-branch': 'plots..v2' is not a valid branch name", forge="github"),
    Case("gh-no-repo", "GITHUB_REPOSITORY unset", {"GITHUB_REPOSITORY": ""}, "GITHUB_REPOSITORY", forge="github"),
    # GitLab
    Case("gl-job-token", "only CI_JOB_TOKEN available", {"CI_JOB_TOKEN": "job-token-123"}, "CML_TOKEN", forge="gitlab"),
    Case("gl-token-latin1", "token with a character beyond Latin-1 (was an internal error)",
         {"CML_TOKEN": "glpat-\u20ac0123456789abcdef"},
         "the token from CML_TOKEN contains a character that is not visible ASCII", forge="gitlab"),
    Case("gl-no-project", "CI_PROJECT_ID unset", {"CI_PROJECT_ID": "", "CML_TOKEN": "glpat-xxxxxxxxxxxxxxxxxxxx"},
         "CI_PROJECT_ID", forge="gitlab"),
)  # fmt: skip
