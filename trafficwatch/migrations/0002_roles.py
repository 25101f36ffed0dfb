"""The staff roles: groups with the permissions of their part of the admin.

Re-runnable: groups are fetched or created and permissions added, never duplicated.
Reversible: going back removes the three groups (their users stay).
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR = "Editor"
NEWSLETTER_MANAGER = "Newsletter manager"
ADMINISTRATOR = "Administrator"
ALL = ("add", "change", "delete", "view")

ROLES = {
    EDITOR: {
        "news": {"section": ALL, "source": ALL, "article": ALL},
        "resources": {
            "country": ALL,
            "region": ALL,
            "category": ALL,
            "author": ALL,
            "resource": ALL,
            "resourceauthor": ALL,
        },
        "taggit": {"tag": ALL, "taggeditem": ALL},
        "links": {"linkcheck": ("view",)},
    },
    NEWSLETTER_MANAGER: {
        "newsletter": {"subscriber": ALL, "issue": ALL, "delivery": ("view",)},
        # To pick what an issue features; changing or publishing them is the editors' job.
        "news": {"article": ("view",), "section": ("view",)},
        "resources": {"resource": ("view",)},
    },
}
# Custom permissions (Meta.permissions), by role.
EXTRA = {
    EDITOR: [("news", "publish_article"), ("resources", "publish_resource")],
    NEWSLETTER_MANAGER: [("newsletter", "send_issue")],
}


def ensure_permissions(apps, schema_editor):
    # On a fresh database, permissions are created by the post_migrate signal, after
    # every migration: too late for this one. The installed apps' (not this migration's
    # state): the Administrator gets every permission of every installed app, whatever
    # order the other apps' migrations run in. auth and contenttypes are migrated by now.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=schema_editor.connection.alias)


def create_roles(apps, schema_editor):
    ensure_permissions(apps, schema_editor)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = [
            (app_label, f"{action}_{model}")
            for app_label, models in grants.items()
            for model, actions in models.items()
            for action in actions
        ] + EXTRA.get(name, [])
        for app_label, codename in wanted:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    administrator, _ = Group.objects.get_or_create(name=ADMINISTRATOR)
    administrator.permissions.add(*Permission.objects.all())


def remove_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=[EDITOR, NEWSLETTER_MANAGER, ADMINISTRATOR]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("trafficwatch", "0001_postgres_extensions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
        ("news", "0004_publish_permission"),
        ("resources", "0011_publish_permission"),
        ("newsletter", "0003_send_permission"),
        ("links", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
