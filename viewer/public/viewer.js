// The live inspection page: renders what the viewer's server streams on /events (see viewer/src/http.ts).
// Every string from the broker is untrusted: it is set as text, never as markup.

const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);

const view = { settings: undefined };

function element(tag, properties = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, properties);
  node.append(...children);
  return node;
}

function svgElement(tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

const time = (iso) => new Date(iso).toLocaleTimeString();
const score = (value) => (value === null ? "–" : value.toFixed(2));

function verdict(result) {
  const text = result.passed ? "PASS" : "FAIL";
  const span = element("span", { className: "verdict", textContent: text });
  span.dataset.verdict = result.passed ? "pass" : "fail";
  return span;
}

function setState(id, label, state, detail) {
  const badge = $(id);
  badge.dataset.state = state;
  badge.textContent = `${label}: ${state}`;
  badge.title = detail ?? "";
}

function showBroker(status) {
  setState("broker", `broker ${status.broker}`, status.state, status.detail);
}

function showTotals(totals) {
  $("total-inspected").textContent = totals.inspected;
  $("total-failed").textContent = totals.failed;
  $("total-defect-rate").textContent = totals.defectRate === null ? "–" : `${(totals.defectRate * 100).toFixed(1)} %`;
  $("total-device-errors").textContent = totals.deviceErrors;
  $("total-invalid").textContent = totals.invalid;
  $("total-duplicates").textContent = totals.duplicates;
}

/** The latest image at its reported size, with every detection drawn in the image's own pixels. */
function showLatest(result) {
  const frame = $("frame");
  const caption = $("latest-caption");
  if (!result) {
    frame.toggleAttribute("hidden", true);
    caption.textContent = "Waiting for the first result…";
    return;
  }
  const { imageWidth: width, imageHeight: height } = result;
  frame.toggleAttribute("hidden", false);
  frame.setAttribute("viewBox", `0 0 ${width} ${height}`);
  frame.style.aspectRatio = `${width} / ${height}`;
  frame.dataset.messageId = result.messageId;
  const fontSize = Math.max(10, Math.round(height / 22));
  const note = svgElement("text", { class: "missing-note", x: width / 2, y: height / 2, "text-anchor": "middle" });
  note.setAttribute("font-size", fontSize);
  const children = [svgElement("rect", { class: "blank", width, height })];
  if (view.settings?.imagesServed) {
    frame.dataset.image = "loading";
    const image = svgElement("image", {
      href: `images/${encodeURIComponent(result.imageName)}?m=${result.messageId}`,
      width,
      height,
      preserveAspectRatio: "none",
    });
    image.addEventListener("load", () => (frame.dataset.image = "loaded"));
    image.addEventListener("error", () => {
      image.remove();
      frame.dataset.image = "missing";
      note.textContent = `${result.imageName} is not available`;
    });
    children.push(image);
  } else {
    frame.dataset.image = "not-served";
    note.textContent = "no images folder: boxes on a blank frame";
  }
  children.push(note);
  for (const d of result.detections) {
    const [x1, y1, x2, y2] = d.box;
    const below = d.score < view.settings.passThreshold;
    const group = svgElement("g", { class: below ? "detection below-threshold" : "detection", "data-score": d.score });
    group.append(svgElement("rect", { x: x1, y: y1, width: x2 - x1, height: y2 - y1 }));
    const label = svgElement("text", {
      x: x1 + 2,
      y: y1 >= fontSize + 2 ? y1 - 4 : y2 + fontSize,
      "font-size": fontSize,
    });
    label.textContent = `${d.className} ${score(d.score)}`;
    group.append(label);
    children.push(group);
  }
  frame.replaceChildren(...children);

  const found = result.detections.length === 1 ? "1 detection" : `${result.detections.length} detections`;
  caption.replaceChildren(
    verdict(result),
    ` ${partOf(result)}${result.imageName} · ${found} · ${result.modelName} ${result.modelVersion} · ` +
      `${result.inferenceMs.toFixed(1)} ms · ${result.thingName} · ${time(result.timestamp)}`,
  );
}

/** "part P-1 · " for a triggered inspection, nothing otherwise. */
function partOf(result) {
  return result.partId ? `part ${result.partId} · ` : "";
}

function resultRow(result) {
  const cell = (text, className = "") => element("td", { textContent: text, className });
  const row = element("tr", { title: `${result.thingName}, message ${result.messageId}` }, [
    cell(time(result.timestamp)),
    cell(`${partOf(result)}${result.imageName}`, "image"),
    element("td", {}, [verdict(result)]),
    cell(String(result.detections.length), "number detections"),
    cell(score(result.maxScore), "number max-score"),
    cell(result.inferenceMs.toFixed(1), "number inference-ms"),
    cell(`${result.modelName} ${result.modelVersion}`, "model"),
  ]);
  row.dataset.messageId = result.messageId;
  return row;
}

function problemItem(problem) {
  const item = element("li");
  item.dataset.kind = problem.kind;
  if (problem.kind === "deviceError") {
    const about = `${problem.partId ? ` part ${problem.partId}` : ""}${problem.imageName ? ` ${problem.imageName}` : ""}`;
    const dropped = problem.droppedTotal ? ` (${problem.droppedTotal} dropped in total)` : "";
    item.append(
      element("strong", { className: "code", textContent: problem.code }),
      `${about}: ${problem.message}${dropped} — ${problem.thingName}, ${time(problem.timestamp)}`,
    );
  } else {
    item.append(
      element("strong", { textContent: "Invalid message" }),
      ` on ${problem.topic}, received ${time(problem.receivedAt)}`,
      element(
        "ul",
        { className: "problems" },
        problem.problems.map((text) => element("li", { textContent: text })),
      ),
      element("pre", { className: "payload", textContent: problem.payload }),
    );
  }
  return item;
}

function showAll(snapshot) {
  view.settings = snapshot.settings;
  const threshold = snapshot.settings.passThreshold;
  $("settings").textContent =
    `An image fails when a detection scores ${threshold} or more. ` +
    `Topics: ${snapshot.settings.topic}, ${snapshot.settings.errorTopic}.`;
  showBroker(snapshot.broker);
  showTotals(snapshot.totals);
  showLatest(snapshot.results[0]);
  $("result-rows").replaceChildren(...snapshot.results.map(resultRow));
  $("problem-list").replaceChildren(...snapshot.problems.map(problemItem));
}

function trim(container, limit) {
  while (container.children.length > limit) container.lastElementChild.remove();
}

function connect() {
  const events = new EventSource("events");
  events.addEventListener("open", () => setState("server", "viewer", "connected"));
  events.addEventListener("error", () => {
    setState("server", "viewer", "reconnecting");
    // EventSource retries by itself unless the server answered with an error: then start a new one.
    if (events.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
  });
  events.addEventListener("snapshot", (event) => showAll(JSON.parse(event.data)));
  events.addEventListener("broker", (event) => showBroker(JSON.parse(event.data)));
  events.addEventListener("result", (event) => {
    const { entry, totals } = JSON.parse(event.data);
    showTotals(totals);
    showLatest(entry);
    $("result-rows").prepend(resultRow(entry));
    trim($("result-rows"), view.settings.history);
  });
  events.addEventListener("problem", (event) => {
    const { entry, totals } = JSON.parse(event.data);
    showTotals(totals);
    $("problem-list").prepend(problemItem(entry));
    trim($("problem-list"), view.settings.history);
  });
  events.addEventListener("duplicate", (event) => showTotals(JSON.parse(event.data).totals));
}

connect();
