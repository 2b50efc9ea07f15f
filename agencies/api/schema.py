"""How the staff API describes itself in its OpenAPI schema (drf-spectacular)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers

from agencies.api.serializers import ServiceRequestSerializer


class IntegrationTokenScheme(OpenApiAuthenticationExtension):
    target_class = "agencies.api.authentication.IntegrationTokenAuthentication"
    name = "IntegrationToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Token <token>`, the token `manage.py create_integration` printed "
                "for the calling system. Missing, unknown or revoked: 401."
            ),
        }


class ReachabilitySerializer(serializers.Serializer):
    """Whether the stored contact can be surveyed; never the address or number."""

    language = serializers.CharField()
    email_possible = serializers.BooleanField()
    sms_possible = serializers.BooleanField()
    phone_problem = serializers.ChoiceField(
        choices=["invalid", "extension", "not_mobile"], allow_null=True
    )
    phone_problem_text = serializers.CharField(allow_null=True)


class SavedServiceRequestSerializer(ServiceRequestSerializer):
    contact = ReachabilitySerializer(
        required=False, help_text="Present when the body had a contact."
    )

    class Meta(ServiceRequestSerializer.Meta):
        fields = [*ServiceRequestSerializer.Meta.fields, "contact"]
        read_only_fields = fields


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


UNAUTHORIZED = OpenApiResponse(
    ErrorSerializer, description="No token, or an unknown or revoked one."
)
FORBIDDEN = OpenApiResponse(
    ErrorSerializer,
    description="The integration is limited to another agency than the request's.",
)
NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No such request, or not a request number."
)
LENGTH_REQUIRED = OpenApiResponse(
    ErrorSerializer,
    description="The body was sent chunked, without a Content-Length.",
)
TOO_LARGE = OpenApiResponse(
    ErrorSerializer,
    description="The body is larger than the site accepts (2.5 MB by default).",
)
NOT_A_NUMBER = OpenApiResponse(
    ErrorSerializer, description="The request number is not a whole number."
)
INVALID = OpenApiResponse(
    {
        "type": "object",
        "additionalProperties": {
            "oneOf": [
                {"type": "array", "items": {"type": "string"}},
                {"type": "object"},
                {"type": "string"},
            ]
        },
    },
    description=(
        "Nothing was stored. Each field in error maps to its messages (`contact` "
        "to its own fields'); a body that is not JSON gets `detail`. No message "
        "repeats an email address or number."
    ),
    examples=[
        OpenApiExample(
            "Invalid fields",
            value={
                "closed_at": ["Required when the status is Closed."],
                "contact": {"email": ["Enter a valid email address."]},
            },
        )
    ],
)
