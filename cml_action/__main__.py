"""`python -m cml_action …` is the `cml` command."""

import sys

from cml_action.cli import main

sys.exit(main())
