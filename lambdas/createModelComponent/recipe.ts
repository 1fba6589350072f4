import { RECIPE_FORMAT_VERSION } from "../../contracts/modelComponent";

/**
 * The Greengrass recipe of a model component version, built as a typed value (never by editing text). The component
 * has no lifecycle: it only carries the model files; the inference component, which depends on it, reads them from
 * `{<model component>:artifacts:path}`.
 */

export interface RecipeArtifact {
  Uri: string;
  Unarchive: "NONE";
  Permission: { Read: "OWNER" | "ALL"; Execute: "NONE" };
}

export interface GreengrassRecipe {
  RecipeFormatVersion: typeof RECIPE_FORMAT_VERSION;
  ComponentName: string;
  ComponentVersion: string;
  ComponentDescription: string;
  ComponentPublisher: string;
  ComponentConfiguration: { DefaultConfiguration: Record<string, string> };
  Manifests: { Platform: { os: "linux" }; Artifacts: RecipeArtifact[] }[];
}

export interface ModelComponentRecipeArgs {
  componentName: string;
  /** `1.0.<model package version>` (contracts/modelComponent.ts). */
  componentVersion: string;
  /** S3 URIs of the artifacts, already at `components/<component>/<version>/<file>`. */
  artifactUris: string[];
  modelPackageArn: string;
  modelVersion: string;
}

export function modelComponentRecipe(args: ModelComponentRecipeArgs): GreengrassRecipe {
  if (!/^\d+\.\d+\.\d+$/.test(args.componentVersion)) {
    throw new Error(`[componentVersion] must be major.minor.patch, got ${args.componentVersion}`);
  }
  if (args.artifactUris.length === 0) throw new Error("[artifactUris] must name at least one artifact");
  return {
    RecipeFormatVersion: RECIPE_FORMAT_VERSION,
    ComponentName: args.componentName,
    ComponentVersion: args.componentVersion,
    ComponentDescription: `Scratch detector model ${args.modelVersion} (${args.modelPackageArn})`,
    ComponentPublisher: "quality-inspection pipeline",
    // Lets devices and operators see which trained model a component version holds.
    ComponentConfiguration: {
      DefaultConfiguration: { modelPackageArn: args.modelPackageArn, modelVersion: args.modelVersion },
    },
    Manifests: [
      {
        Platform: { os: "linux" },
        Artifacts: args.artifactUris.map((Uri) => ({
          Uri,
          Unarchive: "NONE",
          // Read for every system user: the inference component may run as a different user than the nucleus.
          Permission: { Read: "ALL", Execute: "NONE" },
        })),
      },
    ],
  };
}
