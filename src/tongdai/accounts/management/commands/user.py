"""``tongdai user``: create, list and deactivate accounts from the console.

    tongdai user create tuvan.hue --role counsellor --centre DN --password-file pw.txt
    tongdai user create congan.lc --role agency_officer --agency 3 --password-file -
    tongdai user create tuvan.hn2 --role counsellor --centre HN --extension 1001 --password-file -
    tongdai user list [--role ROLE] [--centre CODE] [--all]
    tongdai user deactivate tuvan.hue

The password is read from a file (``-`` for standard input) so it never appears in the
shell history or the process list. Every change is written to the audit trail.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tongdai.accounts.models import User
from tongdai.accounts.provisioning import ProvisioningError, user_create, user_deactivate
from tongdai.accounts.roles import Role


def read_password_file(name: str) -> str:
    """The first line of ``name`` (``-``: standard input), without its line ending."""
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read the password file {name}: {exc}") from exc
    lines = text.splitlines()
    password = lines[0] if lines else ""
    if not password:
        raise CommandError(f"The password file {name} is empty.")
    return password


class Command(BaseCommand):
    help = "Create, list or deactivate user accounts."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{create,list,deactivate}")

        create = sub.add_parser("create", help="Create an account.")
        create.add_argument("username")
        create.add_argument("--role", required=True, help=f"One of: {', '.join(Role.values)}.")
        place = create.add_mutually_exclusive_group()
        place.add_argument("--centre", help="Centre code (HN, DN, AG) for centre roles.")
        place.add_argument("--agency", help="Agency id, for agency officers.")
        place.add_argument("--commune", help="Commune code, for commune workers.")
        create.add_argument("--password-file", required=True,
                            help="File whose first line is the password; - for standard input.")
        create.add_argument("--full-name", default="")
        create.add_argument("--extension", default="",
                            help="Phone extension on the hotline PBX (call events name it).")

        listing = sub.add_parser("list", help="List accounts.")
        listing.add_argument("--role")
        listing.add_argument("--centre")
        listing.add_argument("--all", action="store_true", help="Include deactivated accounts.")

        deactivate = sub.add_parser("deactivate", help="Switch an account off.")
        deactivate.add_argument("username")

    def handle(self, *args, **options):
        action = options["action"]
        try:
            if action == "create":
                self.create(options)
            elif action == "list":
                self.list(options)
            else:
                user = user_deactivate(options["username"], via="cli")
                self.stdout.write(f"{user.username} is deactivated.")
        except ProvisioningError as exc:
            raise CommandError(str(exc)) from exc

    def create(self, options) -> None:
        password = read_password_file(options["password_file"])
        user = user_create(options["username"], options["role"], password,
                           centre=options["centre"], agency=options["agency"],
                           commune=options["commune"], full_name=options["full_name"],
                           extension=options["extension"], via="cli")
        self.stdout.write(f"Created {user.username} ({user.get_role_display()}, {_place(user)}).")

    def list(self, options) -> None:
        users = User.objects.select_related("centre", "agency", "commune").order_by("username")
        if not options["all"]:
            users = users.filter(is_active=True)
        if options["role"]:
            users = users.filter(role=options["role"])
        if options["centre"]:
            users = users.filter(centre_id=options["centre"].upper())
        rows = [(u.username, u.role, _place(u), "active" if u.is_active else "deactivated",
                 u.last_login.strftime("%Y-%m-%d %H:%M") if u.last_login else "-") for u in users]
        header = ("USERNAME", "ROLE", "PLACE", "STATUS", "LAST LOGIN")
        self.stdout.write(format_table(header, rows))


def _place(user: User) -> str:
    if user.centre_id:
        return f"centre {user.centre_id}"
    if user.agency_id:
        return f"agency {user.agency_id}: {user.agency.name}"
    if user.commune_id:
        return f"commune {user.commune_id}: {user.commune.name}"
    return "national"


def format_table(header: tuple[str, ...], rows: list[tuple]) -> str:
    """A plain fixed-width table for terminals."""
    cells = [tuple(str(c) for c in header)] + [tuple(str(c) for c in row) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                     for row in cells)
