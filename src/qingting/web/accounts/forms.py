"""The sign-in form, with throttling per (username, address), per address and per account."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from qingting.web.accounts import services


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form that refuses to check passwords while the pair, the address or the account
    is locked (``services.login_locked_for``)."""

    error_messages = {  # noqa: RUF012  (Django reads it as a class attribute)
        **AuthenticationForm.error_messages,
        "locked": _("Too many failed sign-in attempts. Try again in %(minutes)s minutes."),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        ip = services.client_ip(self.request)
        locked = services.login_locked_for(username=username, ip=ip)
        if locked:
            services.login_failure_record(username=username, ip=ip, locked=True)
            raise forms.ValidationError(
                self.error_messages["locked"], code="locked", params={"minutes": max(1, (locked + 59) // 60)}
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            services.login_failure_record(username=username, ip=ip)
            raise
        return cleaned
