#!/usr/bin/env python3
"""Compare `otakit binary inspect --json` with Particle's reference tools.

For every fixture module and bundle this runs
  * the reference CLI, `particle binary inspect FILE` (one file per call: the CLI
    takes only one, so the calls run in parallel), and parses the facts it prints;
  * binary-version-reader's parser (`node bvr_oracle.js parse FILE`), whose JSON
    holds the raw prefix and suffix fields;
  * `otakit binary inspect --json` once over all the files,
and checks that every fact the reference reports is the one otakit reports.

Differences that are understood are listed in EXPECTED below with the reason and
are printed, but do not fail the test; anything else does.

Usage: interop_inspect.py --shared DIR --cli OTAKIT --oracle ORACLE_HOME
Exit status: 0 all agree, 1 an unexplained difference or a tool failed.
"""
import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib

# particle-cli's wording for module functions 0..8 (src/cmd/binary.js); the CLI
# prints function >= 9 as "an unknown module" (index 0) and a dependency on a
# function >= 9 as "undefined".
CLI_FUNCTIONS = [
    "an unknown module", "a reserved module", "a bootloader", "a monolithic firmware",
    "a system module", "an application module", "a settings module",
    "a network coprocessor (NCP) module", "a radio stack module",
]

# Why some differences are expected.  Keyed by a short tag used in the report.
EXPECTED = {
    "combined-crc": (
        "the reference reads a combined file as one module: prefix of the first part, "
        "suffix and stored CRC of the last part, CRC computed over the whole file, so it "
        "reports a CRC failure; otakit walks the parts and checks each part's own CRC "
        "(first part's prefix and last part's suffix facts are compared instead)"),
    "trailing-data": (
        "bytes follow the end address the prefix gives (padding); the reference reads the "
        "suffix and CRC from the end of the file, otakit where the module ends, as Device "
        "OS does, and reports the trailing bytes; both find the file bad"),
    "non-public-platform": (
        "particle-cli names only the platforms device-constants marks public; otakit also "
        "names the others in platforms.json (same id)"),
}

# Platform ids that particle-cli does not name (device-constants "public": false);
# filled from shared/data/platforms.json in main().
NONPUBLIC_PLATFORMS = set()


def run(cmd, cwd=None, timeout=120):
    env = dict(os.environ, NO_COLOR="1", FORCE_COLOR="0")
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


# ---------------------------------------------------------------- reference CLI

RE_COULD_NOT = re.compile(r"^Could not parse (.+?): (.*)$")
RE_NO_INFO = re.compile(r"^(.+) does not contain inspection information$")
RE_CRC_OK = re.compile(r"^ CRC is ok \(([0-9a-f]{8})\)$")
RE_CRC_BAD = re.compile(r"^ CRC failed \(should be ([0-9a-f]{8}) but is ([0-9a-f]{8})\)$")
RE_PLAT_UNK = re.compile(r"^ Compiled for unknown platform \(ID: (\d+)\)$")
RE_PLAT = re.compile(r"^ Compiled for (\S+)$")
RE_THIS = re.compile(r"^ This is (.+) number (\d+) at version (\d+)$")
RE_UUID = re.compile(r"^ It has a UUID of ([0-9a-f]{64})$")
RE_PRODUCT = re.compile(r"^ It is firmware for product id (-?\d+) at version (-?\d+)$")
RE_DEP = re.compile(r"^ It (also )?depends on (.+) number (\d+) at version (\d+)$")
RE_ASSET_MISSING = re.compile(r"^ (.+) failed \(hash should be ([0-9a-f]+) but is not in the bundle\)$")
RE_ASSET_BAD = re.compile(r"^ (.+) failed \(hash should be ([0-9a-f]+)\)$")
RE_ASSET_OK = re.compile(r"^ (.+) \(hash ([0-9a-f]+)\)$")
RE_ENV = re.compile(r"^ (.+?): (.*)$")


def parse_cli(rc, text):
    """The facts `particle binary inspect` printed, as a dict."""
    r = {"rc": rc, "error": None, "deps": [], "assets": [], "env": {}, "unparsed": []}
    section = None
    lines = [ln for ln in text.splitlines() if ln.strip()]
    for i, ln in enumerate(lines):
        m = RE_COULD_NOT.match(ln)
        if m:
            r["error"] = "could not parse: " + m.group(2)
            continue
        m = RE_NO_INFO.match(ln)
        if m:
            r["error"] = "does not contain inspection information"
            continue
        if ln == "It depends on assets:":
            section = "assets"
            continue
        if ln == "Environment variables:":
            section = "env"
            continue
        if section == "assets":
            m = RE_ASSET_MISSING.match(ln)
            if m:
                r["assets"].append((m.group(1), m.group(2), "missing"))
                continue
            m = RE_ASSET_BAD.match(ln)
            if m:
                r["assets"].append((m.group(1), m.group(2), "hash mismatch"))
                continue
            m = RE_ASSET_OK.match(ln)
            if m:
                r["assets"].append((m.group(1), m.group(2), "ok"))
                continue
        if section == "env":
            m = RE_ENV.match(ln)
            if m:
                r["env"][m.group(1)] = m.group(2)
                continue
        m = RE_CRC_OK.match(ln)
        if m:
            r["crc"] = (True, m.group(1), m.group(1))
            continue
        m = RE_CRC_BAD.match(ln)
        if m:
            r["crc"] = (False, m.group(1), m.group(2))
            continue
        m = RE_PLAT_UNK.match(ln)
        if m:
            r["platform"] = (int(m.group(1)), None)
            continue
        m = RE_PLAT.match(ln)
        if m:
            r["platform"] = (None, m.group(1))
            continue
        m = RE_THIS.match(ln)
        if m:
            r["function"] = m.group(1)
            r["index"] = int(m.group(2))
            r["version"] = int(m.group(3))
            continue
        m = RE_UUID.match(ln)
        if m:
            r["uuid"] = m.group(1)
            continue
        m = RE_PRODUCT.match(ln)
        if m:
            r["product"] = (int(m.group(1)), int(m.group(2)))
            continue
        m = RE_DEP.match(ln)
        if m:
            r["deps"].append((m.group(2), int(m.group(3)), int(m.group(4))))
            continue
        if i == 0 and not ln.startswith(" "):
            r["name"] = ln
            continue
        r["unparsed"].append(ln)
    if rc != 0 and not r["error"]:
        r["error"] = "exit status %d: %s" % (rc, " / ".join(lines[-2:]))
    return r


def cli_function_phrase(fid):
    return CLI_FUNCTIONS[fid] if fid < len(CLI_FUNCTIONS) else CLI_FUNCTIONS[0]


def cli_dep_phrase(fid):
    return CLI_FUNCTIONS[fid] if fid < len(CLI_FUNCTIONS) else "undefined"


# ---------------------------------------------------------------- comparison

class Report:
    def __init__(self, name):
        self.name = name
        self.diffs = []      # unexplained
        self.expected = []   # tags of EXPECTED differences seen
        self.checked = 0

    def eq(self, what, ref, ours):
        self.checked += 1
        if ref != ours:
            self.diffs.append("%s: reference %r, otakit %r" % (what, ref, ours))
            return False
        return True

    def note(self, tag):
        if tag not in self.expected:
            self.expected.append(tag)


def module_error(ours):
    """otakit's error text for a file, or None if it parsed."""
    if ours.get("error"):
        return ours["error"]
    mods = ours.get("modules") or []
    if not mods:
        return "no modules"
    for m in mods:
        if m.get("error"):
            return m["error"]
    return None


def why_invalid(ours):
    """A short reason why otakit finds a file invalid."""
    err = module_error(ours)
    if err:
        return err
    for m in ours.get("modules") or []:
        if not m.get("crc", {}).get("ok", True):
            return "CRC mismatch (stored %s, computed %s)" % (m["crc"]["stored"],
                                                             m["crc"]["computed"])
    probs = ours.get("problems") or []
    return probs[0] if probs else ("valid" if ours.get("valid") else "invalid")


def raw_deps(prefix):
    """The dependencies written in a bvr prefixInfo, as (fid, index, version)."""
    out = []
    for k in ("dep", "dep2"):
        f = prefix[k + "ModuleFunction"]
        if f:
            out.append((f, prefix[k + "ModuleIndex"], prefix[k + "ModuleVersion"]))
    return out


def our_deps(mod):
    return [(d["function_id"], d["index"], d["version"]) for d in mod.get("dependencies", [])]


def compare_cli(rep, cli, ours, data, bvr):
    err = module_error(ours)
    if cli["error"]:
        # The reference refuses the file: otakit must find it invalid too.
        rep.checked += 1
        if ours.get("valid") is not False:
            rep.diffs.append("reference rejects (%s) but otakit finds it valid" % cli["error"])
        return
    if err:
        rep.diffs.append("reference reads it but otakit reports: %s" % err)
        return
    for ln in cli["unparsed"]:
        rep.diffs.append("unrecognised reference output line %r" % ln)
    mods = ours["modules"]
    first, last = mods[0], mods[-1]
    combined = len(mods) > 1

    ok, stored, computed = cli["crc"]
    if combined:
        rep.note("combined-crc")
        rep.eq("combined: reference CRC verdict", False, ok)
        rep.eq("combined: stored CRC (last part)", stored, last["crc"]["stored"])
        rep.eq("combined: reference CRC over the whole file", computed,
               "%08x" % zlib.crc32(data[:-4]))
        for i, m in enumerate(mods):
            rep.eq("combined: part %d CRC ok" % (i + 1), True, m["crc"]["ok"])
    else:
        rep.eq("CRC ok", ok, first["crc"]["ok"])
        rep.eq("CRC stored", stored, first["crc"]["stored"])
        rep.eq("CRC computed", computed, first["crc"]["computed"])

    pid, pname = cli["platform"]
    if pname is not None:
        rep.eq("platform name", pname, first["platform"]["name"])
    else:
        rep.eq("platform id", pid, first["platform"]["id"])
        if first["platform"]["name"] is not None and pid in NONPUBLIC_PLATFORMS:
            rep.note("non-public-platform")
        else:
            rep.eq("platform name (unknown)", None, first["platform"]["name"])
    rep.eq("function", cli["function"], cli_function_phrase(first["function_id"]))
    rep.eq("index", cli["index"], first["index"])
    rep.eq("version", cli["version"], first["version"])
    rep.eq("UUID", cli.get("uuid"), last["sha256"]["stored"])

    # The CLI prints the product line unless id or version is 0xFFFF;
    # binary-version-reader gives -1/-1 when the suffix is too short to hold them.
    prod = last.get("product")
    if prod is None:
        want = (-1, -1)
    elif prod["id"] != 0xFFFF and prod["version"] != 0xFFFF:
        want = (prod["id"], prod["version"])
    else:
        want = None
    rep.eq("product", cli.get("product"), want)

    ref_deps = [(ph, i, v) for ph, i, v in cli["deps"]]
    ours_ph = [(cli_dep_phrase(f), i, v) for f, i, v in our_deps(first)]
    rep.eq("dependencies", ref_deps, ours_ph)

    if ours.get("type") == "bundle":
        mine = [(a["name"], a["hash"], a["status"]) for a in ours.get("assets", [])
                if a["status"] != "extra"]
    else:
        # A bare .bin has no assets beside it: the reference reports each as missing.
        mine = [(a["name"], a["hash"], "missing") for a in first.get("assets", [])]
    rep.eq("asset dependencies", cli["assets"], mine)
    if cli["env"]:
        rep.eq("env.json present", True, "env_json" in ours)


def hexaddr(s):
    return int(s, 16)


def compare_ext(rep, where, ref_exts, our_exts, base):
    ref_exts = ref_exts or []
    our_exts = our_exts or []
    if not rep.eq("%s extension count" % where, len(ref_exts), len(our_exts)):
        return
    for i, (r, o) in enumerate(zip(ref_exts, our_exts)):
        w = "%s extension %d" % (where, i)
        rep.eq(w + " type", r["type"], o["type_id"])
        rep.eq(w + " length", r["length"], o["length"])
        rep.eq(w + " offset", r["offset"], o["offset"] + base)
        t = r["type"]
        if t == 1:
            rep.eq(w + " product id", r["productId"], o.get("product_id"))
            rep.eq(w + " product version", r["productVersion"], o.get("product_version"))
        elif t == 2:
            rep.eq(w + " module start", hexaddr(r["moduleStartAddress"]), hexaddr(o["module_start"]))
            rep.eq(w + " dynalib load", hexaddr(r["dynalibLoadAddress"]), hexaddr(o["dynalib_load"]))
            rep.eq(w + " dynalib start", hexaddr(r["dynalibStartAddress"]), hexaddr(o["dynalib_ram"]))
        elif t in (16, 18):
            rep.eq(w + " hash type", r["hashType"], o.get("hash_type"))
            rep.eq(w + " hash", r["hash"], o.get("hash"))
            if t == 18:
                rep.eq(w + " name", r["name"], o.get("name"))
        elif t == 17:
            rep.eq(w + " name", r["name"], o.get("name"))
        elif t == 19:
            rep.eq(w + " security mode", r["securityMode"], o.get("mode"))
            cert = r.get("certificate")
            rep.eq(w + " certificate size", len(cert) // 2 if cert else None,
                   o.get("certificate_size"))


def compare_bvr(rep, bvr, ours, data):
    err = module_error(ours)
    if "error" in bvr:
        rep.checked += 1
        if ours.get("valid") is not False:
            rep.diffs.append("binary-version-reader rejects (%s) but otakit finds it valid"
                             % bvr["error"])
        return
    if err:
        # Only acceptable when the reference's own figures show the file is broken.
        s = bvr["suffixInfo"]
        if s["suffixSize"] == 0xFFFF or not bvr["crc"]["ok"]:
            rep.checked += 1
            return
        rep.diffs.append("binary-version-reader reads it but otakit reports: %s" % err)
        return
    mods = ours["modules"]
    first, last = mods[0], mods[-1]
    p, s, c = bvr["prefixInfo"], bvr["suffixInfo"], bvr["crc"]
    rep.eq("prefixOffset", p["prefixOffset"], first["prefix_offset"])
    rep.eq("prefixSize", p["prefixSize"], first["prefix_size"])
    rep.eq("moduleStartAddy", hexaddr(p["moduleStartAddy"]), hexaddr(first["start"]))
    rep.eq("moduleEndAddy", hexaddr(p["moduleEndAddy"]), hexaddr(first["end"]))
    rep.eq("reserved (MCU target)", p["reserved"], first["mcu_target"])
    rep.eq("moduleFlags", p["moduleFlags"], first["flags"])
    rep.eq("moduleVersion", p["moduleVersion"], first["version"])
    rep.eq("platformID", p["platformID"], first["platform"]["id"])
    rep.eq("moduleFunction", p["moduleFunction"], first["function_id"])
    rep.eq("moduleIndex", p["moduleIndex"], first["index"])
    ref = raw_deps(p)
    ours_d = our_deps(first)
    rep.eq("dependencies", ref, ours_d)
    compare_ext(rep, "prefix", p.get("extensions"), first.get("prefix_extensions"),
                first.get("offset", 0))

    # Suffix facts come from the end of the file, i.e. from the last part.
    if last["offset"] + last["size"] < len(data):
        # Bytes after the end the prefix gives: the reference still reads the suffix
        # and CRC from the end of the file.  Check that it did, and that otakit saw the
        # file as invalid, then stop: the two readers looked at different bytes.
        rep.note("trailing-data")
        rep.eq("suffixSize read at the file end", s["suffixSize"],
               int.from_bytes(data[-6:-4], "little"))
        rep.eq("fwUniqueId read at the file end", s["fwUniqueId"], data[-38:-6].hex())
        rep.eq("storedCrc read at the file end", c["storedCrc"], data[-4:].hex())
        rep.eq("crc.ok (file end)", False, c["ok"])
        rep.eq("otakit finds the file invalid", False, ours.get("valid"))
        return
    rep.eq("suffixSize", s["suffixSize"], last["suffix_size"])
    rep.eq("fwUniqueId", s["fwUniqueId"], last["sha256"]["stored"])
    prod = last.get("product")
    rep.eq("productId/productVersion", (s["productId"], s["productVersion"]),
           (-1, -1) if prod is None else (prod["id"], prod["version"]))
    compare_ext(rep, "suffix", s.get("extensions"), last.get("suffix_extensions"),
                last.get("offset", 0))
    if len(mods) > 1:
        rep.note("combined-crc")
        rep.eq("combined: crc.ok", False, c["ok"])
        rep.eq("combined: storedCrc", c["storedCrc"], last["crc"]["stored"])
        rep.eq("combined: actualCrc", c["actualCrc"], "%08x" % zlib.crc32(data[:-4]))
    else:
        rep.eq("crc.ok", c["ok"], first["crc"]["ok"])
        rep.eq("storedCrc", c["storedCrc"], first["crc"]["stored"])
        rep.eq("actualCrc", c["actualCrc"], first["crc"]["computed"])
    ref_assets = [(a["name"], a["hash"], a["hashType"]) for a in bvr.get("assets") or []]
    rep.eq("assets", ref_assets,
           [(a["name"], a["hash"], a.get("hash_type", 0)) for a in first.get("assets", [])])


# ---------------------------------------------------------------- driver

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", required=True)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--oracle", required=True)
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("OTK_INTEROP_JOBS", "0")))
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    t0 = time.monotonic()

    fx = os.path.join(args.shared, "fixtures", "particle")
    with open(os.path.join(args.shared, "data", "platforms.json")) as f:
        NONPUBLIC_PLATFORMS.update(p["id"] for p in json.load(f)["platforms"]
                                   if not p.get("public", True))
    files = []
    for sub, ok in (("binaries", lambda n: True), ("golden", lambda n: True),
                    ("bundles", lambda n: n.endswith(".zip"))):
        d = os.path.join(fx, sub)
        for n in sorted(os.listdir(d)):
            if ok(n) and os.path.isfile(os.path.join(d, n)):
                files.append((sub + "/" + n, os.path.join(d, n)))
    if not files:
        print("FAIL: no fixtures found under", fx)
        return 1

    node = os.path.join(args.oracle, "node")
    particle = os.path.join(args.oracle, "particle")
    bvr_js = os.path.join(args.oracle, "npm", "bvr_oracle.js")
    jobs = args.jobs or (os.cpu_count() or 2) + 2

    with tempfile.TemporaryDirectory(prefix="otk-interop-") as tmp:
        # particle-cli wants a project.properties in the working directory.
        open(os.path.join(tmp, "project.properties"), "w").close()

        # binary-version-reader parses modules only: give it a bundle's application.
        bvr_input = {}
        for name, path in files:
            if name.endswith(".zip"):
                try:
                    with zipfile.ZipFile(path) as z:
                        apps = [i for i in z.namelist() if "/" not in i and i.endswith(".bin")]
                        if apps:
                            out = os.path.join(tmp, name.replace("/", "_") + "-" + apps[0])
                            with open(out, "wb") as f:
                                f.write(z.read(apps[0]))
                            bvr_input[name] = out
                except zipfile.BadZipFile:
                    pass
            else:
                bvr_input[name] = path

        def cli_job(item):
            name, path = item
            rc, out, err = run([particle, "binary", "inspect", "--no-update-check", path], cwd=tmp)
            return name, parse_cli(rc, out + err), out + err

        def bvr_job(item):
            name, path = item
            rc, out, err = run([node, bvr_js, "parse", path], cwd=tmp)
            if rc != 0:
                m = re.search(r"ERROR (\S+) (.*)", err)
                return name, {"error": m.group(2) if m else err.strip()}
            return name, json.loads(out)

        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
            cli_f = [ex.submit(cli_job, it) for it in files]
            bvr_f = [ex.submit(bvr_job, it) for it in bvr_input.items()]
            rc, out, err = run([args.cli, "binary", "inspect", "--json"] + [p for _, p in files])
            if rc not in (0, 1):
                print("FAIL: otakit binary inspect exited %d: %s" % (rc, err.strip()))
                return 1
            try:
                ours_all = json.loads(out)
            except ValueError as e:
                print("FAIL: otakit binary inspect --json printed invalid JSON (%s)" % e)
                return 1
            cli_res = {r[0]: r for r in (f.result() for f in cli_f)}
            bvr_res = dict(f.result() for f in bvr_f)

    if len(ours_all) != len(files):
        print("FAIL: otakit described %d files, expected %d" % (len(ours_all), len(files)))
        return 1

    failed = 0
    seen_expected = set()
    for (name, path), ours in zip(files, ours_all):
        with open(path, "rb") as f:
            data = f.read()
        rep = Report(name)
        cli, cli_text = cli_res[name][1], cli_res[name][2]
        bvr = bvr_res.get(name)
        compare_cli(rep, cli, ours, data, bvr)
        if bvr is not None:
            compare_bvr(rep, bvr, ours, data)
        if cli["error"]:
            state = "both reject (reference: %s; otakit: %s)" % (cli["error"], why_invalid(ours))
        else:
            nmods = len(ours.get("modules") or [])
            state = "%d facts" % rep.checked + (", %d parts" % nmods if nmods > 1 else "")
        if rep.expected:
            state += "; expected difference: " + ", ".join(rep.expected)
            seen_expected.update(rep.expected)
        if rep.diffs:
            failed += 1
            print("DIFFER %-55s %s" % (name, state))
            for d in rep.diffs:
                print("         - " + d)
            if args.verbose:
                print("         reference said:\n" + "\n".join(
                    "           | " + ln for ln in cli_text.splitlines()))
        else:
            print("agree  %-55s %s" % (name, state))

    if seen_expected:
        print("\nExpected differences:")
        for tag in sorted(seen_expected):
            print("  %s: %s" % (tag, EXPECTED[tag]))
    print("\n%d files, %d differ; %.1f s (%d parallel reference calls)"
          % (len(files), failed, time.monotonic() - t0, jobs))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
