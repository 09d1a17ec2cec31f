
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def keep_past_decisions(apps, schema_editor):
    """Each upload reviewed before decisions had their own table keeps its one decision."""
    Upload = apps.get_model("uploads", "Upload")
    Decision = apps.get_model("uploads", "Decision")
    reviewed = Upload.objects.exclude(reviewed_at=None).exclude(review="unreviewed")
    Decision.objects.bulk_create(
        Decision(upload_id=row.pk, reviewer_id=row.reviewed_by_id, decided_at=row.reviewed_at, before="unreviewed", after=row.review)
        for row in reviewed.iterator()
    )


class Migration(migrations.Migration):

    dependencies = [
        ('uploads', '0005_uploaderlock'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Decision',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('decided_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='decided')),
                ('before', models.CharField(choices=[('unreviewed', 'Not reviewed'), ('approved', 'Approved'), ('rejected', 'Rejected')], max_length=16, verbose_name='from')),
                ('after', models.CharField(choices=[('unreviewed', 'Not reviewed'), ('approved', 'Approved'), ('rejected', 'Rejected')], max_length=16, verbose_name='to')),
                ('reason', models.CharField(blank=True, help_text='A code of REJECTION_REASONS.', max_length=50, verbose_name='reason')),
                ('note', models.TextField(blank=True, verbose_name='note')),
            ],
            options={
                'verbose_name': 'review decision',
                'verbose_name_plural': 'review decisions',
                'ordering': ['-decided_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='Variant',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(help_text='Base64 digest of the source bytes.', max_length=44, verbose_name='source SHA-256')),
                ('spec', models.CharField(help_text='Fingerprint of the size, fit, format and quality.', max_length=32, verbose_name='spec')),
                ('key', models.CharField(max_length=512, unique=True, verbose_name='object key')),
                ('content_type', models.CharField(max_length=100, verbose_name='type')),
                ('width', models.PositiveIntegerField(verbose_name='width')),
                ('height', models.PositiveIntegerField(verbose_name='height')),
                ('size', models.PositiveBigIntegerField(verbose_name='size')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
            ],
            options={
                'verbose_name': 'variant',
                'verbose_name_plural': 'variants',
            },
        ),
        migrations.AddField(
            model_name='decision',
            name='reviewer',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='reviewer'),
        ),
        migrations.AddField(
            model_name='decision',
            name='upload',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='decisions', to='uploads.upload', verbose_name='upload'),
        ),
        migrations.RunPython(keep_past_decisions, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='upload',
            name='reviewed_at',
        ),
        migrations.RemoveField(
            model_name='upload',
            name='reviewed_by',
        ),
        migrations.AddField(
            model_name='upload',
            name='variants_due',
            field=models.DateTimeField(blank=True, null=True, verbose_name='variants due'),
        ),
        migrations.AlterField(
            model_name='upload',
            name='sha256',
            field=models.CharField(blank=True, help_text='Base64 digest of the bytes: pinned in the policy (S3 refused any other bytes), or read from the verified copy when its variants were made.', max_length=44, verbose_name='SHA-256'),
        ),
        migrations.AddIndex(
            model_name='upload',
            index=models.Index(fields=['variants_due'], name='uploads_variants_due'),
        ),
        migrations.AddConstraint(
            model_name='variant',
            constraint=models.UniqueConstraint(fields=('source', 'spec'), name='uploads_variant_once'),
        ),
        migrations.AddIndex(
            model_name='decision',
            index=models.Index(fields=['upload', '-decided_at'], name='uploads_decision_upload'),
        ),
    ]
