# Validates JSON documents against the schemas of ../shared/testdata/schemas, offline.
# Usage: /usr/bin/python3 validate_schema.py SCHEMAS_DIR KIND FILE [KIND FILE ...]
#        (KIND: osv, cve, csaf)
# Prints "FILE: ok" or "FILE: N error(s); most relevant at /path: message" per document and exits
# 1 when any is invalid, 2 on bad usage.
#
# Written for Debian 12's python3-jsonschema (4.10): the CSAF schema's references to FIRST's CVSS
# schemas resolve to the local copies through a RefResolver store, so nothing is retrieved (a
# reference that is not in the store is an error, not a download: the resolver's remote handler is
# replaced).
import json
import pathlib
import sys

import jsonschema
import jsonschema.exceptions


def load(path):
    return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))


def main(argv):
    if len(argv) < 4 or len(argv) % 2 != 0:
        print("usage: validate_schema.py SCHEMAS_DIR KIND FILE [KIND FILE ...]", file=sys.stderr)
        return 2
    root = pathlib.Path(argv[1])
    store = {}
    for name in ("cvss-v2.0.json", "cvss-v3.0.json", "cvss-v3.1.json"):
        contents = load(root / "csaf/referenced_schema/first" / name)
        store["https://www.first.org/cvss/" + name] = contents
        # Draft-04 schemas name themselves with "id", later drafts with "$id".
        for key in ("$id", "id"):
            if isinstance(contents.get(key), str):
                store[contents[key]] = contents
    schemas = {
        "osv": ("osv/schema.json", jsonschema.Draft202012Validator),
        "cve": ("cve/CVE_JSON_bundled_5.1.1.json", jsonschema.Draft7Validator),
        "csaf": ("csaf/csaf_json_schema.json", jsonschema.Draft202012Validator),
    }

    def refuse_remote(uri):
        raise jsonschema.exceptions.RefResolutionError("no local copy of " + uri)

    failed = False
    args = argv[2:]
    for kind, document in zip(args[0::2], args[1::2]):
        if kind not in schemas:
            print("unknown kind " + kind + " (osv, cve, csaf)", file=sys.stderr)
            return 2
        path, cls = schemas[kind]
        schema = load(root / path)
        resolver = jsonschema.RefResolver.from_schema(schema, store=dict(store),
                                                      handlers={"http": refuse_remote,
                                                                "https": refuse_remote})
        validator = cls(schema, resolver=resolver, format_checker=cls.FORMAT_CHECKER)
        errors = list(validator.iter_errors(load(document)))
        if errors:
            failed = True
            best = jsonschema.exceptions.best_match(errors)
            print(document + ": " + str(len(errors)) + " error(s); most relevant at /" +
                  "/".join(str(p) for p in best.absolute_path) + ": " + best.message[:400])
        else:
            print(document + ": ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
