import * as path from "node:path";
import { PROJECT_DIR } from "./pulumiProgram";

/** The real sample data (`../shared/datasets/scratches`); absent in a fresh clone, present for developers and CI. */
export const SCRATCHES_DIR =
  process.env.QI_SCRATCHES_DIR ?? path.resolve(PROJECT_DIR, "..", "shared", "datasets", "scratches");
