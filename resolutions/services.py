"""The life of a resolution description: drafting, review, publishing, and closure.

Every change of a version's status goes through one function here, whichever
interface asks for it (admin page, admin bulk action, command, test), so each is
checked and recorded in the same way.
"""

import dataclasses
import logging
from collections import Counter
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from agencies.models import ServiceRequest
from agencies.roles import scope_to_user
from resolutions import plain_language
from resolutions.legacy import legacy_text_hash, normalize_legacy_text
from resolutions.models import (
    DescriptionTransition,
    DescriptionTranslation,
    DescriptionVersion,
    LegacyText,
    ResolutionDescription,
    ResolutionNotice,
)

logger = logging.getLogger(__name__)

Status = DescriptionVersion.Status


class TransitionError(Exception):
    """A step the rules do not allow; the message is written for the staff member."""


class StaleEdit(TransitionError):
    """The version was saved by someone else since this form was opened."""


class SubmissionBlocked(TransitionError):
    def __init__(self, findings: list[plain_language.Finding]) -> None:
        self.findings = findings
        problems = "; ".join(str(finding.message) for finding in findings)
        super().__init__(f"Fix these before submitting: {problems}")


def _require(user, permission: str, description: ResolutionDescription) -> None:
    if not user.has_perm(permission):
        raise TransitionError("You do not have permission to do that.")
    in_scope = scope_to_user(ResolutionDescription.objects.all(), user)
    if not in_scope.filter(pk=description.pk).exists():
        raise TransitionError("That description belongs to another agency.")


def _locked(version: DescriptionVersion) -> DescriptionVersion:
    return DescriptionVersion.objects.select_for_update().get(pk=version.pk)


def _record(
    version: DescriptionVersion, from_status: str, actor, comment: str = ""
) -> DescriptionTransition:
    logger.info(
        "description %s version %s: %s -> %s by user %s",
        version.description_id,
        version.number,
        from_status or "new",
        version.status,
        getattr(actor, "pk", None),
    )
    return DescriptionTransition.objects.create(
        version=version,
        from_status=from_status,
        to_status=version.status,
        actor=actor,
        comment=comment,
    )


@transaction.atomic
def start_draft(*, description: ResolutionDescription, author) -> DescriptionVersion:
    """The description's working version, starting one from the published text if none.

    There is at most one working version per description, so two liaisons who
    open the editor at once work on the same draft.
    """
    _require(author, "resolutions.change_descriptionversion", description)
    ResolutionDescription.objects.select_for_update().get(pk=description.pk)
    working = description.working_version
    if working is not None:
        return working

    published = description.published_version
    last_number = description.versions.order_by("-number").values_list(
        "number", flat=True
    )
    draft = DescriptionVersion.objects.create(
        description=description,
        number=(last_number.first() or 0) + 1,
        status=Status.DRAFT,
        text=published.text if published else "",
        sms_text=published.sms_text if published else "",
        author=author,
        last_edited_by=author,
    )
    draft.editors.add(author)
    if published is not None:
        DescriptionTranslation.objects.bulk_create(
            DescriptionTranslation(
                version=draft, language=t.language, text=t.text, sms_text=t.sms_text
            )
            for t in published.translations.all()
        )
    _record(
        draft,
        "",
        author,
        comment=f"Started from version {published.number}" if published else "",
    )
    return draft


@transaction.atomic
def save_draft(
    *,
    version: DescriptionVersion,
    editor,
    expected_revision: int,
    text: str,
    sms_text: str = "",
    change_note: str = "",
    translations: Mapping[str, tuple[str, str]] | None = None,
) -> DescriptionVersion:
    """Save an edit of a draft, refusing it if someone saved since the form opened.

    `translations` maps a language code to (text, SMS text); an empty text removes
    that translation. A returned version becomes a draft again when edited. A
    save that changes nothing records nothing: the editor does not become one of
    its authors (who may not approve it), a returned version stays returned, and
    others' open forms stay current.
    """
    _require(editor, "resolutions.change_descriptionversion", version.description)
    current = _locked(version)
    if current.revision != expected_revision:
        editor_name = current.last_edited_by or "someone else"
        raise StaleEdit(
            f"{editor_name} saved this draft after you opened it. Your changes were not "
            "saved: reload the page to see their version, then make your changes again."
        )
    if not current.is_editable:
        raise TransitionError(
            f"Version {current.number} is {current.get_status_display().lower()} and can "
            "no longer be edited."
        )

    if not _changes(
        current,
        text=text,
        sms_text=sms_text,
        change_note=change_note,
        translations=translations,
    ):
        return current

    previous_status = current.status
    current.text = text.strip()
    current.sms_text = sms_text.strip()
    current.change_note = change_note.strip()
    current.last_edited_by = editor
    current.revision += 1
    current.status = Status.DRAFT
    current.save()
    current.editors.add(editor)
    if translations is not None:
        _save_translations(current, translations)
    if previous_status != current.status:
        _record(
            current, previous_status, editor, comment="Edited after it was returned"
        )
    return current


def _changes(
    version: DescriptionVersion,
    *,
    text: str,
    sms_text: str,
    change_note: str,
    translations: Mapping[str, tuple[str, str]] | None,
) -> bool:
    """Whether saving these texts would change the stored version."""
    stored = (version.text, version.sms_text, version.change_note)
    if (text.strip(), sms_text.strip(), change_note.strip()) != stored:
        return True
    if translations is None:
        return False
    kept = {t.language: (t.text, t.sms_text) for t in version.translations.all()}
    wanted = {
        language: (text.strip(), sms.strip())
        for language, (text, sms) in translations.items()
        if text.strip()
    }
    removed = {
        language for language, (text, _) in translations.items() if not text.strip()
    }
    return any(kept.get(language) != pair for language, pair in wanted.items()) or bool(
        removed & kept.keys()
    )


def _save_translations(
    version: DescriptionVersion, translations: Mapping[str, tuple[str, str]]
) -> None:
    known = {code for code, _ in settings.LANGUAGES if code != "en"}
    for language, (text, sms_text) in translations.items():
        if language not in known:
            raise TransitionError(f"{language!r} is not one of the site's languages.")
        if text.strip():
            DescriptionTranslation.objects.update_or_create(
                version=version,
                language=language,
                defaults={"text": text.strip(), "sms_text": sms_text.strip()},
            )
        else:
            DescriptionTranslation.objects.filter(
                version=version, language=language
            ).delete()


@transaction.atomic
def submit_version(*, version: DescriptionVersion, actor) -> DescriptionVersion:
    """Send a draft for review, if the plain-language checks find no error."""
    _require(actor, "resolutions.submit_descriptionversion", version.description)
    current = _locked(version)
    if not current.is_editable:
        raise TransitionError(
            f"Only a draft can be submitted; version {current.number} is "
            f"{current.get_status_display().lower()}."
        )
    errors = [
        finding
        for finding in plain_language.check_version(
            current.text,
            current.sms_text,
            for_submission=True,
            max_grade=settings.PLAIN_LANGUAGE_MAX_GRADE,
        )
        if finding.level == plain_language.ERROR
    ]
    # Translations are filled like the English text when residents are told, and an
    # unknown placeholder there would fail the notice rather than the submission.
    language_names = dict(settings.LANGUAGES)
    for translation in current.translations.all():
        name = language_names.get(translation.language, translation.language)
        errors.extend(
            dataclasses.replace(finding, message=f"{name}: {finding.message}")
            for finding in plain_language.check_version(
                translation.text,
                translation.sms_text,
                language=translation.language,
                for_submission=True,
            )
            if finding.level == plain_language.ERROR
        )
    if errors:
        raise SubmissionBlocked(errors)

    previous_status = current.status
    current.status = Status.SUBMITTED
    current.submitted_at = timezone.now()
    current.revision += 1
    current.save()
    _record(current, previous_status, actor)
    return current


@transaction.atomic
def return_version(
    *, version: DescriptionVersion, reviewer, comment: str
) -> DescriptionVersion:
    """Send a submitted version back to its authors with the reviewer's comment."""
    _require(reviewer, "resolutions.review_descriptionversion", version.description)
    if not comment.strip():
        raise TransitionError("Say what needs to change when returning a version.")
    current = _locked(version)
    if current.status != Status.SUBMITTED:
        raise TransitionError("Only a submitted version can be returned.")

    current.status = Status.RETURNED
    current.reviewed_by = reviewer
    current.revision += 1
    current.save()
    _record(current, Status.SUBMITTED, reviewer, comment=comment.strip())
    return current


@transaction.atomic
def publish_version(
    *, version: DescriptionVersion, reviewer, comment: str = ""
) -> DescriptionVersion:
    """Publish a submitted version and retire the one it replaces.

    The reviewer must be someone other than everyone who wrote or edited the
    version: nobody approves their own words.
    """
    _require(reviewer, "resolutions.review_descriptionversion", version.description)
    current = _locked(version)
    if current.status != Status.SUBMITTED:
        raise TransitionError("Only a submitted version can be published.")
    if (
        reviewer.pk in (current.author_id, current.last_edited_by_id)
        or current.editors.filter(pk=reviewer.pk).exists()
    ):
        raise TransitionError(
            "You wrote or edited this version; someone else must approve it."
        )

    now = timezone.now()
    for previous in current.description.versions.select_for_update().filter(
        status=Status.PUBLISHED
    ):
        previous.status = Status.RETIRED
        previous.retired_at = now
        previous.save()
        _record(
            previous,
            Status.PUBLISHED,
            reviewer,
            comment=f"Replaced by version {current.number}",
        )

    current.status = Status.PUBLISHED
    current.published_at = now
    current.reviewed_by = reviewer
    current.revision += 1
    current.save()
    _record(current, Status.SUBMITTED, reviewer, comment=comment.strip())
    return current


@transaction.atomic
def group_legacy_texts(
    *, legacy_texts: Iterable[LegacyText], into: ResolutionDescription, actor
) -> int:
    """Put legacy NYC texts under one description; returns the requests moved.

    Requests already imported with those texts move to the description, and later
    imports of the texts pick up its published plain-language version. That
    changes what those residents are told, so it takes a reviewer, as publishing
    does, and it is written in the history of every description involved.
    """
    _require(actor, "resolutions.review_descriptionversion", into)
    texts = list(legacy_texts)
    if any(text.agency_id != into.agency_id for text in texts):
        raise TransitionError("Legacy texts can only be grouped within one agency.")

    moved = 0
    for source_id in {text.description_id for text in texts} - {into.pk}:
        hashes = {text.text_hash for text in texts if text.description_id == source_id}
        published_texts = [
            raw
            for raw in ServiceRequest.objects.filter(
                resolution_description_id=source_id
            )
            .values_list("resolution_text", flat=True)
            .distinct()
            if legacy_text_hash(normalize_legacy_text(raw)) in hashes
        ]
        moved += ServiceRequest.objects.filter(
            resolution_description_id=source_id, resolution_text__in=published_texts
        ).update(resolution_description=into)
    LegacyText.objects.filter(pk__in=[text.pk for text in texts]).update(
        description=into
    )
    _record_grouping(texts, into=into, actor=actor, moved=moved)
    logger.info(
        "grouped %s legacy texts into description %s by user %s; %s requests moved",
        len(texts),
        into.pk,
        actor.pk,
        moved,
    )
    return moved


def _record_grouping(
    texts: list[LegacyText], *, into: ResolutionDescription, actor, moved: int
) -> None:
    """A history entry on the latest version of each description involved: a
    transition that leaves the status as it was, with what moved in the comment."""
    from_each = Counter(
        text.description_id for text in texts if text.description_id != into.pk
    )
    entries = [
        (
            into,
            f"{len(texts)} legacy text(s) grouped here; {moved} request(s) moved here.",
        )
    ]
    entries += [
        (
            source,
            f"{from_each[source.pk]} legacy text(s) moved to “{into.title}” "
            f"(#{into.pk}).",
        )
        for source in ResolutionDescription.objects.filter(pk__in=from_each)
    ]
    for description, comment in entries:
        latest = description.versions.order_by("-number").first()
        if latest is not None:
            DescriptionTransition.objects.create(
                version=latest,
                from_status=latest.status,
                to_status=latest.status,
                actor=actor,
                comment=comment,
            )


def record_resolutions_told(
    *, requests: QuerySet[ServiceRequest], language: str = "en"
) -> int:
    """Freeze, for each closed request given, the published version it was told.

    Runs as one INSERT ... SELECT, so an import closing a million requests does
    not bring them into Python.
    """
    source = requests.filter(
        resolution_description__versions__status=Status.PUBLISHED
    ).values_list("unique_key", "resolution_description__versions__id", "closed_at")
    sql, params = source.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {ResolutionNotice._meta.db_table}
                   (service_request_id, version_id, closed_at, language, recorded_at)
            SELECT told.*, %s, %s FROM ({sql}) told
            """,
            # In the order the placeholders appear: the SELECT list, then the subquery.
            (language, timezone.now(), *params),
        )
        return cursor.rowcount
