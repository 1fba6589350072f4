import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { Command } from "commander";
import { z } from "zod";
import {
  addFieldOptions,
  clientCertificateFields,
  field,
  fieldProblem,
  FieldProblems,
  flagField,
  flagName,
  parseFieldFlags,
  pemFile,
  schemaNamed,
} from "../../lib/fields";
import { bool, decimal, existingPath, numberFrom, numberRead, scoreBand, wholeNumber } from "../../lib/fieldValues";

const accepts = (schema: z.ZodType, value: unknown) => schema.safeParse(value).success;
const valueOf = (schema: z.ZodType, value: unknown) => schema.parse(value);

describe("lib/fieldValues: values that arrive as text", () => {
  it("bool takes exactly true and false", () => {
    expect(valueOf(bool, "true")).to.equal(true);
    expect(valueOf(bool, "false")).to.equal(false);
    for (const bad of ["True", "1", "yes", "", " true", true]) expect(accepts(bool, bad), String(bad)).to.equal(false);
  });

  it("wholeNumber takes digits within its bounds, and nothing Number() alone would stretch to a number", () => {
    const n = wholeNumber(1, 1000);
    expect(valueOf(n, "1")).to.equal(1);
    expect(valueOf(n, "1000")).to.equal(1000);
    expect(valueOf(n, "007")).to.equal(7);
    for (const bad of ["0", "1001", "1.5", "5.0", "-1", "+5", "1e3", "0x10", " 5", "5 ", "", "five", 5]) {
      expect(accepts(n, bad), JSON.stringify(bad)).to.equal(false);
    }
  });

  it("decimal takes digits with at most one decimal point, within its bounds", () => {
    const d = decimal(0, 1);
    expect(valueOf(d, "0")).to.equal(0);
    expect(valueOf(d, "0.25")).to.equal(0.25);
    expect(valueOf(d, "1")).to.equal(1);
    for (const bad of ["1.01", ".5", "0.", "-0.1", "1e-1", "0.1.2", "", "NaN", "Infinity", 0.5]) {
      expect(accepts(d, bad), JSON.stringify(bad)).to.equal(false);
    }
  });

  it("numberFrom takes a number or the text of one, whole when asked", () => {
    const port = numberFrom(0, 65535, true);
    expect(valueOf(port, 8080)).to.equal(8080);
    expect(valueOf(port, "8080")).to.equal(8080);
    expect(valueOf(port, "80.0")).to.equal(80);
    for (const bad of [80.5, "80.5", -1, 65536, "1e3", "", Number.NaN, Infinity, null, true]) {
      expect(accepts(port, bad), String(bad)).to.equal(false);
    }
    const share = numberFrom(0, 1, false);
    expect(valueOf(share, 0.75)).to.equal(0.75);
    expect(valueOf(share, "0.75")).to.equal(0.75);
    expect(accepts(share, "1.5")).to.equal(false);
  });

  it("numberRead takes whatever Number() reads, within its bounds, whole when asked", () => {
    const count = numberRead(0, 1000, true);
    for (const [text, value] of [
      ["12", 12],
      ["1e3", 1000],
      ["0x10", 16],
      [" 7 ", 7],
      ["", 0],
      ["5.0", 5],
      [9, 9],
    ]) {
      expect(valueOf(count, text), JSON.stringify(text)).to.equal(value);
    }
    for (const bad of ["x", "5.5", "-1", "1001", "Infinity", "NaN", "1,000"]) {
      expect(accepts(count, bad), JSON.stringify(bad)).to.equal(false);
    }
    const seconds = numberRead(0, 60, false);
    expect(valueOf(seconds, "0.25")).to.equal(0.25);
    expect(valueOf(seconds, "6e1")).to.equal(60);
    expect(accepts(seconds, "60.5")).to.equal(false);
  });

  it("scoreBand reads <low>-<high> within 0..1, or off", () => {
    expect(valueOf(scoreBand, "0.3-0.7")).to.deep.equal([0.3, 0.7]);
    expect(valueOf(scoreBand, "0.5-0.5")).to.deep.equal([0.5, 0.5]);
    expect(valueOf(scoreBand, "off")).to.equal(null);
    for (const bad of ["0.7-0.3", "0.3-1.5", "0.3", "-0.3-0.7", "0.3 - 0.7", "OFF", ""]) {
      expect(accepts(scoreBand, bad), bad).to.equal(false);
    }
  });

  describe("existingPath", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "qi-fields-"));
    const file = path.join(dir, "a.pem");
    writeFileSync(file, "x");
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("tells files from folders, and refuses what is not there", () => {
      expect(accepts(existingPath("file"), file)).to.equal(true);
      expect(accepts(existingPath("file"), dir)).to.equal(false);
      expect(accepts(existingPath("directory"), dir)).to.equal(true);
      expect(accepts(existingPath("directory"), file)).to.equal(false);
      expect(accepts(existingPath("file"), path.join(dir, "missing.pem"))).to.equal(false);
      expect(accepts(existingPath("directory"), "")).to.equal(false);
    });

    it("pemFile and the client certificate fields need an existing file", () => {
      const ca = pemFile("--ca <file>", "CA certificate");
      expect(ca).to.include({ flag: "--ca <file>", description: "CA certificate", must: "be an existing PEM file" });
      expect(accepts(ca.schema, file)).to.equal(true);
      expect(accepts(ca.schema, dir)).to.equal(false);
      expect(Object.keys(clientCertificateFields)).to.deep.equal(["cert", "key"]);
      expect(clientCertificateFields.cert.flag).to.equal("--cert <file>");
      expect(clientCertificateFields.key.flag).to.equal("--key <file>");
      expect(accepts(clientCertificateFields.key.schema, path.join(dir, "missing.pem"))).to.equal(false);
    });
  });
});

describe("lib/fields: settings that name themselves in every problem", () => {
  const epochs = field("be a whole number from 1 to 1000", wholeNumber(1, 1000));

  it("says what a field must be and what it got", () => {
    expect(fieldProblem("training.epochs", epochs, "lots")).to.equal(
      'training.epochs must be a whole number from 1 to 1000 (got "lots")',
    );
  });

  it("reports every problem of a table at once, one line each, and keeps them for callers", () => {
    const error = new FieldProblems("widget settings", ["a must be b", "c must be d"]);
    expect(error).to.be.instanceOf(Error);
    expect(error.message).to.equal("Invalid widget settings:\n  - a must be b\n  - c must be d");
    expect(error.problems).to.deep.equal(["a must be b", "c must be d"]);
  });

  it("schemaNamed reports every problem of a field as one sentence, and passes good values through", () => {
    const seed = schemaNamed("--seed", epochs);
    expect(seed.parse("12")).to.equal(12);
    for (const bad of ["0", "1.5", "x", "", undefined, 3]) {
      const parsed = seed.safeParse(bad);
      expect(parsed.success, String(bad)).to.equal(false);
      expect(parsed.error?.issues.map((issue) => issue.message)).to.deep.equal([
        "--seed must be a whole number from 1 to 1000",
      ]);
    }
    expect(z.object({ seed: seed.optional() }).parse({})).to.deep.equal({});
  });

  describe("command lines built from a field table", () => {
    const fields = {
      port: flagField({ flag: "--port <n>", description: "port", must: "be a port", schema: wholeNumber(0, 65535) }),
      dryRun: flagField({ flag: "--dry-run", description: "do nothing", must: "be true or false", schema: bool }),
    };
    const program = () => {
      const p = new Command("tool").exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
      const attributes = addFieldOptions(p, fields, (name) => `${fields[name].description} (${name})`);
      return { p, attributes };
    };

    it("names a flag without its value", () => {
      expect(flagName(fields.port)).to.equal("--port");
      expect(flagName(fields.dryRun)).to.equal("--dry-run");
    });

    it("adds one option per field, with the help text the caller makes", () => {
      const { p, attributes } = program();
      expect(attributes).to.deep.equal({ port: "port", dryRun: "dryRun" });
      expect(p.options.map((o) => [o.flags, o.description])).to.deep.equal([
        ["--port <n>", "port (port)"],
        ["--dry-run", "do nothing (dryRun)"],
      ]);
    });

    it("returns the flags keyed by field name, as commander read them (not yet validated)", () => {
      const { p, attributes } = program();
      const parsed = parseFieldFlags(p, ["node", "tool", "--port", "x", "--dry-run"], attributes, 2);
      expect(parsed).to.have.property("flags").that.deep.equals({ port: "x", dryRun: true });
      const unset = parseFieldFlags(program().p, ["node", "tool"], attributes, 2);
      expect(unset).to.have.property("flags").that.deep.equals({ port: undefined, dryRun: undefined });
    });

    it("gives exit code 0 after --help, and the usage code for an unknown option or a missing value", () => {
      const { p, attributes } = program();
      expect(parseFieldFlags(p, ["node", "tool", "--help"], attributes, 2)).to.deep.equal({ exitCode: 0 });
      expect(parseFieldFlags(program().p, ["node", "tool", "--nope"], attributes, 2)).to.deep.equal({ exitCode: 2 });
      expect(parseFieldFlags(program().p, ["node", "tool", "--port"], attributes, 64)).to.deep.equal({
        exitCode: 64,
      });
    });
  });
});
