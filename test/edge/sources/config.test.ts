import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { EdgeConfigError, parseEdgeConfig } from "../../../edge/src/config";
import { tempDir } from "../../harness/modelFolders";

describe("image source configuration", () => {
  const dir = tempDir("source-config");
  const model = path.join(dir, "model");
  const credentials = path.join(dir, "camera.credentials");
  const notCredentials = path.join(dir, "no-colon.txt");
  before(() => {
    writeFileSync(credentials, "admin:pa:ss\n");
    writeFileSync(notCredentials, "just a password\n");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const problemsOf = (flags: Record<string, string>, env: NodeJS.ProcessEnv = {}) => {
    try {
      parseEdgeConfig({ model, ...flags }, env);
      return [];
    } catch (error) {
      if (!(error instanceof EdgeConfigError)) throw error;
      return error.problems;
    }
  };

  it("replays the folder unless told otherwise (npm start and today's flags keep working)", () => {
    const config = parseEdgeConfig({ model, imagesDir: dir }, {});
    expect(config).to.include({
      source: "folder-replay",
      afterInspection: "move",
      retainFiles: 1000,
      settleSeconds: 1,
    });
  });

  it("takes a camera by URL or device, with credentials from a file", () => {
    const rtsp = parseEdgeConfig({ model, source: "stream", camera: "rtsp://10.0.0.7:554/stream1" }, {});
    expect(rtsp.camera).to.deep.include({ kind: "url" });
    expect(rtsp.rtspTransport).to.equal("tcp");
    const v4l2 = parseEdgeConfig({ model, source: "stream", camera: "/dev/video0" }, {});
    expect(v4l2.camera).to.deep.equal({ kind: "v4l2", device: "/dev/video0" });
    const snapshot = parseEdgeConfig(
      { model, source: "http-snapshot", camera: "http://cam.local/snap.jpg" },
      { QI_EDGE_CAMERA_CREDENTIALS: credentials },
    );
    expect(snapshot.cameraCredentials).to.deep.equal({ user: "admin", password: "pa:ss" });
  });

  const bad: [Record<string, string>, string][] = [
    [
      { source: "webcam", imagesDir: dir },
      '--source must be folder-replay, folder-watch, http-snapshot, stream (got "webcam")',
    ],
    [
      { source: "stream", camera: "rtsp://admin:secret@cam/1" },
      "--camera must be an http(s):// or rtsp:// URL without user:password@, or /dev/video<N>",
    ],
    [{ source: "stream", camera: "ftp://cam/1" }, "--camera must be an http(s):// or rtsp:// URL"],
    [{ source: "stream", camera: "rtsp://cam:99999/1" }, "--camera must be"],
    [{ source: "stream", camera: "/dev/sda" }, "--camera must be"],
    [{ source: "stream" }, "camera is required for source stream: set --camera or QI_EDGE_CAMERA"],
    [{ source: "folder-watch" }, "imagesDir is required and must be an existing folder (source folder-watch)"],
    [{ source: "http-snapshot", camera: "rtsp://cam/1" }, "source http-snapshot needs an http(s):// --camera URL"],
    [{ source: "http-snapshot", camera: "/dev/video0" }, "source http-snapshot needs an http(s):// --camera URL"],
    [
      { source: "stream", camera: "rtsp://cam/1", cameraCredentials: "/no/such/file" },
      "--camera-credentials must be an existing file holding user:password",
    ],
    [{ source: "stream", camera: "rtsp://cam/1", cameraCredentials: "" }, "--camera-credentials must be"],
    [{ source: "stream", camera: "rtsp://cam/1", rtspTransport: "http" }, "--rtsp-transport must be tcp or udp"],
    [{ imagesDir: dir, cameraTimeoutSeconds: "0" }, "--camera-timeout must be a number of seconds from 0.1 to 600"],
    [{ imagesDir: dir, settleSeconds: "-1" }, "--settle must be a number of seconds from 0 to 3600"],
    [{ imagesDir: dir, afterInspection: "keep" }, "--after-inspection must be move or delete"],
    [{ imagesDir: dir, retainFiles: "1e3" }, "--retain must be a whole number from 0 to 10000000"],
    [{ imagesDir: dir, triggerTopic: "line/+/part" }, "--trigger-topic must be an MQTT topic without wildcards"],
    [{ imagesDir: dir, triggerTimeoutSeconds: "never" }, "--trigger-timeout must be a number of seconds from 0.1"],
  ];
  for (const [flags, message] of bad) {
    it(`refuses ${JSON.stringify(flags)} in one line naming the field`, () => {
      const problems = problemsOf(flags);
      expect(problems, problems.join("\n")).to.have.length(1);
      expect(problems[0]).to.contain(message);
    });
  }

  it("refuses a credentials file without user:password", () => {
    expect(problemsOf({ source: "stream", camera: "rtsp://cam/1", cameraCredentials: notCredentials })[0]).to.contain(
      "--camera-credentials must be an existing file holding user:password",
    );
  });
});
