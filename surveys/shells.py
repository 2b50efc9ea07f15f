"""Survey pages drawn once per language and layout, then filled in per request.

Drawing a whole page through Django's templates (the language switcher, the
translated texts, the request summary) cost more than the rest of the request.
Most of it is the same for every resident who sees the same survey in the same
language, so a page is drawn once with a marker where each resident's value goes
(the request number, the link's token, the CSRF token, ...), split at the
markers, and kept per worker for a few minutes. A request then joins the pieces
with its own values, escaped as the template would have escaped them.

What changes the page's layout (the language, the survey version, which values
are empty) is part of the key; the values themselves never are. Markers carry a
random per-process part, so no text in the page can be taken for one.
"""

import re
import secrets
from collections.abc import Hashable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils import translation
from django.utils.html import conditional_escape

from surveys.memo import TimedMemo

_NONCE = secrets.token_hex(8)
_MARKER = re.compile(rf"slot{_NONCE}([a-z_]+){_NONCE}")
SHELL_SECONDS = 300


def _mark(name: str) -> str:
    return f"slot{_NONCE}{name}{_NONCE}"


@dataclass(frozen=True)
class _Path:
    """What the templates read of the request: its path, as a marker."""

    path: str


@dataclass(frozen=True)
class _Shell:
    # The page's text between markers, and the slot each marker stands for:
    # pieces[0] slots[0] pieces[1] slots[1] ... pieces[-1].
    pieces: tuple[str, ...]
    slots: tuple[str, ...]


_shells: TimedMemo[_Shell] = TimedMemo(seconds=SHELL_SECONDS)


def render_filled(
    request: HttpRequest,
    template_name: str,
    *,
    key: Hashable,
    context: dict,
    slots: tuple[str, ...] = (),
    html_slots: tuple[str, ...] = (),
) -> HttpResponse:
    """`template_name` rendered with `context`, as `render()` would draw it.

    `slots` name the context's per-resident strings (escaped when filled in);
    `html_slots` those that are already safe HTML. `key` must name everything
    else the page depends on apart from the active language, which is added to
    it, as is whether each slot is empty. The CSRF token and the request's path
    are always filled in per request.
    """
    names = (*slots, *html_slots)
    full_key = (
        template_name,
        translation.get_language(),
        key,
        tuple(bool(context[name]) for name in names),
    )

    def build() -> tuple[_Shell, bool]:
        marked = {
            **context,
            **{name: _mark(name) if context[name] else context[name] for name in names},
            "csrf_token": _mark("csrf_token"),
            "request": _Path(_mark("path")),
        }
        html = get_template(template_name).render(marked)
        split = _MARKER.split(html)
        return _Shell(pieces=tuple(split[0::2]), slots=tuple(split[1::2])), True

    shell = _shells.get_or_build(full_key, build)
    values = {
        **{name: conditional_escape(context[name]) for name in slots},
        **{name: context[name] for name in html_slots},
        "csrf_token": conditional_escape(get_token(request)),
        "path": conditional_escape(request.path),
    }
    parts = [shell.pieces[0]]
    for slot, piece in zip(shell.slots, shell.pieces[1:], strict=True):
        parts.append(values[slot])
        parts.append(piece)
    return HttpResponse("".join(parts))
