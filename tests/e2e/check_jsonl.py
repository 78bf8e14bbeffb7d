#!/usr/bin/env python3
"""check_jsonl.py FILE KEY — every line of FILE is strict JSON (Python's
json module refuses NaN/Infinity via parse_constant) and its KEY names an
existing file: the string turned back into bytes with Python's
surrogateescape rule, and KEY_b64 (when present) gives the same bytes.
Prints the number of records checked."""
import base64, json, os, sys


def refuse(name):
    raise ValueError("not JSON: " + name)


path, key = sys.argv[1], sys.argv[2]
n = 0
with open(path, "rb") as f:
    for lineno, raw in enumerate(f, 1):
        text = raw.decode("utf-8")  # strict: the line must be UTF-8
        obj = json.loads(text, parse_constant=refuse)
        name = obj[key].encode("utf-8", "surrogateescape")
        if key + "_b64" in obj:
            b = base64.b64decode(obj[key + "_b64"], validate=True)
            assert b == name, (lineno, b, name)
        else:
            obj[key].encode("utf-8")  # no lone surrogates without _b64
        assert os.path.exists(name), (lineno, name)
        n += 1
print(n)
