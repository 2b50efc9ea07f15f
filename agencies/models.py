from django.conf import settings
from django.db import models
from django.db.models import F, Q

from agencies.quality import Flag, flags_of


class Agency(models.Model):
    """A city agency that handles service requests, keyed by its NYC code."""

    code = models.CharField(
        max_length=20, primary_key=True, help_text="NYC code, e.g. HPD."
    )
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class StaffMembership(models.Model):
    """Which agency a staff member works for and in what role.

    The role decides the user's permission group; the agency decides which
    records they see. City administrators belong to no agency and see all.
    """

    class Role(models.TextChoices):
        LIAISON = "liaison", "Agency liaison"
        REVIEWER = "reviewer", "Agency reviewer"
        SUPERVISOR = "supervisor", "Supervisor"
        CITY_ADMIN = "city_admin", "City administrator"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        help_text="Leave empty only for city administrators.",
    )
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(role="city_admin") | Q(agency__isnull=False),
                name="staffmembership_agency_unless_city_admin",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} ({self.agency_id or 'all agencies'})"

    @property
    def sees_all_agencies(self) -> bool:
        return self.role == self.Role.CITY_ADMIN


class ComplaintType(models.Model):
    """A complaint type ("Problem" since 2026) as one agency publishes it."""

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="complaint_types"
    )
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["agency", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "name"], name="complainttype_unique_per_agency"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.agency_id})"


class ServiceRequestQuerySet(models.QuerySet):
    def flagged(self, flag: Flag) -> "ServiceRequestQuerySet":
        return self.alias(flag_bit=F("quality_flags").bitand(int(flag))).filter(
            flag_bit=int(flag)
        )


class ServiceRequest(models.Model):
    """A 311 service request as NYC Open Data publishes it.

    Imported fields mirror the "311 Service Requests" dataset. A published value
    that could not be read is stored empty, with its text in `raw_values` and a
    flag in `quality_flags`.
    """

    class Status(models.TextChoices):
        OPEN = "Open"
        ASSIGNED = "Assigned"
        STARTED = "Started"
        IN_PROGRESS = "In Progress"
        PENDING = "Pending"
        EMAIL_SENT = "Email Sent"
        UNASSIGNED = "Unassigned"
        CLOSED = "Closed"
        CANCELLED = "Cancelled"
        DRAFT = "Draft"
        UNSPECIFIED = "Unspecified"

    class Borough(models.TextChoices):
        MANHATTAN = "MANHATTAN", "Manhattan"
        BRONX = "BRONX", "Bronx"
        BROOKLYN = "BROOKLYN", "Brooklyn"
        QUEENS = "QUEENS", "Queens"
        STATEN_ISLAND = "STATEN ISLAND", "Staten Island"

    class Channel(models.TextChoices):
        PHONE = "PHONE", "Phone"
        ONLINE = "ONLINE", "Online"
        MOBILE = "MOBILE", "Mobile app"
        OTHER = "OTHER", "Other"
        UNKNOWN = "UNKNOWN", "Unknown"

    unique_key = models.BigIntegerField(
        primary_key=True, help_text="NYC's 311 request number."
    )
    created_at = models.DateTimeField(null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    due_at = models.DateTimeField(null=True, blank=True)
    resolution_updated_at = models.DateTimeField(
        null=True, blank=True, verbose_name="resolution action updated"
    )
    status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_requests",
        # sr_agency_created serves every look-up by agency; a second index would
        # only slow the import's merge.
        db_index=False,
    )
    agency_name = models.TextField(
        blank=True, help_text="Agency name as published on the row."
    )
    complaint_type = models.ForeignKey(
        ComplaintType, on_delete=models.PROTECT, null=True, blank=True
    )
    descriptor = models.TextField(blank=True)
    additional_details = models.TextField(blank=True)
    location_type = models.TextField(blank=True)
    incident_zip = models.CharField(max_length=5, blank=True)
    incident_address = models.TextField(blank=True)
    street_name = models.TextField(blank=True)
    city = models.TextField(blank=True)
    borough = models.CharField(max_length=13, choices=Borough.choices, blank=True)
    community_board = models.TextField(blank=True)
    bbl = models.CharField(max_length=10, blank=True, verbose_name="BBL")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    resolution_text = models.TextField(
        blank=True, help_text="Resolution description exactly as NYC published it."
    )
    resolution_description = models.ForeignKey(
        "resolutions.ResolutionDescription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_requests",
    )
    quality_flags = models.PositiveIntegerField(default=0)
    raw_values = models.JSONField(
        default=dict,
        blank=True,
        help_text="Published text of fields that could not be read.",
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The admin list and the agency-scoped views sort newest first per agency.
            models.Index(fields=["agency", "-created_at"], name="sr_agency_created"),
            # The admin's status filter. A plain index: no LIKE searches on status,
            # so none of the pattern-ops twin Django adds for db_index=True.
            models.Index(fields=["status"], name="sr_status"),
        ]

    def __str__(self) -> str:
        return f"SR {self.unique_key}"

    @property
    def flags(self) -> list[Flag]:
        return flags_of(self.quality_flags)

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class ServiceRequestChange(models.Model):
    """What a later import or API write changed: `changes` maps field to [old, new]."""

    service_request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="changes"
    )
    import_run = models.ForeignKey(
        "ImportRun",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="changes",
    )
    integration = models.ForeignKey(
        "Integration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="changes",
        help_text="The 311 system that sent the change through the staff API.",
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    changes = models.JSONField()

    class Meta:
        ordering = ["-changed_at", "-id"]
        constraints = [
            # Every change names where it came from: one import or one integration.
            models.CheckConstraint(
                condition=Q(import_run__isnull=True, integration__isnull=False)
                | Q(import_run__isnull=False, integration__isnull=True),
                name="servicerequestchange_one_source",
            )
        ]

    def __str__(self) -> str:
        return f"SR {self.service_request_id}: {', '.join(sorted(self.changes))}"


class ImportRun(models.Model):
    """One file given to `import_311`, with what became of its rows."""

    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    source = models.TextField(help_text="Path of the imported file.")
    source_format = models.CharField(max_length=40, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    inserted = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(
        default=0,
        help_text="Rows repeating a unique key already read from the same file.",
    )
    rejected = models.PositiveIntegerField(default=0)
    flag_counts = models.JSONField(default=dict, blank=True)
    missing_columns = models.JSONField(
        default=list,
        blank=True,
        help_text="Columns the file did not have. Requests already stored kept "
        "those fields as they were; new requests have them empty.",
    )
    rejects_file = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Import {self.pk} of {self.source}"


class IntegrationQuerySet(models.QuerySet):
    def active(self) -> "IntegrationQuerySet":
        return self.filter(revoked_at__isnull=True)


class Integration(models.Model):
    """A system allowed to write service requests through the staff API.

    Each has its own token; only a keyed digest of it is stored (see
    agencies.integrations), so the token is shown once, when it is issued.
    """

    name = models.CharField(max_length=100, unique=True)
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="integrations",
        help_text="The only agency it may write requests for; empty for all agencies.",
    )
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="Its token is refused from this time on."
    )

    objects = IntegrationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def may_write_for(self, agency_code: str | None) -> bool:
        return self.agency_id is None or self.agency_id == agency_code
