import * as path from "node:path";
import type { StackConfig } from "../../config/schema";
import { seedDataset, seedSynthetic } from "../dataSources";
import { GroundTruth } from "../labelingWorkforce";
import { provisionLocalStack } from "../localStack";
import type { RunContext, SeededRun } from "./context";

/** Synthetic parts on a first run unless the stack needs more (`syntheticCount`). */
export const DEFAULT_IMAGES = 160;

/** Enough parts for the stack's dataset minimum, with room for the splits: prod asks for 200 labeled images. */
export function syntheticCount(config: StackConfig): number {
  return Math.max(DEFAULT_IMAGES, Math.ceil(config.dataset.minImages * 1.25));
}

/** The local cloud, with the run's images in the data lake and the device's camera folder. */
export async function seed(run: RunContext): Promise<SeededRun> {
  const { options, config, workDir, print } = run;
  const stack = await provisionLocalStack(config, workDir);
  const truth = await GroundTruth.open(path.join(workDir, "ground-truth.json"));
  const cameraDir = path.join(workDir, "device", "camera");
  const seedContext = {
    ...stack,
    truth,
    cameraDir,
    batch: config.labeling.maxImagesPerJob,
    classes: config.labeling.classes,
  };
  const data = options.dataset
    ? await seedDataset(seedContext, options.dataset)
    : await seedSynthetic(seedContext, {
        seed: options.seed,
        count: options.images ?? syntheticCount(config),
        cameraCount: options.cameraImages,
      });
  const earlier = data.earlierLabels ? `, ${data.earlierLabels} with earlier labels` : "";
  print(
    `data: ${data.source}: ${data.images} images (${data.added} added by this run${earlier}); camera: ${data.camera} images`,
  );
  if (data.skipped.length > 0) print(`  left out ${data.skipped.length}: ${data.skipped.slice(0, 3).join("; ")}`);
  return { ...run, stack, truth, cameraDir, data };
}
