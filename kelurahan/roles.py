"""The portal roles (three in an office, two overseeing offices) as Django groups, and the
permissions each one carries.

Migrations call ``sync_role_groups`` so the groups exist on every database; a later migration
that adds permissions (new models, transitions) adds them here and calls it again.
"""

OFFICER_PERMISSIONS = [
    "kelurahan.view_office",
    "kelurahan.view_rw",
    "kelurahan.view_rt",
    "services.view_service",
    "services.view_requirement",
    "services.view_application",
    "services.add_application",
    "services.receive_application",
    "services.check_attachment",
    "services.archive_application",
    "services.mark_incomplete_application",
    "services.resubmit_application",
    "services.cancel_application",
    "services.send_to_rt_application",
    "services.issue_application",
    "services.hand_over_application",
    "services.correct_application",
    "services.view_letter",
]

OVERSIGHT_PERMISSIONS = [
    "kelurahan.view_kecamatan",
    "kelurahan.view_office",
    "services.view_service",
    "services.view_application",
    "services.view_letter",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    "officer": OFFICER_PERMISSIONS,
    "supervisor": [
        *OFFICER_PERMISSIONS,
        "services.revoke_letter",
        "services.reopen_application",
    ],
    # Oversight (issue 17): read-only. The pages check the Oversight row's scope, not these.
    "kecamatan_supervisor": OVERSIGHT_PERMISSIONS,
    "city_supervisor": OVERSIGHT_PERMISSIONS,
    "rt_chair": [
        "kelurahan.view_rt",
        "services.view_service",
        "services.view_requirement",
        "services.verify_application",
        "services.submit_assisted_application",
    ],
}


def sync_role_groups(apps, schema_editor=None) -> None:
    """Create the role groups and give each exactly its permissions (idempotent)."""
    from django.contrib.auth.management import create_permissions
    from django.db.models import Q

    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        # Migration state apps carry no models module; create_permissions skips those.
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        try:
            create_permissions(app_config, verbosity=0, apps=apps)
        finally:
            app_config.models_module = original

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        query = Q(pk__in=[])
        for perm in perms:
            app_label, codename = perm.split(".")
            query |= Q(content_type__app_label=app_label, codename=codename)
        # An earlier migration runs before later models (and their permissions) exist; the
        # latest role migration, run after them, leaves every group complete.
        group.permissions.set(Permission.objects.filter(query))
