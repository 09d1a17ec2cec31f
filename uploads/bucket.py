"""The bucket's CORS rules with the app's own rule added or updated and every other rule kept: no I/O.

A bucket has one CORS configuration for everyone who uses it, and S3 only lets us replace it whole.
So the set-up reads it, changes only the rule whose ``ID`` is this installation's, and writes back
every other rule exactly as it was read, in its place.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

RULE_ID_PREFIX = "django-direct-uploads-"
# One entry of a bucket's CORSRules, as boto3 reads and writes it.
Rule = dict[str, Any]


def rule_id(installation: str) -> str:
    return f"{RULE_ID_PREFIX}{installation}"


def own_rule(installation: str, origins: Iterable[str]) -> Rule:
    """The rule browsers on ``origins`` need: POST a policy form, PUT a part, GET and HEAD to read back."""
    # In the order S3 lists a rule's fields, so a dry run's "after" reads like the next get.
    return {
        "ID": rule_id(installation),
        "AllowedHeaders": ["*"],
        "AllowedMethods": ["POST", "PUT", "GET", "HEAD"],
        "AllowedOrigins": list(origins),
        "ExposeHeaders": ["ETag"],
        "MaxAgeSeconds": 3600,
    }


@dataclass(frozen=True)
class Merged:
    rules: list[Rule]  # the whole configuration to write
    change: str  # "added", "updated" or "unchanged"
    previous: Rule | None  # our rule as it was; None when added
    kept: int  # how many other rules it holds, untouched


def merge(rules: Sequence[Rule], rule: Rule, former_ids: Iterable[str] = ()) -> Merged:
    """``rules`` with ``rule`` in place of the rules carrying its ``ID`` (or one of ``former_ids``,
    ids this installation used before a key rotation), or appended when there is none.

    Appending leaves every other rule where it was, so S3, which applies the first rule that
    matches, answers other origins exactly as before.
    """
    ours = {rule["ID"], *former_ids}
    position = next((index for index, existing in enumerate(rules) if existing.get("ID") in ours), None)
    others = [existing for existing in rules if existing.get("ID") not in ours]
    if position is None:
        return Merged(rules=[*others, rule], change="added", previous=None, kept=len(others))
    previous = rules[position]
    # Our copies before ``position`` are none (it is the first), so it is also the index among the others.
    merged = [*others[:position], rule, *others[position:]]
    change = "unchanged" if merged == list(rules) else "updated"
    return Merged(rules=merged, change=change, previous=previous, kept=len(others))
