"""The condition language of `show_if`, `constraint` and computed values.

Small and safe: parsed once into a tree of frozen nodes and evaluated by walking it, never
with ``eval``. Grammar (lowest precedence first)::

    expr     := or
    or       := and ('or' and)*
    and      := not ('and' not)*
    not      := 'not' not | compare
    compare  := sum (('==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not' 'in') sum)?
    sum      := product (('+' | '-') product)*
    product  := unary (('*' | '/' | '%') unary)*
    unary    := '-' unary | atom
    atom     := NUMBER | STRING | 'true' | 'false' | 'null' | ID | '.' | '[' list ']'
              | ID '(' args ')' | '(' expr ')'

Names are question or attribute ids; ``.`` is the question's own value (in a constraint).
Functions: ``selected(q, 'code')``, ``count(q)``, ``answered(q)``, ``length(q)``.

Semantics: an unanswered or hidden question is ``null``. Comparisons with ``null`` are false
(``==``/``!=`` compare it as a value); a number compared with numeric text compares as
numbers (scale codes are text: ``level <= 2`` works as well as ``level in ['1', '2']``);
arithmetic with ``null`` or a division by zero gives ``null``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

from .errors import ExpressionError

__all__ = [
    "Expr", "Literal", "Name", "This", "ListExpr", "Unary", "Binary", "Call", "FUNCTIONS",
    "parse", "evaluate", "compile_expr", "compile_condition", "names", "walk", "MAX_LENGTH",
]

MAX_LENGTH = 4000
_MAX_DEPTH = 64


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any
    column: int


@dataclass(frozen=True, slots=True)
class Name:
    id: str
    column: int


@dataclass(frozen=True, slots=True)
class This:
    column: int


@dataclass(frozen=True, slots=True)
class ListExpr:
    items: tuple["Expr", ...]
    column: int


@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    operand: "Expr"
    column: int


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: "Expr"
    right: "Expr"
    column: int


@dataclass(frozen=True, slots=True)
class Call:
    function: str
    args: tuple["Expr", ...]
    column: int


Expr = Literal | Name | This | ListExpr | Unary | Binary | Call

#: function -> number of arguments. The first argument of each is a question (or `.`).
FUNCTIONS: dict[str, int] = {"selected": 2, "count": 1, "answered": 1, "length": 1}
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|%|\(|\)|\[|\]|,|\.)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # number string name op end
    text: str
    column: int


def _tokens(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            ch = text[pos]
            if ch in "'\"":
                raise ExpressionError("E001", "text literal is not closed", pos + 1,
                                      f"end it with {ch}")
            hint = {"=": "use == to compare", "&": "use and", "|": "use or", "!": "use not or !="}.get(ch)
            raise ExpressionError("E001", f"unexpected character {ch!r}", pos + 1, hint)
        kind = m.lastgroup or ""
        if kind != "ws":
            out.append(_Tok(kind, m.group(), pos + 1))
        pos = m.end()
    out.append(_Tok("end", "", len(text) + 1))
    return out


_UNESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)")
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"'}


def _unescape(body: str) -> str:
    def one(m: re.Match) -> str:
        e = m.group(1)
        if e.startswith("u") and len(e) == 5:
            return chr(int(e[1:], 16))
        return _ESCAPES.get(e, "\\" + e)
    return _UNESCAPE.sub(one, body)


class _Parser:
    def __init__(self, text: str):
        self.toks = _tokens(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def _is(self, kind: str, text: str | None = None) -> bool:
        t = self.tok
        return t.kind == kind and (text is None or t.text == text)

    def _take(self) -> _Tok:
        t = self.tok
        self.i += 1
        return t

    def _expect(self, text: str, what: str) -> _Tok:
        if not self._is("op", text):
            found = "the end of the expression" if self.tok.kind == "end" else repr(self.tok.text)
            raise ExpressionError("E001", f"expected {what}, found {found}", self.tok.column)
        return self._take()

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise ExpressionError("E001", f"expression nested more than {_MAX_DEPTH} deep", self.tok.column)

    def parse(self) -> Expr:
        expr = self.or_()
        if self.tok.kind != "end":
            t = self.tok
            hint = "join conditions with and / or" if t.kind in ("name", "string", "number") else None
            raise ExpressionError("E001", f"unexpected {t.text!r} after a complete expression", t.column, hint)
        return expr

    def or_(self) -> Expr:
        left = self.and_()
        while self._is("name", "or"):
            t = self._take()
            left = Binary("or", left, self.and_(), t.column)
        return left

    def and_(self) -> Expr:
        left = self.not_()
        while self._is("name", "and"):
            t = self._take()
            left = Binary("and", left, self.not_(), t.column)
        return left

    def not_(self) -> Expr:
        if self._is("name", "not"):
            t = self._take()
            self._enter()
            operand = self.not_()
            self.depth -= 1
            return Unary("not", operand, t.column)
        return self.compare()

    def compare(self) -> Expr:
        left = self.sum_()
        t = self.tok
        if t.kind == "op" and t.text in ("==", "!=", "<", "<=", ">", ">="):
            self._take()
            return Binary(t.text, left, self.sum_(), t.column)
        if self._is("name", "in"):
            self._take()
            return Binary("in", left, self.sum_(), t.column)
        if self._is("name", "not") and self.toks[self.i + 1].kind == "name" and self.toks[self.i + 1].text == "in":
            self.i += 2
            return Binary("not in", left, self.sum_(), t.column)
        return left

    def sum_(self) -> Expr:
        left = self.product()
        while self.tok.kind == "op" and self.tok.text in ("+", "-"):
            t = self._take()
            left = Binary(t.text, left, self.product(), t.column)
        return left

    def product(self) -> Expr:
        left = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/", "%"):
            t = self._take()
            left = Binary(t.text, left, self.unary(), t.column)
        return left

    def unary(self) -> Expr:
        if self._is("op", "-"):
            t = self._take()
            self._enter()
            operand = self.unary()
            self.depth -= 1
            return Unary("-", operand, t.column)
        return self.atom()

    def atom(self) -> Expr:
        t = self.tok
        if t.kind == "number":
            self._take()
            value = float(t.text)
            if not math.isfinite(value):
                raise ExpressionError("E001", f"number {t.text} is too large", t.column)
            return Literal(int(t.text) if t.text.isdigit() else value, t.column)
        if t.kind == "string":
            self._take()
            return Literal(_unescape(t.text[1:-1]), t.column)
        if t.kind == "name":
            if t.text in ("true", "false", "null"):
                self._take()
                return Literal({"true": True, "false": False, "null": None}[t.text], t.column)
            if t.text in _KEYWORDS:
                raise ExpressionError("E001", f"expected a value, found the keyword {t.text!r}", t.column)
            self._take()
            if self._is("op", "("):
                return self.call(t)
            return Name(t.text, t.column)
        if t.kind == "op":
            if t.text == ".":
                self._take()
                return This(t.column)
            if t.text == "(":
                self._take()
                self._enter()
                inner = self.or_()
                self.depth -= 1
                self._expect(")", "')' to close the '(' at column %d" % t.column)
                return inner
            if t.text == "[":
                self._take()
                self._enter()
                items = self.items("]")
                self.depth -= 1
                return ListExpr(items, t.column)
        found = "the end of the expression" if t.kind == "end" else repr(t.text)
        raise ExpressionError("E001", f"expected a value, found {found}", t.column)

    def items(self, close: str) -> tuple[Expr, ...]:
        items: list[Expr] = []
        if self._is("op", close):
            self._take()
            return ()
        while True:
            items.append(self.or_())
            if self._is("op", ","):
                self._take()
                continue
            self._expect(close, f"',' or '{close}'")
            return tuple(items)

    def call(self, name: _Tok) -> Expr:
        from .diagnostics import did_you_mean

        if name.text not in FUNCTIONS:
            raise ExpressionError("E005", f"unknown function {name.text!r} (known: {', '.join(FUNCTIONS)})",
                                  name.column, did_you_mean(name.text, FUNCTIONS))
        self._take()  # (
        self._enter()
        args = self.items(")")
        self.depth -= 1
        want = FUNCTIONS[name.text]
        if len(args) != want:
            raise ExpressionError("E005", f"{name.text}() takes {want} argument{'s' if want > 1 else ''}, "
                                  f"got {len(args)}", name.column)
        if not isinstance(args[0], (Name, This)):
            raise ExpressionError("E005", f"the first argument of {name.text}() must be a question id",
                                  _column(args[0]))
        if name.text == "selected" and not (isinstance(args[1], Literal) and isinstance(args[1].value, str)):
            raise ExpressionError("E005", "the second argument of selected() must be a quoted code",
                                  _column(args[1]), "write selected(q, 'code')")
        return Call(name.text, args, name.column)


def _column(expr: Expr) -> int:
    return expr.column


def parse(text: str) -> Expr:
    """Parse an expression; raise :class:`ExpressionError` (code, 1-based column) if wrong."""
    if not isinstance(text, str):
        raise ExpressionError("E001", f"an expression must be text, got {type(text).__name__}", 1)
    if len(text) > MAX_LENGTH:
        raise ExpressionError("E001", f"expression longer than {MAX_LENGTH} characters", MAX_LENGTH)
    if not text.strip():
        raise ExpressionError("E001", "expression is empty", 1)
    tree = _Parser(text).parse()
    _check_depth(tree)
    return tree


def _children(node: Expr) -> tuple:
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, ListExpr):
        return node.items
    if isinstance(node, Call):
        return node.args
    return ()


def _check_depth(tree: Expr) -> None:
    """Evaluation recurses over the tree: refuse trees deeper than _MAX_DEPTH (long chains of
    operators such as 1+1+1+... are as deep as they are long)."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise ExpressionError("E001", f"expression nested more than {_MAX_DEPTH} deep "
                                  "(split it, or use a calculate question)", node.column)
        stack.extend((c, depth + 1) for c in _children(node))


def walk(expr: Expr) -> Iterator[Expr]:
    """Every node of the tree, parents first."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Unary):
            stack.append(node.operand)
        elif isinstance(node, Binary):
            stack.extend((node.right, node.left))
        elif isinstance(node, (ListExpr, Call)):
            stack.extend(reversed(node.items if isinstance(node, ListExpr) else node.args))


def names(expr: Expr) -> list[Name]:
    """The question and attribute ids an expression reads, in order of appearance."""
    return [node for node in walk(expr) if isinstance(node, Name)]


# ---- evaluation --------------------------------------------------------------------------


_NUMERIC = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")


def _num(value: Any) -> float | None:
    """A number, or numeric text (ASCII digits only: "5", "-1.5"); otherwise None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str) and _NUMERIC.match(value):
        return float(value)
    return None


def _equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b)
                and all(_equal(x, y) for x, y in zip(a, b)))
    if isinstance(a, str) and isinstance(b, str):
        return a == b  # codes compare as written: '5' is not '5.0'
    na, nb = _num(a), _num(b)
    return na is not None and nb is not None and na == nb


def _order(op: str, a: Any, b: Any) -> bool:
    if a is None or b is None or isinstance(a, bool) or isinstance(b, bool):
        return False
    if isinstance(a, str) and isinstance(b, str) and (_num(a) is None or _num(b) is None):
        pass  # text compares as text
    else:
        a, b = _num(a), _num(b)
        if a is None or b is None:
            return False
    try:
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    except TypeError:
        return False


def _truthy(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, (list, tuple, str)):
        return len(value) > 0
    if isinstance(value, float) and math.isnan(value):
        return False
    return bool(value)


def _arith(op: str, a: Any, b: Any) -> Any:
    x, y = _num(a), _num(b)
    if x is None or y is None:
        if op == "+" and isinstance(a, str) and isinstance(b, str):
            return a + b
        return None
    try:
        if op == "+":
            r = x + y
        elif op == "-":
            r = x - y
        elif op == "*":
            r = x * y
        elif op == "/":
            r = x / y
        else:
            r = x % y
    except (ZeroDivisionError, OverflowError):
        return None
    if isinstance(r, float) and not math.isfinite(r):
        return None
    return r


def _member(op: str, a: Any, b: Any) -> bool:
    """`a in b` / `a not in b`: an element of a list, or text within text."""
    if a is None:
        found = False
    elif isinstance(b, (list, tuple)):
        found = any(_equal(a, x) for x in b)
    elif isinstance(b, str) and isinstance(a, str):
        found = a in b
    else:
        found = False
    return found if op == "in" else not found


def _answer(expr: Expr, env: Mapping[str, Any], this: Any) -> Any:
    return this if isinstance(expr, This) else env.get(expr.id)  # type: ignore[union-attr]


def _call(node: Call, env: Mapping[str, Any], this: Any) -> Any:
    value = _answer(node.args[0], env, this)
    if node.function == "answered":
        return _truthy(value) or (value is not None and not isinstance(value, (str, list, tuple)))
    if node.function == "count":
        if value is None:
            return 0
        return len(value) if isinstance(value, (list, tuple)) else 1
    if node.function == "length":
        return len(value) if isinstance(value, (str, list, tuple)) else 0
    code = node.args[1].value  # type: ignore[union-attr]
    if isinstance(value, (list, tuple)):
        return any(_equal(v, code) for v in value)
    return _equal(value, code)


def evaluate(expr: Expr, env: Mapping[str, Any], *, this: Any = None) -> Any:
    """Value of a parsed expression given answers by id (missing id -> null)."""
    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, Name):
        return env.get(expr.id)
    if isinstance(expr, This):
        return this
    if isinstance(expr, ListExpr):
        return [evaluate(i, env, this=this) for i in expr.items]
    if isinstance(expr, Call):
        return _call(expr, env, this)
    if isinstance(expr, Unary):
        v = evaluate(expr.operand, env, this=this)
        if expr.op == "not":
            return not _truthy(v)
        n = _num(v)
        return None if n is None else -n
    op = expr.op
    if op == "and":
        return _truthy(evaluate(expr.left, env, this=this)) and _truthy(evaluate(expr.right, env, this=this))
    if op == "or":
        return _truthy(evaluate(expr.left, env, this=this)) or _truthy(evaluate(expr.right, env, this=this))
    a = evaluate(expr.left, env, this=this)
    b = evaluate(expr.right, env, this=this)
    if op == "==":
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    if op in ("<", "<=", ">", ">="):
        return _order(op, a, b)
    if op in ("in", "not in"):
        return _member(op, a, b)
    return _arith(op, a, b)


def compile_expr(expr: Expr) -> Callable[[Mapping[str, Any], Any], Any]:
    """A parsed expression as a function f(env, this) with the value evaluate() gives: the
    tree is walked once here, not at every evaluation (conditions are evaluated for every
    question of every submission)."""
    if isinstance(expr, Literal):
        value = expr.value
        return lambda env, this: value
    if isinstance(expr, Name):
        name = expr.id
        return lambda env, this: env.get(name)
    if isinstance(expr, This):
        return lambda env, this: this
    if isinstance(expr, ListExpr):
        items = [compile_expr(i) for i in expr.items]
        return lambda env, this: [f(env, this) for f in items]
    if isinstance(expr, Call):
        node = expr
        return lambda env, this: _call(node, env, this)
    if isinstance(expr, Unary):
        operand = compile_expr(expr.operand)
        if expr.op == "not":
            return lambda env, this: not _truthy(operand(env, this))

        def negate(env: Mapping[str, Any], this: Any) -> Any:
            n = _num(operand(env, this))
            return None if n is None else -n
        return negate
    op, left, right = expr.op, compile_expr(expr.left), compile_expr(expr.right)
    if op == "and":
        return lambda env, this: _truthy(left(env, this)) and _truthy(right(env, this))
    if op == "or":
        return lambda env, this: _truthy(left(env, this)) or _truthy(right(env, this))
    if op == "==":
        return lambda env, this: _equal(left(env, this), right(env, this))
    if op == "!=":
        return lambda env, this: not _equal(left(env, this), right(env, this))
    if op in ("<", "<=", ">", ">="):
        return lambda env, this: _order(op, left(env, this), right(env, this))
    if op in ("in", "not in"):
        return lambda env, this: _member(op, left(env, this), right(env, this))
    return lambda env, this: _arith(op, left(env, this), right(env, this))


def compile_condition(text: str) -> Callable[[Mapping[str, Any]], bool]:
    """Parse once; return a predicate over answers (for `show_if`)."""
    f = compile_expr(parse(text))
    return lambda env: _truthy(f(env, None))
