"""Writes a deployable copy of infra/template.yaml, as `sam build` would.

The functions are compiled once for the whole workspace (one `cargo build
--release`, which links all binaries in parallel, where `sam build` runs
cargo once per function). This puts each function's `bootstrap` in its own
folder and points the template's CodeUri there; the state machine's
DefinitionUri becomes absolute. Nothing else in the template changes.

usage: python build-template.py TEMPLATE RELEASE_DIR OUT_DIR
Runs with the aws-sam-cli venv's Python (it uses SAM's own YAML reader,
which understands !Ref, !Sub, ...).
"""

import os
import shutil
import sys

from samcli.yamlhelper import yaml_dump, yaml_parse


def main(template_path: str, release_dir: str, out_dir: str) -> None:
    template_dir = os.path.dirname(os.path.abspath(template_path))
    with open(template_path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    os.makedirs(out_dir, exist_ok=True)
    built = 0
    for name, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function":
            binary = resource["Metadata"]["BuildProperties"]["Binary"]
            source = os.path.join(release_dir, binary)
            if not os.path.isfile(source):
                sys.exit(f"build-template: {source} is missing: build the workspace first")
            code_dir = os.path.join(out_dir, name)
            os.makedirs(code_dir, exist_ok=True)
            shutil.copy2(source, os.path.join(code_dir, "bootstrap"))
            props["CodeUri"] = os.path.abspath(code_dir)
            del resource["Metadata"]
            built += 1
        elif resource["Type"] == "AWS::Serverless::StateMachine" and "DefinitionUri" in props:
            uri = props["DefinitionUri"]
            if isinstance(uri, str) and not uri.startswith("s3://"):
                props["DefinitionUri"] = os.path.normpath(os.path.join(template_dir, uri))
    out = os.path.join(out_dir, "template.yaml")
    with open(out, "w", encoding="utf-8") as f:
        f.write(yaml_dump(template))
    print(f"{out}: {built} functions")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
