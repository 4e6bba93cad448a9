"""The ``tongdai`` console script: Django's management commands under one name.

``tongdai serve --demo``, ``tongdai user create ...``, ``tongdai token create ...``,
``tongdai refdata``, ``tongdai migrate`` ... are all management commands of the project.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongdai.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["tongdai", *argv])
    args[0] = "tongdai"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
