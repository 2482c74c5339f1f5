"""Writes for bulletins (舆情专报) and upward submissions (直报).

Each service checks the actor's role, changes the row under a lock, and writes its audit entry in
the same transaction. ``actor=None`` is the system (the demo seeding); every other caller passes
the signed-in user. Workflow: draft → submitted → signed (批示) | returned → … → issued.
"""

from __future__ import annotations

import importlib
import logging
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qingting.web.accounts.models import Role, Unit
from qingting.web.accounts.selectors import has_role, visible_unit_ids
from qingting.web.audit.services import audit_record
from qingting.web.bulletins import composition
from qingting.web.bulletins.models import Adoption, Bulletin, BulletinCounter, BulletinStatus, Submission
from qingting.web.monitoring.models import Event

log = logging.getLogger(__name__)

ANALYST, LEADER = str(Role.ANALYST), str(Role.LEADER)
COMPOSE_ROLES = {ANALYST}  # analysts compose and submit
SIGN_ROLES = {LEADER}  # leaders sign off or return
ISSUE_ROLES = {ANALYST, LEADER}
SUBMIT_ROLES = {ANALYST, LEADER}  # 直报: either may send upward
DECIDE_ROLES = {ANALYST, LEADER}  # the parent unit's leader or analyst marks adoption
MAX_EVENTS = 20
TEXT_LIMIT = 20_000


class BulletinConflict(Exception):
    """The bulletin changed since the form was loaded (stale version) or is in another state."""


# --- helpers -----------------------------------------------------------------------------------


def _require(actor: Any, unit: Unit, roles: set[str], what: str) -> None:
    if actor is None:
        return  # the system
    if not has_role(actor, unit, roles):
        names = "/".join(sorted(roles))
        raise PermissionDenied(
            _("%(what)s needs the %(roles)s role in %(unit)s.") % {"what": what, "roles": names, "unit": unit.name}
        )


def _visible(actor: Any, unit: Unit) -> bool:
    if actor is None:
        return True
    ids = visible_unit_ids(actor)
    return ids is None or unit.pk in ids


def _locked(bulletin_id: int, actor: Any) -> Bulletin:
    bulletin = Bulletin.objects.select_for_update().select_related("unit").filter(pk=bulletin_id).first()
    if bulletin is None or not _visible(actor, bulletin.unit):
        from django.http import Http404

        raise Http404("no such bulletin")
    return bulletin


def _check_version(bulletin: Bulletin, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != bulletin.version:
        raise BulletinConflict(
            _("This bulletin was changed by someone else (version %(now)s, your form has %(yours)s); reload it.")
            % {"now": bulletin.version, "yours": expected_version}
        )


def _check_status(bulletin: Bulletin, allowed: Sequence[Any], action: str) -> None:
    if bulletin.status not in allowed:
        raise BulletinConflict(
            _("A bulletin that is %(status)s cannot be %(action)s.")
            % {"status": bulletin.get_status_display(), "action": action}
        )


def _clean_text(value: str, field: str, *, limit: int = TEXT_LIMIT, required: bool = False) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if required and not value:
        raise ValidationError({field: [_("This field is required.")]})
    if len(value) > limit:
        raise ValidationError({field: [_("At most %(n)s characters.") % {"n": limit}]})
    return value


def _events(actor: Any, events: Sequence[Event | int]) -> list[Event]:
    from qingting.web.monitoring.selectors import events_for

    ids = sorted({e.pk if isinstance(e, Event) else int(e) for e in events})
    if not ids:
        raise ValidationError({"events": [_("Choose at least one event.")]})
    if len(ids) > MAX_EVENTS:
        raise ValidationError({"events": [_("At most %(n)s events in one bulletin.") % {"n": MAX_EVENTS}]})
    qs = events_for(actor) if actor is not None else Event.objects.select_related("organisation")
    found = list(qs.filter(pk__in=ids))
    missing = sorted(set(ids) - {e.pk for e in found})
    if missing:
        raise ValidationError({"events": [_("No such events among yours: %(ids)s") % {"ids": missing}]})
    return found


def _snapshot(b: Bulletin) -> dict[str, Any]:
    return {"status": b.status, "version": b.version, "title": b.title}


# --- bulletins ---------------------------------------------------------------------------------


def bulletin_create(
    *,
    actor: Any,
    unit: Unit,
    events: Sequence[Event | int],
    title: str = "",
    summary: str = "",
    assessment: str = "",
    recommendations: str = "",
) -> Bulletin:
    """A draft bulletin of ``unit`` on ``events`` (the actor must see them and be an analyst there)."""
    if not _visible(actor, unit):
        raise ValidationError({"unit": [_("No such unit among yours.")]})
    _require(actor, unit, COMPOSE_ROLES, _("Composing a bulletin"))
    chosen = _events(actor, events)
    with transaction.atomic():
        bulletin = Bulletin.objects.create(
            unit=unit,
            title=_clean_text(title, "title", limit=200) or composition.default_title(chosen),
            summary=_clean_text(summary, "summary"),
            assessment=_clean_text(assessment, "assessment"),
            recommendations=_clean_text(recommendations, "recommendations"),
            created_by=actor,
        )
        bulletin.events.set(chosen)
        audit_record(
            actor=actor,
            action="bulletin.create",
            obj=bulletin,
            new={**_snapshot(bulletin), "events": [e.pk for e in chosen]},
        )
    return bulletin


def bulletin_update(
    *,
    actor: Any,
    bulletin_id: int,
    expected_version: int | None = None,
    title: str | None = None,
    summary: str | None = None,
    assessment: str | None = None,
    recommendations: str | None = None,
    events: Sequence[Event | int] | None = None,
) -> Bulletin:
    """Edit a draft (or returned) bulletin; fields left ``None`` stay as they are."""
    chosen = _events(actor, events) if events is not None else None
    with transaction.atomic():
        b = _locked(bulletin_id, actor)
        _require(actor, b.unit, COMPOSE_ROLES, _("Editing a bulletin"))
        _check_version(b, expected_version)
        _check_status(b, (BulletinStatus.DRAFT, BulletinStatus.RETURNED), _("edited"))
        old = {"title": b.title, "events": sorted(b.events.values_list("pk", flat=True))}
        if title is not None:
            b.title = _clean_text(title, "title", limit=200, required=True)
        if summary is not None:
            b.summary = _clean_text(summary, "summary")
        if assessment is not None:
            b.assessment = _clean_text(assessment, "assessment")
        if recommendations is not None:
            b.recommendations = _clean_text(recommendations, "recommendations")
        b.version += 1
        b.save()
        if chosen is not None:
            b.events.set(chosen)
        audit_record(
            actor=actor,
            action="bulletin.update",
            obj=b,
            old=old,
            new={"title": b.title, "events": sorted(b.events.values_list("pk", flat=True)), "version": b.version},
        )
    return b


def bulletin_live_figures(bulletin: Bulletin, *, now: datetime | None = None) -> dict[str, Any]:
    """The frozen figures once submitted; computed from the database while still a draft."""
    frozen: dict[str, Any] | None = bulletin.figures
    if frozen and not bulletin.is_editable:
        return frozen
    return composition.compose(list(bulletin.events.select_related("organisation")), now=now)


def bulletin_submit(*, actor: Any, bulletin_id: int, to_user: Any, expected_version: int | None = None) -> Bulletin:
    """Submit for sign-off to ``to_user``, a leader of the unit or above; freezes the figures."""
    with transaction.atomic():
        b = _locked(bulletin_id, actor)
        _require(actor, b.unit, COMPOSE_ROLES, _("Submitting a bulletin"))
        _check_version(b, expected_version)
        _check_status(b, (BulletinStatus.DRAFT, BulletinStatus.RETURNED), _("submitted"))
        if to_user is None or not has_role(to_user, b.unit, SIGN_ROLES):
            raise ValidationError({"to_user": [_("Choose a leader of %(unit)s or above.") % {"unit": b.unit.name}]})
        events = list(b.events.select_related("organisation"))
        if not events:
            raise ValidationError({"events": [_("Choose at least one event.")]})
        old = _snapshot(b)
        b.figures = composition.compose(events)
        b.status = BulletinStatus.SUBMITTED
        b.submitted_by, b.submitted_to, b.submitted_at = actor, to_user, timezone.now()
        b.version += 1
        b.save()
        audit_record(
            actor=actor,
            action="bulletin.submit",
            obj=b,
            old=old,
            new={**_snapshot(b), "to": to_user.get_username(), "total_items": b.figures["total_items"]},
        )
    return b


def bulletin_return(*, actor: Any, bulletin_id: int, comments: str, expected_version: int | None = None) -> Bulletin:
    """A leader returns a submitted bulletin with comments; the analyst edits and submits again."""
    comments = _clean_text(comments, "comments", required=True)
    with transaction.atomic():
        b = _locked(bulletin_id, actor)
        _require(actor, b.unit, SIGN_ROLES, _("Returning a bulletin"))
        _check_version(b, expected_version)
        _check_status(b, (BulletinStatus.SUBMITTED,), _("returned"))
        old = _snapshot(b)
        b.status = BulletinStatus.RETURNED
        b.returned_comments = comments
        b.version += 1
        b.save()
        audit_record(actor=actor, action="bulletin.return", obj=b, old=old, new=_snapshot(b), reason=comments)
    return b


def _next_number(unit: Unit, year: int) -> int:
    counter, _created = BulletinCounter.objects.get_or_create(unit=unit, year=year)
    counter = BulletinCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def bulletin_sign(
    *,
    actor: Any,
    bulletin_id: int,
    instructions: str,
    expected_version: int | None = None,
    case_unit: Unit | None = None,
    case_summary: str = "",
) -> Bulletin:
    """A leader signs off with written instructions (批示); the bulletin takes its issue number.

    With ``case_unit`` the instructions also open a case for that (responsible) unit through the
    cases app, in the same transaction: if the case cannot be created, nothing is signed.
    """
    instructions = _clean_text(instructions, "instructions", required=True)
    if case_unit is not None and not _visible(actor, case_unit):
        raise ValidationError({"case_unit": [_("No such unit among yours.")]})
    with transaction.atomic():
        b = _locked(bulletin_id, actor)
        _require(actor, b.unit, SIGN_ROLES, _("Signing off a bulletin"))
        _check_version(b, expected_version)
        _check_status(b, (BulletinStatus.SUBMITTED,), _("signed off"))
        old = _snapshot(b)
        now = timezone.now()
        b.status = BulletinStatus.SIGNED
        b.signed_by, b.signed_at, b.instructions = actor, now, instructions
        b.year = timezone.localtime(now).year
        b.seq = _next_number(b.unit, b.year)
        b.version += 1
        b.save()
        audit_record(
            actor=actor,
            action="bulletin.sign",
            obj=b,
            old=old,
            new={**_snapshot(b), "number": b.issue_label},
            reason=instructions,
        )
        if case_unit is not None:
            case = _case_from_instructions(actor, b, case_unit, case_summary or instructions)
            b.case_id = case.pk
            b.save(update_fields=["case_id"])
            audit_record(
                actor=actor,
                action="bulletin.case_create",
                obj=b,
                new={"case_id": case.pk, "unit": case_unit.pk, "number": str(getattr(case, "number", ""))},
            )
    return b


def _case_from_instructions(actor: Any, bulletin: Bulletin, unit: Unit, summary: str) -> Any:
    """Open a case for ``unit`` carrying the leader's instructions (decision 0048).

    Leaders hold no case-registering role; the instruction is the authority, so the case is
    registered by the system on the leader's behalf, and the bulletin's audit entry names the
    leader. The unit must be one the leader sees (checked by the caller).
    """
    try:
        cases: Any = importlib.import_module("qingting.web.cases.services")
    except ImportError:
        cases = None
    if cases is None or not hasattr(cases, "case_create"):
        raise ValidationError({"case_unit": [_("Case handling is not installed here; sign off without a case.")]})
    event = bulletin.events.order_by("-heat").first()
    return cases.case_create(
        actor=None,
        unit=unit,
        channel=CASE_CHANNEL,
        category=CASE_CATEGORY,
        summary=summary.strip()[:300],
        description=_("Instructions on bulletin %(number)s “%(title)s” by %(leader)s: %(text)s")
        % {
            "number": bulletin.issue_label,
            "title": bulletin.title,
            "leader": _who(actor),
            "text": bulletin.instructions,
        },
        event=event,
        origin_kind="bulletin",
        origin_id=bulletin.pk,
    )


def _who(user: Any) -> str:
    if user is None:
        return "system"
    return str(getattr(user, "display_name", "") or user.get_username())


CASE_CHANNEL = "online"  # 网络舆情
CASE_CATEGORY = "opinion"


def letterhead(bulletin: Bulletin) -> Any:
    """Who issues the bulletin: the unit, its 舆情专报 mark, the 字号 and the signing leader."""
    from qingting.reports.figures import Letterhead

    day = timezone.localtime(bulletin.signed_at or timezone.now()).date()
    number = ""
    if bulletin.year and bulletin.seq:
        # GB/T 9704 发文字号 (no 第, ends with 号); the app shows the same number as 〔2026〕第12期.
        number = f"{document_code(bulletin.unit)}〔{bulletin.year}〕{bulletin.seq}号"
    signer = ""
    if bulletin.signed_by is not None:
        signer = bulletin.signed_by.display_name or bulletin.signed_by.get_username()
    parent = bulletin.unit.parent
    return Letterhead(
        issuing_unit=bulletin.unit.name,
        date=day,
        mark=f"{bulletin.unit.name}舆情专报",
        number=number,
        signer=signer,
        addressee=parent.name if parent is not None else "",
    )


def document_code(unit: Unit) -> str:
    """The 机关代字 of a unit's bulletins: the first two characters of its name and 舆 (青禾舆)."""
    name = "".join(ch for ch in unit.name if not ch.isspace() and ch not in "（）()")
    return (name[:2] or "专报") + "舆"


def bulletin_document(bulletin: Bulletin, figures: dict[str, Any] | None = None) -> Any:
    """The bulletin as a :class:`qingting.reports.Document` (for preview, DOCX, PDF and HTML)."""
    from qingting.reports.figures import build_bulletin

    figures = figures if figures is not None else bulletin_live_figures(bulletin)
    data = composition.bulletin_figures(
        figures,
        title=bulletin.title,
        summary=bulletin.summary,
        assessment=bulletin.assessment,
        recommendations=bulletin.recommendations,
    )
    return build_bulletin(data, letterhead(bulletin))


def _render_pdf(docx: bytes) -> bytes | None:
    """The PDF through the resident LibreOffice (qingting.reports.pdf); ``None`` when it cannot."""
    if not getattr(settings, "QINGTING_BULLETINS_PDF", True):
        return None
    from qingting.reports.pdf import LibreOfficeError, convert_docx_to_pdf_fast

    with tempfile.TemporaryDirectory(prefix="qingting-bulletin-") as tmp:
        source, target = Path(tmp) / "bulletin.docx", Path(tmp) / "bulletin.pdf"
        source.write_bytes(docx)
        try:
            convert_docx_to_pdf_fast(source, target)
        except LibreOfficeError as exc:
            log.warning("bulletin PDF not rendered: %s", exc)
            return None
        return target.read_bytes()


def bulletin_render(bulletin: Bulletin, *, pdf: bool = True) -> tuple[bytes, bytes | None, str]:
    """DOCX, PDF (``None`` when not asked for or LibreOffice is missing) and HTML of a bulletin."""
    from qingting.reports.docx import render_docx
    from qingting.reports.html import render_html

    doc = bulletin_document(bulletin)
    docx = render_docx(doc)
    return docx, (_render_pdf(docx) if pdf else None), render_html(doc)


def bulletin_issue(*, actor: Any, bulletin_id: int) -> Bulletin:
    """Issue a signed bulletin: render DOCX, PDF and HTML and store them in the reports archive.

    The rendering (the PDF takes LibreOffice) happens outside the transaction: a signed
    bulletin's content no longer changes, and the locked re-check refuses a second issue.
    """
    from qingting.web.reporting.services import report_archive

    b = Bulletin.objects.select_related("unit", "signed_by").filter(pk=bulletin_id).first()
    if b is None or not _visible(actor, b.unit):
        from django.http import Http404

        raise Http404("no such bulletin")
    _require(actor, b.unit, ISSUE_ROLES, _("Issuing a bulletin"))
    _check_status(b, (BulletinStatus.SIGNED,), _("issued"))
    docx, pdf, html = bulletin_render(b)
    with transaction.atomic():
        locked = _locked(bulletin_id, actor)
        _check_status(locked, (BulletinStatus.SIGNED,), _("issued"))
        old = _snapshot(locked)
        locked.archive = report_archive(
            actor=actor,
            unit=locked.unit,
            kind="bulletin",
            period_label=locked.issue_label,
            title=locked.title,
            docx=docx,
            pdf=pdf,
            html=html,
            figures=locked.figures or {},
        )
        locked.status = BulletinStatus.ISSUED
        locked.issued_by, locked.issued_at = actor, timezone.now()
        locked.version += 1
        locked.save()
        audit_record(
            actor=actor,
            action="bulletin.issue",
            obj=locked,
            old=old,
            new={
                **_snapshot(locked),
                "number": locked.issue_label,
                "pdf": pdf is not None,
                "archive": locked.archive.pk,
            },
        )
    return locked


# --- upward submissions (直报) ---------------------------------------------------------------------


def _report(report_id: int, actor: Any) -> Any:
    from qingting.web.reporting.models import IssuedReport

    report = IssuedReport.objects.select_related("unit").filter(pk=report_id).first()
    if report is None or not _visible(actor, report.unit):
        raise ValidationError({"report_id": [_("No such report among yours.")]})
    return report


def submission_create(
    *, actor: Any, bulletin_id: int | None = None, report_id: int | None = None, note: str = ""
) -> Submission:
    """Submit an issued bulletin, or an archived report, to the parent unit (直报)."""
    if (bulletin_id is None) == (report_id is None):
        raise ValidationError({"__all__": [_("Submit either a bulletin or a report.")]})
    note = _clean_text(note, "note", limit=2000)
    with transaction.atomic():
        if bulletin_id is not None:
            b = _locked(bulletin_id, actor)
            if b.status != BulletinStatus.ISSUED:
                raise ValidationError({"bulletin": [_("Only an issued bulletin can be submitted upward.")]})
            unit, title, bulletin, report = b.unit, f"{b.issue_label} {b.title}", b, None
        else:
            assert report_id is not None
            report = _report(report_id, actor)
            unit, title, bulletin = report.unit, report.title, None
        _require(actor, unit, SUBMIT_ROLES, _("Submitting upward"))
        if unit.parent is None:
            raise ValidationError({"__all__": [_("%(unit)s has no parent unit to submit to.") % {"unit": unit.name}]})
        duplicate = Submission.objects.filter(to_unit=unit.parent)
        duplicate = duplicate.filter(bulletin=bulletin) if bulletin is not None else duplicate.filter(report=report)
        if duplicate.exists():
            raise ValidationError(
                {"__all__": [_("This document has already been submitted to %(unit)s.") % {"unit": unit.parent.name}]}
            )
        s = Submission.objects.create(
            from_unit=unit,
            to_unit=unit.parent,
            bulletin=bulletin,
            report=report,
            title=title[:300],
            note=note,
            submitted_by=actor,
            submitted_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action="submission.create",
            obj=s,
            new={"from": unit.pk, "to": unit.parent.pk, "bulletin": bulletin_id, "report": report_id},
        )
    return s


def submission_decide(*, actor: Any, submission_id: int, adoption: str, note: str = "") -> Submission:
    """The parent unit marks a submission 直报采用 (full), 摘报采用 (summary) or 不采用 (not_adopted)."""
    if adoption not in {str(Adoption.FULL), str(Adoption.SUMMARY), str(Adoption.NOT_ADOPTED)}:
        raise ValidationError({"adoption": [_("Choose adopted in full, adopted in summary or not adopted.")]})
    note = _clean_text(note, "note", limit=2000)
    with transaction.atomic():
        s = Submission.objects.select_for_update().select_related("to_unit").filter(pk=submission_id).first()
        if s is None or not _visible(actor, s.to_unit):
            from django.http import Http404

            raise Http404("no such submission")
        _require(actor, s.to_unit, DECIDE_ROLES, _("Deciding on a submission"))
        old = {"adoption": s.adoption}
        s.adoption = adoption
        s.decision_note = note
        s.decided_by, s.decided_at = actor, timezone.now()
        s.save()
        audit_record(actor=actor, action="submission.decide", obj=s, old=old, new={"adoption": adoption}, reason=note)
    return s
