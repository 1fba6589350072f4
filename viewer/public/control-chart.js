// The control chart page: polls /control-chart.json (see viewer/src/controlChart.ts) and draws one p-chart per device.
// Device names come from the broker: they are set as text, never as markup.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 720;
const HEIGHT = 220;
const MARGIN = { left: 48, right: 16, top: 12, bottom: 24 };
const REFRESH_MS = 2000;

function svgElement(tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

const percent = (p) => `${(p * 100).toFixed(1)} %`;

/** A horizontal line across the plot at share `value`, labelled at the left. */
function level(y, value, className, label) {
  const group = svgElement("g", { class: className, "data-value": value });
  group.append(
    svgElement("line", { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(value), y2: y(value) }),
    Object.assign(svgElement("text", { x: MARGIN.left - 4, y: y(value) + 4, "text-anchor": "end" }), {
      textContent: `${label} ${percent(value)}`,
    }),
  );
  return group;
}

function drawChart(chart) {
  const figure = document.createElement("figure");
  figure.className = "p-chart";
  figure.dataset.device = chart.device;
  const caption = document.createElement("figcaption");
  const outside = chart.points.filter((p) => p.outside).length;
  caption.textContent =
    chart.centre === null
      ? `${chart.device}: ${chart.parts} parts, fewer than one subgroup of ${chart.window}`
      : `${chart.device}: ${chart.points.length} subgroups of ${chart.window} parts, centre ${percent(chart.centre)}, ` +
        `${outside} outside the limits`;
  figure.append(caption);
  if (chart.centre === null) return figure;

  const top = Math.max(chart.upper, ...chart.points.map((p) => p.p), 0.01);
  const y = (share) => MARGIN.top + (1 - share / top) * (HEIGHT - MARGIN.top - MARGIN.bottom);
  const step = (WIDTH - MARGIN.left - MARGIN.right) / Math.max(1, chart.points.length - 1);
  const x = (i) => MARGIN.left + (chart.points.length === 1 ? 0 : i * step);
  const svg = svgElement("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img" });
  svg.setAttribute("aria-label", `p-chart of ${chart.device}`);
  svg.append(
    level(y, chart.centre, "centre", "p̄"),
    level(y, chart.upper, "limit upper", "UCL"),
    level(y, chart.lower, "limit lower", "LCL"),
    svgElement("polyline", { class: "trace", points: chart.points.map((p, i) => `${x(i)},${y(p.p)}`).join(" ") }),
  );
  for (const [i, point] of chart.points.entries()) {
    const dot = svgElement("circle", { class: "point", cx: x(i), cy: y(point.p), r: point.outside ? 5 : 3 });
    dot.dataset.p = String(point.p);
    if (point.outside) dot.dataset.outside = point.outside;
    const title = svgElement("title");
    title.textContent = `subgroup ${point.subgroup + 1}: ${point.failed} of ${chart.window} failed (${percent(point.p)})`;
    dot.append(title);
    svg.append(dot);
  }
  figure.append(svg);
  return figure;
}

function windowFromLocation() {
  return new URLSearchParams(window.location.search).get("window") ?? "50";
}

async function refresh() {
  const status = document.getElementById("chart-status");
  try {
    const response = await fetch(`control-chart.json?window=${encodeURIComponent(windowFromLocation())}`);
    if (!response.ok) throw new Error((await response.text()).trim());
    const { charts } = await response.json();
    document.getElementById("charts").replaceChildren(...charts.map(drawChart));
    status.textContent = charts.length === 0 ? "No results yet." : `Updated ${new Date().toLocaleTimeString()}`;
    status.dataset.state = "ok";
  } catch (error) {
    status.textContent = `Cannot draw the charts: ${error.message}`;
    status.dataset.state = "error";
  }
}

document.getElementById("window").value = windowFromLocation();
document.getElementById("window-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const url = new URL(window.location.href);
  url.searchParams.set("window", document.getElementById("window").value);
  window.history.replaceState(null, "", url);
  void refresh();
});
void refresh();
setInterval(() => void refresh(), REFRESH_MS);
