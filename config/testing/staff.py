"""Making staff users in tests, through the same service as the admin uses."""

from agencies.models import Agency
from agencies.services import set_membership


def staff(django_user_model, username: str, role: str, agency: Agency | None):
    user = django_user_model.objects.create_user(username)
    set_membership(user=user, role=role, agency=agency)
    return user
