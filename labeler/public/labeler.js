// The labeling page: one image at a time, the model's boxes pre-drawn. Boxes live in image pixels (the SVG's
// viewBox is the image's size), so what is saved is what is drawn. Each image is saved on its own: closing the page
// loses nothing saved, and the image the page held goes back to the others when its claim expires.

const SVG = "http://www.w3.org/2000/svg";
const HANDLE = 10;
const MIN_SIZE = 3;

const $ = (id) => document.getElementById(id);
const canvas = $("canvas");
const params = new URLSearchParams(window.location.search);

let labeler = "";
let current; // { id, width, height, boxes: [{ class_id, left, top, width, height, predrawn }] }
let selected = -1;
let drag; // { kind: "move" | "resize" | "draw", index, dx, dy, x0, y0 }
let busy = false;

function status(text, kind = "") {
  $("status").textContent = text;
  $("status").dataset.kind = kind;
}

async function api(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await response.json();
  if (!response.ok) throw new Error(`${data.error}: ${data.message}`);
  return data;
}

function showProgress(progress) {
  const p = $("progress");
  p.dataset.labeled = String(progress.labeled);
  p.dataset.total = String(progress.total);
  const others = progress.claimedByOthers ? `, ${progress.claimedByOthers} open with others` : "";
  p.textContent = `${progress.labeled} labeled / ${progress.remaining} remaining of ${progress.total}${others}`;
}

function point(event) {
  const p = canvas.createSVGPoint();
  p.x = event.clientX;
  p.y = event.clientY;
  const local = p.matrixTransform(canvas.getScreenCTM().inverse());
  return { x: Math.min(Math.max(local.x, 0), current.width), y: Math.min(Math.max(local.y, 0), current.height) };
}

function element(name, attributes) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

function draw() {
  for (const old of canvas.querySelectorAll(".box")) old.remove();
  current.boxes.forEach((box, index) => {
    const group = element("g", {
      class: `box${index === selected ? " selected" : ""}${box.predrawn ? " predrawn" : ""}`,
    });
    group.dataset.index = String(index);
    group.append(element("rect", { class: "outline", x: box.left, y: box.top, width: box.width, height: box.height }));
    const size = HANDLE * (current.width / canvas.getBoundingClientRect().width || 1);
    group.append(
      element("rect", {
        class: "handle",
        x: box.left + box.width - size / 2,
        y: box.top + box.height - size / 2,
        width: size,
        height: size,
      }),
    );
    canvas.append(group);
  });
  $("delete").disabled = selected < 0;
}

function select(index) {
  selected = index;
  draw();
}

canvas.addEventListener("pointerdown", (event) => {
  if (!current || busy) return;
  canvas.setPointerCapture(event.pointerId);
  const { x, y } = point(event);
  // Shift draws a new box even where another one lies (scratches cross).
  const group = event.shiftKey ? null : event.target.closest(".box");
  if (group) {
    const index = Number(group.dataset.index);
    const box = current.boxes[index];
    box.predrawn = false;
    drag = event.target.classList.contains("handle")
      ? { kind: "resize", index }
      : { kind: "move", index, dx: x - box.left, dy: y - box.top };
    select(index);
    return;
  }
  const classId = Number($("class").value || 0);
  current.boxes.push({ class_id: classId, left: x, top: y, width: 0, height: 0 });
  drag = { kind: "draw", index: current.boxes.length - 1, x0: x, y0: y };
  select(drag.index);
});

canvas.addEventListener("pointermove", (event) => {
  if (!drag) return;
  const { x, y } = point(event);
  const box = current.boxes[drag.index];
  if (drag.kind === "move") {
    box.left = Math.min(Math.max(x - drag.dx, 0), current.width - box.width);
    box.top = Math.min(Math.max(y - drag.dy, 0), current.height - box.height);
  } else if (drag.kind === "resize") {
    box.width = Math.max(x - box.left, MIN_SIZE);
    box.height = Math.max(y - box.top, MIN_SIZE);
  } else {
    box.left = Math.min(drag.x0, x);
    box.top = Math.min(drag.y0, y);
    box.width = Math.abs(x - drag.x0);
    box.height = Math.abs(y - drag.y0);
  }
  draw();
});

canvas.addEventListener("pointerup", () => {
  if (!drag) return;
  const box = current.boxes[drag.index];
  if (drag.kind === "draw" && (box.width < MIN_SIZE || box.height < MIN_SIZE)) {
    current.boxes.splice(drag.index, 1);
    selected = -1;
  }
  drag = undefined;
  draw();
});

/** Whole pixels inside the image, as the label store keeps them. */
function annotations() {
  return current.boxes.map((box) => {
    const left = Math.round(box.left);
    const top = Math.round(box.top);
    return {
      class_id: box.class_id,
      left,
      top,
      width: Math.max(1, Math.min(Math.round(box.width), current.width - left)),
      height: Math.max(1, Math.min(Math.round(box.height), current.height - top)),
    };
  });
}

async function save(noDefect) {
  if (!current || busy) return;
  busy = true;
  try {
    const body = { labeler, width: current.width, height: current.height, annotations: noDefect ? [] : annotations() };
    const { progress } = await api("PUT", `/api/labels/${current.id}`, body);
    showProgress(progress);
    await next();
  } catch (error) {
    status(`Not saved — ${error.message}`, "error");
  } finally {
    busy = false;
  }
}

async function next() {
  const data = await api("POST", "/api/next", { labeler });
  showProgress(data.progress);
  if (data.done) {
    current = undefined;
    canvas.setAttribute("hidden", "");
    canvas.removeAttribute("data-image-id");
    const closed = data.progress.closed;
    status(closed === "rejected" ? "The batch was rejected." : "Done: nothing left to label in this batch.", "done");
    return;
  }
  const { image } = data;
  current = {
    id: image.id,
    width: image.width,
    height: image.height,
    boxes: image.annotations.map((a) => ({ ...a, predrawn: true })),
  };
  selected = -1;
  canvas.replaceChildren(element("image", { href: image.url, x: 0, y: 0, width: image.width, height: image.height }));
  canvas.setAttribute("viewBox", `0 0 ${image.width} ${image.height}`);
  canvas.dataset.imageId = image.id;
  canvas.removeAttribute("hidden"); // an SVG element has no `hidden` property
  status(
    `${image.key}: ${image.annotations.length} box(es) from the model. Yours until ${new Date(data.expiresAt).toLocaleTimeString()}.`,
  );
  draw();
  canvas.focus();
}

function deleteSelected() {
  if (!current || selected < 0) return;
  current.boxes.splice(selected, 1);
  select(-1);
}

function nudge(dx, dy) {
  const box = current?.boxes[selected];
  if (!box) return;
  box.predrawn = false;
  box.left = Math.min(Math.max(box.left + dx, 0), current.width - box.width);
  box.top = Math.min(Math.max(box.top + dy, 0), current.height - box.height);
  draw();
}

document.addEventListener("keydown", (event) => {
  if (event.target.tagName === "INPUT" || event.target.tagName === "SELECT") return;
  const step = event.shiftKey ? 10 : 1;
  const keys = {
    Enter: () => save(false),
    n: () => save(true),
    N: () => save(true),
    Delete: deleteSelected,
    Backspace: deleteSelected,
    Escape: () => select(-1),
    Tab: () => current && current.boxes.length > 0 && select((selected + 1) % current.boxes.length),
    ArrowLeft: () => nudge(-step, 0),
    ArrowRight: () => nudge(step, 0),
    ArrowUp: () => nudge(0, -step),
    ArrowDown: () => nudge(0, step),
  };
  const action = keys[event.key];
  if (!action) return;
  event.preventDefault();
  action();
});

$("save").addEventListener("click", () => save(false));
$("no-defect").addEventListener("click", () => save(true));
$("delete").addEventListener("click", deleteSelected);
$("reject").addEventListener("click", async () => {
  try {
    const { progress } = await api("POST", "/api/reject", { labeler, reason: $("reason").value });
    showProgress(progress);
    current = undefined;
    canvas.setAttribute("hidden", "");
    status("The batch was rejected: the run stops its labeling.", "done");
  } catch (error) {
    status(`Not rejected — ${error.message}`, "error");
  }
});

async function start() {
  try {
    const batch = await api("GET", "/api/batch");
    labeler = params.get("labeler") || batch.labeler;
    $("job").textContent = batch.jobName;
    $("labeler").textContent = labeler;
    for (const [id, name] of batch.classes.entries()) $("class").append(new Option(name, String(id)));
    showProgress(batch.progress);
    await next();
  } catch (error) {
    status(error.message, "error");
  }
}

start();
