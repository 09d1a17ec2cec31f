import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from uploads import bucket, keys, s3


class Command(BaseCommand):
    help = (
        "Create the uploads bucket if it is missing and add or update this installation's CORS rule, "
        "which lets browsers on the given origins upload to it. Every other CORS rule is kept as it is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--origin",
            action="append",
            default=[],
            dest="origins",
            help="A site origin allowed to POST files, e.g. https://shop.example.com. Repeat for several.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print the CORS configuration before and after, and what would change; change nothing.",
        )

    def handle(self, *args: str, origins: list[str], dry_run: bool, **options: Any) -> None:
        if not origins:
            raise CommandError(
                "Name at least one site origin with --origin, e.g. --origin https://shop.example.com"
            )
        for origin in origins:
            if not origin.startswith(("http://", "https://")) or origin.endswith("/"):
                raise CommandError(f"{origin!r} is not an origin; write it like https://shop.example.com")
        name = s3.bucket_name()
        exists = s3.bucket_exists()
        before = s3.cors_rules() if exists else []
        former = [bucket.rule_id(installation) for installation in keys.installation_ids()]
        rule = bucket.own_rule(keys.installation_id(), origins)
        merged = bucket.merge(before, rule, former_ids=former)

        if dry_run:
            self.stdout.write("Dry run: nothing is changed.")
            self.stdout.write(
                f"Found the bucket {name!r}." if exists else f"Would create the bucket {name!r}."
            )
            self.stdout.write("CORS configuration before:\n" + _json(before))
            self.stdout.write("CORS configuration after:\n" + _json(merged.rules))
        else:
            if not exists:
                s3.create_bucket()
            if merged.change != "unchanged":
                s3.put_cors_rules(merged.rules)
            self.stdout.write(f"Found the bucket {name!r}." if exists else f"Created the bucket {name!r}.")
        for sentence in _report(merged, rule, dry_run):
            self.stdout.write(sentence)


def _json(rules: list[bucket.Rule]) -> str:
    return json.dumps({"CORSRules": rules}, indent=2)


def _report(merged: bucket.Merged, rule: bucket.Rule, dry_run: bool) -> Iterator[str]:
    allows = f"{_and(rule['AllowedMethods'])} from {_and(rule['AllowedOrigins'])}"
    previous = merged.previous
    if merged.change == "added":
        yield f"{'Would add' if dry_run else 'Added'} the rule {rule['ID']!r}, allowing {allows}."
    elif merged.change == "unchanged":
        yield f"The rule {rule['ID']!r} already allows {allows}; nothing to change."
    elif previous.get("ID") != rule["ID"]:
        # A rule of this installation under the id of a SECRET_KEY it has since rotated.
        verb = "Would replace" if dry_run else "Replaced"
        yield f"{verb} the rule {previous['ID']!r} with {rule['ID']!r}, allowing {allows}."
    else:
        was = _and(previous.get("AllowedOrigins", []))
        verb = "Would update" if dry_run else "Updated"
        yield f"{verb} the rule {rule['ID']!r} (it allowed {was}), allowing {allows}."
    if merged.kept:
        rules = "rule" if merged.kept == 1 else "rules"
        yield (
            f"Would keep {merged.kept} other {rules} as they are."
            if dry_run
            else f"Kept {merged.kept} other {rules}."
        )
    else:
        yield "There are no other rules."


def _and(items: Iterable[str]) -> str:
    names = list(items)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
