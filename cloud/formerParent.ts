import * as pulumi from "@pulumi/pulumi";

/**
 * Options of a component cut out of a larger one. Its resources used to be direct children of `formerParent`; a
 * resource's URN names its parents, so each of them gets an alias with that parent: an existing stack then finds them
 * under the URNs it knows and keeps them, instead of creating new ones and deleting the old.
 */
export interface SplitComponentOptions extends pulumi.ComponentResourceOptions {
  formerParent?: pulumi.Resource;
}

/** Options of a resource of `component` that was a direct child of `formerParent` (if it has one) before the split. */
export function childOptions(
  component: pulumi.Resource,
  formerParent: pulumi.Resource | undefined,
  options: pulumi.CustomResourceOptions = {},
): pulumi.CustomResourceOptions {
  return { ...options, parent: component, ...(formerParent ? { aliases: [{ parent: formerParent }] } : {}) };
}
