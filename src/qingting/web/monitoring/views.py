"""Pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "monitoring/dashboard.html", {})


@login_required
def event_board(request: HttpRequest) -> HttpResponse:
    return render(request, "monitoring/dashboard.html", {})


@login_required
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "monitoring/dashboard.html", {})


@login_required
def search(request: HttpRequest) -> HttpResponse:
    return render(request, "monitoring/dashboard.html", {})


@login_required
def source_list(request: HttpRequest) -> HttpResponse:
    return render(request, "monitoring/dashboard.html", {})
