import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { DEFAULT_RESULT_TOPIC } from "../../contracts/inferenceMessages";
import { parseViewerOptions, regionOfEndpoint, ViewerOptionsError } from "../../viewer/src/options";

const ENDPOINT = "a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com";

function problemsOf(input: Record<string, unknown>, naming: "option" | "flag" = "option", env = {}): string[] {
  try {
    parseViewerOptions(input, naming, env);
  } catch (error) {
    expect(error).to.be.instanceOf(ViewerOptionsError);
    return (error as ViewerOptionsError).problems;
  }
  throw new Error("expected the options to be refused");
}

describe("viewer options", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "qi-viewer-options-"));
  const pem = path.join(dir, "device.pem");
  writeFileSync(pem, "-----BEGIN CERTIFICATE-----\n");
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("needs only the broker; everything else has a default", () => {
    const options = parseViewerOptions({ broker: "mqtt://127.0.0.1:1884" }, "option", {}, () => "0a1b2c3d");
    expect(options).to.deep.equal({
      broker: { protocol: "mqtt:", host: "127.0.0.1", port: 1884 },
      port: 8080,
      host: "127.0.0.1",
      topic: DEFAULT_RESULT_TOPIC,
      passThreshold: 0.5,
      history: 50,
      clientId: "qi-viewer-0a1b2c3d",
    });
  });

  it("takes command-line strings and API numbers alike", () => {
    const fromFlags = parseViewerOptions({ broker: "mqtt://localhost", port: "0", passThreshold: "0.75" }, "flag");
    const fromApi = parseViewerOptions({ broker: new URL("mqtt://localhost"), port: 0, passThreshold: 0.75 });
    for (const options of [fromFlags, fromApi]) {
      expect(options).to.deep.include({ port: 0, passThreshold: 0.75 });
      expect(options.broker).to.deep.equal({ protocol: "mqtt:", host: "localhost", port: 1883 });
    }
  });

  it("connects to AWS IoT Core with mutual TLS on 8883, or with WebSocket + SigV4 in the endpoint's region", () => {
    const mtls = parseViewerOptions({ broker: `mqtts://${ENDPOINT}`, cert: pem, key: pem, ca: pem });
    expect(mtls).to.deep.include({ tls: { cert: pem, key: pem }, ca: pem });
    expect(mtls.broker).to.deep.equal({ protocol: "mqtts:", host: ENDPOINT, port: 8883 });
    const wss = parseViewerOptions({ broker: `wss://${ENDPOINT}/mqtt` });
    expect(wss).to.deep.include({ region: "eu-west-1", broker: { protocol: "wss:", host: ENDPOINT, port: 443 } });
    const elsewhere = parseViewerOptions({ broker: "wss://iot.example.com/mqtt" }, "option", {
      AWS_REGION: "us-east-2",
    });
    expect(elsewhere.region).to.equal("us-east-2");
    expect(regionOfEndpoint("x-ats.iot.cn-north-1.amazonaws.com.cn")).to.equal("cn-north-1");
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ["--broker", { broker: "http://127.0.0.1:1883" }, /^--broker must be a URL like mqtt:\/\/127.0.0.1:1883/],
    ["--broker", { broker: "mqtt://user:secret@127.0.0.1" }, /^--broker must be .*without credentials \(got/],
    ["--broker", { broker: "mqtt://127.0.0.1:99999" }, /^--broker must be a URL/],
    ["--broker", { broker: "mqtt://127.0.0.1:0" }, /^--broker must be a URL/],
    ["--port", { port: "http" }, /^--port must be a whole number from 0 to 65535 \(got "http"\)$/],
    ["--port", { port: "70000" }, /^--port must be a whole number from 0 to 65535/],
    ["--pass-threshold", { passThreshold: "1.5" }, /^--pass-threshold must be a number from 0 to 1 \(got "1.5"\)$/],
    ["--history", { history: "0" }, /^--history must be a whole number from 1 to 1000/],
    ["--topic", { topic: "plant/#" }, /^--topic must be an MQTT topic without wildcards/],
    [
      "--images",
      { imagesDir: "/no/such/folder" },
      /^--images must be an existing folder \(got "\/no\/such\/folder"\)$/,
    ],
    ["--host", { host: "my host" }, /^--host must be a host name or IP address/],
    ["--client-id", { clientId: "a b" }, /^--client-id must be 1 to 128 characters without spaces/],
  ];
  for (const [flag, input, expected] of bad) {
    it(`rejects ${flag} ${JSON.stringify(Object.values(input)[0])}, naming the flag and the expected form`, () => {
      const problems = problemsOf({ broker: "mqtt://127.0.0.1", ...input }, "flag");
      expect(problems).to.have.length(1);
      expect(problems[0]).to.match(expected);
    });
  }

  it("names options rather than flags for startViewer, and lists every problem at once", () => {
    const problems = problemsOf({ broker: "tcp://x", passThreshold: 2, port: -1 });
    expect(problems).to.deep.equal([
      'broker must be a URL like mqtt://127.0.0.1:1883, mqtts://<endpoint>:8883 or wss://<endpoint>/mqtt, without credentials (got "tcp://x")',
      'port must be a whole number from 0 to 65535 (got "-1")',
      'passThreshold must be a number from 0 to 1 (got "2")',
    ]);
    expect(problemsOf({})).to.deep.equal([
      "broker is required and must be a URL like mqtt://127.0.0.1:1883, mqtts://<endpoint>:8883 or wss://<endpoint>/mqtt, without credentials",
    ]);
  });

  it("needs a certificate and key for mutual TLS, and a region to sign WebSocket requests for", () => {
    expect(problemsOf({ broker: `mqtts://${ENDPOINT}`, cert: pem }, "flag")).to.deep.equal([
      "--broker mqtts:// uses mutual TLS: set --cert and --key",
    ]);
    expect(problemsOf({ broker: "wss://iot.example.com/mqtt" }, "flag")).to.deep.equal([
      "--broker iot.example.com names no AWS region: set --region (or AWS_REGION) to sign for",
    ]);
  });

  it("refuses settings the chosen broker would ignore", () => {
    expect(problemsOf({ broker: "mqtt://127.0.0.1", cert: pem, ca: pem, region: "eu-west-1" }, "flag")).to.deep.equal([
      "--cert is only used with an mqtts:// broker",
      "--ca is only used with an mqtts:// or wss:// broker",
      "--region is only used with a wss:// broker",
    ]);
  });
});
