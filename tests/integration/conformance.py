"""Schema conformance of response bodies against Microsoft Graph's published /print contract.

The OpenAPI document lives outside the repository (../shared/conformance); nothing of it is
copied here. OpenAPI 3.0 `nullable` is rewritten into JSON Schema null unions when loading
(see that directory's README), then bodies are validated against
`#/components/schemas/<name>` with a Draft 2020-12 validator.
"""

import os
import re

SPEC_FILE = "graph-print-openapi-v1.0.compact.yaml"

PRINTER = "microsoft.graph.printer"
SHARE = "microsoft.graph.printerShare"
CREATE_OPERATION = "microsoft.graph.printerCreateOperation"
PRINT_JOB = "microsoft.graph.printJob"
PRINT_DOCUMENT = "microsoft.graph.printDocument"
PRINT_JOB_STATUS = "microsoft.graph.printJobStatus"
UPLOAD_SESSION = "microsoft.graph.uploadSession"
PRINT_TASK_DEFINITION = "microsoft.graph.printTaskDefinition"
PRINT_TASK_TRIGGER = "microsoft.graph.printTaskTrigger"
PRINT_TASK = "microsoft.graph.printTask"

# RFC 3339 date-time (the format keyword is not checked by jsonschema without extra packages,
# so register a checker of our own). The stricter 7-digit Graph shape is asserted by the tests.
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def fix_nullable(node):
    """OpenAPI 3.0 `nullable` -> JSON Schema: type: X -> type: [X, 'null']; without a type
    (allOf/$ref/anyOf) -> anyOf: [<schema without nullable>, {type: null}]."""
    if isinstance(node, list):
        return [fix_nullable(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: fix_nullable(v) for k, v in node.items()}
    if out.get("nullable") is True:
        del out["nullable"]
        t = out.get("type")
        if isinstance(t, str):
            out["type"] = [t, "null"]
            # An enum restricts the values; null must stay allowed.
            if "enum" in out and None not in out["enum"]:
                out["enum"] = list(out["enum"]) + [None]
        elif isinstance(t, list):
            if "null" not in t:
                out["type"] = t + ["null"]
        else:
            return {"anyOf": [out, {"type": "null"}]}
    elif "nullable" in out:
        del out["nullable"]
    return out


def _rejects_additional(schema, components, seen=None):
    """True when the schema (following $ref) forbids undeclared properties."""
    seen = seen or set()
    if not isinstance(schema, dict):
        return False
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[1]
        if name in seen:
            return False
        seen.add(name)
        return _rejects_additional(components["schemas"].get(name, {}), components, seen)
    if schema.get("additionalProperties") is False or schema.get("unevaluatedProperties") is False:
        return True
    return any(_rejects_additional(s, components, seen)
               for key in ("allOf", "anyOf", "oneOf") for s in schema.get(key, []))


class Conformance:
    """Loaded lazily; `available` is False when the directory or the packages are missing."""

    def __init__(self, directory):
        self.directory = directory
        self.available = False
        self.reason = ""
        self.validated = 0          # bodies (entities) checked
        self._validators = {}
        self._strip = {}
        if not directory or not os.path.isdir(directory):
            self.reason = "%s not found" % (directory or "(no directory)")
            return
        path = os.path.join(directory, SPEC_FILE)
        if not os.path.isfile(path):
            self.reason = "%s not found" % path
            return
        try:
            import yaml
            import jsonschema
        except ImportError as e:  # pragma: no cover - depends on the host
            self.reason = "python module missing (%s); use /usr/bin/python3 with " \
                          "python3-jsonschema and python3-yaml" % e.name
            return
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        with open(path, "r", encoding="utf-8") as f:
            doc = yaml.load(f, Loader=loader)
        self.components = fix_nullable(doc["components"])
        self._jsonschema = jsonschema
        self._format_checker = jsonschema.FormatChecker(formats=())

        @self._format_checker.checks("date-time")
        def _is_datetime(value):  # noqa: ANN001
            if not isinstance(value, str):
                return True
            return bool(_RFC3339.match(value))

        self.available = True

    def has_schema(self, name):
        return self.available and name in self.components["schemas"]

    def _validator(self, name):
        v = self._validators.get(name)
        if v is None:
            if name not in self.components["schemas"]:
                raise KeyError("schema %s not in %s" % (name, SPEC_FILE))
            root = {"$ref": "#/components/schemas/%s" % name, "components": self.components}
            cls = self._jsonschema.Draft202012Validator
            v = cls(root, format_checker=self._format_checker)
            self._validators[name] = v
            # OData annotations (@odata.context/@odata.type/@odata.nextLink) are not declared
            # by the schemas; strip them only when the schema would reject them.
            self._strip[name] = _rejects_additional(
                self.components["schemas"][name], self.components)
        return v

    def errors(self, name, instance):
        """List of human-readable violations (empty when the instance conforms)."""
        v = self._validator(name)
        if self._strip[name] and isinstance(instance, dict):
            instance = {k: x for k, x in instance.items()
                        if not k.startswith("@")}
        self.validated += 1
        out = []
        for e in sorted(v.iter_errors(instance), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(p) for p in e.absolute_path) or "(root)"
            out.append("%s: %s" % (where, e.message))
        return out

    def check(self, name, instance, what=""):
        """Raises AssertionError when instance does not conform to schema `name`."""
        errs = self.errors(name, instance)
        if errs:
            raise AssertionError("conformance: %s does not match %s:\n  %s" % (
                what or "body", name, "\n  ".join(errs[:20])))

    def check_collection(self, name, body, what=""):
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            raise AssertionError("conformance: %s is not a collection ({value: [...]})" % what)
        for i, item in enumerate(body["value"]):
            self.check(name, item, "%s value[%d]" % (what, i))

