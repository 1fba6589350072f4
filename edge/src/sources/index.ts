import { EdgeConfig } from "../config";
import { Log } from "../log";
import { FolderReplaySource } from "./folderReplay";
import { FolderWatchSource } from "./folderWatch";
import { ImageSource } from "./source";

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
    default:
      throw new Error(`source ${config.source} is not available yet`);
  }
}
