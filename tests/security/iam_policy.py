"""Read the IAM policy documents out of the terraform modules and decide requests against them.

python-hcl2 parses the files but leaves expressions as text (`${[for b in var.x : "${b}/*"]}`); the small
evaluator here understands the subset the modules use (strings with interpolation, lists, `var.`/`local.`
references, `for` expressions, `flatten`, `concat`, `length`, comparisons and `? :`), with test values
for the variables. `allowed()` is a minimal IAM decision: explicit Deny wins, an Allow needs a matching
action, resource and every condition (StringEquals/StringLike/ArnLike on the request context).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

# ---------------------------------------------------------------------------------------------- expressions

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>"(?:[^"\\$]|\\.|\$(?!\{)|\$\{(?:[^{}"]|"(?:[^"\\]|\\.)*"|\{[^{}]*\})*\})*")
      | (?P<num>\d+(?:\.\d+)?)
      | (?P<op>==|!=|>=|<=|&&|\|\||[\[\](),:?<>!.])
      | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    )""",
    re.X,
)


class Unknown(str):
    """A value the evaluator does not know (a resource attribute, an unset variable)."""


class _Parser:
    def __init__(self, text: str, scope: dict[str, Any]):
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise ValueError(f"cannot read HCL expression at {text[pos : pos + 40]!r}")
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        self.i = 0
        self.scope = scope

    def peek(self, value: str | None = None) -> bool:
        return self.i < len(self.tokens) and (value is None or self.tokens[self.i][1] == value)

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.tokens[self.i]
        if value is not None and tok[1] != value:
            raise ValueError(f"expected {value!r}, got {tok[1]!r}")
        self.i += 1
        return tok

    def expr(self) -> Any:
        cond = self.compare()
        if self.peek("?"):
            self.take("?")
            a = self.expr()
            self.take(":")
            b = self.expr()
            return a if cond else b
        return cond

    def compare(self) -> Any:
        left = self.unary()
        for op in ("==", "!=", ">=", "<=", ">", "<"):
            if self.peek(op):
                self.take(op)
                right = self.unary()
                if isinstance(left, Unknown) or isinstance(right, Unknown):
                    return True  # assume the permissive branch
                return {"==": left == right, "!=": left != right, ">=": left >= right, "<=": left <= right,
                        ">": left > right, "<": left < right}[op]  # fmt: skip
        return left

    def unary(self) -> Any:
        kind, value = self.tokens[self.i]
        if kind == "str":
            self.i += 1
            return interpolate(value[1:-1], self.scope)
        if kind == "num":
            self.i += 1
            return float(value) if "." in value else int(value)
        if value == "[":
            return self.list_or_for()
        if value == "(":
            self.take("(")
            v = self.expr()
            self.take(")")
            return v
        if kind == "name":
            self.i += 1
            if self.peek("("):
                return self.call(value)
            v: Any = self.scope.get(value, Unknown(value))
            while self.peek(".") or self.peek("["):
                if self.take()[1] == ".":
                    attr = self.take()[1]
                    v = v.get(attr, Unknown(f"{value}.{attr}")) if isinstance(v, dict) else Unknown(f"{v}.{attr}")
                else:
                    index = self.expr()
                    self.take("]")
                    if isinstance(v, dict):
                        v = v.get(index, Unknown(f"{v}[{index}]"))
                    elif isinstance(v, list) and isinstance(index, int) and index < len(v):
                        v = v[index]
                    else:
                        v = Unknown(f"{v}[{index}]")
            return v
        raise ValueError(f"unexpected token {value!r}")

    def list_or_for(self) -> list[Any]:
        self.take("[")
        if self.peek("for"):
            self.take("for")
            var = self.take()[1]
            self.take("in")
            seq = self.expr()
            self.take(":")
            start = self.i
            out = []
            items = seq if isinstance(seq, list) else [seq]
            if not items:
                depth = 0  # skip the body
                while not (depth == 0 and self.peek("]")):
                    t = self.take()[1]
                    depth += t in "[(" and 1 or 0
                    depth -= t in ")]" and 1 or 0
            for item in items:
                self.i = start
                saved = self.scope
                self.scope = {**saved, var: item}
                out.append(self.expr())
                self.scope = saved
            self.take("]")
            return out
        out = []
        while not self.peek("]"):
            out.append(self.expr())
            if self.peek(","):
                self.take(",")
        self.take("]")
        return out

    def call(self, name: str) -> Any:
        self.take("(")
        args = []
        while not self.peek(")"):
            args.append(self.expr())
            if self.peek(","):
                self.take(",")
        self.take(")")
        if name == "flatten":
            return _flatten(args[0])
        if name == "concat":
            return [x for a in args for x in (a if isinstance(a, list) else [a])]
        if name == "length":
            return len(args[0]) if isinstance(args[0], (list, dict, str)) else 1
        if name in ("tolist", "toset", "distinct", "compact"):
            return list(args[0]) if isinstance(args[0], list) else [args[0]]
        return Unknown(f"{name}(...)")


def _flatten(v: Any) -> list[Any]:
    if not isinstance(v, list):
        return [v]
    return [y for x in v for y in _flatten(x)]


def interpolate(text: str, scope: dict[str, Any]) -> Any:
    """A quoted HCL string: `${expr}` parts evaluated; a string that is one `${expr}` is that value."""
    text = text.replace('\\"', '"')
    m = re.fullmatch(r"\$\{(.*)\}", text, re.S)
    if m and _balanced(m.group(1)):
        return evaluate(m.group(1), scope)
    out, pos = [], 0
    while (start := text.find("${", pos)) >= 0:
        out.append(text[pos:start])
        depth, j = 0, start + 2
        while j < len(text):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                if depth == 0:
                    break
                depth -= 1
            j += 1
        out.append(str(evaluate(text[start + 2 : j], scope)))
        pos = j + 1
    out.append(text[pos:])
    return "".join(out)


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        depth += ch == "{"
        depth -= ch == "}"
        if depth < 0:
            return False
    return depth == 0


def evaluate(text: str, scope: dict[str, Any]) -> Any:
    p = _Parser(text, scope)
    v = p.expr()
    if p.i != len(p.tokens):
        raise ValueError(f"unread tail in HCL expression {text!r}")
    return v


def value(raw: Any, scope: dict[str, Any]) -> Any:
    """What python-hcl2 gave for an attribute, evaluated (Unknown where the subset above does not reach)."""
    if isinstance(raw, list):
        return _flatten([value(x, scope) for x in raw])
    if isinstance(raw, str):
        try:
            if raw.startswith('"') and raw.endswith('"'):
                return interpolate(raw[1:-1], scope)
            return interpolate(raw, scope)
        except (ValueError, IndexError):
            return Unknown(raw)
    return raw


# ---------------------------------------------------------------------------------------------- policies


@dataclass
class Statement:
    sid: str
    effect: str
    actions: list[str]
    resources: list[str]
    conditions: list[tuple[str, str, list[str]]] = field(default_factory=list)
    principals: list[tuple[str, list[str]]] = field(default_factory=list)


@dataclass
class PolicyDocument:
    file: str
    name: str
    statements: list[Statement]


def _statement(body: dict[str, Any], scope: dict[str, Any]) -> Statement:
    def as_list(v: Any) -> list[str]:
        v = value(v, scope)
        return [str(x) for x in (v if isinstance(v, list) else [v])]

    conditions = [(str(value(c["test"], scope)), str(value(c["variable"], scope)), as_list(c["values"]))
                  for c in body.get("condition", [])]  # fmt: skip
    principals = [(str(value(p["type"], scope)), as_list(p["identifiers"])) for p in body.get("principals", [])]
    return Statement(
        sid=str(value(body.get("sid", '""'), scope)),
        effect=str(value(body.get("effect", '"Allow"'), scope)),
        actions=as_list(body.get("actions", [])),
        resources=as_list(body.get("resources", [])),
        conditions=conditions,
        principals=principals,
    )


def policy_documents(root: Path, variables: dict[str, Any]) -> list[PolicyDocument]:
    """Every `data "aws_iam_policy_document"` under `root`, evaluated with `variables` (var.*).
    A `dynamic "statement"` block counts as present (the permissive reading)."""
    docs = []
    for tf in sorted(root.rglob("*.tf")):
        parsed = hcl2.load(tf.open())
        scope = {"var": variables, "local": {}}
        for loc in parsed.get("locals", []):
            for k, v in loc.items():
                try:
                    scope["local"][k] = value(v, scope)
                except ValueError:
                    scope["local"][k] = Unknown(f"local.{k}")
        for block in parsed.get("data", []):
            for kind, named in block.items():
                if kind.strip('"') != "aws_iam_policy_document":
                    continue
                for name, body in named.items():
                    statements = [_statement(s, scope) for s in body.get("statement", [])]
                    for dyn in body.get("dynamic", []):
                        for content in (c for d in dyn.values() for c in d.get("content", [])):
                            statements.append(_statement(content, scope))
                    docs.append(PolicyDocument(str(tf.relative_to(root)), name.strip('"'), statements))
    return docs


def _glob(pattern: str, value: str) -> bool:
    # IAM wildcards: * matches any run of characters (slashes included), ? one character
    return fnmatch.fnmatchcase(value, pattern)


def _condition_holds(test: str, key: str, values: list[str], context: dict[str, str]) -> bool:
    if key not in context:
        return test.startswith("StringNot") or test.startswith("ArnNot")
    actual = context[key]
    t = test.removeprefix("ForAnyValue:").removeprefix("ForAllValues:")
    if t in ("StringEquals", "ArnEquals"):
        return actual in values
    if t in ("StringLike", "ArnLike"):
        return any(_glob(v, actual) for v in values)
    if t == "StringNotEquals":
        return actual not in values
    if t == "StringNotLike":
        return not any(_glob(v, actual) for v in values)
    if t == "Bool":
        return actual.lower() in [v.lower() for v in values]
    return False  # an operator this checker does not model never grants


def allowed(doc: PolicyDocument, action: str, resource: str, context: dict[str, str] | None = None) -> bool:
    context = context or {}

    def matches(st: Statement) -> bool:
        return (
            any(_glob(a, action) for a in st.actions)
            and any(_glob(r, resource) for r in st.resources)
            and all(_condition_holds(t, k, v, context) for t, k, v in st.conditions)
        )

    if any(st.effect == "Deny" and matches(st) for st in doc.statements):
        return False
    return any(st.effect == "Allow" and matches(st) for st in doc.statements)
