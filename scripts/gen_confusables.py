#!/usr/bin/env python3
"""Writes Sources/Redaction/ConfusablesTable.swift: Unicode TR39 confusable skeletons, one entry per
non-ASCII scalar whose skeleton is not already its NFD form.

Source: ICU's uspoof (uspoof_getSkeletonUTF8), i.e. the confusables.txt data that ICU compiles in, from
Debian's libicu (apt-get install libicu-dev). Run from the repository root:

    python3 scripts/gen_confusables.py [--icu-version 72] > Sources/Redaction/ConfusablesTable.swift

The header records the ICU and Unicode versions. Entries are kept when the skeleton holds a letter or a
digit (a separator-only skeleton, e.g. a space or a dash, adds nothing: the folder has its own separators).

Scalars that change under NFKD are left out (the folder decomposes first and looks up the parts), and
so are those the folder already folds to the same letters.

Flags per entry (how Sources/Redaction/Confusables.swift uses it):
  r  the redactor folds with it too (source is a letter, target Latin letters only, outside the
     scripts the folder treats as boundary-free: Han, Kana, Hangul, …): "Кim", "ꓙꓳꓠꓖ", "ᎫᎾNG" are redacted.
  i  as r, but the redactor reads the vertical stroke as "i" (the skeleton says "l"): the source is
     named as a letter I (LISU LETTER I, …); the leak check keeps "l" (it folds i and l together anyway).
  (none) the leak check's skeleton only (symbols such as ∨ → v, digits such as Bengali ৪ → 8, Ʒ → 3).
"""
import argparse, ctypes, sys, unicodedata

ap = argparse.ArgumentParser()
ap.add_argument("--icu-version", default="72")
args = ap.parse_args()
v = args.icu_version
i18n = ctypes.CDLL(f"libicui18n.so.{v}")
uc = ctypes.CDLL(f"libicuuc.so.{v}")
def fn(lib, name, restype, argtypes):
    f = getattr(lib, f"{name}_{v}")
    f.restype, f.argtypes = restype, argtypes
    return f
open_ = fn(i18n, "uspoof_open", ctypes.c_void_p, [ctypes.POINTER(ctypes.c_int)])
skeleton_ = fn(i18n, "uspoof_getSkeletonUTF8", ctypes.c_int32,
               [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_char_p, ctypes.c_int32, ctypes.c_char_p, ctypes.c_int32,
                ctypes.POINTER(ctypes.c_int)])
unicode_version_ = fn(uc, "u_getUnicodeVersion", None, [ctypes.c_uint8 * 4])
icu_version_ = fn(uc, "u_getVersion", None, [ctypes.c_uint8 * 4])

err = ctypes.c_int(0)
checker = open_(ctypes.byref(err))
if err.value > 0:
    sys.exit(f"uspoof_open failed: {err.value}")

def version(f):
    b = (ctypes.c_uint8 * 4)()
    f(b)
    return f"{b[0]}.{b[1]}" + (f".{b[2]}" if b[2] else "")

buf = ctypes.create_string_buffer(1024)
def skeleton(s):
    data = s.encode("utf-8", "surrogatepass")
    e = ctypes.c_int(0)
    n = skeleton_(checker, 0, data, len(data), buf, len(buf), ctypes.byref(e))
    if e.value > 0:
        return None
    return buf.raw[:n].decode("utf-8")

def boundary_free(cp):
    """Scripts the folder treats as having no word boundaries (Folder.isNoBoundaryScript), plus Hangul
    compatibility and half-width jamo, which the folder composes itself."""
    return (0x0E00 <= cp <= 0x0EFF or 0x1000 <= cp <= 0x109F or 0x1100 <= cp <= 0x11FF or 0x1780 <= cp <= 0x17FF
            or 0x2E80 <= cp <= 0x2FDF or 0x3000 <= cp <= 0x31FF or 0x3400 <= cp <= 0x4DBF or 0x4E00 <= cp <= 0x9FFF
            or 0xA960 <= cp <= 0xA97F or 0xAC00 <= cp <= 0xD7FF or 0xF900 <= cp <= 0xFAFF or 0xFF66 <= cp <= 0xFFDC
            or 0x20000 <= cp <= 0x3FFFF)

def fold(s):
    """Roughly what the folder makes of text: NFKD, lower case, no marks."""
    out = []
    for ch in unicodedata.normalize("NFKD", s).lower():
        if unicodedata.category(ch).startswith("M"):
            continue
        out.append(ch)
    return "".join(out)

def is_letter_or_digit(ch):
    c = unicodedata.category(ch)
    return c.startswith("L") or c == "Nd" or c == "No" or c == "Nl"

I_NAMES = (" LETTER I", " IOTA", "PALOCHKA", "LETTER YI", "DOTLESS I", "CAPITAL I", "SMALL CAPITAL I")

entries = []
for cp in range(0x80, 0x110000):
    if 0xD800 <= cp <= 0xDFFF:
        continue
    ch = chr(cp)
    cat = unicodedata.category(ch)
    if cat in ("Cn", "Co", "Cs"):
        continue
    # The folder looks scalars up after compatibility decomposition and case folding, so a scalar
    # that decomposes is never looked up itself (its parts are).
    if unicodedata.normalize("NFKD", ch) != ch:
        continue
    sk = skeleton(ch)
    if sk is None or sk == unicodedata.normalize("NFD", ch):
        continue
    target = fold(sk)
    if target == fold(ch) or not any(is_letter_or_digit(t) for t in target):
        continue
    if boundary_free(cp) or any(boundary_free(ord(t)) for t in sk):
        continue
    flag = ""
    # The redactor maps only lookalikes of Latin letters (rule terms are Latin, Hangul or Han; the
    # other scripts' own lookalikes stay apart, so their words are never merged with one another).
    letters_only = all(unicodedata.category(t).startswith("L") and unicodedata.name(t, "").startswith("LATIN")
                       for t in target)
    # Letters only: a symbol that looks like a letter (× ∨ ∣) is as often a separator ("Jong×yol").
    if cat.startswith("L") and letters_only:
        flag = "r"
        if target == "l":
            name = unicodedata.name(ch, "")
            if any(n in name for n in I_NAMES) or name.endswith(" I"):
                flag = "i"
    entries.append((cp, [ord(t) for t in sk], flag))

icu = version(icu_version_)
uni = version(unicode_version_)
lines = []
for cp, tgt, flag in entries:
    lines.append(f"{cp:X}:" + "+".join(f"{t:X}" for t in tgt) + (f":{flag}" if flag else ""))

print(f"""// Generated by scripts/gen_confusables.py from ICU {icu} (Unicode {uni}) uspoof skeletons (UTS #39
// confusables.txt as compiled into ICU; Debian libicu-dev). Do not edit: run the script again.
// {len(entries)} entries "SOURCE:TARGET[+TARGET…][:FLAG]" in hex; flags in the script and in Confusables.swift.

enum ConfusablesTable {{
    static let icuVersion = "{icu}"
    static let unicodeVersion = "{uni}"
    static let entries = \"\"\"""")
row = []
width = 0
for item in lines:
    if width + len(item) + 1 > 112:
        print("        " + " ".join(row))
        row, width = [], 0
    row.append(item)
    width += len(item) + 1
if row:
    print("        " + " ".join(row))
print('        """')
print("}")
