"""The staff API: 311 systems create, update and close service requests."""

from django.core.exceptions import RequestDataTooBig
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError, PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.api import schema
from agencies.api.authentication import IntegrationTokenAuthentication, IsIntegration
from agencies.api.serializers import (
    ServiceRequestSerializer,
    ServiceRequestWriteSerializer,
)
from agencies.models import ServiceRequest
from agencies.services import NotPermitted, save_service_request
from surveys.models import Contact

_OTHER_AGENCY = "This integration may not write requests of this agency."


class BoundedJSONParser(JSONParser):
    """JSON, refusing nesting too deep for Python's parser with a 400, not a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON nested too deeply.") from None


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = (
        "The request body is larger than the site accepts "
        "(DATA_UPLOAD_MAX_MEMORY_SIZE); nothing was stored."
    )
    default_code = "body_too_large"


class LengthRequired(APIException):
    status_code = status.HTTP_411_LENGTH_REQUIRED
    default_detail = (
        "Send the body with a Content-Length header: a chunked body is not read, "
        "so nothing was stored."
    )
    default_code = "length_required"


class ServiceRequestView(APIView):
    """GET returns a request; PUT creates or replaces it, with an optional contact.

    PUT answers 201 when it created the request, else 200; with a contact, the
    answer says whether email and text messages can reach the resident, and why a
    number cannot be texted, without repeating the address or number.
    """

    authentication_classes = [IntegrationTokenAuthentication]
    permission_classes = [IsIntegration]
    parser_classes = [BoundedJSONParser]
    renderer_classes = [JSONRenderer]

    @extend_schema(
        summary="Read a service request",
        description="The stored request; never its resident's contact details.",
        responses={
            200: ServiceRequestSerializer,
            401: schema.UNAUTHORIZED,
            403: schema.FORBIDDEN,
            404: schema.NOT_FOUND,
        },
    )
    def get(self, request: Request, unique_key: int) -> Response:
        service_request = get_object_or_404(
            ServiceRequest.objects.select_related("complaint_type"), pk=unique_key
        )
        if not request.auth.may_write_for(service_request.agency_id):
            raise PermissionDenied(_OTHER_AGENCY)
        return Response(ServiceRequestSerializer(service_request).data)

    @extend_schema(
        summary="Create or replace a service request",
        description=(
            "The body is the whole request: a field left out is stored empty. "
            "`contact` is optional; left out, the stored contact stays. Times are "
            "ISO 8601, New York time when they have no offset. A request that "
            "becomes Closed goes through the closure steps once (its survey is "
            "scheduled); sending the same body again changes nothing."
        ),
        request=ServiceRequestWriteSerializer,
        responses={
            200: OpenApiResponse(
                schema.SavedServiceRequestSerializer, description="Updated."
            ),
            201: OpenApiResponse(
                schema.SavedServiceRequestSerializer, description="Created."
            ),
            400: schema.INVALID,
            401: schema.UNAUTHORIZED,
            403: schema.FORBIDDEN,
            404: schema.NOT_A_NUMBER,
            411: schema.LENGTH_REQUIRED,
            413: schema.TOO_LARGE,
        },
    )
    def put(self, request: Request, unique_key: int) -> Response:
        stored_agency = (
            ServiceRequest.objects.filter(pk=unique_key)
            .values_list("agency_id", flat=True)
            .first()
        )
        if stored_agency is not None and not request.auth.may_write_for(stored_agency):
            raise PermissionDenied(_OTHER_AGENCY)
        serializer = ServiceRequestWriteSerializer(
            data=request.data, context={"unique_key": unique_key}
        )
        serializer.is_valid(raise_exception=True)
        try:
            saved = save_service_request(
                row=serializer.validated_data["row"],
                integration=request.auth,
                contact=serializer.validated_data.get("contact"),
            )
        except NotPermitted:
            raise PermissionDenied(_OTHER_AGENCY) from None

        body = ServiceRequestSerializer(saved.service_request).data
        if saved.contact is not None:
            body["contact"] = _reachability(saved.contact)
        return Response(
            body,
            status=status.HTTP_201_CREATED if saved.created else status.HTTP_200_OK,
        )

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        # Django reads a body only as far as its Content-Length: a chunked body
        # without one would read as empty and be refused field by field.
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        if (
            request.method == "PUT"
            and chunked
            and not request.META.get("CONTENT_LENGTH")
        ):
            raise LengthRequired

    def handle_exception(self, exc: Exception) -> Response:
        # Django refuses an oversized body when it is read, with its HTML 400 page;
        # an API client gets JSON saying why.
        if isinstance(exc, RequestDataTooBig):
            exc = BodyTooLarge()
        return super().handle_exception(exc)


def _reachability(contact: Contact) -> dict:
    problem = contact.phone_problem
    return {
        "language": contact.language,
        "email_possible": contact.can_receive("email"),
        "sms_possible": contact.can_receive("sms"),
        "phone_problem": problem or None,
        "phone_problem_text": Contact.PhoneProblem(problem).label if problem else None,
    }
