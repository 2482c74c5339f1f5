"""JSON API for this app, mounted by :mod:`qingting.web.api` (errors use the API's one shape)."""

from ninja import Router

router = Router()
