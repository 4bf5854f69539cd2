#!/usr/bin/env python3
"""Regenerate data/talos/config.schema.json from a siderolabs/talos checkout.

    scripts/talos-schema.py TALOS_GIT_DIR [REF] > data/talos/config.schema.json

REF defaults to the machinery tag Omni's go.mod pins (data/talos/README.md says which).

What Omni checks a config patch with is Talos' config loader: each document is decoded into its Go
type by go-yaml, then every mapping key is checked against the Go struct's fields (unknown keys
refused). Talos' published JSON Schema (pkg/machinery/config/schemas/config.schema.json) leaves out
every field marked `docgen:nodoc` -- in 1.14 that is most of the legacy v1alpha1 `machine`
section -- so it can't answer what the loader answers. This script therefore reads the Go types
themselves (pkg/machinery/config/types/**) and writes one JSON Schema (draft 2020-12) of their
structure:

- a struct is an object with its yaml keys as properties and `additionalProperties: false`
  (inline structs merged, unexported and `yaml:"-"` fields left out);
- a slice is an array of its element, a map an object of its values;
- Go's bool, integer and float kinds are `boolean`, `integer`, `number`; `string` is `string`;
- a type with its own UnmarshalYAML/UnmarshalText, `any`, and types from outside the config
  packages are `{}` (anything), as their own decoders decide;
- `x-documents` maps each document's `kind` and `apiVersion` to its type, read from the config
  registry (`registry.Register` in each package; the legacy document is `v1alpha1.Config`).

The output is data, not code: it is read by omni-wasm's offline patch validation and by
omni-sim's ValidateConfig.
"""

import json
import re
import subprocess
import sys

TYPES_DIR = "pkg/machinery/config/types"
BASIC = {
    "string": {"type": "string"},
    "bool": {"type": "boolean"},
    "float32": {"type": "number"},
    "float64": {"type": "number"},
}
for _t in ["int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "uintptr"]:
    BASIC[_t] = {"type": "integer"}


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True, text=True).stdout


class Package:
    def __init__(self, name):
        self.name = name
        self.consts = {}  # string constants: name -> value
        self.registered = []  # (kind constant or literal, version, type name)
        self.structs = {}  # name -> list of (key or None for inline, go type)
        self.named = {}  # name -> underlying go type text (non-struct)
        self.custom = set()  # types with their own YAML/text decoding


FIELD = re.compile(r"^\t(\w+)\s+([^`\s][^`]*?)\s*(`[^`]*`)?\s*(//.*)?$")
EMBED = re.compile(r"^\t(\*?[\w.]+)\s*(`[^`]*`)?\s*(//.*)?$")


def parse_struct(lines, i):
    """Fields of the struct body starting after line i; returns (fields, next line index)."""
    fields = []
    depth = 1
    i += 1
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if depth == 1 and stripped == "}":
            return fields, i + 1
        if stripped.startswith("//") or not stripped:
            i += 1
            continue
        if depth > 1 or stripped.endswith("struct {"):
            # an anonymous struct field: its keys are not checked (treated as anything)
            if stripped.endswith("{"):
                if depth == 1:
                    m = re.match(r"^\t(\w+)\s+", line)
                    if m:
                        fields.append((m.group(1), "any", None))
                depth += 1
            elif stripped.startswith("}"):
                depth -= 1
            i += 1
            continue
        m = FIELD.match(line)
        if m and m.group(1)[0].isupper():
            fields.append((m.group(1), m.group(2), m.group(3)))
        elif m is None:
            e = EMBED.match(line)
            if e:
                fields.append((None, e.group(1), e.group(2)))
        i += 1
    return fields, i


def yaml_tag(tag):
    if not tag:
        return None, False
    m = re.search(r'yaml:"([^"]*)"', tag)
    if not m:
        return None, False
    parts = m.group(1).split(",")
    return parts[0], "inline" in parts[1:]


def load(repo, ref):
    pkgs = {}
    for path in git(repo, "ls-tree", "-r", "--name-only", ref, TYPES_DIR).split():
        if not path.endswith(".go") or path.endswith("_test.go") or "/testdata/" in path:
            continue
        src = git(repo, "show", f"{ref}:{path}")
        pm = re.search(r"^package (\w+)", src, re.M)
        if not pm:
            continue
        pkg = pkgs.setdefault(pm.group(1), Package(pm.group(1)))
        for m in re.finditer(r"^func \(\w+ \*?(\w+)\) Unmarshal(YAML|Text)\(", src, re.M):
            pkg.custom.add(m.group(1))
        for m in re.finditer(r'^(?:const |\t)(\w+)\s*(?:string\s*)?=\s*"([^"]*)"', src, re.M):
            pkg.consts.setdefault(m.group(1), m.group(2))
        # registry.Register(Kind, func(version string) config.Document { switch version {
        #   case "v1alpha1": return &Type{} ... } })
        for m in re.finditer(r"registry\.Register\(\s*([\w.\"]+)\s*,(.*?)\n\t\}\)", src, re.S):
            for c in re.finditer(r'case "([^"]+)":[^\n]*\n\s*return &(\w+)\{\}', m.group(2)):
                pkg.registered.append((m.group(1), c.group(1), c.group(2)))
        lines = src.splitlines()
        i = 0
        in_type_block = False
        while i < len(lines):
            line = lines[i]
            if line.startswith("type ("):
                in_type_block = True
                i += 1
                continue
            if in_type_block and line.startswith(")"):
                in_type_block = False
                i += 1
                continue
            prefix = "\t" if in_type_block else "type "
            m = re.match(r"^" + re.escape(prefix) + r"(\w+)\s+struct\s*\{\s*$", line) if not in_type_block else re.match(r"^\t(\w+)\s+struct\s*\{\s*$", line)
            if m:
                fields, i = parse_struct(lines, i)
                pkg.structs[m.group(1)] = fields
                continue
            n = re.match(r"^(?:type |\t)(\w+)\s*=?\s*([^\s{][^{]*?)\s*(//.*)?$", line) if (line.startswith("type ") or in_type_block) else None
            if n and not line.rstrip().endswith("{") and "interface" not in line:
                pkg.named.setdefault(n.group(1), n.group(2).strip())
            i += 1
    return pkgs


class Builder:
    def __init__(self, pkgs):
        self.pkgs = pkgs
        self.defs = {}

    def schema(self, pkg, t, depth=0):
        t = t.strip()
        if depth > 20:
            return {}
        while t.startswith("*"):
            t = t[1:]
        if t in ("any", "interface{}") or t.startswith("func") or t.startswith("chan"):
            return {}
        if t == "[]byte":
            return {}
        if t.startswith("[]"):
            return {"type": "array", "items": self.schema(pkg, t[2:], depth + 1)}
        if t.startswith("["):  # fixed-size arrays
            return {}
        if t.startswith("map["):
            # map[K]V: find the value after the matching bracket
            level, j = 0, 3
            for j in range(3, len(t)):
                if t[j] == "[":
                    level += 1
                elif t[j] == "]":
                    level -= 1
                    if level == 0:
                        break
            return {"type": "object", "additionalProperties": self.schema(pkg, t[j + 1:], depth + 1)}
        if t in BASIC:
            return dict(BASIC[t])
        if "." in t:
            qual, name = t.split(".", 1)
            target = self.pkgs.get(qual)
            if target is None:
                return {}
            return self.named(target, name, depth)
        return self.named(pkg, t, depth)

    def named(self, pkg, name, depth):
        if "[" in name:  # generic instantiations
            return {}
        if name in pkg.structs:
            key = f"{pkg.name}.{name}"
            if key not in self.defs:
                self.defs[key] = None  # recursion guard
                self.defs[key] = self.struct(pkg, name, depth)
            return {"$ref": f"#/$defs/{key}"}
        if name in pkg.custom:
            return {}
        if name in pkg.named:
            return self.schema(pkg, pkg.named[name], depth + 1)
        return {}

    def struct(self, pkg, name, depth):
        props = {}
        promoted = False
        for field, gotype, tag in pkg.structs[name]:
            key, inline = yaml_tag(tag)
            if key == "-":
                continue
            if field is None and "." in gotype and gotype.lstrip("*").split(".")[0] not in self.pkgs:
                # an embedded type from elsewhere (url.URL, netip.Addr) may bring its own decoder
                promoted = True
            if field is None or inline:
                # embedded or inline: its fields are the struct's own
                inner = self.inline_props(pkg, gotype, depth)
                if inner is None:
                    return {"type": "object"}  # an inline map: any key
                props.update(inner)
                continue
            if not key:
                key = field.lower()
            props[key] = self.schema(pkg, gotype, depth + 1)
        out = {"type": "object", "properties": props, "additionalProperties": False}
        if name in pkg.custom or promoted:
            # its own decoder takes scalars too; its keys are still checked (xyaml walks the type)
            del out["type"]
        return out

    def inline_props(self, pkg, gotype, depth):
        t = gotype.lstrip("*")
        if t.startswith("map["):
            return None
        target, name = pkg, t
        if "." in t:
            qual, name = t.split(".", 1)
            target = self.pkgs.get(qual)
            if target is None:
                return {}
        if name in target.structs:
            inner = self.struct(target, name, depth + 1)
            return inner.get("properties", {}) if inner.get("additionalProperties") is False else None
        underlying = target.named.get(name, "")
        if underlying.startswith("map["):
            return None
        return {}


def main():
    repo = sys.argv[1]
    ref = sys.argv[2] if len(sys.argv) > 2 else "pkg/machinery/v1.14.0-rc.1"
    pkgs = load(repo, ref)
    b = Builder(pkgs)
    # the config registry (registry.Register in each package's init): kind/version -> Go type;
    # the legacy document is registered by the v1alpha1 package as kind "v1alpha1"
    documents = {}
    for pkg in pkgs.values():
        for kind, version, type_name in pkg.registered:
            kind = kind.strip('"') if kind.startswith('"') else pkg.consts.get(kind, kind)
            documents[f"{kind}/{version}"] = f"{pkg.name}.{type_name}"
    documents["v1alpha1/"] = "v1alpha1.Config"
    for def_name in sorted(set(documents.values())):
        pkg, name = def_name.split(".", 1)
        if pkg not in pkgs or name not in pkgs[pkg].structs:
            sys.exit(f"document type {def_name} not found in the Go sources")
        b.named(pkgs[pkg], name, 0)
    commit = git(repo, "rev-parse", f"{ref}^{{commit}}").strip()
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": "Structure of Talos machine-config documents as the config loader decodes them; "
        "generated by scripts/talos-schema.py, see data/talos/README.md",
        "x-origin": {
            "repository": "https://github.com/siderolabs/talos",
            "ref": ref,
            "commit": commit,
            "sources": TYPES_DIR,
            "license": "MPL-2.0",
        },
        "x-documents": dict(sorted(documents.items())),
        "oneOf": [{"$ref": f"#/$defs/{d}"} for d in sorted(set(documents.values()))],
        "$defs": dict(sorted(b.defs.items())),
    }
    json.dump(schema, sys.stdout, separators=(",", ":"), sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
