from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="LinkCheck",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("url", models.URLField(max_length=500, unique=True, verbose_name="URL")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("unchecked", "Not checked yet"),
                            ("ok", "Working"),
                            ("failing", "Failing once"),
                            ("blocked", "Refuses automatic checks"),
                            ("dead", "Dead"),
                        ],
                        default="unchecked",
                        max_length=20,
                        verbose_name="status",
                    ),
                ),
                ("http_status", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="HTTP status")),
                ("last_error", models.CharField(blank=True, max_length=500, verbose_name="last error")),
                ("last_checked_at", models.DateTimeField(blank=True, null=True, verbose_name="last checked")),
                (
                    "failures",
                    models.PositiveSmallIntegerField(
                        default=0, help_text="Reset by a working check.", verbose_name="consecutive failures"
                    ),
                ),
            ],
            options={
                "verbose_name": "link check",
                "verbose_name_plural": "link checks",
                "ordering": ["url"],
                "indexes": [models.Index(fields=["status"], name="links_linkc_status_54dc27_idx")],
            },
        ),
    ]
