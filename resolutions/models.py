from django.conf import settings
from django.db import models
from django.db.models import Q


class ResolutionDescription(models.Model):
    """The stable identity of a resolution description of one agency.

    What residents are told lives in its versions; a description imported from
    NYC data starts with one legacy version holding the published text.
    """

    class Outcome(models.TextChoices):
        UNCLASSIFIED = "unclassified", "Not yet classified"
        FIXED = "fixed", "Fixed / action taken"
        NO_VIOLATION = "no_violation", "Inspected, no violation found"
        NO_ACCESS = "no_access", "Could not access or locate"
        NOT_JURISDICTION = "not_jurisdiction", "Not this agency's jurisdiction"
        REFERRED = "referred", "Referred to another agency"
        DUPLICATE = "duplicate", "Duplicate of an earlier request"
        NOT_ENOUGH_INFORMATION = "not_enough_information", "Not enough information"
        OTHER = "other", "Other"

    agency = models.ForeignKey(
        "agencies.Agency",
        on_delete=models.PROTECT,
        related_name="resolution_descriptions",
    )
    title = models.CharField(
        max_length=200, help_text="A short name for staff; residents never see it."
    )
    outcome = models.CharField(
        max_length=30,
        choices=Outcome.choices,
        default=Outcome.UNCLASSIFIED,
        help_text="What this description tells the resident happened.",
    )
    complaint_types = models.ManyToManyField(
        "agencies.ComplaintType",
        blank=True,
        related_name="resolution_descriptions",
        help_text="The complaint types this description is written for.",
    )
    is_example = models.BooleanField(
        default=False,
        help_text="Demo content written to show the library at work, not city policy.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency", "title"]

    def __str__(self) -> str:
        return f"{self.agency_id}: {self.title}"

    @property
    def published_version(self) -> "DescriptionVersion | None":
        return self.versions.filter(status=DescriptionVersion.Status.PUBLISHED).first()

    @property
    def working_version(self) -> "DescriptionVersion | None":
        return self.versions.filter(
            status__in=DescriptionVersion.WORKING_STATUSES
        ).first()


class DescriptionVersionQuerySet(models.QuerySet):
    def awaiting_review(self) -> "DescriptionVersionQuerySet":
        return self.filter(status=DescriptionVersion.Status.SUBMITTED)

    def published(self) -> "DescriptionVersionQuerySet":
        return self.filter(status=DescriptionVersion.Status.PUBLISHED)


class DescriptionVersion(models.Model):
    """One version of a description's text, in English and its translations.

    Versions are append-only: once published, a version's texts never change, and
    editing starts a new draft. Changes of status go through resolutions.services,
    which records each one as a DescriptionTransition.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted for review"
        RETURNED = "returned", "Returned with comments"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    # The statuses of the one version per description that is being worked on.
    WORKING_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.RETURNED)

    description = models.ForeignKey(
        ResolutionDescription, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    is_legacy = models.BooleanField(
        default=False, help_text="The text as NYC published it before any rewrite."
    )
    text = models.TextField(help_text="What residents read on the web and in email.")
    sms_text = models.TextField(blank=True, help_text="The short text sent by SMS.")
    change_note = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    editors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        help_text="Everyone who saved this version; none of them may approve it.",
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
        help_text="Bumped by every save, so a save from a stale form is refused.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = DescriptionVersionQuerySet.as_manager()

    class Meta:
        ordering = ["description", "-number"]
        permissions = [
            (
                "submit_descriptionversion",
                "Can submit a description version for review",
            ),
            ("review_descriptionversion", "Can publish or return a submitted version"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["description", "number"],
                name="descriptionversion_unique_number",
            ),
            # Residents must be told exactly one thing: the published version.
            models.UniqueConstraint(
                fields=["description"],
                condition=Q(status="published"),
                name="descriptionversion_one_published",
            ),
            # Two liaisons editing a description work on the same draft, never two.
            models.UniqueConstraint(
                fields=["description"],
                condition=Q(status__in=["draft", "submitted", "returned"]),
                name="descriptionversion_one_working",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description} v{self.number} ({self.get_status_display()})"

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)

    def translation(self, language: str) -> "DescriptionTranslation | None":
        return next(
            (t for t in self.translations.all() if t.language == language), None
        )


class DescriptionTranslation(models.Model):
    """A version's text in one of the city's designated languages other than English."""

    version = models.ForeignKey(
        DescriptionVersion, on_delete=models.CASCADE, related_name="translations"
    )
    language = models.CharField(max_length=10)
    text = models.TextField()
    sms_text = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "language"],
                name="descriptiontranslation_unique_language",
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} [{self.language}]"


class ReviewTransition(models.Model):
    """One step in the review of a versioned text: who moved a version from which
    status to which, when, and why. Each versioned thing keeps its own table of
    these, with a `version` foreign key to its versions."""

    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.version}: {self.from_status or 'new'} → {self.to_status}"


class DescriptionTransition(ReviewTransition):
    """The audit trail of a description version."""

    version = models.ForeignKey(
        DescriptionVersion, on_delete=models.CASCADE, related_name="transitions"
    )


class LegacyText(models.Model):
    """A resolution text found in NYC data, and the description it belongs to.

    Texts are matched after repairing mojibake and folding white space, so the
    spelling variants of one standard sentence share one description.
    """

    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField()
    text_hash = models.CharField(max_length=64, editable=False)
    description = models.ForeignKey(
        ResolutionDescription, on_delete=models.PROTECT, related_name="legacy_texts"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency", "text"]
        constraints = [
            # Import looks texts up by (agency, hash); the text itself can be too
            # long for a plain unique index.
            models.UniqueConstraint(
                fields=["agency", "text_hash"], name="legacytext_unique_text"
            )
        ]

    def __str__(self) -> str:
        return self.text[:80]


class ResolutionNotice(models.Model):
    """What a resident was told when their request closed: frozen at closure.

    It points at the exact published version and the language used, so later
    edits to the description never change the record.
    """

    service_request = models.ForeignKey(
        "agencies.ServiceRequest", on_delete=models.CASCADE, related_name="notices"
    )
    version = models.ForeignKey(
        DescriptionVersion, on_delete=models.PROTECT, related_name="+"
    )
    language = models.CharField(max_length=10)
    closed_at = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"SR {self.service_request_id} told v{self.version.number} [{self.language}]"
