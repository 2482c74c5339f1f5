"""An import-linter contract type: apps use one another only through their interface modules.

The house style (docs/decisions/0079) says a web app may use another app only through that app's
``services`` (writes), ``selectors`` (reads) and ``models`` (relations and types) — plus, where an
app publishes one, its ``signals``. import-linter's own contract types cannot say "every module of
an app except these": a ``protected`` contract lists the modules it protects, so a module added
later would be unprotected. This type checks every module of every app, old and new.

Configured in pyproject.toml (``[tool.importlinter] contract_types``)::

    [[tool.importlinter.contracts]]
    type = "app_interfaces"
    apps = ["qingting.web.*"]            # each match is one app (a package)
    interfaces = ["services", "selectors", "models", "signals"]
    importers = ["qingting.workers"]     # also held to the rule (optional)
    exclude = ["qingting.web.config"]     # packages that are no app (optional)
    ignore_imports = ["a -> b"]          # each with a comment saying why (optional)

An import from module ``m`` (in app A, or in one of ``importers``) of module ``n`` in app B ≠ A is
allowed when ``n`` is B itself, or B's interface module, or inside one (``B.services.engine``).
"""

from __future__ import annotations

from typing import Any

import grimp
from importlinter.application import contract_utils, output
from importlinter.domain import fields, helpers
from importlinter.domain.contract import Contract, ContractCheck


class AppInterfacesContract(Contract):
    type_name = "app_interfaces"

    apps = fields.ListField(subfield=fields.ModuleExpressionField())
    interfaces = fields.ListField(subfield=fields.StringField())
    importers = fields.ListField(subfield=fields.ModuleExpressionField(), required=False)
    exclude = fields.ListField(subfield=fields.ModuleExpressionField(), required=False)
    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)
    unmatched_ignore_imports_alerting = fields.EnumField(
        contract_utils.AlertLevel, default=contract_utils.AlertLevel.ERROR
    )

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        removal = contract_utils.remove_ignored_imports_and_report(
            graph=graph,
            ignore_imports=self.ignore_imports,  # type: ignore[arg-type]
            unmatched_alerting=self.unmatched_ignore_imports_alerting,  # type: ignore[arg-type]
        )
        excluded = {m.name for m in helpers.module_expressions_to_modules(graph, self.exclude or [])}  # type: ignore[arg-type]
        apps = sorted(
            m.name
            for m in helpers.module_expressions_to_modules(graph, self.apps)  # type: ignore[arg-type]
            # a package: plain modules (web/api.py) are no app
            if graph.find_children(m.name) and m.name not in excluded
        )
        interfaces = set(self.interfaces)  # type: ignore[call-overload]
        outside = sorted(
            m.name
            for m in helpers.module_expressions_to_modules(graph, self.importers or [])  # type: ignore[arg-type]
        )

        def app_of(module: str) -> str | None:
            return next((a for a in apps if module == a or module.startswith(a + ".")), None)

        broken: list[dict[str, Any]] = []
        for app in apps:
            public = {app} | {f"{app}.{name}" for name in interfaces}
            members = {app} | graph.find_descendants(app)
            importers = graph.find_modules_that_directly_import(app, as_package=True) - members
            for importer in sorted(importers):
                if app_of(importer) is None and not any(importer == o or importer.startswith(o + ".") for o in outside):
                    continue  # not held to the rule (e.g. web/api.py, which mounts every app's API)
                for imported in sorted(graph.find_modules_directly_imported_by(importer) & members):
                    if imported in public or any(imported.startswith(p + ".") for p in public - {app}):
                        continue
                    details = graph.get_import_details(importer=importer, imported=imported)
                    lines = tuple(d["line_number"] for d in details) or (None,)
                    broken.append({"importer": importer, "imported": imported, "line_numbers": lines})
        return ContractCheck(
            kept=not broken,
            warnings=list(removal.warnings),
            metadata={"broken": broken},
            ignored_import_count=removal.ignored_import_count,
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for link in check.metadata["broken"]:
            where = ", ".join(f"l.{n}" for n in link["line_numbers"] if n is not None)
            output.print_error(f"{link['importer']} -> {link['imported']} ({where})", bold=False)
        output.new_line()
        output.print(
            "Use the other app's services, selectors or models; move the code there when it is one of"
            " them (docs/decisions/0079-app-interfaces.md)."
        )
