# cml-action: the GitHub Docker action and the CPU job container (`container:` / GitLab `image:`).
# Build: docker build -t cml-action .  Any Debian or Ubuntu base with python3 >= 3.11 works:
# --build-arg BASE_IMAGE=…
# Layout, entrypoint and runner notes: docs/containers.md. The package and its extras live in a venv at /opt/cml,
# which is first on PATH (cml, cml-send-comment, cml-publish, …, dvc, python, pip).
ARG BASE_IMAGE=python:3.12-slim

FROM ${BASE_IMAGE} AS builder
# This stage is identical, line for line, in Dockerfile and Dockerfile.gpu, so that on one base (CI's
# stand-in) the second build reuses every layer of the first (tests/unit/test_dockerfiles.py checks it).
# python3 with venv comes from the base when it has them (python:3.12-slim), else from apt (nvidia/cuda).
# `python3`, not `python`: Debian and Ubuntu bases always have python3.
RUN if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then \
      apt-get update \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
      && rm -rf /var/lib/apt/lists/*; \
    fi
# Dependencies first, from pyproject.toml alone: this slow layer is reused until the dependency list changes.
COPY pyproject.toml /src/
RUN python3 -m venv /opt/cml \
 && python3 -c "import tomllib; p = tomllib.load(open('/src/pyproject.toml', 'rb'))['project']; x = p['optional-dependencies']; print('\n'.join(p['dependencies'] + x['dvc'] + x['remotes'] + x['plots']))" > /tmp/requirements.txt \
 && /opt/cml/bin/pip install --no-cache-dir --disable-pip-version-check -r /tmp/requirements.txt
# Then the package (the context is an allowlist, see .dockerignore), and the trimming of what never runs:
# test suites inside dependencies, type stubs, setuptools (only needed to build, which pip does in isolation).
# Bytecode (~70 MB) is kept only for the action's own import path (~20 MB), so `cml report` compiles nothing
# at start; DVC's tree and pip lose theirs (about +0.6 s per `dvc` start): docker/prune_bytecode.py.
# The DVC remote plugins' API descriptions are cut to the services DVC calls: docker/prune_remote_data.py.
COPY . /src/
RUN /opt/cml/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps /src \
 && /opt/cml/bin/pip uninstall --yes --disable-pip-version-check setuptools \
 && /opt/cml/bin/python /src/docker/prune_bytecode.py cml-action \
 && install -m 0755 /src/docker/entrypoint.sh /opt/cml/bin/cml-entrypoint \
 && find /opt/cml -depth -type d \( -name tests -o -name test \) -path '*/site-packages/*' -exec rm -rf {} + \
 && find /opt/cml -name '*.pyi' -delete \
 && rm -rf /opt/cml/share /opt/cml/lib/python3*/site-packages/distutils-precedence.pth /root/.cache \
 && /opt/cml/bin/python /src/docker/prune_remote_data.py

FROM ${BASE_IMAGE}
# Metadata first: on top of the base it costs nothing, and with vfs (CI) every instruction after a big layer
# would copy the whole tree again. VERSION is only set by release builds, which start cold anyway.
ARG VERSION=dev
LABEL org.opencontainers.image.title="cml-action" \
      org.opencontainers.image.description="Continuous Machine Learning reports: metrics diffs, plots and gates as PR/MR comments and checks" \
      org.opencontainers.image.source="https://github.com/iterative/cml-action" \
      org.opencontainers.image.documentation="https://github.com/iterative/cml-action/blob/main/docs/containers.md" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
# Bytecode writing stays on: root (the default in CI jobs) caches what it compiles for the rest of the job.
ENV PATH=/opt/cml/bin:${PATH} \
    PYTHONUNBUFFERED=1
ENTRYPOINT ["/bin/bash", "/opt/cml/bin/cml-entrypoint"]
# git for the action and for users' steps. safe.directory=* is written once into the system gitconfig: the
# workspace is mounted from the host and owned by another uid (GitHub: 1001), its path differs per forge, and
# libgit2 (pygit2, used by DVC) reads the system file but not GIT_CONFIG_* variables. A one-job container has
# no other local users for git's ownership check to protect against. Translations and man pages are dropped.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends git \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log /usr/share/man/* /usr/share/locale/*/LC_MESSAGES/git.mo \
 && git config --system --add safe.directory '*'
# The venv, with the entrypoint script (docker/entrypoint.sh) in its bin/: one layer that changes per commit.
COPY --from=builder /opt/cml /opt/cml
