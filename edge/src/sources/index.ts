import { EdgeConfig } from "../config";
import { Log } from "../log";
import { FolderReplaySource } from "./folderReplay";
import { FolderWatchSource } from "./folderWatch";
import { Credentials } from "./cameraAuth";
import { HttpSnapshotSource } from "./httpSnapshot";
import { ImageSource } from "./source";
import { StreamInput, StreamSource } from "./stream";

/**
 * ffmpeg takes a stream's credentials only in its URL (RTSP and HTTP alike): they are added here, in memory, and so
 * appear in ffmpeg's command line on the device (docs/limitations.md); they never appear in the detector's.
 */
function withCredentials(input: StreamInput, credentials?: Credentials): StreamInput {
  if (input.kind === "v4l2" || !credentials) return input;
  const url = new URL(input.url.href);
  url.username = encodeURIComponent(credentials.user);
  url.password = encodeURIComponent(credentials.password);
  return { kind: "url", url };
}

/** The image source the configuration names (see `sources/config.ts`). */
export function createSource(config: EdgeConfig, log: Log): ImageSource {
  switch (config.source) {
    case "folder-replay":
      return new FolderReplaySource(config.imagesDir, config.once);
    case "folder-watch":
      return new FolderWatchSource({
        dir: config.imagesDir,
        settleMs: config.settleSeconds * 1000,
        afterInspection: config.afterInspection,
        retain: config.retainFiles,
        thingName: config.thingName,
        log,
      });
    case "http-snapshot":
      if (config.camera.kind !== "url") throw new Error("http-snapshot needs an http(s) camera URL");
      return new HttpSnapshotSource({
        url: config.camera.url,
        timeoutMs: config.cameraTimeoutSeconds * 1000,
        credentials: config.cameraCredentials,
      });
    case "stream":
      return new StreamSource({
        input: withCredentials(config.camera, config.cameraCredentials),
        rtspTransport: config.rtspTransport,
        fps: config.intervalSeconds > 0 ? 1 / config.intervalSeconds : 0,
        timeoutMs: config.cameraTimeoutSeconds * 1000,
        log,
      });
  }
}
