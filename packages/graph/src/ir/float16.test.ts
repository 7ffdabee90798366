import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  FLOAT16_NAN_BITS,
  fromFloat16Array,
  fromFloat16Bits,
  toFloat16Array,
  toFloat16Bits,
} from "./float16.ts";
import { decodeElements, encodeElements } from "../trace/encode-constant.ts";

/** Written by NumPy (`__golden__/make_float16_pairs.py`): [float32 bits, float16 bits]. */
const numpyPairs = (
  JSON.parse(
    readFileSync(
      path.join(import.meta.dirname, "__golden__", "float16-pairs.json"),
      "utf8",
    ),
  ) as { pairs: [number, number][] }
).pairs;

const isNaNBits = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
const f32 = (bits: number) =>
  new Float32Array(new Uint32Array([bits]).buffer)[0]!;
const hex = (h: number) => `0x${h.toString(16).padStart(4, "0")}`;

describe("float16 codec", () => {
  it.each([
    ["+0", 0, 0x0000],
    ["-0", -0, 0x8000],
    ["1", 1, 0x3c00],
    ["-2", -2, 0xc000],
    ["largest finite", 65504, 0x7bff],
    ["65519 rounds down to 65504", 65519, 0x7bff],
    ["65520 (halfway to 2^16) overflows", 65520, 0x7c00],
    ["-65520 overflows", -65520, 0xfc00],
    ["+Infinity", Infinity, 0x7c00],
    ["-Infinity", -Infinity, 0xfc00],
    ["1e10 overflows", 1e10, 0x7c00],
    ["smallest normal", 2 ** -14, 0x0400],
    ["largest subnormal", 1023 * 2 ** -24, 0x03ff],
    ["smallest subnormal", 2 ** -24, 0x0001],
    ["-smallest subnormal", -(2 ** -24), 0x8001],
    [
      "between the largest subnormal and 2^-14: a tie to even",
      2 ** -14 - 2 ** -25,
      0x0400,
    ],
    ["2^-25 (a tie between 0 and 2^-24) to 0", 2 ** -25, 0x0000],
    ["-2^-25 to -0", -(2 ** -25), 0x8000],
    ["just above 2^-25 to 2^-24", 2 ** -25 + 2 ** -40, 0x0001],
    ["3 * 2^-25 (a tie) to 2 * 2^-24", 3 * 2 ** -25, 0x0002],
    ["2^-26 to 0", 2 ** -26, 0x0000],
    ["float32's smallest subnormal to 0", 2 ** -149, 0x0000],
    ["1 + 2^-11 (a tie) to 1", 1 + 2 ** -11, 0x3c00],
    ["1 + 3 * 2^-11 (a tie) to 1 + 2^-9", 1 + 3 * 2 ** -11, 0x3c02],
    ["just above 1 + 2^-11 to 1 + 2^-10", 1 + 2 ** -11 + 2 ** -23, 0x3c01],
    ["2 - 2^-12 carries into the exponent", 2 - 2 ** -12, 0x4000],
    ["2049 (a tie) to 2048", 2049, 0x6800],
    ["2051 (a tie) to 2052", 2051, 0x6802],
    ["1/3", 1 / 3, 0x3555],
  ])("encodes %s", (_, value, bits) => {
    expect(hex(toFloat16Bits(value))).toBe(hex(bits));
  });

  it("rounds a double once, not through float32", () => {
    // 1 + 2^-11 + 2^-40 rounds to 1 + 2^-11 in float32, a tie that goes down to
    // 1; rounded once it is above the tie and goes up.
    expect(hex(toFloat16Bits(1 + 2 ** -11 + 2 ** -40))).toBe(hex(0x3c01));
  });

  it("keeps NaN a NaN both ways", () => {
    expect(toFloat16Bits(NaN)).toBe(FLOAT16_NAN_BITS);
    expect(isNaNBits(FLOAT16_NAN_BITS)).toBe(true);
    for (const bits of [0x7c01, 0x7e00, 0x7fff, 0xfc01, 0xfe00, 0xffff])
      expect(fromFloat16Bits(bits)).toBeNaN();
  });

  it("decodes each of the 65536 bit patterns and encodes it back to the same bits", () => {
    const wrong: string[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = fromFloat16Bits(bits);
      const back = toFloat16Bits(value);
      const ok = isNaNBits(bits)
        ? Number.isNaN(value) && isNaNBits(back)
        : back === bits && Math.fround(value) === value;
      if (!ok) wrong.push(`${hex(bits)} -> ${value} -> ${hex(back)}`);
    }
    expect(wrong.slice(0, 10)).toEqual([]);
  });

  it("rounds every midpoint between neighbouring halves to the even one, and its neighbours to the nearer", () => {
    const wrong: string[] = [];
    for (let bits = 0; bits < 0x7bff; bits++) {
      const lo = fromFloat16Bits(bits);
      const hi = fromFloat16Bits(bits + 1);
      const mid = (lo + hi) / 2;
      const step = (hi - lo) / 1024;
      const even = bits % 2 === 0 ? bits : bits + 1;
      for (const sign of [0, 0x8000]) {
        const s = sign ? -1 : 1;
        const checks: [number, number][] = [
          [s * mid, sign | even],
          [s * (mid - step), sign | bits],
          [s * (mid + step), sign | (bits + 1)],
        ];
        for (const [value, want] of checks)
          if (toFloat16Bits(value) !== want)
            wrong.push(
              `${value}: ${hex(toFloat16Bits(value))}, want ${hex(want)}`,
            );
      }
    }
    expect(wrong.slice(0, 10)).toEqual([]);
  });

  it(`encodes float32 values as NumPy's astype(np.float16) does (${numpyPairs.length} pairs)`, () => {
    expect(numpyPairs.length).toBeGreaterThan(5000);
    const wrong: string[] = [];
    for (const [x, want] of numpyPairs) {
      const got = toFloat16Bits(f32(x));
      const ok = isNaNBits(want) ? isNaNBits(got) : got === want;
      if (!ok)
        wrong.push(
          `${f32(x)} (0x${x.toString(16)}): ${hex(got)}, NumPy ${hex(want)}`,
        );
    }
    expect(wrong.slice(0, 10)).toEqual([]);
  });

  it("converts arrays element by element", () => {
    const bits = toFloat16Array([1, -0, 65520, NaN, 2 ** -24]);
    expect([...bits]).toEqual([0x3c00, 0x8000, 0x7c00, FLOAT16_NAN_BITS, 1]);
    const back = fromFloat16Array(bits);
    expect(back).toBeInstanceOf(Float32Array);
    expect([...back]).toEqual([1, -0, Infinity, NaN, 2 ** -24]);
  });

  it("is what graph constants encode and decode float16 with", () => {
    const values = [1 + 2 ** -11, 65519, 65520, 2 ** -25, 3 * 2 ** -25, -0];
    const data = encodeElements(values, "float16");
    expect(decodeElements(data, "float16")).toEqual(
      values.map((v) => fromFloat16Bits(toFloat16Bits(v))),
    );
    expect(decodeElements(data, "float16")).toEqual([
      1,
      65504,
      Infinity,
      0,
      2 ** -23,
      -0,
    ]);
  });
});
