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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency", "title"]

    def __str__(self) -> str:
        return f"{self.agency_id}: {self.title}"


class DescriptionVersion(models.Model):
    """One append-only version of a description's text."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted for review"
        RETURNED = "returned", "Returned with comments"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

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
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["description", "-number"]
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
        ]

    def __str__(self) -> str:
        return f"{self.description} v{self.number} ({self.status})"


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
