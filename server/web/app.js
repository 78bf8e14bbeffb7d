// vlmindex web page: search, refine, classify, DICOM worklist.  No
// framework and nothing from other sites; every request goes to this
// server, with the token (if the server wants one) as a Bearer header.
'use strict';
(() => {
  const PAGE = 40;
  const THUMBS_AT_ONCE = 6;
  const $ = (id) => document.getElementById(id);
  const state = {
    token: localStorage.getItem('vlmindex-token') || '',
    collection: 0, collections: [], q: '', upload: null,
    offset: 0, more: false, loading: false, cards: [], urls: [],
    detailId: 0, detailDicom: false,
  };

  // ---- talking to the server ----------------------------------------------

  let tokenWaiters = null;
  function askToken() {
    if (!tokenWaiters) {
      tokenWaiters = new Promise((resolve) => {
        const dlg = $('token-dialog');
        $('token-form').onsubmit = () => {
          state.token = $('token').value.trim();
          localStorage.setItem('vlmindex-token', state.token);
          tokenWaiters = null;
          resolve();
        };
        dlg.showModal();
      });
    }
    return tokenWaiters;
  }

  async function api(path, opts = {}) {
    const headers = Object.assign({}, opts.headers || {});
    if (state.token) headers.Authorization = 'Bearer ' + state.token;
    const res = await fetch(path, Object.assign({}, opts, { headers }));
    if (res.status === 401) {
      await askToken();
      return api(path, opts);
    }
    return res;
  }

  async function apiJson(path, opts) {
    const res = await api(path, opts);
    const body = await res.json().catch(() => ({ error: res.statusText }));
    if (!res.ok) throw new Error(body.error || res.statusText);
    return body;
  }

  // Images come through fetch (so the token goes along) as blob URLs.
  const thumbQueue = [];
  let thumbsActive = 0;
  function loadImage(img, path) {
    thumbQueue.push([img, path]);
    pumpThumbs();
  }
  function pumpThumbs() {
    while (thumbsActive < THUMBS_AT_ONCE && thumbQueue.length) {
      const [img, path] = thumbQueue.shift();
      thumbsActive++;
      api(path)
        .then((res) => (res.ok ? res.blob() : null))
        .then((blob) => {
          if (!blob) { img.classList.add('broken'); return; }
          const url = URL.createObjectURL(blob);
          state.urls.push(url);
          img.src = url;
        })
        .catch(() => img.classList.add('broken'))
        .finally(() => { thumbsActive--; pumpThumbs(); });
    }
  }

  const coll = () => 'collection=' + state.collection;
  // A hit's own collection: with "All collections" each hit names its own,
  // and its id means something only there.
  const hitColl = (hit) => (hit.collection !== undefined ? hit.collection : state.collection);

  // ---- search ----------------------------------------------------------------

  function clearResults() {
    thumbQueue.length = 0;
    state.urls.forEach((u) => URL.revokeObjectURL(u));
    state.urls = [];
    state.cards = [];
    $('results').replaceChildren();
  }

  function card(hit) {
    const li = document.createElement('li');
    li.className = 'result';
    li.dataset.id = hit.id;
    li.dataset.coll = hitColl(hit);
    const where = hit.path || ('image ' + hit.id + ' (' + hit.format + ')');
    const open = document.createElement('button');
    open.className = 'open';
    open.setAttribute('aria-label', 'Open ' + where);
    const img = document.createElement('img');
    img.alt = '';
    open.append(img);
    open.onclick = () => openDetail(hit.id, hitColl(hit));
    const info = document.createElement('div');
    info.className = 'info';
    info.textContent = hit.score.toFixed(3) + ' · ' + where;
    const row = document.createElement('div');
    row.className = 'row';
    row.append(
      button('Similar', 'more-like-this', 'More like this (m)', () => moreLike(hit.id, hitColl(hit))),
      button('+', 'plus', 'Refine: more like this one (+)', () => refine(hit.id, '+', hitColl(hit))),
      button('−', 'minus', 'Refine: less like this one (−)', () => refine(hit.id, '-', hitColl(hit))));
    li.append(open, info, row);
    li.title = hit.score.toFixed(3) + ' — ' + where;
    loadImage(img, '/api/images/' + hit.id + '/thumb?collection=' + hitColl(hit));
    return li;
  }

  function button(text, cls, title, fn) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = cls;
    b.textContent = text;
    b.title = title;
    b.setAttribute('aria-label', title);
    b.onclick = fn;
    return b;
  }

  // Folder, date and type filters as query parameters ('' when none is set).
  function filterParams() {
    return ['in', 'after', 'before', 'type']
      .filter((k) => $(k).value)
      .map((k) => '&' + k + '=' + encodeURIComponent($(k).value))
      .join('');
  }

  async function fetchPage() {
    const params = 'n=' + PAGE + '&offset=' + state.offset + '&' + coll() +
      filterParams();
    if (state.upload) {
      const q = state.q ? '&q=' + encodeURIComponent(state.q) : '';
      return apiJson('/api/search/image?' + params + q,
        { method: 'POST', body: state.upload });
    }
    return apiJson('/api/search?q=' + encodeURIComponent(state.q) + '&' + params);
  }

  async function search(reset) {
    if (state.loading) return;
    if (reset) {
      state.offset = 0;
      clearResults();
    }
    if (!state.q && !state.upload) return;
    state.loading = true;
    $('summary').textContent = 'Searching…';
    try {
      const r = await fetchPage();
      const list = $('results');
      r.results.forEach((h) => { const c = card(h); state.cards.push(c); list.append(c); });
      state.offset += r.results.length;
      state.more = r.more && r.results.length > 0;
      const what = state.upload ? 'the image' + (state.q ? ' + “' + r.query + '”' : '')
        : '“' + r.query + '”';
      $('summary').textContent = state.offset + ' result' + (state.offset === 1 ? '' : 's') +
        ' for ' + what + ' (' + r.took_ms + ' ms)';
    } catch (e) {
      state.more = false;
      $('summary').textContent = 'Error: ' + e.message;
    } finally {
      state.loading = false;
      $('more').hidden = !state.more;
    }
  }

  function run(q) {
    state.q = q;
    state.upload = null;
    $('q').value = q;
    if (location.hash !== '#q=' + encodeURIComponent(q))
      history.pushState(null, '', '#q=' + encodeURIComponent(q));
    showView('search');
    search(true);
  }

  // id:N names an image of one collection: refining by a hit found in
  // "All collections" continues in that hit's collection.
  function useCollection(c) {
    if (c === undefined || c === state.collection) return;
    state.collection = c;
    $('collection').value = String(c);
    refreshStatus();
  }

  function moreLike(id, c) { useCollection(c); run('id:' + id); }

  function refine(id, sign, c) {
    useCollection(c);
    const base = ($('q').value || '').trim();
    run(base ? base + ' ' + sign + ' id:' + id : (sign === '-' ? '- id:' : 'id:') + id);
  }

  // ---- classify -----------------------------------------------------------------

  async function classify() {
    const labels = $('labels').value.split(',').map((s) => s.trim()).filter(Boolean);
    if (labels.length < 2 || !state.cards.length) {
      $('summary').textContent = 'Give two or more labels, separated by commas, and search first.';
      return;
    }
    const byColl = new Map(); // ids are per collection: one request each
    state.cards.forEach((c) => {
      const k = Number(c.dataset.coll);
      if (!byColl.has(k)) byColl.set(k, []);
      byColl.get(k).push(c);
    });
    try {
      for (const [k, cards] of byColl) {
        const ids = cards.map((c) => Number(c.dataset.id));
        const r = await apiJson('/api/classify', {
          method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ labels, ids, collection: k }),
        });
        const byId = new Map(r.results.map((x) => [x.id, x]));
        cards.forEach((c) => {
          const x = byId.get(Number(c.dataset.id));
          let badge = c.querySelector('.label');
          if (!badge) { badge = document.createElement('span'); badge.className = 'label'; c.append(badge); }
          badge.textContent = x ? x.top + ' ' + Math.round(100 * x.top_prob) + '%' : '';
        });
      }
    } catch (e) {
      $('summary').textContent = 'Error: ' + e.message;
    }
  }

  // ---- one image -------------------------------------------------------------------

  function windowParam() {
    const cw = $('window-cw').value.trim();
    const w = cw || $('window').value;
    return w ? '&window=' + encodeURIComponent(w) : '';
  }

  async function showDetailImage() {
    const id = state.detailId;
    const path = state.detailDicom
      ? '/api/images/' + id + '/render?' + detailColl() + windowParam()
      : '/api/images/' + id + '?' + detailColl();
    const res = await api(path);
    const img = $('detail-img');
    if (res.ok) {
      const url = URL.createObjectURL(await res.blob());
      state.urls.push(url);
      img.src = url;
    } else {
      img.removeAttribute('src');
    }
  }

  const detailColl = () => 'collection=' + state.detailColl;

  async function openDetail(id, c) {
    state.detailId = id;
    state.detailColl = c !== undefined ? c : state.collection;
    let m;
    try {
      m = await apiJson('/api/images/' + id + '/meta?' + detailColl());
    } catch (e) {
      $('summary').textContent = 'Error: ' + e.message;
      return;
    }
    state.detailDicom = !!m.dicom;
    $('window-row').hidden = !m.dicom;
    $('detail-caption').textContent = m.path || ('image ' + id);
    const table = $('detail-meta');
    table.replaceChildren();
    const rows = Object.entries(m).filter(([k]) => k !== 'dicom');
    if (m.dicom) rows.push(...Object.entries(m.dicom));
    rows.forEach(([k, v]) => {
      const tr = table.insertRow();
      const th = document.createElement('th');
      th.textContent = k;
      tr.append(th);
      const when = ['mtime', 'added_at', 'updated_at'].includes(k) && v > 0;
      tr.insertCell().textContent = when ? new Date(v * 1000).toISOString() : String(v);
    });
    $('detail-img').alt = m.path || 'image ' + id;
    $('detail').showModal();
    showDetailImage();
  }

  function detailAction(fn) {
    return () => { $('detail').close(); fn(state.detailId, state.detailColl); };
  }

  // ---- worklist ---------------------------------------------------------------------

  async function worklist() {
    const q = $('wq').value.trim();
    if (!q) return;
    const body = $('worklist').tBodies[0];
    body.replaceChildren();
    $('worklist-summary').textContent = 'Ranking studies…';
    try {
      const r = await apiJson('/api/worklist?q=' + encodeURIComponent(q) + '&' + coll());
      r.studies.forEach((s) => {
        const tr = body.insertRow();
        tr.className = 'study';
        tr.insertCell().textContent = s.rank;
        const prev = button('', 'preview', 'Open the best slice of study ' + s.rank,
          () => openDetail(s.best_image_id));
        const img = document.createElement('img');
        img.alt = '';
        prev.append(img);
        loadImage(img, '/api/images/' + s.best_image_id + '/thumb?' + coll());
        tr.insertCell().append(prev);
        [s.study_date, s.modality, s.accession, s.images, s.series,
          s.score_max.toFixed(3), s.score_topk_mean.toFixed(3)]
          .forEach((v) => { tr.insertCell().textContent = v; });
      });
      $('worklist-summary').textContent = r.studies.length + ' studies ranked by “' +
        r.query + '” — ' + r.note + '.';
    } catch (e) {
      $('worklist-summary').textContent = 'Error: ' + e.message;
    }
  }

  function showView(name) {
    const wl = name === 'worklist';
    $('search-view').hidden = wl;
    $('worklist-view').hidden = !wl;
    $('search-tab').setAttribute('aria-pressed', String(!wl));
    $('worklist-tab').setAttribute('aria-pressed', String(wl));
    if (wl) $('wq').focus();
  }

  // ---- status ------------------------------------------------------------------------

  function applyCollection() {
    const c = state.collections[state.collection] || {}; // {}: all of them
    const dicom = !!c.dicom;
    // "All collections" shows DICOM hits too: the triage notice stays, the
    // worklist (one collection's studies) does not.
    const anyDicom = state.collection === 'all' && state.collections.some((x) => x.dicom);
    $('worklist-tab').hidden = !dicom;
    $('tabs').hidden = !dicom;
    $('triage').hidden = !(dicom || anyDicom);
    if (!dicom) showView('search');
    const roots = $('roots');
    roots.replaceChildren();
    (c.roots || []).forEach((p) => { const o = document.createElement('option'); o.value = p; roots.append(o); });
  }

  async function refreshStatus(first) {
    let s;
    try {
      s = await apiJson('/api/status');
    } catch (e) {
      $('status').textContent = 'Server unreachable: ' + e.message;
      return;
    }
    state.collections = s.collections;
    const sel = $('collection');
    if (first) {
      s.collections.forEach((c) => {
        const o = document.createElement('option');
        o.value = c.collection;
        o.textContent = c.name + (c.dicom ? ' (DICOM)' : '');
        sel.append(o);
      });
      if (s.collections.length > 1) {
        const o = document.createElement('option');
        o.value = 'all';
        o.textContent = 'All collections';
        sel.append(o);
      }
    }
    applyCollection();
    if (state.collection === 'all') {
      const n = s.collections.reduce((a, c) => a + c.images, 0);
      $('status').textContent = n + ' images in ' + s.collections.length +
        ' collections · model ' + s.model.name;
      return;
    }
    const c = s.collections[state.collection];
    const w = c.watch.enabled ? ' · watching ' + c.watch.roots + ' root(s)' +
      (c.watch.offline ? ', ' + c.watch.offline + ' offline' : '') : '';
    $('status').textContent = c.images + ' images in ' + c.name + ' · model ' +
      s.model.name + w;
  }

  // ---- wiring --------------------------------------------------------------------------

  function onKey(e) {
    const t = e.target;
    const typing = t.matches('input, select, textarea');
    if (e.key === '/' && !typing) { e.preventDefault(); $('q').focus(); return; }
    const li = t.closest && t.closest('.result');
    if (!li || typing) return;
    const id = Number(li.dataset.id), c = Number(li.dataset.coll);
    if (e.key === 'm') moreLike(id, c);
    else if (e.key === '+') refine(id, '+', c);
    else if (e.key === '-' || e.key === '−') refine(id, '-', c);
  }

  function start() {
    $('search-form').onsubmit = (e) => { e.preventDefault(); run($('q').value.trim()); };
    $('upload').onchange = () => {
      const f = $('upload').files[0];
      if (!f) return;
      state.upload = f;
      state.q = '';
      $('q').value = '';
      showView('search');
      search(true);
    };
    $('classify-form').onsubmit = (e) => { e.preventDefault(); classify(); };
    $('worklist-form').onsubmit = (e) => { e.preventDefault(); worklist(); };
    $('more').onclick = () => search(false);
    $('search-tab').onclick = () => showView('search');
    $('worklist-tab').onclick = () => showView('worklist');
    $('collection').onchange = () => {
      const v = $('collection').value;
      state.collection = v === 'all' ? 'all' : Number(v);
      refreshStatus();
      search(true);
    };
    ['in', 'after', 'before', 'type'].forEach((k) => { $(k).onchange = () => search(true); });
    $('detail-more').onclick = detailAction(moreLike);
    $('detail-plus').onclick = detailAction((id) => refine(id, '+'));
    $('detail-minus').onclick = detailAction((id) => refine(id, '-'));
    $('window').onchange = showDetailImage;
    $('window-cw').onchange = showDetailImage;
    document.addEventListener('keydown', onKey);
    new IntersectionObserver((entries) => {
      if (entries.some((x) => x.isIntersecting) && state.more && !state.loading) search(false);
    }).observe($('sentinel'));
    refreshStatus(true);
    setInterval(refreshStatus, 15000);
    window.addEventListener('hashchange', fromHash);
    fromHash();
  }

  // #q=... : a search to run (bookmarks, back button).
  function fromHash() {
    const m = /^#q=(.*)$/.exec(location.hash);
    const q = m ? decodeURIComponent(m[1]) : '';
    if (q && q !== state.q) run(q);
  }

  start();
})();
