"""Rebuild ``NotoSansSC-Subset.ttf`` from Debian's Noto Sans CJK (SIL OFL 1.1, see OFL.txt).

reportlab embeds only TrueType outlines, and Noto CJK ships CFF, so this script subsets the
Simplified Chinese face to ASCII, Latin-1, CJK punctuation and every GB 2312 character, and
converts the cubic outlines to quadratic ones. The result is committed, so ``make demo`` needs
no system font; run this only to change the character set (needs ``fonttools`` and
``apt-get install fonts-noto-cjk``)::

    python signing/fonts/build_font.py /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
"""

import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, newTable

OUT = Path(__file__).with_name("NotoSansSC-Subset.ttf")


def gb2312_characters() -> str:
    chars = []
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(chars)


def wanted_text() -> str:
    latin = "".join(chr(c) for c in range(0x20, 0x7F)) + "".join(chr(c) for c in range(0xA0, 0x100))
    extra = "〇—–‘’“”…·•《》「」『』【】〔〕（）：；，。、？！％＋－／＝№①②③④⑤⑥⑦⑧⑨⑩"
    return latin + extra + gb2312_characters()


def otf_to_ttf(font) -> None:
    """Replace the CFF table by glyf/loca (quadratic outlines), the classic fontTools recipe."""
    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = {}
    for name in glyph_order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    font["maxp"] = newTable("maxp")
    font["maxp"].tableVersion = 0x00010000
    for attr in (
        "maxZones maxTwilightPoints maxStorage maxFunctionDefs maxInstructionDefs "
        "maxStackElements maxSizeOfInstructions maxComponentElements"
    ).split():
        setattr(font["maxp"], attr, 0)
    font["maxp"].maxZones = 1
    font["post"].formatType = 2.0
    font["post"].extraNames = []
    font["post"].mapping = {}
    font["post"].glyphOrder = glyph_order
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"
    font.recalcBBoxes = True


def main(source: str) -> None:
    collection = TTCollection(source)
    font = next(f for f in collection.fonts if "SC" in f["name"].getDebugName(1))
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=wanted_text())
    subsetter.subset(font)
    otf_to_ttf(font)
    font["name"].setName("OneWindow Noto Sans SC Subset", 4, 3, 1, 0x409)
    font.save(OUT)
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB, {len(font.getGlyphOrder())} glyphs)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
