"""A new sheet continuing a table that is longer than a sheet ("账单 (2)" for Bills_2).

The continuation is a copy of the table's own sheet (column widths and styles, frozen header,
conditional formats, drop-downs) with the header row only, its Excel table named Bills_2 with
the same columns, placed right after the table's sheet. What must stay unique is not copied:
the VBA code name, drawings, buttons and links, the selected-tab flag. Sheets after it move
one place, so sheet-scoped names and the active tab are moved with them.
"""

from __future__ import annotations

import dataclasses
import re
from xml.sax import saxutils

from workbook import layout, package

WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
TABLE_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
WORKSHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"

# Elements of a sheet that point at other parts or must be unique to one sheet.
_DROPPED = [re.compile(pattern, re.S) for pattern in (
    rb"<drawing\b[^>]*/>", rb"<legacyDrawing\b[^>]*/>", rb"<legacyDrawingHF\b[^>]*/>", rb"<picture\b[^>]*/>",
    rb"<oleObjects\b.*?</oleObjects>", rb"<controls\b.*?</controls>", rb"<hyperlinks\b.*?</hyperlinks>",
rb"<AlternateContent\b.*?</AlternateContent>",
    rb"<mc:AlternateContent\b.*?</mc:AlternateContent>",
)]


def add(get, names: set[str], primary: package.TablePart, number: int) -> tuple[package.TablePart, dict[str, bytes]]:
    """Parts for continuation `number` of `primary`'s table: the new TablePart and the new or
    changed parts. `get(part)` gives a part's current bytes; `names` are the parts that exist."""
    sheet_part = _free(names, "xl/worksheets/sheet{}.xml")
    table_part = _free(names | {sheet_part}, "xl/tables/table{}.xml")
    sheet_name = layout.continuation_sheet(primary.sheet, number)
    table_name = layout.continuation_table(primary.name, number)
    r0, c0, _, c1 = primary.bounds
    ref = f"{package.column_letter(c0)}{r0 + 1}:{package.column_letter(c1)}{r0 + 2}"

    changed = {
        sheet_part: _sheet(get(primary.sheet_part), r0 + 1),
        _rels_of(sheet_part): (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                               f'<Relationships xmlns="{RELS_NS}"><Relationship Id="rId1" '
                               f'Type="{package.TABLE_REL}" Target="../tables/{table_part.rsplit("/", 1)[1]}"/>'
                               f'</Relationships>').encode(),
        table_part: _table(get(primary.part), table_name, ref, _next_table_id(get, names)),
    }
    types = get("[Content_Types].xml")
    overrides = (f'<Override PartName="/{sheet_part}" ContentType="{WORKSHEET_TYPE}"/>'
                 f'<Override PartName="/{table_part}" ContentType="{TABLE_TYPE}"/>').encode()
    changed["[Content_Types].xml"] = types.replace(b"</Types>", overrides + b"</Types>")
    rels = get("xl/_rels/workbook.xml.rels")
    rid = _free_rid(rels)
    target = sheet_part.removeprefix("xl/")
    changed["xl/_rels/workbook.xml.rels"] = rels.replace(
        b"</Relationships>", f'<Relationship Id="{rid}" Type="{WORKSHEET_REL}" Target="{target}"/>'
                             f"</Relationships>".encode())
    changed["xl/workbook.xml"] = _insert_sheet(get("xl/workbook.xml"), primary.sheet, sheet_name, rid, number)
    part = dataclasses.replace(primary, name=table_name, sheet=sheet_name, sheet_part=sheet_part, part=table_part,
                               ref=ref, totals=0)
    return part, changed


def _free(names: set[str], pattern: str) -> str:
    number = 1
    while pattern.format(number) in names:
        number += 1
    return pattern.format(number)


def _rels_of(part: str) -> str:
    folder, name = part.rsplit("/", 1)
    return f"{folder}/_rels/{name}.rels"


def _sheet(xml: bytes, header_row: int) -> bytes:
    """The table's sheet with rows up to the header only and nothing that must stay unique."""
    start = xml.find(b"<sheetData")
    close = xml.find(b"</sheetData>")
    if start >= 0 and close >= 0:
        open_end = xml.find(b">", start) + 1
        rows = xml[open_end:close]
        cut = len(rows)
        for match in re.finditer(rb"<row\b[^>]*?\br=\"(\d+)\"", rows):
            if int(match.group(1)) > header_row:
                cut = match.start()
                break
        xml = xml[:open_end] + rows[:cut] + xml[close:]
    for pattern in _DROPPED:
        xml = pattern.sub(b"", xml)
    xml = re.sub(rb'\scodeName="[^"]*"', b"", xml)
    xml = re.sub(rb'\stabSelected="[^"]*"', b"", xml)
    # the table's own link, in the place the schema wants it (before any extLst)
    link = b'<tableParts count="1"><tablePart r:id="rId1"/></tableParts>'
    if b"xmlns:r=" not in xml[:xml.find(b">", xml.find(b"<worksheet")) + 1]:
        link = link.replace(b"<tablePart ", b'<tablePart xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
                                            b'2006/relationships" ')
    return re.sub(rb"<tableParts\b[^>]*/>|<tableParts\b.*?</tableParts>", lambda _: link, xml, count=1, flags=re.S)


def _table(xml: bytes, name: str, ref: str, table_id: int) -> bytes:
    xml = re.sub(rb'(<table\b[^>]*?\s)id="\d+"', lambda m: m.group(1) + b'id="%d"' % table_id, xml, count=1)
    for attribute in (b"name", b"displayName"):
        xml = re.sub(rb'(<table\b[^>]*?\s' + attribute + rb')="[^"]*"', rb'\g<1>="' + name.encode() + b'"', xml,
                     count=1)
    xml = re.sub(rb'(<table\b[^>]*?\sref=")[^"]*(")', rb"\g<1>" + ref.encode() + rb"\g<2>", xml, count=1)
    return re.sub(rb'(<autoFilter\b[^>]*?\sref=")[^"]*(")', rb"\g<1>" + ref.encode() + rb"\g<2>", xml, count=1)


def _next_table_id(get, names: set[str]) -> int:
    highest = 0
    for part in names:
        if part.startswith("xl/tables/") and part.endswith(".xml"):
            found = re.search(rb'<table\b[^>]*?\sid="(\d+)"', get(part)[:2000])
            if found:
                highest = max(highest, int(found.group(1)))
    return highest + 1


def _free_rid(rels: bytes) -> str:
    used = {int(n) for n in re.findall(rb'Id="rId(\d+)"', rels)}
    return f"rId{max(used, default=0) + 1}"


def _insert_sheet(xml: bytes, after: str, name: str, rid: str, number: int) -> bytes:
    """workbook.xml with a <sheet> for `name` after part `number - 1` of the table's sheets."""
    sheets = list(re.finditer(rb"<sheet\b[^>]*?/>", xml))
    previous = layout.continuation_sheet(after, number - 1) if number > 2 else after
    position = next((i for i, m in enumerate(sheets) if _sheet_name(m.group(0)) == previous), len(sheets) - 1)
    sheet_id = max((int(re.search(rb'sheetId="(\d+)"', m.group(0)).group(1)) for m in sheets), default=0) + 1
    element = (f'<sheet name={saxutils.quoteattr(name)} sheetId="{sheet_id}" r:id="{rid}"/>').encode()
    end = sheets[position].end()
    xml = xml[:end] + element + xml[end:]
    moved = position + 1  # sheets from this index on moved one place

    def shift(match: re.Match) -> bytes:
        value = int(match.group(2))
        return match.group(1) + str(value + 1 if value >= moved else value).encode() + b'"'

    xml = re.sub(rb'(<definedName\b[^>]*?localSheetId=")(\d+)"', shift, xml)
    return re.sub(rb'(<workbookView\b[^>]*?activeTab=")(\d+)"', shift, xml)


def _sheet_name(element: bytes) -> str:
    found = re.search(rb'\sname="([^"]*)"', element)
    return saxutils.unescape(found.group(1).decode(), {"&quot;": '"', "&apos;": "'"}) if found else ""
