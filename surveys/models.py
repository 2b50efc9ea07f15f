"""Surveys: what residents are asked, who is invited, what they answered.

A survey is versioned like a resolution description: `Survey` is the stable
identity, `SurveyVersion` its append-only versions, each with its questions and
their translations. A closed request's resident gets at most one `Invitation` per
channel; each invitation sends at most two `Message`s (the invitation and one
reminder), each sent exactly once; an answered invitation has exactly one
`Response`.

Residents' email addresses and phone numbers live only on `Contact`, so they can
be purged without touching anything else. Opt-outs and the frequent-caller limit
work on keyed hashes of the address (`address_digest`), which outlive the purge.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from agencies.models import ServiceRequest
from resolutions.models import ResolutionDescription, ReviewTransition
from surveys.scales import AGREEMENT


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class Contact(models.Model):
    """How to reach the resident of one service request, as the 311 system sent it."""

    class PhoneProblem(models.TextChoices):
        INVALID = "invalid", "Not a valid phone number"
        EXTENSION = "extension", "Has an extension, so it cannot receive texts"
        NOT_MOBILE = (
            "not_mobile",
            "A landline or other number that cannot receive texts",
        )

    service_request = models.OneToOneField(
        ServiceRequest, on_delete=models.CASCADE, related_name="contact"
    )
    email = models.EmailField(blank=True)
    phone_as_given = models.CharField(max_length=40, blank=True)
    phone_e164 = models.CharField(
        max_length=16, blank=True, help_text="The mobile number in E.164 form."
    )
    phone_problem = models.CharField(
        max_length=12,
        choices=PhoneProblem.choices,
        blank=True,
        help_text="Why this number is never texted.",
    )
    language = models.CharField(max_length=10, default="en")
    email_consent = models.BooleanField(default=False)
    sms_consent = models.BooleanField(default=False)
    is_fake = models.BooleanField(
        default=False, help_text="Made up for the demo; never a real resident."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        permissions = [
            (
                "view_contact_details",
                "Can see residents' email addresses and phone numbers",
            )
        ]

    def __str__(self) -> str:
        return f"Contact for SR {self.service_request_id}"

    def address(self, channel: str) -> str:
        return self.email if channel == Channel.EMAIL else self.phone_e164

    def can_receive(self, channel: str) -> bool:
        if channel == Channel.EMAIL:
            return bool(self.email) and self.email_consent
        return bool(self.phone_e164) and not self.phone_problem and self.sms_consent


class OptOut(models.Model):
    """An email address or phone number that asked for no more surveys.

    Stored as a keyed digest (see surveys.addresses), so the opt-out survives the
    purge of contact details and the table holds no address. START, or a new
    consent after opting out, sets `opted_back_in_at` instead of deleting, so the
    history stays.
    """

    class Source(models.TextChoices):
        SMS_KEYWORD = "sms_keyword", "Replied STOP"
        UNSUBSCRIBE_LINK = "unsubscribe_link", "Unsubscribe link"
        LIST_UNSUBSCRIBE = "list_unsubscribe", "One-click unsubscribe"
        PROVIDER = "provider", "Reported by the provider"
        COMPLAINT = "complaint", "Marked as spam"
        STAFF = "staff", "Staff"

    channel = models.CharField(max_length=5, choices=Channel.choices)
    address_digest = models.CharField(max_length=64)
    source = models.CharField(max_length=20, choices=Source.choices)
    opted_out_at = models.DateTimeField(default=timezone.now)
    opted_back_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "address_digest"], name="optout_unique_address"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} opt-out {self.address_digest[:8]}…"

    @property
    def is_active(self) -> bool:
        return self.opted_back_in_at is None


class Survey(models.Model):
    """A survey's stable identity; what residents are asked is in its versions."""

    name = models.CharField(max_length=200, unique=True)
    is_default = models.BooleanField(
        default=False, help_text="Sent after every closure unless another applies."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="survey_one_default",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def published_version(self) -> "SurveyVersion | None":
        return self.versions.filter(status=SurveyVersion.Status.PUBLISHED).first()


class SurveyVersionQuerySet(models.QuerySet):
    def published(self) -> "SurveyVersionQuerySet":
        return self.filter(status=SurveyVersion.Status.PUBLISHED)

    def awaiting_review(self) -> "SurveyVersionQuerySet":
        return self.filter(status=SurveyVersion.Status.SUBMITTED)


class SurveyVersion(models.Model):
    """One version of a survey's questions. Immutable once published."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted for review"
        RETURNED = "returned", "Returned with comments"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    WORKING_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.RETURNED)

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    title = models.CharField(
        max_length=200, help_text="Heading residents see above the questions."
    )
    introduction = models.TextField(
        blank=True, help_text="One or two sentences under the heading."
    )
    change_note = models.TextField(
        blank=True,
        help_text="What changed and why, for the reviewer and whoever edits next.",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revision = models.PositiveIntegerField(
        default=0,
        help_text="Bumped by every save of the version's contents, so a save from "
        "a stale form is refused.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = SurveyVersionQuerySet.as_manager()

    class Meta:
        ordering = ["survey", "-number"]
        permissions = [
            ("submit_surveyversion", "Can submit a survey version for review"),
            (
                "review_surveyversion",
                "Can publish or return a submitted survey version",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "number"], name="surveyversion_unique_number"
            ),
            # Invitations sent now answer exactly one version.
            models.UniqueConstraint(
                fields=["survey"],
                condition=Q(status="published"),
                name="surveyversion_one_published",
            ),
            models.UniqueConstraint(
                fields=["survey"],
                condition=Q(status__in=["draft", "submitted", "returned"]),
                name="surveyversion_one_working",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey} v{self.number} ({self.get_status_display()})"

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)


class SurveyVersionTranslation(models.Model):
    version = models.ForeignKey(
        SurveyVersion, on_delete=models.CASCADE, related_name="translations"
    )
    language = models.CharField(max_length=10)
    title = models.CharField(max_length=200)
    introduction = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "language"],
                name="surveyversiontranslation_unique_language",
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} [{self.language}]"


class SurveyTransition(ReviewTransition):
    """The audit trail of a survey version."""

    version = models.ForeignKey(
        SurveyVersion, on_delete=models.CASCADE, related_name="transitions"
    )


class QuestionQuerySet(models.QuerySet):
    def first_of(self, version_id: int) -> "Question | None":
        """The question a version asks first: the one a text reply answers."""
        return self.filter(version_id=version_id).order_by("position").first()


class Question(models.Model):
    """One question of a survey version.

    `key` stays the same across versions for the same question ("satisfaction",
    "fixed", ...), so results stay comparable when the wording changes.
    """

    class Kind(models.TextChoices):
        AGREEMENT = "agreement", "Five-point agreement scale"
        YES_NO = "yes_no", "Yes / no / not sure"
        SINGLE = "single", "Single choice"
        MULTIPLE = "multiple", "Multiple choice"
        TEXT = "text", "Free text"

    version = models.ForeignKey(
        SurveyVersion, on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField()
    key = models.SlugField(
        max_length=40,
        help_text="Keep it when rewording a question, so results stay comparable.",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    prompt = models.TextField(help_text="The question as residents read it.")
    help_text = models.TextField(
        blank=True, help_text="Optional; shown under the question in smaller type."
    )
    is_required = models.BooleanField(
        default=False, help_text="Residents cannot send the survey without answering."
    )
    max_length = models.PositiveIntegerField(
        null=True, blank=True, help_text="For free text: the most characters allowed."
    )
    show_when_question = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Ask this only when an earlier question got one of the answers below.",
    )
    show_when_values = models.JSONField(
        default=list, blank=True, help_text='Stored answer values, e.g. ["disagree"].'
    )

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "key"], name="question_unique_key"
            ),
            models.UniqueConstraint(
                fields=["version", "position"], name="question_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.prompt[:60]}"


class QuestionTranslation(models.Model):
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="translations"
    )
    language = models.CharField(max_length=10)
    prompt = models.TextField()
    help_text = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["question", "language"],
                name="questiontranslation_unique_language",
            )
        ]

    def __str__(self) -> str:
        return f"{self.question.key} [{self.language}]"


class Choice(models.Model):
    """An answer offered by a single or multiple choice question.

    Agreement and yes / no questions use the fixed scales in surveys.scales.
    """

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="choices"
    )
    position = models.PositiveSmallIntegerField()
    value = models.SlugField(max_length=40, help_text="Stored and published value.")
    label = models.CharField(
        max_length=200, help_text="The answer as residents read it, in English."
    )

    class Meta:
        ordering = ["question", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "value"], name="choice_unique_value"
            )
        ]

    def __str__(self) -> str:
        return self.label


class ChoiceTranslation(models.Model):
    choice = models.ForeignKey(
        Choice, on_delete=models.CASCADE, related_name="translations"
    )
    language = models.CharField(max_length=10)
    label = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["choice", "language"], name="choicetranslation_unique_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} [{self.language}]"


def new_token() -> str:
    # 128 random bits (22 characters): survey links cannot be guessed or
    # enumerated, and stay short enough for a two-segment text in every language.
    return secrets.token_urlsafe(16)


class InvitationQuerySet(models.QuerySet):
    def answerable(self) -> "InvitationQuerySet":
        return self.filter(
            status__in=Invitation.ANSWERABLE_STATUSES, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    """The survey offered to one closed request's resident on one channel.

    Created in the closure's transaction; at most one per request and channel. A
    rule that stops or delays it is written on it (`skip_reason`, `notes`), so
    staff can see why a resident was or was not asked.
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SKIPPED = "skipped", "Not sent"
        SENT = "sent", "Sent"
        ANSWERED = "answered", "Answered"
        EXPIRED = "expired", "Expired"

    class SkipReason(models.TextChoices):
        NO_CLOSED_DATE = "no_closed_date", "Closed date unknown"
        IMPLAUSIBLE_CLOSED_DATE = "implausible_closed_date", "Closed date implausible"
        NO_CONSENT = "no_consent", "No consent for this channel"
        UNREACHABLE = "unreachable", "Address or number cannot be used"
        OPTED_OUT = "opted_out", "Opted out"
        RECENTLY_SURVEYED = "recently_surveyed", "Surveyed recently (frequent caller)"
        OTHER_CHANNEL = "other_channel", "Another channel is preferred"
        NO_SURVEY = "no_survey", "No published survey"
        DELIVERY_FAILED = "delivery_failed", "Could not be delivered"

    ANSWERABLE_STATUSES = (Status.SENT,)

    service_request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="invitations"
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations",
        help_text="Empty once the contact details are purged.",
    )
    channel = models.CharField(max_length=5, choices=Channel.choices)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    skip_reason = models.CharField(
        max_length=30, choices=SkipReason.choices, blank=True
    )
    notes = models.TextField(
        blank=True, help_text="Rules that applied, e.g. held for quiet hours."
    )
    address_digest = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=10, default="en")
    survey_version = models.ForeignKey(
        SurveyVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
        help_text="The version the link opens; fixed when the invitation is made.",
    )
    token = models.CharField(max_length=64, unique=True, default=new_token)
    is_simulated = models.BooleanField(
        default=False, help_text="Demo data, never a real resident."
    )
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="The closure that triggered this invitation."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A closure surveys each resident at most once per channel, however
            # many times the closure is reported.
            models.UniqueConstraint(
                fields=["service_request", "channel"],
                name="invitation_unique_request_channel",
            )
        ]
        indexes = [
            # The frequent-caller rule: invitations to this address since a date.
            models.Index(
                fields=["address_digest", "created_at"], name="invitation_address"
            ),
        ]

    def __str__(self) -> str:
        return f"SR {self.service_request_id} {self.get_channel_display()} invitation"


class MessageQuerySet(models.QuerySet):
    def due(self, *, now=None) -> "MessageQuerySet":
        return self.filter(
            status=Message.Status.SCHEDULED, send_after__lte=now or timezone.now()
        )

    def claims_older_than(self, moment) -> "MessageQuerySet":
        """Messages a worker claimed before `moment` and never finished."""
        return self.filter(status=Message.Status.SENDING, claimed_at__lt=moment)


class Message(models.Model):
    """One message to a resident: the invitation, or its one reminder.

    The unit of exactly-once delivery. A task claims the row by moving it from
    scheduled to sending in one UPDATE; only the claimant talks to the provider.
    """

    class Purpose(models.TextChoices):
        INVITATION = "invitation", "Invitation"
        REMINDER = "reminder", "Reminder"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        BOUNCED = "bounced", "Bounced"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        UNKNOWN = "unknown", "Outcome unknown"

    invitation = models.ForeignKey(
        Invitation, on_delete=models.CASCADE, related_name="messages"
    )
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    send_after = models.DateTimeField(
        help_text="Not before this time (closure delay, quiet hours)."
    )
    enqueued_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a send task was last queued for it.",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    provider_message_id = models.CharField(max_length=200, blank=True, db_index=True)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(
        blank=True, help_text="The text that was sent, with the survey link masked."
    )
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["invitation", "send_after"]
        constraints = [
            models.UniqueConstraint(
                fields=["invitation", "purpose"], name="message_unique_purpose"
            )
        ]
        indexes = [
            # The beat dispatcher's scan: scheduled messages by time.
            models.Index(
                fields=["send_after"],
                condition=Q(status="scheduled"),
                name="message_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} for {self.invitation}"


class DeliveryEvent(models.Model):
    """What a provider reported about a message: delivered, bounced, complained..."""

    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="events"
    )
    event = models.CharField(max_length=30)
    provider_event_id = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            # Providers retry webhooks: a retried event is stored once, even when
            # two deliveries of it arrive at the same moment.
            models.UniqueConstraint(
                fields=["message", "provider_event_id"],
                condition=~Q(provider_event_id=""),
                name="deliveryevent_unique_provider_event",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} for message {self.message_id}"


class Response(models.Model):
    """A resident's answers to one invitation: at most one, held by the database.

    The headline answers are copied onto the row so queues and dashboards need
    no pivot of the answers table.
    """

    class Fixed(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        NOT_SURE = "not_sure", "Not sure"

    invitation = models.OneToOneField(
        Invitation, on_delete=models.PROTECT, related_name="response"
    )
    survey_version = models.ForeignKey(
        SurveyVersion, on_delete=models.PROTECT, related_name="responses"
    )
    language = models.CharField(max_length=10)
    channel = models.CharField(
        max_length=5, choices=Channel.choices, help_text="Where it was answered."
    )
    satisfaction = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="0-100 in steps of 25, as NYC scores it."
    )
    fixed = models.CharField(max_length=8, choices=Fixed.choices, blank=True)
    wants_reopen = models.BooleanField(null=True, blank=True)
    is_complete = models.BooleanField(
        default=True,
        help_text="False for an SMS reply that answered only the first question.",
    )
    is_simulated = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Response to {self.invitation}"


class Answer(models.Model):
    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    values = models.JSONField(
        default=list, help_text="Stored choice values; one for single-answer kinds."
    )
    text = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question"], name="answer_unique_question"
            )
        ]

    def __str__(self) -> str:
        return f"Answer to {self.question_id} in response {self.response_id}"


class ContactDeletion(models.Model):
    """A deletion of residents' contact details: when, why, by whom and how many.

    Never which resident: the row holds no address, number, digest or request, so
    the record of a "forget me" request does not itself remember the resident.
    """

    class Reason(models.TextChoices):
        RETENTION = "retention", "Retention period over"
        REQUEST = "request", "Resident asked to be forgotten"

    reason = models.CharField(max_length=10, choices=Reason.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The staff member who forgot the resident; empty for retention.",
    )
    requested_through = models.CharField(
        max_length=20,
        blank=True,
        help_text="Where it was asked for: admin, command or the daily job.",
    )
    channels = models.CharField(
        max_length=20,
        blank=True,
        help_text="Which kind of detail identified the resident: email, sms or both.",
    )
    contacts_deleted = models.PositiveIntegerField()
    answers_redacted = models.PositiveIntegerField(
        default=0,
        help_text="Free-text answers of theirs that lost an email address, phone "
        "number or street address they typed.",
    )
    deleted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-deleted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.contacts_deleted} contact(s)"


class ReviewCaseQuerySet(models.QuerySet):
    def open(self) -> "ReviewCaseQuerySet":
        return self.filter(status=ReviewCase.Status.OPEN)

    def overdue(self, *, now=None) -> "ReviewCaseQuerySet":
        return self.open().filter(due_at__lt=now or timezone.now())

    def in_queue_order(self) -> "ReviewCaseQuerySet":
        return self.order_by("priority", "opened_at", "id")


class ReviewCase(models.Model):
    """A supervisor's review of one response that needs attention.

    Opened by surveys.review.services.open_review_case when a response is
    dissatisfied, says the problem was not fixed, or asks for reopening; one per
    response. The agency and request are copied from the response's invitation so
    the queue is scoped and sorted without joining through it.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Priority(models.IntegerChoices):
        REOPEN_REQUESTED = 1, "Asked to reopen"
        NOT_FIXED_BUT_TOLD_FIXED = 2, "Not fixed, though told it was"
        FAST_CLOSURE = 3, "Closed fast without a fix"
        REPEAT_REQUEST = 4, "Same problem reported again"
        OTHER = 5, "Dissatisfied or not fixed"

    class Resolution(models.TextChoices):
        RESIDENT_CONTACTED = "resident_contacted", "Resident contacted"
        REOPENED = "reopened", "Reopened in the agency's system"
        REFERRED = "referred", "Referred"
        EXPLAINED = "explained", "Explained to the resident"
        NO_ACTION_POSSIBLE = "no_action_possible", "No action possible"
        # Only the site closes a case this way (review_completed_answers).
        ANSWERS_COMPLETED = "answers_completed", "Completed answers need no review"

    response = models.OneToOneField(
        Response, on_delete=models.PROTECT, related_name="review_case"
    )
    agency = models.ForeignKey(
        "agencies.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="review_cases",
        help_text="Empty for a request published without an agency: city-wide staff "
        "review it.",
    )
    service_request = models.ForeignKey(
        ServiceRequest, on_delete=models.PROTECT, related_name="review_cases"
    )
    is_dissatisfied = models.BooleanField(default=False)
    is_not_fixed = models.BooleanField(default=False)
    wants_reopen = models.BooleanField(default=False)
    was_told_fixed = models.BooleanField(
        default=False, help_text="What the resident was told says it was fixed."
    )
    is_fast_closure = models.BooleanField(default=False)
    is_repeat_request = models.BooleanField(
        default=False,
        help_text="The same problem at the same address was reported again soon "
        "after the closure.",
    )
    told_outcome = models.CharField(
        max_length=30, blank=True, help_text="The outcome the resident was told."
    )
    priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, default=Priority.OTHER
    )
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="review_cases",
    )
    opened_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(help_text="Review deadline in business days.")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)
    resolution_note = models.TextField(blank=True)
    is_simulated = models.BooleanField(default=False)

    objects = ReviewCaseQuerySet.as_manager()

    class Meta:
        permissions = [("work_reviewcase", "Can work the supervisor review queue")]
        indexes = [
            # The queue's first page for one agency: open cases by priority, then
            # oldest (ReviewCase.objects.open().in_queue_order() per agency).
            models.Index(
                fields=["agency", "status", "priority", "opened_at"],
                name="reviewcase_agency_queue",
            ),
            # The same page for city administrators, who see every agency.
            models.Index(
                fields=["status", "priority", "opened_at"], name="reviewcase_queue"
            ),
            # The repeat-request refresh and the overdue filter scan open cases.
            models.Index(
                fields=["due_at"], condition=Q(status="open"), name="reviewcase_due"
            ),
        ]
        constraints = [
            # "No action possible" is closed only with the reason written down.
            models.CheckConstraint(
                condition=~Q(resolution="no_action_possible") | ~Q(resolution_note=""),
                name="reviewcase_reason_for_no_action",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True, resolution="")
                | Q(status="closed", closed_at__isnull=False) & ~Q(resolution=""),
                name="reviewcase_closed_with_resolution",
            ),
        ]

    def __str__(self) -> str:
        return f"Review of SR {self.service_request_id}"

    @property
    def reasons(self) -> list[str]:
        """Why the case is in the queue, as staff read it."""
        found = []
        if self.wants_reopen:
            found.append("Asked to reopen")
        if self.is_not_fixed:
            found.append(
                "Not fixed, though told it was" if self.was_told_fixed else "Not fixed"
            )
        if self.is_dissatisfied:
            found.append("Dissatisfied")
        if self.is_fast_closure:
            found.append("Closed fast without a fix")
        if self.is_repeat_request:
            found.append("Reported again")
        return found

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.due_at < timezone.now()

    @property
    def satisfaction_label(self) -> str:
        score = self.response.satisfaction
        return next((str(p.label) for p in AGREEMENT if p.score == score), "")

    @property
    def told_outcome_label(self) -> str:
        outcomes = dict(ResolutionDescription.Outcome.choices)
        return outcomes.get(self.told_outcome, self.told_outcome or "Unknown")


class ReviewEvent(models.Model):
    """One step in a review case's history: who did what, and when."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"
        ASSIGNED = "assigned", "Assigned"
        UNASSIGNED = "unassigned", "Unassigned"
        NOTE = "note", "Note"
        CLOSED = "closed", "Closed"
        PRIORITY_CHANGED = "priority_changed", "Priority changed"

    case = models.ForeignKey(
        ReviewCase, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the site did it.",
    )
    at = models.DateTimeField(default=timezone.now)
    text = models.TextField(blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.case}"


class DashboardRollup(models.Model):
    """Survey figures summed per period and one breakdown, for the dashboards.

    Rebuilt as a whole by surveys.dashboards.rollup (every few minutes by Celery
    beat), so a dashboard figure is a SUM over a few thousand rows instead of a
    join over every invitation. Each invitation sent counts once per dimension:
    in the row of its key for that dimension (its agency, complaint type, ...).
    A week that spans two months is split in two rows, so weeks and months are
    both exact sums. Periods are New York weeks (Monday) and months of sending.
    """

    class Dimension(models.TextChoices):
        TOTAL = "total", "All"
        AGENCY = "agency", "Agency"
        COMPLAINT_TYPE = "complaint_type", "Complaint type"
        BOROUGH = "borough", "Borough"
        CHANNEL = "channel", "Channel"
        LANGUAGE = "language", "Language"
        OUTCOME = "outcome", "Outcome"
        DESCRIPTION = "description", "Resolution description"
        VERSION = "version", "Resolution description version"
        TIME_TO_CLOSE = "time_to_close", "Time to close"

    dimension = models.CharField(max_length=20, choices=Dimension.choices)
    key = models.CharField(max_length=200, blank=True)
    week_start = models.DateField()
    month_start = models.DateField()
    agency_id = models.CharField(max_length=20, blank=True)
    channel = models.CharField(max_length=5)
    language = models.CharField(max_length=10)
    is_simulated = models.BooleanField()
    sent = models.PositiveIntegerField()
    delivered = models.PositiveIntegerField()
    bounced = models.PositiveIntegerField()
    answered = models.PositiveIntegerField()
    satisfaction_n = models.PositiveIntegerField()
    satisfaction_sum = models.BigIntegerField()
    satisfaction_sum_squares = models.BigIntegerField()
    satisfied = models.PositiveIntegerField()
    dissatisfied = models.PositiveIntegerField()
    fixed_yes = models.PositiveIntegerField()
    fixed_no = models.PositiveIntegerField()
    fixed_not_sure = models.PositiveIntegerField()

    class Meta:
        permissions = [
            (
                "view_dashboards",
                "Can see the survey dashboards and the agency report card",
            )
        ]
        indexes = [
            # Every dashboard query: one dimension over a range of weeks or months.
            models.Index(fields=["dimension", "week_start"], name="rollup_dim_week"),
            models.Index(fields=["dimension", "month_start"], name="rollup_dim_month"),
            # The version comparison: the versions of one description.
            models.Index(fields=["dimension", "key"], name="rollup_dim_key"),
        ]

    def __str__(self) -> str:
        return f"{self.dimension}={self.key} week of {self.week_start}"


class QuarterTimeToClose(models.Model):
    """Median time to close of surveyed requests per quarter, agency and complaint type.

    An empty `complaint_type_id` is the agency as a whole. Medians cannot be
    summed, so each row exists twice: with simulated answers and without.
    Rebuilt with DashboardRollup.
    """

    quarter_start = models.DateField()
    agency_id = models.CharField(max_length=20, blank=True)
    complaint_type_id = models.BigIntegerField(null=True, blank=True)
    includes_simulated = models.BooleanField()
    requests = models.PositiveIntegerField()
    median_seconds = models.FloatField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["quarter_start", "agency_id"], name="ttc_quarter"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.complaint_type_id} {self.quarter_start}"


class DashboardRefresh(models.Model):
    """When the dashboard figures were last rebuilt: "figures as of" on the pages."""

    refreshed_at = models.DateTimeField(null=True)
    seconds = models.FloatField(default=0)
    rows = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Dashboard figures of {self.refreshed_at}"


class CommentReviewQuerySet(models.QuerySet):
    def pending(self) -> "CommentReviewQuerySet":
        return self.filter(status=CommentReview.Status.PENDING)

    def approved(self) -> "CommentReviewQuerySet":
        return self.filter(status=CommentReview.Status.APPROVED)


class CommentReview(models.Model):
    """A resident's free-text comment on its way to the open data.

    `redacted_text` is computed when the review is created (emails, phone numbers,
    street addresses and apartment numbers removed; surveys.publication.redaction)
    and is all a reviewer sees. Only approved comments are published, as their
    redacted text.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting review"
        APPROVED = "approved", "Approved for publication"
        WITHHELD = "withheld", "Withheld"

    answer = models.OneToOneField(
        Answer, on_delete=models.CASCADE, related_name="comment_review"
    )
    redacted_text = models.TextField(
        help_text="The comment as it would be published, personal details removed."
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CommentReviewQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        permissions = [
            (
                "review_commentreview",
                "Can approve or withhold residents' comments for open data",
            )
        ]

    def __str__(self) -> str:
        return f"Comment {self.answer_id} ({self.get_status_display()})"


class Release(models.Model):
    """One publication of a month's survey results as open data.

    Its files are written once under OPEN_DATA_DIR and never changed: the sha256
    of each is kept here. A correction is a new release of the same month, with
    the next number, pointing at the release it corrects. Demo releases, which
    include simulated answers, are numbered apart from real ones. A release
    found to expose something it should not is withdrawn: its files are deleted,
    and it stays listed with the reason and its files' sha256.
    """

    month = models.DateField(help_text="The first day of the month published.")
    number = models.PositiveIntegerField()
    is_demo = models.BooleanField(
        default=False, help_text="Includes simulated answers; never real residents."
    )
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
    )
    note = models.TextField(blank=True, help_text="What a correction changes, and why.")
    min_group_size = models.PositiveSmallIntegerField(
        help_text="k: counts and groups below this were suppressed."
    )
    rows_published = models.PositiveIntegerField(default=0)
    rows_generalised = models.PositiveIntegerField(
        default=0, help_text="Rows with some attributes replaced by 'suppressed'."
    )
    rows_withheld = models.PositiveIntegerField(
        default=0, help_text="Responses left out: their group stayed below k."
    )
    comments_published = models.PositiveIntegerField(default=0)
    cells_suppressed = models.PositiveIntegerField(default=0)
    files = models.JSONField(
        default=dict, help_text="Each file's name, path, size and sha256."
    )
    summary = models.JSONField(
        default=dict, help_text="The published tables, for the page's charts."
    )
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When its files were taken down; it is still listed, as withdrawn.",
    )
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawal_reason = models.TextField(
        blank=True, help_text="Why it was withdrawn, as published."
    )

    class Meta:
        ordering = ["-month", "is_demo", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "is_demo", "number"], name="release_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} release {self.number}{' (demo)' if self.is_demo else ''}"

    @property
    def slug(self) -> str:
        """The release in file names and URLs: 2026-03-r1, 2026-03-demo-r1."""
        return f"{self.month:%Y-%m}{'-demo' if self.is_demo else ''}-r{self.number}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def kind(self) -> str:
        if self.is_demo:
            return "demo"
        return "correction" if self.corrects_id else "regular"
