"""Token authentication of the 311 systems that call the staff API."""

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions, permissions

from agencies.integrations import authenticate_token
from agencies.models import Integration


class IntegrationTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <token>` identifies an integration: request.auth.

    The request has no user: integrations are not staff and cannot use the admin.
    """

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the header as 'Authorization: Token <token>'."
            )
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        integration = authenticate_token(token=token)
        if integration is None:
            # Unknown and revoked tokens get the same answer.
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return AnonymousUser(), integration

    def authenticate_header(self, request) -> str:
        return self.keyword


class IsIntegration(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, Integration)
