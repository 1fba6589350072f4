import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import ts from "typescript";
import { PROJECT_DIR } from "../harness/pulumiProgram";

const COMPONENTS_DIR = path.join(PROJECT_DIR, "components");

/**
 * What a module of components/ exports besides component classes and their `XArgs` types: anything else (constants,
 * functions, other types, re-exports) belongs in cloud/.
 */
function declaredExportProblems(file: string, source: string): string[] {
  const sourceFile = ts.createSourceFile(file, source, ts.ScriptTarget.Latest);
  const problems: string[] = [];
  for (const statement of sourceFile.statements) {
    if (ts.isExportDeclaration(statement) || ts.isExportAssignment(statement)) {
      problems.push(`${file} re-exports: ${statement.getText(sourceFile)}`);
      continue;
    }
    const exported = ts.canHaveModifiers(statement)
      ? ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
      : false;
    if (!exported || ts.isClassDeclaration(statement)) continue;
    const isType = ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement);
    if (isType && statement.name.text.endsWith("Args")) continue;
    const name = isType ? statement.name.text : statement.getText(sourceFile).split("\n")[0];
    problems.push(`${file} exports ${name}, which is neither a component class nor its Args`);
  }
  return problems;
}

/** What a loaded module exports at run time that is not a ComponentResource class, and whether it has one at all. */
function runtimeExportProblems(file: string, exports: Record<string, unknown>): string[] {
  const isComponent = (value: unknown) =>
    typeof value === "function" && value.prototype instanceof pulumi.ComponentResource;
  const problems = Object.entries(exports)
    .filter(([name, value]) => name !== "__esModule" && !isComponent(value))
    .map(([name]) => `${file} exports ${name}, which is not a ComponentResource class`);
  if (!Object.values(exports).some(isComponent)) problems.push(`${file} exports no ComponentResource class`);
  return problems;
}

describe("components/", () => {
  const files = readdirSync(COMPONENTS_DIR).filter((file) => file.endsWith(".ts"));

  it("holds ComponentResources only: each module exports component classes and their Args, nothing else", () => {
    expect(files.length).to.be.greaterThan(5);
    const problems = files.flatMap((file) => {
      const full = path.join(COMPONENTS_DIR, file);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const loaded = require(full) as Record<string, unknown>;
      return [...declaredExportProblems(file, readFileSync(full, "utf8")), ...runtimeExportProblems(file, loaded)];
    });
    expect(problems).to.deep.equal([]);
  });

  it("are checked by a check that notices plain modules", () => {
    const source = [
      "export interface EdgeArtifact { zipPath: string }",
      "export interface FleetArgs { name: string }",
      "export const LIMIT = 3;",
      "export function helper() {}",
      "export { other } from './other';",
      "export class Fleet {}",
    ].join("\n");
    expect(declaredExportProblems("x.ts", source)).to.deep.equal([
      "x.ts exports EdgeArtifact, which is neither a component class nor its Args",
      "x.ts exports export const LIMIT = 3;, which is neither a component class nor its Args",
      "x.ts exports export function helper() {}, which is neither a component class nor its Args",
      "x.ts re-exports: export { other } from './other';",
    ]);
    class Plain {}
    expect(runtimeExportProblems("x.ts", { Plain, LIMIT: 3 })).to.deep.equal([
      "x.ts exports Plain, which is not a ComponentResource class",
      "x.ts exports LIMIT, which is not a ComponentResource class",
      "x.ts exports no ComponentResource class",
    ]);
  });
});
