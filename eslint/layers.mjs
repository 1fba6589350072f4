// The import layers (docs/decisions.md "Layers"): each top-level folder may import itself and the folders listed
// for it, nothing else. Relative imports are resolved against the importing file, so a wrong import is named by the
// folder it reaches, whatever the path looks like.
import path from "node:path";

const SHARED = ["contracts", "lib"];
const DEVICE_AND_LAMBDA = [...SHARED, "lambdas", "edge", "training"];
const OPERATOR = [...DEVICE_AND_LAMBDA, "config"];

/** Folder → the folders it may import besides itself. Folders not listed (offline, test, scripts, bench, the root
 * entry points) sit on top and may import anything. */
export const LAYERS = {
  contracts: [],
  lib: ["contracts"],
  // Device and Lambda code: never operator code, never each other.
  lambdas: SHARED,
  edge: SHARED,
  training: SHARED,
  config: SHARED,
  // Cloud and operator code.
  stateMachines: OPERATOR,
  cloud: [...OPERATOR, "stateMachines"],
  components: [...OPERATOR, "stateMachines", "cloud"],
  cli: [...OPERATOR, "stateMachines"],
  viewer: OPERATOR,
  labeler: OPERATOR,
};

function topFolderOf(file, root) {
  const relative = path.relative(root, file);
  if (relative.startsWith("..") || path.isAbsolute(relative)) return undefined;
  const parts = relative.split(path.sep);
  return parts.length > 1 ? parts[0] : undefined;
}

const rule = {
  meta: {
    type: "problem",
    docs: { description: "imports follow the project's layers (docs/decisions.md, Layers)" },
    schema: [],
    messages: {
      wrongLayer:
        "{{from}}/ may not import {{to}}/ ({{what}}): {{from}}/ may import {{allowed}}. See docs/decisions.md, Layers.",
    },
  },
  create(context) {
    const root = context.cwd;
    const from = topFolderOf(context.filename, root);
    if (!from || !(from in LAYERS)) return {};
    const allowed = new Set([from, ...LAYERS[from]]);
    const check = (node, source) => {
      if (typeof source !== "string" || !source.startsWith(".")) return;
      const to = topFolderOf(path.resolve(path.dirname(context.filename), source), root);
      if (to === undefined || allowed.has(to)) return;
      context.report({
        node,
        messageId: "wrongLayer",
        data: { from, to, what: source, allowed: [...allowed].filter((f) => f !== from).join(", ") || "nothing else" },
      });
    };
    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => node.source.type === "Literal" && check(node.source, node.source.value),
      CallExpression: (node) =>
        node.callee.type === "Identifier" &&
        node.callee.name === "require" &&
        node.arguments[0]?.type === "Literal" &&
        check(node.arguments[0], node.arguments[0].value),
    };
  },
};

export default { rules: { imports: rule } };
