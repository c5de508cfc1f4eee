#!/usr/bin/env python3
"""Generate core/src/platform_table.c from platforms.json.

platforms.json holds the platform facts of @particle/device-constants
(ids, names, USB/DFU identity, firmware module limits, asset limits).  The
portable core cannot parse JSON on a device, so this script turns those facts
into constant C data that the core compiles in.

    python3 scripts/gen_platforms.py [platforms.json]          # rewrite the table
    python3 scripts/gen_platforms.py --check [platforms.json]  # exit 1 if stale

The default source is ../shared/data/platforms.json next to the checkout.
The output is a pure function of the JSON: same input, same bytes.
"""

import argparse
import difflib
import json
import os
import re
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SOURCE = os.path.join(REPO_ROOT, "..", "shared", "data", "platforms.json")
DEFAULT_OUTPUT = os.path.join(REPO_ROOT, "core", "src", "platform_table.c")
OUTPUT_REL = "core/src/platform_table.c"

# device-constants baseMcu -> enum otk_mcu.  An unknown value stops the
# generator: a new MCU family deserves a deliberate decision, not a default.
MCU = {
    "stm32f1xx": "OTK_MCU_STM32F1",
    "stm32f2xx": "OTK_MCU_STM32F2",
    "nrf52840": "OTK_MCU_NRF52840",
    "rtl872x": "OTK_MCU_RTL872X",
    "esp32xx": "OTK_MCU_ESP32",
    "esp8266": "OTK_MCU_ESP8266",
    "nrf51": "OTK_MCU_NRF51",
    "gcc": "OTK_MCU_HOST",
    "raspi": "OTK_MCU_HOST",
    "qcm6490": "OTK_MCU_HOST",
    "unknown": "OTK_MCU_HOST",
}

# firmwareModules[].type -> module_function (enum otk_module_function).
FUNCTION = {
    "bootloader": "OTK_FUNC_BOOTLOADER",
    "monoFirmware": "OTK_FUNC_MONO",
    "systemPart": "OTK_FUNC_SYSTEM",
    "userPart": "OTK_FUNC_USER",
    "ncpFirmware": "OTK_FUNC_NCP",
    "radioStack": "OTK_FUNC_RADIO_STACK",
}

STORAGE = {
    "internalFlash": "OTK_STORAGE_INTERNAL",
    "externalFlash": "OTK_STORAGE_EXTERNAL",
    "externalMcu": "OTK_STORAGE_EXTERNAL_MCU",
}


class SourceError(Exception):
    pass


def num(value, what, bits):
    """Parses a device-constants number ("0x2b04", "2977" or an int)."""
    if isinstance(value, bool):
        raise SourceError("%s: expected a number, got %r" % (what, value))
    if isinstance(value, int):
        n = value
    elif isinstance(value, str):
        try:
            n = int(value, 0)
        except ValueError:
            raise SourceError("%s: not a number: %r" % (what, value))
    else:
        raise SourceError("%s: expected a number, got %r" % (what, value))
    if n < 0 or n >= (1 << bits):
        raise SourceError("%s: %d does not fit in %d bits" % (what, n, bits))
    return n


def c_string(s):
    if not isinstance(s, str):
        raise SourceError("expected a string, got %r" % (s,))
    out = []
    for ch in s:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif 0x20 <= ord(ch) < 0x7F:
            out.append(ch)
        else:
            for b in ch.encode("utf-8"):
                out.append("\\%03o" % b)
    return '"' + "".join(out) + '"'


def c_ident(name):
    ident = re.sub(r"[^0-9A-Za-z_]", "_", name)
    if not ident or ident[0].isdigit():
        ident = "p_" + ident
    return ident


def c_bool(b):
    return "true" if b else "false"


def usb_ids(obj, what):
    """(present, vid, pid); an id pair of 0:0 means the platform has none."""
    if not isinstance(obj, dict) or "vendorId" not in obj:
        return False, 0, 0
    vid = num(obj["vendorId"], what + ".vendorId", 16)
    pid = num(obj.get("productId", 0), what + ".productId", 16)
    return (vid != 0 or pid != 0), vid, pid


def generate(data, source_name):
    if not isinstance(data, dict) or not isinstance(data.get("platforms"), list):
        raise SourceError("top level must be an object with a 'platforms' list")
    platforms = sorted(data["platforms"], key=lambda p: p.get("id", -1))

    seen_ids = set()
    seen_names = {}
    idents = set()
    decls = []
    entries = []

    for p in platforms:
        pid = num(p.get("id"), "platform id", 16)
        name = p.get("name")
        where = "platform %d" % pid
        if not isinstance(name, str) or not name:
            raise SourceError("%s: missing name" % where)
        where = "platform %d (%s)" % (pid, name)
        if pid in seen_ids:
            raise SourceError("%s: duplicate id" % where)
        seen_ids.add(pid)

        ident = c_ident(name)
        if ident in idents:
            raise SourceError("%s: C identifier %s used twice" % (where, ident))
        idents.add(ident)

        # Names and aliases share one case-insensitive namespace, because
        # otk_platform_by_name() accepts either.
        aliases = p.get("aliases") or []
        for n in [name] + list(aliases):
            key = n.lower()
            if key in seen_names and seen_names[key] != pid:
                raise SourceError("%s: name or alias %r already names platform %d"
                                  % (where, n, seen_names[key]))
            seen_names[key] = pid

        gen = p.get("generation")
        if not isinstance(gen, int) or isinstance(gen, bool) or not -128 <= gen <= 127:
            raise SourceError("%s: bad generation %r" % (where, gen))
        base_mcu = p.get("baseMcu")
        if base_mcu not in MCU:
            raise SourceError("%s: unknown baseMcu %r (add it to MCU in %s)"
                              % (where, base_mcu, os.path.basename(__file__)))

        # Aliases: always a NULL-terminated array, never a NULL pointer.
        alias_list = [a for a in aliases if isinstance(a, str)]
        if len(alias_list) != len(aliases):
            raise SourceError("%s: aliases must be strings" % where)
        items = "".join(c_string(a) + ", " for a in alias_list)
        decls.append("static const char *const aliases_%s[] = { %sNULL };"
                      % (ident, items))

        has_usb, usb_vid, usb_pid = usb_ids(p.get("usb"), where + " usb")
        dfu = p.get("dfu") if isinstance(p.get("dfu"), dict) else {}
        has_dfu, dfu_vid, dfu_pid = usb_ids(dfu, where + " dfu")

        segments = dfu.get("segments") or {}
        if not isinstance(segments, dict):
            raise SourceError("%s: dfu.segments must be an object" % where)
        if len(segments) > 255:
            raise SourceError("%s: too many dfu segments" % where)
        if segments:
            lines = ["static const struct otk_dfu_segment segments_%s[] = {" % ident]
            for sname, seg in segments.items():
                sw = "%s segment %s" % (where, sname)
                lines.append(
                    "\t{ .name = %s, .address = 0x%08xu, .alt = %d, .size = %du },"
                    % (c_string(sname), num(seg.get("address"), sw + " address", 32),
                       num(seg.get("alt", 0), sw + " alt", 8),
                       num(seg.get("size", 0), sw + " size", 32)))
            lines.append("};")
            decls.append("\n".join(lines))

        modules = p.get("firmwareModules") or []
        if len(modules) > 255:
            raise SourceError("%s: too many firmware modules" % where)
        if modules:
            lines = ["static const struct otk_platform_module modules_%s[] = {" % ident]
            for i, m in enumerate(modules):
                mw = "%s firmwareModules[%d]" % (where, i)
                mtype = m.get("type")
                if mtype not in FUNCTION:
                    raise SourceError("%s: unknown module type %r (add it to FUNCTION in %s)"
                                      % (mw, mtype, os.path.basename(__file__)))
                storage = m.get("storage", "internalFlash")
                if storage not in STORAGE:
                    raise SourceError("%s: unknown storage %r" % (mw, storage))
                index = m.get("index", -1)
                if index != -1:
                    index = num(index, mw + " index", 7)
                lines.append(
                    "\t{ .function = %s, .index = %d, .storage = %s,\n"
                    "\t  .grows_left = %s, .encrypted = %s, .max_size = %du },"
                    % (FUNCTION[mtype], index, STORAGE[storage],
                       c_bool(m.get("growsLeft", False)), c_bool(m.get("encrypted", False)),
                       num(m.get("maxSize", 0), mw + " maxSize", 32)))
            lines.append("};")
            decls.append("\n".join(lines))

        e = ["\t{"]
        e.append("\t\t.id = %d," % pid)
        e.append("\t\t.generation = %d," % gen)
        e.append("\t\t.mcu = %s," % MCU[base_mcu])
        e.append("\t\t.name = %s," % c_string(name))
        e.append("\t\t.display_name = %s," % c_string(p.get("displayName", name)))
        e.append("\t\t.aliases = aliases_%s," % ident)
        e.append("\t\t.base_mcu = %s," % c_string(base_mcu))
        e.append("\t\t.is_public = %s," % c_bool(p.get("public", False)))
        e.append("\t\t.product_eligible = %s," % c_bool(p.get("productEligible", False)))
        e.append("\t\t.has_usb = %s," % c_bool(has_usb))
        e.append("\t\t.has_dfu = %s," % c_bool(has_dfu))
        e.append("\t\t.usb_vid = 0x%04x, .usb_pid = 0x%04x," % (usb_vid, usb_pid))
        e.append("\t\t.dfu_vid = 0x%04x, .dfu_pid = 0x%04x," % (dfu_vid, dfu_pid))
        if segments:
            e.append("\t\t.segments = segments_%s, .nsegments = %d," % (ident, len(segments)))
        else:
            e.append("\t\t.segments = NULL, .nsegments = 0,")
        if modules:
            e.append("\t\t.modules = modules_%s, .nmodules = %d," % (ident, len(modules)))
        else:
            e.append("\t\t.modules = NULL, .nmodules = 0,")
        assets = p.get("assets")
        if isinstance(assets, dict):
            aw = where + " assets"
            e.append("\t\t.has_assets = true,")
            e.append("\t\t.assets = {")
            e.append("\t\t\t.block_size = %du," % num(assets.get("blockSize"), aw + ".blockSize", 32))
            e.append("\t\t\t.total_blocks = %du,"
                     % num(assets.get("storageTotalBlocks"), aw + ".storageTotalBlocks", 32))
            e.append("\t\t\t.max_single_asset = %du,"
                     % num(assets.get("maxSingleAssetSize"), aw + ".maxSingleAssetSize", 32))
            e.append("\t\t\t.per_block_overhead = %du,"
                     % num(assets.get("assetPerBlockOverhead", 0), aw + ".assetPerBlockOverhead", 32))
            e.append("\t\t\t.overhead = %du,"
                     % num(assets.get("assetOverhead", 0), aw + ".assetOverhead", 32))
            e.append("\t\t\t.reserved_blocks = %du,"
                     % num(assets.get("reservedBlocks", 0), aw + ".reservedBlocks", 32))
            e.append("\t\t},")
        else:
            e.append("\t\t.has_assets = false,")
        e.append("\t},")
        entries.append("\n".join(e))

    source = data.get("source", "unknown source")
    out = []
    out.append("/*")
    out.append(" * Particle platform table.")
    out.append(" *")
    out.append(" * GENERATED FILE, DO NOT EDIT.  Written by scripts/gen_platforms.py from")
    out.append(" * %s (%s)." % (source_name, source))
    out.append(" * To change it, update the source data and run")
    out.append(" *     python3 scripts/gen_platforms.py [path/to/platforms.json]")
    out.append(" * The unit test test_platform runs the generator with --check to make sure")
    out.append(" * this file matches its source.")
    out.append(" */")
    out.append("#include <stdbool.h>")
    out.append("#include <stddef.h>")
    out.append("")
    out.append('#include "otk/module.h"')
    out.append('#include "otk/platform.h"')
    out.append("")
    out.append("/* platform.c, the only user of the table, declares these too. */")
    out.append("extern const struct otk_platform otk_platform_table[];")
    out.append("extern const size_t otk_platform_table_len;")
    out.append("")
    out.append("\n\n".join(decls))
    out.append("")
    out.append("/* Sorted by id. */")
    out.append("const struct otk_platform otk_platform_table[] = {")
    out.append("\n".join(entries))
    out.append("};")
    out.append("")
    out.append("const size_t otk_platform_table_len =")
    out.append("\tsizeof otk_platform_table / sizeof otk_platform_table[0];")
    return "\n".join(out) + "\n"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", nargs="?", default=DEFAULT_SOURCE,
                    help="platforms.json (default: ../shared/data/platforms.json "
                         "beside the checkout)")
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if the committed table differs")
    ap.add_argument("-o", "--output", default=DEFAULT_OUTPUT,
                    help="output file (default: %s)" % OUTPUT_REL)
    args = ap.parse_args(argv)

    try:
        with open(args.source, "r", encoding="utf-8") as f:
            data = json.load(f)
    except OSError as e:
        print("gen_platforms: %s: %s" % (args.source, e.strerror), file=sys.stderr)
        return 2
    except ValueError as e:
        print("gen_platforms: %s: not valid JSON: %s" % (args.source, e), file=sys.stderr)
        return 2
    try:
        text = generate(data, os.path.basename(args.source))
    except SourceError as e:
        print("gen_platforms: %s: %s" % (args.source, e), file=sys.stderr)
        return 2

    if args.check:
        try:
            with open(args.output, "r", encoding="utf-8", newline="") as f:
                current = f.read()
        except OSError as e:
            print("gen_platforms: %s: %s" % (args.output, e.strerror), file=sys.stderr)
            return 1
        if current == text:
            return 0
        print("gen_platforms: %s is out of date with %s; regenerate it with\n"
              "    python3 scripts/gen_platforms.py %s"
              % (args.output, args.source, args.source), file=sys.stderr)
        diff = difflib.unified_diff(current.splitlines(True), text.splitlines(True),
                                    "committed", "generated", n=1)
        shown = 0
        for line in diff:
            if shown >= 40:
                print("...", file=sys.stderr)
                break
            sys.stderr.write(line)
            shown += 1
        return 1

    tmp = args.output + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.replace(tmp, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
