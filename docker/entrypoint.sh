#!/bin/bash
# Image entrypoint for cml-action (Dockerfile and Dockerfile.gpu).
#
# - No arguments, or arguments that start with "-" or with "report": run the action (`cml report ...`), as a
#   GitHub Docker action does (action.yml passes no command, only env INPUT_*).
# - Anything else is a command: exec it unchanged, so GitLab (`sh -c '<script>'` through the entrypoint) and
#   GitHub `container:` jobs run their own steps.
# Before either: a writable HOME for any uid.
# Git's safe.directory is not touched here: the image sets `safe.directory = *` once in the system gitconfig at
# build time (see docs/containers.md), so nothing grows per run.
# bash, not sh: GitHub passes inputs as INPUT_SEND-AS, INPUT_METRICS-PRECISION, … (hyphen kept). Those are not
# shell names; dash (/bin/sh on Debian and Ubuntu) silently drops them from the environment of what it execs,
# bash passes them through to Python. bash is essential (always installed) on every Debian/Ubuntu base.
set -eu

# Any uid may run the image (`--user 1001`, OpenShift-style random uids): such a user often has no passwd entry,
# HOME=/ or an unwritable HOME. git, dvc and pip want a writable one; /tmp always is.
home_is_usable() {
  [ -n "${HOME:-}" ] && [ "${HOME}" != "/" ] && [ -d "${HOME}" ] && [ -w "${HOME}" ]
}
if ! home_is_usable; then
  HOME=/tmp
  export HOME
fi

# The action: cml_action.cli.entrypoint_main (what entrypoint.py runs) prepares DVC remote credentials, then runs
# `cml report` with the flags given ("report" itself is optional). Always the image's own Python, whatever PATH
# the job sets (CML_ENTRYPOINT_PYTHON exists for the entrypoint's own tests).
run_action() {
  exec "${CML_ENTRYPOINT_PYTHON:-/opt/cml/bin/python}" -c \
    'import sys; from cml_action.cli import entrypoint_main; sys.exit(entrypoint_main())' "$@"
}

# A user's command (`dvc pull`, `python train.py`, `cml comment create ...`) gets the same credential preparation
# the action does: GOOGLE_APPLICATION_CREDENTIALS holding the JSON content of a key (a CI secret) instead of a
# path is written to a 0600 file outside the workspace, and the variable points there. Other remote credentials
# (GDRIVE_CREDENTIALS_DATA, AWS_*, AZURE_*, OSS_*) are read by DVC directly and pass through unchanged.
prepare_google_credentials() {
  first_char="$(printf '%s' "${GOOGLE_APPLICATION_CREDENTIALS:-}" | tr -d ' \t\r\n' | cut -c1)"
  [ "${first_char}" = "{" ] || return 0
  secret_base=/tmp
  # The runner's temp dir when it exists here (job containers mount it; Docker actions may not).
  if [ -n "${RUNNER_TEMP:-}" ] && [ -d "${RUNNER_TEMP}" ] && [ -w "${RUNNER_TEMP}" ]; then
    secret_base="${RUNNER_TEMP}"
  fi
  credentials_dir="$(mktemp -d "${secret_base}/cml-credentials-XXXXXX")"
  (
    umask 077
    printf '%s' "${GOOGLE_APPLICATION_CREDENTIALS}" >"${credentials_dir}/google-application-credentials.json"
  )
  GOOGLE_APPLICATION_CREDENTIALS="${credentials_dir}/google-application-credentials.json"
  export GOOGLE_APPLICATION_CREDENTIALS
}

if [ "$#" -eq 0 ]; then
  run_action
fi
case "$1" in
  -* | report) run_action "$@" ;;
  *)
    prepare_google_credentials
    exec "$@"
    ;;
esac
