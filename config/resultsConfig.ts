import { z } from "zod";
import { field } from "../lib/fields";
import { decimal, wholeNumber } from "../lib/fieldValues";

/**
 * The `results.*` keys of the stack config (the results lake, its alarms and queries), kept beside config/schema.ts,
 * which spreads them into its one list of fields and hands `StackConfig["results"]` to the components.
 */

/** A regular expression with exactly one capturing group (the line), which JavaScript, Java and RE2 all read alike. */
const linePattern = z
  .string()
  .max(200)
  .refine((pattern) => {
    try {
      return new RegExp(`${pattern}|`).exec("")!.length === 2 && !/[\\]k<|\(\?<[^=!]/.test(pattern);
    } catch {
      return false;
    }
  });

export const resultsFields = {
  "qualityinspection:results.bufferSeconds": field(
    "be a whole number of seconds from 60 to 900 (how long Firehose gathers results before writing)",
    wholeNumber(60, 900),
  ),
  "qualityinspection:results.defectRateThreshold": field("be a number from 0 to 1 (for example 0.05)", decimal(0, 1)),
  "qualityinspection:results.defectRateWindowMinutes": field(
    "be a whole number of minutes from 1 to 1440",
    wholeNumber(1, 1440),
  ),
  "qualityinspection:results.minInspectionsPerWindow": field(
    "be a whole number from 1 to 1000000 (fewer inspections in a window never raise the defect-rate alarm)",
    wholeNumber(1, 1_000_000),
  ),
  "qualityinspection:results.errorRateThreshold": field("be a number from 0 to 1 (for example 0.02)", decimal(0, 1)),
  "qualityinspection:results.silentMinutes": field("be a whole number of minutes from 1 to 1440", wholeNumber(1, 1440)),
  "qualityinspection:results.queryScanLimitMb": field(
    "be a whole number of megabytes from 10 to 10000000 (Athena's bytes-scanned limit per query)",
    wholeNumber(10, 10_000_000),
  ),
  "qualityinspection:results.queryDays": field(
    "be a whole number of days from 1 to 3650 (the window of the named queries)",
    wholeNumber(1, 3650),
  ),
  "qualityinspection:results.linePattern": field(
    "be a regular expression with one capturing group that finds the line in a thing name, e.g. ^(line-[0-9]+)",
    linePattern,
  ),
};

type ResultsKey = keyof typeof resultsFields;
type ResultsFlat = { [K in ResultsKey]: z.output<(typeof resultsFields)[K]["schema"]> };

export interface ResultsConfig {
  /** Firehose's buffering interval: the longest a result waits before it is in the data lake. */
  bufferSeconds: number;
  defectRate: { threshold: number; windowMinutes: number; minInspections: number };
  /** Errors / (inspections + errors) over the defect-rate window. */
  errorRate: { threshold: number };
  /** A device with no result for this long raises its alarm (and is listed by the silent-devices query). */
  silentMinutes: number;
  query: { scanLimitBytes: number; days: number; linePattern: string };
}

export function resultsConfig(flat: ResultsFlat): ResultsConfig {
  return {
    bufferSeconds: flat["qualityinspection:results.bufferSeconds"],
    defectRate: {
      threshold: flat["qualityinspection:results.defectRateThreshold"],
      windowMinutes: flat["qualityinspection:results.defectRateWindowMinutes"],
      minInspections: flat["qualityinspection:results.minInspectionsPerWindow"],
    },
    errorRate: { threshold: flat["qualityinspection:results.errorRateThreshold"] },
    silentMinutes: flat["qualityinspection:results.silentMinutes"],
    query: {
      scanLimitBytes: flat["qualityinspection:results.queryScanLimitMb"] * 1024 * 1024,
      days: flat["qualityinspection:results.queryDays"],
      linePattern: flat["qualityinspection:results.linePattern"],
    },
  };
}
