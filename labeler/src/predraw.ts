import type { Annotation } from "../../contracts/labelRecord";
import { Detector } from "../../edge/src/detector";
import { decodeImage } from "../../edge/src/image";

/** What the page starts an image with: its size and the boxes to confirm, move, resize or delete. */
export interface Predrawn {
  width: number;
  height: number;
  annotations: Annotation[];
  /** The model's score of each box, in the same order. */
  scores: number[];
}

export interface Predrawer {
  predraw(bytes: Buffer): Promise<Predrawn>;
}

/** No model: the image's size only, every box drawn by hand. */
export const blankPredrawer: Predrawer = {
  async predraw(bytes) {
    const { width, height } = await decodeImage(bytes);
    return { width, height, annotations: [], scores: [] };
  },
};

/**
 * The current model's detections, by the edge detector's own code (decode, letterbox, onnxruntime, decode boxes),
 * so the boxes people confirm are the boxes the devices would report. Rounded to whole pixels, clipped to the image.
 */
export async function modelPredrawer(modelPath: string, scoreThreshold?: number): Promise<Predrawer> {
  const detector = await Detector.load(modelPath, {
    threads: 0,
    maxDetections: 50,
    ...(scoreThreshold === undefined ? {} : { scoreThreshold }),
    bare: { padValue: 114 },
  });
  return {
    async predraw(bytes) {
      const { width, height, detections } = await detector.inspect(bytes);
      const kept = detections
        .map((d) => ({ d, box: clip(d.box, width, height) }))
        .filter(({ box }) => box.width >= 1 && box.height >= 1);
      return {
        width,
        height,
        annotations: kept.map(({ d, box }) => ({ class_id: d.classId, ...box })),
        scores: kept.map(({ d }) => d.score),
      };
    },
  };
}

function clip([x1, y1, x2, y2]: [number, number, number, number], width: number, height: number) {
  const left = Math.max(0, Math.round(x1));
  const top = Math.max(0, Math.round(y1));
  return { left, top, width: Math.min(width, Math.round(x2)) - left, height: Math.min(height, Math.round(y2)) - top };
}
