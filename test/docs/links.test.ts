import { existsSync } from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { anchorsOf, brokenLinks, linksOf, MarkdownFile, repositoryMarkdown, slugOf } from "../harness/markdown";

const ROOT = path.resolve(__dirname, "..", "..");

describe("docs: links between the Markdown files", () => {
  it("every relative link and #anchor in every Markdown file of the repository points at a file and heading", () => {
    const files = repositoryMarkdown(ROOT);
    expect(files.map((file) => file.path)).to.include.members(["README.md", "docs/limitations.md"]);
    expect(brokenLinks(files, (repoPath) => existsSync(path.join(ROOT, repoPath)))).to.deep.equal([]);
  });

  describe("the checker", () => {
    const exists = (repoPath: string) => ["docs", "docs/viewer.png", "edge/src/config.ts"].includes(repoPath);
    const files: MarkdownFile[] = [
      { path: "README.md", text: "# Quality inspection\n\n## Try it offline\n\nSee [edge](edge/README.md#run-it).\n" },
      { path: "edge/README.md", text: "# Edge detector\n\n## Run it\n\n## Run it\n\n## The model (`model.json`)\n" },
    ];
    const check = (extra: MarkdownFile) => brokenLinks([...files, extra], exists);

    it("accepts links to files, folders, headings and the file's own headings", () => {
      const text = [
        "# Guide",
        "[a](../README.md#try-it-offline), [b](../edge/README.md#run-it-1), [c](../edge/README.md#the-model-modeljson)",
        "![picture](viewer.png) [folder](../docs/) [code](../edge/src/config.ts) [self](#guide)",
        "[site](https://example.com/x#y) [mail](mailto:a@example.com)",
      ].join("\n");
      expect(check({ path: "docs/guide.md", text })).to.deep.equal([]);
    });

    it("names a missing file, a missing heading and a link out of the repository, with file and line", () => {
      const text = "# Guide\n\n[a](../edge/READ.md)\n[b](../edge/README.md#run)\n\n[c](#nowhere) [d](../../x.md)\n";
      expect(check({ path: "docs/guide.md", text })).to.deep.equal([
        "docs/guide.md:3: (../edge/READ.md): no file edge/READ.md",
        "docs/guide.md:4: (../edge/README.md#run): edge/README.md has no heading #run",
        "docs/guide.md:6: (#nowhere): docs/guide.md has no heading #nowhere",
        "docs/guide.md:6: (../../x.md) leaves the repository",
      ]);
    });

    it("refuses an anchor into a file that is not Markdown, and an empty link", () => {
      const text = "[a](../edge/src/config.ts#L10) [b]()";
      expect(check({ path: "docs/guide.md", text })).to.deep.equal([
        "docs/guide.md:1: (../edge/src/config.ts#L10): an anchor into edge/src/config.ts, which is not Markdown here",
        "docs/guide.md:1: () is empty",
      ]);
    });

    it("checks reference definitions and links whose text spans lines", () => {
      const text = "[a\nb](nothing.md) and [ref][r]\n\n[r]: missing.md\n";
      expect(check({ path: "docs/guide.md", text })).to.deep.equal([
        "docs/guide.md:2: (nothing.md): no file docs/nothing.md",
        "docs/guide.md:4: (missing.md): no file docs/missing.md",
      ]);
    });

    it("ignores links and headings inside code", () => {
      const text =
        "```md\n# Not a heading\n[x](nowhere.md)\n```\n\n`[y](nowhere.md)` and\n  ```\n  [z](gone.md)\n  ```\n";
      expect(linksOf(text)).to.deep.equal([]);
      expect([...anchorsOf(text)]).to.deep.equal([]);
    });
  });

  it("makes GitHub's anchors", () => {
    expect(slugOf("Offline run (`npm start`)")).to.equal("offline-run-npm-start");
    expect(slugOf("Data lake layout — `contracts/dataLake.ts`")).to.equal("data-lake-layout--contractsdatalakets");
    expect(slugOf("A local deployment succeeds at the detector's first valid result")).to.equal(
      "a-local-deployment-succeeds-at-the-detectors-first-valid-result",
    );
    expect(slugOf("The edge speaks MQTT 3.1.1 to the embedded broker")).to.equal(
      "the-edge-speaks-mqtt-311-to-the-embedded-broker",
    );
    expect(slugOf("See [the fleet](x.md) *now*")).to.equal("see-the-fleet-now");
  });
});
