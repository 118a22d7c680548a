"""``python -m limber``: the local console."""

import sys

from limber.console.main import main

sys.exit(main())
