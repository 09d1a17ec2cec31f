from django.core.management.base import BaseCommand, CommandError

from uploads import s3


class Command(BaseCommand):
    help = "Create the uploads bucket if it is missing and let browsers on the given origins upload to it (CORS)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--origin",
            action="append",
            default=[],
            dest="origins",
            help="A site origin allowed to POST files, e.g. https://shop.example.com. Repeat for several.",
        )

    def handle(self, *args, origins, **options):
        if not origins:
            raise CommandError("Name at least one site origin with --origin, e.g. --origin https://shop.example.com")
        for origin in origins:
            if not origin.startswith(("http://", "https://")) or origin.endswith("/"):
                raise CommandError(f"{origin!r} is not an origin; write it like https://shop.example.com")
        created = s3.ensure_bucket(origins)
        verb = "Created" if created else "Found"
        self.stdout.write(f"{verb} bucket {s3.bucket_name()!r}; CORS allows {', '.join(origins)}.")
