// turnalign review page: renders the "turnalign/1" result from the JSON block and keeps the
// transcript in step with the audio player. No network, no libraries; all user text goes in
// through textContent and attributes, never as markup.
(() => {
  "use strict";

  const SEEK_S = 5; // arrow keys
  const TURN_EPS_S = 0.05; // a seek to a turn's start may land a hair before it
  const OVERLAP_LOOKBACK = 8; // interpolated words may overlap earlier ones; look back this far
  const USER_SCROLL_PAUSE_MS = 4000; // don't fight the reader: pause following after they scroll

  const data = JSON.parse(document.getElementById("turnalign-data").textContent);
  const root = document.getElementById("transcript");
  const audio = document.getElementById("player");
  const notice = document.getElementById("notice");
  const follow = document.getElementById("follow");
  const help = document.getElementById("help");
  const LOW = Number(root.dataset.lowConfidence);

  // Flat tables over every word and turn; the DOM is never searched while playing.
  const wordEls = [];
  const wordStart = [];
  const wordEnd = [];
  const wordTurn = [];
  const turnEls = [];
  const issueEls = []; // document order: mismatches and low-confidence words, for n / p
  let wordOrder; // Int32Array: timed word indices sorted by start
  let wordOrderStart; // Float64Array: their starts
  let turnOrder; // Int32Array: timed turn indices sorted by start
  let turnOrderStart; // Float64Array
  const heardEls = [];

  function clock(s) {
    const t = Math.max(0, Math.floor(s));
    const h = Math.floor(t / 3600);
    const m = Math.floor((t % 3600) / 60);
    const sec = String(t % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
  }

  function hue(name) {
    let h = 0;
    for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
    return h % 360;
  }

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function isTimed(x) {
    return typeof x.start === "number" && typeof x.end === "number";
  }

  // Mismatch details that the words themselves don't carry: reasons and heard text.
  function mismatchNotes() {
    const notes = new Map(); // "turn:word" -> {reason, heard}
    const turnNotes = new Map();
    for (const m of data.mismatches || []) {
      if (m.turn === null || m.turn === undefined) continue;
      if (m.word_start === null || m.word_start === undefined) {
        if (m.reason) turnNotes.set(m.turn, m.reason);
        continue;
      }
      for (let k = 0; k < Math.max(1, m.word_count || 0); k++) {
        notes.set(`${m.turn}:${m.word_start + k}`, {
          reason: m.reason || "", heard: m.heard, scores: m.scores || {},
        });
      }
    }
    return { notes, turnNotes };
  }

  function renderHeard(m, parent) {
    const box = el("aside", "heard");
    box.dataset.start = String(m.start);
    box.setAttribute("aria-label", "Heard, not in the transcript");
    const btn = el("button", "time", clock(m.start));
    btn.type = "button";
    btn.dataset.start = String(m.start);
    btn.setAttribute("aria-label", `Play unmatched speech from ${clock(m.start)}`);
    box.append(btn, " Heard, not in the transcript: ", el("q", "", m.text));
    parent.append(box);
    heardEls.push(box);
    issueEls.push(box);
  }

  function renderTurn(t, ti, notes, turnNotes, parent) {
    const art = el("article", "turn");
    art.id = `turn-${t.index + 1}`;
    art.dataset.t = String(ti);
    art.style.setProperty("--hue", String(hue(t.speaker || "")));
    const speaker = t.speaker || "(no speaker)";
    const head = el("div", "head");
    if (isTimed(t)) {
      const btn = el("button", "time", clock(t.start));
      btn.type = "button";
      btn.dataset.t = String(ti);
      btn.setAttribute("aria-label", `Play turn ${t.index + 1}, ${speaker}, from ${clock(t.start)}`);
      head.append(btn);
    } else {
      art.classList.add("missing");
      const badge = el("span", "badge bad", "not in audio");
      badge.title = turnNotes.get(t.index) || "no word of this turn was heard";
      head.append(badge);
      issueEls.push(art);
    }
    head.append(el("span", "speaker", speaker));
    if (t.suspect) head.append(el("span", "badge bad", "suspect"));
    if (isTimed(t) && typeof t.coverage === "number" && t.coverage < 1) {
      head.append(el("span", "badge", `heard ${Math.round(t.coverage * 100)}%`));
    }
    const p = el("p", "words");
    const words = t.words || [];
    for (let k = 0; k < words.length; k++) {
      const w = words[k];
      const i = wordEls.length;
      const note = notes.get(`${t.index}:${k}`);
      let span;
      if (w.status === "not_found") {
        span = el("del", "w x", w.text);
        span.title = note && note.reason ? `not in the audio (${note.reason})` : "not in the audio";
        issueEls.push(span);
      } else {
        span = el("span", "w", w.text);
        const tips = [];
        if (w.status === "substituted") {
          span.classList.add("s");
          const heard = w.heard || (note && note.heard);
          tips.push(heard ? `heard “${heard}”` : "heard as another word");
          const sc = (note && note.scores) || {};
          if (typeof sc.p_written === "number" && typeof sc.p_heard === "number") {
            // What decided the claim: Whisper reading both words against the audio.
            tips.push(`the audio: “${heard}” ${sc.p_heard.toFixed(3)}, as written ${sc.p_written.toFixed(3)}`);
          }
        } else if (w.status === "interpolated") {
          span.classList.add("i");
          tips.push("not heard; time interpolated");
        }
        if (typeof w.confidence === "number" && w.confidence < LOW) {
          span.classList.add("low");
          tips.push(`confidence ${w.confidence.toFixed(2)}`);
        }
        if (tips.length) {
          span.title = tips.join("; ");
          issueEls.push(span);
        }
      }
      span.dataset.w = String(i);
      wordEls.push(span);
      wordStart.push(isTimed(w) ? w.start : NaN);
      wordEnd.push(isTimed(w) ? w.end : NaN);
      wordTurn.push(ti);
      if (k) p.append(" ");
      p.append(span);
    }
    art.append(head, p);
    parent.append(art);
    turnEls.push(art);
  }

  function sortedBy(starts) {
    const idx = [];
    for (let i = 0; i < starts.length; i++) if (!Number.isNaN(starts[i])) idx.push(i);
    idx.sort((a, b) => starts[a] - starts[b] || a - b);
    return [Int32Array.from(idx), Float64Array.from(idx, (i) => starts[i])];
  }

  function render() {
    const { notes, turnNotes } = mismatchNotes();
    // Speech heard but in no turn goes between the turns, by time.
    const heard = (data.mismatches || [])
      .filter((m) => m.kind === "not_in_transcript" && typeof m.start === "number")
      .sort((a, b) => a.start - b.start);
    let h = 0;
    const frag = document.createDocumentFragment();
    const turns = data.turns || [];
    for (let ti = 0; ti < turns.length; ti++) {
      const t = turns[ti];
      if (isTimed(t)) {
        while (h < heard.length && heard[h].start < t.start) renderHeard(heard[h++], frag);
      }
      renderTurn(t, ti, notes, turnNotes, frag);
    }
    while (h < heard.length) renderHeard(heard[h++], frag);
    root.append(frag);
    [wordOrder, wordOrderStart] = sortedBy(wordStart);
    [turnOrder, turnOrderStart] = sortedBy(turns.map((t) => (isTimed(t) ? t.start : NaN)));
    summarize(turns);
  }

  function summarize(turns) {
    const count = (sel) => root.querySelectorAll(sel).length;
    const q = data.quality;
    const n = (k, one, many) => `${k} ${k === 1 ? one : many}`;
    const parts = [n(turns.length, "turn", "turns"), n(wordEls.length, "word", "words")];
    if (q) parts.push(`heard ${Math.round(q.coverage * 100)}%`, `score ${q.score.toFixed(2)}`);
    parts.push(
      `${count("del.w")} not in audio`,
      `${count(".w.s")} substituted`,
      `${heardEls.length} heard, not in transcript`,
      `${count(".w.low")} low confidence`,
    );
    document.getElementById("summary").textContent = parts.join(" · ");
  }

  // Last entry of a sorted Float64Array that is <= t, or -1.
  function lastAtOrBefore(starts, t) {
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  function wordAt(t) {
    const k = lastAtOrBefore(wordOrderStart, t);
    for (let j = k; j >= 0 && j > k - OVERLAP_LOOKBACK; j--) {
      const i = wordOrder[j];
      if (t < wordEnd[i]) return i;
    }
    return -1;
  }

  function turnAt(t) {
    const k = lastAtOrBefore(turnOrderStart, t + TURN_EPS_S);
    return k < 0 ? -1 : turnOrder[k];
  }

  let nowWord = -1;
  let nowTurn = -1;
  let lastUserScroll = -Infinity;

  function inView(e) {
    const r = e.getBoundingClientRect();
    const top = document.querySelector(".bar").getBoundingClientRect().bottom;
    return r.top >= top && r.bottom <= window.innerHeight;
  }

  function update() {
    const t = audio.currentTime;
    const w = wordAt(t);
    if (w !== nowWord) {
      if (nowWord >= 0) {
        wordEls[nowWord].classList.remove("now");
        wordEls[nowWord].removeAttribute("aria-current");
      }
      nowWord = w;
      if (w >= 0) {
        wordEls[w].classList.add("now");
        wordEls[w].setAttribute("aria-current", "time");
        const following = follow.checked && !audio.paused;
        if (following && performance.now() - lastUserScroll > USER_SCROLL_PAUSE_MS) {
          if (!inView(wordEls[w])) wordEls[w].scrollIntoView({ block: "center" });
        }
      }
    }
    const k = turnAt(t);
    const turn = k >= 0 && t <= data.turns[k].end + TURN_EPS_S ? k : -1;
    if (turn !== nowTurn) {
      if (nowTurn >= 0) turnEls[nowTurn].classList.remove("playing");
      nowTurn = turn;
      if (turn >= 0) turnEls[turn].classList.add("playing");
    }
  }

  let frame = 0;
  function tick() {
    update();
    frame = audio.paused ? 0 : requestAnimationFrame(tick);
  }

  function showNotice(text) {
    notice.textContent = text;
    notice.hidden = false;
  }

  function play() {
    const p = audio.play();
    if (p) p.catch((e) => showNotice(`Cannot play the audio: ${e.message}`));
  }

  function seek(t, andPlay) {
    if (!Number.isFinite(t)) return;
    audio.currentTime = Math.max(0, t);
    update();
    if (andPlay && audio.paused) play();
  }

  function seekBy(ds) {
    const end = Number.isFinite(audio.duration) ? audio.duration : Infinity;
    seek(Math.min(end, audio.currentTime + ds), false);
  }

  function reveal(e) {
    e.scrollIntoView({ block: "center" });
    e.classList.add("flash");
    setTimeout(() => e.classList.remove("flash"), 800);
  }

  function stepTurn(dir) {
    if (!turnOrder.length) return;
    const k = lastAtOrBefore(turnOrderStart, audio.currentTime + TURN_EPS_S);
    const j = Math.min(turnOrder.length - 1, Math.max(0, k + dir));
    const ti = turnOrder[j];
    seek(turnOrderStart[j], false);
    const btn = turnEls[ti].querySelector("button.time");
    if (btn) btn.focus({ preventScroll: true });
    turnEls[ti].scrollIntoView({ block: "center" });
  }

  function stepIssue(dir) {
    if (!issueEls.length) return;
    // From the focused or current place in document order.
    const anchor = (document.activeElement !== document.body && root.contains(document.activeElement)
      ? document.activeElement
      : null) || (nowWord >= 0 ? wordEls[nowWord] : null);
    let j;
    if (!anchor) {
      j = dir > 0 ? 0 : issueEls.length - 1;
    } else {
      // Binary search by document position.
      let lo = 0;
      let hi = issueEls.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const pos = anchor.compareDocumentPosition(issueEls[mid]);
        const before = issueEls[mid] === anchor || (pos & Node.DOCUMENT_POSITION_PRECEDING) ||
          (pos & Node.DOCUMENT_POSITION_CONTAINS);
        if (before) lo = mid + 1;
        else hi = mid;
      }
      j = dir > 0 ? lo : lo - 1;
      if (dir < 0 && issueEls[j] === anchor) j -= 1;
    }
    if (j < 0 || j >= issueEls.length) return;
    const target = issueEls[j];
    const start = target.dataset.w !== undefined ? wordStart[Number(target.dataset.w)] : Number(target.dataset.start);
    if (Number.isFinite(start)) seek(start, false);
    if (!target.hasAttribute("tabindex") && target.tagName !== "BUTTON") target.tabIndex = -1;
    target.focus({ preventScroll: true });
    reveal(target);
  }

  function toggleHelp() {
    if (help.open) help.close();
    else help.showModal();
  }

  root.addEventListener("click", (e) => {
    const sel = window.getSelection();
    if (sel && !sel.isCollapsed) return; // the reader is selecting text, not seeking
    const target = e.target.closest("[data-w], [data-start], [data-t]");
    if (!target || !root.contains(target)) return;
    let t;
    if (target.dataset.w !== undefined) {
      t = wordStart[Number(target.dataset.w)];
      if (!Number.isFinite(t)) {
        // A word that was not heard: play its turn instead.
        const turn = data.turns[wordTurn[Number(target.dataset.w)]];
        t = isTimed(turn) ? turn.start : NaN;
      }
    } else if (target.dataset.start !== undefined) {
      t = Number(target.dataset.start);
    } else {
      const turn = data.turns[Number(target.dataset.t)];
      t = isTimed(turn) ? turn.start : NaN;
    }
    seek(t, true);
  });

  // Controls that use a key themselves keep it: the player's own space and arrows, the
  // speed menu's arrows, the checkbox's space, any text field.
  function ownsKey(target, key) {
    if (target.isContentEditable || target.tagName === "TEXTAREA") return true;
    if (target.tagName === "INPUT") return target.type !== "checkbox" || key === " ";
    if (target.tagName === "SELECT" || target === audio) {
      return key === " " || key.startsWith("Arrow");
    }
    return false;
  }

  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    if (ownsKey(e.target, e.key)) return;
    if (help.open && e.key !== "?") return; // the dialog handles Escape itself
    switch (e.key) {
      case " ":
        if (audio.paused) play();
        else audio.pause();
        break;
      case "ArrowLeft":
        seekBy(-SEEK_S);
        break;
      case "ArrowRight":
        seekBy(SEEK_S);
        break;
      case "j":
      case "ArrowDown":
        stepTurn(1);
        break;
      case "k":
      case "ArrowUp":
        stepTurn(-1);
        break;
      case "n":
        stepIssue(1);
        break;
      case "p":
        stepIssue(-1);
        break;
      case "?":
        toggleHelp();
        break;
      default:
        return;
    }
    e.preventDefault();
  });
  // A focused button would also "click" on the keyup of the space that toggled playback.
  document.addEventListener("keyup", (e) => {
    if (e.key === " " && e.target.tagName === "BUTTON" && root.contains(e.target)) e.preventDefault();
  });

  for (const type of ["wheel", "touchmove"]) {
    window.addEventListener(type, () => { lastUserScroll = performance.now(); }, { passive: true });
  }
  audio.addEventListener("play", () => { if (!frame) frame = requestAnimationFrame(tick); });
  for (const type of ["timeupdate", "seeked", "seeking", "pause", "ended"]) {
    audio.addEventListener(type, update);
  }
  audio.addEventListener("error", () => {
    const src = audio.getAttribute("src") || "";
    const where = src.startsWith("data:") ? "the embedded audio" : `“${decodeURIComponent(src)}”`;
    showNotice(`The audio could not be loaded from ${where}. Keep the audio file at this path, ` +
      "relative to this page, or write the page with the audio embedded.");
  });
  document.getElementById("speed").addEventListener("change", (e) => {
    audio.playbackRate = Number(e.target.value);
  });
  document.getElementById("help-button").addEventListener("click", toggleHelp);
  document.getElementById("help-close").addEventListener("click", () => help.close());

  if (!audio.getAttribute("src")) showNotice("This result names no audio file to play.");
  render();
  update();
})();
