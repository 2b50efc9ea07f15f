"""A small survey data set whose dashboard figures are worked out by hand.

Sent invitations (times UTC; New York is five hours behind in winter):

| group          | agency | complaint type | told    | channel | lang | sent          | closed after | answers (score, fixed)                 | not answered        |
|----------------|--------|----------------|---------|---------|------|---------------|--------------|----------------------------------------|---------------------|
| heat v1        | HPD    | HEAT/HOT WATER | heat v1 | email   | en   | 2025-01-08    | 2 days       | (100 yes) (75 yes) (25 no)             | 1, delivered        |
| heat v2        | HPD    | HEAT/HOT WATER | heat v2 | sms     | es   | 2025-02-12    | 10 days      | (100 yes) (100 not_sure) (0 no)        | 1, bounced          |
| formula        | HPD    | =cmd|' /C calc'!A0 | heat v1 | email | en | 2025-02-13    | 12 hours     | (75 yes)                               |                     |
| street         | DOT    | Street Condition | street v1 | email | en   | 2025-01-09    | 2 days       | (50 no) (0 no, simulated)              | 1 sent 2025-02-01 03:00 UTC, i.e. Jan 31 in New York |

Outcomes: heat is "fixed", street "no_access". Boroughs: HPD Bronx, DOT Queens.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count

from django.utils import timezone

from agencies.models import Agency, ComplaintType, ServiceRequest
from resolutions.models import (
    DescriptionVersion,
    ResolutionDescription,
    ResolutionNotice,
)
from surveys.models import Invitation, Message, Response, SurveyVersion

FORMULA_TYPE = "=cmd|' /C calc'!A0"

_keys = count(91000001)


@dataclass
class DataSet:
    hpd: Agency
    dot: Agency
    heat: ComplaintType
    formula: ComplaintType
    street: ComplaintType
    heat_description: ResolutionDescription
    heat_v1: DescriptionVersion
    heat_v2: DescriptionVersion
    street_description: ResolutionDescription
    street_v1: DescriptionVersion


def version(description, number: int, status=DescriptionVersion.Status.RETIRED):
    return DescriptionVersion.objects.create(
        description=description,
        number=number,
        status=status,
        text=f"{description.title}, version {number}.",
        published_at=timezone.now(),
    )


def invite(
    *,
    complaint_type: ComplaintType,
    told: DescriptionVersion,
    channel: str,
    language: str,
    sent_at: datetime,
    closed_after: timedelta,
    borough: str,
    score: int | None = None,
    fixed: str = "",
    answered: bool = True,
    bounced: bool = False,
    simulated: bool = False,
) -> Invitation:
    closed_at = sent_at - timedelta(hours=1)
    request = ServiceRequest.objects.create(
        unique_key=next(_keys),
        created_at=closed_at - closed_after,
        closed_at=closed_at,
        status=ServiceRequest.Status.CLOSED,
        agency=complaint_type.agency,
        complaint_type=complaint_type,
        borough=borough,
        resolution_description=told.description,
    )
    ResolutionNotice.objects.create(
        service_request=request, version=told, language=language, closed_at=closed_at
    )
    survey_version = SurveyVersion.objects.get(
        survey__is_default=True, status=SurveyVersion.Status.PUBLISHED
    )
    invitation = Invitation.objects.create(
        service_request=request,
        channel=channel,
        status=Invitation.Status.ANSWERED if answered else Invitation.Status.SENT,
        language=language,
        survey_version=survey_version,
        sent_at=sent_at,
        closed_at=closed_at,
        expires_at=sent_at + timedelta(days=30),
    )
    Message.objects.create(
        invitation=invitation,
        purpose=Message.Purpose.INVITATION,
        status=Message.Status.BOUNCED if bounced else Message.Status.DELIVERED,
        send_after=sent_at,
        sent_at=sent_at,
        delivered_at=None if bounced else sent_at + timedelta(minutes=1),
    )
    if answered:
        Response.objects.create(
            invitation=invitation,
            survey_version=survey_version,
            language=language,
            channel=channel,
            satisfaction=score,
            fixed=fixed,
            is_simulated=simulated,
            submitted_at=sent_at + timedelta(hours=2),
        )
    return invitation


def at(day: str, hour: int = 15) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def build() -> DataSet:
    hpd = Agency.objects.get(code="HPD")
    dot = Agency.objects.get(code="DOT")
    heat = ComplaintType.objects.create(agency=hpd, name="HEAT/HOT WATER")
    formula = ComplaintType.objects.create(agency=hpd, name=FORMULA_TYPE)
    street = ComplaintType.objects.create(agency=dot, name="Street Condition")
    heat_description = ResolutionDescription.objects.create(
        agency=hpd, title="Heat restored", outcome=ResolutionDescription.Outcome.FIXED
    )
    street_description = ResolutionDescription.objects.create(
        agency=dot,
        title="Could not find the street defect",
        outcome=ResolutionDescription.Outcome.NO_ACCESS,
    )
    data = DataSet(
        hpd=hpd,
        dot=dot,
        heat=heat,
        formula=formula,
        street=street,
        heat_description=heat_description,
        heat_v1=version(heat_description, 1),
        heat_v2=version(heat_description, 2, DescriptionVersion.Status.PUBLISHED),
        street_description=street_description,
        street_v1=version(street_description, 1, DescriptionVersion.Status.PUBLISHED),
    )
    bronx, queens = ServiceRequest.Borough.BRONX, ServiceRequest.Borough.QUEENS

    heat_v1 = dict(
        complaint_type=heat,
        told=data.heat_v1,
        channel="email",
        language="en",
        sent_at=at("2025-01-08"),
        closed_after=timedelta(days=2),
        borough=bronx,
    )
    invite(**heat_v1, score=100, fixed="yes")
    invite(**heat_v1, score=75, fixed="yes")
    invite(**heat_v1, score=25, fixed="no")
    invite(**heat_v1, answered=False)

    heat_v2 = dict(
        complaint_type=heat,
        told=data.heat_v2,
        channel="sms",
        language="es",
        sent_at=at("2025-02-12"),
        closed_after=timedelta(days=10),
        borough=bronx,
    )
    invite(**heat_v2, score=100, fixed="yes")
    invite(**heat_v2, score=100, fixed="not_sure")
    invite(**heat_v2, score=0, fixed="no")
    invite(**heat_v2, answered=False, bounced=True)

    invite(
        complaint_type=formula,
        told=data.heat_v1,
        channel="email",
        language="en",
        sent_at=at("2025-02-13"),
        closed_after=timedelta(hours=12),
        borough=bronx,
        score=75,
        fixed="yes",
    )

    street_v1 = dict(
        complaint_type=street,
        told=data.street_v1,
        channel="email",
        language="en",
        closed_after=timedelta(days=2),
        borough=queens,
    )
    invite(**street_v1, sent_at=at("2025-01-09"), score=50, fixed="no")
    invite(**street_v1, sent_at=at("2025-01-09"), score=0, fixed="no", simulated=True)
    invite(**street_v1, sent_at=at("2025-02-01", hour=3), answered=False)
    return data
