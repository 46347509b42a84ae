"""Fold the radicals and compatibility forms of CJK text layers to ordinary characters.

PDF writers that map glyphs back to text by the font's character map (Chromium's
"print to PDF", many office printers) pick whichever code point shares the glyph,
often a Kangxi radical (U+2F00-U+2FD5: ⽣ for 生, ⼯ for 工, ⼀ for 一), a CJK
Radicals Supplement form (⻓ for 长, ⻔ for 门) or a CJK compatibility ideograph.
Text pasted from such a PDF into Word or a .txt keeps them. They look the same and
mean the same, but "⼀、通⽤考核内容" matches no heading and "⽣态" no keyword.

:data:`FOLD` maps each such character to the ordinary one, and nothing else: full NFKC
would also turn the document's full-width ，；（） into ASCII and ㎡ into m2, which
the stored text must keep. Kangxi radicals and compatibility ideographs have a
Unicode decomposition to their ordinary character; of the Radicals Supplement only
⺟ and ⻳ do, so the others come from the table below, each entry the unified
ideograph that the Noto CJK SC font draws with the same glyph (Unicode's
EquivalentUnifiedIdeograph data says the same for these). One Kangxi radical, ⼾,
decomposes to a traditional form where simplified fonts mean 户 (checked against the
same font for all 214).
"""

from __future__ import annotations

import unicodedata

# CJK Radicals Supplement -> the ordinary (unified) ideograph it stands for.
RADICALS_SUPPLEMENT: dict[str, str] = {
    "\u2e82": "乛",  # ⺂ second one
    "\u2e83": "乚",  # ⺃ second two
    "\u2e85": "亻",  # ⺅ person
    "\u2e89": "刂",  # ⺉ knife two
    "\u2e8b": "㔾",  # ⺋ seal
    "\u2e8f": "尣",  # ⺏ lame two
    "\u2e90": "尢",  # ⺐ lame three
    "\u2e92": "巳",  # ⺒ snake
    "\u2e93": "幺",  # ⺓ thread
    "\u2e94": "彑",  # ⺔ snout one
    "\u2e95": "彐",  # ⺕ snout two
    "\u2e96": "忄",  # ⺖ heart one
    "\u2e98": "扌",  # ⺘ hand
    "\u2e99": "攵",  # ⺙ rap
    "\u2e9b": "旡",  # ⺛ choke
    "\u2e9e": "歺",  # ⺞ death
    "\u2e9f": "母",  # ⺟ mother
    "\u2ea0": "民",  # ⺠ civilian
    "\u2ea1": "氵",  # ⺡ water one
    "\u2ea3": "灬",  # ⺣ fire
    "\u2ea4": "爫",  # ⺤ paw one
    "\u2ea6": "丬",  # ⺦ simplified half tree trunk
    "\u2ea8": "犭",  # ⺨ dog
    "\u2ead": "礻",  # ⺭ spirit two
    "\u2eaf": "糹",  # ⺯ silk
    "\u2eb0": "纟",  # ⺰ c-simplified silk
    "\u2eb1": "罓",  # ⺱ net one
    "\u2eb3": "㓁",  # ⺳ net three
    "\u2eb9": "耂",  # ⺹ old
    "\u2eba": "肀",  # ⺺ brush one
    "\u2ebe": "艹",  # ⺾ grass one
    "\u2ec2": "衤",  # ⻂ clothes
    "\u2ec5": "见",  # ⻅ c-simplified see
    "\u2ec6": "角",  # ⻆ simplified horn
    "\u2ec8": "讠",  # ⻈ c-simplified speech
    "\u2ec9": "贝",  # ⻉ c-simplified shell
    "\u2ecb": "车",  # ⻋ c-simplified cart
    "\u2ecc": "辶",  # ⻌ simplified walk
    "\u2ed0": "钅",  # ⻐ c-simplified gold
    "\u2ed1": "長",  # ⻑ long one
    "\u2ed2": "镸",  # ⻒ long two
    "\u2ed3": "长",  # ⻓ c-simplified long
    "\u2ed4": "门",  # ⻔ c-simplified gate
    "\u2ed6": "阝",  # ⻖ mound two
    "\u2ed8": "青",  # ⻘ blue
    "\u2ed9": "韦",  # ⻙ c-simplified tanned leather
    "\u2eda": "页",  # ⻚ c-simplified leaf
    "\u2edb": "风",  # ⻛ c-simplified wind
    "\u2edc": "飞",  # ⻜ c-simplified fly
    "\u2edd": "食",  # ⻝ eat one
    "\u2edf": "飠",  # ⻟ eat three
    "\u2ee0": "饣",  # ⻠ c-simplified eat
    "\u2ee2": "马",  # ⻢ c-simplified horse
    "\u2ee3": "骨",  # ⻣ bone
    "\u2ee4": "鬼",  # ⻤ ghost
    "\u2ee5": "鱼",  # ⻥ c-simplified fish
    "\u2ee6": "鸟",  # ⻦ c-simplified bird
    "\u2ee7": "卤",  # ⻧ c-simplified salt
    "\u2ee8": "麦",  # ⻨ simplified wheat
    "\u2ee9": "黄",  # ⻩ simplified yellow
    "\u2eea": "黾",  # ⻪ c-simplified frog
    "\u2eeb": "斉",  # ⻫ j-simplified even
    "\u2eec": "齐",  # ⻬ c-simplified even
    "\u2eee": "齿",  # ⻮ c-simplified tooth
    "\u2eef": "竜",  # ⻯ j-simplified dragon
    "\u2ef0": "龙",  # ⻰ c-simplified dragon
    "\u2ef1": "龜",  # ⻱ turtle
    "\u2ef2": "亀",  # ⻲ j-simplified turtle
    "\u2ef3": "龟",  # ⻳ c-simplified turtle
}

# Kangxi radicals whose Unicode decomposition is the traditional form while simplified
# Chinese fonts draw them as (and so PDFs write them for) the simplified character:
# ⼾ decomposes to 戶, but in a mainland document it stands for 户.
KANGXI_SIMPLIFIED: dict[str, str] = {"\u2f3e": "户"}

_RANGES = (
    (0x2F00, 0x2FD5),  # Kangxi radicals
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x2F800, 0x2FA1F),  # CJK compatibility ideographs supplement
)


def _build() -> dict[int, str]:
    table: dict[int, str] = {}
    for first, last in _RANGES:
        for code in range(first, last + 1):
            folded = unicodedata.normalize("NFKC", chr(code))
            if folded != chr(code) and len(folded) == 1:
                table[code] = folded
    table.update({ord(radical): ordinary for radical, ordinary in RADICALS_SUPPLEMENT.items()})
    table.update({ord(radical): ordinary for radical, ordinary in KANGXI_SIMPLIFIED.items()})
    return table


#: str.translate table: radical or compatibility form -> ordinary character.
FOLD: dict[int, str] = _build()


def fold_cjk_forms(text: str) -> str:
    """``text`` with radicals and compatibility ideographs as ordinary characters."""
    return text.translate(FOLD)
