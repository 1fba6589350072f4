import { z } from "zod";
import { flagFieldWith } from "../../../lib/fields";
import { decimal, existingPath, wholeNumber } from "../../../lib/fieldValues";
import { readCredentials } from "./cameraAuth";
import { mqttTopicSchema } from "../../../contracts/inferenceMessages";
import { AFTER_INSPECTION } from "./folderWatch";
import { SOURCE_KINDS } from "./source";

type EnvDefault = (env: NodeJS.ProcessEnv) => string | undefined;
const field = flagFieldWith<EnvDefault>();

/** What `--camera` may name: an HTTP(S) URL, an RTSP URL, or a V4L2 device. Credentials never go in it. */
export const cameraAddress = z
  .string()
  .regex(/^((https?|rtsps?):\/\/[^\s@/]+(\/\S*)?|\/dev\/video\d{1,3})$/)
  // A port past 65535 or a bad host passes the pattern; URL refuses it here, as a problem, not a TypeError.
  .refine((v) => v.startsWith("/dev/") || URL.canParse(v))
  .transform((v) =>
    v.startsWith("/dev/") ? { kind: "v4l2" as const, device: v } : { kind: "url" as const, url: new URL(v) },
  );

/** `user:password` on the first line of a file: how camera credentials reach the device, never a flag's value. */
export const credentialsFile = existingPath("file")
  .transform((file) => {
    try {
      return readCredentials(file);
    } catch {
      return undefined;
    }
  })
  .refine((c) => c !== undefined)
  .transform((c) => c!);

/**
 * The image source's settings, part of the edge configuration (same flags, environment variables and recipe keys).
 * Which of them matter depends on `source`; `sourceProblems` checks the combinations.
 */
export const sourceConfigFields = {
  source: field({
    flag: "--source <kind>",
    description:
      "where images come from: folder-replay (cycles --images, for demos), folder-watch (each new file in --images once), http-snapshot or stream (--camera)",
    must: `be ${SOURCE_KINDS.join(", ")}`,
    schema: z.enum(SOURCE_KINDS),
    fallback: "folder-replay",
  }),
  camera: field({
    flag: "--camera <url>",
    description:
      "http-snapshot: http(s):// URL of a JPEG; stream: http(s):// MJPEG, rtsp:// or /dev/videoN (credentials: --camera-credentials)",
    must: "be an http(s):// or rtsp:// URL without user:password@, or /dev/video<N>",
    schema: cameraAddress,
  }),
  cameraCredentials: field({
    flag: "--camera-credentials <file>",
    description: "file whose first line is user:password for the camera (basic or digest auth, as it asks)",
    must: "be an existing file holding user:password",
    schema: credentialsFile,
  }),
  cameraTimeoutSeconds: field({
    flag: "--camera-timeout <seconds>",
    description: "seconds a snapshot request or a silent stream may take before it counts as failed",
    must: "be a number of seconds from 0.1 to 600",
    schema: decimal(0.1, 600),
    fallback: "10",
  }),
  rtspTransport: field({
    flag: "--rtsp-transport <tcp|udp>",
    description: "stream over rtsp://: carry the video over TCP (through firewalls) or UDP (lower latency)",
    must: "be tcp or udp",
    schema: z.enum(["tcp", "udp"]),
    fallback: "tcp",
  }),
  settleSeconds: field({
    flag: "--settle <seconds>",
    description: "folder-watch: a file is complete once its size held still this long (or it was renamed in)",
    must: "be a number of seconds from 0 to 3600",
    schema: decimal(0, 3600),
    fallback: "1",
  }),
  afterInspection: field({
    flag: "--after-inspection <policy>",
    description: "folder-watch: move inspected files to processed/ (unreadable ones to failed/), or delete them",
    must: `be ${AFTER_INSPECTION.join(" or ")}`,
    schema: z.enum(AFTER_INSPECTION),
    fallback: "move",
  }),
  retainFiles: field({
    flag: "--retain <n>",
    description: "folder-watch: files kept in processed/ and in failed/ each; the oldest are deleted",
    must: "be a whole number from 0 to 10000000",
    schema: wholeNumber(0, 10_000_000),
    fallback: "1000",
  }),
  triggerTopic: field({
    flag: "--trigger-topic <topic>",
    description:
      'inspect only when a trigger arrives on this topic (MQTT, or Greengrass local pub/sub): {"partId":"…","line":"…","station":"…"}',
    must: "be an MQTT topic without wildcards, empty levels or a leading $ (at most 200 characters)",
    schema: mqttTopicSchema,
  }),
  triggerTimeoutSeconds: field({
    flag: "--trigger-timeout <seconds>",
    description: "seconds a trigger waits for a frame before it is reported as NO_FRAME for its part",
    must: "be a number of seconds from 0.1 to 600",
    schema: decimal(0.1, 600),
    fallback: "5",
  }),
};

type SourceSettings = {
  source: (typeof SOURCE_KINDS)[number];
  imagesDir?: string;
  camera?: z.output<typeof cameraAddress>;
  cameraCredentials?: unknown;
  /** Fields that were set (valid or not). */
  given: Set<string>;
};

/** What one source needs that another does not; each line names the field and what to set. */
export function sourceProblems(v: SourceSettings): string[] {
  const problems: string[] = [];
  const folder = v.source === "folder-replay" || v.source === "folder-watch";
  if (folder && !v.given.has("imagesDir")) {
    problems.push(
      `imagesDir is required and must be an existing folder (source ${v.source}): set --images or QI_EDGE_IMAGES_DIR`,
    );
  }
  if (!folder && !v.given.has("camera")) {
    problems.push(`camera is required for source ${v.source}: set --camera or QI_EDGE_CAMERA to the camera's address`);
  }
  if (v.source === "http-snapshot" && v.camera?.kind === "v4l2") {
    problems.push(`source http-snapshot needs an http(s):// --camera URL; a V4L2 device is read with --source stream`);
  }
  if (v.source === "http-snapshot" && v.camera?.kind === "url" && !v.camera.url.protocol.startsWith("http")) {
    problems.push(`source http-snapshot needs an http(s):// --camera URL; rtsp:// is read with --source stream`);
  }
  return problems;
}
