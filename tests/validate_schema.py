# Validates JSON documents against the schemas of ../shared/testdata/schemas, offline.
# Usage: python3 validate_schema.py SCHEMAS_DIR KIND FILE [KIND FILE ...]  (KIND: osv, cve, csaf)
# Prints "FILE: ok" or "FILE: N error(s); most relevant at /path: message" per document and exits
# 1 when any is invalid. The CSAF schema's references to FIRST's CVSS schemas resolve to the local
# copies through a registry without retrieval.
import json
import pathlib
import sys

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

root = pathlib.Path(sys.argv[1])


def load(path):
    return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))


resources = []
for name in ("cvss-v2.0.json", "cvss-v3.0.json", "cvss-v3.1.json"):
    contents = load(root / "csaf/referenced_schema/first" / name)
    resource = Resource.from_contents(contents, default_specification=DRAFT7)
    resources.append(("https://www.first.org/cvss/" + name, resource))
    if "$id" in contents:
        resources.append((contents["$id"], resource))
registry = Registry().with_resources(resources)
schemas = {
    "osv": ("osv/schema.json", jsonschema.Draft202012Validator),
    "cve": ("cve/CVE_JSON_bundled_5.1.1.json", jsonschema.Draft7Validator),
    "csaf": ("csaf/csaf_json_schema.json", jsonschema.Draft202012Validator),
}
failed = False
args = sys.argv[2:]
for kind, document in zip(args[0::2], args[1::2]):
    path, cls = schemas[kind]
    validator = cls(load(root / path), registry=registry, format_checker=cls.FORMAT_CHECKER)
    errors = list(validator.iter_errors(load(document)))
    if errors:
        failed = True
        best = jsonschema.exceptions.best_match(errors)
        print(document + ": " + str(len(errors)) + " error(s); most relevant at /" +
              "/".join(str(p) for p in best.absolute_path) + ": " + best.message[:400])
    else:
        print(document + ": ok")
sys.exit(1 if failed else 0)
