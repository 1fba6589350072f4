import { expect } from "chai";
import { CHAMPION_KEY } from "../../lib/models";
import { STATES } from "../../stateMachines/qualityInspection";
import { detectorModel, ImageBox, MODEL_INPUT } from "../fakes/fakeCloud";
import { manifestFor } from "../harness/models";
import { PipelineRun, runPipeline, World } from "../harness/pipelineHarness";

// A challenger must beat the champion: the new model and the deployed one are evaluated on the same held-out test
// split, and the new one is deployed only when it is not worse by more than evaluation.maxRegression.

const CHAMPION = "qi-dev-train-champion-00000000";
const MISSES: ImageBox[] = [{ left: 60, top: 45, width: 10, height: 10 }];
const onnx = (a: { compilation: { target: string } }) => void (a.compilation.target = "onnx");

/** The model an earlier run deployed: its files where CompileOnnx put them, and models/champion.json naming them. */
function deployedModel(world: World, boxes?: ImageBox[]): void {
  world.objects.put(`compiled/${CHAMPION}/model.onnx`, detectorModel(boxes));
  world.objects.put(
    `compiled/${CHAMPION}/model.json`,
    JSON.stringify(manifestFor({ version: CHAMPION, input: MODEL_INPUT })),
  );
  world.objects.put(
    CHAMPION_KEY,
    JSON.stringify({
      modelVersion: CHAMPION,
      packageArn: "arn:aws:sagemaker:eu-west-1:123456789012:model-package/qi-dev-scratch-detector/7",
      modelKey: `compiled/${CHAMPION}/model.onnx`,
      manifestKey: `compiled/${CHAMPION}/model.json`,
      deployedBy: "manual-earlier",
    }),
  );
}

interface Comparison {
  testImages: number;
  challengerTestMap50_95: number;
  champion: { modelVersion: string; testMap50_95: number } | null;
  maxRegression: number;
}
const comparisonOf = (run: PipelineRun) => (run.output!.evaluation as { comparison: Comparison }).comparison;
const packageOf = (run: PipelineRun) => [...run.world.cloud.packages.values()][0];
const championOf = (run: PipelineRun) => JSON.parse(run.world.objects.objects.get(CHAMPION_KEY)!.body.toString());

describe("running the state machine: the challenger and the deployed champion on the same test split", () => {
  it("the first model has no champion: it is compared with nothing, deployed, and becomes the champion", async () => {
    const run = await runPipeline({ args: onnx });
    expect(run.output!.outcome).to.equal("deployed");
    const comparison = comparisonOf(run);
    expect(comparison.champion).to.equal(null);
    expect(comparison.testImages).to.be.greaterThan(0);
    expect(comparison.challengerTestMap50_95).to.be.greaterThan(0.3);
    const training = (run.output!.training as { jobName: string }).jobName;
    expect(championOf(run)).to.deep.equal({
      modelVersion: training,
      packageArn: "arn:aws:sagemaker:eu-west-1:123456789012:model-package/qi-dev-scratch-detector/1",
      modelKey: `compiled/${training}/model.onnx`,
      manifestKey: `compiled/${training}/model.json`,
      deployedBy: "manual-run-1",
    });
    expect(packageOf(run).CustomerMetadataProperties).to.include({
      challengerTestMap50_95: String(comparison.challengerTestMap50_95),
      championModelVersion: "none",
    });
  });

  it("a challenger worse than the deployed model by more than the margin is registered Rejected, and not deployed", async () => {
    const run = await runPipeline({
      args: onnx,
      before: (world) => deployedModel(world),
      cloud: { modelBoxes: MISSES },
    });
    expect(run.output!.outcome).to.equal("rejected");
    expect(run.path.at(-1)).to.equal(STATES.modelRejected);
    const comparison = comparisonOf(run);
    expect(comparison.champion!.modelVersion).to.equal(CHAMPION);
    expect(comparison.champion!.testMap50_95).to.be.greaterThan(comparison.challengerTestMap50_95 + 0.02);
    const { reason } = run.output!.evaluation as { reason: string };
    expect(reason).to.match(
      new RegExp(
        `^test mAP50-95 ${comparison.challengerTestMap50_95.toFixed(3)} is worse than the deployed model's ` +
          `${comparison.champion!.testMap50_95.toFixed(3)} \\(${CHAMPION}\\) by more than 0\\.020 \\(evaluation\\.maxRegression\\)$`,
      ),
    );
    expect(packageOf(run).ModelApprovalStatus).to.equal("Rejected");
    expect(packageOf(run).CustomerMetadataProperties).to.include({
      challengerTestMap50_95: String(comparison.challengerTestMap50_95),
      championTestMap50_95: String(comparison.champion!.testMap50_95),
      championModelVersion: CHAMPION,
    });
    expect(run.world.cloud.deployments).to.have.length(0);
    expect(championOf(run).modelVersion, "the champion stays").to.equal(CHAMPION);
  });

  it("a challenger better than the deployed model is deployed and becomes the champion", async () => {
    const run = await runPipeline({ args: onnx, before: (world) => deployedModel(world, MISSES) });
    expect(run.output!.outcome).to.equal("deployed");
    const comparison = comparisonOf(run);
    expect(comparison.challengerTestMap50_95).to.be.greaterThan(comparison.champion!.testMap50_95);
    expect((run.output!.evaluation as { reason: string }).reason).to.contain(
      `against the deployed model's ${comparison.champion!.testMap50_95.toFixed(3)} (${CHAMPION})`,
    );
    expect(championOf(run).modelVersion).to.equal((run.output!.training as { jobName: string }).jobName);
  });

  it("a challenger worse by no more than evaluation.maxRegression still passes", async () => {
    const run = await runPipeline({
      args: (a) => {
        onnx(a);
        a.evaluation.maxRegression = 1;
      },
      before: (world) => deployedModel(world),
      cloud: { modelBoxes: MISSES },
    });
    const comparison = comparisonOf(run);
    expect(comparison.challengerTestMap50_95).to.be.below(comparison.champion!.testMap50_95);
    expect(comparison.maxRegression).to.equal(1);
    expect(run.output!.outcome).to.equal("deployed");
  });

  it("the validation floor still applies, whatever the champion", async () => {
    const run = await runPipeline({
      args: onnx,
      before: (world) => deployedModel(world, MISSES),
      cloud: { metric: 0.1 },
    });
    expect(run.output!.outcome).to.equal("rejected");
    expect((run.output!.evaluation as { reason: string }).reason).to.match(
      /below the threshold 0\.300 \(evaluation\.minMap50_95\)$/,
    );
  });
});
