"""Write the interaction model of every locale from ``interaction_models/`` and ``content/``.

    python scripts/generate_models.py            # rewrite skill-package/interactionModels/custom
    python scripts/generate_models.py --check    # exit 1, listing what is stale; write nothing
    python scripts/generate_models.py --out DIR  # write somewhere else

The models are committed so the ASK CLI can deploy them as they are; the tests fail when
they are stale, so run this after changing ``interaction_models/`` or routine synonyms.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = ROOT / "skill-package" / "interactionModels" / "custom"
sys.path.insert(0, str(ROOT / "lambda"))  # works without the package being pip-installed

from limber.interaction_model import stale_models, write_models  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=MODELS_DIR, help=f"folder (default {MODELS_DIR})")
    parser.add_argument("--check", action="store_true", help="only report stale models")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale_models(args.out)
        for problem in problems:
            print(f"stale: {problem}", file=sys.stderr)
        if problems:
            print("run: python scripts/generate_models.py", file=sys.stderr)
        return 1 if problems else 0
    for path in write_models(args.out):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
