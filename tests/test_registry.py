"""tnrnn._registry: the one registry type of cells, eliminations, cut engines, verbs and figures."""

import pytest

from tnrnn._registry import Registry
from tnrnn._types import ArgumentError


def _reg():
    reg = Registry("engine", argument="--engine", extra=("auto",))

    @reg.register("b")
    def second():
        return 2

    reg.register("a", len)
    return reg, second


def test_register_lookup_and_order():
    reg, second = _reg()
    assert reg.lookup("b") is second and reg["a"] is len
    assert reg.names() == ("b", "a")  # registration order, not sorted
    assert reg.choices() == ("auto", "b", "a")
    assert list(reg) == ["b", "a"] and len(reg) == 2 and "a" in reg and "auto" not in reg
    assert reg.get("zzz") is None  # the mapping's get


def test_unknown_name_is_one_line_naming_value_and_choices():
    reg, _ = _reg()
    with pytest.raises(ArgumentError) as exc:
        reg.lookup("gauss")
    msg = str(exc.value)
    assert "\n" not in msg and "--engine='gauss'" in msg and "'auto', 'b', 'a'" in msg
    assert reg.check("auto") == "auto" and reg.check("a") == "a"
    with pytest.raises(ArgumentError, match="'auto'"):
        reg.check(3)


def test_duplicate_names_need_replace():
    reg, second = _reg()
    with pytest.raises(ArgumentError, match="not registered yet"):
        reg.register("b", print)
    reg.register("b", second)  # the same object again is harmless
    reg.register("b", print, replace=True)
    assert reg.lookup("b") is print
    with pytest.raises(ArgumentError, match="other than 'auto'"):
        reg.register("auto", print)
    saved = reg.snapshot()
    reg.unregister("b")
    assert reg.names() == ("a",)
    reg.restore(saved)
    assert reg.names() == ("b", "a")


def test_default_name_from_attribute():
    reg = Registry("cell")

    class Named:
        name = "named"

    reg.register()(Named)
    reg.register()(test_default_name_from_attribute)
    assert reg.names() == ("named", "test_default_name_from_attribute")
    with pytest.raises(ArgumentError, match="non-empty string"):
        reg.register("", len)


def test_cells_use_it():
    from tnrnn.cells import CELL_REGISTRY, cell_names

    assert isinstance(CELL_REGISTRY, Registry)
    assert set(cell_names()) <= set(CELL_REGISTRY.names()) and "rac" in CELL_REGISTRY  # exact-rank cells only
