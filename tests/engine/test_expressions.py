"""The condition language: parsing, evaluation, errors with columns, and fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import expressions as ex
from engine.errors import ExpressionError


def ev(text: str, env: dict | None = None, this=None):
    return ex.evaluate(ex.parse(text), env or {}, this=this)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 / 4", 2.5),
        ("7 % 3", 1),
        ("-2 + 5", 3),
        ("1 < 2 and 2 < 3", True),
        ("1 < 2 and 3 < 2", False),
        ("not 1 > 2", True),
        ("1 == 1 or 1 / 0 == 1", True),
        ("'a' in ['a', 'b']", True),
        ("'c' not in ['a', 'b']", True),
        ("true and not false", True),
        ("null == null", True),
    ],
)
def test_literals_and_operators(text, expected):
    assert ev(text) == expected


def test_precedence_of_and_over_or():
    # a or (b and c), not (a or b) and c
    assert ev("true or false and false") is True
    assert ev("(true or false) and false") is False


def test_answers_by_id_and_codes_compare_with_numbers():
    env = {"level": "2", "age": 67, "services": ["elderly", "health"]}
    assert ev("level in ['1', '2']", env) is True
    assert ev("level <= 2", env) is True  # numeric text compares as a number
    assert ev("level == 2", env) is True
    assert ev("age >= 60 and selected(services, 'elderly')", env) is True
    assert ev("selected(services, 'childcare')", env) is False
    assert ev("count(services)", env) == 2
    assert ev("answered(services) and answered(age)", env) is True


def test_unanswered_is_null_and_comparisons_with_it_are_false():
    assert ev("q > 3") is False
    assert ev("q < 3") is False
    assert ev("q == null") is True
    assert ev("q != '1'") is True
    assert ev("answered(q)") is False
    assert ev("count(q)") == 0
    assert ev("q + 1") is None
    assert ev("q in ['1']") is False


def test_division_by_zero_is_null_not_an_exception():
    assert ev("5 / 0") is None
    assert ev("5 % 0") is None


def test_this_is_the_questions_own_value_in_a_constraint():
    tree = ex.parse(". >= 0.5 and . <= 80")
    assert ex.evaluate(tree, {}, this=12) is True
    assert ex.evaluate(tree, {}, this=90) is False
    assert ev("not (selected(., 'none') and count(.) > 1)", this=["none", "health"]) is False
    assert ev("not (selected(., 'none') and count(.) > 1)", this=["none"]) is True


def test_answered_distinguishes_zero_from_nothing():
    assert ev("answered(x)", {"x": 0}) is True
    assert ev("answered(x)", {"x": ""}) is False
    assert ev("answered(x)", {"x": []}) is False


def test_names_lists_the_ids_read():
    tree = ex.parse("a == '1' and (selected(b, 'x') or c > d)")
    assert [n.id for n in ex.names(tree)] == ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    "text, code, column",
    [
        ("a = 1", "E001", 3),
        ("a == ", "E001", 6),
        ("a in ['1',", "E001", 11),
        ("(a == 1", "E001", 8),
        ("a b", "E001", 3),
        ("'open", "E001", 1),
        ("a && b", "E001", 3),
        ("", "E001", 1),
        ("and", "E001", 1),
        ("foo(a)", "E005", 1),
        ("selectd(a, 'x')", "E005", 1),
        ("count(a, b)", "E005", 1),
        ("selected(a, b)", "E005", 13),
        ("count('x')", "E005", 7),
    ],
)
def test_errors_carry_code_and_column(text, code, column):
    with pytest.raises(ExpressionError) as info:
        ex.parse(text)
    assert (info.value.code, info.value.column) == (code, column)


def test_unknown_function_suggests_the_known_one():
    with pytest.raises(ExpressionError) as info:
        ex.parse("selectd(a, 'x')")
    assert info.value.fix == "did you mean 'selected'?"


def test_deep_nesting_is_an_error_not_a_crash():
    with pytest.raises(ExpressionError):
        ex.parse("(" * 5000 + "1" + ")" * 5000)
    with pytest.raises(ExpressionError):
        ex.parse("not " * 5000 + "a")


def test_no_eval_names_of_python_are_just_unknown_answers():
    assert ev("__import__") is None
    with pytest.raises(ExpressionError):
        ex.parse("__import__('os')")


_ALPHABET = st.sampled_from(list("abq_19 .,'\"()[]=!<>+-*/%") + ["and", "or", "not", "in", "selected",
                                                               "count", "answered", "true", "null", "\n", "é", "好"])


@settings(max_examples=800, deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_random_text_only_raises_expression_error(text):
    try:
        tree = ex.parse(text)
    except ExpressionError as e:
        assert e.code in ("E001", "E005")
        assert 1 <= e.column <= len(text) + 1
        return
    ex.evaluate(tree, {"a": "1", "b": ["x"], "q": 3, "q_19": None}, this=2)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_unicode_only_raises_expression_error(text):
    try:
        ex.evaluate(ex.parse(text), {})
    except ExpressionError:
        pass


_ids = st.sampled_from(["a", "b", "q1", "level"])
_values = st.one_of(st.integers(-5, 5), st.sampled_from(["'1'", "'x'", "true", "null"]), _ids)


def _exprs():
    return st.recursive(
        _values.map(str),
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["==", "!=", "<", ">=", "+", "-", "*", "/", "and", "or", "in"]),
                      inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda e: f"(not {e})"),
            st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
            _ids.map(lambda i: f"count({i})"),
        ),
        max_leaves=12,
    )


@settings(max_examples=400, deadline=None)
@given(_exprs(), st.dictionaries(st.sampled_from(["a", "b", "q1", "level"]),
                                 st.one_of(st.none(), st.integers(-3, 3), st.sampled_from(["1", "x"]),
                                           st.lists(st.sampled_from(["1", "x"]), max_size=2))))
def test_generated_wellformed_expressions_parse_and_evaluate(text, env):
    ex.evaluate(ex.parse(text), env)


@settings(max_examples=400, deadline=None)
@given(_exprs(), st.dictionaries(st.sampled_from(["a", "b", "q1", "level"]),
                                 st.one_of(st.none(), st.integers(-3, 3), st.sampled_from(["1", "x"]),
                                           st.lists(st.sampled_from(["1", "x"]), max_size=2))),
       st.one_of(st.none(), st.integers(-3, 3), st.sampled_from(["1", "x"])))
def test_compiled_expressions_give_what_evaluate_gives(text, env, this):
    """compile_expr (the conditions of pages, imports and API checks) against evaluate."""
    for t in (text, f"(. in [1, 'x']) or {text}", f"selected(a, 'x') and not answered(b) or {text}"):
        tree = ex.parse(t)
        want, got = ex.evaluate(tree, env, this=this), ex.compile_expr(tree)(env, this)
        assert (type(got), got) == (type(want), want), t
