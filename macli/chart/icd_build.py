"""Build the compact ICD-10-CM data file shipped in the package (run by a developer).

    pip install simple-icd-10-cm && python -m macli.chart.icd_build

simple-icd-10-cm takes about two seconds to import and parse its XML, too slow for a
command, so it is read once here and written as a gzipped TSV in `macli/chart/data/`
(code, kind, billable, parent, description). `macli.chart.icd` loads that file into an
indexed table of the store on first use. ICD-10-CM is a US-government work in the
public domain (CDC/NCHS), so the file may be shipped.
"""

from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

DATA = Path(__file__).parent / "data"
MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
        start=1,
    )
}


def release_of(source_file: str) -> tuple[str, str]:
    """('April 2026', '2026-04') from the package's 'icd10c-tabular-April-1-2026.xml'."""
    match = re.search(r"-([A-Z][a-z]+)-\d+-(\d{4})\.xml$", source_file)
    if not match or match[1] not in MONTHS:
        raise SystemExit(f"cannot tell the release from {source_file!r}")
    return f"{match[1]} {match[2]}", f"{match[2]}-{MONTHS[match[1]]:02d}"


def rows(icd) -> list[tuple[str, str, int, str, str]]:
    """(code, kind, billable, parent, description) for every chapter, block and code."""
    out: dict[str, tuple] = {}
    for code in icd.get_all_codes(True):
        if icd.is_chapter(code):
            kind = "chapter"
        elif icd.is_category(code):  # before blocks: B20 is both a block and its category
            kind = "category"
        elif icd.is_subcategory(code):
            kind = "subcategory"
        else:
            kind = "block"
        parent = icd.get_parent(code)
        if parent == code:  # a category named like its own block: the block's parent
            parent = icd.get_parent(code, prioritize_blocks=True)
        billable = int(kind in ("category", "subcategory") and icd.is_leaf(code))
        description = " ".join(icd.get_description(code).split())
        if code not in out or kind != "block":
            out[code] = (code, kind, billable, parent or "", description)
    return list(out.values())


def main() -> None:
    from importlib.metadata import version
    from importlib.resources import files

    import simple_icd_10_cm as icd

    # The release is named only in the data file the package ships, e.g.
    # icd10c-tabular-April-1-2026.xml.
    sources = [p.name for p in files("simple_icd_10_cm.data").iterdir() if p.name.endswith(".xml")]
    if len(sources) != 1:
        raise SystemExit(f"expected one tabular XML in simple_icd_10_cm/data, found {sources}")
    source = sources[0]
    release, stamp = release_of(source)
    target = DATA / f"icd10cm-{stamp}.tsv.gz"
    data = rows(icd)
    DATA.mkdir(exist_ok=True)
    for old in DATA.glob("icd10cm-*.tsv.gz"):
        old.unlink()
    # mtime=0 keeps the file byte-identical when rebuilt from the same release.
    with open(target, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as packed:
        header = f"#release\t{release}\tsimple-icd-10-cm {version('simple-icd-10-cm')}\t{source}\n"
        packed.write(header.encode())
        for row in data:
            packed.write(("\t".join(str(value) for value in row) + "\n").encode())
    billable = sum(row[2] for row in data)
    print(f"{target}: {len(data)} entries, {billable} billable, release {release}", file=sys.stderr)


if __name__ == "__main__":
    main()
