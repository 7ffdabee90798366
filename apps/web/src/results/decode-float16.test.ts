import { describe, expect, it } from "vitest";
import { decodeFloat16 } from "./decode-float16";

describe("decodeFloat16", () => {
  it.each([
    [0x0000, 0],
    [0x8000, -0],
    [0x3c00, 1],
    [0xc000, -2],
    [0x3555, 0.333251953125],
    [0x7bff, 65504],
    [0x0400, 2 ** -14],
    [0x0001, 2 ** -24],
    [0x03ff, 1023 * 2 ** -24],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
    [0x7e00, NaN],
  ])("%i", (bits, value) => {
    expect(Object.is(decodeFloat16(bits), value)).toBe(true);
  });
});
