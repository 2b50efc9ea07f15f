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

# The survey and what its residents were sent and answered, for the agency's own
# requests; contact details stay masked without view_contact_details.
_SURVEY_VIEW = [
    "surveys.view_survey",
    "surveys.view_surveyversion",
    "surveys.view_surveyversiontranslation",
    "surveys.view_surveytransition",
    "surveys.view_question",
    "surveys.view_questiontranslation",
    "surveys.view_choice",
    "surveys.view_choicetranslation",
    "surveys.view_invitation",
    "surveys.view_message",
    "surveys.view_response",
    "surveys.view_answer",
    "surveys.view_contact",
]
# The survey is citywide, so only city administrators write and review it.
_SURVEY_EDIT = [
    "surveys.add_survey",
    "surveys.change_survey",
    "surveys.add_surveyversion",
    "surveys.change_surveyversion",
    "surveys.submit_surveyversion",
    "surveys.review_surveyversion",
    "surveys.add_surveyversiontranslation",
    "surveys.change_surveyversiontranslation",
    "surveys.delete_surveyversiontranslation",
    "surveys.add_question",
    "surveys.change_question",
    "surveys.delete_question",
    "surveys.add_questiontranslation",
    "surveys.change_questiontranslation",
    "surveys.delete_questiontranslation",
    "surveys.add_choice",
    "surveys.change_choice",
    "surveys.delete_choice",
    "surveys.add_choicetranslation",
    "surveys.change_choicetranslation",
    "surveys.delete_choicetranslation",
]
# Supervisors call residents back about their answers, so they see how to reach them.
_CONTACT_DETAILS = "surveys.view_contact_details"
# The review queue: supervisors work their agency's cases, city administrators all.
_REVIEW = ["surveys.work_reviewcase", "surveys.view_reviewcase"]
# Satisfaction dashboards and the agency report card (figures, never residents).
_DASHBOARDS = "surveys.view_dashboards"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.LIAISON: [*_LIBRARY_VIEW, *_LIBRARY_EDIT, *_SURVEY_VIEW],
    Role.REVIEWER: [
        *_LIBRARY_VIEW,
        *_LIBRARY_EDIT,
        "resolutions.review_descriptionversion",
        *_SURVEY_VIEW,
    ],
    Role.SUPERVISOR: [
        *_LIBRARY_VIEW,
        *_SURVEY_VIEW,
        _CONTACT_DETAILS,
        *_REVIEW,
        _DASHBOARDS,
    ],
    Role.CITY_ADMIN: [
        *_LIBRARY_VIEW,
        *_LIBRARY_EDIT,
        "resolutions.review_descriptionversion",
        *_SURVEY_VIEW,
        *_SURVEY_EDIT,
        _CONTACT_DETAILS,
        # Forgetting a resident on request deletes their contact details; the
        # same permission shows the record of deletions.
        "surveys.delete_contact",
        *_REVIEW,
        _DASHBOARDS,
        "surveys.view_optout",
        # Residents' comments reach the open data only once one of them approves.
        "surveys.view_commentreview",
        "surveys.review_commentreview",
        "surveys.view_release",
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


def sync_role_groups(group_model, permission_model) -> list[str]:
    """Give each role's group the permissions listed for it; return those not found.

    Takes the models as arguments so data migrations can pass their historical
    versions. A permission of a model that a later migration creates does not
    exist yet when an earlier migration runs; that later migration syncs again
    and must find nothing missing.
    """
    missing: set[str] = set()
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=group_name(role))
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            found = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found is None:
                missing.add(perm)
            else:
                wanted.append(found)
        group.permissions.set(wanted)
    return sorted(missing)


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
