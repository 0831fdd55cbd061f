// framering dashboard: one tile per camera (MJPEG picture, boxes of its latest 'objects' event on a canvas, its
// stats), the processes and the last events, all live over one EventSource (/api/events?stats=1).
// No build step, no dependencies. With a token, open /?token=… once: the service sets an HttpOnly cookie that the
// <img>, fetch and EventSource requests then carry.
'use strict';

const MJPEG = { height: 360, fps: 5 };
const BOX_TTL_MS = 1500;
const MAX_EVENTS = 40;

const $ = (sel, root = document) => root.querySelector(sel);
const tiles = new Map();
const eventTimes = [];
const lastEventShown = new Map();

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function fmtBytes(n) {
  if (!Number.isFinite(n) || n <= 0) return '0 B';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  const i = Math.min(u.length - 1, Math.floor(Math.log(n) / Math.log(1024)));
  const v = n / 1024 ** i;
  // Three significant figures at most: "129 MiB", "23.5 GiB", "4.20 KiB" would be noise.
  return `${v.toFixed(i >= 2 && v < 100 ? 1 : 0)} ${u[i]}`;
}

function fmtUptime(seconds) {
  const s = Math.floor(seconds); // the service says tenths: 63.4 % 60 is no way to show minutes
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

const fmt1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');

function setChip(id, strong, rest) {
  const c = document.getElementById(id);
  c.replaceChildren(el('b', '', strong), document.createTextNode(rest));
}

function makeTile(cam) {
  const node = $('#tile').content.firstElementChild.cloneNode(true);
  node.dataset.camera = cam.name;
  $('.name', node).textContent = cam.name;
  $('.media', node).style.aspectRatio = `${cam.width} / ${cam.height}`;
  const img = $('.pic', node);
  const canvas = $('.boxes', node);
  const t = { cam, node, img, canvas, boxes: null, boxesAt: 0, fallback: null };
  const mjpeg = `${cam.mjpeg}?height=${Math.min(MJPEG.height, cam.height)}&fps=${MJPEG.fps}`;
  img.addEventListener('load', () => node.classList.remove('nopic'));
  img.addEventListener('error', () => {
    // MJPEG refused (too many viewers) or broken: fall back to a snapshot a second.
    node.classList.add('nopic');
    if (!t.fallback)
      t.fallback = setInterval(
        () => (img.src = `${cam.latest}?height=${Math.min(MJPEG.height, cam.height)}&_=${Date.now()}`),
        1000,
      );
  });
  img.src = mjpeg;
  tiles.set(cam.name, t);
  return node;
}

function drawBoxes(t, now) {
  const { canvas, cam } = t;
  const w = canvas.clientWidth,
    h = canvas.clientHeight;
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const g = canvas.getContext('2d');
  g.setTransform(1, 0, 0, 1, 0, 0);
  g.clearRect(0, 0, canvas.width, canvas.height);
  if (!t.boxes || now - t.boxesAt > BOX_TTL_MS) return;
  const k = Math.min(w / cam.width, h / cam.height) * dpr;
  const ox = (canvas.width - cam.width * k) / 2,
    oy = (canvas.height - cam.height * k) / 2;
  const alpha = 1 - Math.max(0, (now - t.boxesAt - BOX_TTL_MS / 2) / (BOX_TTL_MS / 2));
  g.globalAlpha = Math.max(0, alpha);
  g.lineWidth = 2 * dpr;
  g.font = `${600} ${11 * dpr}px system-ui, "DejaVu Sans", sans-serif`;
  for (const o of t.boxes) {
    const b = o.box;
    const x = ox + b.x * k,
      y = oy + b.y * k,
      bw = b.width * k,
      bh = b.height * k;
    const colour = o.label === 'motion' ? '#4cc2ff' : '#ff5b4f';
    g.strokeStyle = colour;
    g.strokeRect(x, y, bw, bh);
    const label = `${o.label} ${Math.round(o.score * 100)}%`;
    const tw = g.measureText(label).width + 8 * dpr;
    const th = 15 * dpr;
    // Above the box, unless that is under the tile's name and state chips (top 40 px): then at the box's bottom.
    const chips = 40 * dpr;
    const ly = y - th >= chips ? y - th : y + bh + th <= canvas.height ? y + bh : Math.max(y, chips);
    g.fillStyle = colour;
    g.fillRect(x - g.lineWidth / 2, ly, tw, th);
    g.fillStyle = '#061018';
    g.fillText(label, x + 4 * dpr - g.lineWidth / 2, ly + 11 * dpr);
  }
  g.globalAlpha = 1;
}

function frame() {
  const now = Date.now();
  for (const t of tiles.values()) drawBoxes(t, now);
  requestAnimationFrame(frame);
}

// One chip per bridge (mqtt, nats): its state, and what its bounded queue holds or dropped.
function showBridges(bridges) {
  const bar = document.getElementById('chip-uptime').parentNode;
  for (const [name, b] of Object.entries(bridges)) {
    let chip = document.getElementById(`chip-bridge-${name}`);
    if (!chip) {
      chip = document.createElement('span');
      chip.id = `chip-bridge-${name}`;
      bar.insertBefore(chip, document.getElementById('chip-uptime'));
    }
    chip.className = `chip bridge ${b.state}`;
    chip.replaceChildren();
    const strong = document.createElement('b');
    strong.textContent = name;
    chip.append(
      strong,
      ` ${b.state}${b.queued ? ` · ${b.queued} queued` : ''}${b.dropped ? ` · ${b.dropped} dropped` : ''}`,
    );
  }
}

function onStats(s) {
  const cams = Object.entries(s.cameras);
  const streaming = cams.filter(([, c]) => c.state === 'streaming').length;
  setChip('chip-cams', `${streaming}/${cams.length}`, ' streaming');
  setChip('chip-fps', fmt1(cams.reduce((n, [, c]) => n + c.camera_fps, 0)), ' fps in');
  setChip('chip-shm', fmtBytes(s.shm.used_bytes), ` shm · ${fmtBytes(s.shm.free_bytes)} free`);
  if (s.http) setChip('chip-viewers', String(s.http.mjpeg_clients), ` viewers · ${s.http.jpeg_feeds} feeds`);
  setChip('chip-uptime', fmtUptime(s.service.uptime_s), ` up · v${s.service.version}`);
  showBridges(s.bridges || {});
  for (const [name, c] of cams) {
    const t = tiles.get(name);
    if (!t) continue;
    const st = $('.state', t.node);
    st.textContent = c.state;
    st.className = `state ${c.state}`;
    $('.fps', t.node).textContent = `${fmt1(c.camera_fps)} fps`;
    $('.s-in', t.node).textContent = fmt1(c.camera_fps);
    $('.s-proc', t.node).textContent = fmt1(c.process_fps);
    const drop = $('.s-drop', t.node);
    drop.textContent = String(c.dropped);
    drop.classList.toggle('warn', c.skipped_fps > 0);
    const rs = $('.s-restarts', t.node);
    rs.textContent = String(c.restarts);
    rs.classList.toggle('warn', c.restarts > 0);
    const err = $('.error', t.node);
    err.hidden = !c.last_error || c.state === 'streaming';
    err.textContent = c.last_error ?? '';
  }
  const rows = Object.entries(s.processes).map(([name, p]) => {
    const tr = el('tr');
    // The state is the dot before the name (its text only when it is not running): the table fits its panel.
    const who = el('td', 'pname');
    who.title = `${name}: ${p.state}`;
    who.append(el('span', `pstate ${p.state}`), el('span', 'pn', name));
    if (p.state !== 'running') who.append(el('span', 'pstate-text', p.state));
    tr.dataset.state = p.state;
    tr.append(who, el('td', 'num', p.pid ?? '–'));
    const cpu = el('td', 'num');
    const wrap = el('div', 'bar-cell');
    const meter = el('span', 'meter');
    const fill = el('i');
    fill.style.width = `${Math.min(100, p.cpu_percent)}%`;
    meter.append(fill);
    wrap.append(meter, el('span', '', `${fmt1(p.cpu_percent)}%`));
    cpu.append(wrap);
    tr.append(
      cpu,
      el('td', 'num', fmtBytes(p.rss_bytes)),
      el('td', 'num', p.frames.toLocaleString('en')),
      el('td', 'num', p.replies.toLocaleString('en')),
    );
    return tr;
  });
  const body = document.getElementById('procs');
  if (rows.length === 0) {
    const tr = el('tr');
    const td = el('td', 'empty', 'no processes');
    td.colSpan = 6;
    tr.append(td);
    rows.push(tr);
  }
  body.replaceChildren(...rows);
}

function describe(ev) {
  if (ev.kind === 'objects') {
    const counts = {};
    for (const o of ev.objects) counts[o.label] = (counts[o.label] ?? 0) + 1;
    return (
      Object.entries(counts)
        .map(([l, n]) => `${n} ${l}`)
        .join(', ') || 'nothing'
    );
  }
  if (ev.kind === 'motion') {
    // The built-in motion classes say which fraction of the picture changed.
    const changed = ev.data && typeof ev.data.changed === 'number' ? ev.data.changed : null;
    return changed === null ? 'motion' : `${(changed * 100).toFixed(1)}% changed`;
  }
  return ev.data ? JSON.stringify(ev.data).slice(0, 80) : ev.kind;
}

function onEvent(ev) {
  const now = Date.now();
  eventTimes.push(now);
  while (eventTimes.length && now - eventTimes[0] > 5000) eventTimes.shift();
  const t = tiles.get(ev.camera);
  if (ev.kind === 'objects' && t) {
    t.boxes = ev.objects;
    t.boxesAt = now;
    $('.s-obj', t.node).textContent = String(ev.objects.length);
  }
  // The list keeps what matters: results with something in them, at most one per camera a second.
  if (ev.kind === 'objects' && ev.objects.length === 0) return;
  if (now - (lastEventShown.get(ev.camera) ?? 0) < 1000) return;
  lastEventShown.set(ev.camera, now);
  const li = el('li');
  const time = new Date(ev.timestamp || now).toLocaleTimeString('en-GB', { hour12: false });
  const d = el('span', 'd');
  const first = ev.objects?.[0];
  d.append(
    el('span', `tag ${first ? first.label : ev.kind}`, ev.kind),
    document.createTextNode(`${describe(ev)}  #${ev.frameNumber}`),
  );
  li.title = `${ev.kind} from ${ev.source}, frame ${ev.frameNumber}`;
  li.append(el('span', 't', time), el('span', 'c', ev.camera), d);
  const list = document.getElementById('events');
  $('.empty', list)?.remove();
  list.prepend(li);
  while (list.children.length > MAX_EVENTS) list.lastElementChild.remove();
}

function connect() {
  const live = document.getElementById('live');
  const es = new EventSource('/api/events?stats=1&recent=30');
  es.onopen = () => {
    live.className = 'live on';
    document.getElementById('live-text').textContent = 'live';
  };
  es.onerror = () => {
    live.className = 'live off';
    document.getElementById('live-text').textContent = 'reconnecting';
  };
  es.onmessage = (m) => onEvent(JSON.parse(m.data));
  es.addEventListener('stats', (m) => onStats(JSON.parse(m.data)));
  setInterval(() => {
    const rate = eventTimes.length / 5;
    document.getElementById('event-rate').textContent = rate ? `${rate.toFixed(1)}/s` : '';
  }, 1000);
}

async function main() {
  const list = document.getElementById('events');
  list.append(el('li', 'empty', 'waiting for events…'));
  const res = await fetch('/api/cameras', { credentials: 'same-origin' });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    document
      .getElementById('grid')
      .append(el('div', 'panel empty', `cannot list cameras: ${body.message ?? res.status}`));
    return;
  }
  const cams = await res.json();
  const grid = document.getElementById('grid');
  for (const cam of cams) grid.append(makeTile(cam));
  // NVR layout: 1, 2×2, 3×3, then 4 across.
  grid.style.setProperty('--cols', String(cams.length <= 1 ? 1 : cams.length <= 4 ? 2 : cams.length <= 9 ? 3 : 4));
  if (cams.length === 0) grid.append(el('div', 'panel empty', 'no cameras configured'));
  connect();
  requestAnimationFrame(frame);
}

// A failed fetch (service down, network gone) would otherwise leave an empty page and only a console line.
main().catch((err) => {
  document.getElementById('grid').append(el('div', 'panel empty', `cannot reach the service: ${err.message}`));
});
