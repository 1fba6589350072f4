import { statSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

/**
 * Value schemas for settings that arrive as text: stack config (Pulumi hands every value over as a string), the edge
 * detector's flags and environment (an unset Greengrass value interpolates to ""), and command lines. Numbers are
 * digits with at most one decimal point: no sign, exponent, hex or blanks, which `Number()` alone would take (only
 * `numberRead` takes those, for the flags that always have).
 */
const wholeText = z.string().regex(/^\d+$/).transform(Number);
const decimalText = z
  .string()
  .regex(/^\d+(\.\d+)?$/)
  .transform(Number);
const within = (min: number, max: number, whole: boolean) => (whole ? z.number().int() : z.number()).min(min).max(max);

/** `640` (a square) or `640x480` (width x height), each side 1 to 5 digits: `{ width, height }`. */
export const widthByHeight = z
  .string()
  .regex(/^[1-9]\d{0,4}(x[1-9]\d{0,4})?$/)
  .transform((s) => {
    const [width, height = width] = s.split("x").map(Number);
    return { width, height };
  });

/** widthByHeight with both sides multiples of `step` from `min` to `max`: a detector's input, which its stride divides. */
export const sidesMultipleOf = (step: number, min: number, max: number) =>
  widthByHeight.refine(({ width, height }) =>
    [width, height].every((side) => side % step === 0 && side >= min && side <= max),
  );

/** `true` or `false`. */
export const bool = z.enum(["true", "false"]).transform((v) => v === "true");

/** The digits of a whole number from `min` to `max`. */
export const wholeNumber = (min: number, max: number) => wholeText.pipe(within(min, max, true));

/** The text of a number from `min` to `max`, e.g. `0.5` or `3`. */
export const decimal = (min: number, max: number) => decimalText.pipe(within(min, max, false));

/**
 * A number, or the text of one, from `min` to `max`: for options that a program passes as numbers and a command line
 * as text. `whole` asks for a whole number (the text `5.0` is one).
 */
export const numberFrom = (min: number, max: number, whole: boolean) =>
  z.union([z.number(), decimalText]).pipe(within(min, max, whole));

/**
 * Whatever `Number()` reads as a number from `min` to `max` (`1e3`, `0x10`, ` 7 `, and empty text as 0): npm start's
 * number flags have always taken these. `whole` asks for a whole number.
 */
export const numberRead = (min: number, max: number, whole: boolean) => z.coerce.number().pipe(within(min, max, whole));

/** A path to an existing file or folder. */
export const existingPath = (kind: "file" | "directory") =>
  z.string().refine((p) => {
    const stat = statSync(p, { throwIfNoEntry: false });
    return kind === "file" ? stat?.isFile() : stat?.isDirectory();
  });

/**
 * A folder the program may create: it is a folder already, or nothing is there yet and the nearest existing parent is
 * a folder (not a file, which `mkdir -p` would stumble on with EEXIST or ENOTDIR).
 */
export const folderPath = z
  .string()
  .min(1)
  .refine((p) => {
    for (let at = path.resolve(p); ; at = path.dirname(at)) {
      const stat = statSync(at, { throwIfNoEntry: false });
      if (stat) return stat.isDirectory();
      if (path.dirname(at) === at) return false;
    }
  });

/**
 * A server address matching `pattern` that is also a URL (`new URL` takes it) with a port from 1 to 65535 when one
 * is given: `mqtt://host:99999` fits a `\d{1,5}` pattern but is no URL.
 */
export const serverUrl = (pattern: RegExp) =>
  z
    .string()
    .regex(pattern)
    .refine((text) => URL.canParse(text) && new URL(text).port !== "0")
    .transform((text) => new URL(text));

/** `0.3-0.7` → [0.3, 0.7] (0 ≤ low ≤ high ≤ 1); `off` → null. */
export const scoreBand = z
  .string()
  .regex(/^(off|\d+(\.\d+)?-\d+(\.\d+)?)$/)
  .transform((v) => (v === "off" ? null : (v.split("-").map(Number) as [number, number])))
  .refine((band) => band === null || (band[0] <= band[1] && band[1] <= 1));
