"""``tongdai token``: API tokens for machine clients.

    tongdai token create USERNAME [--name N] [--days N]   # prints only the token
    tongdai token list [USERNAME]
    tongdai token revoke HINT

``create`` prints the token alone on standard output so a script can capture it
(``TOKEN=$(tongdai token create svc.app --days 90)``); it is shown once and stored only as
a hash. ``revoke`` takes the hint shown by ``list`` (the token's first characters).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tongdai.accounts.management.commands.user import format_table
from tongdai.accounts.models import ApiToken
from tongdai.accounts.provisioning import ProvisioningError, token_issue, token_revoke


class Command(BaseCommand):
    help = "Create, list or revoke API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{create,list,revoke}")
        create = sub.add_parser("create", help="Issue a token and print it.")
        create.add_argument("username")
        create.add_argument("--name", default="", help="What the token is for.")
        create.add_argument("--days", type=int, default=None,
                            help="Expire after this many days (default: never).")
        listing = sub.add_parser("list", help="List live tokens.")
        listing.add_argument("username", nargs="?")
        revoke = sub.add_parser("revoke", help="Revoke a token by its hint.")
        revoke.add_argument("hint")

    def handle(self, *args, **options):
        try:
            if options["action"] == "create":
                _, raw = token_issue(options["username"], name=options["name"],
                                     days=options["days"], via="cli")
                self.stdout.write(raw)
            elif options["action"] == "revoke":
                token = token_revoke(options["hint"], via="cli")
                self.stdout.write(f"Revoked token {token.hint}… of {token.user.username}.")
            else:
                self.list(options["username"])
        except ProvisioningError as exc:
            raise CommandError(str(exc)) from exc

    def list(self, username: str | None) -> None:
        tokens = (ApiToken.objects.select_related("user").filter(revoked_at__isnull=True)
                  .order_by("user__username", "created_at"))
        if username:
            tokens = tokens.filter(user__username=username)
        now = timezone.now()
        rows = [(t.hint, t.user.username, t.name or "-", f"{t.created_at:%Y-%m-%d}",
                 "expired" if t.expires_at and t.expires_at <= now
                 else (f"{t.expires_at:%Y-%m-%d}" if t.expires_at else "never"),
                 f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "-") for t in tokens]
        self.stdout.write(format_table(("HINT", "USER", "NAME", "CREATED", "EXPIRES", "LAST USED"), rows))
