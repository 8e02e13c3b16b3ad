"""The canonical model is immutable: every class is a frozen, slotted dataclass."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from typing import Any

import pytest

import gateway.model
from gateway.model import MODEL_CLASSES, Record


def _model_classes() -> list[type[Any]]:
    """Every dataclass defined in a module of ``gateway.model``."""
    found: dict[str, type[Any]] = {}
    for info in pkgutil.iter_modules(gateway.model.__path__, "gateway.model."):
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and dataclasses.is_dataclass(cls):
                found[f"{module.__name__}.{name}"] = cls
    return [found[key] for key in sorted(found)]


CLASSES = _model_classes()


def _instance(cls: type[Any]) -> Any:
    """An instance built with a placeholder for every field that has no default."""
    required: dict[str, Any] = {
        f.name: None
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    if "record_type" in required:
        required["record_type"] = "XXX"
    return cls(**required)


def test_every_record_class_is_discovered() -> None:
    """The discovery below finds every class the record-type table can name, and Record itself."""
    names = {cls.__name__ for cls in CLASSES}
    assert set(MODEL_CLASSES) <= names
    assert {"Record", "Issue", "Transaction"} <= names


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_is_frozen_dataclass(cls: type[Any]) -> None:
    """A model class is a dataclass declared frozen."""
    assert dataclasses.is_dataclass(cls)
    assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_is_slotted(cls: type[Any]) -> None:
    """A model class declares slots for its own fields, so its instances carry no __dict__."""
    assert "__slots__" in cls.__dict__
    own = {f.name for f in dataclasses.fields(cls)} - {
        f.name
        for base in cls.__mro__[1:]
        if dataclasses.is_dataclass(base)
        for f in dataclasses.fields(base)
    }
    assert own <= set(cls.__dict__["__slots__"])
    assert not hasattr(_instance(cls), "__dict__")


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_assignment_raises(cls: type[Any]) -> None:
    """Assigning to any field of a model instance raises FrozenInstanceError."""
    instance = _instance(cls)
    for f in dataclasses.fields(cls):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(instance, f.name, getattr(instance, f.name))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_deletion_and_new_attributes_raise(cls: type[Any]) -> None:
    """Deleting a field or adding an attribute the class does not declare is refused too."""
    instance = _instance(cls)
    first = dataclasses.fields(cls)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        delattr(instance, first)
    # CPython 3.11: slots=True replaces the class, and the frozen __setattr__ calls super() with the
    # pre-slots class, so an undeclared name raises TypeError rather than FrozenInstanceError.
    with pytest.raises((dataclasses.FrozenInstanceError, AttributeError, TypeError)):
        instance.not_a_field = 1


@pytest.mark.parametrize(
    "cls", [c for c in CLASSES if issubclass(c, Record)], ids=lambda c: c.__name__
)
def test_records_are_keyword_only_and_hashable_by_value(cls: type[Any]) -> None:
    """Records take keyword arguments only, and two records with the same values are equal."""
    with pytest.raises(TypeError):
        cls("XXX")
    assert _instance(cls) == _instance(cls)
    assert hash(_instance(cls)) == hash(_instance(cls))
