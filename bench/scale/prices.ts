/**
 * What the scale bench charges for each AWS call, how many items one call carries and how long it waits. Prices are
 * us-east-1 list prices; latencies are assumptions (AWS documents none), chosen on the slow side of what a Lambda in
 * the same region sees.
 *
 * - S3 ListObjectsV2 returns at most 1,000 keys per call:
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 * - S3 request prices (LIST and PUT $0.005 per 1,000, GET $0.0004 per 1,000): https://aws.amazon.com/s3/pricing/
 * - Feature Store BatchGetRecord takes at most 100 record identifiers per call:
 *   https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_feature_store_BatchGetRecord.html
 * - Feature Store on-demand reads are billed in read request units, one per record read of up to 4 KB:
 *   https://docs.aws.amazon.com/sagemaker/latest/dg/feature-store-throughput-mode.html ; the price per million units
 *   is on https://aws.amazon.com/sagemaker/pricing/ (we charge $0.45, not checked against today's page).
 * - Lambda: $0.0000166667 per GB-second (x86) and $0.20 per million requests:
 *   https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html
 * - Lambda's 15-minute limit: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 * - Athena: $5 per TB scanned, 10 MB minimum per query: https://aws.amazon.com/athena/pricing/
 */
export const LAMBDA_LIMIT_SECONDS = 15 * 60;
export const LAMBDA_GB_SECOND = 0.0000166667;
export const LAMBDA_REQUEST = 0.2 / 1e6;

export interface ApiModel {
  /** Items one call carries at most (keys, record ids, bytes). */
  perCall: number;
  /** Dollars per call. */
  price: number;
  /** Dollars per item beyond the call (read units), if any. */
  pricePerItem?: number;
  /** Seconds one call waits. */
  latency: number;
  /** Seconds per byte moved, for calls that move bulk data. */
  secondsPerByte?: number;
}

export const APIS = {
  "s3:ListObjectsV2": { perCall: 1000, price: 0.005 / 1000, latency: 0.08 },
  "s3:PutObject": { perCall: 1, price: 0.005 / 1000, latency: 0.03, secondsPerByte: 1 / 80e6 },
  "s3:GetObject": { perCall: 1, price: 0.0004 / 1000, latency: 0.02, secondsPerByte: 1 / 80e6 },
  "s3:DeleteObjects": { perCall: 1000, price: 0, latency: 0.05 },
  "featurestore:BatchGetRecord": { perCall: 100, price: 0, pricePerItem: 0.45 / 1e6, latency: 0.04 },
  // Athena: a query waits in the queue and plans (latency), then scans; it is billed per byte scanned (10 MB minimum).
  "athena:Query": { perCall: 1, price: 0, latency: 4, secondsPerByte: 1 / 400e6 },
} satisfies Record<string, ApiModel>;
export type Api = keyof typeof APIS;

export const ATHENA_PER_BYTE = 5 / 1e12;
export const ATHENA_MIN_BYTES = 10e6;
/**
 * Bytes of Parquet the offline store holds per label record, in the columns the dataset query reads (assumed). One
 * Parquet file of 999,000 synthetic labels written by DuckDB measured 44 bytes per label; Feature Store writes many
 * small files with its own columns besides, so the bench charges more.
 */
export const OFFLINE_BYTES_PER_RECORD = 120;
