// The status page: polls /api/status every second (the token travels in the HttpOnly cookie the server set, or the
// page is refused), keeps each pchannel's last two minutes of append rate and time-tick lag, and draws them with uPlot.
// The append rate is computed here: the difference of two successive "appended" totals (messages appended in the
// pchannel's term) over the difference of the answers' "now"; a new term (the total restarts) gives no point.
// Each pchannel row carries its latest values as data attributes (data-rate, data-lag, and data-points: how many
// points its charts hold) for tests and scripts.
"use strict";
(function () {
  const POLL_MS = 1000;
  const KEEP = 120; // points per chart: two minutes at one a second
  const pchannels = new Map(); // name -> {row, prev: {appended, term, now}, t: [], rate: [], lag: [], rateChart, lagChart}

  function cell(row, text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function chart(td, color) {
    const opts = {
      width: 180, height: 44, legend: {show: false}, cursor: {show: false},
      axes: [{show: false}, {show: false}], scales: {x: {time: true}, y: {range: (u, min, max) => [0, Math.max(1, max)]}},
      series: [{}, {stroke: color, width: 1.5, fill: color + "22", points: {show: false}}]
    };
    return new uPlot(opts, [[], []], td);
  }

  function pchannelEntry(name) {
    let p = pchannels.get(name);
    if (p) return p;
    const row = document.createElement("tr");
    row.dataset.pchannel = name;
    p = {row, prev: null, t: [], rate: [], lag: []};
    p.cells = {
      name: cell(row, name), owner: cell(row, ""), term: cell(row, "", "num"), state: cell(row, ""),
      available: cell(row, ""), rate: cell(row, "", "num"), rateChart: cell(row, "", "chart rate-chart"),
      lag: cell(row, "", "num"), lagChart: cell(row, "", "chart lag-chart")
    };
    p.cells.owner.className = "owner";
    p.cells.term.classList.add("term");
    p.cells.rate.classList.add("rate");
    p.cells.lag.classList.add("lag");
    document.querySelector("#pchannels tbody").appendChild(row);
    p.rateChart = chart(p.cells.rateChart, "#1f77b4");
    p.lagChart = chart(p.cells.lagChart, "#d62728");
    pchannels.set(name, p);
    return p;
  }

  function push(arr, v) {
    arr.push(v);
    if (arr.length > KEEP) arr.shift();
  }

  function showPchannel(s, now) {
    const p = pchannelEntry(s.pchannel);
    p.cells.owner.textContent = s.nodeId;
    p.cells.term.textContent = s.term;
    p.cells.state.textContent = s.state;
    p.cells.available.textContent = s.available ? "yes" : "no" + (s.unavailableReason ? ": " + s.unavailableReason : "");
    p.cells.available.className = s.available ? "" : "bad";
    let rate = null;
    if (p.prev && p.prev.term === s.term && now > p.prev.now && s.appended >= p.prev.appended) {
      rate = (s.appended - p.prev.appended) * 1000 / (now - p.prev.now);
    }
    p.prev = {appended: s.appended, term: s.term, now};
    if (rate !== null) {
      push(p.t, now / 1000);
      push(p.rate, rate);
      push(p.lag, s.lagMillis);
      p.rateChart.setData([p.t, p.rate]);
      p.lagChart.setData([p.t, p.lag]);
      p.row.dataset.rate = rate.toFixed(2);
      p.row.dataset.points = String(p.t.length);
      p.cells.rate.textContent = rate.toFixed(1);
    }
    p.row.dataset.lag = s.lagMillis === null ? "" : String(s.lagMillis);
    p.cells.lag.textContent = s.lagMillis === null ? "–" : String(s.lagMillis);
  }

  function showNodes(nodes) {
    const body = document.querySelector("#nodes tbody");
    body.replaceChildren();
    for (const n of nodes) {
      const row = document.createElement("tr");
      cell(row, n.nodeId);
      cell(row, n.address);
      cell(row, n.alive ? "yes" : "no", n.alive ? "" : "bad");
      cell(row, n.draining ? "yes" : "no");
      body.appendChild(row);
    }
  }

  function showCollections(collections) {
    const root = document.getElementById("collections");
    root.replaceChildren();
    if (collections.length === 0) {
      root.textContent = "none";
      return;
    }
    for (const c of collections) {
      const div = document.createElement("div");
      div.className = "collection";
      div.dataset.collection = c.name;
      div.dataset.rows = String(c.rows);
      const h = document.createElement("h3");
      h.textContent = c.name + " (id " + c.id + ", " + c.state + ", " + c.vchannels.length + " vchannels, "
          + c.rows + " rows in " + c.segments.length + " segments)";
      div.appendChild(h);
      const table = document.createElement("table");
      table.className = "segments";
      const head = document.createElement("tr");
      for (const t of ["segment", "vchannel", "partition", "state", "rows"]) {
        const th = document.createElement("th");
        th.textContent = t;
        head.appendChild(th);
      }
      table.appendChild(head);
      for (const s of c.segments) {
        const row = document.createElement("tr");
        row.dataset.segment = s.id;
        row.dataset.state = s.state;
        row.dataset.rows = String(s.rows);
        cell(row, s.id, "num");
        cell(row, s.vchannel);
        cell(row, s.partitionId, "num");
        cell(row, s.state);
        cell(row, String(s.rows), "num");
        table.appendChild(row);
      }
      div.appendChild(table);
      root.appendChild(div);
    }
  }

  const updated = document.getElementById("updated");
  let polls = 0;

  async function poll() {
    try {
      const r = await fetch("/api/status", {credentials: "same-origin", cache: "no-store"});
      if (r.status === 401) {
        window.location.reload(); // the server asks for the token again (it was removed, or the session ended)
        return;
      }
      if (!r.ok) throw new Error("HTTP " + r.status + ": " + (await r.text()).trim()); // e.g. a standby naming the leader
      const s = await r.json();
      for (const p of s.pchannels) showPchannel(p, s.now);
      showNodes(s.nodes);
      showCollections(s.collections);
      polls++;
      updated.dataset.polls = String(polls);
      updated.className = "";
      updated.textContent = "updated " + new Date(s.now).toISOString();
    } catch (e) {
      updated.className = "stale";
      updated.textContent = "no status (" + e.message + "); retrying";
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }

  poll();
})();
