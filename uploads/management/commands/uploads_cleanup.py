import datetime
import logging
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from uploads import cleanup, conf
from uploads.errors import StorageUnavailable

logger = logging.getLogger("uploads")


class Command(BaseCommand):
    help = (
        "Settle abandoned pending uploads (verify them, or mark them expired), delete orphaned "
        "and leftover objects and abort unfinished multipart uploads that this installation made. "
        "What it cannot prove it made is reported and kept (listed with -v 2). Safe to run from "
        "cron at any time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be done; change nothing."
        )
        parser.add_argument(
            "--grace",
            type=int,
            metavar="SECONDS",
            help="How long after a policy expires (or an unknown object was written) to leave it alone. "
            "Default: UPLOADS['CLEANUP_GRACE'].",
        )

    def handle(self, *args: str, dry_run: bool, grace: int | None, verbosity: int, **options: Any) -> None:
        if grace is None:
            grace = conf.get("CLEANUP_GRACE")
        if grace < 0:
            raise CommandError("--grace is a number of seconds, 0 or more.")
        done: Counter[tuple[str, str]] = Counter()
        label = "Clean-up dry run: " if dry_run else "Clean-up: "
        try:
            for action in cleanup.run(grace=datetime.timedelta(seconds=grace), dry_run=dry_run):
                done[action.kind, action.outcome] += 1
                if action.kind == cleanup.KEEP:
                    if verbosity >= 2:
                        self.stdout.write(str(action))
                    continue
                self.stdout.write(str(action))
                logger.info("%s%s", label, action)
        except StorageUnavailable as error:
            logger.exception("Clean-up stopped: S3 is not answering.")
            self.stdout.write(summary(done, dry_run, "Stopped part-way"))
            raise CommandError(
                "S3 stopped answering part-way; what was done is consistent. Run again to finish."
            ) from error
        line = summary(done, dry_run, "Done")
        self.stdout.write(line)
        logger.info("%s%s", label, line)


def summary(done: Counter[tuple[str, str]], dry_run: bool, heading: str) -> str:
    if dry_run:
        return (
            f"{heading} (dry run, nothing changed): would verify {done[cleanup.VERIFY, '']}, "
            f"expire {done[cleanup.EXPIRE, '']}, discard {done[cleanup.DISCARD, '']} unattached, "
            f"delete {objects(done[cleanup.DELETE, ''])}."
            + variant_work(done, dry_run)
            + multipart_work(done, dry_run)
            + kept(done)
        )
    line = (
        f"{heading}: {done[cleanup.VERIFY, cleanup.UPLOADED]} verified, "
        f"{done[cleanup.VERIFY, cleanup.FAILED]} failed, {done[cleanup.EXPIRE, '']} expired, "
        f"{done[cleanup.DISCARD, '']} unattached discarded, "
        f"{objects(done[cleanup.DELETE, ''])} deleted."
        + variant_work(done, dry_run)
        + multipart_work(done, dry_run)
    )
    left = done[cleanup.VERIFY, cleanup.LEFT_PENDING] + done[cleanup.DELETE, cleanup.NOT_DELETED]
    line = f"{line} {left} left for the next run." if left else line
    return line + kept(done)


def variant_work(done: Counter[tuple[str, str]], dry_run: bool) -> str:
    """The variants' share of the summary, said only when there was some."""
    released, asked = done[cleanup.RELEASE, ""], done[cleanup.ASK_AGAIN, ""]
    if not (released or asked):
        return ""
    if dry_run:
        return f" Would release {released} unused variants and ask again for {asked} lost variant tasks."
    return f" Released {released} unused variants; asked again for {asked} lost variant tasks."


def multipart_work(done: Counter[tuple[str, str]], dry_run: bool) -> str:
    """The multipart uploads' share of the summary, said only when there was some."""
    count = done[cleanup.ABORT, ""]
    if not count:
        return ""
    uploads = "1 unfinished multipart upload" if count == 1 else f"{count} unfinished multipart uploads"
    return f" Would abort {uploads}." if dry_run else f" Aborted {uploads}."


def kept(done: Counter[tuple[str, str]]) -> str:
    count = done[cleanup.KEEP, ""]
    if not count:
        return ""
    return (
        f" Kept {objects(count)} that this installation cannot prove it made "
        "(the project's own files, another installation's, or older keys); -v 2 lists them."
    )


def objects(count: int) -> str:
    return f"{count} object" if count == 1 else f"{count} objects"
