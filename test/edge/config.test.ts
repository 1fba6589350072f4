import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { EdgeConfigError, edgeConfigFields, envNameOf, flagNameOf, parseEdgeConfig } from "../../edge/src/config";
import { tempDir } from "../harness/modelFolders";

describe("edge config", () => {
  const dir = tempDir("config");
  const pem = path.join(dir, "cert.pem");
  const base = { model: path.join(dir, "model"), imagesDir: dir };
  before(() => writeFileSync(pem, "-----BEGIN CERTIFICATE-----\n"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  function problemsOf(flags: Record<string, string | boolean>, env: NodeJS.ProcessEnv = {}): string[] {
    try {
      parseEdgeConfig(flags, env);
    } catch (error) {
      expect(error).to.be.instanceOf(EdgeConfigError);
      return (error as EdgeConfigError).problems;
    }
    throw new Error("expected the config to be rejected");
  }

  it("needs only the model and the images; everything else has a default", () => {
    const config = parseEdgeConfig(base, { AWS_IOT_THING_NAME: "line-1-camera" });
    expect(config).to.include({
      intervalSeconds: 5,
      once: false,
      topic: "qualityinspection/scratch-detection",
      transport: "mqtt",
      thingName: "line-1-camera",
      clientId: "line-1-camera",
      maxDetections: 100,
      threads: 0,
      padValue: 114,
      outboxMaxBytes: 64 * 1024 * 1024,
    });
    expect(config.broker.href).to.equal("mqtt://127.0.0.1:1883");
    expect(config.layout).to.equal(undefined);
    expect(config.scoreThreshold).to.equal(undefined);
  });

  it("takes flags over environment over defaults, and treats an empty variable as unset", () => {
    const env = {
      QI_EDGE_INTERVAL_SECONDS: "2",
      QI_EDGE_TOPIC: "plant/a",
      QI_EDGE_SCORE_THRESHOLD: "",
      QI_EDGE_THREADS: "2",
    };
    const config = parseEdgeConfig({ ...base, intervalSeconds: "0.5" }, env);
    expect(config).to.include({ intervalSeconds: 0.5, topic: "plant/a", threads: 2 });
    expect(config.scoreThreshold).to.equal(undefined);
  });

  it("reads every field from QI_EDGE_<FIELD>, the names the Greengrass recipe sets", () => {
    expect(envNameOf("imagesDir")).to.equal("QI_EDGE_IMAGES_DIR");
    expect(envNameOf("outboxMaxBytes")).to.equal("QI_EDGE_OUTBOX_MAX_BYTES");
    const config = parseEdgeConfig(
      {},
      {
        QI_EDGE_MODEL: base.model,
        QI_EDGE_IMAGES_DIR: dir,
        QI_EDGE_CLASSES: "scratch,dent",
        QI_EDGE_INPUT_SIZE: "640x480",
      },
    );
    expect(config.classes).to.deep.equal(["scratch", "dent"]);
    expect(config.inputSize).to.deep.equal({ width: 640, height: 480 });
  });

  it("defaults to Greengrass IPC inside Greengrass", () => {
    const env = { AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT: "/tmp/ipc.socket", SVCUID: "token" };
    expect(parseEdgeConfig(base, env).transport).to.equal("greengrass-ipc");
  });

  const badValues: [string, string | boolean, string, NodeJS.ProcessEnv?][] = [
    ["intervalSeconds", "soon", "--interval must be a number of seconds from 0 to 86400"],
    ["imagesDir", "/no/such/folder", "--images must be an existing folder"],
    ["broker", "http://example.com", "--broker must be a URL like mqtt://127.0.0.1:1883"],
    ["transport", "kafka", "--transport must be mqtt or greengrass-ipc"],
    ["topic", "plant/#", "--topic must be an MQTT topic without wildcards"],
    ["topic", "$aws/things/x", "--topic must be an MQTT topic without wildcards, empty levels or a leading $"],
    ["scoreThreshold", "1.5", "--score-threshold must be a number from 0 to 1"],
    ["maxDetections", "0", "--max-detections must be a whole number from 1 to 1000"],
    ["inputSize", "640x", "--input-size must be <n> or <width>x<height>"],
    ["classes", "scratch,,dent", "--classes must be comma-separated class names"],
    ["outboxMaxBytes", "1000", "--outbox-max-bytes must be a whole number of bytes from 65536"],
    ["cert", "/no/cert.pem", "--cert must be an existing PEM file"],
    ["layout", "ssd", "--layout must be auto, torchvision or yolov8"],
    ["upload", "ftp://lake/images", "--upload must be off, s3://<bucket> or a folder path"],
    ["upload", "s3://Lake_Bucket", "--upload must be off, s3://<bucket> or a folder path"],
    ["uploadEndpoint", "127.0.0.1:9000", "--upload-endpoint must be an http:// or https:// URL without a path"],
    ["uploadRegion", "Europe", "--upload-region must be an AWS region such as eu-west-1"],
    ["uploadMaxBytes", "65536", "--upload-max-bytes must be a whole number of bytes from 1048576"],
    ["uncertaintyMaxScore", "70", "--uncertainty-max-score must be a number from 0 to 1"],
    ["uncertaintyBand", "0.7-0.3", "--uncertainty-band must be off or <low>-<high> with 0 <= low <= high <= 1"],
    ["uncertaintyBand", "0.3-1.5", "--uncertainty-band must be off or <low>-<high>"],
    ["uncertaintyBand", "0.3,0.7", "--uncertainty-band must be off or <low>-<high>"],
    ["uncertaintyMaxPerHour", "ten", "--uncertainty-max-per-hour must be a whole number from 0 to 100000"],
    ["uncertaintyRandomRate", "5%", "--uncertainty-random-rate must be a number from 0 to 1"],
  ];
  for (const [name, value, message] of badValues) {
    it(`rejects ${name}=${JSON.stringify(value)}, naming the flag and the expected form`, () => {
      const problems = problemsOf({ ...base, [name]: value });
      expect(problems).to.have.length(1);
      expect(problems[0]).to.contain(message);
      expect(problems[0]).to.contain(JSON.stringify(value));
    });
  }

  it("names the environment variable when the bad value came from there", () => {
    expect(problemsOf(base, { QI_EDGE_IOU_THRESHOLD: "-1" })).to.deep.equal([
      'QI_EDGE_IOU_THRESHOLD must be a number from 0 to 1 (got "-1")',
    ]);
  });

  it("reports every problem at once, including missing required fields", () => {
    const problems = problemsOf({ intervalSeconds: "x" });
    expect(problems).to.have.length(3);
    expect(problems.join("\n")).to.contain("model is required").and.contain("--model or QI_EDGE_MODEL");
    expect(problems.join("\n")).to.contain("imagesDir is required");
  });

  it("needs a certificate and key for a mutual-TLS broker", () => {
    expect(problemsOf({ ...base, broker: "mqtts://example-ats.iot.eu-west-1.amazonaws.com" })[0]).to.contain(
      "uses mutual TLS: set cert (--cert) and key (--key)",
    );
    const config = parseEdgeConfig({
      ...base,
      broker: "mqtts://example-ats.iot.eu-west-1.amazonaws.com:8883",
      cert: pem,
      key: pem,
    });
    expect(config.broker.port).to.equal("8883");
  });

  it("sends nothing back unless told where to, and samples like the seed by default", () => {
    const config = parseEdgeConfig(base, {});
    expect(config.upload).to.deep.equal({ kind: "off" });
    expect(config).to.deep.include({
      uploadOutboxDir: ".local/edge/upload-outbox",
      uploadMaxBytes: 256 * 1024 * 1024,
      uncertaintyMaxScore: 0.7,
      uncertaintyBand: [0.3, 0.7],
      uncertaintyMaxPerHour: 60,
      uncertaintyRandomRate: 0,
    });
    expect(parseEdgeConfig({ ...base, uncertaintyBand: "off" }, {}).uncertaintyBand).to.equal(null);
  });

  it("uploads to an S3 bucket in the region AWS_REGION names, or to a local data lake folder", () => {
    const s3 = parseEdgeConfig({ ...base, upload: "s3://qi-dev-data-lake-0a1b2c3d" }, { AWS_REGION: "eu-west-1" });
    expect(s3.upload).to.deep.equal({ kind: "s3", bucket: "qi-dev-data-lake-0a1b2c3d" });
    expect(s3.uploadRegion).to.equal("eu-west-1");
    const local = parseEdgeConfig(
      { ...base, upload: "s3://lake/", uploadRegion: "us-east-1", uploadEndpoint: "http://127.0.0.1:9000" },
      { AWS_REGION: "eu-west-1" },
    );
    expect(local.upload).to.deep.equal({ kind: "s3", bucket: "lake" });
    expect(local.uploadRegion).to.equal("us-east-1");
    expect(local.uploadEndpoint?.href).to.equal("http://127.0.0.1:9000/");
    expect(parseEdgeConfig({ ...base, upload: ".local/data-lake" }, {}).upload).to.deep.equal({
      kind: "folder",
      dir: ".local/data-lake",
    });
  });

  it("needs a region for an S3 upload, and an S3 upload for an endpoint", () => {
    expect(problemsOf({ ...base, upload: "s3://lake" })).to.deep.equal([
      "upload s3://lake needs the bucket's region: set --upload-region, QI_EDGE_UPLOAD_REGION or AWS_REGION",
    ]);
    expect(problemsOf({ ...base, uploadEndpoint: "http://127.0.0.1:9000" })).to.deep.equal([
      "upload endpoint http://127.0.0.1:9000/ needs an s3://<bucket> upload (--upload)",
    ]);
  });

  it("refuses Greengrass IPC outside Greengrass", () => {
    expect(problemsOf({ ...base, transport: "greengrass-ipc" })[0]).to.contain(
      "needs to run as a Greengrass component",
    );
  });

  it("edge/README.md documents every flag and environment variable", () => {
    const readme = readFileSync(path.resolve(__dirname, "..", "..", "edge", "README.md"), "utf8");
    for (const name of Object.keys(edgeConfigFields) as (keyof typeof edgeConfigFields)[]) {
      expect(readme, name)
        .to.contain(`| \`${flagNameOf(name)}\``)
        .and.contain(`\`${envNameOf(name)}\``);
    }
  });

  it("describes every field for --help", () => {
    for (const [name, f] of Object.entries(edgeConfigFields)) {
      expect(f.flag, name).to.match(/^--[a-z-]+( <[^>]+>)?$/);
      expect(f.description, name).to.have.length.greaterThan(5);
    }
  });
});
