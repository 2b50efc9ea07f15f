"""Staff roles: the permission group of each role, and the agency scope of a user.

The groups are created by data migrations from ROLE_PERMISSIONS; a user's group
follows their StaffMembership (see agencies.services.set_membership).
"""

from django.db.models import QuerySet

from agencies.models import StaffMembership

Role = StaffMembership.Role

_LIBRARY_VIEW = [
    "agencies.view_agency",
    "agencies.view_complainttype",
    "agencies.view_servicerequest",
    "resolutions.view_resolutiondescription",
    "resolutions.view_descriptionversion",
    "resolutions.view_descriptiontranslation",
    "resolutions.view_descriptiontransition",
    "resolutions.view_legacytext",
]
_LIBRARY_EDIT = [
    "resolutions.add_resolutiondescription",
    "resolutions.change_resolutiondescription",
    "resolutions.add_descriptionversion",
    "resolutions.change_descriptionversion",
    "resolutions.add_descriptiontranslation",
    "resolutions.change_descriptiontranslation",
    "resolutions.submit_descriptionversion",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.LIAISON: [*_LIBRARY_VIEW, *_LIBRARY_EDIT],
    Role.REVIEWER: [
        *_LIBRARY_VIEW,
        *_LIBRARY_EDIT,
        "resolutions.review_descriptionversion",
    ],
    Role.SUPERVISOR: [*_LIBRARY_VIEW],
    Role.CITY_ADMIN: [
        *_LIBRARY_VIEW,
        *_LIBRARY_EDIT,
        "resolutions.review_descriptionversion",
        "agencies.change_agency",
        "agencies.view_importrun",
        "agencies.view_staffmembership",
        "agencies.add_staffmembership",
        "agencies.change_staffmembership",
        "agencies.delete_staffmembership",
        "auth.view_user",
    ],
}


def group_name(role: str) -> str:
    return Role(role).label


def sync_role_groups(group_model, permission_model) -> None:
    """Give each role's group exactly the permissions listed for it.

    Takes the models as arguments so data migrations can pass their historical
    versions.
    """
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=group_name(role))
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.append(
                permission_model.objects.get(
                    content_type__app_label=app_label, codename=codename
                )
            )
        group.permissions.set(wanted)


def _membership(user) -> StaffMembership | None:
    if not user.is_authenticated:
        return None
    try:
        return user.membership
    except StaffMembership.DoesNotExist:
        return None


def sees_all_agencies(user) -> bool:
    if user.is_superuser:
        return True
    membership = _membership(user)
    return membership is not None and membership.sees_all_agencies


def agency_code_of(user) -> str | None:
    """The agency a user works for, or None for city-wide staff and strangers."""
    membership = _membership(user)
    return membership.agency_id if membership else None


def scope_to_user(queryset: QuerySet, user, agency_field: str = "agency") -> QuerySet:
    """Only the rows of the user's agency; every row for city-wide staff."""
    if sees_all_agencies(user):
        return queryset
    agency = agency_code_of(user)
    if agency is None:
        return queryset.none()
    return queryset.filter(**{agency_field: agency})
