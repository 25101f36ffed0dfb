"""What the staff roles (groups made by migration 0002_roles) may do beyond Django's
add/change/delete/view: publishing is a permission of its own."""

from django.http import HttpRequest

ADMINISTRATOR = "Administrator"

# The changelist actions that put items in front of the public or take them away.
PUBLISHING_ACTIONS = {"publish", "unpublish", "publish_now", "schedule"}


class PublishPermissionMixin:
    """For a ModelAdmin of a model with a "publish_<model>" permission and a status field.

    Without the permission, staff may write and change drafts, but the status field is
    read-only and the publishing actions are neither offered nor accepted.
    """

    def has_publish_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.publish_{opts.model_name}")

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not self.has_publish_permission(request) and "status" not in readonly:
            readonly.append("status")
        return readonly

    def get_actions(self, request: HttpRequest) -> dict:
        # By name as well as by permissions=["publish"]: whatever permission an action's
        # decorator names, publishing stays with those allowed to publish.
        actions = super().get_actions(request)
        if not self.has_publish_permission(request):
            for name in PUBLISHING_ACTIONS:
                actions.pop(name, None)
        return actions


def grant_administrator_everything(using: str = "default", **kwargs) -> None:
    """Give the Administrator group every permission there is (a post_migrate handler)."""
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.using(using).filter(name=ADMINISTRATOR).first()
    if group is not None:
        group.permissions.add(*Permission.objects.using(using).values_list("pk", flat=True))
