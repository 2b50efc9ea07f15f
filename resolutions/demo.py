"""Example plain-language rewrites of the commonest legacy texts in the bundled sample.

They are demo content, marked `is_example`, written to show the library at work;
they are not any agency's policy. `make run` publishes them through the same
services as a liaison and a reviewer would, so they are versioned and audited.
"""

from dataclasses import dataclass

from django.db import transaction

from resolutions import services
from resolutions.legacy import ensure_legacy_descriptions
from resolutions.models import ResolutionDescription


@dataclass(frozen=True)
class Rewrite:
    agency: str
    legacy_text: str
    title: str
    outcome: str
    text: str
    sms_text: str
    text_es: str
    sms_es: str


Outcome = ResolutionDescription.Outcome

REWRITES = [
    Rewrite(
        agency="NYPD",
        legacy_text=(
            "The Police Department responded to the complaint and with the information "
            "available observed no evidence of the violation at that time."
        ),
        title="Officers came and did not see the problem",
        outcome=Outcome.NO_VIOLATION,
        text=(
            "Police officers went to {address} after your report about "
            "{complaint_type}. When they got there, they did not see or hear the "
            "problem, so they could not act. If it happens again, you can call 311 "
            "while it is going on, or file a new request at nyc.gov/311."
        ),
        sms_text=(
            "NYPD went to your report but did not see the problem when they arrived. "
            "If it happens again, call 311 while it is going on."
        ),
        text_es=(
            "Agentes de policía fueron a {address} después de su reporte sobre "
            "{complaint_type}. Cuando llegaron, no vieron ni oyeron el problema, así "
            "que no pudieron actuar. Si vuelve a pasar, puede llamar al 311 mientras "
            "ocurre o hacer una nueva solicitud en nyc.gov/311."
        ),
        sms_es=(
            "La policía fue a su reporte pero no vio el problema al llegar. Si vuelve "
            "a pasar, llame al 311 mientras ocurre."
        ),
    ),
    Rewrite(
        agency="NYPD",
        legacy_text=(
            "The Police Department responded to the complaint and took action to fix "
            "the condition."
        ),
        title="Officers came and dealt with the problem",
        outcome=Outcome.FIXED,
        text=(
            "Police officers went to {address} after your report about "
            "{complaint_type}. They dealt with the problem. For example, they asked "
            "people to stop or gave a ticket. If the problem comes back, you can call "
            "311 or file a new request at nyc.gov/311."
        ),
        sms_text=(
            "NYPD went to your report and dealt with the problem. If it comes back, "
            "call 311."
        ),
        text_es=(
            "Agentes de policía fueron a {address} después de su reporte sobre "
            "{complaint_type} y se ocuparon del problema, por ejemplo pidiendo que "
            "pararan o poniendo una multa. Si el problema vuelve, puede llamar al 311 "
            "o hacer una nueva solicitud en nyc.gov/311."
        ),
        sms_es=(
            "La policía fue a su reporte y se ocupó del problema. Si vuelve, llame al "
            "311."
        ),
    ),
    Rewrite(
        agency="HPD",
        legacy_text=(
            "The Department of Housing Preservation and Development inspected the "
            "following conditions. No violations were issued. The complaint has been "
            "closed."
        ),
        title="Inspected, no violation found",
        outcome=Outcome.NO_VIOLATION,
        text=(
            "An HPD housing inspector visited {address} and checked what you "
            "reported. The inspector did not find a break of the housing code. So no "
            "violation was issued. If the problem is still there, you can call 311 or "
            "go to nyc.gov/311 to file a new complaint."
        ),
        sms_text=(
            "HPD inspected your home and found no housing code violation. If the "
            "problem is still there, call 311 to file a new complaint."
        ),
        text_es=(
            "Un inspector de Preservación y Desarrollo de la Vivienda (HPD) visitó "
            "{address} y revisó las condiciones que usted reportó. No encontró una "
            "violación del código de vivienda, así que no se emitió ninguna. Si el "
            "problema sigue, puede hacer una nueva queja llamando al 311 o en "
            "nyc.gov/311."
        ),
        sms_es=(
            "HPD inspeccionó su vivienda y no encontró una violación. Si el problema "
            "sigue, llame al 311 para una nueva queja."
        ),
    ),
    Rewrite(
        agency="DOT",
        legacy_text=(
            "The Department of Transportation inspected this complaint and repaired "
            "the problem."
        ),
        title="Inspected and repaired",
        outcome=Outcome.FIXED,
        text=(
            "A city transportation crew checked the problem you reported at "
            "{address}. They fixed it. If you still see a problem there, you can call "
            "311 or file a new request at nyc.gov/311."
        ),
        sms_text=(
            "DOT inspected and repaired the problem you reported. If you still see it, "
            "call 311."
        ),
        text_es=(
            "Un equipo del Departamento de Transporte revisó el problema que usted "
            "reportó en {address} y lo reparó. Si todavía ve un problema allí, puede "
            "hacer una nueva solicitud llamando al 311 o en nyc.gov/311."
        ),
        sms_es=(
            "DOT revisó y reparó el problema que reportó. Si todavía lo ve, llame al "
            "311."
        ),
    ),
    Rewrite(
        agency="DSNY",
        legacy_text=(
            "The Department of Sanitation investigated this complaint and found no "
            "violation at the location."
        ),
        title="Checked, no violation found",
        outcome=Outcome.NO_VIOLATION,
        text=(
            "A Sanitation inspector went to {address} and checked the problem you "
            "reported. They did not find a violation of the sanitation rules when "
            "they were there. If the problem is still there, you can call 311 or file "
            "a new request at nyc.gov/311."
        ),
        sms_text=(
            "Sanitation checked your report and found no violation. If the problem is "
            "still there, call 311."
        ),
        text_es=(
            "Un inspector de Sanidad fue a {address} y revisó el problema que usted "
            "reportó. No encontró una violación de las reglas de sanidad cuando "
            "estuvo allí. Si el problema sigue, puede llamar al 311 o hacer una nueva "
            "solicitud en nyc.gov/311."
        ),
        sms_es=(
            "Sanidad revisó su reporte y no encontró una violación. Si el problema "
            "sigue, llame al 311."
        ),
    ),
]


@transaction.atomic
def publish_example_rewrites(*, liaison_for, reviewer_for) -> int:
    """Publish each rewrite not yet published; returns how many were published.

    `liaison_for(agency)` and `reviewer_for(agency)` give the demo staff who write
    and approve an agency's text.
    """
    published = 0
    mapping = ensure_legacy_descriptions((r.agency, r.legacy_text) for r in REWRITES)
    for rewrite in REWRITES:
        description = ResolutionDescription.objects.get(
            pk=mapping[(rewrite.agency, rewrite.legacy_text)]
        )
        if description.is_example:
            continue
        description.title = rewrite.title
        description.outcome = rewrite.outcome
        description.is_example = True
        description.save()

        liaison = liaison_for(rewrite.agency)
        draft = services.start_draft(description=description, author=liaison)
        draft = services.save_draft(
            version=draft,
            editor=liaison,
            expected_revision=draft.revision,
            text=rewrite.text,
            sms_text=rewrite.sms_text,
            change_note="Example rewrite in plain language (demo content).",
            translations={"es": (rewrite.text_es, rewrite.sms_es)},
        )
        draft = services.submit_version(version=draft, actor=liaison)
        services.publish_version(
            version=draft,
            reviewer=reviewer_for(rewrite.agency),
            comment="Demo content.",
        )
        published += 1
    return published
