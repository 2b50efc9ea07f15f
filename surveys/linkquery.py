"""The one query behind every page a survey link opens.

The pages look an invitation up by its token together with its service request,
agency, complaint type, response and the description version the resident was
told at closure. Built as a queryset, Django compiles that SQL again on every
request, which cost more than the rest of the view; here the statement is
written out once per process from the models' own table and column names, and
each row becomes model instances through `Model.from_db` with the database
backend's converters, as the ORM itself does. Fields left out are deferred: they
load on access, like `.only()`.
"""

from dataclasses import dataclass
from functools import cache

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models

try:
    from django.db.backends.postgresql.base import (
        TIMESTAMPTZ_OID,
        ServerBindingCursor,
        is_psycopg3,
    )
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format
except (ImportError, ImproperlyConfigured):  # no PostgreSQL driver: SQLite only
    ServerBindingCursor, is_psycopg3 = None, False

from agencies.models import Agency, ComplaintType, ServiceRequest
from resolutions.models import ResolutionNotice
from surveys.models import Invitation, Response

# What the pages use of each row; the service request has dozens of columns.
INVITATION_FIELDS = (
    "token",
    "status",
    "channel",
    "language",
    "survey_version",
    "sent_at",
    "expires_at",
    "contact",
    "address_digest",
    "is_simulated",
    "service_request",
)
SERVICE_REQUEST_FIELDS = (
    "agency_name",
    "incident_address",
    "closed_at",
    "agency",
    "complaint_type",
)


@dataclass(frozen=True)
class _Part:
    """One model's columns in the statement, in its concrete fields' order."""

    model: type[models.Model]
    start: int
    attnames: tuple[str, ...]
    pk_index: int
    # Per column: the backend's and the field's converters, with their column.
    converters: tuple[tuple[tuple, object], ...]


def _fields(model: type[models.Model], names: tuple[str, ...] | None) -> tuple:
    return tuple(
        field
        for field in model._meta.concrete_fields
        if names is None or field.primary_key or field.name in names
    )


@dataclass(frozen=True)
class _Statement:
    sql: str
    invitation: _Part
    service_request: _Part
    agency: _Part
    complaint_type: _Part
    response: _Part
    told_index: int


@cache
def _statement(vendor: str) -> _Statement:
    del vendor  # one statement per backend kind; quoting is the backend's
    connection = connections["default"]
    quote = connection.ops.quote_name
    aliases = {
        Invitation: "i",
        ServiceRequest: "sr",
        Agency: "a",
        ComplaintType: "ct",
        Response: "r",
    }
    wanted = {
        Invitation: _fields(Invitation, INVITATION_FIELDS),
        ServiceRequest: _fields(ServiceRequest, SERVICE_REQUEST_FIELDS),
        Agency: _fields(Agency, ("name",)),
        ComplaintType: _fields(ComplaintType, ("name",)),
        Response: _fields(Response, None),
    }
    columns: list[str] = []
    parts: dict[type[models.Model], _Part] = {}
    for model, fields in wanted.items():
        parts[model] = _Part(
            model=model,
            start=len(columns),
            attnames=tuple(field.attname for field in fields),
            pk_index=next(i for i, field in enumerate(fields) if field.primary_key),
            converters=tuple(_converters(field, connection) for field in fields),
        )
        columns += [f"{aliases[model]}.{quote(field.column)}" for field in fields]

    def table(model: type[models.Model]) -> str:
        return f"{quote(model._meta.db_table)} {aliases[model]}"

    def column(model: type[models.Model], name: str) -> str:
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        return f"{aliases[model]}.{quote(field.column)}"

    notice = ResolutionNotice._meta
    told = (
        f"(SELECT n.{quote(notice.get_field('version').column)} "
        f"FROM {quote(notice.db_table)} n "
        f"WHERE n.{quote(notice.get_field('service_request').column)} = "
        f"{column(Invitation, 'service_request')} "
        f"ORDER BY n.{quote(notice.get_field('recorded_at').column)} DESC, "
        f"n.{quote(notice.pk.column)} DESC LIMIT 1)"
    )
    sql = (
        f"SELECT {', '.join(columns)}, {told} "
        f"FROM {table(Invitation)} "
        f"INNER JOIN {table(ServiceRequest)} ON {column(ServiceRequest, 'pk')} = "
        f"{column(Invitation, 'service_request')} "
        f"LEFT OUTER JOIN {table(Agency)} ON {column(Agency, 'pk')} = "
        f"{column(ServiceRequest, 'agency')} "
        f"LEFT OUTER JOIN {table(ComplaintType)} ON {column(ComplaintType, 'pk')} = "
        f"{column(ServiceRequest, 'complaint_type')} "
        f"LEFT OUTER JOIN {table(Response)} ON {column(Response, 'invitation')} = "
        f"{column(Invitation, 'pk')} "
        f"WHERE {column(Invitation, 'token')} = %s LIMIT 1"
    )
    return _Statement(
        sql=sql,
        invitation=parts[Invitation],
        service_request=parts[ServiceRequest],
        agency=parts[Agency],
        complaint_type=parts[ComplaintType],
        response=parts[Response],
        told_index=len(columns),
    )


def _converters(field: models.Field, connection) -> tuple[tuple, object]:
    expression = field.get_col(field.model._meta.db_table)
    found = connection.ops.get_db_converters(expression) + field.get_db_converters(
        connection
    )
    return tuple(found), expression


def _instance(part: _Part, row: tuple, connection) -> models.Model | None:
    values = list(row[part.start : part.start + len(part.attnames)])
    if values[part.pk_index] is None:  # no joined row
        return None
    for index, (converters, expression) in enumerate(part.converters):
        for converter in converters:
            if values[index] is not None:
                values[index] = converter(values[index], expression, connection)
    return part.model.from_db(connection.alias, part.attnames, values)


def preparing_cursor(connection):
    """A cursor that lets PostgreSQL keep the statement's plan, where allowed.

    Django's cursors bind parameters on the client, so PostgreSQL plans the
    statement afresh every time, which costs more than running it. With psycopg
    3, hot hand-written statements (this one, and the sender's in
    surveys.sending) go through a server-binding cursor, which psycopg
    prepares once it has run `prepare_threshold` times on a connection (the
    DATABASE_PREPARE_THRESHOLD setting; off by default, as in Django, because
    transaction-pooling proxies may not support prepared statements). It is
    still Django's cursor wrapper: queries are counted and logged as usual.
    """
    if connection.vendor == "postgresql" and is_psycopg3:
        connection.ensure_connection()
        with connection.wrap_database_errors:
            cursor = ServerBindingCursor(connection.connection)
            # As Django's own cursors do when the time zone changed.
            loader = connection.connection.adapters.get_loader(
                TIMESTAMPTZ_OID, Format.TEXT
            )
            if connection.timezone != loader.timezone:
                register_tzloader(connection.timezone, cursor)
            return connection._prepare_cursor(cursor)
    return connection.cursor()


def find_invitation_row(token: str) -> Invitation | None:
    """The invitation with its request, agency, complaint type and response.

    `told_version_id` is set to the version of the request's latest resolution
    notice (None without one). A missing response reads as the reverse
    relation's DoesNotExist, as usual.
    """
    connection = connections["default"]
    statement = _statement(connection.vendor)
    with preparing_cursor(connection) as cursor:
        cursor.execute(statement.sql, [token])
        row = cursor.fetchone()
    if row is None:
        return None
    invitation = _instance(statement.invitation, row, connection)
    service_request = _instance(statement.service_request, row, connection)
    agency = _instance(statement.agency, row, connection)
    complaint_type = _instance(statement.complaint_type, row, connection)
    if service_request.agency_id is not None:
        service_request.agency = agency
    if service_request.complaint_type_id is not None:
        service_request.complaint_type = complaint_type
    invitation.service_request = service_request
    response = _instance(statement.response, row, connection)
    Invitation.response.related.set_cached_value(invitation, response)
    if response is not None:
        response.invitation = invitation
    invitation.told_version_id = row[statement.told_index]
    return invitation
