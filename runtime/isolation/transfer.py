"""A ParsedDocument as JSON and back, exactly: the child's answer to the parent.

Generic over the importer's frozen dataclasses (read from their type hints), so a field
the importer adds travels without a change here. Decimal goes as its string (never a
float), a date as ISO text, a tuple as a list. Decoding is strict: a value of the wrong
shape is a ValueError, since the text comes from a process that read a hostile file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from core.assessment.importer.model import ParsedDocument

T = TypeVar("T")


def encode(value: Any) -> Any:
    """JSON-ready form of an importer value."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: encode(getattr(value, field.name)) for field in dataclasses.fields(value)
        }
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [encode(item) for item in value]
    if value is None or isinstance(value, str | int | bool):
        return value
    raise TypeError(f"cannot transfer {type(value).__name__}")


def _decode(hint: Any, data: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if data is None and type(None) in options:
            return None
        errors: list[str] = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _decode(option, data)
            except ValueError as error:
                errors.append(str(error))
        raise ValueError("; ".join(errors) or "no option")
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(data, list) or len(args) != 2 or args[1] is not Ellipsis:
            raise ValueError("expected a list")
        return tuple(_decode(args[0], item) for item in data)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return decode_as(hint, data)
    if hint is Decimal:
        if not isinstance(data, str):
            raise ValueError("expected a decimal string")
        try:
            return Decimal(data)
        except InvalidOperation as error:
            raise ValueError("bad decimal") from error
    if hint is dt.date:
        if not isinstance(data, str):
            raise ValueError("expected a date string")
        return dt.date.fromisoformat(data)
    if hint is bool:
        if not isinstance(data, bool):
            raise ValueError("expected a bool")
        return data
    if hint is int:
        if not isinstance(data, int) or isinstance(data, bool):
            raise ValueError("expected an int")
        return data
    if hint is str:
        if not isinstance(data, str):
            raise ValueError("expected a string")
        return data
    raise ValueError(f"cannot read {hint!r}")


def decode_as(cls: type[T], data: Any) -> T:
    """An instance of dataclass `cls` from its encoded form; ValueError if it is not one."""
    if not isinstance(data, dict):
        raise ValueError(f"expected an object for {cls.__name__}")
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if field.name in data:
            values[field.name] = _decode(hints[field.name], data[field.name])
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ValueError(f"{cls.__name__}.{field.name} missing")
    return cls(**values)


def decode_document(data: Any) -> ParsedDocument:
    return decode_as(ParsedDocument, data)
