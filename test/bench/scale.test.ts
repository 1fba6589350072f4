import { expect } from "chai";
import { measureStep } from "../../bench/scale/steps";
import { APIS, ATHENA_MIN_BYTES, ATHENA_PER_BYTE } from "../../bench/scale/prices";

/** Read units of the 1,900 older images' label records, the in-Lambda path's reads. */
const OLDER_LABEL_READS = 1900 * APIS["featurestore:BatchGetRecord"].pricePerItem;

// The scale bench's model on a small lake: each AWS call the handlers make is counted and charged.
describe("bench:scale's model", () => {
  it("charges BuildDataset's engine path one Athena query, this run's labels and the result file", async () => {
    const figures = await measureStep("buildDatasetEngine", 2000, 100);
    expect(figures.calls).to.deep.equal({
      // One page of images/ (the threshold is passed at once), and the run's selection.
      "s3:ListObjectsV2": 2,
      // The selection, then Athena's result file.
      "s3:GetObject": 2,
      // The 100 images this run labeled, from the label store: the offline store has not received them.
      "featurestore:BatchGetRecord": 1,
      "athena:Query": 1,
      // Annotations and manifest of three splits (each one PutObject below a part) and the summary.
      "s3:PutObject": 7,
    });
    // A small scan is billed as Athena's 10 MB minimum.
    expect(figures.dollars).to.be.greaterThan(ATHENA_MIN_BYTES * ATHENA_PER_BYTE);
    expect(figures.dollars, "no read units for the 1,900 older labels").to.be.lessThan(
      ATHENA_MIN_BYTES * ATHENA_PER_BYTE + OLDER_LABEL_READS,
    );
    expect(figures.heapMb).to.be.a("number");
  });

  it("charges the in-Lambda path a LIST per 1,000 images and a BatchGetRecord per 100", async () => {
    const figures = await measureStep("buildDataset", 2000, 100);
    expect(figures.calls).to.deep.equal({
      "s3:ListObjectsV2": 2,
      "featurestore:BatchGetRecord": 20,
      "s3:PutObject": 7,
    });
    // At least the read units of the 1,900 labeled images' records.
    expect(figures.dollars).to.be.greaterThan(OLDER_LABEL_READS);
  });
});
