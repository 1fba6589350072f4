import { GreengrassRecipe } from "../../edge/recipe";

export interface DeviceFacts {
  /** Where Greengrass unpacked this component's artifacts. */
  decompressedPath: string;
  /** Where the model component's artifacts are. */
  modelArtifactsPath: string;
  workPath: string;
  thingName: string;
  /** Deployment configuration merged over the recipe's defaults. */
  configuration?: Record<string, string | number>;
}

/**
 * What the Greengrass nucleus does to a recipe's lifecycle before running it: replaces the recipe variables
 * (`{configuration:/key}`, `{work:path}`, `{iot:thingName}`, `{artifacts:decompressedPath}`, `{<dependency>:artifacts:path}`).
 * Returns the environment and the Install and Run scripts the device would execute.
 */
export function interpolateLifecycle(recipe: GreengrassRecipe, facts: DeviceFacts) {
  const { accessControl: _, ...defaults } = recipe.ComponentConfiguration.DefaultConfiguration;
  const configuration: Record<string, string | number> = { ...defaults, ...facts.configuration };
  const dependencies = Object.keys(recipe.ComponentDependencies);
  const interpolate = (text: string) =>
    text.replace(/\{([^{}]+)\}/g, (whole, variable: string) => {
      if (variable.startsWith("configuration:/")) {
        const key = variable.slice("configuration:/".length);
        if (!(key in configuration)) throw new Error(`recipe refers to unknown configuration ${key}`);
        return String(configuration[key]);
      }
      if (variable === "work:path") return facts.workPath;
      if (variable === "iot:thingName") return facts.thingName;
      if (variable === "artifacts:decompressedPath") return facts.decompressedPath;
      const [component, ...rest] = variable.split(":");
      if (rest.join(":") === "artifacts:path" && dependencies.includes(component)) return facts.modelArtifactsPath;
      throw new Error(`recipe variable ${whole} is not one Greengrass would replace here`);
    });
  const { Lifecycle } = recipe.Manifests[0];
  return {
    env: Object.fromEntries(Object.entries(Lifecycle.Setenv).map(([k, v]) => [k, interpolate(v)])),
    install: interpolate(Lifecycle.Install.Script),
    run: interpolate(Lifecycle.Run.Script),
  };
}
