import { statSync } from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { repositoryMarkdown, wideTableRows } from "../harness/markdown";

const ROOT = path.resolve(__dirname, "..", "..");

describe("docs: the README is a front door", () => {
  it("README.md stays within 15 KB; depth lives beside each part", () => {
    expect(statSync(path.join(ROOT, "README.md")).size).to.be.at.most(15 * 1024);
  });

  it("every table in every Markdown file fits a screen (120 characters)", () => {
    expect(repositoryMarkdown(ROOT).flatMap((file) => wideTableRows(file, 120))).to.deep.equal([]);
  });

  it("a table row wider than a screen is named with its file and line", () => {
    const row = `| ${"x".repeat(118)} |`;
    expect(
      wideTableRows({ path: "a.md", text: `# A\n\n| h |\n| - |\n${row}\n\`\`\`\n${row}\n\`\`\`\n` }, 120),
    ).to.deep.equal(["a.md:5: a table row 122 characters wide"]);
  });
});
