import { LABEL_ATTRIBUTE, VERIFICATION_CHOICES } from "../../lib/labeling";

/**
 * The worker UIs of the labeling jobs: Liquid templates with Ground Truth's crowd HTML elements. Ground Truth fills
 * `task.input` from the pre-annotation Lambda (built-in task types: the image as `taskObject`, the categories as
 * `labels`; verification jobs also get the manifest line with the boxes to check).
 */
const CROWD_ELEMENTS = '<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function boundingBoxTemplate(classes: readonly string[]): string {
  const names = escapeHtml(classes.join(", "));
  return `${CROWD_ELEMENTS}
<crowd-form>
  <crowd-bounding-box
    name="boundingBox"
    src="{{ task.input.taskObject | grant_read_access }}"
    header="Draw a tight box around every defect (${names}). Submit without boxes if the part has none."
    labels="{{ task.input.labels | to_json | escape }}"
  >
    <short-instructions>
      <p>Draw one box per defect, as tight as you can. Choose the defect type for each box.</p>
      <p>A part without defects is a valid answer: submit it without boxes.</p>
    </short-instructions>
    <full-instructions header="Marking defects on inspected parts">
      <p>Each image shows one machined metal part. Mark every visible defect (${names}) with its own box that
      covers the whole defect and as little else as possible. Do not mark reflections, dust or tooling marks.</p>
    </full-instructions>
  </crowd-bounding-box>
</crowd-form>
`;
}

export function verificationTemplate(): string {
  const choices = JSON.stringify(VERIFICATION_CHOICES).replace(/"/g, "'");
  return `${CROWD_ELEMENTS}
<crowd-form>
  <crowd-image-classifier
    name="verification"
    src="{{ task.input.taskObject | grant_read_access }}"
    header="Do the boxes mark every defect, and only defects?"
    categories="${choices}"
    overlay="{ boundingBox: { labels: {{ task.input.manifestLine['${LABEL_ATTRIBUTE}-metadata']['class-map'] | to_json | escape }}, value: {{ task.input.manifestLine['${LABEL_ATTRIBUTE}'].annotations | to_json | escape }} } }"
  >
    <short-instructions>
      <p>Choose <b>correct</b> when every defect has a tight box and nothing else is boxed; otherwise <b>incorrect</b>.</p>
    </short-instructions>
    <full-instructions header="Checking defect labels">
      <p>Another worker marked the defects on this part. Approve the labels only if they are complete and tight.</p>
    </full-instructions>
  </crowd-image-classifier>
</crowd-form>
`;
}
