// Trunk's post_build hook (Trunk.toml): on release builds, reorders the functions of the app's
// WebAssembly so that it compresses better, without changing any code.
//
// Rust compiles one copy of a generic function per type it is used with (a BTreeMap insert per key
// and value type, a Yew component's lifecycle per component). Those copies are alike, and brotli
// finds likeness best when it is close by. wasm-opt (-Oz -g, see index.html) keeps the functions'
// names; this script sorts the functions by name without the symbol's hash, and the copies of one
// name by their bytes, with wasm-opt's --reorder-functions-by-name over names that encode that
// order, then strips the names. 4.2 KiB of brotli less than sorting by name alone, measured.
// Trunk has already written the wasm's integrity hash into index.html, so that hash is rewritten.
//
// Run by Trunk with TRUNK_PROFILE and TRUNK_STAGING_DIR set; does nothing for debug builds.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const WASM_OPT = [join(ROOT, "tools/node_modules/.bin/wasm-opt"), "wasm-opt"].find((p) => p === "wasm-opt" || existsSync(p));

/** The unsigned LEB128 number at `bytes[at]`: [value, position after it]. */
function leb(bytes, at) {
  let value = 0, shift = 0, byte;
  do { byte = bytes[at++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
  return [value, at];
}

function encodeLeb(value) {
  const out = [];
  do { let byte = value & 0x7f; value = Math.floor(value / 128); if (value) byte |= 0x80; out.push(byte); } while (value);
  return Buffer.from(out);
}

/** The module's sections except "name", the number of imported functions, the function bodies
 *  and the function names (by function index). */
function readModule(bytes) {
  const sections = [], bodies = [], names = new Map();
  let importedFunctions = 0, at = 8;
  while (at < bytes.length) {
    const start = at, id = bytes[at++];
    let length; [length, at] = leb(bytes, at);
    const end = at + length;
    let isNames = false;
    if (id === 2) {
      let count; [count, at] = leb(bytes, at);
      for (let i = 0; i < count; i++) {
        for (let field = 0; field < 2; field++) { let n; [n, at] = leb(bytes, at); at += n; }
        const kind = bytes[at++];
        if (kind === 0) { [, at] = leb(bytes, at); importedFunctions++; }
        else if (kind === 1) { at++; let flags; [flags, at] = leb(bytes, at); [, at] = leb(bytes, at); if (flags & 1) [, at] = leb(bytes, at); }
        else if (kind === 2) { let flags; [flags, at] = leb(bytes, at); [, at] = leb(bytes, at); if (flags & 1) [, at] = leb(bytes, at); }
        else if (kind === 3) at += 2;
        else if (kind === 4) { at++; [, at] = leb(bytes, at); }
      }
    } else if (id === 10) {
      let count; [count, at] = leb(bytes, at);
      for (let i = 0; i < count; i++) { let size; [size, at] = leb(bytes, at); bodies.push(bytes.subarray(at, at + size)); at += size; }
    } else if (id === 0) {
      let n; [n, at] = leb(bytes, at);
      if (bytes.subarray(at, at + n).toString() === "name") {
        isNames = true;
        at += n;
        while (at < end) {
          const sub = bytes[at++];
          let subLength; [subLength, at] = leb(bytes, at);
          const subEnd = at + subLength;
          if (sub === 1) {
            let count; [count, at] = leb(bytes, at);
            for (let i = 0; i < count; i++) {
              let index, size; [index, at] = leb(bytes, at); [size, at] = leb(bytes, at);
              names.set(index, bytes.subarray(at, at + size).toString()); at += size;
            }
          }
          at = subEnd;
        }
      }
    }
    if (!isNames) sections.push(bytes.subarray(start, end));
    at = end;
  }
  return { sections, importedFunctions, bodies, names };
}

/** The module with a name section that makes sorting by name give: by name (without the
 *  symbol's `::h<hash>`), then by body. */
function renamedForOrder(bytes) {
  const { sections, importedFunctions, bodies, names } = readModule(bytes);
  if (names.size === 0) throw new Error("the wasm has no function names: keep -g in index.html's data-wasm-opt-params");
  const plain = (i) => (names.get(importedFunctions + i) || "").replace(/::h[0-9a-f]{16}(\.\d+)?$/, "");
  const order = bodies.map((_, i) => i);
  order.sort((a, b) => (plain(a) < plain(b) ? -1 : plain(a) > plain(b) ? 1 : Buffer.compare(bodies[a], bodies[b]) || a - b));
  const entries = [];
  order.forEach((body, rank) => {
    const name = Buffer.from(`f${String(rank).padStart(7, "0")}`);
    entries.push(Buffer.concat([encodeLeb(importedFunctions + body), encodeLeb(name.length), name]));
  });
  const list = Buffer.concat([encodeLeb(entries.length), ...entries]);
  const payload = Buffer.concat([encodeLeb(4), Buffer.from("name"), Buffer.from([1]), encodeLeb(list.length), list]);
  const section = Buffer.concat([Buffer.from([0]), encodeLeb(payload.length), payload]);
  return Buffer.concat([bytes.subarray(0, 8), ...sections, section]);
}

const integrity = (bytes) => `sha384-${createHash("sha384").update(bytes).digest("base64")}`;

if (process.env.TRUNK_PROFILE === "release") {
  const dir = process.env.TRUNK_STAGING_DIR;
  const wasmFile = readdirSync(dir).find((f) => f.endsWith("_bg.wasm"));
  const wasmPath = join(dir, wasmFile);
  const original = readFileSync(wasmPath);
  const renamed = join(tmpdir(), `flowlab-renamed-${process.pid}.wasm`);
  writeFileSync(renamed, renamedForOrder(original));
  execFileSync(WASM_OPT, [renamed, "--reorder-functions-by-name", "--strip-debug", "-o", wasmPath], { stdio: "inherit" });
  rmSync(renamed);
  const htmlPath = join(dir, "index.html");
  const html = readFileSync(htmlPath, "utf8");
  const before = integrity(original);
  if (!html.includes(before)) throw new Error(`index.html does not hold the wasm's integrity hash ${before}`);
  writeFileSync(htmlPath, html.replace(before, integrity(readFileSync(wasmPath))));
}
