"""Pages: one-click correction (a POST from item and event pages) and the model settings page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qingting.web.accounts.models import Unit
from qingting.web.sentiment import selectors, services, texts
from qingting.web.sentiment.models import ModelVersion

LABELS = {
    "negative": gettext_lazy("Negative"),
    "neutral": gettext_lazy("Neutral"),
    "positive": gettext_lazy("Positive"),
}


def _back(request: HttpRequest, fallback: str = "/") -> HttpResponse:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return redirect(nxt)
    return redirect(fallback)


@login_required
@require_POST
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    label = request.POST.get("label", "")
    shown = request.POST.get("shown")
    try:
        services.correct(request.user, pk, label, shown=shown)
    except services.StaleCorrection as e:
        messages.error(
            request,
            _(
                "This item's sentiment changed to “%(now)s” since the page was shown; nothing was saved. "
                "Check it and try again."
            )
            % {"now": LABELS.get(e.current, e.current or "—")},
        )
    except services.ItemPending:
        messages.error(request, _("This item is still being analysed; nothing was saved. Correct it in a moment."))
    except ValueError:
        messages.error(request, _("Unknown sentiment."))
    else:
        messages.success(request, _("Sentiment corrected."))
    return _back(request)


def _organisation(request: HttpRequest, org_id: int) -> Unit:
    for org in selectors.organisations_for(request.user):
        if org.pk == org_id:
            return org
    raise Http404("no such organisation")


@login_required
def models_page(request: HttpRequest) -> HttpResponse:
    orgs = selectors.organisations_for(request.user)
    blocks = [
        {
            "org": org,
            "active": selectors.model_name(org),
            "versions": selectors.versions(org),
            "jobs": selectors.rescore_jobs(org),
            "corrections": selectors.corrections(org, limit=20),
            "can_manage": services.can_manage_models(request.user, org),
        }
        for org in orgs
    ]
    return render(request, "sentiment/models.html", {"nav": "sentiment", "blocks": blocks})


@login_required
@require_POST
def retrain(request: HttpRequest, org_id: int) -> HttpResponse:
    org = _organisation(request, org_id)
    if not services.can_manage_models(request.user, org):
        raise PermissionDenied
    result = services.retrain(org, user=request.user, force=True)
    if result.activated and result.version is not None:
        messages.success(
            request,
            _("Version %(n)s trained and activated; stored items are being re-scored.") % {"n": result.version.number},
        )
    elif result.version is not None:
        messages.warning(
            request,
            _("Version %(n)s was trained but not activated: %(why)s")
            % {"n": result.version.number, "why": texts.reason_text(result.message)},
        )
    else:
        messages.info(request, texts.reason_text(result.message))
    return redirect("sentiment:models")


@login_required
@require_POST
def adapt(request: HttpRequest, org_id: int) -> HttpResponse:
    org = _organisation(request, org_id)
    if not services.can_manage_models(request.user, org):
        raise PermissionDenied
    result = services.self_adapt(org, user=request.user)
    if result.version is not None and result.version.data is not None:
        messages.success(
            request,
            _("Version %(n)s adapted to your stream: %(why)s")
            % {"n": result.version.number, "why": texts.reason_text(result.message) or _("activated")},
        )
    else:
        messages.warning(request, texts.reason_text(result.message))
    return redirect("sentiment:models")


@login_required
@require_POST
def activate(request: HttpRequest, org_id: int, number: int) -> HttpResponse:
    org = _organisation(request, org_id)
    version = ModelVersion.objects.filter(organisation=org, number=number).first()
    if version is None:
        raise Http404
    try:
        services.activate(request.user, version)
    except ValueError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, _("Version %(n)s is active; stored items are being re-scored.") % {"n": number})
    return redirect("sentiment:models")


@login_required
@require_POST
def use_default(request: HttpRequest, org_id: int) -> HttpResponse:
    org = _organisation(request, org_id)
    services.use_default(request.user, org)
    messages.success(request, _("The shipped default model is active; stored items are being re-scored."))
    return redirect("sentiment:models")
