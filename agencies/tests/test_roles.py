"""The role groups the migrations leave behind."""

import pytest
from django.contrib.auth.models import Group

from agencies.models import StaffMembership
from agencies.roles import ROLE_PERMISSIONS, group_name

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", list(StaffMembership.Role))
def test_each_role_group_holds_exactly_its_listed_permissions(role):
    group = Group.objects.get(name=group_name(role))

    held = {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }

    assert held == set(ROLE_PERMISSIONS[role])


def test_only_supervisors_and_city_administrators_see_contact_details():
    allowed = {
        role
        for role, perms in ROLE_PERMISSIONS.items()
        if "surveys.view_contact_details" in perms
    }

    assert allowed == {StaffMembership.Role.SUPERVISOR, StaffMembership.Role.CITY_ADMIN}


def test_only_city_administrators_edit_and_review_surveys():
    editors = {
        role
        for role, perms in ROLE_PERMISSIONS.items()
        if {"surveys.change_surveyversion", "surveys.review_surveyversion"} & set(perms)
    }

    assert editors == {StaffMembership.Role.CITY_ADMIN}
