"""One error base class with typed subclasses; the CLI prints any of them as one line."""

from __future__ import annotations


class MathprefError(Exception):
    """Base class of every error mathpref raises on purpose."""


class SpecError(MathprefError):
    """A pipeline spec is invalid: unknown stage kind, unknown key, bad value, cycle."""


class InputError(MathprefError):
    """An input file is malformed: names the file, line and field."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ):
        where = ""
        if path is not None:
            where = f"{path}" + (f":{line}" if line is not None else "") + ": "
        text = where + message
        if field is not None and f"'{field}'" not in message:
            text += f" (field '{field}')"
        if hint:
            text += f"; {hint}"
        super().__init__(text)
        self.path, self.line, self.field, self.hint = path, line, field, hint


class SchemaError(MathprefError):
    """A table does not match the schema of its dataset kind."""


class StoreError(MathprefError):
    """The store is missing, corrupt, or asked for a version it does not hold."""


class StoreLockedError(StoreError):
    """Another build holds the store's lock."""


class StoreCorruptError(StoreError):
    """A stored dataset version no longer matches its manifest (size, hash or rows)."""

    def __init__(self, message: str, *, dataset_id: str | None = None):
        super().__init__(message)
        self.dataset_id = dataset_id


class StageError(MathprefError):
    """A stage failed while computing its output."""


class AuditError(MathprefError):
    """A SQL audit returned offending rows; nothing was published."""


class BackendError(MathprefError):
    """A generation backend failed in a way retries cannot fix."""


class MissingDependencyError(MathprefError):
    """An optional heavy dependency is not installed; the message gives the install command."""

    def __init__(self, package: str, extra: str):
        super().__init__(
            f"{package} is not installed; install it with: pip install 'mathpref[{extra}]'"
        )
        self.package, self.extra = package, extra
