"""Griffe extensions for gensup's reference pages.

* attrs classes get the ``__init__`` that attrs generates at run time, so
  that their signatures show (``Supervisor(id, children=(), *, ...)``) and
  their ``Args:`` sections match them.  The annotations are griffe's own, so
  they link to their targets: a field's from the class body, or, for a field
  with a converter, the converter's parameter's, which says what may be
  passed (``strategy: Strategy | str``, not the ``Strategy`` stored).  An
  ``__init__`` written out in the class (``Worker``'s) keeps its own
  signature, but shows the fields' defaults as values (``'permanent'``), not
  the private names it spells them with.
* A Google-style ``Example:`` section is read as ``Examples:``, the only
  spelling griffe knows, so that doctests render as code.
* A base class from a private module that gensup does not export (``Tree``'s
  engine, ``gensup._core.Core``) is left out of "Bases:": the public pages
  name public things only.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import re
from typing import Any

import attrs
import griffe

_EXAMPLE = re.compile(r"^(\s*)Example:$", re.MULTILINE)

_KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: griffe.ParameterKind.positional_only,
    inspect.Parameter.POSITIONAL_OR_KEYWORD: griffe.ParameterKind.positional_or_keyword,
    inspect.Parameter.VAR_POSITIONAL: griffe.ParameterKind.var_positional,
    inspect.Parameter.KEYWORD_ONLY: griffe.ParameterKind.keyword_only,
    inspect.Parameter.VAR_KEYWORD: griffe.ParameterKind.var_keyword,
}


def _default(field: attrs.Attribute[Any]) -> str | None:
    default = field.default
    if default is attrs.NOTHING:
        return None
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return None if default.takes_self else repr(default.factory())
    if isinstance(default, enum.Enum):
        return repr(default.value)
    return repr(default)


def _public(base: str | griffe.Expr) -> bool:
    """Whether a base class may be named on a public page."""
    path = base if isinstance(base, str) else base.canonical_path
    if not path.startswith("gensup._"):
        return True
    return path.rsplit(".", 1)[-1] in importlib.import_module("gensup").__all__


class GensupReference(griffe.Extension):
    """Both fixes, applied once the package is loaded."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        """Walk every object of the package (aliases excluded), without recursion."""
        stack: list[griffe.Object] = [pkg]
        while stack:
            obj = stack.pop()
            if obj.docstring is not None:
                obj.docstring.value = _EXAMPLE.sub(r"\1Examples:", obj.docstring.value)
            if isinstance(obj, griffe.Class):
                self._add_attrs_init(obj)
                obj.bases = [base for base in obj.bases if _public(base)]
            stack.extend(
                member
                for member in obj.members.values()
                if not member.is_alias and isinstance(member, griffe.Object)
            )

    @staticmethod
    def _add_attrs_init(cls: griffe.Class) -> None:
        try:
            runtime = getattr(importlib.import_module(cls.module.path), cls.name)
        except (ImportError, AttributeError):
            return
        if not attrs.has(runtime):
            return
        fields = {field.alias: field for field in attrs.fields(runtime)}
        written = cls.members.get("__init__")
        if isinstance(written, griffe.Function):
            for parameter in written.parameters:
                field = fields.get(parameter.name)
                if field is not None and parameter.default is not None:
                    parameter.default = _default(field)
            return
        parameters = [griffe.Parameter("self", kind=griffe.ParameterKind.positional_or_keyword)]
        for name, param in inspect.signature(runtime).parameters.items():
            field = fields[name]
            member = cls.members.get(field.name)
            annotation = getattr(member, "annotation", None)
            converter = cls.module.members.get(getattr(field.converter, "__name__", ""))
            if isinstance(converter, griffe.Function) and converter.parameters:
                annotation = converter.parameters[0].annotation
            parameters.append(
                griffe.Parameter(
                    name, annotation=annotation, kind=_KINDS[param.kind], default=_default(field)
                )
            )
        init = griffe.Function(
            "__init__",
            parameters=griffe.Parameters(*parameters),
            returns="None",
            lineno=cls.lineno,
            endlineno=cls.lineno,
        )
        cls.set_member("__init__", init)
