"""Zipped `bootstrap` per function, as Lambda receives it (deflate, level 9,
like cargo-lambda's --output-format zip). Prints JSON.

  python3 bench/package_size.py <arch> <binary path, {} = function> <function>...
  e.g.  x86_64 'target/release/{}'   arm64 'target/lambda/{}/bootstrap' 
"""

import io
import json
import os
import sys
import zipfile


def bootstrap_zip(binary: bytes) -> bytes:
    """A Lambda package: the binary as an executable `bootstrap`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, binary, compresslevel=9)
    return buffer.getvalue()


def zipped_size(binary: str) -> int:
    with open(binary, "rb") as f:
        return len(bootstrap_zip(f.read()))


def main():
    arch, pattern, *functions = sys.argv[1:]
    rows = []
    for name in functions:
        binary = pattern.format(name)
        rows.append({"function": name, "arch": arch, "binary_bytes": os.path.getsize(binary),
                     "zipped_bytes": zipped_size(binary)})
        print(f"{arch:<7} {name:<18} {rows[-1]['binary_bytes'] / 1e6:6.2f} MB  zipped {rows[-1]['zipped_bytes'] / 1e6:5.2f} MB",
              file=sys.stderr)
    json.dump(rows, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
