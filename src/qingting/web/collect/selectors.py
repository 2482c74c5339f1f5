"""Reads of the collect app that other apps use: the sources' health (implemented in ``health``)."""

from __future__ import annotations

from qingting.web.collect.health import SourceHealth as SourceHealth
from qingting.web.collect.health import SourceProblem as SourceProblem
from qingting.web.collect.health import explain_error as explain_error
from qingting.web.collect.health import source_problems as source_problems
from qingting.web.collect.health import sources_health as sources_health
