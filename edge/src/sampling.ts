/**
 * Which inspected images go back to the data lake for labeling. Pure: the caller passes the clock, the random source
 * and the times of earlier sends, and keeps the history it gets back.
 */

export interface UncertaintyRule {
  /** Send when the best detection scores below this; an image with no detection counts as best score 0. */
  maxScore: number;
  /** Send when any detection scores within [low, high] (inclusive); null: no band. */
  band: readonly [number, number] | null;
  /** At most this many images in any hour (a sliding window); 0 sends none. */
  maxPerHour: number;
  /** Share of the other (confident) images sent anyway, so the dataset does not drift toward hard cases only. */
  randomRate: number;
}

/** Why an image qualifies: the best score is low, a detection is borderline, or it was drawn at random. */
export type SampleReason = "below-max-score" | "in-band" | "random";

export interface SampleDecision {
  send: boolean;
  /** Why the image qualifies (also when the hourly cap held it back); null when it does not. */
  reason: SampleReason | null;
  /** It qualified, but `maxPerHour` images were already sent in the last hour. */
  capped: boolean;
  /** Send times (epoch ms) within the last hour, this one included when sent: the next call's `history`. */
  history: number[];
}

export const HOUR_MS = 3_600_000;

/** Why an image with these detection scores qualifies, or null. Draws a random number only for confident images. */
export function sampleReason(
  scores: readonly number[],
  rule: UncertaintyRule,
  random: () => number,
): SampleReason | null {
  const best = scores.length === 0 ? 0 : Math.max(...scores);
  if (best < rule.maxScore) return "below-max-score";
  const band = rule.band;
  if (band && scores.some((s) => s >= band[0] && s <= band[1])) return "in-band";
  if (rule.randomRate > 0 && random() < rule.randomRate) return "random";
  return null;
}

/**
 * Decides whether to send one image. Only sends within the last hour count against `maxPerHour`; times after `now`
 * (a clock set back) are forgotten rather than holding sends back for as long as the clock was off.
 */
export function decideSample(
  scores: readonly number[],
  rule: UncertaintyRule,
  history: readonly number[],
  now: number,
  random: () => number,
): SampleDecision {
  const recent = history.filter((t) => t > now - HOUR_MS && t <= now);
  const reason = sampleReason(scores, rule, random);
  if (reason === null) return { send: false, reason, capped: false, history: recent };
  if (recent.length >= rule.maxPerHour) return { send: false, reason, capped: true, history: recent };
  return { send: true, reason, capped: false, history: [...recent, now] };
}
