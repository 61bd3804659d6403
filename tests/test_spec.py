"""Specs: validation when built, defaults, values (gensup._spec)."""

from __future__ import annotations

import functools
import sys
from collections.abc import AsyncGenerator, Generator
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gensup import (
    DEFAULTS,
    AutoShutdown,
    GensupError,
    InvalidSpec,
    InvalidSpecType,
    Restart,
    Strategy,
    Supervisor,
    Worker,
    waitfor,
)


def gen() -> Generator[Any, Any, None]:
    """A minimal generator worker."""
    yield waitfor("NEVER")


def gen_with_args(a: int, b: int = 0) -> Generator[Any, Any, None]:
    """A generator worker that takes arguments."""
    yield waitfor(a, b)


def plain() -> None:
    """A plain function: not a generator function."""


class Holder:
    """Carries a generator method and a callable instance."""

    def method(self) -> Generator[Any, Any, None]:
        yield waitfor("NEVER")

    def __call__(self) -> Generator[Any, Any, None]:
        yield waitfor("NEVER")


def message(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    return str(excinfo.value)


# ---- Errors ----


class TestErrorClasses:
    def test_invalid_spec_is_a_value_error(self) -> None:
        """InvalidSpec is both a GensupError and a ValueError."""
        assert issubclass(InvalidSpec, GensupError)
        assert issubclass(InvalidSpec, ValueError)

    def test_invalid_spec_type_is_a_type_error(self) -> None:
        """InvalidSpecType is a TypeError, and an InvalidSpec so one except catches both."""
        assert issubclass(InvalidSpecType, TypeError)
        assert issubclass(InvalidSpecType, InvalidSpec)
        assert issubclass(InvalidSpecType, GensupError)


# ---- Defaults ----


class TestDefaults:
    def test_table_is_otps(self) -> None:
        """The defaults table holds OTP's defaults: one_for_one, 1 restart in 5 s, permanent."""
        assert dict(DEFAULTS) == {
            "strategy": Strategy.ONE_FOR_ONE,
            "intensity": 1,
            "period": 5,
            "auto_shutdown": AutoShutdown.NEVER,
            "restart": Restart.PERMANENT,
            "significant": False,
        }

    def test_table_is_read_only(self) -> None:
        """The defaults table cannot be changed at run time."""
        with pytest.raises(TypeError):
            DEFAULTS["intensity"] = 3  # type: ignore[index]

    def test_worker_defaults(self) -> None:
        """A Worker built with only id and func takes the table's defaults."""
        worker = Worker("w", gen)
        assert worker.args == ()
        assert dict(worker.kwargs) == {}
        assert worker.restart is Restart.PERMANENT
        assert worker.significant is False

    def test_supervisor_defaults(self) -> None:
        """A Supervisor built with only an id takes the table's defaults and no children."""
        sup = Supervisor("s")
        assert sup.children == ()
        assert sup.strategy is DEFAULTS["strategy"]
        assert sup.intensity == DEFAULTS["intensity"]
        assert sup.period == DEFAULTS["period"]
        assert sup.auto_shutdown is DEFAULTS["auto_shutdown"]
        assert sup.restart is DEFAULTS["restart"]
        assert sup.significant is False


# ---- Ids ----


class TestIds:
    @pytest.mark.parametrize("bad", ["", "a/b", "/", "root/"])
    @pytest.mark.parametrize("cls", [Worker, Supervisor])
    def test_empty_or_slashed_id_rejected(self, cls: type, bad: str) -> None:
        """An id must be a non-empty string without '/': the message says so and shows it."""
        args = (bad, gen) if cls is Worker else (bad,)
        with pytest.raises(InvalidSpec) as excinfo:
            cls(*args)
        assert not isinstance(excinfo.value, TypeError)
        text = message(excinfo)
        assert "'id'" in text
        assert "non-empty string without '/'" in text
        assert repr(bad) in text

    @pytest.mark.parametrize("bad", [None, 3, b"w", ("w",)])
    @pytest.mark.parametrize("cls", [Worker, Supervisor])
    def test_non_string_id_is_a_type_error(self, cls: type, bad: object) -> None:
        """An id that is not a str raises InvalidSpecType naming the field and the value."""
        args = (bad, gen) if cls is Worker else (bad,)
        with pytest.raises(InvalidSpecType) as excinfo:
            cls(*args)
        text = message(excinfo)
        assert "'id' must be a str" in text
        assert repr(bad) in text


# ---- Worker func ----


class TestWorkerFunc:
    @pytest.mark.parametrize(
        "func",
        [plain, lambda: None, Holder, print, Holder(), functools.partial(plain), gen],
        ids=["function", "lambda", "class", "builtin", "callable-instance", "partial", "gen"],
    )
    def test_any_callable_accepted(self, func: Any) -> None:
        """Any callable is accepted when the spec is built: what it returns is checked at start."""
        assert Worker("w", func).func is func

    @pytest.mark.parametrize("func", [None, 42, "gen"], ids=["none", "int", "str"])
    def test_non_callable_rejected(self, func: object) -> None:
        """A value that cannot be called raises InvalidSpecType naming worker, field, value."""
        with pytest.raises(InvalidSpecType) as excinfo:
            Worker("w", func)  # type: ignore[arg-type]
        assert message(excinfo) == (
            "Worker 'w': 'func' must be a generator function or another callable that returns "
            f"a generator (got {func!r})"
        )

    def test_generator_object_rejected(self) -> None:
        """A generator object (a call of the function) is refused with a hint."""
        made = gen()
        with pytest.raises(InvalidSpecType, match="pass the function, not a call of it"):
            Worker("w", made)  # type: ignore[arg-type]
        made.close()

    def test_async_functions_rejected(self) -> None:
        """An async function or async generator function can never make a worker."""

        async def coroutine() -> None:
            """Not a generator."""

        async def agen() -> AsyncGenerator[None, None]:
            """Not a generator either."""
            yield

        for func in (coroutine, agen, functools.partial(coroutine)):
            with pytest.raises(InvalidSpecType, match="got the async function"):
                Worker("w", func)  # type: ignore[arg-type]

    def test_partial_of_generator_function_accepted(self) -> None:
        """A functools.partial of a generator function, even nested, is accepted as is."""
        once = functools.partial(gen_with_args, 1)
        twice = functools.partial(once, b=2)
        assert Worker("w", once).func is once
        assert Worker("w", twice).func is twice

    def test_generator_method_accepted(self) -> None:
        """A bound method that is a generator function is accepted."""
        method = Holder().method
        assert Worker("w", method).func == method


# ---- Worker args and kwargs ----


class TestWorkerArguments:
    def test_list_args_become_a_tuple(self) -> None:
        """Args given as a list are stored as a tuple, so the spec stays immutable."""
        assert Worker("w", gen_with_args, args=[1, 2]).args == (1, 2)

    @pytest.mark.parametrize("bad", ["ab", b"ab", 3, {"a": 1}])
    def test_bad_args_rejected(self, bad: object) -> None:
        """Args that are not a tuple or list (a str included) raise InvalidSpecType."""
        with pytest.raises(InvalidSpecType) as excinfo:
            Worker("w", gen_with_args, args=bad)  # type: ignore[arg-type]
        text = message(excinfo)
        assert "Worker 'w'" in text
        assert "'args'" in text
        assert repr(bad) in text

    def test_kwargs_are_copied_and_read_only(self) -> None:
        """Kwargs are copied when the spec is built and cannot be changed through the spec."""
        given_kwargs = {"b": 2}
        worker = Worker("w", gen_with_args, args=(1,), kwargs=given_kwargs)
        given_kwargs["b"] = 3
        assert dict(worker.kwargs) == {"b": 2}
        with pytest.raises(TypeError):
            worker.kwargs["b"] = 4  # type: ignore[index]

    @pytest.mark.parametrize("bad", [[("b", 2)], "b=2", {1: 2}])
    def test_bad_kwargs_rejected(self, bad: object) -> None:
        """Kwargs that are not a mapping with str keys raise InvalidSpecType."""
        with pytest.raises(InvalidSpecType) as excinfo:
            Worker("w", gen_with_args, kwargs=bad)  # type: ignore[arg-type]
        assert "'kwargs'" in message(excinfo)
        assert "Worker 'w'" in message(excinfo)


# ---- Enumerated fields ----


ENUM_FIELDS = [
    # (spec class, field, enum, expected values as the message lists them)
    (Supervisor, "strategy", Strategy, "'one_for_one', 'one_for_all', 'rest_for_one'"),
    (Supervisor, "auto_shutdown", AutoShutdown, "'never', 'any_significant', 'all_significant'"),
    (Supervisor, "restart", Restart, "'permanent', 'transient', 'temporary'"),
    (Worker, "restart", Restart, "'permanent', 'transient', 'temporary'"),
]


def build(cls: type, **options: Any) -> Worker | Supervisor:
    if cls is Worker:
        return Worker("spec-id", gen, **options)
    return Supervisor("spec-id", **options)  # type: ignore[no-any-return]


class TestEnumFields:
    @pytest.mark.parametrize(("cls", "field", "enum_type", "choices"), ENUM_FIELDS)
    def test_bad_name_names_field_spec_choices_and_value(
        self, cls: type, field: str, enum_type: type, choices: str
    ) -> None:
        """A bad name raises InvalidSpec naming the spec, the field, the choices and the value."""
        with pytest.raises(InvalidSpec) as excinfo:
            build(cls, **{field: "one_for_none"})
        assert message(excinfo) == (
            f"{cls.__name__} 'spec-id': {field!r} must be one of {choices} (got 'one_for_none')"
        )

    def test_exact_strategy_message(self) -> None:
        """The strategy message reads exactly as documented."""
        with pytest.raises(InvalidSpec) as excinfo:
            Supervisor("root", strategy="one_for_none")
        assert message(excinfo) == (
            "Supervisor 'root': 'strategy' must be one of 'one_for_one', 'one_for_all', "
            "'rest_for_one' (got 'one_for_none')"
        )

    @pytest.mark.parametrize("bad", [None, 1, Restart.PERMANENT, "ONE_FOR_ONE", " one_for_one"])
    def test_other_values_rejected(self, bad: object) -> None:
        """Values that are not a name of the enum (a member of another enum included) fail."""
        with pytest.raises(InvalidSpec) as excinfo:
            Supervisor("root", strategy=bad)  # type: ignore[arg-type]
        assert "'strategy' must be one of" in message(excinfo)
        assert f"(got {bad!r})" in message(excinfo)

    @pytest.mark.parametrize(("cls", "field", "enum_type", "choices"), ENUM_FIELDS)
    def test_strings_and_members_accepted_alike(
        self, cls: type, field: str, enum_type: type[Any], choices: str
    ) -> None:
        """A name and the enum member build equal specs that hold the member itself."""
        for member in enum_type:
            from_string = build(cls, **{field: member.value})
            from_member = build(cls, **{field: member})
            assert getattr(from_string, field) is member
            assert getattr(from_member, field) is member
            assert from_string == from_member


# ---- Numbers ----


class TestIntensity:
    def test_zero_accepted(self) -> None:
        """intensity=0 is valid: the first restart gives up."""
        assert Supervisor("s", intensity=0).intensity == 0

    def test_negative_rejected(self) -> None:
        """A negative intensity raises InvalidSpec naming the bound and the value."""
        with pytest.raises(InvalidSpec) as excinfo:
            Supervisor("s", intensity=-1)
        assert not isinstance(excinfo.value, TypeError)
        assert message(excinfo) == "Supervisor 's': 'intensity' must be >= 0 (got -1)"

    @pytest.mark.parametrize("bad", [True, False, 1.0, 1.5, "1", None])
    def test_non_int_is_a_type_error(self, bad: object) -> None:
        """An intensity that is not an int (a bool included) raises InvalidSpecType."""
        with pytest.raises(InvalidSpecType) as excinfo:
            Supervisor("s", intensity=bad)  # type: ignore[arg-type]
        assert message(excinfo) == f"Supervisor 's': 'intensity' must be an int (got {bad!r})"


class TestPeriod:
    @pytest.mark.parametrize("good", [1, 0.001, 2.5, 10**9])
    def test_positive_numbers_accepted(self, good: float) -> None:
        """Any positive int or float is a valid period."""
        assert Supervisor("s", period=good).period == good

    @pytest.mark.parametrize("bad", [0, 0.0, -1, -0.5])
    def test_zero_or_negative_rejected(self, bad: float) -> None:
        """A period of 0 or less raises InvalidSpec saying it must be > 0."""
        with pytest.raises(InvalidSpec) as excinfo:
            Supervisor("s", period=bad)
        assert not isinstance(excinfo.value, TypeError)
        assert message(excinfo) == f"Supervisor 's': 'period' must be > 0 (got {bad!r})"

    def test_nan_rejected(self) -> None:
        """NaN is not > 0: a NaN period would make every restart count forever."""
        with pytest.raises(InvalidSpec) as excinfo:
            Supervisor("s", period=float("nan"))
        assert "'period' must be > 0 (got nan)" in message(excinfo)

    @pytest.mark.parametrize("bad", [True, "5", None])
    def test_non_number_is_a_type_error(self, bad: object) -> None:
        """A period that is not a number (a bool included) raises InvalidSpecType."""
        with pytest.raises(InvalidSpecType, match="'period' must be a number"):
            Supervisor("s", period=bad)  # type: ignore[arg-type]


# ---- Children ----


class TestChildren:
    def test_list_becomes_a_tuple_in_order(self) -> None:
        """Children given as a list (or any iterable) are kept as a tuple, in order."""
        a, b = Worker("a", gen), Supervisor("b")
        assert Supervisor("s", [a, b]).children == (a, b)
        assert Supervisor("s", iter([a, b])).children == (a, b)

    def test_duplicate_ids_rejected(self) -> None:
        """Two siblings with one id raise InvalidSpec naming the index, the id and the path."""
        with pytest.raises(InvalidSpec) as excinfo:
            Supervisor("root", [Worker("a", gen), Supervisor("b"), Supervisor("a")])
        text = message(excinfo)
        assert text.startswith("Supervisor 'root': 'children[2]' has the duplicate id 'a'")
        assert "root/a" in text

    def test_same_id_at_different_levels_accepted(self) -> None:
        """Ids need only be unique among siblings."""
        spec = Supervisor("a", [Worker("a", gen), Supervisor("b", [Worker("a", gen)])])
        assert [child.id for child in spec.children] == ["a", "b"]

    def test_bare_child_rejected(self) -> None:
        """A single spec passed instead of a list raises InvalidSpecType about 'children'."""
        with pytest.raises(InvalidSpecType, match="'children' must be a list or tuple"):
            Supervisor("s", Worker("a", gen))  # type: ignore[arg-type]

    @pytest.mark.parametrize("bad", [gen, "a", None])
    def test_non_spec_child_rejected(self, bad: object) -> None:
        """A child that is not a spec raises InvalidSpecType naming its index and value."""
        with pytest.raises(InvalidSpecType) as excinfo:
            Supervisor("s", [Worker("a", gen), bad])  # type: ignore[list-item]
        text = message(excinfo)
        assert "Supervisor 's': 'children[1]' must be a Worker or Supervisor spec" in text
        assert repr(bad) in text


# ---- Significant children ----


class TestSignificant:
    @pytest.mark.parametrize("cls", [Worker, Supervisor])
    def test_permanent_significant_rejected(self, cls: type) -> None:
        """A significant child must be transient or temporary, as in OTP."""
        with pytest.raises(InvalidSpec) as excinfo:
            build(cls, significant=True)
        text = message(excinfo)
        assert f"{cls.__name__} 'spec-id'" in text
        assert "'significant'" in text
        assert "restart='permanent'" in text

    @pytest.mark.parametrize("restart", ["transient", "temporary"])
    def test_transient_or_temporary_significant_accepted(self, restart: str) -> None:
        """Transient and temporary children may be significant."""
        assert build(Worker, significant=True, restart=restart).significant is True

    def test_significant_child_under_never_rejected(self) -> None:
        """A significant child under auto_shutdown='never' is rejected, naming both."""
        child = Worker("w", gen, restart="transient", significant=True)
        with pytest.raises(InvalidSpec) as excinfo:
            Supervisor("root", [child])
        text = message(excinfo)
        assert text.startswith("Supervisor 'root':")
        assert "children[0]" in text
        assert "'w'" in text
        assert "'auto_shutdown' is 'never'" in text

    @pytest.mark.parametrize("policy", ["any_significant", "all_significant"])
    def test_significant_child_under_auto_shutdown_accepted(self, policy: str) -> None:
        """A significant child is fine under any_significant and all_significant."""
        child = Worker("w", gen, restart="temporary", significant=True)
        assert Supervisor("root", [child], auto_shutdown=policy).children == (child,)

    @pytest.mark.parametrize("bad", [1, 0, "yes", None])
    def test_non_bool_rejected(self, bad: object) -> None:
        """'significant' must be a real bool."""
        with pytest.raises(InvalidSpecType, match="'significant' must be a bool"):
            Worker("w", gen, restart="transient", significant=bad)  # type: ignore[arg-type]


# ---- Values ----


class TestValues:
    def test_frozen(self) -> None:
        """A spec cannot be changed once built."""
        worker = Worker("w", gen)
        sup = Supervisor("s", [worker])
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            worker.id = "x"  # type: ignore[misc]
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            sup.intensity = 3  # type: ignore[misc]

    def test_equal_by_value(self) -> None:
        """Specs built from equal values are equal; a difference in any field is not."""
        first = Supervisor("s", [Worker("w", gen_with_args, args=(1,), kwargs={"b": 2})])
        second = Supervisor("s", (Worker("w", gen_with_args, args=[1], kwargs={"b": 2}),))
        assert first == second
        assert first != Supervisor("s", [Worker("w", gen_with_args, args=(2,), kwargs={"b": 2})])
        assert first != attrs.evolve(first, intensity=2)
        assert Worker("w", gen) != Worker("w", gen_with_args)

    @pytest.mark.parametrize(
        "make",
        [
            lambda: Worker("w", gen_with_args, args=(1,), kwargs={"b": 2}),
            lambda: Worker("w", gen),
            lambda: Supervisor("s", [Worker("w", gen)], intensity=3),
        ],
        ids=["worker-with-kwargs", "worker", "supervisor"],
    )
    def test_hash_consistent_with_eq(self, make: Any) -> None:
        """A spec class that defines __hash__ hashes its specs, equal specs alike; one that
        does not declares itself unhashable."""
        first, second = make(), make()
        assert first == second
        if type(first).__hash__ is None:
            with pytest.raises(TypeError):
                hash(first)
        else:
            assert hash(first) == hash(second)

    def test_keyword_only_options(self) -> None:
        """Options after id, func (or id, children) must be passed by keyword."""
        with pytest.raises(TypeError):
            Worker("w", gen, (), None)  # type: ignore[misc]
        with pytest.raises(TypeError):
            Supervisor("s", [], "one_for_all")  # type: ignore[misc]

    def test_evolve_validates(self) -> None:
        """attrs.evolve builds a new spec, validated like any other."""
        with pytest.raises(InvalidSpec):
            attrs.evolve(Supervisor("s"), intensity=-1)

    def test_worker_repr(self) -> None:
        """A worker's repr shows id, function name and the options that are not defaults."""
        assert repr(Worker("w", gen)) == "Worker('w', gen)"
        assert repr(
            Worker(
                "w",
                gen_with_args,
                args=(1,),
                kwargs={"b": 2},
                restart=Restart.TRANSIENT,
                significant=True,
            )
        ) == (
            "Worker('w', gen_with_args, args=(1,), kwargs={'b': 2}, restart='transient', "
            "significant=True)"
        )

    def test_supervisor_repr(self) -> None:
        """A supervisor's repr shows id, children and the options that are not defaults."""
        assert repr(Supervisor("s")) == "Supervisor('s')"
        spec = Supervisor(
            "s",
            [Worker("a", gen)],
            strategy="rest_for_one",
            intensity=0,
            period=2.5,
            auto_shutdown="all_significant",
            restart="temporary",
            significant=True,
        )
        assert repr(spec) == (
            "Supervisor('s', [Worker('a', gen)], strategy='rest_for_one', intensity=0, "
            "period=2.5, auto_shutdown='all_significant', restart='temporary', significant=True)"
        )


class TestDeepSpecs:
    """Specs thousands of levels deep behave as values, without recursion."""

    @staticmethod
    def chain(depth: int, leaf: str = "w") -> Supervisor:
        """A chain of ``depth`` supervisors above one worker."""
        spec = Supervisor("leaf", [Worker(leaf, gen)])
        for level in range(depth):
            spec = Supervisor(f"s{level}", [spec], intensity=2)
        return spec

    DEPTH = 3 * sys.getrecursionlimit()

    def test_equal_and_hash(self) -> None:
        """Equal deep specs are equal and hash alike; a difference at the leaf is seen."""
        first, second = self.chain(self.DEPTH), self.chain(self.DEPTH)
        assert first == second
        assert (first != second) is False
        assert hash(first) == hash(second)
        other = self.chain(self.DEPTH, leaf="x")
        assert first != other
        assert hash(first) != hash(other)
        assert first != self.chain(self.DEPTH - 1)

    def test_repr(self) -> None:
        """A deep spec prints in full, nested as it was built."""
        text = repr(self.chain(self.DEPTH))
        assert text.startswith(f"Supervisor('s{self.DEPTH - 1}', [Supervisor(")
        assert "Supervisor('leaf', [Worker('w', gen)])" in text
        assert text.endswith("], intensity=2)")
        assert text.count("Supervisor(") == self.DEPTH + 1

    def test_bare_deep_child_named_not_printed(self) -> None:
        """A deep spec passed where a list of children was meant is named in the error."""
        with pytest.raises(InvalidSpecType) as excinfo:
            Supervisor("r", self.chain(self.DEPTH))  # type: ignore[arg-type]
        assert message(excinfo) == (
            "Supervisor 'r': 'children' must be a list or tuple of Worker and Supervisor "
            f"specs (got the Supervisor spec 's{self.DEPTH - 1}'; put it in a list: [spec])"
        )

    def test_shared_children(self) -> None:
        """A spec shared by several supervisors compares and hashes like copies of it."""
        shared = Supervisor("g", [Worker("w", gen)])
        copies = [Supervisor("g", [Worker("w", gen)]) for _ in range(3)]
        with_shared = Supervisor("root", [Supervisor(f"p{i}", [shared]) for i in range(3)])
        with_copies = Supervisor("root", [Supervisor(f"p{i}", [c]) for i, c in enumerate(copies)])
        assert with_shared == with_copies
        assert hash(with_shared) == hash(with_copies)

    def test_not_equal_to_other_types(self) -> None:
        """A spec is never equal to a value of another type, even with the same fields."""
        assert Worker("w", gen) != Supervisor("w")
        assert Supervisor("s") != ("s",)
        assert Worker("w", gen).__eq__(object()) is NotImplemented


# ---- Properties ----


ids = st.text(min_size=1, max_size=8).filter(lambda s: "/" not in s)


@st.composite
def supervisor_options(draw: st.DrawFn) -> dict[str, Any]:
    """Any valid combination of Supervisor options, as enum members or as strings."""
    auto = draw(st.sampled_from(list(AutoShutdown)))
    restart = draw(st.sampled_from(list(Restart)))
    significant = restart is not Restart.PERMANENT and draw(st.booleans())
    options = {
        "strategy": draw(st.sampled_from(list(Strategy))),
        "intensity": draw(st.integers(min_value=0, max_value=10**6)),
        "period": draw(
            st.one_of(
                st.integers(min_value=1, max_value=10**6),
                st.floats(min_value=1e-6, max_value=1e6, allow_nan=False),
            )
        ),
        "auto_shutdown": auto,
        "restart": restart,
        "significant": significant,
    }
    as_strings = draw(st.booleans())
    if as_strings:
        for name in ("strategy", "auto_shutdown", "restart"):
            options[name] = options[name].value
    return options


class TestProperties:
    @given(ids, supervisor_options())
    def test_any_valid_combination_builds(self, spec_id: str, options: dict[str, Any]) -> None:
        """Every valid combination of options builds, and the spec holds what was given."""
        spec = Supervisor(spec_id, **options)
        assert spec.id == spec_id
        assert spec.strategy == options["strategy"]
        assert spec.restart == options["restart"]
        assert spec.auto_shutdown == options["auto_shutdown"]
        assert spec.intensity == options["intensity"]
        assert spec.period == options["period"]
        assert spec.significant == options["significant"]
        assert isinstance(spec.strategy, Strategy)
        assert isinstance(spec.restart, Restart)
        assert isinstance(spec.auto_shutdown, AutoShutdown)

    @given(
        ids,
        st.sampled_from([gen, gen_with_args, functools.partial(gen_with_args, 1), Holder()]),
        st.lists(st.integers(), max_size=2),
        st.sampled_from(["list", "tuple"]),
        st.one_of(st.none(), st.dictionaries(st.sampled_from("ab"), st.integers(), max_size=2)),
        st.sampled_from([*Restart, *(r.value for r in Restart)]),
        st.booleans(),
    )
    def test_any_valid_worker_builds(
        self,
        spec_id: str,
        func: Any,
        args: list[int],
        args_as: str,
        kwargs: dict[str, int] | None,
        restart: Restart | str,
        significant: bool,
    ) -> None:
        """Every valid Worker builds, holds what was given, and equals one built by evolve."""
        significant = significant and Restart(restart) is not Restart.PERMANENT
        given_args = args if args_as == "list" else tuple(args)
        spec = Worker(
            spec_id,
            func,
            args=given_args,
            kwargs=kwargs,
            restart=restart,
            significant=significant,
        )
        assert (spec.id, spec.func, spec.args) == (spec_id, func, tuple(args))
        assert dict(spec.kwargs) == (kwargs or {})
        assert spec.restart is Restart(restart)
        assert spec.significant is significant
        assert attrs.evolve(spec) == spec
        assert hash(attrs.evolve(spec, args=list(args))) == hash(spec)

    @given(st.sampled_from([*Strategy, *Restart, *AutoShutdown]))
    def test_enum_value_round_trip(self, member: Strategy | Restart | AutoShutdown) -> None:
        """Every enum member is found again from its value, and equals it as a string."""
        assert type(member)(member.value) is member
        assert member == member.value

    @given(st.text().filter(lambda s: s not in {m.value for m in Strategy}))
    def test_any_other_strategy_name_rejected(self, name: str) -> None:
        """Every string that is not a strategy name is rejected, and shown in the message."""
        with pytest.raises(InvalidSpec) as excinfo:
            Supervisor("s", strategy=name)
        assert f"(got {name!r})" in str(excinfo.value)

    @given(st.lists(st.sampled_from("abc"), min_size=2, max_size=6))
    def test_duplicates_rejected_wherever_they_are(self, child_ids: list[str]) -> None:
        """A child list builds exactly when its ids are unique."""
        children = [Worker(child_id, gen) for child_id in child_ids]
        if len(set(child_ids)) == len(child_ids):
            assert len(Supervisor("s", children).children) == len(children)
        else:
            with pytest.raises(InvalidSpec, match="duplicate id"):
                Supervisor("s", children)
