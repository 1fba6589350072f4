import { setTimeout as wait } from "node:timers/promises";
import {
  BatchGetRecordCommand,
  PutRecordCommand,
  SageMakerFeatureStoreRuntimeClient,
} from "@aws-sdk/client-sagemaker-featurestore-runtime";
import { fromFeatureValues, toFeatureValues } from "../../contracts/labelRecord";
import { z } from "zod";
import { readEnv } from "../env";
import { LabelStoreThrottledError } from "../errors";
import type { LabelLookup, LabelStore } from "../ports";
import { chunked, mapConcurrently } from "../streams";

/** BatchGetRecord takes at most 100 record identifiers per call. */
const BATCH_SIZE = 100;
/** Batches in flight at once (the scale bench models its wait with this). */
export const BATCH_GET_CONCURRENCY = 8;
const MAX_ROUNDS = 5;

const TRANSIENT_RECORD_ERRORS = new Set(["ThrottlingException", "ServiceUnavailable", "InternalFailure"]);

const isThrottling = (error: unknown) =>
  error instanceof Error && (error.name === "ThrottlingException" || error.name === "ServiceUnavailable");

export interface FeatureStoreOptions {
  sleep?: (ms: number) => Promise<void>;
}

/** The label feature group's online store. */
export function featureStoreLabelStore(
  client: SageMakerFeatureStoreRuntimeClient,
  featureGroupName: string,
  { sleep = wait }: FeatureStoreOptions = {},
): LabelStore {
  async function getBatch(ids: string[], lookup: LabelLookup): Promise<void> {
    let pending = ids;
    for (let round = 0; pending.length > 0; round++) {
      if (round === MAX_ROUNDS) {
        throw new LabelStoreThrottledError(`${pending.length} label look-ups stayed unprocessed after ${round} tries`);
      }
      if (round > 0) await sleep(200 * 2 ** round);
      const response = await client.send(
        new BatchGetRecordCommand({
          Identifiers: [{ FeatureGroupName: featureGroupName, RecordIdentifiersValueAsString: pending }],
        }),
      );
      for (const item of response.Records ?? []) {
        const id = item.RecordIdentifierValueAsString ?? "";
        try {
          lookup.found.set(
            id,
            fromFeatureValues(
              (item.Record ?? []).map((v) => ({
                FeatureName: v.FeatureName ?? "",
                ValueAsString: v.ValueAsString ?? "",
              })),
            ),
          );
        } catch (error) {
          lookup.invalid.set(id, error instanceof Error ? error.message : String(error));
        }
      }
      // Unprocessed identifiers and per-record throttling are asked again; any other per-record error is a fault.
      const failed = response.Errors ?? [];
      const fault = failed.find((e) => !TRANSIENT_RECORD_ERRORS.has(e.ErrorCode ?? ""));
      if (fault) {
        throw new Error(
          `BatchGetRecord failed for ${fault.RecordIdentifierValueAsString}: ${fault.ErrorCode}: ${fault.ErrorMessage}`,
        );
      }
      pending = [
        ...(response.UnprocessedIdentifiers ?? []).flatMap((u) => u.RecordIdentifiersValueAsString ?? []),
        ...failed.map((e) => e.RecordIdentifierValueAsString ?? "").filter((id) => id !== ""),
      ];
    }
  }

  return {
    async get(imageIds) {
      const lookup: LabelLookup = { found: new Map(), invalid: new Map() };
      await mapConcurrently(chunked(imageIds, BATCH_SIZE), BATCH_GET_CONCURRENCY, (batch) => getBatch(batch, lookup));
      return lookup;
    },
    async put(record) {
      try {
        await client.send(
          new PutRecordCommand({ FeatureGroupName: featureGroupName, Record: toFeatureValues(record) }),
        );
      } catch (error) {
        if (isThrottling(error)) throw new LabelStoreThrottledError(`PutRecord throttled for image ${record.image_id}`);
        throw error;
      }
    },
  };
}

/** The label store, named by the function's `FEATURE_GROUP_NAME`. */
export function labelStoreFromEnv(): LabelStore {
  const { FEATURE_GROUP_NAME } = readEnv({ FEATURE_GROUP_NAME: z.string().min(1) });
  return featureStoreLabelStore(new SageMakerFeatureStoreRuntimeClient({}), FEATURE_GROUP_NAME);
}
