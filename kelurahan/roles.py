"""The three portal roles as Django groups, and the permissions each one carries.

Migrations call ``sync_role_groups`` so the groups exist on every database; a later migration
that adds permissions (new models, transitions) adds them here and calls it again.
"""

ROLE_PERMISSIONS: dict[str, list[str]] = {
    "officer": [
        "kelurahan.view_office",
        "kelurahan.view_rw",
        "kelurahan.view_rt",
        "services.view_service",
        "services.view_requirement",
    ],
    "supervisor": [
        "kelurahan.view_office",
        "kelurahan.view_rw",
        "kelurahan.view_rt",
        "services.view_service",
        "services.view_requirement",
    ],
    "rt_chair": [
        "kelurahan.view_rt",
        "services.view_service",
        "services.view_requirement",
    ],
}


def sync_role_groups(apps, schema_editor=None) -> None:
    """Create the role groups and give each exactly its permissions (idempotent)."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
