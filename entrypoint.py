"""The action's entrypoint (Docker action and GitLab job): run `cml report` with the inputs from the env."""

import sys

from cml_action.cli import entrypoint_main

if __name__ == "__main__":
    sys.exit(entrypoint_main())
